//! `NetworkProvider`: the trait a network provider implements, shaped after the NP* functions of
//! `npapi.h`, with its [`Capabilities`] (`NPGetCaps`).
//!
//! Every method is a contract: what it does, the capability it needs, and the error each failure
//! gives. The [`Router`](crate::Router) only calls a method whose capability the provider
//! declares, and answers `ERROR_NOT_SUPPORTED` (50) itself otherwise; the default bodies also
//! answer 50, so a provider implements only what it declares.
//!
//! "Not mine" answers are how a provider declines a name it does not own: `ERROR_BAD_NETPATH`
//! (53), `ERROR_BAD_NET_NAME` (67), `ERROR_INVALID_PARAMETER` (87), `ERROR_INVALID_LEVEL` (124),
//! and for names of connections, `ERROR_NOT_CONNECTED` (2250). They must come fast, before any
//! network wait. Providers must never call back into the router (WNet) from these methods.

use serde::{Deserialize, Serialize};

use crate::{
    ConnectFlags, Error, ErrorKind, LocalName, NetResource, RemoteName, ResourceType, Result,
    Scope, Secret, Usage,
};

/// `WNNC_NET_LANMAN`: the SMB network type.
pub const WNNC_NET_LANMAN: u32 = 0x0002_0000;

/// `WNNC_NET_DAV`: the WebDAV (WebClient) network type.
pub const WNNC_NET_DAV: u32 = 0x002E_0000;

/// A provider's name and network type (`NPGetCaps(WNNC_NET_TYPE)`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderInfo {
    /// The provider name (`lpProvider`), e.g. "Microsoft Windows Network". Compared
    /// case-insensitively.
    pub name: String,
    /// The `WNNC_NET_*` type in the high word, e.g. [`WNNC_NET_LANMAN`].
    pub net_type: u32,
}

/// One thing a provider may be able to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Capability {
    /// `WNNC_CON_ADDCONNECTION`/`ADDCONNECTION3`: [`NetworkProvider::add_connection`].
    AddConnection,
    /// `WNNC_CON_CANCELCONNECTION`: [`NetworkProvider::cancel_connection`].
    CancelConnection,
    /// `WNNC_CON_GETCONNECTIONS`: [`NetworkProvider::get_connection`] and
    /// [`NetworkProvider::get_universal_name`].
    GetConnections,
    /// `WNNC_CON_DEFER`: deferred (restore-time) connections.
    Defer,
    /// `WNNC_USR_GETUSER`: [`NetworkProvider::get_user`].
    GetUser,
    /// `WNNC_ENUM_GLOBAL`: [`NetworkProvider::open_enum`] with `RESOURCE_GLOBALNET`.
    EnumGlobal,
    /// `WNNC_ENUM_LOCAL`: [`NetworkProvider::open_enum`] with `RESOURCE_CONNECTED`.
    EnumLocal,
    /// `WNNC_ENUM_CONTEXT`: [`NetworkProvider::open_enum`] with `RESOURCE_CONTEXT`.
    EnumContext,
    /// `WNNC_DLG_GETRESOURCEINFORMATION`: [`NetworkProvider::get_resource_information`].
    ResourceInformation,
    /// `WNNC_DLG_GETRESOURCEPARENT`: [`NetworkProvider::get_resource_parent`].
    ResourceParent,
}

impl Capability {
    const fn bit(self) -> u32 {
        1 << self as u32
    }
}

/// The set of capabilities a provider declares.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct Capabilities(u32);

impl Capabilities {
    /// No capability.
    pub const fn none() -> Self {
        Capabilities(0)
    }

    /// These capabilities plus `cap`.
    #[must_use]
    pub const fn with(self, cap: Capability) -> Self {
        Capabilities(self.0 | cap.bit())
    }

    /// `true` if `cap` is declared.
    pub const fn has(self, cap: Capability) -> bool {
        self.0 & cap.bit() != 0
    }

