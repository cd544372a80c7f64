//! Kerberos against a real AD domain controller (Samba 4 as a DC, NTLM switched off there, so
//! every session that succeeds was made with Kerberos).

use std::path::PathBuf;

use wnet_smb2::error::Error;
use wnet_smb2::{ClientConfig, CreateOptions, Mechanism, Session};
use wnet_testkit::{
    DC_DFS_SHARE, DC_NAME, DC_PASSWORD, DC_SHARE, DC_USER, DOMAIN_DNS, DomainController, REALM,
};

/// A fresh ccache file with a ticket for the test user.
fn ticket(dc: &DomainController, tag: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let cc = dir.path().join(format!("cc.{tag}"));
    dc.kinit(DC_USER, DC_PASSWORD, &cc).unwrap();
    (dir, cc)
}

fn config(dc: &DomainController, user: &str, password: &str) -> ClientConfig {
    ClientConfig::new(dc.host(), user, password).port(dc.port())
}

#[tokio::test]
async fn a_ticket_from_the_callers_ccache_signs_and_encrypts() {
    let dc = DomainController::shared();
    let (_dir, cc) = ticket(dc, "sso");
    for encrypt in [false, true] {
        let mut cfg = config(dc, "", "");
        cfg.kerberos.ccache = Some(format!("FILE:{}", cc.display()));
        cfg.require_encryption = encrypt;
        let s = Session::connect(cfg).await.unwrap();
        assert_eq!(
            s.mechanism(),
            Some((Mechanism::Kerberos, format!("{DC_USER}@{REALM}")))
        );
        assert!(!s.is_guest());
        assert_eq!(s.is_encrypted(), encrypt);
        let t = s.tree_connect(DC_SHARE).await.unwrap();
        let name = format!("krb-{encrypt}.txt");
        let f = t.create(&name, &CreateOptions::overwrite()).await.unwrap();
        f.write_at(0, b"signed with the Kerberos key")
            .await
            .unwrap();
        f.close().await.unwrap();
        assert_eq!(
            std::fs::read(dc.share_dir(DC_SHARE).join(&name)).unwrap(),
            b"signed with the Kerberos key"
        );
    }
    assert!(dc.audit_log().contains("[SMB2,krb5]"));
}

#[tokio::test]
async fn a_password_gets_a_ticket_when_ntlm_is_off() {
    let dc = DomainController::shared();
    for user in [format!("{DC_USER}@{REALM}"), format!("{DC_USER}@wnet.test")] {
        let mut cfg = config(dc, &user, DC_PASSWORD);
        // No ccache at all: the ticket must come from the password.
        cfg.kerberos.ccache = Some("FILE:/nonexistent/wnet-test-ccache".into());
        let s = Session::connect(cfg).await.unwrap();
        assert_eq!(
            s.mechanism().map(|m| m.0),
            Some(Mechanism::Kerberos),
            "{user}"
        );
        s.tree_connect(DC_SHARE).await.unwrap();
    }
}

#[tokio::test]
async fn a_wrong_password_is_a_kerberos_refusal() {
    let dc = DomainController::shared();
    let mut cfg = config(dc, &format!("{DC_USER}@{REALM}"), "not-the-password");
    cfg.kerberos.ccache = Some("FILE:/nonexistent/wnet-test-ccache".into());
    let e = Session::connect(cfg).await.unwrap_err();
    // No ticket could be had, so NTLM was tried, and the DC (NTLM off) refused it.
    assert!(
        matches!(
            e,
            Error::Status { .. } | Error::Kerberos(_) | Error::Auth(_)
        ),
        "{e}"
    );
}

#[tokio::test]
async fn no_ticket_and_no_password_fails_cleanly() {
    let dc = DomainController::shared();
    let mut cfg = config(dc, "", "");
    cfg.kerberos.ccache = Some("FILE:/nonexistent/wnet-test-ccache".into());
    let started = std::time::Instant::now();
    let r = async {
        let s = Session::connect(cfg).await?;
        s.tree_connect(DC_SHARE).await
    }
    .await;
    assert!(r.is_err(), "an anonymous session must not reach the share");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
}

