//! `wnet use` with a DFS name: the real binary and daemon against a namespace of three smbd
//! on port 445 (`wnet_testkit::DfsLab`). The name shown and remembered is the user's; status
//! also shows the target in use.

use std::process::{Command, Output, Stdio};

use wnet_proto::Paths;
use wnet_testkit::{
    DC_NAME, DC_PASSWORD, DC_USER, DEFAULT_PASSWORD, DEFAULT_USER, DFS_HELLO, DOMAIN_DNS, DfsLab,
    DomainController,
};
use wnetd::BackgroundDaemon;

use super::docs_examples::readme_console_blocks;
use super::{expect, listing, listing_row, mounted, path_with_wnet};

struct Dfs {
    lab: DfsLab,
    daemon: BackgroundDaemon,
    dir: tempfile::TempDir,
}

impl Dfs {
    fn new() -> Dfs {
        let lab = DfsLab::start().unwrap_or_else(|e| panic!("cannot start the DFS lab: {e}"));
        let dir = tempfile::tempdir().unwrap();
        let daemon = BackgroundDaemon::start(Paths::under(dir.path())).unwrap();
        Dfs { lab, daemon, dir }
    }

    fn wnet(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_wnet"))
            .args(args)
            .envs(self.daemon.paths().env())
            .env("XDG_RUNTIME_DIR", self.dir.path().join("run"))
            .env("WNETD", "/nonexistent/the-daemon-is-already-running")
            // No ticket of the caller's: a domain user's password gets one.
            .env("KRB5CCNAME", "FILE:/nonexistent/wnet-no-ticket")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    /// The test DC in the daemon's hosts file (`lmhosts` next to the profile) and a link
    /// `link` of its `dfs` root leading to the lab's targets.
    fn domain(&self, link: &str) -> &'static DomainController {
        let dc = DomainController::shared();
        let config = self.daemon.paths().profile.parent().unwrap().to_path_buf();
        std::fs::create_dir_all(&config).unwrap();
        std::fs::write(
            config.join("lmhosts"),
            format!("{} {DC_NAME} #PRE #DOM:{DOMAIN_DNS}\n", dc.dfs_address()),
        )
        .unwrap();
        let ip = |s: &wnet_testkit::Samba| s.host().parse::<std::net::Ipv4Addr>().unwrap();
        dc.dfs_link(
            link,
            &[
                (ip(&self.lab.target_a), "team"),
                (ip(&self.lab.target_b), "team"),
            ],
        )
        .unwrap();
        dc
    }
}

#[test]
fn a_path_below_a_dfs_link_is_mapped_listed_and_remembered_by_its_dfs_name() {
    let d = Dfs::new();
    let unc = d.lab.unc(r"\team\sub");
    let user = format!("/USER:{DEFAULT_USER}");
    expect(
        &d.wnet(&["use", "Y:", &unc, DEFAULT_PASSWORD, &user]),
        "The command completed successfully.\n\n",
        "",
        0,
    );
    let drive = d.daemon.paths().drive_root.join("Y");
    assert!(mounted(&drive));
    assert_eq!(
        std::fs::read_to_string(drive.join("inner.txt")).unwrap(),
        "inner\n"
    );
    expect(
        &d.wnet(&["use"]),
        &listing(&[listing_row("OK", "Y:", &unc)]),
        "",
        0,
    );
    let target = format!(r"\\{}\team\sub", d.lab.target_a.host());
    let status = d.wnet(&["status"]);
    let text = String::from_utf8_lossy(&status.stdout);
    assert!(
        text.contains(&format!("Remote name       {unc}\n")),
        "{text}"
    );
    assert!(
        text.contains(&format!("DFS target        {target}\n")),
        "{text}"
    );
    let json: serde_json::Value =
        serde_json::from_slice(&d.wnet(&["status", "--json"]).stdout).unwrap();
    let row = &json["connections"][0];
    assert_eq!(row["remote"], unc);
    assert_eq!(row["target"], target);
    // The profile remembers the DFS name, not the target.
    let profile = wnet_core::ProfileStore::new(d.daemon.paths().profile.clone())
        .load()
        .unwrap();
    let entry = &profile.devices[&wnet_core::LocalName::Drive(b'Y')];
    assert_eq!(entry.remote_path.to_string(), unc);
    // A link itself maps too.
    let root = d.lab.unc(r"\team");
    expect(
        &d.wnet(&["use", "T:", &root, DEFAULT_PASSWORD, &user]),
        "The command completed successfully.\n\n",
        "",
        0,
    );
    assert_eq!(
        std::fs::read_to_string(d.daemon.paths().drive_root.join("T/hello.txt")).unwrap(),
        DFS_HELLO
    );
    for device in ["Y:", "T:"] {
        expect(
            &d.wnet(&["use", device, "/delete"]),
            &format!("{device} was deleted successfully.\n\n"),
            "",
            0,
        );
    }
}

