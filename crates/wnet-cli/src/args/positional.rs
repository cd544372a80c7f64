//! The positional arguments of `wnet use`: `dev | *`, `\\computer\share[\path]` and
//! `password | *`.
//!
//! A token is a device when it has a device's shape (`X:` any case, `LPTn:`) or is `*`; a
//! remote name when it starts with two separators (`\\`, `//`, or a mix) or with `smb://`. Validity is decided
//! after the shape: a device-shaped token that is no device is `ERROR_BAD_DEVICE` (1200), a
//! malformed remote name `ERROR_BAD_NET_NAME` (67) — net.exe reports those as errors, not as
//! usage.

use wnet_core::{Error, ErrorKind, LocalName, RemoteName, Secret};

/// The device of `wnet use`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Device {
    /// A drive or port (`Z:`, `LPT1:`).
    Letter(LocalName),
    /// `*`: the next free drive letter from `Z:` down (for `/DELETE`: every connection).
    Next,
    /// No device: a deviceless connection.
    None,
}

/// The password argument of a connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordArg {
    /// None given: the default credentials.
    None,
    /// Given on the command line.
    Given(Secret),
    /// `*`: ask for it, without echo.
    Prompt,
}

/// `true` for `*` and device-shaped tokens.
pub fn is_device(token: &str) -> bool {
    token == "*" || LocalName::looks_like_device(token)
}

/// `true` for tokens that start with two separators (`\\`, `//`, `\/`, `/\`), `smb://`,
/// `http://` or `https://`.
pub fn is_remote(token: &str) -> bool {
    let mut chars = token.chars();
    let lower = token.get(..8).unwrap_or(token).to_ascii_lowercase();
    wnet_core::smb_url::is_smb_url(token)
        || lower.starts_with("http://")
        || lower.starts_with("https://")
        || matches!(
            (chars.next(), chars.next()),
            (Some('\\' | '/'), Some('\\' | '/'))
        )
}

/// Parses a device token (see [`is_device`]).
pub fn device(token: &str) -> Result<Device, Error> {
    if token == "*" {
        return Ok(Device::Next);
    }
    LocalName::parse(token).map(Device::Letter)
}

/// A remote name and the user an `smb://user@host/share` URL names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remote {
    /// The remote name, with `/TCPPORT`'s port set on an SMB name.
    pub name: RemoteName,
    /// The URL's `[domain;]user` as `domain\user`: the user when `/USER:` is not given.
    pub user: Option<String>,
}

/// Parses a remote name (UNC, `smb://`, `http(s)://` URL); `port` (from `/TCPPORT`) is set on
/// an SMB name. A name that carries another port than `/TCPPORT`, or a `/TCPPORT` on a name
/// that is not an SMB UNC, gives `ERROR_INVALID_PARAMETER` (87). A UNC is checked by the SMB
/// rules here (67 for a mistyped name, before the daemon is asked) unless it is a URL or
/// carries WebClient marks (`@SSL`, `DavWWWRoot`): those the providers judge.
pub fn remote(token: &str, port: Option<u16>) -> Result<Remote, Error> {
    let (name, user) = RemoteName::parse_with_user(token)?;
    if name.scheme().is_some() || name.has_webclient_marks() {
        if port.is_some() {
            return Err(Error::new(
                ErrorKind::InvalidParameter,
                format!("/TCPPORT sets the port of an SMB name; {token} names its own"),
            ));
        }
        return Ok(Remote { name, user });
    }
    let unc = name.unc()?;
    let unc = match (unc.port(), port) {
        (Some(a), Some(b)) if a != b => {
            return Err(Error::new(
                wnet_core::ErrorKind::InvalidParameter,
                format!("{token} names port {a} but /TCPPORT says {b}"),
            ));
        }
        (_, Some(p)) => unc.with_port(Some(p)),
        _ => unc,
    };
    Ok(Remote {
        name: unc.into(),
        user,
    })
}

/// The password token: `*` prompts.
pub fn password(token: &str) -> PasswordArg {
    if token == "*" {
        PasswordArg::Prompt
    } else {
        PasswordArg::Given(Secret::new(token))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices() {
        assert_eq!(device("*").unwrap(), Device::Next);
        assert_eq!(
            device("z:").unwrap(),
            Device::Letter(LocalName::Drive(b'Z'))
        );
        assert_eq!(device("LPT1:").unwrap(), Device::Letter(LocalName::Lpt(1)));
        assert_eq!(device("1:").unwrap_err().win_error().0, 1200);
        assert!(is_device("*") && is_device("q:") && is_device("1:"));
        assert!(!is_device(r"\\s\x") && !is_device("pw") && !is_device("**"));
    }

    #[test]
    fn remotes() {
        for t in [r"\\s\x", "//s/x", r"\/s\x", r"/\s\x", r"\\s\x\dir"] {
            assert!(is_remote(t), "{t}");
            assert!(remote(t, None).is_ok(), "{t}");
        }
        assert!(!is_remote(r"\s\x") && !is_remote("/D") && !is_remote("x"));
        assert_eq!(remote(r"\\s", None).unwrap_err().win_error().0, 67);
        assert_eq!(
            remote(r"\\s\x", Some(4455)).unwrap().name.to_string(),
            r"\\s@4455\x"
        );
        assert_eq!(
            remote(r"\\s@4455\x", Some(4455))
                .unwrap()
                .name
                .unc()
                .unwrap()
                .port(),
            Some(4455)
        );
        assert_eq!(
            remote(r"\\s@4455\x", None)
                .unwrap()
                .name
                .unc()
                .unwrap()
                .port(),
            Some(4455)
        );
        assert_eq!(
            remote(r"\\s@445\x", Some(4455)).unwrap_err().win_error().0,
            87
        );
    }

    #[test]
    fn smb_urls() {
        assert!(is_remote("smb://s/x") && is_remote("SMB://s/x"));
        let r = remote("smb://DOM;me@s:4455/x/d", None).unwrap();
        assert_eq!(r.name.to_string(), r"\\s@4455\x\d");
        assert_eq!(r.user.as_deref(), Some(r"DOM\me"));
        assert_eq!(
            remote("smb://s/x", Some(9))
                .unwrap()
                .name
                .unc()
                .unwrap()
                .port(),
            Some(9)
        );
        assert_eq!(
            remote("smb://s:8/x", Some(9)).unwrap_err().win_error().0,
            87
        );
        assert_eq!(remote("smb://s", None).unwrap_err().win_error().0, 67);
    }

    #[test]
    fn webdav_names() {
        for t in [
            "https://h/remote.php/dav/files/alice",
            "HTTP://h:8080/dav/",
            r"\\h@SSL@443\DavWWWRoot\p",
            r"\\h\DavWWWRoot\p",
            r"\\h@8080\p",
        ] {
            assert!(is_remote(t), "{t}");
            assert!(remote(t, None).is_ok(), "{t}");
        }
        assert_eq!(
            remote("https://h/x", Some(4455)).unwrap_err().win_error().0,
            87,
            "/TCPPORT is an SMB switch"
        );
        assert_eq!(
            remote(r"\\h@SSL", None).unwrap().name.to_string(),
            r"\\h@SSL"
        );
    }

    #[test]
    fn passwords() {
        assert_eq!(password("*"), PasswordArg::Prompt);
        assert_eq!(password("pw"), PasswordArg::Given(Secret::new("pw")));
        assert_eq!(password(""), PasswordArg::Given(Secret::new("")));
    }
}
