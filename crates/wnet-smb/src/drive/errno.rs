//! The one mapping from remote failures ([`FsError`], what a provider reports across the
//! seam, see [`super::remote`]) to the errno a program sees through the drive. Nothing else
//! in the drive picks an errno for a server failure. (The SMB provider names its engine's
//! failures in `crate::errors::drive_error`; `from_smb` is the two in a row.)
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

/// Maps an engine error to errno: the SMB provider's failure ([`crate::errors::drive_error`])
/// through [`from_fs`].
pub fn from_smb(e: &wnet_smb2::Error, read_only_share: bool) -> Errno {
    from_fs(&crate::errors::drive_error(e), read_only_share)
}

/// Whether `e` means the server is gone (the drive turns Disconnected), as opposed to an
/// answer about one file.
pub fn is_connection_loss(e: &wnet_smb2::Error) -> bool {
    crate::errors::drive_error(e).connection_lost
}

#[cfg(test)]
mod tests {
    use super::*;
    use wnet_smb2::auth::gss::GssErrorKind;
    use wnet_smb2::msg::Command;
    use wnet_smb2::{Error, NtStatus};

    #[test]
    fn kerberos_failures_are_key_expired_or_access_denied() {
        let k = |kind| {
            Error::Kerberos(wnet_smb2::auth::gss::GssError {
                kind,
                message: String::new(),
            })
        };
        assert_eq!(
            from_smb(&k(GssErrorKind::Expired), false).0,
            libc::EKEYEXPIRED
        );
        assert_eq!(
            from_smb(&k(GssErrorKind::NoCredentials), false).0,
            libc::EKEYEXPIRED
        );
        assert_eq!(from_smb(&k(GssErrorKind::ClockSkew), false).0, libc::EACCES);
    }

    fn st(status: NtStatus) -> Error {
        Error::Status {
            status,
            command: Command::Create,
        }
    }

    #[test]
    fn statuses_map_to_the_documented_errno() {
        let m = |s| from_smb(&st(s), false).0;
        assert_eq!(m(NtStatus::OBJECT_NAME_NOT_FOUND), libc::ENOENT);
        assert_eq!(m(NtStatus::OBJECT_PATH_NOT_FOUND), libc::ENOENT);
        assert_eq!(m(NtStatus::OBJECT_NAME_COLLISION), libc::EEXIST);
        assert_eq!(m(NtStatus::ACCESS_DENIED), libc::EACCES);
        assert_eq!(m(NtStatus::CANNOT_DELETE), libc::EACCES);
        assert_eq!(m(NtStatus::DIRECTORY_NOT_EMPTY), libc::ENOTEMPTY);
        assert_eq!(m(NtStatus::SHARING_VIOLATION), libc::EBUSY);
        assert_eq!(m(NtStatus::NOT_A_DIRECTORY), libc::ENOTDIR);
        assert_eq!(m(NtStatus::FILE_IS_A_DIRECTORY), libc::EISDIR);
        assert_eq!(m(NtStatus::NETWORK_NAME_DELETED), libc::EIO);
        assert_eq!(m(NtStatus::USER_SESSION_DELETED), libc::EIO);
        assert_eq!(m(NtStatus(0xC000_0001)), libc::EIO);
    }

    #[test]
    fn access_denied_on_a_read_only_share_is_erofs() {
        assert_eq!(from_smb(&st(NtStatus::ACCESS_DENIED), true), Errno::EROFS);
    }

    #[test]
    fn transport_failures_are_connection_loss() {
        assert_eq!(from_smb(&Error::Disconnected, false), Errno::EIO);
        let t = Error::Timeout {
            what: "read",
            after: std::time::Duration::from_secs(1),
        };
        assert_eq!(from_smb(&t, false), Errno::ETIMEDOUT);
        assert!(is_connection_loss(&t));
        assert!(is_connection_loss(&Error::Disconnected));
        assert!(!is_connection_loss(&st(NtStatus::ACCESS_DENIED)));
    }
}
