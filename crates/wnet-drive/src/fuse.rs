//! The `fuser` adapter: pure translation between FUSE requests and [`Core`]. Each request is
//! answered from a task on the tokio runtime (replies are `Send`), so a slow server never
//! blocks the FUSE loop; every task runs under the core's deadline (an OPENDIR's listing under
//! the engine's per-page and whole-listing bounds instead). Operations not listed
//! here answer `ENOSYS` (fuser's defaults).

use super::cache::{Attr, KERNEL_TTL, Known, WATCHED_TTL};
use super::core::{Core, LockAsk, ReadStart, SetAttr, SetTime};
use super::errno::Errno;
use super::inode::{Answered, InodeNo, ServerFileId};
use fuser::{
    FileAttr, FileHandle, FileType, Filesystem, FopenFlags, Generation, INodeNo, InitFlags,
    KernelConfig, LockOwner, OpenFlags, RenameFlags, ReplyAttr, ReplyCreate, ReplyData,
    ReplyDirectory, ReplyDirectoryPlus, ReplyEmpty, ReplyEntry, ReplyLock, ReplyOpen, ReplyStatfs,
    ReplyWrite, ReplyXattr, Request, TimeOrNow, WriteFlags,
};
use stats::Op;
use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

/// The largest write the kernel may send us in one request.
pub const MAX_WRITE: u32 = 1 << 20;
/// `st_blksize`: programs size their buffers by it.
const BLKSIZE: u32 = 1 << 20;

/// The filesystem handed to `fuser`.
pub struct FuseFs {
    core: Arc<Core>,
    /// Write-only opens bypass the page cache (see [`FuseFs::write_only`]): only on a
    /// kernel that drops cached pages of a range before a direct write to it.
    direct_writes: bool,
    /// The kernel asks for READDIRPLUS only where it helps (`FUSE_READDIRPLUS_AUTO`): a
    /// listing's first page may then leave the rest to plain READDIR.
    readdirplus_auto: bool,
}

fn fe(e: Errno) -> fuser::Errno {
    fuser::Errno::from_i32(e.0)
}

fn ino(i: INodeNo) -> InodeNo {
    InodeNo(i.0)
}

/// The process (thread-group) id of the thread `tid` that sent a request: FUSE gives the
/// thread's id, and a holder is a process. Asked of `/proc` (an open, a read of the whole
/// status text, a close: measurable beside an open answered from a lease's snapshot) once
/// per thread per `TGID_FRESH`.
pub fn process_of(tid: u32) -> u32 {
    static KNOWN: Mutex<Option<HashMap<u32, (u32, Instant)>>> = Mutex::new(None);
    let now = Instant::now();
    if let Some(&(tgid, at)) = KNOWN
        .lock()
        .expect("tgid lock")
        .get_or_insert_default()
        .get(&tid)
        && now.duration_since(at) < TGID_FRESH
    {
        return tgid;
    }
    let tgid = std::fs::read_to_string(format!("/proc/{tid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Tgid:"))
                .and_then(|v| v.trim().parse().ok())
        });
    let Some(tgid) = tgid else { return tid };
    let mut known = KNOWN.lock().expect("tgid lock");
    let known = known.get_or_insert_default();
    if known.len() >= TGID_KEPT {
        known.retain(|_, (_, at)| now.duration_since(*at) < TGID_FRESH);
    }
    if known.len() < TGID_KEPT {
        known.insert(tid, (tgid, now));
    }
    tgid
}

/// How long a thread's process id is taken as known. A thread id names another process's
/// thread only once the first thread ended and the kernel's ids wrapped around
/// (`pid_max`, 32,768 or more of them): not within a second.
const TGID_FRESH: Duration = Duration::from_secs(1);
/// Most threads whose process id is kept at once.
const TGID_KEPT: usize = 1024;

impl FuseFs {
    /// An adapter over `core`.
    pub fn new(core: Arc<Core>) -> Self {
        FuseFs {
            core,
            direct_writes: false,
            readdirplus_auto: false,
        }
    }

    /// The open flags for a handle opened with `flags`: a write-only one is `FOPEN_DIRECT_IO`.
    /// Its `write()`s then reach us straight from the writer's pages, not copied into the
    /// kernel's page cache first (a copy, a page allocation per 4 KiB, and pages the drive
    /// drops again at the next change notification or at close): a write-only descriptor can
    /// neither read nor be mapped, so it gives up nothing the cache would have served. Other
    /// descriptors stay coherent: the kernel drops its cached pages of a range before a direct
    /// write to it (on kernels without that, [`FuseFs::direct_writes`] is off and every open
    /// keeps the page cache). Read-write opens keep it (`mmap`, reads of what was written).
    fn write_only(&self, flags: i32) -> FopenFlags {
        if self.direct_writes && flags & libc::O_ACCMODE == libc::O_WRONLY {
            FopenFlags::FOPEN_DIRECT_IO
        } else {
            FopenFlags::empty()
        }
    }

