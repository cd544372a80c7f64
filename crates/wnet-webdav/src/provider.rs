//! [`WebDavProvider`]: the WebClient behind the router. Every connection, to a device
//! letter or deviceless, is a drive: a FUSE mount of the collection over [`DavFs`], at
//! `<drive root>/Z` or `<drive root>/UNC/host[@SSL][@port]/DavWWWRoot/path` (the WebClient's
//! UNC form, laid out as SMB's deviceless drives are). Cancelling follows the drive's one set
//! of rules ([`wnet_drive::cancel`]): open files refuse with 2401 unless forced.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use wnet_core::{
    AddConnection, Capabilities, Capability, Connection, ConnectionName, ConnectionStatus, Error,
    ErrorKind, LocalName, NetworkProvider, ProviderInfo, ProviderStatus, RemoteName, ResourceType,
    Result, WNNC_NET_DAV, WinError,
};
use wnet_dav::{Credentials, DavClient, DavLocation, Options, Scheme, ServerCaps};
use wnet_drive::{Drive, DriveConfig, DriveState, DriveTimeouts, cancel};

use crate::dav_fs::{DavFs, DavFsOptions};
use crate::errors::{connect_error, core_error};
use crate::name::claim;

/// The provider name Windows' WebClient registers.
pub const PROVIDER_NAME: &str = "Web Client Network";

/// How the provider behaves.
#[derive(Debug, Clone)]
pub struct WebDavConfig {
    /// The user a connection without `/USER` reports (the login name).
    pub default_user: String,
    /// The client's options: deadlines, Basic over plain http (off by default, Windows'
    /// `BasicAuthLevel` 1), extra trusted CAs.
    pub options: Options,
    /// Drives mount at `<root>/Z`, deviceless connections at
    /// `<root>/UNC/host[@SSL][@port]/DavWWWRoot/path` (the daemon's drive root, shared with
    /// the SMB provider).
    pub drive_root: PathBuf,
    /// How drives stage writes before the `PUT` and hold `LOCK`s.
    pub stage: DavFsOptions,
}

impl WebDavConfig {
    /// The defaults for `default_user` with drives under `drive_root`, with the shorter
    /// deadlines a connect uses: 5 s to connect, 15 s per request (a server that accepts and
    /// never answers fails in 15 s).
    pub fn new(default_user: String, drive_root: PathBuf) -> Self {
        let options = Options {
            request_timeout: Duration::from_secs(15),
            ..Options::default()
        };
        WebDavConfig {
            default_user,
            options,
            drive_root,
            stage: DavFsOptions::default(),
        }
    }
}

/// How a connection is named: by its device, or (deviceless) by its location (host in
/// lower case).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Device(LocalName),
    Deviceless(DavLocation),
}

/// One live connection: its drive.
struct Live {
    local: Option<LocalName>,
    remote: RemoteName,
    user: String,
    /// Relative to the drive root.
    dir: PathBuf,
    drive: Drive,
}

/// Live connections, and keys being connected or cancelled now (so two requests for one
/// device never both mount).
#[derive(Default)]
struct Table {
    live: HashMap<Key, Live>,
    pending: HashSet<Key>,
}

impl Table {
    /// Reserves `key` (mounted at `dir`) for a connection being made.
    ///
    /// # Errors
    /// 85 if it is live or being connected, or (deviceless) if its directory would hold, or
    /// be inside, another deviceless connection's: one mount cannot sit inside another's.
    fn reserve(&mut self, key: &Key, name: &RemoteName) -> Result<()> {
        if self.live.contains_key(key) || self.pending.contains(key) {
            let what = match key {
                Key::Device(l) => format!("{l} is already redirected"),
                Key::Deviceless(_) => format!("{name} is already connected"),
            };
            return Err(Error::new(ErrorKind::AlreadyAssigned, what));
        }
        if let Key::Deviceless(location) = key {
            let taken = self
                .live
                .keys()
                .chain(self.pending.iter())
                .filter_map(|k| match k {
                    Key::Deviceless(o) => Some((o.clone(), deviceless_dir(o))),
                    Key::Device(_) => None,
                });
            wnet_core::provider::check_not_nested(name, &deviceless_dir(location), taken)?;
        }
        self.pending.insert(key.clone());
        Ok(())
    }
}

/// Windows' WebClient: WebDAV names, drives over [`DavFs`] (ADR 0018, 0019).
pub struct WebDavProvider {
    info: ProviderInfo,
    cfg: WebDavConfig,
    rt: Option<tokio::runtime::Runtime>,
    table: Mutex<Table>,
}

