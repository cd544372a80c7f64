//! The inode table: which path each inode number stands for, and how many kernel lookups
//! reference it (an inode lives until the kernel forgets every lookup).
//!
//! Shares are case-insensitive: the table is keyed by the lower-cased path, so `Foo` and
//! `foo` are one inode (the first spelling seen is the one kept).
//!
//! Numbers are stable: a path keeps its number after the kernel forgets the inode (a watch
//! ended, an entry was invalidated), for as long as the drive does not see the file go (our
//! own unlink, rmdir, or a rename over it); a rename moves the numbers with the names, as on
//! any file system. `tar --listed-incremental`, `rsync` and `find -samefile` rely on it. (A
//! file replaced by someone else on the server under the same name keeps the number, as an
//! inode number reused after a delete.)

use std::collections::HashMap;
use std::time::SystemTime;

/// An inode number as the kernel sees it. [`InodeNo::ROOT`] is the share's root.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InodeNo(pub u64);

impl InodeNo {
    /// The root directory (FUSE's fixed root id).
    pub const ROOT: InodeNo = InodeNo(1);
}

/// How many forgotten names keep their numbers at most.
const MAX_NUMBERS: usize = 1 << 20;

/// What the kernel was last told of an inode: it keeps these (and pages read under them)
/// until their TTL ends or it is told to forget them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KernelView {
    /// Size.
    pub size: u64,
    /// Last write.
    pub mtime: SystemTime,
    /// Last change.
    pub ctime: SystemTime,
}

#[derive(Debug)]
struct Node {
    /// `/`-separated, no leading slash; `""` is the root.
    path: String,
    /// Kernel lookups not yet forgotten.
    lookups: u64,
    /// The name was unlinked or replaced: the inode only serves handles still open on it.
    detached: bool,
    /// The attributes last answered to the kernel.
    told: Option<KernelView>,
}

/// Path ↔ inode, with lookup counting.
#[derive(Debug)]
pub struct InodeTable {
    nodes: HashMap<InodeNo, Node>,
    by_key: HashMap<String, InodeNo>,
    /// Path key → the number it had, for paths the kernel forgot (see the module doc).
    numbers: HashMap<String, InodeNo>,
    next: u64,
}

/// The case-folded key of a path.
pub fn key(path: &str) -> String {
    path.to_lowercase()
}

/// The entries of `map` whose key is `under` or below it.
fn at_or_below(map: &HashMap<String, InodeNo>, under: &str) -> Vec<(String, InodeNo)> {
    let prefix = format!("{under}/");
    map.iter()
        .filter(|(k, _)| *k == under || k.starts_with(&prefix))
        .map(|(k, i)| (k.clone(), *i))
        .collect()
}

impl Default for InodeTable {
    fn default() -> Self {
        Self::new()
    }
}

impl InodeTable {
    /// A table holding only the root.
    pub fn new() -> Self {
        let mut t = InodeTable {
            nodes: HashMap::new(),
            by_key: HashMap::new(),
            numbers: HashMap::new(),
            next: 2,
        };
        t.nodes.insert(
            InodeNo::ROOT,
            Node {
                path: String::new(),
                lookups: 1,
                detached: false,
                told: None,
            },
        );
        t.by_key.insert(String::new(), InodeNo::ROOT);
        t
    }

    /// The path of `ino`, if the inode is known and its name still exists.
    pub fn path(&self, ino: InodeNo) -> Option<String> {
        self.nodes
            .get(&ino)
            .filter(|n| !n.detached)
            .map(|n| n.path.clone())
    }

    /// The inode of `path` without counting a lookup.
    pub fn peek(&self, path: &str) -> Option<InodeNo> {
        self.by_key.get(&key(path)).copied()
    }

    /// The number `path` has or will get at its next lookup, if it has one already.
    pub fn number(&self, path: &str) -> Option<InodeNo> {
        let k = key(path);
        self.by_key
            .get(&k)
            .or_else(|| self.numbers.get(&k))
            .copied()
    }

    /// Counts one kernel lookup of `path` and returns its inode (a new one if unknown).
    pub fn lookup(&mut self, path: &str) -> InodeNo {
        let k = key(path);
        if let Some(&ino) = self.by_key.get(&k) {
            if let Some(n) = self.nodes.get_mut(&ino) {
                n.lookups += 1;
                return ino;
            }
        }
        let ino = self.numbers.remove(&k).unwrap_or_else(|| {
            self.next += 1;
            InodeNo(self.next - 1)
        });
        self.nodes.insert(
            ino,
            Node {
                path: path.to_string(),
                lookups: 1,
                detached: false,
                told: None,
            },
        );
        self.by_key.insert(k, ino);
        ino
    }

    /// Remembers what the kernel was just told of `ino`.
    pub fn told(&mut self, ino: InodeNo, view: KernelView) {
        if let Some(n) = self.nodes.get_mut(&ino) {
            n.told = Some(view);
        }
    }

