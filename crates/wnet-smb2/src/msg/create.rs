//! CREATE (MS-SMB2 §2.2.13, §2.2.14) with create contexts (§2.2.13.2).

use super::file_id::FileId;
use super::fscc::FileTime;
use super::wire::{
    Put, buffer, check_structure_size, pad_to, slice_at, u8_at, u16_at, u32_at, u64_at, utf16,
};
use super::{Command, DecodeError, Request, Response};

/// CreateDisposition values.
pub mod disposition {
    /// Replace if it exists, create otherwise.
    pub const SUPERSEDE: u32 = 0;
    /// Open only if it exists.
    pub const OPEN: u32 = 1;
    /// Create only if it does not exist.
    pub const CREATE: u32 = 2;
    /// Open or create.
    pub const OPEN_IF: u32 = 3;
    /// Open and truncate; fail if missing.
    pub const OVERWRITE: u32 = 4;
    /// Open and truncate, or create.
    pub const OVERWRITE_IF: u32 = 5;
}

/// CreateOptions bits.
pub mod options {
    /// The target must be a directory.
    pub const DIRECTORY_FILE: u32 = 0x0000_0001;
    /// Write-through.
    pub const WRITE_THROUGH: u32 = 0x0000_0002;
    /// The target must not be a directory.
    pub const NON_DIRECTORY_FILE: u32 = 0x0000_0040;
    /// Delete when the last handle closes.
    pub const DELETE_ON_CLOSE: u32 = 0x0000_1000;
    /// Open a reparse point itself.
    pub const OPEN_REPARSE_POINT: u32 = 0x0020_0000;
}

/// ShareAccess bits.
pub mod share {
    /// Others may read.
    pub const READ: u32 = 1;
    /// Others may write.
    pub const WRITE: u32 = 2;
    /// Others may delete/rename.
    pub const DELETE: u32 = 4;
    /// All of them.
    pub const ALL: u32 = 7;
}

/// RequestedOplockLevel values.
pub mod oplock {
    /// None.
    pub const NONE: u8 = 0;
    /// Level II.
    pub const LEVEL_II: u8 = 1;
    /// Exclusive.
    pub const EXCLUSIVE: u8 = 8;
    /// Batch.
    pub const BATCH: u8 = 9;
    /// A lease (context RqLs decides).
    pub const LEASE: u8 = 0xFF;
}

/// Lease state bits.
pub mod lease {
    /// Read caching.
    pub const READ: u32 = 1;
    /// Handle caching.
    pub const HANDLE: u32 = 2;
    /// Write caching.
    pub const WRITE: u32 = 4;
}

/// A create context, request or response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateContext {
    /// "DH2Q": durable handle request v2.
    DurableV2Request {
        /// Timeout in ms (0 = server default).
        timeout_ms: u32,
        /// Persistent handle wanted.
        persistent: bool,
        /// CreateGuid, the replay identity.
        create_guid: [u8; 16],
    },
    /// "DH2C": durable handle reconnect v2.
    DurableV2Reconnect {
        /// The handle to reclaim.
        file_id: FileId,
        /// The CreateGuid of the original open.
        create_guid: [u8; 16],
        /// Flags (persistent).
        persistent: bool,
    },
    /// "RqLs": lease request/response v2.
    LeaseV2 {
        /// LeaseKey.
        key: [u8; 16],
        /// Lease state bits.
        state: u32,
        /// ParentLeaseKey (zero when none).
        parent_key: [u8; 16],
        /// Epoch.
        epoch: u16,
    },
    /// "MxAc": query maximal access (request carries no data).
    QueryMaximalAccess,
    /// Any context, raw (responses to DH2Q, MxAc and unknown names land here).
    Raw {
        /// Name bytes.
        name: Vec<u8>,
        /// Data bytes.
        data: Vec<u8>,
    },
}

impl CreateContext {
    fn name_and_data(&self) -> (Vec<u8>, Vec<u8>) {
        let mut d = Vec::new();
        let name: &[u8] = match self {
            CreateContext::DurableV2Request {
                timeout_ms,
                persistent,
                create_guid,
            } => {
                d.put_u32(*timeout_ms);
                d.put_u32(if *persistent { 2 } else { 0 });
                d.put_u64(0);
                d.extend_from_slice(create_guid);
                b"DH2Q"
            }
            CreateContext::DurableV2Reconnect {
                file_id,
                create_guid,
                persistent,
            } => {
                file_id.encode(&mut d);
                d.extend_from_slice(create_guid);
                d.put_u32(if *persistent { 2 } else { 0 });
                b"DH2C"
            }
            CreateContext::LeaseV2 {
                key,
                state,
                parent_key,
                epoch,
            } => {
                d.extend_from_slice(key);
                d.put_u32(*state);
                let has_parent = parent_key.iter().any(|b| *b != 0);
                d.put_u32(if has_parent { 4 } else { 0 });
                d.put_u64(0);
                d.extend_from_slice(parent_key);
                d.put_u16(*epoch);
                d.put_u16(0);
                b"RqLs"
            }
            CreateContext::QueryMaximalAccess => b"MxAc",
            CreateContext::Raw { name, data } => {
                d.extend_from_slice(data);
                return (name.clone(), d);
            }
        };
        (name.to_vec(), d)
    }

