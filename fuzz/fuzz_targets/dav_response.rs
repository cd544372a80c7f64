//! What a WebDAV server sends: an HTTP/1.1 response (head, chunked or sized body), a
//! multistatus body, and the names a user gives (`\\host@SSL@443\DavWWWRoot\x`, `https://…`).
#![no_main]
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use wnet_dav::{DavLocation, http, multistatus};

/// Polls a future that never waits (reading from a byte slice is always ready).
fn ready<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("reading from a slice waited"),
    }
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut reader = tokio::io::BufReader::new(data);
    if let Ok(r) = ready(http::read_response(&mut reader, false, 1 << 20)) {
        assert!(r.body.len() <= 1 << 20);
    }
    if let Ok(entries) = multistatus::parse(data, 1000) {
        assert!(entries.len() <= 1000);
    }
    let s = String::from_utf8_lossy(data);
    if let Ok(l) = DavLocation::parse(&s) {
        let again = DavLocation::parse(&l.to_string()).expect("a printed URL parses");
        assert_eq!(again, l);
    }
});
