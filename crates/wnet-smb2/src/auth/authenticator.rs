//! The client side of one SESSION_SETUP exchange: NTLMSSP inside SPNEGO.

use super::AuthError;
use super::ntlm::{
    ChallengeMessage, NegotiateFlags, NtlmCredentials, NtlmSessionSecurity, authenticate_message,
    negotiate_message,
};
use super::spnego::{self, NegState};
use crate::crypto::Secret;

/// Drives SPNEGO + NTLMv2 for one SESSION_SETUP exchange.
///
/// Its methods have the shape of the engine's `session::Authenticator`:
///
/// 1. [`step`](Self::step) with the NEGOTIATE response's security buffer
///    (may be empty) → the first SESSION_SETUP token.
/// 2. [`step`](Self::step) with the `MORE_PROCESSING_REQUIRED` response's
///    buffer → the second token (AUTHENTICATE + mechListMIC).
/// 3. [`finish`](Self::finish) with the `SUCCESS` response's buffer: checks
///    the server's mechListMIC.
/// 4. [`session_key`](Self::session_key): the SMB2 session key.
///
/// `Debug` never shows the password or keys.
#[derive(Debug)]
pub struct NtlmAuthenticator {
    creds: NtlmCredentials,
    state: State,
    session_key: Option<Secret<[u8; 16]>>,
    anonymous: bool,
}

#[derive(Debug)]
enum State {
    Start,
    NegotiateSent {
        negotiate: Vec<u8>,
    },
    AuthenticateSent {
        security: Option<Box<NtlmSessionSecurity>>,
    },
    Done,
    Failed,
}

impl NtlmAuthenticator {
    /// A fresh exchange for `creds` ([`NtlmCredentials::anonymous`] for a null session).
    pub fn new(creds: NtlmCredentials) -> Self {
        NtlmAuthenticator {
            creds,
            state: State::Start,
            session_key: None,
            anonymous: false,
        }
    }

    /// The next token to send, given the server's last one.
    ///
    /// First call: the NEGOTIATE response's security buffer. An empty or
    /// unparsable buffer is taken as "no preference"; a valid one that does
    /// not list NTLMSSP fails. Second call: the first SESSION_SETUP
    /// response's buffer (the NTLM challenge).
    ///
    /// # Errors
    /// [`AuthError::MechanismNotSupported`], [`AuthError::Rejected`],
    /// [`AuthError::Malformed`], [`AuthError::Unsupported`],
    /// [`AuthError::Random`]; [`AuthError::InvalidState`] after the second
    /// call. After an error the exchange is dead: start a new one.
    pub fn step(&mut self, server_token: &[u8]) -> Result<Vec<u8>, AuthError> {
        let result = self.step_inner(server_token);
        if result.is_err() {
            self.state = State::Failed;
        }
        result
    }

    fn step_inner(&mut self, server_token: &[u8]) -> Result<Vec<u8>, AuthError> {
        match std::mem::replace(&mut self.state, State::Failed) {
            State::Start => {
                if !server_token.is_empty()
                    && let Ok(init) = spnego::parse_init(server_token)
                    && !init.mech_types.is_empty()
                    && !init.offers_ntlmssp()
                {
                    return Err(AuthError::MechanismNotSupported);
                }
                let negotiate = negotiate_message();
                let token = spnego::init_token(&negotiate);
                self.state = State::NegotiateSent { negotiate };
                Ok(token)
            }
            State::NegotiateSent { negotiate } => {
                let resp = spnego::parse_resp(server_token)?;
                if resp.neg_state == Some(NegState::Reject) {
                    return Err(AuthError::Rejected);
                }
                if resp
                    .supported_mech
                    .as_ref()
                    .is_some_and(|m| !m.is_ntlmssp())
                {
                    return Err(AuthError::MechanismNotSupported);
                }
                let challenge_bytes = resp.response_token.ok_or(AuthError::Malformed(
                    "SPNEGO response without the NTLM challenge",
                ))?;
                let challenge = ChallengeMessage::parse(&challenge_bytes)?;
                let auth = authenticate_message(&challenge, &self.creds, &negotiate)?;

                // Samba requires a mechListMIC when the NTLM MIC is present
                // and signing was negotiated; Windows sends one too.
                let mut security = None;
                let mut mic = None;
                if auth.mic_present && auth.flags.contains(NegotiateFlags::SIGN) {
                    let mut sec = auth.session_security();
                    mic = Some(sec.sign(&spnego::ntlmssp_mech_type_list()));
                    security = Some(Box::new(sec));
                }
                let token = spnego::resp_token(&auth.message, mic.as_ref().map(|m| &m[..]));
                self.anonymous = auth.anonymous;
                self.session_key = Some(auth.session_key);
                self.state = State::AuthenticateSent { security };
                Ok(token)
            }
            State::AuthenticateSent { .. } | State::Done => Err(AuthError::InvalidState(
                "step after the AUTHENTICATE was sent",
            )),
            State::Failed => Err(AuthError::InvalidState("step after a failure")),
        }
    }

