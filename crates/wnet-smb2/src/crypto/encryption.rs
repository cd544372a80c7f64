//! SMB 3.x encryption: the TRANSFORM_HEADER (MS-SMB2 2.2.41, 3.1.4.3).
//!
//! ```text
//! offset  size  field
//!      0     4  ProtocolId  0xFD 'S' 'M' 'B'
//!      4    16  Signature   the AEAD tag
//!     20    16  Nonce       11 bytes used by CCM, 12 by GCM, the rest zero
//!     36     4  OriginalMessageSize
//!     40     2  Reserved
//!     42     2  Flags (3.1.1) / EncryptionAlgorithm (3.0.x): always 0x0001
//!     44     8  SessionId
//!     52        the encrypted SMB2 message (or compound chain)
//! ```
//!
//! The AEAD's associated data is the header from the Nonce to its end (bytes
//! 20..52); the tag goes into Signature.

use aes::{Aes128, Aes256};
use ccm::Ccm;
use ccm::aead::consts::{U11, U16};
use ccm::aead::generic_array::GenericArray;
use ccm::aead::{AeadInPlace, KeyInit};

use super::{CryptoError, fill_random};

/// The TRANSFORM_HEADER's ProtocolId.
pub const TRANSFORM_PROTOCOL_ID: [u8; 4] = [0xFD, b'S', b'M', b'B'];
/// Length of the TRANSFORM_HEADER.
pub const TRANSFORM_HEADER_LEN: usize = 52;
/// The only defined Flags / EncryptionAlgorithm value: "encrypted" / AES-128-CCM.
const FLAGS_ENCRYPTED: u16 = 0x0001;
/// Start of the associated data (the Nonce field).
const AAD_START: usize = 20;

type Aes128Ccm = Ccm<Aes128, U16, U11>;
type Aes256Ccm = Ccm<Aes256, U16, U11>;

/// An SMB2 encryption cipher (ENCRYPTION_CAPABILITIES `Ciphers`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CipherId {
    /// AES-128-CCM (0x0001): the only cipher of SMB 3.0 / 3.0.2.
    Aes128Ccm,
    /// AES-128-GCM (0x0002).
    Aes128Gcm,
    /// AES-256-CCM (0x0003).
    Aes256Ccm,
    /// AES-256-GCM (0x0004).
    Aes256Gcm,
}

impl CipherId {
    /// The cipher for a wire id, or None if unknown.
    pub fn from_wire(id: u16) -> Option<Self> {
        match id {
            1 => Some(CipherId::Aes128Ccm),
            2 => Some(CipherId::Aes128Gcm),
            3 => Some(CipherId::Aes256Ccm),
            4 => Some(CipherId::Aes256Gcm),
            _ => None,
        }
    }

    /// The wire id of this cipher.
    pub fn wire_id(self) -> u16 {
        match self {
            CipherId::Aes128Ccm => 1,
            CipherId::Aes128Gcm => 2,
            CipherId::Aes256Ccm => 3,
            CipherId::Aes256Gcm => 4,
        }
    }

    /// Key length in bytes: 16 or 32.
    pub fn key_len(self) -> usize {
        match self {
            CipherId::Aes128Ccm | CipherId::Aes128Gcm => 16,
            CipherId::Aes256Ccm | CipherId::Aes256Gcm => 32,
        }
    }

    /// Bytes of the 16-byte Nonce field the cipher uses: 11 (CCM) or 12 (GCM).
    pub fn nonce_len(self) -> usize {
        match self {
            CipherId::Aes128Ccm | CipherId::Aes256Ccm => 11,
            CipherId::Aes128Gcm | CipherId::Aes256Gcm => 12,
        }
    }
}

/// The parsed fixed fields of a TRANSFORM_HEADER.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransformHeader {
    /// The AEAD tag.
    pub signature: [u8; 16],
    /// The Nonce field (unused trailing bytes included).
    pub nonce: [u8; 16],
    /// Size of the plaintext SMB2 message.
    pub original_message_size: u32,
    /// Flags / EncryptionAlgorithm (0x0001).
    pub flags: u16,
    /// The session whose keys encrypted the message.
    pub session_id: u64,
}

