//! The socket server, mini-redis style: a [`Listener`] accepts connections under a limit, one
//! [`Handler`] per client checks its uid, does the handshake and answers requests until the
//! client leaves, sends something malformed, or the daemon shuts down.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{Semaphore, broadcast, mpsc};
use tracing::{debug, info, warn};
use wnet_proto::frame::{self, FrameError};
use wnet_proto::{Hello, HelloReply, PROTOCOL_NAME, PROTOCOL_VERSION, Request, Response};

use crate::Daemon;

/// The most clients served at once; more wait in the accept queue.
pub const MAX_CLIENTS: usize = 256;

/// How long a client has to send its hello.
pub const HELLO_TIMEOUT: Duration = Duration::from_secs(5);

/// Accepts clients until shutdown.
struct Listener {
    listener: UnixListener,
    daemon: Arc<Daemon>,
    limit: Arc<Semaphore>,
    notify_shutdown: broadcast::Sender<()>,
    /// Dropped by each handler when it ends; `run` waits for all of them.
    shutdown_complete_tx: mpsc::Sender<()>,
}

/// Serves one client.
struct Handler {
    stream: UnixStream,
    daemon: Arc<Daemon>,
    shutdown: broadcast::Receiver<()>,
    _shutdown_complete: mpsc::Sender<()>,
}

/// Serves `listener` until `shutdown` completes, then waits for the clients being served to
/// finish their current request.
pub async fn run(listener: UnixListener, daemon: Arc<Daemon>, shutdown: impl Future) {
    let (notify_shutdown, _) = broadcast::channel(1);
    let (shutdown_complete_tx, mut shutdown_complete_rx) = mpsc::channel(1);
    let mut server = Listener {
        listener,
        daemon,
        limit: Arc::new(Semaphore::new(MAX_CLIENTS)),
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
            let permit = self
                .limit
                .clone()
                .acquire_owned()
                .await
                .map_err(std::io::Error::other)?;
            let (stream, _) = match self.listener.accept().await {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of descriptors and the like: back off, never spin.
                    warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let mut handler = Handler {
                stream,
                daemon: self.daemon.clone(),
                shutdown: self.notify_shutdown.subscribe(),
                _shutdown_complete: self.shutdown_complete_tx.clone(),
            };
            tokio::spawn(async move {
                if let Err(e) = handler.run().await {
                    debug!(error = %e, "client dropped");
                }
                drop(permit);
            });
        }
    }
}

impl Handler {
    async fn run(&mut self) -> Result<(), FrameError> {
        // The hello is read before anything is answered, so that every client, refused or
        // not, can send it and then read why (a refusal sent first would break its write).
        let hello: Hello =
            match tokio::time::timeout(HELLO_TIMEOUT, read_frame(&mut self.stream)).await {
                Ok(result) => result?,
                Err(_) => return Err(FrameError::Io(std::io::ErrorKind::TimedOut.into())),
            };
        if let Err(why) = self.check_peer() {
            warn!("{why}");
            let refusal = HelloReply::Refused {
                version: PROTOCOL_VERSION,
                message: why,
            };
            let _ = self.stream.write_all(&frame::encode(&refusal)).await;
            return Ok(());
        }
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
        debug!(client = %hello.client, "client connected");
        loop {
            let request: Request = tokio::select! {
                r = read_frame(&mut self.stream) => match r {
                    Err(FrameError::Closed) => return Ok(()),
                    other => other?,
                },
                _ = self.shutdown.recv() => return Ok(()),
            };
            let daemon = self.daemon.clone();
            let response: Response =
                match tokio::task::spawn_blocking(move || daemon.handle(request)).await {
                    Ok(response) => response,
                    Err(e) => Err(wnet_proto::WireError {
                        code: wnet_core::WinError::ERROR_GEN_FAILURE.0,
                        message: format!("the daemon failed serving the request: {e}"),
                        temporary: false,
                        holders: Vec::new(),
                    }),
                };
            self.stream.write_all(&frame::encode(&response)).await?;
        }
    }

    /// Only the daemon's own user may talk to it; root gets a daemon of its own.
    fn check_peer(&self) -> Result<(), String> {
        // SAFETY: getuid cannot fail.
        let me = unsafe { libc::getuid() };
        let cred = self
            .stream
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
}

async fn read_frame<T: serde::de::DeserializeOwned>(
    stream: &mut UnixStream,
) -> Result<T, FrameError> {
    let mut prefix = [0u8; 4];
    match stream.read_exact(&mut prefix).await {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Err(FrameError::Closed),
        Err(e) => return Err(FrameError::Io(e)),
    }
    let len = frame::check_len(prefix)?;
    let mut payload = vec![0u8; len];
    stream.read_exact(&mut payload).await?;
    frame::decode(&payload)
}
