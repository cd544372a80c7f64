//! `UncPath`: a remote name `\\server[@port]\share[\path...]`.
//!
//! Rules (WNET-SPEC.md §1, DESIGN.md §4):
//! - `/` is accepted for `\`; a single trailing separator is dropped.
//! - `smb://[domain;][user@]host[:port]/share[/path]` names the same thing (see
//!   [`crate::smb_url`]); the name is kept in UNC form, as Windows shows it.
//! - The server is a host name, an IPv4 address, or an IPv6 address in the Windows literal form
//!   `2001-db8--1.ipv6-literal.net` (`s` stands for a zone's `%`). A non-default SMB port is
//!   written `server@PORT`.
//! - Server and share compare case-insensitively; path components are kept as written and
//!   compared exactly.
//! - Malformed names (no `\\`, no share, empty components, `.` or `..`, characters SMB cannot
//!   hold) give `ERROR_BAD_NET_NAME` (67); a NUL or a name longer than `MAX_PATH` (260)
//!   characters gives `ERROR_INVALID_PARAMETER` (87).

use std::fmt;
use std::hash::{Hash, Hasher};
use std::net::{IpAddr, Ipv6Addr};
use std::str::FromStr;

use crate::{Error, ErrorKind};

/// The longest remote name the WNet functions accept, in characters.
pub const MAX_PATH: usize = 260;

/// The suffix of the Windows IPv6 literal host form.
const IPV6_LITERAL_SUFFIX: &str = ".ipv6-literal.net";

/// Characters that cannot appear in a share name or path component.
const INVALID_NAME_CHARS: &[char] = &['\\', '/', ':', '*', '?', '"', '<', '>', '|'];

/// A parsed remote name.
#[derive(Clone)]
pub struct UncPath {
    server: String,
    port: Option<u16>,
    share: String,
    path: Vec<String>,
}

/// The server part of a UNC name, resolved for connecting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerAddr {
    /// A host name to resolve.
    Host(String),
    /// An IP address (an IPv6 literal decoded from its `ipv6-literal.net` form).
    Ip(IpAddr),
}

impl UncPath {
    /// Parses a remote name (a UNC or an `smb://` URL). See the module doc for the rules and
    /// error codes.
    pub fn parse(s: &str) -> Result<Self, Error> {
        UncPath::parse_with_user(s).map(|(unc, _)| unc)
    }

    /// Parses a remote name as [`UncPath::parse`] does, and gives the user an `smb://` URL
    /// names (`domain\user` or `user`): the user to connect as when none is given otherwise.
    pub fn parse_with_user(s: &str) -> Result<(Self, Option<String>), Error> {
        if !crate::smb_url::is_smb_url(s) || s.contains('\0') {
            return UncPath::parse_unc(s).map(|unc| (unc, None));
        }
        let url = crate::smb_url::translate(s).map_err(|why| {
            Error::new(
                ErrorKind::BadNetName,
                format!("{s:?} is not a valid remote name: {why}"),
            )
        })?;
        Ok((UncPath::parse_unc(&url.unc)?, url.user))
    }

    fn parse_unc(s: &str) -> Result<Self, Error> {
        let bad = |why: &str| {
            Error::new(
                ErrorKind::BadNetName,
                format!("{s:?} is not a valid remote name: {why}"),
            )
        };
        if s.contains('\0') {
            return Err(Error::new(
                ErrorKind::InvalidParameter,
                "remote name contains a NUL character",
            ));
        }
        if s.chars().count() > MAX_PATH {
            return Err(Error::new(
                ErrorKind::InvalidParameter,
                format!("remote name is longer than {MAX_PATH} characters"),
            ));
        }
        let normal: String = s.chars().map(|c| if c == '/' { '\\' } else { c }).collect();
        let Some(rest) = normal.strip_prefix("\\\\") else {
            return Err(bad("it must start with \\\\"));
        };
        let rest = rest.strip_suffix('\\').unwrap_or(rest);
        let mut parts = rest.split('\\');
        let host = parts.next().unwrap_or("");
        let (server, port) = parse_server(host).map_err(|why| bad(&why))?;
        let share = parts.next().ok_or_else(|| bad("it names no share"))?;
        check_component(share).map_err(|why| bad(&format!("share {why}")))?;
        let mut path = Vec::new();
        for comp in parts {
            check_component(comp).map_err(|why| bad(&format!("path component {why}")))?;
            path.push(comp.to_owned());
        }
        Ok(UncPath {
            server,
            port,
            share: share.to_owned(),
            path,
        })
    }

