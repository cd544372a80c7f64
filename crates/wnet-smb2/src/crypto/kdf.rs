//! SMB 3.x key derivation (MS-SMB2 3.1.4.2) and the keys of one session.
//!
//! The KDF is SP800-108 in counter mode with HMAC-SHA256 as the PRF, `r = 32`:
//! `K(i) = HMAC-SHA256(Ki, i_be32 || Label || 0x00 || Context || L_be32)`.
//! The labels and contexts below include their terminating NUL, as MS-SMB2
//! specifies (e.g. `"SMB2AESCMAC\0"` is 12 bytes); the KDF then adds its own
//! 0x00 separator.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::Secret;
use super::encryption::CipherId;
use super::preauth::PreauthHash;

type HmacSha256 = Hmac<Sha256>;

/// SP800-108 counter-mode KDF with HMAC-SHA256, producing `N` bytes
/// (`L = 8 * N` bits). SMB uses `N = 16` (L = 128) or `N = 32` (L = 256).
pub fn smb3kdf<const N: usize>(key: &[u8], label: &[u8], context: &[u8]) -> [u8; N] {
    let bits = u32::try_from(N * 8).unwrap_or(u32::MAX);
    let mut out = [0u8; N];
    for (i, chunk) in out.chunks_mut(32).enumerate() {
        // HMAC takes keys of any length: this cannot fail.
        let mut mac = HmacSha256::new_from_slice(key).expect("HMAC accepts any key length");
        let counter = u32::try_from(i + 1).unwrap_or(u32::MAX);
        mac.update(&counter.to_be_bytes());
        mac.update(label);
        mac.update(&[0]);
        mac.update(context);
        mac.update(&bits.to_be_bytes());
        let block = mac.finalize().into_bytes();
        chunk.copy_from_slice(&block[..chunk.len()]);
    }
    out
}

/// Which key-derivation rules apply; chosen from the negotiated dialect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeySchedule<'a> {
    /// SMB 2.0.2 / 2.1: the session key signs directly (HMAC-SHA256); no encryption.
    Smb2,
    /// SMB 3.0 / 3.0.2: fixed labels and contexts ("SMB2AESCMAC"/"SmbSign", ...).
    Smb30,
    /// SMB 3.1.1: labels "SMBSigningKey", ... with the session's final
    /// pre-authentication integrity hash as context.
    Smb311 {
        /// `Session.PreauthIntegrityHashValue` after the last SESSION_SETUP
        /// request (the final, successful response is not part of it).
        preauth_hash: &'a PreauthHash,
    },
}

/// The keys of one authenticated session (MS-SMB2 3.2.5.3.1 / 3.3.5.5.3).
///
/// `encryption` is the client's key for messages *to* the server
/// (`ServerIn`/C2S), `decryption` for messages *from* it (`ServerOut`/S2C).
/// Both are empty for [`KeySchedule::Smb2`].
#[derive(Clone, Debug)]
pub struct SessionKeys {
    /// Key for [`crate::crypto::signing`]: always 16 bytes.
    pub signing: Secret<[u8; 16]>,
    /// Client-to-server encryption key: 16 bytes, or 32 for AES-256 ciphers.
    pub encryption: Secret<Vec<u8>>,
    /// Server-to-client decryption key: 16 bytes, or 32 for AES-256 ciphers.
    pub decryption: Secret<Vec<u8>>,
    /// The application key (handed to e.g. DCE/RPC over named pipes).
    pub application: Secret<[u8; 16]>,
}

const SMB30_SIGN: (&[u8], &[u8]) = (b"SMB2AESCMAC\0", b"SmbSign\0");
const SMB30_C2S: (&[u8], &[u8]) = (b"SMB2AESCCM\0", b"ServerIn \0");
const SMB30_S2C: (&[u8], &[u8]) = (b"SMB2AESCCM\0", b"ServerOut\0");
const SMB30_APP: (&[u8], &[u8]) = (b"SMB2APP\0", b"SmbRpc\0");
const SMB311_SIGN: &[u8] = b"SMBSigningKey\0";
const SMB311_C2S: &[u8] = b"SMBC2SCipherKey\0";
const SMB311_S2C: &[u8] = b"SMBS2CCipherKey\0";
const SMB311_APP: &[u8] = b"SMBAppKey\0";

