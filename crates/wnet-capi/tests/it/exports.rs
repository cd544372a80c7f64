//! The header declares exactly what the library exports, and the library is a versioned one.

use std::collections::BTreeSet;
use std::process::Command;

use crate::support::{Lang, SONAME, compile, libwnet, workspace};

fn tool(program: &str, args: &[&str], file: &std::path::Path) -> String {
    let out = Command::new(program).args(args).arg(file).output().unwrap();
    assert!(out.status.success(), "{program} {args:?} failed: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_header_declares_exactly_the_exports() {
    let header = std::fs::read_to_string(workspace().join("include/winnetwk.h")).unwrap();
    let declared: BTreeSet<String> = header
        .lines()
        .filter_map(|l| l.split_once("APIENTRY "))
        .filter_map(|(_, rest)| rest.split_once('('))
        .map(|(name, _)| name.trim().to_owned())
        .collect();
    // Every defined dynamic symbol, not only the WNet-looking ones: no Rust symbol leaks.
    let exported: BTreeSet<String> = tool("nm", &["-D", "--defined-only"], &libwnet())
        .lines()
        .filter_map(|l| l.split_whitespace().nth(2))
        .map(str::to_owned)
        .collect();
    assert_eq!(declared, exported);
    assert_eq!(exported.len(), 55, "25 A/W pairs and 5 single functions");
}

#[test]
fn the_library_is_named_by_its_soname_and_programs_record_it() {
    let lib = tool("readelf", &["-d"], &libwnet());
    assert!(
        lib.contains(&format!("Library soname: [{SONAME}]")),
        "SONAME missing:\n{lib}"
    );
    assert!(!lib.contains("RPATH") && !lib.contains("RUNPATH"), "{lib}");
    let program = tool("readelf", &["-d"], &compile("seed.c", Lang::C, &[]));
    assert!(
        program.contains(&format!("Shared library: [{SONAME}]")),
        "the program needs the SONAME, not the development link:\n{program}"
    );
}
