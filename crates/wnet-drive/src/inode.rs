//! The inode table: which path each inode number stands for, and how many kernel lookups
//! reference it (an inode lives until the kernel forgets every lookup).
//!
//! Shares are case-insensitive: the table is keyed by the lower-cased path, so `Foo` and
//! `foo` are one inode (the first spelling seen is the one kept).
//!
//! Numbers follow the server's identity of a file, its 64-bit FileId (FileInternalInformation,
//! or the FileId of a directory listing's entry): a file keeps its number for as long as the
//! server keeps the file, under whatever name (renamed by another client, the number moves
//! with it), and a file another client put in place of an old one under the same name gets a
//! new number. `tar --listed-incremental`, `rsync` and `find -samefile` rely on it. FUSE's
//! numbers stay ours (unique, nonzero, 1 the root): a FileId maps to the number it got first.
//!
//! Where the server gave no FileId (0: an answer that carries none, such as a CREATE
//! response), the path stands in: a path keeps its number after the kernel forgets the inode,
//! for as long as the drive does not see the file go (our own unlink, rmdir, or a rename over
//! it), and a FileId seen later for that path adopts the number.

use std::collections::{BTreeMap, HashMap};
use std::time::{Instant, SystemTime};

/// An inode number as the kernel sees it. [`InodeNo::ROOT`] is the share's root.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InodeNo(pub u64);

impl InodeNo {
    /// The root directory (FUSE's fixed root id).
    pub const ROOT: InodeNo = InodeNo(1);
}

/// How many forgotten names keep their numbers at most: past it the table starts over (a
/// listing of a big directory the kernel then forgets must not stay in memory for good).
pub const MAX_NUMBERS: usize = 1 << 16;

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

/// The server's 64-bit identity of a file (FileInternalInformation's IndexNumber); 0 when the
/// server gave none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ServerFileId(pub u64);

impl ServerFileId {
    /// No identity known.
    pub const UNKNOWN: ServerFileId = ServerFileId(0);

    fn known(self) -> Option<ServerFileId> {
        (self != Self::UNKNOWN).then_some(self)
    }
}

#[derive(Debug)]
struct Node {
    /// `/`-separated, no leading slash; `""` is the root.
    path: String,
    /// The server's identity of the file, when known.
    id: ServerFileId,
    /// Kernel lookups not yet forgotten.
    lookups: u64,
    /// The name was unlinked or replaced: the inode only serves handles still open on it.
    detached: bool,
    /// Someone else removed the file: the next lookup that learns the identity of what the
    /// name holds now gives a new number (the server may reuse the identity for a new file).
    retired: bool,
    /// The attributes last answered to the kernel.
    told: Option<KernelView>,
    /// Until when the kernel keeps its name entry and its attributes, as last answered
    /// (`None`: not known to, or told to forget them since).
    held: Held,
}

/// What an answer to the kernel carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answered {
    /// A name's entry and its inode's attributes (LOOKUP, CREATE, MKDIR, READDIRPLUS).
    Entry,
    /// An inode's attributes only (GETATTR, SETATTR).
    Attributes,
}

/// Until when the kernel keeps what it was answered of an inode: its name entry (answers
/// to LOOKUP, CREATE, READDIRPLUS) and its attributes (those and GETATTR, SETATTR).
#[derive(Debug, Clone, Copy, Default)]
struct Held {
    entry: Option<Instant>,
    attr: Option<Instant>,
}

/// Path ↔ inode, with lookup counting.
#[derive(Debug)]
pub struct InodeTable {
    nodes: HashMap<InodeNo, Node>,
    by_key: HashMap<String, InodeNo>,
    /// The numbers of paths the kernel forgot (see the module doc).
    numbers: Forgotten,
    /// The server's identity → the number it got, while the server may keep the file.
    by_id: HashMap<ServerFileId, InodeNo>,
    next: u64,
    fold: Fold,
}

