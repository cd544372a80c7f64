//! NT status codes (MS-ERREF §2.3) as the server sends them.

/// An NTSTATUS value from an SMB2 header.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct NtStatus(pub u32);

macro_rules! statuses {
    ($($name:ident = $v:expr;)*) => {
        impl NtStatus {
            $(
                #[doc = concat!("`STATUS_", stringify!($name), "`.")]
                pub const $name: NtStatus = NtStatus($v);
            )*
            /// The symbolic name, if this is a status we know.
            pub fn name(self) -> Option<&'static str> {
                match self.0 {
                    $($v => Some(concat!("STATUS_", stringify!($name))),)*
                    _ => None,
                }
            }
        }
    };
}

statuses! {
    SUCCESS = 0x0000_0000;
    PENDING = 0x0000_0103;
    NOTIFY_ENUM_DIR = 0x0000_010C;
    BUFFER_OVERFLOW = 0x8000_0005;
    NO_MORE_FILES = 0x8000_0006;
    INVALID_PARAMETER = 0xC000_000D;
    NO_SUCH_FILE = 0xC000_000F;
    END_OF_FILE = 0xC000_0011;
    MORE_PROCESSING_REQUIRED = 0xC000_0016;
    ACCESS_DENIED = 0xC000_0022;
    BUFFER_TOO_SMALL = 0xC000_0023;
    OBJECT_NAME_INVALID = 0xC000_0033;
    OBJECT_NAME_NOT_FOUND = 0xC000_0034;
    OBJECT_NAME_COLLISION = 0xC000_0035;
    OBJECT_PATH_INVALID = 0xC000_0039;
    OBJECT_PATH_NOT_FOUND = 0xC000_003A;
    SHARING_VIOLATION = 0xC000_0043;
    DELETE_PENDING = 0xC000_0056;
    PRIVILEGE_NOT_HELD = 0xC000_0061;
    LOGON_FAILURE = 0xC000_006D;
    ACCOUNT_RESTRICTION = 0xC000_006E;
    PASSWORD_EXPIRED = 0xC000_0071;
    ACCOUNT_DISABLED = 0xC000_0072;
    INSUFFICIENT_RESOURCES = 0xC000_009A;
    FILE_IS_A_DIRECTORY = 0xC000_00BA;
    NOT_SUPPORTED = 0xC000_00BB;
    NETWORK_NAME_DELETED = 0xC000_00C9;
    BAD_NETWORK_NAME = 0xC000_00CC;
    REQUEST_NOT_ACCEPTED = 0xC000_00D0;
    INTERNAL_ERROR = 0xC000_00E5;
    DIRECTORY_NOT_EMPTY = 0xC000_0101;
    NOT_A_DIRECTORY = 0xC000_0103;
    CANCELLED = 0xC000_0120;
    CANNOT_DELETE = 0xC000_0121;
    FILE_CLOSED = 0xC000_0128;
    USER_SESSION_DELETED = 0xC000_0203;
    NETWORK_SESSION_EXPIRED = 0xC000_035C;
    LOCK_NOT_GRANTED = 0xC000_0055;
    RANGE_NOT_LOCKED = 0xC000_007E;
    DISK_FULL = 0xC000_007F;
    FILE_LOCK_CONFLICT = 0xC000_0054;
    IO_TIMEOUT = 0xC000_00B5;
    INVALID_DEVICE_REQUEST = 0xC000_0010;
    NOT_FOUND = 0xC000_0225;
    PATH_NOT_COVERED = 0xC000_0257;
    NOT_SAME_DEVICE = 0xC000_00D4;
    FS_DRIVER_REQUIRED = 0xC000_019C;
    OBJECT_NAME_EXISTS = 0x4000_0000;
}

impl NtStatus {
    /// Severity bits say error (0b11).
    pub fn is_error(self) -> bool {
        self.0 >> 30 == 3
    }

    /// The one home of the "connection lost" statuses: the server forgot the tree or the
    /// session (it restarted, or dropped us), so nothing more can be asked on them until a
    /// reconnect. The engine reconnects on them, the drive turns Disconnected, WNet answers
    /// `ERROR_BAD_NETPATH`, errno is `EIO`.
    pub fn is_connection_lost(self) -> bool {
        matches!(
            self,
            NtStatus::NETWORK_NAME_DELETED
                | NtStatus::USER_SESSION_DELETED
                | NtStatus::NETWORK_SESSION_EXPIRED
        )
    }

    /// The one home of the statuses by which a server refuses a logon for the account's
    /// sake (bad name or password, an account that may not log on now): retrying with the
    /// same credentials cannot help; WNet answers `ERROR_LOGON_FAILURE`.
    pub fn is_logon_refused(self) -> bool {
        matches!(
            self,
            NtStatus::LOGON_FAILURE
                | NtStatus::ACCOUNT_RESTRICTION
                | NtStatus::ACCOUNT_DISABLED
                | NtStatus::PASSWORD_EXPIRED
        )
    }

    /// A session or connection-level status after which a reconnect may help: a lost
    /// connection ([`NtStatus::is_connection_lost`]) or a server too busy to answer.
    pub fn is_temporary(self) -> bool {
        self.is_connection_lost()
            || matches!(
                self,
                NtStatus::INSUFFICIENT_RESOURCES
                    | NtStatus::REQUEST_NOT_ACCEPTED
                    | NtStatus::IO_TIMEOUT
            )
    }
}

impl std::fmt::Debug for NtStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.name() {
            Some(n) => write!(f, "{n} (0x{:08X})", self.0),
            None => write!(f, "NTSTATUS 0x{:08X}", self.0),
        }
    }
}

impl std::fmt::Display for NtStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_lost_and_logon_refused_are_disjoint_sets() {
        for s in [
            NtStatus::NETWORK_NAME_DELETED,
            NtStatus::USER_SESSION_DELETED,
            NtStatus::NETWORK_SESSION_EXPIRED,
        ] {
            assert!(s.is_connection_lost() && s.is_temporary() && !s.is_logon_refused());
        }
        for s in [
            NtStatus::LOGON_FAILURE,
            NtStatus::ACCOUNT_RESTRICTION,
            NtStatus::ACCOUNT_DISABLED,
            NtStatus::PASSWORD_EXPIRED,
        ] {
            assert!(s.is_logon_refused() && !s.is_connection_lost() && !s.is_temporary());
        }
        // Busy, not lost: worth retrying, but the tree and session are still there.
        assert!(NtStatus::IO_TIMEOUT.is_temporary() && !NtStatus::IO_TIMEOUT.is_connection_lost());
        assert!(!NtStatus::ACCESS_DENIED.is_logon_refused());
    }

    #[test]
    fn names_and_severity() {
        assert_eq!(NtStatus(0xC000_006D), NtStatus::LOGON_FAILURE);
        assert_eq!(
            format!("{:?}", NtStatus::LOGON_FAILURE),
            "STATUS_LOGON_FAILURE (0xC000006D)"
        );
        assert!(NtStatus::ACCESS_DENIED.is_error());
        assert!(!NtStatus::PENDING.is_error());
        assert!(!NtStatus::BUFFER_OVERFLOW.is_error());
        assert_eq!(format!("{}", NtStatus(0xC0DE_0001)), "NTSTATUS 0xC0DE0001");
    }
}