    /// Encodes a chain of contexts; the chain starts 8-aligned.
    pub fn encode_chain(ctxs: &[CreateContext]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut prev_start: Option<usize> = None;
        for c in ctxs {
            pad_to(&mut out, 8);
            let start = out.len();
            if let Some(p) = prev_start {
                out.set_u32(p, (start - p) as u32);
            }
            let (name, data) = c.name_and_data();
            out.put_u32(0); // Next
            out.put_u16(16); // NameOffset
            out.put_u16(name.len() as u16);
            out.put_u16(0);
            let data_off = if data.is_empty() {
                0
            } else {
                (16 + name.len() + 7) & !7
            };
            out.put_u16(data_off as u16);
            out.put_u32(data.len() as u32);
            out.extend_from_slice(&name);
            if !data.is_empty() {
                pad_to(&mut out, 8);
                out.extend_from_slice(&data);
            }
            prev_start = Some(start);
        }
        out
    }

    /// Decodes a chain of contexts (response form: lease parsed, others raw).
    pub fn decode_chain(b: &[u8]) -> Result<Vec<CreateContext>, DecodeError> {
        const W: &str = "create context";
        if b.is_empty() {
            return Ok(Vec::new());
        }
        // Contexts are 8-byte aligned (MS-SMB2 §2.2.13.2).
        super::wire::walk_chain(b, 8, W, |e| {
            let name = slice_at(e, u16_at(e, 4, W)? as usize, u16_at(e, 6, W)? as usize, W)?;
            let data = slice_at(e, u16_at(e, 10, W)? as usize, u32_at(e, 12, W)? as usize, W)?;
            Ok(if name == b"RqLs" && data.len() >= 52 {
                CreateContext::LeaseV2 {
                    key: super::wire::array_at(data, 0, W)?,
                    state: u32_at(data, 16, W)?,
                    parent_key: super::wire::array_at(data, 32, W)?,
                    epoch: u16_at(data, 48, W)?,
                }
            } else {
                CreateContext::Raw {
                    name: name.to_vec(),
                    data: data.to_vec(),
                }
            })
        })
    }
}

/// CREATE request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateRequest {
    /// RequestedOplockLevel.
    pub oplock_level: u8,
    /// DesiredAccess.
    pub desired_access: u32,
    /// FileAttributes for a new file.
    pub file_attributes: u32,
    /// ShareAccess.
    pub share_access: u32,
    /// CreateDisposition.
    pub disposition: u32,
    /// CreateOptions.
    pub options: u32,
    /// Path relative to the share, backslash-separated, no leading backslash; "" is the root.
    pub name: String,
    /// Create contexts.
    pub contexts: Vec<CreateContext>,
}

impl Request for CreateRequest {
    const COMMAND: Command = Command::Create;
    fn encode_body(&self, buf: &mut Vec<u8>) {
        let start = buf.len();
        let name = utf16(&self.name);
        buf.put_u16(57);
        buf.put_u8(0);
        buf.put_u8(self.oplock_level);
        buf.put_u32(2); // ImpersonationLevel: Impersonation
        buf.put_u64(0);
        buf.put_u64(0);
        buf.put_u32(self.desired_access);
        buf.put_u32(self.file_attributes);
        buf.put_u32(self.share_access);
        buf.put_u32(self.disposition);
        buf.put_u32(self.options);
        buf.put_u16((start + 56) as u16);
        buf.put_u16(name.len() as u16);
        let ctx_at = buf.len();
        buf.put_u32(0);
        buf.put_u32(0);
        buf.extend_from_slice(&name);
        if name.is_empty() {
            buf.push(0); // the Buffer field is at least one byte
        }
        if !self.contexts.is_empty() {
            pad_to(buf, 8);
            let chain = CreateContext::encode_chain(&self.contexts);
            buf.set_u32(ctx_at, buf.len() as u32);
            buf.set_u32(ctx_at + 4, chain.len() as u32);
            buf.extend_from_slice(&chain);
        }
    }
}

/// CREATE response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateResponse {
    /// Granted oplock level.
    pub oplock_level: u8,
    /// CreateAction (0 superseded, 1 opened, 2 created, 3 overwritten).
    pub create_action: u32,
    /// Creation time.
    pub creation_time: FileTime,
    /// Last access time.
    pub last_access_time: FileTime,
    /// Last write time.
    pub last_write_time: FileTime,
    /// Change time.
    pub change_time: FileTime,
    /// Allocation size.
    pub allocation_size: u64,
    /// End of file.
    pub end_of_file: u64,
    /// Attributes.
    pub file_attributes: u32,
    /// The handle.
    pub file_id: FileId,
    /// Response contexts.
    pub contexts: Vec<CreateContext>,
}

