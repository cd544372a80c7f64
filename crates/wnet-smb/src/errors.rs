//! The one mapping from engine errors to core (WNet) errors.

use crate::drive::remote::{FsError, FsErrorKind};
use wnet_core::{Error, ErrorKind, WinError};
use wnet_smb2::NtStatus;
use wnet_smb2::auth::gss::GssErrorKind;

/// `nca_s_fault_access_denied` (C706 appendix E; Windows sends ERROR_ACCESS_DENIED).
const NCA_S_FAULT_ACCESS_DENIED: u32 = 0x0000_0005;
/// `nca_s_unk_if`: the server does not know the interface.
const NCA_S_UNK_IF: u32 = 0x1C01_0003;
/// `nca_s_op_rng_error`: the operation number is out of range.
const NCA_S_OP_RNG_ERROR: u32 = 0x1C01_0002;

/// Maps an engine error met while doing `what` to the WNet error a caller sees.
///
/// | engine | WNet |
/// |---|---|
/// | logon failure, account restrictions | 1326 `ERROR_LOGON_FAILURE` |
/// | wrong password | 86 `ERROR_INVALID_PASSWORD` |
/// | bad share name, a DFS path or folder nobody serves | 67 `ERROR_BAD_NET_NAME` |
/// | access denied | 5 `ERROR_ACCESS_DENIED` |
/// | unreachable server, timeout, connection lost | 53 `ERROR_BAD_NETPATH` (temporary) |
/// | RPC fault: access denied / unknown interface / opnum out of range / any other | 5 / 1717 / 1745 / 1726 `RPC_S_CALL_FAILED` |
/// | RPC WERROR (a Win32 code) | that code |
/// | anything else | 59 `ERROR_UNEXP_NET_ERR` |
pub fn core_error(e: &wnet_smb2::Error, what: &str) -> Error {
    let kind = match e {
        wnet_smb2::Error::Status { status, .. } => match *status {
            s if s.is_logon_refused() => ErrorKind::LogonFailure,
            NtStatus(0xC000_006A) => ErrorKind::InvalidPassword, // STATUS_WRONG_PASSWORD
            // A DFS path no link or target serves, a folder below a share that is not there.
            NtStatus::BAD_NETWORK_NAME
            | NtStatus::PATH_NOT_COVERED
            | NtStatus::NOT_FOUND
            | NtStatus::OBJECT_NAME_NOT_FOUND
            | NtStatus::OBJECT_PATH_NOT_FOUND => ErrorKind::BadNetName,
            NtStatus::ACCESS_DENIED | NtStatus::PRIVILEGE_NOT_HELD => ErrorKind::AccessDenied,
            s if s.is_connection_lost() => ErrorKind::BadNetPath,
            NtStatus::IO_TIMEOUT => ErrorKind::BadNetPath,
            _ => ErrorKind::NetError,
        },
        wnet_smb2::Error::Io(_)
        | wnet_smb2::Error::Timeout { .. }
        | wnet_smb2::Error::Disconnected
        | wnet_smb2::Error::NotSent => ErrorKind::BadNetPath,
        wnet_smb2::Error::Auth(_) => ErrorKind::LogonFailure,
        wnet_smb2::Error::Kerberos(k) => kerberos_kind(k.kind),
        // A fault is the server refusing a call, not a logon failure (MS-RPCE §3.1.1.5.1.1:
        // what Windows' RPC runtime makes of the nca_s_* codes).
        wnet_smb2::Error::RpcFault(status) => match *status {
            NCA_S_FAULT_ACCESS_DENIED => ErrorKind::AccessDenied,
            NCA_S_UNK_IF => ErrorKind::Code(WinError::RPC_S_UNKNOWN_IF),
            NCA_S_OP_RNG_ERROR => ErrorKind::Code(WinError::RPC_S_PROCNUM_OUT_OF_RANGE),
            _ => ErrorKind::Code(WinError::RPC_S_CALL_FAILED),
        },
        wnet_smb2::Error::RpcStatus(werror) => ErrorKind::from_win_error(WinError(*werror)),
        wnet_smb2::Error::InvalidInput(_) => ErrorKind::InvalidParameter,
        wnet_smb2::Error::Protocol(_)
        | wnet_smb2::Error::BadSignature
        | wnet_smb2::Error::HandleLost => ErrorKind::NetError,
    };
    let err = Error::new(kind, format!("{what}: {e}")).set_source(e.clone());
    if e.is_temporary() {
        err.temporary()
    } else {
        err
    }
}

