//! Ending a mount when its connection is cancelled: the rules every provider that mounts
//! (SMB drives and printer ports, WebDAV drives) shares, so `WNetCancelConnection2` answers
//! the same whoever serves the drive.
//!
//! * Not forced: releases still in flight after `close()` are waited for (at most
//!   [`SETTLE_BOUND`]); files still open refuse with 2401 naming each holder (path, pid,
//!   program); else a non-lazy unmount, which the kernel refuses while a process has its
//!   working directory or root inside: 2404 naming those processes.
//! * Forced: what programs wrote is flushed, every server handle closed, the mount detached.
//! * Either way, once unmounted, the mount point (an empty directory, or a port's empty
//!   file) is removed.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use wnet_core::{Error, ErrorKind, WinError};

use super::{Drive, DriveError, Holder};

/// How long a non-forced cancel waits for FUSE releases still in flight after `close()`.
pub const SETTLE_BOUND: Duration = Duration::from_millis(200);

/// How long the open count must stay still before a cancel believes it.
const QUIET: Duration = Duration::from_millis(20);

/// At most this many holders are named in a refusal; the rest are counted.
const MAX_HOLDERS_NAMED: usize = 20;

/// What a cancel asks of a mounted drive or port.
pub trait Mounted: Sized {
    /// Where it is mounted.
    fn mountpoint(&self) -> &Path;
    /// Open files and directories (or print jobs). O(1).
    fn open_count(&self) -> usize;
    /// Who holds what (a path relative to the mount; empty for the mount itself).
    fn holders(&self) -> Vec<Holder>;
    /// Waits at most `bound` for releases in flight; the open count then.
    fn settle(&self, bound: Duration) -> usize;
    /// What its open count counts, for the 2401 text.
    fn what_is_open(&self) -> &'static str {
        "open file(s) or directories"
    }
    /// Unmounts, not lazily; refused (handed back intact) with [`DriveError::Busy`].
    fn unmount(self) -> Result<(), (Self, DriveError)>;
    /// Flushes, closes every server handle, detaches.
    fn force_unmount(self) -> Result<(), DriveError>;
}

impl Mounted for Drive {
    fn mountpoint(&self) -> &Path {
        Drive::mountpoint(self)
    }
    fn open_count(&self) -> usize {
        self.handles().open_count()
    }
    fn holders(&self) -> Vec<Holder> {
        self.handles().holders()
    }
    fn settle(&self, bound: Duration) -> usize {
        Drive::settle(self, bound)
    }
    fn unmount(self) -> Result<(), (Self, DriveError)> {
        Drive::unmount(self)
    }
    fn force_unmount(self) -> Result<(), DriveError> {
        Drive::force_unmount(self)
    }
}

/// Ends `mount`, the redirection of connection `name` (`Z:` or its remote name): forced, or
/// refused while in use, as the module says; the mount point is removed once unmounted.
///
/// # Errors
/// The mount handed back whole and usable with 2401 (open files, naming the holders), 2404
/// (a working directory or root inside, naming the processes) or 31 (the unmount failed
/// otherwise). A forced end always succeeds (a failure to detach is logged).
pub fn end<M: Mounted>(mount: M, name: &str, force: bool) -> Result<(), (M, Error)> {
    let mountpoint = mount.mountpoint().to_path_buf();
    if force {
        if let Err(e) = mount.force_unmount() {
            tracing::warn!(connection = %name, error = %e, "forced unmount reported an error");
        }
    } else {
        if wait_for_releases(&mount) > 0 {
            let e = open_files(name, &mount);
            return Err((mount, e));
        }
        match mount.unmount() {
            Ok(()) => {}
            Err((mount, DriveError::Busy)) => {
                // An open that raced the check is counted as open files; otherwise a
                // process has its working directory or root on the drive.
                let e = if wait_for_releases(&mount) > 0 {
                    open_files(name, &mount)
                } else {
                    device_in_use(name, &mountpoint)
                };
                return Err((mount, e));
            }
            Err((mount, other)) => {
                let e = Error::new(
                    ErrorKind::Code(WinError::ERROR_GEN_FAILURE),
                    format!("cannot unmount {name}: {other}"),
                );
                return Err((mount, e));
            }
        }
    }
    remove_mountpoint(&mountpoint);
    Ok(())
}

