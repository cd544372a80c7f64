//! `Daemon`: the WNet semantics the daemon serves, over the router and the profile.
//!
//! Each [`Request`] is answered by one method here. Everything is synchronous: the server runs
//! each request on a blocking thread, because providers make blocking network calls.
//!
//! The rules that are the daemon's (not a provider's) live here:
//! - the profile: `CONNECT_UPDATE_PROFILE` remembers successful *device* connections; a device
//!   remembered for another remote gives 1202; cancel with the flag forgets the entry, also for
//!   a remembered-but-unconnected device (success), while flags 0 on such a device give 2250
//!   and keep it; cancelling by remote name never touches the profile.
//! - the choice of a free drive (`CONNECT_REDIRECT` without a device): Z: downwards, skipping
//!   live and remembered devices.
//! - 1201 for a remembered-but-unconnected device in name queries.

use std::sync::Mutex;
use std::time::Instant;

use wnet_core::{
    AddConnection, ConnectFlags, Connection, ConnectionName, ConnectionStatus, Error, ErrorKind,
    LocalName, NetResource, ProfileStore, RememberedConnection, RemoteName, ResourceType, Result,
    Router, Scope, Usage, WinError,
};
use wnet_proto::{
    AddConnectionArgs, ConnectionInfo, DaemonStatus, NetworkInfo, Paths, Reply, Request, Response,
    WireError,
};

use crate::enumeration::{ClientId, EnumTable};

/// The daemon's state: the router over the providers, the profile, open enumerations.
pub struct Daemon {
    router: Router,
    profile: ProfileStore,
    paths: Paths,
    enums: Mutex<EnumTable>,
    device_locks: Mutex<std::collections::HashMap<LocalName, std::sync::Arc<Mutex<()>>>>,
    started: Instant,
}

impl std::fmt::Debug for Daemon {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Daemon")
            .field("router", &self.router)
            .field("paths", &self.paths)
            .finish()
    }
}

/// `true` for the answers that mean "this provider has no such connection".
fn not_connected(e: &Error) -> bool {
    matches!(
        e.win_error(),
        WinError::ERROR_NOT_CONNECTED | WinError::ERROR_NO_NETWORK
    )
}

impl Daemon {
    /// A daemon over `router`, with the places of `paths`.
    pub fn new(paths: Paths, router: Router) -> Self {
        Daemon {
            profile: ProfileStore::new(paths.profile.clone()),
            router,
            paths,
            enums: Mutex::new(EnumTable::default()),
            device_locks: Mutex::new(std::collections::HashMap::new()),
            started: Instant::now(),
        }
    }

    /// The places this daemon uses.
    pub fn paths(&self) -> &Paths {
        &self.paths
    }

    /// How long the daemon has run.
    pub fn uptime(&self) -> std::time::Duration {
        self.started.elapsed()
    }

    /// Answers one request that comes from no connection (in-process callers): its
    /// enumerations belong to [`ClientId::LOCAL`].
    pub fn handle(&self, request: Request) -> Response {
        self.serve(ClientId::LOCAL, request)
    }

