//! `SmbProvider`: the SMB network provider ("Microsoft Windows Network", `WNNC_NET_LANMAN`).
//!
//! It owns a tokio runtime for the engine and the drives, the [`SessionPool`] (one session per
//! server) and the [`ConnectionTable`] (the only owner of live connections). Its NP* methods
//! are blocking, as the [`NetworkProvider`] contract says; each network step is bounded by the
//! engine's deadlines.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use wnet_core::{
    AddConnection, Capabilities, Capability, ConnectFlags, Connection, ConnectionName, Error,
    ErrorKind, LocalName, NetResource, NetworkProvider, ProviderInfo, ResourceType, Result, Secret,
    ServerAddr, UncPath, UniversalName, WNNC_NET_LANMAN,
};
use wnet_smb2::Timeouts;
use wnet_smb2::msg::dfs::ReferralEntry;

use crate::connection_table::{ConnKey, ConnectionTable, LiveConnection};
use crate::dfs::Namespace;
use crate::drive::{Drive, DriveConfig, DriveTimeouts};
use crate::errors::core_error;
use crate::port::Port;
use crate::redirection::Redirection;
use crate::session_pool::{Credentials, ServerKey, SessionPool};
use crate::smb_fs::SmbFs;

/// The provider name, as Windows' LanmanWorkstation provider calls itself.
pub const PROVIDER_NAME: &str = "Microsoft Windows Network";

/// The provider's settings.
#[derive(Debug, Clone)]
pub struct SmbProviderConfig {
    /// Drives mount at `<root>/Z`, deviceless connections at `<root>/UNC/server/share`.
    pub drive_root: PathBuf,
    /// The engine's deadlines.
    pub timeouts: Timeouts,
    /// The user name for connections that name none (the login name).
    pub default_user: String,
    /// Accept guest sessions (the profile's `insecure_guest_logons`); see
    /// [`wnet_smb2::ClientConfig::allow_insecure_guest`].
    pub allow_insecure_guest: bool,
    /// The longest a DFS referral is kept, whatever TTL its server gives
    /// ([`DFS_MAX_TTL`] by default; Samba gives 600 s).
    pub dfs_max_ttl: Duration,
    /// The user's hosts file (LMHOSTS-like, [`crate::hosts`]): names (and a domain's DCs,
    /// `#DOM:`) found there are reached at its addresses before the system resolver is asked.
    /// The daemon uses `lmhosts` next to the profile.
    pub hosts_file: Option<PathBuf>,
    /// Drives cache small files across opens under SMB leases (the profile's
    /// `file_leases`; see [`crate::drive::DriveConfig::leases`]).
    pub file_leases: bool,
    /// Connections a plain disk share's file opens are spread over (the profile's
    /// `connections_per_share`; 1: one); see [`wnet_smb2::Tree::stripe`] and ADR 0016.
    pub connections_per_share: usize,
}

/// The longest a DFS referral is kept by default: Windows keeps link referrals 1800 s.
pub const DFS_MAX_TTL: Duration = Duration::from_secs(1800);

/// The SMB provider.
pub struct SmbProvider {
    info: ProviderInfo,
    cfg: SmbProviderConfig,
    rt: Option<tokio::runtime::Runtime>,
    table: Mutex<ConnectionTable>,
    pool: Arc<SessionPool>,
}

impl std::fmt::Debug for SmbProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmbProvider")
            .field("cfg", &self.cfg)
            .finish()
    }
}

