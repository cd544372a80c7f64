//! `BackgroundDaemon`: a daemon served on its own thread in the calling process, for tests and
//! embedders. The `wnetd` binary uses the same pieces ([`smb_router`], [`crate::run`]).

use std::sync::Arc;
use std::thread::JoinHandle;

use wnet_core::{NetworkProvider, Router};
use wnet_proto::Paths;
use wnet_smb::{SmbProvider, SmbProviderConfig, Timeouts};

use crate::Daemon;

/// The router of a real daemon: the SMB provider alone, with its drives under `paths`' drive
/// root. The provider is returned too, so its owner can shut it down (unmount every drive).
pub fn smb_router(paths: &Paths) -> std::io::Result<(Router, Arc<SmbProvider>)> {
    let smb = Arc::new(SmbProvider::new(SmbProviderConfig {
        dfs_max_ttl: wnet_smb::provider::DFS_MAX_TTL,
        hosts_file: paths.profile.parent().map(|d| d.join("lmhosts")),
        drive_root: paths.drive_root.clone(),
        timeouts: Timeouts::default(),
        default_user: crate::daemon::current_user_name(),
        // A profile that cannot be read keeps the safe default.
        allow_insecure_guest: wnet_core::ProfileStore::new(paths.profile.clone())
            .load()
            .is_ok_and(|p| p.settings.insecure_guest_logons),
    })?);
    let providers: Vec<Arc<dyn NetworkProvider>> = vec![smb.clone()];
    Ok((Router::new(providers), smb))
}

/// A daemon serving `paths.socket` on a background thread until dropped; dropping it stops the
/// server and unmounts every drive.
pub struct BackgroundDaemon {
    paths: Paths,
    daemon: Arc<Daemon>,
    smb: Option<Arc<SmbProvider>>,
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
    /// Serves a daemon with the SMB provider at `paths`.
    pub fn start(paths: Paths) -> std::io::Result<BackgroundDaemon> {
        let (router, smb) = smb_router(&paths)?;
        let mut d = BackgroundDaemon::with_router(paths, router)?;
        d.smb = Some(smb);
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
            smb: None,
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
        if let Some(smb) = self.smb.take() {
            smb.shutdown();
        }
        let _ = std::fs::remove_file(&self.paths.socket);
    }
}
