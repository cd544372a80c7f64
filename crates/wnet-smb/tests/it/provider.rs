//! The SMB provider's NP* functions against a real Samba, with real FUSE drives.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use wnet_core::{
    AddConnection, ConnectFlags, ConnectionName, LocalName, NetworkProvider, ResourceType, Secret,
    UncPath,
};
use wnet_smb::{SmbProvider, SmbProviderConfig, Timeouts};
use wnet_testkit::{DEFAULT_PASSWORD, DEFAULT_USER, Samba, TEST_PASSWORD2, TEST_USER2};

struct Fixture {
    samba: Samba,
    provider: SmbProvider,
    root: PathBuf,
    _dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        let samba = Samba::start_default();
        let (provider, root, dir) =
            crate::provider::provider_in_tempdir(wnet_smb::provider::DFS_MAX_TTL);
        Fixture {
            samba,
            provider,
            root,
            _dir: dir,
        }
    }

    fn request(
        &self,
        local: Option<&str>,
        share: &str,
        user: &str,
        password: &str,
    ) -> AddConnection {
        AddConnection {
            resource_type: ResourceType::Disk,
            local: local.map(|l| LocalName::parse(l).unwrap()),
            remote: UncPath::parse(&self.samba.unc(share)).unwrap().into(),
            user: Some(user.into()),
            password: Some(Secret::new(password)),
            flags: ConnectFlags::empty(),
            ccache: None,
        }
    }

    fn connect(
        &self,
        local: Option<&str>,
        share: &str,
    ) -> wnet_core::Result<wnet_core::Connection> {
        self.provider
            .add_connection(&self.request(local, share, DEFAULT_USER, DEFAULT_PASSWORD))
    }

    fn code(&self, r: AddConnection) -> u32 {
        match self.provider.add_connection(&r) {
            Ok(_) => 0,
            Err(e) => e.win_error().0,
        }
    }

    fn cancel(&self, name: &str, force: bool) -> u32 {
        match self
            .provider
            .cancel_connection(&ConnectionName::parse(name).unwrap(), force)
        {
            Ok(()) => 0,
            Err(e) => e.win_error().0,
        }
    }
}

/// A provider whose drives live under a fresh temporary `Network` directory, with the
/// kit's default user: (the provider, that drive root, the directory to keep alive).
pub(crate) fn provider_in_tempdir(
    dfs_max_ttl: Duration,
) -> (SmbProvider, PathBuf, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("Network");
    let provider = SmbProvider::new(SmbProviderConfig {
        dfs_max_ttl,
        hosts_file: Some(dir.path().join("lmhosts")),
        drive_root: root.clone(),
        timeouts: Timeouts::default(),
        default_user: DEFAULT_USER.into(),
        allow_insecure_guest: false,
        file_leases: false,
        connections_per_share: 1,
    })
    .unwrap();
    (provider, root, dir)
}

impl Drop for Fixture {
    fn drop(&mut self) {
        self.provider.shutdown();
    }
}

fn is_mounted(path: &std::path::Path) -> bool {
    std::fs::read_to_string("/proc/self/mountinfo")
        .unwrap()
        .lines()
        .any(|l| l.split(' ').nth(4) == Some(path.to_str().unwrap()))
}

#[test]
fn a_device_connection_is_a_drive_under_the_root() {
    let f = Fixture::new();
    let c = f.connect(Some("z:"), "rw").unwrap();
    assert_eq!(c.local.unwrap().to_string(), "Z:");
    assert_eq!(c.provider, "Microsoft Windows Network");
    let drive = f.root.join("Z");
    assert!(is_mounted(&drive));
    std::fs::write(drive.join("hello.txt"), b"hello through wnet\n").unwrap();
    assert_eq!(
        std::fs::read(f.samba.share_dir("rw").join("hello.txt")).unwrap(),
        b"hello through wnet\n"
    );
    assert_eq!(f.provider.connections().unwrap().len(), 1);
    assert_eq!(
        f.provider
            .get_connection(LocalName::Drive(b'Z'))
            .unwrap()
            .remote,
        c.remote
    );
    let u = f
        .provider
        .get_universal_name(LocalName::Drive(b'Z'), r"\dir\file.txt")
        .unwrap();
    assert_eq!(
        u.universal_name,
        format!(r"{}\dir\file.txt", f.samba.unc("rw"))
    );
    assert_eq!(u.remaining_path, r"\dir\file.txt");
    let name = ConnectionName::parse("Z:").unwrap();
    assert_eq!(f.provider.get_user(Some(&name)).unwrap(), DEFAULT_USER);
    assert_eq!(
        f.code(f.request(Some("Z:"), "ro", DEFAULT_USER, DEFAULT_PASSWORD)),
        85,
        "Z: is in use"
    );
    assert_eq!(f.cancel("z:", false), 0);
    assert!(!is_mounted(&drive));
    assert!(!drive.exists(), "the empty mount point goes with the drive");
    assert_eq!(f.cancel("Z:", false), 2250);
}