    /// Answers one request of connection `client` (whose enumerations only it can use).
    pub fn serve(&self, client: ClientId, request: Request) -> Response {
        let result = match request {
            Request::Ping => Ok(Reply::Pong),
            Request::AddConnection(args) => self.add_connection(args).map(Reply::Connection),
            Request::CancelConnection { name, flags, force } => self
                .cancel_connection(&name, flags, force)
                .map(|()| Reply::Done),
            Request::GetConnection { local } => self.get_connection(&local).map(Reply::Connection),
            Request::GetUniversalName { local_path } => self
                .get_universal_name(&local_path)
                .map(Reply::UniversalName),
            Request::GetUser { name } => self
                .get_user(name.as_deref())
                .map(|user| Reply::User { user }),
            Request::OpenEnum {
                scope,
                resource_type,
                usage,
                container,
            } => self
                .open_enum(scope, resource_type, usage, container.as_ref())
                .map(|items| Reply::EnumOpened {
                    handle: self.enums().open(client, items),
                }),
            Request::EnumNext { handle, max } => self
                .enums()
                .next(client, handle, max)
                .map(|items| Reply::Resources { items }),
            Request::CloseEnum { handle } => {
                self.enums().close(client, handle).map(|()| Reply::Done)
            }
            Request::GetResourceInformation { resource } => self
                .router
                .get_resource_information(resource.provider.as_deref(), &resource)
                .map(|(resource, system)| Reply::ResourceInformation { resource, system }),
            Request::GetResourceParent { resource } => self.get_resource_parent(&resource),
            Request::GetProviderName { net_type } => self
                .router
                .provider_by_net_type(net_type)
                .map(|info| Reply::ProviderName {
                    name: info.name.clone(),
                }),
            Request::GetNetworkInformation { provider } => self
                .network_information(&provider)
                .map(Reply::NetworkInformation),
            Request::Restore { local } => self.restore(local.as_deref()),
            Request::SetPersistent { local, persistent } => self
                .set_persistent(&local, persistent)
                .map(|()| Reply::Done),
            Request::List => self
                .list()
                .map(|(save_connections, connections)| Reply::Listing {
                    save_connections,
                    connections,
                }),
            Request::SetSaveConnections { yes } => self
                .profile
                .update(|p| {
                    p.settings.save_connections = yes;
                    Ok(())
                })
                .map(|()| Reply::Done),
            Request::Status => self.status().map(Reply::Status),
        };
        result.map_err(|e| WireError::from(&e))
    }

    /// Connection `client` ended: its enumerations end too.
    pub fn client_gone(&self, client: ClientId) {
        self.enums().close_all(client);
    }

    /// How many enumerations connection `client` holds open.
    pub fn open_enums(&self, client: ClientId) -> usize {
        self.enums().count(client)
    }

    fn enums(&self) -> std::sync::MutexGuard<'_, EnumTable> {
        // A panic while holding the lock leaves the table consistent (each call is one step).
        self.enums.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Live connections of every provider; none at all when there is no network.
    fn live(&self) -> Result<Vec<Connection>> {
        match self.router.connections() {
            Err(e) if e.win_error() == WinError::ERROR_NO_NETWORK => Ok(Vec::new()),
            other => other,
        }
    }

    fn add_connection(&self, args: AddConnectionArgs) -> Result<ConnectionInfo> {
        let flags = ConnectFlags::from_bits(args.flags)?;
        let resource_type = ResourceType::from_u32(args.resource_type)?;
        // The name as the user gave it: each provider decides whether it is its own. An
        // `smb://user@host/share` URL names the user when the caller gives none.
        let (remote, url_user) = RemoteName::parse_with_user(&args.remote)?;
        let user = args.user.clone().filter(|u| !u.is_empty()).or(url_user);
        let requested = match args.local.as_deref().filter(|l| !l.is_empty()) {
            Some(l) => Some(LocalName::parse(l)?),
            None => None,
        };
        match (requested, resource_type) {
            (Some(l), ResourceType::Disk) if !l.is_disk() => {
                return Err(bad_dev_type(l, resource_type));
            }
            (Some(l), ResourceType::Print) if l.is_disk() => {
                return Err(bad_dev_type(l, resource_type));
            }
            (Some(_), ResourceType::Disk | ResourceType::Print) | (None, _) => {}
            (Some(l), other) => {
                return Err(Error::new(
                    ErrorKind::InvalidParameter,
                    format!("a connection of {l} needs type DISK or PRINT, not {other:?}"),
                ));
            }
        }
        if !matches!(
            resource_type,
            ResourceType::Any | ResourceType::Disk | ResourceType::Print
        ) {
            return Err(Error::new(
                ErrorKind::InvalidParameter,
                format!("{resource_type:?} cannot be connected"),
            ));
        }
        let candidates: Vec<Option<LocalName>> = match requested {
            Some(l) => vec![Some(l)],
            None if flags.contains(ConnectFlags::REDIRECT) => {
                if resource_type != ResourceType::Disk {
                    return Err(Error::new(
                        ErrorKind::InvalidParameter,
                        "choosing a device needs RESOURCETYPE_DISK",
                    ));
                }
                let live = self.live()?;
                let profile = self.profile.load()?;
                let used = |d: &LocalName| {
                    live.iter().any(|c| c.local.as_ref() == Some(d))
                        || profile.devices.contains_key(d)
                };
                let free: Vec<Option<LocalName>> = LocalName::drives_descending()
                    .filter(|d| !used(d))
                    .map(Some)
                    .collect();
                if free.is_empty() {
                    return Err(Error::new(
                        ErrorKind::NoMoreItems,
                        "no drive letter is free",
                    ));
                }
                free
            }
            None => vec![None],
        };
        let choosing =
            candidates.len() > 1 || requested.is_none() && flags.contains(ConnectFlags::REDIRECT);
        let mut password = args.password;
        let last = candidates.len() - 1;
        for (i, local) in candidates.into_iter().enumerate() {
            let request = AddConnection {
                resource_type,
                local,
                remote: remote.clone(),
                user: user.clone(),
                password: if i == last {
                    password.take()
                } else {
                    password.clone()
                },
                flags,
                ccache: args.ccache.clone(),
            };
            match self.connect_one(request, args.provider.as_deref(), args.save_credentials) {
                // Taken meanwhile by another request: `*` moves on to the next free letter.
                Err(e)
                    if choosing
                        && i < last
                        && e.win_error() == WinError::ERROR_ALREADY_ASSIGNED =>
                {
                    continue;
                }
                other => return other,
            }
        }
        Err(Error::new(
            ErrorKind::NoMoreItems,
            "no drive letter is free",
        ))
    }

