//! `Redirection`: what a live connection shows locally: a drive (a disk share as a FUSE
//! directory) or a printer port (a print share as a write-only file, ADR 0012). The cancel
//! rules are the same for both ([`crate::drive::cancel`]): open files or jobs refuse a
//! non-forced cancel.

use std::path::Path;
use std::time::Duration;

use crate::drive::cancel::Mounted;
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
}

impl Mounted for Redirection {
    fn mountpoint(&self) -> &Path {
        Redirection::mountpoint(self)
    }

    fn open_count(&self) -> usize {
        Redirection::open_count(self)
    }

    /// A job's path is empty: the port itself.
    fn holders(&self) -> Vec<Holder> {
        match self {
            Redirection::Drive(d) => d.handles().holders(),
            Redirection::Port(p) => p.jobs().holders(),
        }
    }

    fn settle(&self, bound: Duration) -> usize {
        match self {
            Redirection::Drive(d) => d.settle(bound),
            Redirection::Port(p) => p.jobs().settle(bound),
        }
    }

    fn what_is_open(&self) -> &'static str {
        match self {
            Redirection::Drive(_) => "open file(s) or directories",
            Redirection::Port(_) => "open print job(s)",
        }
    }

    fn unmount(self) -> Result<(), (Self, DriveError)> {
        match self {
            Redirection::Drive(d) => d.unmount().map_err(|(d, e)| (Redirection::Drive(d), e)),
            Redirection::Port(p) => p.unmount().map_err(|(p, e)| (Redirection::Port(p), e)),
        }
    }

    /// Forced: a drive flushes and closes every handle, a port submits every open job; then
    /// the mount is detached.
    fn force_unmount(self) -> Result<(), DriveError> {
        match self {
            Redirection::Drive(d) => d.force_unmount(),
            Redirection::Port(p) => p.force_unmount(),
        }
    }
}
