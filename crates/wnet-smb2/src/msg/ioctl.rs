//! IOCTL (MS-SMB2 §2.2.31, §2.2.32): named-pipe transceive and friends.

use super::file_id::FileId;
use super::wire::{Put, buffer, check_structure_size, u32_at};
use super::{Command, DecodeError, Request, Response};

/// FSCTL_PIPE_TRANSCEIVE.
pub const FSCTL_PIPE_TRANSCEIVE: u32 = 0x0011_C017;
/// FSCTL_VALIDATE_NEGOTIATE_INFO.
pub const FSCTL_VALIDATE_NEGOTIATE_INFO: u32 = 0x0014_0204;
/// Flags: this is an FSCTL.
pub const IOCTL_IS_FSCTL: u32 = 1;
/// Zeroes a byte range of a file, deallocating it where the file is sparse
/// (\[MS-FSCC\] 2.3.85, input FILE_ZERO_DATA_INFORMATION: start offset, end offset).
pub const FSCTL_SET_ZERO_DATA: u32 = 0x0009_80C8;

/// IOCTL request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IoctlRequest {
    /// CtlCode.
    pub ctl_code: u32,
    /// The handle (`FileId { u64::MAX, u64::MAX }` for none).
    pub file_id: FileId,
    /// Input.
    pub input: Vec<u8>,
    /// Largest output accepted.
    pub max_output_response: u32,
    /// Flags (`IOCTL_IS_FSCTL`).
    pub flags: u32,
}

impl Request for IoctlRequest {
    const COMMAND: Command = Command::Ioctl;
    fn encode_body(&self, buf: &mut Vec<u8>) {
        let start = buf.len();
        buf.put_u16(57);
        buf.put_u16(0);
        buf.put_u32(self.ctl_code);
        self.file_id.encode(buf);
        buf.put_u32(if self.input.is_empty() {
            0
        } else {
            (start + 56) as u32
        });
        buf.put_u32(self.input.len() as u32);
        buf.put_u32(0); // MaxInputResponse
        buf.put_u32(0); // OutputOffset
        buf.put_u32(0); // OutputCount
        buf.put_u32(self.max_output_response);
        buf.put_u32(self.flags);
        buf.put_u32(0);
        buf.extend_from_slice(&self.input);
        if self.input.is_empty() {
            buf.push(0);
        }
    }
}

/// IOCTL response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IoctlResponse {
    /// CtlCode.
    pub ctl_code: u32,
    /// Output.
    pub output: Vec<u8>,
}

impl Response for IoctlResponse {
    const COMMAND: Command = Command::Ioctl;
    fn decode(msg: &[u8]) -> Result<Self, DecodeError> {
        const B: usize = 64;
        check_structure_size(msg, 49, "ioctl: structure size")?;
        let off = u32_at(msg, B + 32, "ioctl")? as usize;
        let len = u32_at(msg, B + 36, "ioctl")? as usize;
        Ok(IoctlResponse {
            ctl_code: u32_at(msg, B + 4, "ioctl")?,
            output: buffer(msg, off, len, "ioctl: output")?.to_vec(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::testing::{body_of, response_with, robust};

    #[test]
    fn layout_and_decode() {
        let m = body_of(&IoctlRequest {
            ctl_code: FSCTL_PIPE_TRANSCEIVE,
            file_id: FileId::default(),
            input: vec![5; 3],
            max_output_response: 4280,
            flags: IOCTL_IS_FSCTL,
        });
        assert_eq!(m[64..66], [57, 0]);
        assert_eq!(m[88..92], 120u32.to_le_bytes());
        assert_eq!(m[92..96], 3u32.to_le_bytes());
        assert_eq!(&m[120..], &[5, 5, 5]);
        let mut b = Vec::new();
        b.put_u16(49);
        b.put_u16(0);
        b.put_u32(FSCTL_PIPE_TRANSCEIVE);
        b.extend_from_slice(&[0; 16]);
        b.put_u32(0);
        b.put_u32(0);
        b.put_u32(112);
        b.put_u32(2);
        b.put_u32(0);
        b.put_u32(0);
        b.extend_from_slice(&[7, 8]);
        let msg = response_with(Command::Ioctl, &b);
        assert_eq!(IoctlResponse::decode(&msg).unwrap().output, [7, 8]);
        robust::<IoctlResponse>(&msg);
    }
}
