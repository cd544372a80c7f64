//! LOCK (MS-SMB2 §2.2.26, §2.2.27).

use super::file_id::FileId;
use super::wire::Put;
use super::{Command, Request};

/// Lock flags.
pub mod lock_flags {
    /// Shared lock.
    pub const SHARED: u32 = 1;
    /// Exclusive lock.
    pub const EXCLUSIVE: u32 = 2;
    /// Unlock.
    pub const UNLOCK: u32 = 4;
    /// Fail at once instead of waiting.
    pub const FAIL_IMMEDIATELY: u32 = 0x10;
}

/// One byte range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockElement {
    /// Start.
    pub offset: u64,
    /// Length.
    pub length: u64,
    /// `lock_flags`.
    pub flags: u32,
}

/// LOCK request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockRequest {
    /// The handle.
    pub file_id: FileId,
    /// The ranges (at least one).
    pub locks: Vec<LockElement>,
}

impl Request for LockRequest {
    const COMMAND: Command = Command::Lock;
    fn encode_body(&self, buf: &mut Vec<u8>) {
        buf.put_u16(48);
        buf.put_u16(self.locks.len() as u16);
        buf.put_u32(0); // LockSequence: not used without resilient handles
        self.file_id.encode(buf);
        for l in &self.locks {
            buf.put_u64(l.offset);
            buf.put_u64(l.length);
            buf.put_u32(l.flags);
            buf.put_u32(0);
        }
    }
}

crate::msg::empty_response!(LockResponse, Lock);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::testing::body_of;

    #[test]
    fn layout() {
        let m = body_of(&LockRequest {
            file_id: FileId::default(),
            locks: vec![LockElement {
                offset: 10,
                length: 20,
                flags: lock_flags::EXCLUSIVE,
            }],
        });
        assert_eq!(m.len(), 64 + 48);
        assert_eq!(m[64..68], [48, 0, 1, 0]);
        assert_eq!(m[88..96], 10u64.to_le_bytes());
        assert_eq!(m[104..108], [2, 0, 0, 0]);
    }
}
