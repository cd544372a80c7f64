//! The redirected drive: a network provider's remote file system as a real FUSE mount that
//! every program can use. Nothing here speaks a protocol: the provider implements
//! [`remote::RemoteFs`] (ADR 0017; the SMB provider's `SmbFs`, a WebDAV collection) and
//! declares what its server can do ([`remote::Capabilities`]); the drive adapts to it.
//!
//! [`Drive::mount`] mounts a provider's remote file system at a directory (shown by
//! `findmnt`/`df` as `//server/share`); the drive answers FUSE requests on the given tokio
//! runtime, each under a deadline ([`DriveTimeouts`]); its [`HandleTable`] knows every open file and directory and
//! the pid that opened it, for the cancel checks. Unmounting is either polite
//! ([`Drive::unmount`]: refused with [`DriveError::Busy`] while in use) or forced
//! ([`Drive::force_unmount`]: flush, close, detach).
//!
//! The `Drive` methods block the calling thread (bounded); call them from a plain thread or
//! `spawn_blocking`, not from inside an async task.
//!
//! # Layout
//!
//! - `lib.rs`: [`Drive`], its config, state and errors; mount and unmount.
//! - `core.rs`: the redirector filesystem, independent of FUSE (what each operation does),
//!   split by concern under `core/`: connection state, kernel invalidations, metadata, I/O,
//!   namespace, locks, deferred creates, leases.
//! - `fuse.rs`: the `fuser` adapter (pure translation; unimplemented ops answer `ENOSYS`),
//!   and [`stats`], the FUSE requests it was sent and how many crossed to the runtime.
//! - `inode.rs`: [`InodeNo`] and the inode table with lookup/forget counting.
//! - `handle_table.rs`: [`HandleTable`], every open handle with its pid.
//! - `cache.rs`: attribute and directory caches: short TTLs, or exact for watched directories.
//! - `watch.rs`: watches on busy directories (where the server notifies of changes), and
//!   what the kernel must forget.
//! - `lease.rs`: files kept across opens under the server's promise (SMB leases, ADR 0011).
//! - `read_only.rs`: deleting and replacing despite the READONLY attribute.
//! - `readahead.rs`: sequential detection, several 1 MiB reads in flight.
//! - `write_buffer.rs`: buffered, pipelined writes; errors reported at flush/fsync.
//! - `remote.rs`: the seam: [`remote::RemoteFs`], what the drive asks of a provider (with
//!   fast paths whose defaults are built from the plain calls), and the capabilities it
//!   declares (ADR 0017).
//! - `errno.rs`: the one mapping from remote failures to errno.
//! - `names.rs`: names Windows servers cannot hold (`EINVAL`).
//! - `cancel.rs`: ending a mount when its connection is cancelled (2401, 2404, forced),
//!   the rules every provider that mounts shares.

#![deny(missing_docs)]

pub mod cache;
pub mod cancel;
mod core;
pub mod errno;
mod fuse;
pub mod handle_table;
pub mod inode;
mod lease;
pub mod names;
pub mod posix_lock;
mod read_only;
pub mod readahead;
pub mod remote;
pub mod watch;
pub mod write_buffer;

pub use fuse::process_of;
pub use fuse::stats;
pub use handle_table::{HandleTable, Holder};
pub use inode::InodeNo;

use self::core::Core;
use std::ffi::CString;
use std::future::Future;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Deadlines of the drive.
#[derive(Debug, Clone, Copy)]
pub struct DriveTimeouts {
    /// Bound on every FUSE request (and on each step of flush/unmount). Default 10 s.
    pub request: Duration,
}

impl Default for DriveTimeouts {
    fn default() -> Self {
        DriveTimeouts {
            request: Duration::from_secs(10),
        }
    }
}

