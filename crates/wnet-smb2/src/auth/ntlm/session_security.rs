//! NTLMSSP message signatures with extended session security (MS-NLMP
//! 3.4.4.2): what the SPNEGO mechListMIC is made of.
//!
//! `Signature = Version(1) || Checksum(8) || SeqNum(4)` where
//! `Checksum = HMAC-MD5(SignKey, SeqNum || message)[..8]`, RC4-encrypted
//! with the direction's sealing handle when KEY_EXCH was negotiated.

use rc4::{KeyInit, Rc4, StreamCipher, consts::U16};
use subtle::ConstantTimeEq;

use super::NegotiateFlags;
use super::hash::{hmac_md5, md5};

const C2S_SIGN: &[u8] = b"session key to client-to-server signing key magic constant\0";
const S2C_SIGN: &[u8] = b"session key to server-to-client signing key magic constant\0";
const C2S_SEAL: &[u8] = b"session key to client-to-server sealing key magic constant\0";
const S2C_SEAL: &[u8] = b"session key to server-to-client sealing key magic constant\0";

/// The client's NTLMSSP signing/sealing state after authentication.
///
/// Sequence numbers start at 0 in each direction and advance per call, and
/// each direction's RC4 stream runs on across calls, exactly as the server
/// keeps them: calls must happen in wire order.
pub struct NtlmSessionSecurity {
    client_sign: [u8; 16],
    server_sign: [u8; 16],
    client_seal: Rc4<U16>,
    server_seal: Rc4<U16>,
    key_exch: bool,
    send_seq: u32,
    recv_seq: u32,
}

impl std::fmt::Debug for NtlmSessionSecurity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NtlmSessionSecurity")
            .field("keys", &"<redacted>")
            .field("key_exch", &self.key_exch)
            .field("send_seq", &self.send_seq)
            .field("recv_seq", &self.recv_seq)
            .finish()
    }
}

impl NtlmSessionSecurity {
    /// Derives the four keys from the ExportedSessionKey and the negotiated
    /// flags (NEGOTIATE_128 / NEGOTIATE_56 choose how much of the key seals).
    /// Assumes extended session security, as this client always negotiates.
    pub fn new(exported_session_key: &[u8; 16], flags: NegotiateFlags) -> Self {
        let seal_len = if flags.contains(NegotiateFlags::NEGOTIATE_128) {
            16
        } else if flags.contains(NegotiateFlags::NEGOTIATE_56) {
            7
        } else {
            5
        };
        let seal_base = &exported_session_key[..seal_len];
        let client_seal = md5(&[seal_base, C2S_SEAL]);
        let server_seal = md5(&[seal_base, S2C_SEAL]);
        NtlmSessionSecurity {
            client_sign: md5(&[exported_session_key, C2S_SIGN]),
            server_sign: md5(&[exported_session_key, S2C_SIGN]),
            client_seal: Rc4::new(&client_seal.into()),
            server_seal: Rc4::new(&server_seal.into()),
            key_exch: flags.contains(NegotiateFlags::KEY_EXCH),
            send_seq: 0,
            recv_seq: 0,
        }
    }

    /// The signature of an outgoing `message` (e.g. the mechListMIC over the
    /// DER MechTypeList).
    pub fn sign(&mut self, message: &[u8]) -> [u8; 16] {
        let seq = self.send_seq;
        self.send_seq = self.send_seq.wrapping_add(1);
        signature(
            &self.client_sign,
            &mut self.client_seal,
            self.key_exch,
            seq,
            message,
        )
    }

    /// Checks the signature of an incoming `message` (the server's
    /// mechListMIC) in constant time.
    pub fn verify(&mut self, message: &[u8], signature_bytes: &[u8]) -> bool {
        let seq = self.recv_seq;
        self.recv_seq = self.recv_seq.wrapping_add(1);
        let expected = signature(
            &self.server_sign,
            &mut self.server_seal,
            self.key_exch,
            seq,
            message,
        );
        signature_bytes.len() == 16 && bool::from(expected.ct_eq(signature_bytes))
    }

    /// Encrypts an outgoing `message` in place and returns its signature
    /// (GSS_WrapEx; unused by SMB itself, kept for DCE/RPC and the spec's test vector).
    pub fn seal(&mut self, message: &mut [u8]) -> [u8; 16] {
        let plain = message.to_vec();
        self.client_seal.apply_keystream(message);
        let seq = self.send_seq;
        self.send_seq = self.send_seq.wrapping_add(1);
        signature(
            &self.client_sign,
            &mut self.client_seal,
            self.key_exch,
            seq,
            &plain,
        )
    }
}

fn signature(
    sign_key: &[u8; 16],
    seal: &mut Rc4<U16>,
    key_exch: bool,
    seq: u32,
    message: &[u8],
) -> [u8; 16] {
    let mac = hmac_md5(sign_key, &[&seq.to_le_bytes(), message]);
    let mut checksum = [0u8; 8];
    checksum.copy_from_slice(&mac[..8]);
    if key_exch {
        seal.apply_keystream(&mut checksum);
    }
    let mut out = [0u8; 16];
    out[..4].copy_from_slice(&1u32.to_le_bytes());
    out[4..12].copy_from_slice(&checksum);
    out[12..].copy_from_slice(&seq.to_le_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::kdf::tests::hex;

    // MS-NLMP 4.2.4.4 (GSS_WrapEx, NTLMv2): exported key 0x55.., flags with
    // KEY_EXCH and 128, plaintext "Plaintext" in UTF-16LE.
    #[test]
    fn seal_matches_spec() {
        let flags = NegotiateFlags::KEY_EXCH
            | NegotiateFlags::NEGOTIATE_128
            | NegotiateFlags::EXTENDED_SESSIONSECURITY;
        let mut sec = NtlmSessionSecurity::new(&[0x55; 16], flags);
        assert_eq!(
            sec.client_sign.to_vec(),
            hex("4788dc861b4782f35d43fd98fe1a2d39")
        );
        let mut msg: Vec<u8> = "Plaintext"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let sig = sec.seal(&mut msg);
        assert_eq!(msg, hex("54e50165bf1936dc996020c1811b0f06fb5f"));
        assert_eq!(sig.to_vec(), hex("010000007fb38ec5c55d497600000000"));
    }

    #[test]
    fn client_signature_verifies_on_a_mirrored_server() {
        let key = [7u8; 16];
        let flags = NegotiateFlags::CLIENT;
        let mut client = NtlmSessionSecurity::new(&key, flags);
        // A "server" is the client with the directions swapped.
        let mut server = NtlmSessionSecurity::new(&key, flags);
        std::mem::swap(&mut server.client_sign, &mut server.server_sign);
        std::mem::swap(&mut server.client_seal, &mut server.server_seal);
        let sig = client.sign(b"mech list");
        assert!(server.verify(b"mech list", &sig));
        let reply = server.sign(b"mech list");
        assert!(client.verify(b"mech list", &reply));
        // The next one in the stream does not verify a replay.
        assert!(!client.verify(b"mech list", &reply));
        assert!(!client.verify(b"mech list", &reply[..8]));
    }
}
