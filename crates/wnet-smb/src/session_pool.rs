//! `SessionPool`: one authenticated session per (server, port), shared by every tree connect of
//! its user. A second user name to the same server is refused with 1219, as Windows does.

use std::collections::HashMap;

use wnet_core::{Error, ErrorKind, Secret};
use wnet_smb2::{ClientConfig, Session, Timeouts};

use crate::errors::core_error;

/// Who connects, and how.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The user name as given (`user`, `DOMAIN\user`, `user@domain`); empty for anonymous.
    pub user: String,
    /// The password (empty for none).
    pub password: Secret,
    /// Refuse an unsigned session (`CONNECT_REQUIRE_INTEGRITY`).
    pub require_signing: bool,
    /// Encrypt the session (`CONNECT_REQUIRE_PRIVACY`).
    pub require_encryption: bool,
}

impl Credentials {
    /// `(domain, user)` from `DOMAIN\user`, `user@domain` or `user`.
    pub fn split_user(&self) -> (String, String) {
        if let Some((domain, user)) = self.user.split_once('\\') {
            return (domain.to_owned(), user.to_owned());
        }
        if let Some((user, domain)) = self.user.rsplit_once('@') {
            return (domain.to_owned(), user.to_owned());
        }
        (String::new(), self.user.clone())
    }
}

/// The server a session belongs to: host (lower case) and port.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ServerKey {
    /// The host, lower case.
    pub host: String,
    /// The TCP port.
    pub port: u16,
}

struct Pooled {
    session: Session,
    user: String,
    password: Secret,
    trees: usize,
}

/// Sessions by server. Owned by the connection table's owner (the provider).
#[derive(Default)]
pub struct SessionPool {
    sessions: HashMap<ServerKey, Pooled>,
}

impl SessionPool {
    /// The session for `server` as `creds`' user: the live one if there is one (the password
    /// checked anew if it differs), else a new one. Counts one more tree on it.
    ///
    /// # Errors
    /// 1219 if another user name holds a session to this server; the mapped engine error if
    /// connecting or authenticating fails (the live session is left untouched).
    pub async fn acquire(
        &mut self,
        server: &ServerKey,
        creds: &Credentials,
        timeouts: Timeouts,
    ) -> Result<Session, Error> {
        if let Some(p) = self.sessions.get(server) {
            if !p.user.eq_ignore_ascii_case(&creds.user) {
                return Err(Error::new(
                    ErrorKind::SessionCredentialConflict,
                    format!(
                        "{}:{} is connected as {:?}; a connection as {:?} needs that one closed first",
                        server.host, server.port, p.user, creds.user
                    ),
                ));
            }
            if p.password.expose() != creds.password.expose() {
                // A different password never rides on the live session: prove it first.
                let probe = connect(server, creds, timeouts).await?;
                let _ = probe.logoff().await;
            }
        } else {
            let session = connect(server, creds, timeouts).await?;
            self.sessions.insert(
                server.clone(),
                Pooled {
                    session,
                    user: creds.user.clone(),
                    password: creds.password.clone(),
                    trees: 0,
                },
            );
        }
        let p = self.sessions.get_mut(server).expect("inserted above");
        p.trees += 1;
        Ok(p.session.clone())
    }

    /// Counts one tree less on `server`'s session; logs the session off when none is left.
    pub async fn release(&mut self, server: &ServerKey) {
        let done = match self.sessions.get_mut(server) {
            Some(p) => {
                p.trees = p.trees.saturating_sub(1);
                p.trees == 0
            }
            None => false,
        };
        if done {
            if let Some(p) = self.sessions.remove(server) {
                let _ = p.session.logoff().await;
            }
        }
    }

    /// The user of the live session to `server`, if any.
    pub fn user(&self, server: &ServerKey) -> Option<&str> {
        self.sessions.get(server).map(|p| p.user.as_str())
    }

    /// Logs off every session.
    pub async fn clear(&mut self) {
        for (_, p) in self.sessions.drain() {
            let _ = p.session.logoff().await;
        }
    }
}

async fn connect(
    server: &ServerKey,
    creds: &Credentials,
    timeouts: Timeouts,
) -> Result<Session, Error> {
    let (domain, user) = creds.split_user();
    let mut cfg =
        ClientConfig::new(server.host.clone(), user, creds.password.expose()).port(server.port);
    cfg.domain = domain;
    cfg.require_encryption = creds.require_encryption;
    cfg.require_signing = creds.require_signing || cfg.require_signing;
    cfg.timeouts = timeouts;
    let what = format!("connecting to {}:{}", server.host, server.port);
    Session::connect(cfg)
        .await
        .map_err(|e| core_error(&e, &what))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_forms() {
        let c = |u: &str| Credentials {
            user: u.into(),
            password: Secret::new(""),
            require_signing: false,
            require_encryption: false,
        };
        assert_eq!(c(r"DOM\alice").split_user(), ("DOM".into(), "alice".into()));
        assert_eq!(
            c("alice@dom.example").split_user(),
            ("dom.example".into(), "alice".into())
        );
        assert_eq!(c("alice").split_user(), (String::new(), "alice".into()));
    }
}