impl std::fmt::Debug for WebDavProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebDavProvider")
            .field("cfg", &self.cfg)
            .finish()
    }
}

/// The key of a location: the same server and path whatever the host's case.
fn key(location: &DavLocation) -> Result<DavLocation> {
    let parts: Vec<&str> = location.components().iter().map(String::as_str).collect();
    DavLocation::new(
        location.scheme(),
        &location.host().to_lowercase(),
        location.port(),
        &parts,
    )
    .map_err(|e| Error::new(ErrorKind::BadNetName, e.to_string()))
}

/// Where a deviceless connection to `location` is mounted, relative to the drive root: its
/// WebClient UNC form as directories, `UNC/host[@SSL][@port]/DavWWWRoot/path`, the host in
/// lower case (the path keeps its case: URLs are case-sensitive).
pub fn deviceless_dir(location: &DavLocation) -> PathBuf {
    let mut server = location.host().to_lowercase();
    if location.scheme() == Scheme::Https {
        server.push_str("@SSL");
    }
    if location.port() != location.scheme().default_port() {
        server.push_str(&format!("@{}", location.port()));
    }
    let mut dir: PathBuf = ["UNC", &server, "DavWWWRoot"].iter().collect();
    dir.extend(location.components());
    dir
}

fn not_connected(name: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::NotConnected, format!("{name} is not connected"))
}

impl WebDavProvider {
    /// A provider with its own runtime (the drives' requests run on it); no request is sent
    /// until a connection is asked for.
    pub fn new(cfg: WebDavConfig) -> std::io::Result<Self> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("wnet-webdav")
            .enable_all()
            .build()?;
        Ok(WebDavProvider {
            info: ProviderInfo {
                name: PROVIDER_NAME.into(),
                net_type: WNNC_NET_DAV,
            },
            cfg,
            rt: Some(rt),
            table: Mutex::new(Table::default()),
        })
    }

    fn rt(&self) -> &tokio::runtime::Runtime {
        self.rt.as_ref().expect("the runtime lives until drop")
    }

    fn table(&self) -> std::sync::MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Checks that `location` is a WebDAV collection the credentials may read: `OPTIONS`
    /// (the server speaks DAV class 1) and `PROPFIND` depth 0 (it exists, is a collection).
    /// Answers what `OPTIONS` said (class 2: `flock` becomes a server `LOCK`).
    async fn check(
        &self,
        client: &DavClient,
        location: &DavLocation,
        creds: bool,
    ) -> Result<ServerCaps> {
        let what = format!("connecting to {location}");
        let caps = client
            .options(location)
            .await
            .map_err(|e| connect_error(&e, &what, creds))?;
        if !caps.class1 {
            return Err(Error::new(
                ErrorKind::BadNetName,
                format!("{what}: the server does not speak WebDAV (no DAV: 1 in OPTIONS)"),
            ));
        }
        let entry = client
            .stat(location)
            .await
            .map_err(|e| core_error(&e, &what, creds))?;
        if !entry.is_collection {
            return Err(Error::new(
                ErrorKind::BadNetName,
                format!("{what}: it is a file; connect to a folder (a WebDAV collection)"),
            ));
        }
        Ok(caps)
    }

    /// A client of `location` with the request's credentials, checked against the server.
    /// Answers the client, what `OPTIONS` said and the user name the connection reports.
    fn client(
        &self,
        request: &AddConnection,
        location: &DavLocation,
    ) -> Result<(DavClient, ServerCaps, String)> {
        // A user, or a password (empty included), means credentials; neither means none.
        let credentials = match (&request.user, &request.password) {
            (None, None) => None,
            (user, password) => Some(Credentials {
                user: user
                    .clone()
                    .unwrap_or_else(|| self.cfg.default_user.clone()),
                password: password
                    .as_ref()
                    .map(|p| p.expose().to_owned())
                    .unwrap_or_default(),
            }),
        };
        let user = credentials
            .as_ref()
            .map_or_else(|| self.cfg.default_user.clone(), |c| c.user.clone());
        let with_credentials = credentials.is_some();
        let client = DavClient::new(location.clone(), credentials, self.cfg.options.clone())
            .map_err(|e| core_error(&e, &format!("connecting to {location}"), false))?;
        let caps = self
            .rt()
            .block_on(self.check(&client, location, with_credentials))?;
        Ok((client, caps, user))
    }

    /// Connects and mounts the drive of `request` at `dir` (relative to the drive root).
    fn connect(
        &self,
        request: &AddConnection,
        location: &DavLocation,
        dir: PathBuf,
    ) -> Result<Live> {
        let (client, caps, user) = self.client(request, location)?;
        let fs = DavFs::new(
            Arc::new(client),
            location.clone(),
            caps,
            self.cfg.stage.clone(),
        );
        let mountpoint = self.cfg.drive_root.join(&dir);
        let cfg = DriveConfig {
            mountpoint: mountpoint.clone(),
            // What findmnt/df show: the URL (a comma would end the mount option).
            fsname: location.to_string().replace(',', "%2C"),
            timeouts: DriveTimeouts::default(),
            read_only: false,
            leases: false,
        };
        let drive = Drive::mount(Arc::new(fs), self.rt().handle().clone(), cfg).map_err(|e| {
            Error::new(
                ErrorKind::Code(WinError::ERROR_GEN_FAILURE),
                format!("cannot mount {location} at {}: {e}", mountpoint.display()),
            )
        })?;
        Ok(Live {
            local: request.local,
            remote: request.remote.clone(),
            user,
            dir,
            drive,
        })
    }

    fn describe(&self, live: &Live) -> Connection {
        let refusal = live.drive.refusal();
        Connection {
            local: live.local,
            remote: live.remote.clone(),
            user: live.user.clone(),
            provider: self.info.name.clone(),
            status: match (live.drive.state(), &refusal) {
                (DriveState::Connected, _) => ConnectionStatus::Ok,
                (_, Some(_)) => ConnectionStatus::Unavailable,
                _ => ConnectionStatus::Disconnected,
            },
            open_handles: live.drive.handles().open_count() as u64,
            resource_type: ResourceType::Disk,
            logon: None,
            reason: refusal,
            dfs_target: None,
            mount_dir: Some(live.dir.clone()),
        }
    }

    /// The key of a connection name this provider could own; 2250 otherwise. A remote name
    /// names a deviceless connection only (as for SMB).
    fn key_of(&self, name: &ConnectionName) -> Result<Key> {
        match name {
            ConnectionName::Local(l) => Ok(Key::Device(*l)),
            ConnectionName::Remote(r) => claim(r)
                .and_then(|l| key(&l))
                .map(Key::Deviceless)
                .map_err(|_| not_connected(r)),
        }
    }
}

