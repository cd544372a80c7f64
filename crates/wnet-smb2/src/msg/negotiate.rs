//! NEGOTIATE (MS-SMB2 §2.2.3, §2.2.4) with the SMB 3.1.1 negotiate contexts.

use super::wire::{
    Put, array_at, buffer, check_structure_size, pad_to, slice_at, u16_at, u32_at, u64_at,
};
use super::{Command, DecodeError, Request, Response};

/// A dialect revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Dialect(pub u16);

impl Dialect {
    /// SMB 2.0.2.
    pub const SMB202: Dialect = Dialect(0x0202);
    /// SMB 2.1.
    pub const SMB21: Dialect = Dialect(0x0210);
    /// SMB 3.0.
    pub const SMB30: Dialect = Dialect(0x0300);
    /// SMB 3.0.2.
    pub const SMB302: Dialect = Dialect(0x0302);
    /// SMB 3.1.1.
    pub const SMB311: Dialect = Dialect(0x0311);
    /// Whether this is an SMB 3.x dialect (keys from the KDF, encryption possible).
    pub fn is_smb3(self) -> bool {
        self.0 >= 0x0300
    }
}

/// SecurityMode bit: signing enabled.
pub const SIGNING_ENABLED: u16 = 0x0001;
/// SecurityMode bit: signing required.
pub const SIGNING_REQUIRED: u16 = 0x0002;

/// Global capabilities (MS-SMB2 §2.2.3).
pub mod caps {
    /// DFS.
    pub const DFS: u32 = 0x01;
    /// Leasing.
    pub const LEASING: u32 = 0x02;
    /// Multi-credit requests.
    pub const LARGE_MTU: u32 = 0x04;
    /// Multichannel.
    pub const MULTI_CHANNEL: u32 = 0x08;
    /// Persistent handles.
    pub const PERSISTENT_HANDLES: u32 = 0x10;
    /// Directory leasing.
    pub const DIRECTORY_LEASING: u32 = 0x20;
    /// Encryption (SMB 3.0/3.0.2).
    pub const ENCRYPTION: u32 = 0x40;
}

/// Cipher ids (MS-SMB2 §2.2.3.1.2).
pub mod cipher {
    /// AES-128-CCM.
    pub const AES_128_CCM: u16 = 1;
    /// AES-128-GCM.
    pub const AES_128_GCM: u16 = 2;
    /// AES-256-CCM.
    pub const AES_256_CCM: u16 = 3;
    /// AES-256-GCM.
    pub const AES_256_GCM: u16 = 4;
}

/// Signing algorithm ids (MS-SMB2 §2.2.3.1.7).
pub mod signing_algo {
    /// HMAC-SHA256.
    pub const HMAC_SHA256: u16 = 0;
    /// AES-CMAC.
    pub const AES_CMAC: u16 = 1;
    /// AES-GMAC.
    pub const AES_GMAC: u16 = 2;
}

/// Hash algorithm id of SHA-512 in the preauth integrity context.
pub const HASH_SHA512: u16 = 1;

/// One negotiate context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NegotiateContext {
    /// SMB2_PREAUTH_INTEGRITY_CAPABILITIES.
    PreauthIntegrity {
        /// Hash algorithm ids.
        hashes: Vec<u16>,
        /// Salt.
        salt: Vec<u8>,
    },
    /// SMB2_ENCRYPTION_CAPABILITIES.
    Encryption(Vec<u16>),
    /// SMB2_SIGNING_CAPABILITIES.
    Signing(Vec<u16>),
    /// Any other context, kept raw.
    Other {
        /// ContextType.
        kind: u16,
        /// Data.
        data: Vec<u8>,
    },
}

impl NegotiateContext {
    fn kind(&self) -> u16 {
        match self {
            NegotiateContext::PreauthIntegrity { .. } => 1,
            NegotiateContext::Encryption(_) => 2,
            NegotiateContext::Signing(_) => 8,
            NegotiateContext::Other { kind, .. } => *kind,
        }
    }

    fn data(&self) -> Vec<u8> {
        let mut d = Vec::new();
        match self {
            NegotiateContext::PreauthIntegrity { hashes, salt } => {
                d.put_u16(hashes.len() as u16);
                d.put_u16(salt.len() as u16);
                hashes.iter().for_each(|h| d.put_u16(*h));
                d.extend_from_slice(salt);
            }
            NegotiateContext::Encryption(ids) | NegotiateContext::Signing(ids) => {
                d.put_u16(ids.len() as u16);
                ids.iter().for_each(|h| d.put_u16(*h));
            }
            NegotiateContext::Other { data, .. } => d.extend_from_slice(data),
        }
        d
    }

