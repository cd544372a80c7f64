//! POSIX byte-range locks (`fcntl` `F_SETLK`/`F_SETLKW`/`F_GETLK`, and `flock`) of the drive:
//! the pure part. The async part (mirroring on the server) is in `Core::posix_lock`.
//!
//! With `FUSE_POSIX_LOCKS` the kernel keeps no record of its own: every lock request comes to
//! us with a *lock owner* (a scrambled kernel pointer: the process's file table for `fcntl`
//! locks, the open file description for `flock` and OFD locks), an inclusive range
//! `start..=end` (`end` = [`OFFSET_MAX`] for "to end of file, however far it grows") and a
//! type. This module keeps, per inode, each owner's locks with full POSIX semantics:
//!
//! - an owner's locks are a set of disjoint ranges, each read or write; a new lock
//!   *replaces* whatever the owner held in its range (a type change on overlap, a split when
//!   the middle of a range is unlocked or relocked with another type) and adjacent ranges of
//!   one type merge ([`apply`]);
//! - a lock conflicts only with *other* owners' locks it overlaps, unless both are read locks
//!   ([`InodeLocks::conflict`]; `F_GETLK` reports the lowest such lock).
//!
//! Each owner's byte set is mirrored on the server as SMB2 byte-range locks ([`Seg`]), so
//! other SMB clients (Windows among them) see it. SMB2 locks belong to a *handle*, cannot be
//! shrunk or converted, and an unlock must name exactly a range that was locked: [`plan`]
//! computes, from the segments held and the owner's new ranges, which segments to unlock
//! (those no longer wholly inside a range of their type) and which new segments to lock (what
//! the kept segments do not cover). Growing or merging a lock never unlocks anything; only a
//! shrink, split or type change unlocks (then relocks the remaining parts).
//!
//! `flock` needs no path of its own: fuser 0.18 drops the kernel's `FUSE_LK_FLOCK` flag, but
//! a `flock` request arrives as a whole-file (`0..=OFFSET_MAX`) request whose owner is the
//! open file description, which is exactly what `flock` semantics are in this table: two
//! descriptions conflict even in one process, a fork shares the lock, and it is dropped at
//! RELEASE (the kernel names that owner there) rather than at each close. The one
//! difference from local Linux: `flock` and `fcntl` locks of one file conflict with each
//! other here, as they do on the server, which has only one kind of lock.
//!
//! What follows from SMB2 and is deliberately not hidden:
//!
//! - Server locks are *mandatory* (Windows semantics; cifs.ko has the same without
//!   `nobrl`): a write lock keeps every other handle, this drive's included, from reading or
//!   writing its range, and a read lock keeps everyone, its holder too, from writing it; such
//!   I/O fails with `EAGAIN`. Reads go to the server by page and read-ahead chunk, so the
//!   refusal covers the chunk around a lock. POSIX locks are advisory on a local disk.
//! - A shrink, split or type change unlocks before it relocks: another client may take the
//!   bytes in between, and the request then fails with `EAGAIN` after restoring what it can
//!   (what cannot be restored is dropped from the table, which never claims more than the
//!   server holds).
//! - `F_GETLK` finds other clients' locks by taking and releasing a probe lock (briefly
//!   visible to them); it reports the probed range with pid 0, and cannot probe the parts
//!   the asking owner holds itself.
//! - No deadlock detection (`EDEADLK`); waiting (`F_SETLKW`) polls.
//! - Nothing replays locks after a lost connection: they last only as far as the server
//!   keeps them with a reclaimed durable handle.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use super::errno::Errno;
use super::inode::InodeNo;

/// The kernel's `OFFSET_MAX`: the `end` of a lock that reaches to end of file.
pub const OFFSET_MAX: u64 = i64::MAX as u64;

/// A lock's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `F_RDLCK`: shared.
    Read,
    /// `F_WRLCK`: exclusive.
    Write,
}