impl SmbProvider {
    /// A provider with its own runtime. Stale mounts a dead daemon left under the drive root
    /// are detached first, so no "Transport endpoint is not connected" stays behind.
    pub fn new(cfg: SmbProviderConfig) -> std::io::Result<Self> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("wnet-smb")
            .enable_all()
            .build()?;
        crate::stale::detach_stale_mounts(&cfg.drive_root);
        let hosts = crate::hosts::HostsFile::new(cfg.hosts_file.clone());
        Ok(SmbProvider {
            info: ProviderInfo {
                name: PROVIDER_NAME.into(),
                net_type: WNNC_NET_LANMAN,
            },
            cfg,
            rt: Some(rt),
            table: Mutex::new(ConnectionTable::default()),
            pool: Arc::new(SessionPool::new(hosts)),
        })
    }

    fn rt(&self) -> &tokio::runtime::Runtime {
        self.rt.as_ref().expect("the runtime lives until drop")
    }

    fn table(&self) -> std::sync::MutexGuard<'_, ConnectionTable> {
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The key of the live connection of `local`, or deviceless `remote`.
    fn key(&self, local: Option<LocalName>, remote: &UncPath) -> ConnKey {
        match local {
            Some(l) => ConnKey::Device(l),
            None => self.table().deviceless(remote),
        }
    }

    /// Where the connection of `local` (or deviceless `remote`) is mounted.
    pub fn mountpoint(&self, local: Option<LocalName>, remote: &UncPath) -> PathBuf {
        self.cfg.drive_root.join(mount_dir(local, remote))
    }

    /// For a connection over a DFS namespace, where its root leads now
    /// (`\\server\share[\path]`) and how many referrals it has asked so far.
    pub fn dfs_target(&self, local: Option<LocalName>, remote: &UncPath) -> Option<(String, u64)> {
        let key = self.key(local, remote);
        self.table()
            .get(&key)
            .and_then(|c| c.dfs.clone())
            .map(|ns| (ns.current_target(), ns.referral_count()))
    }

    /// Open files and directories (or print jobs) on a live connection.
    pub fn open_count(&self, local: Option<LocalName>, remote: &UncPath) -> Option<usize> {
        let key = self.key(local, remote);
        self.table().get(&key).map(|c| c.mount.open_count())
    }

    /// The shares of `server` over srvsvc: through the live session to it if there is one,
    /// else through an anonymous session made for the purpose.
    async fn list_shares(&self, server: &ServerKey) -> Result<Vec<wnet_smb2::rpc::ShareInfo>> {
        let what = format!("listing the shares of {}:{}", server.host, server.port);
        if let Some(session) = self.pool.existing(server) {
            return session
                .list_shares()
                .await
                .map_err(|e| core_error(&e, &what));
        }
        let mut cfg = wnet_smb2::ClientConfig::new(server.host.clone(), "", "").port(server.port);
        // Asked for explicitly (no credentials at all): the list is only informational.
        cfg.require_signing = false;
        cfg.allow_insecure_guest = true;
        cfg.timeouts = self.cfg.timeouts;
        let session = wnet_smb2::Session::connect(cfg)
            .await
            .map_err(|e| core_error(&e, &what))?;
        let shares = session
            .list_shares()
            .await
            .map_err(|e| core_error(&e, &what));
        let _ = session.logoff().await;
        shares
    }

    async fn connect(
        &self,
        request: &AddConnection,
        unc: &UncPath,
        key: &ConnKey,
    ) -> Result<LiveConnection> {
        let remote = unc.share_root();
        let host = match remote.server_addr() {
            ServerAddr::Ip(ip) => ip.to_string(),
            ServerAddr::Host(h) => h,
        };
        let mut server = ServerKey {
            host: host.to_lowercase(),
            port: remote.port().unwrap_or(445),
        };
        let user = request
            .user
            .clone()
            .unwrap_or_else(|| self.cfg.default_user.clone());
        let creds = Credentials {
            user: user.clone(),
            password: request.password.clone().unwrap_or_else(|| Secret::new("")),
            require_signing: request.flags.contains(ConnectFlags::REQUIRE_INTEGRITY),
            require_encryption: request.flags.contains(ConnectFlags::REQUIRE_PRIVACY),
            ccache: request.ccache.clone(),
            allow_insecure_guest: self.cfg.allow_insecure_guest,
        };
        // A name the hosts file lists domain controllers for is a domain ([MS-DFSC] 3.1.4.2):
        // its namespaces are asked of a DC of it.
        let dcs = self.pool.hosts().domain_controllers(&host);
        let (session, dc) = if dcs.is_empty() {
            let session = self
                .pool
                .acquire(&server, &creds, self.cfg.timeouts)
                .await?;
            (session, None)
        } else {
            let (dc, session) = self.domain_controller(&host, &dcs, &creds).await?;
            server = dc.clone();
            (session, Some(dc.host))
        };
        let opened = self
            .open_share(unc, &session, &server, creds, dc.as_deref())
            .await;
        let (tree, namespace) = match opened {
            Ok(opened) => opened,
            Err(e) => {
                self.pool.release(&server).await;
                return Err(e);
            }
        };
        let local = match key {
            ConnKey::Device(l) => Some(*l),
            ConnKey::Deviceless(_) => None,
        };
        if let Err(e) = check_share_type(&tree, local, request.resource_type, &remote) {
            if let Some(ns) = &namespace {
                ns.close().await;
            }
            let _ = tree.disconnect().await;
            self.pool.release(&server).await;
            return Err(e);
        }
        let is_print = tree.share_type() == wnet_smb2::msg::tree_connect::share_type::PRINT;
        let mountpoint = self.mountpoint(local, unc);
        // What findmnt/df show as the source: the share, with its port unless it is 445.
        let fsname = match remote.port().filter(|&p| p != 445) {
            Some(p) => format!("//{}@{p}/{}", remote.server(), remote.share()),
            None => format!("//{}/{}", remote.server(), remote.share()),
        };
        let drive_cfg = DriveConfig {
            mountpoint: mountpoint.clone(),
            fsname,
            timeouts: DriveTimeouts::default(),
            read_only: false,
            leases: self.cfg.file_leases,
        };
        let handle = self.rt().handle().clone();
        let mounted = {
            let tree = tree.clone();
            let dfs = namespace.clone();
            tokio::task::spawn_blocking(move || {
                if is_print {
                    Port::mount(tree, handle, drive_cfg).map(Redirection::Port)
                } else {
                    let fs = Arc::new(SmbFs::new(tree, dfs));
                    Drive::mount(fs, handle, drive_cfg).map(Redirection::Drive)
                }
            })
            .await
        };
        let mount = match mounted {
            Ok(Ok(mount)) => mount,
            other => {
                let why = match other {
                    Ok(Err(e)) => e.to_string(),
                    Err(e) => e.to_string(),
                    Ok(Ok(_)) => unreachable!(),
                };
                if let Some(ns) = &namespace {
                    ns.close().await;
                }
                let _ = tree.disconnect().await;
                self.pool.release(&server).await;
                return Err(Error::new(
                    ErrorKind::Code(wnet_core::WinError::ERROR_GEN_FAILURE),
                    format!("cannot mount {remote} at {}: {why}", mountpoint.display()),
                ));
            }
        };
        Ok(LiveConnection {
            local,
            // A DFS path is kept as the user wrote it, below the share too (as Windows does).
            remote: match namespace {
                Some(_) => unc.clone(),
                None => unc.share_root(),
            },
            user,
            server,
            tree,
            dfs: namespace,
            mount,
        })
    }

    /// A domain controller of `domain`, found as [MS-DFSC] 3.1.4.2 does: a DC the hosts file
    /// lists (`#DOM:`) is asked for the DC referral of `\\domain`, and the first DC it names
    /// that answers is the one used; its session counts one tree in the pool.
    ///
    /// # Errors
    /// The last DC's error when none answers (53 when no DC could be reached).
    async fn domain_controller(
        &self,
        domain: &str,
        listed: &[String],
        creds: &Credentials,
    ) -> Result<(ServerKey, wnet_smb2::Session)> {
        let key = |host: &str| ServerKey {
            host: host.trim_start_matches('\\').to_lowercase(),
            port: 445,
        };
        let mut last = None;
        for locator in listed.iter().map(|h| key(h)) {
            let session = match self.pool.acquire(&locator, creds, self.cfg.timeouts).await {
                Ok(s) => s,
                Err(e) => {
                    last = Some(e);
                    continue;
                }
            };
            let named: Vec<String> = match session.dfs_referral(&format!(r"\{domain}")).await {
                Ok(reply) => reply
                    .entries
                    .into_iter()
                    .flat_map(|e| match e {
                        ReferralEntry::NameList { expanded_names, .. } => expanded_names,
                        ReferralEntry::Target { .. } => Vec::new(),
                    })
                    .collect(),
                Err(e) => {
                    self.pool.release(&locator).await;
                    last = Some(core_error(
                        &e,
                        &format!("asking {} for the DCs of {domain}", locator.host),
                    ));
                    continue;
                }
            };
            tracing::info!(domain, locator = locator.host, ?named, "DC referral");
            for dc in named.iter().map(|h| key(h)) {
                match self.pool.acquire(&dc, creds, self.cfg.timeouts).await {
                    Ok(s) => {
                        self.pool.release(&locator).await;
                        return Ok((dc, s));
                    }
                    Err(e) => last = Some(e),
                }
            }
            self.pool.release(&locator).await;
        }
        Err(last.unwrap_or_else(|| {
            Error::new(
                ErrorKind::BadNetPath,
                format!("no domain controller of {domain} answers"),
            )
        }))
    }

    /// Connects the share of `request` on `session`: its tree, and for a share in a DFS
    /// namespace the drive's [`Namespace`] with its root resolved once (so that a link leading
    /// nowhere fails the connection). A share the server refuses to connect may be one that
    /// only refers (`msdfs proxy`): its referral is asked, as a DFS client does, and the
    /// drive's tree is then the target's.
    ///
    /// # Errors
    /// 67 for a missing share, a folder below a plain share or a DFS path no target serves;
    /// the mapped engine error when no target answers.
    async fn open_share(
        &self,
        remote: &UncPath,
        session: &wnet_smb2::Session,
        server: &ServerKey,
        creds: Credentials,
        dc: Option<&str>,
    ) -> Result<(wnet_smb2::Tree, Option<Arc<Namespace>>)> {
        let root = format!(
            r"\{}\{}{}",
            remote.server(),
            remote.share(),
            remote.remaining_path()
        );
        let namespace = |tree: Option<(wnet_smb2::Tree, ServerKey)>| {
            Namespace::new(
                &root,
                tree,
                self.pool.clone(),
                creds.clone(),
                self.cfg.timeouts,
                self.cfg.dfs_max_ttl,
            )
        };
        // A domain-based namespace: its root referral comes from the DC, then on as for a
        // standalone root.
        if let Some(dc) = dc {
            let ns = Arc::new(namespace(None).in_domain(remote.server(), dc));
            if let Err(e) = ns.prime(session).await {
                return Err(match e.status() {
                    Some(_) => Error::new(
                        ErrorKind::BadNetName,
                        format!(
                            "{remote}: the domain controller {dc} knows no such namespace ({e})"
                        ),
                    ),
                    None => core_error(&e, &format!("asking {dc} for {remote}")),
                });
            }
            return self.resolve_root(remote, &root, None, ns).await;
        }
        let (tree, ns) = match session.tree_connect(remote.share()).await {
            Ok(tree) if !tree.is_dfs() => {
                if remote.is_share_root() {
                    return Ok((tree.stripe(self.cfg.connections_per_share).await, None));
                }
                let _ = tree.disconnect().await;
                return Err(Error::new(
                    ErrorKind::BadNetName,
                    format!(
                        "{remote}: connecting to a folder below a share is not supported; connect to {}",
                        remote.share_root()
                    ),
                ));
            }
            Ok(tree) => (
                Some(tree.clone()),
                Arc::new(namespace(Some((tree, server.clone())))),
            ),
            Err(e) if e.status() == Some(wnet_smb2::NtStatus::BAD_NETWORK_NAME) => {
                let ns = Arc::new(namespace(None));
                if ns.prime(session).await.is_err() {
                    return Err(core_error(&e, &format!("connecting to {remote}")));
                }
                (None, ns)
            }
            Err(e) => return Err(core_error(&e, &format!("connecting to {remote}"))),
        };
        self.resolve_root(remote, &root, tree, ns).await
    }

    /// Resolves a DFS drive's root once (a link leading nowhere fails the connection): the
    /// drive's tree is `tree` (the root share's) or, for a share that only refers, the tree
    /// the root leads to.
    async fn resolve_root(
        &self,
        remote: &UncPath,
        root: &str,
        tree: Option<wnet_smb2::Tree>,
        ns: Arc<Namespace>,
    ) -> Result<(wnet_smb2::Tree, Option<Arc<Namespace>>)> {
        let resolved = ns.run("", |t, p| async move { t.stat(&p).await }).await;
        let tree = match (resolved, tree.or_else(|| ns.home_tree())) {
            (Ok(_), Some(tree)) => tree,
            (r, tree) => {
                ns.close().await;
                if let Some(tree) = tree {
                    let _ = tree.disconnect().await;
                }
                let e = r.err().unwrap_or(wnet_smb2::Error::Status {
                    status: wnet_smb2::NtStatus::BAD_NETWORK_NAME,
                    command: wnet_smb2::msg::Command::TreeConnect,
                });
                return Err(core_error(&e, &format!("resolving {remote}")));
            }
        };
        tracing::info!(
            dfs = root,
            target = ns.current_target(),
            "DFS path resolved"
        );
        Ok((tree, Some(ns)))
    }

    /// Ends a connection taken out of the table: refuses (and hands it back) when files are
    /// open or the device is in use and `force` is false ([`crate::drive::cancel::end`]).
    fn end(
        &self,
        conn: LiveConnection,
        force: bool,
    ) -> std::result::Result<(), (Box<LiveConnection>, Error)> {
        let name = match conn.local {
            Some(l) => l.to_string(),
            None => conn.remote.to_string(),
        };
        let LiveConnection {
            local,
            remote,
            user,
            server,
            tree,
            dfs,
            mount,
        } = conn;
        if let Err((mount, e)) = crate::drive::cancel::end(mount, &name, force) {
            let conn = LiveConnection {
                local,
                remote,
                user,
                server,
                tree,
                dfs,
                mount,
            };
            return Err((Box::new(conn), e));
        }
        self.rt().block_on(async {
            if let Some(ns) = dfs {
                ns.close().await;
            }
            let _ = tree.disconnect().await;
            self.pool.release(&server).await;
        });
        Ok(())
    }
}