impl TransformHeader {
    /// Parses the header at the start of `message` (the engine uses
    /// `session_id` to pick the decryption key).
    ///
    /// # Errors
    /// [`CryptoError::MessageTooShort`] or [`CryptoError::BadTransformHeader`].
    pub fn parse(message: &[u8]) -> Result<Self, CryptoError> {
        let h = message
            .get(..TRANSFORM_HEADER_LEN)
            .ok_or(CryptoError::MessageTooShort {
                needed: TRANSFORM_HEADER_LEN,
                got: message.len(),
            })?;
        if h[..4] != TRANSFORM_PROTOCOL_ID {
            return Err(CryptoError::BadTransformHeader(
                "ProtocolId is not 0xFD 'SMB'",
            ));
        }
        let mut signature = [0u8; 16];
        signature.copy_from_slice(&h[4..20]);
        let mut nonce = [0u8; 16];
        nonce.copy_from_slice(&h[20..36]);
        let mut sid = [0u8; 8];
        sid.copy_from_slice(&h[44..52]);
        Ok(TransformHeader {
            signature,
            nonce,
            original_message_size: u32::from_le_bytes([h[36], h[37], h[38], h[39]]),
            flags: u16::from_le_bytes([h[42], h[43]]),
            session_id: u64::from_le_bytes(sid),
        })
    }
}

/// True if `message` starts with the TRANSFORM_HEADER ProtocolId.
pub fn is_transform(message: &[u8]) -> bool {
    message.starts_with(&TRANSFORM_PROTOCOL_ID)
}

/// One direction's key of a session, expanded once: the AES key schedule (and for GCM the
/// GHASH key) is computed when the session is set up, not per message.
///
/// GCM runs on `ring` (AES-NI with the carry-less multiply stitched into the same pass, where
/// the CPU has them); CCM on RustCrypto's `ccm`. The expanded key is not wiped on drop (neither
/// library offers it); the raw key it came from stays in a [`crate::crypto::Secret`].
pub struct CipherKey {
    cipher: CipherId,
    keyed: Keyed,
}

enum Keyed {
    Gcm(Box<ring::aead::LessSafeKey>),
    Ccm128(Box<Aes128Ccm>),
    Ccm256(Box<Aes256Ccm>),
}

impl std::fmt::Debug for CipherKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CipherKey")
            .field("cipher", &self.cipher)
            .finish_non_exhaustive()
    }
}

impl CipherKey {
    /// Expands `key` for `cipher`.
    ///
    /// # Errors
    /// [`CryptoError::InvalidKeyLength`] if `key` is not [`CipherId::key_len`] bytes.
    pub fn new(cipher: CipherId, key: &[u8]) -> Result<Self, CryptoError> {
        let bad = || CryptoError::InvalidKeyLength {
            expected: cipher.key_len(),
            got: key.len(),
        };
        if key.len() != cipher.key_len() {
            return Err(bad());
        }
        let keyed = match cipher {
            CipherId::Aes128Gcm | CipherId::Aes256Gcm => {
                let algo = if cipher == CipherId::Aes128Gcm {
                    &ring::aead::AES_128_GCM
                } else {
                    &ring::aead::AES_256_GCM
                };
                let k = ring::aead::UnboundKey::new(algo, key).map_err(|_| bad())?;
                Keyed::Gcm(Box::new(ring::aead::LessSafeKey::new(k)))
            }
            CipherId::Aes128Ccm => {
                Keyed::Ccm128(Box::new(Aes128Ccm::new_from_slice(key).map_err(|_| bad())?))
            }
            CipherId::Aes256Ccm => {
                Keyed::Ccm256(Box::new(Aes256Ccm::new_from_slice(key).map_err(|_| bad())?))
            }
        };
        Ok(CipherKey { cipher, keyed })
    }

    /// The cipher this key is for.
    pub fn cipher(&self) -> CipherId {
        self.cipher
    }

