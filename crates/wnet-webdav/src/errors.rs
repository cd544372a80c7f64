//! The one mapping of the WebDAV client's errors to core errors (the DAV counterpart of
//! `wnet-smb/src/errors.rs`).

use wnet_core::{Error, ErrorKind, WinError};

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
