//! `SessionPool`: one authenticated session per (server, port), shared by every tree connect of
//! its user. A second user name to the same server is refused with 1219, as Windows does.

use std::collections::HashMap;

use wnet_core::{Error, ErrorKind, Secret};
use wnet_smb2::{ClientConfig, Session, Timeouts};

use crate::errors::core_error;
use crate::hosts::HostsFile;

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
    /// The caller's Kerberos credentials cache (`None`: the process's default).
    pub ccache: Option<wnet_core::CredentialsCache>,
    /// Accept a guest session (the user opted in to insecure guest logons).
    pub allow_insecure_guest: bool,
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

/// Sessions by server. Internally locked, and the lock is never held across a network wait,
/// so one slow server delays no other connection (and no shutdown).
#[derive(Default)]
pub struct SessionPool {
    sessions: std::sync::Mutex<HashMap<ServerKey, Pooled>>,
    /// Names resolved before the system resolver.
    hosts: HostsFile,
}

enum Plan {
    /// The live session, one more tree already counted on it.
    Reuse(Session),
    ProveThenReuse,
    Connect,
}

impl SessionPool {
    /// A pool whose sessions reach the names `hosts` lists at its addresses.
    pub fn new(hosts: HostsFile) -> SessionPool {
        SessionPool {
            sessions: Default::default(),
            hosts,
        }
    }

    /// The hosts file names are looked up in first.
    pub fn hosts(&self) -> &HostsFile {
        &self.hosts
    }

    fn sessions(&self) -> std::sync::MutexGuard<'_, HashMap<ServerKey, Pooled>> {
        self.sessions.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Decides under the lock; a reuse counts its tree in the same step, so a concurrent
    /// release cannot log the session off in between.
    fn plan(&self, server: &ServerKey, creds: &Credentials, proven: bool) -> Result<Plan, Error> {
        let mut sessions = self.sessions();
        let Some(p) = sessions.get_mut(server) else {
            return Ok(Plan::Connect);
        };
        if !p.user.eq_ignore_ascii_case(&creds.user) {
            return Err(Error::new(
                ErrorKind::SessionCredentialConflict,
                format!(
                    "{}:{} is connected as {:?}; a connection as {:?} needs that one closed first",
                    server.host, server.port, p.user, creds.user
                ),
            ));
        }
        if !proven && p.password.expose() != creds.password.expose() {
            return Ok(Plan::ProveThenReuse);
        }
        p.trees += 1;
        Ok(Plan::Reuse(p.session.clone()))
    }

    /// The session for `server` as `creds`' user: the live one if there is one (a different
    /// password is proven first on a SESSION_SETUP of its own), else a new one. Counts one
    /// more tree on it.
    ///
    /// # Errors
    /// 1219 if another user name holds a session to this server; the mapped engine error if
    /// connecting or authenticating fails (the live session is left untouched).
    pub async fn acquire(
        &self,
        server: &ServerKey,
        creds: &Credentials,
        timeouts: Timeouts,
    ) -> Result<Session, Error> {
        let mut proven = false;
        loop {
            match self.plan(server, creds, proven)? {
                Plan::Reuse(session) => return Ok(session),
                Plan::ProveThenReuse => {
                    let probe = connect(server, creds, timeouts, &self.hosts).await?;
                    let _ = probe.logoff().await;
                    proven = true;
                }
                Plan::Connect => {
                    let session = connect(server, creds, timeouts, &self.hosts).await?;
                    let spare = {
                        let mut sessions = self.sessions();
                        if sessions.contains_key(server) {
                            Some(session)
                        } else {
                            sessions.insert(
                                server.clone(),
                                Pooled {
                                    session: session.clone(),
                                    user: creds.user.clone(),
                                    password: creds.password.clone(),
                                    trees: 1,
                                },
                            );
                            return Ok(session);
                        }
                    };
                    // Another connection made a session meanwhile: ours was proof enough of
                    // the password; use (or be refused by) theirs.
                    if let Some(spare) = spare {
                        let _ = spare.logoff().await;
                    }
                    proven = true;
                }
            }
        }
    }

    /// Counts one tree less on `server`'s session; logs the session off when none is left.
    pub async fn release(&self, server: &ServerKey) {
        let done = {
            let mut sessions = self.sessions();
            match sessions.get_mut(server) {
                Some(p) if p.trees <= 1 => sessions.remove(server),
                Some(p) => {
                    p.trees -= 1;
                    None
                }
                None => None,
            }
        };
        if let Some(p) = done {
            let _ = p.session.logoff().await;
        }
    }

    /// How many sessions are pooled.
    pub fn len(&self) -> usize {
        self.sessions().len()
    }

    /// `true` when no session is pooled.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The live session to `server`, if any, without counting a tree on it (for a short
    /// request such as a share listing).
    pub fn existing(&self, server: &ServerKey) -> Option<Session> {
        self.sessions().get(server).map(|p| p.session.clone())
    }

    /// The user of the live session to `server`, if any.
    pub fn user(&self, server: &ServerKey) -> Option<String> {
        self.sessions().get(server).map(|p| p.user.clone())
    }

    /// Logs off every session.
    pub async fn clear(&self) {
        let all: Vec<Pooled> = self.sessions().drain().map(|(_, p)| p).collect();
        for p in all {
            let _ = p.session.logoff().await;
        }
    }
}

async fn connect(
    server: &ServerKey,
    creds: &Credentials,
    timeouts: Timeouts,
    hosts: &HostsFile,
) -> Result<Session, Error> {
    let (domain, user) = creds.split_user();
    let mut cfg =
        ClientConfig::new(server.host.clone(), user, creds.password.expose()).port(server.port);
    cfg.domain = domain;
    cfg.require_encryption = creds.require_encryption;
    // Authenticated sessions are always signed; demanding it also refuses guest sessions (no key
    // to sign with), so a guest share needs CONNECT_REQUIRE_INTEGRITY off, as on Windows.
    cfg.require_signing = creds.require_signing;
    cfg.allow_insecure_guest = creds.allow_insecure_guest;
    cfg.timeouts = timeouts;
    cfg.kerberos.ccache = creds.ccache.as_ref().map(|c| c.as_str().to_owned());
    cfg.address = hosts.address(&server.host);
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
            ccache: None,
            allow_insecure_guest: false,
        };
        assert_eq!(c(r"DOM\alice").split_user(), ("DOM".into(), "alice".into()));
        assert_eq!(
            c("alice@dom.example").split_user(),
            ("dom.example".into(), "alice".into())
        );
        assert_eq!(c("alice").split_user(), (String::new(), "alice".into()));
    }
}