impl Drop for WebDavProvider {
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

impl NetworkProvider for WebDavProvider {
    fn info(&self) -> &ProviderInfo {
        &self.info
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::none()
            .with(Capability::AddConnection)
            .with(Capability::CancelConnection)
            .with(Capability::GetConnections)
            .with(Capability::GetUser)
            .with(Capability::EnumLocal)
    }

    /// # Errors
    /// 67 for a name that is not this provider's (before any network wait), or for a server
    /// that does not speak WebDAV; then, for a WebDAV folder: 66 for a printer (port or
    /// `RESOURCETYPE_PRINT`); 85 when the device or location is connected already; 31 when
    /// the drive cannot be mounted; else the server's answer (see `core_error`).
    ///
    /// A printer is refused only once the server answered as a WebDAV folder:
    /// `\\host@port\x` is SMB's port form too, and a significant 66 must not hide SMB's
    /// answer for an SMB server there.
    fn add_connection(&self, request: &AddConnection) -> Result<Connection> {
        let location = claim(&request.remote)?;
        let printer = request.resource_type == ResourceType::Print
            || request.local.is_some_and(|l| !l.is_disk());
        if printer {
            // Checked as a WebDAV folder first; refused then (never reserved nor kept).
            self.client(request, &location)?;
            return Err(Error::new(
                ErrorKind::BadDevType,
                format!("{} is a WebDAV folder, not a printer", request.remote),
            ));
        }
        let location_key = key(&location)?;
        let (key, dir) = match request.local {
            Some(l) => (Key::Device(l), PathBuf::from(l.profile_key())),
            None => {
                let dir = deviceless_dir(&location_key);
                (Key::Deviceless(location_key), dir)
            }
        };
        self.table().reserve(&key, &request.remote)?;
        let made = self.connect(request, &location, dir);
        let mut table = self.table();
        table.pending.remove(&key);
        let live = made?;
        let description = self.describe(&live);
        tracing::info!(remote = %live.remote, location = %location, user = %live.user, mountpoint = %live.drive.mountpoint().display(), "WebDAV drive connected");
        table.live.insert(key, live);
        Ok(description)
    }