impl Kind {
    /// The kind of a FUSE/fcntl lock type: `None` for `F_UNLCK`, `EINVAL` for anything else.
    pub fn from_fuse(typ: i32) -> Result<Option<Kind>, Errno> {
        match typ {
            libc::F_RDLCK => Ok(Some(Kind::Read)),
            libc::F_WRLCK => Ok(Some(Kind::Write)),
            libc::F_UNLCK => Ok(None),
            _ => Err(Errno::EINVAL),
        }
    }

    /// The fcntl lock type.
    pub fn fuse(self) -> i32 {
        match self {
            Kind::Read => libc::F_RDLCK,
            Kind::Write => libc::F_WRLCK,
        }
    }

    /// Whether two locks of these kinds on overlapping ranges of different owners conflict.
    pub fn conflicts(self, other: Kind) -> bool {
        self == Kind::Write || other == Kind::Write
    }

    /// Whether the SMB2 lock is exclusive.
    pub fn exclusive(self) -> bool {
        self == Kind::Write
    }
}

/// A locked range: `start..=end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    /// First byte.
    pub start: u64,
    /// Last byte (inclusive).
    pub end: u64,
    /// Read or write.
    pub kind: Kind,
}

impl Range {
    fn overlaps(&self, start: u64, end: u64) -> bool {
        self.start <= end && start <= self.end
    }
}

/// One SMB2 lock held on the server: a range locked through the drive handle `fh`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seg {
    /// The drive handle (FUSE `fh`) whose server handle holds the lock.
    pub fh: u64,
    /// The range and type.
    pub range: Range,
}

/// The SMB2 `(offset, length)` of the inclusive range `start..=end`. A range to end of file
/// (`end` ≥ [`OFFSET_MAX`]) reaches to the top of the 64-bit space (`u64::MAX - start`
/// bytes), as Windows programs' "whole file" locks do, so it conflicts with theirs beyond
/// 2^63 as well.
pub fn smb_range(start: u64, end: u64) -> (u64, u64) {
    if end >= OFFSET_MAX {
        (start, u64::MAX - start)
    } else {
        (start, end - start + 1)
    }
}

/// An owner's ranges (sorted, disjoint, adjacent ranges of one kind merged) after locking
/// `start..=end` with `kind`, or unlocking it with `None`.
pub fn apply(ranges: &[Range], start: u64, end: u64, kind: Option<Kind>) -> Vec<Range> {
    let mut out: Vec<Range> = Vec::with_capacity(ranges.len() + 2);
    for r in ranges {
        if !r.overlaps(start, end) {
            out.push(*r);
            continue;
        }
        if r.start < start {
            out.push(Range {
                end: start - 1,
                ..*r
            });
        }
        if r.end > end {
            out.push(Range {
                start: end + 1,
                ..*r
            });
        }
    }
    if let Some(kind) = kind {
        out.push(Range { start, end, kind });
    }
    out.sort_by_key(|r| r.start);
    let mut merged: Vec<Range> = Vec::with_capacity(out.len());
    for r in out {
        match merged.last_mut() {
            Some(p) if p.kind == r.kind && p.end.checked_add(1) == Some(r.start) => p.end = r.end,
            _ => merged.push(r),
        }
    }
    merged
}

/// The parts of `start..=end` that none of `ranges` (sorted, disjoint) covers.
pub fn gaps(ranges: &[Range], start: u64, end: u64) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    let mut at = start;
    for r in ranges {
        if r.end < at || r.start > end {
            continue;
        }
        if r.start > at {
            out.push((at, r.start - 1));
        }
        match r.end.checked_add(1) {
            Some(n) if r.end < end => at = n,
            _ => return out,
        }
    }
    out.push((at, end));
    out
}

/// What to do on the server to go from the segments `held` to the ranges `want`.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Segments to unlock (first): no longer wholly inside a wanted range of their kind.
    pub unlock: Vec<Seg>,
    /// Ranges to lock (then): what the kept segments do not cover.
    pub lock: Vec<Range>,
    /// Segments that stay as they are.
    pub keep: Vec<Seg>,
}