impl Drop for SmbProvider {
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

fn capabilities() -> Capabilities {
    Capabilities::none()
        .with(Capability::AddConnection)
        .with(Capability::CancelConnection)
        .with(Capability::GetConnections)
        .with(Capability::GetUser)
        .with(Capability::EnumLocal)
        .with(Capability::EnumGlobal)
        .with(Capability::ResourceInformation)
        .with(Capability::ResourceParent)
}

/// Where the connection of `local` (or deviceless `remote`) is mounted, relative to the
/// drive root: `Z`, `LPT1`, or `UNC/server[@port]/share[/path]`.
pub fn mount_dir(local: Option<LocalName>, remote: &UncPath) -> PathBuf {
    match local {
        Some(l) => PathBuf::from(l.profile_key()),
        None => remote.deviceless_dir(),
    }
}

fn not_connected(name: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::NotConnected, format!("{name} is not connected"))
}

impl NetworkProvider for SmbProvider {
    fn info(&self) -> &ProviderInfo {
        &self.info
    }

    fn capabilities(&self) -> Capabilities {
        capabilities()
    }

    /// Flushes and unmounts every drive and logs off every session (daemon shutdown).
    fn shutdown(&self) {
        let all = self.table().take_all();
        for conn in all {
            let name = conn.mount.mountpoint().display().to_string();
            let namespace = conn.dfs.clone();
            // Forced: never refused.
            let _ = crate::drive::cancel::end(conn.mount, &name, true);
            let tree = conn.tree;
            self.rt().block_on(async move {
                if let Some(ns) = namespace {
                    ns.close().await;
                }
                let _ = tree.disconnect().await;
            });
        }
        self.rt().block_on(async { self.pool.clear().await });
    }

