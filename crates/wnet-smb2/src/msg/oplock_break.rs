//! OPLOCK_BREAK (MS-SMB2 §2.2.23–2.2.25): the server's oplock/lease break notifications and
//! the client's acknowledgments.

use super::file_id::FileId;
use super::wire::{Put, array_at, check_structure_size, u8_at, u16_at, u32_at};
use super::{Command, DecodeError, Request, Response};

/// Lease break Flags bit: the server waits for an acknowledgment.
pub const LEASE_BREAK_ACK_REQUIRED: u32 = 0x01;

/// A break notification from the server (MessageId `u64::MAX`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BreakNotification {
    /// An oplock break (§2.2.23.1).
    Oplock {
        /// The new oplock level.
        level: u8,
        /// The handle.
        file_id: FileId,
    },
    /// A lease break (§2.2.23.2).
    Lease {
        /// Flags (`LEASE_BREAK_ACK_REQUIRED`).
        flags: u32,
        /// The lease.
        key: [u8; 16],
        /// State before the break.
        current_state: u32,
        /// State the server breaks to (what the ack must carry).
        new_state: u32,
    },
}

impl Response for BreakNotification {
    const COMMAND: Command = Command::OplockBreak;
    fn decode(msg: &[u8]) -> Result<Self, DecodeError> {
        const B: usize = 64;
        const W: &str = "break notification";
        match u16_at(msg, B, W)? {
            24 => Ok(BreakNotification::Oplock {
                level: u8_at(msg, B + 2, W)?,
                file_id: FileId::decode_at(msg, B + 8)?,
            }),
            44 => Ok(BreakNotification::Lease {
                flags: u32_at(msg, B + 4, W)?,
                key: array_at(msg, B + 8, W)?,
                current_state: u32_at(msg, B + 24, W)?,
                new_state: u32_at(msg, B + 28, W)?,
            }),
            _ => Err(DecodeError("break notification: structure size")),
        }
    }
}

/// LEASE_BREAK acknowledgment (§2.2.24.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseBreakAck {
    /// The lease.
    pub key: [u8; 16],
    /// The state acknowledged (the notification's new state).
    pub state: u32,
}

impl Request for LeaseBreakAck {
    const COMMAND: Command = Command::OplockBreak;
    fn encode_body(&self, buf: &mut Vec<u8>) {
        buf.put_u16(36);
        buf.put_u16(0);
        buf.put_u32(0);
        buf.extend_from_slice(&self.key);
        buf.put_u32(self.state);
        buf.put_u64(0);
    }
}

/// OPLOCK_BREAK acknowledgment (§2.2.24.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OplockBreakAck {
    /// The level acknowledged.
    pub level: u8,
    /// The handle.
    pub file_id: FileId,
}

impl Request for OplockBreakAck {
    const COMMAND: Command = Command::OplockBreak;
    fn encode_body(&self, buf: &mut Vec<u8>) {
        buf.put_u16(24);
        buf.put_u8(self.level);
        buf.put_u8(0);
        buf.put_u32(0);
        self.file_id.encode(buf);
    }
}

/// The server's answer to an acknowledgment (either form).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreakAckResponse;

impl Response for BreakAckResponse {
    const COMMAND: Command = Command::OplockBreak;
    fn decode(msg: &[u8]) -> Result<Self, DecodeError> {
        let s = u16_at(msg, 64, "break ack response")?;
        if s != 24 && s != 36 {
            check_structure_size(msg, 36, "break ack response: structure size")?;
        }
        Ok(BreakAckResponse)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::testing::{body_of, response_with, robust};

    #[test]
    fn lease_break_roundtrip() {
        let mut b = Vec::new();
        b.put_u16(44);
        b.put_u16(2);
        b.put_u32(LEASE_BREAK_ACK_REQUIRED);
        b.extend_from_slice(&[9; 16]);
        b.put_u32(3);
        b.put_u32(1);
        b.put_u32(0);
        b.put_u32(0);
        b.put_u32(0);
        let m = response_with(Command::OplockBreak, &b);
        assert_eq!(
            BreakNotification::decode(&m).unwrap(),
            BreakNotification::Lease {
                flags: 1,
                key: [9; 16],
                current_state: 3,
                new_state: 1
            }
        );
        robust::<BreakNotification>(&m);
        let ack = body_of(&LeaseBreakAck {
            key: [9; 16],
            state: 1,
        });
        assert_eq!(ack.len(), 64 + 36);
        assert_eq!(ack[64..66], [36, 0]);
        assert_eq!(ack[72..88], [9; 16]);
        assert_eq!(ack[88..92], [1, 0, 0, 0]);
    }

    #[test]
    fn oplock_break_decode() {
        let mut b = Vec::new();
        b.put_u16(24);
        b.put_u8(1);
        b.put_u8(0);
        b.put_u32(0);
        FileId {
            persistent: 5,
            volatile: 6,
        }
        .encode(&mut b);
        let m = response_with(Command::OplockBreak, &b);
        assert!(matches!(
            BreakNotification::decode(&m).unwrap(),
            BreakNotification::Oplock { level: 1, .. }
        ));
        robust::<BreakNotification>(&m);
    }
}
