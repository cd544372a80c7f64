//! The daemon serves many clients fairly: idle connections cannot take every slot, other uids
//! cannot take its user's slots (nor make it read much), and an enumeration belongs to the
//! connection that opened it.

use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::time::Duration;

use wnet_proto::frame::{encode, read_frame};
use wnet_proto::{Hello, HelloReply, Reply, Request, Response};
use wnetd::server::{FOREIGN_SLOTS, MAX_CLIENTS};

use crate::fixture::TestDaemon;

fn welcomed(d: &TestDaemon) -> UnixStream {
    welcomed_at(&d.paths.socket)
}

/// A connection to the daemon at `socket`, past the hello.
fn welcomed_at(socket: &std::path::Path) -> UnixStream {
    let mut s = UnixStream::connect(socket).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    s.write_all(&encode(&Hello::new("idle"))).unwrap();
    assert!(matches!(
        read_frame::<HelloReply>(&mut s).unwrap(),
        HelloReply::Welcome { .. }
    ));
    s
}

fn call(s: &mut UnixStream, request: &Request) -> Response {
    s.write_all(&encode(request)).unwrap();
    read_frame(s).unwrap()
}

/// Opens an enumeration of the remembered connections on `s`.
fn open_remembered(s: &mut UnixStream) -> u64 {
    let open = Request::OpenEnum {
        scope: 3,
        resource_type: 0,
        usage: 0,
        container: None,
    };
    match call(s, &open) {
        Ok(Reply::EnumOpened { handle }) => handle,
        other => panic!("no enumeration: {other:?}"),
    }
}

#[test]
fn a_connection_idle_past_the_timeout_is_closed_unless_it_holds_an_enumeration() {
    let dir = tempfile::tempdir().unwrap();
    let paths = wnet_proto::Paths::under(dir.path());
    remember_q(&paths);
    let limits = wnetd::server::Limits {
        idle_timeout: Duration::from_millis(500),
    };
    let _daemon = wnetd::BackgroundDaemon::with_limits(
        paths.clone(),
        wnet_core::Router::new(Vec::new()),
        limits,
    )
    .unwrap();
    let mut holder = welcomed_at(&paths.socket);
    let handle = open_remembered(&mut holder);
    let mut idle = welcomed_at(&paths.socket);
    let started = std::time::Instant::now();
    let mut rest = Vec::new();
    idle.read_to_end(&mut rest).expect("closed by the daemon");
    assert!(started.elapsed() >= Duration::from_millis(400));
    // The holder outlived that (its handle lives in it) and is still served.
    let page = call(&mut holder, &Request::EnumNext { handle, max: None });
    assert!(
        matches!(page, Ok(Reply::Resources { ref items }) if items.len() == 1),
        "{page:?}"
    );
}

fn remember_q(paths: &wnet_proto::Paths) {
    wnet_core::ProfileStore::new(paths.profile.clone())
        .remember(
            wnet_core::LocalName::parse("Q:").unwrap(),
            wnet_core::RememberedConnection::disk(
                wnet_core::RemoteName::parse(r"\\files\team").unwrap(),
                "Microsoft Windows Network",
                0x20000,
            ),
        )
        .unwrap();
}

#[test]
fn idle_connections_in_every_slot_make_room_for_a_new_client() {
    let d = TestDaemon::start();
    let mut idle: Vec<_> = (0..MAX_CLIENTS).map(|_| welcomed(&d)).collect();
    // One more client: the daemon closes the idle ones to serve it.
    assert!(matches!(d.call(Request::Ping).unwrap(), Reply::Pong));
    let mut rest = Vec::new();
    idle[0]
        .read_to_end(&mut rest)
        .expect("an idle connection was closed");
}