/// Kerberos failures as Windows reports them: no usable ticket is 1244, an unreachable KDC
/// 1311, clock skew 1398, and refusals of a principal or password 1326. The extended error
/// (the mapped error's text) carries the library's own words.
fn kerberos_kind(kind: wnet_smb2::auth::gss::GssErrorKind) -> ErrorKind {
    use wnet_smb2::auth::gss::GssErrorKind as K;
    match kind {
        K::NoCredentials | K::Expired => ErrorKind::NotAuthenticated,
        K::KdcUnreachable => ErrorKind::NoLogonServers,
        K::ClockSkew => ErrorKind::TimeSkew,
        K::ServerPrincipalUnknown | K::ClientPrincipalUnknown | K::BadPassword | K::Other => {
            ErrorKind::LogonFailure
        }
        K::Unavailable => ErrorKind::NetError,
    }
}

/// Maps an engine error to the drive's [`FsError`] (what crosses the drive's seam; the
/// drive turns it into errno in `drive::errno`, and into Disconnected when the connection is
/// lost).
///
/// | engine | kind | connection lost |
/// |---|---|---|
/// | not found, path not found, no such file, delete pending | `NotFound` | |
/// | name collision | `Exists` | |
/// | access denied, privilege not held | `AccessDenied` | |
/// | cannot delete (read-only) | `Refused` | |
/// | Kerberos: no or expired ticket / other | `CredentialsExpired` / `LogonRefused` | |
/// | network name or session deleted or expired ([`NtStatus::is_connection_lost`]) | `Io` | yes |
/// | transport error, dropped connection, request not sent | `Io` | yes |
/// | the request's deadline | `TimedOut` | yes |
/// | the server's I/O timeout status | `TimedOut` | |
/// | protocol, signature, a handle lost with the connection, anything else | `Io` | |
pub fn drive_error(e: &wnet_smb2::Error) -> FsError {
    use FsErrorKind as K;
    let kind = match e {
        wnet_smb2::Error::Status { status, .. } => status_kind(*status),
        wnet_smb2::Error::Timeout { .. } => K::TimedOut,
        wnet_smb2::Error::InvalidInput(_) => K::Invalid,
        wnet_smb2::Error::Kerberos(k) => match k.kind {
            GssErrorKind::Expired | GssErrorKind::NoCredentials => K::CredentialsExpired,
            _ => K::LogonRefused,
        },
        _ => K::Io,
    };
    let lost = match e {
        wnet_smb2::Error::Status { status, .. } => status.is_connection_lost(),
        // Transport errors, deadlines, a dead connection (however the engine names it).
        e => e.is_temporary(),
    };
    let err = FsError::new(kind, e.to_string());
    if lost { err.lost() } else { err }
}

/// Whether `e` means the server is gone (a drive turns Disconnected, a DFS namespace tries
/// the next target), as opposed to an answer about one file.
pub fn is_connection_loss(e: &wnet_smb2::Error) -> bool {
    drive_error(e).connection_lost
}

