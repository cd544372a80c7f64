//! SMB2/3 message security: key derivation, signing and encryption.
//!
//! Pure functions over byte slices; no I/O and no connection state. The engine
//! keeps the keys (in [`Secret`]s) and calls these per message.
//!
//! # Layout
//! - [`kdf`]: the SP800-108 counter-mode KDF and the per-dialect session keys
//!   (signing, encryption, decryption, application).
//! - [`preauth`]: the SMB 3.1.1 SHA-512 pre-authentication integrity hash chain.
//! - [`signing`]: HMAC-SHA256 / AES-CMAC / AES-GMAC signatures of one SMB2 message
//!   (AES-GMAC's GHASH in `gmac`, with carry-less multiply where the CPU has it).
//! - [`encryption`]: the SMB2 TRANSFORM_HEADER with AES-CCM / AES-GCM.
//! - [`Secret`]: a wrapper that keeps keys and passwords out of `Debug` output.
//! - [`CryptoError`]: every failure of this module.

pub mod encryption;
mod error;
mod gmac;
pub mod kdf;
pub mod preauth;
mod random;
mod secret;
pub mod signing;

pub use error::CryptoError;
pub(crate) use random::fill_random;
pub use secret::{Secret, Wipe, wipe_bytes};
