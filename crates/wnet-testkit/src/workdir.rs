//! The temporary directory of one instance: created 0755, marked alive by a lock for the
//! instance's whole life, and swept away later if a killed test process left it behind.

use std::fs::{self, File};
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use tempfile::TempDir;

use crate::process::Proc;

/// Name prefix of every instance directory in the temporary directory.
const PREFIX: &str = "wnet-samba-";
/// A file inside the directory on which its owner holds an exclusive `flock` while it lives. The
/// kernel drops the lock when the owning process dies, however it dies.
const ALIVE: &str = ".alive";
/// Unlocked directories younger than this are left alone: their owner may be between `mkdir`
/// and `flock`.
const GRACE: Duration = Duration::from_secs(60);

/// A directory `$TMPDIR/wnet-samba-XXXXXX`, removed on [`close`](WorkDir::close) or drop.
#[derive(Debug)]
pub(crate) struct WorkDir {
    dir: TempDir,
    /// Held (locked) for the life of the instance; opened close-on-exec, so smbd does not
    /// inherit it and cannot keep a dead test's directory "alive".
    _alive: File,
}

impl WorkDir {
    /// Sweeps stale instance directories, then creates a fresh one (mode 0755: share users other
    /// than root must be able to reach the shares below it) and locks it.
    pub(crate) fn create() -> io::Result<WorkDir> {
        let tmp = std::env::temp_dir();
        sweep_stale(&tmp);
        let dir = tempfile::Builder::new().prefix(PREFIX).tempdir_in(&tmp)?;
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755))?;
        let alive = File::create(dir.path().join(ALIVE))?;
        if !try_lock(&alive) {
            return Err(io::Error::other("cannot lock a fresh instance directory"));
        }
        Ok(WorkDir { dir, _alive: alive })
    }

    /// The directory.
    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Removes the directory and everything in it.
    pub(crate) fn close(self) -> io::Result<()> {
        self.dir.close()
    }
}

/// Removes instance directories whose owner is gone: `.alive` unlocked and older than
/// [`GRACE`] (or missing, in a directory older than that). Best effort; errors are ignored.
fn sweep_stale(tmp: &Path) {
    let Ok(entries) = fs::read_dir(tmp) else {
        return;
    };
    // SAFETY: geteuid(2) cannot fail.
    let me = unsafe { libc::geteuid() };
    for entry in entries.flatten() {
        if !entry.file_name().to_string_lossy().starts_with(PREFIX) {
            continue;
        }
        let path = entry.path();
        let Ok(meta) = fs::symlink_metadata(&path) else {
            continue;
        };
        if !meta.is_dir() || meta.uid() != me {
            continue;
        }
        if is_stale(&path, &meta) {
            let _ = fs::remove_dir_all(&path);
        }
    }
}

fn is_stale(dir: &Path, dir_meta: &fs::Metadata) -> bool {
    let old = |meta: &fs::Metadata| {
        meta.modified()
            .ok()
            .and_then(|t| SystemTime::now().duration_since(t).ok())
            .is_some_and(|age| age > GRACE)
    };
    if smbd_runs_in(dir) {
        return false;
    }
    let alive: PathBuf = dir.join(ALIVE);
    match File::open(&alive) {
        // The lock taken here is dropped with the file at the end of this arm.
        Ok(file) => file.metadata().is_ok_and(|m| old(&m)) && try_lock(&file),
        Err(_) => old(dir_meta),
    }
}

/// True if the smbd named by the directory's pid file still runs on its `smb.conf` (belt and
/// braces: the lock alone decides for directories made by this version of the kit).
fn smbd_runs_in(dir: &Path) -> bool {
    let pid = fs::read_to_string(dir.join("run").join("smbd.pid"))
        .ok()
        .and_then(|t| t.trim().parse().ok());
    let Some(smbd) = pid.and_then(Proc::of) else {
        return false;
    };
    let conf = dir.join("smb.conf");
    let needle = conf.to_string_lossy();
    let cmdline = smbd.cmdline();
    cmdline
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// `flock(LOCK_EX | LOCK_NB)`: true if we got the lock.
fn try_lock(file: &File) -> bool {
    // SAFETY: flock(2) on a descriptor we own.
    unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) == 0 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::FileTimes;

    fn age(path: &Path) {
        let past = SystemTime::now() - GRACE - Duration::from_secs(5);
        let file = File::options().write(true).open(path).unwrap();
        file.set_times(FileTimes::new().set_modified(past)).unwrap();
    }

    #[test]
    fn only_old_unlocked_directories_are_swept() {
        let tmp = tempfile::tempdir().unwrap();
        let live = tempfile::Builder::new()
            .prefix(PREFIX)
            .tempdir_in(tmp.path())
            .unwrap();
        let held = File::create(live.path().join(ALIVE)).unwrap();
        assert!(try_lock(&held));
        age(&live.path().join(ALIVE));
        let dead = tempfile::Builder::new()
            .prefix(PREFIX)
            .tempdir_in(tmp.path())
            .unwrap();
        fs::write(dead.path().join(ALIVE), "").unwrap();
        age(&dead.path().join(ALIVE));
        let young = tempfile::Builder::new()
            .prefix(PREFIX)
            .tempdir_in(tmp.path())
            .unwrap();
        fs::write(young.path().join(ALIVE), "").unwrap();
        let other = tmp.path().join("not-ours");
        fs::create_dir(&other).unwrap();

        sweep_stale(tmp.path());

        assert!(live.path().exists(), "a locked directory is alive");
        assert!(!dead.path().exists(), "an old unlocked directory is stale");
        assert!(young.path().exists(), "a young directory may be starting");
        assert!(other.exists(), "other directories are not ours");
    }
}
