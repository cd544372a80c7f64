//! The server side of NTLMv2 inside SPNEGO, written from MS-NLMP/MS-SPNG on its own (not the
//! engine's code), so that a hostile server can complete a real logon with a known password.

use hmac::{Hmac, Mac};
use md4::{Digest, Md4};
use md5::Md5;
use rc4::{KeyInit, Rc4, StreamCipher, consts::U16};

/// NTLM flags the server offers: Unicode, request target, sign, NTLM, always sign, target type
/// server, extended session security, target info, version, 128, key exchange, 56.
const CHALLENGE_FLAGS: u32 = 0x0000_0001
    | 0x0000_0004
    | 0x0000_0010
    | 0x0000_0200
    | 0x0000_8000
    | 0x0002_0000
    | 0x0008_0000
    | 0x0080_0000
    | 0x0200_0000
    | 0x2000_0000
    | 0x4000_0000
    | 0x8000_0000;
const KEY_EXCH: u32 = 0x4000_0000;

/// The DER `MechTypeList` holding NTLMSSP alone (what the client signs for mechListMIC).
const NTLMSSP_MECH_LIST: [u8; 14] = [
    0x30, 0x0c, 0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a,
];
const NTLMSSP_OID: [u8; 10] = [0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a];

fn hmac_md5(key: &[u8], parts: &[&[u8]]) -> [u8; 16] {
    let mut m = <Hmac<Md5> as Mac>::new_from_slice(key).expect("HMAC takes any key");
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().into()
}

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// A DER TLV (short and long lengths).
pub(crate) fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let n = content.len();
    if n < 0x80 {
        out.push(n as u8);
    } else {
        let bytes = n.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

/// One logon in progress.
pub(crate) struct NtlmServer {
    challenge: [u8; 8],
    challenge_message: Vec<u8>,
}

impl NtlmServer {
    /// A CHALLENGE with `extra_target_info` bytes of padding in an unknown AV pair (hostile
    /// servers inflate TargetInfo; the client echoes it back in its AUTHENTICATE).
    pub(crate) fn new(extra_target_info: usize) -> Self {
        let challenge = *b"hostile!";
        let mut info = Vec::new();
        let mut av = |id: u16, v: &[u8]| {
            info.extend_from_slice(&id.to_le_bytes());
            info.extend_from_slice(&(v.len() as u16).to_le_bytes());
            info.extend_from_slice(v);
        };
        av(2, &utf16("HOSTILE"));
        av(1, &utf16("HOSTILE"));
        let mut left = extra_target_info;
        while left > 0 {
            let n = left.min(0xFFF0);
            av(0x7F00, &vec![0x41; n]);
            left -= n;
        }
        av(7, &116_444_736_000_000_000u64.to_le_bytes());
        av(0, &[]);
        let mut m = b"NTLMSSP\0".to_vec();
        m.extend_from_slice(&2u32.to_le_bytes());
        m.extend_from_slice(&[0, 0, 0, 0, 56, 0, 0, 0]); // TargetName: empty at 56
        m.extend_from_slice(&CHALLENGE_FLAGS.to_le_bytes());
        m.extend_from_slice(&challenge);
        m.extend_from_slice(&[0; 8]);
        let len = (info.len() as u16).to_le_bytes();
        m.extend_from_slice(&[len[0], len[1], len[0], len[1], 56, 0, 0, 0]);
        m.extend_from_slice(&[6, 1, 0x7c, 0x4f, 0, 0, 0, 0x0f]); // Version
        m.extend_from_slice(&info);
        NtlmServer {
            challenge,
            challenge_message: m,
        }
    }

    /// The SPNEGO NegTokenResp carrying the CHALLENGE (accept-incomplete).
    pub(crate) fn challenge_token(&self) -> Vec<u8> {
        let mut seq = tlv(0xA0, &tlv(0x0A, &[1]));
        seq.extend(tlv(0xA1, &tlv(0x06, &NTLMSSP_OID)));
        seq.extend(tlv(0xA2, &tlv(0x04, &self.challenge_message)));
        tlv(0xA1, &tlv(0x30, &seq))
    }

    /// Checks the client's AUTHENTICATE against `password`; on success, the exported session
    /// key and the final SPNEGO token (accept-completed with our mechListMIC).
    pub(crate) fn verify(&self, token: &[u8], password: &str) -> Option<([u8; 16], Vec<u8>)> {
        let at = token.windows(8).position(|w| w == b"NTLMSSP\0")?;
        let m = &token[at..];
        let field = |off: usize| -> Option<&[u8]> {
            let len = u16::from_le_bytes(m.get(off..off + 2)?.try_into().ok()?) as usize;
            let start = u32::from_le_bytes(m.get(off + 4..off + 8)?.try_into().ok()?) as usize;
            m.get(start..start.checked_add(len)?)
        };
        let nt = field(20)?;
        let domain = String::from_utf16_lossy(
            &field(28)?
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect::<Vec<_>>(),
        );
        let user = String::from_utf16_lossy(
            &field(36)?
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect::<Vec<_>>(),
        );
        let encrypted_key = field(52)?;
        let flags = u32::from_le_bytes(m.get(60..64)?.try_into().ok()?);
        if nt.len() < 16 {
            return None;
        }
        let nt_hash: [u8; 16] = Md4::digest(utf16(password)).into();
        let mut id = utf16(&user.to_uppercase());
        id.extend(utf16(&domain));
        let ntowf = hmac_md5(&nt_hash, &[&id]);
        let proof = hmac_md5(&ntowf, &[&self.challenge, &nt[16..]]);
        if proof[..] != nt[..16] {
            return None;
        }
        let base = hmac_md5(&ntowf, &[&proof]);
        let exported = if flags & KEY_EXCH != 0 && encrypted_key.len() == 16 {
            let mut k: [u8; 16] = encrypted_key.try_into().ok()?;
            Rc4::<U16>::new(&base.into()).apply_keystream(&mut k);
            k
        } else {
            base
        };
        // mechListMIC: an NTLM signature (server to client, sequence 0) over the mech list.
        let sign_key = md5_of(
            &exported,
            b"session key to server-to-client signing key magic constant\0",
        );
        let seal_key = md5_of(
            &exported,
            b"session key to server-to-client sealing key magic constant\0",
        );
        let mut checksum: [u8; 8] = hmac_md5(&sign_key, &[&0u32.to_le_bytes(), &NTLMSSP_MECH_LIST])
            [..8]
            .try_into()
            .ok()?;
        if flags & KEY_EXCH != 0 {
            Rc4::<U16>::new(&seal_key.into()).apply_keystream(&mut checksum);
        }
        let mut mic = vec![1, 0, 0, 0];
        mic.extend_from_slice(&checksum);
        mic.extend_from_slice(&0u32.to_le_bytes());
        let mut seq = tlv(0xA0, &tlv(0x0A, &[0]));
        seq.extend(tlv(0xA3, &tlv(0x04, &mic)));
        Some((exported, tlv(0xA1, &tlv(0x30, &seq))))
    }
}

fn md5_of(a: &[u8], b: &[u8]) -> [u8; 16] {
    let mut h = Md5::new();
    h.update(a);
    h.update(b);
    h.finalize().into()
}
