//! CHANGE_NOTIFY (MS-SMB2 §2.2.35, §2.2.36).

use super::file_id::FileId;
use super::wire::Put;
use super::{Command, DecodeError, Request, Response};

/// CHANGE_NOTIFY request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeNotifyRequest {
    /// Watch the whole tree below.
    pub watch_tree: bool,
    /// Largest output accepted.
    pub output_buffer_length: u32,
    /// The directory handle.
    pub file_id: FileId,
    /// CompletionFilter (FILE_NOTIFY_CHANGE_* bits).
    pub completion_filter: u32,
}

impl Request for ChangeNotifyRequest {
    const COMMAND: Command = Command::ChangeNotify;
    fn encode_body(&self, buf: &mut Vec<u8>) {
        buf.put_u16(32);
        buf.put_u16(self.watch_tree as u16);
        buf.put_u32(self.output_buffer_length);
        self.file_id.encode(buf);
        buf.put_u32(self.completion_filter);
        buf.put_u32(0);
    }
}

/// CHANGE_NOTIFY response: raw FILE_NOTIFY_INFORMATION records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeNotifyResponse {
    /// The output buffer.
    pub output: Vec<u8>,
}

impl Response for ChangeNotifyResponse {
    const COMMAND: Command = Command::ChangeNotify;
    fn decode(msg: &[u8]) -> Result<Self, DecodeError> {
        Ok(ChangeNotifyResponse {
            output: super::query_info::decode_output(msg, "change notify")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::testing::body_of;

    #[test]
    fn layout() {
        let m = body_of(&ChangeNotifyRequest {
            watch_tree: true,
            output_buffer_length: 4096,
            file_id: FileId::default(),
            completion_filter: 0x17,
        });
        assert_eq!(m.len(), 64 + 32);
        assert_eq!(m[64..68], [32, 0, 1, 0]);
        assert_eq!(m[88..92], [0x17, 0, 0, 0]);
    }
}
