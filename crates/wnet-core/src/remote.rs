//! `RemoteName`: the remote name the user gave, normalised but not interpreted.
//!
//! MPR does not parse names: it hands the caller's `lpRemoteName` to each provider in order
//! and lets each decide whether the name is its own (ADR 0018). So the router, the daemon, the
//! profile and the wire carry a `RemoteName`, and each provider parses it into its own form:
//! the SMB provider into a [`UncPath`] ([`RemoteName::unc`]), the WebDAV provider into a
//! `wnet_dav::DavLocation`.
//!
//! Normalisation (the only changes made to the text):
//! - a UNC-shaped name (two leading separators) has `/` turned into `\` and one trailing
//!   separator dropped: `//h/s/` is `\\h\s`;
//! - an `smb://` URL is translated to the UNC it names (ADR 0004: SMB names are kept in UNC
//!   form), its user given back by [`RemoteName::parse_with_user`];
//! - another URL (`http://`, `https://`) keeps its text, with the scheme in lower case.
//!
//! Errors, before any provider is asked: a NUL or more than [`MAX_PATH`] characters (a URL: more
//! than [`MAX_URL`]) give `ERROR_INVALID_PARAMETER` (87); a name that is neither UNC-shaped nor
//! a URL gives `ERROR_BAD_NET_NAME` (67), the same answer every provider would give.

use std::fmt;

use crate::{Error, ErrorKind, MAX_PATH, UncPath};

/// The longest URL accepted, in characters (a URL names a path on a server and is often
/// longer than `MAX_PATH`; 2 KiB is what browsers and IIS accept by default).
pub const MAX_URL: usize = 2048;

/// A remote name as the user gave it, normalised (see the module doc).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct RemoteName(String);

impl RemoteName {
    /// Parses and normalises a remote name. See the module doc for the rules and error codes.
    pub fn parse(s: &str) -> Result<Self, Error> {
        RemoteName::parse_with_user(s).map(|(name, _)| name)
    }

    /// As [`RemoteName::parse`], and the user an `smb://user@host/share` URL names.
    pub fn parse_with_user(s: &str) -> Result<(Self, Option<String>), Error> {
        if s.contains('\0') {
            return Err(Error::new(
                ErrorKind::InvalidParameter,
                "remote name contains a NUL character",
            ));
        }
        if crate::smb_url::is_smb_url(s) {
            let (unc, user) = UncPath::parse_with_user(s)?;
            return Ok((RemoteName::from(&unc), user));
        }
        if let Some((scheme, rest)) = url_parts(s) {
            if s.chars().count() > MAX_URL {
                return Err(Error::new(
                    ErrorKind::InvalidParameter,
                    format!("the URL is longer than {MAX_URL} characters"),
                ));
            }
            return Ok((
                RemoteName(format!("{}://{rest}", scheme.to_ascii_lowercase())),
                None,
            ));
        }
        if s.chars().count() > MAX_PATH {
            return Err(Error::new(
                ErrorKind::InvalidParameter,
                format!("remote name is longer than {MAX_PATH} characters"),
            ));
        }
        let normal: String = s.chars().map(|c| if c == '/' { '\\' } else { c }).collect();
        if !normal.starts_with("\\\\") {
            return Err(Error::new(
                ErrorKind::BadNetName,
                format!("{s:?} is not a valid remote name: it must start with \\\\ or be a URL"),
            ));
        }
        let trimmed = match normal.strip_suffix('\\') {
            Some(t) if t.len() > 2 => t.to_owned(),
            _ => normal,
        };
        Ok((RemoteName(trimmed), None))
    }

    /// The name's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The URL scheme (lower case) when the name is a URL (`http`, `https`); `None` for a UNC.
    pub fn scheme(&self) -> Option<&str> {
        url_parts(&self.0).map(|(scheme, _)| scheme)
    }

    /// The name as an SMB UNC: the SMB provider's view. Errors: a URL, or a UNC the SMB rules
    /// refuse, gives that rule's code (67, 87): "not mine" for the SMB provider.
    pub fn unc(&self) -> Result<UncPath, Error> {
        if self.scheme().is_some() {
            return Err(Error::new(
                ErrorKind::BadNetName,
                format!("{self} is a URL, not an SMB name"),
            ));
        }
        UncPath::parse(&self.0)
    }

    /// `true` for a UNC that carries Windows' WebClient marks (`\\host@SSL...`, or
    /// `DavWWWRoot` as the first component): a WebDAV name that the SMB rules would refuse.
    /// Front ends use it to tell a WebDAV name from a mistyped SMB name before asking the
    /// daemon; the providers decide for themselves.
    pub fn has_webclient_marks(&self) -> bool {
        if self.scheme().is_some() {
            return false;
        }
        let mut parts = self.0.trim_start_matches('\\').split('\\');
        let server = parts.next().unwrap_or("");
        server
            .split('@')
            .skip(1)
            .any(|f| f.eq_ignore_ascii_case("SSL"))
            || parts
                .next()
                .is_some_and(|c| c.eq_ignore_ascii_case("DavWWWRoot"))
    }

