//! Negotiate, session setup, signing, tree connect, echo.

use crate::common::*;
use wnet_smb2::msg::negotiate::Dialect;

#[tokio::test]
async fn connects_with_smb311_and_signing() {
    let s = samba();
    let sess = session(&s).await;
    assert_eq!(sess.negotiated().dialect, Dialect::SMB311);
    assert!(!sess.is_guest());
    assert!(sess.negotiated().max_read >= 1 << 20);
    let tree = sess.tree_connect("rw").await.unwrap();
    assert!(tree.id() != 0);
    // A signed round trip after setup proves the keys on both sides agree.
    sess.echo().await.unwrap();
    tree.stat("").await.unwrap();
    tree.disconnect().await.unwrap();
    sess.logoff().await.unwrap();
}

#[tokio::test]
async fn credits_grow_and_do_not_leak() {
    let s = samba();
    let sess = session(&s).await;
    for _ in 0..20 {
        sess.echo().await.unwrap();
    }
    let st = sess.connection().credit_stats();
    assert!(st.available >= 128, "{st:?}");
    assert_eq!(st.waiters, 0);
}

#[tokio::test]
async fn second_user_gets_own_session() {
    let s = samba();
    let a = session(&s).await;
    let b = wnet_smb2::Session::connect(config(
        &s,
        wnet_testkit::TEST_USER2,
        wnet_testkit::TEST_PASSWORD2,
    ))
    .await
    .unwrap();
    assert_ne!(a.id(), b.id());
    b.tree_connect("rw").await.unwrap().stat("").await.unwrap();
}

#[tokio::test]
async fn encryption_on_request() {
    let s = samba();
    let (u, p) = s.user();
    let mut cfg = config(&s, u, p);
    cfg.require_encryption = true;
    let sess = wnet_smb2::Session::connect(cfg).await.unwrap();
    assert!(sess.is_encrypted());
    let tree = sess.tree_connect("ro").await.unwrap();
    let data = tree.read_file_small("hello.txt", 1 << 16).await.unwrap();
    assert_eq!(
        data,
        std::fs::read(s.share_dir("ro").join("hello.txt")).unwrap()
    );
}

#[tokio::test]
async fn lists_shares_over_srvsvc() {
    let s = samba();
    let sess = session(&s).await;
    let shares = sess.list_shares().await.unwrap();
    let names: Vec<&str> = shares.iter().map(|s| s.name.as_str()).collect();
    assert!(names.contains(&"rw"), "{names:?}");
    assert!(names.contains(&"ro"), "{names:?}");
    assert!(names.contains(&"IPC$"), "{names:?}");
    assert!(shares.iter().find(|s| s.name == "rw").unwrap().is_disk());
    assert!(!shares.iter().find(|s| s.name == "IPC$").unwrap().is_disk());
}

/// A DCE/RPC fault is reported as such (the server refused the call), not as an
/// authentication failure: `wnet view` must not say "user name or password is incorrect".
#[tokio::test]
async fn a_srvsvc_fault_is_an_rpc_fault_with_its_status() {
    let s = samba();
    let sess = session(&s).await;
    // srvsvc has 54 operations: 200 is out of range (nca_s_op_rng_error).
    let e = wnet_smb2::rpc::srvsvc_call(&sess, 200, &[])
        .await
        .unwrap_err();
    assert!(
        matches!(e, wnet_smb2::Error::RpcFault(0x1C01_0002)),
        "{e:?}"
    );
    assert!(!e.is_temporary());
    // The session and the pipe still work afterwards.
    assert!(!sess.list_shares().await.unwrap().is_empty());
}
