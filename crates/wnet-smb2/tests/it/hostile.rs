//! The server is not trusted (issue 12, part A): one test per item against the testkit's
//! hostile server, which completes a real NTLMv2 logon and then answers as each test scripts.
//! Every test asserts a clean error within a bound, and that the engine still works after.

use std::time::{Duration, Instant};
use wnet_smb2::msg::header::NOTIFICATION_MESSAGE_ID;
use wnet_smb2::{ClientConfig, CreateOptions, Error, Session, Timeouts};
use wnet_testkit::hostile::{
    Answer, HostileServer, PASSWORD, Reply, Request, Script, body, command, overlapping_chain,
    status,
};

/// The bound every failure here must come within (deadlines are 3 s).
const BOUND: Duration = Duration::from_secs(10);

fn config(server: &HostileServer) -> ClientConfig {
    let mut c = ClientConfig::new("127.0.0.1", "alice", PASSWORD).port(server.port());
    c.timeouts = Timeouts {
        connect: Duration::from_secs(3),
        metadata: Duration::from_secs(3),
        data: Duration::from_secs(3),
        reconnect: Duration::from_secs(1),
    };
    c.reconnect = false;
    c.keepalive = None;
    c
}

fn hook(f: impl Fn(&Request<'_>) -> Answer + Send + Sync + 'static) -> HostileServer {
    HostileServer::start(Script::new().hook(f))
}

/// A logon to `server` and its share `share`.
async fn share(server: &HostileServer) -> wnet_smb2::Tree {
    let s = Session::connect(config(server)).await.unwrap();
    s.tree_connect("share").await.unwrap()
}

/// Runs `op` and checks that it ends within [`BOUND`]; returns its result.
async fn bounded<T>(op: impl std::future::Future<Output = T>) -> T {
    let started = Instant::now();
    let r = tokio::time::timeout(BOUND, op)
        .await
        .expect("the engine must answer within its bound");
    assert!(started.elapsed() < BOUND);
    r
}

/// After a hostile exchange, the engine still logs on and lists through a fresh connection,
/// and what the test's thread allocated (the engine runs on it) stayed bounded.
async fn engine_still_works() {
    let plain = HostileServer::start(Script::new());
    let s = Session::connect(config(&plain))
        .await
        .expect("a fresh logon");
    assert!(
        s.tree_connect("share")
            .await
            .unwrap()
            .list("")
            .await
            .unwrap()
            .is_empty()
    );
    let peak = crate::alloc_peak::peak_mib();
    eprintln!("peak heap of this test's thread: {peak} MiB");
    assert!(
        peak < 64,
        "the hostile exchange made this thread allocate {peak} MiB at peak"
    );
}

fn protocol_error<T: std::fmt::Debug>(r: Result<T, Error>) {
    assert!(matches!(r, Err(Error::Protocol(_))), "{r:?}");
}

// ---- 1. entry chains --------------------------------------------------------------------

#[tokio::test]
async fn a1_overlapping_directory_entries_are_an_error() {
    crate::alloc_peak::reset();
    let server =
        hook(|r| match r.command {
            command::QUERY_DIRECTORY => Answer::Reply(Reply::ok(body::with_output(
                overlapping_chain(256 * 1024, 60, 104),
            ))),
            _ => Answer::Default,
        });
    let t = share(&server).await;
    protocol_error(bounded(t.list("")).await);
    engine_still_works().await;
}

#[tokio::test]
async fn a1_overlapping_notify_records_are_an_error() {
    crate::alloc_peak::reset();
    let server =
        hook(|r| match r.command {
            command::CHANGE_NOTIFY => Answer::Reply(Reply::ok(body::with_output(
                overlapping_chain(64 * 1024, 8, 12),
            ))),
            _ => Answer::Default,
        });
    let t = share(&server).await;
    let d = t.create("", &CreateOptions::directory()).await.unwrap();
    protocol_error(bounded(d.watch(0x1, false, Duration::from_secs(3))).await);
    engine_still_works().await;
}

#[tokio::test]
async fn a1_notify_output_longer_than_asked_is_an_error() {
    crate::alloc_peak::reset();
    let server = hook(|r| match r.command {
        command::CHANGE_NOTIFY => {
            let mut rec = vec![0u8; 12];
            rec[8..12].copy_from_slice(&2u32.to_le_bytes());
            rec.extend_from_slice(&[b'a', 0]);
            rec.resize(65536 + 16, 0); // one record, padded past the 64 KiB asked for
            Answer::Reply(Reply::ok(body::with_output(rec)))
        }
        _ => Answer::Default,
    });
    let t = share(&server).await;
    let d = t.create("", &CreateOptions::directory()).await.unwrap();
    protocol_error(bounded(d.watch(0x1, false, Duration::from_secs(3))).await);
}

#[tokio::test]
async fn a1_a_create_context_chain_pointing_backwards_is_an_error() {
    crate::alloc_peak::reset();
    let server = hook(|r| match r.command {
        command::CREATE => {
            // Two contexts: the first's Next (4) is misaligned and lands inside itself.
            let mut ctx = vec![0u8; 24];
            ctx[0..4].copy_from_slice(&4u32.to_le_bytes());
            ctx[4..6].copy_from_slice(&16u16.to_le_bytes());
            ctx[6..8].copy_from_slice(&4u16.to_le_bytes());
            ctx[16..20].copy_from_slice(b"MxAc");
            Answer::Reply(Reply::ok(body::create(9, 0x10, &ctx)))
        }
        _ => Answer::Default,
    });
    let t = share(&server).await;
    protocol_error(bounded(t.create("x", &CreateOptions::read())).await);
    engine_still_works().await;
}

// ---- 2. loops driven by the server --------------------------------------------------------

/// A DCE/RPC response fragment with `call_id`, `last` or not, and `stub`.
fn rpc_response(call_id: u32, last: bool, stub: &[u8]) -> Vec<u8> {
    let len = (24 + stub.len()) as u16;
    let mut p = vec![5, 0, 2, if last { 3 } else { 1 }, 0x10, 0, 0, 0];
    p.extend_from_slice(&len.to_le_bytes());
    p.extend_from_slice(&0u16.to_le_bytes());
    p.extend_from_slice(&call_id.to_le_bytes());
    p.extend_from_slice(&(stub.len() as u32).to_le_bytes());
    p.extend_from_slice(&[0; 4]);
    p.extend_from_slice(stub);
    p
}

#[tokio::test]
async fn a2_rpc_fragments_of_another_call_are_an_error() {
    crate::alloc_peak::reset();
    let server = hook(|r| match r.command {
        command::IOCTL => Answer::Reply(Reply::ok(body::ioctl(
            0x0011_C017,
            &rpc_response(999, true, &[0; 16]),
        ))),
        _ => Answer::Default,
    });
    let s = Session::connect(config(&server)).await.unwrap();
    protocol_error(bounded(s.list_shares()).await);
    engine_still_works().await;
}

#[tokio::test]
async fn a2_endless_rpc_fragments_stop_at_the_size_bound() {
    crate::alloc_peak::reset();
    // The bind is answered by fragments that never end: every READ of the pipe gets more.
    let frag = rpc_response(1, false, &[0; 4000]);
    let page: Vec<u8> = frag.iter().copied().cycle().take(frag.len() * 16).collect();
    let page2 = page.clone();
    let server = hook(move |r| match r.command {
        command::IOCTL => Answer::Reply(Reply::ok(body::ioctl(0x0011_C017, &frag))),
        command::READ => Answer::Reply(Reply::ok(body::read(&page2, page2.len() as u32))),
        _ => Answer::Default,
    });
    let s = Session::connect(config(&server)).await.unwrap();
    protocol_error(bounded(s.list_shares()).await);
    let reads = server
        .seen()
        .commands
        .iter()
        .filter(|c| **c == command::READ)
        .count();
    assert!(
        reads * page.len() <= (8 << 20) + page.len() * 2,
        "{reads} reads: the answer is bounded by size"
    );
    engine_still_works().await;
}

#[tokio::test]
async fn a2_a_listing_that_never_ends_stops_at_the_entry_bound() {
    crate::alloc_peak::reset();
    // Every page holds 8192 one-letter entries and no page is ever the last.
    let mut page = Vec::new();
    for i in 0..8192 {
        let mut e = vec![0u8; 104];
        e[0..4].copy_from_slice(&(if i == 8191 { 0u32 } else { 112 }).to_le_bytes());
        e[60..64].copy_from_slice(&2u32.to_le_bytes());
        e.extend_from_slice(&[b'f', 0]);
        e.resize(112, 0);
        page.extend_from_slice(&e);
    }
    let server = hook(move |r| match r.command {
        command::QUERY_DIRECTORY => Answer::Reply(Reply::ok(body::with_output(page.clone()))),
        _ => Answer::Default,
    });
    let t = share(&server).await;
    let r = tokio::time::timeout(Duration::from_secs(120), t.list(""))
        .await
        .expect("bounded");
    protocol_error(r);
    let pages = server
        .seen()
        .commands
        .iter()
        .filter(|c| **c == command::QUERY_DIRECTORY)
        .count();
    assert!(pages <= (1 << 20) / 8192 + 2, "{pages} pages");
}

// ---- 3. unsolicited messages ------------------------------------------------------------

#[tokio::test]
async fn a3_a_flood_of_breaks_drops_the_connection() {
    crate::alloc_peak::reset();
    let server = hook(|r| match r.command {
        command::CREATE => {
            // An oplock break (MessageId all ones) 1000 times, then the real answer.
            let mut flood = Vec::new();
            for _ in 0..1000 {
                let mut m = vec![0u8; 64];
                m[..4].copy_from_slice(&[0xFE, b'S', b'M', b'B']);
                m[4] = 64;
                m[12] = command::OPLOCK_BREAK as u8;
                m[16] = 1;
                m[24..32].copy_from_slice(&NOTIFICATION_MESSAGE_ID.to_le_bytes());
                m.extend_from_slice(&[24, 0, 1, 0, 0, 0, 0, 0]);
                m.extend_from_slice(&[0x33; 16]);
                flood.extend_from_slice(&(m.len() as u32).to_be_bytes());
                flood.extend_from_slice(&m);
            }
            Answer::Then(vec![Answer::Raw(flood), Answer::Default])
        }
        _ => Answer::Default,
    });
    let t = share(&server).await;
    let r = bounded(t.create("x", &CreateOptions::read())).await;
    assert!(
        r.is_err(),
        "the flood is a protocol error that drops the connection"
    );
    assert!(t.session().connection().is_dead());
    engine_still_works().await;
}

/// A lease break notification for `key`, acknowledgment required, framed.
fn lease_break(key: &[u8]) -> Vec<u8> {
    let mut m = vec![0u8; 64];
    m[..4].copy_from_slice(&[0xFE, b'S', b'M', b'B']);
    m[4] = 64;
    m[12] = command::OPLOCK_BREAK as u8;
    m[16] = 1;
    m[24..32].copy_from_slice(&NOTIFICATION_MESSAGE_ID.to_le_bytes());
    let mut b = vec![0u8; 44];
    b[0] = 44;
    b[4] = 1; // ACK_REQUIRED
    b[8..24].copy_from_slice(key);
    b[24] = 0x07; // RWH
    b[28] = 0x01; // to R
    m.extend_from_slice(&b);
    let mut f = (m.len() as u32).to_be_bytes().to_vec();
    f.extend_from_slice(&m);
    f
}

#[tokio::test]
async fn a3_a_break_of_a_lease_we_never_asked_for_is_dropped() {
    let acked = std::sync::Arc::new(std::sync::Mutex::new(Vec::<Vec<u8>>::new()));
    let server = hook({
        let acked = acked.clone();
        move |r| match r.command {
            command::CREATE => {
                // The key we asked for sits 8 bytes after the context name "RqLs".
                let Some(at) = r.msg.windows(4).position(|w| w == b"RqLs") else {
                    return Answer::Default;
                };
                let ours = r.msg[at + 8..at + 24].to_vec();
                Answer::Then(vec![
                    Answer::Raw(lease_break(&[0x66; 16])),
                    Answer::Default,
                    Answer::Raw(lease_break(&ours)),
                ])
            }
            command::OPLOCK_BREAK => {
                acked.lock().unwrap().push(r.body[8..24].to_vec());
                Answer::Default
            }
            _ => Answer::Default,
        }
    });
    let t = share(&server).await;
    let f = bounded(t.create("x", &CreateOptions::read().durable(true)))
        .await
        .unwrap();
    // Wait (bounded) for the acknowledgment of our own lease.
    let deadline = Instant::now() + BOUND;
    while acked.lock().unwrap().is_empty() {
        assert!(
            Instant::now() < deadline,
            "our lease's break was not acknowledged"
        );
        bounded(t.session().echo()).await.unwrap();
    }
    // One more round trip: an acknowledgment of the stranger's break, sent first, would be in.
    bounded(t.session().echo()).await.unwrap();
    let acked = acked.lock().unwrap().clone();
    assert_eq!(acked.len(), 1, "only our lease's break is acknowledged");
    assert_ne!(acked[0], vec![0x66; 16]);
    drop(f);
    engine_still_works().await;
}

// ---- 4. replies checked against their request -------------------------------------------

#[tokio::test]
async fn a4_a_negotiate_reply_of_another_command_is_refused() {
    crate::alloc_peak::reset();
    let server = hook(|r| match r.command {
        command::NEGOTIATE => {
            let mut reply = Reply::ok(Vec::new());
            reply.command = Some(command::SESSION_SETUP);
            reply.server_to_redir = false;
            Answer::Then(vec![Answer::Reply(reply)])
        }
        _ => Answer::Default,
    });
    protocol_error(bounded(Session::connect(config(&server))).await);
    engine_still_works().await;
}

#[tokio::test]
async fn a4_read_and_write_lengths_are_checked() {
    crate::alloc_peak::reset();
    let server = hook(|r| match r.command {
        command::READ => {
            let asked = r.body_u32(4) as usize;
            let data = vec![7u8; asked + 100];
            Answer::Reply(Reply::ok(body::read(&data, data.len() as u32)))
        }
        command::WRITE => Answer::Reply(Reply::ok(body::write(r.body_u32(4) + 1))),
        _ => Answer::Default,
    });
    let t = share(&server).await;
    let f = t.create("f", &CreateOptions::read_write()).await.unwrap();
    protocol_error(bounded(f.read_at(0, 1000)).await);
    protocol_error(bounded(f.write_at(0, b"hello")).await);
    engine_still_works().await;
}

#[tokio::test]
async fn a4_huge_credit_grants_are_capped() {
    crate::alloc_peak::reset();
    let server = hook(|r| match r.command {
        command::NEGOTIATE | command::SESSION_SETUP => Answer::Default,
        _ => Answer::Default,
    });
    drop(server);
    let server = HostileServer::start(Script::new().hook(|r| {
        if r.authenticated && r.command == command::ECHO {
            let mut reply = Reply::ok(body::empty());
            reply.credits = Some(u16::MAX);
            Answer::Reply(reply)
        } else {
            Answer::Default
        }
    }));
    let s = Session::connect(config(&server)).await.unwrap();
    for _ in 0..10 {
        bounded(s.echo()).await.unwrap();
    }
    assert!(s.connection().credit_stats().available <= wnet_smb2::conn::MAX_CREDITS);
    engine_still_works().await;
}

#[tokio::test]
async fn a4_a_huge_target_info_is_refused_not_truncated() {
    crate::alloc_peak::reset();
    let server = HostileServer::start(Script::new().target_info_padding(65_400));
    let r = bounded(Session::connect(config(&server))).await;
    assert!(matches!(r, Err(Error::Auth(_))), "{r:?}");
    let setups = server
        .seen()
        .commands
        .iter()
        .filter(|c| **c == command::SESSION_SETUP)
        .count();
    assert_eq!(setups, 1, "no malformed second SESSION_SETUP was sent");
    engine_still_works().await;
}

// ---- 5. no silent downgrade ---------------------------------------------------------------

#[tokio::test]
async fn a5_a_guest_session_is_refused_unless_asked_for() {
    crate::alloc_peak::reset();
    let server = HostileServer::start(Script::new().guest());
    let r = bounded(Session::connect(config(&server))).await;
    assert!(matches!(r, Err(Error::Auth(_))), "{r:?}");
    let mut c = config(&server);
    c.allow_insecure_guest = true;
    c.require_signing = false;
    let s = bounded(Session::connect(c)).await.unwrap();
    assert!(s.is_guest());
    engine_still_works().await;
}

#[tokio::test]
async fn a5_an_unsigned_error_on_a_signed_session_is_refused() {
    crate::alloc_peak::reset();
    let server = hook(|r| match r.command {
        command::READ => {
            let mut reply = Reply::error(status::USER_SESSION_DELETED);
            reply.sign = false;
            Answer::Reply(reply)
        }
        _ => Answer::Default,
    });
    let t = share(&server).await;
    let f = t.create("f", &CreateOptions::read()).await.unwrap();
    let r = bounded(f.read_at(0, 10)).await;
    assert!(matches!(r, Err(Error::BadSignature)), "{r:?}");
    engine_still_works().await;
}

#[tokio::test]
async fn a5_a_missing_mech_list_mic_is_refused() {
    crate::alloc_peak::reset();
    let server = HostileServer::start(Script::new().omit_mech_list_mic());
    let r = bounded(Session::connect(config(&server))).await;
    assert!(matches!(r, Err(Error::Auth(_))), "{r:?}");
    engine_still_works().await;
}

// ---- 6. frame sizes -------------------------------------------------------------------------

#[tokio::test]
async fn a6_a_16_mib_length_prefix_then_silence_times_out() {
    crate::alloc_peak::reset();
    let server = hook(|r| match r.command {
        command::ECHO if r.authenticated => {
            let mut b = vec![0x00, 0xFF, 0xFF, 0xFF];
            b.extend_from_slice(&[0; 100]);
            Answer::Raw(b)
        }
        _ => Answer::Default,
    });
    let s = Session::connect(config(&server)).await.unwrap();
    let r = bounded(s.echo()).await;
    assert!(matches!(r, Err(Error::Timeout { .. })), "{r:?}");
    engine_still_works().await;
}

#[tokio::test]
async fn a6_a_flood_of_garbage_frames_is_survived() {
    crate::alloc_peak::reset();
    let server = hook(|r| match r.command {
        command::ECHO if r.authenticated => {
            let mut flood = Vec::new();
            for _ in 0..10_000 {
                flood.extend_from_slice(&[0, 0, 0, 70]);
                flood.extend_from_slice(&[0x5A; 70]);
            }
            Answer::Then(vec![Answer::Raw(flood), Answer::Default])
        }
        _ => Answer::Default,
    });
    let s = Session::connect(config(&server)).await.unwrap();
    bounded(s.echo()).await.unwrap();
    engine_still_works().await;
}
