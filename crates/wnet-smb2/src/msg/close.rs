//! CLOSE (MS-SMB2 §2.2.15, §2.2.16).

use super::file_id::FileId;
use super::fscc::{FileNetworkOpenInformation, FileTime};
use super::wire::{Put, check_structure_size, u16_at, u32_at, u64_at};
use super::{Command, DecodeError, Request, Response};

/// Flags bit: return the attributes in the response.
pub const POSTQUERY_ATTRIB: u16 = 0x0001;

/// CLOSE request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseRequest {
    /// Flags (`POSTQUERY_ATTRIB`).
    pub flags: u16,
    /// The handle.
    pub file_id: FileId,
}

impl Request for CloseRequest {
    const COMMAND: Command = Command::Close;
    fn encode_body(&self, buf: &mut Vec<u8>) {
        buf.put_u16(24);
        buf.put_u16(self.flags);
        buf.put_u32(0);
        self.file_id.encode(buf);
    }
}

/// CLOSE response; `info` is meaningful only when `POSTQUERY_ATTRIB` was asked and granted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseResponse {
    /// Flags echoed.
    pub flags: u16,
    /// The attributes after close.
    pub info: FileNetworkOpenInformation,
}

impl Response for CloseResponse {
    const COMMAND: Command = Command::Close;
    fn decode(msg: &[u8]) -> Result<Self, DecodeError> {
        const B: usize = 64;
        const W: &str = "close";
        check_structure_size(msg, 60, "close: structure size")?;
        Ok(CloseResponse {
            flags: u16_at(msg, B + 2, W)?,
            info: FileNetworkOpenInformation {
                creation_time: FileTime(u64_at(msg, B + 8, W)?),
                last_access_time: FileTime(u64_at(msg, B + 16, W)?),
                last_write_time: FileTime(u64_at(msg, B + 24, W)?),
                change_time: FileTime(u64_at(msg, B + 32, W)?),
                allocation_size: u64_at(msg, B + 40, W)?,
                end_of_file: u64_at(msg, B + 48, W)?,
                attributes: u32_at(msg, B + 56, W)?,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::testing::{body_of, response_with, robust};

    #[test]
    fn layout_and_decode() {
        let m = body_of(&CloseRequest {
            flags: POSTQUERY_ATTRIB,
            file_id: FileId {
                persistent: 1,
                volatile: 2,
            },
        });
        assert_eq!(m.len(), 64 + 24);
        assert_eq!(m[64..68], [24, 0, 1, 0]);
        assert_eq!(m[72..80], 1u64.to_le_bytes());
        let mut b = Vec::new();
        b.put_u16(60);
        b.put_u16(1);
        b.put_u32(0);
        for t in 1..=4u64 {
            b.put_u64(t);
        }
        b.put_u64(0);
        b.put_u64(77);
        b.put_u32(0x20);
        let r = CloseResponse::decode(&response_with(Command::Close, &b)).unwrap();
        assert_eq!(r.info.end_of_file, 77);
        robust::<CloseResponse>(&response_with(Command::Close, &b));
    }
}
