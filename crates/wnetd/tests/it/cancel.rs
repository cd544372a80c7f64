//! WNetCancelConnection2 as the seed documents it, one test per point of the cancel issue,
//! through the daemon (the Rust client API's requests) with a real Samba, real FUSE drives and
//! real processes holding files.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use wnet_core::{ConnectFlags, LocalName, ProfileStore};
use wnet_proto::{AddConnectionArgs, Paths, Reply, Request};
use wnet_testkit::{DEFAULT_PASSWORD, DEFAULT_USER, Samba};
use wnetd::BackgroundDaemon;

const UPDATE_PROFILE: u32 = ConnectFlags::UPDATE_PROFILE.bits();

struct World {
    samba: Samba,
    daemon: BackgroundDaemon,
    _dir: tempfile::TempDir,
}

impl World {
    fn new() -> World {
        World::with(Samba::start_default())
    }

    fn with(samba: Samba) -> World {
        World::with_settings(samba, wnet_core::Settings::default())
    }

    /// A world whose profile holds `settings` before the daemon starts.
    fn with_settings(samba: Samba, settings: wnet_core::Settings) -> World {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::under(dir.path());
        wnet_core::ProfileStore::new(paths.profile.clone())
            .update(|p| {
                p.settings = settings;
                Ok(())
            })
            .unwrap();
        let daemon = BackgroundDaemon::start(paths).unwrap();
        World {
            samba,
            daemon,
            _dir: dir,
        }
    }

    fn call(&self, r: Request) -> Result<Reply, wnet_core::Error> {
        self.daemon
            .daemon()
            .handle(r)
            .map_err(wnet_core::Error::from)
    }

    fn connect(&self, device: Option<&str>, share: &str, flags: u32) {
        let r = self.call(Request::AddConnection(AddConnectionArgs {
            resource_type: 1,
            local: device.map(str::to_owned),
            remote: self.samba.unc(share),
            provider: None,
            user: Some(DEFAULT_USER.into()),
            password: Some(wnet_core::Secret::new(DEFAULT_PASSWORD)),
            flags,
            save_credentials: false,
            ccache: None,
        }));
        assert!(matches!(r, Ok(Reply::Connection(_))), "{r:?}");
    }

    fn cancel(&self, name: &str, flags: u32, force: bool) -> Result<Reply, wnet_core::Error> {
        self.call(Request::CancelConnection {
            name: name.into(),
            flags,
            force,
        })
    }

    fn cancel_code(&self, name: &str, flags: u32, force: bool) -> u32 {
        self.cancel(name, flags, force)
            .map_or_else(|e| e.win_error().0, |_| 0)
    }

    fn drive(&self, letter: &str) -> PathBuf {
        self.daemon.paths().drive_root.join(letter)
    }

    fn remembered(&self, device: &str) -> bool {
        ProfileStore::new(self.daemon.paths().profile.clone())
            .get(LocalName::parse(device).unwrap())
            .unwrap()
            .is_some()
    }

    /// Open files and tree connects Samba itself still has on `share` (from smbstatus).
    fn server_side(&self, share: &str) -> (usize, usize) {
        let conf = self.samba.conf();
        let run = |flag: &str| {
            let out = Command::new("smbstatus")
                .args(["-s", conf.to_str().unwrap(), flag])
                .output()
                .unwrap();
            String::from_utf8_lossy(&out.stdout).into_owned()
        };
        let dir = self.samba.share_dir(share);
        let opens = run("-L")
            .lines()
            .filter(|l| l.contains(dir.to_str().unwrap()))
            .count();
        let trees = run("-S")
            .lines()
            .filter(|l| l.split_whitespace().next() == Some(share))
            .count();
        (opens, trees)
    }
}

fn mounted(path: &Path) -> bool {
    std::fs::read_to_string("/proc/self/mountinfo")
        .unwrap()
        .lines()
        .any(|l| l.split(' ').nth(4) == Some(path.to_str().unwrap()))
}

/// A shell that runs `script` with `$1` = `arg`, prints "ready" when set up, and holds on.
fn holder(script: &str, arg: &Path) -> Child {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!("{script}\necho ready\nexec sleep 60"))
        .arg("sh")
        .arg(arg)
        .stdout(Stdio::piped())
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line, "ready\n", "the holder set up");
    // Wait for the exec, so the process has its final name.
    let comm = format!("/proc/{}/comm", child.id());
    let deadline = Instant::now() + Duration::from_secs(5);
    while std::fs::read_to_string(&comm).unwrap_or_default() != "sleep\n"
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(5));
    }
    child
}

