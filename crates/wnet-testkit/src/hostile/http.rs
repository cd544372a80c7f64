//! A hostile HTTP server: each request (its head) is answered as the test's hook says — raw
//! bytes (a redirect loop, a 5xx, a lying `Content-Length`), or silence (the connection is
//! held open and never answered). For the WebDAV client's and provider's fault paths.
//!
//! ```no_run
//! use wnet_testkit::hostile::http::{HostileHttp, HttpAnswer};
//!
//! let server = HostileHttp::start(|_head| {
//!     HttpAnswer::Raw(b"HTTP/1.1 302 Found\r\nLocation: /again\r\nContent-Length: 0\r\n\r\n".to_vec())
//! });
//! println!("every request to {} is redirected", server.url());
//! ```

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// The largest request head read (a client's heads are far smaller).
const MAX_HEAD: usize = 64 * 1024;

/// How to answer one request.
#[derive(Debug, Clone)]
pub enum HttpAnswer {
    /// These bytes, then the next request on the same connection.
    Raw(Vec<u8>),
    /// Nothing, ever: the connection stays open until the server is dropped.
    Silence,
}

/// A running hostile HTTP server on a loopback port; stops (closing every connection) when
/// dropped.
pub struct HostileHttp {
    port: u16,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
    streams: Arc<Mutex<Vec<TcpStream>>>,
}

impl std::fmt::Debug for HostileHttp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostileHttp")
            .field("port", &self.port)
            .finish()
    }
}

impl HostileHttp {
    /// Serves on a free loopback port; `answer` gets each request's head (request line and
    /// headers, as text).
    pub fn start(answer: impl Fn(&str) -> HttpAnswer + Send + Sync + 'static) -> HostileHttp {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let port = listener.local_addr().expect("local address").port();
        let stop = Arc::new(AtomicBool::new(false));
        let streams = Arc::new(Mutex::new(Vec::new()));
        let accept = super::accept_loop(listener, stop.clone(), streams.clone(), move |s| {
            serve(s, &answer)
        });
        HostileHttp {
            port,
            stop,
            accept: Some(accept),
            streams,
        }
    }

    /// The port it listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:PORT/`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }
}

impl Drop for HostileHttp {
    fn drop(&mut self) {
        super::stop_serving(&self.stop, &self.streams, self.port, self.accept.take());
    }
}

/// Answers requests on `s` until the peer or the server closes it.
fn serve(mut s: TcpStream, answer: &dyn Fn(&str) -> HttpAnswer) {
    let mut buf = Vec::new();
    loop {
        let Some(end) = find_head_end(&buf) else {
            let mut chunk = [0u8; 4096];
            match s.read(&mut chunk) {
                Ok(0) | Err(_) => return,
                Ok(n) if buf.len() + n <= MAX_HEAD => buf.extend_from_slice(&chunk[..n]),
                Ok(_) => return,
            }
            continue;
        };
        let head = String::from_utf8_lossy(&buf[..end]).into_owned();
        let body_len = content_length(&head);
        // The body is read (and dropped) so the next request starts where it should.
        while buf.len() < end + body_len {
            let mut chunk = [0u8; 4096];
            match s.read(&mut chunk) {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        buf.drain(..end + body_len);
        match answer(&head) {
            HttpAnswer::Raw(bytes) => {
                if s.write_all(&bytes).is_err() {
                    return;
                }
            }
            HttpAnswer::Silence => {
                // Held until the client gives up or the server is dropped (shutdown → 0).
                let mut sink = [0u8; 4096];
                while matches!(s.read(&mut sink), Ok(n) if n > 0) {}
                return;
            }
        }
    }
}

/// The end of the head (after `\r\n\r\n`), if it is all there.
fn find_head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4)
}

fn content_length(head: &str) -> usize {
    head.lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or(0)
}
