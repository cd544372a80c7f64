//! [`DavFs`]: a WebDAV collection as the drive's remote file system (issue 16 §2, ADR 0019),
//! over one [`DavClient`] rooted at the connection's location.
//!
//! | drive asks | WebDAV |
//! |---|---|
//! | `stat` | `PROPFIND` depth 0 |
//! | `list`, `list_at_most` | `PROPFIND` depth 1: one request per directory, attributes included |
//! | `open` | `PROPFIND` depth 0 (size, ETag, time: the open's version); a create `PUT`s an empty body at once, so the name exists while the file is open |
//! | `open_read` (a small file read whole at open) | one `GET` with `Range`; a file read before is kept ([`SmallCache`], ADR 0021) and asked for with `If-None-Match`: `304` answers with the kept bytes |
//! | `read` | `GET` with `Range`, compared with the open's version: a file changed on the server under an open reader is `EIO`, never bytes of two versions; a small read away from where the last one ended fetches its aligned [`RANDOM_BLOCK`], kept for the open |
//! | `write`, `set_len` | into a local stage (memory, then a 0600 unnamed temp file); a file opened without truncation is first fetched whole |
//! | `flush`, `close` | the stage `PUT` whole; `close()` answers once the server answered the `PUT` |
//! | `mkdir` / `rename` | `MKCOL` / `MOVE` with `Overwrite` |
//! | `delete` | `PROPFIND` depth 1, then a file: `DELETE` with `Depth: 0`; a collection: `LOCK` depth infinity, `PROPFIND` under it, `DELETE` with the token (class 2) |
//! | `lock` of a whole file (`flock`) | `LOCK` (exclusive or shared), refreshed while held; a partial range stays local (ADR 0019) |
//! | `statfs` | `quota-available-bytes` / `quota-used-bytes` (unknown: large defaults) |
//! | `set_info` | ignored: WebDAV servers keep `getlastmodified` to themselves (ADR 0019) |
//! | `probe` | `OPTIONS` |
//!
//! Failures cross as [`FsError`]s made in one place, [`crate::errors::fs_error`].

use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use wnet_dav::http::Body;
use wnet_dav::{
    DavClient, DavLocation, DeleteOptions, Entry, IfChanged, PutOptions, Ranged, ServerCaps,
};
use wnet_drive::cache::{Attr, Listed};
use wnet_drive::inode::ServerFileId;
use wnet_drive::remote::{
    Access, Capabilities, Change, Created, Disposition, FsError, FsErrorKind, FsFuture, FsResult,
    FsStats, NameRules, OpenHow, OpenedFile, RemoteFile, RemoteFs, RemoteWatch, SetInfo, SmallRead,
    create_whole_plain, open_read_plain,
};

use crate::errors::{DavOp, fs_error};
use crate::small_cache::{Cached, SmallCache};

/// How often the drive lists a WebDAV directory in use again (ADR 0020): another client's
/// change shows through the drive within this, the listing's round trip and the kernel's
/// invalidation (the drive promises 1 s).
pub const POLL: Duration = Duration::from_millis(400);

/// The largest `GET` one read asks for.
pub const MAX_READ: u32 = 1024 * 1024;

/// What a small read away from where the last one ended fetches: its aligned block of this
/// size, kept for the rest of the open (see [`Blocks`]). A `GET` costs a round trip whatever
/// its size; random 4 KiB reads of a file touch its blocks again and again.
pub const RANDOM_BLOCK: u64 = MAX_READ as u64;

/// The most bytes of blocks one open keeps when [`DavFsOptions::max_stage`] says nothing
/// (and never more than half the free space of the stage directory).
const MAX_BLOCKS: u64 = 1 << 30;

/// The Windows attribute bits a listing reports (the drive's `Attr::attributes`).
const ATTR_DIRECTORY: u32 = 0x10;
const ATTR_NORMAL: u32 = 0x80;

/// How long an `rmdir`'s lock on its collection lasts on the server if the drive dies
/// between the `LOCK` and the `DELETE` (it is held for two round trips).
const TREE_LOCK_TIMEOUT: Duration = Duration::from_secs(30);

/// How long an `UNLOCK` may take ([`Inner::unlock`]): one round trip on a live server.
const UNLOCK_DEADLINE: Duration = Duration::from_secs(5);

/// [`DavFsOptions::small_cache`]'s default: the 2000 4 KiB files of the benchmark's rows
/// (7.8 MiB and their paths) twice over. Memory a drive holds only after reading small
/// files: an idle drive keeps nothing.
pub const SMALL_CACHE: usize = 16 << 20;

/// The allocation unit `statfs` reports.
const UNIT: u64 = 4096;

/// What `statfs` reports when the server does not say (RFC 4331 quota missing): 1 TiB free.
const UNKNOWN_AVAILABLE: u64 = 1 << 40;

/// How a [`DavFs`] stages writes and holds locks.
#[derive(Debug, Clone)]
pub struct DavFsOptions {
    /// Where a file's staged content goes once it outgrows memory (an unnamed 0600 file,
    /// gone when the file is closed, or when the process ends).
    pub stage_dir: PathBuf,
    /// Bytes of a file's content staged in memory before it moves to a file.
    pub memory_stage: usize,
    /// The most bytes one file may stage; `None`: the free space of `stage_dir` (as found
    /// when the stage moves to a file). Past it a write is `NoSpace` (`ENOSPC`).
    pub max_stage: Option<u64>,
    /// How long a `LOCK` lasts on the server before it is refreshed (at half of it).
    pub lock_timeout: Duration,
    /// The most bytes of small files read whole at open that the drive keeps across opens
    /// (revalidated at each open with `If-None-Match`, ADR 0021); 0 keeps none.
    pub small_cache: usize,
}

impl Default for DavFsOptions {
    fn default() -> Self {
        DavFsOptions {
            stage_dir: default_stage_dir(),
            memory_stage: 4 * 1024 * 1024,
            max_stage: None,
            lock_timeout: Duration::from_secs(600),
            small_cache: SMALL_CACHE,
        }
    }
}

/// `$XDG_CACHE_HOME/wnet/stage`, else `~/.cache/wnet/stage`, else the system's temporary
/// directory: on the disk, since `$XDG_RUNTIME_DIR` is a small tmpfs (a tenth of the memory)
/// that one large file written to the drive would fill.
pub fn default_stage_dir() -> PathBuf {
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    env("XDG_CACHE_HOME")
        .filter(|p| p.is_absolute())
        .or_else(|| env("HOME").map(|h| h.join(".cache")))
        .map_or_else(std::env::temp_dir, |c| c.join("wnet").join("stage"))
}

/// A WebDAV collection as the drive's remote file system.
#[derive(Debug, Clone)]
pub struct DavFs {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    client: Arc<DavClient>,
    root: DavLocation,
    class2: bool,
    /// The server refuses a `DELETE` of a collection with `Depth: 0`
    /// ([`ServerCaps::file_only_delete`]): an unlink is that request alone.
    file_only_delete: bool,
    options: DavFsOptions,
    /// Lock tokens this drive holds, by drive path (several shared ones): every `PUT`,
    /// `DELETE` and `MOVE` of the path carries one, so only other clients are kept out
    /// (this drive's own handles are ordered by the drive's lock table).
    locks: std::sync::Mutex<std::collections::HashMap<String, Vec<String>>>,
    /// How many times this drive has sent each path's content (`PUT`): an open file that
    /// finds a new version on the server after its own drive wrote one (a truncation by
    /// name while it was open) takes that version, as a local file system shows a write
    /// through another descriptor; another client's change is an error.
    sent: std::sync::Mutex<std::collections::HashMap<String, u64>>,
    /// The files open on this drive, by path: every open of a path shares one [`Node`],
    /// so writes through two descriptors meet in one stage (as on a local file system),
    /// and a rename or delete through the drive moves or orphans it.
    nodes: std::sync::Mutex<std::collections::HashMap<String, std::sync::Weak<Node>>>,
    /// Whether the server may keep a lock after its resource was deleted or moved away
    /// ([`Inner::release_gone`]): assumed until it refuses such an `UNLOCK`.
    locks_outlive: std::sync::atomic::AtomicBool,
    /// The runtime the file system was made on, where a file dropped outside one sends its
    /// `UNLOCK` (`None`: made outside a runtime).
    rt: Option<tokio::runtime::Handle>,
    /// Small files read whole at open, under the strong ETag they were read with
    /// ([`RemoteFs::open_read`], ADR 0021).
    small: SmallCache,
}

