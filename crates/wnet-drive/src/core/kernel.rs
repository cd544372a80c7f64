//! What the kernel is told: invalidations of names and inodes (written by a thread of their
//! own), what it was last answered for each inode, and close-to-open revalidation.

use super::Core;
use crate::cache::Listed;
use crate::cache::{Attr, KERNEL_TTL, Known, Stamp, WATCHED_TTL};
use crate::inode::{Answered, InodeNo, KernelView};
use crate::names;
use crate::watch::Forget;
use std::ffi::OsStr;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// How long past now the kernel must still hold a name's entry and attributes for an
/// `ls -l` of its directory to find them there ([`Core::kernel_holds_all`]): the time that
/// program takes to `stat` what it listed, with room to spare.
const HELD_AHEAD: Duration = Duration::from_secs(2);

/// How long an open waits for the kernel to drop a stale inode ([`Core::revalidate_at_open`]).
const INVAL_WAIT: Duration = Duration::from_secs(2);

/// What may change a file's pages in the kernel, counted ([`Core::page_epoch`]): writable
/// opens through the drive, and size changes by SETATTR (a truncation by path needs no open).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct PageEpoch {
    writers: u64,
    resized: u64,
}

/// One invalidation for the kernel; `done` is told once it was written.
pub(super) struct Inval {
    forget: Forget,
    done: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Inval {
    pub(super) fn later(forget: Forget) -> Self {
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

impl Core {
    /// Hands the core the kernel's invalidation channel (once mounted): from then on busy
    /// directories are watched and their entries may stay in the kernel for [`WATCHED_TTL`].
    /// Invalidations are written by a thread of their own: one may wait for a directory lock
    /// that a FUSE request holds, and requests are answered elsewhere, so it never deadlocks.
    pub fn attach_kernel(&self, notifier: fuser::Notifier) {
        let _ = self.pages.set(notifier.clone());
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
        let mut inodes = self.inodes.lock().expect("inode lock");
        let parent = inodes.peek(dir);
        for (name, entry) in names {
            if let Some(i) = inodes.peek(&names::join(dir, &name)) {
                inodes.kernel_forgets(i);
                let _ = tx.send(Inval::later(Forget::Inode(i)));
            }
            if let (true, Some(p)) = (entry, parent) {
                let _ = tx.send(Inval::later(Forget::Entry { parent: p, name }));
            }
        }
    }

    /// Makes the kernel forget the attributes of `path` (and its pages), without waiting.
    pub(super) fn kernel_forget_attrs(&self, path: &str) {
        let Some(tx) = self.kernel.get() else { return };
        let mut inodes = self.inodes.lock().expect("inode lock");
        if let Some(i) = inodes.peek(path) {
            inodes.kernel_forgets(i);
            let _ = tx.send(Inval::later(Forget::Inode(i)));
        }
    }

    /// Makes the kernel forget the attributes and pages of `ino`, and waits until it has
    /// (bounded by [`INVAL_WAIT`]: the invalidation thread may be held up by a directory lock).
    /// Returns whether it has (or nothing is mounted to forget anything).
    pub(super) async fn kernel_forget_inode_now(&self, ino: InodeNo) -> bool {
        let Some(tx) = self.kernel.get() else {
            return true;
        };
        self.inodes.lock().expect("inode lock").kernel_forgets(ino);
        let (done, wait) = tokio::sync::oneshot::channel();
        let inval = Inval {
            forget: Forget::Inode(ino),
            done: Some(done),
        };
        if tx.send(inval).is_err() {
            return false;
        }
        if tokio::time::timeout(INVAL_WAIT, wait).await.is_err() {
            tracing::warn!(?ino, "the kernel's invalidation is late; the open goes on");
            return false;
        }
        true
    }

    /// What may change a file's pages in the kernel behind an open's back, counted so far
    /// (see [`Core::kernel_store`]).
    pub(super) fn page_epoch(&self) -> PageEpoch {
        PageEpoch {
            writers: self.handles.writers_opened(),
            resized: self.resized.load(Ordering::SeqCst),
        }
    }

    /// Hands the kernel `data`, the whole of `ino` as an open being answered just read it, as
    /// the inode's pages (`FUSE_NOTIFY_STORE`): the reads after the open then need no READ
    /// request. Returns whether the kernel may keep its pages at the open
    /// (`FOPEN_KEEP_CACHE`), true only when they are exactly the server's bytes:
    ///
    /// * the open revalidated first ([`Core::revalidate_at_open`], and the caller stores
    ///   only if that returned true): a kernel that was told another size or times forgot
    ///   the inode before, so no page past `data` is left;
    /// * `since` was taken before the open asked the server, with no handle of ours open on
    ///   the inode (the caller checks): nobody could be writing or reading it through us.
    ///   Should a writable open or a size change of ours have come meanwhile ([`PageEpoch`]
    ///   moved), its pages may hold bytes newer than `data`: the kernel forgets them again
    ///   (waited for) and the open is answered without keeping them.
    ///
    /// Written on the calling task's thread, not the invalidation thread: a store takes no
    /// directory lock, only the pages' own locks, which only a READ or WRITE of the inode in
    /// flight holds; none is, since no handle of ours was open on the inode (an open answered
    /// meanwhile is another task's, answered without this one).
    pub(super) async fn kernel_store(&self, ino: InodeNo, data: &[u8], since: PageEpoch) -> bool {
        let Some(pages) = self.pages.get() else {
            return false;
        };
        if data.is_empty() || pages.store(fuser::INodeNo(ino.0), 0, data).is_err() {
            return false;
        }
        if self.page_epoch() != since {
            self.kernel_forget_inode_now(ino).await;
            return false;
        }
        true
    }

    /// Remembers the attributes the kernel is being answered for `ino` (see
    /// [`Core::revalidate_at_open`]), and that it keeps them for `ttl` (and, in an
    /// [`Answered::Entry`], the name's entry too: see [`Core::kernel_holds_all`]).
    pub fn told(&self, ino: InodeNo, a: &Attr, ttl: Duration, how: Answered) {
        self.inodes.lock().expect("inode lock").told(
            ino,
            kernel_view(a),
            Instant::now() + ttl,
            how,
        );
    }

    /// Whether the kernel holds, for a while yet ([`HELD_AHEAD`]), the name entry and the
    /// very attributes of every entry of `dir`'s listing: then a listing of it needs names
    /// only, not READDIRPLUS's entries and attributes, for a `stat` of each name to ask
    /// nothing (see the FUSE adapter's `readdirplus`).
    pub fn kernel_holds_all(&self, dir: &str, entries: &[Listed]) -> bool {
        let at = Instant::now() + HELD_AHEAD;
        let inodes = self.inodes.lock().expect("inode lock");
        entries
            .iter()
            .all(|e| inodes.kernel_holds(&names::join(dir, &e.name), &kernel_view(&e.attr), at))
    }

    /// Close-to-open consistency (NFS's rule, and what the Windows redirector does with the
    /// CREATE response): `a` is what the server answered at the open of `ino` at `path`,
    /// asked under `stamp`. It replaces what the caches knew (a listing already on its way
    /// can no longer put older attributes back), and when its size or times differ from what
    /// the kernel was last told, the kernel forgets the inode's attributes and pages before
    /// the open is answered: the first read then asks for the size again and sees the whole
    /// file as the server has it now, not a size learned mid-write.
    /// Returns whether the kernel holds nothing older now (false: its invalidation is late).
    pub(super) async fn revalidate_at_open(
        &self,
        ino: InodeNo,
        path: &str,
        a: Attr,
        stamp: Stamp,
    ) -> bool {
        self.cache.put_server(path, Known::Present(a), stamp);
        let told = self.inodes.lock().expect("inode lock").kernel_view(ino);
        if told.is_some_and(|t| t != kernel_view(&a)) {
            return self.kernel_forget_inode_now(ino).await;
        }
        true
    }

    /// How long the kernel may keep `a`, answered for a name of `dir` from what a complete
    /// watched directory knows. Directories' own attributes (their times change with their
    /// contents, which their parent's watch does not report) stay short.
    pub(super) fn ttl(&self, a: &Attr) -> Duration {
        if a.is_dir || !self.kernel_attached() {
            KERNEL_TTL
        } else {
            WATCHED_TTL
        }
    }

    pub(super) fn watch(&self, dir: &str) {
        // A server that cannot notify: every cached answer keeps its short TTL.
        if !self.caps.change_notify {
            return;
        }
        if let Some(me) = self.me.upgrade() {
            self.watches.ensure(&me, dir);
        }
    }
}