    /// The server as written (host name, IPv4 address or IPv6 literal form).
    pub fn server(&self) -> &str {
        &self.server
    }

    /// The SMB port if one was given with `@PORT`.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// The share name as written.
    pub fn share(&self) -> &str {
        &self.share
    }

    /// The path components below the share, as written.
    pub fn components(&self) -> &[String] {
        &self.path
    }

    /// `true` if the name is just `\\server\share`.
    pub fn is_share_root(&self) -> bool {
        self.path.is_empty()
    }

    /// `\\server[@port]\share`, without the path.
    pub fn share_root(&self) -> UncPath {
        UncPath {
            path: Vec::new(),
            ..self.clone()
        }
    }

    /// This name with a port set (the CLI's `/TCPPORT:` does this).
    pub fn with_port(mut self, port: Option<u16>) -> UncPath {
        self.port = port;
        self
    }

    /// This name with more path components, each checked as in [`UncPath::parse`].
    pub fn join(&self, rest: &str) -> Result<UncPath, Error> {
        let mut s = self.to_string();
        for comp in rest.split(['\\', '/']).filter(|c| !c.is_empty()) {
            s.push('\\');
            s.push_str(comp);
        }
        UncPath::parse(&s)
    }

    /// The path below the share as `\dir\file` (empty for the share root).
    pub fn remaining_path(&self) -> String {
        self.path.iter().map(|c| format!("\\{c}")).collect()
    }

    /// The server for connecting: an IP address (IPv6 literal decoded) or a host name.
    pub fn server_addr(&self) -> ServerAddr {
        if let Ok(ip) = self.server.parse::<IpAddr>() {
            return ServerAddr::Ip(ip);
        }
        match decode_ipv6_literal(&self.server) {
            Some(ip) => ServerAddr::Ip(IpAddr::V6(ip)),
            None => ServerAddr::Host(self.server.clone()),
        }
    }

    /// Where a deviceless connection to this name is mounted, relative to the drive root:
    /// `UNC/<server>[@<port>]/<share>`, then the path below the share if any (a DFS link:
    /// `UNC/ns/dfs/team`), lower-case, since names compare case-insensitively (every
    /// spelling of one name names one directory). The provider mounts there and the daemon
    /// reports it: this is the one place the path is built.
    pub fn deviceless_dir(&self) -> std::path::PathBuf {
        let (server, port, share) = self.key();
        let server = match port {
            Some(p) => format!("{server}@{p}"),
            None => server,
        };
        let mut dir: std::path::PathBuf = ["UNC", &server, &share].iter().collect();
        dir.extend(self.path.iter().map(|c| c.to_lowercase()));
        dir
    }

    /// `(server, port, share)` folded for case-insensitive comparison.
    fn key(&self) -> (String, Option<u16>, String) {
        (
            self.server.to_lowercase(),
            self.port,
            self.share.to_lowercase(),
        )
    }

    /// `true` if both names are on the same share (server, port and share, ignoring case).
    pub fn same_share(&self, other: &UncPath) -> bool {
        self.key() == other.key()
    }
}

fn parse_server(host: &str) -> Result<(String, Option<u16>), String> {
    let (name, port) = match host.split_once('@') {
        None => (host, None),
        Some((name, port)) => {
            let valid =
                !port.is_empty() && port.len() <= 5 && port.bytes().all(|b| b.is_ascii_digit());
            let n: u32 = if valid { port.parse().unwrap_or(0) } else { 0 };
            if !(1..=65535).contains(&n) {
                return Err(format!("{port:?} is not a port number (1-65535)"));
            }
            (name, Some(n as u16))
        }
    };
    if name.is_empty() {
        return Err("it names no server".into());
    }
    if name.parse::<std::net::Ipv4Addr>().is_ok() || decode_ipv6_literal(name).is_some() {
        return Ok((name.to_owned(), port));
    }
    if name.to_ascii_lowercase().ends_with(IPV6_LITERAL_SUFFIX) {
        return Err(format!("{name:?} is not a valid IPv6 literal name"));
    }
    if name.len() > 253 {
        return Err("the server name is too long".into());
    }
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && l.chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
    };
    if !name.split('.').all(label_ok) {
        return Err(format!(
            "{name:?} is not a host name, an IPv4 address or an ipv6-literal.net name"
        ));
    }
    Ok((name.to_owned(), port))
}