    /// The `NPGetCaps(index)` answer these capabilities give, for the `WNNC_*` indexes
    /// USER (4), CONNECTION (6), DIALOG (8) and ENUMERATION (0xB); 0 for any other index.
    pub fn wnnc(self, index: u32) -> u32 {
        let pick = |pairs: &[(Capability, u32)]| {
            pairs
                .iter()
                .filter(|(c, _)| self.has(*c))
                .fold(0, |acc, (_, bit)| acc | bit)
        };
        match index {
            4 => pick(&[(Capability::GetUser, 0x1)]),
            6 => pick(&[
                (Capability::AddConnection, 0x1 | 0x8),
                (Capability::CancelConnection, 0x2),
                (Capability::GetConnections, 0x4),
                (Capability::Defer, 0x80),
            ]),
            8 => pick(&[
                (Capability::ResourceParent, 0x200),
                (Capability::ResourceInformation, 0x800),
            ]),
            0xB => pick(&[
                (Capability::EnumGlobal, 0x1),
                (Capability::EnumLocal, 0x2),
                (Capability::EnumContext, 0x4),
            ]),
            _ => 0,
        }
    }
}

impl std::fmt::Debug for Capabilities {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use Capability::*;
        let all = [
            AddConnection,
            CancelConnection,
            GetConnections,
            Defer,
            GetUser,
            EnumGlobal,
            EnumLocal,
            EnumContext,
            ResourceInformation,
            ResourceParent,
        ];
        f.debug_set()
            .entries(all.iter().filter(|c| self.has(**c)))
            .finish()
    }
}

/// A connection request (`NPAddConnection3`).
#[derive(Debug, Clone)]
pub struct AddConnection {
    /// `dwType`: DISK or PRINT with a local device; ANY only without one.
    pub resource_type: ResourceType,
    /// The device to redirect, or `None` for a deviceless connection.
    pub local: Option<LocalName>,
    /// The remote name as the caller gave it; the provider parses it into its own form and
    /// answers "not mine" (67) when it cannot.
    pub remote: RemoteName,
    /// The user name (`[domain\]user`), or `None` for the caller's default credentials.
    pub user: Option<String>,
    /// The password: `None` = default credentials, empty = no password.
    pub password: Option<Secret>,
    /// The `CONNECT_*` flags the provider sees (TEMPORARY, INTERACTIVE, PROMPT, DEFERRED,
    /// REQUIRE_INTEGRITY, REQUIRE_PRIVACY, WRITE_THROUGH_SEMANTICS, ...).
    pub flags: ConnectFlags,
    /// The caller's Kerberos credentials cache; `None`: the provider's own default.
    pub ccache: Option<crate::CredentialsCache>,
}

/// The state of a connection as `net use` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConnectionStatus {
    /// Connected and usable.
    Ok,
    /// The session dropped; the device is kept and reconnects.
    Disconnected,
    /// Remembered but not connected (restore failed or deferred).
    Unavailable,
}

/// A live connection as a provider reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Connection {
    /// The redirected device, `None` for a deviceless connection.
    pub local: Option<LocalName>,
    /// The remote name, in the provider's canonical form.
    pub remote: RemoteName,
    /// The user the session is authenticated as.
    pub user: String,
    /// The provider's name.
    pub provider: String,
    /// Its status.
    pub status: ConnectionStatus,
    /// Files and directories open on it (its drive's handle table); 0 when unknown.
    #[serde(default)]
    pub open_handles: u64,
    /// Disk (a drive or deviceless disk share) or Print (a printer port or print share).
    #[serde(default = "ResourceType::disk")]
    pub resource_type: ResourceType,
    /// How its session authenticated, when the provider knows.
    #[serde(default)]
    pub logon: Option<crate::Logon>,
    /// Why it is not usable, when the provider knows (e.g. the server refused to log on
    /// again: `Kerberos: ... Ticket expired`).
    #[serde(default)]
    pub reason: Option<String>,
    /// For a connection over a DFS namespace: where its name leads now
    /// (`\\server\share[\path]`, the target in use).
    #[serde(default)]
    pub dfs_target: Option<String>,
    /// Where the provider mounted it (a drive, a deviceless drive, a port file), relative to
    /// the drive root: `Z`, `LPT1`, `UNC/server/share`, `UNC/host@8080/DavWWWRoot/dir`. The
    /// provider that mounts says where; `None` for a connection without a mount.
    #[serde(default)]
    pub mount_dir: Option<std::path::PathBuf>,
}

