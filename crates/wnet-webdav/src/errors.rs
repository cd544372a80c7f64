//! The WebDAV client's errors mapped, once each: to core errors for the provider
//! ([`core_error`], the DAV counterpart of `wnet-smb/src/errors.rs`'s `core_error`), and to
//! the drive's [`FsError`] for [`crate::DavFs`] ([`fs_error`], the counterpart of
//! `wnet-smb`'s `drive_error`).

use wnet_core::{Error, ErrorKind, WinError};
use wnet_drive::remote::{FsError, FsErrorKind};

/// The request a drive failure came from, where a status means something particular to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DavOp {
    /// A `PUT` with `If-None-Match: *`: 412 means the name exists.
    Create,
    /// `MKCOL`: 405 means something exists there.
    Mkcol,
    /// `MOVE` with `Overwrite: F`: 412 means the target exists.
    Move,
    /// `LOCK`: 405/501 mean the server cannot lock.
    Lock,
    /// `LOCK` of a collection and its content, with `If-Match: *`: 412 means nothing is
    /// there, 207 (Apache) a conflicting lock inside it.
    LockTree,
    /// `DELETE` of a file with `Depth: 0`: 400 means a collection is there.
    DeleteFile,
    /// `UNLOCK`: 409/412 mean the lock is gone already.
    Unlock,
    /// Anything else.
    Other,
}

/// `e`, met by the drive's request `op` (described by `what`), as the drive's [`FsError`].
///
/// | client error | kind |
/// |---|---|
/// | 404, 410, 409 (a missing parent) | `NotFound` |
/// | 401 (refused credentials), 403, Basic over plain http not allowed | `AccessDenied` |
/// | 412 on a create or a `MOVE` without overwrite, 405 on `MKCOL` | `Exists` |
/// | 409/412 on `UNLOCK` | `NotLocked` |
/// | 412 on a collection's `LOCK` (`If-Match: *`) | `NotFound` |
/// | 207 on a collection's `LOCK` (a lock inside it) | `LockConflict` |
/// | 400 on a file's `DELETE` (`Depth: 0` met a collection) | `IsADirectory` |
/// | 423 | `LockConflict` |
/// | 405 or 501 (elsewhere) | `Unsupported` |
/// | 400, 414 | `Invalid` |
/// | 507, 413 | `NoSpace` |
/// | 5xx, other statuses, a malformed answer, a redirect refused | `Io` |
/// | no answer within the deadline | `TimedOut`, connection lost |
/// | socket error, connection closed, TLS failure | `Io`, connection lost |
pub fn fs_error(e: &wnet_dav::Error, what: &str, op: DavOp) -> FsError {
    use FsErrorKind as K;
    use wnet_dav::Error as D;
    let (kind, lost) = match e {
        D::Io(_) | D::Closed | D::Tls(_) => (K::Io, true),
        D::Timeout => (K::TimedOut, true),
        D::Unauthorized | D::BasicOverHttp => (K::AccessDenied, false),
        D::Status(s, _) => (
            match (*s, op) {
                (412, DavOp::Create | DavOp::Move) | (405, DavOp::Mkcol) => K::Exists,
                (409 | 412, DavOp::Unlock) => K::NotLocked,
                (412, DavOp::LockTree) => K::NotFound,
                (207, DavOp::LockTree) => K::LockConflict,
                (400, DavOp::DeleteFile) => K::IsADirectory,
                (404 | 409 | 410, _) => K::NotFound,
                (401 | 403, _) => K::AccessDenied,
                (423, _) => K::LockConflict,
                (405 | 501, _) => K::Unsupported,
                (400 | 414, _) => K::Invalid,
                (413 | 507, _) => K::NoSpace,
                _ => K::Io,
            },
            false,
        ),
        D::Redirect(_) | D::Protocol(_) | D::TooLarge(..) => (K::Io, false),
    };
    let err = FsError::new(kind, format!("{what}: {e}"));
    if lost { err.lost() } else { err }
}

/// `e`, met while `what`, as a core error. `with_credentials` tells a refused password (86)
/// from a server that wants one the caller did not give (1326).
///
/// | client error | Win32 |
/// |---|---|
/// | socket error, connection closed, no answer in time | 53 `ERROR_BAD_NETPATH`, temporary |
/// | credentials refused (401 after answering) | 86 `ERROR_INVALID_PASSWORD` |
/// | 401 without credentials | 1326 `ERROR_LOGON_FAILURE` |
/// | Basic over plain http, not allowed | 5 `ERROR_ACCESS_DENIED` (the text names the switch) |
/// | 403 | 5 `ERROR_ACCESS_DENIED` |
/// | 404, 409, 410 | 67 `ERROR_BAD_NET_NAME` |
/// | redirect loop or to another server, 5xx, other statuses | 59 `ERROR_UNEXP_NET_ERR` |
/// | malformed or oversized response, TLS failure | 58 `ERROR_BAD_NET_RESP` |
pub fn core_error(e: &wnet_dav::Error, what: &str, with_credentials: bool) -> Error {
    use wnet_dav::Error as D;
    let (kind, temporary) = match e {
        D::Io(_) | D::Closed | D::Timeout => (ErrorKind::BadNetPath, true),
        D::Unauthorized if with_credentials => (ErrorKind::InvalidPassword, false),
        D::Unauthorized => (ErrorKind::LogonFailure, false),
        D::BasicOverHttp => (ErrorKind::AccessDenied, false),
        D::Status(401, _) => (ErrorKind::LogonFailure, false),
        D::Status(403, _) => (ErrorKind::AccessDenied, false),
        D::Status(404 | 409 | 410, _) => (ErrorKind::BadNetName, false),
        D::Status(500..=599, _) => (ErrorKind::NetError, true),
        D::Status(..) | D::Redirect(_) => (ErrorKind::NetError, false),
        D::Protocol(_) | D::TooLarge(..) | D::Tls(_) => {
            (ErrorKind::Code(WinError::ERROR_BAD_NET_RESP), false)
        }
    };
    let hint = match e {
        D::BasicOverHttp => {
            "; set dav_basic_over_http = true in the profile's [settings] to allow it (ADR 0018)"
        }
        _ => "",
    };
    let err = Error::new(kind, format!("{what}: {e}{hint}"));
    if temporary { err.temporary() } else { err }
}

