//! The socket server, mini-redis style: a `Listener` accepts connections under a limit, one
//! `Handler` per client does the handshake and answers requests until the client leaves,
//! sends something malformed, stays idle too long, or the daemon shuts down.
//!
//! Fairness and the neighbours:
//! - the peer's uid is checked at `accept`, before a byte is read. Another uid gets a slot of
//!   a small pool of its own ([`FOREIGN_SLOTS`]; beyond it, the connection is closed at once),
//!   its hello is read with a 4 KiB limit and answered with a refusal. Others can neither use
//!   the daemon nor take the slots of its user.
//! - a connection that waits for a request longer than [`IDLE_TIMEOUT`] is closed (libwnet's
//!   pooled connections reconnect transparently); when all [`MAX_CLIENTS`] slots are taken,
//!   every idle connection is closed to make room. A connection holding open enumerations is
//!   never closed for idleness (its handles would be lost).
//! - an answer larger than a frame is never sent: it becomes an error (enumerations are
//!   paged so they never get there).
//! - each connection has a [`ClientId`]; its enumerations are its own and end with it.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{Notify, Semaphore, broadcast, mpsc};
use tracing::{debug, info, warn};
use wnet_proto::frame::{self, FrameError};
use wnet_proto::{
    Hello, HelloReply, MAX_FRAME, PROTOCOL_NAME, PROTOCOL_VERSION, Request, Response,
};

use crate::Daemon;
use crate::enumeration::ClientId;

/// The most clients of the daemon's user served at once; more wait in the accept queue (and
/// make idle ones close).
pub const MAX_CLIENTS: usize = 256;

/// The most connections of other uids being refused at once; more are closed unanswered.
pub const FOREIGN_SLOTS: usize = 8;

/// How long a client has to send its hello.
pub const HELLO_TIMEOUT: Duration = Duration::from_secs(5);

/// The largest hello accepted (it is a few dozen bytes).
pub const HELLO_MAX: u32 = 4096;

/// How long a connection may wait for its next request (without open enumerations).
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// The server's tunable limits (tests shorten them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// How long a connection may wait for its next request (without open enumerations).
    pub idle_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            idle_timeout: IDLE_TIMEOUT,
        }
    }
}

/// Accepts clients until shutdown.
struct Listener {
    listener: UnixListener,
    daemon: Arc<Daemon>,
    limit: Arc<Semaphore>,
    foreign: Arc<Semaphore>,
    /// Wakes every idle handler to close, when all slots are taken.
    evict: Arc<Notify>,
    limits: Limits,
    next_id: AtomicU64,
    notify_shutdown: broadcast::Sender<()>,
    /// Dropped by each handler when it ends; `run` waits for all of them.
    shutdown_complete_tx: mpsc::Sender<()>,
}

/// Serves one client of the daemon's own user.
struct Handler {
    id: ClientId,
    stream: UnixStream,
    daemon: Arc<Daemon>,
    evict: Arc<Notify>,
    limits: Limits,
    shutdown: broadcast::Receiver<()>,
    _shutdown_complete: mpsc::Sender<()>,
}

/// Serves `listener` until `shutdown` completes, then waits for the clients being served to
/// finish their current request.
pub async fn run(listener: UnixListener, daemon: Arc<Daemon>, shutdown: impl Future) {
    run_with(listener, daemon, shutdown, Limits::default()).await;
}

/// [`run`] with other [`Limits`].
pub async fn run_with(
    listener: UnixListener,
    daemon: Arc<Daemon>,
    shutdown: impl Future,
    limits: Limits,
) {
    let (notify_shutdown, _) = broadcast::channel(1);
    let (shutdown_complete_tx, mut shutdown_complete_rx) = mpsc::channel(1);
    let mut server = Listener {
        listener,
        daemon,
        limit: Arc::new(Semaphore::new(MAX_CLIENTS)),
        foreign: Arc::new(Semaphore::new(FOREIGN_SLOTS)),
        evict: Arc::new(Notify::new()),
        limits,
        next_id: AtomicU64::new(1),
        notify_shutdown,
        shutdown_complete_tx,
    };
    tokio::select! {
        result = server.run() => {
            if let Err(e) = result {
                warn!(error = %e, "accepting clients failed");
            }
        }
        _ = shutdown => info!("shutting down"),
    }
    let Listener {
        notify_shutdown,
        shutdown_complete_tx,
        ..
    } = server;
    drop(notify_shutdown);
    drop(shutdown_complete_tx);
    let _ = shutdown_complete_rx.recv().await;
}

