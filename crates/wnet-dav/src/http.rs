//! HTTP/1.1 on one connection: write a request, read a bounded response.
//!
//! Every size a server controls is bounded before it is allocated: the status line and headers
//! ([`MAX_HEAD`], [`MAX_HEADERS`]), the body (the caller's limit), chunk sizes. A response that
//! breaks a bound or the grammar is a [`Error::Protocol`](crate::Error) and the connection is
//! not reused.

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::error::{Error, Result};

/// The status line plus all header lines, in bytes.
pub const MAX_HEAD: usize = 64 * 1024;
/// Header lines in one response.
pub const MAX_HEADERS: usize = 128;
/// The body bound of a response that is not a success (a 401 challenge's page, a redirect,
/// a 4xx/5xx error page): read and kept whatever the caller's limit, which is for the body a
/// success carries (0 for `OPTIONS`).
pub const MAX_ERROR_BODY: usize = 64 * 1024;

/// What a request carries: bytes in memory, or the first `len` bytes of a local file (a
/// staged upload larger than memory should hold), read as they are sent.
#[derive(Debug, Clone, Copy)]
pub enum Body<'a> {
    /// In memory (empty for none).
    Bytes(&'a [u8]),
    /// `len` bytes of `file` from offset 0.
    File {
        /// The file (read with positioned reads: the request can be sent again).
        file: &'a std::fs::File,
        /// How many bytes.
        len: u64,
    },
}

impl Body<'_> {
    /// The body's length in bytes.
    pub fn len(&self) -> u64 {
        match self {
            Body::Bytes(b) => b.len() as u64,
            Body::File { len, .. } => *len,
        }
    }

    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Bytes of a file body read and written at a time.
const FILE_CHUNK: usize = 256 * 1024;

/// A request to send: method, encoded path (`/a/b%20c`), headers, body.
#[derive(Debug)]
pub struct Request<'a> {
    /// `GET`, `PROPFIND`, …
    pub method: &'a str,
    /// The encoded request target.
    pub path: String,
    /// Extra headers (Host, Content-Length and Connection are written by [`write_request`]).
    pub headers: Vec<(&'static str, String)>,
    /// The body.
    pub body: Body<'a>,
}

/// A response read whole, its body within the caller's limit.
#[derive(Debug, Clone)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// Headers as received (names compared case-insensitively by [`Response::header`]).
    pub headers: Vec<(String, String)>,
    /// The body, de-chunked.
    pub body: Vec<u8>,
    /// Whether the connection may carry another request.
    pub keep_alive: bool,
}

