//! What other local users can learn from or do to `wnet`: its command line, and a daemon
//! socket they could have planted.

use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixListener;
use std::process::{Command, Stdio};

fn wnet(runtime: &std::path::Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wnet"));
    cmd.args(args)
        .env("XDG_RUNTIME_DIR", runtime)
        .env("WNETD", "/nonexistent/no-daemon-is-started-here")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

#[test]
fn a_password_argument_is_gone_from_proc_cmdline_while_connecting() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    std::fs::create_dir_all(run.join("wnet")).unwrap();
    std::fs::set_permissions(run.join("wnet"), std::fs::Permissions::from_mode(0o700)).unwrap();
    // Our own listener on the daemon's socket: the client trusts it (our uid, our 0700
    // directory) and sends its hello, by which time the command line has been parsed.
    let listener = UnixListener::bind(run.join("wnet/wnetd.sock")).unwrap();
    let password = "s3cret-Pa55-in-argv";
    let child = wnet(
        &run,
        &["use", "Z:", r"\\127.0.0.1\share", password, "/USER:someone"],
    )
    .env("HOME", dir.path())
    .spawn()
    .unwrap();
    let (mut conn, _) = listener.accept().unwrap();
    let mut len = [0u8; 4];
    conn.read_exact(&mut len).unwrap();
    let mut hello = vec![0u8; u32::from_be_bytes(len) as usize];
    conn.read_exact(&mut hello).unwrap();
    assert!(String::from_utf8_lossy(&hello).contains("\"client\""));
    // The process is alive and waiting for the daemon's answer.
    let cmdline = std::fs::read(format!("/proc/{}/cmdline", child.id())).unwrap();
    // No daemon here after all: the client's retries find nobody listening.
    drop(listener);
    drop(conn);
    let out = child.wait_with_output().unwrap();
    let args: Vec<String> = cmdline
        .split(|&b| b == 0)
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    assert!(
        !args.iter().any(|a| a.contains(password)),
        "the password is readable: {args:?}"
    );
    assert_eq!(args[1..4], ["use", "Z:", r"\\127.0.0.1\share"], "{args:?}");
    assert!(args.iter().any(|a| a == "/USER:someone"), "{args:?}");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_socket_directory_others_can_enter_is_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    std::fs::create_dir_all(run.join("wnet")).unwrap();
    std::fs::set_permissions(run.join("wnet"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let _listener = UnixListener::bind(run.join("wnet/wnetd.sock")).unwrap();
    let out = wnet(&run, &["use", "Z:", r"\\127.0.0.1\share", "pw"])
        .env("HOME", dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr,
        format!(
            "System error 5 has occurred.\n\nAccess is denied.\nwnet: not trusting wnetd's \
             socket: {} has mode 755; it must be 0700 so no other user can plant a socket in \
             it (chmod 700 it)\n",
            run.join("wnet").display()
        )
    );
    assert_eq!(out.status.code(), Some(2));
}
