//! Client connections: found by their smbd child, dropped on demand.

use std::io::Read;
use std::net::TcpStream;
use std::thread;
use std::time::{Duration, Instant};

use wnet_testkit::Samba;

use crate::show;

/// Polls `f` every 20 ms until it returns `Some`, for at most 10 s.
fn eventually<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        thread::sleep(Duration::from_millis(20));
    }
}

/// The parent pid from `/proc/PID/stat` (the field after the state, after the `(comm)`).
fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn no_clients_no_pids() {
    let samba = Samba::start_default();
    assert_eq!(samba.client_pids(), Vec::<u32>::new());
    samba.kill_clients(); // nothing to do, must not hang or kill the server
    let out = samba.smbclient("ro", "ls");
    assert!(out.status.success(), "{}", show(&out));
}

#[test]
fn a_tcp_connection_gets_a_child_and_kill_clients_drops_it() {
    let samba = Samba::start_default();
    let mut stream = TcpStream::connect((samba.host(), samba.port())).unwrap();
    let pids = eventually("the client's smbd child", || {
        Some(samba.client_pids()).filter(|p| !p.is_empty())
    });
    assert_eq!(pids.len(), 1, "{pids:?}");
    assert_ne!(pids[0], samba.pid());
    assert_eq!(parent_of(pids[0]), Some(samba.pid()));

    samba.kill_clients();

    // The child is gone (or a zombie awaiting smbd's wait), and the connection is closed.
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", pids[0])).unwrap_or_default();
    assert!(stat.is_empty() || stat.contains(") Z "), "{stat}");
    assert!(samba.client_pids().is_empty());
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut buf = [0u8; 16];
    match stream.read(&mut buf) {
        Ok(0) => {}
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
        other => panic!("connection still open after kill_clients: {other:?}"),
    }

    // The server itself still serves.
    let out = samba.smbclient("ro", "ls");
    assert!(out.status.success(), "{}", show(&out));
}

#[test]
fn kill_clients_drops_a_live_smbclient() {
    let samba = Samba::start_default();
    let (user, password) = samba.user();
    // An smbclient that stays connected: it waits for commands on a pipe we never close.
    let mut client = std::process::Command::new("smbclient")
        .arg("-p")
        .arg(samba.port().to_string())
        .arg(format!("//{}/rw", samba.host()))
        .arg("-U")
        .arg(format!("{user}%{password}"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdin = client.stdin.take();
    let pids = eventually("smbclient's smbd child", || {
        Some(samba.client_pids()).filter(|p| !p.is_empty())
    });
    assert_eq!(pids.len(), 1);
    samba.kill_clients();
    assert!(samba.client_pids().is_empty());
    for pid in &pids {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        assert!(stat.is_empty() || stat.contains(") Z "), "{stat}");
    }
    drop(stdin);
    client.wait().unwrap();
}

#[test]
fn two_clients_two_children() {
    let samba = Samba::start_default();
    let _a = TcpStream::connect((samba.host(), samba.port())).unwrap();
    let _b = TcpStream::connect((samba.host(), samba.port())).unwrap();
    let pids = eventually("two children", || {
        Some(samba.client_pids()).filter(|p| p.len() == 2)
    });
    assert_ne!(pids[0], pids[1]);
    samba.kill_clients();
    assert!(samba.client_pids().is_empty());
}