/// What a provider says about itself for `wnet status` ([`NetworkProvider::status`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderStatus {
    /// The provider's name.
    pub name: String,
    /// Its `WNNC_NET_*` type.
    pub net_type: u32,
    /// Its live connections (0 when it cannot list them).
    pub connections: usize,
    /// One line of provider-specific state (sessions, servers), when it has some.
    #[serde(default)]
    pub detail: Option<String>,
}

/// What `WNetCancelConnection2` names: a device or a remote name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ConnectionName {
    /// A local device: cancel that redirection.
    Local(LocalName),
    /// A remote name: cancel the deviceless connections to it.
    Remote(RemoteName),
}

impl ConnectionName {
    /// Parses a device (`Z:`, any case) or a remote name (`\\server\share`, a URL). A
    /// device-shaped name that is not a valid device gives 1200; anything else that is not a
    /// remote name gives its [`RemoteName::parse`] error.
    pub fn parse(s: &str) -> Result<Self> {
        if LocalName::looks_like_device(s) {
            LocalName::parse(s).map(ConnectionName::Local)
        } else {
            RemoteName::parse(s).map(ConnectionName::Remote)
        }
    }
}

impl std::fmt::Display for ConnectionName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConnectionName::Local(l) => l.fmt(f),
            ConnectionName::Remote(r) => r.fmt(f),
        }
    }
}

/// `REMOTE_NAME_INFO`: what `WNetGetUniversalName` returns (level 1 uses only the first field).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UniversalName {
    /// `\\server\share\dir\file`.
    pub universal_name: String,
    /// `\\server\share`.
    pub connection_name: String,
    /// `\dir\file`.
    pub remaining_path: String,
}

/// A network provider: the NP* functions. See the module doc for the shared rules.
pub trait NetworkProvider: Send + Sync {
    /// The provider's name and network type (`NPGetCaps(WNNC_NET_TYPE)`).
    ///
    /// # Behavior
    /// Constant for the provider's life; needs no capability.
    fn info(&self) -> &ProviderInfo;

    /// What the provider can do (`NPGetCaps`).
    ///
    /// # Behavior
    /// Constant for the provider's life. The router calls no method whose capability is absent.
    fn capabilities(&self) -> Capabilities;

    /// Restores a remembered connection at logon or on request (`NPAddConnection3` with the
    /// profile's entry: no password but a saved one, the daemon's own credentials).
    ///
    /// # Behavior
    /// Capability [`Capability::AddConnection`]. The default makes the connection as
    /// [`NetworkProvider::add_connection`] does; a provider overrides it when a restored
    /// connection differs (e.g. is deferred until first use).
    ///
    /// # Errors
    /// As [`NetworkProvider::add_connection`].
    fn restore(&self, request: &AddConnection) -> Result<Connection> {
        self.add_connection(request)
    }

    /// Ends every connection of this provider (daemon shutdown): data applications wrote is
    /// flushed, drives are unmounted, sessions are logged off. Never fails; problems are logged.
    ///
    /// # Behavior
    /// Needs no capability. The default does nothing (a provider without live state).
    fn shutdown(&self) {}

