//! SMB2/3 message signing (MS-SMB2 3.1.4.1).
//!
//! A signature covers one SMB2 message with its 16-byte Signature field (at
//! offset 48 of the 64-byte header) taken as zero. In a compound chain every
//! part is signed on its own: pass just that part's slice (from its header to
//! the next part's header, padding included; the last part runs to the end).

use aes::Aes128;
use cmac::Cmac;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use super::CryptoError;

/// Offset of the Signature field in the SMB2 header.
pub const SIGNATURE_OFFSET: usize = 48;
/// Length of the Signature field.
pub const SIGNATURE_LEN: usize = 16;
/// Length of the SMB2 sync/async header.
pub const HEADER_LEN: usize = 64;

/// `SMB2_FLAGS_SERVER_TO_REDIR`: the message is a response.
const FLAG_RESPONSE: u32 = 0x0000_0001;
/// `SMB2_FLAGS_SIGNED`.
const FLAG_SIGNED: u32 = 0x0000_0008;
/// `SMB2 CANCEL` command code.
const CMD_CANCEL: u16 = 0x000C;

/// The algorithm that signs a session's messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SigningAlgo {
    /// HMAC-SHA256, truncated to 16 bytes: SMB 2.0.2 and 2.1.
    HmacSha256,
    /// AES-128-CMAC: SMB 3.0, 3.0.2, and 3.1.1 unless GMAC was negotiated.
    AesCmac,
    /// AES-128-GMAC: SMB 3.1.1 with the SIGNING_CAPABILITIES context.
    AesGmac,
}

impl SigningAlgo {
    /// The algorithm for a SIGNING_CAPABILITIES `SigningAlgorithmId`
    /// (0 HMAC-SHA256, 1 AES-CMAC, 2 AES-GMAC), or None if unknown.
    pub fn from_wire(id: u16) -> Option<Self> {
        match id {
            0 => Some(SigningAlgo::HmacSha256),
            1 => Some(SigningAlgo::AesCmac),
            2 => Some(SigningAlgo::AesGmac),
            _ => None,
        }
    }

    /// The SIGNING_CAPABILITIES `SigningAlgorithmId` of this algorithm.
    pub fn wire_id(self) -> u16 {
        match self {
            SigningAlgo::HmacSha256 => 0,
            SigningAlgo::AesCmac => 1,
            SigningAlgo::AesGmac => 2,
        }
    }
}

/// Signs `msg` in place: sets `SMB2_FLAGS_SIGNED` in the header, then writes
/// the signature into the Signature field.
///
/// `key` is the session's signing key (see [`crate::crypto::kdf`]); AES
/// algorithms need exactly 16 bytes, HMAC-SHA256 uses the first 16.
///
/// # Errors
/// [`CryptoError::MessageTooShort`] if `msg` has no full SMB2 header;
/// [`CryptoError::InvalidKeyLength`] for a bad AES key.
pub fn sign(key: &[u8], algo: SigningAlgo, msg: &mut [u8]) -> Result<(), CryptoError> {
    check_len(msg)?;
    let flags = read_u32(msg, 16) | FLAG_SIGNED;
    msg[16..20].copy_from_slice(&flags.to_le_bytes());
    msg[SIGNATURE_OFFSET..SIGNATURE_OFFSET + SIGNATURE_LEN].fill(0);
    let sig = compute(key, algo, msg)?;
    msg[SIGNATURE_OFFSET..SIGNATURE_OFFSET + SIGNATURE_LEN].copy_from_slice(&sig);
    Ok(())
}

/// Checks the signature of a received `msg` in constant time.
///
/// The Signature field is zeroed while computing and restored before
/// returning, so `msg` is unchanged afterwards (taking `&mut` avoids copying
/// large READ responses). Returns false for a wrong signature, a short
/// message or a bad key.
pub fn verify(key: &[u8], algo: SigningAlgo, msg: &mut [u8]) -> bool {
    if check_len(msg).is_err() {
        return false;
    }
    let mut received = [0u8; SIGNATURE_LEN];
    received.copy_from_slice(&msg[SIGNATURE_OFFSET..SIGNATURE_OFFSET + SIGNATURE_LEN]);
    msg[SIGNATURE_OFFSET..SIGNATURE_OFFSET + SIGNATURE_LEN].fill(0);
    let computed = compute(key, algo, msg);
    msg[SIGNATURE_OFFSET..SIGNATURE_OFFSET + SIGNATURE_LEN].copy_from_slice(&received);
    match computed {
        Ok(sig) => bool::from(sig.ct_eq(&received)),
        Err(_) => false,
    }
}

/// The signature of `msg`, whose Signature field must already be zero.
fn compute(key: &[u8], algo: SigningAlgo, msg: &[u8]) -> Result<[u8; 16], CryptoError> {
    let mut out = [0u8; 16];
    match algo {
        SigningAlgo::HmacSha256 => {
            let k = &key[..key.len().min(16)];
            let mut mac =
                <Hmac<Sha256> as Mac>::new_from_slice(k).expect("HMAC accepts any key length");
            mac.update(msg);
            out.copy_from_slice(&mac.finalize().into_bytes()[..16]);
        }
        SigningAlgo::AesCmac => {
            let mut mac = <Cmac<Aes128> as Mac>::new_from_slice(key).map_err(|_| bad_key(key))?;
            mac.update(msg);
            out.copy_from_slice(&mac.finalize().into_bytes());
        }
        SigningAlgo::AesGmac => {
            let key: &[u8; 16] = key.try_into().map_err(|_| bad_key(key))?;
            out = super::gmac::gmac(key, &gmac_nonce(msg), msg);
        }
    }
    Ok(out)
}