    fn status(&self) -> wnet_core::ProviderStatus {
        wnet_core::ProviderStatus {
            name: self.info.name.clone(),
            net_type: self.info.net_type,
            connections: self.table().iter().count(),
            detail: Some(format!("{} SMB sessions", self.pool.len())),
        }
    }

    fn add_connection(&self, request: &AddConnection) -> Result<Connection> {
        // Not an SMB name (a URL, a WebClient form): "not mine" (67), before any network wait.
        let unc = request.remote.unc()?;
        let key = ConnKey::new(request.local, &unc);
        self.table().reserve(&key)?;
        match self.rt().block_on(self.connect(request, &unc, &key)) {
            Ok(conn) => {
                let description = conn.describe(PROVIDER_NAME);
                tracing::info!(connection = %key_name(&key), user = %conn.user, mountpoint = %conn.mount.mountpoint().display(), "connected");
                self.table().insert(key, conn);
                Ok(description)
            }
            Err(e) => {
                self.table().unreserve(&key);
                // A permanent answer other than 53 comes from an SMB server that answered (no such
                // share 67, a refused logon 1326, ...; unreachable or dropped is 53 or
                // temporary). With an explicit port that endpoint is the name's for every
                // provider: the answer is final, so WebDAV does not send HTTP to an SMB server,
                // which would wait for the rest of a message that never comes (ADR 0018).
                let answered =
                    !e.is_temporary() && e.win_error() != wnet_core::WinError::ERROR_BAD_NETPATH;
                if unc.port().is_some() && answered {
                    return Err(e.authoritative());
                }
                Err(e)
            }
        }
    }