#[test]
fn the_readme_dfs_examples_work_pasted_into_bash() {
    let d = Dfs::new();
    let examples: Vec<String> = readme_console_blocks()
        .into_iter()
        .filter(|b| b.iter().any(|c| c.contains("corp-ns")))
        .flatten()
        .collect();
    assert!(examples.len() >= 4, "{examples:?}");
    let path = path_with_wnet();
    for example in &examples {
        // The documented names: the lab's namespace, its root share and a folder of a link.
        let line = example
            .replace("corp-ns", d.lab.ns())
            .replace(r"\files", r"\dfs")
            .replace(r"team\reports", r"team\sub")
            .replace("alice", DEFAULT_USER);
        let mut child = Command::new("bash")
            .args(["--norc", "--noprofile", "-c", &line])
            .envs(d.daemon.paths().env())
            .env("XDG_RUNTIME_DIR", d.dir.path().join("run"))
            .env("WNETD", "/nonexistent/the-daemon-is-already-running")
            .env("PATH", &path)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        let _ = child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{DEFAULT_PASSWORD}\n").as_bytes());
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "`{example}` (run as `{line}`) failed:\n{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        if line.contains("DFS target") {
            let want = format!(r"DFS target        \\{}\team\sub", d.lab.target_a.host());
            assert!(stdout.contains(&want), "{stdout}");
        }
    }
    expect(
        &d.wnet(&["use"]),
        "New connections will be remembered.\n\nThere are no entries in the list.\n\n",
        "",
        0,
    );
}

#[test]
fn a_domain_based_dfs_name_is_mapped_shown_and_remembered_as_written() {
    let d = Dfs::new();
    d.domain("cliteam");
    let unc = format!(r"\\{DOMAIN_DNS}\dfs\cliteam");
    let user = format!("/USER:{DC_USER}");
    expect(
        &d.wnet(&["use", "D:", &unc, DC_PASSWORD, &user]),
        "The command completed successfully.\n\n",
        "",
        0,
    );
    let drive = d.daemon.paths().drive_root.join("D");
    assert_eq!(
        std::fs::read_to_string(drive.join("hello.txt")).unwrap(),
        DFS_HELLO
    );
    expect(
        &d.wnet(&["use"]),
        &listing(&[listing_row("OK", "D:", &unc)]),
        "",
        0,
    );
    let status = d.wnet(&["status"]);
    let text = String::from_utf8_lossy(&status.stdout);
    assert!(
        text.contains(&format!("Remote name       {unc}\n")),
        "{text}"
    );
    let target = format!(r"\\{}\team", d.lab.target_a.host());
    assert!(
        text.contains(&format!("DFS target        {target}\n")),
        "{text}"
    );
    let profile = wnet_core::ProfileStore::new(d.daemon.paths().profile.clone())
        .load()
        .unwrap();
    let entry = &profile.devices[&wnet_core::LocalName::Drive(b'D')];
    assert_eq!(entry.remote_path.to_string(), unc);
    expect(
        &d.wnet(&["use", "D:", "/delete"]),
        "D: was deleted successfully.\n\n",
        "",
        0,
    );
}
