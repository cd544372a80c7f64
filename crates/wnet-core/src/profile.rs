//! `ProfileStore`: the persistent profile, the analogue of `HKCU\Network\<X>`.
//!
//! One TOML file, `$XDG_CONFIG_HOME/wnet/profile.toml` (mode 0600, directory 0700):
//!
//! ```toml
//! schema = 1
//!
//! [settings]
//! save_connections = true
//!
//! [device.Z]
//! remote_path = '\\server@4455\share'
//! user_name = ""
//! provider_name = "Microsoft Windows Network"
//! provider_type = 131072
//! connection_type = 1
//! defer_flags = 4
//! connect_flags = 0
//! ```
//!
//! Every change is made by [`ProfileStore::update`]: under an exclusive `flock` on
//! `profile.toml.lock` it reads the file, applies the change, and replaces the file atomically
//! (temp file in the same directory, fsync, chmod 0600, rename, fsync of the directory), so two
//! processes never lose each other's update and a crash leaves the old or the new file, never a
//! mix. A damaged file gives `ERROR_BAD_PROFILE` (1206) and is never replaced; a file that
//! cannot be read or written gives `ERROR_CANNOT_OPEN_PROFILE` (1205). No password is ever
//! written: the entry type has no field for one.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::{Error, ErrorKind, LocalName, RemoteName, ResourceType, Result};

/// The schema version this build reads and writes.
pub const PROFILE_SCHEMA: u32 = 1;

/// One remembered connection (`HKCU\Network\<X>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RememberedConnection {
    /// `RemotePath`: the remote name as connected (`\\server[@port]\share`,
    /// `\\host@SSL\DavWWWRoot\path`, `https://host/path`).
    pub remote_path: RemoteName,
    /// `UserName`: "" for the logon user, else the alternate account.
    #[serde(default)]
    pub user_name: String,
    /// `ProviderName`.
    pub provider_name: String,
    /// `ProviderType`: the `WNNC_NET_*` type.
    pub provider_type: u32,
    /// `ConnectionType`: 1 disk, 2 print.
    pub connection_type: u32,
    /// `DeferFlags`: 4 logon/saved credentials, 1 other user without a saved password.
    #[serde(default)]
    pub defer_flags: u32,
    /// `ConnectFlags`: the `CONNECT_*` extras (integrity, privacy, write-through) to restore with.
    #[serde(default)]
    pub connect_flags: u32,
}

impl RememberedConnection {
    /// A disk connection remembered for the logon user, with no extra flags: what
    /// `net use X: \\server\share /PERSISTENT:YES` remembers.
    pub fn disk(remote_path: RemoteName, provider_name: &str, provider_type: u32) -> Self {
        RememberedConnection {
            remote_path,
            user_name: String::new(),
            provider_name: provider_name.to_owned(),
            provider_type,
            connection_type: 1,
            defer_flags: 4,
            connect_flags: 0,
        }
    }

    /// The resource type of `connection_type`.
    pub fn resource_type(&self) -> ResourceType {
        match self.connection_type {
            2 => ResourceType::Print,
            _ => ResourceType::Disk,
        }
    }
}

/// Per-user settings kept with the profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// `net use /PERSISTENT:YES|NO`: whether new connections are remembered by default.
    #[serde(default = "yes")]
    pub save_connections: bool,
    /// Accept guest sessions (off by default, as on Windows since 10 1709): a guest session
    /// is never signed, so a server or anyone in the middle can read and change what it
    /// carries. Read by the daemon at start.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub insecure_guest_logons: bool,
    /// The order providers are asked in (Windows'
    /// `HKLM\SYSTEM\CurrentControlSet\Control\NetworkProvider\Order\ProviderOrder`), by
    /// name: e.g. `["Web Client Network", "Microsoft Windows Network"]`. Empty: the default,
    /// SMB first, then WebDAV. Providers it does not name follow in the default order; names of
    /// providers that do not exist are ignored. Read by the daemon at start.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub provider_order: Vec<String>,
    /// Let the WebDAV provider send a Basic password over plain `http://` (Windows'
    /// WebClient `BasicAuthLevel` 2). Off by default (level 1: Basic only over https), since
    /// anyone on the path reads such a password. Read by the daemon at start.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dav_basic_over_http: bool,
    /// Cache small files across opens under SMB leases (off by default; ADR 0011): a
    /// re-read of an unchanged file costs no round trip, and another SMB client's change
    /// breaks the lease before it is made. A change made on the server's own file system
    /// (not through SMB) breaks no lease: it shows only once the lease is given up (at most
    /// 5 s after the file was last opened here). Read by the daemon at start.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub file_leases: bool,
    /// Connections a mapped disk share's file opens are spread over, each its own session
    /// (and, on Samba, its own server process): parallel programs creating or opening many
    /// files then use more than one of the server's cores (ADR 0016). 1 (the default): one
    /// connection per server and user. At most [`MAX_CONNECTIONS_PER_SHARE`]. Read by the
    /// daemon at start.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub connections_per_share: u8,
}

