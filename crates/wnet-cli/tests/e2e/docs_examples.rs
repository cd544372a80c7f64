//! The documentation's examples work when pasted into bash: the `$ wnet ...` lines of the
//! README's console blocks, of the man page's EXAMPLES (as `groff` prints them) and the
//! examples of `wnet use --help` run, in order, against a real Samba, with the documented
//! names (`fileserver`, `team`, `alice`, port 4455; `printer` is the test server's print share) replaced by the test server's. Each must
//! succeed with nothing on stderr; the working directory holds files, so an unquoted `*` would
//! be expanded and fail.

use std::path::{Path, PathBuf};
use std::process::Command;

use wnet_testkit::{DEFAULT_PASSWORD, DEFAULT_USER};

use crate::World;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The commands after `$ ` in each of the README's ```console blocks.
pub fn readme_console_blocks() -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let mut blocks = Vec::new();
    let mut current: Option<Vec<String>> = None;
    for line in text.lines() {
        if line.starts_with("```") {
            if let Some(done) = current.take() {
                blocks.push(done);
            } else if line == "```console" {
                current = Some(Vec::new());
            }
            continue;
        }
        if let (Some(block), Some(cmd)) = (current.as_mut(), line.strip_prefix("$ ")) {
            block.push(cmd.to_owned());
        }
    }
    blocks
}

/// The `wnet` commands of the README's console blocks, but for the Windows-domain ones (those
/// that `kinit` first): `kerberos.rs` runs those against the test DC; the DFS ones (on
/// `corp-ns`): `dfs.rs` runs those against a namespace; and the WebDAV ones (on
/// `cloud.example`): `webdav.rs` runs those against Apache over HTTPS.
fn readme_examples() -> Vec<String> {
    readme_console_blocks()
        .into_iter()
        .filter(|b| {
            !b.iter().any(|c| {
                c.starts_with("kinit ") || c.contains("corp-ns") || c.contains("cloud.example")
            })
        })
        .flatten()
        .filter(|c| c.starts_with("wnet "))
        .collect()
}

/// The `$ wnet ...` lines of `wnet.1` as a reader sees them (rendered by groff).
fn man_examples() -> Vec<String> {
    let out = Command::new("groff")
        .args(["-man", "-Tutf8", "-P-cbou"])
        .arg(repo().join("docs/man/wnet.1"))
        .output()
        .expect("groff (package groff-base) renders the man page");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("$ "))
        .filter(|l| l.starts_with("wnet "))
        .map(str::to_owned)
        .collect()
}

/// The indented `wnet use ...` example lines of `wnet use --help`.
fn help_examples(w: &World) -> Vec<String> {
    let help = String::from_utf8(w.wnet(&["use", "--help"]).stdout).unwrap();
    help.lines()
        .filter_map(|l| l.strip_prefix("    "))
        .filter(|l| l.starts_with("wnet use "))
        .map(str::to_owned)
        .collect()
}

/// The documented names replaced by the test server's, word by word: a host gets the port in
/// the form of its word (`host:port` in a URL, `host@port` in a UNC).
fn localize(cmd: &str, w: &World) -> String {
    let (host, port) = (w.samba.host(), w.samba.port());
    cmd.split(' ')
        .map(|word| {
            let sep = if word.contains("smb://") { ':' } else { '@' };
            word.replace(&format!("fileserver{sep}4455"), "fileserver")
                .replace("fileserver", &format!("{host}{sep}{port}"))
                .replace("team", "rw")
                .replace("alice", DEFAULT_USER)
                .replace("CORP", "WORKGROUP")
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn run_all(w: &World, source: &str, examples: &[String]) {
    let cwd = tempfile::tempdir().unwrap();
    for f in ["report.txt", "photo.jpg"] {
        std::fs::write(cwd.path().join(f), b"").unwrap();
    }
    for example in examples {
        let line = localize(example, w);
        let out = w.bash(&line, cwd.path(), &format!("{DEFAULT_PASSWORD}\n"));
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "{source}: `{example}` (run as `{line}`) failed:\n--- stdout\n{}--- stderr\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // Every example block disconnects what it connected (and forgets what it remembered).
    let list = String::from_utf8(w.wnet(&["use"]).stdout).unwrap();
    assert!(
        list.contains("There are no entries in the list."),
        "{source} leaves connections behind:\n{list}"
    );
}

#[test]
fn readme_man_page_and_help_examples_work_pasted_into_bash() {
    // With the print share `printer` of the README's printer example.
    let w = World::with(wnet_testkit::Samba::start_with_printer());

    let readme = readme_examples();
    assert!(
        readme
            .iter()
            .any(|e| e.contains("fileserver") && e.contains("'*'")),
        "the README's connect examples were found: {readme:?}"
    );
    run_all(&w, "README.md", &readme);

    let man = man_examples();
    assert!(
        man.iter().filter(|e| e.contains("/delete")).count() >= 2,
        "the man page's examples were found: {man:?}"
    );
    run_all(&w, "wnet.1", &man);

    let help = help_examples(&w);
    assert!(help.len() >= 3, "--help's examples were found: {help:?}");
    // Each --help line is the same connection of Z:, one form at a time.
    for example in &help {
        run_all(
            &w,
            "wnet use --help",
            &[example.clone(), "wnet use Z: /delete".into()],
        );
    }
}
