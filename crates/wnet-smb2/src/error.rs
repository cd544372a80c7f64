//! The engine's error: the NT status is kept, and every error says whether retrying (after a
//! reconnect) may help.

use crate::msg::{Command, DecodeError};
use crate::status::NtStatus;
use std::sync::Arc;
use std::time::Duration;

/// An engine error.
#[derive(Debug, Clone)]
pub enum Error {
    /// The server answered a request with an error status.
    Status {
        /// The status.
        status: NtStatus,
        /// The command that failed.
        command: Command,
    },
    /// The transport failed (connect, read, write).
    Io(Arc<std::io::Error>),
    /// No answer within the deadline.
    Timeout {
        /// What was waited for.
        what: &'static str,
        /// The deadline.
        after: Duration,
    },
    /// The connection is gone; the request may or may not have reached the server.
    Disconnected,
    /// The connection was already gone: the request was never sent (safe to retry).
    NotSent,
    /// The server sent something malformed.
    Protocol(DecodeError),
    /// Authentication could not be carried out (bad token, unsupported mechanism).
    Auth(String),
    /// Kerberos failed (no ticket, expired, unknown service principal, clock skew, KDC
    /// unreachable): the system GSSAPI's words, classified.
    Kerberos(crate::auth::gss::GssError),
    /// A response failed signature verification, or was unsigned where signing is required.
    BadSignature,
    /// The caller asked for something impossible (bad path, too-large request).
    InvalidInput(&'static str),
    /// The open handle did not survive a reconnect (not durable, or the server forgot it,
    /// e.g. after a restart). Writes through it may be lost: the caller must be told.
    HandleLost,
    /// A DCE/RPC call was answered with a fault PDU; its status (`nca_s_*` or a Win32 code,
    /// MS-RPCE §2.2.2.11, C706 appendix E).
    RpcFault(u32),
    /// A DCE/RPC call returned a WERROR (a Win32 code, e.g. 5 for access denied).
    RpcStatus(u32),
}

/// The engine's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The NT status if the server gave one.
    pub fn status(&self) -> Option<NtStatus> {
        match self {
            Error::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Whether the server said the path lies in a DFS link it does not hold
    /// (`STATUS_PATH_NOT_COVERED`): the caller asks for a referral and goes to the target.
    pub fn is_path_not_covered(&self) -> bool {
        self.status() == Some(NtStatus::PATH_NOT_COVERED)
    }

    /// Whether a retry after reconnecting may succeed (transport trouble, timeouts, expired
    /// sessions). Permanent errors (access denied, not found, logon failure) say no.
    pub fn is_temporary(&self) -> bool {
        match self {
            Error::Status { status, .. } => status.is_temporary(),
            Error::Io(_) | Error::Timeout { .. } | Error::Disconnected | Error::NotSent => true,
            Error::Protocol(_)
            | Error::Auth(_)
            | Error::Kerberos(_)
            | Error::BadSignature
            | Error::InvalidInput(_)
            | Error::HandleLost
            | Error::RpcFault(_)
            | Error::RpcStatus(_) => false,
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Status { status, command } => write!(f, "{command:?} failed: {status}"),
            Error::Io(e) => write!(f, "transport error: {e}"),
            Error::Timeout { what, after } => write!(f, "{what}: no answer within {after:?}"),
            Error::Disconnected => write!(f, "connection lost"),
            Error::NotSent => write!(f, "connection lost; the request was not sent"),
            Error::Protocol(e) => write!(f, "{e}"),
            Error::Auth(m) => write!(f, "authentication failed: {m}"),
            Error::Kerberos(e) => write!(f, "Kerberos: {e}"),
            Error::BadSignature => write!(f, "response signature missing or invalid"),
            Error::InvalidInput(m) => write!(f, "invalid input: {m}"),
            Error::HandleLost => write!(f, "the open handle was lost with the connection"),
            Error::RpcFault(status) => write!(f, "rpc fault 0x{status:08x}"),
            Error::RpcStatus(werror) => write!(f, "rpc call failed: WERROR {werror}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io(e) => Some(e.as_ref()),
            Error::Protocol(e) => Some(e),
            _ => None,
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Io(Arc::new(e))
    }
}

impl From<DecodeError> for Error {
    fn from(e: DecodeError) -> Self {
        Error::Protocol(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_vs_permanent() {
        let s = |status| Error::Status {
            status,
            command: Command::Create,
        };
        assert!(!s(NtStatus::LOGON_FAILURE).is_temporary());
        assert!(!s(NtStatus::ACCESS_DENIED).is_temporary());
        assert!(s(NtStatus::NETWORK_NAME_DELETED).is_temporary());
        assert!(s(NtStatus::USER_SESSION_DELETED).is_temporary());
        assert!(Error::Disconnected.is_temporary());
        assert!(!Error::BadSignature.is_temporary());
        assert_eq!(
            s(NtStatus::ACCESS_DENIED).status(),
            Some(NtStatus::ACCESS_DENIED)
        );
        assert_eq!(
            s(NtStatus::BAD_NETWORK_NAME).to_string(),
            "Create failed: STATUS_BAD_NETWORK_NAME (0xC00000CC)"
        );
    }
}