    fn parse(kind: u16, d: &[u8]) -> Result<Self, DecodeError> {
        let list = |d: &[u8], start: usize, n: usize| -> Result<Vec<u16>, DecodeError> {
            (0..n)
                .map(|i| u16_at(d, start + 2 * i, "negotiate context: list"))
                .collect()
        };
        Ok(match kind {
            1 => {
                let n = u16_at(d, 0, "preauth context")? as usize;
                let salt_len = u16_at(d, 2, "preauth context")? as usize;
                let hashes = list(d, 4, n)?;
                let salt = slice_at(d, 4 + 2 * n, salt_len, "preauth salt")?.to_vec();
                NegotiateContext::PreauthIntegrity { hashes, salt }
            }
            2 => {
                NegotiateContext::Encryption(list(d, 2, u16_at(d, 0, "cipher context")? as usize)?)
            }
            8 => NegotiateContext::Signing(list(d, 2, u16_at(d, 0, "signing context")? as usize)?),
            _ => NegotiateContext::Other {
                kind,
                data: d.to_vec(),
            },
        })
    }
}

/// NEGOTIATE request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NegotiateRequest {
    /// SecurityMode (`SIGNING_ENABLED` / `SIGNING_REQUIRED`).
    pub security_mode: u16,
    /// Capabilities.
    pub capabilities: u32,
    /// ClientGuid.
    pub client_guid: [u8; 16],
    /// Dialects offered.
    pub dialects: Vec<Dialect>,
    /// Contexts (sent only when 3.1.1 is offered).
    pub contexts: Vec<NegotiateContext>,
}

impl Request for NegotiateRequest {
    const COMMAND: Command = Command::Negotiate;
    fn encode_body(&self, buf: &mut Vec<u8>) {
        let start = buf.len();
        buf.put_u16(36);
        buf.put_u16(self.dialects.len() as u16);
        buf.put_u16(self.security_mode);
        buf.put_u16(0);
        buf.put_u32(self.capabilities);
        buf.extend_from_slice(&self.client_guid);
        let ctx_off_at = buf.len();
        buf.put_u32(0); // NegotiateContextOffset, patched below
        buf.put_u16(self.contexts.len() as u16);
        buf.put_u16(0);
        debug_assert_eq!(buf.len() - start, 36);
        self.dialects.iter().for_each(|d| buf.put_u16(d.0));
        if !self.contexts.is_empty() {
            pad_to(buf, 8);
            buf.set_u32(ctx_off_at, buf.len() as u32);
            for (i, c) in self.contexts.iter().enumerate() {
                if i > 0 {
                    pad_to(buf, 8);
                }
                let data = c.data();
                buf.put_u16(c.kind());
                buf.put_u16(data.len() as u16);
                buf.put_u32(0);
                buf.extend_from_slice(&data);
            }
        }
    }
}

/// NEGOTIATE response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NegotiateResponse {
    /// SecurityMode.
    pub security_mode: u16,
    /// The dialect chosen.
    pub dialect: Dialect,
    /// ServerGuid.
    pub server_guid: [u8; 16],
    /// Capabilities.
    pub capabilities: u32,
    /// MaxTransactSize.
    pub max_transact_size: u32,
    /// MaxReadSize.
    pub max_read_size: u32,
    /// MaxWriteSize.
    pub max_write_size: u32,
    /// SystemTime (FILETIME).
    pub system_time: u64,
    /// The SPNEGO init token.
    pub security_buffer: Vec<u8>,
    /// Negotiate contexts (3.1.1).
    pub contexts: Vec<NegotiateContext>,
}

impl NegotiateResponse {
    /// The first cipher the server picked, if any.
    pub fn cipher(&self) -> Option<u16> {
        self.contexts.iter().find_map(|c| match c {
            NegotiateContext::Encryption(ids) => ids.first().copied(),
            _ => None,
        })
    }

    /// The signing algorithm the server picked, if it sent the context.
    pub fn signing_algorithm(&self) -> Option<u16> {
        self.contexts.iter().find_map(|c| match c {
            NegotiateContext::Signing(ids) => ids.first().copied(),
            _ => None,
        })
    }
}

