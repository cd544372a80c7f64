//! Byte-range locks: POSIX `fcntl` and `flock` locks kept per inode and mirrored on the
//! server (see [`crate::posix_lock`]).

use super::Core;
use crate::errno::Errno;
use crate::inode::InodeNo;
use crate::posix_lock::{self, Kind as LockKind, OwnerLocks, Seg};
use std::time::Duration;

/// How often a waiting lock (SETLKW) is tried again.
const LOCK_RETRY: Duration = Duration::from_millis(50);

/// A byte-range lock the kernel asks about (SETLK, SETLKW, GETLK).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockAsk {
    /// The open file it comes through.
    pub fh: u64,
    /// Whose lock: a process's `fcntl` locks, or an open file description's `flock`.
    pub owner: u64,
    /// The first byte.
    pub start: u64,
    /// The last byte (`OFFSET_MAX`: to end of file).
    pub end: u64,
    /// `F_RDLCK`, `F_WRLCK`, or `F_UNLCK`.
    pub typ: i32,
}

impl LockAsk {
    /// The lock's kind (`None`: unlock); `EINVAL` for an unknown type or an empty range.
    fn kind(&self) -> Result<Option<LockKind>, Errno> {
        let kind = LockKind::from_fuse(self.typ)?;
        if self.start > self.end {
            return Err(Errno::EINVAL);
        }
        Ok(kind)
    }
}

impl Core {
    /// SETLK/SETLKW: POSIX `fcntl` byte-range locks, and `flock` (which arrives the same way
    /// as a whole-file lock whose owner is the open file description; see
    /// [`super::posix_lock`]). `owner` locks `start..=end` (`end` = `OFFSET_MAX`: to end of
    /// file) with `typ` (`F_RDLCK`, `F_WRLCK`, or `F_UNLCK` to unlock), replacing what it held
    /// there. A conflict with another owner on this drive, or with another SMB client on the
    /// server, is `EAGAIN`; with `wait` the attempt is repeated until granted, or given up
    /// with `EINTR` when the waiting thread `waiter` has a signal pending or the handle was
    /// released (fuser does not deliver FUSE_INTERRUPT). Each server call is bounded by the
    /// deadline; the wait is not. Deadlocks between waiters are not detected (no `EDEADLK`).
    pub async fn posix_lock(
        &self,
        ino: InodeNo,
        ask: LockAsk,
        pid: u32,
        wait: bool,
        waiter: u32,
    ) -> Result<(), Errno> {
        let kind = ask.kind()?;
        let LockAsk {
            fh,
            owner,
            start,
            end,
            ..
        } = ask;
        let cell = self.posix.inode(ino);
        let r = loop {
            let r = {
                let mut t = cell.lock().await;
                self.posix_try(&mut t, fh, owner, start, end, kind, pid)
                    .await
            };
            match r {
                Err(Errno::EAGAIN) if wait => {
                    if self.waiter_gives_up(fh, waiter) {
                        break Err(Errno(libc::EINTR));
                    }
                    tokio::time::sleep(LOCK_RETRY).await;
                }
                r => break r,
            }
        };
        self.posix.tidy(ino, &cell);
        r
    }

