//! Directory watches: a CHANGE_NOTIFY kept pending on the server for each directory the
//! drive is busy in, so that its cache can be exact instead of short-lived (see
//! [`super::cache`] for the two regimes).
//!
//! One task per watched directory owns the directory's server handle and its notify request.
//! It arms the notify *before* it lists the directory (both go out on one connection in that
//! order, and the server handles a connection's requests in order). That the server
//! accepted the notify request does not mean it watches yet: Samba hands the watch to its
//! notify daemon by message, which adds the kernel's inotify watch when it gets to it (on a
//! loaded machine tens of milliseconds or more later: 4 of 87 files written 30 ms after
//! the request went unreported, with `log level = 1 smb2:10`), and a change made on its disk
//! before then is never reported. So until the first notification proves the watch live,
//! the task lists the directory again at each of [`CONFIRM_AFTER`]: a change in that gap
//! shows at the next one. Each notification marks names dirty; after
//! [`OWN_DEBOUNCE`] the task lists the directory again and makes the kernel forget exactly
//! the entries that differ from what it was told. Our own changes therefore cost no kernel
//! invalidation: the listing agrees with what our change already answered.
//!
//! A watch ends when the directory is idle for [`IDLE`], when more than [`MAX_WATCHES`] are
//! wanted (the least recently used goes), before the drive renames or removes the directory
//! or one above it (its handle must be closed first: the server refuses to rename a
//! directory with a handle open below it), when the drive disconnects, or on any error. When
//! it ends, the kernel forgets every entry of the directory, so nothing answered under the
//! watch outlives it.
//!
//! A server without change notification may have the drive poll instead
//! ([`Capabilities::polled_watch`], WebDAV, ADR 0020): its watch answers every so often and
//! the task lists the directory again each time, with tighter [`Bounds`] (a poll costs a
//! whole listing): [`POLLED_MAX_WATCHES`] directories, idle after [`POLLED_IDLE`], at most
//! [`POLLED_MAX_ENTRIES`] names.
//!
//! A directory of more than [`MAX_ENTRIES`] names is not watched: its listing stops paging
//! there, and the directory is not tried again for [`TOO_BIG_RECHECK`], so a lookup in it is
//! one stat round trip, never a listing of it.

use super::cache::OWN_DEBOUNCE;
use super::core::Core;
use super::inode::{Fold, InodeNo};
use super::remote::{Capabilities, Change, FsFuture, FsResult};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};
use tokio::sync::{Notify, watch};

/// Most directories watched at once per drive.
pub const MAX_WATCHES: usize = 64;
/// Most directories polled at once per drive ([`Capabilities::polled_watch`]): each poll
/// is a whole listing.
pub const POLLED_MAX_WATCHES: usize = 8;
/// A polled directory nobody asked about for this long is no longer polled.
pub const POLLED_IDLE: Duration = Duration::from_secs(5);
/// A directory with more entries than this is not polled (about 400 bytes of XML each,
/// every poll).
pub const POLLED_MAX_ENTRIES: usize = 5_000;
/// A watched directory nobody asked about for this long is no longer watched.
pub const IDLE: Duration = Duration::from_secs(30);
/// A directory with more entries than this is not watched (each notification lists it).
pub const MAX_ENTRIES: usize = 20_000;
/// How long a directory found to have more than [`MAX_ENTRIES`] is not watched again: each
/// try costs a listing of [`MAX_ENTRIES`] names, and a lookup in it would try again at once.
pub const TOO_BIG_RECHECK: Duration = Duration::from_secs(300);
/// Most directories remembered as too big (the oldest is forgotten first).
const MAX_TOO_BIG: usize = 256;
/// How often a watch checks for idleness, overdue names and the drive's state.
const TICK: Duration = Duration::from_millis(100);
/// How long after a notification the next notify request is sent. The server keeps the
/// changes that happen meanwhile and answers them all at once: a burst of changes costs one
/// notification, not one each.
const REARM_DELAY: Duration = Duration::from_millis(25);
/// When, after its first notify request was sent, a watch lists its directory again while
/// no notification has come yet (see the module doc): a change the server did not see
/// because it was not watching yet shows at the next of these.
const CONFIRM_AFTER: [Duration; 3] = [
    Duration::from_millis(250),
    Duration::from_secs(1),
    Duration::from_secs(4),
];

