//! A daemon served in-process on a socket in a temp dir, stopped on drop.

use tempfile::TempDir;
use wnet_core::{LocalName, ProfileStore, RememberedConnection, RemoteName, Router};
use wnet_proto::{Client, Paths, Reply, Request};

pub struct TestDaemon {
    pub paths: Paths,
    /// Stopped on drop, before the directory goes.
    _daemon: wnetd::BackgroundDaemon,
    pub dir: TempDir,
}

impl TestDaemon {
    /// A daemon with no network providers (the SMB provider is tested with Samba elsewhere).
    pub fn start() -> TestDaemon {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::under(dir.path());
        let daemon = wnetd::BackgroundDaemon::with_router(paths.clone(), Router::new(Vec::new()))
            .expect("no other daemon");
        TestDaemon {
            paths,
            _daemon: daemon,
            dir,
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
                    RemoteName::parse(remote).unwrap(),
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