/// The kind of failure an NT status is, for the drive.
fn status_kind(s: NtStatus) -> FsErrorKind {
    use FsErrorKind as K;
    match s {
        NtStatus::OBJECT_NAME_NOT_FOUND
        | NtStatus::OBJECT_PATH_NOT_FOUND
        | NtStatus::NO_SUCH_FILE
        | NtStatus::NOT_FOUND
        | NtStatus::DELETE_PENDING => K::NotFound,
        NtStatus::OBJECT_NAME_COLLISION | NtStatus::OBJECT_NAME_EXISTS => K::Exists,
        NtStatus::ACCESS_DENIED | NtStatus::PRIVILEGE_NOT_HELD => K::AccessDenied,
        // A read-only file or directory the drive could not make writable first.
        NtStatus::CANNOT_DELETE => K::Refused,
        NtStatus::DIRECTORY_NOT_EMPTY => K::NotEmpty,
        NtStatus::SHARING_VIOLATION => K::Busy,
        NtStatus::LOCK_NOT_GRANTED | NtStatus::FILE_LOCK_CONFLICT => K::LockConflict,
        NtStatus::RANGE_NOT_LOCKED => K::NotLocked,
        NtStatus::NOT_A_DIRECTORY => K::NotADirectory,
        NtStatus::FILE_IS_A_DIRECTORY => K::IsADirectory,
        NtStatus::OBJECT_NAME_INVALID
        | NtStatus::OBJECT_PATH_INVALID
        | NtStatus::INVALID_PARAMETER => K::Invalid,
        NtStatus::DISK_FULL => K::NoSpace,
        NtStatus::NOT_SUPPORTED | NtStatus::INVALID_DEVICE_REQUEST => K::Unsupported,
        NtStatus::IO_TIMEOUT => K::TimedOut,
        NtStatus::NOT_SAME_DEVICE => K::CrossDevice,
        NtStatus::FILE_CLOSED => K::Closed,
        NtStatus::INSUFFICIENT_RESOURCES => K::NoMemory,
        _ => K::Io,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drive::errno::{Errno, from_fs};
    use wnet_smb2::msg::Command;

    fn status(s: NtStatus) -> wnet_smb2::Error {
        wnet_smb2::Error::Status {
            status: s,
            command: Command::SessionSetup,
        }
    }

    #[test]
    fn drive_errors_say_whether_the_server_is_gone_apart_from_their_kind() {
        let d = |e: wnet_smb2::Error| {
            let f = drive_error(&e);
            (f.kind, f.connection_lost)
        };
        // The request's deadline: lost. The server's own I/O timeout: an answer.
        let deadline = wnet_smb2::Error::Timeout {
            what: "read",
            after: std::time::Duration::from_secs(1),
        };
        assert_eq!(d(deadline), (FsErrorKind::TimedOut, true));
        assert_eq!(
            d(status(NtStatus::IO_TIMEOUT)),
            (FsErrorKind::TimedOut, false)
        );
        for s in [
            NtStatus::NETWORK_NAME_DELETED,
            NtStatus::USER_SESSION_DELETED,
            NtStatus::NETWORK_SESSION_EXPIRED,
        ] {
            assert_eq!(d(status(s)), (FsErrorKind::Io, true));
        }
        assert_eq!(d(wnet_smb2::Error::NotSent), (FsErrorKind::Io, true));
        assert_eq!(d(wnet_smb2::Error::HandleLost), (FsErrorKind::Io, false));
        assert_eq!(
            d(status(NtStatus::INSUFFICIENT_RESOURCES)),
            (FsErrorKind::NoMemory, false)
        );
        let expired = drive_error(&wnet_smb2::Error::Kerberos(
            wnet_smb2::auth::gss::GssError {
                kind: GssErrorKind::Expired,
                message: "Ticket expired".into(),
            },
        ));
        assert_eq!(expired.kind, FsErrorKind::CredentialsExpired);
        assert!(expired.is_logon_refused() && !expired.connection_lost);
        assert!(expired.message.contains("Ticket expired"));
    }

    #[test]
    fn statuses_map_to_wnet_codes() {
        assert_eq!(
            core_error(&status(NtStatus::LOGON_FAILURE), "x")
                .win_error()
                .0,
            1326
        );
        assert_eq!(
            core_error(&status(NtStatus::BAD_NETWORK_NAME), "x")
                .win_error()
                .0,
            67
        );
        assert_eq!(
            core_error(&status(NtStatus::ACCESS_DENIED), "x")
                .win_error()
                .0,
            5
        );
        assert_eq!(
            core_error(&status(NtStatus(0xC000_0001)), "x")
                .win_error()
                .0,
            59
        );
        let gone = core_error(&wnet_smb2::Error::Disconnected, "x");
        assert_eq!(gone.win_error().0, 53);
        assert!(gone.is_temporary());
    }

    #[test]
    fn rpc_faults_and_werrors_are_not_logon_failures() {
        let code = |e: wnet_smb2::Error| core_error(&e, "x").win_error().0;
        use wnet_smb2::Error::{RpcFault, RpcStatus};
        assert_eq!(code(RpcFault(NCA_S_FAULT_ACCESS_DENIED)), 5);
        assert_eq!(code(RpcFault(NCA_S_UNK_IF)), 1717);
        assert_eq!(code(RpcFault(NCA_S_OP_RNG_ERROR)), 1745);
        assert_eq!(code(RpcFault(0x1C01_0014)), 1726);
        assert_eq!(code(RpcStatus(5)), 5);
        assert_eq!(code(RpcStatus(124)), 124);
        assert!(!core_error(&RpcFault(0x1C01_0014), "x").is_temporary());
    }

    /// The engine's failures as a program on the drive sees them (through [`drive_error`]
    /// and the drive's one errno mapping).
    fn from_smb(e: &wnet_smb2::Error, read_only_share: bool) -> Errno {
        from_fs(&drive_error(e), read_only_share)
    }

    #[test]
    fn kerberos_failures_are_key_expired_or_access_denied() {
        let k = |kind| {
            wnet_smb2::Error::Kerberos(wnet_smb2::auth::gss::GssError {
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

    fn st(status: NtStatus) -> wnet_smb2::Error {
        wnet_smb2::Error::Status {
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
        assert_eq!(from_smb(&wnet_smb2::Error::Disconnected, false), Errno::EIO);
        let t = wnet_smb2::Error::Timeout {
            what: "read",
            after: std::time::Duration::from_secs(1),
        };
        assert_eq!(from_smb(&t, false), Errno::ETIMEDOUT);
        assert!(is_connection_loss(&t));
        assert!(is_connection_loss(&wnet_smb2::Error::Disconnected));
        assert!(!is_connection_loss(&st(NtStatus::ACCESS_DENIED)));
    }
}