/// A file open on the drive (through one or more [`DavFile`]s).
#[derive(Debug)]
struct Node {
    /// The drive path and location it has now (a rename through the drive moves it).
    at: std::sync::Mutex<(String, DavLocation)>,
    /// Deleted (or replaced by a rename) through the drive while open: what is written
    /// goes nowhere, as to an unlinked local file.
    gone: std::sync::atomic::AtomicBool,
    /// `None` until the file is written or truncated: reads go to the server.
    stage: tokio::sync::Mutex<Option<Staged>>,
}

impl DavFs {
    /// The file system of the collection `root` on `client`'s server; `server` is what its
    /// `OPTIONS` answered (class 2: `flock` becomes a server `LOCK`).
    pub fn new(
        client: Arc<DavClient>,
        root: DavLocation,
        server: ServerCaps,
        options: DavFsOptions,
    ) -> Self {
        DavFs {
            inner: Arc::new(Inner {
                client,
                root,
                class2: server.class2,
                file_only_delete: server.file_only_delete,
                locks: Default::default(),
                sent: Default::default(),
                nodes: Default::default(),
                locks_outlive: std::sync::atomic::AtomicBool::new(true),
                rt: tokio::runtime::Handle::try_current().ok(),
                small: SmallCache::new(options.small_cache),
                options,
            }),
        }
    }

    /// [`DavFs::new`] after asking the server: `OPTIONS` (DAV class 1 and 2) and `PROPFIND`
    /// depth 0 of `root` (it must be a collection).
    ///
    /// Errors: as the requests' (`NotFound`, `AccessDenied`, `Io` + lost, ...);
    /// `NotADirectory` when `root` is a file; `Unsupported` without DAV class 1.
    pub async fn connect(
        client: Arc<DavClient>,
        root: DavLocation,
        options: DavFsOptions,
    ) -> FsResult<Self> {
        let server = client
            .options(&root)
            .await
            .map_err(|e| fs_error(&e, &format!("OPTIONS {root}"), DavOp::Other))?;
        if !server.class1 {
            return Err(FsError::new(
                FsErrorKind::Unsupported,
                format!("{root}: the server does not speak WebDAV (no DAV: 1)"),
            ));
        }
        let me = client
            .stat(&root)
            .await
            .map_err(|e| fs_error(&e, &format!("PROPFIND {root}"), DavOp::Other))?;
        if !me.is_collection {
            return Err(FsError::new(
                FsErrorKind::NotADirectory,
                format!("{root} is a file, not a collection"),
            ));
        }
        Ok(Self::new(client, root, server, options))
    }

    /// The collection the drive's root is.
    pub fn root(&self) -> &DavLocation {
        &self.inner.root
    }
}

impl Inner {
    /// The location of the drive path `path` (`""`: the root).
    ///
    /// Errors: `Invalid` for a component a URL path cannot carry (`.`, `..`, empty).
    fn at(&self, path: &str) -> FsResult<DavLocation> {
        let mut loc = self.root.clone();
        for c in path.split('/').filter(|c| !c.is_empty()) {
            loc = loc
                .join(c)
                .map_err(|e| FsError::new(FsErrorKind::Invalid, format!("{path:?}: {e}")))?;
        }
        Ok(loc)
    }

    /// `PROPFIND` depth 1: the resource (`None` if the server left it out) and its members.
    async fn list_at(&self, loc: &DavLocation) -> FsResult<(Option<Entry>, Vec<Entry>)> {
        self.client
            .list_with_self(loc)
            .await
            .map_err(|e| fs_error(&e, &format!("PROPFIND {loc}"), DavOp::Other))
    }

    /// Deletes the collection `path`, found empty. WebDAV's `DELETE` of a collection takes
    /// all it holds, so on a class 2 server it is locked first (exclusive, depth infinity:
    /// no other client adds a member while it is held), found empty again under the lock,
    /// and deleted with the token; the lock is `UNLOCK`ed if anything fails. Without class 2
    /// (or a server that cannot lock collections) a member another client adds between the
    /// check and the `DELETE` goes with it (ADR 0019).
    ///
    /// Errors: `NotEmpty` (found under the lock), `NotFound` (gone before the lock),
    /// `LockConflict` (another client holds a lock on it or inside it), the `DELETE`'s.
    async fn delete_collection(&self, path: &str, loc: &DavLocation) -> FsResult<()> {
        if !self.class2 {
            return self.delete_tree(loc, &[]).await;
        }
        let owner = format!("wnet drive (pid {}): rmdir", std::process::id());
        let lock = match self.client.lock_tree(loc, &owner, TREE_LOCK_TIMEOUT).await {
            Ok(lock) => lock,
            Err(e) => {
                let e = fs_error(&e, &format!("LOCK {loc} (depth infinity)"), DavOp::LockTree);
                if e.kind != FsErrorKind::Unsupported {
                    return Err(e);
                }
                tracing::debug!(error = %e, "the server cannot lock a collection: unguarded DELETE");
                return self.delete_tree(loc, &[]).await;
            }
        };
        let token = [lock.token.as_str()];
        if lock.created {
            // Nothing was there: the LOCK made an empty resource (If-Match ignored). It goes.
            let how = DeleteOptions {
                collection: false,
                file_only: true,
                tokens: &token,
            };
            match self.client.delete_with(loc, how).await {
                Ok(()) => self.release_gone(loc, &[lock.token]).await,
                Err(e) => {
                    tracing::warn!(error = %e, %loc, "deleting what a LOCK made where nothing was");
                }
            }
            return Err(not_found(path));
        }
        let r = async {
            match self.list_at(loc).await? {
                (Some(me), members) if me.is_collection && members.is_empty() => {}
                (Some(me), _) if !me.is_collection => {
                    return Err(FsError::new(
                        FsErrorKind::NotADirectory,
                        format!("{path:?} is no longer a directory"),
                    ));
                }
                _ => return Err(not_empty(path)),
            }
            self.delete_tree(loc, &token).await?;
            self.release_gone(loc, std::slice::from_ref(&lock.token))
                .await;
            Ok(())
        }
        .await;
        if r.is_err() {
            if let Err(e) = self.unlock(loc, &lock.token).await {
                tracing::warn!(error = %e, %loc, "UNLOCK after a failed rmdir (lapses in {TREE_LOCK_TIMEOUT:?})");
            }
        }
        r
    }

    /// `MOVE` `src` to `dst` (`overwrite`: `Overwrite: T`) with `tokens`.
    ///
    /// Errors: `Exists` without `overwrite` when something is at `dst`; the `MOVE`'s.
    async fn move_to(
        &self,
        src: &DavLocation,
        dst: &DavLocation,
        overwrite: bool,
        tokens: &[(&DavLocation, &str)],
    ) -> FsResult<()> {
        self.client
            .rename_locked(src, dst, false, overwrite, tokens)
            .await
            .map_err(|e| fs_error(&e, &format!("MOVE {src} to {dst}"), DavOp::Move))
    }

    /// `MOVE` `src` over the collection `dst` (the drive path `to`), found empty, the way
    /// [`Inner::delete_collection`] deletes one: `dst` locked (exclusive, depth infinity),
    /// found empty again under the lock, replaced with the token, and the lock given up
    /// after (it could stay on what was moved there, RFC 4918 §7.5). `Overwrite: T` deletes
    /// the target with all it holds; under the lock no other client's file is in it.
    ///
    /// Errors: `NotEmpty` (found under the lock), `LockConflict`, the `MOVE`'s.
    async fn replace_dir(
        &self,
        src: &DavLocation,
        dst: &DavLocation,
        to: &str,
        tokens: &[(&DavLocation, &str)],
    ) -> FsResult<()> {
        let owner = format!("wnet drive (pid {}): rename", std::process::id());
        let lock = match self.client.lock_tree(dst, &owner, TREE_LOCK_TIMEOUT).await {
            Ok(lock) => lock,
            Err(e) => {
                let e = fs_error(&e, &format!("LOCK {dst} (depth infinity)"), DavOp::LockTree);
                return match e.kind {
                    // Gone meanwhile: nothing to replace.
                    FsErrorKind::NotFound => self.move_to(src, dst, false, tokens).await,
                    FsErrorKind::Unsupported => self.move_to(src, dst, true, tokens).await,
                    _ => Err(e),
                };
            }
        };
        let r = async {
            // A LOCK that made an empty file where the directory vanished (rclone): it is
            // this drive's, and replaced.
            if !lock.created {
                if let (Some(me), members) = self.list_at(dst).await? {
                    if me.is_collection && !members.is_empty() {
                        return Err(not_empty(to));
                    }
                }
            }
            let mut all = tokens.to_vec();
            all.push((dst, lock.token.as_str()));
            self.move_to(src, dst, true, &all).await
        }
        .await;
        if let Err(e) = self.unlock(dst, &lock.token).await {
            tracing::debug!(error = %e, %dst, "UNLOCK after replacing a directory");
        }
        r
    }