/// The server work that turns the segments `held` into exactly the byte set `want`.
pub fn plan(held: &[Seg], want: &[Range]) -> Plan {
    let mut p = Plan::default();
    for s in held {
        let inside = want
            .iter()
            .any(|w| w.kind == s.range.kind && w.start <= s.range.start && s.range.end <= w.end);
        if inside {
            p.keep.push(*s);
        } else {
            p.unlock.push(*s);
        }
    }
    let mut kept: Vec<Range> = p.keep.iter().map(|s| s.range).collect();
    kept.sort_by_key(|r| r.start);
    for w in want {
        for (start, end) in gaps(&kept, w.start, w.end) {
            p.lock.push(Range {
                start,
                end,
                kind: w.kind,
            });
        }
    }
    p
}

/// One owner's locks on one inode.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OwnerLocks {
    /// The process that set them last (what `F_GETLK` reports).
    pub pid: u32,
    /// The ranges (sorted, disjoint, merged).
    pub ranges: Vec<Range>,
    /// How they are held on the server (disjoint; together exactly `ranges`).
    pub server: Vec<Seg>,
}

/// A lock `F_GETLK` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conflict {
    /// The conflicting range.
    pub range: Range,
    /// Its holder's process (0: another SMB client).
    pub pid: u32,
}

/// The POSIX locks of one inode, by owner.
#[derive(Debug, Default)]
pub struct InodeLocks {
    owners: BTreeMap<u64, OwnerLocks>,
}

impl InodeLocks {
    /// No lock at all.
    pub fn is_empty(&self) -> bool {
        self.owners.is_empty()
    }

    /// The owner's locks (empty when none).
    pub fn owner(&self, owner: u64) -> OwnerLocks {
        self.owners.get(&owner).cloned().unwrap_or_default()
    }

    /// The lowest-starting lock of another owner that a `kind` lock of `owner` on
    /// `start..=end` conflicts with.
    pub fn conflict(&self, owner: u64, start: u64, end: u64, kind: Kind) -> Option<Conflict> {
        self.owners
            .iter()
            .filter(|(o, _)| **o != owner)
            .flat_map(|(_, l)| {
                l.ranges
                    .iter()
                    .filter(|r| r.overlaps(start, end) && r.kind.conflicts(kind))
                    .map(|r| Conflict {
                        range: *r,
                        pid: l.pid,
                    })
            })
            .min_by_key(|c| c.range.start)
    }

    /// Records the owner's locks (an owner without ranges is forgotten).
    pub fn set(&mut self, owner: u64, locks: OwnerLocks) {
        if locks.ranges.is_empty() && locks.server.is_empty() {
            self.owners.remove(&owner);
        } else {
            self.owners.insert(owner, locks);
        }
    }

    /// Forgets the owner; returns its server segments (to unlock).
    pub fn remove_owner(&mut self, owner: u64) -> Vec<Seg> {
        self.owners
            .remove(&owner)
            .map(|l| l.server)
            .unwrap_or_default()
    }

    /// The segments in `lost` are no longer held on the server (their handle closed, or a
    /// restore failed): their bytes leave their owner's ranges too, so the table never
    /// claims what the server does not hold.
    pub fn lose(&mut self, owner: u64, lost: &[Seg]) {
        let Some(l) = self.owners.get_mut(&owner) else {
            return;
        };
        for s in lost {
            l.server.retain(|x| x != s);
            l.ranges = apply(&l.ranges, s.range.start, s.range.end, None);
        }
        if l.ranges.is_empty() && l.server.is_empty() {
            self.owners.remove(&owner);
        }
    }

    /// The server handle of `fh` closed (RELEASE): every lock mirrored through it is gone
    /// on the server, so it goes here too.
    pub fn handle_closed(&mut self, fh: u64) {
        let owners: Vec<(u64, Vec<Seg>)> = self
            .owners
            .iter()
            .map(|(o, l)| {
                (
                    *o,
                    l.server.iter().filter(|s| s.fh == fh).copied().collect(),
                )
            })
            .collect();
        for (o, lost) in owners {
            if !lost.is_empty() {
                self.lose(o, &lost);
            }
        }
    }
}