    /// Runs `fut` on the runtime under the deadline, then `done` with its result.
    fn run<T, F, D>(&self, op: Op, fut: F, done: D)
    where
        T: Send + 'static,
        F: Future<Output = Result<T, Errno>> + Send + 'static,
        D: FnOnce(Result<T, Errno>) + Send + 'static,
    {
        let core = self.core.clone();
        self.spawn(op, async move {
            let r = core.guard(fut).await;
            done(r);
        });
    }

    /// Runs `fut` on the runtime: `op` is answered from a task (counted as a hand-off).
    fn spawn(&self, op: Op, fut: impl Future<Output = ()> + Send + 'static) {
        stats::hopped(op);
        self.core.rt.spawn(fut);
    }

    fn file_attr(&self, ino: InodeNo, a: &Attr, ttl: Duration, how: Answered) -> FileAttr {
        file_attr(&self.core, ino, a, ttl, how)
    }
}

/// The attributes answered to the kernel for `ino`, remembered as what it holds for `ttl`.
fn file_attr(core: &Core, ino: InodeNo, a: &Attr, ttl: Duration, how: Answered) -> FileAttr {
    core.told(ino, a, ttl, how);
    fuse_attr(core, ino, a)
}

/// `a` as the kernel's attributes of `ino`.
fn fuse_attr(core: &Core, ino: InodeNo, a: &Attr) -> FileAttr {
    let (kind, mut perm, nlink) = if a.is_dir {
        (FileType::Directory, 0o755, 2)
    } else {
        (FileType::RegularFile, 0o644, 1)
    };
    if a.read_only() && !a.is_dir {
        perm &= !0o222;
    }
    FileAttr {
        ino: INodeNo(ino.0),
        size: a.size,
        blocks: a.allocated.div_ceil(512),
        atime: a.atime,
        mtime: a.mtime,
        ctime: a.ctime,
        crtime: a.crtime,
        kind,
        perm,
        nlink,
        uid: core.uid,
        gid: core.gid,
        rdev: 0,
        blksize: BLKSIZE,
        flags: 0,
    }
}

fn set_time(t: Option<TimeOrNow>) -> Option<SetTime> {
    t.map(|t| match t {
        TimeOrNow::Now => SetTime::Now,
        TimeOrNow::SpecificTime(t) => SetTime::At(t),
    })
}

impl Filesystem for FuseFs {
    fn init(&mut self, _req: &Request, config: &mut KernelConfig) -> std::io::Result<()> {
        if let Err(max) = config.set_max_write(MAX_WRITE) {
            let _ = config.set_max_write(max);
        }
        if let Err(max) = config.set_max_readahead(MAX_WRITE) {
            let _ = config.set_max_readahead(max);
        }
        // FUSE_DIRECT_IO_ALLOW_MMAP (Linux 6.6) came with the direct write's invalidation of
        // the range's cached pages, which keeps other descriptors coherent: without it, a
        // direct write would leave their cached pages stale.
        // Only where writes are ranged (SMB): a provider that stages a whole file and sends it
        // at close (WebDAV) saves little, and its creates were measured to ask the server
        // for more listings with direct writes (`drive_dav::creating_files_...`).
        self.direct_writes = self.core.caps.ranged_writes
            && config
                .capabilities()
                .contains(InitFlags::FUSE_DIRECT_IO_ALLOW_MMAP);
        let _ = config.set_max_background(64);
        let _ = config.set_congestion_threshold(48);
        if config
            .add_capabilities(InitFlags::FUSE_DO_READDIRPLUS)
            .is_err()
        {
            tracing::debug!("kernel without readdirplus");
        }
        // Past a listing's first page, READDIRPLUS only where names were looked up since the
        // last page (the kernel's heuristic: `ls -l` of a directory it does not hold yet),
        // plain READDIR elsewhere (`find`, `ls`, and a listing it holds: see `readdirplus`).
        self.readdirplus_auto = config
            .add_capabilities(InitFlags::FUSE_READDIRPLUS_AUTO)
            .is_ok();
        // Every write through the page cache asks the file system whether it must remove the
        // file's privileges (`security.capability`, set-user-ID bits), a GETXATTR each now
        // that extended attributes are "not supported" rather than unimplemented (ADR 0022):
        // with KILLPRIV_V2 the kernel leaves that to us and marks an inode found without
        // them, so it asks once per inode. Nothing to remove here: the drive's modes are
        // 0644/0755 and it keeps no extended attributes.
        if config
            .add_capabilities(InitFlags::FUSE_HANDLE_KILLPRIV_V2)
            .is_err()
        {
            tracing::debug!("kernel without KILLPRIV_V2: a GETXATTR per cached write");
        }
        // Locks come to us and become SMB2 byte-range locks other clients see: POSIX fcntl
        // locks (kept per owner with POSIX semantics, see `posix_lock`) and flock() (which
        // the kernel then sends as a whole-file lock owned by the open file description).
        // Both capabilities are needed for the kernel to forward flock().
        for (cap, name) in [
            (InitFlags::FUSE_POSIX_LOCKS, "POSIX lock"),
            (InitFlags::FUSE_FLOCK_LOCKS, "flock"),
        ] {
            if config.add_capabilities(cap).is_err() {
                tracing::debug!("kernel without {name} forwarding");
            }
        }
        Ok(())
    }