/// How the drive compares names, as its server does ([`crate::remote::Capabilities::case_insensitive`]):
/// every table that finds a file by path keys it with [`Fold::key`], so that on a
/// case-insensitive server `Report.txt` and `report.txt` are one file (one inode, one cached
/// attribute, one open-files count) and on a case-sensitive one (WebDAV) two.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Fold {
    /// Names that differ only in case are one name (SMB): keys are lower-cased.
    #[default]
    Case,
    /// Names are compared exactly: a key is the path itself.
    Exact,
}

impl Fold {
    /// The rule a server with `caps` follows.
    pub fn of(caps: &crate::remote::Capabilities) -> Fold {
        if caps.case_insensitive {
            Fold::Case
        } else {
            Fold::Exact
        }
    }

    /// The key of `path` under this rule.
    pub fn key(self, path: &str) -> String {
        match self {
            Fold::Case => path.to_lowercase(),
            Fold::Exact => path.to_owned(),
        }
    }
}

/// Gives back the memory of a map that held far more than it does now (the inodes of a big
/// listing, once the kernel forgot them): a hash map keeps its capacity otherwise.
fn shrink<K: Eq + std::hash::Hash, V>(map: &mut HashMap<K, V>) {
    if map.capacity() > 4096 && map.len() < map.capacity() / 4 {
        map.shrink_to(map.len() * 2);
    }
}

