//! `DaemonBackend`: the [`Backend`] over `wnet-proto`'s client, talking to the user's `wnetd`
//! (started on demand). The connection is opened at the first request, so `wnet --help` starts
//! nothing.

use wnet_core::{
    ConnectFlags, ConnectionName, DisplayType, Error, ErrorKind, LocalName, NetResource,
    ResourceType, Scope, Usage, WinError,
};
use wnet_proto::{AddConnectionArgs, Client, Reply, Request};

use crate::backend::{
    Backend, ConnectOutcome, ConnectRequest, ConnectionDetail, Listing, ServerName, ServerShares,
    ShareInfo, ShareType, StatusReport,
};

/// The client name the daemon logs.
const CLIENT_NAME: &str = concat!("wnet ", env!("CARGO_PKG_VERSION"));

/// The backend of the `wnet` binary.
#[derive(Debug, Default)]
pub struct DaemonBackend {
    client: Option<Client>,
}

impl DaemonBackend {
    /// A backend that connects on first use.
    pub fn new() -> Self {
        DaemonBackend { client: None }
    }

    fn call(&mut self, request: Request) -> Result<Reply, Error> {
        let reused = self.client.is_some();
        if self.client.is_none() {
            self.client = Some(Client::connect(CLIENT_NAME)?);
        }
        let client = self.client.as_mut().expect("connected above");
        match client.call(&request) {
            // The daemon closes a connection left idle (e.g. while the user answers a
            // question): send the request once more on a new one.
            Err(e) if reused && wnet_proto::client::is_gone(&e) => {
                let client = self.client.insert(Client::connect(CLIENT_NAME)?);
                client.call(&request)
            }
            result => result,
        }
    }
}

fn unexpected(reply: Reply) -> Error {
    Error::new(
        ErrorKind::Code(WinError::ERROR_GEN_FAILURE),
        format!("unexpected answer from wnetd: {reply:?}"),
    )
}

impl Backend for DaemonBackend {
    fn list(&mut self) -> Result<Listing, Error> {
        match self.call(Request::List)? {
            Reply::Listing {
                save_connections,
                connections,
            } => Ok(Listing {
                remembered: save_connections,
                entries: connections,
            }),
            other => Err(unexpected(other)),
        }
    }

    fn connect(&mut self, request: &ConnectRequest) -> Result<ConnectOutcome, Error> {
        let args = AddConnectionArgs {
            // `net use LPT1: ...` connects a printer, a drive (or `*`) a disk, a deviceless
            // connection either.
            resource_type: match request.local {
                Some(l) if !l.is_disk() => wnet_core::ResourceType::Print,
                None if !request.flags.contains(ConnectFlags::REDIRECT) => {
                    wnet_core::ResourceType::Any
                }
                _ => wnet_core::ResourceType::Disk,
            }
            .to_u32(),
            local: request.local.map(|l| l.to_string()),
            remote: request.remote.to_string(),
            provider: None,
            user: request.user.clone(),
            password: request.password.clone(),
            flags: request.flags.bits(),
            save_credentials: request.flags.contains(ConnectFlags::CMD_SAVECRED),
            ccache: wnet_core::CredentialsCache::from_env(),
        };
        match self.call(Request::AddConnection(args))? {
            Reply::Connection(info) => Ok(ConnectOutcome {
                local: info.local,
                remote: info.remote,
                notice: info.notice,
            }),
            other => Err(unexpected(other)),
        }
    }

    fn cancel(
        &mut self,
        name: &ConnectionName,
        update_profile: bool,
        force: bool,
    ) -> Result<(), Error> {
        let flags = if update_profile {
            ConnectFlags::UPDATE_PROFILE.bits()
        } else {
            0
        };
        match self.call(Request::CancelConnection {
            name: name.to_string(),
            flags,
            force,
        })? {
            Reply::Done => Ok(()),
            other => Err(unexpected(other)),
        }
    }

    fn show(&mut self, local: LocalName) -> Result<ConnectionDetail, Error> {
        let listing = self.list()?;
        let entry = listing
            .entries
            .into_iter()
            .find(|e| e.local == Some(local))
            .ok_or_else(|| {
                Error::new(ErrorKind::NotConnected, format!("{local} is not connected"))
            })?;
        Ok(ConnectionDetail {
            entry,
            connections: 1,
        })
    }

    fn set_persistent(&mut self, yes: bool) -> Result<(), Error> {
        match self.call(Request::SetSaveConnections { yes })? {
            Reply::Done => Ok(()),
            other => Err(unexpected(other)),
        }
    }

    fn persistent_default(&mut self) -> Result<bool, Error> {
        Ok(self.list()?.remembered)
    }

    fn view(&mut self, server: &ServerName) -> Result<ServerShares, Error> {
        let container = NetResource {
            scope: Scope::GlobalNet,
            resource_type: ResourceType::Any,
            display_type: DisplayType::Server,
            usage: Usage::CONTAINER,
            local_name: None,
            remote_name: Some(server.to_string()),
            comment: None,
            provider: None,
        };
        let handle = match self.call(Request::OpenEnum {
            scope: Scope::GlobalNet.to_u32(),
            resource_type: ResourceType::Any.to_u32(),
            usage: 0,
            container: Some(container),
        })? {
            Reply::EnumOpened { handle } => handle,
            other => return Err(unexpected(other)),
        };
        let mut items = Vec::new();
        loop {
            match self.call(Request::EnumNext { handle, max: None }) {
                Ok(Reply::Resources { items: more }) => items.extend(more),
                Ok(other) => return Err(unexpected(other)),
                Err(e) if e.win_error() == WinError::ERROR_NO_MORE_ITEMS => break,
                Err(e) => return Err(e),
            }
        }
        let _ = self.call(Request::CloseEnum { handle });
        let used = self.list().map(|l| l.entries).unwrap_or_default();
        // As net view: administrative and IPC shares ($) are not listed.
        let shares = items
            .into_iter()
            .filter(|r| r.display_type == DisplayType::Share)
            .filter_map(|r| {
                let remote = r.remote_name?;
                let name = remote.rsplit(['\\', '/']).next()?.to_owned();
                let unc = wnet_core::UncPath::parse(&remote).ok();
                let used_as = unc.and_then(|u| {
                    used.iter()
                        .find(|e| {
                            e.remote.unc().is_ok_and(|r| r.same_share(&u)) && e.local.is_some()
                        })
                        .and_then(|e| e.local)
                });
                let kind = match r.resource_type {
                    ResourceType::Print => ShareType::Print,
                    _ => ShareType::Disk,
                };
                Some(ShareInfo {
                    name,
                    kind,
                    used_as,
                    comment: r.comment.unwrap_or_default(),
                })
            })
            .collect();
        Ok(ServerShares {
            comment: None,
            shares,
        })
    }

    fn status(&mut self) -> Result<StatusReport, Error> {
        match self.call(Request::Status)? {
            Reply::Status(s) => Ok(s),
            other => Err(unexpected(other)),
        }
    }
}