    fn destroy(&mut self) {
        // Server handles are closed by the drive (unmount, force_unmount) on the runtime;
        // nothing async may be dropped on this thread.
    }

    fn lookup(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEntry) {
        stats::seen(Op::Lookup);
        match self.core.lookup_cached(ino(parent), name) {
            Some(Ok((i, a, ttl))) => {
                return reply.entry(
                    &ttl,
                    &self.file_attr(i, &a, ttl, Answered::Entry),
                    Generation(0),
                );
            }
            Some(Err(e)) => return reply.error(fe(e)),
            None => {}
        }
        let core = self.core.clone();
        let name = name.to_os_string();
        self.run(
            Op::Lookup,
            async move {
                let (i, a, ttl) = core.lookup(ino(parent), &name).await?;
                Ok((file_attr(&core, i, &a, ttl, Answered::Entry), ttl))
            },
            move |r| match r {
                Ok((fa, ttl)) => reply.entry(&ttl, &fa, Generation(0)),
                Err(e) => reply.error(fe(e)),
            },
        );
    }

    fn forget(&self, _req: &Request, i: INodeNo, nlookup: u64) {
        stats::seen(Op::Forget);
        self.core.forget(ino(i), nlookup);
    }

    fn getattr(&self, _req: &Request, i: INodeNo, fh: Option<FileHandle>, reply: ReplyAttr) {
        stats::seen(Op::Getattr);
        if let Some((a, ttl)) = self.core.getattr_cached(ino(i)) {
            return reply.attr(&ttl, &self.file_attr(ino(i), &a, ttl, Answered::Attributes));
        }
        let core = self.core.clone();
        self.run(
            Op::Getattr,
            async move {
                let (a, ttl) = core.getattr(ino(i), fh.map(|h| h.0)).await?;
                Ok((file_attr(&core, ino(i), &a, ttl, Answered::Attributes), ttl))
            },
            move |r| match r {
                Ok((fa, ttl)) => reply.attr(&ttl, &fa),
                Err(e) => reply.error(fe(e)),
            },
        );
    }

    fn setattr(
        &self,
        _req: &Request,
        i: INodeNo,
        mode: Option<u32>,
        uid: Option<u32>,
        gid: Option<u32>,
        size: Option<u64>,
        atime: Option<TimeOrNow>,
        mtime: Option<TimeOrNow>,
        _ctime: Option<SystemTime>,
        fh: Option<FileHandle>,
        _crtime: Option<SystemTime>,
        _chgtime: Option<SystemTime>,
        _bkuptime: Option<SystemTime>,
        _flags: Option<fuser::BsdFileFlags>,
        reply: ReplyAttr,
    ) {
        stats::seen(Op::Setattr);
        let core = self.core.clone();
        let s = SetAttr {
            size,
            atime: set_time(atime),
            mtime: set_time(mtime),
            mode,
            uid,
            gid,
        };
        self.run(
            Op::Setattr,
            async move {
                let (a, ttl) = core.setattr(ino(i), fh.map(|h| h.0), s).await?;
                Ok((file_attr(&core, ino(i), &a, ttl, Answered::Attributes), ttl))
            },
            move |r| match r {
                Ok((fa, ttl)) => reply.attr(&ttl, &fa),
                Err(e) => reply.error(fe(e)),
            },
        );
    }

    fn mkdir(
        &self,
        _req: &Request,
        parent: INodeNo,
        name: &OsStr,
        _mode: u32,
        _umask: u32,
        reply: ReplyEntry,
    ) {
        stats::seen(Op::Mkdir);
        let core = self.core.clone();
        let name = name.to_os_string();
        self.run(
            Op::Mkdir,
            async move {
                let (i, a, ttl) = core.mkdir(ino(parent), &name).await?;
                Ok((file_attr(&core, i, &a, ttl, Answered::Entry), ttl))
            },
            move |r| match r {
                Ok((fa, ttl)) => reply.entry(&ttl, &fa, Generation(0)),
                Err(e) => reply.error(fe(e)),
            },
        );
    }

