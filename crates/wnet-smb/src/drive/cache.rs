//! Attribute and directory caches with short lifetimes.
//!
//! Freshness contract: a change made on the server by someone else shows through the drive
//! within 1 s. The kernel keeps what we answer for [`KERNEL_TTL`] and we keep it for
//! [`CACHE_TTL`]; the two add up to at most 1 s. There is no negative cache. Our own changes
//! invalidate the entries they touch at once.

use super::inode::key;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

/// How long the kernel may keep an entry or attributes we answered.
pub const KERNEL_TTL: Duration = Duration::from_millis(500);
/// How long we keep what the server told us.
pub const CACHE_TTL: Duration = Duration::from_millis(500);

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
    /// The SMB attribute bits (`fscc::attr`).
    pub attributes: u32,
}

impl Attr {
    /// Whether the read-only attribute is set.
    pub fn read_only(&self) -> bool {
        self.attributes & wnet_smb2::msg::fscc::attr::READONLY != 0
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

/// The attribute and directory caches (keys are case-folded paths).
#[derive(Debug, Default)]
pub struct Cache {
    attrs: Mutex<HashMap<String, (Attr, Instant)>>,
    dirs: Mutex<HashMap<String, (Listing, Instant)>>,
}

impl Cache {
    /// Attributes of `path` if fresh.
    pub fn attr(&self, path: &str) -> Option<Attr> {
        let m = self.attrs.lock().expect("cache lock");
        m.get(&key(path))
            .filter(|(_, t)| t.elapsed() < CACHE_TTL)
            .map(|(a, _)| *a)
    }

    /// Remembers the attributes of `path`.
    pub fn put_attr(&self, path: &str, attr: Attr) {
        let mut m = self.attrs.lock().expect("cache lock");
        if m.len() > 100_000 {
            m.retain(|_, (_, t)| t.elapsed() < CACHE_TTL);
        }
        m.insert(key(path), (attr, Instant::now()));
    }

    /// A fresh listing of `dir`.
    pub fn dir(&self, dir: &str) -> Option<std::sync::Arc<Vec<Listed>>> {
        let m = self.dirs.lock().expect("cache lock");
        m.get(&key(dir))
            .filter(|(_, t)| t.elapsed() < CACHE_TTL)
            .map(|(l, _)| l.clone())
    }

    /// Remembers the listing of `dir` and the attributes of every entry in it.
    pub fn put_dir(&self, dir: &str, list: std::sync::Arc<Vec<Listed>>) {
        for e in list.iter() {
            self.put_attr(&super::names::join(dir, &e.name), e.attr);
        }
        let mut m = self.dirs.lock().expect("cache lock");
        if m.len() > 10_000 {
            m.retain(|_, (_, t)| t.elapsed() < CACHE_TTL);
        }
        m.insert(key(dir), (list, Instant::now()));
    }

    /// Our own change to `path`: forget it and its parent's listing.
    pub fn invalidate(&self, path: &str) {
        self.attrs.lock().expect("cache lock").remove(&key(path));
        let parent = path.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
        self.dirs.lock().expect("cache lock").remove(&key(parent));
    }

    /// Our own change to `path` and everything below it (rename, rmdir).
    pub fn invalidate_tree(&self, path: &str) {
        self.invalidate(path);
        let prefix = format!("{}/", key(path));
        self.attrs
            .lock()
            .expect("cache lock")
            .retain(|k, _| !k.starts_with(&prefix));
        self.dirs
            .lock()
            .expect("cache lock")
            .retain(|k, _| *k != key(path) && !k.starts_with(&prefix));
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
        c.attrs.lock().unwrap().get_mut("a/b").unwrap().1 -= CACHE_TTL;
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
        c.invalidate("d/x");
        assert!(c.attr("d/x").is_none());
        assert!(c.dir("d").is_none());
        c.put_attr("e/f/g", attr(1));
        c.invalidate_tree("E");
        assert!(c.attr("e/f/g").is_none());
    }
}
