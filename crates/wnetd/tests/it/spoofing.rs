//! Another local user impersonating the daemon: the client checks the socket's directory and
//! the peer's uid before it sends anything, and the socket's default place cannot be squatted.
//!
//! The impostor is a real process of another user (`python3` run as `wnettest`) listening on a
//! Unix socket; it reports, per connection it accepted, how many bytes it received.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::Duration;

use wnet_core::{ErrorKind, Secret};
use wnet_proto::{AddConnectionArgs, Client, Paths, Reply, Request};
use wnet_testkit::{DEFAULT_USER, TEST_USER2};

/// Accepts connections on argv[1] until one sends exactly `END`; then prints the byte count of
/// every earlier connection.
const IMPOSTOR: &str = r#"
import socket, sys, os
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o777)
s.listen(16)
print('ready', flush=True)
got = []
while True:
    c, _ = s.accept()
    c.settimeout(60)
    data = b''
    try:
        while data != b'END':
            b = c.recv(65536)
            if not b:
                break
            data += b
    except OSError:
        pass
    if data == b'END':
        break
    got.append(len(data))
print('got', *got, flush=True)
"#;

struct Impostor {
    child: Child,
    socket: PathBuf,
}

impl Impostor {
    /// Listens at `socket` as `user`, once it is ready.
    fn listen(user: &str, socket: &Path) -> Impostor {
        let mut child = wnet_testkit::as_user(user, "python3")
            .args(["-c", IMPOSTOR])
            .arg(socket)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().unwrap())
            .read_line(&mut line)
            .unwrap();
        if line != "ready\n" {
            let out = child.wait_with_output().unwrap();
            panic!(
                "the impostor did not start: {line}{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Impostor {
            child,
            socket: socket.to_path_buf(),
        }
    }

    /// Ends it; the byte counts of the connections it accepted, in order.
    fn finish(self, now_at: &Path) -> String {
        let mut end = UnixStream::connect(now_at).unwrap();
        end.write_all(b"END").unwrap();
        drop(end);
        let out = self.child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let _ = std::fs::remove_file(&self.socket);
        stdout.trim_end().to_owned()
    }
}

/// A directory the other user owns (mode 0755), inside a temp dir it can reach.
fn their_dir(base: &Path, user: &str) -> PathBuf {
    let dir = base.join(user);
    make_theirs(&dir, user);
    dir
}

fn make_theirs(dir: &Path, user: &str) {
    std::fs::create_dir(dir).unwrap();
    let chown = std::process::Command::new("chown")
        .arg(user)
        .arg(dir)
        .status()
        .unwrap();
    assert!(chown.success());
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn reachable_tempdir() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    tmp
}

fn add_with_password() -> Request {
    Request::AddConnection(AddConnectionArgs {
        resource_type: 1,
        local: Some("Z:".into()),
        remote: r"\\127.0.0.1@1\share".into(),
        provider: None,
        user: Some("victim".into()),
        password: Some(Secret::new("the-victims-password")),
        flags: 0,
        save_credentials: false,
        ccache: None,
    })
}

#[test]
fn a_socket_in_another_users_directory_is_refused_before_a_byte_is_sent() {
    let tmp = reachable_tempdir();
    let theirs = their_dir(tmp.path(), DEFAULT_USER);
    // The victim's runtime directory is the impostor's: as if XDG_RUNTIME_DIR pointed there.
    let paths = Paths {
        runtime_dir: theirs.clone(),
        socket: theirs.join("wnetd.sock"),
        ..Paths::under(tmp.path())
    };
    let impostor = Impostor::listen(DEFAULT_USER, &paths.socket);
    // Neither a plain connect nor one that may start the daemon talks to it.
    let e = Client::connect_to(&paths.socket, "victim").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AccessDenied, "{e}");
    assert!(e.to_string().contains("not to you"), "{e}");
    let e = Client::connect_with(&paths, Path::new(env!("CARGO_BIN_EXE_wnetd")), "victim")
        .and_then(|mut c| c.call(&add_with_password()))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AccessDenied, "{e}");
    assert_eq!(
        impostor.finish(&paths.socket),
        "got",
        "it was never contacted"
    );
}

#[test]
fn a_socket_of_another_uid_in_our_own_directory_is_refused_by_its_credentials() {
    let tmp = reachable_tempdir();
    let theirs = their_dir(tmp.path(), DEFAULT_USER);
    // A socket another user serves, moved into our own private directory (the directory check
    // passes; only the peer's credentials can tell).
    let paths = Paths::under(tmp.path());
    wnet_proto::paths::ensure_private_dir(&paths.runtime_dir).unwrap();
    let impostor = Impostor::listen(DEFAULT_USER, &theirs.join("s"));
    std::fs::rename(theirs.join("s"), &paths.socket).unwrap();
    let e = Client::connect_to(&paths.socket, "victim").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AccessDenied, "{e}");
    let uid = std::fs::metadata(&theirs).unwrap();
    assert!(
        e.to_string().contains(&format!(
            "served by uid {}",
            std::os::unix::fs::MetadataExt::uid(&uid)
        )),
        "{e}"
    );
    assert_eq!(
        impostor.finish(&paths.socket),
        "got 0",
        "it was connected to (to learn its uid) but sent nothing"
    );
}