    fn mknod(
        &self,
        _req: &Request,
        parent: INodeNo,
        name: &OsStr,
        mode: u32,
        _umask: u32,
        _rdev: u32,
        reply: ReplyEntry,
    ) {
        stats::seen(Op::Mknod);
        // SMB holds files and directories only: a FIFO, socket or device node is a type
        // this file system does not support, which POSIX answers with EPERM.
        if mode & libc::S_IFMT != libc::S_IFREG {
            return reply.error(fuser::Errno::EPERM);
        }
        let core = self.core.clone();
        let name = name.to_os_string();
        self.run(
            Op::Mknod,
            async move {
                let (i, a, ttl) = core.mknod_file(ino(parent), &name).await?;
                Ok((file_attr(&core, i, &a, ttl, Answered::Entry), ttl))
            },
            move |r| match r {
                Ok((fa, ttl)) => reply.entry(&ttl, &fa, Generation(0)),
                Err(e) => reply.error(fe(e)),
            },
        );
    }

    fn unlink(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEmpty) {
        stats::seen(Op::Unlink);
        let core = self.core.clone();
        let name = name.to_os_string();
        self.run(
            Op::Unlink,
            async move { core.unlink(ino(parent), &name).await },
            move |r| empty(reply, r),
        );
    }

    fn rmdir(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEmpty) {
        stats::seen(Op::Rmdir);
        let core = self.core.clone();
        let name = name.to_os_string();
        self.run(
            Op::Rmdir,
            async move { core.rmdir(ino(parent), &name).await },
            move |r| empty(reply, r),
        );
    }

    fn rename(
        &self,
        _req: &Request,
        parent: INodeNo,
        name: &OsStr,
        newparent: INodeNo,
        newname: &OsStr,
        flags: RenameFlags,
        reply: ReplyEmpty,
    ) {
        stats::seen(Op::Rename);
        if flags.intersects(RenameFlags::RENAME_EXCHANGE | RenameFlags::RENAME_WHITEOUT) {
            return reply.error(fuser::Errno::EINVAL);
        }
        let replace = !flags.contains(RenameFlags::RENAME_NOREPLACE);
        let core = self.core.clone();
        let (name, newname): (OsString, OsString) = (name.into(), newname.into());
        self.run(
            Op::Rename,
            async move {
                core.rename(ino(parent), &name, ino(newparent), &newname, replace)
                    .await
            },
            move |r| empty(reply, r),
        );
    }

    fn open(&self, req: &Request, i: INodeNo, flags: OpenFlags, reply: ReplyOpen) {
        stats::seen(Op::Open);
        let pid = process_of(req.pid());
        // Under a lease, the kernel's pages are as good as what the lease keeps.
        if let Some(fh) = self.core.open_cached(ino(i), flags.0, pid) {
            return reply.opened(FileHandle(fh), FopenFlags::FOPEN_KEEP_CACHE);
        }
        let core = self.core.clone();
        let direct = self.write_only(flags.0);
        self.run(
            Op::Open,
            async move { core.open(ino(i), flags.0, pid).await },
            move |r| match r {
                Ok((fh, false)) => reply.opened(FileHandle(fh), direct),
                Ok((fh, true)) => {
                    reply.opened(FileHandle(fh), direct | FopenFlags::FOPEN_KEEP_CACHE)
                }
                Err(e) => reply.error(fe(e)),
            },
        );
    }

    fn create(
        &self,
        req: &Request,
        parent: INodeNo,
        name: &OsStr,
        _mode: u32,
        _umask: u32,
        flags: i32,
        reply: ReplyCreate,
    ) {
        stats::seen(Op::Create);
        let pid = process_of(req.pid());
        // A create sent at close() needs no round trip now: answered on this thread.
        match self.core.create_now(ino(parent), name, flags, pid) {
            Some(Ok((i, a, fh))) => {
                let fa = self.file_attr(i, &a, KERNEL_TTL, Answered::Entry);
                return reply.created(
                    &KERNEL_TTL,
                    &fa,
                    Generation(0),
                    FileHandle(fh),
                    self.write_only(flags),
                );
            }
            Some(Err(e)) => return reply.error(fe(e)),
            None => {}
        }
        let core = self.core.clone();
        let name = name.to_os_string();
        let direct = self.write_only(flags);
        self.run(
            Op::Create,
            async move {
                let (i, a, fh) = core.create(ino(parent), &name, flags, pid).await?;
                Ok((file_attr(&core, i, &a, KERNEL_TTL, Answered::Entry), fh))
            },
            move |r| match r {
                Ok((fa, fh)) => {
                    reply.created(&KERNEL_TTL, &fa, Generation(0), FileHandle(fh), direct)
                }
                Err(e) => reply.error(fe(e)),
            },
        );
    }

