//! `BinaryWatch`: notices that the daemon's own executable was replaced (a package upgrade,
//! `make install`) or removed (the package removed), so that no daemon of an old version keeps
//! serving the socket (ADR 0013).
//!
//! The executable is known by the path it was started from and its file's identity (device,
//! inode, which no new file can take while this process runs the old one). An upgrade puts a new file at the path (dpkg renames it over the old one; `install`
//! unlinks and writes anew), so the identity changes; a running executable cannot be
//! overwritten in place (`ETXTBSY`). A change counts only once two looks in a row agree, so a
//! file still being written (or the instant between `install`'s unlink and create) is not
//! taken for the new version.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// What became of the executable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BinaryChange {
    /// Another file is at the path now: the daemon restarts from it.
    Replaced(PathBuf),
    /// Nothing is at the path any more: the daemon exits.
    Removed,
}

/// What one look at the path saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seen {
    Missing,
    File {
        dev: u64,
        ino: u64,
        size: u64,
        mtime_ns: i128,
    },
}

impl Seen {
    fn at(path: &Path) -> Seen {
        match std::fs::metadata(path) {
            Ok(m) => Seen::File {
                dev: m.dev(),
                ino: m.ino(),
                size: m.size(),
                mtime_ns: i128::from(m.mtime()) * 1_000_000_000 + i128::from(m.mtime_nsec()),
            },
            // Unreadable counts as missing: either way there is nothing to restart from.
            Err(_) => Seen::Missing,
        }
    }

    fn same_file(self, other: Seen) -> bool {
        match (self, other) {
            (Seen::File { dev, ino, .. }, Seen::File { dev: d, ino: i, .. }) => {
                dev == d && ino == i
            }
            _ => false,
        }
    }
}

/// Watches one executable; [`BinaryWatch::poll`] is called periodically.
#[derive(Debug)]
pub struct BinaryWatch {
    path: PathBuf,
    running: Seen,
    /// A change seen by the previous look, not yet confirmed.
    pending: Option<Seen>,
}

impl BinaryWatch {
    /// Watches the executable of this process (`/proc/self/exe`). `None` when it cannot be
    /// known, or was already deleted before the daemon looked: then there is nothing to compare.
    pub fn current_exe() -> Option<BinaryWatch> {
        let path = std::fs::read_link("/proc/self/exe").ok()?;
        if path.to_string_lossy().ends_with(" (deleted)") {
            return None;
        }
        let running = Seen::at(Path::new("/proc/self/exe"));
        BinaryWatch::new(path, running)
    }

    /// Watches the file now at `path`, as if this process ran it.
    pub fn file(path: &Path) -> Option<BinaryWatch> {
        BinaryWatch::new(path.to_path_buf(), Seen::at(path))
    }

    fn new(path: PathBuf, running: Seen) -> Option<BinaryWatch> {
        match running {
            Seen::Missing => None,
            Seen::File { .. } => Some(BinaryWatch {
                path,
                running,
                pending: None,
            }),
        }
    }

    /// The path the executable was started from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Looks at the path once. A change is reported when this look and the previous one saw the
    /// same other file (or both nothing); the running file back at the path clears a pending
    /// change.
    pub fn poll(&mut self) -> Option<BinaryChange> {
        let seen = Seen::at(&self.path);
        if seen.same_file(self.running) {
            self.pending = None;
            return None;
        }
        if self.pending != Some(seen) {
            self.pending = Some(seen);
            return None;
        }
        Some(match seen {
            Seen::Missing => BinaryChange::Removed,
            Seen::File { .. } => BinaryChange::Replaced(self.path.clone()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn replace(path: &Path, contents: &[u8]) {
        let new = path.with_extension("new");
        std::fs::write(&new, contents).unwrap();
        std::fs::rename(&new, path).unwrap();
    }

    #[test]
    fn the_same_file_is_no_change() {
        let dir = tempfile::tempdir().unwrap();
        let exe = dir.path().join("wnetd");
        std::fs::write(&exe, b"v1").unwrap();
        let mut watch = BinaryWatch::file(&exe).unwrap();
        assert_eq!(watch.poll(), None);
        assert_eq!(watch.poll(), None);
    }

    #[test]
    fn a_replaced_file_is_reported_on_the_second_look_that_agrees() {
        let dir = tempfile::tempdir().unwrap();
        let exe = dir.path().join("wnetd");
        std::fs::write(&exe, b"v1").unwrap();
        let mut watch = BinaryWatch::file(&exe).unwrap();
        replace(&exe, b"v2");
        assert_eq!(watch.poll(), None, "the first look only notes the change");
        assert_eq!(watch.poll(), Some(BinaryChange::Replaced(exe.clone())));
    }

    #[test]
    fn a_file_still_being_written_is_not_taken_yet() {
        let dir = tempfile::tempdir().unwrap();
        let exe = dir.path().join("wnetd");
        std::fs::write(&exe, b"v1").unwrap();
        let mut watch = BinaryWatch::file(&exe).unwrap();
        // Held open as a running executable is, so its inode cannot be reused for the new file.
        let _running = std::fs::File::open(&exe).unwrap();
        // `install` unlinks, then writes the new file.
        std::fs::remove_file(&exe).unwrap();
        assert_eq!(watch.poll(), None);
        std::fs::write(&exe, b"v2 part").unwrap();
        assert_eq!(watch.poll(), None, "missing, then a file: not yet agreed");
        std::fs::OpenOptions::new()
            .append(true)
            .open(&exe)
            .and_then(|mut f| std::io::Write::write_all(&mut f, b" and the rest"))
            .unwrap();
        assert_eq!(watch.poll(), None, "it grew since the last look");
        assert_eq!(watch.poll(), Some(BinaryChange::Replaced(exe.clone())));
    }

    #[test]
    fn a_removed_file_is_reported_as_removed() {
        let dir = tempfile::tempdir().unwrap();
        let exe = dir.path().join("wnetd");
        std::fs::write(&exe, b"v1").unwrap();
        let mut watch = BinaryWatch::file(&exe).unwrap();
        std::fs::remove_file(&exe).unwrap();
        assert_eq!(watch.poll(), None);
        assert_eq!(watch.poll(), Some(BinaryChange::Removed));
    }

    #[test]
    fn this_process_is_watched_by_its_own_executable() {
        let watch = BinaryWatch::current_exe().unwrap();
        assert_eq!(watch.path(), std::env::current_exe().unwrap());
    }
}