/// The POSIX locks of the whole drive: one table per inode that has locks, each behind an
/// async mutex held across the server calls that mirror a change (so changes on one inode
/// are serialized, and inodes do not wait for each other).
#[derive(Debug, Default)]
pub struct PosixLocks {
    inodes: Mutex<HashMap<InodeNo, Arc<tokio::sync::Mutex<InodeLocks>>>>,
}

/// One inode's table.
pub type Cell = Arc<tokio::sync::Mutex<InodeLocks>>;

impl PosixLocks {
    /// The table of `ino`, created empty if needed.
    pub fn inode(&self, ino: InodeNo) -> Cell {
        self.inodes
            .lock()
            .expect("posix lock table")
            .entry(ino)
            .or_default()
            .clone()
    }

    /// The table of `ino` if it has one.
    pub fn existing(&self, ino: InodeNo) -> Option<Cell> {
        self.inodes
            .lock()
            .expect("posix lock table")
            .get(&ino)
            .cloned()
    }

    /// Drops the table of `ino` when it is empty and nobody else uses it; call after
    /// releasing the table's mutex.
    pub fn tidy(&self, ino: InodeNo, cell: &Cell) {
        let mut m = self.inodes.lock().expect("posix lock table");
        let Some(c) = m.get(&ino) else { return };
        // Only the map and `cell` hold it; nobody can take another reference while we
        // hold the map's lock.
        if Arc::ptr_eq(c, cell)
            && Arc::strong_count(cell) == 2
            && cell.try_lock().is_ok_and(|t| t.is_empty())
        {
            m.remove(&ino);
        }
    }

    /// How many inodes have a table (tests).
    pub fn len(&self) -> usize {
        self.inodes.lock().expect("posix lock table").len()
    }

    /// No inode has a table.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const R: Kind = Kind::Read;
    const W: Kind = Kind::Write;

    fn r(start: u64, end: u64, kind: Kind) -> Range {
        Range { start, end, kind }
    }

    fn seg(fh: u64, start: u64, end: u64, kind: Kind) -> Seg {
        Seg {
            fh,
            range: r(start, end, kind),
        }
    }

    #[test]
    fn kinds_from_fuse() {
        assert_eq!(Kind::from_fuse(libc::F_RDLCK), Ok(Some(R)));
        assert_eq!(Kind::from_fuse(libc::F_WRLCK), Ok(Some(W)));
        assert_eq!(Kind::from_fuse(libc::F_UNLCK), Ok(None));
        assert_eq!(Kind::from_fuse(42), Err(Errno::EINVAL));
        assert_eq!(R.fuse(), libc::F_RDLCK);
        assert_eq!(W.fuse(), libc::F_WRLCK);
        assert!(!R.conflicts(R));
        assert!(R.conflicts(W) && W.conflicts(R) && W.conflicts(W));
    }

    #[test]
    fn smb_ranges() {
        assert_eq!(smb_range(0, 0), (0, 1));
        assert_eq!(smb_range(10, 19), (10, 10));
        assert_eq!(smb_range(0, OFFSET_MAX), (0, u64::MAX));
        assert_eq!(smb_range(100, OFFSET_MAX), (100, u64::MAX - 100));
        assert_eq!(
            smb_range(OFFSET_MAX, OFFSET_MAX),
            (OFFSET_MAX, u64::MAX - OFFSET_MAX)
        );
        assert_eq!(smb_range(5, u64::MAX), (5, u64::MAX - 5));
        // Never overflows the 64-bit space.
        let (o, l) = smb_range(OFFSET_MAX - 1, OFFSET_MAX);
        assert!(o.checked_add(l).is_some());
        assert_eq!(
            smb_range(OFFSET_MAX - 2, OFFSET_MAX - 1),
            (OFFSET_MAX - 2, 2)
        );
    }

