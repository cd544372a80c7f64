//! A lost or silent server never leaves a caller waiting.

use crate::common::*;
use std::time::{Duration, Instant};
use wnet_smb2::{CreateOptions, Error};
use wnet_testkit::{DEFAULT_PASSWORD, DEFAULT_USER, SambaBuilder, Share};

fn private_samba() -> wnet_testkit::Samba {
    SambaBuilder::new()
        .user(DEFAULT_USER, DEFAULT_PASSWORD)
        .share(Share::new("rw").read_only(false))
        .start()
        .unwrap()
}

#[tokio::test]
async fn dropped_connection_releases_waiters_at_once() {
    let s = private_samba();
    let (u, p) = s.user();
    let mut cfg = config(&s, u, p);
    cfg.reconnect = false;
    let t = wnet_smb2::Session::connect(cfg)
        .await
        .unwrap()
        .tree_connect("rw")
        .await
        .unwrap();
    let f = t
        .create("big.bin", &CreateOptions::create_new())
        .await
        .unwrap();
    let data = pattern(256 << 20, 1);
    let writer = async { f.write_pipelined(0, &data, 1 << 20, 8).await };
    let killer = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        s.kill_clients();
        Instant::now()
    };
    let (r, killed_at) = tokio::join!(writer, killer);
    let e = r.unwrap_err();
    assert!(e.is_temporary(), "{e:?}");
    assert!(
        killed_at.elapsed() < Duration::from_secs(2),
        "waiters were released late"
    );
    let conn = t.session().connection();
    assert!(conn.is_dead());
    assert_eq!(conn.credit_stats().waiters, 0);
    assert!(matches!(t.stat("").await, Err(Error::NotSent)));
}

#[tokio::test]
async fn non_durable_handle_is_lost_loudly_and_session_recovers() {
    let s = private_samba();
    let t = rw(&s).await;
    let f = t
        .create("plain.bin", &CreateOptions::create_new())
        .await
        .unwrap();
    assert!(!f.is_durable());
    let data = pattern(256 << 20, 2);
    let writer = async { f.write_pipelined(0, &data, 1 << 20, 8).await };
    let killer = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        s.kill_clients();
    };
    let (r, ()) = tokio::join!(writer, killer);
    assert!(matches!(r, Err(Error::HandleLost)), "{r:?}");
    assert!(matches!(f.flush().await, Err(Error::HandleLost)));
    // The session and tree came back: new operations work.
    assert_eq!(t.session().generation(), 1);
    assert!(t.stat("plain.bin").await.is_ok());
}

#[tokio::test]
async fn keepalive_notices_a_silent_server() {
    let s = private_samba();
    let t = rw(&s).await;
    let conn = t.session().connection().clone();
    conn.start_keepalive(Duration::from_millis(200), Duration::from_millis(300));
    let pids = s.client_pids();
    assert!(!pids.is_empty());
    for p in &pids {
        // SAFETY: plain syscall on a pid the test kit reported as this server's child.
        unsafe { libc::kill(*p as i32, libc::SIGSTOP) };
    }
    let t0 = Instant::now();
    while !conn.is_dead() && t0.elapsed() < Duration::from_secs(3) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for p in &pids {
        // SAFETY: as above.
        unsafe { libc::kill(*p as i32, libc::SIGCONT) };
    }
    assert!(
        conn.is_dead(),
        "keep-alive did not notice the stopped server"
    );
    // The next operation reconnects.
    t.stat("").await.unwrap();
    assert_eq!(t.session().generation(), 1);
}

#[tokio::test]
async fn request_deadline_on_a_silent_server() {
    let s = private_samba();
    let (u, p) = s.user();
    let mut cfg = config(&s, u, p);
    // Long enough for connecting on a loaded CI machine, short enough to wait for.
    cfg.timeouts.metadata = Duration::from_secs(2);
    let sess = wnet_smb2::Session::connect(cfg).await.unwrap();
    let t = sess.tree_connect("rw").await.unwrap();
    let pids = s.client_pids();
    for p in &pids {
        // SAFETY: plain syscall on a pid the test kit reported as this server's child.
        unsafe { libc::kill(*p as i32, libc::SIGSTOP) };
    }
    let t0 = Instant::now();
    let r = t.stat("").await;
    let took = t0.elapsed();
    for p in &pids {
        // SAFETY: as above.
        unsafe { libc::kill(*p as i32, libc::SIGCONT) };
    }
    assert!(matches!(r, Err(Error::Timeout { .. })), "{r:?}");
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_secs(4),
        "{took:?}"
    );
}

#[tokio::test]
async fn unsent_requests_are_retried_after_reconnect_even_if_not_idempotent() {
    let s = private_samba();
    let t = rw(&s).await;
    // The client notices a dead connection before sending: the mkdir never reached the
    // server, so running it on the new connection is safe.
    t.session().connection().kill();
    t.mkdir("made-after-loss").await.unwrap();
    assert_eq!(t.session().generation(), 1);
    assert!(s.share_dir("rw").join("made-after-loss").is_dir());
}
