//! The handle table: every file and directory open through the drive, with the pid that opened
//! it. The open count is one atomic load (the cancel path asks it while holding nothing);
//! [`HandleTable::holders`] names who holds the drive.
//!
//! A handle enters the table when OPEN/OPENDIR/CREATE is answered and leaves it the moment
//! RELEASE/RELEASEDIR arrives (before its server handle is closed), so a `close()` that has
//! returned stops counting as soon as the kernel's release reaches us.
//!
//! A file's server handle outlives its `close()`: the kernel sends RELEASE after `close()`
//! returned, and the server handle is closed after that. Until it is, the server refuses to
//! replace the file by a rename (`ACCESS_DENIED`) and only marks it delete-pending on unlink
//! (a new file of that name is then refused). `HandleTable::released` waits for both steps,
//! as Linux's cifs closes its deferred handles on a path before renaming or deleting it.

use super::inode::{Fold, InodeNo};
use super::readahead::ReadAhead;
use super::remote::{FsResult, OpenHow, RemoteFile};
use super::write_buffer::WriteBuffer;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::runtime::Handle;
use tokio::sync::RwLock;

/// A server handle shared by the I/O of one open file. `None` once closed; closing takes the
/// write lock, so it waits for every read or write in flight on it.
pub type ServerFile = Arc<RwLock<Option<Box<dyn RemoteFile>>>>;

/// Who holds one open handle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    /// The process that opened it.
    pub pid: u32,
    /// Its path inside the share (`/`-separated, no leading slash).
    pub path: String,
    /// A directory (opendir) rather than a file.
    pub is_dir: bool,
}

/// What [`OpenFile::create_on_server`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Created {
    /// Sent the create; the file has its handle.
    Now,
    /// Nothing: the file had a handle, or its create went another way (no handle then).
    Already,
}

/// One open file.
#[derive(Debug)]
pub struct OpenFile {
    /// The server handle.
    pub file: ServerFile,
    /// Buffered writes.
    pub writes: WriteBuffer,
    /// Read-ahead.
    pub reads: ReadAhead,
    /// Opened for writing.
    pub writable: bool,
    /// Size when opened (read-ahead's bound until writes say more).
    pub size_at_open: u64,
    /// Opened without a server handle (a small file read whole at open, its reads served from
    /// that snapshot): the server handle is opened when something needs one (a lock, a read
    /// once the snapshot was dropped).
    pub lazy: bool,
    /// Released: no server handle may be opened for it any more.
    closed: AtomicBool,
    /// A file this open creates that the server does not have yet (see [`Deferred`]).
    deferred: Mutex<Option<Deferred>>,
}

/// A create the drive has not sent yet: a new file whose whole content may still reach the
/// server in one compound (create + write + close) at `close()`. Anything else that needs
/// the file on the server sends the create first. The path cannot change meanwhile: a
/// rename (of it or a directory above) sends the create before it goes ahead.
#[derive(Debug, Clone)]
pub struct Deferred {
    /// Where the file is created.
    pub path: String,
    /// How (disposition from the open's flags, durable).
    pub how: OpenHow,
    /// When the open created it (the times answered until the server has it).
    pub at: std::time::SystemTime,
}

impl OpenFile {
    /// Wraps a freshly opened server handle.
    pub fn new(file: Box<dyn RemoteFile>, writable: bool, rt: &Handle) -> Self {
        let size_at_open = file.opened().size;
        let file: ServerFile = Arc::new(RwLock::new(Some(file)));
        OpenFile {
            writes: WriteBuffer::new(file.clone(), rt.clone()),
            reads: ReadAhead::new(file.clone(), rt.clone()),
            file,
            writable,
            size_at_open,
            lazy: false,
            closed: AtomicBool::new(false),
            deferred: Mutex::new(None),
        }
    }