/// Decodes `2001-db8--1.ipv6-literal.net` (zone `s` → `%`, zone dropped) to an address.
fn decode_ipv6_literal(name: &str) -> Option<Ipv6Addr> {
    let cut = name.len().checked_sub(IPV6_LITERAL_SUFFIX.len())?;
    if !name.is_char_boundary(cut) || !name[cut..].eq_ignore_ascii_case(IPV6_LITERAL_SUFFIX) {
        return None;
    }
    let literal = &name[..cut];
    let addr = literal.split(['s', 'S']).next()?;
    if !addr.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-') {
        return None;
    }
    addr.replace('-', ":").parse().ok()
}

fn check_component(c: &str) -> Result<(), String> {
    if c.is_empty() {
        return Err("is empty".into());
    }
    if c == "." || c == ".." {
        return Err(format!("{c:?} is not allowed"));
    }
    if let Some(bad) = c
        .chars()
        .find(|ch| INVALID_NAME_CHARS.contains(ch) || ch.is_control())
    {
        return Err(format!("{c:?} contains {bad:?}"));
    }
    Ok(())
}

impl fmt::Display for UncPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\\\\{}", self.server)?;
        if let Some(port) = self.port {
            write!(f, "@{port}")?;
        }
        write!(f, "\\{}", self.share)?;
        for c in &self.path {
            write!(f, "\\{c}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for UncPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UncPath({self})")
    }
}

impl PartialEq for UncPath {
    fn eq(&self, other: &Self) -> bool {
        self.same_share(other) && self.path == other.path
    }
}

impl Eq for UncPath {}

impl Hash for UncPath {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.key().hash(state);
        self.path.hash(state);
    }
}

impl FromStr for UncPath {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        UncPath::parse(s)
    }
}

impl serde::Serialize for UncPath {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for UncPath {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        UncPath::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> u32 {
        UncPath::parse(s).unwrap_err().win_error().0
    }

    #[test]
    fn plain_share() {
        let u = UncPath::parse(r"\\server\share").unwrap();
        assert_eq!((u.server(), u.share(), u.port()), ("server", "share", None));
        assert!(u.is_share_root());
        assert_eq!(u.to_string(), r"\\server\share");
    }

