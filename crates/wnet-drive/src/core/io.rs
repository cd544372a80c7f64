//! File I/O: open and create (small files read whole at open), reads through read-ahead,
//! buffered writes, flush at each `close()`, fsync, fallocate, release.

use super::Core;
use crate::cache::{Attr, Known};
use crate::errno::{self, Errno};
use crate::handle_table::{Holder, Kind, OpenFile, Releasing};
use crate::inode::InodeNo;
use crate::lease;
use crate::readahead::{Plan, Served};
use crate::remote::{Access, Disposition, KeepKey, OpenHow};
use std::ffi::OsStr;
use std::sync::Arc;

/// Files up to this size are read whole at a read-only open (one round trip for open, read
/// and close). One read-ahead chunk: the snapshot is served like one.
pub const SMALL_FILE: u64 = crate::readahead::CHUNK;
/// How much more than the size the lookup saw the small-file open asks for.
const SMALL_SLACK: u64 = 64 << 10;

/// How a read continues after [`Core::read_start`].
pub enum ReadStart {
    /// Answered already.
    Ready(Served),
    /// Wait for read-ahead chunks in flight.
    Wait(Arc<OpenFile>, Plan),
    /// Do it all on the runtime ([`Core::read`]).
    Slow,
}

impl Core {
    /// OPEN. A read-only open of a file known to be small reads it whole in the same round
    /// trip (see [`Core::open_small`]), or not at all while a lease keeps what an earlier
    /// open read. Returns the handle, and whether the kernel may keep the pages it has of
    /// the file (`FOPEN_KEEP_CACHE`: only when they are the server's bytes as of this open:
    /// answered under a lease it read them under, or just stored by this open).
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
        let how = OpenHow {
            access: match flags & libc::O_ACCMODE {
                libc::O_RDONLY => Access::Read,
                libc::O_WRONLY => Access::Write,
                _ => Access::ReadWrite,
            },
            disposition: Disposition::Open,
            // Every handle asks to be durable: where the server grants it, the engine reclaims
            // it after a dropped connection, so no acknowledged write is lost and a read in
            // progress goes on; a read-only handle the server did not make durable is opened
            // again by path if the file is unchanged (the provider's business).
            durable: true,
        };
        let stamp = self.cache.stamp(&path);
        let opened = self.ask(self.fs.open(&path, how)).await?;
        self.revalidate_at_open(ino, &path, opened.attr, stamp)
            .await;
        let of = OpenFile::new(opened.file, writable, &self.rt);
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

    /// A read-only open of `path` as one compound (create + read + close) when the attributes
    /// the kernel's lookup just fetched say the file is small: its contents as of the open,
    /// or `None` to open it the usual way (size unknown or large, the file grew past what was
    /// read, or the read failed where an open succeeds: another client's byte-range lock).
    /// Like any read-only open without a lease, the reader sees the file as it was at open.
    /// On a plain share the compound asks for a lease and leaves the handle open, parked
    /// (see [`lease`]); while the lease holds, the next open is answered from what this one
    /// read, without a round trip (then `true`: the kernel's pages are as good). The bytes
    /// read go to the kernel's page cache before the open is answered
    /// ([`Core::kernel_store`], then `true` too): the reads that follow ask nothing.
    pub(super) async fn open_small(
        &self,
        ino: InodeNo,
        path: &str,
    ) -> Result<Option<(Arc<Vec<u8>>, bool)>, Errno> {
        if let Some(data) = self.leased_snapshot(ino) {
            return Ok(Some((data, true)));
        }
        // Our own writers' buffered bytes are in no snapshot: none is taken while one is open.
        let open_here = self.handles.files_of(ino);
        let writers = open_here.iter().any(|f| f.writable);
        // Counted before the server is asked (see Core::kernel_store).
        let epoch = self.page_epoch();
        let Ok(Some((known, _))) = self.stat_cached(path) else {
            return Ok(None);
        };
        let max = SMALL_FILE.min(u64::from(self.fs.capabilities().max_read));
        if known.is_dir || known.size > max {
            return Ok(None);
        }
        // Room to grow; a full answer is the whole file only if the open saw that size.
        let want = (known.size + SMALL_SLACK).min(max);
        let stamp = self.cache.stamp(path);
        let park = self.leasing && !writers && self.leases.has_room(want as usize);
        let (read, file) = if park {
            let key = KeepKey::random();
            self.leases.begin(key);
            let listener = self.leases.listener();
            let r = self
                .fs
                .open_read_kept(path, want as u32, key, listener)
                .await;
            if r.is_err() {
                self.leases.abandon(&key);
            }
            let (read, file) = self.answered(r)?;
            (read, Some((key, file)))
        } else {
            (self.ask(self.fs.open_read(path, want as u32)).await?, None)
        };
        let a: Attr = read.attr;
        let fresh = self.revalidate_at_open(ino, path, a, stamp).await;
        let data = read
            .data
            .ok()
            .filter(|data| (data.len() as u64) < want || data.len() as u64 == a.size);
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
        // The kernel gets the bytes with the open: its reads ask nothing more.
        let kept = fresh
            && open_here.is_empty()
            && data.len() as u64 == a.size
            && self.kernel_store(ino, &data, epoch).await;
        Ok(Some((data, kept)))
    }