impl Response {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every header named `name`, in order.
    pub fn headers_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What every request says the client is (`User-Agent`): a server's log tells this client's
/// requests from other clients' (the benchmark counts them so).
pub const USER_AGENT: &str = concat!("wnet/", env!("CARGO_PKG_VERSION"));

/// Writes `req` for `host` (the `Host` header value).
///
/// Errors: [`Error::Io`] from the stream.
pub async fn write_request<W: AsyncWrite + Unpin>(
    w: &mut W,
    host: &str,
    req: &Request<'_>,
) -> Result<()> {
    let mut head = format!(
        "{} {} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {USER_AGENT}\r\n",
        req.method, req.path
    );
    for (name, value) in &req.headers {
        if value.contains(['\r', '\n']) {
            return Err(Error::Protocol(format!(
                "header {name} would carry a line break"
            )));
        }
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", req.body.len()));
    match req.body {
        Body::Bytes(b) if b.len() <= 64 * 1024 => {
            let mut all = head.into_bytes();
            all.extend_from_slice(b);
            w.write_all(&all).await?;
        }
        Body::Bytes(b) => {
            w.write_all(head.as_bytes()).await?;
            w.write_all(b).await?;
        }
        Body::File { file, len } => {
            use std::os::unix::fs::FileExt;
            w.write_all(head.as_bytes()).await?;
            let mut buf = vec![0; FILE_CHUNK.min(usize::try_from(len).unwrap_or(FILE_CHUNK))];
            let mut at = 0;
            while at < len {
                let n = buf
                    .len()
                    .min(usize::try_from(len - at).unwrap_or(usize::MAX));
                // A local (page-cache) read between network writes.
                file.read_exact_at(&mut buf[..n], at)?;
                w.write_all(&buf[..n]).await?;
                at += n as u64;
            }
        }
    }
    w.flush().await?;
    Ok(())
}

/// Reads one final response (1xx interim responses are skipped). `head_only`: the request
/// was HEAD (no body follows whatever the headers say). `limit`: the most body bytes accepted.
///
/// Errors: [`Error::Protocol`] for a malformed or oversized response; [`Error::Io`]; an
/// [`Error::Closed`] when the connection ended before the first byte of a response (a kept-alive
/// connection the server had closed: the request may be sent again on a new one).
pub async fn read_response<R: AsyncBufRead + Unpin>(
    r: &mut R,
    head_only: bool,
    limit: usize,
) -> Result<Response> {
    loop {
        let (status, version_11, headers) = read_head(r).await?;
        if (100..200).contains(&status) {
            continue;
        }
        let connection = header_of(&headers, "connection").map(str::to_ascii_lowercase);
        let mut keep_alive = if version_11 {
            connection.as_deref() != Some("close")
        } else {
            connection.as_deref() == Some("keep-alive")
        };
        let no_body = head_only || status == 204 || status == 304;
        let limit = if (200..300).contains(&status) {
            limit
        } else {
            limit.max(MAX_ERROR_BODY)
        };
        let body = if no_body {
            Vec::new()
        } else if header_of(&headers, "transfer-encoding")
            .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"))
        {
            read_chunked(r, limit).await?
        } else if let Some(len) = header_of(&headers, "content-length") {
            let len: usize = len
                .trim()
                .parse()
                .map_err(|_| Error::Protocol(format!("bad Content-Length {len:?}")))?;
            if len > limit {
                return Err(Error::TooLarge(len as u64, limit as u64));
            }
            let mut body = vec![0; len];
            r.read_exact(&mut body).await?;
            body
        } else {
            keep_alive = false;
            let mut body = Vec::new();
            r.take(limit as u64 + 1).read_to_end(&mut body).await?;
            if body.len() > limit {
                return Err(Error::TooLarge(body.len() as u64, limit as u64));
            }
            body
        };
        return Ok(Response {
            status,
            headers,
            body,
            keep_alive,
        });
    }
}

fn header_of<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Reads a line ending in LF within `budget` bytes (which it decrements); the line without its
/// CR LF. `Ok(None)` at EOF before any byte.
async fn read_line<R: AsyncBufRead + Unpin>(
    r: &mut R,
    budget: &mut usize,
) -> Result<Option<String>> {
    let mut line = Vec::new();
    loop {
        let buf = r.fill_buf().await?;
        if buf.is_empty() {
            return if line.is_empty() {
                Ok(None)
            } else {
                Err(Error::Protocol("the response ended inside a line".into()))
            };
        }
        let (take, done) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (buf.len(), false),
        };
        if take > *budget {
            return Err(Error::Protocol("response head too large".into()));
        }
        *budget -= take;
        line.extend_from_slice(&buf[..take]);
        r.consume(take);
        if done {
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            return String::from_utf8(line)
                .map(Some)
                .map_err(|_| Error::Protocol("a response header that is not UTF-8".into()));
        }
    }
}

type Head = (u16, bool, Vec<(String, String)>);

async fn read_head<R: AsyncBufRead + Unpin>(r: &mut R) -> Result<Head> {
    let mut budget = MAX_HEAD;
    let status_line = read_line(r, &mut budget).await?.ok_or(Error::Closed)?;
    let mut fields = status_line.splitn(3, ' ');
    let version = fields.next().unwrap_or_default();
    let version_11 = match version {
        "HTTP/1.1" => true,
        "HTTP/1.0" => false,
        _ => {
            return Err(Error::Protocol(format!(
                "not an HTTP/1.x status line: {:?}",
                truncate(&status_line)
            )));
        }
    };
    let status = fields
        .next()
        .filter(|s| s.len() == 3)
        .and_then(|s| s.parse::<u16>().ok())
        .filter(|s| (100..600).contains(s))
        .ok_or_else(|| Error::Protocol(format!("bad status line {:?}", truncate(&status_line))))?;
    let mut headers = Vec::new();
    loop {
        let line = read_line(r, &mut budget)
            .await?
            .ok_or_else(|| Error::Protocol("the response ended inside its headers".into()))?;
        if line.is_empty() {
            return Ok((status, version_11, headers));
        }
        if headers.len() == MAX_HEADERS {
            return Err(Error::Protocol("too many response headers".into()));
        }
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| Error::Protocol(format!("bad header line {:?}", truncate(&line))))?;
        headers.push((name.trim().to_owned(), value.trim().to_owned()));
    }
}

async fn read_chunked<R: AsyncBufRead + Unpin>(r: &mut R, limit: usize) -> Result<Vec<u8>> {
    let mut body = Vec::new();
    let mut budget = MAX_HEAD;
    loop {
        let line = read_line(r, &mut budget)
            .await?
            .ok_or_else(|| Error::Protocol("the response ended inside a chunked body".into()))?;
        let size = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size, 16)
            .map_err(|_| Error::Protocol(format!("bad chunk size {:?}", truncate(&line))))?;
        if size == 0 {
            // Trailers, up to the empty line.
            while !read_line(r, &mut budget)
                .await?
                .ok_or_else(|| Error::Protocol("the response ended inside trailers".into()))?
                .is_empty()
            {}
            return Ok(body);
        }
        if size > limit - body.len() {
            return Err(Error::TooLarge((body.len() + size) as u64, limit as u64));
        }
        let start = body.len();
        body.resize(start + size, 0);
        r.read_exact(&mut body[start..]).await?;
        let end = read_line(r, &mut budget).await?;
        if end.as_deref() != Some("") {
            return Err(Error::Protocol("a chunk not followed by CRLF".into()));
        }
    }
}

