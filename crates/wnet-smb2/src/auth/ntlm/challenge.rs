//! The CHALLENGE_MESSAGE (MS-NLMP 2.2.1.2).

use super::super::AuthError;
use super::{AvPairs, NegotiateFlags, SIGNATURE};

/// Offset of TargetInfoFields; messages shorter than this carry none (old servers).
const TARGET_INFO_FIELDS: usize = 40;
/// Minimum length: through the ServerChallenge.
const MIN_LEN: usize = 32;

/// A parsed CHALLENGE_MESSAGE, with its raw bytes kept for the MIC.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChallengeMessage {
    /// The flags the server chose.
    pub flags: NegotiateFlags,
    /// The 8-byte server challenge.
    pub server_challenge: [u8; 8],
    /// TargetName (the server's domain or name), decoded from UTF-16LE.
    pub target_name: String,
    /// TargetInfo (empty if the server sent none).
    pub target_info: AvPairs,
    /// The server's Version field, if the message has one.
    pub version: Option<[u8; 8]>,
    raw: Vec<u8>,
}

impl ChallengeMessage {
    /// Parses `bytes` (the SPNEGO responseToken of the first SESSION_SETUP response).
    ///
    /// # Errors
    /// [`AuthError::Malformed`] if the signature or type is wrong or any field
    /// runs past the end; [`AuthError::Unsupported`] if the server did not
    /// choose Unicode.
    pub fn parse(bytes: &[u8]) -> Result<Self, AuthError> {
        if bytes.len() < MIN_LEN {
            return Err(AuthError::Malformed(
                "NTLM CHALLENGE: shorter than its header",
            ));
        }
        if &bytes[..8] != SIGNATURE || u32_at(bytes, 8) != 2 {
            return Err(AuthError::Malformed(
                "NTLM CHALLENGE: bad signature or message type",
            ));
        }
        let flags = NegotiateFlags(u32_at(bytes, 20));
        if !flags.contains(NegotiateFlags::UNICODE) {
            return Err(AuthError::Unsupported("NTLM without Unicode (OEM strings)"));
        }
        let mut server_challenge = [0u8; 8];
        server_challenge.copy_from_slice(&bytes[24..32]);

        let name = field(bytes, 12, "NTLM CHALLENGE: TargetName runs past the end")?;
        let units: Vec<u16> = name
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        let target_name = String::from_utf16_lossy(&units);

        let (target_info, version) = if bytes.len() >= TARGET_INFO_FIELDS + 8 {
            let info = field(
                bytes,
                TARGET_INFO_FIELDS,
                "NTLM CHALLENGE: TargetInfo runs past the end",
            )?;
            let version = if flags.contains(NegotiateFlags::VERSION) {
                bytes.get(48..56).and_then(|v| v.try_into().ok())
            } else {
                None
            };
            (AvPairs::parse(info)?, version)
        } else {
            (AvPairs::default(), None)
        };
        Ok(ChallengeMessage {
            flags,
            server_challenge,
            target_name,
            target_info,
            version,
            raw: bytes.to_vec(),
        })
    }

    /// The message exactly as received (input to the MIC).
    pub fn as_bytes(&self) -> &[u8] {
        &self.raw
    }

    /// The server's `MsvAvTimestamp`, if it sent one.
    pub fn timestamp(&self) -> Option<u64> {
        self.target_info.timestamp()
    }
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// The payload of the (Len, MaxLen, Offset) field descriptor at `at`.
/// The caller guarantees `at + 8 <= msg.len()`.
fn field<'a>(msg: &'a [u8], at: usize, what: &'static str) -> Result<&'a [u8], AuthError> {
    let len = usize::from(u16::from_le_bytes([msg[at], msg[at + 1]]));
    let offset = usize::try_from(u32_at(msg, at + 4)).map_err(|_| AuthError::Malformed(what))?;
    if len == 0 {
        return Ok(&[]);
    }
    let end = offset.checked_add(len).ok_or(AuthError::Malformed(what))?;
    msg.get(offset..end).ok_or(AuthError::Malformed(what))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::crypto::kdf::tests::hex;

    /// MS-NLMP 4.2.4.3: the NTLMv2 example's CHALLENGE_MESSAGE.
    pub(crate) const SPEC_CHALLENGE: &str = "4e544c4d53535000020000000c000c003800000033828ae2\
        0123456789abcdef00000000000000002400240044000000060070170000000f\
        53006500720076006500720002000c0044006f006d00610069006e0001000c00\
        53006500720076006500720000000000";

    #[test]
    fn parses_spec_challenge() {
        let bytes = hex(SPEC_CHALLENGE);
        let c = ChallengeMessage::parse(&bytes).unwrap();
        assert_eq!(c.flags.bits(), 0xe28a8233);
        assert_eq!(
            c.server_challenge,
            [0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef]
        );
        assert_eq!(c.target_name, "Server");
        assert_eq!(c.target_info.0.len(), 2);
        assert_eq!(c.timestamp(), None);
        assert_eq!(c.version, Some([6, 0, 0x70, 0x17, 0, 0, 0, 0x0f]));
        assert_eq!(c.as_bytes(), &bytes[..]);
    }

    // The challenge in Microsoft's SMB 3.1.1 pre-auth example (Windows Server, with timestamp).
    #[test]
    fn parses_windows_challenge_with_timestamp() {
        let bytes = hex(
            "4E544C4D53535000020000000C000C003800000015828AE20D1D8BA31179D008000000000000000050005000\
             440000000A0092270000000F53005500540033003100310002000C0053005500540033003100310001000C\
             0053005500540033003100310004000C0053005500540033003100310003000C0053005500540033003100\
             310007000800A1A1F5ADCBAED00100000000",
        );
        let c = ChallengeMessage::parse(&bytes).unwrap();
        assert_eq!(c.target_name, "SUT311");
        assert_eq!(c.timestamp(), Some(0x01D0_AECB_ADF5_A1A1));
        assert_eq!(c.target_info.0.len(), 5);
    }

    #[test]
    fn every_truncation_is_an_error_not_a_panic() {
        let bytes = hex(SPEC_CHALLENGE);
        for cut in 0..bytes.len() {
            assert!(
                ChallengeMessage::parse(&bytes[..cut]).is_err(),
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn bad_offsets_and_types_are_errors() {
        let mut bytes = hex(SPEC_CHALLENGE);
        bytes[44] = 0xff; // TargetInfo offset far beyond the end
        assert!(ChallengeMessage::parse(&bytes).is_err());
        let mut bytes = hex(SPEC_CHALLENGE);
        bytes[8] = 3;
        assert!(ChallengeMessage::parse(&bytes).is_err());
        let mut bytes = hex(SPEC_CHALLENGE);
        bytes[20] &= !1; // no Unicode
        assert_eq!(
            ChallengeMessage::parse(&bytes),
            Err(AuthError::Unsupported("NTLM without Unicode (OEM strings)"))
        );
        let mut bytes = hex(SPEC_CHALLENGE);
        bytes[44..48].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(ChallengeMessage::parse(&bytes).is_err());
    }
}