    /// `DELETE` of the collection `loc` and all it holds, with `tokens`.
    async fn delete_tree(&self, loc: &DavLocation, tokens: &[&str]) -> FsResult<()> {
        let how = DeleteOptions {
            collection: true,
            file_only: false,
            tokens,
        };
        self.client
            .delete_with(loc, how)
            .await
            .map_err(|e| fs_error(&e, &format!("DELETE {loc}"), DavOp::Other))
    }

    /// `DELETE` of the file `path` with `Depth: 0` and this drive's lock token on it.
    async fn delete_file(&self, path: &str, loc: &DavLocation) -> FsResult<()> {
        let token = self.lock_token(path);
        let tokens: Vec<&str> = token.iter().map(String::as_str).collect();
        let how = DeleteOptions {
            collection: false,
            file_only: true,
            tokens: &tokens,
        };
        self.client
            .delete_with(loc, how)
            .await
            .map_err(|e| fs_error(&e, &format!("DELETE {loc}"), DavOp::DeleteFile))
    }

    /// `path` was deleted: the lock went with the resource, and files open there write
    /// nowhere now.
    async fn deleted(&self, path: &str, loc: &DavLocation) {
        self.small.forget(path);
        let gone = self.forget_lock(path);
        self.release_gone(loc, &gone).await;
        self.orphan(path);
    }

    async fn stat_at(&self, loc: &DavLocation) -> FsResult<Entry> {
        self.client
            .stat(loc)
            .await
            .map_err(|e| fs_error(&e, &format!("PROPFIND {loc}"), DavOp::Other))
    }

    /// How many times this drive sent `path` (see `Inner::sent`).
    fn sent(&self, path: &str) -> u64 {
        self.sent
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(path)
            .copied()
            .unwrap_or(0)
    }

    /// The node of the file open at `path`, made if none is.
    fn node(&self, path: &str, loc: &DavLocation) -> Arc<Node> {
        let mut nodes = self.nodes.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = nodes.get(path).and_then(std::sync::Weak::upgrade) {
            return n;
        }
        nodes.retain(|_, n| n.strong_count() > 0);
        let n = Arc::new(Node {
            at: std::sync::Mutex::new((path.to_owned(), loc.clone())),
            gone: Default::default(),
            stage: Default::default(),
        });
        nodes.insert(path.to_owned(), Arc::downgrade(&n));
        n
    }

    /// After `path` was deleted, or replaced by a rename: its open files write nowhere.
    fn orphan(&self, path: &str) {
        let mut nodes = self.nodes.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = nodes.remove(path).and_then(|n| n.upgrade()) {
            n.gone.store(true, std::sync::atomic::Ordering::Release);
        }
    }

    /// After `from` was renamed to `to`: the files open there and below follow.
    fn moved(&self, from: &str, to: &str) -> FsResult<()> {
        self.small.forget(from);
        self.small.forget(to);
        self.orphan(to);
        let mut nodes = self.nodes.lock().unwrap_or_else(|p| p.into_inner());
        let below = format!("{from}/");
        let keys: Vec<String> = nodes
            .keys()
            .filter(|k| *k == from || k.starts_with(&below))
            .cloned()
            .collect();
        for k in keys {
            let Some(n) = nodes.remove(&k).and_then(|n| n.upgrade()) else {
                continue;
            };
            let path = format!("{to}{}", &k[from.len()..]);
            *n.at.lock().unwrap_or_else(|p| p.into_inner()) = (path.clone(), self.at(&path)?);
            nodes.insert(path, Arc::downgrade(&n));
        }
        Ok(())
    }

    /// Forgets the locks this drive held on `path` (gone with a `DELETE` or `MOVE`), and
    /// answers their tokens.
    fn forget_lock(&self, path: &str) -> Vec<String> {
        self.locks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(path)
            .unwrap_or_default()
    }

    /// `UNLOCK`s `tokens`, locks on `loc` whose resource this drive deleted or moved away,
    /// where the server may keep them: RFC 4918 has a `DELETE` or `MOVE` remove them (Apache
    /// does), Go's `x/net/webdav` (rclone) keeps them until their timeout, refusing the name
    /// to every other client meanwhile. Learned: the first refused `UNLOCK` of such a lock
    /// (the server dropped it) stops them.
    async fn release_gone(&self, loc: &DavLocation, tokens: &[String]) {
        use std::sync::atomic::Ordering;
        for token in tokens {
            if !self.locks_outlive.load(Ordering::Acquire) {
                return;
            }
            match self.unlock(loc, token).await {
                Ok(()) => {}
                Err(e) if e.status().is_some_and(|s| (400..500).contains(&s)) => {
                    self.locks_outlive.store(false, Ordering::Release);
                }
                Err(e) => tracing::debug!(error = %e, %loc, "UNLOCK of a lock gone with its name"),
            }
        }
    }

    /// `UNLOCK` of `token` on `loc`, given [`UNLOCK_DEADLINE`] at most: a lock is given up
    /// on the way out (a close, a cancel, a daemon stopping), which a stalled server must not
    /// hold up; a lock not released lapses at its timeout.
    async fn unlock(&self, loc: &DavLocation, token: &str) -> wnet_dav::Result<()> {
        unlock_within(&self.client, loc, token).await
    }

    /// Forgets `token` among the locks this drive holds on `path` (another open file's
    /// lock there stays); whether it was still held (not gone with its resource's name).
    fn forget_token(&self, path: &str, token: &str) -> bool {
        let mut locks = self.locks.lock().unwrap_or_else(|p| p.into_inner());
        let Some(tokens) = locks.get_mut(path) else {
            return false;
        };
        let before = tokens.len();
        tokens.retain(|t| t != token);
        let held = tokens.len() < before;
        if tokens.is_empty() {
            locks.remove(path);
        }
        held
    }

    fn lock_token(&self, path: &str) -> Option<String> {
        self.locks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(path)
            .and_then(|t| t.first())
            .cloned()
    }

    /// `PUT` of `body` at `loc` (the drive path `path`), with this drive's lock token.
    async fn put(
        &self,
        path: &str,
        loc: &DavLocation,
        body: Body<'_>,
        create_only: bool,
    ) -> FsResult<()> {
        let token = self.lock_token(path);
        let how = PutOptions {
            create_only,
            lock_token: token.as_deref(),
        };
        let op = if create_only {
            DavOp::Create
        } else {
            DavOp::Other
        };
        self.small.forget(path);
        let r = self.client.put_with(loc, body, how).await;
        *self
            .sent
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(path.to_owned())
            .or_default() += 1;
        r.map(|_| ())
            .map_err(|e| fs_error(&e, &format!("PUT {loc}"), op))
    }
}

/// The drive's attributes of a listed or stat'ed resource. WebDAV has no file identity (an
/// ETag names a version, not a file), nor times other than the last modification.
fn attr_of(e: &Entry) -> Attr {
    let mtime = e.modified.unwrap_or(UNIX_EPOCH);
    let size = if e.is_collection {
        0
    } else {
        e.size.unwrap_or(0)
    };
    Attr {
        size,
        allocated: size.div_ceil(UNIT) * UNIT,
        atime: mtime,
        mtime,
        ctime: mtime,
        crtime: mtime,
        is_dir: e.is_collection,
        attributes: if e.is_collection {
            ATTR_DIRECTORY
        } else {
            ATTR_NORMAL
        },
        id: ServerFileId::UNKNOWN,
    }
}

/// Whether a listed name can be a drive name: a server's `%2F` or `%00` decoded into a
/// member's name, or a member named `.` or `..`, would make it another path (skipped).
fn listable(name: &str) -> bool {
    !matches!(name, "" | "." | "..") && !name.contains(['/', '\0'])
}

fn not_empty(path: &str) -> FsError {
    FsError::new(FsErrorKind::NotEmpty, format!("{path:?} is not empty"))
}