impl Response for NegotiateResponse {
    const COMMAND: Command = Command::Negotiate;
    fn decode(msg: &[u8]) -> Result<Self, DecodeError> {
        const B: usize = 64;
        check_structure_size(msg, 65, "negotiate: structure size")?;
        let dialect = Dialect(u16_at(msg, B + 4, "negotiate")?);
        let ctx_count = u16_at(msg, B + 6, "negotiate")? as usize;
        let sec_off = u16_at(msg, B + 56, "negotiate")? as usize;
        let sec_len = u16_at(msg, B + 58, "negotiate")? as usize;
        let ctx_off = u32_at(msg, B + 60, "negotiate")? as usize;
        let mut contexts = Vec::new();
        if dialect == Dialect::SMB311 && ctx_count > 0 {
            let mut off = ctx_off;
            for i in 0..ctx_count {
                if i > 0 {
                    off = off.checked_add(7).ok_or(DecodeError("negotiate context"))? & !7;
                }
                let kind = u16_at(msg, off, "negotiate context")?;
                let len = u16_at(msg, off + 2, "negotiate context")? as usize;
                let data = slice_at(msg, off + 8, len, "negotiate context data")?;
                contexts.push(NegotiateContext::parse(kind, data)?);
                off += 8 + len;
            }
        }
        Ok(NegotiateResponse {
            security_mode: u16_at(msg, B + 2, "negotiate")?,
            dialect,
            server_guid: array_at(msg, B + 8, "negotiate")?,
            capabilities: u32_at(msg, B + 24, "negotiate")?,
            max_transact_size: u32_at(msg, B + 28, "negotiate")?,
            max_read_size: u32_at(msg, B + 32, "negotiate")?,
            max_write_size: u32_at(msg, B + 36, "negotiate")?,
            system_time: u64_at(msg, B + 40, "negotiate")?,
            security_buffer: buffer(msg, sec_off, sec_len, "negotiate: security buffer")?.to_vec(),
            contexts,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::Header;
    use crate::msg::testing::{body_of, robust};

    #[test]
    fn request_layout() {
        let req = NegotiateRequest {
            security_mode: SIGNING_ENABLED,
            capabilities: caps::LARGE_MTU,
            client_guid: [9; 16],
            dialects: vec![
                Dialect::SMB21,
                Dialect::SMB30,
                Dialect::SMB302,
                Dialect::SMB311,
            ],
            contexts: vec![
                NegotiateContext::PreauthIntegrity {
                    hashes: vec![HASH_SHA512],
                    salt: vec![1; 32],
                },
                NegotiateContext::Encryption(vec![cipher::AES_128_GCM]),
            ],
        };
        let msg = body_of(&req);
        let b = &msg[64..];
        assert_eq!(b[0..2], [36, 0]);
        assert_eq!(b[2..4], [4, 0]);
        assert_eq!(b[4..6], [1, 0]);
        assert_eq!(b[8..12], [4, 0, 0, 0]);
        assert_eq!(b[36..44], [0x10, 0x02, 0x00, 0x03, 0x02, 0x03, 0x11, 0x03]);
        // Contexts start 8-aligned from the header: 64 + 44 = 108 -> 112.
        assert_eq!(u32::from_le_bytes(b[28..32].try_into().unwrap()), 112);
        assert_eq!(b[32..34], [2, 0]);
        assert_eq!(msg[112..114], [1, 0]);
        assert_eq!(msg[114..116], [38, 0]);
        // Second context: 112 + 8 + 38 = 158 -> 160.
        assert_eq!(msg[160..162], [2, 0]);
        assert_eq!(msg[168..172], [1, 0, 2, 0]);
    }

    fn sample_response() -> Vec<u8> {
        let mut m = Vec::new();
        let mut h = Header::request(Command::Negotiate);
        h.flags.0 = 1;
        h.encode(&mut m);
        m.put_u16(65);
        m.put_u16(1);
        m.put_u16(0x0311);
        m.put_u16(2);
        m.extend_from_slice(&[7; 16]);
        m.put_u32(0x2F);
        m.put_u32(8 << 20);
        m.put_u32(8 << 20);
        m.put_u32(8 << 20);
        m.put_u64(1);
        m.put_u64(0);
        m.put_u16(128);
        m.put_u16(4);
        m.put_u32(136);
        m.extend_from_slice(b"spng");
        pad_to(&mut m, 8);
        m.put_u16(1);
        m.put_u16(38);
        m.put_u32(0);
        m.put_u16(1);
        m.put_u16(32);
        m.put_u16(1);
        m.extend_from_slice(&[3; 32]);
        pad_to(&mut m, 8);
        m.put_u16(8);
        m.put_u16(4);
        m.put_u32(0);
        m.put_u16(1);
        m.put_u16(2);
        m
    }

    #[test]
    fn response_decode() {
        let m = sample_response();
        let r = NegotiateResponse::decode(&m).unwrap();
        assert_eq!(r.dialect, Dialect::SMB311);
        assert_eq!(r.max_read_size, 8 << 20);
        assert_eq!(r.security_buffer, b"spng");
        assert_eq!(r.signing_algorithm(), Some(signing_algo::AES_GMAC));
        assert_eq!(r.cipher(), None);
        assert!(
            matches!(&r.contexts[0], NegotiateContext::PreauthIntegrity { salt, .. } if salt.len() == 32)
        );
        robust::<NegotiateResponse>(&m);
    }
}