impl Response for CreateResponse {
    const COMMAND: Command = Command::Create;
    fn decode(msg: &[u8]) -> Result<Self, DecodeError> {
        const B: usize = 64;
        const W: &str = "create";
        check_structure_size(msg, 89, "create: structure size")?;
        let ctx_off = u32_at(msg, B + 80, W)? as usize;
        let ctx_len = u32_at(msg, B + 84, W)? as usize;
        Ok(CreateResponse {
            oplock_level: u8_at(msg, B + 2, W)?,
            create_action: u32_at(msg, B + 4, W)?,
            creation_time: FileTime(u64_at(msg, B + 8, W)?),
            last_access_time: FileTime(u64_at(msg, B + 16, W)?),
            last_write_time: FileTime(u64_at(msg, B + 24, W)?),
            change_time: FileTime(u64_at(msg, B + 32, W)?),
            allocation_size: u64_at(msg, B + 40, W)?,
            end_of_file: u64_at(msg, B + 48, W)?,
            file_attributes: u32_at(msg, B + 56, W)?,
            file_id: FileId::decode_at(msg, B + 64)?,
            contexts: CreateContext::decode_chain(buffer(
                msg,
                ctx_off,
                ctx_len,
                "create: contexts",
            )?)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::testing::{body_of, response_with, robust};

    #[test]
    fn request_layout_with_contexts() {
        let r = CreateRequest {
            oplock_level: oplock::LEASE,
            desired_access: 0x0012_0089,
            file_attributes: 0,
            share_access: share::ALL,
            disposition: disposition::OPEN,
            options: options::NON_DIRECTORY_FILE,
            name: "a\\b.txt".into(),
            contexts: vec![
                CreateContext::DurableV2Request {
                    timeout_ms: 0,
                    persistent: false,
                    create_guid: [5; 16],
                },
                CreateContext::LeaseV2 {
                    key: [1; 16],
                    state: lease::READ,
                    parent_key: [0; 16],
                    epoch: 0,
                },
                CreateContext::QueryMaximalAccess,
            ],
        };
        let m = body_of(&r);
        assert_eq!(m[64..66], [57, 0]);
        assert_eq!(m[67], 0xFF);
        assert_eq!(m[64 + 44..64 + 46], [120, 0]);
        assert_eq!(m[64 + 46..64 + 48], [14, 0]);
        assert_eq!(&m[120..134], utf16("a\\b.txt").as_slice());
        let ctx_off = u32::from_le_bytes(m[112..116].try_into().unwrap()) as usize;
        let ctx_len = u32::from_le_bytes(m[116..120].try_into().unwrap()) as usize;
        assert_eq!(ctx_off % 8, 0);
        assert_eq!(ctx_off, 136);
        assert_eq!(ctx_off + ctx_len, m.len());
        let c = &m[ctx_off..];
        // DH2Q: Next = 16 + 8 (name padded) + 32 = 56.
        assert_eq!(c[0..4], [56, 0, 0, 0]);
        assert_eq!(&c[16..20], b"DH2Q");
        assert_eq!(c[10..12], [24, 0]);
        assert_eq!(c[12..16], [32, 0, 0, 0]);
        // The request chain decodes back (lease parsed, others raw).
        let back = CreateContext::decode_chain(&m[ctx_off..]).unwrap();
        assert_eq!(back.len(), 3);
        assert!(matches!(
            back[1],
            CreateContext::LeaseV2 {
                state: lease::READ,
                ..
            }
        ));
        assert!(
            matches!(&back[2], CreateContext::Raw { name, data } if name == b"MxAc" && data.is_empty())
        );
    }

    #[test]
    fn empty_name_has_one_byte_buffer() {
        let r = CreateRequest {
            oplock_level: 0,
            desired_access: 1,
            file_attributes: 0,
            share_access: 7,
            disposition: 1,
            options: 0,
            name: String::new(),
            contexts: vec![],
        };
        assert_eq!(body_of(&r).len(), 64 + 57);
    }

    #[test]
    fn response_decode() {
        let mut b = Vec::new();
        b.put_u16(89);
        b.put_u8(0);
        b.put_u8(0);
        b.put_u32(2);
        for t in 1..=4u64 {
            b.put_u64(t);
        }
        b.put_u64(4096);
        b.put_u64(11);
        b.put_u32(0x20);
        b.put_u32(0);
        b.put_u64(0x1111);
        b.put_u64(0x2222);
        let ctx = CreateContext::encode_chain(&[CreateContext::Raw {
            name: b"MxAc".to_vec(),
            data: vec![0; 8],
        }]);
        b.put_u32(64 + 88);
        b.put_u32(ctx.len() as u32);
        b.extend_from_slice(&ctx);
        let m = response_with(Command::Create, &b);
        let r = CreateResponse::decode(&m).unwrap();
        assert_eq!(r.create_action, 2);
        assert_eq!(r.end_of_file, 11);
        assert_eq!(
            r.file_id,
            FileId {
                persistent: 0x1111,
                volatile: 0x2222
            }
        );
        assert_eq!(r.contexts.len(), 1);
        robust::<CreateResponse>(&m);
    }
}
