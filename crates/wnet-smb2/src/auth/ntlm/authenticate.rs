//! The AUTHENTICATE_MESSAGE (MS-NLMP 2.2.1.3, 3.1.5.1.2).

use std::time::{SystemTime, UNIX_EPOCH};

use super::super::AuthError;
use super::hash::{hmac_md5, ntlmv2_response, ntowfv2, rc4, utf16le};
use super::{
    AV_FLAG_MIC_PRESENT, CLIENT_VERSION, ChallengeMessage, MSV_AV_FLAGS, NegotiateFlags,
    NtlmCredentials, NtlmSessionSecurity, SIGNATURE,
};
use crate::crypto::{Secret, fill_random};

/// Fixed part: header and field descriptors (64), Version (8), MIC (16).
const HEADER_LEN: usize = 88;
/// Offset of the MIC field.
const MIC_OFFSET: usize = 72;
/// Seconds from 1601-01-01 (FILETIME epoch) to 1970-01-01.
const FILETIME_UNIX_OFFSET: u64 = 11_644_473_600;

/// The per-authentication random and time inputs; tests fix them.
#[derive(Clone)]
pub struct AuthenticateParams {
    /// The FILETIME for the client blob when the server sent no
    /// `MsvAvTimestamp` (None: now).
    pub timestamp: Option<u64>,
    /// The 8-byte client challenge.
    pub client_challenge: [u8; 8],
    /// The random session key sent under KEY_EXCH (becomes the SMB session key).
    pub exported_session_key: [u8; 16],
}

impl std::fmt::Debug for AuthenticateParams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthenticateParams")
            .field("timestamp", &self.timestamp)
            .field("client_challenge", &self.client_challenge)
            .field("exported_session_key", &"<redacted>")
            .finish()
    }
}

impl AuthenticateParams {
    /// Fresh random client challenge and session key, the current time.
    ///
    /// # Errors
    /// [`AuthError::Random`] if the OS RNG fails.
    pub fn random() -> Result<Self, AuthError> {
        let mut client_challenge = [0u8; 8];
        let mut exported_session_key = [0u8; 16];
        fill_random(&mut client_challenge)?;
        fill_random(&mut exported_session_key)?;
        Ok(AuthenticateParams {
            timestamp: None,
            client_challenge,
            exported_session_key,
        })
    }
}

/// An AUTHENTICATE_MESSAGE and what the client keeps from it.
#[derive(Debug)]
pub struct NtlmAuthenticate {
    /// The message bytes (the SPNEGO responseToken of the second SESSION_SETUP).
    pub message: Vec<u8>,
    /// The ExportedSessionKey: SMB2's `Session.SessionKey` (all zero for anonymous).
    pub session_key: Secret<[u8; 16]>,
    /// The flags sent in the message (what the server agreed to, as this
    /// client uses them).
    pub flags: NegotiateFlags,
    /// True if the message carries a MIC (then SPNEGO needs a mechListMIC
    /// whenever SIGN was negotiated).
    pub mic_present: bool,
    /// True for an anonymous authentication (no signing possible).
    pub anonymous: bool,
}

impl NtlmAuthenticate {
    /// The NTLMSSP signing state for the SPNEGO mechListMIC.
    pub fn session_security(&self) -> NtlmSessionSecurity {
        NtlmSessionSecurity::new(self.session_key.expose(), self.flags)
    }
}

/// Builds the AUTHENTICATE_MESSAGE for `challenge` with fresh random inputs.
/// `negotiate` is the NEGOTIATE_MESSAGE exactly as sent (the MIC covers it).
///
/// # Errors
/// [`AuthError::Random`] if the OS RNG fails; see [`authenticate_message_with`].
pub fn authenticate_message(
    challenge: &ChallengeMessage,
    creds: &NtlmCredentials,
    negotiate: &[u8],
) -> Result<NtlmAuthenticate, AuthError> {
    authenticate_message_with(challenge, creds, negotiate, &AuthenticateParams::random()?)
}

