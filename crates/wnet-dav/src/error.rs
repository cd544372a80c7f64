//! The client's errors: one enum, each variant a distinct thing a caller may act on.

use std::fmt;

/// What went wrong talking to a WebDAV server.
#[derive(Debug)]
pub enum Error {
    /// The server answered with this HTTP status (after authentication and redirects were
    /// handled): 404, 403, 409, 412, 423, 507, 5xx, …
    Status(u16, String),
    /// Authentication failed: the server refused the credentials (a second 401).
    Unauthorized,
    /// The server offered only Basic authentication over plain `http://`, and the client is not
    /// allowed to send a password in the clear (Windows' `BasicAuthLevel` default).
    BasicOverHttp,
    /// More redirects than allowed, or one to another server.
    Redirect(String),
    /// A response broke HTTP or WebDAV grammar or a bound.
    Protocol(String),
    /// A body larger than the limit: (its size, the limit).
    TooLarge(u64, u64),
    /// The connection ended before a response began.
    Closed,
    /// No answer within the deadline.
    Timeout,
    /// TLS setup or verification failed.
    Tls(String),
    /// A socket error.
    Io(std::io::Error),
}

impl Error {
    /// The HTTP status, when the server answered with one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Status(s, _) => Some(*s),
            _ => None,
        }
    }

    /// True for errors that say the server could not be reached or stopped answering (as
    /// opposed to an answer the server gave).
    pub fn is_unreachable(&self) -> bool {
        matches!(self, Error::Io(_) | Error::Timeout | Error::Closed)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Status(s, reason) => write!(f, "the server answered {s} {reason}"),
            Error::Unauthorized => f.write_str("the server refused the user name or password"),
            Error::BasicOverHttp => f.write_str(
                "the server asks for Basic authentication over plain http; \
                 use https, or allow Basic over http explicitly",
            ),
            Error::Redirect(why) => write!(f, "redirect refused: {why}"),
            Error::Protocol(why) => write!(f, "malformed response: {why}"),
            Error::TooLarge(size, limit) => {
                write!(
                    f,
                    "response body of {size} bytes exceeds the limit of {limit}"
                )
            }
            Error::Closed => f.write_str("the server closed the connection"),
            Error::Timeout => f.write_str("the server did not answer in time"),
            Error::Tls(why) => write!(f, "TLS: {why}"),
            Error::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            Error::Protocol("the response ended early".into())
        } else {
            Error::Io(e)
        }
    }
}

/// The client's result.
pub type Result<T> = std::result::Result<T, Error>;
