//! Attribute and directory caches.
//!
//! Freshness contract: a change made on the server by someone else shows through the drive
//! within 1 s. Two regimes keep it:
//!
//! * **Unwatched** directories: the kernel keeps what we answer for [`KERNEL_TTL`] and we keep
//!   it for [`CACHE_TTL`]; the two add up to at most 1 s. No negative cache.
//! * **Watched** directories (see [`super::watch`]): a CHANGE_NOTIFY is pending on the server
//!   for the directory, and a listing taken after it was armed makes the directory
//!   *complete*: its children are known exactly, a name not among them does not exist, and
//!   what we answer may stay in the kernel for [`WATCHED_TTL`]. Every notification marks
//!   names dirty; the watch lists the directory again within [`RELIST_DEBOUNCE`] and tells
//!   the kernel to forget exactly the entries that differ. If the watch ends for any reason,
//!   the kernel forgets every entry of the directory.
//!
//! Our own changes touch the entries they change at once (see [`Cache::own_start`] and
//! [`Cache::own_done`]); a listing or a server answer that may predate one of our changes is
//! never allowed to overwrite it (generation counters).

use super::inode::{Fold, ServerFileId};
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

/// How long the kernel may keep an entry or attributes we answered.
pub const KERNEL_TTL: Duration = Duration::from_millis(500);
/// How long we keep what the server told us.
pub const CACHE_TTL: Duration = Duration::from_millis(500);
/// How long the kernel may keep an entry of a watched, complete directory: the watch tells it
/// to forget what changed long before that.
pub const WATCHED_TTL: Duration = Duration::from_secs(60);
/// How soon after a notification the watched directory is listed again.
pub const RELIST_DEBOUNCE: Duration = Duration::from_millis(50);
/// How soon, when every notified name is one we changed ourselves within [`OWN_WINDOW`]
/// (most likely our own change coming back): fewer listings while we are busy in a
/// directory, and still within [`DIRTY_BOUND`] should someone else have changed it too.
pub const OWN_DEBOUNCE: Duration = Duration::from_millis(250);
/// How long after an own change of a name its notifications count as probably ours.
pub const OWN_WINDOW: Duration = Duration::from_secs(2);
/// A notified name still unresolved after this long is forgotten by the kernel regardless
/// (the listings keep failing or keep being overtaken by our own changes).
pub const DIRTY_BOUND: Duration = Duration::from_millis(400);
/// Most entries the listings of unwatched directories keep together (each for
/// [`CACHE_TTL`]); the oldest listing goes first, and a bigger listing is not kept at all:
/// only the open directory handle that asked for it holds it, until it is released.
pub const MAX_LISTED: usize = 25_000;
/// Attributes kept below this many entries are pruned of expired ones only at the next
/// [`Cache::sweep`]; past it, also when the map has doubled since its last pruning.
const ATTRS_PRUNE_MIN: usize = 4096;

/// What the drive knows of one file or directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attr {
    /// Size in bytes.
    pub size: u64,
    /// Allocated bytes.
    pub allocated: u64,
    /// Last access.
    pub atime: SystemTime,
    /// Last write.
    pub mtime: SystemTime,
    /// Last change.
    pub ctime: SystemTime,
    /// Creation.
    pub crtime: SystemTime,
    /// A directory.
    pub is_dir: bool,
    /// The Windows attribute bits ([`super::remote::attributes`]).
    pub attributes: u32,
    /// The server's identity of the file, when the answer carried it.
    pub id: ServerFileId,
}

impl Attr {
    /// Whether the read-only attribute is set.
    pub fn read_only(&self) -> bool {
        self.attributes & super::remote::attributes::READONLY != 0
    }
}

/// One listed entry: its name as the server spells it, and its attributes.
#[derive(Debug, Clone)]
pub struct Listed {
    /// The name.
    pub name: String,
    /// Its attributes.
    pub attr: Attr,
}

/// A directory listing shared by the cache and open directory handles.
pub type Listing = std::sync::Arc<Vec<Listed>>;

/// What a complete watched directory says of one name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Known {
    /// It exists, with these attributes.
    Present(Attr),
    /// It does not exist.
    Absent,
}

/// The state of a directory a server request started under ([`Cache::stamp`]): its answer
/// may be kept only if nothing happened in the directory meanwhile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp(Option<u64>);

/// A listing about to be taken of a watched directory ([`Cache::relist_begin`]).
#[derive(Debug)]
pub struct Relist {
    epoch: u64,
    dirty: HashSet<String>,
    all: bool,
}

/// An entry a listing found different from what we had answered the kernel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changed {
    /// The name (the server's spelling when it exists).
    pub name: String,
    /// It appeared, disappeared or changed kind: the kernel's name entry is stale too, not
    /// only the attributes.
    pub entry: bool,
}

