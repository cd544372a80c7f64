//! `wnet use` with WebDAV names: the real binary and daemon (both providers) against Apache
//! httpd over HTTPS (its throwaway CA trusted by the daemon) and `rclone serve webdav`. The
//! README's WebDAV examples run pasted into bash; the listing's `Network` column and `--json`
//! name the provider.

use std::process::{Command, Output, Stdio};

use wnet_proto::Paths;
use wnet_testkit::{Apache, DAV_PASSWORD, DAV_USER, DavAuth, RcloneDav};
use wnetd::BackgroundDaemon;

use super::docs_examples::readme_console_blocks;
use super::{expect, path_with_wnet};

const DAV: &str = "Web Client Network";

struct Web {
    daemon: BackgroundDaemon,
    dir: tempfile::TempDir,
}

impl Web {
    /// A daemon with the real providers, its WebDAV provider trusting `ca`.
    fn new(ca: Option<&std::path::Path>) -> Web {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::under(dir.path());
        let router = wnetd::provider_router_with(&paths, ca.map(Into::into)).unwrap();
        let daemon = BackgroundDaemon::with_router(paths, router).unwrap();
        Web { daemon, dir }
    }

    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        cmd.envs(self.daemon.paths().env())
            .env("XDG_RUNTIME_DIR", self.dir.path().join("run"))
            .env("WNETD", "/nonexistent/the-daemon-is-already-running")
            .stdin(Stdio::null());
        cmd
    }

    fn wnet(&self, args: &[&str]) -> Output {
        self.command(env!("CARGO_BIN_EXE_wnet"))
            .args(args)
            .output()
            .unwrap()
    }

    /// `line` run by bash with `stdin` (the password a `'*'` prompts for).
    fn bash(&self, line: &str, stdin: &str) -> Output {
        let mut child = self
            .command("bash")
            .args(["--norc", "--noprofile", "-c", line])
            .env("PATH", path_with_wnet())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
        child.wait_with_output().unwrap()
    }
}

#[test]
fn the_readme_webdav_examples_work_pasted_into_bash() {
    let apache = Apache::start(true, DavAuth::Basic);
    apache.seed(&format!("dav/{DAV_USER}/readme.txt"), b"hello");
    let w = Web::new(apache.ca_pem());
    let examples: Vec<String> = readme_console_blocks()
        .into_iter()
        .filter(|b| b.iter().any(|c| c.contains("cloud.example")))
        .flatten()
        .collect();
    assert!(examples.len() >= 4, "{examples:?}");
    let port = apache.port();
    for example in &examples {
        // The documented names: the server (`host:port` in a URL, `host@SSL@port` in a UNC)
        // and the user.
        let line = example
            .replace("cloud.example@SSL", &format!("localhost@SSL@{port}"))
            .replace("cloud.example", &format!("localhost:{port}"))
            .replace("alice", DAV_USER);
        let out = w.bash(&line, &format!("{DAV_PASSWORD}\n"));
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "`{example}` (run as `{line}`) failed:\n--- stdout\n{}--- stderr\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let list = String::from_utf8(w.wnet(&["use"]).stdout).unwrap();
    assert!(
        list.contains("There are no entries in the list."),
        "the examples leave connections behind:\n{list}"
    );
}

/// The listing shows the name as given and `Web Client Network` in the `Network` column;
/// `--json` names the provider; `wnet status` lists the providers in order with what each
/// says of itself.
#[test]
fn listing_and_json_name_the_webdav_provider() {
    let rclone = RcloneDav::start(false);
    std::fs::create_dir(rclone.root().join("team")).unwrap();
    let w = Web::new(None);
    let url = format!("{}team", rclone.url());
    expect(
        &w.wnet(&["use", &url]),
        "The command completed successfully.\n\n",
        "",
        0,
    );
    // A long remote name wraps: its row, then the Network column on the next line (net.exe).
    let list = String::from_utf8(w.wnet(&["use"]).stdout).unwrap();
    let lines: Vec<&str> = list.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.contains(&url))
        .unwrap_or_else(|| panic!("no row for {url}:\n{list}"));
    assert!(lines[at].starts_with("OK"), "{list}");
    assert_eq!(lines[at + 1].trim(), DAV, "{list}");
    let json: serde_json::Value =
        serde_json::from_slice(&w.wnet(&["use", "--json"]).stdout).unwrap();
    let text = json.to_string();
    assert!(text.contains(DAV) && text.contains(&url), "{text}");

    let status = String::from_utf8(w.wnet(&["status"]).stdout).unwrap();
    assert!(
        status.contains("Providers         Microsoft Windows Network, Web Client Network\n")
            && status
                .contains("Web Client Network: 1 connections, 1 WebDAV servers, 0 drive letters\n"),
        "{status}"
    );
    expect(
        &w.wnet(&["use", &url, "/delete"]),
        &format!("{url} was deleted successfully.\n\n"),
        "",
        0,
    );
}