impl Listener {
    async fn run(&mut self) -> std::io::Result<()> {
        loop {
            let (stream, _) = match self.listener.accept().await {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of descriptors and the like: back off, never spin.
                    warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            if let Err(why) = check_peer(&stream) {
                let Ok(permit) = self.foreign.clone().try_acquire_owned() else {
                    debug!("{why}; too many refusals under way: closed unanswered");
                    continue;
                };
                warn!("{why}");
                tokio::spawn(async move {
                    refuse(stream, why).await;
                    drop(permit);
                });
                continue;
            }
            let permit = match self.limit.clone().try_acquire_owned() {
                Ok(permit) => permit,
                Err(_) => {
                    info!("all {MAX_CLIENTS} client slots are taken: closing idle connections");
                    self.evict.notify_waiters();
                    self.limit
                        .clone()
                        .acquire_owned()
                        .await
                        .map_err(std::io::Error::other)?
                }
            };
            let id = ClientId(self.next_id.fetch_add(1, Ordering::Relaxed));
            let mut handler = Handler {
                id,
                stream,
                daemon: self.daemon.clone(),
                evict: self.evict.clone(),
                limits: self.limits,
                shutdown: self.notify_shutdown.subscribe(),
                _shutdown_complete: self.shutdown_complete_tx.clone(),
            };
            tokio::spawn(async move {
                if let Err(e) = handler.run().await {
                    debug!(error = %e, "client dropped");
                }
                handler.daemon.client_gone(id);
                drop(permit);
            });
        }
    }
}

/// Reads another uid's hello (small, bounded in time) and answers why it is refused. The hello
/// is read first so that the client, which writes it before reading, can read the refusal.
async fn refuse(mut stream: UnixStream, why: String) {
    let read = read_frame::<Hello>(&mut stream, HELLO_MAX);
    if let Ok(Ok(_)) = tokio::time::timeout(HELLO_TIMEOUT, read).await {
        let refusal = HelloReply::Refused {
            version: PROTOCOL_VERSION,
            message: why,
        };
        let _ = stream.write_all(&frame::encode(&refusal)).await;
    }
}

/// Only the daemon's own user may talk to it; root gets a daemon of its own.
fn check_peer(stream: &UnixStream) -> Result<(), String> {
    // SAFETY: getuid cannot fail.
    let me = unsafe { libc::getuid() };
    let cred = stream
        .peer_cred()
        .map_err(|e| format!("cannot read the peer's credentials: {e}"))?;
    if cred.uid() != me {
        return Err(format!(
            "access denied: this wnetd serves uid {me} only; uid {} (pid {:?}) has a daemon of its own",
            cred.uid(),
            cred.pid()
        ));
    }
    Ok(())
}

/// The frame of `response`, or of an error saying it is too large to send.
fn reply_frame(response: &Response) -> Vec<u8> {
    let bytes = frame::encode(response);
    if bytes.len() - 4 <= MAX_FRAME as usize {
        return bytes;
    }
    warn!(bytes = bytes.len(), "an answer exceeds the frame limit");
    frame::encode::<Response>(&Err(wnet_proto::WireError {
        code: wnet_core::WinError::ERROR_GEN_FAILURE.0,
        message: format!(
            "the answer ({} bytes) exceeds the protocol's frame of {MAX_FRAME} bytes",
            bytes.len() - 4
        ),
        temporary: false,
        holders: Vec::new(),
    }))
}

impl Handler {
    async fn run(&mut self) -> Result<(), FrameError> {
        let read = read_frame(&mut self.stream, HELLO_MAX);
        let hello: Hello = match tokio::time::timeout(HELLO_TIMEOUT, read).await {
            Ok(result) => result?,
            Err(_) => return Err(FrameError::Io(std::io::ErrorKind::TimedOut.into())),
        };
        if hello.protocol != PROTOCOL_NAME || hello.version != PROTOCOL_VERSION {
            let message = format!(
                "wnetd speaks {PROTOCOL_NAME} protocol version {PROTOCOL_VERSION}, the client ({}) \
                 speaks {} version {}: use a wnet and wnetd of the same release",
                hello.client, hello.protocol, hello.version
            );
            info!("{message}");
            let refusal = HelloReply::Refused {
                version: PROTOCOL_VERSION,
                message,
            };
            self.stream.write_all(&frame::encode(&refusal)).await?;
            return Ok(());
        }
        let welcome = HelloReply::Welcome {
            version: PROTOCOL_VERSION,
            daemon_pid: std::process::id(),
            daemon_version: env!("CARGO_PKG_VERSION").into(),
        };
        self.stream.write_all(&frame::encode(&welcome)).await?;
        debug!(client = %hello.client, id = self.id.0, "client connected");
        loop {
            // A connection with open enumerations is kept: its handles live in it.
            let may_close = self.daemon.open_enums(self.id) == 0;
            let request: Request = tokio::select! {
                r = read_frame(&mut self.stream, MAX_FRAME) => match r {
                    Err(FrameError::Closed) => return Ok(()),
                    other => other?,
                },
                _ = self.shutdown.recv() => return Ok(()),
                _ = tokio::time::sleep(self.limits.idle_timeout), if may_close => {
                    debug!(id = self.id.0, "idle connection closed");
                    return Ok(());
                }
                _ = self.evict.notified(), if may_close => {
                    debug!(id = self.id.0, "idle connection closed to free a slot");
                    return Ok(());
                }
            };
            let daemon = self.daemon.clone();
            let id = self.id;
            let response: Response =
                match tokio::task::spawn_blocking(move || daemon.serve(id, request)).await {
                    Ok(response) => response,
                    Err(e) => Err(wnet_proto::WireError {
                        code: wnet_core::WinError::ERROR_GEN_FAILURE.0,
                        message: format!("the daemon failed serving the request: {e}"),
                        temporary: false,
                        holders: Vec::new(),
                    }),
                };
            self.stream.write_all(&reply_frame(&response)).await?;
        }
    }
}

/// Reads one frame of at most `max` bytes.
async fn read_frame<T: serde::de::DeserializeOwned>(
    stream: &mut UnixStream,
    max: u32,
) -> Result<T, FrameError> {
    let mut prefix = [0u8; 4];
    match stream.read_exact(&mut prefix).await {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Err(FrameError::Closed),
        Err(e) => return Err(FrameError::Io(e)),
    }
    let len = frame::check_len(prefix)?;
    if len > max as usize {
        return Err(FrameError::TooLarge(len as u32));
    }
    let mut payload = vec![0u8; len];
    stream.read_exact(&mut payload).await?;
    let msg = frame::decode(&payload);
    // The payload may hold a password (an AddConnection): gone once decoded.
    wnet_core::secret::wipe(&mut payload);
    msg
}

#[cfg(test)]
mod tests {
    use super::*;
    use wnet_proto::Reply;

    #[test]
    fn an_answer_larger_than_a_frame_becomes_an_error_that_fits() {
        let huge: Response = Ok(Reply::User {
            user: "x".repeat(MAX_FRAME as usize + 1),
        });
        let bytes = reply_frame(&huge);
        assert!(bytes.len() - 4 <= MAX_FRAME as usize);
        let back: Response = frame::decode(&bytes[4..]).unwrap();
        let e = back.unwrap_err();
        assert_eq!(e.code, 31);
        assert!(e.message.contains("exceeds the protocol's frame"), "{e:?}");
        let small: Response = Ok(Reply::Pong);
        assert_eq!(reply_frame(&small), frame::encode(&small));
    }
}
