//! HTTP/2 on a TLS connection whose server chose `h2` by ALPN: one connection carries every
//! request of the client at once (streams), so the pool keeps one [`SendRequest`] per server
//! instead of idle HTTP/1.1 connections.
//!
//! The bounds are those of [`crate::http`]: the response head within [`MAX_HEAD`] bytes
//! (HTTP/2's `SETTINGS_MAX_HEADER_LIST_SIZE`, enforced by the `h2` crate before it allocates),
//! the body within the caller's limit (a success) or [`MAX_ERROR_BODY`] (anything else),
//! checked against `Content-Length` before reading and against every DATA frame as it comes.
//! Flow-control windows are released as the body is read, so a large `GET` streams at the
//! window's pace rather than being buffered by the server.

use bytes::Bytes;
use h2::SendStream;
use h2::client::SendRequest;
use tokio::io::{AsyncRead, AsyncWrite};

use crate::error::{Error, Result};
use crate::http::{Body, MAX_ERROR_BODY, MAX_HEAD, Request, Response};

/// Bytes a stream may receive before the client releases them (per request).
const STREAM_WINDOW: u32 = 4 * 1024 * 1024;
/// Bytes the whole connection may receive before the client releases them.
const CONNECTION_WINDOW: u32 = 16 * 1024 * 1024;
/// The largest DATA frame the client accepts (the protocol's default is 16 KiB; larger frames
/// cost fewer headers and wake-ups on a bulk read).
const MAX_FRAME: u32 = 256 * 1024;
/// The most body bytes handed to the connection at a time while sending.
const SEND_CHUNK: usize = 1024 * 1024;

/// Starts HTTP/2 on `io` (the TLS stream, `h2` negotiated): the connection runs in its own
/// task until every [`SendRequest`] clone is dropped or the server goes away.
///
/// Errors: [`Error::Protocol`] when the server's preface is not HTTP/2; [`Error::Io`].
pub async fn handshake<T>(io: T) -> Result<SendRequest<Bytes>>
where
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (send, connection) = h2::client::Builder::new()
        .initial_window_size(STREAM_WINDOW)
        .initial_connection_window_size(CONNECTION_WINDOW)
        .max_frame_size(MAX_FRAME)
        .max_header_list_size(MAX_HEAD as u32)
        .enable_push(false)
        .handshake(io)
        .await
        .map_err(map_error)?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!(error = %e, "HTTP/2 connection ended");
        }
    });
    Ok(send)
}

/// Sends `req` on `send` to `origin` (`https://host:port`) and reads its response whole.
/// `head_only`: a HEAD (no body). `limit`: the most body bytes a success may carry.
///
/// Errors: [`Error::Closed`] when the connection is gone or the server refused the stream
/// before processing it (the request may be sent again on a new connection);
/// [`Error::TooLarge`], [`Error::Protocol`], [`Error::Io`].
pub async fn exchange(
    send: SendRequest<Bytes>,
    origin: &str,
    req: &Request<'_>,
    head_only: bool,
    limit: usize,
) -> Result<Response> {
    let method = http::Method::from_bytes(req.method.as_bytes())
        .map_err(|_| Error::Protocol(format!("method {:?}", req.method)))?;
    let mut builder = http::Request::builder()
        .method(method)
        .uri(format!("{origin}{}", req.path))
        .header("user-agent", crate::http::USER_AGENT);
    for (name, value) in &req.headers {
        builder = builder.header(*name, value.as_str());
    }
    if !req.body.is_empty() || matches!(req.method, "PUT" | "PROPFIND" | "PROPPATCH" | "LOCK") {
        builder = builder.header("content-length", req.body.len());
    }
    let request = builder
        .body(())
        .map_err(|e| Error::Protocol(format!("request {}: {e}", req.method)))?;
    let mut send = send.ready().await.map_err(map_error)?;
    let (response, mut stream) = send
        .send_request(request, req.body.is_empty())
        .map_err(map_error)?;
    let sent = if req.body.is_empty() {
        Ok(())
    } else {
        send_body(&mut stream, req.body).await
    };
    // A server may answer (401, 413, ...) and reset the stream before it took the whole
    // body: its answer is what the caller needs, the send's failure only if there is none.
    let response = match (response.await, sent) {
        (Ok(r), _) => r,
        (Err(_), Err(e)) => return Err(e),
        (Err(e), Ok(())) => return Err(map_error(e)),
    };
    read_response(response, head_only, limit).await
}