    /// The server handle of a file opened lazily ([`Core::open_small`]), opened now if it has
    /// none yet (a lock needs one, and so does a read once the snapshot is gone).
    pub(super) async fn server_handle(&self, fh: u64, f: &OpenFile) -> Result<(), Errno> {
        if !f.needs_server_handle() {
            return Ok(());
        }
        let path = self.handles.path_of(fh).ok_or(Errno::EBADF)?;
        self.ensure_handle(f, &path).await
    }

    /// [`Core::server_handle`] of `f` open at `path`: a deferred create is sent; a file
    /// without one (read from a snapshot, or written whole in a compound at an earlier
    /// `close()` of a `dup`) is opened again, for reading, or reading and writing.
    pub(super) async fn ensure_handle(&self, f: &OpenFile, path: &str) -> Result<(), Errno> {
        if f.pending_create().is_some() {
            // The create may go whole meanwhile, in a compound at a close() of another
            // descriptor (a child's copy closed at exec, say): the file is opened again then.
            self.send_create(f).await?;
        }
        if !f.needs_server_handle() {
            return Ok(());
        }
        // Its own lease would be broken by this open (and the server wait for our answer).
        self.unpark_under(path).await;
        let how = OpenHow {
            access: if f.writable {
                Access::ReadWrite
            } else {
                Access::Read
            },
            disposition: Disposition::Open,
            durable: true,
        };
        let r = f
            .ensure_server_handle(self.guard(async {
                let opened = self.ask(self.fs.open(path, how)).await;
                opened.map(|o| o.file)
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
        let how = Self::create_how(flags);
        let holder = Holder {
            pid,
            path: path.clone(),
            is_dir: false,
        };
        self.unpark_under(&path).await;
        if self.may_defer(flags) {
            return Ok(self.create_deferred(path, how, holder));
        }
        self.cache.own_start(&path);
        let created = self.fs.open(&path, how).await;
        self.check_moved();
        let opened = match created {
            Ok(f) => f,
            Err(e) => {
                self.cache.own_done(&path, None);
                return Err(self.remote::<()>(Err(e)).unwrap_err());
            }
        };
        let a = opened.attr;
        self.cache.own_done(&path, Some(Known::Present(a)));
        self.cache.entry_changed(&path);
        let ino = self.inodes.lock().expect("inode lock").lookup(&path, a.id);
        let of = OpenFile::new(opened.file, true, &self.rt);
        let fh = self.handles.insert(holder, ino, Kind::File(Arc::new(of)));
        Ok((ino, a, fh))
    }

    /// CREATE answered on the caller's (FUSE) thread, without waiting: a create that waits
    /// for `close()` ([`Core::may_defer`]) with no handle parked at or below the name (those
    /// are closed first, a round trip); `None`: ask [`Core::create`].
    pub fn create_now(
        &self,
        parent: InodeNo,
        name: &OsStr,
        flags: i32,
        pid: u32,
    ) -> Option<Result<(InodeNo, Attr, u64), Errno>> {
        if !self.is_connected() || !self.may_defer(flags) {
            return None;
        }
        if let Err(e) = self.writable_mount() {
            return Some(Err(e));
        }
        let path = match self.child(parent, name) {
            Ok(p) => p,
            Err(e) => return Some(Err(e)),
        };
        if self.leases.parked_under(&path) {
            return None;
        }
        let how = Self::create_how(flags);
        let holder = Holder {
            pid,
            path: path.clone(),
            is_dir: false,
        };
        Some(Ok(self.create_deferred(path, how, holder)))
    }

    /// How a CREATE with these open flags opens the name.
    fn create_how(flags: i32) -> OpenHow {
        OpenHow {
            access: Access::ReadWrite,
            disposition: if flags & libc::O_EXCL != 0 {
                Disposition::CreateNew
            } else if flags & libc::O_TRUNC != 0 {
                Disposition::Replace
            } else {
                Disposition::OpenOrCreate
            },
            durable: true,
        }
    }

    /// A create of `path` registered to be sent at `close()`, in one round trip with the
    /// content (see `deferred`): its inode, attributes and handle.
    fn create_deferred(&self, path: String, how: OpenHow, holder: Holder) -> (InodeNo, Attr, u64) {
        let d = Self::deferred(&path, how);
        let of = Arc::new(OpenFile::deferred(d.clone(), &self.rt));
        let a = self.creating(&path, &of, &d);
        let ino = self.inodes.lock().expect("inode lock").lookup(&path, a.id);
        let fh = self.handles.insert(holder, ino, Kind::File(of));
        (ino, a, fh)
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
            self.remote(r)?;
        }
        self.land_other_writers(fh, &f).await?;
        let hint = f.size_at_open.max(f.writes.high_water());
        let r = f.reads.read(offset, size, hint).await;
        self.remote(r)
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
        if f.writable || f.needs_server_handle() || !self.other_writers(fh, &f).is_empty() {
            return Ok(ReadStart::Slow);
        }
        let plan = f.reads.plan(offset, size, f.size_at_open);
        match f.reads.ready(&plan) {
            Some(r) => Ok(ReadStart::Ready(self.remote(r)?)),
            None => Ok(ReadStart::Wait(f, plan)),
        }
    }

    /// The other handles on `fh`'s file holding writes the server may not have yet.
    fn other_writers(&self, fh: u64, f: &Arc<OpenFile>) -> Vec<Arc<OpenFile>> {
        let Some(ino) = self.handles.ino_of(fh) else {
            return Vec::new();
        };
        let mut others = self.handles.files_of(ino);
        others.retain(|o| o.writable && !Arc::ptr_eq(o, f) && !o.writes.is_empty());
        others
    }

    /// Before a READ through `fh` goes to the server: what other descriptors of the file
    /// wrote and still buffer lands first, so the read sees it (a write-only descriptor's
    /// bytes are in no page cache). A failure stays with the handle that wrote.
    async fn land_other_writers(&self, fh: u64, f: &Arc<OpenFile>) -> Result<(), Errno> {
        let others = self.other_writers(fh, f);
        if others.is_empty() {
            return Ok(());
        }
        let path = self.path(self.handles.ino_of(fh).ok_or(Errno::EBADF)?)?;
        for o in others {
            self.ensure_handle(&o, &path).await?;
            o.writes.settle().await;
        }
        Ok(())
    }

    /// READ, continued from [`Core::read_start`].
    pub async fn read_finish(&self, f: Arc<OpenFile>, plan: Plan) -> Result<Served, Errno> {
        let r = f.reads.complete(plan).await;
        self.remote(r)
    }

    /// WRITE: buffered; answered once the data is queued.
    pub async fn write(&self, fh: u64, offset: u64, data: Vec<u8>) -> Result<u32, Errno> {
        let f = self.file(fh)?;
        if !f.writable {
            return Err(Errno::EBADF);
        }
        // This write may have to be sent: the file needs its server handle.
        self.server_handle(fh, &f).await?;
        self.drop_read_ahead(fh, &f);
        let n = data.len() as u32;
        let r = f.writes.write(offset, data).await;
        self.remote(r)?;
        Ok(n)
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

    /// WRITE without waiting, on the caller's (FUSE) thread, when the handle's buffer takes it
    /// at once (see [`crate::write_buffer::WriteBuffer::try_write_now`]: the chunks it fills
    /// are sent from tasks); `None`: do it on the runtime ([`Core::write`]).
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
        Some(self.remote(r).map(|()| data.len() as u32))
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
        let mut r = match &path {
            Some(path) if f.writable => self.land(&f, path).await,
            _ => self.remote(f.writes.flush().await).map(|()| false),
        };
        if f.writable && !self.caps.ranged_writes && r.is_ok() {
            // Without ranged writes the provider stages what it was given and sends the
            // file whole at its flush (WebDAV's PUT): close() returns once the server has
            // it. Asked whatever was written, since a truncation through the handle stages
            // too; a provider with nothing staged answers at once.
            let g = f.file.read().await;
            if let Some(file) = g.as_ref() {
                let x = file.flush().await;
                r = self.remote(x).and(r);
            }
        }
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
        if mode != 0 && !self.caps.sparse_ranges {
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
        self.remote(f.writes.flush().await)?;
        self.drop_read_ahead(fh, &f);
        let size = {
            let g = f.file.read().await;
            let file = g.as_ref().ok_or(Errno::EBADF)?;
            let info = self.remote(file.attr().await)?;
            match mode {
                PUNCH => self.remote(file.zero_range(offset, end).await)?,
                _ if end > info.allocated && end > info.size => {
                    self.remote(file.reserve(end).await)?
                }
                _ => {}
            }
            if mode == 0 && end > info.size {
                self.remote(file.set_len(end).await)?;
                end
            } else {
                info.size
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
        self.remote(r)?;
        f.writes.take_dirty();
        if f.lazy && !f.writable {
            // Read-only and served from a snapshot: nothing of it to make durable.
            return Ok(());
        }
        let g = f.file.read().await;
        let file = g.as_ref().ok_or(Errno::EBADF)?;
        let r = file.flush().await;
        self.remote(r)
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
            landed.and(self.remote(r))
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

    /// Flushes the buffered writes of every handle on `ino` (before changing size or times,
    /// which a later write would otherwise undo).
    pub(super) async fn flush_inode(&self, ino: InodeNo, path: Option<&str>) -> Result<(), Errno> {
        for f in self.handles.files_of(ino) {
            if let (Some(path), false) = (path, f.writes.is_empty()) {
                self.ensure_handle(&f, path).await?;
            }
            let r = f.writes.flush().await;
            self.remote(r)?;
        }
        Ok(())
    }

    /// Every buffered write of every open file, acknowledged; SMB2 FLUSH on each handle
    /// written since its last one.
    pub async fn flush_all(&self) -> Result<(), Errno> {
        let mut first = Ok(());
        for (f, path) in self.handles.files_with_paths() {
            let mut r = if f.writable {
                self.land(&f, &path).await.map(|_| ())
            } else {
                self.remote(f.writes.flush().await)
            };
            if r.is_ok() && f.writes.take_dirty() {
                let g = f.file.read().await;
                if let Some(file) = g.as_ref() {
                    let x = file.flush().await;
                    r = self.remote(x);
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
            let r = r.map_err(|e| errno::from_fs(&e, self.share_ro));
            if first.is_ok() {
                first = r;
            }
        }
        first
    }
}