fn not_found(path: &str) -> FsError {
    FsError::new(FsErrorKind::NotFound, format!("{path:?} does not exist"))
}

impl RemoteFs for DavFs {
    /// Change notification by polling (a directory in use is listed again every [`POLL`],
    /// ADR 0020), no ranged writes (whole-file `PUT`), server-side `MOVE`, case-sensitive
    /// names, no durable handles, no sparse ranges, any name but `/` and NUL; `flock` on
    /// the server only with DAV class 2.
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            change_notify: true,
            polled_watch: true,
            byte_range_locks: self.inner.class2,
            ranged_writes: false,
            server_side_rename: true,
            durable_handles: false,
            case_insensitive: false,
            sparse_ranges: false,
            caching_across_opens: false,
            max_read: MAX_READ,
            read_only: false,
            // A URL path segment carries any byte, percent-encoded.
            names: NameRules::Posix,
        }
    }

    fn stat<'a>(&'a self, path: &'a str) -> FsFuture<'a, Attr> {
        Box::pin(async move {
            let loc = self.inner.at(path)?;
            Ok(attr_of(&self.inner.stat_at(&loc).await?))
        })
    }

    fn list<'a>(&'a self, dir: &'a str) -> FsFuture<'a, Vec<Listed>> {
        Box::pin(async move {
            let loc = self.inner.at(dir)?;
            let (me, members) = self
                .inner
                .client
                .list_with_self(&loc)
                .await
                .map_err(|e| fs_error(&e, &format!("PROPFIND {loc}"), DavOp::Other))?;
            if me.is_some_and(|m| !m.is_collection) {
                return Err(FsError::new(
                    FsErrorKind::NotADirectory,
                    format!("{dir:?} is a file"),
                ));
            }
            Ok(members
                .iter()
                .filter(|e| listable(e.name()))
                .map(|e| Listed {
                    name: e.name().to_owned(),
                    attr: attr_of(e),
                })
                .collect())
        })
    }

    fn list_at_most<'a>(&'a self, dir: &'a str, limit: usize) -> FsFuture<'a, Option<Vec<Listed>>> {
        Box::pin(async move {
            let all = self.list(dir).await?;
            Ok((all.len() <= limit).then_some(all))
        })
    }

    fn open<'a>(&'a self, path: &'a str, how: OpenHow) -> FsFuture<'a, OpenedFile> {
        Box::pin(async move {
            let inner = &self.inner;
            let loc = inner.at(path)?;
            let existing = match inner.stat_at(&loc).await {
                Ok(e) if e.is_collection => {
                    return Err(FsError::new(
                        FsErrorKind::IsADirectory,
                        format!("{path:?} is a directory"),
                    ));
                }
                Ok(e) => Some(e),
                Err(e) if e.kind == FsErrorKind::NotFound => None,
                Err(e) => return Err(e),
            };
            let (entry, stage) = match (how.disposition, existing) {
                (Disposition::CreateNew, Some(_)) => {
                    return Err(FsError::new(
                        FsErrorKind::Exists,
                        format!("{path:?} exists"),
                    ));
                }
                (Disposition::Open, None) => return Err(not_found(path)),
                (Disposition::Open | Disposition::OpenOrCreate, Some(e)) => (e, None),
                // Truncated: the server keeps the old content until the close sends the new
                // (other clients see the whole old or the whole new file, never a mix).
                (Disposition::Replace, Some(e)) => (e, Some(Staged::truncated())),
                (_, None) => {
                    // The name exists while the file is open, as a program expects.
                    match inner.put(path, &loc, Body::Bytes(b""), true).await {
                        Ok(()) => {}
                        // Another client made it meanwhile: an open-or-create opens it.
                        Err(e)
                            if e.kind == FsErrorKind::Exists
                                && how.disposition == Disposition::OpenOrCreate => {}
                        Err(e) => return Err(e),
                    }
                    let e = inner.stat_at(&loc).await?;
                    let fresh = e.size == Some(0);
                    (e, fresh.then(Staged::created))
                }
            };
            let mut attr = attr_of(&entry);
            let node = inner.node(path, &loc);
            if let Some(stage) = stage {
                // Truncated (or new): for every open of it on this drive.
                *node.stage.lock().await = Some(stage);
                attr.size = 0;
                attr.allocated = 0;
            } else if let Some(s) = node.stage.lock().await.as_ref() {
                // Open already, with what was written through it.
                attr.size = s.len();
                attr.allocated = s.len().div_ceil(UNIT) * UNIT;
            }
            let file = DavFile {
                fs: inner.clone(),
                node,
                access: how.access,
                opened: attr,
                version: std::sync::Mutex::new((Version::of(&entry), inner.sent(path))),
                state: tokio::sync::Mutex::new(State { lock: None }),
                blocks: Default::default(),
            };
            Ok(OpenedFile {
                file: Box::new(file),
                attr,
            })
        })
    }

    fn mkdir<'a>(&'a self, path: &'a str) -> FsFuture<'a, ()> {
        Box::pin(async move {
            let loc = self.inner.at(path)?;
            self.inner
                .client
                .mkcol(&loc)
                .await
                .map_err(|e| fs_error(&e, &format!("MKCOL {loc}"), DavOp::Mkcol))
        })
    }

    /// `unlink` or `rmdir` (ADR 0019): a depth-1 `PROPFIND` says which. A file is a `DELETE`
    /// with `Depth: 0`, which a server that honours it refuses for a collection another
    /// client put there meanwhile (`IsADirectory`). A collection must be empty
    /// (`NotEmpty`) and, on a class 2 server, is deleted under a depth-infinity `LOCK`
    /// (`Inner::delete_collection`): no other client's file goes with it.
    fn delete<'a>(&'a self, path: &'a str, dirs: &'a [&'a str]) -> FsFuture<'a, Vec<Option<Attr>>> {
        Box::pin(async move {
            let inner = &self.inner;
            let loc = inner.at(path)?;
            let (me, members) = inner.list_at(&loc).await?;
            if me.is_some_and(|m| m.is_collection) {
                if !members.is_empty() {
                    return Err(not_empty(path));
                }
                inner.delete_collection(path, &loc).await?;
            } else {
                inner.delete_file(path, &loc).await?;
            }
            inner.deleted(path, &loc).await;
            Ok(vec![None; dirs.len()])
        })
    }

    /// An unlink on a server that refuses a collection to `DELETE` with `Depth: 0`
    /// (Apache): that request alone, no look first (a directory another client put there
    /// is refused, `IsADirectory`). Elsewhere (rclone ignores `Depth`): [`RemoteFs::delete`].
    fn delete_file<'a>(
        &'a self,
        path: &'a str,
        dirs: &'a [&'a str],
    ) -> FsFuture<'a, Vec<Option<Attr>>> {
        if !self.inner.file_only_delete {
            return self.delete(path, dirs);
        }
        Box::pin(async move {
            let inner = &self.inner;
            let loc = inner.at(path)?;
            inner.delete_file(path, &loc).await?;
            inner.deleted(path, &loc).await;
            Ok(vec![None; dirs.len()])
        })
    }

    /// `MOVE` with `Overwrite: F`, and only when something is in the way and `replace`
    /// asks for it, a look at it and `Overwrite: T`: a non-empty directory at `to` is
    /// `NotEmpty` (`Overwrite: T` would delete it with all it holds); an empty one is
    /// replaced under a depth-infinity `LOCK` on a class 2 server, as `rmdir` deletes
    /// (`Inner::replace_dir`).
    fn rename<'a>(
        &'a self,
        from: &'a str,
        to: &'a str,
        replace: bool,
        dirs: &'a [&'a str],
    ) -> FsFuture<'a, Vec<Option<Attr>>> {
        Box::pin(async move {
            let (src, dst) = (self.inner.at(from)?, self.inner.at(to)?);
            let (from_token, to_token) = (self.inner.lock_token(from), self.inner.lock_token(to));
            let tokens: Vec<_> = [(&src, &from_token), (&dst, &to_token)]
                .into_iter()
                .filter_map(|(at, t)| t.as_deref().map(|t| (at, t)))
                .collect();
            // Without overwriting first: a rename to a free name (the common case) is one
            // request; only a name in the way is looked at.
            let first = self.inner.move_to(&src, &dst, false, &tokens).await;
            match first {
                Ok(()) => {}
                Err(e) if e.kind == FsErrorKind::Exists && replace => {
                    let dir = match self.inner.client.list_with_self(&dst).await {
                        Ok((Some(me), members)) if me.is_collection && !members.is_empty() => {
                            return Err(not_empty(to));
                        }
                        Ok((me, _)) => me.is_some_and(|m| m.is_collection),
                        Err(e) if e.status() == Some(404) => false,
                        Err(e) => {
                            return Err(fs_error(&e, &format!("PROPFIND {dst}"), DavOp::Other));
                        }
                    };
                    if dir && self.inner.class2 {
                        self.inner.replace_dir(&src, &dst, to, &tokens).await?;
                    } else {
                        self.inner.move_to(&src, &dst, true, &tokens).await?;
                    }
                }
                Err(e) => return Err(e),
            }
            // A lock does not move with its resource; one on the target stays and now
            // covers what was moved there (RFC 4918 §7.5, Apache).
            let gone = self.inner.forget_lock(from);
            self.inner.release_gone(&src, &gone).await;
            self.inner.moved(from, to)?;
            Ok(vec![None; dirs.len()])
        })
    }

    /// Accepted and ignored: a WebDAV server sets `getlastmodified` itself and refuses to
    /// have it set (Apache: a protected property), and has no read-only attribute. As
    /// davfs2 does, `touch`, `cp -p` and `tar x` succeed with the server's times (ADR 0019).
    fn set_info<'a>(&'a self, path: &'a str, _info: SetInfo) -> FsFuture<'a, ()> {
        Box::pin(async move {
            self.inner.at(path)?;
            Ok(())
        })
    }

    fn statfs(&self) -> FsFuture<'_, FsStats> {
        Box::pin(async move {
            let root = &self.inner.root;
            let (available, used) = self
                .inner
                .client
                .quota(root)
                .await
                .map_err(|e| fs_error(&e, &format!("PROPFIND {root} (quota)"), DavOp::Other))?;
            let available = available.unwrap_or(UNKNOWN_AVAILABLE) / UNIT;
            let used = used.unwrap_or(0) / UNIT;
            Ok(FsStats {
                unit: UNIT,
                total_units: available + used,
                free_units: available,
                available_units: available,
                max_name: 255,
            })
        })
    }

    /// WebDAV has no change notification: the drive polls ([`Poll`]). Nothing is asked of
    /// the server here; each poll's listing is the drive's.
    fn watch<'a>(&'a self, _dir: &'a str) -> FsFuture<'a, Box<dyn RemoteWatch>> {
        Box::pin(async move {
            let w: Box<dyn RemoteWatch> = Box::new(Poll {
                due: std::sync::Mutex::new(tokio::time::Instant::now()),
            });
            Ok(w)
        })
    }

    /// A small file read at open: one ranged `GET`, whose answer carries the attributes
    /// the drive needs (`Content-Range`'s total, `Last-Modified`, `ETag`) of the very
    /// version it holds. A file read whole before under a strong ETag (ADR 0021) is asked
    /// for with `If-None-Match`: `304 Not Modified` answers with the kept bytes, anything
    /// else as a plain read. An answer without those attributes, or a refusal (a
    /// collection, a server that ignores ranges), goes the long way: `PROPFIND`, `GET`.
    fn open_read<'a>(&'a self, path: &'a str, len: u32) -> FsFuture<'a, SmallRead> {
        Box::pin(async move {
            let inner = &self.inner;
            let loc = inner.at(path)?;
            let kept = inner
                .small
                .get(path)
                .filter(|c| c.data.len() <= len as usize);
            let answer = match &kept {
                Some(c) => {
                    let r = inner
                        .client
                        .read_range_if_changed(&loc, 0, len as usize, &c.etag)
                        .await;
                    match r {
                        Ok(IfChanged::Changed(r)) => Ok(r),
                        // Compared weakly by the server: only the very ETag the bytes were
                        // kept under, strong, vouches for them.
                        Ok(IfChanged::Unchanged { etag }) if etag.as_ref() == Some(&c.etag) => {
                            return Ok(SmallRead {
                                attr: attr_of(&Entry {
                                    size: Some(c.data.len() as u64),
                                    modified: Some(c.modified),
                                    etag,
                                    ..Entry::default()
                                }),
                                data: Ok(c.data.clone()),
                            });
                        }
                        Ok(IfChanged::Unchanged { .. }) => {
                            inner.small.forget(path);
                            inner.client.read_range(&loc, 0, len as usize).await
                        }
                        Err(e) => Err(e),
                    }
                }
                None => inner.client.read_range(&loc, 0, len as usize).await,
            };
            match answer {
                Ok(Ranged {
                    data,
                    etag,
                    total: Some(total),
                    modified: Some(modified),
                }) => {
                    match &etag {
                        // The whole file: kept (a weak ETag keeps nothing).
                        Some(tag) if data.len() as u64 == total => inner.small.put(
                            path,
                            Cached {
                                etag: tag.clone(),
                                modified,
                                data: data.clone(),
                            },
                        ),
                        _ => inner.small.forget(path),
                    }
                    let entry = Entry {
                        size: Some(total),
                        modified: Some(modified),
                        etag,
                        ..Entry::default()
                    };
                    return Ok(SmallRead {
                        attr: attr_of(&entry),
                        data: Ok(data),
                    });
                }
                Ok(_) => {}
                Err(e) if e.is_unreachable() => {
                    return Err(fs_error(&e, &format!("GET {loc}"), DavOp::Other));
                }
                Err(e) => {
                    tracing::debug!(%loc, error = %e, "a small read at open goes the long way")
                }
            }
            inner.small.forget(path);
            open_read_plain(self, path, len).await
        })
    }

    /// A new file sent whole at `close()` (the drive's deferred create): one `PUT` of the
    /// content, then `PROPFIND`s of it and of its directory at once (their attributes after
    /// the create). An open-or-create asks first whether
    /// the name exists (then it is opened and written into as any file, keeping the rest);
    /// a missing one is created with `If-None-Match: *`. Content that starts past offset 0
    /// goes the long way (open, write, close), where the stage pads it.
    fn create_whole<'a>(
        &'a self,
        path: &'a str,
        how: OpenHow,
        offset: u64,
        data: &'a [u8],
        dir: &'a str,
    ) -> FsFuture<'a, Created> {
        Box::pin(async move {
            let inner = &self.inner;
            let loc = inner.at(path)?;
            if offset != 0 {
                // Written from an offset: the stage pads it.
                return create_whole_plain(self, path, how, offset, data).await;
            }
            let create_only = match how.disposition {
                Disposition::Replace => false,
                // Asked first: rclone ignores `If-None-Match` (ADR 0019); an existing file
                // is opened (`Exists` for a create-new) and written into.
                _ => match inner.stat_at(&loc).await {
                    Err(e) if e.kind == FsErrorKind::NotFound => true,
                    Err(e) => return Err(e),
                    Ok(_) => return create_whole_plain(self, path, how, offset, data).await,
                },
            };
            inner
                .put(path, &loc, Body::Bytes(data), create_only)
                .await?;
            // The file's attributes and its directory's (whose times the create changed, and
            // which the kernel asks for next: with `default_permissions` every path walk
            // checks it) in parallel: one round trip of waiting, not two.
            let dir_loc = inner.at(dir)?;
            let (file, parent) = tokio::join!(inner.stat_at(&loc), inner.stat_at(&dir_loc));
            Ok(Created {
                attr: attr_of(&file?),
                dir: parent.ok().filter(|e| e.is_collection).map(|e| attr_of(&e)),
            })
        })
    }

    fn probe(&self) -> FsFuture<'_, ()> {
        Box::pin(async move {
            let root = &self.inner.root;
            self.inner
                .client
                .options(root)
                .await
                .map(|_| ())
                .map_err(|e| fs_error(&e, &format!("OPTIONS {root}"), DavOp::Other))
        })
    }
}