    fn read(
        &self,
        _req: &Request,
        _ino: INodeNo,
        fh: FileHandle,
        offset: u64,
        size: u32,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyData,
    ) {
        stats::seen(Op::Read);
        // Data that read-ahead already holds is answered here, without a task switch.
        let core = self.core.clone();
        match self.core.read_start(fh.0, offset, size) {
            Ok(ReadStart::Ready(d)) => reply.data(d.bytes()),
            Ok(ReadStart::Wait(f, plan)) => self.run(
                Op::Read,
                async move { core.read_finish(f, plan).await },
                move |r| match r {
                    Ok(d) => reply.data(d.bytes()),
                    Err(e) => reply.error(fe(e)),
                },
            ),
            Ok(ReadStart::Slow) => self.run(
                Op::Read,
                async move { core.read(fh.0, offset, size).await },
                move |r| match r {
                    Ok(d) => reply.data(&d),
                    Err(e) => reply.error(fe(e)),
                },
            ),
            Err(e) => reply.error(fe(e)),
        }
    }

    fn write(
        &self,
        _req: &Request,
        _ino: INodeNo,
        fh: FileHandle,
        offset: u64,
        data: &[u8],
        _write_flags: WriteFlags,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyWrite,
    ) {
        stats::seen(Op::Write);
        // A write the buffer takes at once (gathered, or a chunk sent from a task while a slot
        // is free) is answered here, without a task switch.
        match self.core.write_now(fh.0, offset, data) {
            Some(Ok(n)) => return reply.written(n),
            Some(Err(e)) => return reply.error(fe(e)),
            None => {}
        }
        let core = self.core.clone();
        let data = data.to_vec();
        self.run(
            Op::Write,
            async move { core.write(fh.0, offset, data).await },
            move |r| match r {
                Ok(n) => reply.written(n),
                Err(e) => reply.error(fe(e)),
            },
        );
    }

    fn flush(
        &self,
        _req: &Request,
        i: INodeNo,
        fh: FileHandle,
        lock_owner: LockOwner,
        reply: ReplyEmpty,
    ) {
        stats::seen(Op::Flush);
        // A handle that cannot have written anything is answered here: close() of a file
        // only read waits for no task switch.
        if let Some(r) = self.core.flush_now(fh.0) {
            return empty(reply, r);
        }
        let core = self.core.clone();
        self.spawn(Op::Flush, async move {
            let r = core.guard(core.flush(fh.0)).await;
            // A close by a process releases all its POSIX locks on the file (so every close
            // must reach us: never answer an open with FOPEN_NOFLUSH); from the table even
            // when the drive is disconnected (each server call has its own deadline).
            core.posix_unlock_owner(ino(i), lock_owner.0).await;
            empty(reply, r);
        });
    }

    fn release(
        &self,
        _req: &Request,
        i: INodeNo,
        fh: FileHandle,
        _flags: OpenFlags,
        lock_owner: Option<LockOwner>,
        _flush: bool,
        reply: ReplyEmpty,
    ) {
        stats::seen(Op::Release);
        // Out of the table now, on this thread: a close() that returned never counts as open
        // once its RELEASE is here.
        let Some((f, path, releasing)) = self.core.release_begin(fh.0) else {
            return reply.ok();
        };
        if f.release_idle() {
            // Read from a snapshot only: no server handle to close.
            return reply.ok();
        }
        let core = self.core.clone();
        self.spawn(Op::Release, async move {
            if let Err(e) = core.release_end(f, &path).await {
                tracing::warn!(error = %e, "closing a server handle at release failed");
            }
            drop(releasing);
            // Its server locks went with it; an flock() owner's locks end here.
            core.posix_handle_closed(ino(i), fh.0, lock_owner.map(|o| o.0))
                .await;
            reply.ok();
        });
    }

    fn fsync(
        &self,
        _req: &Request,
        _ino: INodeNo,
        fh: FileHandle,
        _datasync: bool,
        reply: ReplyEmpty,
    ) {
        stats::seen(Op::Fsync);
        let core = self.core.clone();
        self.run(Op::Fsync, async move { core.fsync(fh.0).await }, move |r| {
            empty(reply, r)
        });
    }

    fn fallocate(
        &self,
        _req: &Request,
        _ino: INodeNo,
        fh: FileHandle,
        offset: u64,
        length: u64,
        mode: i32,
        reply: ReplyEmpty,
    ) {
        stats::seen(Op::Fallocate);
        let core = self.core.clone();
        self.run(
            Op::Fallocate,
            async move { core.fallocate(fh.0, offset, length, mode).await },
            move |r| empty(reply, r),
        );
    }