    /// The lock of one device: a connect or cancel of a device and its profile update happen
    /// as one step, so concurrent requests never leave the device live but forgotten, or
    /// remembered but cancelled.
    fn device_lock(&self, local: LocalName) -> std::sync::Arc<Mutex<()>> {
        let mut locks = self.device_locks.lock().unwrap_or_else(|p| p.into_inner());
        locks.entry(local).or_default().clone()
    }

    /// Connects one candidate device (or deviceless) and updates the profile, under the
    /// device's lock.
    fn connect_one(
        &self,
        request: AddConnection,
        provider: Option<&str>,
        save_credentials: bool,
    ) -> Result<ConnectionInfo> {
        let lock = request.local.map(|l| self.device_lock(l));
        let _held = lock
            .as_ref()
            .map(|l| l.lock().unwrap_or_else(|p| p.into_inner()));
        let flags = request.flags;
        let resource_type = request.resource_type;
        let local = request.local;
        let profile = self.profile.load()?;
        if let Some(l) = local {
            if self.live()?.iter().any(|c| c.local == Some(l)) {
                return Err(Error::new(
                    ErrorKind::AlreadyAssigned,
                    format!("{l} is already redirected"),
                ));
            }
            if let Some(entry) = profile.devices.get(&l) {
                if !entry.remote_path.same_connection(&request.remote) {
                    return Err(Error::new(
                        ErrorKind::DeviceAlreadyRemembered,
                        format!("{l} is remembered for {}", entry.remote_path),
                    ));
                }
            }
        }
        let connection = self.router.add_connection(provider, &request)?;
        let notice = if save_credentials {
            self.save_credentials(&request, &connection)
        } else {
            None
        };
        let remember = flags.contains(ConnectFlags::UPDATE_PROFILE)
            && !flags.contains(ConnectFlags::TEMPORARY);
        let mut persistent = local.is_some_and(|l| profile.devices.contains_key(&l));
        if let (true, Some(l)) = (remember, local) {
            let entry = self.remembered_entry(&connection, &request, resource_type);
            if let Err(e) = self.profile.remember(l, entry) {
                // Not remembered means not made: undo the connection, report the profile error.
                let _ = self
                    .router
                    .cancel_connection(&ConnectionName::Local(l), true);
                return Err(e);
            }
            persistent = true;
        }
        let mut info = self.info(connection, persistent);
        info.notice = notice;
        Ok(info)
    }

    /// Saves the password of a connection just made (`/SAVECRED`); a notice when it could not.
    fn save_credentials(&self, request: &AddConnection, connection: &Connection) -> Option<String> {
        let Some(password) = request.password.as_ref().filter(|p| !p.is_empty()) else {
            return Some("No password was given, so none was saved.".into());
        };
        match crate::credentials::store(&request.remote, &connection.user, password) {
            Ok(()) => None,
            Err(why) => Some(format!(
                "The password was not saved: {why}. The connection was made."
            )),
        }
    }

