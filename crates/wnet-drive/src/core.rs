//! The redirector filesystem, independent of FUSE: what each file-system operation does on the
//! share, with the inode table, handle table and caches. Every operation returns an
//! [`Errno`] on failure, mapped in [`super::errno`] only.
//!
//! Connection state: every request runs under one deadline ([`Core::guard`]). When a request
//! times out, or the engine reports the connection lost, the drive turns Disconnected: from
//! then on requests fail at once with `EIO` (no second wait), while a background probe asks
//! the server once a second and turns the drive Connected again when it answers.
//!
//! # Layout, one concern per file
//!
//! - `core.rs`: [`Core`], its state and construction, and the helpers every part uses.
//! - `connection.rs`: deadlines, Connected/Disconnected, the probe and the monitor, routing.
//! - `kernel.rs`: invalidations and close-to-open revalidation.
//! - `metadata.rs`: lookup, getattr, setattr, listings, statfs.
//! - `io.rs`: open, create, read, write, flush, fsync, fallocate, release.
//! - `namespace.rs`: mkdir, mknod, unlink, rmdir, rename.
//! - `locks.rs`: byte-range locks.
//! - `deferred.rs`: creates sent at `close()` in one compound.
//! - `leases.rs`: parked handles closed before the drive changes a path, opens answered
//!   from what a lease keeps, and what a break takes away (the state is [`super::lease`]'s).

mod connection;
mod deferred;
mod io;
mod kernel;
mod leases;
mod locks;
mod metadata;
mod namespace;

pub use io::ReadStart;
pub use locks::LockAsk;
pub use metadata::{SetAttr, SetTime};

use super::remote::{Capabilities, RemoteFs};
use connection::monitor;
use kernel::Inval;

use super::cache::Cache;
use super::errno::Errno;
use super::handle_table::{HandleTable, Kind, OpenFile};
use super::inode::{Fold, InodeNo, InodeTable};
use super::lease::{self, Leases};
use super::names;
use super::posix_lock::PosixLocks;
use super::watch::Watches;
use std::ffi::OsStr;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;
use tokio::runtime::Handle;

const CONNECTED: u8 = 0;
const DISCONNECTED: u8 = 1;
const DETACHED: u8 = 2;

/// The redirector filesystem of one drive.
pub struct Core {
    /// The remote file system: the provider's (an SMB share, routed through its DFS
    /// namespace if any; a WebDAV collection).
    fs: Arc<dyn RemoteFs>,
    /// What its server can do: the drive watches directories only where the server
    /// notifies, mirrors locks only where it locks ranges, ...
    pub(crate) caps: Capabilities,
    /// What the logs call the drive (its `fsname`, `//server/share`).
    name: String,
    pub(crate) rt: Handle,
    pub(crate) deadline: Duration,
    /// Mounted read-only.
    pub(crate) read_only: bool,
    /// The share grants no write access (ACCESS_DENIED means EROFS).
    pub(crate) share_ro: bool,
    pub(crate) inodes: Mutex<InodeTable>,
    pub(crate) handles: HandleTable,
    pub(crate) cache: Cache,
    pub(crate) watches: Watches,
    /// POSIX (`fcntl`) and `flock` locks, mirrored on the server.
    pub(crate) posix: PosixLocks,
    /// Files created through the drive whose create waits for `close()` (see [`deferred`]).
    creating: deferred::Creating,
    /// Server handles parked under leases, and what their opens learned (see [`lease`]).
    pub(crate) leases: Leases,
    /// Small files are kept under leases (a plain share whose drive asked for it).
    leasing: bool,
    /// Where kernel invalidations go (set once mounted); without it nothing is watched.
    kernel: OnceLock<std::sync::mpsc::Sender<Inval>>,
    /// Writes into the kernel's page cache (set once mounted, see [`Core::kernel_store`]).
    pages: OnceLock<fuser::Notifier>,
    /// SETATTRs that changed a size, so far (see [`Core::page_epoch`]).
    resized: AtomicU64,
    state: AtomicU8,
    /// Why the server refused the last attempt to log on again (an expired Kerberos ticket),
    /// with its errno: while Disconnected, requests fail with that errno rather than `EIO`,
    /// and the connection's status names it. Cleared when a reconnect succeeds.
    refusal: Mutex<Option<(Errno, String)>>,
    /// Bumped whenever notifications may have been missed (see [`Core::lose_completeness`]).
    completeness: AtomicU64,
    /// The connection is stalled (an ECHO waits): no directory becomes complete meanwhile.
    stalled: AtomicBool,
    /// Directories (by key) listed for a stat, with when and whether they were too big (see
    /// [`Core::stat_by_listing`]).
    listed_for_stat: Mutex<std::collections::HashMap<String, (std::time::Instant, bool)>>,
    pub(crate) uid: u32,
    pub(crate) gid: u32,
    me: Weak<Core>,
}