    /// # Errors
    /// 2250 for a name this provider has no connection of; 2401 (naming the holders) while
    /// files are open and `force` is false, 2404 while a process's working directory is on
    /// the drive ([`cancel::end`]). Forced, what programs wrote is sent to the server first.
    fn cancel_connection(&self, name: &ConnectionName, force: bool) -> Result<()> {
        let key = self.key_of(name)?;
        let live = {
            let mut table = self.table();
            let live = table.live.remove(&key).ok_or_else(|| not_connected(name))?;
            table.pending.insert(key.clone());
            live
        };
        let Live {
            local,
            remote,
            user,
            dir,
            drive,
        } = live;
        let ended = cancel::end(drive, &name.to_string(), force);
        let mut table = self.table();
        table.pending.remove(&key);
        match ended {
            Ok(()) => {
                tracing::info!(connection = %name, force, "WebDAV drive cancelled");
                Ok(())
            }
            Err((drive, e)) => {
                let live = Live {
                    local,
                    remote,
                    user,
                    dir,
                    drive,
                };
                table.live.insert(key, live);
                Err(e)
            }
        }
    }

    fn get_connection(&self, local: LocalName) -> Result<Connection> {
        self.table()
            .live
            .get(&Key::Device(local))
            .map(|l| self.describe(l))
            .ok_or_else(|| not_connected(local))
    }

    fn connections(&self) -> Result<Vec<Connection>> {
        let table = self.table();
        let mut all: Vec<Connection> = table.live.values().map(|l| self.describe(l)).collect();
        all.sort_by(|a, b| {
            (
                a.local.is_none(),
                a.local.map(|l| l.to_string()),
                a.remote.as_str(),
            )
                .cmp(&(
                    b.local.is_none(),
                    b.local.map(|l| l.to_string()),
                    b.remote.as_str(),
                ))
        });
        Ok(all)
    }

    fn get_user(&self, name: Option<&ConnectionName>) -> Result<String> {
        let Some(name) = name else {
            return Ok(self.cfg.default_user.clone());
        };
        let key = self.key_of(name)?;
        self.table()
            .live
            .get(&key)
            .map(|l| l.user.clone())
            .ok_or_else(|| not_connected(name))
    }

    /// Flushes and unmounts every drive (daemon shutdown).
    fn shutdown(&self) {
        let all: Vec<Live> = self.table().live.drain().map(|(_, l)| l).collect();
        for live in all {
            let name = live.drive.mountpoint().display().to_string();
            // Forced: never refused.
            let _ = cancel::end(live.drive, &name, true);
        }
    }

    fn status(&self) -> ProviderStatus {
        let table = self.table();
        let servers: HashSet<(String, u16)> = table
            .live
            .values()
            .filter_map(|l| claim(&l.remote).ok())
            .map(|k| (k.host().to_lowercase(), k.port()))
            .collect();
        let drives = table.live.values().filter(|l| l.local.is_some()).count();
        ProviderStatus {
            name: self.info.name.clone(),
            net_type: self.info.net_type,
            connections: table.live.len(),
            detail: Some(format!(
                "{} WebDAV servers, {drives} drive letters",
                servers.len()
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deviceless_dirs_follow_the_webclient_unc() {
        let dir = |s: &str| deviceless_dir(&key(&DavLocation::parse(s).unwrap()).unwrap());
        assert_eq!(
            dir("http://Files.Example:8080/Team/Docs"),
            PathBuf::from("UNC/files.example@8080/DavWWWRoot/Team/Docs")
        );
        assert_eq!(
            dir("https://h/remote.php/dav"),
            PathBuf::from("UNC/h@SSL/DavWWWRoot/remote.php/dav")
        );
        assert_eq!(
            dir(r"\\h@SSL@8443\DavWWWRoot"),
            PathBuf::from("UNC/h@SSL@8443/DavWWWRoot")
        );
    }

    #[test]
    fn nested_deviceless_drives_are_refused_and_devices_are_not() {
        let loc = |s: &str| key(&DavLocation::parse(s).unwrap()).unwrap();
        let name = |s: &str| RemoteName::parse(s).unwrap();
        let mut t = Table::default();
        let team = Key::Deviceless(loc("http://h/team"));
        t.reserve(&team, &name("http://h/team")).unwrap();
        let docs = Key::Deviceless(loc("http://H/team/docs"));
        let e = t.reserve(&docs, &name("http://H/team/docs")).unwrap_err();
        assert_eq!(e.win_error().0, 85, "{e}");
        assert!(e.to_string().contains("one inside the other"), "{e}");
        let e = t.reserve(&team, &name("http://h/team")).unwrap_err();
        assert_eq!(e.win_error().0, 85, "{e}");
        let other = Key::Deviceless(loc("http://h/teams"));
        t.reserve(&other, &name("http://h/teams")).unwrap();
        let z = Key::Device(LocalName::parse("Z:").unwrap());
        t.reserve(&z, &name("http://h/team/docs")).unwrap();
    }
}