#[tokio::test]
async fn an_address_uses_ntlm_even_with_a_ticket() {
    let dc = DomainController::shared();
    let (_dir, cc) = ticket(dc, "addr");
    let mut cfg = ClientConfig::new(dc.address().to_string(), "", "").port(dc.port());
    cfg.kerberos.ccache = Some(format!("FILE:{}", cc.display()));
    // NTLM is off on the DC: an address (NTLM only, as on Windows) cannot log in.
    let r = async {
        let s = Session::connect(cfg).await?;
        s.tree_connect(DC_SHARE).await
    }
    .await;
    assert!(r.is_err());
}

#[tokio::test]
async fn a_realm_without_a_kdc_is_named_as_the_reason() {
    let dc = DomainController::shared();
    // No KDC is known for this realm: no ticket can be had, NTLM stands in, the DC (NTLM
    // off) refuses it, and the answer names the Kerberos cause rather than a bad password.
    let mut cfg = config(dc, &format!("{DC_USER}@NOWHERE.INVALID"), DC_PASSWORD);
    cfg.kerberos.ccache = Some("FILE:/nonexistent/wnet-test-ccache".into());
    let e = Session::connect(cfg).await.unwrap_err();
    match e {
        Error::Kerberos(k) => assert_eq!(
            k.kind,
            wnet_smb2::auth::gss::GssErrorKind::KdcUnreachable,
            "{k}"
        ),
        other => panic!("{other}"),
    }
}

/// Ticket lifetime of the expiry tests (the DC issues no service ticket for a TGT with less
/// than two minutes left: see `DomainController::kinit_for`), and how long to wait for it to
/// run out.
const SHORT_TICKET: &str = "150s";
const EXPIRY_BOUND: std::time::Duration = std::time::Duration::from_secs(240);

/// A session on the DC's share with a short ticket from a fresh ccache.
async fn short_ticket_session(
    dc: &DomainController,
    tag: &str,
) -> (tempfile::TempDir, PathBuf, Session, wnet_smb2::Tree) {
    let dir = tempfile::tempdir().unwrap();
    let cc = dir.path().join(format!("cc.{tag}"));
    dc.kinit_for(DC_USER, DC_PASSWORD, &cc, Some(SHORT_TICKET))
        .unwrap();
    let mut cfg = config(dc, "", "");
    cfg.kerberos.ccache = Some(format!("FILE:{}", cc.display()));
    let s = Session::connect(cfg).await.unwrap();
    let t = s.tree_connect(DC_SHARE).await.unwrap();
    (dir, cc, s, t)
}

/// Waits, off the runtime, until the ticket in `cc` has expired.
async fn wait_expired(cc: &std::path::Path) {
    let cc = cc.to_path_buf();
    let expired = tokio::task::spawn_blocking(move || {
        DomainController::shared().wait_expired(&cc, EXPIRY_BOUND)
    })
    .await
    .unwrap();
    assert!(expired, "the {SHORT_TICKET} ticket did not expire");
}