/// [`core_error`] for the first request to a server, when connecting: an endpoint that
/// accepts TCP but closes it or answers something that is not HTTP is not a WebDAV server, so
/// the name is not this provider's: 67 (`\\host@445\share`, SMB's port form, reaches an SMB
/// server there; SMB has answered for it already). A refused or silent port stays 53.
pub fn connect_error(e: &wnet_dav::Error, what: &str, with_credentials: bool) -> Error {
    match e {
        wnet_dav::Error::Closed | wnet_dav::Error::Protocol(_) => Error::new(
            ErrorKind::BadNetName,
            format!("{what}: no WebDAV (HTTP) server answers there: {e}"),
        ),
        _ => core_error(e, what, with_credentials),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(e: wnet_dav::Error, creds: bool) -> u32 {
        core_error(&e, "x", creds).win_error().0
    }

    #[test]
    fn the_drive_table() {
        use wnet_dav::Error as D;
        let st = |s: u16, op| fs_error(&D::Status(s, String::new()), "x", op).kind;
        assert_eq!(st(404, DavOp::Other), FsErrorKind::NotFound);
        assert_eq!(st(409, DavOp::Other), FsErrorKind::NotFound);
        assert_eq!(st(403, DavOp::Other), FsErrorKind::AccessDenied);
        assert_eq!(st(412, DavOp::Create), FsErrorKind::Exists);
        assert_eq!(st(412, DavOp::Move), FsErrorKind::Exists);
        assert_eq!(st(405, DavOp::Mkcol), FsErrorKind::Exists);
        assert_eq!(st(405, DavOp::Lock), FsErrorKind::Unsupported);
        assert_eq!(st(409, DavOp::Unlock), FsErrorKind::NotLocked);
        assert_eq!(st(412, DavOp::LockTree), FsErrorKind::NotFound);
        assert_eq!(st(207, DavOp::LockTree), FsErrorKind::LockConflict);
        assert_eq!(st(207, DavOp::Other), FsErrorKind::Io);
        assert_eq!(st(400, DavOp::DeleteFile), FsErrorKind::IsADirectory);
        assert_eq!(st(400, DavOp::Other), FsErrorKind::Invalid);
        assert_eq!(st(423, DavOp::Other), FsErrorKind::LockConflict);
        assert_eq!(st(507, DavOp::Other), FsErrorKind::NoSpace);
        assert_eq!(st(503, DavOp::Other), FsErrorKind::Io);
        let gone = fs_error(&D::Closed, "x", DavOp::Other);
        assert!(gone.connection_lost && gone.kind == FsErrorKind::Io);
        let late = fs_error(&D::Timeout, "x", DavOp::Other);
        assert!(late.connection_lost && late.kind == FsErrorKind::TimedOut);
        let answered = fs_error(&D::Status(500, String::new()), "x", DavOp::Other);
        assert!(!answered.connection_lost);
        assert_eq!(
            fs_error(&D::Unauthorized, "x", DavOp::Other).kind,
            FsErrorKind::AccessDenied
        );
    }

    #[test]
    fn the_table() {
        use wnet_dav::Error as D;
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert_eq!(code(D::Io(refused), false), 53);
        assert_eq!(code(D::Timeout, false), 53);
        assert_eq!(code(D::Unauthorized, true), 86);
        assert_eq!(code(D::Unauthorized, false), 1326);
        assert_eq!(code(D::BasicOverHttp, true), 5);
        assert_eq!(code(D::Status(404, "Not Found".into()), false), 67);
        assert_eq!(code(D::Status(503, "Unavailable".into()), false), 59);
        assert_eq!(code(D::Redirect("more than 5".into()), false), 59);
        assert_eq!(code(D::Protocol("bad".into()), false), 58);
        assert_eq!(connect_error(&D::Closed, "x", false).win_error().0, 67);
        assert_eq!(
            connect_error(&D::Protocol("no".into()), "x", false)
                .win_error()
                .0,
            67
        );
        assert_eq!(connect_error(&D::Timeout, "x", false).win_error().0, 53);
        assert!(
            core_error(&D::BasicOverHttp, "x", true)
                .to_string()
                .contains("dav_basic_over_http")
        );
    }
}
