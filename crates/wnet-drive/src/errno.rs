//! The one mapping from remote failures ([`FsError`], what a provider reports across the
//! seam, see [`super::remote`]) to the errno a program sees through the drive. Nothing else
//! in the drive picks an errno for a server failure. (A provider names its own failures as
//! [`FsError`]s: the SMB provider in `wnet_smb::errors::drive_error`.)
//!
//! A server that is gone answers `EIO` (connection refused, reset or dropped, a session or tree
//! the server forgot) or `ETIMEDOUT` (a request's deadline passed), as the README promises:
//! `EIO` is what programs are written to handle for a failed read or write (cifs.ko answers
//! the same), while `ENOTCONN` reads as a socket error and most programs do not expect it from a
//! file. (`ENOTCONN` stays the kernel's answer when the drive's own process is gone.)

use super::remote::{FsError, FsErrorKind};

/// A POSIX error number as the drive answers it (positive, e.g. `libc::ENOENT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Errno(pub i32);

impl Errno {
    /// No such file or directory.
    pub const ENOENT: Errno = Errno(libc::ENOENT);
    /// Input/output error; also every request once the drive is disconnected or detached.
    pub const EIO: Errno = Errno(libc::EIO);
    /// Invalid argument (a name SMB cannot hold, an impossible request).
    pub const EINVAL: Errno = Errno(libc::EINVAL);
    /// Read-only file system.
    pub const EROFS: Errno = Errno(libc::EROFS);
    /// Not a directory.
    pub const ENOTDIR: Errno = Errno(libc::ENOTDIR);
    /// Bad file descriptor (an unknown or already closed handle).
    pub const EBADF: Errno = Errno(libc::EBADF);
    /// Operation not permitted.
    pub const EPERM: Errno = Errno(libc::EPERM);
    /// Timed out: the request's deadline passed.
    pub const ETIMEDOUT: Errno = Errno(libc::ETIMEDOUT);
    /// Not supported.
    pub const ENOSYS: Errno = Errno(libc::ENOSYS);
    /// Name too long.
    pub const ENAMETOOLONG: Errno = Errno(libc::ENAMETOOLONG);
    /// Would block (a conflicting byte-range lock).
    pub const EAGAIN: Errno = Errno(libc::EAGAIN);
}

impl std::fmt::Display for Errno {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", std::io::Error::from_raw_os_error(self.0))
    }
}

/// Maps a remote failure to errno. `read_only_share`: the share grants no write access, so
/// an access refusal is the share's read-only-ness (`EROFS`), not a missing permission
/// (`EACCES`).
pub fn from_fs(e: &FsError, read_only_share: bool) -> Errno {
    let n = match e.kind {
        FsErrorKind::NotFound => libc::ENOENT,
        FsErrorKind::Exists => libc::EEXIST,
        FsErrorKind::AccessDenied if read_only_share => libc::EROFS,
        FsErrorKind::AccessDenied | FsErrorKind::Refused | FsErrorKind::LogonRefused => {
            libc::EACCES
        }
        // The user must `kinit` again (then the next call works, no remap).
        FsErrorKind::CredentialsExpired => libc::EKEYEXPIRED,
        FsErrorKind::NotEmpty => libc::ENOTEMPTY,
        FsErrorKind::Busy => libc::EBUSY,
        FsErrorKind::LockConflict => libc::EAGAIN,
        FsErrorKind::NotLocked => libc::ENOLCK,
        FsErrorKind::NotADirectory => libc::ENOTDIR,
        FsErrorKind::IsADirectory => libc::EISDIR,
        FsErrorKind::Invalid => libc::EINVAL,
        FsErrorKind::NoSpace => libc::ENOSPC,
        FsErrorKind::Unsupported => libc::EOPNOTSUPP,
        FsErrorKind::TimedOut => libc::ETIMEDOUT,
        // A rename between two DFS targets: `mv` copies instead.
        FsErrorKind::CrossDevice => libc::EXDEV,
        FsErrorKind::Closed => libc::EBADF,
        FsErrorKind::NoMemory => libc::ENOMEM,
        // A server that is gone, protocol and signature failures, a handle that did not
        // survive a reconnect (writes through it may be lost): the program sees an I/O error.
        FsErrorKind::Io => libc::EIO,
    };
    Errno(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kind_alone_picks_the_errno() {
        let e = |kind| FsError::new(kind, "x");
        assert_eq!(from_fs(&e(FsErrorKind::NotFound), false), Errno::ENOENT);
        assert_eq!(
            from_fs(&e(FsErrorKind::AccessDenied), false).0,
            libc::EACCES
        );
        assert_eq!(from_fs(&e(FsErrorKind::AccessDenied), true), Errno::EROFS);
        assert_eq!(from_fs(&e(FsErrorKind::Refused), true).0, libc::EACCES);
        let lost = e(FsErrorKind::TimedOut).lost();
        assert_eq!(from_fs(&lost, false), Errno::ETIMEDOUT);
        assert_eq!(from_fs(&FsError::disconnected(), false), Errno::EIO);
    }
}
