//! The real daemon binary's life with drives: SIGTERM unmounts every drive; after SIGKILL a new
//! daemon detaches the dead mounts and restores the remembered connections; an unreachable
//! remembered server shows as Unavailable without delaying anything; an upgraded executable
//! restarts the daemon in place, a removed one stops it; the profile's `file_leases` reaches
//! the drives.

use std::path::Path;
use std::time::{Duration, Instant};

use wnet_core::ConnectionStatus;
use wnet_proto::{AddConnectionArgs, Client, Paths, Reply, Request};
use wnet_testkit::{DEFAULT_PASSWORD, DEFAULT_USER, Samba, SambaBuilder, Share};

fn wnetd() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_wnetd"))
}

fn mounted(path: &Path) -> bool {
    std::fs::read_to_string("/proc/self/mountinfo")
        .unwrap()
        .lines()
        .any(|l| l.split(' ').nth(4) == Some(path.to_str().unwrap()))
}

fn wait_for(what: &str, bound: Duration, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + bound;
    while !ok() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn gone(pid: u32) -> bool {
    !Path::new(&format!("/proc/{pid}")).exists()
        || std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| s.contains(") Z "))
}

fn connect(c: &mut Client, device: &str, unc: &str, user: Option<&str>, password: Option<&str>) {
    let reply = c
        .call(&Request::AddConnection(AddConnectionArgs {
            // RESOURCETYPE_PRINT for a printer port, else DISK.
            resource_type: if device.to_ascii_uppercase().starts_with("LPT") {
                2
            } else {
                1
            },
            local: Some(device.into()),
            remote: unc.into(),
            provider: None,
            user: user.map(str::to_owned),
            password: password.map(wnet_core::Secret::new),
            flags: wnet_core::ConnectFlags::UPDATE_PROFILE.bits(),
            save_credentials: false,
            ccache: None,
        }))
        .unwrap_or_else(|e| panic!("connecting {device} to {unc}: {e}"));
    assert!(matches!(reply, Reply::Connection(_)), "{reply:?}");
}

fn listing(c: &mut Client) -> Vec<(String, ConnectionStatus)> {
    match c.call(&Request::List).unwrap() {
        Reply::Listing { connections, .. } => connections
            .into_iter()
            .map(|r| (r.local.map(|l| l.to_string()).unwrap_or_default(), r.status))
            .collect(),
        other => panic!("{other:?}"),
    }
}

/// Turns insecure guest logons on in the profile of `paths` (before the daemon starts).
fn allow_guests(paths: &Paths) {
    wnet_core::ProfileStore::new(paths.profile.clone())
        .update(|p| {
            p.settings.insecure_guest_logons = true;
            Ok(())
        })
        .unwrap();
}

/// A Samba whose share `pub` and print share `gprint` need no credentials (an unknown user
/// becomes the guest).
fn guest_samba() -> Samba {
    SambaBuilder::new()
        .user(DEFAULT_USER, DEFAULT_PASSWORD)
        .global("map to guest", "Bad User")
        .share(
            Share::new("pub")
                .option("guest ok", "yes")
                .option("valid users", ""),
        )
        .share(Share::new("rw"))
        .share(
            Share::printer("gprint")
                .option("guest ok", "yes")
                .option("valid users", ""),
        )
        .start()
        .unwrap()
}

#[test]
fn sigterm_unmounts_every_drive_and_keeps_the_profile() {
    let samba = Samba::start_default();
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::under(dir.path());
    let mut c = Client::connect_with(&paths, wnetd(), "lifecycle").unwrap();
    let pid = c.daemon_pid();
    connect(
        &mut c,
        "Z:",
        &samba.unc("rw"),
        Some(DEFAULT_USER),
        Some(DEFAULT_PASSWORD),
    );
    connect(
        &mut c,
        "Y:",
        &samba.unc("ro"),
        Some(DEFAULT_USER),
        Some(DEFAULT_PASSWORD),
    );
    let (z, y) = (paths.drive_root.join("Z"), paths.drive_root.join("Y"));
    assert!(mounted(&z) && mounted(&y));
    std::fs::write(z.join("last-words.txt"), b"written before SIGTERM").unwrap();
    // SAFETY: signalling the daemon this test started.
    unsafe { libc::kill(pid as i32, libc::SIGTERM) };
    wait_for("the daemon to exit", Duration::from_secs(15), || gone(pid));
    assert!(!mounted(&z) && !mounted(&y), "every drive is unmounted");
    assert!(!paths.socket.exists());
    assert_eq!(
        std::fs::read(samba.share_dir("rw").join("last-words.txt")).unwrap(),
        b"written before SIGTERM"
    );
    let profile = wnet_core::ProfileStore::new(paths.profile.clone())
        .load()
        .unwrap();
    assert_eq!(
        profile.devices.len(),
        2,
        "the remembered connections stay remembered"
    );
}