    /// A read-only open file served from `data`, the whole file as read at open; no server
    /// handle yet.
    pub fn from_snapshot(data: Arc<Vec<u8>>, rt: &Handle) -> Self {
        let file: ServerFile = Arc::new(RwLock::new(None));
        let reads = ReadAhead::new(file.clone(), rt.clone());
        let size_at_open = data.len() as u64;
        reads.set_snapshot(data);
        OpenFile {
            writes: WriteBuffer::new(file.clone(), rt.clone()),
            reads,
            file,
            writable: false,
            size_at_open,
            lazy: true,
            closed: AtomicBool::new(false),
            deferred: Mutex::new(None),
        }
    }

    /// A file being created by this open, not on the server yet: its writes are buffered
    /// until `close()` sends it whole, or until something needs a server handle.
    pub fn deferred(d: Deferred, rt: &Handle) -> Self {
        let file: ServerFile = Arc::new(RwLock::new(None));
        OpenFile {
            writes: WriteBuffer::new(file.clone(), rt.clone()),
            reads: ReadAhead::new(file.clone(), rt.clone()),
            file,
            writable: true,
            size_at_open: 0,
            lazy: true,
            closed: AtomicBool::new(false),
            deferred: Mutex::new(Some(d)),
        }
    }

    /// The create not sent yet, if any.
    pub fn pending_create(&self) -> Option<Deferred> {
        self.deferred.lock().expect("deferred lock").clone()
    }

    /// The create was sent (or failed: it is not sent again).
    pub fn create_sent(&self) {
        self.deferred.lock().expect("deferred lock").take();
    }

    /// Whether a lazily opened file has no server handle yet.
    pub fn needs_server_handle(&self) -> bool {
        self.lazy && self.file.try_read().map_or(true, |g| g.is_none())
    }

    /// Gives a lazily opened file its server handle, opened by `open` unless it has one.
    /// Fails with `None` (the caller's EBADF) once the file was released.
    pub async fn ensure_server_handle<E, F>(&self, open: F) -> Option<Result<(), E>>
    where
        F: std::future::Future<Output = Result<Box<dyn RemoteFile>, E>>,
    {
        let mut g = self.file.write().await;
        if g.is_some() {
            return Some(Ok(()));
        }
        if self.closed.load(Ordering::Acquire) || !self.lazy {
            return None;
        }
        match open.await {
            Ok(f) => {
                *g = Some(f);
                self.create_sent();
                Some(Ok(()))
            }
            Err(e) => Some(Err(e)),
        }
    }

    /// Sends the deferred create through `open` and keeps its handle: [`Created::Now`]. Not
    /// run once the handle's lock is held if the file has a handle already, or if its create
    /// went meanwhile another way — whole, in the compound of a `close()` of another
    /// descriptor of the file (a `dup`, or a child's copy closed at `exec`), which leaves no
    /// handle: sending the create again (a truncating one, for `O_TRUNC`) would wipe what
    /// that compound wrote. [`Created::Already`] then. `None` once the file was released.
    pub async fn create_on_server<E, F>(&self, open: F) -> Option<Result<Created, E>>
    where
        F: std::future::Future<Output = Result<Box<dyn RemoteFile>, E>>,
    {
        let mut g = self.file.write().await;
        if g.is_some() {
            return Some(Ok(Created::Already));
        }
        if self.closed.load(Ordering::Acquire) || !self.lazy {
            return None;
        }
        if self.pending_create().is_none() {
            return Some(Ok(Created::Already));
        }
        match open.await {
            Ok(f) => {
                *g = Some(f);
                self.create_sent();
                Some(Ok(Created::Now))
            }
            Err(e) => Some(Err(e)),
        }
    }

    /// At release: a lazily opened file that never got its server handle has nothing to
    /// flush or close; marks it closed (no handle may be opened for it after) and says so.
    pub fn release_idle(&self) -> bool {
        if !self.lazy || self.pending_create().is_some() || !self.writes.is_empty() {
            return false;
        }
        match self.file.try_write() {
            Ok(g) if g.is_none() => {
                self.closed.store(true, Ordering::Release);
                true
            }
            _ => false,
        }
    }