/// The version of a file an open saw: reads must come from it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Version {
    etag: Option<String>,
    size: u64,
    modified: Option<SystemTime>,
}

/// An ETag without its weak mark: Apache marks a file's ETag weak (`W/"..."`) for the first
/// second after a change and strong later, with the same value.
/// A watched directory (ADR 0020): each [`RemoteWatch::next`] answers [`POLL`] after the
/// one before (never sooner than half of it after the last answer), and the drive lists the
/// directory again then. Holds nothing on the server.
#[derive(Debug)]
struct Poll {
    due: std::sync::Mutex<tokio::time::Instant>,
}

impl RemoteWatch for Poll {
    fn next(&self) -> FsFuture<'_, Vec<Change>> {
        Box::pin(async move {
            let at = {
                let mut due = self.due.lock().expect("poll lock");
                *due = (*due + POLL).max(tokio::time::Instant::now() + POLL / 2);
                *due
            };
            tokio::time::sleep_until(at).await;
            Ok(Vec::new())
        })
    }

    fn close(self: Box<Self>) -> FsFuture<'static, ()> {
        Box::pin(async { Ok(()) })
    }
}

fn etag_value(e: &str) -> &str {
    e.trim().strip_prefix("W/").unwrap_or(e.trim())
}

impl Version {
    fn of(e: &Entry) -> Version {
        Version {
            etag: e.etag.clone(),
            size: e.size.unwrap_or(0),
            modified: e.modified,
        }
    }