#[test]
fn after_sigkill_a_new_daemon_cleans_up_and_restores() {
    let samba = guest_samba();
    let private = Samba::start_default();
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::under(dir.path());
    allow_guests(&paths);
    let mut c = Client::connect_with(&paths, wnetd(), "lifecycle").unwrap();
    let pid = c.daemon_pid();
    // Remembered with no credentials: restorable without a password.
    connect(&mut c, "P:", &samba.unc("pub"), None, None);
    // Remembered with credentials that are not saved: not restorable, must show Unavailable.
    connect(
        &mut c,
        "R:",
        &private.unc("rw"),
        Some(DEFAULT_USER),
        Some(DEFAULT_PASSWORD),
    );
    let (p, r) = (paths.drive_root.join("P"), paths.drive_root.join("R"));
    assert!(mounted(&p) && mounted(&r));
    // SAFETY: signalling the daemon this test started.
    unsafe { libc::kill(pid as i32, libc::SIGKILL) };
    wait_for("the daemon to die", Duration::from_secs(10), || gone(pid));
    assert!(
        mounted(&p),
        "a killed daemon leaves its mounts behind (dead)"
    );
    let started = Instant::now();
    let mut c = Client::connect_with(&paths, wnetd(), "lifecycle").unwrap();
    assert_ne!(c.daemon_pid(), pid);
    wait_for("P: to be restored", Duration::from_secs(15), || {
        listing(&mut c).contains(&("P:".into(), ConnectionStatus::Ok))
    });
    assert!(started.elapsed() < Duration::from_secs(15));
    assert!(mounted(&p));
    assert_eq!(
        std::fs::read_dir(&p).unwrap().count(),
        0,
        "the restored drive answers"
    );
    let rows = listing(&mut c);
    assert!(
        rows.contains(&("R:".into(), ConnectionStatus::Unavailable)),
        "{rows:?}"
    );
    assert!(
        !mounted(&r),
        "no dead mount left where a drive was not restored"
    );
    let new_pid = c.daemon_pid();
    // SAFETY: signalling the daemon this test started.
    unsafe { libc::kill(new_pid as i32, libc::SIGTERM) };
    wait_for("the daemon to exit", Duration::from_secs(15), || {
        gone(new_pid)
    });
    assert!(!mounted(&p));
}

#[test]
fn an_unreachable_remembered_server_delays_nothing() {
    let samba = guest_samba();
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::under(dir.path());
    allow_guests(&paths);
    let store = wnet_core::ProfileStore::new(paths.profile.clone());
    let remember = |device: &str, remote: &str| {
        store
            .remember(
                wnet_core::LocalName::parse(device).unwrap(),
                wnet_core::RememberedConnection::disk(
                    wnet_core::RemoteName::parse(remote).unwrap(),
                    "Microsoft Windows Network",
                    0x20000,
                ),
            )
            .unwrap()
    };
    // A server that never answers: a loopback listener that never accepts, so the TCP
    // connection is made and the SMB negotiate waits for its deadline.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    remember("U:", &format!(r"\\127.0.0.1@{silent_port}\gone"));
    remember("P:", &samba.unc("pub"));
    let started = Instant::now();
    let mut c = Client::connect_with(&paths, wnetd(), "lifecycle").unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "the daemon serves at once: {:?}",
        started.elapsed()
    );
    wait_for("P: to be restored", Duration::from_secs(4), || {
        listing(&mut c).contains(&("P:".into(), ConnectionStatus::Ok))
    });
    let rows = listing(&mut c);
    assert!(
        rows.contains(&("U:".into(), ConnectionStatus::Unavailable)),
        "{rows:?}"
    );
    let pid = c.daemon_pid();
    // SAFETY: signalling the daemon this test started.
    unsafe { libc::kill(pid as i32, libc::SIGTERM) };
    wait_for("the daemon to exit", Duration::from_secs(15), || gone(pid));
    drop(silent);
}

