//! What the tools report about a drive is true: the path `--json` and `wnet status --json` give
//! for a deviceless connection is where it is mounted, and `findmnt` shows the share with its
//! port and the type `fuse.wnet`.

use std::process::Command;

use wnet_testkit::{DEFAULT_PASSWORD, DEFAULT_USER};

use crate::{World, mounted};

/// `findmnt` rows (target, source, fstype) of file systems of type `fstype`.
fn findmnt(fstype: &str) -> Vec<(String, String, String)> {
    let out = Command::new("findmnt")
        .args(["-t", fstype, "-n", "-l", "-o", "TARGET,SOURCE,FSTYPE"])
        .output()
        .unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace().map(str::to_owned);
            Some((f.next()?, f.next()?, f.next()?))
        })
        .collect()
}

#[test]
fn json_status_and_findmnt_tell_where_and_what_each_drive_is() {
    let w = World::new();
    let (host, port) = (w.samba.host(), w.samba.port());
    assert_eq!(w.connect("Z:", "rw").status.code(), Some(0));
    // Deviceless, spelled in upper case: mounted at the lower-case path with the port.
    let shouted = format!(r"\\{}@{port}\RW", host.to_uppercase());
    let out = w.wnet(&[
        "use",
        &shouted,
        DEFAULT_PASSWORD,
        &format!("/USER:{DEFAULT_USER}"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let deviceless = w
        .paths()
        .drive_root
        .join(format!("UNC/{}@{port}/rw", host.to_lowercase()));
    assert!(mounted(&deviceless), "mounted at {}", deviceless.display());

    let want = deviceless.display().to_string();
    let list: serde_json::Value =
        serde_json::from_slice(&w.wnet(&["use", "--json"]).stdout).unwrap();
    let status: serde_json::Value =
        serde_json::from_slice(&w.wnet(&["status", "--json"]).stdout).unwrap();
    for (what, json) in [("use --json", &list), ("status --json", &status)] {
        let rows = json["connections"].as_array().unwrap();
        let row = rows.iter().find(|r| r["local"].is_null()).unwrap();
        assert_eq!(row["path"], want.as_str(), "{what}: {json}");
        let z = rows.iter().find(|r| r["local"] == "Z:").unwrap();
        assert_eq!(z["path"], w.drive("Z").display().to_string(), "{what}");
    }

    // findmnt -t fuse.wnet lists both drives with the share and its port as the source;
    // -t fuse (other FUSE file systems) does not.
    let root = w.paths().drive_root.display().to_string();
    let ours = |rows: Vec<(String, String, String)>| {
        let mut v: Vec<_> = rows
            .into_iter()
            .filter(|(target, _, _)| target.starts_with(&root))
            .collect();
        v.sort();
        v
    };
    let source = format!("//{host}@{port}/rw");
    let mut want_rows = vec![
        (
            w.drive("Z").display().to_string(),
            source.clone(),
            "fuse.wnet".to_owned(),
        ),
        (
            want.clone(),
            format!("//{}@{port}/RW", host.to_uppercase()),
            "fuse.wnet".to_owned(),
        ),
    ];
    want_rows.sort();
    assert_eq!(ours(findmnt("fuse.wnet")), want_rows);
    assert_eq!(ours(findmnt("fuse")), vec![]);
    for d in ["Z:", &shouted] {
        assert_eq!(w.wnet(&["use", d, "/delete"]).status.code(), Some(0));
    }
}
