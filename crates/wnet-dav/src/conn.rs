//! Connections to one server: TCP or TLS (rustls, the system's trust store), kept alive in a
//! small idle pool; over TLS, HTTP/2 when the server chooses it by ALPN (then one connection
//! carries every request and the idle pool stays empty).

use std::path::PathBuf;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use h2::client::SendRequest;
use tokio::io::{AsyncRead, AsyncWrite, BufReader, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{self, RootCertStore};

use crate::error::{Error, Result};
use crate::location::{DavLocation, Scheme};

/// A socket, plain or TLS.
pub enum Stream {
    /// `http://`.
    Plain(TcpStream),
    /// `https://`.
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// One connection with its read buffer.
pub type Conn = BufReader<Stream>;

/// The HTTP version a server speaks with the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// HTTP/1.1: a request at a time per connection, connections pooled.
    Http11,
    /// HTTP/2 (TLS with ALPN `h2`): every request on one connection.
    Http2,
}

impl std::fmt::Display for Protocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Protocol::Http11 => "HTTP/1.1",
            Protocol::Http2 => "HTTP/2",
        })
    }
}

/// Where one request goes.
pub enum Lane {
    /// An HTTP/1.1 connection of the request's own (`true`: reused from the idle pool).
    Http11(Conn, bool),
    /// The server's HTTP/2 connection, shared.
    Http2(SendRequest<Bytes>),
}

/// Opens connections to one server and keeps up to `max_idle` of them for reuse, or its one
/// HTTP/2 connection.
pub struct Pool {
    location: DavLocation,
    tls: Option<TlsConnector>,
    connect_timeout: Duration,
    max_idle: usize,
    idle: Mutex<Vec<Conn>>,
    shared: Mutex<Option<SendRequest<Bytes>>>,
    /// The [`Protocol`] of the newest connection (0: none yet, 1: HTTP/1.1, 2: HTTP/2).
    protocol: AtomicU8,
}

impl Pool {
    /// A pool for `location`'s server. `extra_roots`: a PEM file of CA certificates trusted in
    /// addition to the system's.
    ///
    /// Errors: [`Error::Tls`] when no trust anchor can be loaded for an `https` location.
    /// `http2`: offer HTTP/2 to a TLS server (ALPN `h2`, then `http/1.1`).
    pub fn new(
        location: &DavLocation,
        extra_roots: Option<&PathBuf>,
        connect_timeout: Duration,
        max_idle: usize,
        http2: bool,
    ) -> Result<Self> {
        let tls = match location.scheme() {
            Scheme::Http => None,
            Scheme::Https => Some(tls_connector(extra_roots, http2)?),
        };
        Ok(Pool {
            location: location.clone(),
            tls,
            connect_timeout,
            max_idle,
            idle: Mutex::new(Vec::new()),
            shared: Mutex::new(None),
            protocol: AtomicU8::new(0),
        })
    }

    /// The server's HTTP/2 connection, an idle HTTP/1.1 connection (`true`: reused) or a new
    /// connection of whichever the server chose.
    ///
    /// Errors: [`Error::Io`]/[`Error::Timeout`] connecting, [`Error::Tls`] in the handshake,
    /// [`Error::Protocol`] when a server that chose HTTP/2 does not speak it.
    pub async fn get(&self) -> Result<Lane> {
        if let Some(send) = self
            .shared
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
        {
            return Ok(Lane::Http2(send));
        }
        if let Some(c) = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop() {
            return Ok(Lane::Http11(c, true));
        }
        let stream = self.connect().await?;
        let h2 = matches!(&stream, Stream::Tls(s) if s.get_ref().1.alpn_protocol() == Some(b"h2"));
        if !h2 {
            self.protocol.store(1, Ordering::Relaxed);
            return Ok(Lane::Http11(
                BufReader::with_capacity(64 * 1024, stream),
                false,
            ));
        }
        let send = tokio::time::timeout(self.connect_timeout, crate::h2::handshake(stream))
            .await
            .map_err(|_| Error::Timeout)??;
        self.protocol.store(2, Ordering::Relaxed);
        *self.shared.lock().unwrap_or_else(|e| e.into_inner()) = Some(send.clone());
        Ok(Lane::Http2(send))
    }

    /// The HTTP version of the newest connection; `None` before the first.
    pub fn protocol(&self) -> Option<Protocol> {
        match self.protocol.load(Ordering::Relaxed) {
            1 => Some(Protocol::Http11),
            2 => Some(Protocol::Http2),
            _ => None,
        }
    }

    /// Gives a connection back for reuse (dropped when the pool is full).
    pub fn put(&self, conn: Conn) {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < self.max_idle {
            idle.push(conn);
        }
    }

    /// Drops every idle connection and the HTTP/2 one (after the server was seen to restart,
    /// say): the next request connects anew.
    pub fn clear(&self) {
        self.idle.lock().unwrap_or_else(|e| e.into_inner()).clear();
        self.shared.lock().unwrap_or_else(|e| e.into_inner()).take();
    }

    async fn connect(&self) -> Result<Stream> {
        let addr = (self.location.host(), self.location.port());
        let tcp = tokio::time::timeout(self.connect_timeout, TcpStream::connect(addr))
            .await
            .map_err(|_| Error::Timeout)??;
        tcp.set_nodelay(true)?;
        let stream = match &self.tls {
            None => Stream::Plain(tcp),
            Some(tls) => {
                let name = ServerName::try_from(self.location.host().to_owned())
                    .map_err(|e| Error::Tls(format!("server name: {e}")))?;
                let s = tokio::time::timeout(self.connect_timeout, tls.connect(name, tcp))
                    .await
                    .map_err(|_| Error::Timeout)?
                    .map_err(|e| Error::Tls(e.to_string()))?;
                Stream::Tls(Box::new(s))
            }
        };
        Ok(stream)
    }
}

fn tls_connector(extra_roots: Option<&PathBuf>, http2: bool) -> Result<TlsConnector> {
    let mut roots = RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    for cert in native.certs {
        // A system certificate rustls cannot use is skipped, as browsers do.
        let _ = roots.add(cert);
    }
    if let Some(path) = extra_roots {
        let certs = CertificateDer::pem_file_iter(path)
            .map_err(|e| Error::Tls(format!("{}: {e}", path.display())))?;
        for cert in certs {
            let cert = cert.map_err(|e| Error::Tls(format!("{}: {e}", path.display())))?;
            roots
                .add(cert)
                .map_err(|e| Error::Tls(format!("{}: {e}", path.display())))?;
        }
    }
    if roots.is_empty() {
        return Err(Error::Tls("no trusted CA certificate found".into()));
    }
    // ring is deprecated in rustls for lacking post-quantum key exchange; it is kept because
    // it builds from crates.io with a plain C compiler (aws-lc-rs needs a much larger C build)
    // and the classical ECDHE groups it offers are what the servers we target negotiate.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    if http2 {
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    }
    Ok(TlsConnector::from(Arc::new(config)))
}
