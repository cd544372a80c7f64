//! WRITE (MS-SMB2 §2.2.21, §2.2.22).

use super::file_id::FileId;
use super::wire::{Put, check_structure_size, u32_at};
use super::{Command, DecodeError, Request, Response};

/// WRITE request; the data is borrowed so that a large write is copied once, into the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteRequest<'a> {
    /// File offset.
    pub offset: u64,
    /// The handle.
    pub file_id: FileId,
    /// The data.
    pub data: &'a [u8],
    /// Flags (`1` = write-through).
    pub flags: u32,
}

impl Request for WriteRequest<'_> {
    const COMMAND: Command = Command::Write;
    fn encode_body(&self, buf: &mut Vec<u8>) {
        buf.reserve(48 + self.data.len());
        let start = buf.len();
        buf.put_u16(49);
        buf.put_u16((start + 48) as u16);
        buf.put_u32(self.data.len() as u32);
        buf.put_u64(self.offset);
        self.file_id.encode(buf);
        buf.put_u32(0); // Channel
        buf.put_u32(0); // RemainingBytes
        buf.put_u16(0);
        buf.put_u16(0);
        buf.put_u32(self.flags);
        buf.extend_from_slice(self.data);
        if self.data.is_empty() {
            buf.push(0);
        }
    }
    fn body_len_hint(&self) -> usize {
        48 + self.data.len()
    }
}

/// WRITE response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteResponse {
    /// Bytes written.
    pub count: u32,
}

impl Response for WriteResponse {
    const COMMAND: Command = Command::Write;
    fn decode(msg: &[u8]) -> Result<Self, DecodeError> {
        check_structure_size(msg, 17, "write: structure size")?;
        Ok(WriteResponse {
            count: u32_at(msg, 68, "write")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::testing::{body_of, response_with, robust};

    #[test]
    fn layout_and_decode() {
        let m = body_of(&WriteRequest {
            offset: 9,
            file_id: FileId::default(),
            data: b"abc",
            flags: 0,
        });
        assert_eq!(m[64..66], [49, 0]);
        assert_eq!(m[66..68], [112, 0]);
        assert_eq!(m[68..72], [3, 0, 0, 0]);
        assert_eq!(&m[112..], b"abc");
        let mut b = Vec::new();
        b.put_u16(17);
        b.put_u16(0);
        b.put_u32(3);
        b.put_u32(0);
        b.put_u32(0);
        let msg = response_with(Command::Write, &b);
        assert_eq!(WriteResponse::decode(&msg).unwrap().count, 3);
        robust::<WriteResponse>(&msg);
    }
}
