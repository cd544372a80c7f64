//! READ (MS-SMB2 §2.2.19, §2.2.20).

use super::file_id::FileId;
use super::wire::{Put, check_structure_size, slice_at, u8_at, u32_at};
use super::{Command, DecodeError, Request, Response};

/// READ request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadRequest {
    /// Bytes wanted.
    pub length: u32,
    /// File offset.
    pub offset: u64,
    /// The handle.
    pub file_id: FileId,
    /// Fewer bytes than this is an error (0 = any).
    pub minimum_count: u32,
}

impl Request for ReadRequest {
    const COMMAND: Command = Command::Read;
    fn encode_body(&self, buf: &mut Vec<u8>) {
        buf.put_u16(49);
        buf.put_u8(0x50); // Padding: where we'd like the data (header + response body)
        buf.put_u8(0);
        buf.put_u32(self.length);
        buf.put_u64(self.offset);
        self.file_id.encode(buf);
        buf.put_u32(self.minimum_count);
        buf.put_u32(0); // Channel
        buf.put_u32(0); // RemainingBytes
        buf.put_u16(0);
        buf.put_u16(0);
        buf.push(0); // Buffer: one byte
    }
}

/// READ response: the data is borrowed out of the message by [`ReadResponse::data`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadResponse {
    /// Offset of the data from the header start.
    pub data_offset: usize,
    /// Length of the data.
    pub data_length: usize,
}

impl ReadResponse {
    /// The data inside `msg`, the message this was decoded from.
    pub fn data<'a>(&self, msg: &'a [u8]) -> &'a [u8] {
        &msg[self.data_offset..self.data_offset + self.data_length]
    }
}

impl Response for ReadResponse {
    const COMMAND: Command = Command::Read;
    fn decode(msg: &[u8]) -> Result<Self, DecodeError> {
        check_structure_size(msg, 17, "read: structure size")?;
        let off = u8_at(msg, 66, "read")? as usize;
        let len = u32_at(msg, 68, "read")? as usize;
        if len > 0 {
            slice_at(msg, off, len, "read: data")?;
        }
        Ok(ReadResponse {
            data_offset: if len > 0 { off } else { 0 },
            data_length: len,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::testing::{body_of, response_with, robust};

    #[test]
    fn layout_and_decode() {
        let m = body_of(&ReadRequest {
            length: 1 << 20,
            offset: 4096,
            file_id: FileId::default(),
            minimum_count: 0,
        });
        assert_eq!(m.len(), 64 + 49);
        assert_eq!(m[68..72], (1u32 << 20).to_le_bytes());
        assert_eq!(m[72..80], 4096u64.to_le_bytes());
        let mut b = Vec::new();
        b.put_u16(17);
        b.put_u8(80);
        b.put_u8(0);
        b.put_u32(5);
        b.put_u32(0);
        b.put_u32(0);
        b.extend_from_slice(b"hello");
        let msg = response_with(Command::Read, &b);
        let r = ReadResponse::decode(&msg).unwrap();
        assert_eq!(r.data(&msg), b"hello");
        robust::<ReadResponse>(&msg);
    }
}