/// How to mount a drive.
#[derive(Debug, Clone)]
pub struct DriveConfig {
    /// Where (created if missing; must be empty).
    pub mountpoint: PathBuf,
    /// The file-system name `findmnt`/`df` show, `//server/share`.
    pub fsname: String,
    /// Deadlines.
    pub timeouts: DriveTimeouts,
    /// Mount read-only.
    pub read_only: bool,
    /// Keep small files across opens where the server promises to tell of changes first
    /// ([`remote::Capabilities::caching_across_opens`]: SMB leases on plain shares, ADR
    /// 0011): an unchanged file opened again costs no round trip. Off by default: a change
    /// made on the server's own file system breaks no lease, so close-to-open against such
    /// writers would not hold.
    pub leases: bool,
}

/// Whether the drive reaches its server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DriveState {
    /// Requests are served.
    Connected,
    /// A request timed out or the connection was lost: requests fail at once with `EIO`
    /// until the server answers again.
    Disconnected,
}

/// Why a drive operation failed.
#[derive(Debug)]
pub enum DriveError {
    /// The mount point is unusable (not a directory, not empty, not creatable).
    MountPoint(std::io::Error),
    /// The kernel refused the mount.
    Mount(std::io::Error),
    /// The kernel refused a non-lazy unmount: a process has its working directory or root
    /// (or a file) inside the drive. The drive stays mounted and usable.
    Busy,
    /// Unmounting failed otherwise.
    Unmount(std::io::Error),
    /// Writing buffered data or closing a server handle failed (the errno a program would
    /// have seen).
    Io(std::io::Error),
}

impl std::fmt::Display for DriveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DriveError::MountPoint(e) => write!(f, "mount point unusable: {e}"),
            DriveError::Mount(e) => write!(f, "mount failed: {e}"),
            DriveError::Busy => write!(f, "the drive is in use"),
            DriveError::Unmount(e) => write!(f, "unmount failed: {e}"),
            DriveError::Io(e) => write!(f, "flushing the drive failed: {e}"),
        }
    }
}

impl std::error::Error for DriveError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DriveError::MountPoint(e)
            | DriveError::Mount(e)
            | DriveError::Unmount(e)
            | DriveError::Io(e) => Some(e),
            DriveError::Busy => None,
        }
    }
}

/// A mounted share.
pub struct Drive {
    core: Arc<Core>,
    mountpoint: PathBuf,
    /// `None` once unmounted (or handed off in a forced unmount).
    session: Option<Box<fuser::BackgroundSession>>,
}

impl std::fmt::Debug for Drive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Drive")
            .field("mountpoint", &self.mountpoint)
            .field("open", &self.core.handles.open_count())
            .finish()
    }
}

fn is_root() -> bool {
    // SAFETY: geteuid cannot fail and touches no memory.
    unsafe { libc::geteuid() == 0 }
}

/// Runs `fut` on `rt` and waits for it from this (non-async) thread. `None` when the runtime
/// is gone (shut down), so the task could not run.
pub fn block_on<T: Send + 'static>(
    rt: &tokio::runtime::Handle,
    fut: impl Future<Output = T> + Send + 'static,
) -> Option<T> {
    let (tx, rx) = std::sync::mpsc::channel();
    rt.spawn(async move {
        let _ = tx.send(fut.await);
    });
    let wait = move || rx.recv().ok();
    match tokio::runtime::Handle::try_current() {
        // Inside a multi-thread runtime's worker: tell it this thread blocks.
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(wait)
        }
        _ => wait(),
    }
}

fn runtime_gone() -> errno::Errno {
    errno::Errno(libc::ENOTCONN)
}

/// Kernel read-ahead for the mount, in KiB: FUSE negotiates at most 128 KiB, so sequential
/// reads arrive as 128 KiB requests; a larger window lets the kernel ask for up to `max_pages`
/// (1 MiB) per request, a quarter of the round trips through FUSE.
const KERNEL_READAHEAD_KB: u32 = 1024;