    /// Flushes buffered writes and closes the server handle (idempotent).
    pub async fn close(&self) -> FsResult<()> {
        let flushed = self.writes.flush().await;
        let mut g = self.file.write().await;
        self.closed.store(true, Ordering::Release);
        let closed = match g.take() {
            // Nothing here uses the final attributes: the server need not fetch them.
            Some(f) => f.close().await,
            None => Ok(()),
        };
        flushed.and(closed)
    }
}

/// One open directory: the listing taken at opendir, served to readdir.
#[derive(Debug)]
pub struct OpenDir {
    /// Entries (without `.` and `..`).
    pub entries: Arc<Vec<super::cache::Listed>>,
}

/// What a handle is.
#[derive(Debug, Clone)]
pub enum Kind {
    /// A file.
    File(Arc<OpenFile>),
    /// A directory.
    Dir(Arc<OpenDir>),
}

#[derive(Debug)]
struct Slot {
    holder: Holder,
    ino: InodeNo,
    kind: Kind,
    /// The application probably closed it: FLUSH arrived (files) or the listing was read to
    /// its end (directories), and no I/O followed. [`HandleTable::settle`] waits for these.
    closing: Arc<AtomicBool>,
}

/// Every open handle of one drive.
#[derive(Debug, Default)]
pub struct HandleTable {
    next: AtomicU64,
    count: AtomicUsize,
    /// Writable files opened so far (see [`HandleTable::writers_opened`]).
    writers: AtomicU64,
    /// Handles whose `closing` flag is set: settle is O(1) however many are open.
    closing: AtomicUsize,
    slots: Mutex<Slots>,
    releases: Arc<Releases>,
    fold: Fold,
}

/// Server handles being closed after their RELEASE.
#[derive(Debug, Default)]
struct Releases {
    /// Path key → how many of its server handles are being closed.
    paths: Mutex<HashMap<String, usize>>,
    /// Told whenever a handle stops looking closed-but-not-released.
    changed: tokio::sync::Notify,
}

/// A released file whose server handle is being closed; dropped once it is.
#[derive(Debug)]
pub struct Releasing {
    releases: Arc<Releases>,
    key: String,
}

impl Drop for Releasing {
    fn drop(&mut self) {
        let mut m = self.releases.paths.lock().expect("release lock");
        if let Some(n) = m.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                m.remove(&self.key);
            }
        }
        drop(m);
        self.releases.changed.notify_waiters();
    }
}

