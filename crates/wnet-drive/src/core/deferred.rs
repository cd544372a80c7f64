//! Deferred creates: a new file goes to the server in one compound at `close()`.
//!
//! CREATE of a name (not `O_EXCL`, on a writable share) answers at once, without a round
//! trip: the file is registered here and its writes are buffered. At `close()` (FLUSH), a
//! file whose whole content is still in the buffer is sent as one compound, create + write +
//! close, with a query of the parent directory's new times in the same round trip; the
//! close is acknowledged only once the server answered, as for any write. Anything else that
//! needs the file on the server first sends the create (with a handle kept, as an ordinary
//! open): a write that does not fit the buffer, a read, fsync, a lock, setattr through the
//! descriptor, and every path operation at or above the name (open by another descriptor,
//! unlink, rename, rmdir, setattr by path). Until then, lookups and listings through the
//! drive show the file with the size written so far; other clients see it once it is sent.
//! `O_EXCL` creates are never deferred: their collision must be reported by `open()`.

use super::Core;
use crate::cache::{Attr, Known, Listed, split};
use crate::errno::Errno;
use crate::handle_table::{Created, Deferred, OpenFile, at_or_below};
use crate::inode::{Fold, ServerFileId};
use crate::remote::{OpenHow, attributes};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::SystemTime;

/// The files created through the drive that the server does not have yet, by path key.
#[derive(Debug, Default)]
pub(crate) struct Creating {
    files: Mutex<HashMap<String, (String, Weak<OpenFile>)>>,
    fold: Fold,
}

impl Creating {
    pub(crate) fn folding(fold: Fold) -> Self {
        Creating {
            fold,
            ..Creating::default()
        }
    }

    fn insert(&self, path: &str, f: &Arc<OpenFile>) {
        self.lock()
            .insert(self.fold.key(path), (path.to_string(), Arc::downgrade(f)));
    }

    fn remove(&self, path: &str) {
        self.lock().remove(&self.fold.key(path));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (String, Weak<OpenFile>)>> {
        self.files.lock().expect("creating lock")
    }

    /// The file being created at `path`, if its create is still deferred.
    fn get(&self, path: &str) -> Option<Arc<OpenFile>> {
        let m = self.lock();
        if m.is_empty() {
            return None;
        }
        m.get(&self.fold.key(path))
            .and_then(|(_, w)| w.upgrade())
            .filter(|f| f.pending_create().is_some())
    }

    /// The files being created at or below `path`.
    fn under(&self, path: &str) -> Vec<Arc<OpenFile>> {
        let m = self.lock();
        if m.is_empty() {
            return Vec::new();
        }
        let k = self.fold.key(path);
        m.iter()
            .filter(|(fk, _)| at_or_below(fk, &k))
            .filter_map(|(_, (_, w))| w.upgrade())
            .collect()
    }

    /// The files being created directly in `dir`, with their names.
    fn in_dir(&self, dir: &str) -> Vec<(String, Arc<OpenFile>)> {
        let m = self.lock();
        if m.is_empty() {
            return Vec::new();
        }
        let k = self.fold.key(dir);
        m.values()
            .filter(|(p, _)| self.fold.key(split(p).0) == k)
            .filter_map(|(p, w)| Some((split(p).1.to_string(), w.upgrade()?)))
            .collect()
    }
}

/// What the drive answers for a file it has not sent yet.
fn pending_attr(d: &Deferred, size: u64) -> Attr {
    Attr {
        size,
        allocated: 0,
        atime: d.at,
        mtime: d.at,
        ctime: d.at,
        crtime: d.at,
        is_dir: false,
        attributes: attributes::ARCHIVE,
        id: ServerFileId::UNKNOWN,
    }
}

impl Core {
    /// Whether a create with these open flags may wait for `close()`.
    /// Not `O_EXCL` (a collision is `open()`'s error), not a plain `O_APPEND` (should the
    /// name exist after all, another client's file just made, appending needs its size),
    /// and the share is writable (else `open()` reports `EROFS`).
    pub(super) fn may_defer(&self, flags: i32) -> bool {
        let append = flags & libc::O_APPEND != 0 && flags & libc::O_TRUNC == 0;
        flags & libc::O_EXCL == 0 && !append && !self.share_ro
    }

    /// Registers `f`, a deferred create of `path`; returns the attributes to answer.
    pub(super) fn creating(&self, path: &str, f: &Arc<OpenFile>, d: &Deferred) -> Attr {
        let a = pending_attr(d, 0);
        self.creating.insert(path, f);
        // Lookups through a watched parent find it; nothing changed on the server yet.
        self.cache.own_done(path, Some(Known::Present(a)));
        a
    }

    /// Attributes of `path` while its create is deferred.
    pub(super) fn creating_attr(&self, path: &str) -> Option<Attr> {
        let f = self.creating.get(path)?;
        let d = f.pending_create()?;
        Some(pending_attr(&d, f.writes.high_water()))
    }