/// The most connections one share's file opens are spread over.
pub const MAX_CONNECTIONS_PER_SHARE: u8 = 8;

fn yes() -> bool {
    true
}

fn one() -> u8 {
    1
}

fn is_one(n: &u8) -> bool {
    *n == 1
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            save_connections: true,
            insecure_guest_logons: false,
            provider_order: Vec::new(),
            dav_basic_over_http: false,
            file_leases: false,
            connections_per_share: 1,
        }
    }
}

/// The whole profile.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    /// Per-user settings.
    pub settings: Settings,
    /// The remembered connections by device.
    pub devices: BTreeMap<LocalName, RememberedConnection>,
}

/// The file's shape: devices keyed `Z`, `LPT1` as in the registry.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileFile {
    schema: u32,
    #[serde(default)]
    settings: Settings,
    #[serde(default)]
    device: BTreeMap<String, RememberedConnection>,
}

impl Profile {
    fn from_toml(text: &str, path: &Path) -> Result<Profile> {
        let damaged = |why: String| {
            Error::new(
                ErrorKind::BadProfile,
                format!("the profile {} is damaged: {why}", path.display()),
            )
        };
        let file: ProfileFile = toml::from_str(text).map_err(|e| damaged(e.to_string()))?;
        if file.schema != PROFILE_SCHEMA {
            return Err(damaged(format!(
                "schema {} is not the supported schema {PROFILE_SCHEMA}",
                file.schema
            )));
        }
        let mut devices = BTreeMap::new();
        for (key, entry) in file.device {
            let local = LocalName::parse(&format!("{key}:"))
                .map_err(|_| damaged(format!("{key:?} is not a device name")))?;
            if local.profile_key() != key {
                return Err(damaged(format!(
                    "device key {key:?} must be written {:?}",
                    local.profile_key()
                )));
            }
            devices.insert(local, entry);
        }
        Ok(Profile {
            settings: file.settings,
            devices,
        })
    }

    fn to_toml(&self) -> String {
        let file = ProfileFile {
            schema: PROFILE_SCHEMA,
            settings: self.settings.clone(),
            device: self
                .devices
                .iter()
                .map(|(k, v)| (k.profile_key(), v.clone()))
                .collect(),
        };
        // Serialising plain strings and integers cannot fail.
        toml::to_string(&file).unwrap_or_default()
    }
}

/// The profile file and its lock.
#[derive(Debug, Clone)]
pub struct ProfileStore {
    path: PathBuf,
}

