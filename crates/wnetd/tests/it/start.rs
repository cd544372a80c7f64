//! Starting the real daemon on demand: one daemon for racing clients, full detachment, clean
//! stop on SIGTERM.

use std::path::Path;
use std::time::{Duration, Instant};

use wnet_proto::{Client, Paths, Reply, Request};

fn wnetd() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_wnetd"))
}

fn stop(pid: u32, paths: &Paths) {
    // SAFETY: signalling the daemon this test started.
    unsafe { libc::kill(pid as i32, libc::SIGTERM) };
    let deadline = Instant::now() + Duration::from_secs(10);
    while Path::new(&format!("/proc/{pid}")).exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(!paths.socket.exists(), "the socket is removed on SIGTERM");
}

#[test]
fn racing_clients_start_one_daemon() {
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::under(dir.path());
    let pids: Vec<u32> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    Client::connect_with(&paths, wnetd(), "race")
                        .unwrap()
                        .daemon_pid()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(pids.iter().all(|p| *p == pids[0]), "{pids:?}");
    assert_ne!(pids[0], std::process::id());
    let mut c = Client::connect_with(&paths, wnetd(), "again").unwrap();
    assert_eq!(c.daemon_pid(), pids[0]);
    match c.call(&Request::Status).unwrap() {
        Reply::Status(s) => assert_eq!(s.pid, pids[0]),
        other => panic!("{other:?}"),
    }
    assert!(
        paths.log_file.exists(),
        "the detached daemon logs to its log file"
    );
    stop(pids[0], &paths);
}

#[test]
fn the_daemon_holds_none_of_the_callers_descriptors() {
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::under(dir.path());
    // A pipe without close-on-exec, like a shell's `$(...)` capture or a file left open.
    let mut fds = [0; 2];
    // SAFETY: pipe fills two descriptors we own.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    let started = Instant::now();
    let pid = Client::connect_with(&paths, wnetd(), "fds")
        .unwrap()
        .daemon_pid();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "start took {:?}",
        started.elapsed()
    );
    // SAFETY: closing our write end; if the daemon held a copy, the read below would block.
    unsafe { libc::close(fds[1]) };
    let (tx, rx) = std::sync::mpsc::channel();
    let read_end = fds[0];
    std::thread::spawn(move || {
        let mut b = [0u8; 1];
        // SAFETY: reading our own descriptor.
        let n = unsafe { libc::read(read_end, b.as_mut_ptr().cast(), 1) };
        let _ = tx.send(n);
    });
    let n = rx
        .recv_timeout(Duration::from_secs(5))
        .expect("EOF at once: the daemon holds no copy");
    assert_eq!(n, 0);
    let held: Vec<_> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .filter_map(|e| std::fs::read_link(e.unwrap().path()).ok())
        .map(|p| p.display().to_string())
        .collect();
    assert!(
        held.iter().all(|l| !l.starts_with("pipe:")),
        "the daemon holds {held:?}"
    );
    // SAFETY: closing our read end.
    unsafe { libc::close(fds[0]) };
    stop(pid, &paths);
}

#[test]
fn a_stale_socket_is_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::under(dir.path());
    paths.ensure_runtime_dir().unwrap();
    // A socket file nobody listens on, as a killed daemon leaves it.
    drop(std::os::unix::net::UnixListener::bind(&paths.socket).unwrap());
    assert!(paths.socket.exists());
    let pid = Client::connect_with(&paths, wnetd(), "stale")
        .unwrap()
        .daemon_pid();
    assert!(matches!(
        Client::connect_to(&paths.socket, "t")
            .unwrap()
            .call(&Request::Ping)
            .unwrap(),
        Reply::Pong
    ));
    stop(pid, &paths);
}

#[test]
fn a_daemon_that_cannot_start_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::under(dir.path());
    let e = Client::connect_with(&paths, Path::new("/nonexistent/wnetd"), "t").unwrap_err();
    assert_eq!(e.win_error().0, 1222);
    assert!(e.to_string().contains("/nonexistent/wnetd"), "{e}");
}

#[test]
fn a_daemon_whose_socket_is_gone_exits() {
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::under(dir.path());
    let pid = Client::connect_with(&paths, wnetd(), "orphan")
        .unwrap()
        .daemon_pid();
    std::fs::remove_dir_all(&paths.runtime_dir).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Path::new(&format!("/proc/{pid}/exe")).exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        !Path::new(&format!("/proc/{pid}/exe")).exists(),
        "nobody can reach it: it exits"
    );
}