/// Raises the mount's backing-device read-ahead (`/sys/class/bdi/MAJ:MIN/read_ahead_kb`).
/// Only root may; for anyone else the kernel's default stays and our own read-ahead still
/// keeps the server busy.
fn raise_kernel_readahead(mp: &Path) {
    use std::os::unix::fs::MetadataExt;
    let Ok(md) = std::fs::metadata(mp) else {
        return;
    };
    let dev = md.dev();
    let (major, minor) = (libc::major(dev), libc::minor(dev));
    let knob = format!("/sys/class/bdi/{major}:{minor}/read_ahead_kb");
    match std::fs::write(&knob, KERNEL_READAHEAD_KB.to_string()) {
        Ok(()) => tracing::debug!(knob, "kernel read-ahead raised"),
        Err(e) => tracing::debug!(knob, error = %e, "kernel read-ahead left as is"),
    }
}

fn errno_error(e: errno::Errno) -> DriveError {
    DriveError::Io(std::io::Error::from_raw_os_error(e.0))
}

impl Drive {
    /// Mounts `fs` at `cfg.mountpoint` (created if missing, must be empty). As root the
    /// kernel is asked directly; otherwise through `fusermount3`. No `allow_other`: only the
    /// mounting user can enter. `cfg.fsname` shows in `findmnt`/`df`. The drive's requests
    /// run on `rt`.
    ///
    /// Errors: [`DriveError::MountPoint`] (not creatable, not a directory, not empty),
    /// [`DriveError::Mount`] (the kernel or fusermount3 refused).
    pub fn mount(
        fs: Arc<dyn remote::RemoteFs>,
        rt: tokio::runtime::Handle,
        cfg: DriveConfig,
    ) -> Result<Drive, DriveError> {
        let mp = &cfg.mountpoint;
        std::fs::create_dir_all(mp).map_err(DriveError::MountPoint)?;
        let mut entries = std::fs::read_dir(mp).map_err(DriveError::MountPoint)?;
        if entries.next().is_some() {
            return Err(DriveError::MountPoint(std::io::Error::new(
                std::io::ErrorKind::DirectoryNotEmpty,
                format!("{} is not empty", mp.display()),
            )));
        }
        let core = Core::new(
            fs,
            &cfg.fsname,
            rt,
            cfg.timeouts.request,
            cfg.read_only,
            cfg.leases,
        );
        let config = fuse_config(&cfg.fsname, cfg.read_only);
        let session = fuser::spawn_mount(fuse::FuseFs::new(core.clone()), mp, &config)
            .map_err(DriveError::Mount)?;
        core.attach_kernel(session.notifier());
        raise_kernel_readahead(mp);
        tracing::info!(mountpoint = %mp.display(), fsname = cfg.fsname, "drive mounted");
        Ok(Drive {
            core,
            mountpoint: mp.clone(),
            session: Some(Box::new(session)),
        })
    }

    /// Where the drive is mounted.
    pub fn mountpoint(&self) -> &Path {
        &self.mountpoint
    }

    /// Every open file and directory, with the pid that opened it.
    pub fn handles(&self) -> &HandleTable {
        &self.core.handles
    }

    /// Waits at most `bound` for RELEASEs still in flight after applications closed files
    /// (FUSE sends RELEASE after `close()` returns); returns the open count then.
    pub fn settle(&self, bound: Duration) -> usize {
        self.core.handles.settle(bound)
    }

    /// How many directories are watched (a CHANGE_NOTIFY pending on the server, the cache
    /// exact): see [`watch`].
    pub fn watched_dirs(&self) -> usize {
        self.core.watches.len()
    }

    /// Whether the watched directory `dir` (a drive path, `""` for the root) is complete:
    /// its names are answered from the cache, a missing one without a round trip.
    pub fn is_exact(&self, dir: &str) -> bool {
        self.core.cache.is_complete(dir)
    }

    /// What the drive's caches hold now (listings, attributes, watched directories'
    /// children): bounded however big the directories listed ([`cache::MAX_LISTED`]).
    pub fn cache_held(&self) -> cache::Held {
        self.core.cache.held()
    }