    fn getlk(
        &self,
        _req: &Request,
        i: INodeNo,
        fh: FileHandle,
        lock_owner: LockOwner,
        start: u64,
        end: u64,
        typ: i32,
        _pid: u32,
        reply: ReplyLock,
    ) {
        stats::seen(Op::Getlk);
        let core = self.core.clone();
        self.run(
            Op::Getlk,
            async move {
                let ask = LockAsk {
                    fh: fh.0,
                    owner: lock_owner.0,
                    start,
                    end,
                    typ,
                };
                core.posix_getlk(ino(i), ask).await
            },
            move |r| match r {
                Ok((start, end, typ, pid)) => reply.locked(start, end, typ, pid),
                Err(e) => reply.error(fe(e)),
            },
        );
    }

    fn setlk(
        &self,
        req: &Request,
        i: INodeNo,
        fh: FileHandle,
        lock_owner: LockOwner,
        start: u64,
        end: u64,
        typ: i32,
        pid: u32,
        sleep: bool,
        reply: ReplyEmpty,
    ) {
        stats::seen(Op::Setlk);
        // fcntl locks, and flock() (fuser 0.18 drops FUSE_LK_FLOCK, but a flock arrives as a
        // whole-file lock owned by the open file description, which the owner table gives
        // flock semantics). A waiting lock has no deadline; each server call has one.
        let core = self.core.clone();
        let waiter = req.pid();
        self.spawn(Op::Setlk, async move {
            let ask = LockAsk {
                fh: fh.0,
                owner: lock_owner.0,
                start,
                end,
                typ,
            };
            let r = core.posix_lock(ino(i), ask, pid, sleep, waiter).await;
            empty(reply, r);
        });
    }

    fn opendir(&self, req: &Request, i: INodeNo, _flags: OpenFlags, reply: ReplyOpen) {
        stats::seen(Op::Opendir);
        let core = self.core.clone();
        let pid = process_of(req.pid());
        self.spawn(Op::Opendir, async move {
            let r = core.guard_listing(core.opendir(ino(i), pid)).await;
            match r {
                Ok(fh) => reply.opened(FileHandle(fh), FopenFlags::empty()),
                Err(e) => reply.error(fe(e)),
            }
        });
    }

    fn readdir(
        &self,
        _req: &Request,
        i: INodeNo,
        fh: FileHandle,
        offset: u64,
        mut reply: ReplyDirectory,
    ) {
        stats::seen(Op::Readdir);
        let (dir, entries) = match self.core.dir_entries(ino(i), fh.0) {
            Ok(x) => x,
            Err(e) => return reply.error(fe(e)),
        };
        let dots = [(i, "."), (i, "..")];
        let total = 2 + entries.len() as u64;
        let done = fill_page(offset, total, |next| {
            if next < 2 {
                let (di, name) = dots[next as usize];
                reply.add(di, next + 1, FileType::Directory, name)
            } else {
                let e = &entries[(next - 2) as usize];
                // d_ino is informational; an inode not looked up yet gets a stable stand-in.
                let di = self
                    .core
                    .peek(&dir, &e.name)
                    .map(|x| INodeNo(x.0))
                    .unwrap_or(INodeNo(u64::MAX - next));
                let kind = if e.attr.is_dir {
                    FileType::Directory
                } else {
                    FileType::RegularFile
                };
                reply.add(di, next + 1, kind, &e.name)
            }
        });
        if done {
            self.core.dir_done(fh.0);
        }
        reply.ok();
    }

