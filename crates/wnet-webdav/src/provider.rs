//! [`WebDavProvider`]: the WebClient behind the router, deviceless connections.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;

use wnet_core::{
    AddConnection, Capabilities, Capability, Connection, ConnectionName, ConnectionStatus, Error,
    ErrorKind, LocalName, NetworkProvider, ProviderInfo, ProviderStatus, RemoteName, ResourceType,
    Result, WNNC_NET_DAV,
};
use wnet_dav::{Credentials, DavClient, DavLocation, Options};

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
}

impl WebDavConfig {
    /// The defaults for `default_user`, with the shorter deadlines a connect uses: 5 s to
    /// connect, 15 s per request (a server that accepts and never answers fails in 15 s).
    pub fn new(default_user: String) -> Self {
        let options = Options {
            request_timeout: Duration::from_secs(15),
            ..Options::default()
        };
        WebDavConfig {
            default_user,
            options,
        }
    }
}

/// One live deviceless connection.
struct Live {
    remote: RemoteName,
    user: String,
    /// Kept for the drive (issue 16's second half): its pool and adopted challenge.
    _client: DavClient,
}

/// Live connections by location (host in lower case), and locations being connected now.
#[derive(Default)]
struct Table {
    live: HashMap<DavLocation, Live>,
    pending: HashSet<DavLocation>,
}

/// Windows' WebClient: WebDAV names, deviceless connections (ADR 0018).
pub struct WebDavProvider {
    info: ProviderInfo,
    cfg: WebDavConfig,
    rt: tokio::runtime::Runtime,
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

/// Why a WebDAV folder cannot be connected as `request` asks: a printer (66), or a device
/// (50: a drive letter needs the WebDAV drive, not built yet).
fn refusal(request: &AddConnection) -> Error {
    match request.local {
        Some(l) if request.resource_type != ResourceType::Print => Error::new(
            ErrorKind::NotSupported,
            format!(
                "a drive letter ({l}) for a WebDAV folder is not supported yet; \
                 connect without a device: wnet use {}",
                request.remote
            ),
        ),
        _ => Error::new(
            ErrorKind::BadDevType,
            format!("{} is a WebDAV folder, not a printer", request.remote),
        ),
    }
}

fn not_connected(name: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::NotConnected, format!("{name} is not connected"))
}

impl WebDavProvider {
    /// A provider with its own runtime; no request is sent until a connection is asked for.
    pub fn new(cfg: WebDavConfig) -> std::io::Result<Self> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("wnet-webdav")
            .enable_all()
            .build()?;
        Ok(WebDavProvider {
            info: ProviderInfo {
                name: PROVIDER_NAME.into(),
                net_type: WNNC_NET_DAV,
            },
            cfg,
            rt,
            table: Mutex::new(Table::default()),
        })
    }

    fn table(&self) -> std::sync::MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Checks that `location` is a WebDAV collection the credentials may read: `OPTIONS`
    /// (the server speaks DAV class 1) and `PROPFIND` depth 0 (it exists, is a collection).
    async fn check(&self, client: &DavClient, location: &DavLocation, creds: bool) -> Result<()> {
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
        Ok(())
    }

    fn connect(&self, request: &AddConnection, location: &DavLocation) -> Result<Live> {
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
        self.rt
            .block_on(self.check(&client, location, with_credentials))?;
        Ok(Live {
            remote: request.remote.clone(),
            user,
            _client: client,
        })
    }

    fn describe(&self, live: &Live) -> Connection {
        Connection {
            local: None,
            remote: live.remote.clone(),
            user: live.user.clone(),
            provider: self.info.name.clone(),
            status: ConnectionStatus::Ok,
            open_handles: 0,
            resource_type: ResourceType::Disk,
            logon: None,
            reason: None,
            dfs_target: None,
            mounted: false,
        }
    }

    /// The key of a connection name this provider could own; 2250 otherwise.
    fn key_of(&self, name: &ConnectionName) -> Result<DavLocation> {
        match name {
            ConnectionName::Local(l) => Err(not_connected(l)),
            ConnectionName::Remote(r) => {
                claim(r).and_then(|l| key(&l)).map_err(|_| not_connected(r))
            }
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
    /// that does not speak WebDAV; then, for a WebDAV folder: 66 for a printer, 50 for a
    /// device (a WebDAV drive letter needs the drive, not built yet); 85 when the location is
    /// already connected; else the server's answer (see `core_error`).
    ///
    /// The device and type are judged only once the server answered as a WebDAV folder:
    /// `\\host@port\x` is SMB's port form too, and a significant 50 or 66 must not hide
    /// SMB's answer for an SMB server there.
    fn add_connection(&self, request: &AddConnection) -> Result<Connection> {
        let location = claim(&request.remote)?;
        if request.local.is_some() || request.resource_type == ResourceType::Print {
            // Checked as a WebDAV folder first; refused then (never reserved nor kept).
            self.connect(request, &location)?;
            return Err(refusal(request));
        }
        let key = key(&location)?;
        {
            let mut table = self.table();
            if table.live.contains_key(&key) || table.pending.contains(&key) {
                return Err(Error::new(
                    ErrorKind::AlreadyAssigned,
                    format!("{} is already connected", request.remote),
                ));
            }
            table.pending.insert(key.clone());
        }
        let made = self.connect(request, &location);
        let mut table = self.table();
        table.pending.remove(&key);
        let live = made?;
        let description = self.describe(&live);
        tracing::info!(remote = %live.remote, location = %location, user = %live.user, "WebDAV connected");
        table.live.insert(key, live);
        Ok(description)
    }

    /// # Errors
    /// 2250 for a name this provider has no connection of (every device: it has none).
    fn cancel_connection(&self, name: &ConnectionName, _force: bool) -> Result<()> {
        // No drive, so no open files: force changes nothing yet.
        let key = self.key_of(name)?;
        match self.table().live.remove(&key) {
            Some(live) => {
                tracing::info!(remote = %live.remote, "WebDAV connection cancelled");
                Ok(())
            }
            None => Err(not_connected(name)),
        }
    }

    fn get_connection(&self, local: LocalName) -> Result<Connection> {
        Err(not_connected(local))
    }

    fn connections(&self) -> Result<Vec<Connection>> {
        let table = self.table();
        let mut all: Vec<Connection> = table.live.values().map(|l| self.describe(l)).collect();
        all.sort_by(|a, b| a.remote.as_str().cmp(b.remote.as_str()));
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

    fn shutdown(&self) {
        self.table().live.clear();
    }

    fn status(&self) -> ProviderStatus {
        let table = self.table();
        let servers: HashSet<(String, u16)> = table
            .live
            .keys()
            .map(|k| (k.host().to_owned(), k.port()))
            .collect();
        ProviderStatus {
            name: self.info.name.clone(),
            net_type: self.info.net_type,
            connections: table.live.len(),
            detail: Some(format!("{} WebDAV servers", servers.len())),
        }
    }
}
