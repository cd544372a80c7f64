//! The namespace: mkdir, mknod, unlink, rmdir, rename; each brings its directories' new
//! times back in the same round trip where the share allows.

use super::Core;
use crate::cache::{Attr, KERNEL_TTL, Known, split};
use crate::errno::Errno;
use crate::inode::InodeNo;
use crate::remote::{Access, Disposition, OpenHow};
use std::ffi::OsStr;
use std::time::Duration;

/// How long a rename, unlink or rmdir waits for the server handles of files just closed at
/// its paths to be closed (see [`HandleTable::released`]); only a descriptor still open
/// (a `dup` closed, its twin idle) makes it wait that long.
const RELEASE_WAIT: Duration = Duration::from_secs(2);

impl Core {
    /// MKDIR.
    pub async fn mkdir(
        &self,
        parent: InodeNo,
        name: &OsStr,
    ) -> Result<(InodeNo, Attr, Duration), Errno> {
        self.writable_mount()?;
        let path = self.child(parent, name)?;
        self.cache.own_start(&path);
        let r = self.fs.mkdir(&path).await;
        self.cache.own_done(&path, None);
        self.cache.entry_changed(&path);
        self.answered(r)?;
        let (a, ttl) = self.stat(&path).await?;
        let ino = self.inodes.lock().expect("inode lock").lookup(&path, a.id);
        Ok((ino, a, ttl))
    }

    /// MKNOD of a regular file: creates `parent/name` empty (`EEXIST` if it exists); counts
    /// a lookup.
    pub async fn mknod_file(
        &self,
        parent: InodeNo,
        name: &OsStr,
    ) -> Result<(InodeNo, Attr, Duration), Errno> {
        self.writable_mount()?;
        let path = self.child(parent, name)?;
        self.cache.own_start(&path);
        let new = OpenHow {
            access: Access::ReadWrite,
            disposition: Disposition::CreateNew,
            durable: false,
        };
        let r = match self.fs.open(&path, new).await {
            Ok(f) => f.file.close_with_attr().await,
            Err(e) => Err(e),
        };
        self.cache
            .own_done(&path, r.as_ref().ok().map(|a| Known::Present(*a)));
        self.cache.entry_changed(&path);
        let a = self.answered(r)?;
        let ino = self.inodes.lock().expect("inode lock").lookup(&path, a.id);
        Ok((ino, a, KERNEL_TTL))
    }

    /// UNLINK.
    pub async fn unlink(&self, parent: InodeNo, name: &OsStr) -> Result<(), Errno> {
        self.writable_mount()?;
        let path = self.child(parent, name)?;
        self.send_creates_under(&path).await?;
        self.handles.released(&path, RELEASE_WAIT).await;
        self.unpark_under(&path).await;
        self.cache.own_start(&path);
        self.remove(&path, true).await
    }

    /// RMDIR. Watches on the directory and below end first: the server keeps a directory
    /// with a handle open on it until the handle closes.
    pub async fn rmdir(&self, parent: InodeNo, name: &OsStr) -> Result<(), Errno> {
        self.writable_mount()?;
        let path = self.child(parent, name)?;
        self.send_creates_under(&path).await?;
        self.watches.stop_under(Some(&path), self.deadline).await;
        self.handles.released(&path, RELEASE_WAIT).await;
        self.unpark_under(&path).await;
        self.cache.invalidate_tree(&path);
        self.remove(&path, false).await
    }

    /// The end UNLINK and RMDIR share: deletes `path` (clearing READONLY if it must), tells
    /// the cache and the parent's attributes what the server answered, forgets the inode.
    /// `file`: an unlink (the kernel found a file at `path`).
    async fn remove(&self, path: &str, file: bool) -> Result<(), Errno> {
        let dirs = [split(path).0];
        let r = self
            .despite_read_only(path, || {
                if file {
                    self.fs.delete_file(path, &dirs)
                } else {
                    self.fs.delete(path, &dirs)
                }
            })
            .await;
        self.cache
            .own_done(path, r.is_ok().then_some(Known::Absent));
        self.cache.entry_changed(path);
        let stats = self.answered(r)?;
        self.dirs_answered(&dirs, &stats);
        self.inodes.lock().expect("inode lock").unlink(path);
        Ok(())
    }

    /// RENAME; `replace` false is RENAME_NOREPLACE (an existing target gives `EEXIST`).
    pub async fn rename(
        &self,
        parent: InodeNo,
        name: &OsStr,
        new_parent: InodeNo,
        new_name: &OsStr,
        replace: bool,
    ) -> Result<(), Errno> {
        self.writable_mount()?;
        let from = self.child(parent, name)?;
        let to = self.child(new_parent, new_name)?;
        self.send_creates_under(&from).await?;
        self.send_creates_under(&to).await?;
        // The server refuses to rename a directory with a handle open below it.
        self.watches.stop_under(Some(&from), self.deadline).await;
        self.watches.stop_under(Some(&to), self.deadline).await;
        // Nor replace a file that is still open, and a just-closed one may still be.
        self.handles.released(&from, RELEASE_WAIT).await;
        self.handles.released(&to, RELEASE_WAIT).await;
        self.unpark_under(&from).await;
        self.unpark_under(&to).await;
        self.cache.invalidate_tree(&from);
        self.cache.invalidate_tree(&to);
        // Both directories' new times come back in the same round trip.
        let (a, b) = (split(&from).0, split(&to).0);
        let dirs: Vec<&str> = if self.fold().key(a) == self.fold().key(b) {
            vec![a]
        } else {
            vec![a, b]
        };
        let r = if replace {
            self.despite_read_only(&to, || self.fs.rename(&from, &to, true, &dirs))
                .await
        } else {
            self.fs.rename(&from, &to, false, &dirs).await
        };
        self.cache
            .own_done(&from, r.is_ok().then_some(Known::Absent));
        self.cache.own_done(&to, None);
        self.cache.entry_changed(&from);
        self.cache.entry_changed(&to);
        let stats = self.answered(r)?;
        self.dirs_answered(&dirs, &stats);
        self.inodes.lock().expect("inode lock").rename(&from, &to);
        self.handles.renamed(&from, &to);
        Ok(())
    }

    /// The attributes of `dirs` the server answered right after our own change in them
    /// (their times changed): cached, for the kernel's next question.
    pub(super) fn dirs_answered(&self, dirs: &[&str], stats: &[Option<Attr>]) {
        for (dir, a) in dirs.iter().zip(stats) {
            if let Some(a) = a {
                self.cache.put_attr(dir, *a);
            }
        }
    }
}