    /// What the kernel was last told of `ino` (`None`: nothing yet, or the inode is unknown).
    pub fn kernel_view(&self, ino: InodeNo) -> Option<KernelView> {
        self.nodes.get(&ino).and_then(|n| n.told)
    }

    /// The kernel forgets `n` lookups of `ino`; at zero the inode is gone (the root never is).
    pub fn forget(&mut self, ino: InodeNo, n: u64) {
        if ino == InodeNo::ROOT {
            return;
        }
        let Some(node) = self.nodes.get_mut(&ino) else {
            return;
        };
        node.lookups = node.lookups.saturating_sub(n);
        if node.lookups == 0 {
            let node = self.nodes.remove(&ino).expect("present");
            let k = key(&node.path);
            if self.by_key.get(&k) == Some(&ino) {
                self.by_key.remove(&k);
                // The file is still there: the next lookup of its name gets this number.
                if self.numbers.len() >= MAX_NUMBERS {
                    // Bounded memory: past a million forgotten names, start over.
                    self.numbers.clear();
                }
                self.numbers.insert(k, ino);
            }
        }
    }

    /// The name `path` no longer exists (unlinked or replaced by a rename).
    pub fn unlink(&mut self, path: &str) {
        let k = key(path);
        let prefix = format!("{k}/");
        self.numbers
            .retain(|n, _| *n != k && !n.starts_with(&prefix));
        if let Some(ino) = self.by_key.remove(&k) {
            if let Some(n) = self.nodes.get_mut(&ino) {
                n.detached = true;
            }
        }
    }

    /// `from` (and everything below it) is now `to`; an inode that `to` named is detached.
    pub fn rename(&mut self, from: &str, to: &str) {
        let (kf, kt) = (key(from), key(to));
        if kf != kt {
            self.unlink(to);
        }
        let moved = at_or_below(&self.by_key, &kf);
        for (k, ino) in at_or_below(&self.numbers, &kf) {
            self.numbers.remove(&k);
            let rest: String = k.chars().skip(kf.chars().count()).collect();
            self.numbers.insert(format!("{kt}{rest}"), ino);
        }
        for (k, ino) in moved {
            self.by_key.remove(&k);
            if let Some(n) = self.nodes.get_mut(&ino) {
                // Byte offsets agree between a path and its lower-cased key only for ASCII;
                // count characters instead.
                let rest: String = n.path.chars().skip(from.chars().count()).collect();
                n.path = format!("{to}{rest}");
                self.by_key.insert(key(&n.path), ino);
            }
        }
    }

    /// Inodes known (the root included).
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Never: the root is always there.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_are_counted_and_forgotten() {
        let mut t = InodeTable::new();
        let a = t.lookup("a");
        assert_eq!(t.lookup("a"), a);
        t.forget(a, 1);
        assert_eq!(t.path(a).as_deref(), Some("a"));
        t.forget(a, 1);
        assert_eq!(t.path(a), None);
        assert_eq!(t.len(), 1);
        // Forgotten by the kernel, not gone: the name keeps its number.
        assert_eq!(t.lookup("A"), a);
        t.forget(a, 1);
        t.unlink("a");
        assert_ne!(t.lookup("a"), a, "a new file under the name");
    }

    #[test]
    fn numbers_of_forgotten_names_move_with_a_rename_and_go_with_an_unlink() {
        let mut t = InodeTable::new();
        let d = t.lookup("d");
        let f = t.lookup("d/f");
        let g = t.lookup("d/g");
        t.forget(f, 1);
        t.forget(g, 1);
        t.forget(d, 1);
        t.rename("d", "e");
        assert_eq!(t.number("e/f"), Some(f));
        assert_eq!(t.lookup("e/f"), f);
        assert_eq!(t.lookup("e"), d);
        assert_ne!(t.lookup("d/f"), f);
        t.unlink("e");
        assert_ne!(t.lookup("e/g"), g);
    }

    #[test]
    fn names_differing_in_case_are_one_inode() {
        let mut t = InodeTable::new();
        let a = t.lookup("Dir/File.txt");
        assert_eq!(t.lookup("dir/file.TXT"), a);
        assert_eq!(t.path(a).as_deref(), Some("Dir/File.txt"));
    }

    #[test]
    fn rename_moves_the_subtree_and_detaches_the_target() {
        let mut t = InodeTable::new();
        let d = t.lookup("d");
        let f = t.lookup("d/f");
        let victim = t.lookup("e");
        t.rename("d", "e");
        assert_eq!(t.path(d).as_deref(), Some("e"));
        assert_eq!(t.path(f).as_deref(), Some("e/f"));
        assert_eq!(t.path(victim), None);
        assert_eq!(t.peek("E/F"), Some(f));
        assert_eq!(t.peek("d/f"), None);
    }

    #[test]
    fn root_is_never_forgotten() {
        let mut t = InodeTable::new();
        t.forget(InodeNo::ROOT, 100);
        assert_eq!(t.path(InodeNo::ROOT).as_deref(), Some(""));
    }
}
