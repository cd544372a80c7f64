//! NTLM NegotiateFlags (MS-NLMP 2.2.2.5).

use std::fmt;
use std::ops::{BitAnd, BitOr, BitOrAssign, Not};

/// The 32-bit NegotiateFlags of NTLM messages.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct NegotiateFlags(pub u32);

impl NegotiateFlags {
    /// `NTLMSSP_NEGOTIATE_UNICODE`: strings are UTF-16LE.
    pub const UNICODE: Self = Self(0x0000_0001);
    /// `NTLMSSP_NEGOTIATE_OEM`.
    pub const OEM: Self = Self(0x0000_0002);
    /// `NTLMSSP_REQUEST_TARGET`: the server returns its name.
    pub const REQUEST_TARGET: Self = Self(0x0000_0004);
    /// `NTLMSSP_NEGOTIATE_SIGN`.
    pub const SIGN: Self = Self(0x0000_0010);
    /// `NTLMSSP_NEGOTIATE_SEAL`.
    pub const SEAL: Self = Self(0x0000_0020);
    /// `NTLMSSP_NEGOTIATE_LM_KEY`.
    pub const LM_KEY: Self = Self(0x0000_0080);
    /// `NTLMSSP_NEGOTIATE_NTLM`.
    pub const NTLM: Self = Self(0x0000_0200);
    /// `NTLMSSP_NEGOTIATE_ANONYMOUS`.
    pub const ANONYMOUS: Self = Self(0x0000_0800);
    /// `NTLMSSP_NEGOTIATE_ALWAYS_SIGN`.
    pub const ALWAYS_SIGN: Self = Self(0x0000_8000);
    /// `NTLMSSP_TARGET_TYPE_DOMAIN` (server only).
    pub const TARGET_TYPE_DOMAIN: Self = Self(0x0001_0000);
    /// `NTLMSSP_TARGET_TYPE_SERVER` (server only).
    pub const TARGET_TYPE_SERVER: Self = Self(0x0002_0000);
    /// `NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY`.
    pub const EXTENDED_SESSIONSECURITY: Self = Self(0x0008_0000);
    /// `NTLMSSP_NEGOTIATE_TARGET_INFO`.
    pub const TARGET_INFO: Self = Self(0x0080_0000);
    /// `NTLMSSP_NEGOTIATE_VERSION`: the Version field is present.
    pub const VERSION: Self = Self(0x0200_0000);
    /// `NTLMSSP_NEGOTIATE_128`.
    pub const NEGOTIATE_128: Self = Self(0x2000_0000);
    /// `NTLMSSP_NEGOTIATE_KEY_EXCH`: the client sends an encrypted random session key.
    pub const KEY_EXCH: Self = Self(0x4000_0000);
    /// `NTLMSSP_NEGOTIATE_56`.
    pub const NEGOTIATE_56: Self = Self(0x8000_0000);

    /// What this client asks for in its NEGOTIATE_MESSAGE (0xE2888235):
    /// Unicode, NTLMv2 with extended session security, signing and sealing
    /// with 128-bit keys and key exchange (needed for the SPNEGO
    /// mechListMIC and an unpredictable SMB session key), the target info
    /// (for NTLMv2) and the Version field.
    pub const CLIENT: Self = Self(
        Self::UNICODE.0
            | Self::REQUEST_TARGET.0
            | Self::SIGN.0
            | Self::SEAL.0
            | Self::NTLM.0
            | Self::ALWAYS_SIGN.0
            | Self::EXTENDED_SESSIONSECURITY.0
            | Self::TARGET_INFO.0
            | Self::VERSION.0
            | Self::NEGOTIATE_128.0
            | Self::KEY_EXCH.0
            | Self::NEGOTIATE_56.0,
    );

    /// The raw bits.
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// True if every bit of `other` is set.
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }
}

impl BitOr for NegotiateFlags {
    type Output = Self;
    fn bitor(self, rhs: Self) -> Self {
        Self(self.0 | rhs.0)
    }
}

impl BitOrAssign for NegotiateFlags {
    fn bitor_assign(&mut self, rhs: Self) {
        self.0 |= rhs.0;
    }
}

impl BitAnd for NegotiateFlags {
    type Output = Self;
    fn bitand(self, rhs: Self) -> Self {
        Self(self.0 & rhs.0)
    }
}

impl Not for NegotiateFlags {
    type Output = Self;
    fn not(self) -> Self {
        Self(!self.0)
    }
}

impl fmt::Debug for NegotiateFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NegotiateFlags({:#010x})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_flags_value() {
        assert_eq!(NegotiateFlags::CLIENT.bits(), 0xE288_8235);
        assert!(NegotiateFlags::CLIENT.contains(NegotiateFlags::KEY_EXCH | NegotiateFlags::SIGN));
        assert!(!NegotiateFlags::CLIENT.contains(NegotiateFlags::ANONYMOUS));
    }
}
