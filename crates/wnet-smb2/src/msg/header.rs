//! The 64-byte SMB2 header (MS-SMB2 §2.2.1), sync and async forms.

use super::DecodeError;
use super::wire::{Put, array_at, u16_at, u32_at, u64_at};
use crate::status::NtStatus;

/// Size of the SMB2 header.
pub const HEADER_LEN: usize = 64;
/// `0xFE 'S' 'M' 'B'`.
pub const PROTOCOL_ID: [u8; 4] = [0xFE, b'S', b'M', b'B'];
/// Byte range of the Signature field inside the header.
pub const SIGNATURE_RANGE: std::ops::Range<usize> = 48..64;
/// The MessageId of unsolicited oplock/lease break notifications.
pub const NOTIFICATION_MESSAGE_ID: u64 = u64::MAX;

/// An SMB2 command code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u16)]
#[allow(missing_docs)]
pub enum Command {
    Negotiate = 0,
    SessionSetup = 1,
    Logoff = 2,
    TreeConnect = 3,
    TreeDisconnect = 4,
    Create = 5,
    Close = 6,
    Flush = 7,
    Read = 8,
    Write = 9,
    Lock = 10,
    Ioctl = 11,
    Cancel = 12,
    Echo = 13,
    QueryDirectory = 14,
    ChangeNotify = 15,
    QueryInfo = 16,
    SetInfo = 17,
    OplockBreak = 18,
}

impl Command {
    /// The command for a wire code.
    pub fn from_u16(v: u16) -> Result<Self, DecodeError> {
        use Command::*;
        Ok(match v {
            0 => Negotiate,
            1 => SessionSetup,
            2 => Logoff,
            3 => TreeConnect,
            4 => TreeDisconnect,
            5 => Create,
            6 => Close,
            7 => Flush,
            8 => Read,
            9 => Write,
            10 => Lock,
            11 => Ioctl,
            12 => Cancel,
            13 => Echo,
            14 => QueryDirectory,
            15 => ChangeNotify,
            16 => QueryInfo,
            17 => SetInfo,
            18 => OplockBreak,
            _ => return Err(DecodeError("unknown command")),
        })
    }
}

/// Header flags (MS-SMB2 §2.2.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HeaderFlags(pub u32);

impl HeaderFlags {
    /// Set on every response.
    pub const SERVER_TO_REDIR: u32 = 0x0000_0001;
    /// The async form of the header (AsyncId instead of TreeId).
    pub const ASYNC_COMMAND: u32 = 0x0000_0002;
    /// A compounded request that uses the previous request's handle.
    pub const RELATED_OPERATIONS: u32 = 0x0000_0004;
    /// The message is signed.
    pub const SIGNED: u32 = 0x0000_0008;
    /// A DFS operation.
    pub const DFS_OPERATIONS: u32 = 0x1000_0000;
    /// A replayed request (SMB 3.x).
    pub const REPLAY_OPERATION: u32 = 0x2000_0000;

    /// Whether all bits of `bit` are set.
    pub fn has(self, bit: u32) -> bool {
        self.0 & bit == bit
    }
}

/// A decoded or to-be-encoded SMB2 header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Credits this message consumes (requests) / consumed (responses).
    pub credit_charge: u16,
    /// Status (responses); ChannelSequence/Reserved in requests: we send 0.
    pub status: NtStatus,
    /// The command.
    pub command: Command,
    /// Credits requested (requests) or granted (responses).
    pub credits: u16,
    /// Flags.
    pub flags: HeaderFlags,
    /// Offset from this header to the next compounded message, 0 for the last.
    pub next_command: u32,
    /// The MessageId.
    pub message_id: u64,
    /// AsyncId when `flags` has `ASYNC_COMMAND`.
    pub async_id: u64,
    /// TreeId in the sync form.
    pub tree_id: u32,
    /// SessionId.
    pub session_id: u64,
    /// Signature (zero when unsigned).
    pub signature: [u8; 16],
}

impl Header {
    /// A request header with everything but the command zeroed.
    pub fn request(command: Command) -> Self {
        Header {
            credit_charge: 0,
            status: NtStatus::SUCCESS,
            command,
            credits: 0,
            flags: HeaderFlags(0),
            next_command: 0,
            message_id: 0,
            async_id: 0,
            tree_id: 0,
            session_id: 0,
            signature: [0; 16],
        }
    }

    /// Whether this header is in the async form.
    pub fn is_async(&self) -> bool {
        self.flags.has(HeaderFlags::ASYNC_COMMAND)
    }

