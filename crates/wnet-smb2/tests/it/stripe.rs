//! A tree striped over several connections (ADR 0016): file opens spread by path over
//! sibling sessions, each its own smbd process; one file always on one lane; a lane that
//! loses its connection comes back like any session.

use crate::common::*;
use std::collections::HashSet;
use std::time::{Duration, Instant};
use wnet_smb2::CreateOptions;
use wnet_testkit::Samba;

fn wait_for(what: &str, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !ok() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_striped_tree_spreads_file_opens_over_server_processes_of_its_own() {
    // A Samba of its own: its process count is this test's alone.
    let s = Samba::start_default();
    let t = rw(&s).await;
    let before = s.client_processes();
    let st = t.stripe(4).await;
    assert_eq!(st.lanes(), 4);
    assert_eq!(
        s.client_processes(),
        before + 3,
        "one smbd process per lane"
    );

    let dir = unique("stripe");
    st.mkdir(&dir).await.unwrap();
    let mut lanes = HashSet::new();
    for i in 0..40 {
        let name = format!("{dir}/f{i}");
        let f = st
            .create(&name, &CreateOptions::create_new())
            .await
            .unwrap();
        f.write_at(0, &pattern(1000, i)).await.unwrap();
        let lane = f.tree().session().id();
        lanes.insert(lane);
        // Every open of one file, in any case, is on the same lane.
        let again = st
            .create(&name.to_uppercase(), &CreateOptions::read())
            .await
            .unwrap();
        assert_eq!(again.tree().session().id(), lane, "{name}");
        again.close().await.unwrap();
        f.close().await.unwrap();
    }
    assert_eq!(lanes.len(), 4, "40 names over 4 lanes use every lane");
    for i in 0..40 {
        let on_disk = std::fs::read(s.share_dir("rw").join(format!("{dir}/f{i}"))).unwrap();
        assert_eq!(on_disk, pattern(1000, i));
    }
    // Directories stay on the tree's own session; one-round-trip creates and reads spread.
    let d = st.create(&dir, &CreateOptions::directory()).await.unwrap();
    assert_eq!(d.tree().session().id(), t.session().id());
    d.close().await.unwrap();
    for i in 0..20 {
        let name = format!("{dir}/w{i}");
        st.create_written(
            &name,
            &CreateOptions::create_new(),
            0,
            &pattern(300, i),
            None,
        )
        .await
        .unwrap();
        assert_eq!(
            st.read_file_small(&name, 4096).await.unwrap(),
            pattern(300, i)
        );
    }

    st.disconnect().await.unwrap();
    // The lanes' connections close with their last handle.
    drop(st);
    wait_for("the lanes' smbd processes to exit", || {
        s.client_processes() == before
    });
    drop(t);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lane_that_loses_its_connection_comes_back_with_its_files() {
    let s = samba();
    let st = rw(&s).await.stripe(3).await;
    assert_eq!(st.lanes(), 3);
    let dir = unique("stripe-blip");
    st.mkdir(&dir).await.unwrap();
    // A file on a lane other than the tree's own session.
    let own = st.session().id();
    let mut lane_file = None;
    for i in 0..30 {
        let f = st
            .create(
                &format!("{dir}/f{i}"),
                &CreateOptions::create_new().durable(true),
            )
            .await
            .unwrap();
        if f.tree().session().id() != own {
            lane_file = Some((i, f));
            break;
        }
        f.close().await.unwrap();
    }
    let (i, f) = lane_file.expect("some name hashes to another lane");
    f.write_at(0, b"before").await.unwrap();
    let generation = f.tree().session().generation();
    f.tree().session().connection().kill();
    f.write_at(6, b" after").await.unwrap();
    assert!(f.tree().session().generation() > generation);
    assert_eq!(f.read_at(0, 100).await.unwrap(), b"before after");
    f.close().await.unwrap();
    assert_eq!(
        std::fs::read(s.share_dir("rw").join(format!("{dir}/f{i}"))).unwrap(),
        b"before after"
    );
    st.disconnect().await.unwrap();
}