    fn cancel_connection(&self, name: &ConnectionName, force: bool) -> Result<()> {
        let key = match name {
            ConnectionName::Local(l) => ConnKey::Device(*l),
            ConnectionName::Remote(r) => self
                .table()
                .deviceless(&r.unc().map_err(|_| not_connected(name))?),
        };
        let conn = self.table().take(&key).ok_or_else(|| not_connected(name))?;
        match self.end(conn, force) {
            Ok(()) => {
                self.table().unreserve(&key);
                tracing::info!(connection = %name, force, "cancelled");
                Ok(())
            }
            Err((conn, e)) => {
                self.table().insert(key, *conn);
                Err(e)
            }
        }
    }

    fn get_connection(&self, local: LocalName) -> Result<Connection> {
        self.table()
            .get(&ConnKey::Device(local))
            .map(|c| c.describe(PROVIDER_NAME))
            .ok_or_else(|| not_connected(local))
    }

    fn connections(&self) -> Result<Vec<Connection>> {
        Ok(self
            .table()
            .iter()
            .map(|c| c.describe(PROVIDER_NAME))
            .collect())
    }

    fn get_universal_name(&self, local: LocalName, rest: &str) -> Result<UniversalName> {
        let remote = self.get_connection(local)?.remote;
        let rest: String = rest
            .chars()
            .map(|c| if c == '/' { '\\' } else { c })
            .collect();
        let rest = rest.trim_end_matches('\\');
        let connection_name = remote.to_string();
        Ok(UniversalName {
            universal_name: format!("{connection_name}{rest}"),
            connection_name,
            remaining_path: rest.to_owned(),
        })
    }

