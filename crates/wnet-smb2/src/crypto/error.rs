//! The error type of [`crate::crypto`].

use std::fmt;

/// Why a signing, key-derivation, encryption or decryption call failed.
///
/// All of these are permanent for the message at hand: retrying with the same
/// input gives the same answer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CryptoError {
    /// A key had the wrong length for the algorithm.
    InvalidKeyLength {
        /// Bytes the algorithm needs.
        expected: usize,
        /// Bytes that were given.
        got: usize,
    },
    /// A message was shorter than its fixed header.
    MessageTooShort {
        /// Bytes needed at least.
        needed: usize,
        /// Bytes that were given.
        got: usize,
    },
    /// A TRANSFORM_HEADER was malformed (the text says which field).
    BadTransformHeader(&'static str),
    /// Authenticated decryption failed: wrong key, or the message was altered.
    DecryptFailed,
    /// The message was too large for the transform header's 32-bit size field.
    MessageTooLarge,
    /// The operating system's random number generator failed.
    Random,
}

impl fmt::Display for CryptoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CryptoError::InvalidKeyLength { expected, got } => {
                write!(f, "key of {got} bytes where {expected} are needed")
            }
            CryptoError::MessageTooShort { needed, got } => {
                write!(f, "message of {got} bytes, shorter than {needed}")
            }
            CryptoError::BadTransformHeader(what) => write!(f, "bad SMB2 transform header: {what}"),
            CryptoError::DecryptFailed => {
                f.write_str("SMB2 decryption failed (bad key or altered message)")
            }
            CryptoError::MessageTooLarge => f.write_str("message too large to encrypt"),
            CryptoError::Random => f.write_str("the OS random number generator failed"),
        }
    }
}

impl std::error::Error for CryptoError {}
