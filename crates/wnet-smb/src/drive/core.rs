//! The redirector filesystem, independent of FUSE: what each file-system operation does on the
//! share, with the inode table, handle table and caches. Every operation returns an
//! [`Errno`] on failure, mapped in [`super::errno`] only.
//!
//! Connection state: every request runs under one deadline ([`Core::guard`]). When a request
//! times out, or the engine reports the connection lost, the drive turns Disconnected: from
//! then on requests fail at once with `EIO` (no second wait), while a background probe asks
//! the server once a second and turns the drive Connected again when it answers.

mod deferred;

use super::cache::{Attr, Cache, KERNEL_TTL, Known, Listed, Stamp, WATCHED_TTL, split};
use super::errno::{self, Errno};
use super::handle_table::{HandleTable, Holder, Kind, OpenDir, OpenFile, Releasing};
use super::inode::{InodeNo, InodeTable, KernelView, ServerFileId, key};
use super::lease::{self, Leases};
use super::names;
use super::posix_lock::{self, Kind as LockKind, OwnerLocks, PosixLocks, Seg};
use super::readahead::{Plan, Served};
use super::watch::{Forget, Watches};
use crate::dfs::Namespace;
use std::ffi::OsStr;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, SystemTime};
use tokio::runtime::Handle;
use wnet_smb2::msg::create::{disposition, options, share};
use wnet_smb2::msg::fscc::{
    FileBasicInformation, FileNetworkOpenInformation, FileTime, access, attr,
};
use wnet_smb2::tree::FsInfo;
use wnet_smb2::{CreateOptions, Tree};

const CONNECTED: u8 = 0;
const DISCONNECTED: u8 = 1;
const DETACHED: u8 = 2;

/// Files up to this size are read whole at a read-only open (one round trip for open, read
/// and close). One read-ahead chunk: the snapshot is served like one.
pub const SMALL_FILE: u64 = super::readahead::CHUNK;
/// How much more than the size the lookup saw the small-file open asks for.
const SMALL_SLACK: u64 = 64 << 10;

/// The first pause between a disconnected drive's attempts to reach its server again
/// (doubling up to [`PROBE_MAX`]); the first attempt is made at once.
const PROBE_FIRST: Duration = Duration::from_millis(100);
/// The longest pause between two attempts.
const PROBE_MAX: Duration = Duration::from_secs(1);
/// How long an attempt waits for the current connection's ECHO before it makes a new one:
/// generous, since a connection that is alive but busy must not be dropped (every durable
/// handle would have to be reclaimed); paid once per disconnection (a dead one is not asked).
const PROBE_ECHO: Duration = Duration::from_secs(5);
/// How long one attempt's TCP connect may take. Short, so that a network that comes back is
/// found within about this plus [`PROBE_MAX`] (a long connect would wait on the kernel's SYN
/// retransmissions, 1 s, 3 s, 7 s, ... apart).
const PROBE_CONNECT: Duration = Duration::from_secs(2);
/// How often the drive checks its connection (dead while idle; stalled under watches).
const MONITOR_TICK: Duration = Duration::from_secs(1);
/// An ECHO unanswered this long means the connection is stalled: notifications may be
/// held up, so watched directories stop being complete until it answers.
const STALL: Duration = Duration::from_secs(1);

/// How long an open waits for the kernel to drop a stale inode ([`Core::revalidate_at_open`]).
const INVAL_WAIT: Duration = Duration::from_secs(2);

/// One invalidation for the kernel; `done` is told once it was written.
struct Inval {
    forget: Forget,
    done: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Inval {
    fn later(forget: Forget) -> Self {
        Inval { forget, done: None }
    }
}

fn kernel_view(a: &Attr) -> KernelView {
    KernelView {
        size: a.size,
        mtime: a.mtime,
        ctime: a.ctime,
    }
}

/// How long a rename, unlink or rmdir waits for the server handles of files just closed at
/// its paths to be closed (see [`HandleTable::released`]); only a descriptor still open
/// (a `dup` closed, its twin idle) makes it wait that long.
const RELEASE_WAIT: Duration = Duration::from_secs(2);

/// How often a waiting lock (SETLKW) is tried again.
const LOCK_RETRY: Duration = Duration::from_millis(50);

/// How a read continues after [`Core::read_start`].
pub enum ReadStart {
    /// Answered already.
    Ready(Served),
    /// Wait for read-ahead chunks in flight.
    Wait(Arc<OpenFile>, Plan),
    /// Do it all on the runtime ([`Core::read`]).
    Slow,
}

/// A time change asked by setattr.
#[derive(Debug, Clone, Copy)]
pub enum SetTime {
    /// This time.
    At(SystemTime),
    /// The current time.
    Now,
}

/// What setattr asks to change.
#[derive(Debug, Clone, Copy, Default)]
pub struct SetAttr {
    /// New size.
    pub size: Option<u64>,
    /// New access time.
    pub atime: Option<SetTime>,
    /// New modification time.
    pub mtime: Option<SetTime>,
    /// New mode (only the write bits mean anything: the read-only attribute).
    pub mode: Option<u32>,
    /// New owner (only "unchanged" is possible).
    pub uid: Option<u32>,
    /// New group (only "unchanged" is possible).
    pub gid: Option<u32>,
}

/// The redirector filesystem of one drive.
pub struct Core {
    /// The share mounted (for a DFS drive: the share its DFS path starts on).
    tree: Tree,
    /// Where a DFS drive's paths live now; `None` for a plain share.
    pub(crate) dfs: Option<Arc<Namespace>>,
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
    state: AtomicU8,
    /// Why the server refused the last attempt to log on again (an expired Kerberos ticket),
    /// with its errno: while Disconnected, requests fail with that errno rather than `EIO`,
    /// and the connection's status names it. Cleared when a reconnect succeeds.
    refusal: Mutex<Option<(Errno, String)>>,
    /// Bumped whenever notifications may have been missed (see [`Core::lose_completeness`]).
    completeness: AtomicU64,
    /// The connection is stalled (an ECHO waits): no directory becomes complete meanwhile.
    stalled: AtomicBool,
    pub(crate) uid: u32,
    pub(crate) gid: u32,
    me: Weak<Core>,
}

impl std::fmt::Debug for Core {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Core")
            .field("tree", &self.tree)
            .field("state", &self.state)
            .finish()
    }
}

fn attr_from_info(i: &FileNetworkOpenInformation) -> Attr {
    Attr {
        size: i.end_of_file,
        allocated: i.allocation_size,
        atime: i.last_access_time.to_system_time(),
        mtime: i.last_write_time.to_system_time(),
        ctime: i.change_time.to_system_time(),
        crtime: i.creation_time.to_system_time(),
        is_dir: i.attributes & attr::DIRECTORY != 0,
        attributes: i.attributes,
        id: ServerFileId::UNKNOWN,
    }
}

/// A listed entry as the cache keeps it.
pub(crate) fn listed(e: &wnet_smb2::msg::fscc::DirEntry) -> Listed {
    Listed {
        name: e.name.clone(),
        attr: Attr {
            size: e.end_of_file,
            allocated: e.allocation_size,
            atime: e.last_access_time.to_system_time(),
            mtime: e.last_write_time.to_system_time(),
            ctime: e.change_time.to_system_time(),
            crtime: e.creation_time.to_system_time(),
            is_dir: e.is_directory(),
            attributes: e.attributes,
            id: ServerFileId(e.file_id),
        },
    }
}

fn attr_from_open(f: &wnet_smb2::File) -> Attr {
    let o = f.open_info();
    Attr {
        size: o.end_of_file,
        allocated: o.allocation_size,
        atime: o.last_access_time.to_system_time(),
        mtime: o.last_write_time.to_system_time(),
        ctime: o.change_time.to_system_time(),
        crtime: o.creation_time.to_system_time(),
        is_dir: o.file_attributes & attr::DIRECTORY != 0,
        attributes: o.file_attributes,
        id: ServerFileId(f.server_file_id()),
    }
}