/// [`authenticate_message`] with caller-chosen time and random inputs.
///
/// NTLMv2 with:
/// - the client blob's timestamp taken from the server's `MsvAvTimestamp`
///   when present (then the LMv2 response is zeroed, as MS-NLMP requires),
///   else from `params`;
/// - the server's target info with `MsvAvFlags` MIC-present added, and a
///   MIC over NEGOTIATE | CHALLENGE | AUTHENTICATE keyed with the exported
///   session key (both only when extended session security was negotiated);
/// - KEY_EXCH when negotiated: `params.exported_session_key` sent
///   RC4-encrypted under the session base key.
///
/// Anonymous credentials give the null session form: empty NT response, a
/// one-byte LM response, the ANONYMOUS flag, no KEY_EXCH and no MIC.
///
/// # Errors
/// [`AuthError::Unsupported`] if the server did not negotiate NTLM at all, or
/// if a field would exceed the 64 KiB a field descriptor can express.
pub fn authenticate_message_with(
    challenge: &ChallengeMessage,
    creds: &NtlmCredentials,
    negotiate: &[u8],
    params: &AuthenticateParams,
) -> Result<NtlmAuthenticate, AuthError> {
    let mut flags = challenge.flags & NegotiateFlags::CLIENT;
    if !flags.contains(NegotiateFlags::NTLM)
        && !flags.contains(NegotiateFlags::EXTENDED_SESSIONSECURITY)
    {
        return Err(AuthError::Unsupported(
            "server negotiated neither NTLM nor extended session security",
        ));
    }

    if creds.is_anonymous() {
        flags = (flags & !NegotiateFlags::KEY_EXCH) | NegotiateFlags::ANONYMOUS;
        let message = build(flags, &[0], &[], "", "", &[])?;
        return Ok(NtlmAuthenticate {
            message,
            session_key: Secret::new([0; 16]),
            flags,
            mic_present: false,
            anonymous: true,
        });
    }

    let ess = flags.contains(NegotiateFlags::EXTENDED_SESSIONSECURITY);
    let server_time = challenge.timestamp();
    let timestamp = server_time
        .or(params.timestamp)
        .unwrap_or_else(filetime_now);
    let mut target_info = challenge.target_info.clone();
    let mic_present = ess;
    if mic_present {
        let av_flags = target_info.flags().unwrap_or(0) | AV_FLAG_MIC_PRESENT;
        target_info.set(MSV_AV_FLAGS, av_flags.to_le_bytes().to_vec());
    }

    let ntowf = ntowfv2(creds.password.expose(), &creds.user, &creds.domain);
    let resp = ntlmv2_response(
        &ntowf,
        &challenge.server_challenge,
        &params.client_challenge,
        timestamp,
        &target_info.to_bytes(),
    );
    // MS-NLMP 3.1.5.1.2: with a server timestamp the LMv2 response is Z(24).
    let lm: [u8; 24] = if server_time.is_some() {
        [0; 24]
    } else {
        resp.lm_response
    };

    let key_exchange_key = resp.session_base_key;
    let (exported, encrypted_key) = if flags.contains(NegotiateFlags::KEY_EXCH) {
        let mut enc = params.exported_session_key;
        rc4(&key_exchange_key, &mut enc);
        (params.exported_session_key, enc.to_vec())
    } else {
        (key_exchange_key, Vec::new())
    };

    let mut message = build(
        flags,
        &lm,
        &resp.nt_response,
        &creds.domain,
        &creds.user,
        &encrypted_key,
    )?;
    if mic_present {
        let mic = hmac_md5(&exported, &[negotiate, challenge.as_bytes(), &message]);
        message[MIC_OFFSET..MIC_OFFSET + 16].copy_from_slice(&mic);
    }
    Ok(NtlmAuthenticate {
        message,
        session_key: Secret::new(exported),
        flags,
        mic_present,
        anonymous: false,
    })
}

/// Lays out the message with a zero MIC. Payload order: domain, user,
/// workstation (empty), LM response, NT response, encrypted session key.
fn build(
    flags: NegotiateFlags,
    lm: &[u8],
    nt: &[u8],
    domain: &str,
    user: &str,
    encrypted_key: &[u8],
) -> Result<Vec<u8>, AuthError> {
    let domain = utf16le(domain);
    let user = utf16le(user);
    let payloads: [&[u8]; 6] = [lm, nt, &domain, &user, &[], encrypted_key];
    // Descriptor order on the wire: LM, NT, domain, user, workstation, key.
    let order = [2usize, 3, 4, 0, 1, 5];
    let mut offsets = [0usize; 6];
    let mut at = HEADER_LEN;
    for &i in &order {
        offsets[i] = at;
        at += payloads[i].len();
    }
    let mut m = Vec::with_capacity(at);
    m.extend_from_slice(SIGNATURE);
    m.extend_from_slice(&3u32.to_le_bytes());
    for (p, off) in payloads.iter().zip(offsets) {
        // A field descriptor holds a 16-bit length: a server's oversized
        // TargetInfo or an absurd user name cannot be encoded.
        let len = u16::try_from(p.len())
            .map_err(|_| AuthError::Unsupported("an AUTHENTICATE field over 64 KiB"))?;
        let off = u32::try_from(off)
            .map_err(|_| AuthError::Unsupported("an AUTHENTICATE message over 4 GiB"))?;
        m.extend_from_slice(&len.to_le_bytes());
        m.extend_from_slice(&len.to_le_bytes());
        m.extend_from_slice(&off.to_le_bytes());
    }
    m.extend_from_slice(&flags.bits().to_le_bytes());
    if flags.contains(NegotiateFlags::VERSION) {
        m.extend_from_slice(&CLIENT_VERSION);
    } else {
        m.extend_from_slice(&[0; 8]);
    }
    m.extend_from_slice(&[0; 16]); // MIC
    for &i in &order {
        m.extend_from_slice(payloads[i]);
    }
    Ok(m)
}

