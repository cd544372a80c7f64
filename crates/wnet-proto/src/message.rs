//! The messages: the handshake, every request the daemon serves and its reply.
//!
//! Names, scopes, types and flags travel as the caller gave them (strings, raw `DWORD`s): the
//! daemon validates them, so every caller (CLI, C library) gets the same error codes.

use serde::{Deserialize, Serialize};
use wnet_core::{
    ConnectionStatus, Error, ErrorKind, LocalName, NetResource, RemoteName, Secret, UniversalName,
    WinError,
};

/// The protocol version this build speaks. A peer of another version is refused in the
/// handshake with a clear message.
pub const PROTOCOL_VERSION: u32 = 1;

/// The protocol name sent in [`Hello`], so that a stray client is told apart from an old one.
pub const PROTOCOL_NAME: &str = "wnet";

/// The first frame a client sends.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Hello {
    /// Always [`PROTOCOL_NAME`].
    pub protocol: String,
    /// The client's [`PROTOCOL_VERSION`].
    pub version: u32,
    /// Who is calling (e.g. `wnet 0.1.0`, `libwnet 0.1.0`), for the daemon's log.
    pub client: String,
}

impl Hello {
    /// The hello of this build.
    pub fn new(client: impl Into<String>) -> Self {
        Hello {
            protocol: PROTOCOL_NAME.into(),
            version: PROTOCOL_VERSION,
            client: client.into(),
        }
    }
}

/// The daemon's answer to [`Hello`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum HelloReply {
    /// Accepted: requests may follow.
    Welcome {
        /// The daemon's protocol version (equal to the client's).
        version: u32,
        /// The daemon's process id.
        daemon_pid: u32,
        /// The daemon's build version.
        daemon_version: String,
    },
    /// Refused (another version); the daemon closes the connection.
    Refused {
        /// The version the daemon speaks.
        version: u32,
        /// Why, for the user.
        message: String,
    },
}

/// A connection request (`WNetAddConnection2/3/4`, `WNetUseConnection`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AddConnectionArgs {
    /// `dwType` as given.
    pub resource_type: u32,
    /// `lpLocalName`: a device, or `None`/empty for deviceless. With `CONNECT_REDIRECT` and no
    /// device the daemon chooses a free drive (Z: downwards).
    pub local: Option<String>,
    /// `lpRemoteName` as given.
    pub remote: String,
    /// `lpProvider`, if the caller names one.
    pub provider: Option<String>,
    /// The user name, `None` for the default.
    pub user: Option<String>,
    /// The password: `None` = default credentials, empty = none.
    pub password: Option<Secret>,
    /// `CONNECT_*` flags as given.
    pub flags: u32,
    /// Keep the password for restore (`net use /SAVECRED`).
    #[serde(default)]
    pub save_credentials: bool,
    /// The caller's Kerberos credentials cache (its `KRB5CCNAME`), so a daemon started
    /// earlier or by another login uses the tickets of whoever asks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ccache: Option<wnet_core::CredentialsCache>,
}

