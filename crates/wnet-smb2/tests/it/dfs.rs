//! DFS against a real namespace (`wnet_testkit::DfsLab`: three smbd on port 445): referrals,
//! PATH_NOT_COVERED, the share flags.

use std::sync::{Arc, OnceLock};

use wnet_smb2::msg::dfs::ReferralEntry;
use wnet_smb2::{ClientConfig, NtStatus, Session};
use wnet_testkit::{DEFAULT_PASSWORD, DEFAULT_USER, DfsLab};

/// The lab of this test binary (its servers are only read here).
fn lab() -> Arc<DfsLab> {
    static LAB: OnceLock<Arc<DfsLab>> = OnceLock::new();
    LAB.get_or_init(|| {
        Arc::new(DfsLab::start().unwrap_or_else(|e| panic!("cannot start the DFS lab: {e}")))
    })
    .clone()
}

async fn session(host: &str) -> Session {
    Session::connect(ClientConfig::new(host, DEFAULT_USER, DEFAULT_PASSWORD))
        .await
        .expect("session")
}

fn targets(entries: &[ReferralEntry]) -> Vec<(String, u32)> {
    entries
        .iter()
        .map(|e| match e {
            ReferralEntry::Target {
                network_address,
                ttl,
                ..
            } => (network_address.to_lowercase(), *ttl),
            other => panic!("not a target: {other:?}"),
        })
        .collect()
}

#[tokio::test]
async fn a_link_refers_to_both_replicas_in_order() {
    let lab = lab();
    let s = session(lab.ns()).await;
    let path = format!(r"\{}\dfs\team\sub\inner.txt", lab.ns());
    let r = s.dfs_referral(&path).await.expect("referral");
    let (a, b) = (lab.target_a.host(), lab.target_b.host());
    let got = targets(&r.entries);
    assert_eq!(
        got.iter().map(|t| t.0.clone()).collect::<Vec<_>>(),
        vec![format!(r"\{a}\team"), format!(r"\{b}\team")],
        "{r:?}"
    );
    assert!(got.iter().all(|t| t.1 > 0), "a TTL: {r:?}");
    // What one referral costs on a live session (IPC$ tree connect, the FSCTL, disconnect).
    let start = std::time::Instant::now();
    for _ in 0..10 {
        s.dfs_referral(&path).await.expect("referral");
    }
    eprintln!(
        "MEASURED dfs referral round trip: {:?} each (10 in a row)",
        start.elapsed() / 10
    );
    let consumed: String = path
        .encode_utf16()
        .take(r.path_consumed_units)
        .map(|u| char::from_u32(u32::from(u)).unwrap())
        .collect();
    assert!(
        consumed.eq_ignore_ascii_case(&format!(r"\{}\dfs\team", lab.ns())),
        "consumed {consumed:?} of {path:?}"
    );
}

#[tokio::test]
async fn a_nested_link_and_a_proxy_share_refer() {
    let lab = lab();
    let s = session(lab.ns()).await;
    let b = lab.target_b.host();
    let r = s
        .dfs_referral(&format!(r"\{}\dfs\deep\down\link\deep.txt", lab.ns()))
        .await
        .expect("nested referral");
    assert_eq!(targets(&r.entries)[0].0, format!(r"\{b}\deep"), "{r:?}");
    let r = s
        .dfs_referral(&format!(r"\{}\proxy", lab.ns()))
        .await
        .expect("proxy referral");
    let a = lab.target_a.host();
    assert_eq!(targets(&r.entries)[0].0, format!(r"\{a}\team"), "{r:?}");
}

#[tokio::test]
async fn a_path_through_a_link_is_not_covered_by_the_root() {
    let lab = lab();
    let s = session(lab.ns()).await;
    let root = s.tree_connect("dfs").await.expect("tree connect dfs");
    assert!(root.is_dfs(), "the msdfs root share says DFS");
    // A plain file of the root is served by the root.
    let info = root.stat("readme.txt").await.expect("stat readme");
    assert_eq!(info.end_of_file, 19);
    for path in [r"team\hello.txt", "team", r"deep\down\link\deep.txt"] {
        let e = root.stat(path).await.expect_err(path);
        assert!(e.is_path_not_covered(), "{path}: {e}");
        assert_eq!(e.status(), Some(NtStatus::PATH_NOT_COVERED));
    }
    let target = session(lab.target_a.host()).await;
    let team = target.tree_connect("team").await.expect("target share");
    assert!(!team.is_dfs(), "a plain share says no DFS");
}
