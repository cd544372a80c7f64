//! The error type of [`crate::auth`].

use std::fmt;

/// Why building or reading an authentication token failed.
///
/// Every variant is permanent for the session setup at hand: the engine
/// should abandon this SESSION_SETUP exchange (a new attempt starts over).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthError {
    /// A token from the server was truncated or malformed (the text says where).
    Malformed(&'static str),
    /// The server rejected the authentication (SPNEGO negState `reject`).
    Rejected,
    /// The server does not offer or did not select NTLMSSP.
    MechanismNotSupported,
    /// The server asked for something this client does not implement
    /// (e.g. OEM strings instead of Unicode).
    Unsupported(&'static str),
    /// The server's SPNEGO mechListMIC did not verify: the negotiation may
    /// have been tampered with.
    BadServerMic,
    /// A call came in the wrong order (the text says which).
    InvalidState(&'static str),
    /// The operating system's random number generator failed.
    Random,
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthError::Malformed(what) => write!(f, "malformed authentication token: {what}"),
            AuthError::Rejected => f.write_str("the server rejected the authentication"),
            AuthError::MechanismNotSupported => f.write_str("the server does not offer NTLMSSP"),
            AuthError::Unsupported(what) => write!(f, "unsupported by this client: {what}"),
            AuthError::BadServerMic => {
                f.write_str("the server's SPNEGO mechListMIC did not verify")
            }
            AuthError::InvalidState(what) => write!(f, "authentication step out of order: {what}"),
            AuthError::Random => f.write_str("the OS random number generator failed"),
        }
    }
}

impl std::error::Error for AuthError {}

impl From<crate::crypto::CryptoError> for AuthError {
    fn from(_: crate::crypto::CryptoError) -> Self {
        // The only crypto failure auth can meet is the RNG.
        AuthError::Random
    }
}
