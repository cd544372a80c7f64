//! AV_PAIR lists: the CHALLENGE_MESSAGE's TargetInfo (MS-NLMP 2.2.2.1).

use super::super::AuthError;

/// `MsvAvEOL`: ends the list.
pub const MSV_AV_EOL: u16 = 0;
/// `MsvAvNbComputerName`.
pub const MSV_AV_NB_COMPUTER_NAME: u16 = 1;
/// `MsvAvNbDomainName`.
pub const MSV_AV_NB_DOMAIN_NAME: u16 = 2;
/// `MsvAvDnsComputerName`.
pub const MSV_AV_DNS_COMPUTER_NAME: u16 = 3;
/// `MsvAvDnsDomainName`.
pub const MSV_AV_DNS_DOMAIN_NAME: u16 = 4;
/// `MsvAvFlags`: a 32-bit flag word.
pub const MSV_AV_FLAGS: u16 = 6;
/// `MsvAvTimestamp`: the server's FILETIME.
pub const MSV_AV_TIMESTAMP: u16 = 7;
/// `MsvAvTargetName`: the SPN the client meant.
pub const MSV_AV_TARGET_NAME: u16 = 9;
/// `MsvAvChannelBindings`.
pub const MSV_AV_CHANNEL_BINDINGS: u16 = 10;

/// `MsvAvFlags` bit: the AUTHENTICATE_MESSAGE carries a MIC.
pub const AV_FLAG_MIC_PRESENT: u32 = 0x0000_0002;

/// One AV_PAIR.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AvPair {
    /// `AvId`.
    pub id: u16,
    /// The value bytes.
    pub value: Vec<u8>,
}

/// An AV_PAIR list, in wire order, without the terminating `MsvAvEOL`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AvPairs(pub Vec<AvPair>);

impl AvPairs {
    /// Parses a TargetInfo buffer. Stops at `MsvAvEOL`; a list that ends
    /// without one is accepted (the EOL is added back on [`Self::to_bytes`]).
    ///
    /// # Errors
    /// [`AuthError::Malformed`] if a pair's header or value runs past the end.
    pub fn parse(mut bytes: &[u8]) -> Result<Self, AuthError> {
        let mut pairs = Vec::new();
        while !bytes.is_empty() {
            if bytes.len() < 4 {
                return Err(AuthError::Malformed(
                    "NTLM target info: truncated AV_PAIR header",
                ));
            }
            let id = u16::from_le_bytes([bytes[0], bytes[1]]);
            let len = usize::from(u16::from_le_bytes([bytes[2], bytes[3]]));
            if id == MSV_AV_EOL {
                break;
            }
            let value = bytes.get(4..4 + len).ok_or(AuthError::Malformed(
                "NTLM target info: AV_PAIR value runs past the end",
            ))?;
            pairs.push(AvPair {
                id,
                value: value.to_vec(),
            });
            bytes = &bytes[4 + len..];
        }
        Ok(AvPairs(pairs))
    }

    /// The value of the first pair with `id`.
    pub fn get(&self, id: u16) -> Option<&[u8]> {
        self.0
            .iter()
            .find(|p| p.id == id)
            .map(|p| p.value.as_slice())
    }

    /// Replaces the value of the pair with `id`, or appends one.
    pub fn set(&mut self, id: u16, value: Vec<u8>) {
        match self.0.iter_mut().find(|p| p.id == id) {
            Some(p) => p.value = value,
            None => self.0.push(AvPair { id, value }),
        }
    }

    /// `MsvAvTimestamp` (a FILETIME), if present and 8 bytes long.
    pub fn timestamp(&self) -> Option<u64> {
        let v: [u8; 8] = self.get(MSV_AV_TIMESTAMP)?.try_into().ok()?;
        Some(u64::from_le_bytes(v))
    }

    /// `MsvAvFlags`, if present and 4 bytes long.
    pub fn flags(&self) -> Option<u32> {
        let v: [u8; 4] = self.get(MSV_AV_FLAGS)?.try_into().ok()?;
        Some(u32::from_le_bytes(v))
    }

    /// Serializes the list, `MsvAvEOL` included. Values longer than 65535
    /// bytes cannot come from [`Self::parse`]; [`Self::set`] callers keep them short.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for p in &self.0 {
            let len = u16::try_from(p.value.len()).unwrap_or(u16::MAX);
            out.extend_from_slice(&p.id.to_le_bytes());
            out.extend_from_slice(&len.to_le_bytes());
            out.extend_from_slice(&p.value[..usize::from(len)]);
        }
        out.extend_from_slice(&[0, 0, 0, 0]);
        out
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    // MS-NLMP 4.2.4: MsvAvNbDomainName "Domain", MsvAvNbComputerName "Server", EOL.
    pub(crate) const SPEC_TARGET_INFO: [u8; 36] = [
        0x02, 0x00, 0x0c, 0x00, 0x44, 0x00, 0x6f, 0x00, 0x6d, 0x00, 0x61, 0x00, 0x69, 0x00, 0x6e,
        0x00, 0x01, 0x00, 0x0c, 0x00, 0x53, 0x00, 0x65, 0x00, 0x72, 0x00, 0x76, 0x00, 0x65, 0x00,
        0x72, 0x00, 0x00, 0x00, 0x00, 0x00,
    ];

    #[test]
    fn parse_and_serialize_round_trip() {
        let pairs = AvPairs::parse(&SPEC_TARGET_INFO).unwrap();
        assert_eq!(pairs.0.len(), 2);
        assert_eq!(pairs.get(MSV_AV_NB_DOMAIN_NAME).unwrap().len(), 12);
        assert_eq!(pairs.timestamp(), None);
        assert_eq!(pairs.to_bytes(), SPEC_TARGET_INFO);
    }

    #[test]
    fn set_flags_appends_before_eol() {
        let mut pairs = AvPairs::parse(&SPEC_TARGET_INFO).unwrap();
        pairs.set(MSV_AV_FLAGS, AV_FLAG_MIC_PRESENT.to_le_bytes().to_vec());
        assert_eq!(pairs.flags(), Some(2));
        let bytes = pairs.to_bytes();
        assert_eq!(&bytes[32..44], &[6, 0, 4, 0, 2, 0, 0, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn truncated_lists_are_errors() {
        for cut in [1, 2, 3, 5, 15] {
            assert!(
                AvPairs::parse(&SPEC_TARGET_INFO[..cut]).is_err(),
                "cut at {cut}"
            );
        }
        // Ending right after a complete pair, without EOL, is tolerated.
        assert_eq!(AvPairs::parse(&SPEC_TARGET_INFO[..16]).unwrap().0.len(), 1);
        assert!(AvPairs::parse(&[]).unwrap().0.is_empty());
    }
}
