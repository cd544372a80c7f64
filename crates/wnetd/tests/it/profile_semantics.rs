//! The daemon's own WNet rules over the profile (no provider needed): cancel of remembered
//! devices, 1201, enumeration of remembered connections, argument validation.

use wnet_proto::{AddConnectionArgs, Reply, Request};

use crate::fixture::TestDaemon;

fn cancel(name: &str, flags: u32, force: bool) -> Request {
    Request::CancelConnection {
        name: name.into(),
        flags,
        force,
    }
}

#[test]
fn cancel_not_connected_not_remembered_is_2250() {
    let d = TestDaemon::start();
    for name in ["z:", "Z:", r"\\server\share", "LPT1:"] {
        assert_eq!(d.code(cancel(name, 0, false)), 2250, "{name}");
        assert_eq!(d.code(cancel(name, 1, true)), 2250, "{name}");
    }
    assert_eq!(d.code(cancel("nonsense", 0, false)), 2250);
}

#[test]
fn cancel_remembered_but_not_connected() {
    let d = TestDaemon::start();
    d.remember("Z:", r"\\server@4455\share");
    assert_eq!(d.code(cancel("z:", 0, false)), 2250, "flags 0: 2250");
    assert!(d.remembered("Z:"), "and the entry stays");
    assert_eq!(
        d.code(cancel(r"\\server@4455\share", 1, false)),
        2250,
        "by remote name: never the profile"
    );
    assert!(d.remembered("Z:"));
    assert_eq!(
        d.code(cancel("z:", 1, false)),
        0,
        "CONNECT_UPDATE_PROFILE: removed, success"
    );
    assert!(!d.remembered("Z:"));
    assert_eq!(d.code(cancel("z:", 1, false)), 2250, "gone now");
}

#[test]
fn cancel_with_unknown_flags_is_87() {
    let d = TestDaemon::start();
    d.remember("Y:", r"\\s\x");
    assert_eq!(d.code(cancel("Y:", 0x0100_0000, false)), 87);
    assert!(d.remembered("Y:"));
}