    fn get_user(&self, name: Option<&ConnectionName>) -> Result<String> {
        let Some(name) = name else {
            return Ok(self.cfg.default_user.clone());
        };
        let key = match name {
            ConnectionName::Local(l) => ConnKey::Device(*l),
            ConnectionName::Remote(r) => self
                .table()
                .deviceless(&r.unc().map_err(|_| not_connected(name))?),
        };
        let table = self.table();
        if let Some(c) = table.get(&key) {
            return Ok(c.user_name());
        }
        if let ConnectionName::Remote(r) = name {
            // A remote name also answers for a device connected to it.
            let r = r.unc().map_err(|_| not_connected(name))?;
            if let Some(c) = table.iter().find(|c| c.remote.same_share(&r)) {
                return Ok(c.user_name());
            }
        }
        Err(not_connected(name))
    }

    fn open_enum(
        &self,
        scope: wnet_core::Scope,
        resource_type: ResourceType,
        _usage: wnet_core::Usage,
        container: Option<&NetResource>,
    ) -> Result<Vec<NetResource>> {
        if scope != wnet_core::Scope::GlobalNet {
            return Err(Error::new(
                ErrorKind::NotSupported,
                "the SMB provider enumerates RESOURCE_GLOBALNET",
            ));
        }
        let name = container
            .and_then(|c| c.remote_name.as_deref())
            .unwrap_or(PROVIDER_NAME);
        if name.eq_ignore_ascii_case(PROVIDER_NAME) {
            // No network browsing (no NetBIOS): the network holds the servers we are connected to.
            let mut servers: Vec<String> = self
                .table()
                .iter()
                .map(|c| server_name(&c.remote))
                .collect();
            servers.sort_by_key(|s| s.to_lowercase());
            servers.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
            return Ok(servers
                .into_iter()
                .map(|s| container_resource(s, wnet_core::DisplayType::Server))
                .collect());
        }
        let server = parse_server(name)?;
        let shares = self.rt().block_on(self.list_shares(&server))?;
        let wanted = |t: ResourceType| resource_type == ResourceType::Any || t == resource_type;
        Ok(shares
            .into_iter()
            .filter_map(|share| {
                use wnet_smb2::rpc::srvsvc::share_type;
                let kind = share.share_type & 0xF;
                let t = match kind {
                    share_type::DISK => ResourceType::Disk,
                    share_type::PRINT => ResourceType::Print,
                    _ => ResourceType::Any,
                };
                if !wanted(t) {
                    return None;
                }
                let special =
                    share.share_type & share_type::SPECIAL != 0 || kind == share_type::IPC;
                Some(NetResource {
                    scope: wnet_core::Scope::GlobalNet,
                    resource_type: t,
                    display_type: if special {
                        wnet_core::DisplayType::ShareAdmin
                    } else {
                        wnet_core::DisplayType::Share
                    },
                    usage: wnet_core::Usage::CONNECTABLE,
                    local_name: None,
                    remote_name: Some(format!(
                        "{}\\{}",
                        name.trim_end_matches(['\\', '/']),
                        share.name
                    )),
                    comment: Some(share.remark),
                    provider: Some(PROVIDER_NAME.into()),
                })
            })
            .collect())
    }