    /// Checks the server's token from the final `SUCCESS` response: not a
    /// reject, and its mechListMIC (if any) verifies. An empty token is accepted.
    ///
    /// # Errors
    /// [`AuthError::Rejected`], [`AuthError::BadServerMic`],
    /// [`AuthError::Malformed`]; [`AuthError::InvalidState`] unless called
    /// once, after the second [`step`](Self::step).
    pub fn finish(&mut self, server_token: &[u8]) -> Result<(), AuthError> {
        let State::AuthenticateSent { security } =
            std::mem::replace(&mut self.state, State::Failed)
        else {
            return Err(AuthError::InvalidState(
                "finish before the AUTHENTICATE was sent",
            ));
        };
        if server_token.is_empty() {
            if security.is_some() {
                return Err(AuthError::BadServerMic);
            }
            self.state = State::Done;
            return Ok(());
        }
        let resp = spnego::parse_resp(server_token)?;
        if resp.neg_state == Some(NegState::Reject) {
            return Err(AuthError::Rejected);
        }
        // We sent a mechListMIC: the server must answer with its own, or someone in the
        // middle may have trimmed the mechanism list (MS-SPNG §3.2.5.1).
        if let Some(mut sec) = security {
            let server_mic = resp.mech_list_mic.ok_or(AuthError::BadServerMic)?;
            if !sec.verify(&spnego::ntlmssp_mech_type_list(), &server_mic) {
                return Err(AuthError::BadServerMic);
            }
        }
        self.state = State::Done;
        Ok(())
    }

    /// The SMB2 session key (ExportedSessionKey), once the AUTHENTICATE
    /// message has been built. All zero for anonymous sessions, which cannot sign.
    pub fn session_key(&self) -> Option<&Secret<[u8; 16]>> {
        self.session_key.as_ref()
    }

