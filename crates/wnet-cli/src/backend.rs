//! `Backend`: what `wnet` asks of the connection service (the daemon), and the types it answers
//! with. The command logic ([`crate::run`]) only talks to this trait; the daemon client
//! implements it over `wnet-proto`, the tests with a fake.
//!
//! The types mirror `wnet-proto`'s replies (`ConnectionInfo`, `Reply::Listing`, `DaemonStatus`)
//! so that the client maps them field by field.

use std::fmt;

use wnet_core::{
    ConnectFlags, ConnectionName, Error, ErrorKind, LocalName, RemoteName, Secret, UncPath,
    WinError,
};

/// One connection as `wnet use` lists it: live, disconnected, or remembered only. The daemon's
/// own type, so the listing shows exactly what the daemon reports.
pub use wnet_proto::ConnectionInfo as ConnectionEntry;

/// What `wnet use` without arguments shows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Listing {
    /// The default for new connections: `New connections will (not) be remembered.`
    pub remembered: bool,
    /// Live and remembered connections, devices first in letter order, then deviceless ones.
    pub entries: Vec<ConnectionEntry>,
}

/// What `wnet use X:` shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionDetail {
    /// The connection.
    pub entry: ConnectionEntry,
    /// `# Connections`: uses of the share by this user (explicit and implicit).
    pub connections: u32,
}

/// A connection request, as `wnet use [dev | *] \\server\share ...` builds it.
#[derive(Debug, Clone)]
pub struct ConnectRequest {
    /// The device to redirect; `None` with [`ConnectFlags::REDIRECT`] = choose the next free
    /// letter from `Z:` down; `None` without it = deviceless.
    pub local: Option<LocalName>,
    /// The remote name (an SMB name's port set by `/TCPPORT` if given).
    pub remote: RemoteName,
    /// `/USER:`: `None` = the default credentials.
    pub user: Option<String>,
    /// The password: `None` = default credentials, empty = no password.
    pub password: Option<Secret>,
    /// `CONNECT_*` flags: `UPDATE_PROFILE` (remember), `REDIRECT` (`*`), `CMD_SAVECRED`
    /// (`/SAVECRED`), `REQUIRE_INTEGRITY`, `REQUIRE_PRIVACY`, `WRITE_THROUGH_SEMANTICS`.
    pub flags: ConnectFlags,
}

/// What a successful connect made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectOutcome {
    /// The device redirected (the one chosen for `*`), `None` when deviceless.
    pub local: Option<LocalName>,
    /// The remote name connected.
    pub remote: RemoteName,
    /// Something to tell the user beyond net.exe's lines (e.g. why `/SAVECRED` saved nothing);
    /// printed on stderr.
    pub notice: Option<String>,
}

/// The server `wnet view` lists: `\\server[@port]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerName {
    host: String,
    port: Option<u16>,
}

impl ServerName {
    /// Parses `\\server`, `//server`, `\\server@port` or `smb://server[:port]` (a trailing
    /// separator is allowed). Anything else is `ERROR_BAD_NETPATH` (53).
    pub fn parse(s: &str) -> Result<ServerName, Error> {
        let bad = || Error::new(ErrorKind::BadNetPath, format!("{s:?} is not a server name"));
        let trimmed = s.trim_end_matches(['\\', '/']);
        if wnet_core::smb_url::is_smb_url(trimmed) {
            // The share part only borrows the URL rules for the server.
            let unc = UncPath::parse(&format!("{trimmed}/IPC$")).map_err(|_| bad())?;
            if !unc.is_share_root() || unc.share() != "IPC$" {
                return Err(bad());
            }
            return Ok(ServerName {
                host: unc.server().to_owned(),
                port: unc.port(),
            });
        }
        let rest = trimmed
            .strip_prefix("\\\\")
            .or_else(|| trimmed.strip_prefix("//"))
            .ok_or_else(bad)?;
        if rest.is_empty() || rest.contains(['\\', '/']) {
            return Err(bad());
        }
        // The share part only borrows UncPath's server validation.
        let unc = UncPath::parse(&format!("\\\\{rest}\\IPC$")).map_err(|_| bad())?;
        Ok(ServerName {
            host: unc.server().to_owned(),
            port: unc.port(),
        })
    }

    /// The host as written.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The SMB port, if one was given.
    pub fn port(&self) -> Option<u16> {
        self.port
    }
}

impl fmt::Display for ServerName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\\\\{}", self.host)?;
        if let Some(port) = self.port {
            write!(f, "@{port}")?;
        }
        Ok(())
    }
}

/// The kind of a shared resource (`net view`'s `Type` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShareType {
    /// A disk share.
    Disk,
    /// A print queue.
    Print,
    /// The IPC share.
    Ipc,
}

/// One share of a server, as `wnet view` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareInfo {
    /// The share name.
    pub name: String,
    /// Its type.
    pub kind: ShareType,
    /// The local device connected to it (`Used as`), if any.
    pub used_as: Option<LocalName>,
    /// The server's comment ("" for none).
    pub comment: String,
}

/// What `wnet view \\server` shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerShares {
    /// The server's comment, `None` when the server gives none.
    pub comment: Option<String>,
    /// The shares, in the server's order.
    pub shares: Vec<ShareInfo>,
}

