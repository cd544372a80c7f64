//! The NEGOTIATE_MESSAGE (MS-NLMP 2.2.1.1).

use super::{CLIENT_VERSION, NegotiateFlags, SIGNATURE};

/// Length of the message: header, two empty fields, Version.
const LEN: u32 = 40;

/// This client's NEGOTIATE_MESSAGE: [`NegotiateFlags::CLIENT`], no domain or
/// workstation (their fields are empty and point at the end), the Version.
///
/// Keep the exact bytes: the AUTHENTICATE_MESSAGE's MIC covers them.
pub fn negotiate_message() -> Vec<u8> {
    let mut m = Vec::with_capacity(LEN as usize);
    m.extend_from_slice(SIGNATURE);
    m.extend_from_slice(&1u32.to_le_bytes());
    m.extend_from_slice(&NegotiateFlags::CLIENT.bits().to_le_bytes());
    for _ in 0..2 {
        m.extend_from_slice(&0u16.to_le_bytes()); // Len
        m.extend_from_slice(&0u16.to_le_bytes()); // MaxLen
        m.extend_from_slice(&LEN.to_le_bytes()); // BufferOffset
    }
    m.extend_from_slice(&CLIENT_VERSION);
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout() {
        let m = negotiate_message();
        assert_eq!(m.len(), 40);
        assert_eq!(&m[..12], b"NTLMSSP\0\x01\0\0\0");
        assert_eq!(&m[12..16], &[0x35, 0x82, 0x88, 0xE2]);
        assert_eq!(&m[16..24], &[0, 0, 0, 0, 40, 0, 0, 0]);
        assert_eq!(&m[32..], &CLIENT_VERSION);
    }
}
