//! The header declares exactly what the library exports.

use std::collections::BTreeSet;
use std::process::Command;

use crate::support::{libwnet, workspace};

#[test]
fn the_header_declares_exactly_the_exports() {
    let header = std::fs::read_to_string(workspace().join("include/winnetwk.h")).unwrap();
    let declared: BTreeSet<String> = header
        .lines()
        .filter_map(|l| l.split_once("APIENTRY "))
        .filter_map(|(_, rest)| rest.split_once('('))
        .map(|(name, _)| name.trim().to_owned())
        .collect();
    let out = Command::new("nm")
        .args(["-D", "--defined-only"])
        .arg(libwnet())
        .output()
        .unwrap();
    assert!(out.status.success());
    let exported: BTreeSet<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().nth(2))
        .filter(|n| n.starts_with("WNet") || n.starts_with("Multinet"))
        .map(str::to_owned)
        .collect();
    assert_eq!(declared, exported);
    assert_eq!(exported.len(), 55, "25 A/W pairs and 5 single functions");
}