/// One watched directory.
#[derive(Debug)]
struct Watched {
    /// `None` until the first listing after the watch was armed; then every child, by key.
    children: Option<HashMap<String, Listed>>,
    /// Names an own change is in flight on, or whose outcome we don't know: ask the server.
    unknown: HashSet<String>,
    /// Bumped by every own change and every listing applied.
    epoch: u64,
    /// Name key → `epoch` of its last own change (listings older than that don't apply to it).
    touched: HashMap<String, u64>,
    /// Name key → when we last changed it.
    recent: HashMap<String, Instant>,
    /// Notified names not resolved by a listing yet.
    dirty: HashSet<String>,
    /// The server's notification buffer overflowed: every name is dirty.
    all_dirty: bool,
    /// When the oldest unresolved notification arrived.
    dirty_since: Option<Instant>,
    /// Last time an answer came from this directory.
    last_used: Instant,
}

impl Watched {
    fn touched_after(&self, k: &str, epoch: u64) -> bool {
        self.touched.get(k).is_some_and(|g| *g > epoch)
    }

    fn touch(&mut self, k: &str) {
        self.epoch += 1;
        self.touched.insert(k.to_string(), self.epoch);
        if self.recent.len() > 4096 {
            self.recent.retain(|_, t| t.elapsed() < OWN_WINDOW);
        }
        self.recent.insert(k.to_string(), Instant::now());
    }
}

/// Whether a listed entry differs from what we had (access times are not compared: reading
/// a file is not a change worth a kernel invalidation).
fn differs(a: &Listed, b: &Listed) -> bool {
    let (x, y) = (&a.attr, &b.attr);
    a.name != b.name
        || x.size != y.size
        || x.mtime != y.mtime
        || x.ctime != y.ctime
        || x.crtime != y.crtime
        || x.is_dir != y.is_dir
        || x.attributes != y.attributes
        || another_file(x, y)
}

/// Whether the server says `a` and `b` are different files (both ids known and not equal):
/// the kernel must drop the name's entry, so that its next lookup gets the other number.
fn another_file(a: &Attr, b: &Attr) -> bool {
    a.id != b.id && a.id != ServerFileId::UNKNOWN && b.id != ServerFileId::UNKNOWN
}

/// `(dir, name)` of a drive path.
pub(crate) fn split(path: &str) -> (&str, &str) {
    path.rsplit_once('/').unwrap_or(("", path))
}

/// `(dir, name)` of a path that is a member of a directory: every path but the root's
/// (`""`), which no directory lists. (Split as any path, the root would be a member named
/// `""` of itself: put in a watched root's listing, an entry with an empty name the kernel
/// answers `EIO` for, failing every `readdir` of the drive's root.)
fn member(path: &str) -> Option<(&str, &str)> {
    (!path.is_empty()).then(|| split(path))
}

/// What the caches hold ([`Cache::held`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Held {
    /// Entries of the unwatched directories' listings (at most [`MAX_LISTED`]).
    pub listed: usize,
    /// Attributes of single paths.
    pub attrs: usize,
    /// Children of complete watched directories.
    pub watched: usize,
}

/// Attributes by path key, pruned of expired entries when the map has doubled since the
/// last pruning (so that pruning costs O(1) per insertion however many entries are fresh).
#[derive(Debug, Default)]
struct Attrs {
    map: HashMap<String, (Attr, Instant)>,
    prune_at: usize,
}

impl Attrs {
    fn prune(&mut self) {
        self.map.retain(|_, (_, t)| t.elapsed() < CACHE_TTL);
        // Give back the memory of a big listing's attributes once they expired.
        self.map.shrink_to_fit();
        self.prune_at = (2 * self.map.len()).max(ATTRS_PRUNE_MIN);
    }
}

/// The listings of unwatched directories, by key, with when each was taken; their entries
/// together at most [`MAX_LISTED`].
#[derive(Debug, Default)]
struct Dirs {
    map: HashMap<String, (Listing, Instant)>,
    entries: usize,
    /// What listings our own changes dropped still say, by directory key, while fresh.
    remnants: HashMap<String, Remnant>,
}

/// A fresh listing dropped by our own change in its directory: the names it had, and the
/// names we changed since. A name in neither is still absent until the listing's TTL
/// passes ([`Cache::unlisted`]): a create or rename to a new name asks nothing of the
/// server for the kernel's lookup of it (WebDAV: a `PROPFIND` answering 404 per create).
#[derive(Debug)]
struct Remnant {
    names: std::collections::HashSet<String>,
    touched: std::collections::HashSet<String>,
    at: Instant,
}

impl Dirs {
    fn remove(&mut self, k: &str) {
        if let Some((l, _)) = self.map.remove(k) {
            self.entries -= l.len();
        }
    }