    /// True if this was an anonymous (null session) authentication.
    pub fn is_anonymous(&self) -> bool {
        self.anonymous
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::der;
    use crate::auth::ntlm::challenge::tests::SPEC_CHALLENGE;
    use crate::crypto::kdf::tests::hex;

    fn challenge_resp() -> Vec<u8> {
        let mut seq = der::tlv(der::context(0), &der::tlv(der::ENUMERATED, &[1]));
        seq.extend_from_slice(&der::tlv(
            der::context(1),
            &der::tlv(der::OID, spnego::Oid::ntlmssp().as_der_content()),
        ));
        seq.extend_from_slice(&der::tlv(
            der::context(2),
            &der::tlv(der::OCTET_STRING, &hex(SPEC_CHALLENGE)),
        ));
        der::tlv(der::context(1), &der::tlv(der::SEQUENCE, &seq))
    }

    fn completed(mic: Option<&[u8]>) -> Vec<u8> {
        let mut seq = der::tlv(der::context(0), &der::tlv(der::ENUMERATED, &[0]));
        if let Some(m) = mic {
            seq.extend_from_slice(&der::tlv(der::context(3), &der::tlv(der::OCTET_STRING, m)));
        }
        der::tlv(der::context(1), &der::tlv(der::SEQUENCE, &seq))
    }

    #[test]
    fn full_exchange_yields_key_and_checks_server_mic() {
        let mut a = NtlmAuthenticator::new(NtlmCredentials::new("User", "Domain", "Password"));
        let t1 = a.step(&[]).unwrap();
        let init = spnego::parse_init(&t1).unwrap();
        assert!(init.offers_ntlmssp());
        assert!(init.mech_token.unwrap().starts_with(b"NTLMSSP\0\x01"));

        let t2 = a.step(&challenge_resp()).unwrap();
        let resp = spnego::parse_resp(&t2).unwrap();
        assert!(resp.response_token.unwrap().starts_with(b"NTLMSSP\0\x03"));
        let client_mic = resp.mech_list_mic.expect("mechListMIC");
        assert_eq!(client_mic.len(), 16);
        assert_eq!(&client_mic[..4], &[1, 0, 0, 0]);
        let key = *a.session_key().unwrap().expose();

        // Play the server: check the client's MIC, then answer with ours.
        let flags = NegotiateFlags(0xe28a8233) & NegotiateFlags::CLIENT;
        let mut server_view = NtlmSessionSecurity::new(&key, flags);
        // The server verifies with the client-to-server keys, i.e. our `sign`.
        assert_eq!(
            server_view.sign(&spnego::ntlmssp_mech_type_list()).to_vec(),
            client_mic
        );
        let server_mic = server_signature(&key, flags);
        assert!(a.finish(&completed(Some(&server_mic))).is_ok());
        assert!(!a.is_anonymous());
        assert!(a.step(&[]).is_err());
    }

    /// The server's mechListMIC: server-to-client keys, sequence 0.
    fn server_signature(key: &[u8; 16], flags: NegotiateFlags) -> [u8; 16] {
        use crate::auth::ntlm::hash::{hmac_md5, md5};
        use rc4::{KeyInit, Rc4, StreamCipher, consts::U16};
        let sign = md5(&[
            key,
            b"session key to server-to-client signing key magic constant\0",
        ]);
        let seal = md5(&[
            key,
            b"session key to server-to-client sealing key magic constant\0",
        ]);
        let mac = hmac_md5(
            &sign,
            &[&0u32.to_le_bytes(), &spnego::ntlmssp_mech_type_list()],
        );
        let mut checksum = [0u8; 8];
        checksum.copy_from_slice(&mac[..8]);
        assert!(flags.contains(NegotiateFlags::KEY_EXCH));
        Rc4::<U16>::new(&seal.into()).apply_keystream(&mut checksum);
        let mut out = [0u8; 16];
        out[0] = 1;
        out[4..12].copy_from_slice(&checksum);
        out
    }

    #[test]
    fn bad_server_mic_is_detected() {
        let mut a = NtlmAuthenticator::new(NtlmCredentials::new("u", "", "p"));
        a.step(&[]).unwrap();
        a.step(&challenge_resp()).unwrap();
        assert_eq!(
            a.finish(&completed(Some(&[1; 16]))),
            Err(AuthError::BadServerMic)
        );
    }

    #[test]
    fn a_missing_server_mic_is_refused_once_we_sent_ours() {
        let mut a = NtlmAuthenticator::new(NtlmCredentials::new("u", "", "p"));
        a.step(&[]).unwrap();
        a.step(&challenge_resp()).unwrap();
        assert_eq!(a.finish(&[]), Err(AuthError::BadServerMic));
        let mut b = NtlmAuthenticator::new(NtlmCredentials::new("u", "", "p"));
        b.step(&[]).unwrap();
        b.step(&challenge_resp()).unwrap();
        assert_eq!(b.finish(&completed(None)), Err(AuthError::BadServerMic));
    }

    #[test]
    fn reject_and_wrong_mechanism_fail() {
        let reject = der::tlv(
            der::context(1),
            &der::tlv(
                der::SEQUENCE,
                &der::tlv(der::context(0), &der::tlv(der::ENUMERATED, &[2])),
            ),
        );
        let mut a = NtlmAuthenticator::new(NtlmCredentials::new("u", "", "p"));
        a.step(&[]).unwrap();
        assert_eq!(a.step(&reject), Err(AuthError::Rejected));
        assert!(matches!(
            a.step(&challenge_resp()),
            Err(AuthError::InvalidState(_))
        ));

        // A NEGOTIATE blob offering only Kerberos.
        let mechs = der::tlv(
            der::OID,
            &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x12, 0x01, 0x02, 0x02],
        );
        let seq = der::tlv(der::context(0), &der::tlv(der::SEQUENCE, &mechs));
        let mut inner = der::tlv(der::OID, spnego::Oid::spnego().as_der_content());
        inner.extend_from_slice(&der::tlv(der::context(0), &der::tlv(der::SEQUENCE, &seq)));
        let blob = der::tlv(der::application(0), &inner);
        let mut b = NtlmAuthenticator::new(NtlmCredentials::new("u", "", "p"));
        assert_eq!(b.step(&blob), Err(AuthError::MechanismNotSupported));
    }

    #[test]
    fn anonymous_sends_no_mech_list_mic() {
        let mut a = NtlmAuthenticator::new(NtlmCredentials::anonymous());
        a.step(&[]).unwrap();
        let t2 = a.step(&challenge_resp()).unwrap();
        assert_eq!(spnego::parse_resp(&t2).unwrap().mech_list_mic, None);
        assert!(a.is_anonymous());
        assert!(a.finish(&completed(None)).is_ok());
    }

    #[test]
    fn garbage_tokens_are_errors_not_panics() {
        for junk in [&b""[..], b"\xA1", b"\xA1\x05\x30\x03\xA2\x01", b"NTLMSSP\0"] {
            let mut a = NtlmAuthenticator::new(NtlmCredentials::new("u", "", "p"));
            a.step(&[]).unwrap();
            assert!(a.step(junk).is_err());
        }
        let mut a = NtlmAuthenticator::new(NtlmCredentials::new("u", "", "p"));
        assert!(a.finish(&[]).is_err(), "finish before step");
    }

    #[test]
    fn debug_hides_secrets() {
        let mut a = NtlmAuthenticator::new(NtlmCredentials::new("u", "", "pa55word"));
        a.step(&[]).unwrap();
        a.step(&challenge_resp()).unwrap();
        let shown = format!("{a:?}");
        assert!(!shown.contains("pa55word"));
        let key = a.session_key().unwrap().expose();
        assert!(!shown.contains(&format!("{key:?}")));
    }
}
