//! SMB2_FILEID (MS-SMB2 §2.2.14.1).

use super::DecodeError;
use super::wire::{Put, u64_at};

/// A handle on the server: persistent + volatile parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct FileId {
    /// Persistent part.
    pub persistent: u64,
    /// Volatile part.
    pub volatile: u64,
}

impl FileId {
    /// The placeholder used by related compounded requests: "the handle of the previous one".
    pub const RELATED: FileId = FileId {
        persistent: u64::MAX,
        volatile: u64::MAX,
    };

    /// Appends the 16 bytes.
    pub fn encode(&self, buf: &mut Vec<u8>) {
        buf.put_u64(self.persistent);
        buf.put_u64(self.volatile);
    }

    /// Reads 16 bytes at `off`.
    pub fn decode_at(b: &[u8], off: usize) -> Result<Self, DecodeError> {
        Ok(FileId {
            persistent: u64_at(b, off, "file id")?,
            volatile: u64_at(b, off + 8, "file id")?,
        })
    }
}
