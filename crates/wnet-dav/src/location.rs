//! Where a WebDAV resource lives: [`DavLocation`], parsed from the names Windows' WebClient
//! takes and from `http(s)://` URLs.
//!
//! | name | location |
//! |---|---|
//! | `\\host\DavWWWRoot\a\b` | `http://host/a/b` |
//! | `\\host@8080\a\b` | `http://host:8080/a/b` |
//! | `\\host@SSL\DavWWWRoot\a` | `https://host/a` |
//! | `\\host@SSL@8443\a` | `https://host:8443/a` |
//! | `https://host/remote.php/dav/files/alice` | itself |
//!
//! `DavWWWRoot` as the first component names the server's root (it is not part of the path).
//! The path is kept as decoded components; [`DavLocation::url_path`] percent-encodes them.

use std::fmt;

/// The longest name accepted (Windows' `MAX_PATH`-class bound for a remote name; a URL's
/// practical limit is larger, 8 KiB keeps a parse bounded).
pub const MAX_NAME: usize = 8 * 1024;

/// HTTP or HTTPS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// Plain `http://`.
    Http,
    /// `https://` (TLS).
    Https,
}

impl Scheme {
    /// The port a URL without one means.
    pub const fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

/// A WebDAV collection or resource: scheme, host, port and path components.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DavLocation {
    scheme: Scheme,
    host: String,
    port: u16,
    /// Decoded path components, none empty, none `.` or `..`.
    path: Vec<String>,
}

/// Why a name is not a WebDAV location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameError {
    /// Not a form this module knows (not `\\…` nor `http(s)://…`): another provider's name.
    NotDav,
    /// A DAV-looking name that is malformed; the text says how.
    Invalid(&'static str),
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NameError::NotDav => f.write_str("not a WebDAV name"),
            NameError::Invalid(why) => write!(f, "invalid WebDAV name: {why}"),
        }
    }
}

impl std::error::Error for NameError {}

impl DavLocation {
    /// A location from parts; `path` components are taken as given (decoded).
    ///
    /// Errors: [`NameError::Invalid`] for an empty host or a bad component.
    pub fn new(scheme: Scheme, host: &str, port: u16, path: &[&str]) -> Result<Self, NameError> {
        let host = check_host(host)?;
        let mut out = Vec::with_capacity(path.len());
        for c in path {
            push_component(&mut out, c, Separators::Both)?;
        }
        Ok(DavLocation {
            scheme,
            host,
            port,
            path: out,
        })
    }

    /// Parses a WebClient UNC name (`\\host[@SSL][@port]\[DavWWWRoot\]path`, `/` accepted as
    /// a separator too). A UNC without `@SSL`, a port or `DavWWWRoot` is still parsed (as
    /// `http://host/...`): whether to claim it is the router's decision, not the parser's.
    ///
    /// Errors: [`NameError::NotDav`] unless it starts with two separators;
    /// [`NameError::Invalid`] for a malformed host part or path.
    pub fn parse_unc(name: &str) -> Result<Self, NameError> {
        if name.len() > MAX_NAME {
            return Err(NameError::Invalid("name too long"));
        }
        let is_sep = |c: char| c == '\\' || c == '/';
        let mut chars = name.chars();
        if !(chars.next().is_some_and(is_sep) && chars.next().is_some_and(is_sep)) {
            return Err(NameError::NotDav);
        }
        let rest = &name[2..];
        let mut parts = rest.split(is_sep);
        let server = parts.next().unwrap_or_default();
        let mut fields = server.split('@');
        let host = fields.next().unwrap_or_default();
        let mut scheme = Scheme::Http;
        let mut port = None;
        for f in fields {
            if f.eq_ignore_ascii_case("SSL") && scheme == Scheme::Http && port.is_none() {
                scheme = Scheme::Https;
            } else if port.is_none() {
                port = Some(parse_port(f)?);
            } else {
                return Err(NameError::Invalid("unexpected '@' field after the port"));
            }
        }
        let mut components: Vec<&str> = parts.collect();
        if components.last() == Some(&"") {
            components.pop();
        }
        if components
            .first()
            .is_some_and(|c| c.eq_ignore_ascii_case("DavWWWRoot"))
        {
            components.remove(0);
        }
        Self::new(
            scheme,
            host,
            port.unwrap_or(scheme.default_port()),
            &components,
        )
    }

