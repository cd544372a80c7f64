//! `wnet use` in a Windows domain: single sign-on with the caller's Kerberos ticket, against
//! a real AD domain controller (NTLM is off there, so whatever connects used Kerberos).

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use wnet_proto::Paths;
use wnet_testkit::{DC_PASSWORD, DC_SHARE, DC_USER, DomainController, REALM};
use wnetd::BackgroundDaemon;

use super::docs_examples::readme_console_blocks;
use super::{expect, mounted, path_with_wnet};

/// The daemon is started first; the user runs `kinit` afterwards, in a cache of their own
/// that the daemon's environment does not name: the request must carry it.
struct Domain {
    dc: &'static DomainController,
    daemon: BackgroundDaemon,
    dir: tempfile::TempDir,
}

impl Domain {
    fn new() -> Domain {
        let dc = DomainController::shared();
        let dir = tempfile::tempdir().unwrap();
        let daemon = BackgroundDaemon::start(Paths::under(dir.path())).unwrap();
        Domain { dc, daemon, dir }
    }

    fn kinit(&self, tag: &str) -> PathBuf {
        let cc = self.dir.path().join(format!("krb5cc_{tag}"));
        self.dc.kinit(DC_USER, DC_PASSWORD, &cc).unwrap();
        cc
    }

    fn wnet(&self, ccache: Option<&PathBuf>, args: &[&str]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_wnet"));
        cmd.args(args)
            .envs(self.daemon.paths().env())
            .env("XDG_RUNTIME_DIR", self.dir.path().join("run"))
            .env("WNETD", "/nonexistent/the-daemon-is-already-running")
            .env("KRB5_CONFIG", self.dc.krb5_config())
            .stdin(Stdio::null());
        match ccache {
            Some(cc) => cmd.env("KRB5CCNAME", format!("FILE:{}", cc.display())),
            None => cmd.env("KRB5CCNAME", "FILE:/nonexistent/wnet-no-ticket"),
        };
        cmd.output().unwrap()
    }

    fn unc(&self) -> String {
        self.dc.unc(DC_SHARE)
    }
}

