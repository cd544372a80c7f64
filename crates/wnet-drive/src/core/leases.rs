//! Leases seen from the core (ADR 0011): handles parked under a lease are closed before
//! this drive changes their path, a read-only open is answered from what a lease keeps, and
//! a break takes what was cached under it out of the caches and the kernel. The parked
//! handles and snapshots themselves are [`crate::lease`]'s; the open that parks one
//! is the small-file read ([`Core::open_small`], through
//! [`crate::remote::RemoteFs::open_read_kept`]).

use super::Core;
use crate::handle_table::{Holder, Kind, OpenFile};
use crate::inode::InodeNo;
use crate::lease;
use std::sync::Arc;

impl Core {
    /// A lease of `path` ended (broken by the server): what was cached under it is gone
    /// from the caches and the kernel; the name is asked of the server again.
    pub(crate) fn lease_lost(&self, path: &str) {
        self.cache.own_done(path, None);
        self.kernel_forget_attrs(path);
    }

    /// Closes the handles parked at `path` or below (before this drive changes it: the
    /// server would break our own lease, and keeps a deleted file while a handle is open).
    pub(super) async fn unpark_under(&self, path: &str) {
        let held = self.leases.take_under(path);
        if !held.is_empty() {
            tracing::debug!(
                path,
                handles = held.len(),
                "parked handles closed before a change"
            );
            lease::close(held, self.deadline).await;
        }
    }

    /// Closes the handle parked on `ino`, if any.
    pub(super) async fn unpark(&self, ino: InodeNo) {
        if let Some(h) = self.leases.take_ino(ino) {
            lease::close(vec![h], self.deadline).await;
        }
    }

    /// Every parked handle closed, in the background: breaks may have been missed (a
    /// reconnect, another server), so no lease is trusted across the gap.
    pub(super) fn unpark_all_later(&self) {
        let held = self.leases.take_all();
        if !held.is_empty() {
            tracing::debug!(handles = held.len(), "every parked handle closed");
            self.rt.spawn(lease::close(held, self.deadline));
        }
    }

    /// OPEN answered on the FUSE thread without waiting: a read-only open of a file whose
    /// lease keeps what an earlier open read ([`lease`]); `None`: ask [`Core::open`].
    pub fn open_cached(&self, ino: InodeNo, flags: i32, pid: u32) -> Option<u64> {
        if flags & (libc::O_ACCMODE | libc::O_TRUNC) != libc::O_RDONLY || !self.is_connected() {
            return None;
        }
        let path = self.path(ino).ok()?;
        if self.creating_attr(&path).is_some() {
            return None;
        }
        let data = self.leased_snapshot(ino)?;
        let holder = Holder {
            pid,
            path,
            is_dir: false,
        };
        let of = OpenFile::from_snapshot(data, &self.rt);
        Some(self.handles.insert(holder, ino, Kind::File(Arc::new(of))))
    }

    /// What the lease of `ino` keeps, unless a writable handle of ours is open on it (its
    /// buffered bytes are in no snapshot).
    pub(super) fn leased_snapshot(&self, ino: InodeNo) -> Option<Arc<Vec<u8>>> {
        if self.handles.files_of(ino).iter().any(|f| f.writable) {
            return None;
        }
        self.leases.snapshot(ino)
    }
}
