//! Servers that demand encryption or signing.

use crate::common::*;
use wnet_smb2::Session;
use wnet_testkit::{DEFAULT_PASSWORD, DEFAULT_USER, SambaBuilder, Share};

/// A Samba with only [`secret_share`].
fn secret_samba() -> wnet_testkit::Samba {
    SambaBuilder::new()
        .user(DEFAULT_USER, DEFAULT_PASSWORD)
        .share(secret_share())
        .start()
        .unwrap()
}

/// A writable share `secret` that requires encryption.
fn secret_share() -> Share {
    Share::new("secret")
        .read_only(false)
        .option("smb encrypt", "required")
}

#[tokio::test]
async fn share_that_requires_encryption() {
    let s = SambaBuilder::new()
        .user(DEFAULT_USER, DEFAULT_PASSWORD)
        .share(secret_share())
        .share(Share::new("plain").read_only(false))
        .start()
        .unwrap();
    let sess = session(&s).await;
    assert!(!sess.is_encrypted());
    let secret = sess.tree_connect("secret").await.unwrap();
    assert!(
        secret.is_encrypted(),
        "the share flag must turn encryption on for its tree"
    );
    let data = pattern(3 << 20, 3);
    let f = secret
        .create("enc.bin", &wnet_smb2::CreateOptions::create_new())
        .await
        .unwrap();
    f.write_pipelined(0, &data, 1 << 20, 4).await.unwrap();
    assert!(
        f.read_pipelined(0, data.len() as u64, 1 << 20, 4)
            .await
            .unwrap()
            == data
    );
    f.close().await.unwrap();
    assert!(std::fs::read(s.share_dir("secret").join("enc.bin")).unwrap() == data);
    // The same session keeps using plain (signed) requests on another share.
    let plain = sess.tree_connect("plain").await.unwrap();
    assert!(!plain.is_encrypted());
    plain.stat("").await.unwrap();
}

/// A READ handed over as its whole (decrypted) message, the data where the message has it;
/// the message given back to the connection carries the next large response: read-ahead
/// on an encrypted share neither moves the data nor maps a fresh buffer per read.
#[tokio::test]
async fn an_encrypted_read_hands_over_its_message_and_its_buffer_comes_back() {
    let s = secret_samba();
    let data = pattern(2 << 20, 5);
    std::fs::write(s.share_dir("secret").join("two.bin"), &data).unwrap();
    let sess = session(&s).await;
    let t = sess.tree_connect("secret").await.unwrap();
    assert!(t.is_encrypted());
    let f = t
        .create("two.bin", &wnet_smb2::CreateOptions::read())
        .await
        .unwrap();
    let (first, range) = f.read_message(0, 1 << 20).await.unwrap();
    assert!(range.start > 0, "the data follows the READ response header");
    assert!(first[range.clone()] == data[..1 << 20]);
    let ptr = first.as_ptr();
    sess.connection().recycle(first);
    let (second, range) = f.read_message(1 << 20, 1 << 20).await.unwrap();
    assert!(second[range] == data[1 << 20..]);
    assert_eq!(
        second.as_ptr(),
        ptr,
        "the recycled buffer received the next response"
    );
    // Past the end: an empty range, no error.
    let (_, range) = f.read_message(2 << 20, 4096).await.unwrap();
    assert!(range.is_empty());
    f.close().await.unwrap();
}

/// An encrypted compound is joined into one pooled buffer before it is encrypted: a buffer
/// that held an earlier message (a READ's response given back) must not lend it its bytes.
/// Before the fix the pool handed its buffers over as they were, and the join appended the
/// compound after a stale READ response: the server saw garbage (or, worse, an old request).
#[tokio::test]
async fn an_encrypted_compound_in_a_recycled_buffer_carries_only_itself() {
    let s = secret_samba();
    let big = pattern(2 << 20, 6);
    std::fs::write(s.share_dir("secret").join("big.bin"), &big).unwrap();
    let sess = session(&s).await;
    let t = sess.tree_connect("secret").await.unwrap();
    assert!(t.is_encrypted());
    let f = t
        .create("big.bin", &wnet_smb2::CreateOptions::read())
        .await
        .unwrap();
    for round in 0..3u64 {
        // Large responses, given back full: the pool now holds buffers with content (one
        // for the WRITE's message, one for the join).
        let (a, range) = f.read_message(0, 1 << 20).await.unwrap();
        assert!(a[range] == big[..1 << 20]);
        let (b, range) = f.read_message(1 << 20, 1 << 20).await.unwrap();
        assert!(b[range] == big[1 << 20..]);
        sess.connection().recycle(a);
        sess.connection().recycle(b);
        // A compound larger than the pool's smallest buffer: CREATE + WRITE + CLOSE.
        let data = pattern(200 << 10, 10 + round);
        let name = format!("compound-{round}.bin");
        let generation = sess.generation();
        t.create_written(
            &name,
            &wnet_smb2::CreateOptions::create_new(),
            0,
            &data,
            None,
        )
        .await
        .unwrap();
        assert!(std::fs::read(s.share_dir("secret").join(&name)).unwrap() == data);
        // A garbled frame makes the server drop the connection; the retry on a new one
        // (with an empty pool) hid it but for the reconnect.
        assert_eq!(sess.generation(), generation, "round {round}: reconnected");
    }
    f.close().await.unwrap();
}

#[tokio::test]
async fn server_that_requires_encryption_everywhere() {
    let s = SambaBuilder::new()
        .user(DEFAULT_USER, DEFAULT_PASSWORD)
        .share(Share::new("rw").read_only(false))
        .global("smb encrypt", "required")
        .start()
        .unwrap();
    let sess = session(&s).await;
    assert!(
        sess.is_encrypted(),
        "the session flag must turn encryption on"
    );
    let t = sess.tree_connect("rw").await.unwrap();
    t.mkdir("d").await.unwrap();
    assert!(s.share_dir("rw").join("d").is_dir());
}

#[tokio::test]
async fn server_that_requires_signing() {
    let s = SambaBuilder::new()
        .user(DEFAULT_USER, DEFAULT_PASSWORD)
        .share(Share::new("rw").read_only(false))
        .global("server signing", "mandatory")
        .start()
        .unwrap();
    let (u, p) = s.user();
    let mut cfg = config(&s, u, p);
    cfg.require_signing = false;
    let sess = Session::connect(cfg).await.unwrap();
    assert!(sess.negotiated().signing_required);
    sess.tree_connect("rw")
        .await
        .unwrap()
        .list("")
        .await
        .unwrap();
}
