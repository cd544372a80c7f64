//! Names SMB cannot hold. A Linux name may contain anything but `/` and NUL; an SMB name may
//! not contain `\ : * ? " < > |` or control characters, nor end in a dot or a space, and is
//! UTF-16 of at most 255 units. Such names get `EINVAL` (`ENAMETOOLONG` for length) before
//! anything is sent.

use super::errno::Errno;
use std::ffi::OsStr;

/// Longest name component, in UTF-16 units.
pub const MAX_NAME_UNITS: usize = 255;

/// Checks one name component and returns it as UTF-8.
///
/// Errors: `EINVAL` for a name that is not UTF-8, contains a character SMB reserves, or ends
/// in a dot or space; `ENAMETOOLONG` past [`MAX_NAME_UNITS`].
pub fn check(name: &OsStr) -> Result<&str, Errno> {
    let s = name.to_str().ok_or(Errno::EINVAL)?;
    if s.is_empty() || s == "." || s == ".." {
        return Err(Errno::EINVAL);
    }
    if s.chars()
        .any(|c| matches!(c, '\\' | '/' | ':' | '*' | '?' | '"' | '<' | '>' | '|') || c < ' ')
    {
        return Err(Errno::EINVAL);
    }
    if s.ends_with('.') || s.ends_with(' ') {
        return Err(Errno::EINVAL);
    }
    if s.encode_utf16().count() > MAX_NAME_UNITS {
        return Err(Errno::ENAMETOOLONG);
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
            assert_eq!(check(OsStr::new(bad)), Err(Errno::EINVAL), "{bad:?}");
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
            assert_eq!(check(OsStr::new(good)), Ok(good));
        }
    }

    #[test]
    fn long_names_are_enametoolong() {
        let n = "x".repeat(256);
        assert_eq!(check(OsStr::new(&n)), Err(Errno::ENAMETOOLONG));
        assert!(check(OsStr::new(&"x".repeat(255))).is_ok());
    }

    #[test]
    fn join_paths() {
        assert_eq!(join("", "a"), "a");
        assert_eq!(join("a/b", "c"), "a/b/c");
    }
}
