//! Leases (ADR 0011): what a small file's open learned, kept across opens while the server
//! promises to tell us first of any change, and the server handle that holds that promise
//! ([`KeptFile`], from [`super::remote::RemoteFs::open_read_kept`]; for SMB a lease).
//!
//! A read-only open of a small file asks for a Read+Write+Handle lease under a key of its
//! own and keeps its server handle *parked* (the drive's, never a user's: the handle table
//! does not know it). While the lease holds all three, the next open of the inode is
//! answered from the snapshot and attributes kept here, without a round trip. A parked
//! handle is closed [`PARK`] after its last use, at any break, before a change of the path
//! by this drive (write open, truncate, rename, unlink, rmdir), at a reconnect (breaks may
//! have been missed) and at unmount. Closing the handle ends the lease, so the snapshot goes
//! with it.
//!
//! Why Write, and why any break ends it: Samba makes another client's open wait for our
//! acknowledgment only for a break of W (or of H at a sharing violation), and breaks Read at
//! another client's *write* without waiting. So Read alone cannot promise that the next open
//! here sees another client's change (measured: a same-size write in place was read stale);
//! the break of W at that client's open can, since it is answered only after we dropped
//! everything. The cost: any other client's open of the file, even to read, ends our cache.

use super::cache::Attr;
use super::core::Core;
use super::inode::{Fold, InodeNo};
use super::remote::{KeepKey, KeptFile, Revocation, Revocations};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

/// How long a parked handle outlives its last use (cifs.ko's `closetimeo`).
pub const PARK: Duration = Duration::from_secs(5);
/// Most bytes of snapshots kept at once; past it, opens close their handle as before.
const MAX_BYTES: usize = 32 << 20;
/// Most parked handles at once.
const MAX_PARKED: usize = 8192;
/// Breaks queued for the drive at most (past it the engine acknowledges at once).
const BREAK_QUEUE: usize = 256;
/// How often parked handles past [`PARK`] are closed.
const SWEEP: Duration = Duration::from_secs(1);

/// One parked handle and what its open learned.
pub(crate) struct Held {
    key: KeepKey,
    /// The path at the open.
    pub path: String,
    attr: Attr,
    data: Arc<Vec<u8>>,
    file: Box<dyn KeptFile>,
    used: Instant,
}

#[derive(Default)]
struct State {
    by_ino: HashMap<InodeNo, Held>,
    by_key: HashMap<KeepKey, InodeNo>,
    /// By the path's key under `fold`.
    by_path: HashMap<String, InodeNo>,
    fold: Fold,
    bytes: usize,
    /// Keys asked for by opens not parked yet, and whether a break took R or H meanwhile
    /// (it can arrive before the CREATE's answer is handled).
    pending: HashMap<KeepKey, bool>,
}

impl State {
    fn take(&mut self, ino: InodeNo) -> Option<Held> {
        let h = self.by_ino.remove(&ino)?;
        self.by_key.remove(&h.key);
        self.by_path.remove(&self.fold.key(&h.path));
        self.bytes -= h.data.len();
        Some(h)
    }

    fn take_where(&mut self, pick: impl Fn(&Held) -> bool) -> Vec<Held> {
        let inos: Vec<InodeNo> = self
            .by_ino
            .iter()
            .filter(|(_, h)| pick(h))
            .map(|(i, _)| *i)
            .collect();
        inos.into_iter().filter_map(|i| self.take(i)).collect()
    }
}

/// The drive's parked handles; the one owner of lease state in the drive.
pub(crate) struct Leases {
    state: Mutex<State>,
    breaks: Revocations,
    /// Taken once by [`run`].
    inbox: Mutex<Option<tokio::sync::mpsc::Receiver<Revocation>>>,
}

impl Default for Leases {
    fn default() -> Self {
        Self::folding(Fold::Case)
    }
}

impl Leases {
    /// No parked handles; paths keyed under `fold`.
    pub fn folding(fold: Fold) -> Self {
        let (breaks, inbox) = tokio::sync::mpsc::channel(BREAK_QUEUE);
        Leases {
            state: Mutex::new(State {
                fold,
                ..State::default()
            }),
            breaks,
            inbox: Mutex::new(Some(inbox)),
        }
    }
}