fn stop(mut child: Child) {
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn p1_by_device_only_that_redirection_by_remote_only_deviceless() {
    let w = World::new();
    w.connect(Some("Z:"), "rw", 0);
    w.connect(Some("Y:"), "rw", 0);
    w.connect(None, "rw", 0);
    assert_eq!(w.cancel_code("z:", 0, false), 0);
    assert!(
        !mounted(&w.drive("Z")) && mounted(&w.drive("Y")),
        "only Z: went"
    );
    let unc = w.samba.unc("rw");
    assert_eq!(
        w.cancel_code(&unc, 0, false),
        0,
        "the deviceless connection"
    );
    assert!(
        mounted(&w.drive("Y")),
        "a device mapped to the same remote stays"
    );
    assert_eq!(
        w.cancel_code(&unc, 0, false),
        2250,
        "no deviceless connection left"
    );
}

#[test]
fn p2_not_connected_not_remembered_is_2250_and_nothing_changes() {
    let w = World::new();
    w.connect(Some("Y:"), "rw", UPDATE_PROFILE);
    assert_eq!(w.cancel_code("Z:", UPDATE_PROFILE, false), 2250);
    assert_eq!(w.cancel_code("Z:", 0, true), 2250);
    assert!(mounted(&w.drive("Y")) && w.remembered("Y:"));
}

#[test]
fn p3_remembered_but_not_connected() {
    let w = World::new();
    // Remembered for a server that is down: the restore fails, the entry stays.
    let down = format!(r"\\127.0.0.1@{}\gone", wnet_testkit::free_port());
    ProfileStore::new(w.daemon.paths().profile.clone())
        .remember(
            LocalName::parse("Z:").unwrap(),
            wnet_core::RememberedConnection::disk(
                wnet_core::RemoteName::parse(&down).unwrap(),
                "Microsoft Windows Network",
                0x20000,
            ),
        )
        .unwrap();
    match w.call(Request::Restore { local: None }).unwrap() {
        Reply::Restored { failures } => assert_eq!(failures, [("Z:".to_string(), 53)]),
        other => panic!("{other:?}"),
    }
    assert_eq!(w.cancel_code("Z:", 0, false), 2250, "flags 0: 2250");
    assert!(w.remembered("Z:"), "and the entry stays");
    assert_eq!(
        w.cancel_code("Z:", UPDATE_PROFILE, false),
        0,
        "CONNECT_UPDATE_PROFILE: removed"
    );
    assert!(!w.remembered("Z:"));
}

#[test]
fn p4_update_profile_and_flags_zero() {
    // A guest share, so that a restore needs no saved password.
    let samba = wnet_testkit::SambaBuilder::new()
        .user(DEFAULT_USER, DEFAULT_PASSWORD)
        .global("map to guest", "Bad User")
        .share(
            wnet_testkit::Share::new("rw")
                .option("guest ok", "yes")
                .option("valid users", ""),
        )
        .start()
        .unwrap();
    let w = World::with_settings(
        samba,
        wnet_core::Settings {
            insecure_guest_logons: true,
            ..Default::default()
        },
    );
    let connect_guest = |device: &str, flags: u32| {
        let r = w.call(Request::AddConnection(AddConnectionArgs {
            resource_type: 1,
            local: Some(device.into()),
            remote: w.samba.unc("rw"),
            provider: None,
            user: None,
            password: None,
            flags,
            save_credentials: false,
            ccache: None,
        }));
        assert!(matches!(r, Ok(Reply::Connection(_))), "{r:?}");
    };
    // CONNECT_UPDATE_PROFILE: the entry goes with the connection.
    connect_guest("X:", UPDATE_PROFILE);
    assert!(w.remembered("X:"));
    assert_eq!(w.cancel_code("X:", UPDATE_PROFILE, false), 0);
    assert!(!w.remembered("X:") && !mounted(&w.drive("X")));
    // Flags 0: the connection goes, the persistent entry stays and is restored.
    connect_guest("Y:", UPDATE_PROFILE);
    assert_eq!(w.cancel_code("Y:", 0, false), 0);
    assert!(!mounted(&w.drive("Y")) && w.remembered("Y:"));
    match w.call(Request::Restore { local: None }).unwrap() {
        Reply::Restored { failures } => assert!(failures.is_empty(), "{failures:?}"),
        other => panic!("{other:?}"),
    }
    assert!(mounted(&w.drive("Y")), "restored");
    // A non-persistent connection leaves nothing.
    connect_guest("W:", 0);
    assert_eq!(w.cancel_code("W:", 0, false), 0);
    assert!(!w.remembered("W:") && !mounted(&w.drive("W")));
    // Cancelling by remote name never touches the profile.
    assert_eq!(
        w.cancel_code(&w.samba.unc("rw"), UPDATE_PROFILE, false),
        2250
    );
    assert!(w.remembered("Y:"));
}

#[test]
fn p5_open_files_without_force_is_2401_whoever_holds_them() {
    let w = World::new();
    w.connect(Some("Z:"), "rw", UPDATE_PROFILE);
    let z = w.drive("Z");
    std::fs::write(z.join("doc.txt"), b"contents").unwrap();
    // A descriptor inherited through fork+exec by another process.
    let forked = holder("exec 3<\"$1/doc.txt\"", &z);
    assert_eq!(w.cancel_code("Z:", UPDATE_PROFILE, false), 2401);
    assert!(mounted(&z) && w.remembered("Z:"), "nothing changed");
    std::fs::write(z.join("still-usable.txt"), b"yes").unwrap();
    stop(forked);
    // A dup'ed descriptor whose original is closed.
    let original = std::fs::File::open(z.join("doc.txt")).unwrap();
    let dup = original.try_clone().unwrap();
    drop(original);
    assert_eq!(w.cancel_code("Z:", UPDATE_PROFILE, false), 2401);
    drop(dup);
    // An mmap whose descriptor is closed: the mapping keeps the file open.
    let file = std::fs::File::open(z.join("doc.txt")).unwrap();
    // SAFETY: a private read-only mapping of a file we opened; unmapped below.
    let map = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            8,
            libc::PROT_READ,
            libc::MAP_PRIVATE,
            std::os::fd::AsRawFd::as_raw_fd(&file),
            0,
        )
    };
    assert_ne!(map, libc::MAP_FAILED);
    drop(file);
    // SAFETY: reading 8 bytes of the live mapping.
    assert_eq!(
        unsafe { std::slice::from_raw_parts(map as *const u8, 8) },
        b"contents"
    );
    assert_eq!(w.cancel_code("Z:", UPDATE_PROFILE, false), 2401);
    // SAFETY: unmapping what we mapped.
    unsafe { libc::munmap(map, 8) };
    assert_eq!(
        w.cancel_code("Z:", UPDATE_PROFILE, false),
        0,
        "nothing open any more"
    );
    assert!(!w.remembered("Z:"));
}