    fn retain(&mut self, mut keep: impl FnMut(&str, Instant) -> bool) {
        let gone: Vec<String> = self
            .map
            .iter()
            .filter(|(k, (_, t))| !keep(k, *t))
            .map(|(k, _)| k.clone())
            .collect();
        for k in gone {
            self.remove(&k);
        }
        self.remnants.retain(|k, r| keep(k, r.at));
    }
}

/// The attribute and directory caches (keys are paths under the drive's [`Fold`]).
#[derive(Debug, Default)]
pub struct Cache {
    attrs: Mutex<Attrs>,
    dirs: Mutex<Dirs>,
    watched: Mutex<HashMap<String, Watched>>,
    fold: Fold,
}

impl Cache {
    /// Empty caches whose keys follow `fold`.
    pub fn folding(fold: Fold) -> Self {
        Cache {
            fold,
            ..Cache::default()
        }
    }

    /// Attributes of `path` if fresh.
    pub fn attr(&self, path: &str) -> Option<Attr> {
        let m = self.attrs.lock().expect("cache lock");
        m.map
            .get(&self.fold.key(path))
            .filter(|(_, t)| t.elapsed() < CACHE_TTL)
            .map(|(a, _)| *a)
    }

    /// Remembers the attributes of `path`.
    pub fn put_attr(&self, path: &str, attr: Attr) {
        let mut m = self.attrs.lock().expect("cache lock");
        if m.map.len() >= m.prune_at.max(ATTRS_PRUNE_MIN) {
            m.prune();
        }
        m.map.insert(self.fold.key(path), (attr, Instant::now()));
    }

    /// A fresh listing of `dir`.
    pub fn dir(&self, dir: &str) -> Option<std::sync::Arc<Vec<Listed>>> {
        let m = self.dirs.lock().expect("cache lock");
        m.map
            .get(&self.fold.key(dir))
            .filter(|(_, t)| t.elapsed() < CACHE_TTL)
            .map(|(l, _)| l.clone())
    }

    /// [`Cache::dir`] with how long ago it was taken.
    pub fn dir_aged(&self, dir: &str) -> Option<(std::sync::Arc<Vec<Listed>>, Duration)> {
        let m = self.dirs.lock().expect("cache lock");
        m.map
            .get(&self.fold.key(dir))
            .map(|(l, t)| (l.clone(), t.elapsed()))
            .filter(|(_, age)| *age < CACHE_TTL)
    }

    /// Remembers the listing of `dir` and the attributes of every entry in it, if it has at
    /// most [`MAX_LISTED`] entries (older listings make room); a bigger one is not kept.
    pub fn put_dir(&self, dir: &str, list: std::sync::Arc<Vec<Listed>>) {
        let k = self.fold.key(dir);
        let mut m = self.dirs.lock().expect("cache lock");
        m.remove(&k);
        m.retain(|_, t| t.elapsed() < CACHE_TTL);
        m.remnants.remove(&k);
        if list.len() > MAX_LISTED {
            return;
        }
        while m.entries + list.len() > MAX_LISTED {
            let Some(oldest) = m
                .map
                .iter()
                .min_by_key(|(_, (_, t))| *t)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            m.remove(&oldest);
        }
        m.entries += list.len();
        m.map.insert(k, (list.clone(), Instant::now()));
        drop(m);
        for e in list.iter() {
            self.put_attr(&super::names::join(dir, &e.name), e.attr);
        }
    }

    /// Drops what expired (called once a second): a big listing's memory goes back once
    /// nobody asks about it any more.
    pub fn sweep(&self) {
        self.dirs
            .lock()
            .expect("cache lock")
            .retain(|_, t| t.elapsed() < CACHE_TTL);
        let mut a = self.attrs.lock().expect("cache lock");
        if !a.map.is_empty() || a.map.capacity() > 0 {
            a.prune();
        }
    }

    /// What the caches hold now.
    pub fn held(&self) -> Held {
        let listed = self.dirs.lock().expect("cache lock").entries;
        let attrs = self.attrs.lock().expect("cache lock").map.len();
        let watched = self
            .watched
            .lock()
            .expect("cache lock")
            .values()
            .filter_map(|w| w.children.as_ref().map(HashMap::len))
            .sum();
        Held {
            listed,
            attrs,
            watched,
        }
    }

    /// An own change to `path` begins: forget its attributes and its parent's listing; in a
    /// watched parent the name is unknown (asked of the server) until [`Cache::own_done`].
    pub fn own_start(&self, path: &str) {
        self.own_touch(path, |w, k, _| {
            w.unknown.insert(k);
        });
    }

    /// An own change to `path` ended; `outcome` is what the server says of it now, if known.
    pub fn own_done(&self, path: &str, outcome: Option<Known>) {
        self.own_touch(path, |w, k, name| match (outcome, w.children.as_mut()) {
            (Some(Known::Present(attr)), Some(ch)) => {
                let name = name.to_string();
                ch.insert(k.clone(), Listed { name, attr });
                w.unknown.remove(&k);
            }
            (Some(Known::Absent), Some(ch)) => {
                ch.remove(&k);
                w.unknown.remove(&k);
            }
            _ => {
                w.unknown.insert(k);
            }
        });
        if let Some(Known::Present(a)) = outcome {
            self.put_attr(path, a);
        }
    }