    /// Whether a `GET`'s answer came from this version: the ETags when both are known,
    /// else the total size and time the answer carries.
    fn matches(&self, r: &Ranged) -> bool {
        if let (Some(mine), Some(theirs)) = (&self.etag, &r.etag) {
            return etag_value(mine) == etag_value(theirs);
        }
        r.total.is_none_or(|t| t == self.size)
            && match (self.modified, r.modified) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            }
    }
}

/// A file's content staged for a whole-file `PUT`.
#[derive(Debug)]
enum Content {
    Memory(Vec<u8>),
    /// An unnamed file (`O_TMPFILE`-like, 0600) in the stage directory, and its length.
    File(std::fs::File, u64),
}

#[derive(Debug)]
struct Staged {
    content: Content,
    /// Changed since the server last had it.
    dirty: bool,
    /// The most bytes it may hold (set when it moves to a file).
    limit: Option<u64>,
}

impl Staged {
    /// An empty stage the server does not have yet (a truncating open).
    fn truncated() -> Staged {
        Staged {
            content: Content::Memory(Vec::new()),
            dirty: true,
            limit: None,
        }
    }

    /// An empty stage the server has (a file just created empty).
    fn created() -> Staged {
        Staged {
            dirty: false,
            ..Staged::truncated()
        }
    }

    fn len(&self) -> u64 {
        match &self.content {
            Content::Memory(v) => v.len() as u64,
            Content::File(_, len) => *len,
        }
    }

    fn read(&self, offset: u64, len: u32) -> FsResult<Vec<u8>> {
        let end = self.len().min(offset.saturating_add(u64::from(len)));
        if offset >= end {
            return Ok(Vec::new());
        }
        match &self.content {
            Content::Memory(v) => Ok(v[offset as usize..end as usize].to_vec()),
            Content::File(f, _) => {
                let mut buf = vec![0; (end - offset) as usize];
                f.read_exact_at(&mut buf, offset).map_err(stage_error)?;
                Ok(buf)
            }
        }
    }

    /// Makes room for `new_len` bytes: moves a grown stage from memory to a file, and
    /// refuses to grow past its limit.
    fn reserve(&mut self, new_len: u64, o: &DavFsOptions) -> FsResult<()> {
        if let Content::Memory(v) = &self.content {
            if new_len > o.memory_stage as u64 {
                let file = stage_file(&o.stage_dir)?;
                file.write_all_at(v, 0).map_err(stage_error)?;
                let free = free_space(&o.stage_dir).unwrap_or(u64::MAX);
                self.limit = Some(
                    o.max_stage
                        .unwrap_or(free)
                        .min(free.saturating_add(self.len())),
                );
                self.content = Content::File(file, v.len() as u64);
            }
        }
        if let Some(limit) = self.limit.or(o.max_stage) {
            if new_len > limit {
                return Err(FsError::new(
                    FsErrorKind::NoSpace,
                    format!(
                        "{new_len} bytes would not fit in the write stage (at most {limit} bytes \
                         in {})",
                        o.stage_dir.display()
                    ),
                ));
            }
        }
        Ok(())
    }

    fn write(&mut self, offset: u64, data: &[u8], o: &DavFsOptions) -> FsResult<()> {
        let end = offset
            .checked_add(data.len() as u64)
            .ok_or_else(|| FsError::new(FsErrorKind::Invalid, "a write past 2^64"))?;
        self.reserve(end.max(self.len()), o)?;
        match &mut self.content {
            Content::Memory(v) => {
                if end as usize > v.len() {
                    v.resize(end as usize, 0);
                }
                v[offset as usize..end as usize].copy_from_slice(data);
            }
            Content::File(f, len) => {
                f.write_all_at(data, offset).map_err(stage_error)?;
                *len = (*len).max(end);
            }
        }
        self.dirty = true;
        Ok(())
    }

    fn set_len(&mut self, new_len: u64, o: &DavFsOptions) -> FsResult<()> {
        self.reserve(new_len, o)?;
        match &mut self.content {
            Content::Memory(v) => v.resize(new_len as usize, 0),
            Content::File(f, len) => {
                f.set_len(new_len).map_err(stage_error)?;
                *len = new_len;
            }
        }
        self.dirty = true;
        Ok(())
    }

    fn body(&self) -> Body<'_> {
        match &self.content {
            Content::Memory(v) => Body::Bytes(v),
            Content::File(f, len) => Body::File { file: f, len: *len },
        }
    }
}

/// A new unnamed file in `dir` (created 0700 if missing), readable only by its owner.
fn stage_file(dir: &Path) -> FsResult<std::fs::File> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(stage_error)?;
    // tempfile's unnamed file is 0600 and removed from the directory at once.
    tempfile::tempfile_in(dir).map_err(stage_error)
}

/// Bytes the caller may still write in `dir`'s file system.
fn free_space(dir: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    // SAFETY: an all-zero statvfs is a valid value to be overwritten.
    let mut s: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is NUL-terminated and `s` a valid out pointer, both live for the call.
    let rc = unsafe { libc::statvfs(c.as_ptr(), &mut s) };
    (rc == 0).then(|| s.f_bavail.saturating_mul(s.f_frsize))
}

/// A local failure of the write stage: a full disk is `NoSpace`, anything else `Io`.
fn stage_error(e: std::io::Error) -> FsError {
    let kind = if e.raw_os_error() == Some(libc::ENOSPC) {
        FsErrorKind::NoSpace
    } else {
        FsErrorKind::Io
    };
    FsError::new(kind, format!("the local write stage: {e}"))
}

/// A `LOCK` held through an open file, and the task that refreshes it.
#[derive(Debug)]
struct Held {
    token: String,
    /// Where it was taken (a lock stays with its name: it does not follow a rename).
    path: String,
    loc: DavLocation,
    refresh: tokio::task::JoinHandle<()>,
}

#[derive(Debug)]
struct State {
    lock: Option<Held>,
}

/// An open file on a [`DavFs`].
#[derive(Debug)]
pub struct DavFile {
    fs: Arc<Inner>,
    /// The file (shared with the other opens of it on this drive).
    node: Arc<Node>,
    access: Access,
    opened: Attr,
    /// The version reads come from, and how many times this drive had sent the path then.
    version: std::sync::Mutex<(Version, u64)>,
    state: tokio::sync::Mutex<State>,
    /// Blocks of the version read from, fetched for random reads.
    blocks: std::sync::Mutex<Blocks>,
}

/// The blocks of one open's version that random reads fetched ([`RANDOM_BLOCK`] each, in an
/// unnamed 0600 file in the stage directory, as davfs2 keeps whole files): later reads in
/// them are local. All of one version — the one the open's reads come from, each block
/// checked against it as any read — so they never mix two; dropped when that version
/// changes to one this drive sent, and with the open.
#[derive(Debug, Default)]
struct Blocks {
    /// Where the last read ended: a read that starts there is sequential (read-ahead's).
    next: u64,
    /// The local copy, made at the first block, and the most bytes it may hold.
    file: Option<(std::fs::File, u64)>,
    /// The blocks it holds, by index.
    held: std::collections::HashSet<u64>,
    /// How many times the drive had sent the path when they were fetched: once it sends it
    /// again they are another version's.
    sent: u64,
}

impl Blocks {
    /// `len` bytes at `offset` if one held block has them all.
    fn read(&self, offset: u64, len: u32, sent: u64) -> Option<Vec<u8>> {
        let (f, _) = self.file.as_ref()?;
        let b = offset / RANDOM_BLOCK;
        let inside = offset + u64::from(len) <= (b + 1) * RANDOM_BLOCK;
        if sent != self.sent || !inside || !self.held.contains(&b) {
            return None;
        }
        let mut buf = vec![0; len as usize];
        f.read_exact_at(&mut buf, offset).ok()?;
        Some(buf)
    }

