//! The wnet sides of a benchmark: a drive through the daemon, and the engine alone.

use wnet_proto::{AddConnectionArgs, Client, Reply, Request};
use wnet_smb2::{ClientConfig, Session, Tree};
use wnet_testkit::{DEFAULT_PASSWORD, DEFAULT_USER, Samba};

/// Connects Z: to `unc` as the kit's default user through the daemon of `c`.
pub fn add_z(c: &mut Client, unc: &str) {
    add(c, "Z:", unc, 1);
}

/// Connects `device` to `unc` (`resource_type`: 1 disk, 2 print) as the kit's default user
/// through the daemon of `c`.
pub fn add(c: &mut Client, device: &str, unc: &str, resource_type: u32) {
    let r = c.call(&Request::AddConnection(AddConnectionArgs {
        resource_type,
        local: Some(device.into()),
        remote: unc.into(),
        provider: None,
        user: Some(DEFAULT_USER.into()),
        password: Some(wnet_core::Secret::new(DEFAULT_PASSWORD)),
        flags: 0,
        save_credentials: false,
        ccache: None,
    }));
    assert!(matches!(r, Ok(Reply::Connection(_))), "{r:?}");
}

/// A runtime and the engine's tree connect to `share` of `samba` (no FUSE): the ceiling.
pub fn engine_tree(samba: &Samba, share: &str) -> (tokio::runtime::Runtime, Tree) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let tree = rt.block_on(async {
        let s = Session::connect(
            ClientConfig::new(samba.host(), DEFAULT_USER, DEFAULT_PASSWORD).port(samba.port()),
        )
        .await
        .expect("an engine session");
        s.tree_connect(share).await.expect("a tree connect")
    });
    (rt, tree)
}
