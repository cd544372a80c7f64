//! The one mapping from engine errors to core (WNet) errors.

use wnet_core::{Error, ErrorKind};
use wnet_smb2::NtStatus;

/// Maps an engine error met while doing `what` to the WNet error a caller sees.
///
/// | engine | WNet |
/// |---|---|
/// | logon failure, account restrictions | 1326 `ERROR_LOGON_FAILURE` |
/// | wrong password | 86 `ERROR_INVALID_PASSWORD` |
/// | bad share name | 67 `ERROR_BAD_NET_NAME` |
/// | access denied | 5 `ERROR_ACCESS_DENIED` |
/// | unreachable server, timeout, connection lost | 53 `ERROR_BAD_NETPATH` (temporary) |
/// | anything else | 59 `ERROR_UNEXP_NET_ERR` |
pub fn core_error(e: &wnet_smb2::Error, what: &str) -> Error {
    let kind = match e {
        wnet_smb2::Error::Status { status, .. } => match *status {
            NtStatus::LOGON_FAILURE
            | NtStatus::ACCOUNT_RESTRICTION
            | NtStatus::ACCOUNT_DISABLED
            | NtStatus::PASSWORD_EXPIRED => ErrorKind::LogonFailure,
            NtStatus(0xC000_006A) => ErrorKind::InvalidPassword, // STATUS_WRONG_PASSWORD
            NtStatus::BAD_NETWORK_NAME => ErrorKind::BadNetName,
            NtStatus::ACCESS_DENIED | NtStatus::PRIVILEGE_NOT_HELD => ErrorKind::AccessDenied,
            NtStatus::NETWORK_NAME_DELETED
            | NtStatus::USER_SESSION_DELETED
            | NtStatus::NETWORK_SESSION_EXPIRED
            | NtStatus::IO_TIMEOUT => ErrorKind::BadNetPath,
            _ => ErrorKind::NetError,
        },
        wnet_smb2::Error::Io(_)
        | wnet_smb2::Error::Timeout { .. }
        | wnet_smb2::Error::Disconnected
        | wnet_smb2::Error::NotSent => ErrorKind::BadNetPath,
        wnet_smb2::Error::Auth(_) => ErrorKind::LogonFailure,
        wnet_smb2::Error::Kerberos(k) => kerberos_kind(k.kind),
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

#[cfg(test)]
mod tests {
    use super::*;
    use wnet_smb2::msg::Command;

    fn status(s: NtStatus) -> wnet_smb2::Error {
        wnet_smb2::Error::Status {
            status: s,
            command: Command::SessionSetup,
        }
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
}
