//! FLUSH (MS-SMB2 §2.2.17, §2.2.18).

use super::file_id::FileId;
use super::wire::Put;
use super::{Command, Request};

/// FLUSH request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlushRequest {
    /// The handle.
    pub file_id: FileId,
}

impl Request for FlushRequest {
    const COMMAND: Command = Command::Flush;
    fn encode_body(&self, buf: &mut Vec<u8>) {
        buf.put_u16(24);
        buf.put_u16(0);
        buf.put_u32(0);
        self.file_id.encode(buf);
    }
}

crate::msg::empty_response!(FlushResponse, Flush);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::testing::body_of;

    #[test]
    fn layout() {
        let m = body_of(&FlushRequest {
            file_id: FileId {
                persistent: 3,
                volatile: 4,
            },
        });
        assert_eq!(m.len(), 88);
        assert_eq!(m[64..66], [24, 0]);
        assert_eq!(m[80..88], 4u64.to_le_bytes());
    }
}