    fn readdirplus(
        &self,
        _req: &Request,
        i: INodeNo,
        fh: FileHandle,
        offset: u64,
        mut reply: ReplyDirectoryPlus,
    ) {
        stats::seen(Op::Readdirplus);
        let (dir, entries) = match self.core.dir_entries(ino(i), fh.0) {
            Ok(x) => x,
            Err(e) => return reply.error(fe(e)),
        };
        // A listing of a directory whose every entry the kernel holds, name and attributes,
        // for a while yet (a `stat` of each name asks nothing): names are all it needs. The
        // first page then carries "." and ".." alone, and the kernel, which asks for
        // READDIRPLUS past the first page only where names were looked up meanwhile
        // (`FUSE_READDIRPLUS_AUTO`), asks for the rest with plain READDIR: no entry and no
        // attributes for it to apply again, and for `ls -l` of 2000 names a reply of 64 KiB,
        // not 330 KiB (ADR 0022).
        let names_only =
            offset == 0 && self.readdirplus_auto && self.core.kernel_holds_all(&dir, &entries);
        let total = if names_only {
            2
        } else {
            2 + entries.len() as u64
        };
        let dir_attr = self.core.cache.attr(&dir);
        let done = fill_page(offset, total, |next| {
            if next < 2 {
                // The kernel takes no lookup for "." and ".."; their attributes are not used.
                let name = if next == 0 { "." } else { ".." };
                let a = dir_attr.unwrap_or(Attr {
                    size: 0,
                    allocated: 0,
                    atime: SystemTime::UNIX_EPOCH,
                    mtime: SystemTime::UNIX_EPOCH,
                    ctime: SystemTime::UNIX_EPOCH,
                    crtime: SystemTime::UNIX_EPOCH,
                    is_dir: true,
                    attributes: 0,
                    id: ServerFileId::UNKNOWN,
                });
                let fa = fuse_attr(&self.core, ino(i), &a);
                reply.add(i, next + 1, name, &KERNEL_TTL, &fa, Generation(0))
            } else {
                let e = &entries[(next - 2) as usize];
                let ci = self.core.lookup_listed(&dir, &e.name, e.attr.id);
                let mut a = e.attr;
                let mut ttl = KERNEL_TTL;
                // Long-lived only if it is what the watch knows now (the listing may be older).
                let path = super::names::join(&dir, &e.name);
                if !a.is_dir && self.core.cache.known(&path) == Some(Known::Present(a)) {
                    ttl = WATCHED_TTL;
                }
                for f in self.core.handles.files_of(ci) {
                    a.size = a.size.max(f.writes.high_water());
                    if f.writable {
                        ttl = KERNEL_TTL;
                    }
                }
                let fa = fuse_attr(&self.core, ci, &a);
                let full = reply.add(INodeNo(ci.0), next + 1, &e.name, &ttl, &fa, Generation(0));
                if full {
                    // Not sent: the kernel will not count this lookup.
                    self.core.forget(ci, 1);
                } else {
                    self.core.told(ci, &a, ttl, Answered::Entry);
                }
                full
            }
        });
        if done && !names_only {
            self.core.dir_done(fh.0);
        }
        reply.ok();
    }

    fn releasedir(
        &self,
        _req: &Request,
        _ino: INodeNo,
        fh: FileHandle,
        _flags: OpenFlags,
        reply: ReplyEmpty,
    ) {
        stats::seen(Op::Releasedir);
        self.core.releasedir(fh.0);
        reply.ok();
    }

    fn fsyncdir(
        &self,
        _req: &Request,
        _ino: INodeNo,
        _fh: FileHandle,
        _datasync: bool,
        reply: ReplyEmpty,
    ) {
        stats::seen(Op::Fsyncdir);
        reply.ok();
    }

    /// The drive has no extended attributes, and says so for every name: "not supported"
    /// (`EOPNOTSUPP`), not fuser's default "not implemented" (`ENOSYS`). After an `ENOSYS`
    /// the kernel answers every later `getxattr` itself, and a POSIX ACL name then gets
    /// `ENODATA` ("this file has no ACL"), which tells `ls -l` nothing about the file system:
    /// it asks again for each file it lists (a path walk each). `EOPNOTSUPP` reaches `ls` as
    /// "no ACLs on this device" and it asks once per listing (ADR 0022).
    fn getxattr(
        &self,
        _req: &Request,
        _ino: INodeNo,
        _name: &OsStr,
        _size: u32,
        reply: ReplyXattr,
    ) {
        stats::seen(Op::Getxattr);
        reply.error(fuser::Errno::EOPNOTSUPP);
    }

    fn statfs(&self, _req: &Request, _ino: INodeNo, reply: ReplyStatfs) {
        stats::seen(Op::Statfs);
        let core = self.core.clone();
        self.run(
            Op::Statfs,
            async move { core.statfs().await },
            move |r| match r {
                Ok(fs) => {
                    let unit = fs.unit.clamp(512, u64::from(u32::MAX)) as u32;
                    let namelen = match fs.max_name {
                        0 => 255,
                        n => n,
                    };
                    reply.statfs(
                        fs.total_units,
                        fs.free_units,
                        fs.available_units,
                        0,
                        0,
                        unit,
                        namelen,
                        unit,
                    )
                }
                Err(e) => reply.error(fe(e)),
            },
        );
    }
}

fn empty(reply: ReplyEmpty, r: Result<(), Errno>) {
    match r {
        Ok(()) => reply.ok(),
        Err(e) => reply.error(fe(e)),
    }
}