/// Removes a mount point once unmounted: an empty directory (drive) or an empty file
/// (port); anything else stays.
pub fn remove_mountpoint(path: &Path) {
    match std::fs::symlink_metadata(path) {
        Ok(md) if md.is_dir() => {
            let _ = std::fs::remove_dir(path);
        }
        Ok(md) if md.is_file() && md.len() == 0 => {
            let _ = std::fs::remove_file(path);
        }
        _ => {}
    }
}

/// Open handles once the releases in flight have arrived, waiting at most [`SETTLE_BOUND`]:
/// FUSE sends RELEASE after `close()` (or `munmap`) has returned, so a file its program has
/// closed must not count as open.
fn wait_for_releases(mount: &impl Mounted) -> usize {
    let until = Instant::now() + SETTLE_BOUND;
    // Releases flagged by a FLUSH (a close) are waited for by `settle`; one that comes without
    // (after `munmap`) shows only as a falling count, so wait while it still falls.
    let mut open = mount.settle(SETTLE_BOUND);
    let mut last_change = Instant::now();
    while open > 0 && Instant::now() < until && last_change.elapsed() < QUIET {
        std::thread::sleep(Duration::from_millis(1));
        let now = mount.open_count();
        if now != open {
            open = now;
            last_change = Instant::now();
        }
    }
    open
}

/// 2401, naming every open file (or print job) and its process.
fn open_files(name: &str, mount: &impl Mounted) -> Error {
    let mountpoint = mount.mountpoint();
    let open = mount.open_count();
    let holders = mount.holders();
    let mut e = Error::new(
        ErrorKind::OpenFiles,
        format!("{name} has {open} {}", mount.what_is_open()),
    );
    let more = holders.len().saturating_sub(MAX_HOLDERS_NAMED);
    for h in holders.into_iter().take(MAX_HOLDERS_NAMED) {
        e = e.with_context(
            wnet_core::HOLDER,
            format!(
                "{}  (pid {}, {})",
                // A job's path is empty: the port itself.
                if h.path.is_empty() {
                    mountpoint.to_path_buf()
                } else {
                    mountpoint.join(&h.path)
                }
                .display(),
                h.pid,
                process_name(h.pid)
            ),
        );
    }
    if more > 0 {
        e = e.with_context(wnet_core::HOLDER, format!("... and {more} more"));
    }
    e
}

/// 2404, naming the processes whose working directory or root is on the drive (a scan of this
/// user's own processes, made only to explain a refusal the kernel already decided).
fn device_in_use(name: &str, mountpoint: &Path) -> Error {
    let mut e = Error::new(
        ErrorKind::DeviceInUse,
        format!("{name} is in use by an active process (its working directory is on the drive)"),
    );
    for (pid, dir, what) in processes_inside(mountpoint) {
        e = e.with_context(
            wnet_core::HOLDER,
            format!(
                "{}  (pid {pid}, {}, {what})",
                dir.display(),
                process_name(pid)
            ),
        );
    }
    e
}

/// This user's processes with their working directory or root under `mountpoint`.
fn processes_inside(mountpoint: &Path) -> Vec<(u32, PathBuf, &'static str)> {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: getuid cannot fail.
    let me = unsafe { libc::getuid() };
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for entry in dir.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        if entry.metadata().map(|m| m.uid() != me).unwrap_or(true) {
            continue;
        }
        for (link, what) in [("cwd", "working directory"), ("root", "root directory")] {
            if let Ok(target) = std::fs::read_link(entry.path().join(link)) {
                if target.starts_with(mountpoint) {
                    found.push((pid, target, what));
                }
            }
        }
    }
    found
}

/// A process's command name (`/proc/PID/comm`), `?` when it is gone.
fn process_name(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .map(|s| s.trim_end().to_owned())
        .unwrap_or_else(|_| "?".into())
}
