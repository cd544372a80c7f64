//! NTLMv2 client (MS-NLMP) for connection-oriented use under SPNEGO.
//!
//! ```text
//! negotiate_message()                       -> NEGOTIATE_MESSAGE bytes
//! ChallengeMessage::parse(server bytes)     -> flags, server challenge, target info
//! authenticate_message(&challenge, &creds, &negotiate)
//!                                           -> AUTHENTICATE_MESSAGE bytes + session key
//! ```
//!
//! The session key returned is the ExportedSessionKey: with KEY_EXCH (always
//! asked for) a random key sent RC4-encrypted under the SessionBaseKey. SMB2
//! uses it as `Session.SessionKey`.
//!
//! # Layout
//! - [`NegotiateFlags`] (`flags.rs`): the flag word and the set this client asks for.
//! - [`AvPairs`] (`av_pair.rs`): the TargetInfo AV_PAIR list.
//! - [`negotiate_message`] (`negotiate.rs`), [`ChallengeMessage`]
//!   (`challenge.rs`), [`authenticate_message`] (`authenticate.rs`): the three messages.
//! - `hash.rs`: NT hash, NTOWFv2, the NTLMv2 response ([`ntlmv2_response`]).
//! - [`NtlmSessionSecurity`] (`session_security.rs`): NTLMSSP signatures (mechListMIC).

mod authenticate;
pub(crate) mod av_pair;
pub(crate) mod challenge;
mod flags;
pub(crate) mod hash;
mod negotiate;
mod session_security;

pub use authenticate::{
    AuthenticateParams, NtlmAuthenticate, authenticate_message, authenticate_message_with,
};
pub use av_pair::{
    AV_FLAG_MIC_PRESENT, AvPair, AvPairs, MSV_AV_CHANNEL_BINDINGS, MSV_AV_DNS_COMPUTER_NAME,
    MSV_AV_DNS_DOMAIN_NAME, MSV_AV_EOL, MSV_AV_FLAGS, MSV_AV_NB_COMPUTER_NAME,
    MSV_AV_NB_DOMAIN_NAME, MSV_AV_TARGET_NAME, MSV_AV_TIMESTAMP,
};
pub use challenge::ChallengeMessage;
pub use flags::NegotiateFlags;
pub use hash::{Ntlmv2Response, nt_hash, ntlmv2_response, ntowfv2};
pub use negotiate::negotiate_message;
pub use session_security::NtlmSessionSecurity;

use crate::crypto::Secret;

/// Who to authenticate as.
///
/// `Debug` shows user and domain but never the password.
#[derive(Clone, Debug)]
pub struct NtlmCredentials {
    /// The account name (case-insensitive for NTLMv2).
    pub user: String,
    /// The account's domain; empty lets the server use its own.
    pub domain: String,
    /// The password.
    pub password: Secret<String>,
}

impl NtlmCredentials {
    /// Credentials for `domain\user`.
    pub fn new(
        user: impl Into<String>,
        domain: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        NtlmCredentials {
            user: user.into(),
            domain: domain.into(),
            password: Secret::new(password.into()),
        }
    }

    /// The anonymous (null session) identity: empty user and password.
    pub fn anonymous() -> Self {
        NtlmCredentials::new("", "", "")
    }

    /// True for the anonymous identity (empty user and password).
    pub fn is_anonymous(&self) -> bool {
        self.user.is_empty() && self.password.expose().is_empty()
    }
}

/// The NTLMSSP signature, `"NTLMSSP\0"`.
pub(crate) const SIGNATURE: &[u8; 8] = b"NTLMSSP\0";

/// The Version field this client sends: 6.1, build 0, NTLM revision 15 (as Samba does).
pub(crate) const CLIENT_VERSION: [u8; 8] = [6, 1, 0, 0, 0, 0, 0, 0x0F];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_debug_hides_the_password() {
        let c = NtlmCredentials::new("alice", "WORKGROUP", "s3cr3t-pw");
        let shown = format!("{c:?}");
        assert!(shown.contains("alice"));
        assert!(!shown.contains("s3cr3t-pw"));
        assert!(!c.is_anonymous());
        assert!(NtlmCredentials::anonymous().is_anonymous());
    }
}
