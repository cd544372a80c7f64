//! System users for the shares: the kit's default users, creating users, running programs as one.

use std::ffi::{CStr, CString};
use std::fs::{self, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::Duration;

/// The user [`Samba::start_default`](crate::Samba::start_default) logs in as by default.
pub const DEFAULT_USER: &str = "wnettest";
/// The SMB password of [`DEFAULT_USER`].
pub const DEFAULT_PASSWORD: &str = "wnet-Pa55";
/// A second user, valid on every share of the default server (two sessions, two identities).
pub const TEST_USER2: &str = "wnettest2";
/// The SMB password of [`TEST_USER2`].
pub const TEST_PASSWORD2: &str = "wnet2-Pa55";

/// Serialises `useradd` among all processes using the kit (parallel test binaries).
const USERADD_LOCK: &str = "/tmp/wnet-testkit-useradd.lock";

/// A system account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Account {
    pub(crate) uid: u32,
    pub(crate) gid: u32,
    pub(crate) home: PathBuf,
}

/// Creates the system user `name` (no home directory, no login shell) unless it exists.
///
/// Samba maps every SMB user to a system user, so each kit user needs one. Idempotent and safe
/// to call from parallel tests and processes: creation is serialised with a `flock` on a file in
/// `/tmp`, and a user created meanwhile by someone else counts as success.
///
/// # Errors
///
/// `InvalidInput` for a name `useradd` would refuse (allowed: `[a-z_][a-z0-9_-]*`, at most
/// 32 bytes); otherwise the error of `useradd` (e.g. not root), with its stderr.
pub fn ensure_system_user(name: &str) -> io::Result<()> {
    check_name(name)?;
    if lookup(name)?.is_some() {
        return Ok(());
    }
    let lock = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(USERADD_LOCK)?;
    // SAFETY: flock(2) on a descriptor we own; the lock goes when `lock` is closed.
    if unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // Another holder of the lock may have just created it.
    let mut last = String::new();
    for _ in 0..50 {
        if lookup(name)?.is_some() {
            return Ok(());
        }
        let out = Command::new("useradd")
            .args(["-M", "-s", "/usr/sbin/nologin", name])
            .stdin(Stdio::null())
            .output()?;
        match out.status.code() {
            // 9: the name is taken (created by someone outside the lock).
            Some(0) | Some(9) => return Ok(()),
            // 10: /etc/passwd is locked by another tool right now.
            Some(10) => thread::sleep(Duration::from_millis(100)),
            _ => {
                return Err(io::Error::other(format!(
                    "useradd {name}: {}: {}",
                    out.status,
                    String::from_utf8_lossy(&out.stderr).trim()
                )));
            }
        }
        last = String::from_utf8_lossy(&out.stderr).trim().to_owned();
    }
    Err(io::Error::other(format!(
        "useradd {name}: /etc/passwd stayed locked: {last}"
    )))
}

/// A [`Command`] that runs `program` as the system user `user` (created if missing): real and
/// effective uid and gid of the user, no supplementary groups, `HOME`, `USER` and `LOGNAME` set
/// as `runuser -u` sets them.
///
/// It is a plain `Command` for `program` itself (no wrapper process): its pid is the program's
/// pid, arguments and environment added to it reach the program, and environment set after this
/// call wins over the three variables above. The working directory is inherited and must be
/// searchable by the user if `program` relies on it.
///
/// # Panics
///
/// If the user does not exist and cannot be created; the message says why.
pub fn as_user(user: &str, program: &str) -> Command {
    let account = ensure_system_user(user)
        .and_then(|()| lookup(user))
        .and_then(|a| a.ok_or_else(|| io::Error::other("still missing after useradd")))
        .unwrap_or_else(|e| panic!("wnet-testkit: as_user: no system user {user:?}: {e}"));
    let mut cmd = Command::new(program);
    cmd.uid(account.uid)
        .gid(account.gid)
        .env("HOME", &account.home)
        .env("USER", user)
        .env("LOGNAME", user);
    cmd
}

