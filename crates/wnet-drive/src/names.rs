//! Which names a server can hold ([`NameRules`], declared by the provider in
//! [`Capabilities::names`](super::remote::Capabilities::names)): names it cannot get an errno
//! before anything is sent. A Linux name may contain anything but `/` and NUL.
//!
//! * [`NameRules::Windows`] (SMB): no `\ : * ? " < > |` nor control characters, no trailing
//!   dot or space, at most 255 UTF-16 units.
//! * [`NameRules::Posix`] (WebDAV: a URL path segment can carry any byte, percent-encoded):
//!   anything but `/` and NUL, at most 255 bytes (`NAME_MAX`, what the servers' own disks
//!   take).
//!
//! Either way a drive path is UTF-8 (`EINVAL` otherwise) and `.`/`..` are the kernel's.

use super::errno::Errno;
use std::ffi::OsStr;

/// Longest name component, in UTF-16 units ([`NameRules::Windows`]) or bytes
/// ([`NameRules::Posix`]).
pub const MAX_NAME_UNITS: usize = 255;

/// The names a server can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NameRules {
    /// Win32 names (SMB): no `\ : * ? " < > |` nor control characters, no trailing dot or
    /// space, at most 255 UTF-16 units. The default: the strictest.
    #[default]
    Windows,
    /// Anything but `/` and NUL, at most 255 bytes.
    Posix,
}

/// Checks one name component against `rules` and returns it as UTF-8.
///
/// Errors: `EINVAL` for a name that is not UTF-8, is empty, `.` or `..`, or (Windows)
/// contains a reserved character or ends in a dot or space; `ENAMETOOLONG` past
/// [`MAX_NAME_UNITS`].
pub fn check(name: &OsStr, rules: NameRules) -> Result<&str, Errno> {
    let s = name.to_str().ok_or(Errno::EINVAL)?;
    if s.is_empty() || s == "." || s == ".." || s.contains(['/', '\0']) {
        return Err(Errno::EINVAL);
    }
    match rules {
        NameRules::Windows => {
            if s.chars()
                .any(|c| matches!(c, '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|') || c < ' ')
                || s.ends_with('.')
                || s.ends_with(' ')
            {
                return Err(Errno::EINVAL);
            }
            if s.encode_utf16().count() > MAX_NAME_UNITS {
                return Err(Errno::ENAMETOOLONG);
            }
        }
        NameRules::Posix => {
            if s.len() > MAX_NAME_UNITS {
                return Err(Errno::ENAMETOOLONG);
            }
        }
    }
    Ok(s)
}

/// `dir/name` in the drive's path form (`/`-separated, no leading slash, `""` = the root).
pub fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_characters_and_trailing_dot_or_space_are_einval() {
        for bad in [
            "a\\b", "a:b", "a*", "a?", "a\"b", "<a", "a>", "a|b", "trail.", "trail ", "ctl\x01",
        ] {
            assert_eq!(
                check(OsStr::new(bad), NameRules::Windows),
                Err(Errno::EINVAL),
                "{bad:?}"
            );
            assert_eq!(check(OsStr::new(bad), NameRules::Posix), Ok(bad), "{bad:?}");
        }
    }

    #[test]
    fn ordinary_names_pass() {
        for good in [
            "a",
            ".hidden",
            "report v2.docx",
            "ünïcödé",
            "a.b.c",
            " lead",
        ] {
            for rules in [NameRules::Windows, NameRules::Posix] {
                assert_eq!(check(OsStr::new(good), rules), Ok(good));
            }
        }
    }

    #[test]
    fn long_names_are_enametoolong() {
        let n = "x".repeat(256);
        for rules in [NameRules::Windows, NameRules::Posix] {
            assert_eq!(check(OsStr::new(&n), rules), Err(Errno::ENAMETOOLONG));
            assert!(check(OsStr::new(&"x".repeat(255)), rules).is_ok());
        }
        // 128 two-byte characters: 128 UTF-16 units, 256 bytes.
        let e = "é".repeat(128);
        assert!(check(OsStr::new(&e), NameRules::Windows).is_ok());
        assert_eq!(
            check(OsStr::new(&e), NameRules::Posix),
            Err(Errno::ENAMETOOLONG)
        );
    }

    #[test]
    fn no_rules_let_a_separator_nul_dot_or_non_utf8_through() {
        use std::os::unix::ffi::OsStrExt;
        for rules in [NameRules::Windows, NameRules::Posix] {
            for bad in ["", ".", "..", "a/b", "a\0b"] {
                assert_eq!(check(OsStr::new(bad), rules), Err(Errno::EINVAL), "{bad:?}");
            }
            let latin1 = OsStr::from_bytes(b"caf\xe9");
            assert_eq!(check(latin1, rules), Err(Errno::EINVAL));
        }
    }

    #[test]
    fn join_paths() {
        assert_eq!(join("", "a"), "a");
        assert_eq!(join("a/b", "c"), "a/b/c");
    }
}
