//! SET_INFO (MS-SMB2 §2.2.39, §2.2.40).

use super::file_id::FileId;
use super::wire::Put;
use super::{Command, Request};

/// SET_INFO request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetInfoRequest {
    /// InfoType.
    pub info_type: u8,
    /// FileInfoClass.
    pub class: u8,
    /// AdditionalInformation.
    pub additional_information: u32,
    /// The handle.
    pub file_id: FileId,
    /// The encoded information structure.
    pub data: Vec<u8>,
}

impl Request for SetInfoRequest {
    const COMMAND: Command = Command::SetInfo;
    fn encode_body(&self, buf: &mut Vec<u8>) {
        let start = buf.len();
        buf.put_u16(33);
        buf.put_u8(self.info_type);
        buf.put_u8(self.class);
        buf.put_u32(self.data.len() as u32);
        buf.put_u16((start + 32) as u16);
        buf.put_u16(0);
        buf.put_u32(self.additional_information);
        self.file_id.encode(buf);
        buf.extend_from_slice(&self.data);
        if self.data.is_empty() {
            buf.push(0);
        }
    }
}

/// SET_INFO response (StructureSize 2, no fields).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetInfoResponse;

impl super::Response for SetInfoResponse {
    const COMMAND: Command = Command::SetInfo;
    fn decode(msg: &[u8]) -> Result<Self, super::DecodeError> {
        super::wire::check_structure_size(msg, 2, "set info: structure size")?;
        Ok(SetInfoResponse)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::testing::body_of;

    #[test]
    fn layout() {
        let m = body_of(&SetInfoRequest {
            info_type: 1,
            class: 20,
            additional_information: 0,
            file_id: FileId::default(),
            data: 5u64.to_le_bytes().to_vec(),
        });
        assert_eq!(m[64..68], [33, 0, 1, 20]);
        assert_eq!(m[68..72], [8, 0, 0, 0]);
        assert_eq!(m[72..74], [96, 0]);
        assert_eq!(m[96..104], 5u64.to_le_bytes());
    }
}
