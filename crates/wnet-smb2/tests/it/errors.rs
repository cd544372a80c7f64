//! NT statuses come back intact and are classified.

use crate::common::*;
use wnet_smb2::{CreateOptions, Error, NtStatus, Session};

fn status<T: std::fmt::Debug>(r: Result<T, Error>) -> NtStatus {
    match r {
        Err(e) => e.status().unwrap_or_else(|| panic!("no status in {e:?}")),
        Ok(v) => panic!("expected an error, got {v:?}"),
    }
}

#[tokio::test]
async fn wrong_password_is_logon_failure() {
    let s = samba();
    let (u, _) = s.user();
    let r = Session::connect(config(&s, u, "not-the-password")).await;
    let e = r.unwrap_err();
    assert_eq!(e.status(), Some(NtStatus::LOGON_FAILURE));
    assert!(!e.is_temporary());
}

#[tokio::test]
async fn bad_share_is_bad_network_name() {
    let s = samba();
    let sess = session(&s).await;
    assert_eq!(
        status(sess.tree_connect("no-such-share").await),
        NtStatus::BAD_NETWORK_NAME
    );
}

#[tokio::test]
async fn missing_file_is_not_found() {
    let s = samba();
    let t = rw(&s).await;
    assert_eq!(
        status(t.stat("does/not/exist.txt").await),
        NtStatus::OBJECT_PATH_NOT_FOUND
    );
    assert_eq!(
        status(t.stat("nope.txt").await),
        NtStatus::OBJECT_NAME_NOT_FOUND
    );
    assert_eq!(
        status(t.create("nope.txt", &CreateOptions::read()).await),
        NtStatus::OBJECT_NAME_NOT_FOUND
    );
}

#[tokio::test]
async fn create_new_on_existing_is_collision() {
    let s = samba();
    let t = rw(&s).await;
    let name = unique("coll");
    t.create(&name, &CreateOptions::create_new())
        .await
        .unwrap()
        .close()
        .await
        .unwrap();
    assert_eq!(
        status(t.create(&name, &CreateOptions::create_new()).await),
        NtStatus::OBJECT_NAME_COLLISION
    );
    let other = unique("coll");
    t.create(&other, &CreateOptions::create_new())
        .await
        .unwrap()
        .close()
        .await
        .unwrap();
    assert_eq!(
        status(t.rename(&other, &name, false).await),
        NtStatus::OBJECT_NAME_COLLISION
    );
}

#[tokio::test]
async fn read_only_share_is_access_denied() {
    let s = samba();
    let sess = session(&s).await;
    let t = sess.tree_connect("ro").await.unwrap();
    assert_eq!(
        status(t.create(&unique("ro"), &CreateOptions::create_new()).await),
        NtStatus::ACCESS_DENIED
    );
}

#[tokio::test]
async fn rmdir_of_non_empty_directory() {
    let s = samba();
    let t = rw(&s).await;
    let d = unique("full");
    t.mkdir(&d).await.unwrap();
    t.create(&format!("{d}/f"), &CreateOptions::create_new())
        .await
        .unwrap()
        .close()
        .await
        .unwrap();
    assert_eq!(status(t.rmdir(&d).await), NtStatus::DIRECTORY_NOT_EMPTY);
}
