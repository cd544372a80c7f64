//! `BackgroundDaemon`: a daemon served on its own thread in the calling process, for tests and
//! embedders. The `wnetd` binary uses the same pieces ([`provider_router`], [`crate::run`]).

use std::sync::Arc;
use std::thread::JoinHandle;

use wnet_core::{NetworkProvider, Router};
use wnet_proto::Paths;
use wnet_smb::{SmbProvider, SmbProviderConfig, Timeouts};
use wnet_webdav::{WebDavConfig, WebDavProvider};

use crate::Daemon;

/// The router of a real daemon: the SMB provider (drives under `paths`' drive root), then the
/// WebDAV provider, reordered by the profile's `provider_order` (Windows' `ProviderOrder`).
/// Its owner shuts it down ([`Router::shutdown`]: unmounts every drive) when it stops. The
/// profile's settings are read once, here: a profile that cannot be read keeps the safe
/// defaults (no guest sessions, no Basic over http, no file leases, the default order).
pub fn provider_router(paths: &Paths) -> std::io::Result<Router> {
    // A test kit's throwaway CA (or any extra CA an admin names) besides the system's store.
    provider_router_with(paths, std::env::var_os("WNET_DAV_EXTRA_CA").map(Into::into))
}

/// [`provider_router`] with the WebDAV provider trusting `dav_extra_ca` (a PEM file) besides
/// the system's store, whatever the environment says (tests pass their throwaway CA here).
pub fn provider_router_with(
    paths: &Paths,
    dav_extra_ca: Option<std::path::PathBuf>,
) -> std::io::Result<Router> {
    let settings = wnet_core::ProfileStore::new(paths.profile.clone())
        .load()
        .map(|p| p.settings)
        .unwrap_or_default();
    let smb = Arc::new(SmbProvider::new(SmbProviderConfig {
        dfs_max_ttl: wnet_smb::provider::DFS_MAX_TTL,
        hosts_file: paths.profile.parent().map(|d| d.join("lmhosts")),
        drive_root: paths.drive_root.clone(),
        timeouts: Timeouts::default(),
        default_user: crate::daemon::current_user_name(),
        allow_insecure_guest: settings.insecure_guest_logons,
        file_leases: settings.file_leases,
        connections_per_share: settings
            .connections_per_share
            .clamp(1, wnet_core::profile::MAX_CONNECTIONS_PER_SHARE)
            .into(),
    })?);
    let mut dav = WebDavConfig::new(crate::daemon::current_user_name(), paths.drive_root.clone());
    dav.options.allow_basic_over_http = settings.dav_basic_over_http;
    dav.options.extra_roots = dav_extra_ca;
    let dav = Arc::new(WebDavProvider::new(dav)?);
    let providers: Vec<Arc<dyn NetworkProvider>> = vec![smb, dav];
    Ok(Router::ordered(providers, &settings.provider_order))
}

/// A daemon serving `paths.socket` on a background thread until dropped; dropping it stops the
/// server and unmounts every drive.
pub struct BackgroundDaemon {
    paths: Paths,
    daemon: Arc<Daemon>,
    /// The router [`BackgroundDaemon::start`] made, shut down on drop.
    owned: Option<Router>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for BackgroundDaemon {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackgroundDaemon")
            .field("paths", &self.paths)
            .finish()
    }
}

impl BackgroundDaemon {
    /// Serves a daemon with the real providers ([`provider_router`]) at `paths`.
    pub fn start(paths: Paths) -> std::io::Result<BackgroundDaemon> {
        let router = provider_router(&paths)?;
        let mut d = BackgroundDaemon::with_router(paths, router.clone())?;
        d.owned = Some(router);
        Ok(d)
    }

    /// Serves a daemon over `router` at `paths`.
    pub fn with_router(paths: Paths, router: Router) -> std::io::Result<BackgroundDaemon> {
        BackgroundDaemon::with_limits(paths, router, crate::server::Limits::default())
    }

    /// [`BackgroundDaemon::with_router`] with other server [`Limits`](crate::server::Limits).
    pub fn with_limits(
        paths: Paths,
        router: Router,
        limits: crate::server::Limits,
    ) -> std::io::Result<BackgroundDaemon> {
        let bound = crate::bind(&paths)?.ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::AddrInUse,
                "another wnetd serves these paths",
            )
        })?;
        let daemon = Arc::new(Daemon::new(paths.clone(), router));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let served = daemon.clone();
        let thread = std::thread::spawn(move || {
            runtime.block_on(async move {
                let Ok(std_listener) = bound.listener.try_clone() else {
                    return;
                };
                if std_listener.set_nonblocking(true).is_err() {
                    return;
                }
                let Ok(listener) = tokio::net::UnixListener::from_std(std_listener) else {
                    return;
                };
                crate::server::run_with(listener, served, stopped, limits).await;
                drop(bound);
            });
        });
        Ok(BackgroundDaemon {
            paths,
            daemon,
            owned: None,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// The daemon's places.
    pub fn paths(&self) -> &Paths {
        &self.paths
    }

    /// The daemon itself (to call its methods directly).
    pub fn daemon(&self) -> &Arc<Daemon> {
        &self.daemon
    }
}

impl Drop for BackgroundDaemon {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        if let Some(router) = self.owned.take() {
            router.shutdown();
        }
        let _ = std::fs::remove_file(&self.paths.socket);
    }
}