const CHILD: &str = "WNET_TEST_SQUATTED_VICTIM";
/// The daemon binary the victim starts: a copy it can reach (see `StagedPrograms`).
const CHILD_WNETD: &str = "WNET_TEST_SQUATTED_VICTIM_WNETD";

/// The victim's side of the squatting test: with no `XDG_RUNTIME_DIR`, reach (starting it) the
/// user's own daemon and send a password. Run directly, it does the same for whoever runs the
/// tests, in a private home.
#[test]
fn victim_flow() {
    let tmp = tempfile::tempdir().unwrap();
    let home = match std::env::var_os(CHILD) {
        Some(_) => PathBuf::from(std::env::var_os("HOME").unwrap()),
        None => tmp.path().to_path_buf(),
    };
    let expected = Paths {
        runtime_dir: home.join(".local/state/wnet/run"),
        socket: home.join(".local/state/wnet/run/wnetd.sock"),
        state_dir: home.join(".local/state/wnet"),
        log_file: home.join(".local/state/wnet/wnetd.log"),
        profile: home.join(".config/wnet/profile.toml"),
        drive_root: home.join("Network"),
    };
    // As another user, the environment is the one the squatting test set up (no XDG_*): the
    // places must be those under HOME. The daemon started with `env()` (which names no
    // runtime dir) computes the same.
    let paths = if std::env::var_os(CHILD).is_some() {
        let from_env = Paths::from_env().unwrap();
        assert_eq!(from_env, expected);
        from_env
    } else {
        expected
    };
    assert!(paths.env().iter().all(|(k, _)| *k != "XDG_RUNTIME_DIR"));
    let wnetd = std::env::var_os(CHILD_WNETD)
        .map_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_wnetd")), PathBuf::from);
    let mut c = Client::connect_with(&paths, &wnetd, "victim").unwrap();
    let pid = c.daemon_pid();
    let status = c.call(&Request::Status).unwrap();
    let Reply::Status(status) = status else {
        panic!("{status:?}")
    };
    assert_eq!(Path::new(&status.socket), paths.socket);
    // The password goes to our own daemon (no provider takes this name: an error, not a leak).
    let _ = c.call(&add_with_password());
    // SAFETY: stopping the daemon this flow started.
    unsafe { libc::kill(pid as i32, libc::SIGTERM) };
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while Path::new(&format!("/proc/{pid}")).exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn a_squatter_in_tmp_cannot_catch_a_user_without_xdg_runtime_dir() {
    wnet_testkit::ensure_system_user(TEST_USER2).unwrap();
    let victim_uid = wnet_testkit::as_user(TEST_USER2, "id")
        .arg("-u")
        .output()
        .unwrap();
    let victim_uid = String::from_utf8_lossy(&victim_uid.stdout)
        .trim()
        .to_owned();
    // The old fallback, /tmp/wnet-<uid>, taken first by another user with a listener in it.
    let squat = PathBuf::from(format!("/tmp/wnet-{victim_uid}"));
    let _ = std::fs::remove_dir_all(&squat);
    make_theirs(&squat, DEFAULT_USER);
    let impostor = Impostor::listen(DEFAULT_USER, &squat.join("wnetd.sock"));
    let home = reachable_tempdir();
    let victim_home = their_dir(home.path(), TEST_USER2);
    // The checkout may sit in a 0700 home: the victim runs copies of the binaries.
    let exe = std::env::current_exe().unwrap();
    let wnetd = Path::new(env!("CARGO_BIN_EXE_wnetd"));
    let staged = wnet_testkit::StagedPrograms::copy(&[&exe, wnetd]);
    let out = staged
        .as_user(TEST_USER2, &exe)
        .args(["--exact", "spoofing::victim_flow", "--test-threads=1"])
        .env(CHILD, "1")
        .env(CHILD_WNETD, staged.path(wnetd))
        .env("HOME", &victim_home)
        .env_remove("XDG_RUNTIME_DIR")
        .env_remove("XDG_STATE_HOME")
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("WNET_DRIVE_ROOT")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let result = impostor.finish(&squat.join("wnetd.sock"));
    let _ = std::fs::remove_dir_all(&squat);
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).contains("1 passed"),
        "the victim's flow failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(result, "got", "the squatter was never contacted");
}