/// How many directories a drive watches, for how long unused, and how big: a watch over
/// change notification costs the server one pending request; a polled one
/// ([`Capabilities::polled_watch`]) a whole listing every poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    /// Most directories watched at once (the least recently used goes).
    pub max_watches: usize,
    /// A directory nobody asked about for this long is no longer watched.
    pub idle: Duration,
    /// A directory with more entries is not watched.
    pub max_entries: usize,
}

impl Bounds {
    /// The bounds for a server that can do `caps`.
    pub fn of(caps: &Capabilities) -> Bounds {
        if caps.polled_watch {
            Bounds {
                max_watches: POLLED_MAX_WATCHES,
                idle: POLLED_IDLE,
                max_entries: POLLED_MAX_ENTRIES,
            }
        } else {
            Bounds {
                max_watches: MAX_WATCHES,
                idle: IDLE,
                max_entries: MAX_ENTRIES,
            }
        }
    }
}

/// How recent a listing the drive already has must be for a polled watch to start with it
/// instead of listing again: it then stands for a poll made when it was taken (the next
/// poll comes [`Capabilities::polled_watch`]'s interval after the watch began).
pub const ADOPT_AGE: Duration = Duration::from_millis(200);

/// What the kernel is told to forget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Forget {
    /// The name entry `name` in directory `parent`.
    Entry {
        /// The directory.
        parent: InodeNo,
        /// The name.
        name: String,
    },
    /// The attributes and cached data of an inode.
    Inode(InodeNo),
}

#[derive(Debug)]
struct Running {
    id: u64,
    stop: Arc<Notify>,
    done: watch::Receiver<bool>,
}

/// The watches of one drive, by directory key.
#[derive(Debug, Default)]
pub struct Watches {
    running: Mutex<HashMap<String, Running>>,
    next_id: std::sync::atomic::AtomicU64,
    /// Directories found to have more than [`MAX_ENTRIES`], by key, with when: not watched
    /// again for [`TOO_BIG_RECHECK`].
    too_big: Mutex<HashMap<String, Instant>>,
    fold: Fold,
}

impl Watches {
    /// No watches yet; directories keyed under `fold`.
    pub fn folding(fold: Fold) -> Self {
        Watches {
            fold,
            ..Watches::default()
        }
    }

    /// How many directories are watched.
    pub fn len(&self) -> usize {
        self.running.lock().expect("watch lock").len()
    }

    /// Whether no directory is watched.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Starts watching `dir` unless it is watched already (or watching is off).
    pub fn ensure(&self, core: &Arc<Core>, dir: &str) {
        if !core.kernel_attached() || !core.is_connected() {
            return;
        }
        let k = self.fold.key(dir);
        if self.too_big_lately(&k) {
            return;
        }
        let mut m = self.running.lock().expect("watch lock");
        if m.contains_key(&k) {
            return;
        }
        if m.len() >= Bounds::of(&core.caps).max_watches {
            let oldest = m
                .keys()
                .max_by_key(|d| core.cache.idle(d).unwrap_or(Duration::MAX))
                .cloned();
            if let Some(r) = oldest.and_then(|d| m.remove(&d)) {
                r.stop.notify_one();
            }
        }
        let id = self
            .next_id
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let stop = Arc::new(Notify::new());
        let (done_tx, done) = watch::channel(false);
        m.insert(
            k.clone(),
            Running {
                id,
                stop: stop.clone(),
                done,
            },
        );
        drop(m);
        core.cache.watch_begin(dir);
        let weak = Arc::downgrade(core);
        let dir = dir.to_string();
        core.rt.spawn(async move {
            run(weak.clone(), &dir, stop).await;
            if let Some(c) = weak.upgrade() {
                let mut m = c.watches.running.lock().expect("watch lock");
                if m.get(&k).is_some_and(|r| r.id == id) {
                    m.remove(&k);
                }
            }
            let _ = done_tx.send(true);
        });
    }

