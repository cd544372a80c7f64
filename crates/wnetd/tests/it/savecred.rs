//! `/SAVECRED`: a password saved in the session's Secret Service (GNOME Keyring under
//! `dbus-run-session`) is used to restore the drive when the daemon starts again; without a
//! Secret Service the connection is made and the caller is told the password was not saved.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use wnet_core::ConnectionStatus;
use wnet_proto::{AddConnectionArgs, Client, Paths, Reply, Request};
use wnet_testkit::{DEFAULT_PASSWORD, DEFAULT_USER, Samba};

const CHILD: &str = "WNET_SAVECRED_IN_SESSION";

fn wnetd() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_wnetd"))
}

fn connect(c: &mut Client, device: &str, unc: &str, save: bool) -> wnet_proto::ConnectionInfo {
    match c
        .call(&Request::AddConnection(AddConnectionArgs {
            resource_type: 1,
            local: Some(device.into()),
            remote: unc.into(),
            provider: None,
            user: Some(DEFAULT_USER.into()),
            password: Some(wnet_core::Secret::new(DEFAULT_PASSWORD)),
            flags: wnet_core::ConnectFlags::UPDATE_PROFILE.bits(),
            save_credentials: save,
            ccache: None,
        }))
        .unwrap()
    {
        Reply::Connection(info) => info,
        other => panic!("{other:?}"),
    }
}

fn status_of(c: &mut Client, device: &str) -> Option<ConnectionStatus> {
    match c.call(&Request::List).unwrap() {
        Reply::Listing { connections, .. } => connections
            .into_iter()
            .find(|r| r.local.map(|l| l.to_string()).as_deref() == Some(device))
            .map(|r| r.status),
        other => panic!("{other:?}"),
    }
}

fn kill(pid: u32, signal: i32) {
    // SAFETY: signalling a daemon this test started.
    unsafe { libc::kill(pid as i32, signal) };
    let deadline = Instant::now() + Duration::from_secs(15);
    while Path::new(&format!("/proc/{pid}/exe")).exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Run directly, it starts a D-Bus session with an unlocked GNOME Keyring and runs itself
/// inside it; inside, it saves a password, kills the daemon, and sees the restore use it.
#[test]
fn a_saved_password_restores_the_drive() {
    if std::env::var_os(CHILD).is_none() {
        let home = tempfile::tempdir().unwrap();
        let exe = std::env::current_exe().unwrap();
        let out = Command::new("dbus-run-session")
            .arg("--")
            .arg("sh")
            .arg("-c")
            .arg(
                "printf keyring-pass | gnome-keyring-daemon --daemonize --unlock --components=secrets >/dev/null \
                 && exec \"$0\" --exact savecred::a_saved_password_restores_the_drive --test-threads=1 --nocapture",
            )
            .arg(exe)
            .env(CHILD, "1")
            .env("HOME", home.path())
            .env("XDG_DATA_HOME", home.path().join("data"))
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "the flow in a D-Bus session failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("1 passed"),
            "the flow ran"
        );
        return;
    }
    let saved_server = Samba::start_default();
    let other_server = Samba::start_default();
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::under(dir.path());
    let mut c = Client::connect_with(&paths, wnetd(), "savecred").unwrap();
    let info = connect(&mut c, "S:", &saved_server.unc("rw"), true);
    assert_eq!(info.notice, None, "saved");
    connect(&mut c, "N:", &other_server.unc("rw"), false);
    kill(c.daemon_pid(), libc::SIGKILL);
    let mut c = Client::connect_with(&paths, wnetd(), "savecred").unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    while status_of(&mut c, "S:") != Some(ConnectionStatus::Ok) {
        assert!(
            Instant::now() < deadline,
            "S: was not restored with its saved password"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        status_of(&mut c, "N:"),
        Some(ConnectionStatus::Unavailable),
        "no saved password: not restored"
    );
    std::fs::write(
        paths.drive_root.join("S").join("restored.txt"),
        b"after restore",
    )
    .unwrap();
    assert_eq!(
        std::fs::read(saved_server.share_dir("rw").join("restored.txt")).unwrap(),
        b"after restore"
    );
    kill(c.daemon_pid(), libc::SIGTERM);
}

#[test]
fn without_a_secret_service_the_connection_is_made_and_the_caller_told() {
    let samba = Samba::start_default();
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::under(dir.path());
    let daemon = wnetd::BackgroundDaemon::start(paths.clone()).unwrap();
    // The test process has no D-Bus session (CI runs without one); make sure of it.
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none(),
        "run without a D-Bus session"
    );
    let mut c = Client::connect_to(&paths.socket, "savecred").unwrap();
    let info = connect(&mut c, "S:", &samba.unc("rw"), true);
    let notice = info.notice.expect("a notice");
    assert!(
        notice.starts_with("The password was not saved: this session has no Secret Service"),
        "{notice}"
    );
    assert_eq!(info.status, ConnectionStatus::Ok);
    drop(daemon);
}