    /// The prelude of an own change to `path`: its attributes and its parent's listing are
    /// forgotten; in a watched parent the name is touched and `f` gets the parent's state,
    /// the name's key and the name.
    fn own_touch(&self, path: &str, f: impl FnOnce(&mut Watched, String, &str)) {
        self.forget(path);
        let Some((dir, name)) = member(path) else {
            return;
        };
        if let Some(w) = self
            .watched
            .lock()
            .expect("cache lock")
            .get_mut(&self.fold.key(dir))
        {
            let k = self.fold.key(name);
            w.touch(&k);
            f(w, k, name);
        }
    }

    /// An own change added or removed the name `path`: its directory's times changed, and
    /// the kernel, which asks for them again after such a change, must not get the old ones
    /// from us. Called once the server answered.
    pub fn entry_changed(&self, path: &str) {
        self.attrs
            .lock()
            .expect("cache lock")
            .map
            .remove(&self.fold.key(split(path).0));
    }

    fn forget(&self, path: &str) {
        self.attrs
            .lock()
            .expect("cache lock")
            .map
            .remove(&self.fold.key(path));
        let (dir, name) = split(path);
        let k = self.fold.key(dir);
        let mut d = self.dirs.lock().expect("cache lock");
        if let Some((l, at)) = d.map.get(&k).filter(|(_, t)| t.elapsed() < CACHE_TTL) {
            let names = l.iter().map(|e| self.fold.key(&e.name)).collect();
            let r = Remnant {
                names,
                touched: Default::default(),
                at: *at,
            };
            d.remnants.insert(k.clone(), r);
        }
        d.remove(&k);
        if let Some(r) = d.remnants.get_mut(&k) {
            r.touched.insert(self.fold.key(name));
        }
    }

    /// Whether `path` is absent by a fresh listing of its directory that our own changes
    /// dropped: the name was not in it, and we have not changed it since.
    pub fn unlisted(&self, path: &str) -> bool {
        let (dir, name) = split(path);
        let n = self.fold.key(name);
        let d = self.dirs.lock().expect("cache lock");
        d.remnants.get(&self.fold.key(dir)).is_some_and(|r| {
            r.at.elapsed() < CACHE_TTL && !r.names.contains(&n) && !r.touched.contains(&n)
        })
    }

    /// What a complete watched directory says of `path`; `None`: ask the server.
    pub fn known(&self, path: &str) -> Option<Known> {
        let (dir, name) = split(path);
        let mut m = self.watched.lock().expect("cache lock");
        let w = m.get_mut(&self.fold.key(dir))?;
        w.last_used = Instant::now();
        let ch = w.children.as_ref()?;
        let k = self.fold.key(name);
        if w.unknown.contains(&k) {
            return None;
        }
        Some(match ch.get(&k) {
            Some(l) => Known::Present(l.attr),
            None => Known::Absent,
        })
    }

    /// Whether `dir` is watched and complete: what it says may stay in the kernel for
    /// [`WATCHED_TTL`].
    pub fn is_complete(&self, dir: &str) -> bool {
        self.watched
            .lock()
            .expect("cache lock")
            .get(&self.fold.key(dir))
            .is_some_and(|w| w.children.is_some())
    }

    /// Whether `dir` is watched (complete or not yet).
    pub fn is_watched(&self, dir: &str) -> bool {
        self.watched
            .lock()
            .expect("cache lock")
            .contains_key(&self.fold.key(dir))
    }

    /// The full listing of a complete watched directory with no name unknown.
    pub fn watched_listing(&self, dir: &str) -> Option<Listing> {
        let mut m = self.watched.lock().expect("cache lock");
        let w = m.get_mut(&self.fold.key(dir))?;
        w.last_used = Instant::now();
        if !w.unknown.is_empty() {
            return None;
        }
        let ch = w.children.as_ref()?;
        Some(std::sync::Arc::new(ch.values().cloned().collect()))
    }

    /// Taken before asking the server about `path`; pass it to [`Cache::put_server`].
    pub fn stamp(&self, path: &str) -> Stamp {
        let m = self.watched.lock().expect("cache lock");
        Stamp(m.get(&self.fold.key(split(path).0)).map(|w| w.epoch))
    }