    /// Why the server refused to log the drive on again (no valid Kerberos ticket), while
    /// it is down for that reason; `None` otherwise.
    pub fn refusal(&self) -> Option<String> {
        self.core.refusal()
    }

    /// Connected or Disconnected.
    pub fn state(&self) -> DriveState {
        if self.core.is_connected() {
            DriveState::Connected
        } else {
            DriveState::Disconnected
        }
    }

    /// Writes every buffered write to the server and waits for the acknowledgements; sends
    /// SMB2 FLUSH on each handle written since its last one. Bounded by the request deadline.
    ///
    /// Errors: [`DriveError::Io`] with the first write error (`EIO` when the server is gone,
    /// `ETIMEDOUT` past the deadline).
    pub fn flush_all(&self) -> Result<(), DriveError> {
        let core = self.core.clone();
        let deadline = core.deadline;
        block_on(&self.core.rt, async move {
            match tokio::time::timeout(deadline, core.flush_all()).await {
                Ok(r) => r,
                Err(_) => Err(errno::Errno::ETIMEDOUT),
            }
        })
        .unwrap_or(Err(runtime_gone()))
        .map_err(errno_error)
    }

    /// Unmounts, not lazily. Refused with [`DriveError::Busy`] when the kernel says the mount
    /// is busy (a process has its working directory, root or a file inside); the drive is
    /// then returned intact and fully usable.
    pub fn unmount(mut self) -> Result<(), (Self, DriveError)> {
        if let Err(e) = self.kernel_unmount(false) {
            return Err((self, e));
        }
        self.stop_watches();
        let session = self.session.take();
        self.finish(session);
        tracing::info!(mountpoint = %self.mountpoint.display(), "drive unmounted");
        Ok(())
    }

    /// Forced: flushes every buffered write, closes every server handle, lazily detaches the
    /// mount. Descriptors still open on the drive get `EIO` from then on, never a hang.
    ///
    /// Errors: [`DriveError::Io`] when buffered data could not be written (the mount is
    /// detached anyway); [`DriveError::Unmount`] when the detach failed.
    pub fn force_unmount(mut self) -> Result<(), DriveError> {
        self.force()
    }

    fn force(&mut self) -> Result<(), DriveError> {
        let Some(session) = self.session.take() else {
            return Ok(());
        };
        let flushed = self.flush_all();
        let core = self.core.clone();
        let deadline = core.deadline;
        // Detach first so that nothing new starts while the handles close.
        core.detach();
        let closed = block_on(&self.core.rt, async move {
            match tokio::time::timeout(deadline, core.close_all()).await {
                Ok(r) => r,
                Err(_) => Err(errno::Errno::ETIMEDOUT),
            }
        })
        .unwrap_or(Err(runtime_gone()))
        .map_err(errno_error);
        self.stop_watches();
        let detached = self.kernel_unmount(true);
        if detached.is_err() {
            // Leave the session as it is (still mounted, answering EIO).
            std::mem::forget(session);
            return detached;
        }
        self.finish(Some(session));
        tracing::info!(mountpoint = %self.mountpoint.display(), "drive force-unmounted");
        flushed.and(closed)
    }

    /// Ends every directory watch and waits (bounded) until their server handles are closed.
    fn stop_watches(&self) {
        let core = self.core.clone();
        let deadline = core.deadline;
        let _ = block_on(&self.core.rt, async move {
            core.watches.stop_under(None, deadline).await;
        });
    }

    fn finish(&mut self, session: Option<Box<fuser::BackgroundSession>>) {
        finish_session(session);
    }

    fn kernel_unmount(&self, lazy: bool) -> Result<(), DriveError> {
        kernel_unmount(&self.mountpoint, lazy)
    }
}

