//! `Client`: a blocking connection to the user's daemon, started on demand.

use std::io;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use wnet_core::{Error, ErrorKind};

use crate::frame::{FrameError, read_frame, write_frame};
use crate::launch::{StartLock, find_wnetd, start_daemon};
use crate::trust;
use crate::{Hello, HelloReply, Paths, Reply, Request, Response};

/// The longest a single request may take before the client gives up. The daemon bounds every
/// network wait well below this; it is a backstop against a wedged daemon.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

/// A connection to `wnetd`.
pub struct Client {
    stream: UnixStream,
    daemon_pid: u32,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("daemon_pid", &self.daemon_pid)
            .finish()
    }
}

fn no_daemon(msg: String) -> Error {
    Error::new(ErrorKind::NoNetwork, msg)
}

impl Client {
    /// Connects to the user's daemon, starting it if its socket is absent or stale.
    ///
    /// # Errors
    /// 1222 `ERROR_NO_NETWORK` if the daemon cannot be reached or started.
    pub fn connect(client_name: &str) -> Result<Client, Error> {
        let paths = Paths::from_env()?;
        if let Some(done) = reached(Client::connect_to(&paths.socket, client_name)) {
            return done;
        }
        Client::connect_with(&paths, &find_wnetd()?, client_name)
    }

    /// Connects to the daemon of `paths`, starting `wnetd` (with the environment that gives it
    /// those paths) if its socket is absent or stale.
    ///
    /// # Errors
    /// 1222 `ERROR_NO_NETWORK` if the daemon cannot be reached or started.
    pub fn connect_with(paths: &Paths, wnetd: &Path, client_name: &str) -> Result<Client, Error> {
        if let Some(done) = reached(Client::connect_to(&paths.socket, client_name)) {
            return done;
        }
        paths.ensure_runtime_dir().map_err(|e| {
            no_daemon(format!("cannot use {}", paths.runtime_dir.display())).set_source(e)
        })?;
        let _lock = StartLock::acquire(&paths.runtime_dir)?;
        // Another client may have started it while we waited for the lock.
        if let Some(done) = reached(Client::connect_to(&paths.socket, client_name)) {
            return done;
        }
        start_daemon(wnetd, &paths.env())?;
        Client::connect_to(&paths.socket, client_name)
    }

    /// Connects to the daemon at `socket` without starting one. Before anything is sent, the
    /// socket's directory and the peer's uid are checked ([`crate::trust`]): a socket that
    /// another user could have planted, or that another user serves, is refused.
    ///
    /// # Errors
    /// 1222 `ERROR_NO_NETWORK` if nobody serves `socket`; 5 `ERROR_ACCESS_DENIED` (permanent,
    /// so no caller starts a daemon over it) when a check fails.
    pub fn connect_to(socket: &Path, client_name: &str) -> Result<Client, Error> {
        let uid = trust::my_uid();
        let dir = socket.parent().unwrap_or(Path::new("/"));
        trust::check_socket_dir(dir, uid).map_err(untrusted)?;
        let stream = UnixStream::connect(socket).map_err(|e| {
            no_daemon(format!("cannot reach wnetd at {}", socket.display())).set_source(e)
        })?;
        trust::check_peer(&stream, socket, uid).map_err(untrusted)?;
        stream
            .set_read_timeout(Some(REQUEST_TIMEOUT))
            .and_then(|()| stream.set_write_timeout(Some(REQUEST_TIMEOUT)))
            .map_err(|e| no_daemon("cannot set socket timeouts".into()).set_source(e))?;
        let mut client = Client {
            stream,
            daemon_pid: 0,
        };
        write_frame(&mut client.stream, &Hello::new(client_name)).map_err(lost)?;
        match read_frame::<HelloReply>(&mut client.stream).map_err(lost)? {
            HelloReply::Welcome { daemon_pid, .. } => {
                client.daemon_pid = daemon_pid;
                Ok(client)
            }
            HelloReply::Refused { message, .. } => Err(no_daemon(message)),
        }
    }

    /// The daemon's process id.
    pub fn daemon_pid(&self) -> u32 {
        self.daemon_pid
    }

    /// Sends one request and waits for its answer.
    ///
    /// # Errors
    /// The daemon's error as a core [`Error`] (its Win32 code kept); 1222 if the daemon is gone.
    pub fn call(&mut self, request: &Request) -> Result<Reply, Error> {
        write_frame(&mut self.stream, request).map_err(lost)?;
        let response: Response = read_frame(&mut self.stream).map_err(lost)?;
        response.map_err(Error::from)
    }
}

/// `Some` when an attempt to connect settles the matter: connected, or refused by a trust
/// check (starting a daemon would not help, and must not hide the warning).
fn reached(attempt: Result<Client, Error>) -> Option<Result<Client, Error>> {
    match attempt {
        Err(e) if e.kind() != ErrorKind::AccessDenied => None,
        done => Some(done),
    }
}

fn untrusted(why: String) -> Error {
    let message = format!("not trusting wnetd's socket: {why}");
    Error::new(ErrorKind::AccessDenied, message.clone()).with_context(wnet_core::WARNING, message)
}

/// `true` when the connection itself failed (the daemon is gone, or closed this connection),
/// as opposed to the daemon answering 1222.
pub fn is_lost(e: &Error) -> bool {
    e.kind() == ErrorKind::NoNetwork && e.message().starts_with(LOST)
}

/// `true` when the connection is certainly gone (not merely slow: a timed-out request may
/// still be running, and sending it again could do it twice). A request that failed so on a
/// connection that had been idle was never read (the daemon closes idle connections, and a
/// daemon that died had nothing in progress for it): it may be sent once more, afresh.
pub fn is_gone(e: &Error) -> bool {
    is_lost(e) && !e.is_temporary()
}

const LOST: &str = "lost the connection";

fn lost(e: FrameError) -> Error {
    let temporary = matches!(&e, FrameError::Io(io) if io.kind() == io::ErrorKind::WouldBlock);
    let err = no_daemon(format!("{LOST} to wnetd: {e}"));
    if temporary { err.temporary() } else { err }
}

/// The socket path of the current environment.
pub fn default_socket() -> Result<PathBuf, Error> {
    Ok(Paths::from_env()?.socket)
}