    #[test]
    fn forward_slashes_and_trailing_separator() {
        let u = UncPath::parse("//Server/Share/dir/").unwrap();
        assert_eq!(u.to_string(), r"\\Server\Share\dir");
        assert_eq!(UncPath::parse(r"\\s\x\").unwrap().to_string(), r"\\s\x");
        assert_eq!(UncPath::parse(r"\/s/x").unwrap().to_string(), r"\\s\x");
    }

    #[test]
    fn case_insensitive_server_and_share_exact_path() {
        let a = UncPath::parse(r"\\SERVER\Share\Dir").unwrap();
        let b = UncPath::parse(r"\\server\share\Dir").unwrap();
        let c = UncPath::parse(r"\\server\share\dir").unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert!(a.same_share(&c));
        assert_eq!(a.to_string(), r"\\SERVER\Share\Dir", "case is kept");
        use std::collections::HashSet;
        let set: HashSet<_> = [a.clone(), b].into_iter().collect();
        assert_eq!(set.len(), 1);
    }

    #[test]
    fn ports() {
        let u = UncPath::parse(r"\\127.0.0.1@4455\rw").unwrap();
        assert_eq!(u.port(), Some(4455));
        assert_eq!(u.to_string(), r"\\127.0.0.1@4455\rw");
        assert_ne!(u, UncPath::parse(r"\\127.0.0.1\rw").unwrap());
        for bad in [
            r"\\h@\s",
            r"\\h@0\s",
            r"\\h@65536\s",
            r"\\h@12a\s",
            r"\\h@SSL\s",
            r"\\@445\s",
            r"\\h@-1\s",
        ] {
            assert_eq!(code(bad), 67, "{bad}");
        }
        assert_eq!(UncPath::parse(r"\\h@65535\s").unwrap().port(), Some(65535));
    }

    #[test]
    fn servers() {
        let v4 = UncPath::parse(r"\\10.1.2.3\s").unwrap();
        assert_eq!(
            v4.server_addr(),
            ServerAddr::Ip("10.1.2.3".parse().unwrap())
        );
        let v6 = UncPath::parse(r"\\2001-db8--1.ipv6-literal.net\s").unwrap();
        assert_eq!(
            v6.server_addr(),
            ServerAddr::Ip("2001:db8::1".parse().unwrap())
        );
        let loop6 = UncPath::parse(r"\\--1.IPV6-LITERAL.NET@4455\s").unwrap();
        assert_eq!(loop6.server_addr(), ServerAddr::Ip("::1".parse().unwrap()));
        assert_eq!(loop6.port(), Some(4455));
        let zone = UncPath::parse(r"\\fe80--1s4.ipv6-literal.net\s").unwrap();
        assert_eq!(
            zone.server_addr(),
            ServerAddr::Ip("fe80::1".parse().unwrap())
        );
        let host = UncPath::parse(r"\\files.example.com\s").unwrap();
        assert_eq!(
            host.server_addr(),
            ServerAddr::Host("files.example.com".into())
        );
        for bad in [
            r"\\[::1]\s",
            r"\\::1\s",
            r"\\a..b\s",
            r"\\.\s",
            r"\\a b\s",
            r"\\zz-zz.ipv6-literal.net\s",
        ] {
            assert_eq!(code(bad), 67, "{bad}");
        }
    }

    #[test]
    fn malformed_names_are_67() {
        for bad in [
            "",
            "server",
            r"\server\share",
            r"\\",
            r"\\server",
            r"\\server\",
            r"\\\share",
            r"\\server\\x",
            r"\\s\share\\dir",
            r"\\s\share\..",
            r"\\s\share\.",
            r"\\s\..",
            r"\\s\sh*re",
            r"\\s\x\a:b",
            r"\\s\x\a?b",
            r"\\s\x\a|b",
            "Z:",
            r"\\s\x\a\\",
            "\\\\s\\x\\a\tb",
        ] {
            assert_eq!(code(bad), 67, "{bad:?}");
        }
    }

    #[test]
    fn nul_and_overlong_are_87() {
        assert_eq!(code("\\\\s\\x\0y"), 87);
        let long = format!(r"\\s\x\{}", "a".repeat(MAX_PATH));
        assert_eq!(code(&long), 87);
        let exact = format!(r"\\s\x\{}", "a".repeat(MAX_PATH - 6));
        assert_eq!(exact.chars().count(), MAX_PATH);
        assert!(UncPath::parse(&exact).is_ok());
    }

    #[test]
    fn unicode_names_round_trip() {
        let u = UncPath::parse(r"\\server\Daten\Grüße\日本").unwrap();
        assert_eq!(u.components(), ["Grüße", "日本"]);
        assert_eq!(u.to_string(), r"\\server\Daten\Grüße\日本");
        assert_eq!(u.remaining_path(), r"\Grüße\日本");
    }

    #[test]
    fn join_and_root() {
        let u = UncPath::parse(r"\\s@9\x").unwrap();
        let j = u.join("a/b").unwrap();
        assert_eq!(j.to_string(), r"\\s@9\x\a\b");
        assert_eq!(j.share_root(), u);
        assert_eq!(code_of(u.join("..")), 67);
    }

    #[test]
    fn smb_urls_name_the_same_share() {
        let (u, user) = UncPath::parse_with_user("smb://CORP;alice@Srv:4455/Team/a%20b/").unwrap();
        assert_eq!(u.to_string(), r"\\Srv@4455\Team\a b");
        assert_eq!(user.as_deref(), Some(r"CORP\alice"));
        assert_eq!(u, UncPath::parse(r"\\srv@4455\team\a b").unwrap());
        let (plain, none) = UncPath::parse_with_user("smb://srv/x").unwrap();
        assert_eq!((plain.to_string(), none), (r"\\srv\x".into(), None));
        assert_eq!(UncPath::parse_with_user(r"\\s\x").unwrap().1, None);
        for bad in [
            "smb://srv",
            "smb://a:pw@srv/x",
            "smb://srv/sh*re",
            "smb://s/x/..",
            "smb://h:0/x",
        ] {
            assert_eq!(code(bad), 67, "{bad}");
        }
        assert_eq!(code("smb://s/x%00y"), 87);
        assert_eq!(code(&format!("smb://s/x/{}", "a".repeat(MAX_PATH))), 87);
    }

    #[test]
    fn deviceless_dir_is_lower_case_with_the_port() {
        let u = UncPath::parse(r"\\Files.Example@4455\Team\Dir").unwrap();
        assert_eq!(
            u.deviceless_dir(),
            std::path::Path::new("UNC/files.example@4455/team/dir")
        );
        let plain = UncPath::parse(r"\\SRV\X").unwrap();
        assert_eq!(plain.deviceless_dir(), std::path::Path::new("UNC/srv/x"));
        let link = UncPath::parse(r"\\NS\Dfs\Team\Sub").unwrap();
        assert_eq!(
            link.deviceless_dir(),
            std::path::Path::new("UNC/ns/dfs/team/sub")
        );
    }

    fn code_of(r: Result<UncPath, Error>) -> u32 {
        r.unwrap_err().win_error().0
    }
}