/// How a drive or a printer port is mounted: type `fuse.wnet`, source `fsname`, no devices
/// or set-uid programs, the kernel checking permissions, two readers of `/dev/fuse`.
pub fn fuse_config(fsname: &str, read_only: bool) -> fuser::Config {
    let mut config = fuser::Config::default();
    // Two readers of /dev/fuse: answers served from read-ahead overlap.
    config.n_threads = Some(2);
    config.mount_options = vec![
        fuser::MountOption::FSName(fsname.to_owned()),
        // The type `fuse.wnet` (`findmnt -t fuse.wnet`). fuser's `Subtype` reaches only
        // fusermount3; as a kernel option it also reaches the direct mount root makes, and
        // fusermount3 takes it too.
        fuser::MountOption::CUSTOM("subtype=wnet".into()),
        fuser::MountOption::NoDev,
        fuser::MountOption::NoSuid,
        fuser::MountOption::DefaultPermissions,
        if read_only {
            fuser::MountOption::RO
        } else {
            fuser::MountOption::RW
        },
    ];
    config
}

/// After the kernel let go of the mount: joins the FUSE thread when it has ended
/// (bounded); otherwise (descriptors still open after a lazy detach) leaves it running,
/// answering `EIO` until the last one closes.
pub fn finish_session(session: Option<Box<fuser::BackgroundSession>>) {
    let Some(session) = session else { return };
    let until = Instant::now() + Duration::from_secs(2);
    while !session.guard.is_finished() && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(5));
    }
    if session.guard.is_finished() {
        // The connection is gone, so the session's own unmount-on-drop is a no-op.
        if let Err(e) = (*session).join() {
            tracing::warn!(error = %e, "FUSE session ended with an error");
        }
    } else {
        // Its drop would try to unmount the path again, which may be someone else's
        // mount by now: let it go instead.
        std::mem::forget(session);
    }
}

/// Unmounts `mp` (`lazy`: detached, `MNT_DETACH`): directly as root, else through
/// `fusermount3`. A refusal because the mount is in use is [`DriveError::Busy`].
pub fn kernel_unmount(mp: &Path, lazy: bool) -> Result<(), DriveError> {
    if is_root() {
        let c = CString::new(mp.as_os_str().as_bytes()).map_err(|_| {
            DriveError::Unmount(std::io::Error::from(std::io::ErrorKind::InvalidInput))
        })?;
        let flags = if lazy { libc::MNT_DETACH } else { 0 };
        // SAFETY: `c` is a valid NUL-terminated path for the duration of the call.
        let rc = unsafe { libc::umount2(c.as_ptr(), flags) };
        if rc == 0 {
            return Ok(());
        }
        let e = std::io::Error::last_os_error();
        return Err(match e.raw_os_error() {
            Some(libc::EBUSY) => DriveError::Busy,
            _ => DriveError::Unmount(e),
        });
    }
    let mut cmd = std::process::Command::new("fusermount3");
    // Not -q: the "Device or resource busy" text is how fusermount3 tells EBUSY.
    cmd.arg("-u");
    if lazy {
        cmd.arg("-z");
    }
    let out = cmd
        .arg("--")
        .arg(mp)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(DriveError::Unmount)?;
    if out.status.success() {
        return Ok(());
    }
    let msg = String::from_utf8_lossy(&out.stderr).to_string();
    if msg.to_lowercase().contains("busy") {
        Err(DriveError::Busy)
    } else {
        Err(DriveError::Unmount(std::io::Error::other(msg)))
    }
}

impl Drop for Drive {
    /// A drive dropped while mounted is force-unmounted: nothing written is lost and no dead
    /// mount stays behind.
    fn drop(&mut self) {
        if self.session.is_some() {
            if let Err(e) = self.force() {
                tracing::warn!(error = %e, mountpoint = %self.mountpoint.display(), "forced unmount on drop");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drive_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Drive>();
        check::<HandleTable>();
    }

    #[test]
    fn default_deadline_is_ten_seconds() {
        assert_eq!(DriveTimeouts::default().request, Duration::from_secs(10));
    }
}