    #[test]
    fn lock_into_empty_and_unlock_all() {
        let a = apply(&[], 0, 99, Some(W));
        assert_eq!(a, vec![r(0, 99, W)]);
        assert_eq!(apply(&a, 0, 99, None), vec![]);
        assert_eq!(apply(&a, 0, OFFSET_MAX, None), vec![]);
        assert_eq!(apply(&[], 5, 6, None), vec![]);
    }

    #[test]
    fn unlock_in_the_middle_splits() {
        let a = apply(&[r(0, 100, W)], 40, 60, None);
        assert_eq!(a, vec![r(0, 39, W), r(61, 100, W)]);
        // Edges.
        assert_eq!(apply(&[r(0, 100, W)], 0, 0, None), vec![r(1, 100, W)]);
        assert_eq!(apply(&[r(0, 100, W)], 100, 200, None), vec![r(0, 99, W)]);
        // To end of file.
        assert_eq!(
            apply(&[r(0, OFFSET_MAX, R)], 10, 19, None),
            vec![r(0, 9, R), r(20, OFFSET_MAX, R)]
        );
    }

    #[test]
    fn type_change_on_overlap_replaces_that_part() {
        let a = apply(&[r(0, 100, R)], 40, 60, Some(W));
        assert_eq!(a, vec![r(0, 39, R), r(40, 60, W), r(61, 100, R)]);
        // The whole range converts.
        assert_eq!(apply(&[r(0, 100, R)], 0, 100, Some(W)), vec![r(0, 100, W)]);
        // Overlapping the end of one range and the start of the next.
        let a = apply(&[r(0, 10, R), r(20, 30, R)], 5, 25, Some(W));
        assert_eq!(a, vec![r(0, 4, R), r(5, 25, W), r(26, 30, R)]);
        // Converting back merges again.
        assert_eq!(apply(&a, 5, 25, Some(R)), vec![r(0, 30, R)]);
    }

    #[test]
    fn adjacent_and_overlapping_same_kind_merge() {
        let a = apply(&[r(0, 9, W)], 10, 19, Some(W));
        assert_eq!(a, vec![r(0, 19, W)]);
        let a = apply(&a, 30, 39, Some(W));
        assert_eq!(a, vec![r(0, 19, W), r(30, 39, W)]);
        // Filling the hole joins all three.
        assert_eq!(apply(&a, 20, 29, Some(W)), vec![r(0, 39, W)]);
        // Overlap.
        assert_eq!(apply(&[r(0, 9, R)], 5, 14, Some(R)), vec![r(0, 14, R)]);
        // Adjacent but of another kind: two ranges.
        assert_eq!(
            apply(&[r(0, 9, R)], 10, 19, Some(W)),
            vec![r(0, 9, R), r(10, 19, W)]
        );
        // A lock covering several ranges swallows them.
        let a = apply(
            &[r(0, 1, R), r(5, 6, W), r(9, 9, R)],
            0,
            OFFSET_MAX,
            Some(R),
        );
        assert_eq!(a, vec![r(0, OFFSET_MAX, R)]);
    }

    #[test]
    fn gaps_of_a_request() {
        assert_eq!(gaps(&[], 0, 9), vec![(0, 9)]);
        assert_eq!(gaps(&[r(0, 9, R)], 0, 9), vec![]);
        assert_eq!(gaps(&[r(3, 4, R)], 0, 9), vec![(0, 2), (5, 9)]);
        assert_eq!(gaps(&[r(0, 2, R), r(8, 20, W)], 0, 9), vec![(3, 7)]);
        assert_eq!(gaps(&[r(20, 30, R)], 0, 9), vec![(0, 9)]);
        assert_eq!(gaps(&[r(0, OFFSET_MAX, R)], 5, OFFSET_MAX), vec![]);
        assert_eq!(gaps(&[r(0, u64::MAX, R)], 5, u64::MAX), vec![]);
        assert_eq!(gaps(&[r(0, 4, R)], 5, 9), vec![(5, 9)]);
    }

