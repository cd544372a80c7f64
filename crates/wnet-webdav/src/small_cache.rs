//! [`SmallCache`]: the bytes of small files a drive read whole at open, kept across opens
//! under the strong ETag of the very answer that carried them (ADR 0021). The next open
//! still asks the server (close-to-open): a ranged `GET` with `If-None-Match`, whose
//! `304 Not Modified` (no body; Apache answers it in a third of a 4 KiB `GET`'s time) lets
//! the kept bytes answer. Bounded by bytes, least recently used first out; one per drive.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::SystemTime;

/// What [`SmallCache`] counts for an entry besides its bytes and its path (the maps' nodes,
/// the ETag): an empty file is not free.
const ENTRY_OVERHEAD: usize = 128;

/// A small file's whole content as one `GET` answered it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cached {
    /// The answer's ETag, strong (no `W/`), as sent.
    pub etag: String,
    /// Its `Last-Modified`.
    pub modified: SystemTime,
    /// The whole file.
    pub data: Vec<u8>,
}

impl Cached {
    fn cost(&self, path: &str) -> usize {
        self.data.len() + self.etag.len() + path.len() + ENTRY_OVERHEAD
    }
}

/// Small files' bytes by drive path, at most `max` bytes (entries counted with their paths
/// and [`ENTRY_OVERHEAD`]); `max` 0 keeps nothing.
#[derive(Debug)]
pub(crate) struct SmallCache {
    max: usize,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// Each path's entry and when it was last used (a tick of `clock`).
    files: HashMap<String, (Cached, u64)>,
    /// Paths by last use, oldest first.
    by_use: BTreeMap<u64, String>,
    /// What `files` costs.
    bytes: usize,
    clock: u64,
}

impl State {
    fn remove(&mut self, path: &str) {
        if let Some((c, used)) = self.files.remove(path) {
            self.by_use.remove(&used);
            self.bytes -= c.cost(path);
        }
    }
}

impl SmallCache {
    pub(crate) fn new(max: usize) -> Self {
        SmallCache {
            max,
            state: Mutex::default(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The entry of `path`, now the most recently used.
    pub(crate) fn get(&self, path: &str) -> Option<Cached> {
        let mut s = self.state();
        s.clock += 1;
        let now = s.clock;
        let (c, used) = s.files.get_mut(path)?;
        let (c, before) = (c.clone(), std::mem::replace(used, now));
        s.by_use.remove(&before);
        s.by_use.insert(now, path.to_owned());
        Some(c)
    }

    /// Keeps `c` as `path`'s content, the least recently used entries going to make room.
    /// A weak ETag (`W/`: Apache's during the second after a change, when a write of the
    /// same size in the same clock tick of the server's disk keeps it) keeps nothing, and
    /// drops what `path` had; so does an entry larger than the whole cache.
    pub(crate) fn put(&self, path: &str, c: Cached) {
        let mut s = self.state();
        s.remove(path);
        let cost = c.cost(path);
        if c.etag.trim_start().starts_with("W/") || cost > self.max {
            return;
        }
        while s.bytes + cost > self.max {
            let Some((_, oldest)) = s.by_use.pop_first() else {
                break;
            };
            if let Some((old, _)) = s.files.remove(&oldest) {
                s.bytes -= old.cost(&oldest);
            }
        }
        s.clock += 1;
        let now = s.clock;
        s.bytes += cost;
        s.by_use.insert(now, path.to_owned());
        s.files.insert(path.to_owned(), (c, now));
    }

    /// Drops what `path` had (this drive changed, moved or deleted it).
    pub(crate) fn forget(&self, path: &str) {
        self.state().remove(path);
    }

    /// How many files and bytes (as counted against the bound) it holds.
    #[cfg(test)]
    pub(crate) fn held(&self) -> (usize, usize) {
        let s = self.state();
        (s.files.len(), s.bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(etag: &str, len: usize) -> Cached {
        Cached {
            etag: etag.into(),
            modified: SystemTime::UNIX_EPOCH,
            data: vec![7; len],
        }
    }

    #[test]
    fn the_least_recently_used_go_first_and_the_bound_holds() {
        let one = file("\"a\"", 1000).cost("f1");
        let cache = SmallCache::new(3 * one);
        for p in ["f1", "f2", "f3"] {
            cache.put(p, file("\"a\"", 1000));
        }
        assert_eq!(cache.held(), (3, 3 * one));
        assert!(
            cache.get("f1").is_some(),
            "f1 is now the most recently used"
        );
        cache.put("f4", file("\"a\"", 1000));
        assert_eq!(cache.held(), (3, 3 * one));
        assert!(cache.get("f2").is_none(), "f2 was the least recently used");
        for p in ["f1", "f3", "f4"] {
            assert!(cache.get(p).is_some(), "{p} kept");
        }
    }

    #[test]
    fn a_weak_etag_keeps_nothing_and_drops_the_old_bytes() {
        let cache = SmallCache::new(1 << 20);
        cache.put("f", file("\"a\"", 10));
        cache.put("f", file("W/\"b\"", 10));
        assert_eq!(cache.get("f"), None);
        assert_eq!(cache.held(), (0, 0));
    }

    #[test]
    fn an_entry_larger_than_the_bound_is_not_kept_and_forget_frees() {
        let cache = SmallCache::new(2000);
        cache.put("big", file("\"a\"", 5000));
        assert_eq!(cache.held(), (0, 0));
        cache.put("f", file("\"a\"", 100));
        cache.put("f", file("\"b\"", 200));
        assert_eq!(cache.held(), (1, file("\"b\"", 200).cost("f")));
        cache.forget("f");
        assert_eq!(cache.held(), (0, 0));
        let off = SmallCache::new(0);
        off.put("f", file("\"a\"", 0));
        assert_eq!(off.held(), (0, 0));
    }
}