    /// Encrypts `body` in place for `session_id` under `nonce` and returns the TRANSFORM_HEADER
    /// to send before it (tag included).
    fn seal_with_nonce(
        &self,
        session_id: u64,
        nonce: &[u8; 16],
        body: &mut [u8],
    ) -> Result<[u8; TRANSFORM_HEADER_LEN], CryptoError> {
        let size = u32::try_from(body.len()).map_err(|_| CryptoError::MessageTooLarge)?;
        let mut h = [0u8; TRANSFORM_HEADER_LEN];
        h[..4].copy_from_slice(&TRANSFORM_PROTOCOL_ID);
        h[20..36].copy_from_slice(nonce);
        h[36..40].copy_from_slice(&size.to_le_bytes());
        h[42..44].copy_from_slice(&FLAGS_ENCRYPTED.to_le_bytes());
        h[44..52].copy_from_slice(&session_id.to_le_bytes());
        let n = &nonce[..self.cipher.nonce_len()];
        let aad = &h[AAD_START..];
        let tag: [u8; 16] = match &self.keyed {
            Keyed::Gcm(k) => {
                let nonce = ring::aead::Nonce::try_assume_unique_for_key(n)
                    .map_err(|_| CryptoError::MessageTooLarge)?;
                let tag = k
                    .seal_in_place_separate_tag(nonce, ring::aead::Aad::from(aad), body)
                    .map_err(|_| CryptoError::MessageTooLarge)?;
                tag.as_ref()
                    .try_into()
                    .map_err(|_| CryptoError::MessageTooLarge)?
            }
            Keyed::Ccm128(k) => ccm_seal(k.as_ref(), n, aad, body)?,
            Keyed::Ccm256(k) => ccm_seal(k.as_ref(), n, aad, body)?,
        };
        h[4..20].copy_from_slice(&tag);
        Ok(h)
    }

    /// Encrypts `body` (one SMB2 message or a compound chain) in place for `session_id` with a
    /// fresh random nonce; returns the TRANSFORM_HEADER that goes before it on the wire.
    ///
    /// # Errors
    /// [`CryptoError::MessageTooLarge`] (over 4 GiB), [`CryptoError::Random`].
    pub fn seal(
        &self,
        session_id: u64,
        body: &mut [u8],
    ) -> Result<[u8; TRANSFORM_HEADER_LEN], CryptoError> {
        let mut nonce = [0u8; 16];
        fill_random(&mut nonce[..self.cipher.nonce_len()])?;
        self.seal_with_nonce(session_id, &nonce, body)
    }

    /// Checks and decrypts a whole transform message (header + ciphertext) in its own buffer:
    /// afterwards `message` holds just the plaintext SMB2 message(s). On error its contents
    /// are unspecified.
    ///
    /// # Errors
    /// [`CryptoError::MessageTooShort`] / [`CryptoError::BadTransformHeader`] for a malformed
    /// header (wrong ProtocolId, Flags not 1, OriginalMessageSize not the ciphertext length);
    /// [`CryptoError::DecryptFailed`] when the tag does not verify.
    pub fn open(&self, message: &mut Vec<u8>) -> Result<(), CryptoError> {
        let header = TransformHeader::parse(message)?;
        if header.flags != FLAGS_ENCRYPTED {
            return Err(CryptoError::BadTransformHeader(
                "Flags is not 0x0001 (encrypted)",
            ));
        }
        let body_len = message.len() - TRANSFORM_HEADER_LEN;
        if usize::try_from(header.original_message_size).ok() != Some(body_len) {
            return Err(CryptoError::BadTransformHeader(
                "OriginalMessageSize does not match the ciphertext",
            ));
        }
        let mut aad = [0u8; TRANSFORM_HEADER_LEN - AAD_START];
        aad.copy_from_slice(&message[AAD_START..TRANSFORM_HEADER_LEN]);
        let n = &header.nonce[..self.cipher.nonce_len()];
        match &self.keyed {
            Keyed::Gcm(k) => {
                let nonce = ring::aead::Nonce::try_assume_unique_for_key(n)
                    .map_err(|_| CryptoError::DecryptFailed)?;
                // Decrypts and moves the plaintext to the buffer's start in one pass.
                k.open_in_place_separate_tag(
                    nonce,
                    ring::aead::Aad::from(&aad),
                    ring::aead::Tag::from(header.signature),
                    message,
                    TRANSFORM_HEADER_LEN..,
                )
                .map_err(|_| CryptoError::DecryptFailed)?;
            }
            Keyed::Ccm128(k) => ccm_open(k.as_ref(), n, &aad, message, &header.signature)?,
            Keyed::Ccm256(k) => ccm_open(k.as_ref(), n, &aad, message, &header.signature)?,
        }
        message.truncate(body_len);
        Ok(())
    }
}

