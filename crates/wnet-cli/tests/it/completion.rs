//! The bash completion (`dist/wnet.bash`), run by a real bash.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use wnet_cli::args::USE_SWITCHES;
use wnet_cli::args::unsupported::is_unsupported;

/// What `_wnet` offers for the command line `words` (the last one being completed).
fn complete(words: &[&str]) -> Vec<String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../dist/wnet.bash");
    let out = Command::new("bash")
        .arg("-c")
        .arg(r#"source "$0"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _wnet; printf '%s\n' "${COMPREPLY[@]}""#)
        .arg(&script)
        .arg("--")
        .args(words)
        .output()
        .expect("bash runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn commands_complete_case_insensitively() {
    assert_eq!(complete(&["wnet", "u"]), ["use"]);
    assert_eq!(complete(&["wnet", "ST"]), ["status"]);
    assert_eq!(complete(&["wnet", "v"]), ["view"]);
    assert_eq!(complete(&["wnet", "status", "--j"]), ["--json"]);
    assert!(complete(&["wnet", "nonsense", ""]).is_empty());
}

#[test]
fn switches_complete_from_any_case_and_prefix() {
    assert_eq!(complete(&["wnet", "use", "Z:", "/de"]), ["/DELETE"]);
    assert_eq!(
        complete(&["wnet", "USE", r"\\srv\share", "/p"]),
        ["/PERSISTENT:YES", "/PERSISTENT:NO"]
    );
    assert_eq!(complete(&["wnet", "use", "/us"]), ["/USER:"]);
}

#[test]
fn the_completion_offers_exactly_the_switches_wnet_use_supports() {
    let offered: BTreeSet<String> = complete(&["wnet", "use", "/"])
        .iter()
        .map(|s| {
            s.trim_start_matches('/')
                .split(':')
                .next()
                .unwrap()
                .to_owned()
        })
        .collect();
    // Recognised but not supported (/SMARTCARD, /HOME) are not offered.
    let accepted: BTreeSet<String> = USE_SWITCHES
        .iter()
        .filter(|d| !is_unsupported(d))
        .map(|d| d.name.to_owned())
        .collect();
    assert_eq!(offered, accepted);
}