    /// Whether the directory with key `k` was found too big to watch within
    /// [`TOO_BIG_RECHECK`].
    fn too_big_lately(&self, k: &str) -> bool {
        let mut m = self.too_big.lock().expect("watch lock");
        match m.get(k) {
            Some(at) if at.elapsed() < TOO_BIG_RECHECK => true,
            Some(_) => {
                m.remove(k);
                false
            }
            None => false,
        }
    }

    /// Remembers that `dir` has more than [`MAX_ENTRIES`] entries.
    pub(crate) fn too_big(&self, dir: &str) {
        let mut m = self.too_big.lock().expect("watch lock");
        if m.len() >= MAX_TOO_BIG {
            m.retain(|_, at| at.elapsed() < TOO_BIG_RECHECK);
            if m.len() >= MAX_TOO_BIG
                && let Some(oldest) = m.iter().min_by_key(|(_, at)| **at).map(|(d, _)| d.clone())
            {
                m.remove(&oldest);
            }
        }
        m.insert(self.fold.key(dir), Instant::now());
    }

    /// Ends the watches of `dir` and every directory below it, and waits (at most `bound`)
    /// until their server handles are closed. `None` ends every watch.
    pub async fn stop_under(&self, dir: Option<&str>, bound: Duration) {
        let mut waits = Vec::new();
        {
            let mut m = self.running.lock().expect("watch lock");
            let hit: Vec<String> = match dir {
                None => m.keys().cloned().collect(),
                Some(d) => {
                    let k = self.fold.key(d);
                    let prefix = format!("{k}/");
                    m.keys()
                        .filter(|x| k.is_empty() || **x == k || x.starts_with(&prefix))
                        .cloned()
                        .collect()
                }
            };
            for d in hit {
                if let Some(r) = m.remove(&d) {
                    r.stop.notify_one();
                    waits.push(r.done);
                }
            }
        }
        let all = async {
            for mut w in waits {
                let _ = w.wait_for(|d| *d).await;
            }
        };
        let _ = tokio::time::timeout(bound, all).await;
    }
}

type Pending<'a> = FsFuture<'a, Vec<Change>>;
type Listing = Pin<Box<dyn Future<Output = Result<(), &'static str>> + Send>>;

