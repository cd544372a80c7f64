//! Every method of [`DavClient`] against Apache, over HTTP and HTTPS, with each kind of
//! authentication, and the errors a user would hit.

use std::time::Duration;

use wnet_dav::{Credentials, DavClient, DavLocation, Error, Options, Protocol};
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
fn every_method_over_https_with_basic_speaks_http2_when_offered() {
    let apache = Apache::start(true, DavAuth::Basic);
    let (c, root) = client(&apache, cred(), Options::default());
    rt().block_on(round_trip(&c, &root, APACHE));
    assert_eq!(c.protocol(), Some(Protocol::Http2));
}

#[test]
fn every_method_over_https_with_digest_on_http11_when_http2_is_off() {
    let apache = Apache::start(true, DavAuth::Digest);
    let options = Options {
        http2: false,
        ..Options::default()
    };
    let (c, root) = client(&apache, cred(), options);
    rt().block_on(round_trip(&c, &root, APACHE));
    assert_eq!(c.protocol(), Some(Protocol::Http11));
}

/// HTTP/2 carries many requests at once on one connection, and bodies larger than its
/// flow-control windows both ways, byte for byte.
#[test]
fn http2_carries_concurrent_requests_and_bodies_beyond_its_windows() {
    let apache = Apache::start(true, DavAuth::Digest);
    let (c, root) = client(&apache, cred(), Options::default());
    let big: Vec<u8> = (0..40u32 << 20).map(|i| (i % 253) as u8).collect();
    rt().block_on(async {
        let file = root.join("big.bin").unwrap();
        c.put(&file, &big).await.unwrap();
        assert_eq!(c.protocol(), Some(Protocol::Http2));
        let whole = c.read(&file, 0, big.len()).await.unwrap();
        assert!(whole == big, "40 MiB read back differs");
        let small: Vec<_> = (0..32u32)
            .map(|i| {
                (
                    root.join(&format!("f{i}")).unwrap(),
                    vec![i as u8; 1000 + i as usize],
                )
            })
            .collect();
        let puts = small.iter().map(|(at, body)| c.put(at, body));
        for r in futures_join_all(puts).await {
            r.unwrap();
        }
        let reads = small.iter().map(|(at, _)| c.read(at, 0, 4096));
        for ((_, body), r) in small.iter().zip(futures_join_all(reads).await) {
            assert_eq!(&r.unwrap(), body);
        }
        assert_eq!(c.list(&root).await.unwrap().len(), 33);
    });
    assert_eq!(
        std::fs::read(apache.root().join("big.bin")).unwrap().len(),
        big.len()
    );
}

/// Runs the futures at once on the current task (the test runtime is single-threaded, so
/// concurrency here is the connection's, not threads').
async fn futures_join_all<F: std::future::Future>(futs: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut set = Vec::new();
    for f in futs {
        set.push(Box::pin(f));
    }
    let mut out: Vec<Option<F::Output>> = (0..set.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in set.iter_mut().enumerate() {
            if out[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => out[i] = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    out.into_iter()
        .map(|o| o.expect("every future finished"))
        .collect()
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

/// A client's first request is a large PUT to a server that asks for Digest: the 401 comes
/// before the body is taken, and the PUT still lands (HTTP/2 and HTTP/1.1).
#[test]
fn a_first_request_that_is_a_large_put_survives_the_digest_challenge() {
    for http2 in [true, false] {
        let apache = Apache::start(true, DavAuth::Digest);
        let options = Options {
            http2,
            ..Options::default()
        };
        let (c, root) = client(&apache, cred(), options);
        let body: Vec<u8> = (0..24u32 << 20).map(|i| (i % 249) as u8).collect();
        rt().block_on(async {
            c.put(&root.join("first.bin").unwrap(), &body)
                .await
                .unwrap();
        });
        assert_eq!(
            std::fs::read(apache.root().join("first.bin"))
                .unwrap()
                .len(),
            body.len(),
            "http2 {http2}"
        );
    }
}
