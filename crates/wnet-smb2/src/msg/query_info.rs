//! QUERY_INFO (MS-SMB2 §2.2.37, §2.2.38).

use super::file_id::FileId;
use super::wire::{Put, buffer, check_structure_size, u16_at, u32_at};
use super::{Command, DecodeError, Request, Response};

/// QUERY_INFO request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryInfoRequest {
    /// InfoType (`fscc::info_type`).
    pub info_type: u8,
    /// FileInfoClass.
    pub class: u8,
    /// Largest output accepted.
    pub output_buffer_length: u32,
    /// AdditionalInformation (security queries).
    pub additional_information: u32,
    /// The handle.
    pub file_id: FileId,
}

impl Request for QueryInfoRequest {
    const COMMAND: Command = Command::QueryInfo;
    fn encode_body(&self, buf: &mut Vec<u8>) {
        buf.put_u16(41);
        buf.put_u8(self.info_type);
        buf.put_u8(self.class);
        buf.put_u32(self.output_buffer_length);
        buf.put_u16(0); // InputBufferOffset
        buf.put_u16(0);
        buf.put_u32(0); // InputBufferLength
        buf.put_u32(self.additional_information);
        buf.put_u32(0); // Flags
        self.file_id.encode(buf);
        buf.push(0);
    }
}

/// QUERY_INFO response (also the shape of QUERY_DIRECTORY and CHANGE_NOTIFY responses).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryInfoResponse {
    /// The output buffer.
    pub output: Vec<u8>,
}

/// Decodes the common `StructureSize 9, OutputBufferOffset u16, OutputBufferLength u32` body.
pub(crate) fn decode_output(msg: &[u8], what: &'static str) -> Result<Vec<u8>, DecodeError> {
    check_structure_size(msg, 9, what)?;
    let off = u16_at(msg, 66, what)? as usize;
    let len = u32_at(msg, 68, what)? as usize;
    Ok(buffer(msg, off, len, what)?.to_vec())
}

impl Response for QueryInfoResponse {
    const COMMAND: Command = Command::QueryInfo;
    fn decode(msg: &[u8]) -> Result<Self, DecodeError> {
        Ok(QueryInfoResponse {
            output: decode_output(msg, "query info")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::testing::{body_of, response_with, robust};

    #[test]
    fn layout_and_decode() {
        let m = body_of(&QueryInfoRequest {
            info_type: 1,
            class: 34,
            output_buffer_length: 56,
            additional_information: 0,
            file_id: FileId {
                persistent: 1,
                volatile: 2,
            },
        });
        assert_eq!(m.len(), 64 + 41);
        assert_eq!(m[64..68], [41, 0, 1, 34]);
        assert_eq!(m[68..72], [56, 0, 0, 0]);
        assert_eq!(m[88..96], 1u64.to_le_bytes());
        let mut b = Vec::new();
        b.put_u16(9);
        b.put_u16(72);
        b.put_u32(2);
        b.extend_from_slice(&[1, 2]);
        let msg = response_with(Command::QueryInfo, &b);
        assert_eq!(QueryInfoResponse::decode(&msg).unwrap().output, [1, 2]);
        robust::<QueryInfoResponse>(&msg);
    }
}
