//! `Redirection`: what a live connection shows locally: a drive (a disk share as a FUSE
//! directory) or a printer port (a print share as a write-only file, ADR 0012). The provider's
//! cancel rules are the same for both: open files or jobs refuse a non-forced cancel.

use std::path::Path;
use std::time::Duration;

use crate::drive::{Drive, DriveError, DriveState, Holder};
use crate::port::Port;

/// A mounted drive or port.
#[derive(Debug)]
pub enum Redirection {
    /// A disk share.
    Drive(Drive),
    /// A print share.
    Port(Port),
}

impl Redirection {
    /// Where it is mounted.
    pub fn mountpoint(&self) -> &Path {
        match self {
            Redirection::Drive(d) => d.mountpoint(),
            Redirection::Port(p) => p.mountpoint(),
        }
    }

    /// `true` for a printer port.
    pub fn is_port(&self) -> bool {
        matches!(self, Redirection::Port(_))
    }

    /// Open files and directories (drive) or print jobs (port). O(1).
    pub fn open_count(&self) -> usize {
        match self {
            Redirection::Drive(d) => d.handles().open_count(),
            Redirection::Port(p) => p.jobs().open_count(),
        }
    }

    /// Who holds what (a job's path is empty: the port itself).
    pub fn holders(&self) -> Vec<Holder> {
        match self {
            Redirection::Drive(d) => d.handles().holders(),
            Redirection::Port(p) => p.jobs().holders(),
        }
    }

    /// Waits at most `bound` for RELEASEs in flight after programs closed; the open count then.
    pub fn settle(&self, bound: Duration) -> usize {
        match self {
            Redirection::Drive(d) => d.settle(bound),
            Redirection::Port(p) => p.jobs().settle(bound),
        }
    }

    /// Connected or Disconnected (a port has no reconnect monitor: it is Connected).
    pub fn state(&self) -> DriveState {
        match self {
            Redirection::Drive(d) => d.state(),
            Redirection::Port(_) => DriveState::Connected,
        }
    }

    /// Why the server refused to log on again, while it does (drives only).
    pub fn refusal(&self) -> Option<String> {
        match self {
            Redirection::Drive(d) => d.refusal(),
            Redirection::Port(_) => None,
        }
    }

    /// Unmounts, not lazily; refused (handed back intact) with [`DriveError::Busy`].
    pub fn unmount(self) -> Result<(), (Self, DriveError)> {
        match self {
            Redirection::Drive(d) => d.unmount().map_err(|(d, e)| (Redirection::Drive(d), e)),
            Redirection::Port(p) => p.unmount().map_err(|(p, e)| (Redirection::Port(p), e)),
        }
    }

    /// Forced: a drive flushes and closes every handle, a port submits every open job; then
    /// the mount is detached.
    pub fn force_unmount(self) -> Result<(), DriveError> {
        match self {
            Redirection::Drive(d) => d.force_unmount(),
            Redirection::Port(p) => p.force_unmount(),
        }
    }

    /// Removes the mount point once unmounted: an empty directory (drive) or the empty file
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
}