/// Encrypts one SMB2 message (or a whole compound chain) for `session_id`
/// with a fresh random nonce and returns TRANSFORM_HEADER + ciphertext.
///
/// `key` is the session's client-to-server key ([`crate::crypto::kdf::SessionKeys::encryption`]).
/// The engine keeps a [`CipherKey`] per session and encrypts in place with [`CipherKey::seal`].
///
/// # Errors
/// [`CryptoError::InvalidKeyLength`], [`CryptoError::MessageTooLarge`] (over
/// 4 GiB), [`CryptoError::Random`].
pub fn encrypt(
    cipher: CipherId,
    key: &[u8],
    session_id: u64,
    plaintext: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let mut nonce = [0u8; 16];
    fill_random(&mut nonce[..cipher.nonce_len()])?;
    encrypt_with_nonce(cipher, key, session_id, &nonce, plaintext)
}

/// [`encrypt`] with a caller-chosen Nonce field; only tests may choose one.
pub(crate) fn encrypt_with_nonce(
    cipher: CipherId,
    key: &[u8],
    session_id: u64,
    nonce: &[u8; 16],
    plaintext: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let k = CipherKey::new(cipher, key)?;
    let mut out = vec![0; TRANSFORM_HEADER_LEN];
    out.extend_from_slice(plaintext);
    let h = k.seal_with_nonce(session_id, nonce, &mut out[TRANSFORM_HEADER_LEN..])?;
    out[..TRANSFORM_HEADER_LEN].copy_from_slice(&h);
    Ok(out)
}

/// Checks and decrypts a whole transform message (header + ciphertext) and
/// returns the plaintext SMB2 message(s).
///
/// `key` is the session's server-to-client key ([`crate::crypto::kdf::SessionKeys::decryption`]).
/// The engine keeps a [`CipherKey`] per session and decrypts in place with [`CipherKey::open`].
///
/// # Errors
/// As [`CipherKey::open`], and [`CryptoError::InvalidKeyLength`].
pub fn decrypt(cipher: CipherId, key: &[u8], message: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let k = CipherKey::new(cipher, key)?;
    let mut m = message.to_vec();
    k.open(&mut m)?;
    Ok(m)
}

fn ccm_seal<A: AeadInPlace>(
    a: &A,
    nonce: &[u8],
    aad: &[u8],
    buf: &mut [u8],
) -> Result<[u8; 16], CryptoError> {
    let tag = a
        .encrypt_in_place_detached(GenericArray::from_slice(nonce), aad, buf)
        .map_err(|_| CryptoError::MessageTooLarge)?;
    let mut out = [0u8; 16];
    out.copy_from_slice(&tag);
    Ok(out)
}

