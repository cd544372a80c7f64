//! `WinError`: the Win32 error codes that the WNet functions return, with their texts.
//!
//! One table holds every code: its `ERROR_*` name, its `WN_*` alias where the SDK has one, the
//! text `FormatMessage` gives, and, for the NET codes (2100–2999), the text `net.exe` prints.

use std::fmt;

/// A Win32 error code as the WNet functions return it (`DWORD`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WinError(pub u32);

/// One row of the code table.
#[derive(Debug, Clone, Copy)]
pub struct ErrorInfo {
    /// The numeric code.
    pub code: u32,
    /// The `ERROR_*` (or `NO_ERROR`) name.
    pub name: &'static str,
    /// The `WN_*` alias of `winnetwk.h`, if there is one.
    pub wn_alias: Option<&'static str>,
    /// The system message text (`FormatMessage`).
    pub text: &'static str,
    /// The NET message text that `net.exe` prints instead, for the codes 2100–2999.
    pub net_text: Option<&'static str>,
}

macro_rules! win_errors {
    ($( $const:ident = $code:literal, $wn:expr, $text:literal, $net:expr; )*) => {
        impl WinError {
            $(
                #[doc = concat!("`", stringify!($const), "` (", stringify!($code), "): ", $text)]
                pub const $const: WinError = WinError($code);
            )*
        }

        /// Every code this crate knows, in ascending order.
        pub static ERROR_TABLE: &[ErrorInfo] = &[
            $( ErrorInfo {
                code: $code,
                name: stringify!($const),
                wn_alias: $wn,
                text: $text,
                net_text: $net,
            }, )*
        ];
    };
}

