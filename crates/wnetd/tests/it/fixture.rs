//! A daemon served in-process on a socket in a temp dir, stopped on drop.

use std::sync::Arc;
use std::thread::JoinHandle;

use tempfile::TempDir;
use wnet_core::{LocalName, ProfileStore, RememberedConnection, Router, UncPath};
use wnet_proto::{Client, Paths, Reply, Request};

pub struct TestDaemon {
    pub paths: Paths,
    pub dir: TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl TestDaemon {
    /// A daemon with no network providers (the SMB provider is tested with Samba elsewhere).
    pub fn start() -> TestDaemon {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::under(dir.path());
        let bound = wnetd::bind(&paths).unwrap().expect("no other daemon");
        let daemon = Arc::new(wnetd::Daemon::new(paths.clone(), Router::new(Vec::new())));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                bound.listener.set_nonblocking(true).unwrap();
                let listener =
                    tokio::net::UnixListener::from_std(bound.listener.try_clone().unwrap())
                        .unwrap();
                wnetd::run(listener, daemon, stopped).await;
                drop(bound);
            });
        });
        TestDaemon {
            paths,
            dir,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    pub fn client(&self) -> Client {
        Client::connect_to(&self.paths.socket, "wnetd-tests").unwrap()
    }

    pub fn call(&self, request: Request) -> Result<Reply, wnet_core::Error> {
        self.client().call(&request)
    }

    pub fn code(&self, request: Request) -> u32 {
        match self.call(request) {
            Ok(_) => 0,
            Err(e) => e.win_error().0,
        }
    }

    pub fn profile(&self) -> ProfileStore {
        ProfileStore::new(self.paths.profile.clone())
    }

    pub fn remember(&self, device: &str, remote: &str) {
        self.profile()
            .remember(
                LocalName::parse(device).unwrap(),
                RememberedConnection::disk(
                    UncPath::parse(remote).unwrap(),
                    "Microsoft Windows Network",
                    0x20000,
                ),
            )
            .unwrap();
    }

    pub fn remembered(&self, device: &str) -> bool {
        self.profile()
            .get(LocalName::parse(device).unwrap())
            .unwrap()
            .is_some()
    }
}

impl Drop for TestDaemon {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
