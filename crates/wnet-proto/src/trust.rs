//! Who serves the socket: before a client sends anything (a password, in `AddConnection`), it
//! makes sure the daemon at the other end is its own user's.
//!
//! Two checks, each sufficient to stop a spoofer, both made so the error says which failed:
//! - the socket's directory is a real directory (not a symlink) owned by the caller and closed
//!   to everyone else (mode 0700), so nobody else can have planted or replaced the socket;
//! - the peer's credentials (`SO_PEERCRED`, taken by the kernel when the daemon called
//!   `listen`) name the caller's uid, so even a socket that got there some other way is not
//!   trusted unless the caller's own user serves it.

use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::net::UnixStream;
use std::path::Path;

/// Checks the directory that holds the daemon's socket: a directory, not a symlink, owned by
/// `uid`, with no permission bits for group or others. A directory that does not exist passes
/// (there is no socket to trust or distrust; connecting fails).
pub fn check_socket_dir(dir: &Path, uid: u32) -> Result<(), String> {
    let meta = match std::fs::symlink_metadata(dir) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(format!("cannot inspect {}: {e}", dir.display())),
    };
    if meta.file_type().is_symlink() {
        return Err(format!(
            "{} is a symbolic link; the daemon's directory must be a real directory",
            dir.display()
        ));
    }
    if !meta.is_dir() {
        return Err(format!("{} is not a directory", dir.display()));
    }
    if meta.uid() != uid {
        return Err(format!(
            "{} belongs to uid {}, not to you (uid {uid}): another user may be impersonating \
             wnetd; remove it or set XDG_RUNTIME_DIR",
            dir.display(),
            meta.uid()
        ));
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(format!(
            "{} has mode {mode:03o}; it must be 0700 so no other user can plant a socket in it \
             (chmod 700 it)",
            dir.display()
        ));
    }
    Ok(())
}

/// The uid of the process at the other end of `stream` (`SO_PEERCRED`).
pub fn peer_uid(stream: &UnixStream) -> io::Result<u32> {
    let mut cred = libc::ucred {
        pid: 0,
        uid: 0,
        gid: 0,
    };
    let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: `cred` and `len` are valid out-pointers of the sizes given.
    let rc = unsafe {
        libc::getsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            (&raw mut cred).cast(),
            &mut len,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(cred.uid)
}

/// Checks that `stream`'s peer runs as `uid`.
pub fn check_peer(stream: &UnixStream, socket: &Path, uid: u32) -> Result<(), String> {
    let peer = peer_uid(stream)
        .map_err(|e| format!("cannot read the credentials of {}: {e}", socket.display()))?;
    if peer != uid {
        return Err(format!(
            "{} is served by uid {peer}, not by you (uid {uid}): refusing to talk to a daemon \
             of another user",
            socket.display()
        ));
    }
    Ok(())
}

/// The caller's uid.
pub fn my_uid() -> u32 {
    // SAFETY: getuid cannot fail.
    unsafe { libc::getuid() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn only_a_private_real_directory_of_ours_passes() {
        let tmp = tempfile::tempdir().unwrap();
        let me = my_uid();
        let dir = tmp.path().join("run");
        fs::create_dir(&dir).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).unwrap();
        check_socket_dir(&dir, me).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        let e = check_socket_dir(&dir, me).unwrap_err();
        assert!(e.contains("mode 755"), "{e}");
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).unwrap();
        let e = check_socket_dir(&dir, me + 1).unwrap_err();
        assert!(e.contains(&format!("belongs to uid {me}")), "{e}");
        let link = tmp.path().join("link");
        std::os::unix::fs::symlink(&dir, &link).unwrap();
        let e = check_socket_dir(&link, me).unwrap_err();
        assert!(e.contains("symbolic link"), "{e}");
    }

    #[test]
    fn the_peer_of_a_socketpair_is_ourselves() {
        let (a, _b) = UnixStream::pair().unwrap();
        assert_eq!(peer_uid(&a).unwrap(), my_uid());
        check_peer(&a, Path::new("pair"), my_uid()).unwrap();
        let e = check_peer(&a, Path::new("pair"), my_uid() + 1).unwrap_err();
        assert!(e.contains("served by uid"), "{e}");
    }
}