win_errors! {
    NO_ERROR = 0, Some("WN_SUCCESS"), "The operation completed successfully.", None;
    ERROR_ACCESS_DENIED = 5, Some("WN_ACCESS_DENIED"), "Access is denied.", None;
    ERROR_INVALID_HANDLE = 6, Some("WN_BAD_HANDLE"), "The handle is invalid.", None;
    ERROR_NOT_ENOUGH_MEMORY = 8, Some("WN_OUT_OF_MEMORY"),
        "Not enough memory resources are available to process this command.", None;
    ERROR_GEN_FAILURE = 31, Some("WN_DEVICE_ERROR"),
        "A device attached to the system is not functioning.", None;
    ERROR_NOT_SUPPORTED = 50, Some("WN_NOT_SUPPORTED"), "The request is not supported.", None;
    ERROR_BAD_NETPATH = 53, None, "The network path was not found.", None;
    ERROR_BAD_NET_RESP = 58, None,
        "The specified server cannot perform the requested operation.", None;
    ERROR_UNEXP_NET_ERR = 59, Some("WN_NET_ERROR"), "An unexpected network error occurred.", None;
    ERROR_BAD_DEV_TYPE = 66, Some("WN_BAD_DEV_TYPE"), "The network resource type is not correct.", None;
    ERROR_BAD_NET_NAME = 67, Some("WN_BAD_NETNAME"), "The network name cannot be found.", None;
    ERROR_ALREADY_ASSIGNED = 85, Some("WN_ALREADY_CONNECTED"),
        "The local device name is already in use.", None;
    ERROR_INVALID_PASSWORD = 86, Some("WN_BAD_PASSWORD"),
        "The specified network password is not correct.", None;
    ERROR_INVALID_PARAMETER = 87, Some("WN_BAD_VALUE"), "The parameter is incorrect.", None;
    ERROR_INVALID_LEVEL = 124, Some("WN_BAD_LEVEL"), "The system call level is not correct.", None;
    ERROR_BUSY = 170, Some("WN_FUNCTION_BUSY"), "The requested resource is in use.", None;
    ERROR_MORE_DATA = 234, Some("WN_MORE_DATA"), "More data is available.", None;
    ERROR_NO_MORE_ITEMS = 259, Some("WN_NO_MORE_ENTRIES"), "No more data is available.", None;
    ERROR_INVALID_ADDRESS = 487, Some("WN_BAD_POINTER"), "Attempt to access invalid address.", None;
    ERROR_BAD_DEVICE = 1200, Some("WN_BAD_LOCALNAME"), "The specified device name is invalid.", None;
    ERROR_CONNECTION_UNAVAIL = 1201, Some("WN_CONNECTION_CLOSED"),
        "The device is not currently connected but it is a remembered connection.", None;
    ERROR_DEVICE_ALREADY_REMEMBERED = 1202, Some("WN_DEVICE_ALREADY_REMEMBERED"),
        "The local device name has a remembered connection to another network resource.", None;
    ERROR_NO_NET_OR_BAD_PATH = 1203, Some("WN_NO_NET_OR_BAD_PATH"),
        "The network path was either typed incorrectly, does not exist, or the network provider is not currently available. Please try retyping the path or contact your network administrator.", None;
    ERROR_BAD_PROVIDER = 1204, Some("WN_BAD_PROVIDER"),
        "The specified network provider name is invalid.", None;
    ERROR_CANNOT_OPEN_PROFILE = 1205, Some("WN_CANNOT_OPEN_PROFILE"),
        "Unable to open the network connection profile.", None;
    ERROR_BAD_PROFILE = 1206, Some("WN_BAD_PROFILE"),
        "The network connection profile is corrupted.", None;
    ERROR_NOT_CONTAINER = 1207, Some("WN_NOT_CONTAINER"), "Cannot enumerate a noncontainer.", None;
    ERROR_EXTENDED_ERROR = 1208, Some("WN_EXTENDED_ERROR"), "An extended error has occurred.", None;
    ERROR_SESSION_CREDENTIAL_CONFLICT = 1219, None,
        "Multiple connections to a server or shared resource by the same user, using more than one user name, are not allowed. Disconnect all previous connections to the server or shared resource and try again.", None;
    ERROR_NO_NETWORK = 1222, Some("WN_NO_NETWORK"), "The network is not present or not started.", None;
    ERROR_CANCELLED = 1223, Some("WN_CANCEL"), "The operation was canceled by the user.", None;
    ERROR_RETRY = 1237, Some("WN_RETRY"),
        "The operation could not be completed. A retry should be performed.", None;
    ERROR_NOT_AUTHENTICATED = 1244, Some("WN_NOT_AUTHENTICATED"),
        "The operation being requested was not performed because the user has not been authenticated.", None;
    ERROR_NOT_LOGGED_ON = 1245, Some("WN_NOT_LOGGED_ON"),
        "The operation being requested was not performed because the user has not logged on to the network. The specified service does not exist.", None;
    ERROR_ALREADY_INITIALIZED = 1247, Some("WN_ALREADY_INITIALIZED"),
        "An attempt was made to perform an initialization operation when initialization has already been completed.", None;
    ERROR_NO_MORE_DEVICES = 1248, Some("WN_NO_MORE_DEVICES"), "No more local devices.", None;
    ERROR_NO_LOGON_SERVERS = 1311, Some("WN_NOT_VALIDATED"),
        "There are currently no logon servers available to service the logon request.", None;
    ERROR_LOGON_FAILURE = 1326, None, "The user name or password is incorrect.", None;
    ERROR_TIME_SKEW = 1398, None, "There is a time and/or date difference between the client and server.", None;
    RPC_S_UNKNOWN_IF = 1717, None, "The interface is unknown.", None;
    RPC_S_CALL_FAILED = 1726, None, "The remote procedure call failed.", None;
    RPC_S_PROCNUM_OUT_OF_RANGE = 1745, None, "The procedure number is out of range.", None;
    ERROR_CONNECTED_OTHER_PASSWORD = 2108, Some("WN_CONNECTED_OTHER_PASSWORD"),
        "The network connection was made successfully, but the user had to be prompted for a password other than the one originally specified.",
        Some("The network connection was made successfully, but the user had to be prompted for a password other than the one originally specified.");
    ERROR_CONNECTED_OTHER_PASSWORD_DEFAULT = 2109, Some("WN_CONNECTED_OTHER_PASSWORD_DEFAULT"),
        "The network connection was made successfully using default credentials.",
        Some("The network connection was made successfully using default credentials.");
    ERROR_BAD_USERNAME = 2202, Some("WN_BAD_USER"), "The specified username is invalid.",
        Some("The user name or group name parameter is invalid.");
    ERROR_NOT_CONNECTED = 2250, Some("WN_NOT_CONNECTED"), "This network connection does not exist.",
        Some("The network connection could not be found.");
    ERROR_OPEN_FILES = 2401, Some("WN_OPEN_FILES"),
        "This network connection has files open or requests pending.",
        Some("There are open files on the connection.");
    ERROR_DEVICE_IN_USE = 2404, Some("WN_DEVICE_IN_USE"),
        "The device is in use by an active process and cannot be disconnected.",
        Some("The device is being accessed by an active process.");
}