/// Decrypts the body of the transform `message` in place and moves it to the start.
fn ccm_open<A: AeadInPlace>(
    a: &A,
    nonce: &[u8],
    aad: &[u8],
    message: &mut [u8],
    tag: &[u8; 16],
) -> Result<(), CryptoError> {
    a.decrypt_in_place_detached(
        GenericArray::from_slice(nonce),
        aad,
        &mut message[TRANSFORM_HEADER_LEN..],
        GenericArray::from_slice(tag),
    )
    .map_err(|_| CryptoError::DecryptFailed)?;
    message.copy_within(TRANSFORM_HEADER_LEN.., 0);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::kdf::tests::hex;

    const ALL: [CipherId; 4] = [
        CipherId::Aes128Ccm,
        CipherId::Aes128Gcm,
        CipherId::Aes256Ccm,
        CipherId::Aes256Gcm,
    ];

    // "Encryption in SMB 3.0: a protocol perspective": a WRITE request.
    #[test]
    fn smb30_ccm_encrypts_like_windows() {
        let key = hex("261B72350558F2E9DCF613070383EDBF");
        let plain = hex(
            "FE534D4240000100000000000900400008000000000000000400000000000000\
             FFFE0000010000001100001400E4080000000000000000000000000000000000\
             3100700017000000000000000000000015010000390000020100000039020000\
             00000000000000007000000000000000536D623320656E6372797074696F6E20\
             74657374696E67",
        );
        let nonce: [u8; 16] = hex("66E69A111892584FB5ED524A744DA3EE").try_into().unwrap();
        let out =
            encrypt_with_nonce(CipherId::Aes128Ccm, &key, 0x8E40014000011, &nonce, &plain).unwrap();
        let expected = hex(
            "FD534D4281A286535415445DAE393921E44FA42E66E69A111892584FB5ED524A\
             744DA3EE87000000000001001100001400E4080025C8FEE16605A437832D1CD5\
             2DA9F4645333482A175FE5384563F45FCDAFAEF38BC62BA4D5C62897996625A4\
             4C29BE5658DE2E6117585779E7B59FFD971278D08580D7FA899E410E910EABF5\
             AA1DB43050B33B49182637759AC15D84BFCDF5B6B238993C0F4CF4D6012023F6\
             C627297075D84B7803912D0A9639634453595EF3E33FFE4E7AC2AB",
        );
        assert_eq!(out, expected);
    }

    // Same blog: the server's WRITE response, decrypted with the client's decryption key.
    #[test]
    fn smb30_ccm_decrypts_windows_response() {
        let key = hex("8FE2B57EC34D2DB5B1A9727F526BBDB5");
        let msg = hex(
            "FD534D42A6015530A18F6D9AFFE22AFAE8E66484860000000000000011000014\
             00E4080050000000000001001100001400E40800DBF46435C5F14169293CE079\
             E344479BF670227E49873F458672C3098DAC467DD5809F369D67409166515787\
             1483E01F7BECD02064EAC3E235F913668BBC2F097980D4B378F1993EFF6E60D1\
             77309E5B",
        );
        let hdr = TransformHeader::parse(&msg).unwrap();
        assert_eq!(hdr.session_id, 0x8E40014000011);
        let plain = decrypt(CipherId::Aes128Ccm, &key, &msg).unwrap();
        assert_eq!(
            plain,
            hex(
                "FE534D4240000100000000000900210009000000000000000400000000000000\
                 FFFE0000010000001100001400E4080000000000000000000000000000000000\
                 11000000170000000000000000000000"
            )
        );
    }

    // "SMB 3.1.1 Encryption in Windows 10": AES-128-GCM both ways.
    #[test]
    fn smb311_gcm_matches_windows_both_ways() {
        let enc_key = hex("A2F5E80E5D59103034F32E52F698E5EC");
        let plain = hex(
            "FE534D4240000100000000000900010008000000000000000500000000000000FFFE000001000000\
             25000000001000000000000000000000000000000000000031007000170000000000000000000000\
             0600000004000000010000000400000000000000000000007000000000000000536D623320656E63\
             72797074696F6E2074657374696E67",
        );
        let nonce: [u8; 16] = hex("C7D6822D269CAF48904C664C00000000").try_into().unwrap();
        let out = encrypt_with_nonce(
            CipherId::Aes128Gcm,
            &enc_key,
            0x100000000025,
            &nonce,
            &plain,
        )
        .unwrap();
        let expected = hex(
            "FD534D42BD73D97D2BC9001BCAFAC0FDFF5FEEBCC7D6822D269CAF48904C664C0000000087000000\
             0000010025000000001000006ECDD2A7AFC7B47763057A041B8FD4DAFFE990B70C9E09D36C084E02\
             D14EF247F8BDE38ACF6256F8B1D3B56F77FBDEB312FEA5E92CBCC1ED8FB2EBBFAA75E49A4A394BB4\
             4576545567C24D4C014D47C9FBDFDAFD2C4F9B72F8D256452620A299F48E29E53D6B61D1C13A19E9\
             1AF013F00D17E3ABC2FC3D36C8C1B6B93973253852DBD442E46EE8",
        );
        assert_eq!(out, expected);

        let dec_key = hex("748C50868C90F302962A5C35F5F9A8BF");
        let msg = hex(
            "FD534D42ACBE1CB7ED343ADF1725EF144D90D4B0E06831DD2E8EB7B4000000000000000050000000\
             00000100250000000010000026BBBF949983A6C1C796559D0F2C510CB651D1F7B6AC8DED32A2A0B8\
             F2D793A815C6F6B848D69767A215841A42D400AE6DDB5F0B44173A014973321FDD7950DA6179159B\
             82E03C9E18A050FF0EA1C967",
        );
        assert_eq!(
            decrypt(CipherId::Aes128Gcm, &dec_key, &msg).unwrap(),
            hex(
                "FE534D4240000100000000000900010001000000000000000500000000000000FFFE000001000000\
                 25000000001000000000000000000000000000000000000011000000170000000000000000000000"
            )
        );
    }

    #[test]
    fn round_trip_for_every_cipher_with_random_nonces() {
        let plain = b"\xFESMB and some payload bytes".repeat(10);
        for cipher in ALL {
            let key = vec![0x5A; cipher.key_len()];
            let a = encrypt(cipher, &key, 77, &plain).unwrap();
            let b = encrypt(cipher, &key, 77, &plain).unwrap();
            assert_ne!(a[20..36], b[20..36], "{cipher:?}: nonces must differ");
            assert!(a[20 + cipher.nonce_len()..36].iter().all(|&x| x == 0));
            assert!(is_transform(&a));
            assert_eq!(TransformHeader::parse(&a).unwrap().session_id, 77);
            assert_eq!(decrypt(cipher, &key, &a).unwrap(), plain, "{cipher:?}");
        }
    }

    #[test]
    fn tampering_anywhere_fails_decryption() {
        let plain = vec![1u8; 100];
        for cipher in ALL {
            let key = vec![3u8; cipher.key_len()];
            let good = encrypt(cipher, &key, 9, &plain).unwrap();
            // Signature, Nonce, SessionId (AAD) and ciphertext bytes.
            for at in [5, 21, 45, 60, good.len() - 1] {
                let mut bad = good.clone();
                bad[at] ^= 0x01;
                assert_eq!(
                    decrypt(cipher, &key, &bad),
                    Err(CryptoError::DecryptFailed),
                    "{at}"
                );
            }
            let wrong = vec![4u8; cipher.key_len()];
            assert_eq!(
                decrypt(cipher, &wrong, &good),
                Err(CryptoError::DecryptFailed)
            );
        }
    }

    #[test]
    fn malformed_transform_messages_are_errors() {
        let key = [0u8; 16];
        assert!(matches!(
            decrypt(CipherId::Aes128Gcm, &key, &[0xFD, b'S']),
            Err(CryptoError::MessageTooShort { .. })
        ));
        let mut msg = encrypt(CipherId::Aes128Gcm, &key, 1, b"hello").unwrap();
        msg.push(0); // size mismatch
        assert!(matches!(
            decrypt(CipherId::Aes128Gcm, &key, &msg),
            Err(CryptoError::BadTransformHeader(_))
        ));
        let mut msg = encrypt(CipherId::Aes128Gcm, &key, 1, b"hello").unwrap();
        msg[0] = 0xFE;
        assert!(matches!(
            decrypt(CipherId::Aes128Gcm, &key, &msg),
            Err(CryptoError::BadTransformHeader(_))
        ));
        let mut msg = encrypt(CipherId::Aes128Gcm, &key, 1, b"hello").unwrap();
        msg[42] = 2;
        assert!(matches!(
            decrypt(CipherId::Aes128Gcm, &key, &msg),
            Err(CryptoError::BadTransformHeader(_))
        ));
        assert_eq!(
            encrypt(CipherId::Aes256Gcm, &key, 1, b"x"),
            Err(CryptoError::InvalidKeyLength {
                expected: 32,
                got: 16
            })
        );
    }
}
