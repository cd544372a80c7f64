//! SESSION_SETUP (MS-SMB2 §2.2.5, §2.2.6).

use super::wire::{Put, buffer, check_structure_size, u16_at};
use super::{Command, DecodeError, Request, Response};

/// SESSION_SETUP request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionSetupRequest {
    /// Flags (`0x01` = binding).
    pub flags: u8,
    /// SecurityMode (signing enabled/required, one byte here).
    pub security_mode: u8,
    /// Capabilities (DFS only is meaningful).
    pub capabilities: u32,
    /// PreviousSessionId (reconnect).
    pub previous_session_id: u64,
    /// The GSS token.
    pub security_buffer: Vec<u8>,
}

impl Request for SessionSetupRequest {
    const COMMAND: Command = Command::SessionSetup;
    fn encode_body(&self, buf: &mut Vec<u8>) {
        buf.put_u16(25);
        buf.put_u8(self.flags);
        buf.put_u8(self.security_mode);
        buf.put_u32(self.capabilities);
        buf.put_u32(0); // Channel
        buf.put_u16((buf.len() + 12) as u16);
        buf.put_u16(self.security_buffer.len() as u16);
        buf.put_u64(self.previous_session_id);
        buf.extend_from_slice(&self.security_buffer);
    }
}

/// SessionFlags of the response.
pub mod session_flags {
    /// Guest session.
    pub const IS_GUEST: u16 = 0x1;
    /// Anonymous session.
    pub const IS_NULL: u16 = 0x2;
    /// The server requires encryption on this session.
    pub const ENCRYPT_DATA: u16 = 0x4;
}

/// SESSION_SETUP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionSetupResponse {
    /// SessionFlags.
    pub session_flags: u16,
    /// The GSS token.
    pub security_buffer: Vec<u8>,
}

impl Response for SessionSetupResponse {
    const COMMAND: Command = Command::SessionSetup;
    fn decode(msg: &[u8]) -> Result<Self, DecodeError> {
        check_structure_size(msg, 9, "session setup: structure size")?;
        let off = u16_at(msg, 68, "session setup")? as usize;
        let len = u16_at(msg, 70, "session setup")? as usize;
        Ok(SessionSetupResponse {
            session_flags: u16_at(msg, 66, "session setup")?,
            security_buffer: buffer(msg, off, len, "session setup: buffer")?.to_vec(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::testing::{body_of, response_with, robust};

    #[test]
    fn request_layout() {
        let r = SessionSetupRequest {
            flags: 0,
            security_mode: 1,
            capabilities: 1,
            previous_session_id: 0,
            security_buffer: b"NTLMSSP".to_vec(),
        };
        let m = body_of(&r);
        assert_eq!(m[64..66], [25, 0]);
        assert_eq!(m[67], 1);
        assert_eq!(m[76..78], [88, 0]);
        assert_eq!(m[78..80], [7, 0]);
        assert_eq!(&m[88..], b"NTLMSSP");
    }

    #[test]
    fn response_decode() {
        let mut body = Vec::new();
        body.put_u16(9);
        body.put_u16(session_flags::ENCRYPT_DATA);
        body.put_u16(72);
        body.put_u16(3);
        body.extend_from_slice(b"tok");
        let m = response_with(Command::SessionSetup, &body);
        let r = SessionSetupResponse::decode(&m).unwrap();
        assert_eq!(r.session_flags, 4);
        assert_eq!(r.security_buffer, b"tok");
        robust::<SessionSetupResponse>(&m);
    }
}
