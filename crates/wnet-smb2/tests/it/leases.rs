//! Leases whose breaks the caller answers: a break of a key with a listener reaches it, and
//! the acknowledgment (which the other client's open waits for) goes only once it is done.

use crate::common::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use wnet_smb2::msg::create::lease;
use wnet_smb2::{CreateOptions, LeaseKey};

/// How long the listener keeps a break before it lets the acknowledgment go.
const HOLD: Duration = Duration::from_millis(400);

/// What the drive asks for on a read-only open: Samba grants all three to the only opener,
/// and with Write cached another client's open waits for our acknowledgment (Samba delays an
/// open only for a break of W, or of H at a sharing violation).
const RWH: u32 = lease::READ | lease::WRITE | lease::HANDLE;

/// Opens `name` read-only on a fresh session with a Read+Write+Handle lease under a fresh
/// key; the key's breaks go to the returned receiver.
async fn leased(
    name: &str,
) -> (
    wnet_smb2::File,
    LeaseKey,
    tokio::sync::mpsc::Receiver<wnet_smb2::LeaseBreak>,
) {
    let s = samba();
    let a = rw(&s).await;
    let key = LeaseKey::random();
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    a.session().listen_lease(key, Some(tx));
    let f = a
        .create(name, &CreateOptions::read().lease(RWH, key))
        .await
        .unwrap();
    let (granted_key, granted) = f.lease().expect("a lease was granted");
    assert_eq!(granted_key, key);
    assert_eq!(granted, RWH, "Samba grants RWH to the only opener");
    (f, key, rx)
}

fn put(name: &str, data: &[u8]) {
    std::fs::write(samba().share_dir("rw").join(name), data).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_truncating_open_by_another_client_waits_for_our_listener() {
    let name = unique("lease-trunc");
    put(&name, b"old");
    let (f, key, mut rx) = leased(&name).await;
    let b_opened = Arc::new(AtomicBool::new(false));
    let seen = b_opened.clone();
    // The listener: takes the break, holds it, and checks that the other client is still
    // waiting when it lets go.
    let listener = tokio::spawn(async move {
        let brk = rx.recv().await.expect("a break");
        let t0 = Instant::now();
        while t0.elapsed() < HOLD {
            tokio::time::sleep(Duration::from_millis(20)).await;
            assert!(!seen.load(Ordering::SeqCst), "B opened before our ack");
        }
        (brk.key, brk.from, brk.to, Instant::now())
    });
    let b = rw(&samba()).await;
    let t0 = Instant::now();
    let g = b.create(&name, &CreateOptions::overwrite()).await.unwrap();
    b_opened.store(true, Ordering::SeqCst);
    let opened_at = Instant::now();
    let (k, from, to, released) = listener.await.unwrap();
    assert_eq!(k, key);
    assert_eq!(from, RWH);
    assert_eq!(to & lease::HANDLE, 0, "the break takes the handle lease");
    assert!(
        released <= opened_at,
        "B's open was answered before the listener let go"
    );
    assert!(t0.elapsed() >= HOLD, "B did not wait for the listener");
    g.close().await.unwrap();
    f.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_by_another_client_breaks_the_read_lease() {
    let name = unique("lease-write");
    put(&name, b"old bytes");
    let (f, key, mut rx) = leased(&name).await;
    // The listener answers at once and reports every break, until no R is left.
    let listener = tokio::spawn(async move {
        let mut breaks = Vec::new();
        while breaks.last().is_none_or(|&(_, to)| to & lease::READ != 0) {
            let brk = rx.recv().await.expect("a break");
            assert_eq!(brk.key, key);
            breaks.push((brk.from, brk.to));
        }
        breaks
    });
    let b = rw(&samba()).await;
    let opts = CreateOptions {
        disposition: wnet_smb2::msg::create::disposition::OPEN,
        ..CreateOptions::read_write()
    };
    let g = b.create(&name, &opts).await.unwrap();
    g.write_at(0, b"new").await.unwrap();
    let breaks = tokio::time::timeout(Duration::from_secs(10), listener)
        .await
        .expect("the read lease is broken within 10 s")
        .unwrap();
    assert_eq!(breaks[0].0, RWH);
    g.close().await.unwrap();
    f.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opens_under_one_key_share_one_lease() {
    let name = unique("lease-shared");
    put(&name, b"x");
    let (f, key, mut rx) = leased(&name).await;
    // The same session opens it again, for writing, under the same key: no break (the
    // server would otherwise wait for us to answer ourselves).
    let t = f.tree().clone();
    let opts = CreateOptions {
        disposition: wnet_smb2::msg::create::disposition::OPEN,
        ..CreateOptions::read_write()
    }
    .lease(RWH, key);
    let g = t.create(&name, &opts).await.unwrap();
    assert_eq!(g.lease().map(|l| l.0), Some(key));
    g.close().await.unwrap();
    f.close().await.unwrap();
    assert!(rx.try_recv().is_err(), "our own open broke our lease");
}