impl WinError {
    /// The table row of this code, if the code is one this crate knows.
    pub fn info(self) -> Option<&'static ErrorInfo> {
        ERROR_TABLE
            .binary_search_by_key(&self.0, |info| info.code)
            .ok()
            .map(|i| &ERROR_TABLE[i])
    }

    /// The numeric code.
    pub fn code(self) -> u32 {
        self.0
    }

    /// `true` for `NO_ERROR`.
    pub fn is_success(self) -> bool {
        self.0 == 0
    }

    /// The `ERROR_*` name, or `None` for a code this crate does not know.
    pub fn name(self) -> Option<&'static str> {
        self.info().map(|i| i.name)
    }

    /// The system message text (`FormatMessage`), or a generic text for an unknown code.
    pub fn message(self) -> String {
        match self.info() {
            Some(info) => info.text.to_owned(),
            None => format!("Unknown error ({}).", self.0),
        }
    }

    /// `true` for the NET message range (2100–2999) that `net.exe` reports in its own way.
    pub fn is_net_code(self) -> bool {
        (2100..=2999).contains(&self.0)
    }

    /// The text `net.exe` prints for this code: the NET text for 2100–2999, else the system text.
    pub fn net_message(self) -> String {
        match self.info().and_then(|i| i.net_text) {
            Some(text) => text.to_owned(),
            None => self.message(),
        }
    }

    /// The lines `net.exe` prints on standard error for this code, as `wnet use` prints them:
    /// `System error N has occurred.`, a blank line and the text for a Win32 code; the NET text, a
    /// blank line and `More help is available by typing NET HELPMSG N.` for a NET code.
    pub fn net_report(self) -> String {
        if self.is_net_code() {
            format!(
                "{}\n\nMore help is available by typing NET HELPMSG {}.\n",
                self.net_message(),
                self.0
            )
        } else {
            format!(
                "System error {} has occurred.\n\n{}\n",
                self.0,
                self.message()
            )
        }
    }
}

impl fmt::Debug for WinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{name}({})", self.0),
            None => write!(f, "WinError({})", self.0),
        }
    }
}

impl fmt::Display for WinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (error {})", self.message(), self.0)
    }
}

impl From<WinError> for u32 {
    fn from(e: WinError) -> u32 {
        e.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_unique_so_lookup_works() {
        for pair in ERROR_TABLE.windows(2) {
            assert!(
                pair[0].code < pair[1].code,
                "{:?} before {:?}",
                pair[0],
                pair[1]
            );
        }
        for info in ERROR_TABLE {
            assert_eq!(WinError(info.code).info().unwrap().name, info.name);
        }
    }

    #[test]
    fn windows_texts() {
        assert_eq!(
            WinError::ERROR_ALREADY_ASSIGNED.message(),
            "The local device name is already in use."
        );
        assert_eq!(
            WinError::ERROR_BAD_NET_NAME.message(),
            "The network name cannot be found."
        );
        assert_eq!(
            WinError::ERROR_OPEN_FILES.message(),
            "This network connection has files open or requests pending."
        );
        assert_eq!(
            WinError::ERROR_NOT_CONNECTED.net_message(),
            "The network connection could not be found."
        );
    }

    #[test]
    fn net_report_forms() {
        assert_eq!(
            WinError::ERROR_NOT_CONNECTED.net_report(),
            "The network connection could not be found.\n\nMore help is available by typing NET HELPMSG 2250.\n"
        );
        assert_eq!(
            WinError::ERROR_BAD_NET_NAME.net_report(),
            "System error 67 has occurred.\n\nThe network name cannot be found.\n"
        );
    }

    #[test]
    fn net_codes_carry_net_texts_and_others_do_not() {
        for info in ERROR_TABLE {
            assert_eq!(
                info.net_text.is_some(),
                WinError(info.code).is_net_code(),
                "{}",
                info.name
            );
        }
    }

    #[test]
    fn unknown_code_is_reported_not_panicking() {
        let e = WinError(4242);
        assert_eq!(e.name(), None);
        assert_eq!(e.message(), "Unknown error (4242).");
        assert_eq!(format!("{e:?}"), "WinError(4242)");
    }

    #[test]
    fn aliases() {
        let info = WinError::ERROR_INVALID_PARAMETER.info().unwrap();
        assert_eq!(info.wn_alias, Some("WN_BAD_VALUE"));
        assert_eq!(
            WinError::NO_ERROR.info().unwrap().wn_alias,
            Some("WN_SUCCESS")
        );
    }
}