#[test]
fn connection_errors_map_to_wnet_codes() {
    let f = Fixture::new();
    assert_eq!(
        f.code(f.request(Some("Y:"), "rw", DEFAULT_USER, "wrong")),
        1326
    );
    assert_eq!(
        f.code(f.request(Some("Y:"), "no-such-share", DEFAULT_USER, DEFAULT_PASSWORD)),
        67
    );
    let mut unreachable = f.request(Some("Y:"), "rw", DEFAULT_USER, DEFAULT_PASSWORD);
    unreachable.remote = UncPath::parse(&format!(r"\\127.0.0.1@{}\rw", wnet_testkit::free_port()))
        .unwrap()
        .into();
    let started = Instant::now();
    assert_eq!(f.code(unreachable), 53);
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "closed port answered in {:?}",
        started.elapsed()
    );
    assert!(
        f.provider.connections().unwrap().is_empty(),
        "nothing half-made stays"
    );
    assert!(!f.root.join("Y").exists());
}

#[test]
fn a_second_user_name_to_the_same_server_is_1219() {
    let f = Fixture::new();
    f.connect(Some("X:"), "rw").unwrap();
    assert_eq!(
        f.code(f.request(Some("W:"), "ro", TEST_USER2, TEST_PASSWORD2)),
        1219
    );
    assert_eq!(
        f.code(f.request(Some("W:"), "ro", DEFAULT_USER, "wrong")),
        1326,
        "a wrong password never rides on the live session"
    );
    assert_eq!(
        f.code(f.request(Some("W:"), "ro", DEFAULT_USER, DEFAULT_PASSWORD)),
        0,
        "the same user shares the session"
    );
    assert_eq!(f.provider.connections().unwrap().len(), 2);
}

#[test]
fn open_files_refuse_a_cancel_until_closed() {
    let f = Fixture::new();
    f.connect(Some("Z:"), "rw").unwrap();
    let path = f.root.join("Z").join("open.txt");
    let file = std::fs::File::create(&path).unwrap();
    assert_eq!(f.cancel("Z:", false), 2401);
    assert!(is_mounted(&f.root.join("Z")), "the drive stays");
    std::fs::write(f.root.join("Z").join("still.txt"), b"usable").unwrap();
    drop(file);
    assert_eq!(f.cancel("Z:", false), 0, "closed means closed");
}

#[test]
fn a_working_directory_on_the_drive_is_2404_unless_forced() {
    let f = Fixture::new();
    f.connect(Some("Z:"), "rw").unwrap();
    let drive = f.root.join("Z");
    let mut child = std::process::Command::new("sh")
        .arg("-c")
        .arg("cd \"$1\" && exec sleep 30")
        .arg("sh")
        .arg(&drive)
        .spawn()
        .unwrap();
    // Wait until the child's cwd is on the drive.
    let cwd = format!("/proc/{}/cwd", child.id());
    let deadline = Instant::now() + Duration::from_secs(5);
    while std::fs::read_link(&cwd).map(|p| p != drive).unwrap_or(true) && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(f.cancel("Z:", false), 2404);
    assert!(is_mounted(&drive));
    assert_eq!(f.cancel("Z:", true), 0, "forced");
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!is_mounted(&drive));
}

#[test]
fn deviceless_connections_are_cancelled_by_remote_name_only() {
    let f = Fixture::new();
    f.connect(None, "rw").unwrap();
    f.connect(Some("Z:"), "rw").unwrap();
    let unc = f.samba.unc("rw");
    let mountpoint = f.provider.mountpoint(None, &UncPath::parse(&unc).unwrap());
    assert!(mountpoint.starts_with(f.root.join("UNC")));
    assert!(is_mounted(&mountpoint));
    assert_eq!(
        f.cancel(&unc.to_uppercase(), false),
        0,
        "remote names compare case-insensitively"
    );
    assert!(!is_mounted(&mountpoint));
    assert!(
        is_mounted(&f.root.join("Z")),
        "the device to the same share stays"
    );
    assert_eq!(f.cancel(&unc, false), 2250, "no deviceless connection left");
}

#[test]
fn shutdown_unmounts_every_drive() {
    let f = Fixture::new();
    f.connect(Some("Z:"), "rw").unwrap();
    f.connect(Some("Y:"), "ro").unwrap();
    f.provider.shutdown();
    assert!(!is_mounted(&f.root.join("Z")));
    assert!(!is_mounted(&f.root.join("Y")));
    assert!(f.provider.connections().unwrap().is_empty());
}

