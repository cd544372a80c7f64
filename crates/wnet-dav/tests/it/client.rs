//! Every method of [`DavClient`] against Apache, over HTTP and HTTPS, with each kind of
//! authentication, and the errors a user would hit.

use std::time::Duration;

use wnet_dav::{Credentials, DavClient, DavLocation, Error, Options};
use wnet_testkit::{Apache, DAV_PASSWORD, DAV_USER, DavAuth};

fn cred() -> Option<Credentials> {
    Some(Credentials {
        user: DAV_USER.into(),
        password: DAV_PASSWORD.into(),
    })
}

fn client(
    apache: &Apache,
    cred: Option<Credentials>,
    options: Options,
) -> (DavClient, DavLocation) {
    let root = DavLocation::parse(&apache.unc()).unwrap();
    let mut options = options;
    options.extra_roots = apache.ca_pem().map(Into::into);
    (DavClient::new(root.clone(), cred, options).unwrap(), root)
}

pub(crate) fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Where servers differ on the same request (both answers are within RFC 4918's latitude).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Server {
    /// MKCOL over an existing collection: 405 (Apache) or success (rclone's VFS).
    pub mkcol_over_existing_fails: bool,
}

/// Apache httpd with mod_dav_fs.
pub(crate) const APACHE: Server = Server {
    mkcol_over_existing_fails: true,
};

/// PUT, ranged GET, PROPFIND depth 0/1, MKCOL, MOVE with and without Overwrite, DELETE, LOCK.
pub(crate) async fn round_trip(c: &DavClient, root: &DavLocation, server: Server) {
    let dir = root.join("team dir").unwrap();
    c.mkcol(&dir).await.unwrap();
    let again = c.mkcol(&dir).await;
    if server.mkcol_over_existing_fails {
        let err = again.unwrap_err();
        assert_eq!(
            err.status(),
            Some(405),
            "MKCOL over an existing collection: {err}"
        );
    }
    let file = dir.join("report ü.txt").unwrap();
    let body: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let etag = c.put(&file, &body).await.unwrap();
    let st = c.stat(&file).await.unwrap();
    assert_eq!(st.size, Some(body.len() as u64));
    assert!(!st.is_collection);
    assert!(st.etag.is_some() && (etag.is_none() || etag == st.etag));
    assert_eq!(c.read(&file, 1000, 10).await.unwrap(), body[1000..1010]);
    assert_eq!(c.read(&file, 199_995, 100).await.unwrap(), body[199_995..]);
    assert!(c.read(&file, 300_000, 10).await.unwrap().is_empty());

    let listing = c.list(&dir).await.unwrap();
    assert_eq!(listing.len(), 1);
    assert_eq!(listing[0].name(), "report ü.txt");
    let top = c.list(root).await.unwrap();
    assert!(
        top.iter()
            .any(|e| e.name() == "team dir" && e.is_collection)
    );

    let other = dir.join("other.txt").unwrap();
    c.put(&other, b"x").await.unwrap();
    let err = c.rename(&other, &file, false, false).await.unwrap_err();
    assert_eq!(
        err.status(),
        Some(412),
        "MOVE without Overwrite onto a file: {err}"
    );
    c.rename(&other, &file, false, true).await.unwrap();
    assert_eq!(c.stat(&file).await.unwrap().size, Some(1));
    assert_eq!(c.stat(&other).await.unwrap_err().status(), Some(404));

    let caps = c.options(root).await.unwrap();
    assert!(caps.class1 && caps.class2, "{caps:?}");
    let token = c
        .lock(&file, "wnet test", Duration::from_secs(60))
        .await
        .unwrap();
    let err = c.put(&file, b"blocked").await.unwrap_err();
    assert_eq!(
        err.status(),
        Some(423),
        "PUT to a file locked by someone else: {err}"
    );
    c.unlock(&file, &token).await.unwrap();
    c.put(&file, b"free").await.unwrap();

    c.delete(&dir, true).await.unwrap();
    assert_eq!(c.stat(&dir).await.unwrap_err().status(), Some(404));
}

#[test]
fn every_method_over_http_without_auth() {
    let apache = Apache::start(false, DavAuth::None);
    let (c, root) = client(&apache, None, Options::default());
    rt().block_on(round_trip(&c, &root, APACHE));
}

#[test]
fn every_method_over_https_with_basic() {
    let apache = Apache::start(true, DavAuth::Basic);
    let (c, root) = client(&apache, cred(), Options::default());
    rt().block_on(round_trip(&c, &root, APACHE));
}

#[test]
fn every_method_over_http_with_digest() {
    let apache = Apache::start(false, DavAuth::Digest);
    let (c, root) = client(&apache, cred(), Options::default());
    rt().block_on(round_trip(&c, &root, APACHE));
}

#[test]
fn basic_over_plain_http_is_refused_unless_allowed() {
    let apache = Apache::start(false, DavAuth::Basic);
    let (c, root) = client(&apache, cred(), Options::default());
    let rt = rt();
    assert!(matches!(
        rt.block_on(c.list(&root)),
        Err(Error::BasicOverHttp)
    ));
    let allowed = Options {
        allow_basic_over_http: true,
        ..Options::default()
    };
    let (c, root) = client(&apache, cred(), allowed);
    rt.block_on(c.list(&root)).unwrap();
}

#[test]
fn wrong_password_and_no_credentials_are_unauthorized() {
    let apache = Apache::start(false, DavAuth::Digest);
    let rt = rt();
    let wrong = Some(Credentials {
        user: DAV_USER.into(),
        password: "not it".into(),
    });
    let (c, root) = client(&apache, wrong, Options::default());
    assert!(matches!(
        rt.block_on(c.list(&root)),
        Err(Error::Unauthorized)
    ));
    let (c, root) = client(&apache, None, Options::default());
    assert!(matches!(
        rt.block_on(c.list(&root)),
        Err(Error::Unauthorized)
    ));
}

#[test]
fn an_untrusted_certificate_is_refused() {
    let apache = Apache::start(true, DavAuth::None);
    let root = DavLocation::parse(&apache.unc()).unwrap();
    // The system's trust store alone: the throwaway CA is not in it.
    let c = DavClient::new(root.clone(), None, Options::default()).unwrap();
    let err = rt().block_on(c.list(&root)).unwrap_err();
    assert!(matches!(err, Error::Tls(_)), "{err}");
}

#[test]
fn a_stopped_server_is_an_error_in_bounded_time() {
    let mut apache = Apache::start(false, DavAuth::None);
    let (c, root) = client(&apache, None, Options::default());
    let rt = rt();
    rt.block_on(c.list(&root)).unwrap();
    apache.stop();
    let started = std::time::Instant::now();
    let err = rt.block_on(c.list(&root)).unwrap_err();
    assert!(err.is_unreachable(), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn seeded_files_list_with_their_sizes() {
    let apache = Apache::start(false, DavAuth::None);
    for i in 0..300 {
        apache.seed(&format!("many/f{i:03}"), &vec![b'x'; i]);
    }
    let (c, root) = client(&apache, None, Options::default());
    let many = root.join("many").unwrap();
    let listing = rt().block_on(c.list(&many)).unwrap();
    assert_eq!(listing.len(), 300);
    let f42 = listing.iter().find(|e| e.name() == "f042").unwrap();
    assert_eq!(f42.size, Some(42));
    // A kept-alive connection serves the next request: the listing was one PROPFIND.
}
