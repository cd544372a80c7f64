//! Detaching the mounts a dead daemon left under its drive root.

use std::path::{Path, PathBuf};

/// Lazily detaches every FUSE mount below `root` (from `/proc/self/mountinfo`). Only the
/// daemon holding the user's daemon lock calls this, so every such mount is a dead one.
pub fn detach_stale_mounts(root: &Path) {
    for mountpoint in fuse_mounts_under(root) {
        tracing::warn!(mountpoint = %mountpoint.display(), "detaching a stale drive");
        if !lazy_unmount(&mountpoint) {
            tracing::warn!(mountpoint = %mountpoint.display(), "could not detach the stale drive");
        }
        // A drive's directory, or a printer port's empty file.
        crate::drive::cancel::remove_mountpoint(&mountpoint);
    }
}

/// FUSE mount points below `root`, deepest first.
pub fn fuse_mounts_under(root: &Path) -> Vec<PathBuf> {
    let Ok(text) = std::fs::read_to_string("/proc/self/mountinfo") else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = text
        .lines()
        .filter_map(|line| {
            // Fields: id parent major:minor root mountpoint options ... - fstype source super
            let mut parts = line.split(" - ");
            let left = parts.next()?;
            let right = parts.next()?;
            let mountpoint = unescape(left.split(' ').nth(4)?);
            let fstype = right.split(' ').next()?;
            (fstype.starts_with("fuse") && mountpoint.starts_with(root) && mountpoint != root)
                .then_some(mountpoint)
        })
        .collect();
    found.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
    found
}

/// `\040` and friends in mountinfo paths.
fn unescape(s: &str) -> PathBuf {
    let mut out = Vec::with_capacity(s.len());
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            out.push((b[i + 1] - b'0') * 64 + (b[i + 2] - b'0') * 8 + (b[i + 3] - b'0'));
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    use std::os::unix::ffi::OsStringExt;
    PathBuf::from(std::ffi::OsString::from_vec(out))
}

/// Detaches `mountpoint` now, even if busy: `umount2(MNT_DETACH)` as root, else
/// `fusermount3 -u -z`.
pub fn lazy_unmount(mountpoint: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    // SAFETY: geteuid cannot fail.
    if unsafe { libc::geteuid() } == 0 {
        let Ok(c) = std::ffi::CString::new(mountpoint.as_os_str().as_bytes()) else {
            return false;
        };
        // SAFETY: a valid C string path.
        return unsafe { libc::umount2(c.as_ptr(), libc::MNT_DETACH) } == 0;
    }
    std::process::Command::new("fusermount3")
        .args(["-u", "-z"])
        .arg(mountpoint)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mountinfo_escapes() {
        assert_eq!(
            unescape(r"/home/a\040b/Network/Z"),
            PathBuf::from("/home/a b/Network/Z")
        );
        assert_eq!(unescape(r"/x\134y"), PathBuf::from("/x\\y"));
        assert_eq!(unescape("/plain"), PathBuf::from("/plain"));
        assert_eq!(unescape(r"/trail\04"), PathBuf::from(r"/trail\04"));
    }
}
