//! The operating system's random number generator.

use super::CryptoError;

/// Fills `buf` from the OS CSPRNG (client challenges, session keys, nonces).
pub(crate) fn fill_random(buf: &mut [u8]) -> Result<(), CryptoError> {
    getrandom::fill(buf).map_err(|_| CryptoError::Random)
}