    fn remembered_entry(
        &self,
        connection: &Connection,
        request: &AddConnection,
        resource_type: ResourceType,
    ) -> RememberedConnection {
        let provider_type = self
            .router
            .provider(&connection.provider)
            .map(|p| p.info().net_type)
            .unwrap_or(wnet_core::WNNC_NET_LANMAN);
        let extras = ConnectFlags::REQUIRE_INTEGRITY
            | ConnectFlags::REQUIRE_PRIVACY
            | ConnectFlags::WRITE_THROUGH_SEMANTICS;
        RememberedConnection {
            remote_path: request.remote.clone(),
            user_name: request.user.clone().unwrap_or_default(),
            provider_name: connection.provider.clone(),
            provider_type,
            connection_type: if resource_type == ResourceType::Print {
                2
            } else {
                1
            },
            defer_flags: if request.user.is_some() { 1 } else { 4 },
            connect_flags: request.flags.bits() & extras.bits(),
        }
    }

    fn info(&self, c: Connection, persistent: bool) -> ConnectionInfo {
        let opens = c.open_handles;
        // A drive's directory or a port's file (`LPT1`), where programs use it.
        let path = c.mount_dir.as_ref().map(|d| self.paths.drive_root.join(d));
        ConnectionInfo {
            status: c.status,
            local: c.local,
            remote: c.remote,
            provider: c.provider,
            user: c.user,
            persistent,
            path: path.map(|p| p.display().to_string()),
            opens,
            logon: c.logon,
            reason: c.reason,
            dfs_target: c.dfs_target,
            notice: None,
        }
    }

    fn cancel_connection(&self, name: &str, flags: u32, force: bool) -> Result<()> {
        let flags = ConnectFlags::from_bits(flags)?;
        let name = ConnectionName::parse(name).map_err(|e| {
            Error::new(
                ErrorKind::NotConnected,
                format!("{name:?} is not a redirected device or connection: {e}"),
            )
        })?;
        let update_profile = flags.contains(ConnectFlags::UPDATE_PROFILE);
        let lock = match &name {
            ConnectionName::Local(l) => Some(self.device_lock(*l)),
            ConnectionName::Remote(_) => None,
        };
        let _held = lock
            .as_ref()
            .map(|l| l.lock().unwrap_or_else(|p| p.into_inner()));
        match (&name, self.router.cancel_connection(&name, force)) {
            (ConnectionName::Local(l), Ok(())) => {
                if update_profile {
                    self.profile.forget(*l)?;
                }
                Ok(())
            }
            (ConnectionName::Local(l), Err(e)) if not_connected(&e) => {
                if self.profile.get(*l)?.is_none() {
                    return Err(Error::new(
                        ErrorKind::NotConnected,
                        format!("{l} is not connected"),
                    ));
                }
                if !update_profile {
                    return Err(Error::new(
                        ErrorKind::NotConnected,
                        format!(
                            "{l} is remembered but not connected; CONNECT_UPDATE_PROFILE forgets it"
                        ),
                    ));
                }
                self.profile.forget(*l)?;
                Ok(())
            }
            (ConnectionName::Remote(r), Err(e)) if not_connected(&e) => Err(Error::new(
                ErrorKind::NotConnected,
                format!("no deviceless connection to {r}"),
            )),
            (_, result) => result,
        }
    }

    fn get_connection(&self, local: &str) -> Result<ConnectionInfo> {
        let l = LocalName::parse(local)?;
        match self.router.get_connection(l) {
            Ok(c) => {
                let persistent = self.profile.get(l)?.is_some();
                Ok(self.info(c, persistent))
            }
            Err(e) if not_connected(&e) => match self.profile.get(l)? {
                Some(_) => Err(Error::new(
                    ErrorKind::ConnectionUnavailable,
                    format!("{l} is remembered but not connected"),
                )),
                None => Err(Error::new(
                    ErrorKind::NotConnected,
                    format!("{l} is not connected"),
                )),
            },
            Err(e) => Err(e),
        }
    }

