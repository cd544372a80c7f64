//! `wnet view` and `wnet status`.

use wnet_cli::{
    Backend, ConnectOutcome, ConnectRequest, ConnectionDetail, Listing, ServerName, ServerShares,
    ShareInfo, ShareType, StatusReport,
};
use wnet_core::{ConnectionName, ConnectionStatus, Error, LocalName, WinError};

use crate::fake::entry;
use crate::golden::{check, run};

/// A backend that only answers view and status.
struct Server;

fn no() -> Error {
    Error::from(WinError::ERROR_NOT_SUPPORTED)
}

impl Backend for Server {
    fn list(&mut self) -> Result<Listing, Error> {
        Err(no())
    }
    fn connect(&mut self, _: &ConnectRequest) -> Result<ConnectOutcome, Error> {
        Err(no())
    }
    fn cancel(&mut self, _: &ConnectionName, _: bool, _: bool) -> Result<(), Error> {
        Err(no())
    }
    fn show(&mut self, _: LocalName) -> Result<ConnectionDetail, Error> {
        Err(no())
    }
    fn set_persistent(&mut self, _: bool) -> Result<(), Error> {
        Err(no())
    }
    fn persistent_default(&mut self) -> Result<bool, Error> {
        Err(no())
    }
    fn view(&mut self, server: &ServerName) -> Result<ServerShares, Error> {
        assert_eq!(server.to_string(), r"\\files@4455");
        let share = |name: &str, kind, used_as: Option<LocalName>, comment: &str| ShareInfo {
            name: name.into(),
            kind,
            used_as,
            comment: comment.into(),
        };
        Ok(ServerShares {
            comment: Some("Samba 4.17.12-Debian".into()),
            shares: vec![
                share("public", ShareType::Disk, Some(LocalName::Drive(b'Z')), ""),
                share("IPC$", ShareType::Ipc, None, "IPC Service"),
                share("printers", ShareType::Print, None, "All Printers"),
            ],
        })
    }
    fn status(&mut self) -> Result<StatusReport, Error> {
        Ok(StatusReport {
            pid: 4242,
            version: "0.1.0".into(),
            socket: "/run/user/1000/wnet/wnetd.sock".into(),
            drive_root: "/home/me/Network".into(),
            providers: vec!["Microsoft Windows Network".into()],
            provider_status: Vec::new(),
            connections: vec![entry(
                ConnectionStatus::Ok,
                Some("Z:"),
                r"\\files@4455\public",
                true,
            )],
        })
    }
}

#[test]
fn view_lists_shares() {
    check("view", &run(&["view", "//files@4455"], &mut Server, ""));
}

#[test]
fn status_text_and_json() {
    check("status", &run(&["status"], &mut Server, ""));
    let o = run(&["status", "--json"], &mut Server, "");
    let v: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(v["pid"], 4242);
    assert_eq!(v["connections"][0]["local"], "Z:");
}

#[test]
fn default_view_is_not_supported() {
    let o = run(&["view", r"\\files"], &mut wnet_cli::NoNetwork, "");
    assert_eq!(o.code, 2);
    let mut fake = crate::fake::Fake::default();
    let o = run(&["view", r"\\files"], &mut fake, "");
    assert_eq!(
        o.stderr,
        "System error 50 has occurred.\n\nThe request is not supported.\n"
    );
}