    /// What the server answered about `path` (asked under `stamp`). Returns whether the
    /// answer became part of a complete watched directory (and may stay in the kernel for
    /// [`WATCHED_TTL`]).
    pub fn put_server(&self, path: &str, answer: Known, stamp: Stamp) -> bool {
        if let Known::Present(a) = answer {
            self.put_attr(path, a);
        }
        let Some((dir, name)) = member(path) else {
            return false;
        };
        let mut m = self.watched.lock().expect("cache lock");
        let Some(w) = m.get_mut(&self.fold.key(dir)) else {
            return false;
        };
        let k = self.fold.key(name);
        // Newer than any listing already on its way: that listing must not undo it. (The
        // epoch itself stays, so concurrent answers asked under it are kept too.)
        w.touched.insert(k.clone(), w.epoch + 1);
        let kept = stamp.0 == Some(w.epoch) && w.children.is_some();
        match (answer, w.children.as_mut()) {
            (Known::Present(attr), Some(ch)) if kept => {
                let name = name.to_string();
                ch.insert(k.clone(), Listed { name, attr });
            }
            (Known::Absent, Some(ch)) if kept => {
                ch.remove(&k);
            }
            _ => {
                // The kernel is told what the directory's cache does not hold (it is not
                // complete yet, or the answer may predate a change): the name is asked of
                // the server until a later listing settles it.
                w.unknown.insert(k);
                return false;
            }
        }
        w.unknown.remove(&k);
        true
    }

    /// A watch on `dir` is being armed: the directory is watched, not complete yet.
    pub fn watch_begin(&self, dir: &str) {
        self.watched.lock().expect("cache lock").insert(
            self.fold.key(dir),
            Watched {
                children: None,
                unknown: HashSet::new(),
                epoch: 0,
                touched: HashMap::new(),
                recent: HashMap::new(),
                dirty: HashSet::new(),
                all_dirty: false,
                dirty_since: None,
                last_used: Instant::now(),
            },
        );
    }

    /// The watch on `dir` ended: returns every name the kernel may hold an entry of.
    pub fn watch_end(&self, dir: &str) -> Vec<String> {
        let w = self
            .watched
            .lock()
            .expect("cache lock")
            .remove(&self.fold.key(dir));
        w.and_then(|w| w.children)
            .map(|ch| ch.into_values().map(|l| l.name).collect())
            .unwrap_or_default()
    }

    /// Notifications may have been missed (the connection was lost, or is stalled): no
    /// watched directory is complete until a listing taken afterwards is applied, so no
    /// negative answer or listing of before outlives it. Returns each directory (its key)
    /// with every name the kernel may hold an entry of.
    pub fn lose_completeness(&self) -> Vec<(String, Vec<String>)> {
        let mut m = self.watched.lock().expect("cache lock");
        m.iter_mut()
            .filter_map(|(dir, w)| {
                let ch = w.children.take()?;
                w.unknown.clear();
                w.dirty.clear();
                w.all_dirty = false;
                w.dirty_since = None;
                w.epoch += 1;
                Some((dir.clone(), ch.into_values().map(|l| l.name).collect()))
            })
            .collect()
    }

    /// How long since an answer last came from the watched `dir`.
    pub fn idle(&self, dir: &str) -> Option<Duration> {
        let m = self.watched.lock().expect("cache lock");
        m.get(&self.fold.key(dir)).map(|w| w.last_used.elapsed())
    }

    /// The server notified changes in `dir`: these names, or (`None`: its buffer overflowed)
    /// every name. Returns how soon to list the directory again: [`OWN_DEBOUNCE`] when every
    /// name is one we changed within [`OWN_WINDOW`], else [`RELIST_DEBOUNCE`].
    pub fn notified(&self, dir: &str, names: Option<Vec<String>>) -> Duration {
        let mut m = self.watched.lock().expect("cache lock");
        let Some(w) = m.get_mut(&self.fold.key(dir)) else {
            return RELIST_DEBOUNCE;
        };
        w.dirty_since.get_or_insert_with(Instant::now);
        let Some(names) = names else {
            w.all_dirty = true;
            return RELIST_DEBOUNCE;
        };
        let mut ours = true;
        for n in names {
            let k = self.fold.key(&n);
            ours &= w.recent.get(&k).is_some_and(|t| t.elapsed() < OWN_WINDOW);
            w.dirty.insert(k);
        }
        if ours { OWN_DEBOUNCE } else { RELIST_DEBOUNCE }
    }

    /// Whether notified names of `dir` wait for a listing.
    pub fn is_dirty(&self, dir: &str) -> bool {
        let m = self.watched.lock().expect("cache lock");
        m.get(&self.fold.key(dir))
            .is_some_and(|w| w.all_dirty || !w.dirty.is_empty())
    }

    /// A listing of watched `dir` is about to be asked of the server.
    pub fn relist_begin(&self, dir: &str) -> Option<Relist> {
        let mut m = self.watched.lock().expect("cache lock");
        let w = m.get_mut(&self.fold.key(dir))?;
        Some(Relist {
            epoch: w.epoch,
            dirty: std::mem::take(&mut w.dirty),
            all: std::mem::take(&mut w.all_dirty),
        })
    }