/// Drops the DC's client connections (the other expiry test may have dropped `s`'s already)
/// and waits until `s` has noticed.
async fn drop_connection(s: &Session) {
    tokio::task::spawn_blocking(|| DomainController::shared().kill_clients())
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while !s.connection().is_dead() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the connection survived"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn an_expired_ticket_fails_the_reconnect_at_once_and_kinit_heals_it() {
    let dc = DomainController::shared();
    let (_dir, cc, s, t) = short_ticket_session(dc, "expire").await;
    wait_expired(&cc).await;
    drop_connection(&s).await;
    // The reconnect finds only an expired ticket: a definite refusal, not retried until the
    // reconnect deadline (tens of seconds), and not a hang.
    let started = std::time::Instant::now();
    let e = t
        .create("expired.txt", &CreateOptions::overwrite())
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    match &e {
        Error::Kerberos(k) => assert!(
            matches!(
                k.kind,
                wnet_smb2::auth::gss::GssErrorKind::Expired
                    | wnet_smb2::auth::gss::GssErrorKind::NoCredentials
            ),
            "{k}"
        ),
        other => panic!("{other:?}"),
    }
    // The next kinit into the same ccache makes the same session (and tree) work again.
    dc.kinit(DC_USER, DC_PASSWORD, &cc).unwrap();
    let f = t
        .create("expired.txt", &CreateOptions::overwrite())
        .await
        .unwrap();
    f.write_at(0, b"after kinit").await.unwrap();
    f.close().await.unwrap();
    assert_eq!(s.mechanism().map(|m| m.0), Some(Mechanism::Kerberos));
    assert_eq!(
        std::fs::read(dc.share_dir(DC_SHARE).join("expired.txt")).unwrap(),
        b"after kinit"
    );
}

#[tokio::test]
async fn a_renewed_ticket_is_used_on_reconnect() {
    let dc = DomainController::shared();
    let (_dir, cc, s, t) = short_ticket_session(dc, "renew").await;
    wait_expired(&cc).await;
    // The user renews before the connection drops: the reconnect simply uses the new ticket.
    dc.kinit(DC_USER, DC_PASSWORD, &cc).unwrap();
    let before = s.generation();
    drop_connection(&s).await;
    let f = t
        .create("renewed.txt", &CreateOptions::overwrite())
        .await
        .unwrap();
    f.close().await.unwrap();
    assert!(s.generation() > before, "no reconnect happened");
}

/// What Samba 4.17's DC answers for a domain-based DFS client ([MS-DFSC] 3.1.4.2), measured
/// here: the DC referral of the domain names its DC by DNS name, a root referral of a DFS
/// share on the DC names the root itself (`\\domain\dfs`, as asked), a link of it leads to
/// its targets, and SYSVOL/NETLOGON lead to the DC's shares.
#[tokio::test]
async fn a_dc_answers_dc_root_link_and_sysvol_referrals() {
    use wnet_smb2::msg::dfs::ReferralEntry;
    let dc = DomainController::shared();
    let target = std::net::Ipv4Addr::new(127, 0, 0, 3);
    dc.dfs_link("kteam", &[(target, "team")]).unwrap();
    let s = Session::connect(config(dc, DC_USER, DC_PASSWORD))
        .await
        .unwrap();
    let first = |r: wnet_smb2::msg::dfs::ReferralResponse| r.entries[0].clone();
    match first(s.dfs_referral(&format!(r"\{DOMAIN_DNS}")).await.unwrap()) {
        ReferralEntry::NameList { expanded_names, .. } => {
            assert_eq!(expanded_names, vec![format!(r"\{DC_NAME}")]);
        }
        other => panic!("{other:?}"),
    }
    let address = |e: ReferralEntry| match e {
        ReferralEntry::Target {
            network_address, ..
        } => network_address.to_lowercase(),
        other => panic!("{other:?}"),
    };
    let refer = |p: String| {
        let s = s.clone();
        async move { address(first(s.dfs_referral(&p).await.unwrap())) }
    };
    assert_eq!(
        refer(format!(r"\{DOMAIN_DNS}\{DC_DFS_SHARE}")).await,
        format!(r"\{DOMAIN_DNS}\{DC_DFS_SHARE}")
    );
    assert_eq!(
        refer(format!(r"\{DOMAIN_DNS}\{DC_DFS_SHARE}\kteam")).await,
        format!(r"\{target}\team")
    );
    for share in ["sysvol", "netlogon"] {
        assert_eq!(
            refer(format!(r"\{DOMAIN_DNS}\{share}")).await,
            format!(r"\{DC_NAME}\{share}")
        );
    }
}