#[test]
fn a_remembered_device_is_1201_for_name_queries_and_unavailable_in_listings() {
    let d = TestDaemon::start();
    d.remember("Q:", r"\\files\team");
    assert_eq!(d.code(Request::GetConnection { local: "q:".into() }), 1201);
    assert_eq!(d.code(Request::GetConnection { local: "R:".into() }), 2250);
    assert_eq!(d.code(Request::GetConnection { local: "RR".into() }), 1200);
    assert_eq!(
        d.code(Request::GetUniversalName {
            local_path: r"Q:\a\b".into()
        }),
        1201
    );
    assert_eq!(
        d.code(Request::GetUniversalName {
            local_path: r"R:\a".into()
        }),
        2250
    );
    match d.call(Request::List).unwrap() {
        Reply::Listing { connections, .. } => {
            assert_eq!(connections.len(), 1);
            let row = &connections[0];
            assert_eq!(row.status, wnet_core::ConnectionStatus::Unavailable);
            assert_eq!(row.local.unwrap().to_string(), "Q:");
            assert_eq!(row.remote.to_string(), r"\\files\team");
            assert!(row.persistent);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn remembered_enumeration_pages_and_ends_with_259() {
    let d = TestDaemon::start();
    d.remember("X:", r"\\a\one");
    d.remember("Y:", r"\\b\two");
    let mut c = d.client();
    let handle = match c
        .call(&Request::OpenEnum {
            scope: 3,
            resource_type: 0,
            usage: 0,
            container: None,
        })
        .unwrap()
    {
        Reply::EnumOpened { handle } => handle,
        other => panic!("{other:?}"),
    };
    let mut seen = Vec::new();
    loop {
        match c.call(&Request::EnumNext {
            handle,
            max: Some(1),
        }) {
            Ok(Reply::Resources { items }) => seen.extend(items),
            Err(e) => {
                assert_eq!(e.win_error().0, 259);
                break;
            }
            Ok(other) => panic!("{other:?}"),
        }
    }
    let names: Vec<_> = seen
        .iter()
        .map(|r| {
            (
                r.local_name.unwrap().to_string(),
                r.remote_name.clone().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            ("X:".to_string(), r"\\a\one".to_string()),
            ("Y:".to_string(), r"\\b\two".to_string())
        ]
    );
    assert!(matches!(
        c.call(&Request::CloseEnum { handle }).unwrap(),
        Reply::Done
    ));
    assert_eq!(
        c.call(&Request::CloseEnum { handle })
            .unwrap_err()
            .win_error()
            .0,
        6
    );
    assert_eq!(
        c.call(&Request::EnumNext {
            handle: 12345,
            max: None
        })
        .unwrap_err()
        .win_error()
        .0,
        6
    );
    assert_eq!(
        c.call(&Request::OpenEnum {
            scope: 9,
            resource_type: 0,
            usage: 0,
            container: None
        })
        .unwrap_err()
        .win_error()
        .0,
        87
    );
    assert_eq!(
        c.call(&Request::OpenEnum {
            scope: 1,
            resource_type: 3,
            usage: 0,
            container: None
        })
        .unwrap_err()
        .win_error()
        .0,
        87
    );
}

fn add(local: Option<&str>, remote: &str, resource_type: u32, flags: u32) -> Request {
    Request::AddConnection(AddConnectionArgs {
        resource_type,
        local: local.map(str::to_owned),
        remote: remote.into(),
        provider: None,
        user: None,
        password: None,
        flags,
        save_credentials: false,
        ccache: None,
    })
}

#[test]
fn add_connection_validates_before_routing() {
    let d = TestDaemon::start();
    d.remember("Z:", r"\\s\x");
    assert_eq!(
        d.code(add(Some("Z:"), r"\\s\x", 1, 0x8000_0000)),
        87,
        "unknown flag"
    );
    assert_eq!(d.code(add(Some("Z:"), r"\\s\x", 7, 0)), 87, "bad type");
    assert_eq!(
        d.code(add(Some("Z:"), r"\\s\x", 0, 0)),
        87,
        "ANY with a device"
    );
    assert_eq!(
        d.code(add(Some("LPT1:"), r"\\s\x", 1, 0)),
        66,
        "a disk on a printer port"
    );
    assert_eq!(
        d.code(add(Some("Z:"), r"\\s\x", 2, 0)),
        66,
        "a printer on a drive"
    );
    assert_eq!(d.code(add(Some("ZZ"), r"\\s\x", 1, 0)), 1200);
    assert_eq!(d.code(add(Some("Y:"), "not-unc", 1, 0)), 67);
    assert_eq!(
        d.code(add(Some("Z:"), r"\\other\share", 1, 1)),
        1202,
        "remembered for another remote"
    );
    assert_eq!(
        d.code(add(Some("Z:"), r"\\S\X", 1, 1)),
        1222,
        "same remote: goes on, and no provider"
    );
    assert_eq!(
        d.code(add(None, r"\\s\x", 0, 0)),
        1222,
        "no network provider"
    );
    assert!(
        d.remembered("Z:"),
        "nothing a failed call did changed the profile"
    );
}

#[test]
fn persistent_default_is_remembered() {
    let d = TestDaemon::start();
    assert!(matches!(
        d.call(Request::SetSaveConnections { yes: false }).unwrap(),
        Reply::Done
    ));
    match d.call(Request::List).unwrap() {
        Reply::Listing {
            save_connections, ..
        } => assert!(!save_connections),
        other => panic!("{other:?}"),
    }
    assert!(!d.profile().load().unwrap().settings.save_connections);
}

#[test]
fn provider_queries_without_providers_are_1222() {
    let d = TestDaemon::start();
    assert_eq!(d.code(Request::GetProviderName { net_type: 0x20000 }), 1222);
    assert_eq!(
        d.code(Request::GetNetworkInformation {
            provider: "x".into()
        }),
        1222
    );
    match d.call(Request::GetUser { name: None }).unwrap() {
        Reply::User { user } => assert_eq!(user, "root"),
        other => panic!("{other:?}"),
    }
}
