//! The same client against a second, independent server: `rclone serve webdav` (Go's
//! `x/net/webdav`), so the client is not tuned to Apache's quirks.

use wnet_dav::{Credentials, DavClient, DavLocation, Error, Options};
use wnet_testkit::{DAV_PASSWORD, DAV_USER, RcloneDav};

use crate::client::{Server, round_trip, rt};

/// rclone's VFS makes MKCOL over an existing directory a success.
const RCLONE: Server = Server {
    mkcol_over_existing_fails: false,
};

fn client(
    server: &RcloneDav,
    cred: Option<Credentials>,
    options: Options,
) -> (DavClient, DavLocation) {
    let root = DavLocation::parse(&server.unc()).unwrap();
    (DavClient::new(root.clone(), cred, options).unwrap(), root)
}

fn cred(password: &str) -> Option<Credentials> {
    Some(Credentials {
        user: DAV_USER.into(),
        password: password.into(),
    })
}

#[test]
fn every_method_against_rclone() {
    let server = RcloneDav::start(false);
    let (c, root) = client(&server, None, Options::default());
    rt().block_on(round_trip(&c, &root, RCLONE));
}

#[test]
fn rclone_with_basic_over_http_when_allowed() {
    let server = RcloneDav::start(true);
    let allowed = Options {
        allow_basic_over_http: true,
        ..Options::default()
    };
    let (c, root) = client(&server, cred(DAV_PASSWORD), allowed.clone());
    rt().block_on(round_trip(&c, &root, RCLONE));

    let rt = rt();
    let (refused, root) = client(&server, cred(DAV_PASSWORD), Options::default());
    let e = rt.block_on(refused.stat(&root)).unwrap_err();
    assert!(matches!(e, Error::BasicOverHttp), "{e}");
    let (wrong, root) = client(&server, cred("wrong"), allowed);
    let e = rt.block_on(wrong.stat(&root)).unwrap_err();
    assert!(matches!(e, Error::Unauthorized), "{e}");
}

/// A client's first request is a 24 MiB PUT to rclone with Basic: Go's server answers 401
/// and closes the connection before it reads the body, so the client asks for the challenge
/// first (a bodyless HEAD) and sends the body once, authenticated.
#[test]
fn a_first_request_that_is_a_large_put_survives_the_challenge() {
    let server = RcloneDav::start(true);
    let allowed = Options {
        allow_basic_over_http: true,
        ..Options::default()
    };
    let (c, root) = client(&server, cred(DAV_PASSWORD), allowed);
    let body: Vec<u8> = (0..24u32 << 20).map(|i| (i % 247) as u8).collect();
    rt().block_on(c.put(&root.join("first.bin").unwrap(), &body))
        .unwrap();
    assert_eq!(
        std::fs::read(server.root().join("first.bin")).unwrap(),
        body
    );
}