    fn get_universal_name(&self, local_path: &str) -> Result<wnet_core::UniversalName> {
        let (device, rest) = split_local_path(local_path)?;
        match self.router.get_universal_name(device, rest) {
            Err(e) if not_connected(&e) && self.profile.get(device)?.is_some() => Err(Error::new(
                ErrorKind::ConnectionUnavailable,
                format!("{device} is remembered but not connected"),
            )),
            Err(e) if not_connected(&e) => Err(Error::new(
                ErrorKind::NotConnected,
                format!("{device} is not connected"),
            )),
            other => other,
        }
    }

    fn get_user(&self, name: Option<&str>) -> Result<String> {
        let name = match name.filter(|n| !n.is_empty()) {
            None => {
                return match self.router.get_user(None) {
                    Ok(user) => Ok(user),
                    Err(_) => Ok(current_user_name()),
                };
            }
            Some(n) => ConnectionName::parse(n).map_err(|_| {
                Error::new(
                    ErrorKind::NotConnected,
                    format!("{n:?} is not a connection"),
                )
            })?,
        };
        match self.router.get_user(Some(&name)) {
            Err(e) if not_connected(&e) => {
                if let ConnectionName::Local(l) = &name {
                    if let Some(entry) = self.profile.get(*l)? {
                        return Ok(if entry.user_name.is_empty() {
                            current_user_name()
                        } else {
                            entry.user_name
                        });
                    }
                }
                Err(Error::new(
                    ErrorKind::NotConnected,
                    format!("{name} is not connected"),
                ))
            }
            other => other,
        }
    }

    fn open_enum(
        &self,
        scope: u32,
        resource_type: u32,
        usage: u32,
        container: Option<&NetResource>,
    ) -> Result<Vec<NetResource>> {
        let scope = Scope::from_u32(scope)?;
        let resource_type = ResourceType::from_u32(resource_type)?;
        let usage = Usage::from_bits(usage)?;
        let wanted = |t: ResourceType| resource_type == ResourceType::Any || t == resource_type;
        let items = match scope {
            Scope::Connected => self
                .live()?
                .into_iter()
                .map(|c| {
                    NetResource::share(
                        Scope::Connected,
                        c.resource_type,
                        c.local,
                        &c.remote.to_string(),
                        &c.provider,
                    )
                })
                .filter(|r| wanted(r.resource_type))
                .collect(),
            Scope::Remembered => self
                .profile
                .load()?
                .devices
                .into_iter()
                .map(|(l, e)| {
                    NetResource::share(
                        Scope::Remembered,
                        e.resource_type(),
                        Some(l),
                        &e.remote_path.to_string(),
                        &e.provider_name,
                    )
                })
                .filter(|r| wanted(r.resource_type))
                .collect(),
            Scope::GlobalNet | Scope::Context => {
                let container = if scope == Scope::GlobalNet {
                    container
                } else {
                    None
                };
                self.router
                    .enumerate_global(resource_type, usage, container)?
            }
            Scope::Recent => Vec::new(),
        };
        Ok(items)
    }

    fn get_resource_parent(&self, resource: &NetResource) -> Result<Reply> {
        let provider = resource.provider.as_deref().ok_or_else(|| {
            Error::new(
                ErrorKind::BadProvider,
                "WNetGetResourceParent needs lpProvider",
            )
        })?;
        if resource.remote_name.is_none() {
            return Ok(Reply::ResourceParent { resource: None });
        }
        self.router
            .get_resource_parent(provider, resource)
            .map(|resource| Reply::ResourceParent { resource })
    }

    fn network_information(&self, provider: &str) -> Result<NetworkInfo> {
        let p = self.router.provider(provider)?;
        let name = p.info().name.clone();
        let index = self
            .router
            .providers()
            .iter()
            .position(|i| i.name == name)
            .unwrap_or(0) as u64;
        let mut drives = 0u32;
        let mut printers = 0u32;
        for c in self.live()?.into_iter().filter(|c| c.provider == name) {
            match c.local {
                Some(LocalName::Drive(d)) => drives |= 1 << (d - b'A'),
                Some(LocalName::Lpt(n)) => printers |= 1 << (n - 1),
                None => {}
            }
        }
        Ok(NetworkInfo {
            provider_version: 0x0005_0001,
            status: 0,
            // NETINFO_DISKRED, and NETINFO_PRINTERRED for SMB (WebDAV has no printers).
            characteristics: if p.info().net_type == wnet_core::WNNC_NET_DAV {
                0x4
            } else {
                0x4 | 0x8
            },
            handle: index,
            net_type: (p.info().net_type >> 16) as u16,
            printers,
            drives,
        })
    }

