//! `/DELETE`: by device, by remote name, `*`, and the open-files question.

use std::collections::VecDeque;

use wnet_cli::Listing;
use wnet_core::ConnectionStatus::Ok;

use crate::fake::{Fake, entry};
use crate::golden::{check, run};

fn cancels(results: &[u32]) -> Fake {
    Fake {
        cancel_results: VecDeque::from(results.to_vec()),
        ..Fake::default()
    }
}

const NOT_FORCED: &str = "cancel X: update_profile=true force=false";
const FORCED: &str = "cancel X: update_profile=true force=true";

#[test]
fn delete_device() {
    let mut fake = cancels(&[]);
    check("use_delete", &run(&["use", "x:", "/DELETE"], &mut fake, ""));
    assert_eq!(fake.calls, [NOT_FORCED]);
}

#[test]
fn delete_remote() {
    let mut fake = cancels(&[]);
    check(
        "use_delete_remote",
        &run(&["use", "/d", r"\\server\share"], &mut fake, ""),
    );
    assert_eq!(
        fake.calls,
        [r"cancel \\server\share update_profile=true force=false"]
    );
}

#[test]
fn delete_not_connected_is_2250() {
    let mut fake = cancels(&[2250]);
    check("use_delete_2250", &run(&["use", "X:", "/D"], &mut fake, ""));
}

#[test]
fn open_files_without_stdin_keep_the_drive() {
    let mut fake = cancels(&[2401]);
    check(
        "use_delete_2401_no_stdin",
        &run(&["use", "X:", "/DELETE"], &mut fake, ""),
    );
    assert_eq!(fake.calls, [NOT_FORCED]);
}

#[test]
fn open_files_answered_no_keep_the_drive() {
    let mut fake = cancels(&[2401]);
    let o = run(&["use", "X:", "/DELETE"], &mut fake, "n\n");
    assert_eq!(o.code, 2);
    assert_eq!(fake.calls, [NOT_FORCED]);
}

#[test]
fn open_files_with_y_switch_force() {
    let mut fake = cancels(&[2401]);
    check(
        "use_delete_2401_y",
        &run(&["use", "X:", "/DELETE", "/Y"], &mut fake, ""),
    );
    assert_eq!(fake.calls, [NOT_FORCED, FORCED]);
}

#[test]
fn open_files_with_n_switch_keep() {
    let mut fake = cancels(&[2401]);
    check(
        "use_delete_2401_n",
        &run(&["use", "X:", "/DELETE", "/N"], &mut fake, "y\n"),
    );
    assert_eq!(fake.calls, [NOT_FORCED]);
}

#[test]
fn open_files_answered_yes_force() {
    let mut fake = cancels(&[2401]);
    check(
        "use_delete_2401_stdin_yes",
        &run(&["use", "X:", "/DELETE"], &mut fake, "y\n"),
    );
    assert_eq!(fake.calls, [NOT_FORCED, FORCED]);
}

#[test]
fn forced_cancel_that_fails_is_reported() {
    let mut fake = cancels(&[2401, 2404]);
    let o = run(&["use", "X:", "/DELETE", "/Y"], &mut fake, "");
    assert_eq!(o.code, 2);
    assert_eq!(
        o.stderr,
        "The device is being accessed by an active process.\n\nMore help is available by typing NET HELPMSG 2404.\n"
    );
}

fn two_connections() -> Fake {
    Fake {
        listing: Listing {
            remembered: true,
            entries: vec![
                entry(Ok, Some("Z:"), r"\\10.5.30.117\c", true),
                entry(Ok, None, r"\\10.5.30.117\IPC$", false),
            ],
        },
        cancel_results: VecDeque::from(vec![2401, 0, 0]),
        ..Fake::default()
    }
}

#[test]
fn delete_all_asks_then_cancels_each() {
    let mut fake = two_connections();
    check(
        "use_delete_all",
        &run(&["use", "*", "/DELETE"], &mut fake, "y\ny\n"),
    );
    assert_eq!(
        fake.calls,
        [
            "list",
            "cancel Z: update_profile=true force=false",
            "cancel Z: update_profile=true force=true",
            r"cancel \\10.5.30.117\IPC$ update_profile=true force=false",
        ]
    );
}

#[test]
fn delete_all_without_stdin_cancels_nothing() {
    let mut fake = two_connections();
    check(
        "use_delete_all_no_stdin",
        &run(&["use", "*", "/DELETE"], &mut fake, ""),
    );
    assert_eq!(fake.calls, ["list"]);
}

#[test]
fn delete_all_of_nothing() {
    let mut fake = Fake::default();
    check(
        "use_delete_all_empty",
        &run(&["use", "*", "/D", "/Y"], &mut fake, ""),
    );
}