    /// Keeps block `b` (`data`, fetched when the drive had sent the path `sent` times), if
    /// there is room; a local failure only means it is not kept.
    fn keep(&mut self, b: u64, data: &[u8], sent: u64, o: &DavFsOptions) {
        if sent != self.sent {
            self.held.clear();
            self.sent = sent;
        }
        if self.file.is_none() {
            let Ok(f) = stage_file(&o.stage_dir) else {
                return;
            };
            let free = free_space(&o.stage_dir).unwrap_or(0) / 2;
            self.file = Some((f, o.max_stage.unwrap_or(MAX_BLOCKS).min(free)));
        }
        let Some((f, limit)) = &self.file else {
            return;
        };
        let full = (self.held.len() as u64 + 1) * RANDOM_BLOCK > *limit;
        if !full && f.write_all_at(data, b * RANDOM_BLOCK).is_ok() {
            self.held.insert(b);
        }
    }
}

impl DavFile {
    /// The drive path and location the file has now.
    fn at(&self) -> (String, DavLocation) {
        self.node
            .at
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn changed(&self) -> FsError {
        FsError::new(
            FsErrorKind::Io,
            format!(
                "{:?} changed on the server since it was opened; open it again",
                self.at().0
            ),
        )
    }

    fn version(&self) -> (Version, u64) {
        self.version
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// `len` bytes at `offset` of the version opened, from the server. A version this
    /// drive sent meanwhile (through another open or by name) becomes the file's.
    async fn fetch(&self, offset: u64, len: u32) -> FsResult<Vec<u8>> {
        let (version, sent) = self.version();
        if let Some(data) = self.fetch_from(&version, offset, len).await? {
            return Ok(data);
        }
        let (path, loc) = self.at();
        let now = self.fs.sent(&path);
        if now == sent {
            return Err(self.changed());
        }
        let fresh = Version::of(&self.fs.stat_at(&loc).await?);
        *self.version.lock().unwrap_or_else(|p| p.into_inner()) = (fresh.clone(), now);
        self.fetch_from(&fresh, offset, len)
            .await?
            .ok_or_else(|| self.changed())
    }

    /// A read of what the server has: from the blocks random reads fetched, else a small
    /// read away from where the last one ended fetches its whole aligned block (kept), else
    /// exactly what was asked.
    async fn read_remote(&self, offset: u64, len: u32) -> FsResult<Vec<u8>> {
        let (version, adopted) = self.version();
        let path = self.at().0;
        let sent = self.fs.sent(&path);
        let random = {
            let mut b = self.blocks.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(data) = b.read(offset, len, sent) {
                b.next = offset + data.len() as u64;
                return Ok(data);
            }
            let random = offset != b.next;
            b.next = offset.saturating_add(u64::from(len));
            random
        };
        let block = offset / RANDOM_BLOCK;
        let start = block * RANDOM_BLOCK;
        let inside = offset.saturating_add(u64::from(len)) <= start + RANDOM_BLOCK;
        if !random || !inside || u64::from(len) >= RANDOM_BLOCK || offset >= version.size {
            return self.fetch(offset, len).await;
        }
        let want = (version.size - start).min(RANDOM_BLOCK) as u32;
        let data = self.fetch(start, want).await?;
        let unchanged = self.version().1 == adopted && self.fs.sent(&path) == sent;
        if unchanged && data.len() == want as usize {
            let mut b = self.blocks.lock().unwrap_or_else(|p| p.into_inner());
            b.keep(block, &data, sent, &self.fs.options);
        }
        let from = ((offset - start) as usize).min(data.len());
        let to = (from + len as usize).min(data.len());
        Ok(data[from..to].to_vec())
    }

    /// `len` bytes at `offset` of `version`; `None` when the server has another one.
    async fn fetch_from(
        &self,
        version: &Version,
        offset: u64,
        len: u32,
    ) -> FsResult<Option<Vec<u8>>> {
        let end = version.size.min(offset.saturating_add(u64::from(len)));
        if offset >= end {
            return Ok(Some(Vec::new()));
        }
        let loc = self.at().1;
        let r = self
            .fs
            .client
            .read_range(&loc, offset, (end - offset) as usize)
            .await
            .map_err(|e| fs_error(&e, &format!("GET {loc}"), DavOp::Other))?;
        Ok(version.matches(&r).then_some(r.data))
    }

    /// The stage, made on first use: the first `upto` bytes of the version read from
    /// fetched into it (all of them for a write, the kept part for a truncation); started
    /// again if that version changes to one this drive sent meanwhile.
    async fn stage<'s>(
        &self,
        stage: &'s mut Option<Staged>,
        upto: u64,
    ) -> FsResult<&'s mut Staged> {
        'fetch: while stage.is_none() {
            let o = &self.fs.options;
            let (version, sent) = self.version();
            let want = version.size.min(upto);
            let mut s = Staged::created();
            let mut at = 0;
            while at < want {
                let n = (want - at).min(u64::from(MAX_READ)) as u32;
                let chunk = self.fetch(at, n).await?;
                if self.version().1 != sent {
                    continue 'fetch;
                }
                if chunk.is_empty() {
                    return Err(self.changed());
                }
                s.write(at, &chunk, o)?;
                at += chunk.len() as u64;
            }
            s.dirty = false;
            *stage = Some(s);
        }
        Ok(stage.as_mut().expect("just staged"))
    }

    fn check_writable(&self) -> FsResult<()> {
        if self.access == Access::Read {
            return Err(FsError::new(
                FsErrorKind::AccessDenied,
                format!("{:?} was opened to read only", self.at().0),
            ));
        }
        Ok(())
    }

    /// Sends the stage if it changed; the server has every byte when this answers. A file
    /// deleted (or replaced) through the drive while open sends nothing.
    async fn send(&self, stage: &mut Option<Staged>) -> FsResult<()> {
        let Some(s) = stage.as_mut().filter(|s| s.dirty) else {
            return Ok(());
        };
        if !self.node.gone.load(std::sync::atomic::Ordering::Acquire) {
            let (path, loc) = self.at();
            self.fs.put(&path, &loc, s.body(), false).await?;
        }
        s.dirty = false;
        Ok(())
    }

    /// Gives up a `LOCK` held through this file (its refresh ends).
    async fn release(&self, st: &mut State) -> FsResult<()> {
        let Some(held) = st.lock.take() else {
            return Ok(());
        };
        held.refresh.abort();
        if !self.fs.forget_token(&held.path, &held.token) {
            // Gone with its resource's name: this drive deleted, moved or replaced it.
            return Ok(());
        }
        let r = self.fs.unlock(&held.loc, &held.token).await;
        match r.map_err(|e| fs_error(&e, &format!("UNLOCK {}", held.loc), DavOp::Unlock)) {
            // Gone already: the lock lapsed, or another client replaced the file.
            Err(e) if matches!(e.kind, FsErrorKind::NotLocked | FsErrorKind::NotFound) => Ok(()),
            r => r,
        }
    }

    /// Sends what is staged, then gives up a lock; the first failure is the answer. The
    /// stage goes with the last open of the file.
    async fn finish(&self) -> FsResult<()> {
        let sent = {
            let mut stage = self.node.stage.lock().await;
            let sent = self.send(&mut stage).await;
            if Arc::strong_count(&self.node) == 1 {
                *stage = None;
            }
            sent
        };
        let released = self.release(&mut *self.state.lock().await).await;
        sent.and(released)
    }
}

/// Whether a lock request names the whole file: `flock`, or `fcntl` from 0 to end of file
/// (the drive passes `u64::MAX` as the length of "to end of file").
fn whole_file(offset: u64, len: u64) -> bool {
    offset == 0 && len == u64::MAX
}

impl RemoteFile for DavFile {
    fn opened(&self) -> Attr {
        self.opened
    }

