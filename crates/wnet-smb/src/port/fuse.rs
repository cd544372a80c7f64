//! The `fuser` adapter of a port: the mount's root is one write-only regular file. OPEN creates
//! a print job on the share, WRITE appends to it (buffered and pipelined as the drive's
//! writes), FLUSH waits until the server has every byte (so `close()` reports a failure),
//! RELEASE closes the job, which submits it. Every other operation answers `ENOSYS`.

use std::ffi::OsStr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use fuser::{
    FileAttr, FileHandle, FileType, Filesystem, FopenFlags, INodeNo, KernelConfig, LockOwner,
    OpenFlags, ReplyAttr, ReplyEmpty, ReplyEntry, ReplyOpen, ReplyWrite, Request, TimeOrNow,
    WriteFlags,
};

use super::PortCore;
use crate::drive::errno::{self, Errno};
use crate::drive::remote::FsError;

/// The largest write the kernel may send in one request.
const MAX_WRITE: u32 = 1 << 20;
/// How long the kernel may keep the port's attributes: they never change.
const TTL: Duration = Duration::from_secs(60);

/// The filesystem handed to `fuser`.
pub(super) struct PortFs {
    core: Arc<PortCore>,
}

impl PortFs {
    pub(super) fn new(core: Arc<PortCore>) -> Self {
        PortFs { core }
    }

    fn attr(&self) -> FileAttr {
        let t = self.core.mounted_at;
        FileAttr {
            ino: INodeNo::ROOT,
            size: 0,
            blocks: 0,
            atime: t,
            mtime: t,
            ctime: t,
            crtime: t,
            kind: FileType::RegularFile,
            // Write-only: a port is printed to, never read.
            perm: 0o200,
            nlink: 1,
            uid: self.core.uid,
            gid: self.core.gid,
            rdev: 0,
            blksize: MAX_WRITE,
            flags: 0,
        }
    }
}

impl PortFs {
    /// Answers `reply` once the server acknowledged every byte of `job` (or with the error).
    fn flush_job(&self, job: std::sync::Arc<super::jobs::Job>, reply: ReplyEmpty) {
        let core = self.core.clone();
        self.core.rt.spawn(async move {
            match core.guard(async { job.flush().await }).await {
                Ok(()) => reply.ok(),
                Err(e) => reply.error(fe(e)),
            }
        });
    }
}

fn fe(e: Errno) -> fuser::Errno {
    fuser::Errno::from_i32(e.0)
}

impl Filesystem for PortFs {
    fn init(&mut self, _req: &Request, config: &mut KernelConfig) -> std::io::Result<()> {
        if let Err(max) = config.set_max_write(MAX_WRITE) {
            let _ = config.set_max_write(max);
        }
        Ok(())
    }

    fn lookup(&self, _req: &Request, _parent: INodeNo, _name: &OsStr, reply: ReplyEntry) {
        reply.error(fuser::Errno::ENOTDIR);
    }

    fn getattr(&self, _req: &Request, i: INodeNo, _fh: Option<FileHandle>, reply: ReplyAttr) {
        if i != INodeNo::ROOT {
            return reply.error(fuser::Errno::ENOENT);
        }
        reply.attr(&TTL, &self.attr());
    }

    fn setattr(
        &self,
        _req: &Request,
        _i: INodeNo,
        mode: Option<u32>,
        uid: Option<u32>,
        gid: Option<u32>,
        _size: Option<u64>,
        _atime: Option<TimeOrNow>,
        _mtime: Option<TimeOrNow>,
        _ctime: Option<SystemTime>,
        _fh: Option<FileHandle>,
        _crtime: Option<SystemTime>,
        _chgtime: Option<SystemTime>,
        _bkuptime: Option<SystemTime>,
        _flags: Option<fuser::BsdFileFlags>,
        reply: ReplyAttr,
    ) {
        // `> LPT1` truncates: a port has no size, so that (and touching its times) is a no-op.
        if mode.is_some() || uid.is_some() || gid.is_some() {
            return reply.error(fuser::Errno::EPERM);
        }
        reply.attr(&TTL, &self.attr());
    }

    fn open(&self, req: &Request, _i: INodeNo, flags: OpenFlags, reply: ReplyOpen) {
        if flags.0 & libc::O_ACCMODE != libc::O_WRONLY {
            // Root passes the kernel's permission check; the port is still write-only.
            return reply.error(fuser::Errno::EACCES);
        }
        let core = self.core.clone();
        let pid = crate::drive::process_of(req.pid());
        self.core.rt.spawn(async move {
            match core.open_job(pid).await {
                Ok(fh) => reply.opened(
                    FileHandle(fh),
                    FopenFlags::FOPEN_DIRECT_IO | FopenFlags::FOPEN_NONSEEKABLE,
                ),
                Err(e) => reply.error(fe(e)),
            }
        });
    }

    fn write(
        &self,
        _req: &Request,
        _i: INodeNo,
        fh: FileHandle,
        _offset: u64,
        data: &[u8],
        _write_flags: WriteFlags,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyWrite,
    ) {
        let Some(job) = self.core.jobs.get(fh.0) else {
            // Gone with a forced cancel (which submitted it): EIO, as on a detached drive.
            return reply.error(if self.core.is_detached() {
                fuser::Errno::EIO
            } else {
                fuser::Errno::EBADF
            });
        };
        let core = self.core.clone();
        let data = data.to_vec();
        self.core.rt.spawn(async move {
            let written = core.guard(async { job.write(&data).await }).await;
            match written {
                Ok(n) => reply.written(n as u32),
                Err(e) => reply.error(fe(e)),
            }
        });
    }

    fn flush(
        &self,
        _req: &Request,
        _i: INodeNo,
        fh: FileHandle,
        _lock_owner: LockOwner,
        reply: ReplyEmpty,
    ) {
        // `close()` returns once the server has every byte of the job, or with the error.
        let Some(job) = self.core.jobs.get(fh.0) else {
            return reply.ok();
        };
        self.core.jobs.flushed(fh.0);
        self.flush_job(job, reply);
    }

    fn fsync(&self, _req: &Request, _i: INodeNo, fh: FileHandle, _ds: bool, reply: ReplyEmpty) {
        let Some(job) = self.core.jobs.get(fh.0) else {
            return reply.error(fuser::Errno::EBADF);
        };
        self.flush_job(job, reply);
    }

    fn release(
        &self,
        _req: &Request,
        _i: INodeNo,
        fh: FileHandle,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        _flush: bool,
        reply: ReplyEmpty,
    ) {
        let Some(job) = self.core.jobs.remove(fh.0) else {
            // A forced cancel submitted it already.
            return reply.ok();
        };
        let core = self.core.clone();
        self.core.rt.spawn(async move {
            match core.guard(async { job.submit().await }).await {
                Ok(()) => reply.ok(),
                Err(e) => {
                    tracing::warn!(errno = e.0, "submitting a print job failed");
                    reply.error(fe(e))
                }
            }
        });
    }
}

/// The errno of a failure on a port.
pub(super) fn errno_of(e: &FsError) -> Errno {
    errno::from_fs(e, false)
}