/// Why a watch goes on or ends.
enum Step {
    Go,
    End(&'static str),
}

/// One notify result: marks names dirty and schedules a listing.
fn on_notify(
    c: &Core,
    dir: &str,
    r: FsResult<Vec<Change>>,
    relist_at: &mut Option<tokio::time::Instant>,
) -> Step {
    let soon = match r {
        // The provider's poll says nothing changed, only that it is time to look: listed
        // now, nothing marked dirty (the listing finds what differs).
        Ok(_) if c.caps.polled_watch => Duration::ZERO,
        Ok(changes) => {
            let removed: Vec<&String> = changes
                .iter()
                .filter_map(|c| match c {
                    Change::Removed(name) => Some(name),
                    _ => None,
                })
                .collect();
            if !removed.is_empty() {
                let mut inodes = c.inodes.lock().expect("inode lock");
                for name in removed {
                    inodes.removed_elsewhere(&super::names::join(dir, name));
                }
            }
            // Too much to say what (or what the server held is lost): list again.
            let everything = changes.is_empty() || changes.contains(&Change::Everything);
            let names = (!everything).then(|| {
                changes
                    .into_iter()
                    .filter_map(|c| match c {
                        Change::Changed(n) | Change::Removed(n) => {
                            Some(n.rsplit('/').next().unwrap_or_default().to_string())
                        }
                        Change::Everything => None,
                    })
                    .collect()
            });
            c.cache.notified(dir, names)
        }
        Err(_) => return Step::End("notify failed"),
    };
    let at = tokio::time::Instant::now() + soon;
    *relist_at = Some(relist_at.map_or(at, |t| t.min(at)));
    Step::Go
}

/// The watch task. The notify request and a listing in progress are both futures polled by
/// the one `select!`, never left unpolled while the task waits for something else (an
/// engine request that is not polled may hold the connection's writer).
async fn run(core: Weak<Core>, dir: &str, stop: Arc<Notify>) {
    let Some(c) = core.upgrade() else { return };
    let opened = tokio::time::timeout(c.deadline, c.fs().watch(dir)).await;
    c.check_moved();
    let Ok(Ok(handle)) = opened else {
        end(&c, dir, "open failed");
        return;
    };
    let bounds = Bounds::of(&c.caps);
    let polled = c.caps.polled_watch;
    drop(c);
    let arm = || -> Pending<'_> { handle.next() };
    let mut pending = Some(arm());
    let mut rearm_at: Option<tokio::time::Instant> = None;
    // The first listing starts after the notify request was polled (biased order below), so
    // it goes on the wire after it. Polled: a listing taken a moment ago (by the OPENDIR or
    // the stat that started the watch) stands for the first one.
    let armed = tokio::time::Instant::now();
    let adopted = polled && core.upgrade().is_some_and(|c| adopt(&c, dir));
    let mut relist_at = (!adopted).then_some(armed);
    // The listings that catch what the server missed before it watched (module doc); none
    // once a notification came, and none for a polled watch (each poll is such a listing).
    let confirming = if polled { 0 } else { CONFIRM_AFTER.len() };
    let mut confirms = CONFIRM_AFTER
        .iter()
        .take(confirming)
        .map(|after| armed + *after);
    let mut listing: Option<Listing> = None;
    let mut listed_from = armed;
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let why = loop {
        let timer = relist_at.unwrap_or_else(|| tokio::time::Instant::now() + bounds.idle);
        let rearm = rearm_at.unwrap_or_else(|| tokio::time::Instant::now() + bounds.idle);
        tokio::select! {
            biased;
            _ = stop.notified() => break "stopped",
            r = async { pending.as_mut().expect("guarded").await }, if pending.is_some() => {
                pending = None;
                rearm_at = Some(tokio::time::Instant::now() + REARM_DELAY);
                confirms.by_ref().for_each(drop);
                let Some(c) = core.upgrade() else { break "drive gone" };
                if let Step::End(why) = on_notify(&c, dir, r, &mut relist_at) {
                    break why;
                }
            }
            _ = tokio::time::sleep_until(rearm), if rearm_at.is_some() => {
                rearm_at = None;
                pending = Some(arm());
            }
            r = async { listing.as_mut().expect("guarded").await }, if listing.is_some() => {
                listing = None;
                if let Err(why) = r {
                    break why;
                }
                let Some(c) = core.upgrade() else { break "drive gone" };
                if c.cache.is_dirty(dir) {
                    // Names notified while it ran, or changed by us meanwhile.
                    relist_at.get_or_insert_with(|| tokio::time::Instant::now() + OWN_DEBOUNCE);
                }
                // A listing begun after a confirmation time is as good as one at it.
                if let Some(at) = confirms.by_ref().find(|at| *at > listed_from) {
                    relist_at = Some(relist_at.map_or(at, |t| t.min(at)));
                }
            }
            _ = tokio::time::sleep_until(timer), if relist_at.is_some() && listing.is_none() => {
                relist_at = None;
                listed_from = tokio::time::Instant::now();
                let Some(c) = core.upgrade() else { break "drive gone" };
                let d = dir.to_string();
                listing = Some(Box::pin(async move { relist(&c, &d).await }));
            }
            _ = tick.tick() => {
                let Some(c) = core.upgrade() else { break "drive gone" };
                if !c.is_connected() {
                    break "drive disconnected";
                }
                if c.cache.idle(dir).is_none_or(|t| t > bounds.idle) {
                    break "idle";
                }
                // Completeness lost to a stalled connection: list again once it answers.
                if listing.is_none()
                    && relist_at.is_none()
                    && c.completeness_epoch().is_some()
                    && !c.cache.is_complete(dir)
                {
                    relist_at = Some(tokio::time::Instant::now());
                }
                let late = c.cache.overdue(dir);
                if !late.is_empty() {
                    c.kernel_forget(dir, late.into_iter().map(|n| (n, true)));
                }
            }
        }
    };
    // A listing on its way holds a handle of its own: let it finish (and close it) rather
    // than drop it, or the handle would close in the background, after whatever waited for
    // this watch to end (an rmdir of the directory would stay pending on the server).
    if let (Some(l), Some(c)) = (listing, core.upgrade()) {
        let _ = tokio::time::timeout(c.deadline, l).await;
    }
    drop(pending);
    if let Some(c) = core.upgrade() {
        // Closing answers the pending notify on the server (STATUS_NOTIFY_CLEANUP).
        let _ = tokio::time::timeout(c.deadline, handle.close()).await;
        end(&c, dir, why);
    }
}

/// The watch is over: the directory is ordinary again and the kernel forgets its entries.
fn end(c: &Core, dir: &str, why: &str) {
    tracing::debug!(dir, why, "directory watch ended");
    let names = c.cache.watch_end(dir);
    c.kernel_forget(dir, names.into_iter().map(|n| (n, true)));
}

/// A polled watch's first listing is one the drive took within [`ADOPT_AGE`]: applied as
/// if the watch had listed it then (nothing we changed since: our own changes drop it).
fn adopt(c: &Core, dir: &str) -> bool {
    let Some((listing, age)) = c.cache.dir_aged(dir) else {
        return false;
    };
    if age > ADOPT_AGE || listing.len() > POLLED_MAX_ENTRIES || c.completeness_epoch().is_none() {
        return false;
    }
    let Some(r) = c.cache.relist_begin(dir) else {
        return false;
    };
    let changed = c.cache.relist_apply(dir, r, &listing);
    if !changed.is_empty() {
        c.kernel_forget(dir, changed.into_iter().map(|x| (x.name, x.entry)));
    }
    true
}

/// Lists `dir` and applies the listing; the kernel forgets what differs. A listing taken
/// while notifications may have been missed (a stall or a disconnection began while it
/// ran) is not applied: the watch lists again once the connection answers.
async fn relist(c: &Core, dir: &str) -> Result<(), &'static str> {
    let Some(epoch) = c.completeness_epoch() else {
        return Ok(());
    };
    let Some(r) = c.cache.relist_begin(dir) else {
        return Err("no longer watched");
    };
    // Paging stops past the bound: a big directory costs a bounded listing, once per
    // TOO_BIG_RECHECK (`Watches::too_big`), not a whole one per lookup in it.
    let most = Bounds::of(&c.caps).max_entries;
    let listed = tokio::time::timeout(c.deadline, c.fs().list_at_most(dir, most)).await;
    c.check_moved();
    match listed {
        Ok(Ok(_)) if c.completeness_epoch() != Some(epoch) => {
            c.cache.relist_abort(dir, r);
            Ok(())
        }
        Ok(Ok(Some(l))) => {
            let changed = c.cache.relist_apply(dir, r, &l);
            if !changed.is_empty() {
                tracing::trace!(dir, changed = changed.len(), "watched directory changed");
                c.kernel_forget(dir, changed.into_iter().map(|x| (x.name, x.entry)));
            }
            Ok(())
        }
        Ok(Ok(None)) => {
            c.cache.relist_abort(dir, r);
            c.watches.too_big(dir);
            Err("too many entries")
        }
        _ => {
            c.cache.relist_abort(dir, r);
            Err("listing failed")
        }
    }
}