    /// `entries` of `dir` with the files being created in it that it lacks.
    pub(super) fn with_creating(&self, dir: &str, entries: Arc<Vec<Listed>>) -> Arc<Vec<Listed>> {
        let extra: Vec<Listed> = self
            .creating
            .in_dir(dir)
            .into_iter()
            .filter(|(name, _)| {
                !entries
                    .iter()
                    .any(|e| self.fold().key(&e.name) == self.fold().key(name))
            })
            .filter_map(|(name, f)| {
                let d = f.pending_create()?;
                let attr = pending_attr(&d, f.writes.high_water());
                Some(Listed { name, attr })
            })
            .collect();
        if extra.is_empty() {
            return entries;
        }
        let mut all = (*entries).clone();
        all.extend(extra);
        Arc::new(all)
    }

    /// Sends the deferred creates at or below `path` (before an operation on the path that
    /// the server must see them for).
    pub(super) async fn send_creates_under(&self, path: &str) -> Result<(), Errno> {
        for f in self.creating.under(path) {
            self.send_create(&f).await?;
        }
        Ok(())
    }

    /// Sends `f`'s deferred create, keeping the handle (nothing if it was sent). A failure
    /// leaves it deferred, to be tried again.
    pub(super) async fn send_create(&self, f: &OpenFile) -> Result<(), Errno> {
        let Some(d) = f.pending_create() else {
            return Ok(());
        };
        let r = f
            .create_on_server(self.guard(async {
                let opened = self.ask(self.fs.open(&d.path, d.how)).await;
                opened.map(|o| o.file)
            }))
            .await
            .unwrap_or(Err(Errno::EBADF));
        if r? == Created::Already {
            // Sent whole by a close() of another descriptor while this waited (see
            // `Core::land`): the server has the file; whoever needs a handle opens it again.
            return Ok(());
        }
        self.creating.remove(&d.path);
        let a = f.file.read().await.as_ref().map(|f| f.opened());
        if let Some(a) = &a {
            self.learn_id(&d.path, a.id);
        }
        self.cache.own_done(&d.path, a.map(Known::Present));
        self.cache.entry_changed(&d.path);
        Ok(())
    }

    /// For `close()` of `f`, open at `path` for writing: every byte written through it on
    /// the server. A create still deferred, with the whole content in the buffer, is sent as
    /// one compound (create + write + close, and the parent's new attributes); returns
    /// `true` then (the file has no server handle after). Otherwise the handle is made (the
    /// create sent, or the file opened again after an earlier compound) and the buffer
    /// flushed; `false`.
    pub(super) async fn land(&self, f: &OpenFile, path: &str) -> Result<bool, Errno> {
        if f.pending_create().is_some() {
            // Held while the compound is on its way: nothing can open a handle meanwhile.
            let g = f.file.write().await;
            if let (None, Some(d)) = (g.as_ref(), f.pending_create()) {
                if let Some((offset, data)) = f.writes.take_whole().await {
                    let r = self.create_whole(&d, offset, &data).await;
                    f.create_sent();
                    self.creating.remove(&d.path);
                    drop(g);
                    return r.map(|()| true);
                }
            }
        }
        if f.needs_server_handle() && !f.writes.is_empty() {
            self.ensure_handle(f, path).await?;
        }
        let r = f.writes.flush().await;
        self.remote(r).map(|()| false)
    }

    /// The compound of [`Core::land`], and what it teaches the caches.
    async fn create_whole(&self, d: &Deferred, offset: u64, data: &[u8]) -> Result<(), Errno> {
        let dir = split(&d.path).0;
        let create = self.fs.create_whole(&d.path, d.how, offset, data, dir);
        let r = self.guard(self.ask(create)).await;
        let w = match r {
            Ok(w) => w,
            Err(e) => {
                self.cache.own_done(&d.path, None);
                return Err(e);
            }
        };
        let a = w.attr;
        self.learn_id(&d.path, a.id);
        self.cache.own_done(&d.path, Some(Known::Present(a)));
        self.cache.entry_changed(&d.path);
        self.dirs_answered(&[dir], &[w.dir]);
        // The kernel may hold the directory's times of before the create (asked since):
        // forgotten before close() returns. The file's, as answered at create, too.
        let parent = self.inodes.lock().expect("inode lock").peek(dir);
        if let Some(i) = parent {
            self.kernel_forget_inode_now(i).await;
        }
        self.kernel_forget_attrs(&d.path);
        Ok(())
    }

    fn learn_id(&self, path: &str, id: ServerFileId) {
        self.inodes.lock().expect("inode lock").learn_id(path, id);
    }

    /// A new deferred create of `path`, opened `how`.
    pub(super) fn deferred(path: &str, how: OpenHow) -> Deferred {
        Deferred {
            path: path.to_string(),
            how,
            at: SystemTime::now(),
        }
    }
}