    /// One attempt of [`Core::posix_lock`] with the inode's table held: the local conflict
    /// check, then the server's (unlock the segments that vanished or changed, lock the new
    /// ones fail-immediately); on a refusal the previous server state is restored as well as
    /// possible and the table records what the server really holds.
    #[allow(clippy::too_many_arguments)]
    async fn posix_try(
        &self,
        t: &mut posix_lock::InodeLocks,
        fh: u64,
        owner: u64,
        start: u64,
        end: u64,
        kind: Option<LockKind>,
        pid: u32,
    ) -> Result<(), Errno> {
        if kind.is_some_and(|k| t.conflict(owner, start, end, k).is_some()) {
            return Err(Errno::EAGAIN);
        }
        let old = t.owner(owner);
        let want = posix_lock::apply(&old.ranges, start, end, kind);
        let plan = posix_lock::plan(&old.server, &want);
        let pid = if kind.is_some() && pid != 0 {
            pid
        } else {
            old.pid
        };
        if plan.unlock.is_empty() && plan.lock.is_empty() {
            t.set(
                owner,
                OwnerLocks {
                    pid,
                    ranges: want,
                    server: old.server,
                },
            );
            return Ok(());
        }
        let mut unlocked = Vec::new();
        let mut failed = None;
        for s in &plan.unlock {
            match self.seg_unlock(s).await {
                Ok(()) => unlocked.push(*s),
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
        }
        let mut locked = Vec::new();
        if failed.is_none() {
            for r in &plan.lock {
                let s = Seg { fh, range: *r };
                match self.seg_lock(&s).await {
                    Ok(()) => locked.push(s),
                    Err(e) => {
                        failed = Some(e);
                        break;
                    }
                }
            }
        }
        let Some(e) = failed else {
            let mut server = plan.keep;
            server.extend(locked);
            t.set(
                owner,
                OwnerLocks {
                    pid,
                    ranges: want,
                    server,
                },
            );
            return Ok(());
        };
        // Back to what was held: drop what this attempt locked, take back what it unlocked.
        for s in &locked {
            if let Err(x) = self.seg_unlock(s).await {
                tracing::warn!(error = %x, ?s, "undoing a lock on the server failed");
            }
        }
        let mut lost = Vec::new();
        for s in &unlocked {
            if let Err(x) = self.seg_lock(s).await {
                tracing::warn!(error = %x, ?s, "restoring a lock on the server failed; lost");
                lost.push(*s);
            }
        }
        t.lose(owner, &lost);
        Err(e)
    }

    /// Locks one segment on the server (fail-immediately), under the deadline.
    async fn seg_lock(&self, s: &Seg) -> Result<(), Errno> {
        let f = self.file(s.fh)?;
        if !self.caps.byte_range_locks {
            // Locks are this drive's own: other clients do not see them.
            return Ok(());
        }
        let (offset, length) = posix_lock::smb_range(s.range.start, s.range.end);
        // The lock lives on a server handle: a file opened from a snapshot gets one now.
        self.server_handle(s.fh, &f).await?;
        let g = f.file.read().await;
        let file = g.as_ref().ok_or(Errno::EBADF)?;
        let exclusive = s.range.kind.exclusive();
        self.guard(async { self.remote(file.lock(offset, length, exclusive).await) })
            .await
    }

    /// Unlocks one segment on the server, under the deadline. A handle already released
    /// (or a lock the server no longer has) counts as unlocked: closing the handle dropped it.
    async fn seg_unlock(&self, s: &Seg) -> Result<(), Errno> {
        let Ok(f) = self.file(s.fh) else {
            return Ok(());
        };
        if !self.caps.byte_range_locks {
            return Ok(());
        }
        let (offset, length) = posix_lock::smb_range(s.range.start, s.range.end);
        let g = f.file.read().await;
        let Some(file) = g.as_ref() else {
            return Ok(());
        };
        match self
            .guard(async { self.remote(file.unlock(offset, length).await) })
            .await
        {
            Err(Errno(libc::ENOLCK)) => Ok(()),
            r => r,
        }
    }

    /// GETLK: the first lock that would keep `owner` from locking `start..=end` with `typ`,
    /// as `(start, end, type, pid)`, or `F_UNLCK` when there is none. Other owners on this
    /// drive are looked up in the table; other SMB clients by probing the server (taking and
    /// at once releasing the lock through `fh`) on the parts of the range `owner` does not
    /// hold itself. A conflict found on the server is reported as the probed range with pid
    /// 0, `F_RDLCK` when a read lock there would have been granted, else `F_WRLCK`.
    pub async fn posix_getlk(
        &self,
        ino: InodeNo,
        ask: LockAsk,
    ) -> Result<(u64, u64, i32, u32), Errno> {
        let Some(kind) = ask.kind()? else {
            return Err(Errno::EINVAL);
        };
        let cell = self.posix.inode(ino);
        let r = async {
            let t = cell.lock().await;
            if let Some(c) = t.conflict(ask.owner, ask.start, ask.end, kind) {
                return Ok((c.range.start, c.range.end, c.range.kind.fuse(), c.pid));
            }
            let own = t.owner(ask.owner).ranges;
            for (s, e) in posix_lock::gaps(&own, ask.start, ask.end) {
                let probe = |kind| Seg {
                    fh: ask.fh,
                    range: posix_lock::Range {
                        start: s,
                        end: e,
                        kind,
                    },
                };
                if self.seg_probe(&probe(kind)).await? {
                    continue;
                }
                let held =
                    if kind == LockKind::Write && self.seg_probe(&probe(LockKind::Read)).await? {
                        LockKind::Read
                    } else {
                        LockKind::Write
                    };
                return Ok((s, e.min(posix_lock::OFFSET_MAX), held.fuse(), 0));
            }
            Ok((ask.start, ask.end, libc::F_UNLCK, 0))
        }
        .await;
        self.posix.tidy(ino, &cell);
        r
    }

    /// Whether the server would grant `s` now (locked and at once unlocked).
    async fn seg_probe(&self, s: &Seg) -> Result<bool, Errno> {
        match self.seg_lock(s).await {
            Ok(()) => {
                if let Err(e) = self.seg_unlock(s).await {
                    tracing::warn!(error = %e, ?s, "releasing a GETLK probe failed");
                }
                Ok(true)
            }
            Err(Errno::EAGAIN) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Drops every lock `owner` holds on `ino` (FLUSH: POSIX releases a process's locks on a
    /// file at any close of it; RELEASE names the `flock` owner), here and on the server.
    pub async fn posix_unlock_owner(&self, ino: InodeNo, owner: u64) {
        let Some(cell) = self.posix.existing(ino) else {
            return;
        };
        {
            let mut t = cell.lock().await;
            for s in t.remove_owner(owner) {
                if let Err(e) = self.seg_unlock(&s).await {
                    tracing::warn!(error = %e, ?s, "unlocking at close failed");
                }
            }
        }
        self.posix.tidy(ino, &cell);
    }

    /// RELEASE of `fh`, after its server handle closed: the locks mirrored through it are
    /// gone on the server, so they leave the table; `owner` (the `flock` owner the kernel
    /// names at RELEASE) loses all its locks.
    pub async fn posix_handle_closed(&self, ino: InodeNo, fh: u64, owner: Option<u64>) {
        if let Some(o) = owner {
            self.posix_unlock_owner(ino, o).await;
        }
        let Some(cell) = self.posix.existing(ino) else {
            return;
        };
        cell.lock().await.handle_closed(fh);
        self.posix.tidy(ino, &cell);
    }

    /// Whether a thread waiting for a lock through `fh` is to stop waiting: it has a signal
    /// to take (or is gone), or the handle was released. The kernel keeps a killed waiter
    /// in D state until we answer.
    fn waiter_gives_up(&self, fh: u64, waiter: u32) -> bool {
        self.handles.get(fh).is_none() || signal_pending(waiter)
    }
}

/// Whether thread `tid` has a signal pending that it neither blocks nor ignores (or is gone).
fn signal_pending(tid: u32) -> bool {
    let Ok(status) = std::fs::read_to_string(format!("/proc/{tid}/status")) else {
        return true;
    };
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
            .unwrap_or(0)
    };
    let pending = field("SigPnd:") | field("ShdPnd:");
    pending & !field("SigBlk:") & !field("SigIgn:") != 0
}
