//! The `drive` benchmark's row groups beyond its base table (issue 15, targets 4–7), each
//! selectable with `--rows`: parallel programs, an encrypted share, a 100,000-entry
//! directory, a stat storm right after mounting, the daemon's memory, re-reading unchanged files under leases, and the base
//! workloads on a WebDAV server (issue 16).
//!
//! The wnet side of these groups is a real `wnetd` process ([`DaemonProcess`]): its resident
//! set is what the big-directory and memory rows measure, and the drive it serves is the one
//! programs use. Every timed row runs interleaved (for each round, every side once) and
//! reports medians.
//!
//! # Layout
//! - [`daemon`]: a `wnetd` child process, its client socket and its RSS.
//! - [`worker`]: the benchmark re-executed as a child program (`--worker ...`): the
//!   "processes" of the parallel rows, the holder of 10,000 open files.
//! - [`table`]: medians per row and side, printed with throughput and targets.
//! - [`cpu`]: CPU seconds of the daemon and of the server during a run.
//! - [`parallel`], [`encrypted`], [`bigdir`], [`coldstat`], [`memory`], [`reread`]: the
//!   groups.
//! - [`dav`]: the base workloads on a WebDAV server (Apache): the wnet drive, davfs2, rclone.

pub mod bigdir;
pub mod coldstat;
pub mod cpu;
pub mod daemon;
pub mod dav;
pub mod encrypted;
pub mod memory;
pub mod parallel;
pub mod reread;
pub mod table;
pub mod worker;

use std::path::{Path, PathBuf};
use std::process::Command;

use wnet_testkit::{Samba, Share};

pub use crate::peers::smbclient_cmd;
pub use daemon::DaemonProcess;

/// A group of rows `--rows` selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// The `drive` table of issue 4 (and issue 15's targets 1–3).
    Base,
    /// 4 readers, 4 writers, 8 creators at once.
    Parallel,
    /// Sequential write and read on a share that requires encryption.
    Encrypted,
    /// A 100,000-entry directory: `ls -l`, `stat` of one name, the daemon's RSS.
    Bigdir,
    /// `stat` of 2000 names, the first pass after a mount (and three passes).
    Coldstat,
    /// The daemon's RSS with 26 drives, 100 deviceless connections, 10,000 open files.
    Memory,
    /// 2000 small files read twice, unchanged: with and without leases.
    Reread,
    /// The base workloads on a WebDAV server: the wnet drive, davfs2, rclone (not in the
    /// default set: it needs root and Debian's `davfs2`).
    Dav,
}

impl Group {
    /// Every group, in the order they run.
    pub const ALL: [Group; 8] = [
        Group::Base,
        Group::Parallel,
        Group::Encrypted,
        Group::Bigdir,
        Group::Coldstat,
        Group::Memory,
        Group::Reread,
        Group::Dav,
    ];

    /// The groups run when `--rows` is not given: every SMB group.
    pub fn default_set() -> Vec<Group> {
        Group::ALL
            .into_iter()
            .filter(|&g| g != Group::Dav)
            .collect()
    }

    /// The name `--rows` takes.
    pub fn name(self) -> &'static str {
        match self {
            Group::Base => "base",
            Group::Parallel => "parallel",
            Group::Encrypted => "encrypted",
            Group::Bigdir => "bigdir",
            Group::Coldstat => "coldstat",
            Group::Memory => "memory",
            Group::Reread => "reread",
            Group::Dav => "dav",
        }
    }

    /// Parses a comma-separated `--rows` list.
    ///
    /// # Errors
    ///
    /// An unknown name (the message lists the known ones).
    pub fn parse_list(list: &str) -> Result<Vec<Group>, String> {
        list.split(',')
            .map(|n| {
                Group::ALL
                    .into_iter()
                    .find(|g| g.name() == n.trim())
                    .ok_or_else(|| {
                        let known: Vec<&str> = Group::ALL.iter().map(|g| g.name()).collect();
                        format!("unknown row group {n:?} (know {})", known.join(","))
                    })
            })
            .collect()
    }
}

