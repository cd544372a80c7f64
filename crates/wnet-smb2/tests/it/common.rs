//! Shared helpers: a Samba per test binary, configs, connected sessions.

use std::sync::Arc;
use wnet_smb2::{ClientConfig, Session, Tree};
use wnet_testkit::Samba;

/// A config for `samba` as `user`/`password`.
pub fn config(samba: &Samba, user: &str, password: &str) -> ClientConfig {
    ClientConfig::new(samba.host(), user, password).port(samba.port())
}

/// The default Samba, shared by the tests of one binary run.
pub fn samba() -> Arc<Samba> {
    static S: std::sync::OnceLock<Arc<Samba>> = std::sync::OnceLock::new();
    S.get_or_init(|| Arc::new(Samba::start_default())).clone()
}

/// A session as the default user.
pub async fn session(s: &Samba) -> Session {
    let (u, p) = s.user();
    Session::connect(config(s, u, p))
        .await
        .expect("session setup")
}

/// The "rw" share, connected.
pub async fn rw(s: &Samba) -> Tree {
    session(s)
        .await
        .tree_connect("rw")
        .await
        .expect("tree connect rw")
}

/// A name unique within this test run.
pub fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

pub use wnet_testkit::pattern;