    /// `true` if both names lead to the same connection: for two SMB names the same share
    /// (server, port and share, ignoring case, whatever the path below); otherwise the same
    /// text ignoring case.
    pub fn same_connection(&self, other: &RemoteName) -> bool {
        match (self.unc(), other.unc()) {
            (Ok(a), Ok(b)) => a.same_share(&b),
            _ => self.0.eq_ignore_ascii_case(&other.0),
        }
    }
}

/// `(scheme, rest)` of `scheme://rest`, for a scheme of letters, digits, `+`, `-`, `.`.
fn url_parts(s: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = s.split_once("://")?;
    let ok = scheme
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    ok.then_some((scheme, rest))
}

impl From<&UncPath> for RemoteName {
    fn from(unc: &UncPath) -> Self {
        RemoteName(unc.to_string())
    }
}

impl From<UncPath> for RemoteName {
    fn from(unc: UncPath) -> Self {
        RemoteName::from(&unc)
    }
}

impl fmt::Display for RemoteName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for RemoteName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RemoteName({})", self.0)
    }
}

impl std::str::FromStr for RemoteName {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        RemoteName::parse(s)
    }
}

impl serde::Serialize for RemoteName {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for RemoteName {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        RemoteName::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> String {
        RemoteName::parse(s).unwrap().to_string()
    }

    fn code(s: &str) -> u32 {
        RemoteName::parse(s).unwrap_err().win_error().0
    }

    #[test]
    fn unc_names_are_kept_as_given_with_separators_normalised() {
        assert_eq!(text("//Srv/Share/"), r"\\Srv\Share");
        assert_eq!(
            text(r"\\h@SSL@443\DavWWWRoot\a"),
            r"\\h@SSL@443\DavWWWRoot\a"
        );
        assert_eq!(text(r"\\h@8080\x"), r"\\h@8080\x");
        // Names no provider may want still pass: providers decide.
        assert_eq!(text(r"\\h"), r"\\h");
        assert_eq!(text(r"\\"), r"\\");
    }

    #[test]
    fn urls() {
        assert_eq!(
            text("HTTPS://Cloud.example/remote.php/dav/files/alice/"),
            "https://Cloud.example/remote.php/dav/files/alice/"
        );
        let (n, user) = RemoteName::parse_with_user("smb://dom;bob@h:4455/s/").unwrap();
        assert_eq!(
            (n.to_string(), user.as_deref()),
            (r"\\h@4455\s".into(), Some(r"dom\bob"))
        );
        assert_eq!(n.scheme(), None);
        assert_eq!(
            RemoteName::parse("http://h/x").unwrap().scheme(),
            Some("http")
        );
        assert_eq!(code("smb://h"), 67, "an smb:// URL keeps the UNC rules");
    }

    #[test]
    fn refused_before_any_provider() {
        assert_eq!(code("x\0y"), 87);
        assert_eq!(code(&format!(r"\\h\{}", "a".repeat(300))), 87);
        assert_eq!(code(&format!("https://h/{}", "a".repeat(3000))), 87);
        assert!(RemoteName::parse(&format!("https://h/{}", "a".repeat(1000))).is_ok());
        assert_eq!(code(r"\servershare"), 67);
        assert_eq!(code(""), 67);
        assert_eq!(code("Z:"), 67);
    }

    #[test]
    fn the_smb_view() {
        let n = RemoteName::parse(r"\\H@4455\S").unwrap();
        assert_eq!(n.unc().unwrap(), UncPath::parse(r"\\h@4455\s").unwrap());
        assert_eq!(
            RemoteName::parse("https://h/s")
                .unwrap()
                .unc()
                .unwrap_err()
                .win_error()
                .0,
            67
        );
        assert_eq!(
            RemoteName::parse(r"\\h")
                .unwrap()
                .unc()
                .unwrap_err()
                .win_error()
                .0,
            67
        );
    }

    #[test]
    fn webclient_marks() {
        let marks = |s: &str| RemoteName::parse(s).unwrap().has_webclient_marks();
        assert!(marks(r"\\h@SSL\x") && marks(r"\\h@ssl@443\x") && marks(r"\\h\DavWWWRoot"));
        assert!(!marks(r"\\h@8080\x") && !marks(r"\\h\s") && !marks("https://h/DavWWWRoot"));
    }

    #[test]
    fn same_connection() {
        let a = RemoteName::parse(r"\\H\S\dir").unwrap();
        assert!(a.same_connection(&RemoteName::parse(r"\\h\s").unwrap()));
        assert!(!a.same_connection(&RemoteName::parse(r"\\h@1\s").unwrap()));
        let u = RemoteName::parse("https://h/a").unwrap();
        assert!(u.same_connection(&RemoteName::parse("HTTPS://H/A").unwrap()));
        assert!(!u.same_connection(&a));
    }

    #[test]
    fn serde_round_trip() {
        #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
        struct Row {
            remote: RemoteName,
        }
        let row = Row {
            remote: RemoteName::parse("https://h/a b").unwrap(),
        };
        let text = toml::to_string(&row).unwrap();
        assert_eq!(toml::from_str::<Row>(&text).unwrap(), row);
    }
}
