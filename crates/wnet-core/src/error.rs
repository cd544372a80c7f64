//! The core error type: a kind, a permanent/temporary status, context and a source.
//!
//! Errors from providers and the profile are expressed as an [`ErrorKind`]; the one mapping to
//! a Win32 code is [`ErrorKind::win_error`]. Context is added once, by the router.

use std::fmt;

use crate::WinError;

macro_rules! error_kinds {
    ($( $(#[$doc:meta])* $kind:ident => $code:ident, )*) => {
        /// What went wrong, in WNet terms. Each kind maps to exactly one Win32 code
        /// ([`ErrorKind::win_error`]), except [`ErrorKind::Code`], which carries one as is.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorKind {
            $( $(#[$doc])* $kind, )*
            /// Any other Win32 code, carried as is.
            Code(WinError),
        }

        impl ErrorKind {
            /// The one mapping from core errors to Win32 codes.
            pub fn win_error(self) -> WinError {
                match self {
                    $( ErrorKind::$kind => WinError::$code, )*
                    ErrorKind::Code(code) => code,
                }
            }

            /// The kind for a Win32 code: the named kind where there is one, else
            /// [`ErrorKind::Code`].
            pub fn from_win_error(code: WinError) -> ErrorKind {
                $( if code == WinError::$code {
                    return ErrorKind::$kind;
                } )*
                ErrorKind::Code(code)
            }
        }
    };
}

error_kinds! {
    /// The caller may not do this (5).
    AccessDenied => ERROR_ACCESS_DENIED,
    /// A handle (enumeration) is not valid (6).
    InvalidHandle => ERROR_INVALID_HANDLE,
    /// Out of memory (8).
    OutOfMemory => ERROR_NOT_ENOUGH_MEMORY,
    /// The operation is not supported by the provider (50).
    NotSupported => ERROR_NOT_SUPPORTED,
    /// The network path (server) was not found (53).
    BadNetPath => ERROR_BAD_NETPATH,
    /// An unexpected network error occurred (59).
    NetError => ERROR_UNEXP_NET_ERR,
    /// The resource type is wrong for this request (66).
    BadDevType => ERROR_BAD_DEV_TYPE,
    /// The network name (share) cannot be found, or the name is malformed (67).
    BadNetName => ERROR_BAD_NET_NAME,
    /// The local device is already redirected (85).
    AlreadyAssigned => ERROR_ALREADY_ASSIGNED,
    /// The password is not correct (86).
    InvalidPassword => ERROR_INVALID_PASSWORD,
    /// A parameter is not valid (87).
    InvalidParameter => ERROR_INVALID_PARAMETER,
    /// The information level is not valid (124).
    InvalidLevel => ERROR_INVALID_LEVEL,
    /// The resource is busy (170).
    Busy => ERROR_BUSY,
    /// The caller's buffer is too small (234).
    MoreData => ERROR_MORE_DATA,
    /// An enumeration has no more items (259).
    NoMoreItems => ERROR_NO_MORE_ITEMS,
    /// A pointer argument is not valid (487).
    InvalidAddress => ERROR_INVALID_ADDRESS,
    /// The local device name is not valid (1200).
    BadDevice => ERROR_BAD_DEVICE,
    /// The device is remembered but not connected (1201).
    ConnectionUnavailable => ERROR_CONNECTION_UNAVAIL,
    /// The device is remembered for another remote resource (1202).
    DeviceAlreadyRemembered => ERROR_DEVICE_ALREADY_REMEMBERED,
    /// No provider accepted the path (1203).
    NoNetOrBadPath => ERROR_NO_NET_OR_BAD_PATH,
    /// The provider name is unknown (1204).
    BadProvider => ERROR_BAD_PROVIDER,
    /// The profile cannot be opened (1205).
    CannotOpenProfile => ERROR_CANNOT_OPEN_PROFILE,
    /// The profile is damaged (1206).
    BadProfile => ERROR_BAD_PROFILE,
    /// The resource is not a container (1207).
    NotContainer => ERROR_NOT_CONTAINER,
    /// An extended error is available through `WNetGetLastError` (1208).
    ExtendedError => ERROR_EXTENDED_ERROR,
    /// Another user name is already connected to this server (1219).
    SessionCredentialConflict => ERROR_SESSION_CREDENTIAL_CONFLICT,
    /// No network / no provider is available (1222).
    NoNetwork => ERROR_NO_NETWORK,
    /// The operation was cancelled (1223).
    Cancelled => ERROR_CANCELLED,
    /// The operation should be retried (1237).
    Retry => ERROR_RETRY,
    /// The user name or password is incorrect (1326).
    LogonFailure => ERROR_LOGON_FAILURE,
    /// The user has not been authenticated: no usable Kerberos ticket (1244).
    NotAuthenticated => ERROR_NOT_AUTHENTICATED,
    /// No logon server (Kerberos KDC) could be reached (1311).
    NoLogonServers => ERROR_NO_LOGON_SERVERS,
    /// The clocks of client and server (or KDC) differ too much (1398).
    TimeSkew => ERROR_TIME_SKEW,
    /// The user name is not valid (2202).
    BadUsername => ERROR_BAD_USERNAME,
    /// The device or remote name is not connected (2250).
    NotConnected => ERROR_NOT_CONNECTED,
    /// The connection has open files (2401).
    OpenFiles => ERROR_OPEN_FILES,
    /// A process uses the device (2404).
    DeviceInUse => ERROR_DEVICE_IN_USE,
}

/// The context key under which a refusal (2401 open files, 2404 device in use) names who holds
/// the drive: one entry per holder, `"<path>  (pid N, name)"`. See [`Error::holders`].
pub const HOLDER: &str = "holder";

/// The context key of what the user must be told beyond the code itself, because it is about
/// their safety (e.g. why the client refused to trust the daemon's socket). Tools print it with
/// the error.
pub const WARNING: &str = "warning";

/// Whether retrying the same operation later may succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorStatus {
    /// Retrying will not help (bad name, access denied, ...).
    Permanent,
    /// The condition may pass (server unreachable, connection dropped, busy).
    Temporary,
}

/// The error of every core operation.
pub struct Error {
    kind: ErrorKind,
    status: ErrorStatus,
    authoritative: bool,
    message: String,
    context: Vec<(&'static str, String)>,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

/// The result of every core operation.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A permanent error of this kind with a message saying what failed.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            status: ErrorStatus::Permanent,
            authoritative: false,
            message: message.into(),
            context: Vec::new(),
            source: None,
        }
    }

    /// A permanent error of this kind with the kind's Windows text as its message.
    pub fn from_kind(kind: ErrorKind) -> Self {
        Error::new(kind, kind.win_error().message())
    }

    /// Marks the error temporary: a later retry may succeed.
    pub fn temporary(mut self) -> Self {
        self.status = ErrorStatus::Temporary;
        self
    }

    /// Marks the error as the answer of the provider that owns the name: its server answered
    /// at the endpoint the name names (an explicit `@port`), in its protocol, so no other
    /// provider can reach another server there. The router returns such an answer at once,
    /// even a "not mine" code (67 from an SMB server that has no such share), instead of
    /// asking the next provider (ADR 0018).
    pub fn authoritative(mut self) -> Self {
        self.authoritative = true;
        self
    }

    /// `true` for an [`Error::authoritative`] answer.
    pub fn is_authoritative(&self) -> bool {
        self.authoritative
    }

    /// Adds a key/value of context (the router adds the operation and the provider).
    pub fn with_context(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.context.push((key, value.into()));
        self
    }

    /// Sets the underlying cause.
    pub fn set_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// The kind of error.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Permanent or temporary.
    pub fn status(&self) -> ErrorStatus {
        self.status
    }

    /// `true` if a later retry may succeed.
    pub fn is_temporary(&self) -> bool {
        self.status == ErrorStatus::Temporary
    }

    /// The Win32 code of this error.
    pub fn win_error(&self) -> WinError {
        self.kind.win_error()
    }

    /// The message saying what failed (without context).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Who holds the drive, for a 2401/2404 refusal: the [`HOLDER`] context entries.
    pub fn holders(&self) -> impl Iterator<Item = &str> {
        self.context
            .iter()
            .filter(|(k, _)| *k == HOLDER)
            .map(|(_, v)| v.as_str())
    }

    /// The context entries, in the order they were added.
    pub fn context(&self) -> &[(&'static str, String)] {
        &self.context
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Self {
        Error::from_kind(kind)
    }
}

impl From<WinError> for Error {
    fn from(code: WinError) -> Self {
        Error::from_kind(ErrorKind::from_win_error(code))
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.kind)
            .field("code", &self.win_error().0)
            .field("status", &self.status)
            .field("message", &self.message);
        if !self.context.is_empty() {
            d.field("context", &self.context);
        }
        if let Some(source) = &self.source {
            d.field("source", source);
        }
        d.finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (error {}", self.message, self.win_error().0)?;
        if self.is_temporary() {
            f.write_str(", temporary")?;
        }
        f.write_str(")")?;
        // Holders are listed by whoever reports the error (`Error::holders`), not in the text.
        for (key, value) in self.context.iter().filter(|(k, _)| *k != HOLDER) {
            write!(f, ", {key}: {value}")?;
        }
        if let Some(source) = &self.source {
            write!(f, ": {source}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|s| s.as_ref() as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_maps_to_code_and_back() {
        for code in [5, 53, 67, 85, 87, 1200, 1206, 2250, 2401, 2404] {
            let kind = ErrorKind::from_win_error(WinError(code));
            assert!(
                !matches!(kind, ErrorKind::Code(_)),
                "{code} has a named kind"
            );
            assert_eq!(kind.win_error(), WinError(code));
        }
        assert_eq!(
            ErrorKind::from_win_error(WinError(4242)),
            ErrorKind::Code(WinError(4242))
        );
    }

    #[test]
    fn display_carries_context_status_and_source() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        let e = Error::new(ErrorKind::BadNetPath, "server did not answer")
            .temporary()
            .with_context("operation", "add_connection")
            .with_context("provider", "SMB")
            .set_source(io);
        assert_eq!(
            e.to_string(),
            "server did not answer (error 53, temporary), operation: add_connection, provider: SMB: refused"
        );
        assert!(e.is_temporary());
        assert_eq!(e.win_error(), WinError::ERROR_BAD_NETPATH);
        assert!(std::error::Error::source(&e).is_some());
    }
}
