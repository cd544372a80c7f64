//! Connections to one server: TCP or TLS (rustls, the system's trust store), kept alive in a
//! small idle pool.

use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

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

/// Opens connections to one server and keeps up to `max_idle` of them for reuse.
pub struct Pool {
    location: DavLocation,
    tls: Option<TlsConnector>,
    connect_timeout: Duration,
    max_idle: usize,
    idle: Mutex<Vec<Conn>>,
}

impl Pool {
    /// A pool for `location`'s server. `extra_roots`: a PEM file of CA certificates trusted in
    /// addition to the system's.
    ///
    /// Errors: [`Error::Tls`] when no trust anchor can be loaded for an `https` location.
    pub fn new(
        location: &DavLocation,
        extra_roots: Option<&PathBuf>,
        connect_timeout: Duration,
        max_idle: usize,
    ) -> Result<Self> {
        let tls = match location.scheme() {
            Scheme::Http => None,
            Scheme::Https => Some(tls_connector(extra_roots)?),
        };
        Ok(Pool {
            location: location.clone(),
            tls,
            connect_timeout,
            max_idle,
            idle: Mutex::new(Vec::new()),
        })
    }

    /// An idle connection (`true`: reused) or a new one.
    ///
    /// Errors: [`Error::Io`]/[`Error::Timeout`] connecting, [`Error::Tls`] in the handshake.
    pub async fn get(&self) -> Result<(Conn, bool)> {
        if let Some(c) = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop() {
            return Ok((c, true));
        }
        Ok((self.connect().await?, false))
    }

    /// Gives a connection back for reuse (dropped when the pool is full).
    pub fn put(&self, conn: Conn) {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < self.max_idle {
            idle.push(conn);
        }
    }

    /// Drops every idle connection (after the server was seen to restart, say).
    pub fn clear(&self) {
        self.idle.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    async fn connect(&self) -> Result<Conn> {
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
        Ok(BufReader::with_capacity(64 * 1024, stream))
    }
}

fn tls_connector(extra_roots: Option<&PathBuf>) -> Result<TlsConnector> {
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
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(TlsConnector::from(Arc::new(config)))
}