impl Leases {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("lease lock")
    }

    /// Where the breaks of the drive's leases go.
    pub fn listener(&self) -> Revocations {
        self.breaks.clone()
    }

    /// Whether a new handle may be parked (room for `len` more bytes).
    pub fn has_room(&self, len: usize) -> bool {
        let s = self.lock();
        s.by_ino.len() < MAX_PARKED && s.bytes + len <= MAX_BYTES
    }

    /// An open is about to ask for a lease under `key` (before its CREATE is sent).
    pub fn begin(&self, key: KeepKey) {
        self.lock().pending.insert(key, false);
    }

    /// The open that asked for `key` will not park (it failed).
    pub fn abandon(&self, key: &KeepKey) {
        self.lock().pending.remove(key);
    }

    /// The snapshot of `ino` kept under a lease that still stands (not made on a connection
    /// since replaced: its breaks may have been missed), marked used now; `None` when none
    /// is held.
    pub fn snapshot(&self, ino: InodeNo) -> Option<Arc<Vec<u8>>> {
        let mut s = self.lock();
        let h = s.by_ino.get_mut(&ino)?;
        if !h.file.current() {
            return None;
        }
        h.used = Instant::now();
        Some(h.data.clone())
    }

    /// The attributes of `path` kept under a lease, if any, with how long the kernel may
    /// keep them: until the parked handle may be closed without a break (past that, nothing
    /// tells the kernel to forget them).
    pub fn attr(&self, path: &str) -> Option<(Attr, Duration)> {
        let s = self.lock();
        let ino = s.by_path.get(&s.fold.key(path))?;
        let h = s.by_ino.get(ino)?;
        Some((h.attr, PARK.saturating_sub(h.used.elapsed())))
    }

    /// Parks `file` (opened at `path` asking for a lease under `asked`, see [`Leases::begin`])
    /// with what its open read. Returns a handle the caller is to close: `file` itself when
    /// it cannot be kept (not all of Read+Write+Handle granted, broken meanwhile, or no room), or the one
    /// it replaces (two first opens of a file raced).
    pub fn park(
        &self,
        asked: KeepKey,
        ino: InodeNo,
        path: &str,
        attr: Attr,
        data: Arc<Vec<u8>>,
        file: Box<dyn KeptFile>,
    ) -> Option<Box<dyn KeptFile>> {
        // Broken before it could be parked: what the open read may be stale already.
        let broken = self.lock().pending.remove(&asked) != Some(false);
        if broken || !file.whole() || !self.has_room(data.len()) {
            tracing::debug!(path, broken, whole = file.whole(), "not parked");
            return Some(file);
        }
        let k = asked;
        let mut s = self.lock();
        let old = s.take(ino);
        s.bytes += data.len();
        s.by_key.insert(k, ino);
        let pk = s.fold.key(path);
        s.by_path.insert(pk, ino);
        s.by_ino.insert(
            ino,
            Held {
                key: k,
                path: path.to_owned(),
                attr,
                data,
                file,
                used: Instant::now(),
            },
        );
        drop(s);
        old.map(|h| h.file)
    }

    /// The parked handle of the lease `k`, taken out; a lease still on its way to be parked
    /// is marked broken instead.
    fn take_key(&self, k: &KeepKey) -> Option<Held> {
        let mut s = self.lock();
        if let Some(broken) = s.pending.get_mut(k) {
            *broken = true;
            return None;
        }
        let ino = *s.by_key.get(k)?;
        s.take(ino)
    }

    /// Every parked handle at `path` or below it, taken out.
    pub fn take_under(&self, path: &str) -> Vec<Held> {
        let mut s = self.lock();
        let under = under(s.fold, path);
        s.take_where(under)
    }

    /// Whether a handle is parked at `path` or below it.
    pub fn parked_under(&self, path: &str) -> bool {
        let s = self.lock();
        !s.by_ino.is_empty() && s.by_ino.values().any(under(s.fold, path))
    }

    /// The parked handle of `ino`, taken out.
    pub fn take_ino(&self, ino: InodeNo) -> Option<Held> {
        self.lock().take(ino)
    }

    /// Every parked handle unused for [`PARK`], taken out.
    fn take_expired(&self) -> Vec<Held> {
        self.lock().take_where(|h| h.used.elapsed() >= PARK)
    }

    /// Every parked handle, taken out.
    pub fn take_all(&self) -> Vec<Held> {
        self.lock().take_where(|_| true)
    }
}

/// Whether a parked handle is at `path` or below it.
fn under(fold: Fold, path: &str) -> impl Fn(&Held) -> bool {
    let k = fold.key(path);
    let prefix = format!("{k}/");
    move |h| {
        let p = fold.key(&h.path);
        k.is_empty() || p == k || p.starts_with(&prefix)
    }
}

/// Closes the parked handles `held` (their leases end with them), all at once, each bounded
/// by `deadline`; their keys' breaks are acknowledged at once from now on.
pub(crate) async fn close(held: Vec<Held>, deadline: Duration) {
    let mut closes = tokio::task::JoinSet::new();
    for h in held {
        closes.spawn(close_file(h.file, deadline));
    }
    while closes.join_next().await.is_some() {}
}

/// Closes one handle the drive holds for itself, bounded by `deadline`; its lease's breaks
/// are acknowledged at once from now on.
pub(crate) async fn close_file(f: Box<dyn KeptFile>, deadline: Duration) {
    if let Ok(Err(e)) = tokio::time::timeout(deadline, f.close()).await {
        tracing::debug!("closing a parked handle: {e}");
    }
}

/// Answers the breaks of the drive's leases and closes parked handles past [`PARK`], until
/// the core goes. A break takes the inode's snapshot and attributes out, makes the kernel
/// forget them and closes the parked handle, and only then lets the acknowledgment go.
pub(crate) async fn run(me: Weak<Core>) {
    let Some(mut inbox) = me
        .upgrade()
        .and_then(|c| c.leases.inbox.lock().expect("lease lock").take())
    else {
        return;
    };
    let mut sweep = tokio::time::interval(SWEEP);
    sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            brk = inbox.recv() => {
                let Some(brk) = brk else { return };
                let Some(core) = me.upgrade() else { return };
                if brk.still_whole {
                    continue;
                }
                if let Some(h) = core.leases.take_key(&brk.key) {
                    tracing::debug!(path = h.path, "lease broken: its cache dropped");
                    core.lease_lost(&h.path);
                    close(vec![h], core.deadline).await;
                }
                brk.done();
            }
            _ = sweep.tick() => {
                let Some(core) = me.upgrade() else { return };
                let expired = core.leases.take_expired();
                if !expired.is_empty() {
                    tracing::debug!(handles = expired.len(), "parked handles past their time");
                    let deadline = core.deadline;
                    core.rt.spawn(close(expired, deadline));
                }
            }
        }
    }
}