    fn get_resource_information(&self, resource: &NetResource) -> Result<(NetResource, String)> {
        let remote = resource
            .remote_name
            .as_deref()
            .ok_or_else(|| Error::new(ErrorKind::InvalidParameter, "lpRemoteName is required"))?;
        let unc = UncPath::parse(remote)?;
        let resource_type = match resource.resource_type {
            ResourceType::Any | ResourceType::Disk => ResourceType::Disk,
            ResourceType::Print => ResourceType::Print,
            other => {
                return Err(Error::new(
                    ErrorKind::BadDevType,
                    format!("the SMB provider serves disk and print shares, not {other:?}"),
                ));
            }
        };
        let share = NetResource::share(
            wnet_core::Scope::GlobalNet,
            resource_type,
            None,
            &unc.share_root().to_string(),
            PROVIDER_NAME,
        );
        Ok((share, unc.remaining_path()))
    }

    fn get_resource_parent(&self, resource: &NetResource) -> Result<Option<NetResource>> {
        let remote = resource.remote_name.as_deref().unwrap_or("");
        let parent = parent_of(remote)?;
        Ok(parent.map(|(name, display)| NetResource {
            scope: wnet_core::Scope::GlobalNet,
            resource_type: ResourceType::Disk,
            display_type: display,
            usage: wnet_core::Usage::CONTAINER,
            local_name: None,
            remote_name: Some(name),
            comment: None,
            provider: Some(PROVIDER_NAME.into()),
        }))
    }
}

/// Whether the share `tree` connected fits what was asked: a printer port (or
/// `RESOURCETYPE_PRINT`) needs a print share, 67 otherwise (no printer of that name); a drive
/// (or `RESOURCETYPE_DISK`) cannot carry a print share, 66. Deviceless `RESOURCETYPE_ANY`
/// takes either.
fn check_share_type(
    tree: &wnet_smb2::Tree,
    local: Option<LocalName>,
    resource_type: ResourceType,
    remote: &UncPath,
) -> Result<()> {
    let is_print = tree.share_type() == wnet_smb2::msg::tree_connect::share_type::PRINT;
    let wants = match local {
        Some(l) if l.is_disk() => ResourceType::Disk,
        Some(_) => ResourceType::Print,
        None => resource_type,
    };
    match (wants, is_print) {
        (ResourceType::Print, false) => Err(Error::new(
            ErrorKind::BadNetName,
            format!("{remote} is not a print share"),
        )),
        (ResourceType::Disk, true) => Err(Error::new(
            ErrorKind::BadDevType,
            format!("{remote} is a print share: connect it to a printer port (LPT1:)"),
        )),
        _ => Ok(()),
    }
}

