//! `ConnectFlags`: the `CONNECT_*` bits of WNetAddConnection2/3/4, WNetUseConnection and
//! WNetCancelConnection2.

use std::fmt;

use crate::{Error, ErrorKind};

/// A set of `CONNECT_*` bits. Built with [`ConnectFlags::from_bits`], which refuses unknown bits
/// with `ERROR_INVALID_PARAMETER` (87).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ConnectFlags(u32);

macro_rules! connect_flags {
    ($( $name:ident = $value:literal, $doc:literal; )*) => {
        impl ConnectFlags {
            $(
                #[doc = $doc]
                pub const $name: ConnectFlags = ConnectFlags($value);
            )*
            /// Every defined bit with its `CONNECT_*` name.
            pub const NAMED: &'static [(&'static str, ConnectFlags)] = &[
                $( (concat!("CONNECT_", stringify!($name)), ConnectFlags($value)), )*
            ];
        }
    };
}

connect_flags! {
    UPDATE_PROFILE = 0x1, "Remember the connection in the profile (or, on cancel, forget it).";
    UPDATE_RECENT = 0x2, "Add to the recent-connections list.";
    TEMPORARY = 0x4, "A short-lived connection: never remembered.";
    INTERACTIVE = 0x8, "The caller may be asked for credentials.";
    PROMPT = 0x10, "Always prompt for credentials (with INTERACTIVE).";
    NEED_DRIVE = 0x20, "Obsolete: a drive is required.";
    REFCOUNT = 0x40, "Obsolete: reference counted.";
    REDIRECT = 0x80, "Choose a free local device and redirect it.";
    LOCALDRIVE = 0x100, "Output of WNetUseConnection: a local device was redirected.";
    CURRENT_MEDIA = 0x200, "Use the current media.";
    DEFERRED = 0x400, "Restore: recreate the device now, connect on first use.";
    COMMANDLINE = 0x800, "Prompt on the command line rather than in a dialog.";
    CMD_SAVECRED = 0x1000, "Save the credentials that were prompted for.";
    CRED_RESET = 0x2000, "Reset the saved credentials.";
    REQUIRE_INTEGRITY = 0x4000, "Require signing.";
    REQUIRE_PRIVACY = 0x8000, "Require encryption.";
    WRITE_THROUGH_SEMANTICS = 0x10000, "Ask the server for write-through.";
    GLOBAL_MAPPING = 0x40000, "A mapping visible to every user.";
}

impl ConnectFlags {
    /// The reserved bits (`CONNECT_RESERVED`), never valid.
    pub const RESERVED_MASK: u32 = 0xFF00_0000;

    /// The union of every defined bit.
    pub const ALL_DEFINED: u32 = {
        let mut all = 0;
        let mut i = 0;
        while i < Self::NAMED.len() {
            all |= Self::NAMED[i].1.0;
            i += 1;
        }
        all
    };

    /// No bits.
    pub const fn empty() -> Self {
        ConnectFlags(0)
    }

    /// Validates raw bits: any bit that is not a defined `CONNECT_*` flag gives 87.
    pub fn from_bits(bits: u32) -> Result<Self, Error> {
        let unknown = bits & !Self::ALL_DEFINED;
        if unknown != 0 {
            return Err(Error::new(
                ErrorKind::InvalidParameter,
                format!("unknown CONNECT_* flag bits {unknown:#x}"),
            ));
        }
        Ok(ConnectFlags(bits))
    }

    /// The raw bits.
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// `true` if every bit of `other` is set.
    pub const fn contains(self, other: ConnectFlags) -> bool {
        self.0 & other.0 == other.0
    }

    /// These bits plus `other`'s.
    #[must_use]
    pub const fn union(self, other: ConnectFlags) -> ConnectFlags {
        ConnectFlags(self.0 | other.0)
    }

    /// These bits without `other`'s.
    #[must_use]
    pub const fn difference(self, other: ConnectFlags) -> ConnectFlags {
        ConnectFlags(self.0 & !other.0)
    }

    /// `true` if no bit is set.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl std::ops::BitOr for ConnectFlags {
    type Output = ConnectFlags;
    fn bitor(self, rhs: ConnectFlags) -> ConnectFlags {
        self.union(rhs)
    }
}

impl fmt::Debug for ConnectFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 0 {
            return f.write_str("ConnectFlags(0)");
        }
        let names: Vec<&str> = Self::NAMED
            .iter()
            .filter(|(_, flag)| self.contains(*flag))
            .map(|(name, _)| *name)
            .collect();
        write!(f, "ConnectFlags({})", names.join(" | "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_defined_bit_is_accepted() {
        for (name, flag) in ConnectFlags::NAMED {
            assert_eq!(
                ConnectFlags::from_bits(flag.bits()).unwrap(),
                *flag,
                "{name}"
            );
        }
        assert!(ConnectFlags::from_bits(ConnectFlags::ALL_DEFINED).is_ok());
        assert_eq!(ConnectFlags::ALL_DEFINED, 0x5_FFFF);
    }

    #[test]
    fn unknown_and_reserved_bits_are_87() {
        for bits in [
            0x20000,
            0x80000,
            0x100000,
            0x0100_0000,
            0x8000_0000,
            ConnectFlags::RESERVED_MASK,
            0x1 | 0x20000,
        ] {
            let e = ConnectFlags::from_bits(bits).unwrap_err();
            assert_eq!(e.win_error().0, 87, "{bits:#x}");
        }
    }

    #[test]
    fn set_operations_and_debug() {
        let f = ConnectFlags::UPDATE_PROFILE | ConnectFlags::REDIRECT;
        assert!(f.contains(ConnectFlags::REDIRECT));
        assert!(!f.contains(ConnectFlags::TEMPORARY));
        assert_eq!(
            f.difference(ConnectFlags::REDIRECT),
            ConnectFlags::UPDATE_PROFILE
        );
        assert_eq!(
            format!("{f:?}"),
            "ConnectFlags(CONNECT_UPDATE_PROFILE | CONNECT_REDIRECT)"
        );
        assert!(ConnectFlags::empty().is_empty());
    }
}