/// The current time as a FILETIME (100 ns ticks since 1601-01-01 UTC).
fn filetime_now() -> u64 {
    let since_unix = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    (since_unix.as_secs() + FILETIME_UNIX_OFFSET) * 10_000_000
        + u64::from(since_unix.subsec_nanos() / 100)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::ntlm::challenge::tests::SPEC_CHALLENGE;
    use crate::auth::ntlm::hash::hmac_md5;
    use crate::auth::ntlm::negotiate_message;
    use crate::crypto::kdf::tests::hex;

    fn spec_params() -> AuthenticateParams {
        AuthenticateParams {
            timestamp: Some(0),
            client_challenge: [0xaa; 8],
            exported_session_key: [0x55; 16],
        }
    }

    fn spec_creds() -> NtlmCredentials {
        NtlmCredentials::new("User", "Domain", "Password")
    }

    /// Reads the (len, offset) descriptor at `at` and returns the payload.
    fn payload(m: &[u8], at: usize) -> &[u8] {
        let len = usize::from(u16::from_le_bytes([m[at], m[at + 1]]));
        let off = u32::from_le_bytes([m[at + 4], m[at + 5], m[at + 6], m[at + 7]]) as usize;
        &m[off..off + len]
    }

    #[test]
    fn spec_challenge_gives_spec_keys_and_a_valid_mic() {
        let challenge = ChallengeMessage::parse(&hex(SPEC_CHALLENGE)).unwrap();
        let negotiate = negotiate_message();
        let out = authenticate_message_with(&challenge, &spec_creds(), &negotiate, &spec_params())
            .unwrap();
        let m = &out.message;
        assert_eq!(&m[..12], b"NTLMSSP\0\x03\0\0\0");
        // KEY_EXCH: the random key RC4-encrypted under the session base key
        // (the spec's own EncryptedRandomSessionKey is checked in hash.rs;
        // here the MIC flag in the target info changes the base key).
        let nt = payload(m, 20);
        let ntowf = ntowfv2("Password", "User", "Domain");
        let base = hmac_md5(&ntowf, &[&nt[..16]]);
        let mut expected_key = [0x55u8; 16];
        rc4(&base, &mut expected_key);
        assert_eq!(payload(m, 52), &expected_key[..]);
        assert_eq!(*out.session_key.expose(), [0x55; 16]);
        // No server timestamp: LMv2 is sent (MS-NLMP 4.2.4.2.1).
        assert_eq!(
            payload(m, 12),
            &hex("86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa")[..]
        );
        // The names.
        assert_eq!(payload(m, 28), &utf16le("Domain")[..]);
        assert_eq!(payload(m, 36), &utf16le("User")[..]);
        assert!(payload(m, 44).is_empty());
        // Target info gained MsvAvFlags = MIC present, before EOL.
        let info = &nt[44..nt.len() - 4];
        assert_eq!(&info[32..44], &[6, 0, 4, 0, 2, 0, 0, 0, 0, 0, 0, 0]);
        // NTProofStr is recomputable from the blob.
        assert_eq!(
            &nt[..16],
            &hmac_md5(&ntowf, &[&challenge.server_challenge, &nt[16..]])[..]
        );
        // MIC = HMAC-MD5(exported key, NEGOTIATE | CHALLENGE | AUTHENTICATE with MIC zero).
        assert!(out.mic_present);
        let mut zeroed = m.clone();
        zeroed[72..88].fill(0);
        let mic = hmac_md5(&[0x55; 16], &[&negotiate, challenge.as_bytes(), &zeroed]);
        assert_eq!(&m[72..88], &mic[..]);
        // Flags: the server's choice restricted to ours.
        assert_eq!(out.flags.bits(), 0xe28a8233 & NegotiateFlags::CLIENT.bits());
        assert_eq!(
            u32::from_le_bytes([m[60], m[61], m[62], m[63]]),
            out.flags.bits()
        );
    }

    // The spec's own NTProofStr needs the target info unmodified; with the
    // MIC flag added the proof changes (Chromium's NTLM tests record the same).
    #[test]
    fn mic_flag_changes_the_proof() {
        let challenge = ChallengeMessage::parse(&hex(SPEC_CHALLENGE)).unwrap();
        let out = authenticate_message_with(
            &challenge,
            &spec_creds(),
            &negotiate_message(),
            &spec_params(),
        )
        .unwrap();
        assert_ne!(
            &payload(&out.message, 20)[..16],
            &hex("68cd0ab851e51c96aabc927bebef6a1c")[..]
        );
    }

    #[test]
    fn server_timestamp_is_used_and_lmv2_zeroed() {
        let mut challenge = ChallengeMessage::parse(&hex(SPEC_CHALLENGE)).unwrap();
        challenge.target_info.set(
            crate::auth::ntlm::MSV_AV_TIMESTAMP,
            0x0123_4567_89AB_CDEFu64.to_le_bytes().to_vec(),
        );
        let out = authenticate_message_with(
            &challenge,
            &spec_creds(),
            &negotiate_message(),
            &spec_params(),
        )
        .unwrap();
        assert_eq!(payload(&out.message, 12), &[0u8; 24][..]);
        let nt = payload(&out.message, 20);
        assert_eq!(&nt[24..32], &0x0123_4567_89AB_CDEFu64.to_le_bytes());
    }

    #[test]
    fn without_key_exch_the_session_key_is_the_base_key() {
        let mut challenge = ChallengeMessage::parse(&hex(SPEC_CHALLENGE)).unwrap();
        challenge.flags = challenge.flags & !NegotiateFlags::KEY_EXCH;
        let out = authenticate_message_with(
            &challenge,
            &spec_creds(),
            &negotiate_message(),
            &spec_params(),
        )
        .unwrap();
        assert!(payload(&out.message, 52).is_empty());
        let nt = payload(&out.message, 20);
        let base = hmac_md5(&ntowfv2("Password", "User", "Domain"), &[&nt[..16]]);
        assert_eq!(*out.session_key.expose(), base);
    }

    #[test]
    fn anonymous_is_a_null_session() {
        let challenge = ChallengeMessage::parse(&hex(SPEC_CHALLENGE)).unwrap();
        let out = authenticate_message_with(
            &challenge,
            &NtlmCredentials::anonymous(),
            &negotiate_message(),
            &spec_params(),
        )
        .unwrap();
        assert!(out.anonymous && !out.mic_present);
        assert_eq!(payload(&out.message, 12), &[0u8][..]);
        assert!(payload(&out.message, 20).is_empty());
        assert!(payload(&out.message, 36).is_empty());
        assert!(out.flags.contains(NegotiateFlags::ANONYMOUS));
        assert!(!out.flags.contains(NegotiateFlags::KEY_EXCH));
        assert_eq!(*out.session_key.expose(), [0; 16]);
    }

    #[test]
    fn oversized_target_info_is_an_error_not_a_corrupt_message() {
        let mut challenge = ChallengeMessage::parse(&hex(SPEC_CHALLENGE)).unwrap();
        challenge
            .target_info
            .set(crate::auth::ntlm::MSV_AV_TARGET_NAME, vec![0x41; 65_530]);
        let r = authenticate_message_with(
            &challenge,
            &spec_creds(),
            &negotiate_message(),
            &spec_params(),
        );
        assert!(matches!(r, Err(AuthError::Unsupported(_))));
    }

    #[test]
    fn random_params_differ() {
        let a = AuthenticateParams::random().unwrap();
        let b = AuthenticateParams::random().unwrap();
        assert_ne!(a.exported_session_key, b.exported_session_key);
        assert!(!format!("{a:?}").contains(&format!("{:?}", a.exported_session_key)));
    }

    #[test]
    fn filetime_now_is_after_2020() {
        // 2020-01-01 as FILETIME.
        assert!(filetime_now() > 132_223_104_000_000_000);
    }
}
