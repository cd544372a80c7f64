//! What a caller gives to connect: server, credentials, security demands, deadlines.

use crate::crypto::Secret;
use crate::session::Session;
use std::time::Duration;

/// The entry point: `Client::connect(config)` gives an authenticated [`Session`].
#[derive(Debug, Clone, Copy)]
pub struct Client;

impl Client {
    /// Connects, negotiates and authenticates (NTLMv2 in SPNEGO); see [`Session::connect`].
    pub async fn connect(config: ClientConfig) -> crate::Result<Session> {
        Session::connect(config).await
    }
}

/// Deadlines of the engine; every network wait is bounded by one of them.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// TCP connect.
    pub connect: Duration,
    /// Negotiate, session setup, tree connect, create, close, query, set, directory.
    pub metadata: Duration,
    /// Read, write, flush.
    pub data: Duration,
    /// How long a reconnect may keep retrying (with backoff) before giving up.
    pub reconnect: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(5),
            metadata: Duration::from_secs(10),
            data: Duration::from_secs(30),
            reconnect: Duration::from_secs(15),
        }
    }
}

/// How to reach and authenticate to a server.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Host name or address.
    pub host: String,
    /// Where to connect instead of resolving [`host`](Self::host) with the system resolver
    /// (a name found in the caller's own hosts file). The host stays the name the server is
    /// known by: Kerberos asks a ticket for `cifs/<host>`.
    pub address: Option<std::net::IpAddr>,
    /// TCP port (445 by default).
    pub port: u16,
    /// User name (empty: anonymous).
    pub user: String,
    /// Domain (empty: the server's).
    pub domain: String,
    /// Password.
    pub password: Secret<String>,
    /// Refuse a session that is not signed (`CONNECT_REQUIRE_INTEGRITY`).
    pub require_signing: bool,
    /// Encrypt every request of the session (`CONNECT_REQUIRE_PRIVACY`).
    pub require_encryption: bool,
    /// Deadlines.
    pub timeouts: Timeouts,
    /// Reconnect (and reclaim durable handles) when the connection is lost.
    pub reconnect: bool,
    /// Send an ECHO this often; an unanswered one drops the connection (so a dead server is
    /// noticed while idle). `None`: no keep-alive.
    pub keepalive: Option<Duration>,
    /// Kerberos: whether to try it, and whose credentials cache.
    pub kerberos: crate::mechanism::KerberosConfig,
    /// Accept a guest (or anonymous) session. Off by default, as on Windows since 10 1709:
    /// a guest session has no key, so nothing it carries is signed, and a server (or anyone
    /// in the middle) can turn any logon into one. Never implied by an empty password.
    pub allow_insecure_guest: bool,
}

impl ClientConfig {
    /// A config with defaults: port 445, signing required, no encryption demanded.
    pub fn new(
        host: impl Into<String>,
        user: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        ClientConfig {
            host: host.into(),
            address: None,
            port: 445,
            user: user.into(),
            domain: String::new(),
            password: Secret::new(password.into()),
            require_signing: true,
            require_encryption: false,
            timeouts: Timeouts::default(),
            reconnect: true,
            // An idle connection whose network silently went away is noticed within
            // 10 s + the metadata deadline.
            keepalive: Some(Duration::from_secs(10)),
            kerberos: crate::mechanism::KerberosConfig::default(),
            allow_insecure_guest: false,
        }
    }

    /// Sets the port.
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_password() {
        let c = ClientConfig::new("srv", "alice", "s3cr3t-pw").port(4455);
        let shown = format!("{c:?}");
        assert!(shown.contains("alice") && shown.contains("4455"));
        assert!(!shown.contains("s3cr3t-pw"), "{shown}");
        assert!(c.require_signing && c.reconnect);
    }
}
