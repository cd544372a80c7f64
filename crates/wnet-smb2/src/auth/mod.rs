//! Authentication for SMB2 SESSION_SETUP: NTLMv2 inside SPNEGO.
//!
//! Pure code, no I/O: the engine moves the tokens. Most callers need only
//! [`NtlmAuthenticator`]; the pieces are public for tests and diagnostics.
//!
//! # Layout
//! - [`NtlmAuthenticator`]: the client side of one SESSION_SETUP exchange
//!   (SPNEGO + NTLMSSP), yielding the session key.
//! - [`ntlm`]: NTLMv2 (MS-NLMP): messages, NTOWFv2/NTProofStr, key exchange,
//!   MIC, and the NTLMSSP signatures used for the SPNEGO mechListMIC.
//! - [`gss`]: the system's GSSAPI (MIT krb5), loaded at run time, for Kerberos.
//! - [`kerberos`]: Kerberos inside SPNEGO for one SESSION_SETUP exchange.
//! - [`spnego`]: the SPNEGO DER tokens (RFC 4178, MS-SPNG).
//! - `der`: the strict, bounds-checked DER reader/writer under [`spnego`].
//! - [`AuthError`]: every failure of this module.

mod authenticator;
mod der;
mod error;
pub mod gss;
pub mod kerberos;
pub mod ntlm;
pub mod spnego;

pub use authenticator::NtlmAuthenticator;
pub use error::AuthError;
