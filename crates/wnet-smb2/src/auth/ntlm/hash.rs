//! NTLMv2 one-way functions and responses (MS-NLMP 3.3.2).
//!
//! Every value here is secret material; callers wrap what they keep in
//! [`crate::crypto::Secret`].

use hmac::{Hmac, Mac};
use md4::{Digest, Md4};
use md5::Md5;
use rc4::{KeyInit, Rc4, StreamCipher, consts::U16};

/// HMAC-MD5 over the concatenation of `parts`.
pub(crate) fn hmac_md5(key: &[u8], parts: &[&[u8]]) -> [u8; 16] {
    let mut mac = <Hmac<Md5> as Mac>::new_from_slice(key).expect("HMAC accepts any key length");
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

/// MD5 over the concatenation of `parts`.
pub(crate) fn md5(parts: &[&[u8]]) -> [u8; 16] {
    let mut h = Md5::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// RC4 with a 16-byte key over `data`, in place (a fresh key stream).
pub(crate) fn rc4(key: &[u8; 16], data: &mut [u8]) {
    let mut c = Rc4::<U16>::new(key.into());
    c.apply_keystream(data);
}

/// UTF-16LE bytes of `s`.
pub(crate) fn utf16le(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// The NT hash: MD4 of the UTF-16LE password (NTOWFv1).
pub fn nt_hash(password: &str) -> [u8; 16] {
    let mut units = utf16le(password);
    let hash = Md4::digest(&units).into();
    crate::crypto::wipe_bytes(&mut units);
    hash
}

/// NTOWFv2: `HMAC-MD5(NT hash, UTF-16LE(UPPERCASE(user) + domain))`.
/// The domain keeps its case.
pub fn ntowfv2(password: &str, user: &str, domain: &str) -> [u8; 16] {
    let mut id = utf16le(&user.to_uppercase());
    id.extend_from_slice(&utf16le(domain));
    hmac_md5(&nt_hash(password), &[&id])
}

/// The results of one NTLMv2 computation.
#[derive(Clone)]
pub struct Ntlmv2Response {
    /// NTProofStr: the first 16 bytes of the NT response.
    pub nt_proof_str: [u8; 16],
    /// NtChallengeResponse: NTProofStr followed by the client blob ("temp").
    pub nt_response: Vec<u8>,
    /// LMv2 response: HMAC-MD5 over both challenges, then the client challenge.
    pub lm_response: [u8; 24],
    /// SessionBaseKey = KeyExchangeKey for NTLMv2: `HMAC-MD5(NTOWFv2, NTProofStr)`.
    pub session_base_key: [u8; 16],
}

impl std::fmt::Debug for Ntlmv2Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Ntlmv2Response(<redacted>)")
    }
}

/// Computes the NTLMv2 responses for `target_info` (the AV_PAIR bytes as
/// the AUTHENTICATE_MESSAGE will carry them, `MsvAvEOL` included).
///
/// The client blob ("temp") is `0x01 0x01 Z(6) timestamp client_challenge
/// Z(4) target_info Z(4)`.
pub fn ntlmv2_response(
    ntowfv2: &[u8; 16],
    server_challenge: &[u8; 8],
    client_challenge: &[u8; 8],
    timestamp: u64,
    target_info: &[u8],
) -> Ntlmv2Response {
    let mut temp = Vec::with_capacity(28 + target_info.len() + 4);
    temp.extend_from_slice(&[0x01, 0x01, 0, 0, 0, 0, 0, 0]);
    temp.extend_from_slice(&timestamp.to_le_bytes());
    temp.extend_from_slice(client_challenge);
    temp.extend_from_slice(&[0; 4]);
    temp.extend_from_slice(target_info);
    temp.extend_from_slice(&[0; 4]);

    let nt_proof_str = hmac_md5(ntowfv2, &[server_challenge, &temp]);
    let mut nt_response = Vec::with_capacity(16 + temp.len());
    nt_response.extend_from_slice(&nt_proof_str);
    nt_response.extend_from_slice(&temp);

    let lm = hmac_md5(ntowfv2, &[server_challenge, client_challenge]);
    let mut lm_response = [0u8; 24];
    lm_response[..16].copy_from_slice(&lm);
    lm_response[16..].copy_from_slice(client_challenge);

    Ntlmv2Response {
        nt_proof_str,
        nt_response,
        lm_response,
        session_base_key: hmac_md5(ntowfv2, &[&nt_proof_str]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::ntlm::av_pair::tests::SPEC_TARGET_INFO;
    use crate::crypto::kdf::tests::hex;

    // MS-NLMP 4.2.1 / 4.2.2.1.2.
    #[test]
    fn nt_hash_matches_spec() {
        assert_eq!(
            nt_hash("Password").to_vec(),
            hex("a4f49c406510bdcab6824ee7c30fd852")
        );
    }

    // MS-NLMP 4.2.4.1.1.
    #[test]
    fn ntowfv2_matches_spec() {
        assert_eq!(
            ntowfv2("Password", "User", "Domain").to_vec(),
            hex("0c868a403bfd7a93a3001ef22ef02e3f")
        );
        // The user name is case-insensitive, the password is not.
        assert_eq!(
            ntowfv2("Password", "user", "Domain"),
            ntowfv2("Password", "USER", "Domain")
        );
        assert_ne!(
            ntowfv2("password", "User", "Domain"),
            ntowfv2("Password", "User", "Domain")
        );
    }

    // MS-NLMP 4.2.4.1.2, 4.2.4.1.3, 4.2.4.2.1, 4.2.4.2.2 (time 0, client challenge aa..).
    #[test]
    fn ntlmv2_response_matches_spec() {
        let r = ntlmv2_response(
            &ntowfv2("Password", "User", "Domain"),
            &[0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef],
            &[0xaa; 8],
            0,
            &SPEC_TARGET_INFO,
        );
        assert_eq!(
            r.nt_proof_str.to_vec(),
            hex("68cd0ab851e51c96aabc927bebef6a1c")
        );
        assert_eq!(
            r.session_base_key.to_vec(),
            hex("8de40ccadbc14a82f15cb0ad0de95ca3")
        );
        assert_eq!(
            r.lm_response.to_vec(),
            hex("86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa")
        );
        // temp: header, time, client challenge, Z(4), AV pairs, Z(4).
        assert_eq!(r.nt_response.len(), 16 + 28 + SPEC_TARGET_INFO.len() + 4);
        assert_eq!(&r.nt_response[16..24], &[1, 1, 0, 0, 0, 0, 0, 0]);
        assert_eq!(&r.nt_response[32..40], &[0xaa; 8]);
        assert_eq!(&r.nt_response[44..80], &SPEC_TARGET_INFO);
    }

    // MS-NLMP 4.2.4.2.3: RC4(SessionBaseKey, RandomSessionKey 0x55..).
    #[test]
    fn key_exchange_matches_spec() {
        let mut key = [0x55u8; 16];
        let kek: [u8; 16] = hex("8de40ccadbc14a82f15cb0ad0de95ca3").try_into().unwrap();
        rc4(&kek, &mut key);
        assert_eq!(key.to_vec(), hex("c5dad2544fc9799094ce1ce90bc9d03e"));
    }
}