    /// The listing failed: what it was to resolve is dirty again.
    pub fn relist_abort(&self, dir: &str, r: Relist) {
        let mut m = self.watched.lock().expect("cache lock");
        if let Some(w) = m.get_mut(&self.fold.key(dir)) {
            w.dirty.extend(r.dirty);
            w.all_dirty |= r.all;
        }
    }

    /// Applies a listing of watched `dir` taken after [`Cache::relist_begin`]: the directory
    /// is complete from now on. Returns the entries that differ from what we knew (nothing
    /// the first time: the kernel holds no long-lived entry of an incomplete directory).
    /// Names we changed ourselves since `r` keep what our change said.
    pub fn relist_apply(&self, dir: &str, r: Relist, listing: &[Listed]) -> Vec<Changed> {
        let mut m = self.watched.lock().expect("cache lock");
        let Some(w) = m.get_mut(&self.fold.key(dir)) else {
            return Vec::new();
        };
        let first = w.children.is_none();
        let mut old = w.children.take().unwrap_or_default();
        let mut now: HashMap<String, Listed> = HashMap::with_capacity(listing.len());
        let mut changed = Vec::new();
        for l in listing {
            let k = self.fold.key(&l.name);
            if w.touched_after(&k, r.epoch) {
                if let Some(o) = old.remove(&k) {
                    now.insert(k, o);
                }
                continue;
            }
            match old.remove(&k) {
                None if !first => changed.push(Changed {
                    name: l.name.clone(),
                    entry: true,
                }),
                Some(o) if differs(&o, l) => changed.push(Changed {
                    name: l.name.clone(),
                    entry: o.attr.is_dir != l.attr.is_dir
                        || o.name != l.name
                        || another_file(&o.attr, &l.attr),
                }),
                _ => {}
            }
            now.insert(k, l.clone());
        }
        for (k, o) in old {
            if w.touched_after(&k, r.epoch) {
                now.insert(k, o);
            } else {
                changed.push(Changed {
                    name: o.name,
                    entry: true,
                });
            }
        }
        w.children = Some(now);
        let epoch = r.epoch;
        for k in r.dirty {
            if w.touched.get(&k).is_some_and(|g| *g > epoch) {
                w.dirty.insert(k);
            }
        }
        let touched = std::mem::take(&mut w.touched);
        w.unknown
            .retain(|k| touched.get(k).is_some_and(|g| *g > epoch));
        w.touched = touched.into_iter().filter(|(_, g)| *g > epoch).collect();
        w.epoch += 1;
        if w.dirty.is_empty() && !w.all_dirty {
            w.dirty_since = None;
        }
        changed
    }

    /// Notified names of `dir` unresolved for longer than [`DIRTY_BOUND`]: they become
    /// unknown (asked of the server) and are returned for the kernel to forget.
    pub fn overdue(&self, dir: &str) -> Vec<String> {
        let mut m = self.watched.lock().expect("cache lock");
        let Some(w) = m.get_mut(&self.fold.key(dir)) else {
            return Vec::new();
        };
        if w.dirty_since.is_none_or(|t| t.elapsed() <= DIRTY_BOUND) {
            return Vec::new();
        }
        w.dirty_since = Some(Instant::now());
        let names: Vec<String> = match (&w.children, w.all_dirty) {
            (Some(ch), true) => ch.values().map(|l| l.name.clone()).collect(),
            (Some(ch), false) => w
                .dirty
                .iter()
                .map(|k| {
                    ch.get(k)
                        .map(|l| l.name.clone())
                        .unwrap_or_else(|| k.clone())
                })
                .collect(),
            (None, _) => Vec::new(),
        };
        if w.all_dirty {
            if let Some(ch) = &w.children {
                w.unknown.extend(ch.keys().cloned());
            }
        }
        let dirty: Vec<String> = w.dirty.iter().cloned().collect();
        w.unknown.extend(dirty);
        names
    }

