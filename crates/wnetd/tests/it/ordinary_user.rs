//! An ordinary (non-root) user: the client starts the user's own daemon, which mounts the drive
//! (and a printer port) through fusermount3; root cannot enter that drive (no allow_other).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use wnet_proto::{AddConnectionArgs, Client, Paths, Reply, Request};
use wnet_testkit::{DEFAULT_PASSWORD, DEFAULT_USER, PRINTER, Samba, StagedPrograms};

const CHILD: &str = "WNET_TEST_USER_FLOW_UNC";
const CHILD_BASE: &str = "WNET_TEST_USER_FLOW_BASE";
/// The daemon binary the child starts: a copy it can reach (see `StagedPrograms`).
const CHILD_WNETD: &str = "WNET_TEST_USER_FLOW_WNETD";

/// Connects Z: (starting the daemon), writes through the drive, cancels. Run directly it runs as
/// whoever runs the tests against its own Samba; the ordinary-user test runs it as that user.
#[test]
fn user_flow() {
    let tmp = tempfile::tempdir().unwrap();
    let (_samba, unc, base) = match (std::env::var(CHILD), std::env::var(CHILD_BASE)) {
        (Ok(unc), Ok(base)) => (None, unc, PathBuf::from(base)),
        _ => {
            let samba = Samba::start_with_printer();
            let unc = samba.unc("rw");
            (Some(samba), unc, tmp.path().to_path_buf())
        }
    };
    let paths = Paths::under(&base);
    let wnetd = std::env::var_os(CHILD_WNETD)
        .map_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_wnetd")), PathBuf::from);
    let mut c = Client::connect_with(&paths, &wnetd, "user-flow").unwrap();
    let daemon_uid = std::fs::read_to_string(format!("/proc/{}/status", c.daemon_pid()))
        .unwrap()
        .lines()
        .find(|l| l.starts_with("Uid:"))
        .and_then(|l| l.split_whitespace().nth(1).map(str::to_owned))
        .unwrap();
    // SAFETY: getuid cannot fail.
    assert_eq!(
        daemon_uid,
        unsafe { libc::getuid() }.to_string(),
        "the daemon runs as its user"
    );
    let connect = |c: &mut Client, device: &str, remote: String, resource_type: u32| {
        let reply = c
            .call(&Request::AddConnection(AddConnectionArgs {
                resource_type,
                local: Some(device.into()),
                remote,
                provider: None,
                user: Some(DEFAULT_USER.into()),
                password: Some(wnet_core::Secret::new(DEFAULT_PASSWORD)),
                flags: 0,
                save_credentials: false,
                ccache: None,
            }))
            .unwrap();
        assert!(matches!(reply, Reply::Connection(_)));
    };
    connect(&mut c, "Z:", unc.clone(), 1);
    let drive = paths.drive_root.join("Z");
    std::fs::write(
        drive.join("from-user.txt"),
        b"written by an ordinary user\n",
    )
    .unwrap();
    assert_eq!(
        std::fs::read(drive.join("from-user.txt")).unwrap(),
        b"written by an ordinary user\n"
    );
    assert!(matches!(
        c.call(&Request::CancelConnection {
            name: "Z:".into(),
            flags: 1,
            force: false
        })
        .unwrap(),
        Reply::Done
    ));
    // A printer port: fusermount3 mounts on the port's (regular, user-owned) file.
    let (server, _) = unc.rsplit_once('\\').unwrap();
    connect(&mut c, "LPT1:", format!("{server}\\{PRINTER}"), 2);
    let port = paths.drive_root.join("LPT1");
    std::fs::write(&port, b"printed by an ordinary user\n").unwrap();
    assert!(matches!(
        c.call(&Request::CancelConnection {
            name: "LPT1:".into(),
            flags: 1,
            force: false
        })
        .unwrap(),
        Reply::Done
    ));
    assert!(!port.exists(), "the port file goes with the connection");
    let pid = c.daemon_pid();
    // SAFETY: signalling the daemon this flow started.
    unsafe { libc::kill(pid as i32, libc::SIGTERM) };
    for _ in 0..500 {
        if !Path::new(&format!("/proc/{pid}")).exists() {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn an_ordinary_user_gets_a_daemon_and_a_drive() {
    let samba = Samba::start_with_printer();
    wnet_testkit::ensure_system_user(DEFAULT_USER).unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let base = dir.path().join("home");
    std::fs::create_dir(&base).unwrap();
    let chown = std::process::Command::new("chown")
        .arg(DEFAULT_USER)
        .arg(&base)
        .status()
        .unwrap();
    assert!(chown.success());
    // The checkout may sit in a 0700 home: the user runs copies of the binaries.
    let exe = std::env::current_exe().unwrap();
    let wnetd = Path::new(env!("CARGO_BIN_EXE_wnetd"));
    let staged = StagedPrograms::copy(&[&exe, wnetd]);
    let out = staged
        .as_user(DEFAULT_USER, &exe)
        .args([
            "--exact",
            "ordinary_user::user_flow",
            "--test-threads=1",
            "--nocapture",
        ])
        .env(CHILD, samba.unc("rw"))
        .env(CHILD_BASE, &base)
        .env(CHILD_WNETD, staged.path(wnetd))
        .env("HOME", &base)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the flow as {DEFAULT_USER} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("1 passed"),
        "the flow ran"
    );
    assert_eq!(
        std::fs::read(samba.share_dir("rw").join("from-user.txt")).unwrap(),
        b"written by an ordinary user\n"
    );
    assert_eq!(
        samba.wait_printed(PRINTER, 1, Duration::from_secs(20)),
        vec![b"printed by an ordinary user\n".to_vec()]
    );
}
