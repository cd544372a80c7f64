//! `wnet use X:` (detail) and the connect forms.

use wnet_cli::ConnectionDetail;
use wnet_core::ConnectionStatus::{Ok, Unavailable};

use crate::fake::{Fake, entry};
use crate::golden::{check, run};

#[test]
fn show_device() {
    let mut fake = Fake {
        detail: Some(ConnectionDetail {
            entry: entry(Ok, Some("Z:"), r"\\server\share", true),
            connections: 1,
        }),
        ..Fake::default()
    };
    check("use_show", &run(&["use", "z:"], &mut fake, ""));
    assert_eq!(fake.calls, ["show Z:"]);
}

#[test]
fn show_remembered_device() {
    let mut fake = Fake {
        detail: Some(ConnectionDetail {
            entry: entry(Unavailable, Some("U:"), r"\\files@4455\archive", true),
            connections: 0,
        }),
        ..Fake::default()
    };
    check("use_show_unavailable", &run(&["use", "U:"], &mut fake, ""));
}

#[test]
fn show_unknown_device_is_2250() {
    let mut fake = Fake::default();
    check("use_show_2250", &run(&["use", "Q:"], &mut fake, ""));
}

#[test]
fn connect_device_uses_the_remembered_default() {
    let mut fake = Fake {
        default_remembered: true,
        ..Fake::default()
    };
    let o = run(
        &[
            "use",
            "z:",
            r"\\server\share",
            "pw",
            r"/USER:dom\me",
            "/REQUIREPRIVACY",
        ],
        &mut fake,
        "",
    );
    check("use_connect", &o);
    assert_eq!(
        fake.calls,
        [
            "persistent_default",
            r#"connect local=Z: remote=\\server\share user=Some("dom\\me") flags=ConnectFlags(CONNECT_UPDATE_PROFILE | CONNECT_REQUIRE_PRIVACY)"#,
        ]
    );
    assert_eq!(fake.last_password.as_deref(), Some("pw"));
}

#[test]
fn connect_next_free_letter() {
    let mut fake = Fake::default();
    let o = run(
        &["use", "*", "//server/share", "/TCPPORT:4455", "/P:YES"],
        &mut fake,
        "",
    );
    check("use_connect_next", &o);
    assert_eq!(
        fake.calls,
        [
            r"connect local=- remote=\\server@4455\share user=None flags=ConnectFlags(CONNECT_UPDATE_PROFILE | CONNECT_REDIRECT)",
            "set_persistent true",
        ]
    );
}

#[test]
fn connect_deviceless_is_not_remembered() {
    let mut fake = Fake {
        default_remembered: true,
        ..Fake::default()
    };
    let o = run(&["use", r"\\server\IPC$", "/SAVECRED"], &mut fake, "");
    assert_eq!(o.code, 0);
    assert_eq!(
        fake.calls,
        [
            r"connect local=- remote=\\server\IPC$ user=None flags=ConnectFlags(CONNECT_CMD_SAVECRED)"
        ]
    );
}

#[test]
fn connect_password_prompt() {
    let mut fake = Fake::default();
    let o = run(
        &["use", "Y:", r"\\server\share", "*", "/P:NO"],
        &mut fake,
        "s3cret\n",
    );
    check("use_connect_password_prompt", &o);
    assert_eq!(fake.last_password.as_deref(), Some("s3cret"));
    assert!(!o.stdout.contains("s3cret"));
}

#[test]
fn connect_password_prompt_without_input_is_cancelled() {
    let mut fake = Fake::default();
    let o = run(
        &["use", "Y:", r"\\server\share", "*", "/P:NO"],
        &mut fake,
        "",
    );
    check("use_connect_password_eof", &o);
    assert!(fake.calls.is_empty(), "{:?}", fake.calls);
}

#[test]
fn connect_error_is_reported() {
    let mut fake = Fake {
        connect_error: Some(67),
        ..Fake::default()
    };
    check(
        "use_connect_67",
        &run(&["use", "Z:", r"\\server\nosuch", "/P:NO"], &mut fake, ""),
    );
    assert_eq!(fake.calls.len(), 1, "no default is stored after a failure");
}