/// Copies of programs in a directory every user can reach, for [`as_user`].
///
/// A checkout usually lives in a home directory of mode 0700: another user cannot execute the
/// test binary (or `wnetd`) where cargo built it. The copies live in a fresh temporary directory
/// of mode 0755 (files 0755), which is the child's working directory too; it goes when this
/// value is dropped.
#[derive(Debug)]
pub struct StagedPrograms {
    dir: tempfile::TempDir,
}

impl StagedPrograms {
    /// Copies each of `programs` into a new world-reachable directory, under its file name.
    ///
    /// # Panics
    ///
    /// If a program cannot be read or the directory cannot be made; the message says which.
    pub fn copy(programs: &[&Path]) -> StagedPrograms {
        let dir = tempfile::Builder::new()
            .prefix("wnet-staged-")
            .tempdir()
            .unwrap_or_else(|e| panic!("wnet-testkit: staging directory: {e}"));
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755))
            .unwrap_or_else(|e| panic!("wnet-testkit: chmod {}: {e}", dir.path().display()));
        for program in programs {
            let name = program
                .file_name()
                .unwrap_or_else(|| panic!("wnet-testkit: {} has no file name", program.display()));
            let to = dir.path().join(name);
            fs::copy(program, &to)
                .and_then(|_| fs::set_permissions(&to, fs::Permissions::from_mode(0o755)))
                .unwrap_or_else(|e| panic!("wnet-testkit: copy {}: {e}", program.display()));
        }
        StagedPrograms { dir }
    }

    /// The directory of the copies.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The copy of `program` (same file name).
    pub fn path(&self, program: &Path) -> PathBuf {
        self.dir
            .path()
            .join(program.file_name().unwrap_or_default())
    }

    /// [`as_user`] for the copy of `program`, working in the staging directory.
    pub fn as_user(&self, user: &str, program: &Path) -> Command {
        let copy = self.path(program);
        let mut cmd = as_user(user, &copy.to_string_lossy());
        cmd.current_dir(self.dir.path());
        cmd
    }
}

/// The account called `name`, from the system's user database.
pub(crate) fn lookup(name: &str) -> io::Result<Option<Account>> {
    let c_name = CString::new(name).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let mut buf = vec![0u8; 4096];
    loop {
        // SAFETY: an all-zero passwd is a valid value to be filled in (pointers null).
        let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
        let mut result: *mut libc::passwd = std::ptr::null_mut();
        // SAFETY: every pointer is valid for the call; `buf` outlives our reads of `pwd`, whose
        // string fields point into it.
        let rc = unsafe {
            libc::getpwnam_r(
                c_name.as_ptr(),
                &mut pwd,
                buf.as_mut_ptr().cast(),
                buf.len(),
                &mut result,
            )
        };
        if rc == libc::ERANGE && buf.len() < 1 << 20 {
            buf.resize(buf.len() * 4, 0);
            continue;
        }
        if rc != 0 {
            return Err(io::Error::from_raw_os_error(rc));
        }
        if result.is_null() {
            return Ok(None);
        }
        let home = if pwd.pw_dir.is_null() {
            PathBuf::from("/")
        } else {
            // SAFETY: getpwnam_r succeeded, so pw_dir is a NUL-terminated string inside `buf`.
            let dir = unsafe { CStr::from_ptr(pwd.pw_dir) };
            PathBuf::from(dir.to_string_lossy().into_owned())
        };
        return Ok(Some(Account {
            uid: pwd.pw_uid,
            gid: pwd.pw_gid,
            home,
        }));
    }
}

/// Refuses names `useradd` would refuse or read as an option.
fn check_name(name: &str) -> io::Result<()> {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_');
    let rest_ok = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_-".contains(c));
    if first_ok && rest_ok && name.len() <= 32 {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("unusable system user name {name:?}"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_is_found_and_nobody_is_not_invented() {
        let root = lookup("root").unwrap().unwrap();
        assert_eq!((root.uid, root.gid), (0, 0));
        assert_eq!(lookup("wnet-no-such-user-x").unwrap(), None);
    }

    #[test]
    fn names_useradd_would_misread_are_refused() {
        for bad in ["", "-o", "Root", "a b", "a/b", &"x".repeat(33)] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
        assert!(check_name(DEFAULT_USER).is_ok());
        assert!(check_name(TEST_USER2).is_ok());
    }
}