    /// What `wnet status` shows for this provider.
    ///
    /// # Behavior
    /// Needs no capability. The default gives the name, type and the number of
    /// [`NetworkProvider::connections`] (0 when they cannot be listed).
    fn status(&self) -> ProviderStatus {
        let connections = if self.capabilities().has(Capability::EnumLocal) {
            self.connections().map_or(0, |c| c.len())
        } else {
            0
        };
        ProviderStatus {
            name: self.info().name.clone(),
            net_type: self.info().net_type,
            connections,
            detail: None,
        }
    }

    /// Makes a connection (`NPAddConnection3`).
    ///
    /// # Behavior
    /// Capability [`Capability::AddConnection`]. On success the connection is live (or, with
    /// `CONNECT_DEFERRED`, recorded to connect on first use) and the device, if any, is
    /// redirected. The provider does not touch the profile: the caller does.
    ///
    /// # Errors
    /// 67 or 53 if the name is not one this provider serves ("not mine", fast); 85 if the device
    /// is already redirected; 86 / 1326 for bad credentials; 1219 if another user name is
    /// connected to the same server; 5 access denied; 66 for a resource type it cannot serve;
    /// temporary errors (59, 53) when the server cannot be reached within the bound.
    fn add_connection(&self, request: &AddConnection) -> Result<Connection> {
        let _ = request;
        Err(Error::from_kind(ErrorKind::NotSupported))
    }

    /// Cancels a connection (`NPCancelConnection`).
    ///
    /// # Behavior
    /// Capability [`Capability::CancelConnection`]. A device cancels that redirection; a remote
    /// name cancels the deviceless connections to it (never a device's). Without `force`, a
    /// connection with open files is left untouched. With `force`, data applications wrote is
    /// flushed before the server handles are closed. The profile is the caller's business.
    ///
    /// # Errors
    /// 2250 if this provider has no such connection ("not mine"); 2401 open files and not
    /// forced; 2404 a process uses the device and not forced.
    fn cancel_connection(&self, name: &ConnectionName, force: bool) -> Result<()> {
        let _ = (name, force);
        Err(Error::from_kind(ErrorKind::NotSupported))
    }

    /// The connection of a device (`NPGetConnection`).
    ///
    /// # Behavior
    /// Capability [`Capability::GetConnections`]. Only live (or disconnected-but-kept)
    /// connections; remembered-only devices are the router's business (1201).
    ///
    /// # Errors
    /// 2250 if the device is not redirected by this provider.
    fn get_connection(&self, local: LocalName) -> Result<Connection> {
        let _ = local;
        Err(Error::from_kind(ErrorKind::NotSupported))
    }

    /// Every connection of this provider (`RESOURCE_CONNECTED` enumeration).
    ///
    /// # Behavior
    /// Capability [`Capability::EnumLocal`]. A snapshot; devices and deviceless connections.
    fn connections(&self) -> Result<Vec<Connection>> {
        Err(Error::from_kind(ErrorKind::NotSupported))
    }

    /// The universal form of a path on a redirected device (`NPGetUniversalName`).
    ///
    /// # Behavior
    /// Capability [`Capability::GetConnections`]. `rest` is the path below the device
    /// (`\dir\file`, may be empty); it need not exist.
    ///
    /// # Errors
    /// 2250 if the device is not redirected by this provider.
    fn get_universal_name(&self, local: LocalName, rest: &str) -> Result<UniversalName> {
        let _ = (local, rest);
        Err(Error::from_kind(ErrorKind::NotSupported))
    }

    /// The user name of a connection, or of the provider's default (`NPGetUser`).
    ///
    /// # Behavior
    /// Capability [`Capability::GetUser`]. `None` asks for the default user.
    ///
    /// # Errors
    /// 2250 if the name is not a connection of this provider.
    fn get_user(&self, name: Option<&ConnectionName>) -> Result<String> {
        let _ = name;
        Err(Error::from_kind(ErrorKind::NotSupported))
    }