/// The entries of `map` whose key is `under` or below it.
fn at_or_below<V: Copy>(map: &HashMap<String, V>, under: &str) -> Vec<(String, V)> {
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
    /// A table holding only the root, names folded by case (SMB).
    pub fn new() -> Self {
        Self::folding(Fold::Case)
    }

    /// A table holding only the root, names compared by `fold`.
    pub fn folding(fold: Fold) -> Self {
        let mut t = InodeTable {
            nodes: HashMap::new(),
            by_key: HashMap::new(),
            numbers: Forgotten::default(),
            by_id: HashMap::new(),
            next: 2,
            fold,
        };
        t.nodes.insert(
            InodeNo::ROOT,
            Node {
                path: String::new(),
                id: ServerFileId::UNKNOWN,
                lookups: 1,
                detached: false,
                retired: false,
                told: None,
                held: Held::default(),
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
        self.by_key.get(&self.fold.key(path)).copied()
    }

    /// The number `path` has or will get at its next lookup, if it has one already.
    pub fn number(&self, path: &str) -> Option<InodeNo> {
        let k = self.fold.key(path);
        self.by_key
            .get(&k)
            .copied()
            .or_else(|| self.numbers.get(&k).map(|(ino, _)| ino))
    }

    /// Counts one kernel lookup of `path`, which the server identifies as `id`
    /// ([`ServerFileId::UNKNOWN`]: it did not say), and returns its inode: the number `id`
    /// has (moved here if another client renamed the file), else the path's if the file
    /// there is not known to be another one, else a new one.
    pub fn lookup(&mut self, path: &str, id: ServerFileId) -> InodeNo {
        let k = self.fold.key(path);
        if let Some(&ino) = self.by_key.get(&k) {
            if let Some(n) = self.nodes.get_mut(&ino) {
                match (n.id.known(), id.known()) {
                    (_, Some(_)) if n.retired => {
                        n.detached = true;
                        self.by_key.remove(&k);
                    }
                    (Some(had), Some(now)) if had != now => {
                        // Another file under the name now: the old inode keeps only its
                        // open handles.
                        n.detached = true;
                        self.by_key.remove(&k);
                    }
                    (None, Some(now)) => {
                        n.id = now;
                        n.lookups += 1;
                        self.by_id.insert(now, ino);
                        return ino;
                    }
                    _ => {
                        n.lookups += 1;
                        return ino;
                    }
                }
            }
        }
        if let Some(ino) = id.known().and_then(|id| self.by_id.get(&id).copied()) {
            match self.nodes.get(&ino).filter(|n| !n.detached) {
                Some(n) if self.fold.key(&n.path) != k => {
                    // Renamed on the server behind our back: the number (and everything
                    // below a directory) moves to the new name.
                    let from = n.path.clone();
                    self.rename(&from, path);
                    let n = self.nodes.get_mut(&ino).expect("moved");
                    n.lookups += 1;
                    return ino;
                }
                Some(_) => {}
                None if !self.nodes.contains_key(&ino) => {
                    self.numbers.remove_number(ino);
                    self.numbers.remove(&k);
                    return self.insert(ino, path, id);
                }
                None => {}
            }
        }
        let reuse = self.numbers.remove(&k).and_then(|(ino, had)| {
            let same = match (had.known(), id.known()) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            };
            (same && !self.nodes.contains_key(&ino)).then_some(ino)
        });
        let ino = reuse.unwrap_or_else(|| {
            self.next += 1;
            InodeNo(self.next - 1)
        });
        self.insert(ino, path, id)
    }

    /// The server's identity of the file at `path`, learnt without a kernel lookup (a
    /// create the drive sent later than it answered the kernel): adopted if the node has
    /// none yet.
    pub fn learn_id(&mut self, path: &str, id: ServerFileId) {
        let (Some(&ino), Some(now)) = (self.by_key.get(&self.fold.key(path)), id.known()) else {
            return;
        };
        if let Some(n) = self.nodes.get_mut(&ino).filter(|n| n.id.known().is_none()) {
            n.id = now;
            self.by_id.insert(now, ino);
        }
    }

    /// A node for `path` numbered `ino`, with one lookup.
    fn insert(&mut self, ino: InodeNo, path: &str, id: ServerFileId) -> InodeNo {
        self.nodes.insert(
            ino,
            Node {
                path: path.to_string(),
                id,
                lookups: 1,
                detached: false,
                retired: false,
                told: None,
                held: Held::default(),
            },
        );
        self.by_key.insert(self.fold.key(path), ino);
        if let Some(id) = id.known() {
            self.by_id.insert(id, ino);
            if self.by_id.len() > 2 * MAX_NUMBERS + self.nodes.len() {
                self.reindex();
            }
        }
        ino
    }

    /// Rebuilds `by_id` from what it must hold: the live inodes and the forgotten numbers
    /// (stale entries, of inodes gone since, are dropped).
    fn reindex(&mut self) {
        let live = self
            .nodes
            .iter()
            .filter(|(_, n)| !n.detached && !n.retired)
            .filter_map(|(ino, n)| Some((n.id.known()?, *ino)));
        let forgotten = self
            .numbers
            .by_key
            .values()
            .filter_map(|(ino, id)| Some((id.known()?, *ino)));
        self.by_id = forgotten.chain(live).collect();
        shrink(&mut self.by_id);
    }

    /// Remembers what the kernel was just told of `ino` in an answer of kind `how`: the
    /// attributes `view`, which it keeps until `until` (and its name entry too, for an
    /// [`Answered::Entry`]).
    pub fn told(&mut self, ino: InodeNo, view: KernelView, until: Instant, how: Answered) {
        if let Some(n) = self.nodes.get_mut(&ino) {
            n.told = Some(view);
            n.held.attr = Some(until);
            if how == Answered::Entry {
                n.held.entry = Some(until);
            }
        }
    }

    /// The kernel is being told to forget the attributes (and maybe the name) of `ino`.
    pub fn kernel_forgets(&mut self, ino: InodeNo) {
        if let Some(n) = self.nodes.get_mut(&ino) {
            n.held = Held::default();
        }
    }

    /// Whether the kernel holds, past `at`, a name entry for `path` and the attributes
    /// `view` of its inode: a `stat` of it then needs no request. A guess on the safe side
    /// of what the kernel does (it may drop either earlier, under memory pressure or after
    /// a local write, and then asks): never a reason to answer anything differently.
    pub fn kernel_holds(&self, path: &str, view: &KernelView, at: Instant) -> bool {
        let Some(n) = self
            .by_key
            .get(&self.fold.key(path))
            .and_then(|i| self.nodes.get(i))
        else {
            return false;
        };
        n.lookups > 0
            && !n.detached
            && n.told.as_ref() == Some(view)
            && n.held.entry.is_some_and(|t| t > at)
            && n.held.attr.is_some_and(|t| t > at)
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
            shrink(&mut self.nodes);
            let k = self.fold.key(&node.path);
            if self.by_key.get(&k) == Some(&ino) {
                self.by_key.remove(&k);
                shrink(&mut self.by_key);
                // The file is still there: the next lookup of its name gets this number.
                if self.numbers.len() >= MAX_NUMBERS {
                    // Bounded memory: past MAX_NUMBERS forgotten names, start over.
                    self.numbers = Forgotten::default();
                    self.reindex();
                }
                self.numbers.insert(k, (ino, node.id));
            }
        }
    }

    /// The name `path` no longer exists (unlinked or replaced by a rename).
    pub fn unlink(&mut self, path: &str) {
        let k = self.fold.key(path);
        for (_, (ino, id)) in self.numbers.take_under(&k) {
            if self.by_id.get(&id) == Some(&ino) {
                self.by_id.remove(&id);
            }
        }
        if let Some(ino) = self.by_key.remove(&k) {
            if let Some(n) = self.nodes.get_mut(&ino) {
                n.detached = true;
                // The server may give the identity to a new file.
                if self.by_id.get(&n.id) == Some(&ino) {
                    self.by_id.remove(&n.id);
                }
            }
        }
    }

    /// Someone else removed `path` (a change notification said so): its identity is retired,
    /// as the server (Samba on ext4, say) may give the same FileId to a file created next
    /// under the name. The kernel's inode stays usable until a lookup finds what the name
    /// holds now.
    pub fn removed_elsewhere(&mut self, path: &str) {
        let k = self.fold.key(path);
        if let Some((ino, id)) = self.numbers.remove(&k) {
            if self.by_id.get(&id) == Some(&ino) {
                self.by_id.remove(&id);
            }
        }
        if let Some(&ino) = self.by_key.get(&k) {
            if let Some(n) = self.nodes.get_mut(&ino) {
                n.retired = true;
                if self.by_id.get(&n.id) == Some(&ino) {
                    self.by_id.remove(&n.id);
                }
            }
        }
    }

    /// `from` (and everything below it) is now `to`; an inode that `to` named is detached.
    pub fn rename(&mut self, from: &str, to: &str) {
        let (kf, kt) = (self.fold.key(from), self.fold.key(to));
        if kf != kt {
            self.unlink(to);
        }
        let moved = at_or_below(&self.by_key, &kf);
        for (k, number) in self.numbers.take_under(&kf) {
            let rest: String = k.chars().skip(kf.chars().count()).collect();
            self.numbers.insert(format!("{kt}{rest}"), number);
        }
        for (k, ino) in moved {
            self.by_key.remove(&k);
            if let Some(n) = self.nodes.get_mut(&ino) {
                // Byte offsets agree between a path and its lower-cased key only for ASCII;
                // count characters instead.
                let rest: String = n.path.chars().skip(from.chars().count()).collect();
                n.path = format!("{to}{rest}");
                self.by_key.insert(self.fold.key(&n.path), ino);
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

/// The numbers of paths the kernel forgot, by path key (ordered: a subtree is one range),
/// and the key of each number (a number that moves to another name leaves its old entry
/// without a scan). A number is under at most one key.
#[derive(Debug, Default)]
struct Forgotten {
    by_key: BTreeMap<String, (InodeNo, ServerFileId)>,
    key_of: HashMap<InodeNo, String>,
}

impl Forgotten {
    fn len(&self) -> usize {
        self.by_key.len()
    }

    fn get(&self, k: &str) -> Option<(InodeNo, ServerFileId)> {
        self.by_key.get(k).copied()
    }

    fn insert(&mut self, k: String, v: (InodeNo, ServerFileId)) {
        self.remove(&k);
        self.remove_number(v.0);
        self.key_of.insert(v.0, k.clone());
        self.by_key.insert(k, v);
    }

    fn remove(&mut self, k: &str) -> Option<(InodeNo, ServerFileId)> {
        let v = self.by_key.remove(k)?;
        self.key_of.remove(&v.0);
        Some(v)
    }

    /// Forgets `ino` under whatever key it is.
    fn remove_number(&mut self, ino: InodeNo) {
        if let Some(k) = self.key_of.remove(&ino) {
            self.by_key.remove(&k);
        }
    }

    /// Takes out `k` and every key below it.
    fn take_under(&mut self, k: &str) -> Vec<(String, (InodeNo, ServerFileId))> {
        let prefix = format!("{k}/");
        let mut keys: Vec<String> = self
            .by_key
            .range::<str, _>((
                std::ops::Bound::Included(prefix.as_str()),
                std::ops::Bound::Unbounded,
            ))
            .map(|(k, _)| k)
            .take_while(|x| x.starts_with(&prefix))
            .cloned()
            .collect();
        keys.push(k.to_string());
        keys.into_iter()
            .filter_map(|k| Some((k.clone(), self.remove(&k)?)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fold_by_case_only_where_the_server_does() {
        let mut smb = InodeTable::folding(Fold::Case);
        let a = smb.lookup("Dir/Report.txt", ServerFileId::UNKNOWN);
        assert_eq!(smb.peek("dir/REPORT.TXT"), Some(a));
        let mut dav = InodeTable::folding(Fold::Exact);
        let a = dav.lookup("Dir/Report.txt", ServerFileId::UNKNOWN);
        let b = dav.lookup("Dir/report.txt", ServerFileId::UNKNOWN);
        assert_ne!(a, b);
        assert_eq!(dav.peek("dir/REPORT.TXT"), None);
        assert_eq!(Fold::Exact.key("ÄB"), "ÄB");
        assert_eq!(Fold::Case.key("ÄB"), "äb");
    }

    const U: ServerFileId = ServerFileId::UNKNOWN;

    #[test]
    fn lookups_are_counted_and_forgotten() {
        let mut t = InodeTable::new();
        let a = t.lookup("a", U);
        assert_eq!(t.lookup("a", U), a);
        t.forget(a, 1);
        assert_eq!(t.path(a).as_deref(), Some("a"));
        t.forget(a, 1);
        assert_eq!(t.path(a), None);
        assert_eq!(t.len(), 1);
        // Forgotten by the kernel, not gone: the name keeps its number.
        assert_eq!(t.lookup("A", U), a);
        t.forget(a, 1);
        t.unlink("a");
        assert_ne!(t.lookup("a", U), a, "a new file under the name");
    }

    #[test]
    fn numbers_of_forgotten_names_move_with_a_rename_and_go_with_an_unlink() {
        let mut t = InodeTable::new();
        let d = t.lookup("d", U);
        let f = t.lookup("d/f", U);
        let g = t.lookup("d/g", U);
        t.forget(f, 1);
        t.forget(g, 1);
        t.forget(d, 1);
        t.rename("d", "e");
        assert_eq!(t.number("e/f"), Some(f));
        assert_eq!(t.lookup("e/f", U), f);
        assert_eq!(t.lookup("e", U), d);
        assert_ne!(t.lookup("d/f", U), f);
        t.unlink("e");
        assert_ne!(t.lookup("e/g", U), g);
    }

    #[test]
    fn names_differing_in_case_are_one_inode() {
        let mut t = InodeTable::new();
        let a = t.lookup("Dir/File.txt", U);
        assert_eq!(t.lookup("dir/file.TXT", U), a);
        assert_eq!(t.path(a).as_deref(), Some("Dir/File.txt"));
    }

    #[test]
    fn rename_moves_the_subtree_and_detaches_the_target() {
        let mut t = InodeTable::new();
        let d = t.lookup("d", U);
        let f = t.lookup("d/f", U);
        let victim = t.lookup("e", U);
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

    #[test]
    fn a_file_keeps_its_number_under_a_new_name_and_a_new_file_gets_a_new_one() {
        let mut t = InodeTable::new();
        let (f1, f2) = (ServerFileId(70), ServerFileId(71));
        let d = t.lookup("d", ServerFileId(9));
        let a = t.lookup("d/a", f1);
        // Renamed by another client: the number follows the identity, not the name.
        assert_eq!(t.lookup("d/b", f1), a);
        assert_eq!(t.path(a).as_deref(), Some("d/b"));
        assert_eq!(t.peek("d/a"), None);
        // Forgotten by the kernel and renamed again behind our back.
        t.forget(a, 2);
        assert_eq!(t.lookup("d/c", f1), a);
        // Another file put in its place under the same name.
        let other = t.lookup("d/c", f2);
        assert_ne!(other, a);
        assert_eq!(t.path(a), None, "the old inode keeps only its handles");
        // A directory renamed behind our back takes its children along.
        let e = t.lookup("e", ServerFileId(9));
        assert_eq!(e, d);
        assert_eq!(t.path(other).as_deref(), Some("e/c"));
    }

    #[test]
    fn a_number_given_before_the_identity_was_known_is_adopted() {
        let mut t = InodeTable::new();
        let a = t.lookup("a", U);
        assert_eq!(t.lookup("a", ServerFileId(5)), a);
        t.forget(a, 2);
        assert_eq!(t.lookup("b", ServerFileId(5)), a);
        assert_eq!(t.lookup("b", U), a);
    }

    #[test]
    fn a_file_removed_elsewhere_leaves_its_identity_to_the_next_file() {
        let mut t = InodeTable::new();
        let f = ServerFileId(8);
        let a = t.lookup("a", f);
        t.removed_elsewhere("a");
        assert_eq!(t.path(a).as_deref(), Some("a"), "usable until a lookup");
        assert_eq!(t.lookup("a", U), a, "nothing learnt: still the same");
        let b = t.lookup("a", f);
        assert_ne!(b, a, "the identity was given to a new file");
        assert_eq!(t.path(a), None);
        t.forget(b, 1);
        t.removed_elsewhere("a");
        assert_ne!(t.lookup("a", f), b);
    }

    #[test]
    fn a_number_moving_to_a_new_name_leaves_its_old_one_and_forgotten_names_are_bounded() {
        let mut t = InodeTable::new();
        // A directory listed, forgotten, removed elsewhere unseen; the server gives its files'
        // identities to the files of another one (ext4 reuses inode numbers).
        let old: Vec<InodeNo> = (0..1000)
            .map(|i| t.lookup(&format!("old/e{i}"), ServerFileId(100 + i)))
            .collect();
        for &ino in &old {
            t.forget(ino, 1);
        }
        for (i, &ino) in old.iter().enumerate() {
            assert_eq!(
                t.lookup(&format!("new/e{i}"), ServerFileId(100 + i as u64)),
                ino
            );
        }
        assert_eq!(t.numbers.len(), 0, "no old name keeps a number in use");
        assert_eq!(t.number("old/e1"), None);
        for (i, &ino) in old.iter().enumerate() {
            t.forget(ino, 1);
            assert_eq!(t.number(&format!("new/e{i}")), Some(ino));
        }
        // Past MAX_NUMBERS forgotten names the table starts over.
        for i in 0..MAX_NUMBERS as u64 + 10 {
            let ino = t.lookup(&format!("big/e{i}"), ServerFileId(1_000_000 + i));
            t.forget(ino, 1);
        }
        assert!(t.numbers.len() <= MAX_NUMBERS);
        assert!(t.by_id.len() <= 2 * MAX_NUMBERS + t.len());
    }
}