#[test]
fn p6_device_in_use_is_2404_and_closed_means_closed() {
    let w = World::new();
    w.connect(Some("Z:"), "rw", 0);
    let z = w.drive("Z");
    let in_drive = holder("cd \"$1\"", &z);
    assert_eq!(w.cancel_code("Z:", 0, false), 2404);
    assert!(mounted(&z));
    stop(in_drive);
    // cd into the drive and out again: the kernel keeps cached entries, but nothing is in use.
    let visited = holder("cd \"$1\" && ls >/dev/null && cd /", &z);
    std::fs::write(z.join("f.txt"), b"x").unwrap();
    // Closed means closed: open, close, cancel at once.
    for _ in 0..20 {
        drop(std::fs::File::open(z.join("f.txt")).unwrap());
    }
    let started = Instant::now();
    assert_eq!(w.cancel_code("Z:", 0, false), 0, "no false 2401/2404");
    assert!(started.elapsed() < Duration::from_secs(2));
    stop(visited);
}

#[test]
fn p7_force_never_loses_a_write() {
    let w = World::new();
    w.connect(Some("Z:"), "rw", 0);
    let path = w.drive("Z").join("big.bin");
    let script = "import os,sys\n\
        fd=os.open(sys.argv[1], os.O_WRONLY|os.O_CREAT|os.O_TRUNC)\n\
        block=bytes((i*7+3)%256 for i in range(1<<20))\n\
        [os.write(fd, block) for _ in range(64)]\n\
        print('ready', flush=True)\n\
        sys.stdin.readline()\n\
        try:\n    os.write(fd, b'late'); print('wrote', flush=True)\n\
        except OSError as e:\n    print('errno', e.errno, flush=True)\n";
    let mut writer = Command::new("python3")
        .args(["-c", script])
        .arg(&path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(writer.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert_eq!(line, "ready\n");
    assert_eq!(w.cancel_code("Z:", 0, false), 2401);
    assert_eq!(w.cancel_code("Z:", 0, true), 0, "forced");
    let expected: Vec<u8> = (0..1usize << 20)
        .map(|i| ((i * 7 + 3) % 256) as u8)
        .collect();
    let server = std::fs::read(w.samba.share_dir("rw").join("big.bin")).unwrap();
    assert_eq!(
        server.len(),
        64 << 20,
        "every byte the application saw written is on the server"
    );
    assert!(
        server.chunks(1 << 20).all(|c| c == expected.as_slice()),
        "byte-identical"
    );
    let started = Instant::now();
    writer.stdin.as_mut().unwrap().write_all(b"go\n").unwrap();
    line.clear();
    out.read_line(&mut line).unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the old descriptor answers at once"
    );
    assert!(
        line == "errno 5\n" || line == "errno 107\n",
        "EIO or ENOTCONN, got {line:?}"
    );
    writer.wait().unwrap();
    assert_eq!(
        w.server_side("rw"),
        (0, 0),
        "no server handle or tree connect is left"
    );
}

#[test]
fn p8_the_refusal_names_who_holds_the_drive() {
    let w = World::new();
    w.connect(Some("Z:"), "rw", 0);
    let z = w.drive("Z");
    std::fs::write(z.join("report.txt"), b"q3").unwrap();
    let h = holder("exec 3<\"$1/report.txt\"", &z);
    let e = w.cancel("Z:", 0, false).unwrap_err();
    assert_eq!(e.win_error().0, 2401);
    let holders: Vec<&str> = e.holders().collect();
    let expected = format!(
        "{}  (pid {}, sleep)",
        z.join("report.txt").display(),
        h.id()
    );
    assert_eq!(holders, [expected.as_str()], "{e}");
    stop(h);
    let h = holder("cd \"$1\"", &z);
    let e = w.cancel("Z:", 0, false).unwrap_err();
    assert_eq!(e.win_error().0, 2404);
    let holders: Vec<&str> = e.holders().collect();
    let expected = format!(
        "{}  (pid {}, sleep, working directory)",
        z.display(),
        h.id()
    );
    assert_eq!(holders, [expected.as_str()], "{e}");
    stop(h);
}

#[test]
fn p9_cancel_racing_with_opens_leaks_nothing() {
    let w = World::new();
    w.connect(Some("Z:"), "rw", 0);
    let z = w.drive("Z");
    for i in 0..8 {
        std::fs::write(z.join(format!("f{i}")), b"data").unwrap();
    }
    let stop_at = Instant::now() + Duration::from_secs(3);
    let reads = std::sync::atomic::AtomicU32::new(0);
    let (opened, failed) = std::thread::scope(|s| {
        let openers: Vec<_> = (0..4)
            .map(|t| {
                let z = z.clone();
                let reads = &reads;
                s.spawn(move || {
                    let (mut ok, mut err) = (0u32, 0u32);
                    while Instant::now() < stop_at {
                        match std::fs::read(z.join(format!("f{}", (ok + err + t) % 8))) {
                            Ok(data) => {
                                assert_eq!(
                                    data, b"data",
                                    "an open counted before the cancel reads its data"
                                );
                                ok += 1;
                                reads.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            }
                            Err(e) => {
                                // After the cancel decided: the drive is gone.
                                assert!(
                                    matches!(
                                        e.raw_os_error(),
                                        Some(libc::ENOENT | libc::ENOTCONN | libc::EIO)
                                    ),
                                    "{e}"
                                );
                                err += 1;
                            }
                        }
                    }
                    (ok, err)
                })
            })
            .collect();
        // The openers are at work before the first cancel.
        while reads.load(std::sync::atomic::Ordering::Relaxed) < 4 && Instant::now() < stop_at {
            std::thread::sleep(Duration::from_millis(1));
        }
        // Non-forced cancels race the openers: each is refused (2401/2404) or succeeds.
        let mut cancelled = false;
        while Instant::now() < stop_at && !cancelled {
            match w.cancel_code("Z:", 0, false) {
                0 => cancelled = true,
                2401 | 2404 => {}
                other => panic!("unexpected {other}"),
            }
        }
        if !cancelled {
            assert_eq!(w.cancel_code("Z:", 0, true), 0);
        }
        openers
            .into_iter()
            .map(|h| h.join().unwrap())
            .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
    });
    assert!(
        opened > 0,
        "the openers ran ({opened} opened, {failed} failed)"
    );
    assert!(!mounted(&z));
    let deadline = Instant::now() + Duration::from_secs(5);
    while w.server_side("rw") != (0, 0) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        w.server_side("rw"),
        (0, 0),
        "no handle or tree connect leaked on the server"
    );
}
