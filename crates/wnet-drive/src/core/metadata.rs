//! Metadata: attributes (lookup, getattr, setattr), directory listings (opendir), statfs;
//! answered from the caches where they are exact or fresh, else in one round trip.

use super::Core;
use crate::cache::{Attr, CACHE_TTL, KERNEL_TTL, Known, Listed};
use crate::errno::Errno;
use crate::handle_table::{Holder, Kind, OpenDir};
use crate::inode::{InodeNo, ServerFileId};
use crate::names;
use crate::remote::attributes::READONLY;
use crate::remote::{FsStats, SetInfo};
use crate::watch::Bounds;
use std::ffi::OsStr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

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

/// The most entries a directory may have for a stat in it to list it whole (on a server
/// without change notification, [`Core::stat_by_listing`]).
const STAT_LISTING_MAX: usize = 10_000;

/// How long a directory found to have more than [`STAT_LISTING_MAX`] entries is not listed
/// again for a stat.
const UNLISTABLE_FOR: Duration = Duration::from_secs(300);

impl Core {
    /// Attributes of `path` from the caches, with how long the kernel may keep them; `Err`
    /// when a complete watched directory knows the name does not exist; `Ok(None)`: ask the
    /// server.
    pub(super) fn stat_cached(&self, path: &str) -> Result<Option<(Attr, Duration)>, Errno> {
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
    pub(super) async fn stat(&self, path: &str) -> Result<(Attr, Duration), Errno> {
        if let Some(hit) = self.stat_cached(path)? {
            return Ok(hit);
        }
        // Polled (WebDAV): a directory not complete yet (its first listing on its way, or
        // too big to poll) is listed for a stat as without a watch.
        if (!self.caps.change_notify || self.caps.polled_watch) && !path.is_empty() {
            if let Some(hit) = self.stat_by_listing(path).await? {
                return Ok(hit);
            }
        }
        let stamp = self.cache.stamp(path);
        match self.ask(self.fs.stat(path)).await {
            Ok(a) => {
                let kept = self.cache.put_server(path, Known::Present(a), stamp);
                Ok((a, if kept { self.ttl(&a) } else { KERNEL_TTL }))
            }
            Err(e) => {
                if e == Errno::ENOENT && !path.is_empty() {
                    self.cache.put_server(path, Known::Absent, stamp);
                }
                Err(e)
            }
        }
    }

    /// A stat on a server that cannot notify (WebDAV), answered from a listing of the
    /// name's directory: a fresh one, or one made now (one request for every name in it, a
    /// depth-1 `PROPFIND`) when the directory has at most [`STAT_LISTING_MAX`] entries. A
    /// program that stats one name of a directory usually stats its neighbours next (`ls
    /// -l`, `find`, a build); they are then answered from the cache for its TTL (0.5 s:
    /// changes by others still show within 1 s). A directory is listed so at most once per
    /// TTL: our own changes drop its listing (creating 2000 files would otherwise list it
    /// before each create's LOOKUP, quadratic: measured 19.4 s for 2000 creates against
    /// 4.4 s); a name that dropped listing lacked, and that we have not changed since, is
    /// `ENOENT` while it is fresh ([`crate::cache::Cache::unlisted`]: no request for the
    /// lookup before a create or a rename to a new name). `Ok(None)`: ask for the name alone
    /// (listed within the TTL and changed since, too big a directory, remembered for
    /// [`UNLISTABLE_FOR`], or the listing failed).
    async fn stat_by_listing(&self, path: &str) -> Result<Option<(Attr, Duration)>, Errno> {
        let (dir, name) = crate::cache::split(path);
        let fold = self.fold();
        let listing = match self.cache.dir(dir) {
            Some(l) => l,
            None => {
                let dir_key = fold.key(dir);
                {
                    let mut listed = self.listed_for_stat.lock().expect("listed lock");
                    listed.retain(|_, (at, big)| {
                        at.elapsed() < if *big { UNLISTABLE_FOR } else { CACHE_TTL }
                    });
                    if listed.contains_key(&dir_key) {
                        drop(listed);
                        // Listed within the TTL, and changed by us since: a name that
                        // listing lacked and we have not touched is still absent.
                        if self.cache.unlisted(path) {
                            return Err(Errno::ENOENT);
                        }
                        return Ok(None);
                    }
                    listed.insert(dir_key.clone(), (std::time::Instant::now(), false));
                }
                match self.ask(self.fs.list_at_most(dir, STAT_LISTING_MAX)).await {
                    Ok(Some(l)) => {
                        let l = Arc::new(l);
                        self.cache.put_dir(dir, l.clone());
                        l
                    }
                    Ok(None) => {
                        let mut listed = self.listed_for_stat.lock().expect("listed lock");
                        listed.insert(dir_key, (std::time::Instant::now(), true));
                        return Ok(None);
                    }
                    Err(_) => return Ok(None),
                }
            }
        };
        let want = fold.key(name);
        match listing.iter().find(|e| fold.key(&e.name) == want) {
            Some(e) => Ok(Some((e.attr, KERNEL_TTL))),
            None => Err(Errno::ENOENT),
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
        if self.caps.polled_watch {
            // After the stat: a polled watch starts with the listing the stat took, if it
            // took one (`watch::ADOPT_AGE`), instead of listing again.
            let hit = self.stat(&path).await;
            self.watch(&dir);
            return Ok(self.looked_up(&path, hit?));
        }
        self.watch(&dir);
        let hit = self.stat(&path).await?;
        Ok(self.looked_up(&path, hit))
    }

    /// A lookup of `path` answered with `hit`: counted, with our open handles' writes.
    fn looked_up(&self, path: &str, hit: (Attr, Duration)) -> (InodeNo, Attr, Duration) {
        let ino = self
            .inodes
            .lock()
            .expect("inode lock")
            .lookup(path, hit.0.id);
        let (a, ttl) = self.with_open_writes(ino, hit);
        (ino, a, ttl)
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
        Some(Ok(self.looked_up(&path, hit)))
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
            self.remote(file.attr().await)?
        };
        Ok(self.with_open_writes(ino, (info, KERNEL_TTL)))
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
        if s.size.is_some() {
            // An open storing the file's pages meanwhile must not leave the old bytes.
            self.resized
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
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
        let at = |t: SetTime| match t {
            SetTime::At(t) => t,
            SetTime::Now => SystemTime::now(),
        };
        let mut info = SetInfo {
            atime: s.atime.map(at),
            mtime: s.mtime.map(at),
            attributes: None,
        };
        if let Some(mode) = s.mode {
            let attributes = match &path {
                Some(path) => self.ask(self.fs.stat(path)).await?.attributes,
                None => {
                    let fh = fh.ok_or(Errno::EBADF)?;
                    self.attr_by_handle(ino, fh).await?.0.attributes
                }
            };
            let mut bits = attributes & !READONLY;
            if mode & 0o222 == 0 {
                bits |= READONLY;
            }
            info.attributes = Some(bits);
        }
        let set_basic = s.atime.is_some() || s.mtime.is_some() || s.mode.is_some();
        match &own {
            Some(f) => {
                self.server_handle(fh.ok_or(Errno::EBADF)?, f).await?;
                let g = f.file.read().await;
                let file = g.as_ref().ok_or(Errno::EBADF)?;
                if let Some(len) = s.size {
                    self.remote(file.set_len(len).await)?;
                }
                if set_basic {
                    self.remote(file.set_info(info).await)?;
                }
            }
            None => {
                let path = path.as_deref().ok_or(Errno::ENOENT)?;
                let info = set_basic.then_some(info);
                self.ask(self.fs.set_attr(path, s.size, info)).await?;
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
        let cached = self
            .cache
            .watched_listing(&path)
            .or_else(|| self.cache.dir(&path));
        let entries = match cached {
            Some(l) => {
                self.watch(&path);
                l
            }
            None => {
                let l: Arc<Vec<Listed>> = Arc::new(self.ask(self.fs.list(&path)).await?);
                self.cache.put_dir(&path, l.clone());
                // Watched only once this listing says it is small enough: a watch started
                // with it would list MAX_ENTRIES names of a big directory again, on the
                // same connection, in the way of this listing (+20% for 100,000 names).
                if l.len() > Bounds::of(&self.caps).max_entries {
                    self.watches.too_big(&path);
                } else {
                    self.watch(&path);
                }
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

    /// STATFS.
    pub async fn statfs(&self) -> Result<FsStats, Errno> {
        self.ask(self.fs.statfs()).await
    }
}