    /// Appends the 64 header bytes to `buf`.
    pub fn encode(&self, buf: &mut Vec<u8>) {
        buf.extend_from_slice(&PROTOCOL_ID);
        buf.put_u16(HEADER_LEN as u16);
        buf.put_u16(self.credit_charge);
        buf.put_u32(self.status.0);
        buf.put_u16(self.command as u16);
        buf.put_u16(self.credits);
        buf.put_u32(self.flags.0);
        buf.put_u32(self.next_command);
        buf.put_u64(self.message_id);
        if self.is_async() {
            buf.put_u64(self.async_id);
        } else {
            buf.put_u32(0xFEFF); // Reserved (ProcessId), as Windows sends it
            buf.put_u32(self.tree_id);
        }
        buf.put_u64(self.session_id);
        buf.extend_from_slice(&self.signature);
    }

    /// Decodes the header at the start of `msg`.
    pub fn decode(msg: &[u8]) -> Result<Self, DecodeError> {
        if msg.len() < HEADER_LEN {
            return Err(DecodeError("header: short"));
        }
        if msg[0..4] != PROTOCOL_ID {
            return Err(DecodeError("header: bad protocol id"));
        }
        if u16_at(msg, 4, "header")? != HEADER_LEN as u16 {
            return Err(DecodeError("header: bad structure size"));
        }
        let flags = HeaderFlags(u32_at(msg, 16, "header")?);
        let is_async = flags.has(HeaderFlags::ASYNC_COMMAND);
        Ok(Header {
            credit_charge: u16_at(msg, 6, "header")?,
            status: NtStatus(u32_at(msg, 8, "header")?),
            command: Command::from_u16(u16_at(msg, 12, "header")?)?,
            credits: u16_at(msg, 14, "header")?,
            flags,
            next_command: u32_at(msg, 20, "header")?,
            message_id: u64_at(msg, 24, "header")?,
            async_id: if is_async {
                u64_at(msg, 32, "header")?
            } else {
                0
            },
            tree_id: if is_async {
                0
            } else {
                u32_at(msg, 36, "header")?
            },
            session_id: u64_at(msg, 40, "header")?,
            signature: array_at(msg, 48, "header")?,
        })
    }
}

/// The body of an error response (MS-SMB2 §2.2.2); its data is kept raw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorResponse {
    /// ErrorData bytes.
    pub data: Vec<u8>,
}

impl ErrorResponse {
    /// Decodes the error body of `msg` (whole message).
    pub fn decode(msg: &[u8]) -> Result<Self, DecodeError> {
        let n = u32_at(msg, HEADER_LEN + 4, "error: short")? as usize;
        let data = super::wire::slice_at(msg, HEADER_LEN + 8, n, "error: data")
            .map(<[u8]>::to_vec)
            .unwrap_or_default();
        Ok(ErrorResponse { data })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sync_roundtrip_layout() {
        let mut h = Header::request(Command::Read);
        h.credit_charge = 16;
        h.credits = 256;
        h.message_id = 0x0102_0304_0506_0708;
        h.tree_id = 7;
        h.session_id = 0xAABB;
        let mut b = Vec::new();
        h.encode(&mut b);
        assert_eq!(b.len(), 64);
        assert_eq!(&b[0..4], b"\xFESMB");
        assert_eq!(b[4..6], [64, 0]);
        assert_eq!(b[6..8], [16, 0]);
        assert_eq!(b[12..14], [8, 0]);
        assert_eq!(b[14..16], [0, 1]);
        assert_eq!(b[24..32], 0x0102_0304_0506_0708u64.to_le_bytes());
        assert_eq!(b[36..40], [7, 0, 0, 0]);
        assert_eq!(b[40..48], 0xAABBu64.to_le_bytes());
        assert_eq!(Header::decode(&b).unwrap(), h);
    }

    #[test]
    fn async_form() {
        let mut h = Header::request(Command::Write);
        h.flags = HeaderFlags(HeaderFlags::ASYNC_COMMAND | HeaderFlags::SERVER_TO_REDIR);
        h.status = NtStatus::PENDING;
        h.async_id = 0x55;
        let mut b = Vec::new();
        h.encode(&mut b);
        assert_eq!(b[32..40], 0x55u64.to_le_bytes());
        let d = Header::decode(&b).unwrap();
        assert!(d.is_async());
        assert_eq!(d.async_id, 0x55);
        assert_eq!(d.status, NtStatus::PENDING);
    }

    #[test]
    fn truncated_and_garbage() {
        let mut b = Vec::new();
        Header::request(Command::Echo).encode(&mut b);
        for n in 0..64 {
            assert!(Header::decode(&b[..n]).is_err());
        }
        let mut bad = b.clone();
        bad[0] = 0xFF;
        assert!(Header::decode(&bad).is_err());
        let mut bad = b.clone();
        bad[12] = 99;
        assert!(Header::decode(&bad).is_err());
    }
}