/// Derives the session's keys from the authentication `session_key`.
///
/// `session_key` is what [`crate::auth`] returns (16 bytes for NTLM). For
/// AES-256 ciphers MS-SMB2 uses the *full* GSS session key as `Ki` and
/// L = 256 for the cipher keys; with NTLM the full key is these 16 bytes.
/// `cipher` is the negotiated cipher (None: no encryption negotiated; the
/// cipher keys are then derived at 128 bits anyway, as Windows does).
pub fn derive_session_keys(
    schedule: KeySchedule<'_>,
    session_key: &[u8],
    cipher: Option<CipherId>,
) -> SessionKeys {
    let wide = cipher.is_some_and(|c| c.key_len() == 32);
    // MS-SMB2 3.3.5.5.3: Session.SessionKey is the first 16 bytes of the GSS key (padded with
    // zeros if shorter); only the AES-256 cipher keys use the full key (Kerberos gives 32).
    let full = session_key;
    let mut first16 = [0u8; 16];
    let n = full.len().min(16);
    first16[..n].copy_from_slice(&full[..n]);
    let session_key = &first16[..];
    let cipher_key = |label: &[u8], context: &[u8]| -> Vec<u8> {
        if wide {
            smb3kdf::<32>(full, label, context).to_vec()
        } else {
            smb3kdf::<16>(session_key, label, context).to_vec()
        }
    };
    match schedule {
        KeySchedule::Smb2 => {
            let mut k = [0u8; 16];
            let n = session_key.len().min(16);
            k[..n].copy_from_slice(&session_key[..n]);
            SessionKeys {
                signing: Secret::new(k),
                encryption: Secret::new(Vec::new()),
                decryption: Secret::new(Vec::new()),
                application: Secret::new(k),
            }
        }
        KeySchedule::Smb30 => SessionKeys {
            signing: Secret::new(smb3kdf(session_key, SMB30_SIGN.0, SMB30_SIGN.1)),
            encryption: Secret::new(cipher_key(SMB30_C2S.0, SMB30_C2S.1)),
            decryption: Secret::new(cipher_key(SMB30_S2C.0, SMB30_S2C.1)),
            application: Secret::new(smb3kdf(session_key, SMB30_APP.0, SMB30_APP.1)),
        },
        KeySchedule::Smb311 { preauth_hash } => SessionKeys {
            signing: Secret::new(smb3kdf(session_key, SMB311_SIGN, preauth_hash)),
            encryption: Secret::new(cipher_key(SMB311_C2S, preauth_hash)),
            decryption: Secret::new(cipher_key(SMB311_S2C, preauth_hash)),
            application: Secret::new(smb3kdf(session_key, SMB311_APP, preauth_hash)),
        },
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn hex(s: &str) -> Vec<u8> {
        let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    // "Encryption in SMB 3.0: a protocol perspective" (Microsoft Open
    // Specifications blog, 2012).
    #[test]
    fn smb30_keys_match_microsoft_vectors() {
        let session_key = hex("B4546771B515F766A86735532DD6C4F0");
        let keys = derive_session_keys(KeySchedule::Smb30, &session_key, Some(CipherId::Aes128Ccm));
        assert_eq!(
            keys.signing.expose().to_vec(),
            hex("F773CD23C18FD1E08EE510CADA7CF852")
        );
        assert_eq!(
            *keys.encryption.expose(),
            hex("261B72350558F2E9DCF613070383EDBF")
        );
        assert_eq!(
            *keys.decryption.expose(),
            hex("8FE2B57EC34D2DB5B1A9727F526BBDB5")
        );
        assert_eq!(
            keys.application.expose().to_vec(),
            hex("77432F808CE99156B5BC6A3676D730D1")
        );
    }

    // "SMB 3.1.1 Encryption in Windows 10" (Microsoft Open Specifications blog, 2015).
    #[test]
    fn smb311_keys_match_microsoft_vectors() {
        let session_key = hex("419FDDF34C1E001909D362AE7FB6AF79");
        let hash: [u8; 64] = hex(
            "B23F3CBFD69487D9832B79B1594A367CDD950909B774C3A4C412B4FCEA9EDDDB\
             A7DB256BA2EA30E977F11F9B113247578E0E915C6D2A513B8F2FCA5707DC8770",
        )
        .try_into()
        .unwrap();
        let keys = derive_session_keys(
            KeySchedule::Smb311 {
                preauth_hash: &hash,
            },
            &session_key,
            Some(CipherId::Aes128Gcm),
        );
        assert_eq!(
            *keys.encryption.expose(),
            hex("A2F5E80E5D59103034F32E52F698E5EC")
        );
        assert_eq!(
            *keys.decryption.expose(),
            hex("748C50868C90F302962A5C35F5F9A8BF")
        );
    }

    #[test]
    fn aes256_ciphers_get_32_byte_keys() {
        let hash = [7u8; 64];
        let keys = derive_session_keys(
            KeySchedule::Smb311 {
                preauth_hash: &hash,
            },
            &[1u8; 16],
            Some(CipherId::Aes256Gcm),
        );
        assert_eq!(keys.encryption.expose().len(), 32);
        assert_eq!(keys.decryption.expose().len(), 32);
        // The first 16 bytes differ from the L=128 key: L is part of the PRF input.
        let k128: [u8; 16] = smb3kdf(&[1u8; 16], SMB311_C2S, &hash);
        assert_ne!(&keys.encryption.expose()[..16], &k128[..]);
    }

    #[test]
    fn smb2_signs_with_the_session_key() {
        let keys = derive_session_keys(KeySchedule::Smb2, &[9u8; 16], None);
        assert_eq!(*keys.signing.expose(), [9u8; 16]);
        assert!(keys.encryption.expose().is_empty());
    }
}
