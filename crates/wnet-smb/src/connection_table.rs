//! `ConnectionTable`: the only owner of live connections (their tree, session share and drive
//! or printer port).

use std::collections::{HashMap, HashSet};

use wnet_core::{Connection, ConnectionStatus, Error, ErrorKind, LocalName, UncPath};
use wnet_smb2::Tree;

use crate::drive::DriveState;
use crate::redirection::Redirection;
use crate::session_pool::ServerKey;

/// How a connection is named: by its device, or (deviceless) by its share.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ConnKey {
    /// A redirected device.
    Device(LocalName),
    /// A deviceless connection to `\\server\share`, or to a folder below a DFS share
    /// (`\\ns\dfs\team`: two links of one namespace are two connections), compared
    /// case-insensitively.
    Deviceless(UncPath),
}

impl ConnKey {
    /// The key of a connection of `local` (or deviceless) to `remote`.
    pub fn new(local: Option<LocalName>, remote: &UncPath) -> ConnKey {
        match local {
            Some(l) => ConnKey::Device(l),
            None => ConnKey::Deviceless(remote.clone()),
        }
    }
}

/// One live connection.
pub struct LiveConnection {
    /// The device, `None` when deviceless.
    pub local: Option<LocalName>,
    /// `\\server[@port]\share` as the caller wrote it.
    pub remote: UncPath,
    /// The user of its session.
    pub user: String,
    /// Its server (the session it uses).
    pub server: ServerKey,
    /// The tree connect.
    pub tree: Tree,
    /// For a share in a DFS namespace: where its paths lead ([`crate::dfs`]); `None` for a
    /// plain share. The drive's [`crate::smb_fs::SmbFs`] routes through the same one.
    pub dfs: Option<std::sync::Arc<crate::dfs::Namespace>>,
    /// The mounted drive or printer port.
    pub mount: Redirection,
}

impl LiveConnection {
    /// How the session authenticated now (a reconnect authenticates again).
    pub fn logon(&self) -> Option<wnet_core::Logon> {
        self.tree
            .session()
            .mechanism()
            .map(|(mechanism, principal)| wnet_core::Logon {
                mechanism: mechanism.to_string(),
                principal,
            })
    }

    /// The user name as `WNetGetUser` reports it: for a Kerberos session the principal as
    /// `DOMAIN\user` (as Windows does), else the user name the connection was made with.
    pub fn user_name(&self) -> String {
        match self.logon() {
            Some(l) if l.mechanism == wnet_smb2::Mechanism::Kerberos.to_string() => {
                l.windows_user()
            }
            _ => self.user.clone(),
        }
    }

    /// The connection as a provider reports it.
    pub fn describe(&self, provider: &str) -> Connection {
        let refusal = self.mount.refusal();
        Connection {
            local: self.local,
            remote: self.remote.clone().into(),
            user: self.user_name(),
            provider: provider.to_owned(),
            // Down because the server refused to log on again (no valid Kerberos ticket):
            // Unavailable until the user acts (`kinit`), as Windows shows a connection whose
            // credentials no longer work.
            status: match (self.mount.state(), &refusal) {
                (DriveState::Connected, _) => ConnectionStatus::Ok,
                (_, Some(_)) => ConnectionStatus::Unavailable,
                _ => ConnectionStatus::Disconnected,
            },
            open_handles: self.mount.open_count() as u64,
            resource_type: if self.mount.is_port() {
                wnet_core::ResourceType::Print
            } else {
                wnet_core::ResourceType::Disk
            },
            logon: self.logon(),
            reason: refusal,
            dfs_target: self.dfs.as_ref().map(|ns| ns.current_target()),
            mount_dir: Some(crate::provider::mount_dir(self.local, &self.remote)),
        }
    }
}

/// Live connections by key, plus keys being connected right now (so two requests for one
/// device never both mount).
#[derive(Default)]
pub struct ConnectionTable {
    live: HashMap<ConnKey, LiveConnection>,
    pending: HashSet<ConnKey>,
}

impl ConnectionTable {
    /// Reserves `key` for a connection being made.
    ///
    /// # Errors
    /// 85 if the key is live or being connected.
    /// 85 too for a deviceless name whose directory would hold, or be inside, another
    /// deviceless connection's (`\\ns\dfs` and `\\ns\dfs\team`): one mount cannot
    /// sit inside another's.
    pub fn reserve(&mut self, key: &ConnKey) -> Result<(), Error> {
        if self.live.contains_key(key) || self.pending.contains(key) {
            let what = match key {
                ConnKey::Device(l) => format!("{l} is already redirected"),
                ConnKey::Deviceless(r) => format!("{r} is already connected"),
            };
            return Err(Error::new(ErrorKind::AlreadyAssigned, what));
        }
        if let ConnKey::Deviceless(r) = key {
            let taken = self
                .live
                .keys()
                .chain(self.pending.iter())
                .filter_map(|k| match k {
                    ConnKey::Deviceless(o) => Some((o.clone(), o.deviceless_dir())),
                    ConnKey::Device(_) => None,
                });
            wnet_core::provider::check_not_nested(r, &r.deviceless_dir(), taken)?;
        }
        self.pending.insert(key.clone());
        Ok(())
    }

    /// The key a deviceless connection named `remote` is kept under: `remote` itself, or
    /// its share when only the share is connected (a plain share's connection answers to a
    /// name below it, as before DFS paths could be connected).
    pub fn deviceless(&self, remote: &UncPath) -> ConnKey {
        let exact = ConnKey::Deviceless(remote.clone());
        let share = ConnKey::Deviceless(remote.share_root());
        if !self.live.contains_key(&exact) && self.live.contains_key(&share) {
            share
        } else {
            exact
        }
    }

    /// Drops a reservation whose connection failed.
    pub fn unreserve(&mut self, key: &ConnKey) {
        self.pending.remove(key);
    }

    /// Stores a made connection under its reserved key.
    pub fn insert(&mut self, key: ConnKey, conn: LiveConnection) {
        self.pending.remove(&key);
        self.live.insert(key, conn);
    }

    /// Takes a connection out (to cancel it); put it back with [`ConnectionTable::insert`] if
    /// the cancel is refused.
    pub fn take(&mut self, key: &ConnKey) -> Option<LiveConnection> {
        let conn = self.live.remove(key)?;
        self.pending.insert(key.clone());
        Some(conn)
    }

    /// The live connection of `key`.
    pub fn get(&self, key: &ConnKey) -> Option<&LiveConnection> {
        self.live.get(key)
    }

    /// Every live connection.
    pub fn iter(&self) -> impl Iterator<Item = &LiveConnection> {
        self.live.values()
    }

    /// Takes every connection out (shutdown).
    pub fn take_all(&mut self) -> Vec<LiveConnection> {
        self.live.drain().map(|(_, c)| c).collect()
    }
}