/// FUSE requests the drives of this process were sent, by opcode, and how many of them were
/// answered from a task on the runtime (a hand-off: a wake-up of a runtime thread, then of
/// the caller) rather than on the FUSE thread itself. Counted always (a relaxed add per
/// request); read with [`stats::request_counts`] (the benchmark prints them per row with
/// `WNET_DRIVE_STATS=1`).
pub mod stats {
    use std::sync::atomic::{AtomicU64, Ordering};

    /// A FUSE opcode the drive answers.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    #[allow(missing_docs)]
    pub enum Op {
        Lookup,
        Forget,
        Getattr,
        Setattr,
        Mkdir,
        Mknod,
        Unlink,
        Rmdir,
        Rename,
        Open,
        Create,
        Read,
        Write,
        Flush,
        Release,
        Fsync,
        Fallocate,
        Getlk,
        Setlk,
        Opendir,
        Readdir,
        Readdirplus,
        Releasedir,
        Fsyncdir,
        Statfs,
        Getxattr,
    }

    impl Op {
        const ALL: [Op; 26] = [
            Op::Lookup,
            Op::Forget,
            Op::Getattr,
            Op::Setattr,
            Op::Mkdir,
            Op::Mknod,
            Op::Unlink,
            Op::Rmdir,
            Op::Rename,
            Op::Open,
            Op::Create,
            Op::Read,
            Op::Write,
            Op::Flush,
            Op::Release,
            Op::Fsync,
            Op::Fallocate,
            Op::Getlk,
            Op::Setlk,
            Op::Opendir,
            Op::Readdir,
            Op::Readdirplus,
            Op::Releasedir,
            Op::Fsyncdir,
            Op::Statfs,
            Op::Getxattr,
        ];

        /// The opcode's name (`LOOKUP`, ...).
        pub fn name(self) -> &'static str {
            match self {
                Op::Lookup => "LOOKUP",
                Op::Forget => "FORGET",
                Op::Getattr => "GETATTR",
                Op::Setattr => "SETATTR",
                Op::Mkdir => "MKDIR",
                Op::Mknod => "MKNOD",
                Op::Unlink => "UNLINK",
                Op::Rmdir => "RMDIR",
                Op::Rename => "RENAME",
                Op::Open => "OPEN",
                Op::Create => "CREATE",
                Op::Read => "READ",
                Op::Write => "WRITE",
                Op::Flush => "FLUSH",
                Op::Release => "RELEASE",
                Op::Fsync => "FSYNC",
                Op::Fallocate => "FALLOCATE",
                Op::Getlk => "GETLK",
                Op::Setlk => "SETLK",
                Op::Opendir => "OPENDIR",
                Op::Readdir => "READDIR",
                Op::Readdirplus => "READDIRPLUS",
                Op::Releasedir => "RELEASEDIR",
                Op::Fsyncdir => "FSYNCDIR",
                Op::Statfs => "STATFS",
                Op::Getxattr => "GETXATTR",
            }
        }
    }

    const N: usize = Op::ALL.len();
    static SEEN: [AtomicU64; N] = [const { AtomicU64::new(0) }; N];
    static HOPPED: [AtomicU64; N] = [const { AtomicU64::new(0) }; N];

    pub(super) fn seen(op: Op) {
        SEEN[op as usize].fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn hopped(op: Op) {
        HOPPED[op as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// Per opcode so far: (opcode, requests, of which answered from a runtime task).
    pub fn request_counts() -> Vec<(Op, u64, u64)> {
        Op::ALL
            .iter()
            .map(|&op| {
                let i = op as usize;
                (
                    op,
                    SEEN[i].load(Ordering::Relaxed),
                    HOPPED[i].load(Ordering::Relaxed),
                )
            })
            .collect()
    }
}

/// Adds the entries of a directory listing from `offset` on, one `add(position)` each, until
/// `add` answers that the kernel's buffer is full; true when the listing's end was reached.
fn fill_page(offset: u64, total: u64, mut add: impl FnMut(u64) -> bool) -> bool {
    let mut next = offset;
    while next < total {
        if add(next) {
            return false;
        }
        next += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::process_of;

    #[test]
    fn a_threads_process_is_its_thread_group_asked_or_remembered() {
        let pid = std::process::id();
        let tid = std::thread::spawn(|| {
            // SAFETY: gettid has no preconditions.
            let tid = unsafe { libc::gettid() } as u32;
            let pid = std::process::id();
            assert_ne!(tid, pid, "a spawned thread has an id of its own");
            assert_eq!(process_of(tid), pid, "asked of /proc");
            assert_eq!(process_of(tid), pid, "remembered");
            tid
        })
        .join()
        .unwrap();
        assert_eq!(process_of(pid), pid);
        assert_ne!(process_of(tid), tid);
        // A thread id that names nothing stands for itself.
        assert_eq!(process_of(u32::MAX), u32::MAX);
    }
}