    fn read(&self, offset: u64, len: u32) -> FsFuture<'_, Vec<u8>> {
        Box::pin(async move {
            if let Some(s) = self.node.stage.lock().await.as_ref() {
                return s.read(offset, len);
            }
            self.read_remote(offset, len).await
        })
    }

    fn write<'a>(&'a self, offset: u64, data: &'a [u8]) -> FsFuture<'a, ()> {
        Box::pin(async move {
            self.check_writable()?;
            let mut stage = self.node.stage.lock().await;
            let s = self.stage(&mut stage, u64::MAX).await?;
            s.write(offset, data, &self.fs.options)
        })
    }

    fn flush(&self) -> FsFuture<'_, ()> {
        Box::pin(async move { self.send(&mut *self.node.stage.lock().await).await })
    }

    fn attr(&self) -> FsFuture<'_, Attr> {
        Box::pin(async move {
            {
                let stage = self.node.stage.lock().await;
                if let Some(s) = stage.as_ref().filter(|s| s.dirty) {
                    let size = s.len();
                    return Ok(Attr {
                        size,
                        allocated: size.div_ceil(UNIT) * UNIT,
                        ..self.opened
                    });
                }
            }
            Ok(attr_of(&self.fs.stat_at(&self.at().1).await?))
        })
    }

    fn set_len(&self, len: u64) -> FsFuture<'_, ()> {
        Box::pin(async move {
            self.check_writable()?;
            let mut stage = self.node.stage.lock().await;
            let s = self.stage(&mut stage, len).await?;
            s.set_len(len, &self.fs.options)
        })
    }

    /// Ignored, as [`RemoteFs::set_info`] (ADR 0019).
    fn set_info(&self, _info: SetInfo) -> FsFuture<'_, ()> {
        Box::pin(async move { Ok(()) })
    }

    /// A whole-file lock (`flock`) is a server `LOCK`, exclusive or shared, refreshed while
    /// held; a partial range stays this drive's own (WebDAV locks whole resources: a range
    /// lock on the server would refuse other clients' locks on other ranges). 423 is
    /// `LockConflict`.
    fn lock(&self, offset: u64, len: u64, exclusive: bool) -> FsFuture<'_, ()> {
        Box::pin(async move {
            if !whole_file(offset, len) {
                return Ok(());
            }
            let mut st = self.state.lock().await;
            let (path, loc) = self.at();
            if st.lock.is_some() {
                return Err(FsError::new(
                    FsErrorKind::LockConflict,
                    format!("{path:?} is locked through this open file already"),
                ));
            }
            let fs = &self.fs;
            let timeout = fs.options.lock_timeout;
            let owner = format!("wnet drive (pid {})", std::process::id());
            let token = fs
                .client
                .lock_scoped(&loc, &owner, timeout, exclusive)
                .await
                .map_err(|e| fs_error(&e, &format!("LOCK {loc}"), DavOp::Lock))?;
            fs.locks
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .entry(path.clone())
                .or_default()
                .push(token.clone());
            let refresh = {
                let (client, loc, token) = (fs.client.clone(), loc.clone(), token.clone());
                tokio::spawn(async move {
                    loop {
                        tokio::time::sleep(timeout / 2).await;
                        if let Err(e) = client.refresh_lock(&loc, &token, timeout).await {
                            tracing::warn!(error = %e, %loc, "refreshing a WebDAV lock failed");
                        }
                    }
                })
            };
            st.lock = Some(Held {
                token,
                path,
                loc,
                refresh,
            });
            Ok(())
        })
    }

    fn unlock(&self, offset: u64, len: u64) -> FsFuture<'_, ()> {
        Box::pin(async move {
            if !whole_file(offset, len) {
                return Ok(());
            }
            let mut st = self.state.lock().await;
            if st.lock.is_none() {
                return Err(FsError::new(
                    FsErrorKind::NotLocked,
                    format!("{:?} is not locked through this open file", self.at().0),
                ));
            }
            self.release(&mut st).await
        })
    }

    fn zero_range(&self, _offset: u64, _end: u64) -> FsFuture<'_, ()> {
        Box::pin(async move {
            Err(FsError::new(
                FsErrorKind::Unsupported,
                "WebDAV has no sparse ranges",
            ))
        })
    }

    fn reserve(&self, _len: u64) -> FsFuture<'_, ()> {
        Box::pin(async move {
            Err(FsError::new(
                FsErrorKind::Unsupported,
                "WebDAV cannot reserve space",
            ))
        })
    }

    fn close(self: Box<Self>) -> FsFuture<'static, ()> {
        Box::pin(async move { self.finish().await })
    }

    fn close_with_attr(self: Box<Self>) -> FsFuture<'static, Attr> {
        Box::pin(async move {
            self.finish().await?;
            Ok(attr_of(&self.fs.stat_at(&self.at().1).await?))
        })
    }
}

impl Drop for DavFile {
    /// A file dropped without a close (a drive's handles dropped when a close timed out,
    /// or torn down without closing) stops refreshing its lock and `UNLOCK`s it in the
    /// background, bounded as a close's; without a runtime to send it on, the lock lapses
    /// at its timeout.
    fn drop(&mut self) {
        let Some(held) = self.state.get_mut().lock.take() else {
            return;
        };
        held.refresh.abort();
        if !self.fs.forget_token(&held.path, &held.token) {
            return;
        }
        let rt = tokio::runtime::Handle::try_current()
            .ok()
            .or_else(|| self.fs.rt.clone());
        match rt {
            Some(rt) => {
                let client = self.fs.client.clone();
                rt.spawn(async move {
                    if let Err(e) = unlock_within(&client, &held.loc, &held.token).await {
                        tracing::debug!(error = %e, loc = %held.loc, "UNLOCK of a dropped file's lock");
                    }
                });
            }
            None => {
                tracing::warn!(loc = %held.loc, "a dropped file's lock lapses at its timeout");
            }
        }
    }
}

/// `client`'s `UNLOCK` of `token` on `loc`, given [`UNLOCK_DEADLINE`] at most.
async fn unlock_within(client: &DavClient, loc: &DavLocation, token: &str) -> wnet_dav::Result<()> {
    tokio::time::timeout(UNLOCK_DEADLINE, client.unlock(loc, token))
        .await
        .unwrap_or(Err(wnet_dav::Error::Timeout))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(dir: &Path) -> DavFsOptions {
        DavFsOptions {
            stage_dir: dir.to_path_buf(),
            memory_stage: 10,
            max_stage: Some(100),
            lock_timeout: Duration::from_secs(60),
            small_cache: 0,
        }
    }

    #[test]
    fn a_stage_moves_to_a_file_and_stays_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let o = opts(dir.path());
        let mut s = Staged::truncated();
        s.write(0, b"hello", &o).unwrap();
        assert!(matches!(s.content, Content::Memory(_)));
        s.write(8, b"world", &o).unwrap();
        assert!(matches!(s.content, Content::File(..)), "past 10 bytes");
        assert_eq!(s.read(0, 100).unwrap(), b"hello\0\0\0world");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "the stage file has no name"
        );
        s.set_len(4, &o).unwrap();
        assert_eq!(s.read(0, 100).unwrap(), b"hell");
        let e = s.write(90, &[1; 20], &o).unwrap_err();
        assert_eq!(e.kind, FsErrorKind::NoSpace, "{e}");
        assert_eq!(s.set_len(101, &o).unwrap_err().kind, FsErrorKind::NoSpace);
        assert_eq!(s.body().len(), 4);
    }

    #[test]
    fn versions_compare_etags_without_the_weak_mark() {
        let v = Version {
            etag: Some("W/\"b-66\"".into()),
            size: 11,
            modified: None,
        };
        let strong = Ranged {
            etag: Some("\"b-66\"".into()),
            ..Ranged::default()
        };
        assert!(v.matches(&strong));
        let other = Ranged {
            etag: Some("\"c-67\"".into()),
            ..Ranged::default()
        };
        assert!(!v.matches(&other));
        let untagged = Version { etag: None, ..v };
        let grown = Ranged {
            total: Some(12),
            ..Ranged::default()
        };
        assert!(!untagged.matches(&grown));
        assert!(untagged.matches(&Ranged {
            total: Some(11),
            ..Ranged::default()
        }));
    }

    #[test]
    fn names_a_hostile_listing_could_smuggle_are_skipped() {
        assert!(listable("a b") && listable("ü?#%"));
        for bad in ["", ".", "..", "a/b", "a\0b"] {
            assert!(!listable(bad), "{bad:?}");
        }
    }

    #[test]
    fn only_whole_file_locks_reach_the_server() {
        assert!(whole_file(0, u64::MAX));
        assert!(!whole_file(0, 100));
        assert!(!whole_file(5, u64::MAX - 5));
    }
}
