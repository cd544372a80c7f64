//! Which names the WebDAV provider claims.

use wnet_core::{Error, ErrorKind, RemoteName, Result};
use wnet_dav::{DavLocation, NameError};

/// The WebDAV location `name` names, if it is this provider's:
///
/// * an `http://` or `https://` URL;
/// * a UNC with WebClient's marks: `@SSL` after the host, a port (`\\host@8080\path`: also
///   SMB's port form, so SMB is asked first and passes it on when the server there does not
///   speak SMB), or `DavWWWRoot` as the first component.
///
/// A plain `\\server\share` is not claimed: Windows' WebClient would then try port 80 of every
/// SMB server that refused a name (its well-known delay); here such a name stays SMB's.
///
/// # Errors
/// `ERROR_BAD_NET_NAME` (67, "not mine") for another provider's name or a malformed WebDAV name
/// (with the reason).
pub fn claim(name: &RemoteName) -> Result<DavLocation> {
    let not_mine = || {
        Error::new(
            ErrorKind::BadNetName,
            format!("{name} is not a WebDAV name"),
        )
    };
    let invalid = |e: NameError| match e {
        NameError::NotDav => not_mine(),
        NameError::Invalid(why) => Error::new(
            ErrorKind::BadNetName,
            format!("{name} is not a valid WebDAV name: {why}"),
        ),
    };
    match name.scheme() {
        Some("http" | "https") => return DavLocation::parse_url(name.as_str()).map_err(invalid),
        Some(_) => return Err(not_mine()),
        None => {}
    }
    let server = name
        .as_str()
        .trim_start_matches('\\')
        .split('\\')
        .next()
        .unwrap_or("");
    if !(name.has_webclient_marks() || server.contains('@')) {
        return Err(not_mine());
    }
    DavLocation::parse_unc(name.as_str()).map_err(invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> String {
        claim(&RemoteName::parse(s).unwrap()).unwrap().to_string()
    }

    fn code(s: &str) -> u32 {
        claim(&RemoteName::parse(s).unwrap())
            .unwrap_err()
            .win_error()
            .0
    }

    #[test]
    fn webclient_forms_and_urls_are_claimed() {
        assert_eq!(url(r"\\h@SSL@443\DavWWWRoot\p"), "https://h/p");
        assert_eq!(url(r"\\h@SSL\DavWWWRoot"), "https://h/");
        assert_eq!(url(r"\\h@8080\p\q"), "http://h:8080/p/q");
        assert_eq!(url(r"\\h\DavWWWRoot\p"), "http://h/p");
        assert_eq!(
            url("https://h/remote.php/dav/files/alice"),
            "https://h/remote.php/dav/files/alice"
        );
        assert_eq!(url("http://h:81/a%20b/"), "http://h:81/a%20b");
    }

    #[test]
    fn other_names_are_not_mine() {
        assert_eq!(code(r"\\h\share"), 67);
        assert_eq!(code("smb://h/share"), 67);
        assert_eq!(code("ftp://h/x"), 67);
        assert_eq!(code("http://alice@h/x"), 67, "credentials go through /USER");
        assert_eq!(code(r"\\h@SSL@x\p"), 67);
    }
}
