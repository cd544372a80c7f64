//! `smb://[domain;][user@]host[:port]/share[/path]`: the URL form of a remote name, as GNOME
//! Files, KDE Dolphin, gio and smbclient write it.
//!
//! A URL is translated to the UNC it names (`\\host[@port]\share[\path]`), which is then checked
//! by the UNC rules, so both forms give the same errors. Components are percent-decoded; a
//! decoded `/` or `\` would change the name's shape and is refused. The user part becomes
//! `domain\user`, for the caller to use when no user name was given. A password in the URL is
//! refused (it would sit in the process list and the shell's history). An IPv6 host in brackets
//! becomes the Windows literal form (`[2001:db8::1]` → `2001-db8--1.ipv6-literal.net`).

/// The URL scheme, compared case-insensitively.
const SCHEME: &str = "smb://";

/// A URL turned into a UNC string and the user it names.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Translated {
    /// `\\host[@port]\share[\path]`, not yet checked.
    pub(crate) unc: String,
    /// `domain\user` or `user`, when the URL names one.
    pub(crate) user: Option<String>,
}

/// `true` if `s` starts with `smb://` (any case).
pub fn is_smb_url(s: &str) -> bool {
    s.get(..SCHEME.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(SCHEME))
}

/// Translates an `smb://` URL; `Err` carries why it is not a remote name.
pub(crate) fn translate(url: &str) -> Result<Translated, String> {
    let rest = url.get(SCHEME.len()..).unwrap_or("");
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    let user = userinfo.map(user_name).transpose()?;
    let (host, port) = host_and_port(hostport)?;
    let mut unc = format!("\\\\{host}");
    if let Some(port) = port {
        unc.push('@');
        unc.push_str(port);
    }
    let path = path.strip_suffix('/').unwrap_or(path);
    if path.is_empty() {
        return Err("it names no share".into());
    }
    for comp in path.split('/') {
        let comp = percent_decode(comp)?;
        if comp.contains(['/', '\\']) {
            return Err(format!("{comp:?} contains a separator"));
        }
        unc.push('\\');
        unc.push_str(&comp);
    }
    Ok(Translated { unc, user })
}

/// `[domain;]user` → `domain\user` (decoded).
fn user_name(userinfo: &str) -> Result<String, String> {
    if userinfo.contains(':') {
        return Err("a password does not belong in the URL: give it as the password".into());
    }
    let (domain, user) = match userinfo.split_once(';') {
        Some((d, u)) => (Some(percent_decode(d)?), percent_decode(u)?),
        None => (None, percent_decode(userinfo)?),
    };
    if user.is_empty() || domain.as_deref() == Some("") {
        return Err("the user part is empty".into());
    }
    Ok(match domain {
        Some(d) => format!("{d}\\{user}"),
        None => user,
    })
}

/// `host[:port]` or `[v6][:port]` → the UNC server form and the port as written.
fn host_and_port(hostport: &str) -> Result<(String, Option<&str>), String> {
    if let Some(v6) = hostport.strip_prefix('[') {
        let (addr, after) = v6
            .split_once(']')
            .ok_or_else(|| format!("{hostport:?} lacks the closing ]"))?;
        let port = match after {
            "" => None,
            p => Some(
                p.strip_prefix(':')
                    .ok_or_else(|| format!("{hostport:?} is not [address]:port"))?,
            ),
        };
        let ip: std::net::Ipv6Addr = addr
            .parse()
            .map_err(|_| format!("{addr:?} is not an IPv6 address"))?;
        let literal = ip.to_string().replace(':', "-");
        return Ok((format!("{literal}.ipv6-literal.net"), port));
    }
    match hostport.split_once(':') {
        Some((host, port)) => Ok((percent_decode(host)?, Some(port))),
        None => Ok((percent_decode(hostport)?, None)),
    }
}

/// Percent-decoding (RFC 3986 §2.1) of one URL component; the result must be UTF-8. Shared
/// by every URL form wnet takes (`smb://` here, `http(s)://` in wnet-dav).
///
/// Errors: a message naming `s` for an escape that is not `%` and two hex digits, or bytes
/// that are not UTF-8.
pub fn percent_decode(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s
                .get(i + 1..i + 3)
                .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("{s:?} has a bad %-escape"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| format!("{s:?} does not decode to UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(url: &str) -> (String, Option<String>) {
        let t = translate(url).unwrap();
        (t.unc, t.user)
    }

    #[test]
    fn forms() {
        assert_eq!(t("smb://srv/share"), (r"\\srv\share".into(), None));
        assert_eq!(t("SMB://srv/share/"), (r"\\srv\share".into(), None));
        assert_eq!(
            t("smb://alice@srv:4455/share/a/b"),
            (r"\\srv@4455\share\a\b".into(), Some("alice".into()))
        );
        assert_eq!(
            t("smb://CORP;alice@srv/share"),
            (r"\\srv\share".into(), Some(r"CORP\alice".into()))
        );
        assert_eq!(
            t("smb://a%40b.com@srv/my%20share/d%C3%BCr"),
            (r"\\srv\my share\dür".into(), Some("a@b.com".into()))
        );
        assert_eq!(
            t("smb://[2001:db8::1]:4455/s"),
            (r"\\2001-db8--1.ipv6-literal.net@4455\s".into(), None)
        );
        assert_eq!(
            t("smb://[::1]/s"),
            (r"\\--1.ipv6-literal.net\s".into(), None)
        );
    }

    #[test]
    fn refusals() {
        for bad in [
            "smb://srv",
            "smb://srv/",
            "smb://alice:pw@srv/s",
            "smb://;alice@srv/s",
            "smb://@srv/s",
            "smb://srv/a%2Fb",
            "smb://srv/a%5cb",
            "smb://srv/a%zz",
            "smb://srv/%ff",
            "smb://[::1/s",
            "smb://[::1]x/s",
            "smb://[nope]/s",
        ] {
            assert!(translate(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn scheme() {
        assert!(is_smb_url("smb://x/y") && is_smb_url("Smb://x"));
        assert!(!is_smb_url("smb:/x") && !is_smb_url("//x/y") && !is_smb_url("sm"));
    }
}
