//! `LocalName`: a local device that can be redirected: a drive `A:`–`Z:` or a port `LPT1:`–`LPT9:`.

use std::fmt;
use std::str::FromStr;

use crate::{Error, ErrorKind};

/// A local device name. `z:` and `Z:` are the same device; it displays upper case (`Z:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LocalName {
    /// A drive letter, stored upper case (`b'A'..=b'Z'`).
    Drive(u8),
    /// A printer port `LPT1:`–`LPT9:`, stored as its number.
    Lpt(u8),
}

impl LocalName {
    /// Parses `X:` (any case) or `LPTn:`. Anything else is `ERROR_BAD_DEVICE` (1200).
    pub fn parse(s: &str) -> Result<Self, Error> {
        let bad = || {
            Error::new(
                ErrorKind::BadDevice,
                format!("{s:?} is not a local device name"),
            )
        };
        let bytes = s.as_bytes();
        match bytes {
            [letter, b':'] if letter.is_ascii_alphabetic() => {
                Ok(LocalName::Drive(letter.to_ascii_uppercase()))
            }
            [l, p, t, n @ b'1'..=b'9', b':'] if [*l, *p, *t].eq_ignore_ascii_case(b"LPT") => {
                Ok(LocalName::Lpt(n - b'0'))
            }
            _ => Err(bad()),
        }
    }

    /// `true` if `s` has the shape of a local device name (`X:` or `LPTn:`), valid or not is
    /// decided by [`LocalName::parse`]; used to tell a device from a remote name.
    pub fn looks_like_device(s: &str) -> bool {
        let b = s.as_bytes();
        (b.len() == 2 && b[1] == b':')
            || (b.len() >= 4
                && b.len() <= 6
                && b[..3].eq_ignore_ascii_case(b"LPT")
                && b.ends_with(b":"))
    }

    /// The drive letter (upper case) for a drive, `None` for a port.
    pub fn drive_letter(self) -> Option<char> {
        match self {
            LocalName::Drive(l) => Some(l as char),
            LocalName::Lpt(_) => None,
        }
    }

    /// `true` for a disk drive, `false` for a printer port.
    pub fn is_disk(self) -> bool {
        matches!(self, LocalName::Drive(_))
    }

    /// The profile key: the name without its colon (`Z`, `LPT1`), as `HKCU\Network\<key>`.
    pub fn profile_key(self) -> String {
        let s = self.to_string();
        s.trim_end_matches(':').to_owned()
    }

    /// Every drive from `Z:` down to `A:`: the order in which a free drive letter is chosen.
    pub fn drives_descending() -> impl Iterator<Item = LocalName> {
        (b'A'..=b'Z').rev().map(LocalName::Drive)
    }
}

impl fmt::Display for LocalName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LocalName::Drive(l) => write!(f, "{}:", *l as char),
            LocalName::Lpt(n) => write!(f, "LPT{n}:"),
        }
    }
}

impl FromStr for LocalName {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        LocalName::parse(s)
    }
}

impl serde::Serialize for LocalName {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for LocalName {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        LocalName::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drives_any_case_are_one_device() {
        assert_eq!(
            LocalName::parse("z:").unwrap(),
            LocalName::parse("Z:").unwrap()
        );
        assert_eq!(LocalName::parse("z:").unwrap().to_string(), "Z:");
        assert_eq!(LocalName::parse("a:").unwrap().drive_letter(), Some('A'));
        assert_eq!(LocalName::parse("Q:").unwrap().profile_key(), "Q");
    }

    #[test]
    fn printer_ports() {
        assert_eq!(LocalName::parse("lpt1:").unwrap(), LocalName::Lpt(1));
        assert_eq!(LocalName::parse("LPT9:").unwrap().to_string(), "LPT9:");
        assert_eq!(LocalName::parse("LPT3:").unwrap().profile_key(), "LPT3");
        assert!(!LocalName::Lpt(1).is_disk());
    }

    #[test]
    fn bad_devices_are_1200() {
        for s in [
            "", "z", "Z", "zz:", "1:", ":", "Z:\\", "Z:x", "LPT0:", "LPT10:", "LPT:", "COM1:",
            "é:", "Z\0",
        ] {
            let e = LocalName::parse(s).unwrap_err();
            assert_eq!(e.win_error().0, 1200, "{s:?}");
        }
    }

    #[test]
    fn device_shape() {
        assert!(LocalName::looks_like_device("z:"));
        assert!(LocalName::looks_like_device("1:"));
        assert!(LocalName::looks_like_device("lpt1:"));
        assert!(!LocalName::looks_like_device(r"\\s\x"));
        assert!(!LocalName::looks_like_device("z"));
    }

    #[test]
    fn drive_order_is_z_to_a() {
        let all: Vec<_> = LocalName::drives_descending()
            .map(|d| d.to_string())
            .collect();
        assert_eq!(all.first().unwrap(), "Z:");
        assert_eq!(all.last().unwrap(), "A:");
        assert_eq!(all.len(), 26);
    }
}