    #[test]
    fn plan_grows_without_unlocking() {
        let held = [seg(1, 0, 9, W)];
        let want = apply(&[r(0, 9, W)], 10, 19, Some(W));
        let p = plan(&held, &want);
        assert_eq!(p.unlock, vec![]);
        assert_eq!(p.keep, vec![seg(1, 0, 9, W)]);
        assert_eq!(p.lock, vec![r(10, 19, W)]);
    }

    #[test]
    fn plan_split_unlocks_and_relocks_the_rest() {
        let held = [seg(1, 0, 100, W)];
        let want = apply(&[r(0, 100, W)], 40, 60, None);
        let p = plan(&held, &want);
        assert_eq!(p.unlock, vec![seg(1, 0, 100, W)]);
        assert_eq!(p.keep, vec![]);
        assert_eq!(p.lock, vec![r(0, 39, W), r(61, 100, W)]);
    }

    #[test]
    fn plan_conversion_is_unlock_then_lock() {
        let held = [seg(1, 0, 9, R)];
        let p = plan(&held, &apply(&[r(0, 9, R)], 0, 9, Some(W)));
        assert_eq!(p.unlock, vec![seg(1, 0, 9, R)]);
        assert_eq!(p.lock, vec![r(0, 9, W)]);
    }

    #[test]
    fn plan_keeps_segments_of_other_handles_and_unlocks_vanished_ones() {
        // Two segments through two handles, merged locally into one range.
        let held = [seg(1, 0, 9, W), seg(2, 10, 19, W), seg(2, 30, 39, R)];
        let want = [r(0, 19, W)];
        let p = plan(&held, &want);
        assert_eq!(p.keep, vec![seg(1, 0, 9, W), seg(2, 10, 19, W)]);
        assert_eq!(p.unlock, vec![seg(2, 30, 39, R)]);
        assert_eq!(p.lock, vec![]);
        // Nothing wanted: everything goes.
        let p = plan(&held, &[]);
        assert_eq!(p.unlock, held.to_vec());
        assert!(p.lock.is_empty() && p.keep.is_empty());
    }

    #[test]
    fn plan_result_covers_exactly_the_wanted_bytes() {
        // Random-ish sequences of operations: after each, the kept and new segments are
        // disjoint and cover exactly the owner's ranges with their kinds.
        let ops: &[(u64, u64, Option<Kind>)] = &[
            (0, 100, Some(W)),
            (40, 60, None),
            (50, 55, Some(R)),
            (0, OFFSET_MAX, Some(R)),
            (10, 20, Some(W)),
            (21, 30, Some(W)),
            (15, 25, None),
            (0, 5, Some(W)),
            (3, 200, Some(R)),
            (0, OFFSET_MAX, None),
        ];
        let mut ranges = Vec::new();
        let mut held: Vec<Seg> = Vec::new();
        for (i, &(s, e, k)) in ops.iter().enumerate() {
            let want = apply(&ranges, s, e, k);
            let p = plan(&held, &want);
            let fh = i as u64;
            let mut now: Vec<Seg> = p.keep.clone();
            now.extend(p.lock.iter().map(|r| Seg { fh, range: *r }));
            now.sort_by_key(|s| s.range.start);
            for w in now.windows(2) {
                assert!(w[0].range.end < w[1].range.start, "op {i}: overlap {w:?}");
            }
            // Each segment lies in a wanted range of its kind, and the segments fill it.
            for w in &want {
                let inside: Vec<Range> = now
                    .iter()
                    .filter(|s| s.range.overlaps(w.start, w.end))
                    .map(|s| s.range)
                    .collect();
                assert!(
                    inside
                        .iter()
                        .all(|x| x.kind == w.kind && w.start <= x.start && x.end <= w.end)
                );
                assert!(
                    gaps(&inside, w.start, w.end).is_empty(),
                    "op {i}: hole in {w:?}"
                );
            }
            let total: usize = now.len();
            let covered = now
                .iter()
                .filter(|s| want.iter().any(|w| s.range.overlaps(w.start, w.end)))
                .count();
            assert_eq!(total, covered, "op {i}: segment outside the ranges");
            ranges = want;
            held = now;
        }
        assert!(ranges.is_empty() && held.is_empty());
    }