    /// Restores one remembered device, or all of them, each without a password (saved
    /// credentials are the provider's business). Failures are reported, the entries stay.
    pub fn restore(&self, local: Option<&str>) -> Result<Reply> {
        let profile = self.profile.load()?;
        let live = self.live()?;
        let wanted: Vec<(LocalName, RememberedConnection)> = match local.filter(|l| !l.is_empty()) {
            Some(l) => {
                let l = LocalName::parse(l)?;
                let entry = profile.devices.get(&l).cloned().ok_or_else(|| {
                    Error::new(ErrorKind::NotConnected, format!("{l} is not remembered"))
                })?;
                vec![(l, entry)]
            }
            None => profile.devices.into_iter().collect(),
        };
        let todo: Vec<_> = wanted
            .into_iter()
            .filter(|(l, _)| !live.iter().any(|c| c.local == Some(*l)))
            .collect();
        // Each device on its own thread: one unreachable server delays no other.
        let failures = std::thread::scope(|s| {
            let handles: Vec<_> = todo
                .iter()
                .map(|(l, entry)| (l, s.spawn(move || self.restore_one(*l, entry))))
                .collect();
            handles
                .into_iter()
                .filter_map(|(l, h)| match h.join() {
                    Ok(Ok(())) => None,
                    Ok(Err(e)) => Some((l.to_string(), e.win_error().0)),
                    Err(_) => Some((l.to_string(), WinError::ERROR_GEN_FAILURE.0)),
                })
                .collect()
        });
        Ok(Reply::Restored { failures })
    }

    fn restore_one(&self, local: LocalName, entry: &RememberedConnection) -> Result<()> {
        let lock = self.device_lock(local);
        let _held = lock.lock().unwrap_or_else(|p| p.into_inner());
        // Connected or forgotten meanwhile: nothing to restore.
        if self.live()?.iter().any(|c| c.local == Some(local))
            || self.profile.get(local)?.as_ref() != Some(entry)
        {
            return Ok(());
        }
        let user = if entry.user_name.is_empty() {
            current_user_name()
        } else {
            entry.user_name.clone()
        };
        let request = AddConnection {
            resource_type: entry.resource_type(),
            local: Some(local),
            remote: entry.remote_path.clone(),
            user: Some(entry.user_name.clone()).filter(|u| !u.is_empty()),
            // A password saved with /SAVECRED, else none (a guest share needs none).
            password: crate::credentials::lookup(&entry.remote_path, &user),
            flags: ConnectFlags::from_bits(entry.connect_flags).unwrap_or_default(),
            // Restore uses the daemon's own environment (its login's tickets).
            ccache: None,
        };
        let result = self
            .router
            .restore(&entry.provider_name, &request)
            .map(|_| ());
        if let Err(e) = &result {
            tracing::warn!(device = %local, remote = %entry.remote_path, error = %e, "restore failed; stays remembered");
        }
        result
    }

    fn set_persistent(&self, local: &str, persistent: bool) -> Result<()> {
        let l = LocalName::parse(local)?;
        let lock = self.device_lock(l);
        let _held = lock.lock().unwrap_or_else(|p| p.into_inner());
        let c = self.router.get_connection(l).map_err(|e| {
            if not_connected(&e) {
                Error::new(ErrorKind::NotConnected, format!("{l} is not connected"))
            } else {
                e
            }
        })?;
        if persistent {
            let request = AddConnection {
                resource_type: if l.is_disk() {
                    ResourceType::Disk
                } else {
                    ResourceType::Print
                },
                local: Some(l),
                remote: c.remote.clone(),
                user: Some(c.user.clone()).filter(|u| !u.is_empty()),
                password: None,
                flags: ConnectFlags::empty(),
                ccache: None,
            };
            let entry = self.remembered_entry(&c, &request, request.resource_type);
            self.profile.remember(l, entry)
        } else {
            self.profile.forget(l).map(|_| ())
        }
    }