/// Whether `key` is the path key `under` or below it.
pub(crate) fn at_or_below(key: &str, under: &str) -> bool {
    key.strip_prefix(under)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

#[derive(Debug, Default)]
struct Slots {
    by_fh: HashMap<u64, Slot>,
    /// The handles open on each inode (siblings see each other's writes).
    by_ino: HashMap<InodeNo, Vec<u64>>,
}

impl Slots {
    fn files_of(&self, ino: InodeNo) -> Vec<Arc<OpenFile>> {
        self.by_ino
            .get(&ino)
            .into_iter()
            .flatten()
            .filter_map(|fh| match &self.by_fh.get(fh)?.kind {
                Kind::File(f) => Some(f.clone()),
                Kind::Dir(_) => None,
            })
            .collect()
    }
}

impl HandleTable {
    /// An empty table whose paths compare under `fold`.
    pub fn folding(fold: Fold) -> Self {
        HandleTable {
            fold,
            ..HandleTable::default()
        }
    }

    /// How many writable files were opened so far: counted before the handle is answered,
    /// so a write through any of them comes after the count moved.
    pub fn writers_opened(&self) -> u64 {
        self.writers.load(Ordering::SeqCst)
    }

    /// Handles open now (files and directories). O(1).
    pub fn open_count(&self) -> usize {
        self.count.load(Ordering::Acquire)
    }

    /// Who holds what, sorted by pid then path.
    pub fn holders(&self) -> Vec<Holder> {
        let mut v: Vec<Holder> = self
            .slots
            .lock()
            .expect("handle lock")
            .by_fh
            .values()
            .map(|s| s.holder.clone())
            .collect();
        v.sort_by(|a, b| (a.pid, &a.path).cmp(&(b.pid, &b.path)));
        v
    }

    /// Registers a handle; returns its number (never 0).
    pub(crate) fn insert(&self, holder: Holder, ino: InodeNo, kind: Kind) -> u64 {
        let fh = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        if matches!(&kind, Kind::File(f) if f.writable) {
            self.writers.fetch_add(1, Ordering::SeqCst);
        }
        let mut m = self.slots.lock().expect("handle lock");
        m.by_fh.insert(
            fh,
            Slot {
                holder,
                ino,
                kind,
                closing: Arc::new(AtomicBool::new(false)),
            },
        );
        m.by_ino.entry(ino).or_default().push(fh);
        self.count.store(m.by_fh.len(), Ordering::Release);
        fh
    }

    /// The handle `fh`, marking it busy again (not closing).
    pub(crate) fn get(&self, fh: u64) -> Option<Kind> {
        let m = self.slots.lock().expect("handle lock");
        m.by_fh.get(&fh).map(|s| {
            if s.closing.swap(false, Ordering::AcqRel) {
                self.closing.fetch_sub(1, Ordering::AcqRel);
                self.releases.changed.notify_waiters();
            }
            s.kind.clone()
        })
    }

    /// The inode `fh` is open on.
    pub(crate) fn ino_of(&self, fh: u64) -> Option<InodeNo> {
        let m = self.slots.lock().expect("handle lock");
        m.by_fh.get(&fh).map(|s| s.ino)
    }

    /// The path `fh` is open on now (renames followed).
    pub(crate) fn path_of(&self, fh: u64) -> Option<String> {
        let m = self.slots.lock().expect("handle lock");
        m.by_fh.get(&fh).map(|s| s.holder.path.clone())
    }

    /// Notes that `fh` is probably being closed (see [`HandleTable::settle`]).
    pub(crate) fn mark_closing(&self, fh: u64) {
        if let Some(s) = self.slots.lock().expect("handle lock").by_fh.get(&fh) {
            if !s.closing.swap(true, Ordering::AcqRel) {
                self.closing.fetch_add(1, Ordering::AcqRel);
            }
        }
    }

    /// Removes `fh` (RELEASE); returns what it was.
    pub(crate) fn remove(&self, fh: u64) -> Option<Kind> {
        self.remove_held(fh).map(|(k, _)| k)
    }

    /// Removes the file `fh` (RELEASE) and notes that its server handle is being closed
    /// until the returned [`Releasing`] is dropped; also returns the path it was open on.
    pub(crate) fn remove_releasing(&self, fh: u64) -> Option<(Kind, String, Releasing)> {
        let mut m = self.slots.lock().expect("handle lock");
        let path = m.by_fh.get(&fh)?.holder.path.clone();
        let key = self.fold.key(&path);
        *self
            .releases
            .paths
            .lock()
            .expect("release lock")
            .entry(key.clone())
            .or_default() += 1;
        let releasing = Releasing {
            releases: self.releases.clone(),
            key,
        };
        let (kind, path) = self.remove_locked(&mut m, fh)?;
        Some((kind, path, releasing))
    }

    /// Waits, at most `bound`, until no file at or below `path` looks closed by its
    /// application (FLUSH seen, no I/O since) without its server handle being closed yet.
    /// Handles in real use are not waited for.
    pub(crate) async fn released(&self, path: &str, bound: std::time::Duration) {
        let until = tokio::time::Instant::now() + bound;
        let key = self.fold.key(path);
        loop {
            let changed = self.releases.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if !self.closing_at(&key) {
                return;
            }
            if tokio::time::timeout_at(until, changed).await.is_err() {
                tracing::debug!(path, "a closed file's server handle is still open");
                return;
            }
        }
    }

    /// Whether a handle at or below the path `key` is closing or being released.
    fn closing_at(&self, key: &str) -> bool {
        let m = self.slots.lock().expect("handle lock");
        let closing = m.by_fh.values().any(|s| {
            s.closing.load(Ordering::Acquire) && at_or_below(&self.fold.key(&s.holder.path), key)
        });
        closing
            || (self.releases.paths.lock().expect("release lock"))
                .keys()
                .any(|k| at_or_below(k, key))
    }

    /// Removes `fh` (RELEASE); returns what it was and the path it was open on.
    pub(crate) fn remove_held(&self, fh: u64) -> Option<(Kind, String)> {
        let mut m = self.slots.lock().expect("handle lock");
        self.remove_locked(&mut m, fh)
    }

    fn remove_locked(&self, m: &mut Slots, fh: u64) -> Option<(Kind, String)> {
        let s = m.by_fh.remove(&fh)?;
        if let Some(v) = m.by_ino.get_mut(&s.ino) {
            v.retain(|&h| h != fh);
            if v.is_empty() {
                m.by_ino.remove(&s.ino);
            }
        }
        if s.closing.load(Ordering::Acquire) {
            self.closing.fetch_sub(1, Ordering::AcqRel);
        }
        self.count.store(m.by_fh.len(), Ordering::Release);
        self.releases.changed.notify_waiters();
        Some((s.kind, s.holder.path))
    }

    /// Removes every handle (forced unmount); returns the files.
    pub(crate) fn drain(&self) -> Vec<Arc<OpenFile>> {
        let mut m = self.slots.lock().expect("handle lock");
        m.by_ino.clear();
        let files = m
            .by_fh
            .drain()
            .filter_map(|(_, s)| match s.kind {
                Kind::File(f) => Some(f),
                Kind::Dir(_) => None,
            })
            .collect();
        self.count.store(0, Ordering::Release);
        self.closing.store(0, Ordering::Release);
        files
    }

    /// The open files with their paths (for flush-all).
    pub(crate) fn files_with_paths(&self) -> Vec<(Arc<OpenFile>, String)> {
        self.slots
            .lock()
            .expect("handle lock")
            .by_fh
            .values()
            .filter_map(|s| match &s.kind {
                Kind::File(f) => Some((f.clone(), s.holder.path.clone())),
                Kind::Dir(_) => None,
            })
            .collect()
    }

    /// One handle open on inode `ino`, if any (the oldest).
    pub(crate) fn any_of(&self, ino: InodeNo) -> Option<u64> {
        let m = self.slots.lock().expect("handle lock");
        m.by_ino.get(&ino).and_then(|v| v.first().copied())
    }

    /// The open files of inode `ino`.
    pub(crate) fn files_of(&self, ino: InodeNo) -> Vec<Arc<OpenFile>> {
        self.slots.lock().expect("handle lock").files_of(ino)
    }

    /// A rename moved `from` (and everything below it) to `to`: holders name the new path.
    pub(crate) fn renamed(&self, from: &str, to: &str) {
        let (kf, n) = (self.fold.key(from), from.chars().count());
        let mut m = self.slots.lock().expect("handle lock");
        for s in m.by_fh.values_mut() {
            let k = self.fold.key(&s.holder.path);
            if k == kf || k.starts_with(&format!("{kf}/")) {
                let rest: String = s.holder.path.chars().skip(n).collect();
                s.holder.path = format!("{to}{rest}");
            }
        }
    }

    /// Waits, at most `bound`, while a handle looks closed by its application but its RELEASE
    /// has not arrived yet; returns the open count then.
    pub fn settle(&self, bound: std::time::Duration) -> usize {
        let until = std::time::Instant::now() + bound;
        while self.closing.load(Ordering::Acquire) > 0 && std::time::Instant::now() < until {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        self.open_count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir() -> Kind {
        Kind::Dir(Arc::new(OpenDir {
            entries: Arc::new(Vec::new()),
        }))
    }

    fn holder(pid: u32, path: &str) -> Holder {
        Holder {
            pid,
            path: path.into(),
            is_dir: true,
        }
    }

    #[test]
    fn holders_follow_a_rename() {
        let t = HandleTable::default();
        t.insert(holder(1, "Dir/a.txt"), InodeNo(2), dir());
        t.insert(holder(1, "dir2/b"), InodeNo(3), dir());
        t.renamed("dir", "New");
        let paths: Vec<String> = t.holders().into_iter().map(|h| h.path).collect();
        assert_eq!(paths, vec!["New/a.txt".to_string(), "dir2/b".to_string()]);
    }

    #[test]
    fn count_follows_insert_and_remove() {
        let t = HandleTable::default();
        let a = t.insert(holder(7, "b"), InodeNo(2), dir());
        let b = t.insert(holder(5, "a"), InodeNo(3), dir());
        assert_ne!(a, 0);
        assert_eq!(t.open_count(), 2);
        assert_eq!(t.holders()[0].pid, 5);
        assert!(t.remove(a).is_some());
        assert!(t.remove(a).is_none());
        assert_eq!(t.open_count(), 1);
        t.remove(b);
        assert_eq!(t.open_count(), 0);
    }

    fn file_holder(path: &str) -> Holder {
        Holder {
            pid: 1,
            path: path.into(),
            is_dir: false,
        }
    }

    #[test]
    fn a_path_waits_for_a_closed_handle_until_its_server_handle_is_closed() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let t = Arc::new(HandleTable::default());
        let a = t.insert(file_holder("D/a"), InodeNo(2), dir());
        let _busy = t.insert(file_holder("d/b"), InodeNo(3), dir());
        let long = std::time::Duration::from_secs(30);
        rt.block_on(async {
            // In real use (not closing): no wait.
            tokio::time::timeout(long, t.released("d", long))
                .await
                .unwrap();
            t.mark_closing(a);
            let r =
                tokio::time::timeout(std::time::Duration::from_millis(20), t.released("d", long));
            assert!(
                r.await.is_err(),
                "a closed handle not yet released is waited for"
            );
            // Unrelated and sibling paths are not held up.
            tokio::time::timeout(long, t.released("d/b", long))
                .await
                .unwrap();
            tokio::time::timeout(long, t.released("d/ab", long))
                .await
                .unwrap();
            let (_, path, releasing) = t.remove_releasing(a).unwrap();
            assert_eq!(path, "D/a");
            let r = tokio::time::timeout(
                std::time::Duration::from_millis(20),
                t.released("d/A", long),
            );
            assert!(r.await.is_err(), "the server handle is still being closed");
            let waiter = {
                let t = t.clone();
                tokio::spawn(async move { t.released("d", long).await })
            };
            tokio::task::yield_now().await;
            drop(releasing);
            tokio::time::timeout(long, waiter).await.unwrap().unwrap();
        });
    }

    #[test]
    fn settle_returns_at_once_when_nothing_is_closing_and_waits_when_something_is() {
        let t = HandleTable::default();
        let a = t.insert(holder(1, "x"), InodeNo(2), dir());
        let start = std::time::Instant::now();
        assert_eq!(t.settle(std::time::Duration::from_secs(5)), 1);
        assert!(start.elapsed() < std::time::Duration::from_secs(1));
        t.mark_closing(a);
        let start = std::time::Instant::now();
        assert_eq!(t.settle(std::time::Duration::from_millis(50)), 1);
        assert!(start.elapsed() >= std::time::Duration::from_millis(50));
        t.get(a);
        assert_eq!(t.settle(std::time::Duration::from_secs(5)), 1);
    }
}