    fn owner(pid: u32, ranges: Vec<Range>, fh: u64) -> OwnerLocks {
        OwnerLocks {
            pid,
            server: ranges.iter().map(|r| Seg { fh, range: *r }).collect(),
            ranges,
        }
    }

    #[test]
    fn conflicts_only_with_other_owners() {
        let mut t = InodeLocks::default();
        t.set(1, owner(100, vec![r(0, 9, W), r(20, 29, R)], 7));
        // Its own owner never conflicts.
        assert_eq!(t.conflict(1, 0, 100, W), None);
        // Another owner: write on the write lock, write on the read lock; read on read is fine.
        assert_eq!(
            t.conflict(2, 5, 5, R),
            Some(Conflict {
                range: r(0, 9, W),
                pid: 100
            })
        );
        assert_eq!(t.conflict(2, 25, 25, R), None);
        assert_eq!(
            t.conflict(2, 25, 25, W).map(|c| c.range),
            Some(r(20, 29, R))
        );
        assert_eq!(t.conflict(2, 10, 19, W), None);
        // The lowest-starting conflict is reported.
        t.set(3, owner(300, vec![r(40, 49, W)], 8));
        assert_eq!(
            t.conflict(2, 0, OFFSET_MAX, W).map(|c| (c.range, c.pid)),
            Some((r(0, 9, W), 100))
        );
        assert_eq!(
            t.conflict(2, 30, OFFSET_MAX, R).map(|c| (c.range, c.pid)),
            Some((r(40, 49, W), 300))
        );
        // Owner 3 conflicts with owner 1 but not with itself.
        assert_eq!(t.conflict(3, 0, 100, R).map(|c| c.pid), Some(100));
        assert_eq!(t.conflict(3, 40, 49, W), None);
    }

    #[test]
    fn owners_are_removed_and_lose_closed_handles() {
        let mut t = InodeLocks::default();
        t.set(1, owner(100, vec![r(0, 9, W)], 7));
        t.set(2, owner(200, vec![r(20, 29, R)], 8));
        assert_eq!(t.remove_owner(1), vec![seg(7, 0, 9, W)]);
        assert_eq!(t.remove_owner(1), vec![]);
        assert_eq!(t.conflict(3, 0, 9, W), None);
        // An owner whose locks span two handles keeps those of the one still open.
        let mut o = owner(200, vec![r(20, 39, R)], 8);
        o.server = vec![seg(8, 20, 29, R), seg(9, 30, 39, R)];
        t.set(2, o);
        t.handle_closed(8);
        let o = t.owner(2);
        assert_eq!(o.ranges, vec![r(30, 39, R)]);
        assert_eq!(o.server, vec![seg(9, 30, 39, R)]);
        t.handle_closed(9);
        assert!(t.is_empty());
        // Setting no ranges forgets the owner.
        t.set(4, owner(1, vec![r(0, 0, R)], 1));
        t.set(4, OwnerLocks::default());
        assert!(t.is_empty());
    }

    #[test]
    fn tables_are_tidied_when_empty_and_unused() {
        let p = PosixLocks::default();
        let ino = InodeNo(5);
        assert!(p.existing(ino).is_none());
        let c = p.inode(ino);
        let c2 = p.existing(ino).unwrap();
        // Someone else holds it: kept.
        p.tidy(ino, &c);
        assert_eq!(p.len(), 1);
        drop(c2);
        c.try_lock().unwrap().set(1, owner(1, vec![r(0, 0, R)], 1));
        p.tidy(ino, &c);
        assert_eq!(p.len(), 1, "not empty: kept");
        c.try_lock().unwrap().remove_owner(1);
        p.tidy(ino, &c);
        assert!(p.is_empty());
    }
}