    /// Enumerates resources (`NPOpenEnum` + `NPEnumResource`), returning the whole snapshot.
    ///
    /// # Behavior
    /// Capability [`Capability::EnumGlobal`] for `Scope::GlobalNet` (a `container` of `None`
    /// lists the provider's top level, `\\server` lists its shares), [`Capability::EnumContext`]
    /// for `Scope::Context`. `Scope::Connected` uses [`NetworkProvider::connections`].
    ///
    /// # Errors
    /// 1207 if `container` is not a container; 67/53 if it is not this provider's.
    fn open_enum(
        &self,
        scope: Scope,
        resource_type: ResourceType,
        usage: Usage,
        container: Option<&NetResource>,
    ) -> Result<Vec<NetResource>> {
        let _ = (scope, resource_type, usage, container);
        Err(Error::from_kind(ErrorKind::NotSupported))
    }

    /// Identifies the owner of a remote path (`NPGetResourceInformation`).
    ///
    /// # Behavior
    /// Capability [`Capability::ResourceInformation`]. Returns the `\\server\share` resource and
    /// the remaining path below it (`\dir1\dir2`, possibly empty).
    ///
    /// # Errors
    /// 67 if the name is not this provider's; 66 if the type does not match.
    fn get_resource_information(&self, resource: &NetResource) -> Result<(NetResource, String)> {
        let _ = resource;
        Err(Error::from_kind(ErrorKind::NotSupported))
    }

    /// The syntactic parent of a remote name (`NPGetResourceParent`).
    ///
    /// # Behavior
    /// Capability [`Capability::ResourceParent`]. The parent need not exist; `None` when the
    /// name has no parent.
    ///
    /// # Errors
    /// 67 if the name is not this provider's.
    fn get_resource_parent(&self, resource: &NetResource) -> Result<Option<NetResource>> {
        let _ = resource;
        Err(Error::from_kind(ErrorKind::NotSupported))
    }
}

/// 85 when a deviceless connection `name`, to be mounted at `dir` (relative to the drive
/// root), would hold or sit inside the mount directory of another deviceless connection of
/// `taken` (its name and directory): one mount cannot be inside another's. Providers that
/// mount deviceless connections ask it before they reserve one.
///
/// # Errors
/// 85 naming the other connection.
pub fn check_not_nested<N: std::fmt::Display>(
    name: &dyn std::fmt::Display,
    dir: &std::path::Path,
    taken: impl IntoIterator<Item = (N, std::path::PathBuf)>,
) -> Result<()> {
    let nested = taken
        .into_iter()
        .find(|(_, other)| other.starts_with(dir) || dir.starts_with(other));
    match nested {
        Some((other, _)) => Err(Error::new(
            ErrorKind::AlreadyAssigned,
            format!(
                "{name} and the connected {other} would be mounted one inside the other; \
                 connect one of them to a drive letter"
            ),
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wnnc_answers() {
        let caps = Capabilities::none()
            .with(Capability::AddConnection)
            .with(Capability::CancelConnection)
            .with(Capability::GetConnections)
            .with(Capability::EnumLocal);
        assert_eq!(caps.wnnc(6), 0x1 | 0x2 | 0x4 | 0x8);
        assert_eq!(caps.wnnc(0xB), 0x2);
        assert_eq!(caps.wnnc(4), 0);
        assert_eq!(caps.wnnc(99), 0);
        assert!(!caps.has(Capability::GetUser));
    }

    #[test]
    fn connection_names() {
        assert_eq!(
            ConnectionName::parse("z:").unwrap(),
            ConnectionName::Local(LocalName::Drive(b'Z'))
        );
        assert!(matches!(
            ConnectionName::parse(r"\\s\x").unwrap(),
            ConnectionName::Remote(_)
        ));
        assert_eq!(ConnectionName::parse("1:").unwrap_err().win_error().0, 1200);
        assert_eq!(ConnectionName::parse("zz").unwrap_err().win_error().0, 67);
    }
}
