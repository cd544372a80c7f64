//! Every dialect we offer, against a Samba capped at it: negotiate, keys, signing, I/O.

use crate::common::*;
use wnet_smb2::msg::negotiate::Dialect;
use wnet_smb2::{CreateOptions, Session};
use wnet_testkit::{DEFAULT_PASSWORD, DEFAULT_USER, SambaBuilder, Share};

async fn roundtrip_with_max_protocol(max: &str, want: Dialect, encrypt: bool) {
    let mut b = SambaBuilder::new()
        .user(DEFAULT_USER, DEFAULT_PASSWORD)
        .share(Share::new("rw").read_only(false))
        .global("server max protocol", max);
    if encrypt {
        b = b.global("smb encrypt", "required");
    }
    let s = b.start().unwrap();
    let sess = session(&s).await;
    assert_eq!(sess.negotiated().dialect, want);
    assert_eq!(sess.is_encrypted(), encrypt);
    let t = sess.tree_connect("rw").await.unwrap();
    let data = pattern(3 << 20, want.0 as u64);
    let f = t
        .create("d.bin", &CreateOptions::create_new())
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
    assert_eq!(t.list("").await.unwrap().len(), 1);
    assert!(std::fs::read(s.share_dir("rw").join("d.bin")).unwrap() == data);
}

#[tokio::test]
async fn smb21_hmac_sha256_signing() {
    roundtrip_with_max_protocol("SMB2_10", Dialect::SMB21, false).await;
}

#[tokio::test]
async fn smb30_aes_cmac_signing() {
    roundtrip_with_max_protocol("SMB3_00", Dialect::SMB30, false).await;
}

#[tokio::test]
async fn smb30_aes_ccm_encryption() {
    roundtrip_with_max_protocol("SMB3_00", Dialect::SMB30, true).await;
}

#[tokio::test]
async fn smb302_signing() {
    roundtrip_with_max_protocol("SMB3_02", Dialect::SMB302, false).await;
}

#[tokio::test]
async fn anonymous_session_reaches_ipc() {
    let s = samba();
    let mut cfg = config(&s, "", "");
    cfg.require_signing = false;
    let sess = Session::connect(cfg)
        .await
        .expect("anonymous session refused");
    let ipc = sess.tree_connect("IPC$").await.unwrap();
    assert_eq!(
        ipc.share_type(),
        wnet_smb2::msg::tree_connect::share_type::PIPE
    );
}
