//! TREE_CONNECT (MS-SMB2 §2.2.9, §2.2.10).

use super::wire::{Put, check_structure_size, u8_at, u32_at, utf16};
use super::{Command, DecodeError, Request, Response};

/// TREE_CONNECT request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeConnectRequest {
    /// `\\server\share`.
    pub path: String,
}

impl Request for TreeConnectRequest {
    const COMMAND: Command = Command::TreeConnect;
    fn encode_body(&self, buf: &mut Vec<u8>) {
        let path = utf16(&self.path);
        buf.put_u16(9);
        buf.put_u16(0);
        buf.put_u16((buf.len() + 4) as u16);
        buf.put_u16(path.len() as u16);
        buf.extend_from_slice(&path);
    }
}

/// ShareType values.
pub mod share_type {
    /// A disk share.
    pub const DISK: u8 = 1;
    /// A named-pipe share (IPC$).
    pub const PIPE: u8 = 2;
    /// A printer.
    pub const PRINT: u8 = 3;
}

/// ShareFlags bit: the share is in a DFS namespace.
pub const SHARE_FLAG_DFS: u32 = 0x0000_0001;
/// ShareFlags bit: the share is a DFS root.
pub const SHARE_FLAG_DFS_ROOT: u32 = 0x0000_0002;
/// ShareFlags bit: the share requires encryption.
pub const SHARE_FLAG_ENCRYPT_DATA: u32 = 0x0000_8000;

/// TREE_CONNECT response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeConnectResponse {
    /// ShareType.
    pub share_type: u8,
    /// ShareFlags.
    pub share_flags: u32,
    /// Capabilities.
    pub capabilities: u32,
    /// MaximalAccess.
    pub maximal_access: u32,
}

impl Response for TreeConnectResponse {
    const COMMAND: Command = Command::TreeConnect;
    fn decode(msg: &[u8]) -> Result<Self, DecodeError> {
        check_structure_size(msg, 16, "tree connect: structure size")?;
        Ok(TreeConnectResponse {
            share_type: u8_at(msg, 66, "tree connect")?,
            share_flags: u32_at(msg, 68, "tree connect")?,
            capabilities: u32_at(msg, 72, "tree connect")?,
            maximal_access: u32_at(msg, 76, "tree connect")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::testing::{body_of, response_with, robust};

    #[test]
    fn request_layout() {
        let m = body_of(&TreeConnectRequest {
            path: r"\\h\s".into(),
        });
        assert_eq!(m[64..66], [9, 0]);
        assert_eq!(m[68..70], [72, 0]);
        assert_eq!(m[70..72], [10, 0]);
        assert_eq!(&m[72..], utf16(r"\\h\s").as_slice());
    }

    #[test]
    fn response_decode() {
        let mut b = Vec::new();
        b.put_u16(16);
        b.put_u8(1);
        b.put_u8(0);
        b.put_u32(SHARE_FLAG_ENCRYPT_DATA);
        b.put_u32(0);
        b.put_u32(0x1F01FF);
        let m = response_with(Command::TreeConnect, &b);
        let r = TreeConnectResponse::decode(&m).unwrap();
        assert_eq!(r.share_type, share_type::DISK);
        assert_eq!(r.share_flags, SHARE_FLAG_ENCRYPT_DATA);
        assert_eq!(r.maximal_access, 0x1F01FF);
        robust::<TreeConnectResponse>(&m);
    }
}