/// `\\server[@port]` of a connection.
fn server_name(remote: &UncPath) -> String {
    match remote.port() {
        Some(p) => format!("\\\\{}@{p}", remote.server()),
        None => format!("\\\\{}", remote.server()),
    }
}

/// A container resource (network or server).
fn container_resource(name: String, display: wnet_core::DisplayType) -> NetResource {
    NetResource {
        scope: wnet_core::Scope::GlobalNet,
        resource_type: ResourceType::Any,
        display_type: display,
        usage: wnet_core::Usage::CONTAINER,
        local_name: None,
        remote_name: Some(name),
        comment: None,
        provider: Some(PROVIDER_NAME.into()),
    }
}

/// The server of `\\server[@port]` (a trailing separator allowed): 67 for anything else, 1207
/// for a share (not a container).
fn parse_server(name: &str) -> Result<ServerKey> {
    let trimmed = name.trim_end_matches(['\\', '/']);
    let unc = UncPath::parse(&format!("{trimmed}\\IPC$"))?;
    if !unc.is_share_root() || unc.to_string().matches('\\').count() != 3 {
        return Err(Error::new(
            ErrorKind::NotContainer,
            format!("{name} is not a container"),
        ));
    }
    let host = match unc.server_addr() {
        ServerAddr::Ip(ip) => ip.to_string(),
        ServerAddr::Host(h) => h,
    };
    Ok(ServerKey {
        host: host.to_lowercase(),
        port: unc.port().unwrap_or(445),
    })
}

/// The syntactic parent of a remote name: `\\s\x\d` → `\\s\x`, `\\s\x` → `\\s`, `\\s` → none.
fn parent_of(remote: &str) -> Result<Option<(String, wnet_core::DisplayType)>> {
    use wnet_core::DisplayType;
    let normal: String = remote
        .chars()
        .map(|c| if c == '/' { '\\' } else { c })
        .collect();
    let Some(body) = normal.strip_prefix("\\\\") else {
        return Err(Error::new(
            ErrorKind::BadNetName,
            format!("{remote:?} is not a remote name"),
        ));
    };
    let body = body.trim_end_matches('\\');
    if body.is_empty() {
        return Err(Error::new(
            ErrorKind::BadNetName,
            format!("{remote:?} names no server"),
        ));
    }
    if !body.contains('\\') {
        return Ok(None);
    }
    let unc = UncPath::parse(&normal)?;
    if unc.is_share_root() {
        let server = match unc.port() {
            Some(p) => format!("\\\\{}@{p}", unc.server()),
            None => format!("\\\\{}", unc.server()),
        };
        return Ok(Some((server, DisplayType::Server)));
    }
    let mut parent = unc.share_root();
    let comps = unc.components();
    for c in &comps[..comps.len() - 1] {
        parent = parent.join(c)?;
    }
    let display = if parent.is_share_root() {
        DisplayType::Share
    } else {
        DisplayType::Directory
    };
    Ok(Some((parent.to_string(), display)))
}

fn key_name(key: &ConnKey) -> String {
    match key {
        ConnKey::Device(l) => l.to_string(),
        ConnKey::Deviceless(r) => r.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parents() {
        let p = |s: &str| parent_of(s).unwrap().map(|(n, _)| n);
        assert_eq!(p(r"\\s\x\a\b"), Some(r"\\s\x\a".into()));
        assert_eq!(p(r"\\s\x\a"), Some(r"\\s\x".into()));
        assert_eq!(p(r"\\s@99\x"), Some(r"\\s@99".into()));
        assert_eq!(p(r"\\s"), None);
        assert_eq!(p(r"\\s\"), None);
        assert_eq!(parent_of("nope").unwrap_err().win_error().0, 67);
        assert_eq!(parent_of(r"\\").unwrap_err().win_error().0, 67);
    }
}