async fn send_body(stream: &mut SendStream<Bytes>, body: Body<'_>) -> Result<()> {
    let len = body.len();
    let mut at = 0u64;
    while at < len {
        let left = usize::try_from(len - at).unwrap_or(usize::MAX);
        stream.reserve_capacity(left.min(SEND_CHUNK));
        let granted = match std::future::poll_fn(|cx| stream.poll_capacity(cx)).await {
            Some(Ok(n)) => n,
            Some(Err(e)) => return Err(map_error(e)),
            None => return Err(Error::Closed),
        };
        if granted == 0 {
            continue;
        }
        let n = granted.min(left);
        let now = match body {
            Body::Bytes(b) => Bytes::copy_from_slice(&b[at as usize..at as usize + n]),
            Body::File { file, .. } => {
                use std::os::unix::fs::FileExt;
                let mut buf = vec![0; n];
                // A local (page-cache) read between network writes.
                file.read_exact_at(&mut buf, at)?;
                Bytes::from(buf)
            }
        };
        at += n as u64;
        stream.send_data(now, at == len).map_err(map_error)?;
    }
    Ok(())
}

async fn read_response(
    response: http::Response<h2::RecvStream>,
    head_only: bool,
    limit: usize,
) -> Result<Response> {
    let (head, mut recv) = response.into_parts();
    let status = head.status.as_u16();
    let mut headers = Vec::with_capacity(head.headers.len());
    for (name, value) in &head.headers {
        let value = value.to_str().map_err(|_| {
            Error::Protocol(format!(
                "a response header {name} that is not visible ASCII"
            ))
        })?;
        headers.push((name.as_str().to_owned(), value.to_owned()));
    }
    let limit = if (200..300).contains(&status) {
        limit
    } else {
        limit.max(MAX_ERROR_BODY)
    };
    let mut body = Vec::new();
    if !(head_only || status == 204 || status == 304) {
        if let Some(len) = head.headers.get(http::header::CONTENT_LENGTH) {
            let len: u64 = len
                .to_str()
                .ok()
                .and_then(|v| v.trim().parse().ok())
                .ok_or_else(|| Error::Protocol(format!("bad Content-Length {len:?}")))?;
            if len > limit as u64 {
                return Err(Error::TooLarge(len, limit as u64));
            }
            body.reserve(len as usize);
        }
        while let Some(chunk) = recv.data().await {
            let chunk = chunk.map_err(map_error)?;
            if chunk.len() > limit - body.len() {
                return Err(Error::TooLarge(
                    (body.len() + chunk.len()) as u64,
                    limit as u64,
                ));
            }
            body.extend_from_slice(&chunk);
            // The window is given back as soon as the bytes are ours.
            let _ = recv.flow_control().release_capacity(chunk.len());
        }
    }
    Ok(Response {
        status,
        headers,
        body,
        keep_alive: true,
    })
}

/// An `h2` failure as the client's: a lost or refusing connection is [`Error::Closed`] (the
/// request was not processed and may be sent again on a new connection).
fn map_error(e: h2::Error) -> Error {
    if e.is_go_away() || e.reason() == Some(h2::Reason::REFUSED_STREAM) {
        return Error::Closed;
    }
    if e.is_io() {
        return match e.into_io() {
            Some(io) => Error::Io(io),
            None => Error::Closed,
        };
    }
    Error::Protocol(format!("HTTP/2: {e}"))
}