impl ProfileStore {
    /// A store for the profile file at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        ProfileStore { path: path.into() }
    }

    /// The store at the default place: `$XDG_CONFIG_HOME/wnet/profile.toml`, else
    /// `$HOME/.config/wnet/profile.toml`. 1205 if neither variable is set.
    pub fn from_env() -> Result<Self> {
        let base = match std::env::var_os("XDG_CONFIG_HOME").filter(|v| !v.is_empty()) {
            Some(dir) => PathBuf::from(dir),
            None => match std::env::var_os("HOME").filter(|v| !v.is_empty()) {
                Some(home) => PathBuf::from(home).join(".config"),
                None => {
                    return Err(Error::new(
                        ErrorKind::CannotOpenProfile,
                        "neither XDG_CONFIG_HOME nor HOME is set",
                    ));
                }
            },
        };
        Ok(ProfileStore::new(base.join("wnet").join("profile.toml")))
    }

    /// The profile file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the profile; a missing file is an empty profile.
    ///
    /// # Errors
    /// 1206 if the file is damaged; 1205 if it cannot be read.
    pub fn load(&self) -> Result<Profile> {
        match fs::read_to_string(&self.path) {
            Ok(text) => Profile::from_toml(&text, &self.path),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Profile::default()),
            Err(e) if e.kind() == io::ErrorKind::InvalidData => Err(Error::new(
                ErrorKind::BadProfile,
                format!("the profile {} is not UTF-8 text", self.path.display()),
            )),
            Err(e) => Err(self.cannot_open("read", e)),
        }
    }

    /// Reads, changes and writes the profile under the exclusive lock. `change` sees the current
    /// file contents; if it fails nothing is written. The file is written only if the profile
    /// changed.
    ///
    /// # Errors
    /// 1206 if the file is damaged (it is left as it is); 1205 if it cannot be locked, read or
    /// written; `change`'s own error.
    pub fn update<T>(&self, change: impl FnOnce(&mut Profile) -> Result<T>) -> Result<T> {
        let dir = self.dir()?;
        let _lock = self.lock(&dir)?;
        let before = self.load()?;
        let mut after = before.clone();
        let value = change(&mut after)?;
        if after != before {
            self.write(&dir, &after)?;
        }
        Ok(value)
    }

    /// Remembers `entry` for `local`, replacing what was remembered for it.
    pub fn remember(&self, local: LocalName, entry: RememberedConnection) -> Result<()> {
        self.update(|p| {
            p.devices.insert(local, entry);
            Ok(())
        })
    }

    /// Forgets `local`; `true` if it was remembered.
    pub fn forget(&self, local: LocalName) -> Result<bool> {
        self.update(|p| Ok(p.devices.remove(&local).is_some()))
    }

    /// The entry remembered for `local`, if any.
    pub fn get(&self, local: LocalName) -> Result<Option<RememberedConnection>> {
        Ok(self.load()?.devices.remove(&local))
    }

    fn dir(&self) -> Result<PathBuf> {
        let dir = self
            .path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf();
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .map_err(|e| self.cannot_open("create the directory of", e))?;
        Ok(dir)
    }

    fn lock(&self, dir: &Path) -> Result<File> {
        let name = format!("{}.lock", self.file_name());
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(dir.join(name))
            .map_err(|e| self.cannot_open("lock", e))?;
        loop {
            // SAFETY: flock on a descriptor we own; the lock is released when `file` closes.
            let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) };
            if rc == 0 {
                return Ok(file);
            }
            let err = io::Error::last_os_error();
            if err.kind() != io::ErrorKind::Interrupted {
                return Err(self.cannot_open("lock", err));
            }
        }
    }

    fn write(&self, dir: &Path, profile: &Profile) -> Result<()> {
        let tmp = dir.join(format!(".{}.tmp", self.file_name()));
        let write = || -> io::Result<()> {
            let mut f = OpenOptions::new()
                .create(true)
                .truncate(true)
                .write(true)
                .mode(0o600)
                .open(&tmp)?;
            f.write_all(profile.to_toml().as_bytes())?;
            f.set_permissions(fs::Permissions::from_mode(0o600))?;
            f.sync_all()?;
            fs::rename(&tmp, &self.path)?;
            File::open(dir)?.sync_all()
        };
        write().map_err(|e| {
            let _ = fs::remove_file(&tmp);
            self.cannot_open("write", e)
        })
    }

    fn file_name(&self) -> String {
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "profile.toml".into())
    }

    fn cannot_open(&self, what: &str, e: io::Error) -> Error {
        Error::new(
            ErrorKind::CannotOpenProfile,
            format!("cannot {what} the profile {}", self.path.display()),
        )
        .set_source(e)
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::MetadataExt;
    use std::process::Command;

    use super::*;

    fn entry(remote: &str, user: &str) -> RememberedConnection {
        RememberedConnection {
            remote_path: RemoteName::parse(remote).unwrap(),
            user_name: user.into(),
            provider_name: "Microsoft Windows Network".into(),
            provider_type: 0x20000,
            connection_type: 1,
            defer_flags: 4,
            connect_flags: 0x4000,
        }
    }

    fn z() -> LocalName {
        LocalName::parse("Z:").unwrap()
    }

    #[test]
    fn round_trip_keeps_every_field_and_the_port() {
        let dir = tempfile::tempdir().unwrap();
        let store = ProfileStore::new(dir.path().join("wnet/profile.toml"));
        assert_eq!(
            store.load().unwrap(),
            Profile::default(),
            "a missing file is empty"
        );
        store
            .remember(z(), entry(r"\\Server@4455\Share", r"DOM\alice"))
            .unwrap();
        store
            .remember(LocalName::Lpt(1), entry(r"\\p\printer", ""))
            .unwrap();
        store
            .update(|p| {
                p.settings.save_connections = false;
                Ok(())
            })
            .unwrap();
        let p = store.load().unwrap();
        assert_eq!(p.devices[&z()], entry(r"\\Server@4455\Share", r"DOM\alice"));
        assert_eq!(
            p.devices[&z()].remote_path.to_string(),
            r"\\Server@4455\Share"
        );
        assert_eq!(p.devices.len(), 2);
        assert!(!p.settings.save_connections);
        let text = fs::read_to_string(store.path()).unwrap();
        assert!(text.contains("[device.Z]"), "{text}");
        assert!(text.contains("[device.LPT1]"), "{text}");
        assert!(store.forget(z()).unwrap());
        assert!(!store.forget(z()).unwrap());
        assert_eq!(store.get(z()).unwrap(), None);
    }

    #[test]
    fn connections_per_share_is_written_only_when_not_one() {
        let dir = tempfile::tempdir().unwrap();
        let store = ProfileStore::new(dir.path().join("profile.toml"));
        store
            .update(|p| {
                p.settings.save_connections = false;
                Ok(())
            })
            .unwrap();
        let text = std::fs::read_to_string(store.path()).unwrap();
        assert!(!text.contains("connections_per_share"), "{text}");
        assert_eq!(store.load().unwrap().settings.connections_per_share, 1);
        store
            .update(|p| {
                p.settings.connections_per_share = 4;
                Ok(())
            })
            .unwrap();
        let text = std::fs::read_to_string(store.path()).unwrap();
        assert!(text.contains("connections_per_share = 4"), "{text}");
        assert_eq!(store.load().unwrap().settings.connections_per_share, 4);
    }

    #[test]
    fn file_is_0600_and_dir_0700() {
        let dir = tempfile::tempdir().unwrap();
        let store = ProfileStore::new(dir.path().join("cfg/wnet/profile.toml"));
        store.remember(z(), entry(r"\\s\x", "")).unwrap();
        assert_eq!(fs::metadata(store.path()).unwrap().mode() & 0o777, 0o600);
        assert_eq!(
            fs::metadata(dir.path().join("cfg/wnet")).unwrap().mode() & 0o777,
            0o700
        );
        let names: Vec<_> = fs::read_dir(dir.path().join("cfg/wnet"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert!(
            !names.iter().any(|n| n.ends_with(".tmp")),
            "no temp file left: {names:?}"
        );
    }

    #[test]
    fn a_damaged_file_is_1206_and_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let store = ProfileStore::new(dir.path().join("profile.toml"));
        for damaged in [
            "this is [not toml".as_bytes(),
            b"schema = 1\n[device.Z]\nremote_path = 'not unc'\nprovider_name='x'\nprovider_type=1\nconnection_type=1\n",
            b"schema = 99\n",
            b"schema = 1\n[device.ZZ]\nremote_path = '\\\\s\\x'\nprovider_name='x'\nprovider_type=1\nconnection_type=1\n",
            b"schema = 1\n[device.z]\nremote_path = '\\\\s\\x'\nprovider_name='x'\nprovider_type=1\nconnection_type=1\n",
            b"schema = 1\nsurprise = true\n",
            b"\xff\xfe garbage",
        ] {
            fs::write(store.path(), damaged).unwrap();
            assert_eq!(store.load().unwrap_err().win_error().0, 1206, "{}", String::from_utf8_lossy(damaged));
            let e = store.remember(z(), entry(r"\\s\x", "")).unwrap_err();
            assert_eq!(e.win_error().0, 1206);
            assert_eq!(fs::read(store.path()).unwrap(), damaged, "the damaged file is untouched");
        }
    }

    #[test]
    fn an_unreadable_file_is_1205() {
        let dir = tempfile::tempdir().unwrap();
        let store = ProfileStore::new(dir.path().join("profile.toml"));
        fs::create_dir(store.path()).unwrap();
        assert_eq!(store.load().unwrap_err().win_error().0, 1205);
        assert_eq!(
            store
                .remember(z(), entry(r"\\s\x", ""))
                .unwrap_err()
                .win_error()
                .0,
            1205
        );
        assert!(store.path().is_dir(), "nothing replaced it");
    }

    #[test]
    fn a_failing_change_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = ProfileStore::new(dir.path().join("profile.toml"));
        store.remember(z(), entry(r"\\s\x", "")).unwrap();
        let before = fs::read(store.path()).unwrap();
        let r: Result<()> = store.update(|p| {
            p.devices.clear();
            Err(Error::from_kind(ErrorKind::DeviceAlreadyRemembered))
        });
        assert_eq!(r.unwrap_err().win_error().0, 1202);
        assert_eq!(fs::read(store.path()).unwrap(), before);
    }

    #[test]
    fn from_env_follows_xdg_config_home() {
        // Read-only check of the rule without touching the process environment.
        let store = ProfileStore::from_env().unwrap();
        let expected_tail = Path::new("wnet").join("profile.toml");
        assert!(
            store.path().ends_with(&expected_tail),
            "{}",
            store.path().display()
        );
    }

    const CHILD_PATH: &str = "WNET_PROFILE_TEST_PATH";
    const CHILD_LETTERS: &str = "WNET_PROFILE_TEST_LETTERS";
    const ROUNDS: u32 = 15;

    /// Writes `letters` ROUNDS times each, one update per write, interleaved with any other
    /// writer, then checks its own last round is there. Run directly it writes to a temp file;
    /// the two-process test runs it as a child process against a shared file.
    #[test]
    fn profile_writer() {
        let tmp = tempfile::tempdir().unwrap();
        let path = std::env::var(CHILD_PATH)
            .map(PathBuf::from)
            .unwrap_or(tmp.path().join("p.toml"));
        let letters = std::env::var(CHILD_LETTERS).unwrap_or_else(|_| "ABC".into());
        let store = ProfileStore::new(path);
        for round in 0..ROUNDS {
            for l in letters.chars() {
                let local = LocalName::parse(&format!("{l}:")).unwrap();
                let mut e = entry(r"\\s\x", "");
                e.defer_flags = round;
                store.remember(local, e).unwrap();
            }
        }
        let p = store.load().unwrap();
        for l in letters.chars() {
            let local = LocalName::parse(&format!("{l}:")).unwrap();
            assert_eq!(p.devices[&local].defer_flags, ROUNDS - 1);
        }
    }

    #[test]
    fn two_processes_never_lose_each_others_updates() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("profile.toml");
        let exe = std::env::current_exe().unwrap();
        let spawn = |letters: &str| {
            Command::new(&exe)
                .args([
                    "--exact",
                    "profile::tests::profile_writer",
                    "--test-threads=1",
                    "--quiet",
                ])
                .env(CHILD_PATH, &path)
                .env(CHILD_LETTERS, letters)
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        };
        let mut a = spawn("ABCDEFGHIJKLM");
        let mut b = spawn("NOPQRSTUVWXYZ");
        assert!(a.wait().unwrap().success());
        assert!(b.wait().unwrap().success());
        let p = ProfileStore::new(&path).load().unwrap();
        assert_eq!(
            p.devices.len(),
            26,
            "every update of both processes is there"
        );
        assert!(p.devices.values().all(|e| e.defer_flags == ROUNDS - 1));
    }
}