#[test]
fn a_guest_share_needs_the_insecure_guest_opt_in_and_no_integrity_flag() {
    let samba = wnet_testkit::SambaBuilder::new()
        .user(DEFAULT_USER, DEFAULT_PASSWORD)
        .global("map to guest", "Bad User")
        .share(
            wnet_testkit::Share::new("pub")
                .option("guest ok", "yes")
                .option("valid users", ""),
        )
        .start()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let provider = |allow_insecure_guest| {
        SmbProvider::new(SmbProviderConfig {
            dfs_max_ttl: wnet_smb::provider::DFS_MAX_TTL,
            hosts_file: None,
            drive_root: dir.path().join("Network"),
            timeouts: Timeouts::default(),
            default_user: "nobody-in-particular".into(),
            allow_insecure_guest,
            file_leases: false,
            connections_per_share: 1,
        })
        .unwrap()
    };
    let mut request = AddConnection {
        resource_type: ResourceType::Disk,
        local: Some(LocalName::Drive(b'G')),
        remote: UncPath::parse(&samba.unc("pub")).unwrap().into(),
        user: None,
        password: None,
        flags: ConnectFlags::REQUIRE_INTEGRITY,
        ccache: None,
    };
    request.flags = ConnectFlags::empty();
    let e = provider(false).add_connection(&request).unwrap_err();
    assert_eq!(
        e.win_error().0,
        1326,
        "insecure guest logons are off unless the user turns them on: {e}"
    );
    let provider = provider(true);
    request.flags = ConnectFlags::REQUIRE_INTEGRITY;
    let e = provider.add_connection(&request).unwrap_err();
    assert_eq!(
        e.win_error().0,
        1326,
        "a guest session cannot be signed: {e}"
    );
    request.flags = ConnectFlags::empty();
    provider.add_connection(&request).unwrap();
    std::fs::write(dir.path().join("Network/G/guest.txt"), b"as guest").unwrap();
    assert_eq!(
        std::fs::read(samba.share_dir("pub").join("guest.txt")).unwrap(),
        b"as guest"
    );
    provider.shutdown();
}

/// ADR 0016: with `connections_per_share = 4` a drive's file opens spread over four
/// connections (four smbd processes); parallel programs' files all land whole, and a cancel
/// lets every one of the connections go.
#[test]
fn a_drive_over_four_connections_spreads_parallel_creates_and_lets_them_all_go() {
    let samba = Samba::start_default();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("Network");
    let provider = SmbProvider::new(SmbProviderConfig {
        dfs_max_ttl: wnet_smb::provider::DFS_MAX_TTL,
        hosts_file: None,
        drive_root: root.clone(),
        timeouts: Timeouts::default(),
        default_user: DEFAULT_USER.into(),
        allow_insecure_guest: false,
        file_leases: false,
        connections_per_share: 4,
    })
    .unwrap();
    assert_eq!(samba.client_processes(), 0);
    provider
        .add_connection(&AddConnection {
            resource_type: ResourceType::Disk,
            local: Some(LocalName::Drive(b'S')),
            remote: UncPath::parse(&samba.unc("rw")).unwrap().into(),
            user: Some(DEFAULT_USER.into()),
            password: Some(Secret::new(DEFAULT_PASSWORD)),
            flags: ConnectFlags::empty(),
            ccache: None,
        })
        .unwrap();
    assert_eq!(
        samba.client_processes(),
        4,
        "one smbd process per connection"
    );
    let drive = root.join("S");
    std::thread::scope(|s| {
        for k in 0..4 {
            let d = drive.join(format!("p{k}"));
            s.spawn(move || {
                std::fs::create_dir(&d).unwrap();
                for i in 0..25 {
                    std::fs::write(d.join(format!("f{i}")), format!("{k}/{i}").repeat(100))
                        .unwrap();
                }
            });
        }
    });
    for k in 0..4 {
        for i in 0..25 {
            let p = samba.share_dir("rw").join(format!("p{k}/f{i}"));
            assert_eq!(
                std::fs::read(&p).unwrap(),
                format!("{k}/{i}").repeat(100).as_bytes()
            );
            assert_eq!(
                std::fs::read(drive.join(format!("p{k}/f{i}"))).unwrap(),
                format!("{k}/{i}").repeat(100).as_bytes()
            );
        }
    }
    provider
        .cancel_connection(&ConnectionName::parse("S:").unwrap(), false)
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while samba.client_processes() != 0 {
        assert!(
            Instant::now() < deadline,
            "connections left after the cancel"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    provider.shutdown();
}