#[test]
fn kinit_then_use_maps_the_share_with_the_callers_ticket() {
    let d = Domain::new();
    let cc = d.kinit("sso");
    let out = d.wnet(Some(&cc), &["use", "K:", &d.unc()]);
    expect(&out, "The command completed successfully.\n\n", "", 0);

    let drive = d.daemon.paths().drive_root.join("K");
    assert!(mounted(&drive));
    std::fs::write(drive.join("from-kerberos.txt"), b"single sign-on").unwrap();
    assert_eq!(
        std::fs::read(d.dc.share_dir(DC_SHARE).join("from-kerberos.txt")).unwrap(),
        b"single sign-on"
    );

    let status = d.wnet(Some(&cc), &["status"]);
    let text = String::from_utf8_lossy(&status.stdout);
    assert!(
        text.contains(&format!(
            "Logon             Kerberos as {DC_USER}@{REALM}\n"
        )),
        "{text}"
    );
    let json = d.wnet(Some(&cc), &["status", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["connections"][0]["mechanism"], "Kerberos");
    assert_eq!(
        v["connections"][0]["principal"],
        format!("{DC_USER}@{REALM}")
    );

    let out = d.wnet(Some(&cc), &["use", "K:", "/delete"]);
    expect(&out, "K: was deleted successfully.\n\n", "", 0);
    assert!(!mounted(&drive));
    assert!(d.dc.audit_log().contains("[SMB2,krb5]"));
}

#[test]
fn without_a_ticket_or_password_the_map_fails_cleanly() {
    let d = Domain::new();
    let started = std::time::Instant::now();
    let out = d.wnet(None, &["use", "L:", &d.unc()]);
    assert_ne!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    // No ticket could be had, so NTLM was tried (the server offers it) and the DC, where
    // NTLM is off, refused the logon: 1326, as the server answers.
    assert!(err.starts_with("System error 1326 has occurred."), "{err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(15));
    assert!(!mounted(&d.daemon.paths().drive_root.join("L")));
}

#[test]
fn a_password_gets_a_ticket_with_ntlm_off() {
    let d = Domain::new();
    let out = d.wnet(
        None,
        &[
            "use",
            "M:",
            &d.unc(),
            DC_PASSWORD,
            &format!("/USER:{DC_USER}@{REALM}"),
        ],
    );
    expect(&out, "The command completed successfully.\n\n", "", 0);
    let out = d.wnet(None, &["use", "M:", "/delete"]);
    expect(&out, "M: was deleted successfully.\n\n", "", 0);
}

#[test]
fn the_readme_domain_example_works_pasted_into_bash() {
    let d = Domain::new();
    let blocks: Vec<Vec<String>> = readme_console_blocks()
        .into_iter()
        .filter(|b| b.iter().any(|c| c.starts_with("kinit ")))
        .collect();
    assert_eq!(blocks.len(), 1, "one Windows-domain example in the README");
    let cc = d.dir.path().join("krb5cc_readme");
    let path = path_with_wnet();
    for line in &blocks[0] {
        if line.starts_with("kinit ") {
            // kinit asks for the password on the terminal: the kit's kinit does the same.
            d.dc.kinit(DC_USER, DC_PASSWORD, &cc).unwrap();
            continue;
        }
        let local = line
            .replace("fs.corp.test", &format!("{}@{}", d.dc.host(), d.dc.port()))
            .replace("CORP.TEST", REALM)
            .replace("/data", &format!("/{DC_SHARE}"));
        let out = Command::new("bash")
            .args(["--norc", "--noprofile", "-c", &local])
            .envs(d.daemon.paths().env())
            .env("XDG_RUNTIME_DIR", d.dir.path().join("run"))
            .env("WNETD", "/nonexistent/the-daemon-is-already-running")
            .env("KRB5_CONFIG", d.dc.krb5_config())
            .env("KRB5CCNAME", format!("FILE:{}", cc.display()))
            .env("PATH", &path)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "`{line}` (run as `{local}`):\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let list = d.wnet(Some(&cc), &["use"]);
    assert!(String::from_utf8_lossy(&list.stdout).contains("There are no entries in the list."));
}

#[test]
fn require_privacy_encrypts_with_the_kerberos_keys() {
    let d = Domain::new();
    let cc = d.kinit("privacy");
    // Every request of the session is encrypted with keys derived from the Kerberos session
    // key: a wrong key would fail the tree connect or the first read.
    let out = d.wnet(Some(&cc), &["use", "J:", &d.unc(), "/REQUIREPRIVACY"]);
    expect(&out, "The command completed successfully.\n\n", "", 0);
    let drive = d.daemon.paths().drive_root.join("J");
    std::fs::write(drive.join("sealed.txt"), b"encrypted on the wire").unwrap();
    assert_eq!(
        std::fs::read(drive.join("sealed.txt")).unwrap(),
        b"encrypted on the wire"
    );
    let out = d.wnet(Some(&cc), &["use", "J:", "/delete"]);
    expect(&out, "J: was deleted successfully.\n\n", "", 0);
}

/// A ticket that lives a little longer than the DC's floor for issuing service tickets (two
/// minutes, see `DomainController::kinit_for`), and how long its expiry may take to come.
const SHORT_TICKET: &str = "150s";
const EXPIRY_BOUND: std::time::Duration = std::time::Duration::from_secs(240);

/// Retries `f` (a drive operation) until it succeeds, for at most `bound`; its last result.
fn eventually<T>(
    bound: std::time::Duration,
    mut f: impl FnMut() -> std::io::Result<T>,
) -> std::io::Result<T> {
    let deadline = std::time::Instant::now() + bound;
    loop {
        let r = f();
        if r.is_ok() || std::time::Instant::now() >= deadline {
            return r;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

#[test]
fn an_expired_ticket_makes_the_drive_unavailable_until_kinit() {
    let d = Domain::new();
    let cc = d.dir.path().join("krb5cc_expiry");
    d.dc.kinit_for(DC_USER, DC_PASSWORD, &cc, Some(SHORT_TICKET))
        .unwrap();
    let out = d.wnet(Some(&cc), &["use", "E:", &d.unc()]);
    expect(&out, "The command completed successfully.\n\n", "", 0);
    let drive = d.daemon.paths().drive_root.join("E");
    std::fs::write(drive.join("before-expiry.txt"), b"1").unwrap();

    assert!(
        d.dc.wait_expired(&cc, EXPIRY_BOUND),
        "the ticket did not expire"
    );
    assert!(d.dc.kill_clients() >= 1, "no connection to drop");

    // The reconnect finds only the expired ticket: the call fails soon, with EKEYEXPIRED
    // (not a hang, not a wait for the reconnect deadline), and so does the next one, at once.
    for _ in 0..2 {
        let started = std::time::Instant::now();
        let e = std::fs::write(drive.join("after-expiry.txt"), b"2").unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::EKEYEXPIRED), "{e}");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(15),
            "took {:?}",
            started.elapsed()
        );
    }
    let status = d.wnet(Some(&cc), &["status"]);
    let text = String::from_utf8_lossy(&status.stdout);
    assert!(text.contains("Status            Unavailable\n"), "{text}");
    assert!(text.contains("Reason            Kerberos: "), "{text}");
    let json = d.wnet(Some(&cc), &["status", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["connections"][0]["status"], "Unavailable");
    assert!(
        v["connections"][0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("expired")),
        "{v}"
    );

    // A new ticket in the same cache: the drive comes back by itself (its probe logs on
    // again), no remap.
    d.dc.kinit(DC_USER, DC_PASSWORD, &cc).unwrap();
    eventually(std::time::Duration::from_secs(30), || {
        std::fs::write(drive.join("after-kinit.txt"), b"3")
    })
    .unwrap();
    assert_eq!(
        std::fs::read(d.dc.share_dir(DC_SHARE).join("after-kinit.txt")).unwrap(),
        b"3"
    );
    let status = d.wnet(Some(&cc), &["status"]);
    let text = String::from_utf8_lossy(&status.stdout);
    assert!(text.contains("Status            OK\n"), "{text}");
    assert!(!text.contains("Reason"), "{text}");
    let out = d.wnet(Some(&cc), &["use", "E:", "/delete"]);
    expect(&out, "E: was deleted successfully.\n\n", "", 0);
}
