//! QUERY_DIRECTORY (MS-SMB2 §2.2.33, §2.2.34).

use super::file_id::FileId;
use super::wire::{Put, utf16};
use super::{Command, DecodeError, Request, Response};

/// Flags bits.
pub mod flags {
    /// Restart the enumeration.
    pub const RESTART_SCANS: u8 = 0x01;
    /// Return one entry.
    pub const RETURN_SINGLE_ENTRY: u8 = 0x02;
    /// Start at FileIndex.
    pub const INDEX_SPECIFIED: u8 = 0x04;
    /// Reopen with a new pattern.
    pub const REOPEN: u8 = 0x10;
}

/// QUERY_DIRECTORY request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryDirectoryRequest {
    /// FileInformationClass (`fscc::file_class`).
    pub class: u8,
    /// Flags.
    pub flags: u8,
    /// The directory handle.
    pub file_id: FileId,
    /// Search pattern, e.g. `*`.
    pub pattern: String,
    /// Largest output accepted.
    pub output_buffer_length: u32,
}

impl Request for QueryDirectoryRequest {
    const COMMAND: Command = Command::QueryDirectory;
    fn encode_body(&self, buf: &mut Vec<u8>) {
        let start = buf.len();
        let name = utf16(&self.pattern);
        buf.put_u16(33);
        buf.put_u8(self.class);
        buf.put_u8(self.flags);
        buf.put_u32(0);
        self.file_id.encode(buf);
        buf.put_u16((start + 32) as u16);
        buf.put_u16(name.len() as u16);
        buf.put_u32(self.output_buffer_length);
        buf.extend_from_slice(&name);
        if name.is_empty() {
            buf.push(0);
        }
    }
}

/// QUERY_DIRECTORY response: the raw entry buffer (parse with `fscc::DirEntry::parse_list`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryDirectoryResponse {
    /// The output buffer.
    pub output: Vec<u8>,
}

impl Response for QueryDirectoryResponse {
    const COMMAND: Command = Command::QueryDirectory;
    fn decode(msg: &[u8]) -> Result<Self, DecodeError> {
        Ok(QueryDirectoryResponse {
            output: super::query_info::decode_output(msg, "query directory")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::testing::body_of;

    #[test]
    fn layout() {
        let m = body_of(&QueryDirectoryRequest {
            class: 37,
            flags: flags::RESTART_SCANS,
            file_id: FileId::default(),
            pattern: "*".into(),
            output_buffer_length: 65536,
        });
        assert_eq!(m[64..68], [33, 0, 37, 1]);
        assert_eq!(m[88..90], [96, 0]);
        assert_eq!(m[90..92], [2, 0]);
        assert_eq!(m[92..96], 65536u32.to_le_bytes());
        assert_eq!(&m[96..], b"*\0");
    }
}