    /// Parses an `http://` or `https://` URL (`net use Z: https://host/path` takes these).
    /// User information (`user@`) is refused: credentials go through the switches, not names.
    ///
    /// Errors: [`NameError::NotDav`] for another scheme; [`NameError::Invalid`] otherwise.
    pub fn parse_url(url: &str) -> Result<Self, NameError> {
        if url.len() > MAX_NAME {
            return Err(NameError::Invalid("name too long"));
        }
        let (scheme, rest) = if let Some(r) = strip_prefix_ci(url, "http://") {
            (Scheme::Http, r)
        } else if let Some(r) = strip_prefix_ci(url, "https://") {
            (Scheme::Https, r)
        } else {
            return Err(NameError::NotDav);
        };
        let rest = rest.split(['?', '#']).next().unwrap_or_default();
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, ""),
        };
        if authority.contains('@') {
            return Err(NameError::Invalid(
                "user information in the URL: give the user with /USER",
            ));
        }
        let (host, port) = split_host_port(authority)?;
        let mut decoded = Vec::new();
        for raw in path.split('/').filter(|c| !c.is_empty()) {
            decoded.push(percent_decode(raw)?);
        }
        let refs: Vec<&str> = decoded.iter().map(String::as_str).collect();
        Self::new(scheme, host, port.unwrap_or(scheme.default_port()), &refs)
    }

    /// Either form: a URL or a UNC name.
    ///
    /// Errors: as [`DavLocation::parse_unc`] / [`DavLocation::parse_url`].
    pub fn parse(name: &str) -> Result<Self, NameError> {
        match Self::parse_url(name) {
            Err(NameError::NotDav) => Self::parse_unc(name),
            other => other,
        }
    }

    /// HTTP or HTTPS.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The host as given (a name, an IPv4 address, or an IPv6 address without brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The TCP port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The decoded path components.
    pub fn components(&self) -> &[String] {
        &self.path
    }

    /// This location with `name` appended: any name a URL path segment can carry, `\`
    /// included (a member's name on the server, not a UNC separator).
    ///
    /// Errors: [`NameError::Invalid`] for an empty or `.`/`..` name, or one with `/` or NUL.
    pub fn join(&self, name: &str) -> Result<Self, NameError> {
        let mut out = self.clone();
        push_component(&mut out.path, name, Separators::Slash)?;
        Ok(out)
    }

    /// The parent collection (the root is its own parent).
    pub fn parent(&self) -> Self {
        let mut out = self.clone();
        out.path.pop();
        out
    }

    /// The percent-encoded request path: `/a/b%20c`, with a trailing `/` when `collection`.
    pub fn url_path(&self, collection: bool) -> String {
        let mut s = String::new();
        for c in &self.path {
            s.push('/');
            percent_encode_into(&mut s, c);
        }
        if collection || self.path.is_empty() {
            s.push('/');
        }
        s
    }

    /// The `Host` header value (`host`, `host:port` when not the default, IPv6 bracketed).
    pub fn host_header(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if self.port == self.scheme.default_port() {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }

    /// The Windows UNC form of this location, as the WebClient shows it:
    /// `\\host[@SSL][@port]\DavWWWRoot\path`.
    pub fn to_unc(&self) -> String {
        let mut s = format!(r"\\{}", self.host);
        if self.scheme == Scheme::Https {
            s.push_str("@SSL");
        }
        if self.port != self.scheme.default_port() {
            s.push_str(&format!("@{}", self.port));
        }
        s.push_str(r"\DavWWWRoot");
        for c in &self.path {
            s.push('\\');
            s.push_str(c);
        }
        s
    }
}

impl fmt::Display for DavLocation {
    /// The URL: `https://host:8443/a/b%20c`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}://{}{}",
            self.scheme.as_str(),
            self.host_header(),
            self.url_path(false)
        )
    }
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

fn parse_port(s: &str) -> Result<u16, NameError> {
    match s.parse::<u16>() {
        Ok(p) if p != 0 && s.bytes().all(|b| b.is_ascii_digit()) => Ok(p),
        _ => Err(NameError::Invalid(
            "the port is not a number from 1 to 65535",
        )),
    }
}

fn split_host_port(authority: &str) -> Result<(&str, Option<u16>), NameError> {
    if let Some(rest) = authority.strip_prefix('[') {
        let end = rest
            .find(']')
            .ok_or(NameError::Invalid("unclosed '[' in the host"))?;
        let host = &rest[..end];
        return match &rest[end + 1..] {
            "" => Ok((host, None)),
            p => match p.strip_prefix(':') {
                Some(p) => Ok((host, Some(parse_port(p)?))),
                None => Err(NameError::Invalid("text after the IPv6 host")),
            },
        };
    }
    match authority.rsplit_once(':') {
        Some((h, p)) => Ok((h, Some(parse_port(p)?))),
        None => Ok((authority, None)),
    }
}

fn check_host(host: &str) -> Result<String, NameError> {
    if host.is_empty() {
        return Err(NameError::Invalid("no host"));
    }
    if host.len() > 255
        || !host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._:".contains(&b))
    {
        return Err(NameError::Invalid(
            "the host has characters a host name cannot",
        ));
    }
    Ok(host.to_owned())
}