/// The AES-GMAC nonce: MessageId (8 bytes LE), then a 32-bit LE word with
/// bit 0 set for a server-to-client message and bit 1 for a CANCEL request.
fn gmac_nonce(msg: &[u8]) -> [u8; 12] {
    let mut nonce = [0u8; 12];
    nonce[..8].copy_from_slice(&msg[24..32]);
    let flags = read_u32(msg, 16);
    let command = u16::from_le_bytes([msg[12], msg[13]]);
    let mut role = flags & FLAG_RESPONSE;
    if command == CMD_CANCEL {
        role |= 0x2;
    }
    nonce[8..].copy_from_slice(&role.to_le_bytes());
    nonce
}

fn check_len(msg: &[u8]) -> Result<(), CryptoError> {
    if msg.len() < HEADER_LEN {
        return Err(CryptoError::MessageTooShort {
            needed: HEADER_LEN,
            got: msg.len(),
        });
    }
    Ok(())
}

fn read_u32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn bad_key(key: &[u8]) -> CryptoError {
    CryptoError::InvalidKeyLength {
        expected: 16,
        got: key.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::kdf::tests::hex;

    /// A WRITE request (MS blog "Encryption in SMB 3.0", signature zeroed).
    fn write_request() -> Vec<u8> {
        hex(
            "FE534D4240000100000000000900400008000000000000000400000000000000\
             FFFE0000010000001100001400E4080000000000000000000000000000000000\
             3100700017000000000000000000000015010000390000020100000039020000\
             00000000000000007000000000000000536D623320656E6372797074696F6E20\
             74657374696E67",
        )
    }

    const KEY: [u8; 16] = [0x42; 16];
    const ALL: [SigningAlgo; 3] = [
        SigningAlgo::HmacSha256,
        SigningAlgo::AesCmac,
        SigningAlgo::AesGmac,
    ];

    #[test]
    fn sign_then_verify_round_trips_for_every_algorithm() {
        for algo in ALL {
            let mut msg = write_request();
            sign(&KEY, algo, &mut msg).unwrap();
            assert_ne!(&msg[48..64], &[0u8; 16], "{algo:?}");
            assert_eq!(read_u32(&msg, 16) & FLAG_SIGNED, FLAG_SIGNED);
            let before = msg.clone();
            assert!(verify(&KEY, algo, &mut msg), "{algo:?}");
            assert_eq!(msg, before, "verify must leave the message unchanged");
        }
    }

    #[test]
    fn tampered_message_or_wrong_key_fails_verification() {
        for algo in ALL {
            let mut msg = write_request();
            sign(&KEY, algo, &mut msg).unwrap();
            let mut tampered = msg.clone();
            let last = tampered.len() - 1;
            tampered[last] ^= 1;
            assert!(!verify(&KEY, algo, &mut tampered), "{algo:?}");
            assert!(!verify(&[0x43; 16], algo, &mut msg.clone()), "{algo:?}");
            let mut bad_sig = msg.clone();
            bad_sig[50] ^= 0x80;
            assert!(!verify(&KEY, algo, &mut bad_sig), "{algo:?}");
        }
    }

    #[test]
    fn short_messages_and_bad_keys_are_errors_not_panics() {
        let mut short = vec![0u8; 63];
        assert_eq!(
            sign(&KEY, SigningAlgo::AesCmac, &mut short),
            Err(CryptoError::MessageTooShort {
                needed: 64,
                got: 63
            })
        );
        assert!(!verify(&KEY, SigningAlgo::AesCmac, &mut short));
        let mut msg = write_request();
        assert_eq!(
            sign(&[1, 2, 3], SigningAlgo::AesGmac, &mut msg),
            Err(CryptoError::InvalidKeyLength {
                expected: 16,
                got: 3
            })
        );
        assert!(!verify(&[1, 2, 3], SigningAlgo::AesCmac, &mut msg));
    }

    #[test]
    fn gmac_nonce_carries_message_id_role_and_cancel() {
        let mut msg = write_request();
        assert_eq!(gmac_nonce(&msg), [4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        msg[16] |= 1; // response
        assert_eq!(gmac_nonce(&msg)[8..], [1, 0, 0, 0]);
        msg[12] = 0x0C; // CANCEL
        assert_eq!(gmac_nonce(&msg)[8..], [3, 0, 0, 0]);
        // The role bit changes the signature: a request cannot be replayed as a response.
        let mut req = write_request();
        let mut resp = write_request();
        resp[16] |= 1;
        sign(&KEY, SigningAlgo::AesGmac, &mut req).unwrap();
        sign(&KEY, SigningAlgo::AesGmac, &mut resp).unwrap();
        assert_ne!(req[48..64], resp[48..64]);
    }

    // Known answers computed independently with Python's `hmac` and
    // `cryptography` (CMAC, AESGCM with empty plaintext) over the same bytes,
    // key = the SMB 3.0 blog's signing key, GMAC nonce = MessageId 4 || 0.
    #[test]
    fn signatures_match_independent_implementation() {
        let expect = [
            (SigningAlgo::HmacSha256, KAT_HMAC),
            (SigningAlgo::AesCmac, KAT_CMAC),
            (SigningAlgo::AesGmac, KAT_GMAC),
        ];
        for (algo, sig) in expect {
            let mut msg = write_request();
            sign(&hex("F773CD23C18FD1E08EE510CADA7CF852"), algo, &mut msg).unwrap();
            assert_eq!(msg[48..64].to_vec(), hex(sig), "{algo:?}");
        }
    }

    const KAT_HMAC: &str = "15486E7B0233C420AB1FF9EC29A0406C";
    const KAT_CMAC: &str = "A7C3978D77323E357F43B9747B7504ED";
    const KAT_GMAC: &str = "BF8B383744B03CE09DECC5BBF99B064F";
}
