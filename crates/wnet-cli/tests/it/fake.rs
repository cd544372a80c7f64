//! A scripted backend that records every call.

use std::collections::VecDeque;

use wnet_cli::{
    Backend, ConnectOutcome, ConnectRequest, ConnectionDetail, ConnectionEntry, Listing,
};
use wnet_core::{ConnectionName, ConnectionStatus, Error, LocalName, UncPath, WinError};

/// A connection entry for listings.
pub fn entry(
    status: ConnectionStatus,
    local: Option<&str>,
    remote: &str,
    persistent: bool,
) -> ConnectionEntry {
    let local = local.map(|l| LocalName::parse(l).unwrap());
    ConnectionEntry {
        status,
        local,
        remote: UncPath::parse(remote).unwrap().into(),
        provider: "Microsoft Windows Network".into(),
        user: if local.is_some() {
            r"WORKGROUP\me".into()
        } else {
            String::new()
        },
        persistent,
        path: Some(match local {
            Some(l) => format!("/home/me/Network/{}", l.profile_key()),
            None => {
                let u = UncPath::parse(remote).unwrap();
                format!("/home/me/Network/UNC/{}/{}", u.server(), u.share())
            }
        }),
        opens: 0,
        logon: None,
        reason: None,
        dfs_target: None,
        notice: None,
    }
}

#[derive(Default)]
pub struct Fake {
    pub listing: Listing,
    pub detail: Option<ConnectionDetail>,
    pub default_remembered: bool,
    /// The error `connect` answers with; `None` = success.
    pub connect_error: Option<u32>,
    /// What each `cancel` answers, in order; empty = success.
    pub cancel_results: VecDeque<u32>,
    /// Every call, in order, in a readable form.
    pub calls: Vec<String>,
    /// The password of the last connect, exposed for the test.
    pub last_password: Option<String>,
}

fn err(code: u32) -> Error {
    Error::from(WinError(code))
}

impl Backend for Fake {
    fn list(&mut self) -> Result<Listing, Error> {
        self.calls.push("list".into());
        Ok(self.listing.clone())
    }

    fn connect(&mut self, r: &ConnectRequest) -> Result<ConnectOutcome, Error> {
        self.calls.push(format!(
            "connect local={} remote={} user={:?} flags={:?}",
            r.local.map(|l| l.to_string()).unwrap_or("-".into()),
            r.remote,
            r.user,
            r.flags
        ));
        self.last_password = r.password.as_ref().map(|s| s.expose().to_owned());
        if let Some(code) = self.connect_error {
            return Err(err(code));
        }
        let local = match r.local {
            Some(l) => Some(l),
            None if r.flags.contains(wnet_core::ConnectFlags::REDIRECT) => {
                Some(LocalName::Drive(b'Z'))
            }
            None => None,
        };
        Ok(ConnectOutcome {
            local,
            remote: r.remote.clone(),
            notice: None,
        })
    }

    fn cancel(
        &mut self,
        name: &ConnectionName,
        update_profile: bool,
        force: bool,
    ) -> Result<(), Error> {
        self.calls.push(format!(
            "cancel {name} update_profile={update_profile} force={force}"
        ));
        match self.cancel_results.pop_front() {
            None | Some(0) => Ok(()),
            Some(code) => Err(err(code)),
        }
    }

    fn show(&mut self, local: LocalName) -> Result<ConnectionDetail, Error> {
        self.calls.push(format!("show {local}"));
        self.detail.clone().ok_or_else(|| err(2250))
    }

    fn set_persistent(&mut self, yes: bool) -> Result<(), Error> {
        self.calls.push(format!("set_persistent {yes}"));
        Ok(())
    }

    fn persistent_default(&mut self) -> Result<bool, Error> {
        self.calls.push("persistent_default".into());
        Ok(self.default_remembered)
    }
}