/// Every request the daemon serves.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Request {
    /// Liveness check; answered with [`Reply::Pong`].
    Ping,
    /// Make a connection.
    AddConnection(AddConnectionArgs),
    /// `WNetCancelConnection2(name, flags, force)`.
    CancelConnection {
        /// A device or a remote name, as given.
        name: String,
        /// `CONNECT_*` flags as given (`CONNECT_UPDATE_PROFILE`).
        flags: u32,
        /// `fForce`.
        force: bool,
    },
    /// `WNetGetConnection(local)`.
    GetConnection {
        /// The device, as given.
        local: String,
    },
    /// `WNetGetUniversalName(path)`: `Z:\dir\file`.
    GetUniversalName {
        /// The local path, as given.
        local_path: String,
    },
    /// `WNetGetUser(name)`.
    GetUser {
        /// A device or remote name, or `None` for the default user.
        name: Option<String>,
    },
    /// `WNetOpenEnum`.
    OpenEnum {
        /// `dwScope` as given.
        scope: u32,
        /// `dwType` as given.
        resource_type: u32,
        /// `dwUsage` as given.
        usage: u32,
        /// `lpNetResource`: the container, if any.
        container: Option<NetResource>,
    },
    /// `WNetEnumResource`: the next items of an enumeration.
    EnumNext {
        /// The handle from [`Reply::EnumOpened`].
        handle: u64,
        /// At most this many items (`None` = all that are left).
        max: Option<u32>,
    },
    /// `WNetCloseEnum`.
    CloseEnum {
        /// The handle from [`Reply::EnumOpened`].
        handle: u64,
    },
    /// `WNetGetResourceInformation`.
    GetResourceInformation {
        /// The resource (`lpRemoteName`, optional `lpProvider`, `dwType`).
        resource: NetResource,
    },
    /// `WNetGetResourceParent`.
    GetResourceParent {
        /// The resource (`lpRemoteName`, `lpProvider`, `dwType`).
        resource: NetResource,
    },
    /// `WNetGetProviderName(net_type)`.
    GetProviderName {
        /// The `WNNC_NET_*` type (high word compared).
        net_type: u32,
    },
    /// `WNetGetNetworkInformation(provider)`.
    GetNetworkInformation {
        /// The provider name.
        provider: String,
    },
    /// `WNetRestoreConnection`/`WNetRestoreSingleConnection`: restore one device or all.
    Restore {
        /// The device, or `None` for every remembered connection.
        local: Option<String>,
    },
    /// `WNetSetConnection(local, NETPROPERTY_PERSISTENT, yes)`.
    SetPersistent {
        /// The device.
        local: String,
        /// Remember it (`true`) or forget it (`false`).
        persistent: bool,
    },
    /// The `net use` listing: live and remembered connections, and the default.
    List,
    /// `net use /PERSISTENT:YES|NO`: the default for new connections.
    SetSaveConnections {
        /// Remember new connections by default.
        yes: bool,
    },
    /// The daemon's status (`wnet status`).
    Status,
}

/// A connection as the daemon reports it (listing, get connection, connect).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionInfo {
    /// `OK`, `Disconnected` or `Unavailable`.
    pub status: ConnectionStatus,
    /// The device, `None` when deviceless.
    pub local: Option<LocalName>,
    /// The remote name (`\\server[@port]\share`, a WebDAV name or URL).
    pub remote: RemoteName,
    /// The provider's name.
    pub provider: String,
    /// The user the session runs as ("" for the default).
    pub user: String,
    /// Remembered in the profile.
    pub persistent: bool,
    /// The drive's directory (mount point), when mounted.
    pub path: Option<String>,
    /// Open files and directories on it.
    pub opens: u64,
    /// How the session authenticated (mechanism and principal), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logon: Option<wnet_core::Logon>,
    /// Why the connection is not usable, when known (e.g. an expired Kerberos ticket).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// For a connection over a DFS namespace: the target its name leads to now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dfs_target: Option<String>,
    /// Something the user should know about a connection just made (e.g. why its password
    /// could not be saved); only in the answer to an add connection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
}

/// `NETINFOSTRUCT`'s content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkInfo {
    /// `dwProviderVersion`.
    pub provider_version: u32,
    /// `dwStatus`: 0 when the network is running.
    pub status: u32,
    /// `dwCharacteristics`.
    pub characteristics: u32,
    /// `dwHandle`.
    pub handle: u64,
    /// `wNetType`: the high word of the net type.
    pub net_type: u16,
    /// `dwPrinters`: bitmask of redirected LPT ports.
    pub printers: u32,
    /// `dwDrives`: bitmask of redirected drives (bit 0 = A:).
    pub drives: u32,
}

/// The daemon's status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DaemonStatus {
    /// The daemon's pid.
    pub pid: u32,
    /// Its build version.
    pub version: String,
    /// Its socket path.
    pub socket: String,
    /// Its drive root.
    pub drive_root: String,
    /// The providers in routing order.
    pub providers: Vec<String>,
    /// What each provider says about itself, in routing order.
    #[serde(default)]
    pub provider_status: Vec<wnet_core::ProviderStatus>,
    /// Every connection.
    pub connections: Vec<ConnectionInfo>,
}