fn truncate(s: &str) -> &str {
    let mut end = s.len().min(80);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn parse(raw: &[u8], limit: usize) -> Result<Response> {
        let mut r = tokio::io::BufReader::new(raw);
        read_response(&mut r, false, limit).await
    }

    #[tokio::test]
    async fn an_error_page_is_read_whatever_the_success_limit() {
        let page = format!(
            "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"x\"\r\n\
             Content-Length: 421\r\n\r\n{}",
            "x".repeat(421)
        );
        let r = parse(page.as_bytes(), 0).await.unwrap();
        assert_eq!((r.status, r.body.len()), (401, 421));
        let huge = b"HTTP/1.1 500 Oops\r\nContent-Length: 99999999\r\n\r\n";
        assert!(matches!(parse(huge, 0).await, Err(Error::TooLarge(..))));
        let ok = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabcde";
        assert!(matches!(parse(ok, 0).await, Err(Error::TooLarge(5, 0))));
    }

    #[tokio::test]
    async fn content_length_chunked_and_close_delimited_bodies() {
        let r = parse(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc", 10)
            .await
            .unwrap();
        assert_eq!(
            (r.status, r.body.as_slice(), r.keep_alive),
            (200, &b"abc"[..], true)
        );
        let r = parse(
            b"HTTP/1.1 207 Multi\r\nTransfer-Encoding: chunked\r\n\r\n2;x=y\r\nab\r\n1\r\nc\r\n0\r\nT: v\r\n\r\n",
            10,
        )
        .await
        .unwrap();
        assert_eq!(r.body, b"abc");
        let r = parse(b"HTTP/1.0 200 OK\r\n\r\nxyz", 10).await.unwrap();
        assert_eq!((r.body.as_slice(), r.keep_alive), (&b"xyz"[..], false));
        let r = parse(
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No\r\nConnection: close\r\n\r\n",
            10,
        )
        .await
        .unwrap();
        assert_eq!((r.status, r.keep_alive), (204, false));
    }

    #[tokio::test]
    async fn hostile_responses_are_bounded_errors() {
        let too_big = parse(b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n", 10).await;
        assert!(matches!(too_big, Err(Error::TooLarge(11, 10))));
        let chunk = parse(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffff\r\n",
            10,
        );
        assert!(matches!(chunk.await, Err(Error::TooLarge(..))));
        let long_header = format!("HTTP/1.1 200 OK\r\nX: {}\r\n\r\n", "a".repeat(MAX_HEAD));
        assert!(matches!(
            parse(long_header.as_bytes(), 10).await,
            Err(Error::Protocol(_))
        ));
        let many: String = (0..=MAX_HEADERS).map(|i| format!("H{i}: v\r\n")).collect();
        let many = format!("HTTP/1.1 200 OK\r\n{many}\r\n");
        assert!(matches!(
            parse(many.as_bytes(), 10).await,
            Err(Error::Protocol(_))
        ));
        for bad in [
            &b"SSH-2.0-OpenSSH\r\n\r\n"[..],
            b"HTTP/1.1 2000 OK\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Le",
        ] {
            assert!(
                parse(bad, 10).await.is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        assert!(matches!(parse(b"", 10).await, Err(Error::Closed)));
    }

    #[tokio::test]
    async fn a_file_body_is_sent_from_the_file_in_chunks() {
        use std::os::unix::fs::FileExt;
        let file = tempfile::tempfile().unwrap();
        let data: Vec<u8> = (0..FILE_CHUNK * 2 + 17).map(|i| (i % 251) as u8).collect();
        file.write_all_at(&data, 0).unwrap();
        let mut out = Vec::new();
        let len = data.len() as u64 - 5;
        let req = Request {
            method: "PUT",
            path: "/f".into(),
            headers: vec![],
            body: Body::File { file: &file, len },
        };
        write_request(&mut out, "h", &req).await.unwrap();
        let head = format!(
            "PUT /f HTTP/1.1\r\nHost: h\r\nUser-Agent: {USER_AGENT}\r\nContent-Length: {len}\r\n\r\n"
        );
        assert_eq!(&out[..head.len()], head.as_bytes());
        assert!(out[head.len()..] == data[..len as usize]);
    }

    #[tokio::test]
    async fn requests_refuse_header_injection() {
        let mut out = Vec::new();
        let req = Request {
            method: "GET",
            path: "/".into(),
            headers: vec![("X", "a\r\nEvil: 1".into())],
            body: Body::Bytes(b""),
        };
        assert!(write_request(&mut out, "h", &req).await.is_err());
        let req = Request {
            method: "PUT",
            path: "/a".into(),
            headers: vec![],
            body: Body::Bytes(b"xy"),
        };
        write_request(&mut out, "h:81", &req).await.unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            format!(
                "PUT /a HTTP/1.1\r\nHost: h:81\r\nUser-Agent: {USER_AGENT}\r\nContent-Length: 2\r\n\r\nxy"
            )
        );
    }
}
