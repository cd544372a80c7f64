//! Where wnet keeps things, each overridable by environment (DESIGN.md §4).
//!
//! | what | place |
//! |---|---|
//! | socket | `$XDG_RUNTIME_DIR/wnet/wnetd.sock` (dir 0700); without `XDG_RUNTIME_DIR`, `<state dir>/run/wnetd.sock` |
//! | daemon log | `$XDG_STATE_HOME/wnet/wnetd.log`, else `~/.local/state/wnet/wnetd.log` |
//! | profile | `$XDG_CONFIG_HOME/wnet/profile.toml`, else `~/.config/wnet/profile.toml` |
//! | drives | `$WNET_DRIVE_ROOT`, else `~/Network` |

use std::fs;
use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use wnet_core::{Error, ErrorKind};

/// Every place of one user's wnet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    /// The runtime directory holding the socket and the start lock (0700).
    pub runtime_dir: PathBuf,
    /// The daemon's socket.
    pub socket: PathBuf,
    /// The state directory holding the daemon log.
    pub state_dir: PathBuf,
    /// The daemon log file.
    pub log_file: PathBuf,
    /// The profile file.
    pub profile: PathBuf,
    /// The drive root: drives mount at `<root>/Z`, deviceless at `<root>/UNC/server/share`.
    pub drive_root: PathBuf,
}

fn env_dir(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

fn no_place(what: &str) -> Error {
    Error::new(
        ErrorKind::NoNetwork,
        format!("cannot place the {what}: HOME is not set"),
    )
}

impl Paths {
    /// The places for the current user and environment.
    pub fn from_env() -> Result<Paths, Error> {
        let home = env_dir("HOME");
        let state_dir = match env_dir("XDG_STATE_HOME") {
            Some(dir) => dir.join("wnet"),
            None => home
                .clone()
                .ok_or_else(|| no_place("daemon log"))?
                .join(".local/state/wnet"),
        };
        // Without XDG_RUNTIME_DIR the socket goes below the user's own state directory, never
        // to a fixed name in /tmp: another user could create that first (a squatter can deny
        // the service, or, if a client trusted it, receive passwords).
        let runtime_dir = match env_dir("XDG_RUNTIME_DIR") {
            Some(dir) => dir.join("wnet"),
            None => state_dir.join("run"),
        };
        let profile = match env_dir("XDG_CONFIG_HOME") {
            Some(dir) => dir.join("wnet/profile.toml"),
            None => home
                .clone()
                .ok_or_else(|| no_place("profile"))?
                .join(".config/wnet/profile.toml"),
        };
        let drive_root = match env_dir("WNET_DRIVE_ROOT") {
            Some(dir) => dir,
            None => home.ok_or_else(|| no_place("drive root"))?.join("Network"),
        };
        Ok(Paths {
            socket: runtime_dir.join("wnetd.sock"),
            runtime_dir,
            log_file: state_dir.join("wnetd.log"),
            state_dir,
            profile,
            drive_root,
        })
    }

    /// The environment that makes [`Paths::from_env`] give these paths, for starting the daemon.
    pub fn env(&self) -> Vec<(&'static str, PathBuf)> {
        let parent = |p: &Path, levels: usize| {
            let mut p = p.to_path_buf();
            for _ in 0..levels {
                p.pop();
            }
            p
        };
        let mut env = vec![
            ("XDG_STATE_HOME", parent(&self.state_dir, 1)),
            ("XDG_CONFIG_HOME", parent(&self.profile, 2)),
            ("WNET_DRIVE_ROOT", self.drive_root.clone()),
        ];
        if self.runtime_dir.file_name().is_some_and(|n| n == "wnet") {
            env.push(("XDG_RUNTIME_DIR", parent(&self.runtime_dir, 1)));
        }
        env
    }

    /// All places under one directory (for tests and containers): `run/`, `state/`, `config/`,
    /// `drives/`.
    pub fn under(base: &Path) -> Paths {
        let runtime_dir = base.join("run/wnet");
        let state_dir = base.join("state/wnet");
        Paths {
            socket: runtime_dir.join("wnetd.sock"),
            runtime_dir,
            log_file: state_dir.join("wnetd.log"),
            state_dir,
            profile: base.join("config/wnet/profile.toml"),
            drive_root: base.join("drives"),
        }
    }

    /// Creates the runtime directory (0700) if needed and checks that it is a directory owned by
    /// this user and closed to others, so nobody else can plant a socket there.
    pub fn ensure_runtime_dir(&self) -> io::Result<()> {
        ensure_private_dir(&self.runtime_dir)
    }
}

/// Creates `dir` 0700 (parents as needed) or checks an existing one: a real directory (not a
/// symlink) owned by the caller. One writable by group or others is refused (someone else may
/// have put things in it); one merely readable by them is closed to 0700, which is what
/// clients require before they trust a socket in it ([`crate::trust`]).
pub fn ensure_private_dir(dir: &Path) -> io::Result<()> {
    match fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
    {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
    }
    let meta = fs::symlink_metadata(dir)?;
    // SAFETY: getuid cannot fail.
    let uid = unsafe { libc::getuid() };
    let mode = meta.permissions().mode();
    if !meta.is_dir() || meta.uid() != uid || mode & 0o022 != 0 {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "{} must be a directory owned by uid {uid} and not writable by others",
                dir.display()
            ),
        ));
    }
    if mode & 0o077 != 0 {
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_dir_is_created_0700_and_checked() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a/wnet");
        ensure_private_dir(&dir).unwrap();
        assert_eq!(
            fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
            0o700
        );
        ensure_private_dir(&dir).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        ensure_private_dir(&dir).unwrap();
        assert_eq!(
            fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
            0o700,
            "a readable dir is closed"
        );
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o777)).unwrap();
        assert!(
            ensure_private_dir(&dir).is_err(),
            "a world-writable dir is refused"
        );
        let link = tmp.path().join("link");
        std::os::unix::fs::symlink(&dir, &link).unwrap();
        assert!(ensure_private_dir(&link).is_err(), "a symlink is refused");
    }

    #[test]
    fn without_a_runtime_dir_the_socket_is_under_the_state_dir_not_tmp() {
        let p = Paths {
            runtime_dir: PathBuf::from("/home/u/.local/state/wnet/run"),
            socket: PathBuf::from("/home/u/.local/state/wnet/run/wnetd.sock"),
            state_dir: PathBuf::from("/home/u/.local/state/wnet"),
            log_file: PathBuf::from("/home/u/.local/state/wnet/wnetd.log"),
            profile: PathBuf::from("/home/u/.config/wnet/profile.toml"),
            drive_root: PathBuf::from("/home/u/Network"),
        };
        // The daemon started with `env()` (and no XDG_RUNTIME_DIR) finds the same socket.
        let env = p.env();
        assert!(env.iter().all(|(k, _)| *k != "XDG_RUNTIME_DIR"));
        assert!(env.contains(&("XDG_STATE_HOME", PathBuf::from("/home/u/.local/state"))));
    }

    #[test]
    fn places_follow_the_environment_rules() {
        let p = Paths::from_env().unwrap();
        assert!(p.socket.ends_with("wnet/wnetd.sock") || p.socket.ends_with("wnetd.sock"));
        assert_eq!(p.socket.parent().unwrap(), p.runtime_dir);
        assert!(p.profile.ends_with("wnet/profile.toml"));
        assert!(p.log_file.ends_with("wnet/wnetd.log"));
    }
}