/// A daemon started from a copy of its executable in a directory of the test's own (which the
/// test can upgrade, renaming another file over it as dpkg does, or remove), with the remembered
/// guest drive P:, which it can restore without a password.
struct Installed {
    _samba: Samba,
    _dir: tempfile::TempDir,
    paths: Paths,
    exe: std::path::PathBuf,
    pid: u32,
    drive: std::path::PathBuf,
}

impl Installed {
    fn start() -> Installed {
        let samba = guest_samba();
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::under(dir.path());
        allow_guests(&paths);
        let bin = dir.path().join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        let exe = bin.join("wnetd");
        std::fs::copy(wnetd(), &exe).unwrap();
        let mut c = Client::connect_with(&paths, &exe, "lifecycle").unwrap();
        connect(&mut c, "P:", &samba.unc("pub"), None, None);
        let drive = paths.drive_root.join("P");
        assert!(mounted(&drive));
        Installed {
            pid: c.daemon_pid(),
            _samba: samba,
            _dir: dir,
            paths,
            exe,
            drive,
        }
    }
}

/// (device, inode) of a file, following links (`/proc/PID/exe` gives the running file's).
fn file_id(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

#[test]
fn an_upgraded_executable_restarts_the_daemon_which_restores_its_drives() {
    let d = Installed::start();
    let running = Path::new("/proc").join(d.pid.to_string()).join("exe");
    assert_eq!(file_id(&running), file_id(&d.exe));
    std::fs::write(d.drive.join("before.txt"), b"written before the upgrade").unwrap();

    // The upgrade: the new version is renamed over the old one, as dpkg does.
    let staged = d.exe.with_extension("dpkg-new");
    std::fs::copy(wnetd(), &staged).unwrap();
    std::fs::rename(&staged, &d.exe).unwrap();
    let new = file_id(&d.exe);
    wait_for(
        "the daemon to run the new executable",
        Duration::from_secs(30),
        || file_id(&running) == new,
    );
    // The same process, now the new version, serves the socket and restored P:.
    let mut c = None;
    wait_for("the new version to serve", Duration::from_secs(15), || {
        c = Client::connect_to(&d.paths.socket, "lifecycle").ok();
        c.is_some()
    });
    let mut c = c.unwrap();
    assert_eq!(
        c.daemon_pid(),
        d.pid,
        "restarted in place (systemd keeps its main pid)"
    );
    wait_for("P: to be restored", Duration::from_secs(15), || {
        listing(&mut c).contains(&("P:".into(), ConnectionStatus::Ok))
    });
    assert_eq!(
        std::fs::read(d.drive.join("before.txt")).unwrap(),
        b"written before the upgrade"
    );
    // SAFETY: signalling the daemon this test started.
    unsafe { libc::kill(d.pid as i32, libc::SIGTERM) };
    wait_for("the daemon to exit", Duration::from_secs(15), || {
        gone(d.pid)
    });
    assert!(!mounted(&d.drive));
}

#[test]
fn a_removed_executable_stops_the_daemon_and_keeps_the_profile() {
    let d = Installed::start();

    // The package removed.
    std::fs::remove_file(&d.exe).unwrap();
    wait_for("the daemon to exit", Duration::from_secs(30), || {
        gone(d.pid)
    });
    assert!(!mounted(&d.drive), "its drive is unmounted");
    assert!(!d.paths.socket.exists(), "nobody serves the socket");
    let profile = wnet_core::ProfileStore::new(d.paths.profile.clone())
        .load()
        .unwrap();
    assert_eq!(profile.devices.len(), 1, "P: stays remembered");
}

#[test]
fn a_remembered_printer_port_is_restored_and_prints() {
    let samba = guest_samba();
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::under(dir.path());
    allow_guests(&paths);
    let mut c = Client::connect_with(&paths, wnetd(), "lifecycle").unwrap();
    let pid = c.daemon_pid();
    connect(&mut c, "LPT1:", &samba.unc("gprint"), None, None);
    let port = paths.drive_root.join("LPT1");
    assert!(mounted(&port));
    let profile = wnet_core::ProfileStore::new(paths.profile.clone());
    let entry = profile
        .get(wnet_core::LocalName::Lpt(1))
        .unwrap()
        .expect("LPT1: is remembered");
    assert_eq!(entry.connection_type, 2, "remembered as a printer");
    // SAFETY: signalling the daemon this test started.
    unsafe { libc::kill(pid as i32, libc::SIGKILL) };
    wait_for("the daemon to die", Duration::from_secs(10), || gone(pid));
    let mut c = Client::connect_with(&paths, wnetd(), "lifecycle").unwrap();
    wait_for("LPT1: to be restored", Duration::from_secs(15), || {
        listing(&mut c).contains(&("LPT1:".into(), ConnectionStatus::Ok))
    });
    assert!(mounted(&port));
    std::fs::write(&port, b"printed after a restore\n").unwrap();
    assert_eq!(
        samba.wait_printed("gprint", 1, Duration::from_secs(20)),
        vec![b"printed after a restore\n".to_vec()]
    );
    let new_pid = c.daemon_pid();
    // SAFETY: signalling the daemon this test started.
    unsafe { libc::kill(new_pid as i32, libc::SIGTERM) };
    wait_for("the daemon to exit", Duration::from_secs(15), || {
        gone(new_pid)
    });
    assert!(!mounted(&port));
    assert!(!port.exists(), "no port file is left behind");
}

#[test]
fn the_profiles_file_leases_setting_reaches_the_drives() {
    let samba = Samba::start_default();
    let share = samba.share_dir("rw");
    for (leases, name) in [(true, "leased.txt"), (false, "plain.txt")] {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::under(dir.path());
        wnet_core::ProfileStore::new(paths.profile.clone())
            .update(|p| {
                p.settings.file_leases = leases;
                Ok(())
            })
            .unwrap();
        std::fs::write(share.join(name), b"small").unwrap();
        let mut c = Client::connect_with(&paths, wnetd(), "lifecycle").unwrap();
        connect(
            &mut c,
            "L:",
            &samba.unc("rw"),
            Some(DEFAULT_USER),
            Some(DEFAULT_PASSWORD),
        );
        let file = paths.drive_root.join("L").join(name);
        assert_eq!(std::fs::read(&file).unwrap(), b"small");
        // Under a lease the server handle stays parked after close(); without, the small
        // read's compound closed it before it answered.
        assert_eq!(samba.has_open(name), leases, "file_leases = {leases}");
        // Not forced: a parked handle is not an open file (no 2401).
        let reply = c
            .call(&Request::CancelConnection {
                name: "L:".into(),
                flags: 0,
                force: false,
            })
            .unwrap();
        assert!(matches!(reply, Reply::Done), "{reply:?}");
        assert!(!samba.has_open(name), "the cancel closed it");
    }
}

/// A remembered WebDAV drive (issue 16) is unmounted when the daemon stops and restored by
/// the next one, serving the same folder.
#[test]
fn a_remembered_webdav_drive_is_restored_by_the_next_daemon() {
    use wnet_testkit::{Apache, DavAuth};
    let apache = Apache::start(false, DavAuth::None);
    apache.seed("team/readme.txt", b"hello");
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::under(dir.path());
    let mut c = Client::connect_with(&paths, wnetd(), "lifecycle").unwrap();
    let pid = c.daemon_pid();
    connect(&mut c, "W:", &format!("{}team", apache.url()), None, None);
    let w = paths.drive_root.join("W");
    assert_eq!(std::fs::read(w.join("readme.txt")).unwrap(), b"hello");
    // SAFETY: signalling the daemon this test started.
    unsafe { libc::kill(pid as i32, libc::SIGTERM) };
    wait_for("the daemon to exit", Duration::from_secs(15), || gone(pid));
    assert!(!mounted(&w), "SIGTERM unmounts the WebDAV drive");

    let mut c = Client::connect_with(&paths, wnetd(), "lifecycle").unwrap();
    wait_for("W: to be restored", Duration::from_secs(15), || {
        listing(&mut c).contains(&("W:".into(), ConnectionStatus::Ok))
    });
    assert_eq!(std::fs::read(w.join("readme.txt")).unwrap(), b"hello");
    let new_pid = c.daemon_pid();
    // SAFETY: signalling the daemon this test started.
    unsafe { libc::kill(new_pid as i32, libc::SIGTERM) };
    wait_for("the daemon to exit", Duration::from_secs(15), || {
        gone(new_pid)
    });
    assert!(!mounted(&w));
}
