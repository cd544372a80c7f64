//! `--json` for the listing and the detail: parses back, has the documented fields.

use serde_json::Value;
use wnet_cli::{ConnectionDetail, Listing};
use wnet_core::ConnectionStatus::{Ok, Unavailable};

use crate::fake::{Fake, entry};
use crate::golden::run;

#[test]
fn listing_json_has_every_field() {
    let mut fake = Fake {
        listing: Listing {
            remembered: false,
            entries: vec![
                entry(Ok, Some("Z:"), r"\\server@4455\share", true),
                entry(Unavailable, None, r"\\nas\media", false),
            ],
        },
        ..Fake::default()
    };
    let o = run(&["use", "--json"], &mut fake, "");
    assert_eq!((o.code, o.stderr.as_str()), (0, ""));
    let v: Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(v["version"], 1);
    assert_eq!(v["remembered"], false);
    let c = v["connections"].as_array().unwrap();
    assert_eq!(c.len(), 2);
    assert_eq!(c[0]["status"], "OK");
    assert_eq!(c[0]["local"], "Z:");
    assert_eq!(c[0]["remote"], r"\\server@4455\share");
    assert_eq!(c[0]["provider"], "Microsoft Windows Network");
    assert_eq!(c[0]["user"], r"WORKGROUP\me");
    assert_eq!(c[0]["persistent"], true);
    assert_eq!(c[0]["path"], "/home/me/Network/Z");
    assert_eq!(c[0]["opens"], 0);
    assert_eq!(c[1]["status"], "Unavailable");
    assert!(c[1]["local"].is_null());
    assert!(c[1]["user"].is_null());
    assert_eq!(c[1]["path"], "/home/me/Network/UNC/nas/media");
}

#[test]
fn detail_json() {
    let mut fake = Fake {
        detail: Some(ConnectionDetail {
            entry: entry(Ok, Some("Z:"), r"\\server\share", true),
            connections: 1,
        }),
        ..Fake::default()
    };
    let o = run(&["use", "--json", "Z:"], &mut fake, "");
    let v: Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(v["local"], "Z:");
    assert_eq!(v["remote"], r"\\server\share");
    assert_eq!(v["resource_type"], "Disk");
    assert_eq!(v["connections"], 1);
    assert_eq!(v["version"], 1);
}

#[test]
fn json_errors_stay_net_exe_text() {
    let mut fake = Fake::default();
    let o = run(&["use", "Q:", "--json"], &mut fake, "");
    assert_eq!(o.code, 2);
    assert!(o.stdout.is_empty());
    assert!(
        o.stderr
            .starts_with("The network connection could not be found.")
    );
}