/// Which separators a path component may not contain.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Separators {
    /// `/` and `\`: a component of a name the user gave (UNC or URL), which shows as UNC.
    Both,
    /// `/` only: a member's name on the server.
    Slash,
}

fn push_component(out: &mut Vec<String>, c: &str, seps: Separators) -> Result<(), NameError> {
    if c.is_empty() {
        return Err(NameError::Invalid("an empty path component"));
    }
    if c == "." || c == ".." {
        return Err(NameError::Invalid("'.' or '..' in the path"));
    }
    if c.contains(['/', '\0']) || (seps == Separators::Both && c.contains('\\')) {
        return Err(NameError::Invalid(
            "a separator or NUL inside a path component",
        ));
    }
    out.push(c.to_owned());
    Ok(())
}

/// RFC 3986 unreserved characters plus the sub-delimiters servers accept unescaped in a path.
fn is_path_safe(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@".contains(&b)
}

fn percent_encode_into(out: &mut String, s: &str) {
    for b in s.bytes() {
        if is_path_safe(b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

/// Decodes `%XX` escapes of one path segment into UTF-8 ([`wnet_core::smb_url::percent_decode`]).
///
/// Errors: [`NameError::Invalid`] for a bad escape or bytes that are not UTF-8.
pub fn percent_decode(s: &str) -> Result<String, NameError> {
    wnet_core::smb_url::percent_decode(s)
        .map_err(|_| NameError::Invalid("a bad %-escape, or %-escapes that are not UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(name: &str) -> String {
        DavLocation::parse(name).unwrap().to_string()
    }

    #[test]
    fn webclient_forms_map_to_urls() {
        assert_eq!(url(r"\\host\DavWWWRoot\a\b"), "http://host/a/b");
        assert_eq!(url(r"\\host@8080\a\b"), "http://host:8080/a/b");
        assert_eq!(url(r"\\host@SSL\DavWWWRoot\a"), "https://host/a");
        assert_eq!(url(r"\\host@SSL@8443\a"), "https://host:8443/a");
        assert_eq!(url(r"\\host@ssl@443\davwwwroot"), "https://host/");
        assert_eq!(url("//host@8080/a/"), "http://host:8080/a");
    }

    #[test]
    fn urls_round_trip_with_escapes() {
        assert_eq!(
            url("https://host/remote.php/dav/files/alice"),
            "https://host/remote.php/dav/files/alice"
        );
        assert_eq!(url("HTTP://h:81/a%20b/%C3%A9"), "http://h:81/a%20b/%C3%A9");
        let l = DavLocation::parse("http://h/a%20b").unwrap();
        assert_eq!(l.components(), ["a b"]);
        assert_eq!(url("http://[::1]:8080/x?q#f"), "http://[::1]:8080/x");
        assert_eq!(url("https://h:443"), "https://h/");
    }

    #[test]
    fn unc_form_names_the_webclient_path() {
        let l = DavLocation::parse("https://h:8443/a/b").unwrap();
        assert_eq!(l.to_unc(), r"\\h@SSL@8443\DavWWWRoot\a\b");
        let l = DavLocation::parse("http://h/a").unwrap();
        assert_eq!(l.to_unc(), r"\\h\DavWWWRoot\a");
    }

    #[test]
    fn bad_names_are_refused_with_reasons() {
        use NameError::*;
        assert_eq!(DavLocation::parse("Z:"), Err(NotDav));
        assert_eq!(DavLocation::parse("ftp://h/"), Err(NotDav));
        for bad in [
            r"\\host@0\a",
            r"\\host@99999\a",
            r"\\host@SSL@1@2\a",
            r"\\@SSL\a",
            r"\\host\a\..\b",
            "http://u:p@h/",
            "http://h/%zz",
            "http://h/%+1",
            "http://h:x/",
            "http://[::1/",
        ] {
            assert!(
                matches!(DavLocation::parse(bad), Err(Invalid(_))),
                "{bad} should be invalid"
            );
        }
        assert!(DavLocation::parse(&format!("http://h/{}", "a".repeat(MAX_NAME))).is_err());
    }

    #[test]
    fn join_and_parent_stay_inside_the_namespace() {
        let l = DavLocation::parse("http://h/a").unwrap();
        assert_eq!(l.join("b c").unwrap().url_path(false), "/a/b%20c");
        assert_eq!(l.join("d").unwrap().url_path(true), "/a/d/");
        assert!(l.join("..").is_err());
        assert!(l.join("x/y").is_err());
        assert!(l.join("x\0y").is_err());
        // A member's name may hold a backslash (not a separator on a WebDAV server).
        assert_eq!(l.join("x\\y").unwrap().url_path(false), "/a/x%5Cy");
        assert!(DavLocation::parse("http://h/x%5Cy").is_err());
        assert_eq!(l.parent().url_path(false), "/");
        assert_eq!(l.parent().parent().url_path(false), "/");
    }
}