/// What `wnet status` shows: the daemon and its connections (the daemon's own type).
pub use wnet_proto::DaemonStatus as StatusReport;

/// The connection service `wnet` drives. Every method is one request; none prompts.
pub trait Backend {
    /// The listing: live and remembered connections, and the default for new ones.
    ///
    /// # Errors
    /// 1222 when the service is not running and cannot be started; 1206 for a damaged profile.
    fn list(&mut self) -> Result<Listing, Error>;

    /// Makes a connection (`WNetUseConnection`). With `REDIRECT` and no device, the service
    /// picks the next free letter from `Z:` down (skipping used and remembered ones) and
    /// reports it in the outcome. With `UPDATE_PROFILE` a device connection is remembered.
    ///
    /// # Errors
    /// 85 device in use; 1202 device remembered for another remote; 67 no such share; 53 no
    /// such server; 86/1326 bad credentials; 1219 another user on that server; 259 no free
    /// letter; 1222 no service.
    fn connect(&mut self, request: &ConnectRequest) -> Result<ConnectOutcome, Error>;

    /// Cancels a connection (`WNetCancelConnection2(name, flags, force)`): a device cancels
    /// that redirection, a remote name the deviceless connections to it. `update_profile`
    /// (`CONNECT_UPDATE_PROFILE`) forgets the remembered entry too, and removes a
    /// remembered-but-unconnected device.
    ///
    /// # Errors
    /// 2250 not connected and not remembered; 2401 open files and not `force` (nothing
    /// changed); 2404 a process uses the device and not `force`.
    fn cancel(
        &mut self,
        name: &ConnectionName,
        update_profile: bool,
        force: bool,
    ) -> Result<(), Error>;

    /// The detail of one device (`net use X:`), remembered-only devices included.
    ///
    /// # Errors
    /// 2250 when the device is neither connected nor remembered.
    fn show(&mut self, local: LocalName) -> Result<ConnectionDetail, Error>;

    /// Sets the default for new connections (`net use /PERSISTENT:{YES|NO}`), remembered per
    /// user.
    fn set_persistent(&mut self, yes: bool) -> Result<(), Error>;

    /// The default for new connections.
    fn persistent_default(&mut self) -> Result<bool, Error>;

    /// The shares of a server (`net view \\server`). Default: `ERROR_NOT_SUPPORTED` (50).
    ///
    /// # Errors
    /// 53 server not found; 5 access denied.
    fn view(&mut self, server: &ServerName) -> Result<ServerShares, Error> {
        let _ = server;
        Err(Error::from(WinError::ERROR_NOT_SUPPORTED))
    }

    /// The service's status (`wnet status`). Default: `ERROR_NOT_SUPPORTED` (50).
    fn status(&mut self) -> Result<StatusReport, Error> {
        Err(Error::from(WinError::ERROR_NOT_SUPPORTED))
    }
}

/// A backend with no network: every call answers `ERROR_NO_NETWORK` (1222). It stands in until
/// the daemon client exists.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoNetwork;

impl NoNetwork {
    fn error() -> Error {
        Error::from(WinError::ERROR_NO_NETWORK)
    }
}

impl Backend for NoNetwork {
    fn list(&mut self) -> Result<Listing, Error> {
        Err(Self::error())
    }

    fn connect(&mut self, _: &ConnectRequest) -> Result<ConnectOutcome, Error> {
        Err(Self::error())
    }

    fn cancel(&mut self, _: &ConnectionName, _: bool, _: bool) -> Result<(), Error> {
        Err(Self::error())
    }

    fn show(&mut self, _: LocalName) -> Result<ConnectionDetail, Error> {
        Err(Self::error())
    }

    fn set_persistent(&mut self, _: bool) -> Result<(), Error> {
        Err(Self::error())
    }

    fn persistent_default(&mut self) -> Result<bool, Error> {
        Err(Self::error())
    }

    fn view(&mut self, _: &ServerName) -> Result<ServerShares, Error> {
        Err(Self::error())
    }

    fn status(&mut self) -> Result<StatusReport, Error> {
        Err(Self::error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_names() {
        let s = ServerName::parse(r"\\files").unwrap();
        assert_eq!((s.host(), s.port()), ("files", None));
        assert_eq!(s.to_string(), r"\\files");
        let p = ServerName::parse("//127.0.0.1@4455/").unwrap();
        assert_eq!(p.port(), Some(4455));
        assert_eq!(p.to_string(), r"\\127.0.0.1@4455");
        let u = ServerName::parse("smb://me@127.0.0.1:4455/").unwrap();
        assert_eq!(u.to_string(), r"\\127.0.0.1@4455");
        for bad in [
            "files",
            r"\\",
            r"\\s\share",
            r"\\a b",
            r"\\s@0",
            "Z:",
            "smb://s/share",
            "smb://",
        ] {
            assert_eq!(
                ServerName::parse(bad).unwrap_err().win_error().0,
                53,
                "{bad}"
            );
        }
    }

    #[test]
    fn no_network_answers_1222() {
        let mut b = NoNetwork;
        assert_eq!(b.list().unwrap_err().win_error().0, 1222);
        assert_eq!(b.persistent_default().unwrap_err().win_error().0, 1222);
    }
}