/// The share that requires encryption (`smb encrypt = required`).
pub const ENC_SHARE: &str = "enc";
/// Shares of the memory rows: 26 drives and 100 deviceless connections, one share each.
pub const MEMORY_SHARES: usize = 126;

/// The shares the selected groups need besides `rw`, for the Samba builder.
pub fn shares(groups: &[Group]) -> Vec<Share> {
    let mut v = Vec::new();
    if groups.contains(&Group::Encrypted) {
        v.push(Share::new(ENC_SHARE).option("smb encrypt", "required"));
    }
    if groups.contains(&Group::Memory) {
        v.extend((0..MEMORY_SHARES).map(|i| Share::new(&memory::share_name(i))));
    }
    v
}

/// What the groups share with the base benchmark.
pub struct Ctx<'a> {
    /// The private Samba (shares `rw` and those of [`shares`]).
    pub samba: &'a Samba,
    /// Scratch space (mounts, daemons' directories, local source files).
    pub scratch: &'a Path,
    /// An `rclone mount` (default mode) of `rw`.
    pub rclone: &'a Path,
    /// A file of `size` bytes on `rw` (written before any mount), read cold by the single
    /// stream rows.
    pub big: &'a str,
    /// The same bytes locally (source of `smbclient put`).
    pub src: &'a Path,
    /// Bytes of a single stream.
    pub size: u64,
    /// Rounds (medians over them).
    pub rounds: usize,
    /// Entries of the big directory.
    pub entries: usize,
    /// `--only a,b`: the sides a group runs, where it has several (empty: all).
    pub only: &'a [String],
}

impl Ctx<'_> {
    /// The share `rw` on the server's disk.
    pub fn share(&self) -> PathBuf {
        self.samba.share_dir("rw")
    }
}

/// A new `rclone mount` (default mode) of share `rw`, named `name` in the scratch space
/// (its mount point, cache directory and log): for a group whose rounds need a mount that
/// has never seen the directories made behind its back.
///
/// # Panics
///
/// When rclone cannot mount.
pub fn fresh_rclone(ctx: &Ctx<'_>, name: &str) -> crate::peers::RcloneMount {
    crate::peers::RcloneMount::start(
        ctx.samba,
        "rw",
        &ctx.scratch.join(name),
        &ctx.scratch.join(format!("{name}-cache")),
        &ctx.scratch.join(format!("{name}.log")),
        &[],
    )
    .expect("an rclone mount")
}

/// Runs the selected groups other than [`Group::Base`] (which `drive` runs itself).
pub fn run(ctx: &Ctx<'_>, groups: &[Group]) {
    let needs_daemon = groups.iter().any(|g| {
        matches!(
            g,
            Group::Parallel | Group::Encrypted | Group::Bigdir | Group::Coldstat
        )
    });
    let mut daemon = needs_daemon.then(|| DaemonProcess::start(&ctx.scratch.join("rows-daemon")));
    for g in groups {
        let d = daemon.as_mut();
        match g {
            Group::Base => {}
            Group::Parallel => parallel::run(ctx, d.expect("the rows' daemon")),
            Group::Encrypted => encrypted::run(ctx, d.expect("the rows' daemon")),
            Group::Bigdir => bigdir::run(ctx, d.expect("the rows' daemon")),
            Group::Coldstat => coldstat::run(ctx, d.expect("the rows' daemon")),
            Group::Memory => memory::run(ctx),
            Group::Reread => reread::run(ctx),
            Group::Dav => dav::run(ctx),
        }
    }
}

/// Runs every command at once and waits for all of them.
///
/// # Panics
///
/// When one cannot start or fails.
pub fn run_all(cmds: Vec<Command>) {
    let children: Vec<_> = cmds
        .into_iter()
        .map(|mut c| {
            // The program and its last argument (the work): never the password.
            let what = format!(
                "{} {:?}",
                c.get_program().to_string_lossy(),
                c.get_args().last().unwrap_or_default()
            );
            (c.spawn().unwrap_or_else(|e| panic!("{what}: {e}")), what)
        })
        .collect();
    for (child, what) in children {
        let out = child.wait_with_output().expect("a child");
        assert!(
            out.status.success(),
            "{what} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
