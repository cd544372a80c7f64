//! The handshake, framing limits and the peer check: a bad client is dropped, others go on.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;

use wnet_proto::frame::{encode, read_frame};
use wnet_proto::{Hello, HelloReply, Reply, Request};

use crate::fixture::TestDaemon;

fn raw(d: &TestDaemon) -> UnixStream {
    let s = UnixStream::connect(&d.paths.socket).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    s
}

fn hello(s: &mut UnixStream) {
    s.write_all(&encode(&Hello::new("raw"))).unwrap();
    assert!(matches!(
        read_frame::<HelloReply>(s).unwrap(),
        HelloReply::Welcome { .. }
    ));
}

/// Reads until EOF: the daemon closed this connection.
fn assert_closed(s: &mut UnixStream) {
    let mut rest = Vec::new();
    s.read_to_end(&mut rest)
        .expect("the daemon closes the connection");
}

#[test]
fn ping_and_listing_over_the_socket() {
    let d = TestDaemon::start();
    assert!(matches!(d.call(Request::Ping).unwrap(), Reply::Pong));
    match d.call(Request::List).unwrap() {
        Reply::Listing {
            save_connections,
            connections,
        } => {
            assert!(
                save_connections,
                "new connections are remembered by default"
            );
            assert!(connections.is_empty());
        }
        other => panic!("{other:?}"),
    }
    let mut c = d.client();
    assert_eq!(c.daemon_pid(), std::process::id());
    for _ in 0..3 {
        assert!(
            matches!(c.call(&Request::Ping).unwrap(), Reply::Pong),
            "one client, many requests"
        );
    }
}

#[test]
fn another_protocol_version_is_refused_with_a_clear_message() {
    let d = TestDaemon::start();
    let mut s = raw(&d);
    let mut old = Hello::new("wnet 0.0.1");
    old.version = 99;
    s.write_all(&encode(&old)).unwrap();
    match read_frame::<HelloReply>(&mut s).unwrap() {
        HelloReply::Refused { version, message } => {
            assert_eq!(version, wnet_proto::PROTOCOL_VERSION);
            assert!(message.contains("version 99"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert_closed(&mut s);
    assert!(matches!(d.call(Request::Ping).unwrap(), Reply::Pong));
}

#[test]
fn malformed_oversized_and_truncated_frames_drop_only_that_client() {
    let d = TestDaemon::start();
    let mut bystander = d.client();
    let bad_frames: Vec<Vec<u8>> = vec![
        {
            let mut f = 7u32.to_be_bytes().to_vec();
            f.extend_from_slice(b"garbage");
            f
        },
        (wnet_proto::MAX_FRAME + 1).to_be_bytes().to_vec(),
        u32::MAX.to_be_bytes().to_vec(),
        encode(&serde_json::json!({"op": "no_such_operation"})),
        encode(&serde_json::json!({"op": "cancel_connection", "name": 5})),
    ];
    for frame in bad_frames {
        let mut s = raw(&d);
        hello(&mut s);
        s.write_all(&frame).unwrap();
        assert_closed(&mut s);
        assert!(matches!(
            bystander.call(&Request::Ping).unwrap(),
            Reply::Pong
        ));
    }
    // Garbage instead of a hello, and a hello cut short.
    let mut s = raw(&d);
    s.write_all(b"\x00\x00\x00\x03abc").unwrap();
    assert_closed(&mut s);
    let mut s = raw(&d);
    s.write_all(b"\x00\x00\x01\x00{").unwrap();
    drop(s);
    assert!(matches!(
        bystander.call(&Request::Ping).unwrap(),
        Reply::Pong
    ));
}

#[test]
fn the_socket_is_0600_in_a_0700_dir() {
    use std::os::unix::fs::PermissionsExt;
    let d = TestDaemon::start();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&d.paths.socket), 0o600);
    assert_eq!(mode(&d.paths.runtime_dir), 0o700);
}

#[test]
fn another_uid_is_refused_by_the_peer_check() {
    use std::os::unix::fs::PermissionsExt;
    let d = TestDaemon::start();
    // Open the way so that only the peer check can refuse.
    let mut p = d.paths.socket.clone();
    while p.pop() {
        if p.starts_with(d.dir.path()) || p == d.dir.path() {
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
    }
    std::fs::set_permissions(d.dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&d.paths.socket, std::fs::Permissions::from_mode(0o666)).unwrap();
    wnet_testkit::ensure_system_user(wnet_testkit::DEFAULT_USER).unwrap();
    let script = format!(
        "import socket,struct,json\n\
         s=socket.socket(socket.AF_UNIX); s.connect({:?})\n\
         b=json.dumps({{'protocol':'wnet','version':1,'client':'intruder'}}).encode()\n\
         s.sendall(struct.pack('>I',len(b))+b)\n\
         n=struct.unpack('>I',s.recv(4))[0]; print(s.recv(n).decode())\n",
        d.paths.socket.display().to_string()
    );
    let out = wnet_testkit::as_user(wnet_testkit::DEFAULT_USER, "python3")
        .args(["-c", &script])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains(r#""kind":"refused""#), "{stdout}");
    assert!(stdout.contains("access denied"), "{stdout}");
    // The owner's client trusts only a private directory: close it again.
    std::fs::set_permissions(&d.paths.runtime_dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    assert!(
        matches!(d.call(Request::Ping).unwrap(), Reply::Pong),
        "the owner is still served"
    );
}