/// A successful answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reply {
    /// Answer to [`Request::Ping`].
    Pong,
    /// Done, nothing to return.
    Done,
    /// A connection (add connection, get connection).
    Connection(ConnectionInfo),
    /// A universal name.
    UniversalName(UniversalName),
    /// A user name.
    User {
        /// The user name.
        user: String,
    },
    /// An enumeration handle.
    EnumOpened {
        /// The handle.
        handle: u64,
    },
    /// Enumerated resources; an empty list means the end (`ERROR_NO_MORE_ITEMS`).
    Resources {
        /// The items.
        items: Vec<NetResource>,
    },
    /// Resource information: the owning resource and the path below it.
    ResourceInformation {
        /// `\\server\share` with its provider.
        resource: NetResource,
        /// The remaining path (`\dir1\dir2`).
        system: String,
    },
    /// A resource's parent (`None` if it has none).
    ResourceParent {
        /// The parent.
        resource: Option<NetResource>,
    },
    /// A provider name.
    ProviderName {
        /// The name.
        name: String,
    },
    /// Network information.
    NetworkInformation(NetworkInfo),
    /// Restore results: each device that was not restored with its error code.
    Restored {
        /// `(device, code)` of every failure.
        failures: Vec<(String, u32)>,
    },
    /// The `net use` listing.
    Listing {
        /// `New connections will (not) be remembered.`
        save_connections: bool,
        /// Live and remembered connections, devices first in letter order.
        connections: Vec<ConnectionInfo>,
    },
    /// The daemon's status.
    Status(DaemonStatus),
}

/// An error answer: a Win32 code and a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireError {
    /// The Win32 code.
    pub code: u32,
    /// What failed, for logs and `WNetGetLastError`.
    pub message: String,
    /// A retry may succeed.
    #[serde(default)]
    pub temporary: bool,
    /// For 2401/2404: who holds the drive, one `"<path>  (pid N, name)"` per holder.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub holders: Vec<String>,
}

impl From<&Error> for WireError {
    fn from(e: &Error) -> Self {
        WireError {
            code: e.win_error().0,
            message: e.to_string(),
            temporary: e.is_temporary(),
            holders: e.holders().map(str::to_owned).collect(),
        }
    }
}

impl From<WireError> for Error {
    fn from(w: WireError) -> Self {
        let mut e = Error::new(ErrorKind::from_win_error(WinError(w.code)), w.message);
        for holder in w.holders {
            e = e.with_context(wnet_core::HOLDER, holder);
        }
        if w.temporary { e.temporary() } else { e }
    }
}

/// The frame the daemon sends for each request.
pub type Response = Result<Reply, WireError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_tagged_json() {
        let r = Request::CancelConnection {
            name: "z:".into(),
            flags: 1,
            force: false,
        };
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(
            json,
            r#"{"op":"cancel_connection","name":"z:","flags":1,"force":false}"#
        );
        let back: Request = serde_json::from_str(&json).unwrap();
        assert!(matches!(
            back,
            Request::CancelConnection { force: false, .. }
        ));
    }

    #[test]
    fn passwords_never_show_in_debug() {
        let r = Request::AddConnection(AddConnectionArgs {
            resource_type: 1,
            local: Some("Z:".into()),
            remote: r"\\s\x".into(),
            provider: None,
            user: Some("u".into()),
            password: Some(Secret::new("hunter2")),
            flags: 0,
            save_credentials: false,
            ccache: None,
        });
        assert!(!format!("{r:?}").contains("hunter2"));
    }

    #[test]
    fn errors_round_trip_their_code_and_status() {
        let e = Error::from_kind(ErrorKind::OpenFiles)
            .temporary()
            .with_context(wnet_core::HOLDER, "/n/Z/a.txt  (pid 7, vi)");
        let w = WireError::from(&e);
        assert_eq!(w.code, 2401);
        assert_eq!(w.holders, ["/n/Z/a.txt  (pid 7, vi)"]);
        let back = Error::from(w);
        assert_eq!(back.kind(), ErrorKind::OpenFiles);
        assert!(back.is_temporary());
        assert_eq!(
            back.holders().collect::<Vec<_>>(),
            ["/n/Z/a.txt  (pid 7, vi)"]
        );
    }
}