impl Core {
    /// A core over `tree`; `deadline` bounds every request.
    pub fn new(
        tree: Tree,
        dfs: Option<Arc<Namespace>>,
        rt: Handle,
        deadline: Duration,
        read_only: bool,
        leasing: bool,
    ) -> Arc<Core> {
        let writable = access::WRITE_DATA
            | access::APPEND_DATA
            | access::GENERIC_WRITE
            | access::GENERIC_ALL
            | access::MAXIMUM_ALLOWED;
        let share_ro = tree.maximal_access() & writable == 0;
        let leasing = leasing && dfs.is_none();
        // SAFETY: geteuid/getegid cannot fail and touch no memory.
        let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
        let core = Arc::new_cyclic(|me| Core {
            tree,
            dfs,
            rt,
            deadline,
            read_only,
            share_ro: share_ro || read_only,
            inodes: Mutex::new(InodeTable::new()),
            handles: HandleTable::default(),
            cache: Cache::default(),
            watches: Watches::default(),
            posix: PosixLocks::default(),
            creating: deferred::Creating::default(),
            leases: Leases::default(),
            leasing,
            kernel: OnceLock::new(),
            state: AtomicU8::new(CONNECTED),
            refusal: Mutex::new(None),
            completeness: AtomicU64::new(0),
            stalled: AtomicBool::new(false),
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

    /// A lease of `path` ended (broken by the server): what was cached under it is gone
    /// from the caches and the kernel; the name is asked of the server again.
    pub(crate) fn lease_lost(&self, path: &str) {
        self.cache.own_done(path, None);
        self.kernel_forget_attrs(path);
    }

    /// Closes the handles parked at `path` or below (before this drive changes it: the
    /// server would break our own lease, and keeps a deleted file while a handle is open).
    async fn unpark_under(&self, path: &str) {
        let held = self.leases.take_under(path);
        if !held.is_empty() {
            lease::close(held, self.deadline).await;
        }
    }

    /// Closes the handle parked on `ino`, if any.
    async fn unpark(&self, ino: InodeNo) {
        if let Some(h) = self.leases.take_ino(ino) {
            lease::close(vec![h], self.deadline).await;
        }
    }

    /// Hands the core the kernel's invalidation channel (once mounted): from then on busy
    /// directories are watched and their entries may stay in the kernel for [`WATCHED_TTL`].
    /// Invalidations are written by a thread of their own: one may wait for a directory lock
    /// that a FUSE request holds, and requests are answered elsewhere, so it never deadlocks.
    pub fn attach_kernel(&self, notifier: fuser::Notifier) {
        let (tx, rx) = std::sync::mpsc::channel::<Inval>();
        let spawned = std::thread::Builder::new()
            .name("wnet-inval".into())
            .spawn(move || {
                for Inval { forget, done } in rx {
                    // ENOENT (nothing cached) is not an error; after unmount every write
                    // fails, and the channel closes with the core.
                    let _ = match forget {
                        Forget::Entry { parent, name } => {
                            notifier.inval_entry(fuser::INodeNo(parent.0), OsStr::new(&name))
                        }
                        Forget::Inode(i) => notifier.inval_inode(fuser::INodeNo(i.0), 0, 0),
                    };
                    if let Some(done) = done {
                        let _ = done.send(());
                    }
                }
            });
        match spawned {
            Ok(_) => {
                let _ = self.kernel.set(tx);
            }
            Err(e) => {
                tracing::warn!(error = %e, "no invalidation thread; directories are not watched")
            }
        }
    }

    /// Whether kernel invalidations can be sent.
    pub fn kernel_attached(&self) -> bool {
        self.kernel.get().is_some()
    }

    /// Makes the kernel forget `names` of `dir`: always the child inode's attributes, and
    /// the name entry itself when `true`.
    pub(crate) fn kernel_forget(&self, dir: &str, names: impl IntoIterator<Item = (String, bool)>) {
        let Some(tx) = self.kernel.get() else { return };
        let inodes = self.inodes.lock().expect("inode lock");
        let parent = inodes.peek(dir);
        for (name, entry) in names {
            if let Some(i) = inodes.peek(&names::join(dir, &name)) {
                let _ = tx.send(Inval::later(Forget::Inode(i)));
            }
            if let (true, Some(p)) = (entry, parent) {
                let _ = tx.send(Inval::later(Forget::Entry { parent: p, name }));
            }
        }
    }

    /// Makes the kernel forget the attributes of `path` (and its pages), without waiting.
    fn kernel_forget_attrs(&self, path: &str) {
        let Some(tx) = self.kernel.get() else { return };
        if let Some(i) = self.inodes.lock().expect("inode lock").peek(path) {
            let _ = tx.send(Inval::later(Forget::Inode(i)));
        }
    }

    /// Makes the kernel forget the attributes and pages of `ino`, and waits until it has
    /// (bounded by [`INVAL_WAIT`]: the invalidation thread may be held up by a directory lock).
    async fn kernel_forget_inode_now(&self, ino: InodeNo) {
        let Some(tx) = self.kernel.get() else { return };
        let (done, wait) = tokio::sync::oneshot::channel();
        let inval = Inval {
            forget: Forget::Inode(ino),
            done: Some(done),
        };
        if tx.send(inval).is_ok() && tokio::time::timeout(INVAL_WAIT, wait).await.is_err() {
            tracing::warn!(?ino, "the kernel's invalidation is late; the open goes on");
        }
    }

    /// Remembers the attributes the kernel is being answered for `ino` (see
    /// [`Core::revalidate_at_open`]).
    pub fn told(&self, ino: InodeNo, a: &Attr) {
        self.inodes
            .lock()
            .expect("inode lock")
            .told(ino, kernel_view(a));
    }

    /// Close-to-open consistency (NFS's rule, and what the Windows redirector does with the
    /// CREATE response): `a` is what the server answered at the open of `ino` at `path`,
    /// asked under `stamp`. It replaces what the caches knew (a listing already on its way
    /// can no longer put older attributes back), and when its size or times differ from what
    /// the kernel was last told, the kernel forgets the inode's attributes and pages before
    /// the open is answered: the first read then asks for the size again and sees the whole
    /// file as the server has it now, not a size learned mid-write.
    async fn revalidate_at_open(&self, ino: InodeNo, path: &str, a: Attr, stamp: Stamp) {
        self.cache.put_server(path, Known::Present(a), stamp);
        let told = self.inodes.lock().expect("inode lock").kernel_view(ino);
        if told.is_some_and(|t| t != kernel_view(&a)) {
            self.kernel_forget_inode_now(ino).await;
        }
    }

    /// How long the kernel may keep `a`, answered for a name of `dir` from what a complete
    /// watched directory knows. Directories' own attributes (their times change with their
    /// contents, which their parent's watch does not report) stay short.
    fn ttl(&self, a: &Attr) -> Duration {
        if a.is_dir || !self.kernel_attached() {
            KERNEL_TTL
        } else {
            WATCHED_TTL
        }
    }

    fn watch(&self, dir: &str) {
        if let Some(me) = self.me.upgrade() {
            self.watches.ensure(&me, dir);
        }
    }

    /// Whether requests are being served (not Disconnected, not detached).
    pub fn is_connected(&self) -> bool {
        self.state.load(Ordering::Acquire) == CONNECTED
    }

    /// The drive was detached (forced unmount): every later request fails with `EIO`.
    pub fn detach(&self) {
        self.state.store(DETACHED, Ordering::Release);
    }

    /// Why the server refused to log the drive on again (e.g. `Kerberos: ... Ticket expired`),
    /// while it does.
    pub fn refusal(&self) -> Option<String> {
        self.refusal
            .lock()
            .expect("refusal lock")
            .as_ref()
            .map(|(_, why)| why.clone())
    }

    /// Records the outcome of an attempt to log on again: a Kerberos refusal (no valid ticket
    /// in the caller's cache) is kept as the reason the drive is down; anything else clears it.
    fn note_logon(&self, r: &wnet_smb2::Result<()>) {
        let refusal = match r {
            Err(e @ wnet_smb2::Error::Kerberos(_)) => {
                Some((errno::from_smb(e, self.share_ro), e.to_string()))
            }
            _ => None,
        };
        *self.refusal.lock().expect("refusal lock") = refusal;
    }

    /// The tree the drive's root lives on now: the mounted share, or for a DFS drive the
    /// target its root leads to (its session is the one watched for liveness).
    pub(crate) fn tree(&self) -> Tree {
        self.dfs
            .as_ref()
            .and_then(|ns| ns.home_tree())
            .unwrap_or_else(|| self.tree.clone())
    }

    /// Runs `op` on the share and path where the drive's `path` lives: the mounted share, or
    /// for a DFS drive wherever its namespace leads now (links followed, targets failed over;
    /// see [`crate::dfs`]).
    pub(crate) async fn on<T, F, Fut>(&self, path: &str, op: F) -> wnet_smb2::Result<T>
    where
        F: Fn(Tree, String) -> Fut,
        Fut: Future<Output = wnet_smb2::Result<T>>,
    {
        let Some(ns) = &self.dfs else {
            return op(self.tree.clone(), path.to_owned()).await;
        };
        let r = ns.run(path, op).await;
        if ns.take_changed() {
            // Another server now: nothing known of the old one's directories holds.
            self.lose_completeness();
        }
        r
    }

    /// Runs one request under the deadline. Disconnected or detached: `EIO` at once (or the
    /// errno of the server's refusal to log on again, e.g. `EKEYEXPIRED`).
    /// Timeout: the drive turns Disconnected and the request fails with `ETIMEDOUT`.
    pub async fn guard<T>(&self, fut: impl Future<Output = Result<T, Errno>>) -> Result<T, Errno> {
        self.guard_for(self.deadline, fut).await
    }

    /// [`Core::guard`] for an OPENDIR, whose listing may take longer than one request's
    /// deadline and still be making progress: the engine bounds each page of it by the
    /// metadata deadline and the whole by [`wnet_smb2::file::MAX_LISTING_TIME`]. Measured:
    /// `ls -l` of 100,000 cold entries on a loaded machine took more than 10 s, which the
    /// request deadline turned into ETIMEDOUT and a Disconnected drive.
    pub async fn guard_listing<T>(
        &self,
        fut: impl Future<Output = Result<T, Errno>>,
    ) -> Result<T, Errno> {
        self.guard_for(wnet_smb2::file::MAX_LISTING_TIME, fut).await
    }

    async fn guard_for<T>(
        &self,
        deadline: Duration,
        fut: impl Future<Output = Result<T, Errno>>,
    ) -> Result<T, Errno> {
        match self.state.load(Ordering::Acquire) {
            CONNECTED => {}
            DISCONNECTED => {
                let refusal = self.refusal.lock().expect("refusal lock");
                return Err(refusal.as_ref().map_or(Errno::EIO, |(n, _)| *n));
            }
            _ => return Err(Errno::EIO),
        }
        match tokio::time::timeout(deadline, fut).await {
            Ok(r) => r,
            Err(_) => {
                tracing::warn!(
                    ?deadline,
                    share = self.tree().share(),
                    "request timed out; drive disconnected"
                );
                self.mark_disconnected();
                Err(Errno::ETIMEDOUT)
            }
        }
    }

    /// Maps an engine result; a lost connection turns the drive Disconnected, and so does a
    /// reconnect the server (or the KDC) refused for want of a valid Kerberos ticket: later
    /// requests fail at once with its errno while the background probe waits for `kinit`.
    fn smb<T>(&self, r: wnet_smb2::Result<T>) -> Result<T, Errno> {
        r.map_err(|e| {
            if matches!(e, wnet_smb2::Error::Kerberos(_)) {
                tracing::warn!(error = %e, share = self.tree().share(), "logon refused; drive disconnected");
                self.note_logon(&Err(e.clone()));
                self.mark_disconnected();
            } else if errno::is_connection_loss(&e) {
                tracing::warn!(error = %e, share = self.tree().share(), "connection lost; drive disconnected");
                self.mark_disconnected();
            }
            errno::from_smb(&e, self.share_ro)
        })
    }

    fn mark_disconnected(&self) {
        if self
            .state
            .compare_exchange(CONNECTED, DISCONNECTED, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return;
        }
        self.lose_completeness();
        let me = self.me.clone();
        self.rt.spawn(async move {
            // A fresh connection at once, then again with backoff: never the dead one again
            // (its TCP retransmissions back off for seconds after the network is back).
            let mut pause = Duration::ZERO;
            loop {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).clamp(PROBE_FIRST, PROBE_MAX);
                let Some(core) = me.upgrade() else { return };
                if core.state.load(Ordering::Acquire) != DISCONNECTED {
                    return;
                }
                // A DFS drive's probe below resolves again and fails over by itself; reviving
                // the session of a target that is gone would only wait for it.
                if core.dfs.is_none() && !core.revive().await {
                    continue;
                }
                let probe = tokio::time::timeout(
                    core.deadline,
                    core.on("", |t, p| async move { t.stat(&p).await }),
                )
                .await;
                if let Ok(Ok(_)) = probe {
                    core.note_logon(&Ok(()));
                    tracing::info!(
                        share = core.tree().share(),
                        "server answers again; drive connected"
                    );
                    let _ = core.state.compare_exchange(
                        DISCONNECTED,
                        CONNECTED,
                        Ordering::AcqRel,
                        Ordering::Acquire,
                    );
                    return;
                }
            }
        });
    }

    /// Whether the session has a connection that answers now: the current one if it answers
    /// an ECHO within [`PROBE_ECHO`], else a fresh one (one attempt).
    async fn revive(&self) -> bool {
        let tree = self.tree();
        let session = tree.session();
        let generation = session.generation();
        if !session.connection().is_dead()
            && matches!(
                tokio::time::timeout(PROBE_ECHO, session.echo()).await,
                Ok(Ok(_))
            )
        {
            return true;
        }
        let fresh = session.reconnect_once(generation, PROBE_CONNECT);
        match tokio::time::timeout(self.deadline, fresh).await {
            Ok(r) => {
                self.note_logon(&r);
                r.is_ok()
            }
            Err(_) => false,
        }
    }

    /// Notifications may have been missed (the connection was lost or is stalled): no
    /// watched directory stays complete, and the kernel forgets what it was told under the
    /// watches, so no negative answer or listing of before outlives the gap.
    fn lose_completeness(&self) {
        self.completeness.fetch_add(1, Ordering::AcqRel);
        // Breaks may have been missed too: no lease is trusted across the gap.
        let held = self.leases.take_all();
        if !held.is_empty() {
            self.rt.spawn(lease::close(held, self.deadline));
        }
        for (dir, names) in self.cache.lose_completeness() {
            self.kernel_forget(&dir, names.into_iter().map(|n| (n, true)));
        }
    }

    /// The completeness epoch while a listing may make a directory complete (connected, not
    /// stalled); a listing is applied only if the epoch is the same after it was taken.
    pub(crate) fn completeness_epoch(&self) -> Option<u64> {
        (self.is_connected() && !self.stalled.load(Ordering::Acquire))
            .then(|| self.completeness.load(Ordering::Acquire))
    }

    fn path(&self, ino: InodeNo) -> Result<String, Errno> {
        self.inodes
            .lock()
            .expect("inode lock")
            .path(ino)
            .ok_or(Errno::ENOENT)
    }

    fn child(&self, parent: InodeNo, name: &OsStr) -> Result<String, Errno> {
        let name = names::check(name)?;
        Ok(names::join(&self.path(parent)?, name))
    }

    fn writable_mount(&self) -> Result<(), Errno> {
        if self.read_only {
            Err(Errno::EROFS)
        } else {
            Ok(())
        }
    }

    /// Attributes of `path` from the caches, with how long the kernel may keep them; `Err`
    /// when a complete watched directory knows the name does not exist; `Ok(None)`: ask the
    /// server.
    fn stat_cached(&self, path: &str) -> Result<Option<(Attr, Duration)>, Errno> {
        if let Some(a) = self.creating_attr(path) {
            return Ok(Some((a, KERNEL_TTL)));
        }
        if let Some(hit) = self.leases.attr(path) {
            return Ok(Some(hit));
        }
        if !path.is_empty() {
            match self.cache.known(path) {
                Some(Known::Present(a)) if !a.is_dir => return Ok(Some((a, self.ttl(&a)))),
                Some(Known::Absent) => return Err(Errno::ENOENT),
                _ => {}
            }
        }
        Ok(self.cache.attr(path).map(|a| (a, KERNEL_TTL)))
    }

    /// Attributes of `path` (caches, else one compound round trip), with how long the
    /// kernel may keep them.
    async fn stat(&self, path: &str) -> Result<(Attr, Duration), Errno> {
        if let Some(hit) = self.stat_cached(path)? {
            return Ok(hit);
        }
        let stamp = self.cache.stamp(path);
        match self
            .on(path, |t, p| async move { t.stat_with_id(&p).await })
            .await
        {
            Ok((info, id)) => {
                let a = Attr {
                    id: ServerFileId(id),
                    ..attr_from_info(&info)
                };
                let kept = self.cache.put_server(path, Known::Present(a), stamp);
                Ok((a, if kept { self.ttl(&a) } else { KERNEL_TTL }))
            }
            Err(e) => {
                let e = self.smb::<()>(Err(e)).unwrap_err();
                if e == Errno::ENOENT && !path.is_empty() {
                    self.cache.put_server(path, Known::Absent, stamp);
                }
                Err(e)
            }
        }
    }

    /// `a` with sizes our open handles on `ino` have written but the server may not have
    /// yet; such a file's attributes stay short in the kernel.
    fn with_open_writes(
        &self,
        ino: InodeNo,
        (mut a, mut ttl): (Attr, Duration),
    ) -> (Attr, Duration) {
        for f in self.handles.files_of(ino) {
            a.size = a.size.max(f.writes.high_water());
            if f.writable {
                ttl = KERNEL_TTL;
            }
        }
        (a, ttl)
    }

    /// Attributes of `ino` at `path` (see [`Core::with_open_writes`]).
    async fn attr_of(&self, ino: InodeNo, path: &str) -> Result<(Attr, Duration), Errno> {
        let hit = self.stat(path).await?;
        Ok(self.with_open_writes(ino, hit))
    }

    /// LOOKUP: counts a kernel lookup on success. The parent is watched from now on.
    pub async fn lookup(
        &self,
        parent: InodeNo,
        name: &OsStr,
    ) -> Result<(InodeNo, Attr, Duration), Errno> {
        let path = self.child(parent, name)?;
        let dir = self.path(parent)?;
        self.watch(&dir);
        let hit = self.stat(&path).await?;
        let ino = self
            .inodes
            .lock()
            .expect("inode lock")
            .lookup(&path, hit.0.id);
        let (a, ttl) = self.with_open_writes(ino, hit);
        Ok((ino, a, ttl))
    }

    /// LOOKUP answered from the caches without waiting (on the FUSE thread); `None`: ask
    /// [`Core::lookup`].
    pub fn lookup_cached(
        &self,
        parent: InodeNo,
        name: &OsStr,
    ) -> Option<Result<(InodeNo, Attr, Duration), Errno>> {
        if !self.is_connected() {
            return None;
        }
        let path = match self.child(parent, name) {
            Ok(p) => p,
            Err(e) => return Some(Err(e)),
        };
        let hit = match self.stat_cached(&path) {
            Ok(Some(hit)) => hit,
            Ok(None) => return None,
            Err(e) => return Some(Err(e)),
        };
        let ino = self
            .inodes
            .lock()
            .expect("inode lock")
            .lookup(&path, hit.0.id);
        let (a, ttl) = self.with_open_writes(ino, hit);
        Some(Ok((ino, a, ttl)))
    }

    /// GETATTR answered from the caches without waiting; `None`: ask [`Core::getattr`].
    pub fn getattr_cached(&self, ino: InodeNo) -> Option<(Attr, Duration)> {
        if !self.is_connected() {
            return None;
        }
        let path = self.path(ino).ok()?;
        let hit = self.stat_cached(&path).ok()??;
        Some(self.with_open_writes(ino, hit))
    }

    /// Counts a kernel lookup of `dir/name` that came with a listing (readdirplus).
    pub fn lookup_listed(&self, dir: &str, name: &str, id: ServerFileId) -> InodeNo {
        self.inodes
            .lock()
            .expect("inode lock")
            .lookup(&names::join(dir, name), id)
    }

    /// The number of `dir/name` if it has one (looked up now, or before and forgotten by the
    /// kernel), without counting a lookup (plain readdir's `d_ino`).
    pub fn peek(&self, dir: &str, name: &str) -> Option<InodeNo> {
        self.inodes
            .lock()
            .expect("inode lock")
            .number(&names::join(dir, name))
    }

    /// FORGET.
    pub fn forget(&self, ino: InodeNo, n: u64) {
        self.inodes.lock().expect("inode lock").forget(ino, n);
    }

    /// GETATTR, with how long the kernel may keep the answer. A file whose name is gone
    /// (unlinked or replaced while open: `fstat` of a temporary file) is asked through the
    /// open handle `fh` the kernel names, else through any handle open on it.
    pub async fn getattr(&self, ino: InodeNo, fh: Option<u64>) -> Result<(Attr, Duration), Errno> {
        match self.path(ino) {
            Ok(path) => self.attr_of(ino, &path).await,
            Err(e) => {
                let fh = fh.or_else(|| self.handles.any_of(ino)).ok_or(e)?;
                self.attr_by_handle(ino, fh).await
            }
        }
    }

    /// Attributes of `ino` asked of the server through its open handle `fh` (the file's
    /// identity, not a name); never cached.
    async fn attr_by_handle(&self, ino: InodeNo, fh: u64) -> Result<(Attr, Duration), Errno> {
        let f = self.file(fh)?;
        self.server_handle(fh, &f).await?;
        let info = {
            let g = f.file.read().await;
            let file = g.as_ref().ok_or(Errno::EBADF)?;
            self.smb(file.query_info().await)?
        };
        Ok(self.with_open_writes(ino, (attr_from_info(&info), KERNEL_TTL)))
    }

    /// Flushes the buffered writes of every handle on `ino` (before changing size or times,
    /// which a later write would otherwise undo).
    async fn flush_inode(&self, ino: InodeNo, path: Option<&str>) -> Result<(), Errno> {
        for f in self.handles.files_of(ino) {
            if let (Some(path), false) = (path, f.writes.is_empty()) {
                self.ensure_handle(&f, path).await?;
            }
            let r = f.writes.flush().await;
            self.smb(r)?;
        }
        Ok(())
    }

    /// SETATTR: size, times, the read-only attribute.
    pub async fn setattr(
        &self,
        ino: InodeNo,
        fh: Option<u64>,
        s: SetAttr,
    ) -> Result<(Attr, Duration), Errno> {
        // A file whose name is gone (unlinked while open: `ftruncate` of a temporary file)
        // is changed through the open handle the kernel names, and is in no cache.
        let (path, fh) = match self.path(ino) {
            Ok(path) => (Some(path), fh),
            Err(e) => (
                None,
                Some(fh.or_else(|| self.handles.any_of(ino)).ok_or(e)?),
            ),
        };
        if s.uid.is_some_and(|u| u != self.uid) || s.gid.is_some_and(|g| g != self.gid) {
            return Err(Errno::EPERM);
        }
        let changes =
            s.size.is_some() || s.atime.is_some() || s.mtime.is_some() || s.mode.is_some();
        if !changes {
            return self.getattr(ino, fh).await;
        }
        self.writable_mount()?;
        if let Some(path) = &path {
            self.send_creates_under(path).await?;
        }
        self.unpark(ino).await;
        self.flush_inode(ino, path.as_deref()).await?;
        let own = fh.and_then(|fh| match self.handles.get(fh) {
            Some(Kind::File(f)) if f.writable => Some(f),
            _ => None,
        });
        if path.is_none() && own.is_none() {
            return Err(Errno::ENOENT);
        }
        if let Some(path) = &path {
            self.cache.own_start(path);
        }
        let mut basic = FileBasicInformation::default();
        let ft = |t: SetTime| {
            FileTime::from_system_time(match t {
                SetTime::At(t) => t,
                SetTime::Now => SystemTime::now(),
            })
        };
        if let Some(t) = s.atime {
            basic.last_access_time = ft(t);
        }
        if let Some(t) = s.mtime {
            basic.last_write_time = ft(t);
        }
        if let Some(mode) = s.mode {
            let attributes = match &path {
                Some(path) => {
                    let r = self.on(path, |t, p| async move { t.stat(&p).await });
                    self.smb(r.await)?.attributes
                }
                None => {
                    let fh = fh.ok_or(Errno::EBADF)?;
                    self.attr_by_handle(ino, fh).await?.0.attributes
                }
            };
            let mut bits = attributes & !attr::READONLY;
            if mode & 0o222 == 0 {
                bits |= attr::READONLY;
            }
            basic.attributes = if bits == 0 { attr::NORMAL } else { bits };
        }
        let set_basic = s.atime.is_some() || s.mtime.is_some() || s.mode.is_some();
        match &own {
            Some(f) => {
                self.server_handle(fh.ok_or(Errno::EBADF)?, f).await?;
                let g = f.file.read().await;
                let file = g.as_ref().ok_or(Errno::EBADF)?;
                if let Some(len) = s.size {
                    self.smb(file.set_len(len).await)?;
                }
                if set_basic {
                    self.smb(file.set_basic(&basic).await)?;
                }
            }
            None => {
                let path = path.as_deref().ok_or(Errno::ENOENT)?;
                let mut acc = access::READ_ATTRIBUTES | access::SYNCHRONIZE;
                if s.size.is_some() {
                    acc |= access::WRITE_DATA;
                }
                if set_basic {
                    acc |= access::WRITE_ATTRIBUTES;
                }
                let opts = CreateOptions {
                    access: acc,
                    disposition: disposition::OPEN,
                    options: 0,
                    share_access: share::ALL,
                    attributes: 0,
                    durable: false,
                    lease: None,
                    lease_key: None,
                };
                let opts = &opts;
                let file = self.smb(
                    self.on(path, |t, p| async move { t.create(&p, opts).await })
                        .await,
                )?;
                let mut r = Ok(());
                if let Some(len) = s.size {
                    r = file.set_len(len).await;
                }
                if r.is_ok() && set_basic {
                    r = file.set_basic(&basic).await;
                }
                let closed = file.close().await.map(|_| ());
                self.smb(r.and(closed))?;
            }
        }
        if let Some(len) = s.size {
            for f in self.handles.files_of(ino) {
                f.writes.set_high_water(len);
                f.reads.invalidate();
            }
        }
        match path {
            Some(path) => {
                self.cache.own_done(&path, None);
                self.attr_of(ino, &path).await
            }
            None => self.getattr(ino, fh).await,
        }
    }

    /// OPENDIR: takes the listing (from the cache if fresh) and registers the handle.
    pub async fn opendir(&self, ino: InodeNo, pid: u32) -> Result<u64, Errno> {
        let path = self.path(ino)?;
        self.watch(&path);
        let cached = self
            .cache
            .watched_listing(&path)
            .or_else(|| self.cache.dir(&path));
        let entries = match cached {
            Some(l) => l,
            None => {
                let list =
                    self.smb(self.on(&path, |t, p| async move { t.list(&p).await }).await)?;
                let l: Arc<Vec<Listed>> = Arc::new(list.iter().map(listed).collect());
                self.cache.put_dir(&path, l.clone());
                l
            }
        };
        let entries = self.with_creating(&path, entries);
        let holder = Holder {
            pid,
            path: path.clone(),
            is_dir: true,
        };
        Ok(self
            .handles
            .insert(holder, ino, Kind::Dir(Arc::new(OpenDir { entries }))))
    }

    /// The listing of an open directory and the directory's path.
    pub fn dir_entries(&self, ino: InodeNo, fh: u64) -> Result<(String, Arc<Vec<Listed>>), Errno> {
        match self.handles.get(fh) {
            Some(Kind::Dir(d)) => Ok((self.path(ino)?, d.entries.clone())),
            _ => Err(Errno::EBADF),
        }
    }

    /// The listing was read to its end: the directory is probably about to be closed.
    pub fn dir_done(&self, fh: u64) {
        self.handles.mark_closing(fh);
    }

    /// RELEASEDIR.
    pub fn releasedir(&self, fh: u64) {
        self.handles.remove(fh);
    }

    /// OPEN. A read-only open of a file known to be small reads it whole in the same round
    /// trip (see [`Core::open_small`]), or not at all while a lease keeps what an earlier
    /// open read. Returns the handle, and whether the kernel may keep the pages it has of
    /// the file (`FOPEN_KEEP_CACHE`: only when answered under a lease it read them under).
    pub async fn open(&self, ino: InodeNo, flags: i32, pid: u32) -> Result<(u64, bool), Errno> {
        let path = self.path(ino)?;
        self.send_creates_under(&path).await?;
        let writable = flags & libc::O_ACCMODE != libc::O_RDONLY;
        if writable {
            self.writable_mount()?;
            self.unpark(ino).await;
        } else if let Some((data, kept)) = self.open_small(ino, &path).await? {
            let holder = Holder {
                pid,
                path,
                is_dir: false,
            };
            let of = OpenFile::from_snapshot(data, &self.rt);
            let fh = self.handles.insert(holder, ino, Kind::File(Arc::new(of)));
            return Ok((fh, kept));
        }
        let acc = match flags & libc::O_ACCMODE {
            libc::O_RDONLY => access::GENERIC_READ,
            libc::O_WRONLY => access::GENERIC_WRITE | access::READ_ATTRIBUTES,
            _ => access::GENERIC_READ | access::GENERIC_WRITE,
        };
        let opts = CreateOptions {
            access: acc,
            disposition: disposition::OPEN,
            options: options::NON_DIRECTORY_FILE,
            share_access: share::ALL,
            attributes: 0,
            // Every handle asks to be durable: where the server grants it, the engine reclaims
            // it after a dropped connection, so no acknowledged write is lost and a read in
            // progress goes on; a read-only handle the server did not make durable is opened
            // again by path if the file is unchanged (see `wnet_smb2::File`).
            durable: true,
            lease: None,
            lease_key: None,
        };
        let stamp = self.cache.stamp(&path);
        let opts = &opts;
        let file = self.smb(
            self.on(&path, |t, p| async move { t.create(&p, opts).await })
                .await,
        )?;
        self.revalidate_at_open(ino, &path, attr_from_open(&file), stamp)
            .await;
        let of = OpenFile::new(file, writable, &self.rt);
        if !writable && of.size_at_open > 0 {
            of.reads.prefetch_head();
        }
        let holder = Holder {
            pid,
            path,
            is_dir: false,
        };
        Ok((
            self.handles.insert(holder, ino, Kind::File(Arc::new(of))),
            false,
        ))
    }

    /// OPEN answered on the FUSE thread without waiting: a read-only open of a file whose
    /// lease keeps what an earlier open read ([`lease`]); `None`: ask [`Core::open`].
    pub fn open_cached(&self, ino: InodeNo, flags: i32, pid: u32) -> Option<u64> {
        if flags & (libc::O_ACCMODE | libc::O_TRUNC) != libc::O_RDONLY || !self.is_connected() {
            return None;
        }
        let path = self.path(ino).ok()?;
        if self.creating_attr(&path).is_some() {
            return None;
        }
        let data = self.leased_snapshot(ino)?;
        let holder = Holder {
            pid,
            path,
            is_dir: false,
        };
        let of = OpenFile::from_snapshot(data, &self.rt);
        Some(self.handles.insert(holder, ino, Kind::File(Arc::new(of))))
    }

    /// What the lease of `ino` keeps, unless a writable handle of ours is open on it (its
    /// buffered bytes are in no snapshot).
    fn leased_snapshot(&self, ino: InodeNo) -> Option<Arc<Vec<u8>>> {
        if self.handles.files_of(ino).iter().any(|f| f.writable) {
            return None;
        }
        self.leases.snapshot(ino, self.tree.session().generation())
    }

    /// A read-only open of `path` as one compound (create + read + close) when the attributes
    /// the kernel's lookup just fetched say the file is small: its contents as of the open,
    /// or `None` to open it the usual way (size unknown or large, the file grew past what was
    /// read, or the read failed where an open succeeds: another client's byte-range lock).
    /// Like any read-only open without a lease, the reader sees the file as it was at open.
    /// On a plain share the compound asks for a lease and leaves the handle open, parked
    /// (see [`lease`]); while the lease holds, the next open is answered from what this one
    /// read, without a round trip (then `true`: the kernel's pages are as good).
    async fn open_small(
        &self,
        ino: InodeNo,
        path: &str,
    ) -> Result<Option<(Arc<Vec<u8>>, bool)>, Errno> {
        if let Some(data) = self.leased_snapshot(ino) {
            return Ok(Some((data, true)));
        }
        // Our own writers' buffered bytes are in no snapshot: none is taken while one is open.
        let writers = self.handles.files_of(ino).iter().any(|f| f.writable);
        let Ok(Some((known, _))) = self.stat_cached(path) else {
            return Ok(None);
        };
        let max = SMALL_FILE.min(u64::from(self.tree().session().negotiated().max_read));
        if known.is_dir || known.size > max {
            return Ok(None);
        }
        // Room to grow; a full answer is the whole file only if the open saw that size.
        let want = (known.size + SMALL_SLACK).min(max);
        let stamp = self.cache.stamp(path);
        let park = self.leasing && !writers && self.leases.has_room(want as usize);
        let (opened, data, file) = if park {
            let key = wnet_smb2::LeaseKey::random();
            self.leases.begin(key);
            self.tree
                .session()
                .listen_lease(key, Some(self.leases.listener()));
            let opts = &CreateOptions::read().lease(lease::ASKED, key);
            let r = self
                .on(path, |t, p| async move {
                    t.read_small_kept(&p, opts, want as u32).await
                })
                .await;
            if r.is_err() {
                self.leases.abandon(&key);
                self.tree.session().listen_lease(key, None);
            }
            let (file, data) = self.smb(r)?;
            (file.open_info().clone(), data, Some((key, file)))
        } else {
            let r = self
                .on(path, |t, p| async move {
                    t.read_small_opened(&p, &CreateOptions::read(), want as u32)
                        .await
                })
                .await;
            let (opened, data) = self.smb(r)?;
            (opened, data, None)
        };
        let a = Attr {
            size: opened.end_of_file,
            allocated: opened.allocation_size,
            atime: opened.last_access_time.to_system_time(),
            mtime: opened.last_write_time.to_system_time(),
            ctime: opened.change_time.to_system_time(),
            crtime: opened.creation_time.to_system_time(),
            is_dir: opened.file_attributes & attr::DIRECTORY != 0,
            attributes: opened.file_attributes,
            id: ServerFileId(wnet_smb2::file::server_file_id(&opened)),
        };
        self.revalidate_at_open(ino, path, a, stamp).await;
        let data = data
            .ok()
            .filter(|data| (data.len() as u64) < want || data.len() as u64 == opened.end_of_file);
        let Some(data) = data.map(Arc::new) else {
            if let Some((key, f)) = file {
                self.leases.abandon(&key);
                self.rt.spawn(lease::close_file(f, self.deadline));
            }
            return Ok(None);
        };
        let refused =
            file.and_then(|(key, f)| self.leases.park(key, ino, path, a, data.clone(), f));
        if let Some(f) = refused {
            self.rt.spawn(lease::close_file(f, self.deadline));
        }
        Ok(Some((data, false)))
    }

    /// The server handle of a file opened lazily ([`Core::open_small`]), opened now if it has
    /// none yet (a lock needs one, and so does a read once the snapshot is gone).
    async fn server_handle(&self, fh: u64, f: &OpenFile) -> Result<(), Errno> {
        if !f.needs_server_handle() {
            return Ok(());
        }
        let path = self.handles.path_of(fh).ok_or(Errno::EBADF)?;
        self.ensure_handle(f, &path).await
    }

    /// [`Core::server_handle`] of `f` open at `path`: a deferred create is sent; a file
    /// without one (read from a snapshot, or written whole in a compound at an earlier
    /// `close()` of a `dup`) is opened again, for reading, or reading and writing.
    async fn ensure_handle(&self, f: &OpenFile, path: &str) -> Result<(), Errno> {
        if f.pending_create().is_some() {
            return self.send_create(f).await;
        }
        if !f.needs_server_handle() {
            return Ok(());
        }
        // Its own lease would be broken by this open (and the server wait for our answer).
        self.unpark_under(path).await;
        let opts = if f.writable {
            CreateOptions {
                disposition: disposition::OPEN,
                ..CreateOptions::read_write()
            }
        } else {
            CreateOptions::read()
        };
        let r = f
            .ensure_server_handle(self.guard(async {
                let opts = &opts.durable(true);
                let r = self
                    .on(path, |t, p| async move { t.create(&p, opts).await })
                    .await;
                self.smb(r)
            }))
            .await;
        r.unwrap_or(Err(Errno::EBADF))
    }

    /// CREATE: creates (or opens, per `flags`) and opens `parent/name`; counts a lookup.
    pub async fn create(
        &self,
        parent: InodeNo,
        name: &OsStr,
        flags: i32,
        pid: u32,
    ) -> Result<(InodeNo, Attr, u64), Errno> {
        self.writable_mount()?;
        let path = self.child(parent, name)?;
        let disp = if flags & libc::O_EXCL != 0 {
            disposition::CREATE
        } else if flags & libc::O_TRUNC != 0 {
            disposition::OVERWRITE_IF
        } else {
            disposition::OPEN_IF
        };
        let opts = CreateOptions {
            access: access::GENERIC_READ | access::GENERIC_WRITE,
            disposition: disp,
            options: options::NON_DIRECTORY_FILE,
            share_access: share::ALL,
            attributes: 0,
            durable: true,
            lease: None,
            lease_key: None,
        };
        let holder = Holder {
            pid,
            path: path.clone(),
            is_dir: false,
        };
        self.unpark_under(&path).await;
        if self.may_defer(flags) {
            // Sent at close(), in one round trip with the content (see `deferred`).
            let d = Self::deferred(&path, opts);
            let of = Arc::new(OpenFile::deferred(d.clone(), &self.rt));
            let a = self.creating(&path, &of, &d);
            let ino = self.inodes.lock().expect("inode lock").lookup(&path, a.id);
            let fh = self.handles.insert(holder, ino, Kind::File(of));
            return Ok((ino, a, fh));
        }
        self.cache.own_start(&path);
        let opts = &opts;
        let created = self
            .on(&path, |t, p| async move { t.create(&p, opts).await })
            .await;
        let file = match created {
            Ok(f) => f,
            Err(e) => {
                self.cache.own_done(&path, None);
                return Err(self.smb::<()>(Err(e)).unwrap_err());
            }
        };
        let a = attr_from_open(&file);
        self.cache.own_done(&path, Some(Known::Present(a)));
        self.cache.entry_changed(&path);
        let ino = self.inodes.lock().expect("inode lock").lookup(&path, a.id);
        let of = OpenFile::new(file, true, &self.rt);
        let fh = self.handles.insert(holder, ino, Kind::File(Arc::new(of)));
        Ok((ino, a, fh))
    }

    fn file(&self, fh: u64) -> Result<Arc<OpenFile>, Errno> {
        match self.handles.get(fh) {
            Some(Kind::File(f)) => Ok(f),
            _ => Err(Errno::EBADF),
        }
    }

    /// READ: our own buffered writes first, then read-ahead.
    pub async fn read(&self, fh: u64, offset: u64, size: u32) -> Result<Vec<u8>, Errno> {
        let f = self.file(fh)?;
        if let Some(d) = f.reads.from_snapshot(offset, size) {
            return Ok(d.into_vec());
        }
        self.server_handle(fh, &f).await?;
        if f.writable {
            let r = f.writes.flush().await;
            self.smb(r)?;
        }
        let hint = f.size_at_open.max(f.writes.high_water());
        let r = f.reads.read(offset, size, hint).await;
        self.smb(r)
    }

    /// READ without waiting, on the caller's (FUSE) thread: the data if read-ahead already
    /// holds it, else how to continue on the runtime.
    pub fn read_start(&self, fh: u64, offset: u64, size: u32) -> Result<ReadStart, Errno> {
        if !self.is_connected() {
            return Ok(ReadStart::Slow);
        }
        let f = self.file(fh)?;
        if let Some(d) = f.reads.from_snapshot(offset, size) {
            return Ok(ReadStart::Ready(d));
        }
        if f.writable || f.needs_server_handle() {
            return Ok(ReadStart::Slow);
        }
        let plan = f.reads.plan(offset, size, f.size_at_open);
        match f.reads.ready(&plan) {
            Some(r) => Ok(ReadStart::Ready(self.smb(r)?)),
            None => Ok(ReadStart::Wait(f, plan)),
        }
    }

    /// READ, continued from [`Core::read_start`].
    pub async fn read_finish(&self, f: Arc<OpenFile>, plan: Plan) -> Result<Vec<u8>, Errno> {
        let r = f.reads.complete(plan).await;
        self.smb(r)
    }

    /// WRITE: buffered; answered once the data is queued.
    pub async fn write(&self, fh: u64, offset: u64, data: &[u8]) -> Result<u32, Errno> {
        let f = self.file(fh)?;
        if !f.writable {
            return Err(Errno::EBADF);
        }
        // This write may have to be sent: the file needs its server handle.
        self.server_handle(fh, &f).await?;
        self.drop_read_ahead(fh, &f);
        let r = f.writes.write(offset, data).await;
        self.smb(r)?;
        Ok(data.len() as u32)
    }

    /// Before a write through `fh`: every handle on its file drops its read-ahead, since a
    /// read through another descriptor must see the write (the kernel's page cache is shared;
    /// our chunks are not).
    fn drop_read_ahead(&self, fh: u64, f: &OpenFile) {
        match self.handles.ino_of(fh) {
            Some(ino) => self
                .handles
                .files_of(ino)
                .iter()
                .for_each(|s| s.reads.invalidate()),
            None => f.reads.invalidate(),
        }
    }

    /// WRITE without waiting, on the caller's (FUSE) thread, when it only appends to the
    /// handle's buffer; `None`: do it on the runtime ([`Core::write`]).
    pub fn write_now(&self, fh: u64, offset: u64, data: &[u8]) -> Option<Result<u32, Errno>> {
        if !self.is_connected() {
            return None;
        }
        let f = match self.file(fh) {
            Ok(f) => f,
            Err(e) => return Some(Err(e)),
        };
        if !f.writable {
            return Some(Err(Errno::EBADF));
        }
        let r = f.writes.try_write_now(offset, data)?;
        self.drop_read_ahead(fh, &f);
        Some(self.smb(r).map(|()| data.len() as u32))
    }

    /// FLUSH without waiting, on the caller's (FUSE) thread, for a handle that cannot have
    /// written anything (read-only, or a directory); `None`: use [`Core::flush`].
    pub fn flush_now(&self, fh: u64) -> Option<Result<(), Errno>> {
        if !self.is_connected() {
            return None;
        }
        // POSIX locks on the file: this close must release the closer's (the async path).
        let locked = self
            .handles
            .ino_of(fh)
            .is_some_and(|i| self.posix.existing(i).is_some());
        match self.handles.get(fh) {
            Some(Kind::File(f)) if !f.writable && !locked => {
                self.handles.mark_closing(fh);
                Some(Ok(()))
            }
            Some(Kind::File(_)) => None,
            Some(Kind::Dir(_)) => Some(Ok(())),
            None => Some(Err(Errno::EBADF)),
        }
    }

    /// FLUSH (each `close()` of a descriptor): everything written is acknowledged by the
    /// server before this returns, or the write error is reported.
    pub async fn flush(&self, fh: u64) -> Result<(), Errno> {
        let f = match self.handles.get(fh) {
            Some(Kind::File(f)) => f,
            Some(Kind::Dir(_)) => return Ok(()),
            None => return Err(Errno::EBADF),
        };
        let path = self.handles.path_of(fh);
        let r = match &path {
            Some(path) if f.writable => self.land(&f, path).await,
            _ => self.smb(f.writes.flush().await).map(|()| false),
        };
        self.handles.mark_closing(fh);
        if f.writes.written() && !matches!(r, Ok(true)) {
            // What the cache knew of the file predates these writes (a compound's answer
            // is newer than them: kept).
            let path = self.handles.ino_of(fh).and_then(|i| self.path(i).ok());
            if let Some(path) = path {
                self.cache.own_done(&path, None);
            }
        }
        r.map(|_| ())
    }

    /// FALLOCATE through `fh`, as far as SMB can: plain (the file grows to `offset + len`
    /// if shorter, the space reserved), `KEEP_SIZE` (the space reserved, the size unchanged:
    /// the allocation size), `PUNCH_HOLE | KEEP_SIZE` (FSCTL_SET_ZERO_DATA: the range reads
    /// as zeros). Any other mode is `EOPNOTSUPP`, as is a server that cannot zero a range.
    pub async fn fallocate(&self, fh: u64, offset: u64, len: u64, mode: i32) -> Result<(), Errno> {
        const KEEP_SIZE: i32 = libc::FALLOC_FL_KEEP_SIZE;
        const PUNCH: i32 = libc::FALLOC_FL_PUNCH_HOLE | libc::FALLOC_FL_KEEP_SIZE;
        if mode != 0 && mode != KEEP_SIZE && mode != PUNCH {
            return Err(Errno(libc::EOPNOTSUPP));
        }
        let end = offset.checked_add(len).ok_or(Errno(libc::EFBIG))?;
        self.writable_mount()?;
        let f = self.file(fh)?;
        if !f.writable {
            return Err(Errno::EBADF);
        }
        self.server_handle(fh, &f).await?;
        // Buffered writes first: the server's size decides, and a punched range must not be
        // written over by data queued before the punch.
        self.smb(f.writes.flush().await)?;
        self.drop_read_ahead(fh, &f);
        let size = {
            let g = f.file.read().await;
            let file = g.as_ref().ok_or(Errno::EBADF)?;
            let info = self.smb(file.query_info().await)?;
            match mode {
                PUNCH => self.smb(file.zero_data(offset, end).await)?,
                _ if end > info.allocation_size && end > info.end_of_file => {
                    self.smb(file.set_allocation(end).await)?
                }
                _ => {}
            }
            if mode == 0 && end > info.end_of_file {
                self.smb(file.set_len(end).await)?;
                end
            } else {
                info.end_of_file
            }
        };
        f.writes.set_high_water(size.max(f.writes.high_water()));
        if let Some(path) = self.handles.path_of(fh) {
            self.cache.own_done(&path, None);
        }
        Ok(())
    }

    /// FSYNC: flush buffered writes, then SMB2 FLUSH, waited for.
    pub async fn fsync(&self, fh: u64) -> Result<(), Errno> {
        let f = self.file(fh)?;
        if f.writable {
            // A deferred create is sent (no compound: the FLUSH needs a handle).
            self.server_handle(fh, &f).await?;
        }
        let r = f.writes.flush().await;
        self.smb(r)?;
        f.writes.take_dirty();
        if f.lazy && !f.writable {
            // Read-only and served from a snapshot: nothing of it to make durable.
            return Ok(());
        }
        let g = f.file.read().await;
        let file = g.as_ref().ok_or(Errno::EBADF)?;
        let r = file.flush().await;
        self.smb(r)
    }

    /// RELEASE, first half (on the FUSE thread, before anything can wait): the handle leaves
    /// the table at once. Returns the file whose server handle is to be closed, and its path.
    /// (What the cache knew of a file written through it was dropped at FLUSH, and is again
    /// once the close is done: [`Core::release_end`].)
    /// Until the returned [`Releasing`] is dropped, a rename, unlink or rmdir of the path
    /// waits for the server handle to be closed ([`HandleTable::released`]).
    pub fn release_begin(&self, fh: u64) -> Option<(Arc<OpenFile>, String, Releasing)> {
        match self.handles.remove_releasing(fh) {
            Some((Kind::File(f), path, releasing)) => Some((f, path, releasing)),
            _ => None,
        }
    }

    /// RELEASE, second half: flushes what is left and closes the server handle, bounded by
    /// the deadline even when the drive is disconnected (the handle is gone from the table
    /// either way; an unclosed server handle is closed by the engine when dropped).
    pub async fn release_end(&self, f: Arc<OpenFile>, path: &str) -> Result<(), Errno> {
        let close = async {
            // Written since the last FLUSH (a deferred create never flushed, or writes
            // through a shared mapping after close()): on the server first.
            let landed = if f.writable {
                self.land(&f, path).await.map(|_| ())
            } else {
                Ok(())
            };
            let r = f.close().await;
            landed.and(self.smb(r))
        };
        let r = match tokio::time::timeout(self.deadline, close).await {
            Ok(r) => r,
            Err(_) => Err(Errno::ETIMEDOUT),
        };
        if f.writes.written() {
            // Anything cached while the close was on its way may predate the last write.
            self.cache.own_done(path, None);
        }
        if f.writable {
            // A lease parked while it was open (its writes break it, but maybe not yet).
            self.unpark_under(path).await;
        }
        r
    }

    /// MKDIR.
    pub async fn mkdir(
        &self,
        parent: InodeNo,
        name: &OsStr,
    ) -> Result<(InodeNo, Attr, Duration), Errno> {
        self.writable_mount()?;
        let path = self.child(parent, name)?;
        self.cache.own_start(&path);
        let r = self
            .on(&path, |t, p| async move { t.mkdir(&p).await })
            .await;
        self.cache.own_done(&path, None);
        self.cache.entry_changed(&path);
        self.smb(r)?;
        let (a, ttl) = self.stat(&path).await?;
        let ino = self.inodes.lock().expect("inode lock").lookup(&path, a.id);
        Ok((ino, a, ttl))
    }

    /// MKNOD of a regular file: creates `parent/name` empty (`EEXIST` if it exists); counts
    /// a lookup.
    pub async fn mknod_file(
        &self,
        parent: InodeNo,
        name: &OsStr,
    ) -> Result<(InodeNo, Attr, Duration), Errno> {
        self.writable_mount()?;
        let path = self.child(parent, name)?;
        self.cache.own_start(&path);
        let created = self.on(&path, |t, p| async move {
            t.create(&p, &CreateOptions::create_new()).await
        });
        let r = match created.await {
            Ok(f) => {
                let id = ServerFileId(f.server_file_id());
                f.close().await.map(|i| Attr {
                    id,
                    ..attr_from_info(&i)
                })
            }
            Err(e) => Err(e),
        };
        self.cache
            .own_done(&path, r.as_ref().ok().map(|a| Known::Present(*a)));
        self.cache.entry_changed(&path);
        let a = self.smb(r)?;
        let ino = self.inodes.lock().expect("inode lock").lookup(&path, a.id);
        Ok((ino, a, KERNEL_TTL))
    }

    /// UNLINK.
    pub async fn unlink(&self, parent: InodeNo, name: &OsStr) -> Result<(), Errno> {
        self.writable_mount()?;
        let path = self.child(parent, name)?;
        self.send_creates_under(&path).await?;
        self.handles.released(&path, RELEASE_WAIT).await;
        self.unpark_under(&path).await;
        self.cache.own_start(&path);
        let dirs = [split(&path).0];
        let r = self
            .despite_read_only(&path, || self.delete_then_stat(&path, &dirs))
            .await;
        self.cache
            .own_done(&path, r.is_ok().then_some(Known::Absent));
        self.cache.entry_changed(&path);
        let stats = self.smb(r)?;
        self.dirs_answered(&dirs, &stats);
        self.inodes.lock().expect("inode lock").unlink(&path);
        Ok(())
    }

    /// RMDIR. Watches on the directory and below end first: the server keeps a directory
    /// with a handle open on it until the handle closes.
    pub async fn rmdir(&self, parent: InodeNo, name: &OsStr) -> Result<(), Errno> {
        self.writable_mount()?;
        let path = self.child(parent, name)?;
        self.send_creates_under(&path).await?;
        self.watches.stop_under(Some(&path), self.deadline).await;
        self.handles.released(&path, RELEASE_WAIT).await;
        self.unpark_under(&path).await;
        self.cache.invalidate_tree(&path);
        let dirs = [split(&path).0];
        let r = self
            .despite_read_only(&path, || self.delete_then_stat(&path, &dirs))
            .await;
        self.cache
            .own_done(&path, r.is_ok().then_some(Known::Absent));
        self.cache.entry_changed(&path);
        let stats = self.smb(r)?;
        self.dirs_answered(&dirs, &stats);
        self.inodes.lock().expect("inode lock").unlink(&path);
        Ok(())
    }

    /// RENAME; `replace` false is RENAME_NOREPLACE (an existing target gives `EEXIST`).
    pub async fn rename(
        &self,
        parent: InodeNo,
        name: &OsStr,
        new_parent: InodeNo,
        new_name: &OsStr,
        replace: bool,
    ) -> Result<(), Errno> {
        self.writable_mount()?;
        let from = self.child(parent, name)?;
        let to = self.child(new_parent, new_name)?;
        self.send_creates_under(&from).await?;
        self.send_creates_under(&to).await?;
        // The server refuses to rename a directory with a handle open below it.
        self.watches.stop_under(Some(&from), self.deadline).await;
        self.watches.stop_under(Some(&to), self.deadline).await;
        // Nor replace a file that is still open, and a just-closed one may still be.
        self.handles.released(&from, RELEASE_WAIT).await;
        self.handles.released(&to, RELEASE_WAIT).await;
        self.unpark_under(&from).await;
        self.unpark_under(&to).await;
        self.cache.invalidate_tree(&from);
        self.cache.invalidate_tree(&to);
        // Both directories' new times come back in the same round trip.
        let (a, b) = (split(&from).0, split(&to).0);
        let dirs: Vec<&str> = if key(a) == key(b) {
            vec![a]
        } else {
            vec![a, b]
        };
        let r = if replace {
            self.despite_read_only(&to, || self.rename_then_stat(&from, &to, true, &dirs))
                .await
        } else {
            self.rename_then_stat(&from, &to, false, &dirs).await
        };
        self.cache
            .own_done(&from, r.is_ok().then_some(Known::Absent));
        self.cache.own_done(&to, None);
        self.cache.entry_changed(&from);
        self.cache.entry_changed(&to);
        let stats = self.smb(r)?;
        self.dirs_answered(&dirs, &stats);
        self.inodes.lock().expect("inode lock").rename(&from, &to);
        self.handles.renamed(&from, &to);
        Ok(())
    }

    /// The attributes of `dirs` the server answered right after our own change in them
    /// (their times changed): cached, for the kernel's next question.
    fn dirs_answered(&self, dirs: &[&str], stats: &[Option<FileNetworkOpenInformation>]) {
        for (dir, info) in dirs.iter().zip(stats) {
            if let Some(info) = info {
                self.cache.put_attr(dir, attr_from_info(info));
            }
        }
    }

    /// Deletes `path` (a file or an empty directory) and stats `dirs` in the same round trip.
    /// On a DFS drive the directories may live on another server: none is asked there, and
    /// each answer is `None`.
    async fn delete_then_stat(
        &self,
        path: &str,
        dirs: &[&str],
    ) -> wnet_smb2::Result<Vec<Option<FileNetworkOpenInformation>>> {
        if self.dfs.is_none() {
            return self.tree.delete_then_stat(path, dirs).await;
        }
        let n = dirs.len();
        self.on(path, |t, p| async move {
            t.delete(&p).await.map(|()| vec![None; n])
        })
        .await
    }

    /// Renames `from` to `to` and stats `dirs` in the same round trip, on the share where
    /// `from` lives. On a DFS drive `to` must lead to the same share (else
    /// `STATUS_NOT_SAME_DEVICE`: `EXDEV`, and `mv` copies) and no directory is asked (`None`
    /// each), as for [`Core::delete_then_stat`].
    async fn rename_then_stat(
        &self,
        from: &str,
        to: &str,
        replace: bool,
        dirs: &[&str],
    ) -> wnet_smb2::Result<Vec<Option<FileNetworkOpenInformation>>> {
        let Some(ns) = &self.dfs else {
            return self.tree.rename_then_stat(from, to, replace, dirs).await;
        };
        let n = dirs.len();
        ns.run(from, |t, f| async move {
            let to = ns.path_on(to, &t).ok_or(wnet_smb2::Error::Status {
                status: wnet_smb2::NtStatus::NOT_SAME_DEVICE,
                command: wnet_smb2::msg::Command::SetInfo,
            })?;
            t.rename(&f, &to, replace).await.map(|()| vec![None; n])
        })
        .await
    }

    /// STATFS.
    pub async fn statfs(&self) -> Result<FsInfo, Errno> {
        let r = self.on("", |t, _| async move { t.fs_info().await }).await;
        self.smb(r)
    }

    /// SETLK/SETLKW: POSIX `fcntl` byte-range locks, and `flock` (which arrives the same way
    /// as a whole-file lock whose owner is the open file description; see
    /// [`super::posix_lock`]). `owner` locks `start..=end` (`end` = `OFFSET_MAX`: to end of
    /// file) with `typ` (`F_RDLCK`, `F_WRLCK`, or `F_UNLCK` to unlock), replacing what it held
    /// there. A conflict with another owner on this drive, or with another SMB client on the
    /// server, is `EAGAIN`; with `wait` the attempt is repeated until granted, or given up
    /// with `EINTR` when the waiting thread `waiter` has a signal pending or the handle was
    /// released (fuser does not deliver FUSE_INTERRUPT). Each server call is bounded by the
    /// deadline; the wait is not. Deadlocks between waiters are not detected (no `EDEADLK`).
    #[allow(clippy::too_many_arguments)]
    pub async fn posix_lock(
        &self,
        ino: InodeNo,
        fh: u64,
        owner: u64,
        start: u64,
        end: u64,
        typ: i32,
        pid: u32,
        wait: bool,
        waiter: u32,
    ) -> Result<(), Errno> {
        let kind = LockKind::from_fuse(typ)?;
        if start > end {
            return Err(Errno::EINVAL);
        }
        let cell = self.posix.inode(ino);
        let r = loop {
            let r = {
                let mut t = cell.lock().await;
                self.posix_try(&mut t, fh, owner, start, end, kind, pid)
                    .await
            };
            match r {
                Err(Errno::EAGAIN) if wait => {
                    if self.waiter_gives_up(fh, waiter) {
                        break Err(Errno(libc::EINTR));
                    }
                    tokio::time::sleep(LOCK_RETRY).await;
                }
                r => break r,
            }
        };
        self.posix.tidy(ino, &cell);
        r
    }

    /// One attempt of [`Core::posix_lock`] with the inode's table held: the local conflict
    /// check, then the server's (unlock the segments that vanished or changed, lock the new
    /// ones fail-immediately); on a refusal the previous server state is restored as well as
    /// possible and the table records what the server really holds.
    #[allow(clippy::too_many_arguments)]
    async fn posix_try(
        &self,
        t: &mut posix_lock::InodeLocks,
        fh: u64,
        owner: u64,
        start: u64,
        end: u64,
        kind: Option<LockKind>,
        pid: u32,
    ) -> Result<(), Errno> {
        if kind.is_some_and(|k| t.conflict(owner, start, end, k).is_some()) {
            return Err(Errno::EAGAIN);
        }
        let old = t.owner(owner);
        let want = posix_lock::apply(&old.ranges, start, end, kind);
        let plan = posix_lock::plan(&old.server, &want);
        let pid = if kind.is_some() && pid != 0 {
            pid
        } else {
            old.pid
        };
        if plan.unlock.is_empty() && plan.lock.is_empty() {
            t.set(
                owner,
                OwnerLocks {
                    pid,
                    ranges: want,
                    server: old.server,
                },
            );
            return Ok(());
        }
        let mut unlocked = Vec::new();
        let mut failed = None;
        for s in &plan.unlock {
            match self.seg_unlock(s).await {
                Ok(()) => unlocked.push(*s),
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
        }
        let mut locked = Vec::new();
        if failed.is_none() {
            for r in &plan.lock {
                let s = Seg { fh, range: *r };
                match self.seg_lock(&s).await {
                    Ok(()) => locked.push(s),
                    Err(e) => {
                        failed = Some(e);
                        break;
                    }
                }
            }
        }
        let Some(e) = failed else {
            let mut server = plan.keep;
            server.extend(locked);
            t.set(
                owner,
                OwnerLocks {
                    pid,
                    ranges: want,
                    server,
                },
            );
            return Ok(());
        };
        // Back to what was held: drop what this attempt locked, take back what it unlocked.
        for s in &locked {
            if let Err(x) = self.seg_unlock(s).await {
                tracing::warn!(error = %x, ?s, "undoing a lock on the server failed");
            }
        }
        let mut lost = Vec::new();
        for s in &unlocked {
            if let Err(x) = self.seg_lock(s).await {
                tracing::warn!(error = %x, ?s, "restoring a lock on the server failed; lost");
                lost.push(*s);
            }
        }
        t.lose(owner, &lost);
        Err(e)
    }

    /// Locks one segment on the server (fail-immediately), under the deadline.
    async fn seg_lock(&self, s: &Seg) -> Result<(), Errno> {
        let f = self.file(s.fh)?;
        let (offset, length) = posix_lock::smb_range(s.range.start, s.range.end);
        // The lock lives on a server handle: a file opened from a snapshot gets one now.
        self.server_handle(s.fh, &f).await?;
        let g = f.file.read().await;
        let file = g.as_ref().ok_or(Errno::EBADF)?;
        let exclusive = s.range.kind.exclusive();
        self.guard(async { self.smb(file.lock(offset, length, exclusive, false).await) })
            .await
    }

    /// Unlocks one segment on the server, under the deadline. A handle already released
    /// (or a lock the server no longer has) counts as unlocked: closing the handle dropped it.
    async fn seg_unlock(&self, s: &Seg) -> Result<(), Errno> {
        let Ok(f) = self.file(s.fh) else {
            return Ok(());
        };
        let (offset, length) = posix_lock::smb_range(s.range.start, s.range.end);
        let g = f.file.read().await;
        let Some(file) = g.as_ref() else {
            return Ok(());
        };
        match self
            .guard(async { self.smb(file.unlock(offset, length).await) })
            .await
        {
            Err(Errno(libc::ENOLCK)) => Ok(()),
            r => r,
        }
    }

    /// GETLK: the first lock that would keep `owner` from locking `start..=end` with `typ`,
    /// as `(start, end, type, pid)`, or `F_UNLCK` when there is none. Other owners on this
    /// drive are looked up in the table; other SMB clients by probing the server (taking and
    /// at once releasing the lock through `fh`) on the parts of the range `owner` does not
    /// hold itself. A conflict found on the server is reported as the probed range with pid
    /// 0, `F_RDLCK` when a read lock there would have been granted, else `F_WRLCK`.
    pub async fn posix_getlk(
        &self,
        ino: InodeNo,
        fh: u64,
        owner: u64,
        start: u64,
        end: u64,
        typ: i32,
    ) -> Result<(u64, u64, i32, u32), Errno> {
        let Some(kind) = LockKind::from_fuse(typ)? else {
            return Err(Errno::EINVAL);
        };
        if start > end {
            return Err(Errno::EINVAL);
        }
        let cell = self.posix.inode(ino);
        let r = async {
            let t = cell.lock().await;
            if let Some(c) = t.conflict(owner, start, end, kind) {
                return Ok((c.range.start, c.range.end, c.range.kind.fuse(), c.pid));
            }
            let own = t.owner(owner).ranges;
            for (s, e) in posix_lock::gaps(&own, start, end) {
                let probe = |kind| Seg {
                    fh,
                    range: posix_lock::Range {
                        start: s,
                        end: e,
                        kind,
                    },
                };
                if self.seg_probe(&probe(kind)).await? {
                    continue;
                }
                let held =
                    if kind == LockKind::Write && self.seg_probe(&probe(LockKind::Read)).await? {
                        LockKind::Read
                    } else {
                        LockKind::Write
                    };
                return Ok((s, e.min(posix_lock::OFFSET_MAX), held.fuse(), 0));
            }
            Ok((start, end, libc::F_UNLCK, 0))
        }
        .await;
        self.posix.tidy(ino, &cell);
        r
    }

    /// Whether the server would grant `s` now (locked and at once unlocked).
    async fn seg_probe(&self, s: &Seg) -> Result<bool, Errno> {
        match self.seg_lock(s).await {
            Ok(()) => {
                if let Err(e) = self.seg_unlock(s).await {
                    tracing::warn!(error = %e, ?s, "releasing a GETLK probe failed");
                }
                Ok(true)
            }
            Err(Errno::EAGAIN) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Drops every lock `owner` holds on `ino` (FLUSH: POSIX releases a process's locks on a
    /// file at any close of it; RELEASE names the `flock` owner), here and on the server.
    pub async fn posix_unlock_owner(&self, ino: InodeNo, owner: u64) {
        let Some(cell) = self.posix.existing(ino) else {
            return;
        };
        {
            let mut t = cell.lock().await;
            for s in t.remove_owner(owner) {
                if let Err(e) = self.seg_unlock(&s).await {
                    tracing::warn!(error = %e, ?s, "unlocking at close failed");
                }
            }
        }
        self.posix.tidy(ino, &cell);
    }

    /// RELEASE of `fh`, after its server handle closed: the locks mirrored through it are
    /// gone on the server, so they leave the table; `owner` (the `flock` owner the kernel
    /// names at RELEASE) loses all its locks.
    pub async fn posix_handle_closed(&self, ino: InodeNo, fh: u64, owner: Option<u64>) {
        if let Some(o) = owner {
            self.posix_unlock_owner(ino, o).await;
        }
        let Some(cell) = self.posix.existing(ino) else {
            return;
        };
        cell.lock().await.handle_closed(fh);
        self.posix.tidy(ino, &cell);
    }

    /// Whether a thread waiting for a lock through `fh` is to stop waiting: it has a signal
    /// to take (or is gone), or the handle was released. The kernel keeps a killed waiter
    /// in D state until we answer.
    fn waiter_gives_up(&self, fh: u64, waiter: u32) -> bool {
        self.handles.get(fh).is_none() || signal_pending(waiter)
    }

    /// Every buffered write of every open file, acknowledged; SMB2 FLUSH on each handle
    /// written since its last one.
    pub async fn flush_all(&self) -> Result<(), Errno> {
        let mut first = Ok(());
        for (f, path) in self.handles.files_with_paths() {
            let mut r = if f.writable {
                self.land(&f, &path).await.map(|_| ())
            } else {
                self.smb(f.writes.flush().await)
            };
            if r.is_ok() && f.writes.take_dirty() {
                let g = f.file.read().await;
                if let Some(file) = g.as_ref() {
                    let x = file.flush().await;
                    r = self.smb(x);
                }
            }
            if first.is_ok() {
                first = r;
            }
        }
        first
    }

    /// Flushes and closes every server handle (forced unmount); the table is empty after.
    pub async fn close_all(&self) -> Result<(), Errno> {
        lease::close(self.leases.take_all(), self.deadline).await;
        let mut first = Ok(());
        for f in self.handles.drain() {
            let r = f.close().await;
            let r = r.map_err(|e| errno::from_smb(&e, self.share_ro));
            if first.is_ok() {
                first = r;
            }
        }
        first
    }
}

/// Watches the drive's connection once a [`MONITOR_TICK`]: a connection lost while idle is
/// replaced at once (or the drive turns Disconnected), and while directories are watched an
/// ECHO proves that notifications can arrive: unanswered for [`STALL`], watched directories
/// stop being complete until it is answered; unanswered within the request deadline, the
/// drive turns Disconnected.
async fn monitor(me: Weak<Core>) {
    loop {
        tokio::time::sleep(MONITOR_TICK).await;
        let Some(core) = me.upgrade() else { return };
        match core.state.load(Ordering::Acquire) {
            DETACHED => return,
            DISCONNECTED => continue,
            _ => {}
        }
        if let Some(ns) = core.dfs.clone() {
            // Referrals past their TTL are asked again here, never by a waiting request.
            ns.refresh().await;
            if ns.take_changed() {
                core.lose_completeness();
            }
        }
        let session = core.tree().session().clone();
        if session.connection().is_dead() && core.dfs.is_some() {
            // A DFS drive goes where its namespace leads (the next target when this one is
            // gone): only when no target answers is the drive disconnected.
            core.lose_completeness();
            let probe = core.on("", |t, p| async move { t.stat(&p).await });
            if !matches!(tokio::time::timeout(core.deadline, probe).await, Ok(Ok(_))) {
                tracing::warn!("no DFS target answers; drive disconnected");
                core.mark_disconnected();
            }
            continue;
        }
        if session.connection().is_dead() {
            // As the next request would: reconnect (the engine's bounded backoff, as long as
            // a request may wait), and only then call the server lost.
            tracing::info!(share = core.tree().share(), "connection lost while idle");
            core.lose_completeness();
            let again = session.reconnect_from(session.generation());
            match tokio::time::timeout(core.deadline, again).await {
                Ok(Ok(())) => {}
                Ok(r) => {
                    core.note_logon(&r);
                    core.mark_disconnected();
                }
                Err(_) => core.mark_disconnected(),
            }
            continue;
        }
        if core.watches.is_empty() {
            continue;
        }
        drop(core);
        let echo = session.echo();
        tokio::pin!(echo);
        let answer = tokio::select! {
            r = &mut echo => r,
            _ = tokio::time::sleep(STALL) => {
                let Some(core) = me.upgrade() else { return };
                tracing::info!(share = core.tree().share(), "connection stalled; watched directories not exact");
                core.stalled.store(true, Ordering::Release);
                core.lose_completeness();
                drop(core);
                let r = echo.await;
                if let Some(core) = me.upgrade() {
                    core.stalled.store(false, Ordering::Release);
                }
                r
            }
        };
        // A connection that broke is the next tick's (reconnected as a request would be);
        // one that stayed silent for the whole deadline is a lost server.
        if let (Err(e @ wnet_smb2::Error::Timeout { .. }), Some(core)) = (answer, me.upgrade()) {
            tracing::warn!(error = %e, share = core.tree().share(), "no answer to an echo; drive disconnected");
            core.mark_disconnected();
        }
    }
}

/// Whether thread `tid` has a signal pending that it neither blocks nor ignores (or is gone).
fn signal_pending(tid: u32) -> bool {
    let Ok(status) = std::fs::read_to_string(format!("/proc/{tid}/status")) else {
        return true;
    };
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
            .unwrap_or(0)
    };
    let pending = field("SigPnd:") | field("ShdPnd:");
    pending & !field("SigBlk:") & !field("SigIgn:") != 0
}