    /// Our own change to `path` and everything below it (rename, rmdir).
    pub fn invalidate_tree(&self, path: &str) {
        self.own_start(path);
        let prefix = format!("{}/", self.fold.key(path));
        self.attrs
            .lock()
            .expect("cache lock")
            .map
            .retain(|k, _| !k.starts_with(&prefix));
        let k = self.fold.key(path);
        self.dirs
            .lock()
            .expect("cache lock")
            .retain(|d, _| *d != k && !d.starts_with(&prefix));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attr(size: u64) -> Attr {
        let t = SystemTime::UNIX_EPOCH;
        Attr {
            size,
            allocated: 0,
            atime: t,
            mtime: t,
            ctime: t,
            crtime: t,
            is_dir: false,
            attributes: 0,
            id: ServerFileId::UNKNOWN,
        }
    }

    #[test]
    fn kernel_and_our_ttl_stay_within_the_freshness_contract() {
        assert!(KERNEL_TTL + CACHE_TTL <= Duration::from_secs(1));
    }

    #[test]
    fn entries_expire_and_are_case_insensitive() {
        let c = Cache::default();
        c.put_attr("A/b", attr(3));
        assert_eq!(c.attr("a/B").map(|a| a.size), Some(3));
        c.attrs.lock().unwrap().map.get_mut("a/b").unwrap().1 -= CACHE_TTL;
        assert_eq!(c.attr("a/b"), None);
    }

    #[test]
    fn own_changes_invalidate_entry_parent_listing_and_subtree() {
        let c = Cache::default();
        let l = std::sync::Arc::new(vec![Listed {
            name: "x".into(),
            attr: attr(1),
        }]);
        c.put_dir("d", l);
        assert!(c.attr("d/x").is_some());
        c.own_start("d/x");
        assert!(c.attr("d/x").is_none());
        assert!(c.dir("d").is_none());
        c.put_attr("e/f/g", attr(1));
        c.invalidate_tree("E");
        assert!(c.attr("e/f/g").is_none());
    }

    #[test]
    fn a_listing_our_change_dropped_still_says_which_untouched_names_are_absent() {
        let c = Cache::default();
        assert!(!c.unlisted("d/new"), "never listed");
        c.put_dir("d", std::sync::Arc::new(vec![listed("x", 1)]));
        c.own_start("d/made");
        assert!(c.dir("d").is_none(), "the listing itself is dropped");
        assert!(c.unlisted("d/new"), "not listed, not touched");
        assert!(!c.unlisted("d/x"), "listed: ask");
        assert!(!c.unlisted("d/made"), "changed by us since: ask");
        assert!(!c.unlisted("e/new"), "another directory");
        c.own_done("d/made", None);
        c.own_start("d/other");
        assert!(!c.unlisted("d/made") && !c.unlisted("d/other"));
        assert!(c.unlisted("d/new"));
        // Until the listing's TTL passes; a subtree invalidation or a new listing ends it.
        c.dirs.lock().unwrap().remnants.get_mut("d").unwrap().at -= CACHE_TTL;
        assert!(!c.unlisted("d/new"), "expired");
        c.put_dir("d", std::sync::Arc::new(vec![listed("x", 1)]));
        c.own_start("d/x");
        assert!(c.unlisted("d/new"));
        c.invalidate_tree("d");
        assert!(!c.unlisted("d/new"), "the directory itself changed");
        c.put_dir("d", std::sync::Arc::new(vec![listed("x", 1)]));
        c.own_start("d/x");
        c.put_dir("d", std::sync::Arc::new(vec![listed("new", 1)]));
        assert!(!c.unlisted("d/new"), "a fresh listing supersedes it");
    }

    fn listed(name: &str, size: u64) -> Listed {
        Listed {
            name: name.into(),
            attr: attr(size),
        }
    }

    #[test]
    fn a_watched_directory_is_complete_after_its_first_listing() {
        let c = Cache::default();
        c.watch_begin("d");
        assert_eq!(c.known("d/a"), None, "not complete before a listing");
        let r = c.relist_begin("d").unwrap();
        let changed = c.relist_apply("d", r, &[listed("A", 1)]);
        assert!(changed.is_empty(), "the first listing reports nothing");
        assert_eq!(c.known("d/a"), Some(Known::Present(attr(1))));
        assert_eq!(c.known("d/missing"), Some(Known::Absent));
        assert!(c.is_complete("d"));
        assert_eq!(c.watched_listing("d").unwrap().len(), 1);
        assert_eq!(c.watch_end("d"), vec!["A".to_string()]);
        assert_eq!(c.known("d/missing"), None);
    }

    #[test]
    fn a_listing_reports_what_differs_from_what_we_knew() {
        let c = Cache::default();
        c.watch_begin("d");
        let r = c.relist_begin("d").unwrap();
        c.relist_apply(
            "d",
            r,
            &[listed("same", 1), listed("grows", 1), listed("goes", 1)],
        );
        c.notified("d", Some(vec!["grows".into(), "goes".into(), "new".into()]));
        assert!(c.is_dirty("d"));
        let r = c.relist_begin("d").unwrap();
        let mut changed = c.relist_apply(
            "d",
            r,
            &[listed("same", 1), listed("grows", 2), listed("new", 0)],
        );
        changed.sort_by(|a, b| a.name.cmp(&b.name));
        let names: Vec<(&str, bool)> = changed.iter().map(|x| (x.name.as_str(), x.entry)).collect();
        assert_eq!(names, [("goes", true), ("grows", false), ("new", true)]);
        assert!(!c.is_dirty("d"));
        assert_eq!(c.known("d/goes"), Some(Known::Absent));
    }

    #[test]
    fn a_listing_older_than_an_own_change_does_not_undo_it() {
        let c = Cache::default();
        c.watch_begin("d");
        let r = c.relist_begin("d").unwrap();
        c.relist_apply("d", r, &[listed("old", 1)]);
        // A listing starts; meanwhile we create "mine" and delete "old".
        let r = c.relist_begin("d").unwrap();
        c.own_start("d/mine");
        assert_eq!(c.known("d/mine"), None, "in flight: ask the server");
        c.own_done("d/mine", Some(Known::Present(attr(7))));
        c.own_start("d/old");
        c.own_done("d/old", Some(Known::Absent));
        let changed = c.relist_apply("d", r, &[listed("old", 1)]);
        assert!(changed.is_empty(), "{changed:?}");
        assert_eq!(c.known("d/mine"), Some(Known::Present(attr(7))));
        assert_eq!(c.known("d/old"), Some(Known::Absent));
        // A server answer asked before an own change is not kept.
        let stamp = c.stamp("d/x");
        c.own_start("d/x");
        c.own_done("d/x", None);
        assert!(!c.put_server("d/x", Known::Present(attr(1)), stamp));
        assert_eq!(c.known("d/x"), None);
        let stamp = c.stamp("d/x");
        assert!(c.put_server("d/x", Known::Present(attr(2)), stamp));
        assert_eq!(c.known("d/x"), Some(Known::Present(attr(2))));
    }

    #[test]
    fn a_listing_older_than_a_server_answer_does_not_undo_it() {
        let c = Cache::default();
        c.watch_begin("d");
        let r = c.relist_begin("d").unwrap();
        c.relist_apply("d", r, &[]);
        // A listing goes out; a lookup then finds a file someone else just made.
        let r = c.relist_begin("d").unwrap();
        assert!(c.put_server("d/new", Known::Present(attr(1)), c.stamp("d/new")));
        let changed = c.relist_apply("d", r, &[]);
        assert!(changed.is_empty(), "{changed:?}");
        assert_eq!(c.known("d/new"), Some(Known::Present(attr(1))));
        // The next listing decides again.
        let r = c.relist_begin("d").unwrap();
        c.relist_apply("d", r, &[]);
        assert_eq!(c.known("d/new"), Some(Known::Absent));
    }

    #[test]
    fn an_answer_before_the_first_listing_is_not_undone_by_it() {
        let c = Cache::default();
        c.watch_begin("d");
        let r = c.relist_begin("d").unwrap();
        assert!(!c.put_server("d/new", Known::Present(attr(1)), c.stamp("d/new")));
        c.relist_apply("d", r, &[]);
        assert_eq!(c.known("d/new"), None, "asked of the server, not Absent");
        assert_eq!(c.known("d/other"), Some(Known::Absent));
        let r = c.relist_begin("d").unwrap();
        c.relist_apply("d", r, &[listed("new", 1)]);
        assert_eq!(c.known("d/new"), Some(Known::Present(attr(1))));
    }

    #[test]
    fn our_own_names_come_back_slower_and_unresolved_names_become_unknown() {
        let c = Cache::default();
        c.watch_begin("d");
        let r = c.relist_begin("d").unwrap();
        c.relist_apply("d", r, &[listed("a", 1)]);
        c.own_start("d/mine");
        c.own_done("d/mine", None);
        assert_eq!(c.notified("d", Some(vec!["mine".into()])), OWN_DEBOUNCE);
        assert_eq!(c.notified("d", Some(vec!["a".into()])), RELIST_DEBOUNCE);
        assert_eq!(c.notified("d", None), RELIST_DEBOUNCE);
        assert!(c.overdue("d").is_empty(), "not overdue yet");
        std::thread::sleep(DIRTY_BOUND + Duration::from_millis(20));
        let late = c.overdue("d");
        assert!(late.contains(&"a".to_string()), "{late:?}");
        assert_eq!(c.known("d/a"), None, "unknown until a listing resolves it");
    }

    #[test]
    fn the_root_is_never_a_child() {
        let c = Cache::default();
        c.watch_begin("");
        let r = c.relist_begin("").unwrap();
        c.relist_apply("", r, &[listed("x", 1)]);
        assert_eq!(c.known("x"), Some(Known::Present(attr(1))));
        // The root's own attributes, from the server (a GETATTR of the drive's root) or
        // after an own change to it (a SETATTR), are no member of the root's listing: an
        // entry named "" made the kernel answer EIO to every readdir of the root.
        let root = Attr {
            is_dir: true,
            ..attr(0)
        };
        let kept = c.put_server("", Known::Present(root), c.stamp(""));
        assert!(!kept, "the root is in no directory's listing");
        c.own_start("");
        c.own_done("", Some(Known::Present(root)));
        let names: Vec<String> = c
            .watched_listing("")
            .expect("still complete")
            .iter()
            .map(|e| e.name.clone())
            .collect();
        assert_eq!(names, ["x"]);
        assert_eq!(
            c.attr(""),
            Some(root),
            "its attributes are kept as any path's"
        );
    }
}
