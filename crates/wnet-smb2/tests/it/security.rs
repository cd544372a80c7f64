//! Servers that demand encryption or signing.

use crate::common::*;
use wnet_smb2::Session;
use wnet_testkit::{DEFAULT_PASSWORD, DEFAULT_USER, SambaBuilder, Share};

#[tokio::test]
async fn share_that_requires_encryption() {
    let s = SambaBuilder::new()
        .user(DEFAULT_USER, DEFAULT_PASSWORD)
        .share(
            Share::new("secret")
                .read_only(false)
                .option("smb encrypt", "required"),
        )
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
