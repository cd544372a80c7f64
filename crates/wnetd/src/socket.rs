//! The daemon lock and the socket: one daemon per user, a stale socket replaced.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::os::unix::net::UnixListener;

use wnet_proto::Paths;

/// A bound socket and the lock that makes this process the user's one daemon. The lock is held
/// as long as this value lives.
#[derive(Debug)]
pub struct Bound {
    /// The listening socket (0600).
    pub listener: UnixListener,
    _lock: File,
}

/// Takes the daemon lock (`<runtime>/wnetd.lock`) and binds the socket. `Ok(None)` when another
/// daemon holds the lock, i.e. is running. A socket file left by a dead daemon is replaced.
pub fn bind(paths: &Paths) -> io::Result<Option<Bound>> {
    paths.ensure_runtime_dir()?;
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(paths.runtime_dir.join("wnetd.lock"))?;
    // SAFETY: flock on a descriptor we own.
    if unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
        let e = io::Error::last_os_error();
        if e.kind() == io::ErrorKind::WouldBlock {
            return Ok(None);
        }
        return Err(e);
    }
    // We hold the lock, so any socket file there is a dead daemon's.
    match fs::remove_file(&paths.socket) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let listener = UnixListener::bind(&paths.socket)?;
    fs::set_permissions(&paths.socket, fs::Permissions::from_mode(0o600))?;
    Ok(Some(Bound {
        listener,
        _lock: lock,
    }))
}