impl std::fmt::Debug for Core {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Core")
            .field("fs", &self.fs)
            .field("state", &self.state)
            .finish()
    }
}

impl Core {
    /// A core over `fs`, called `name` in logs; `deadline` bounds every request.
    pub fn new(
        fs: Arc<dyn RemoteFs>,
        name: &str,
        rt: Handle,
        deadline: Duration,
        read_only: bool,
        leasing: bool,
    ) -> Arc<Core> {
        // SAFETY: geteuid/getegid cannot fail and touch no memory.
        let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
        let caps = fs.capabilities();
        let fold = Fold::of(&caps);
        let share_ro = caps.read_only;
        let leasing = leasing && caps.caching_across_opens;
        let core = Arc::new_cyclic(|me| Core {
            fs,
            caps,
            name: name.to_owned(),
            rt,
            deadline,
            read_only,
            share_ro: share_ro || read_only,
            inodes: Mutex::new(InodeTable::folding(fold)),
            handles: HandleTable::folding(fold),
            cache: Cache::folding(fold),
            watches: Watches::folding(fold),
            posix: PosixLocks::default(),
            creating: deferred::Creating::folding(fold),
            leases: Leases::folding(fold),
            leasing,
            kernel: OnceLock::new(),
            pages: OnceLock::new(),
            resized: AtomicU64::new(0),
            state: AtomicU8::new(CONNECTED),
            refusal: Mutex::new(None),
            completeness: AtomicU64::new(0),
            stalled: AtomicBool::new(false),
            listed_for_stat: Mutex::default(),
            uid,
            gid,
            me: me.clone(),
        });
        core.rt.spawn(monitor(Arc::downgrade(&core)));
        if core.leasing {
            core.rt.spawn(lease::run(Arc::downgrade(&core)));
        }
        core
    }

    /// How the drive compares names: as its server does.
    pub(crate) fn fold(&self) -> Fold {
        Fold::of(&self.caps)
    }

    /// The remote file system under the drive.
    pub(crate) fn fs(&self) -> &dyn RemoteFs {
        &*self.fs
    }

    fn path(&self, ino: InodeNo) -> Result<String, Errno> {
        self.inodes
            .lock()
            .expect("inode lock")
            .path(ino)
            .ok_or(Errno::ENOENT)
    }

    fn child(&self, parent: InodeNo, name: &OsStr) -> Result<String, Errno> {
        let name = names::check(name, self.caps.names)?;
        Ok(names::join(&self.path(parent)?, name))
    }

    fn writable_mount(&self) -> Result<(), Errno> {
        if self.read_only {
            Err(Errno::EROFS)
        } else {
            Ok(())
        }
    }

    fn file(&self, fh: u64) -> Result<Arc<OpenFile>, Errno> {
        match self.handles.get(fh) {
            Some(Kind::File(f)) => Ok(f),
            _ => Err(Errno::EBADF),
        }
    }
}