/// `wnet use Z:` with each name Windows takes for a WebDAV folder (a URL, `\\host@port\path`,
/// `\\host@SSL@port\DavWWWRoot\path` against Apache over HTTPS): the drive serves the
/// folder, the listing's row says `Web Client Network`, `wnet status` counts the drive
/// letters, `/delete` with a file open asks and (no answer) keeps the drive, `/Y` forces.
#[test]
fn webdav_drive_letters_through_the_cli() {
    let http = Apache::start(false, DavAuth::None);
    http.seed("team/readme.txt", b"hello");
    let https = Apache::start(true, DavAuth::Basic);
    https.seed(&format!("dav/{DAV_USER}/readme.txt"), b"hello");
    let w = Web::new(https.ca_pem());
    let z = w.daemon.paths().drive_root.join("Z");
    let names = [
        (format!("{}team", http.url()), None),
        (format!(r"\\127.0.0.1@{}\team", http.port()), None),
        (
            format!(
                r"\\localhost@SSL@{}\DavWWWRoot\dav\{DAV_USER}",
                https.port()
            ),
            Some((DAV_USER, DAV_PASSWORD)),
        ),
    ];
    for (name, creds) in &names {
        let mut args = vec!["use", "Z:", name.as_str()];
        let user;
        if let Some((u, p)) = creds {
            user = format!("/USER:{u}");
            args.extend([*p, user.as_str()]);
        }
        expect(
            &w.wnet(&args),
            "The command completed successfully.\n\n",
            "",
            0,
        );
        assert_eq!(
            std::fs::read(z.join("readme.txt")).unwrap(),
            b"hello",
            "{name}"
        );
        let list = String::from_utf8(w.wnet(&["use"]).stdout).unwrap();
        let lines: Vec<&str> = list.lines().collect();
        let at = lines
            .iter()
            .position(|l| l.starts_with("OK           Z:"))
            .unwrap_or_else(|| panic!("no row for Z:\n{list}"));
        assert!(
            lines[at].ends_with(DAV) || lines[at + 1].trim() == DAV,
            "{list}"
        );
        let status = String::from_utf8(w.wnet(&["status"]).stdout).unwrap();
        assert!(status.contains(", 1 drive letters\n"), "{status}");

        let open = std::fs::File::open(z.join("readme.txt")).unwrap();
        // The holder: this test process.
        let comm = std::fs::read_to_string("/proc/self/comm").unwrap();
        let pending = format!(
            "There are open files and/or incomplete directory searches pending on the connection to Z:.\n\
             \x20 {}  (pid {}, {})\n\n",
            z.join("readme.txt").display(),
            std::process::id(),
            comm.trim_end()
        );
        expect(
            &w.wnet(&["use", "Z:", "/delete"]),
            &format!(
                "{pending}Is it OK to continue disconnecting and force them closed? (Y/N) [N]: \n"
            ),
            "",
            2,
        );
        assert_eq!(std::fs::read(z.join("readme.txt")).unwrap(), b"hello");
        expect(
            &w.wnet(&["use", "Z:", "/delete", "/Y"]),
            &format!("{pending}Z: was deleted successfully.\n\n"),
            "",
            0,
        );
        drop(open);
        assert!(!z.exists(), "{name}: the mount point is removed");
    }
}
