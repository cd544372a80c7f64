//! `wnet use`: the listing.

use wnet_cli::Listing;
use wnet_core::ConnectionStatus::{Disconnected, Ok, Unavailable};

use crate::fake::{Fake, entry};
use crate::golden::{check, run};

fn mixed() -> Listing {
    Listing {
        remembered: true,
        entries: vec![
            entry(Ok, Some("E:"), r"\\pars01110240\software", true),
            entry(
                Disconnected,
                Some("H:"),
                r"\\londata002.uk.net.intra\EM-IT",
                true,
            ),
            entry(Unavailable, Some("U:"), r"\\files@4455\archive", true),
            entry(Ok, Some("Z:"), r"\\s\exactly-twenty-one-c", false),
            entry(Ok, None, r"\\UNRAID\IPC$", false),
            entry(
                Disconnected,
                None,
                r"\\UNRAID\Seagate_Expansion_Drive",
                false,
            ),
        ],
    }
}

#[test]
fn list_with_every_kind_of_row() {
    let mut fake = Fake {
        listing: mixed(),
        ..Fake::default()
    };
    check("use_list", &run(&["use"], &mut fake, ""));
    assert_eq!(fake.calls, ["list"]);
}

#[test]
fn list_empty() {
    let mut fake = Fake {
        listing: Listing {
            remembered: true,
            entries: vec![],
        },
        ..Fake::default()
    };
    check("use_list_empty", &run(&["use"], &mut fake, ""));
}

#[test]
fn list_not_remembered() {
    let mut fake = Fake {
        listing: Listing {
            remembered: false,
            entries: vec![entry(Ok, Some("Q:"), r"\\nas\media", false)],
        },
        ..Fake::default()
    };
    check("use_list_not_remembered", &run(&["use"], &mut fake, ""));
}

#[test]
fn set_persistent_default() {
    let mut fake = Fake::default();
    check("use_persistent_no", &run(&["use", "/P:NO"], &mut fake, ""));
    assert_eq!(fake.calls, ["set_persistent false"]);
}

#[test]
fn without_service_every_command_reports_1222() {
    let mut backend = wnet_cli::NoNetwork;
    check("use_no_network", &run(&["use"], &mut backend, ""));
}