    /// The `net use` listing: live connections (devices in letter order, then deviceless), and
    /// remembered devices that are not live as `Unavailable`.
    pub fn list(&self) -> Result<(bool, Vec<ConnectionInfo>)> {
        let profile = self.profile.load()?;
        let mut rows: Vec<ConnectionInfo> = self
            .live()?
            .into_iter()
            .map(|c| {
                let persistent = c.local.is_some_and(|l| {
                    profile
                        .devices
                        .get(&l)
                        .is_some_and(|e| e.remote_path.same_connection(&c.remote))
                });
                self.info(c, persistent)
            })
            .collect();
        for (l, e) in &profile.devices {
            if !rows.iter().any(|r| r.local == Some(*l)) {
                rows.push(ConnectionInfo {
                    status: ConnectionStatus::Unavailable,
                    local: Some(*l),
                    remote: e.remote_path.clone(),
                    provider: e.provider_name.clone(),
                    user: e.user_name.clone(),
                    persistent: true,
                    path: None,
                    opens: 0,
                    logon: None,
                    reason: None,
                    dfs_target: None,
                    notice: None,
                });
            }
        }
        rows.sort_by(|a, b| match (a.local, b.local) {
            (Some(x), Some(y)) => x.cmp(&y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => a.remote.to_string().cmp(&b.remote.to_string()),
        });
        Ok((profile.settings.save_connections, rows))
    }

    fn status(&self) -> Result<DaemonStatus> {
        Ok(DaemonStatus {
            pid: std::process::id(),
            version: env!("CARGO_PKG_VERSION").into(),
            socket: self.paths.socket.display().to_string(),
            drive_root: self.paths.drive_root.display().to_string(),
            providers: self
                .router
                .providers()
                .into_iter()
                .map(|p| p.name)
                .collect(),
            provider_status: self.router.status(),
            connections: self.list()?.1,
        })
    }
}

fn bad_dev_type(l: LocalName, t: ResourceType) -> Error {
    Error::new(
        ErrorKind::BadDevType,
        format!("{l} cannot carry a connection of type {t:?}"),
    )
}

/// Splits `Z:\dir\file` (or `Z:`, `z:/dir`) into the device and the rest (`\dir\file`).
fn split_local_path(path: &str) -> Result<(LocalName, &str)> {
    if let Ok(port @ LocalName::Lpt(_)) = LocalName::parse(path) {
        // Universal names are paths of files; a printer port has none (Windows: 1200).
        return Err(Error::new(
            ErrorKind::BadDevice,
            format!("{port} is a printer port: universal names are for paths on drives"),
        ));
    }
    let cut = path.char_indices().nth(2).map_or(path.len(), |(i, _)| i);
    let (device, rest) = path.split_at(cut);
    let device = LocalName::parse(device)?;
    if !rest.is_empty() && !rest.starts_with(['\\', '/']) {
        return Err(Error::new(
            ErrorKind::BadDevice,
            format!("{path:?} is not a path on a device"),
        ));
    }
    Ok((device, rest))
}

/// The calling user's login name (`WNetGetUser` with no connection).
pub fn current_user_name() -> String {
    // SAFETY: getpwuid_r with a buffer we own; the result points into that buffer.
    unsafe {
        let uid = libc::getuid();
        let mut pwd: libc::passwd = std::mem::zeroed();
        let mut buf = vec![0 as libc::c_char; 4096];
        let mut result: *mut libc::passwd = std::ptr::null_mut();
        if libc::getpwuid_r(uid, &mut pwd, buf.as_mut_ptr(), buf.len(), &mut result) == 0
            && !result.is_null()
        {
            return std::ffi::CStr::from_ptr(pwd.pw_name)
                .to_string_lossy()
                .into_owned();
        }
        uid.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_paths_split() {
        let (d, rest) = split_local_path(r"z:\dir\file").unwrap();
        assert_eq!((d.to_string().as_str(), rest), ("Z:", r"\dir\file"));
        assert_eq!(split_local_path("Q:").unwrap().1, "");
        assert_eq!(split_local_path("Q:x").unwrap_err().win_error().0, 1200);
        assert_eq!(split_local_path(r"\\s\x").unwrap_err().win_error().0, 1200);
        assert_eq!(split_local_path("").unwrap_err().win_error().0, 1200);
        assert_eq!(split_local_path("LPT1:").unwrap_err().win_error().0, 1200);
    }
}