#[test]
fn a_connection_with_an_open_enumeration_is_not_closed_for_room() {
    let d = TestDaemon::start();
    d.remember("Q:", r"\\files\team");
    let mut holder = welcomed(&d);
    let handle = open_remembered(&mut holder);
    let _idle: Vec<_> = (0..MAX_CLIENTS - 1).map(|_| welcomed(&d)).collect();
    assert!(matches!(d.call(Request::Ping).unwrap(), Reply::Pong));
    let page = call(&mut holder, &Request::EnumNext { handle, max: None });
    assert!(
        matches!(page, Ok(Reply::Resources { ref items }) if items.len() == 1),
        "{page:?}"
    );
}

#[test]
fn an_enumeration_is_usable_only_by_the_connection_that_opened_it() {
    let d = TestDaemon::start();
    d.remember("Q:", r"\\files\team");
    d.remember("R:", r"\\files\other");
    let mut owner = welcomed(&d);
    let mut other = welcomed(&d);
    let handle = open_remembered(&mut owner);
    let next = Request::EnumNext {
        handle,
        max: Some(1),
    };
    assert_eq!(call(&mut other, &next).unwrap_err().code, 6, "read");
    assert_eq!(
        call(&mut other, &Request::CloseEnum { handle })
            .unwrap_err()
            .code,
        6,
        "close"
    );
    assert!(
        matches!(call(&mut owner, &next), Ok(Reply::Resources { ref items }) if items.len() == 1)
    );
    assert!(
        matches!(call(&mut owner, &next), Ok(Reply::Resources { ref items }) if items.len() == 1)
    );
    assert!(matches!(
        call(&mut owner, &Request::CloseEnum { handle }),
        Ok(Reply::Done)
    ));
}

#[test]
fn other_uids_get_their_own_few_slots_and_are_not_read_beyond_a_small_hello() {
    let d = TestDaemon::start();
    // Let the other user reach the socket, so that only the daemon's checks stand.
    for dir in [
        d.dir.path(),
        &d.dir.path().join("run"),
        &d.paths.runtime_dir,
    ] {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    std::fs::set_permissions(&d.paths.socket, std::fs::Permissions::from_mode(0o666)).unwrap();
    // The other user holds many silent connections, and sends a huge frame on one more.
    let script = format!(
        r#"
import socket, struct, time
path = {:?}
def connect():
    # A full accept queue answers EAGAIN: try again (the daemon drains it).
    for _ in range(3000):
        s = socket.socket(socket.AF_UNIX)
        try:
            s.connect(path)
            return s
        except (BlockingIOError, ConnectionRefusedError):
            s.close()
            time.sleep(0.01)
    raise SystemExit('cannot connect')
held = [connect() for _ in range({})]
s = connect()
s.settimeout(30)
sent = 0
try:
    # Closed unanswered (all foreign slots taken) or refused past 4 KiB: either way the
    # daemon stops reading, and the send may fail.
    s.sendall(struct.pack('>I', 1000000))
    while sent < 1000000:
        sent += s.send(b'x' * 65536)
except OSError:
    pass
try:
    print('answer', len(s.recv(65536)))
except OSError:
    print('answer', 0)
print('ready', flush=True)
input()
"#,
        d.paths.socket.display().to_string(),
        4 * FOREIGN_SLOTS + 16
    );
    let mut intruder = wnet_testkit::as_user(wnet_testkit::DEFAULT_USER, "python3")
        .args(["-c", &script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(intruder.stdout.take().unwrap());
    let mut answer = String::new();
    std::io::BufRead::read_line(&mut out, &mut answer).unwrap();
    if answer.is_empty() {
        let out = intruder.wait_with_output().unwrap();
        panic!(
            "the intruder failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // The oversized hello was refused by closing: nothing was answered to it.
    assert_eq!(answer, "answer 0\n");
    // While the intruder holds its connections, the owner is served.
    std::fs::set_permissions(&d.paths.runtime_dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    assert!(matches!(d.call(Request::Ping).unwrap(), Reply::Pong));
    intruder.stdin.take().unwrap().write_all(b"\n").unwrap();
    assert!(intruder.wait().unwrap().success());
}
