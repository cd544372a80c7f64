//! The redirected printer port: a connected print share as a write-only file,
//! `$WNET_DRIVE_ROOT/LPT1`, that every program can print to (`cat report.ps > ~/Network/LPT1`).
//!
//! The file is a FUSE mount whose root is a regular file (the mount point is an empty regular
//! file; ADR 0012). Each `open()` is one print job: an SMB2 CREATE on the print share; each
//! `write()` is answered once the server acknowledged the bytes; the last `close()` of the open
//! file (FUSE's RELEASE) sends CLOSE, which submits the job. Several jobs may be open at once.
//! The [`JobTable`] knows every open job and the pid that opened it, so a non-forced cancel is
//! refused (2401) while a job is open, exactly as the drive's open files refuse it.
//!
//! # Layout
//!
//! - `mod.rs`: [`Port`]: mount, unmount (polite or forced), the job-opening core.
//! - `jobs.rs`: [`JobTable`], every open job with its pid.
//! - `fuse.rs`: the `fuser` adapter (one regular file; unimplemented ops answer `ENOSYS`).

pub mod jobs;

mod fuse;

pub use jobs::JobTable;

use std::future::Future;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use crate::drive::errno::Errno;
use crate::drive::remote::FsResult;
use crate::drive::{
    DriveConfig, DriveError, block_on, finish_session, fuse_config, kernel_unmount,
};

/// What the port's FUSE adapter works with.
pub(crate) struct PortCore {
    tree: wnet_smb2::Tree,
    rt: tokio::runtime::Handle,
    deadline: Duration,
    jobs: JobTable,
    uid: u32,
    gid: u32,
    mounted_at: SystemTime,
    /// Forcibly cancelled: every later request fails with `EIO`.
    detached: AtomicBool,
}

impl PortCore {
    /// Whether a forced cancel detached the port.
    fn is_detached(&self) -> bool {
        self.detached.load(Ordering::Acquire)
    }

    /// Runs `fut` under the deadline; `EIO` once the port was detached.
    async fn guard<T>(&self, fut: impl Future<Output = FsResult<T>>) -> Result<T, Errno> {
        if self.is_detached() {
            return Err(Errno::EIO);
        }
        match tokio::time::timeout(self.deadline, fut).await {
            Ok(r) => r.map_err(|e| fuse::errno_of(&e)),
            Err(_) => Err(Errno::ETIMEDOUT),
        }
    }

    /// Creates a print job for `pid` on the share; its handle number. The job's document name
    /// is the program's name, as a Windows spooler shows the document.
    async fn open_job(&self, pid: u32) -> Result<u64, Errno> {
        let name = job_name(pid);
        let file = self
            .guard(async {
                let opts = wnet_smb2::CreateOptions::print_job();
                let job = self.tree.create(&name, &opts).await;
                job.map_err(|e| crate::errors::drive_error(&e))
            })
            .await?;
        Ok(self.jobs.insert(pid, file, &self.rt))
    }

    /// Submits every open job (closing its handle), as closing the handles does on Windows.
    async fn submit_all(&self) -> Result<(), Errno> {
        let mut first = Ok(());
        for job in self.jobs.drain() {
            let r = match tokio::time::timeout(self.deadline, job.submit()).await {
                Ok(r) => r.map_err(|e| fuse::errno_of(&e)),
                Err(_) => Err(Errno::ETIMEDOUT),
            };
            if first.is_ok() {
                first = r;
            }
        }
        first
    }
}

/// A print job's document name: the name of the program that opened the port, or `job`.
fn job_name(pid: u32) -> String {
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
    let name: String = comm
        .trim_end()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "-_.".contains(*c))
        .collect();
    if name.is_empty() { "job".into() } else { name }
}

/// A mounted printer port.
pub struct Port {
    core: Arc<PortCore>,
    mountpoint: PathBuf,
    /// `None` once unmounted.
    session: Option<Box<fuser::BackgroundSession>>,
}

impl std::fmt::Debug for Port {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Port")
            .field("mountpoint", &self.mountpoint)
            .field("jobs", &self.core.jobs.open_count())
            .finish()
    }
}

impl Port {
    /// Mounts `tree` (a print share) as the write-only file `cfg.mountpoint` (created empty if
    /// missing; an existing one must be an empty regular file). `cfg.read_only` is ignored.
    ///
    /// Errors: [`DriveError::MountPoint`] (not creatable, not an empty regular file),
    /// [`DriveError::Mount`] (the kernel or fusermount3 refused).
    pub fn mount(
        tree: wnet_smb2::Tree,
        rt: tokio::runtime::Handle,
        cfg: DriveConfig,
    ) -> Result<Port, DriveError> {
        let mp = &cfg.mountpoint;
        prepare_mountpoint(mp).map_err(DriveError::MountPoint)?;
        let core = Arc::new(PortCore {
            tree,
            rt,
            deadline: cfg.timeouts.request,
            jobs: JobTable::default(),
            // SAFETY: getuid/getgid cannot fail.
            uid: unsafe { libc::getuid() },
            gid: unsafe { libc::getgid() },
            mounted_at: SystemTime::now(),
            detached: AtomicBool::new(false),
        });
        let mut config = fuse_config(&cfg.fsname, false);
        // A port holds documents, never programs.
        config.mount_options.push(fuser::MountOption::NoExec);
        let session = fuser::spawn_mount(fuse::PortFs::new(core.clone()), mp, &config)
            .map_err(DriveError::Mount)?;
        tracing::info!(mountpoint = %mp.display(), fsname = cfg.fsname, "port mounted");
        Ok(Port {
            core,
            mountpoint: mp.clone(),
            session: Some(Box::new(session)),
        })
    }

    /// Where the port is.
    pub fn mountpoint(&self) -> &Path {
        &self.mountpoint
    }

    /// Every open print job, with the pid that opened it.
    pub fn jobs(&self) -> &JobTable {
        &self.core.jobs
    }

    /// Unmounts, not lazily. Refused with [`DriveError::Busy`] when the kernel says the port is
    /// in use; the port is then returned intact and usable.
    pub fn unmount(mut self) -> Result<(), (Self, DriveError)> {
        if let Err(e) = kernel_unmount(&self.mountpoint, false) {
            return Err((self, e));
        }
        finish_session(self.session.take());
        tracing::info!(mountpoint = %self.mountpoint.display(), "port unmounted");
        Ok(())
    }

    /// Forced: submits every open job (what was written is printed), then detaches the mount
    /// lazily. Descriptors still open on the port get `EIO` from then on.
    ///
    /// Errors: [`DriveError::Io`] when a job could not be submitted (the port is detached
    /// anyway); [`DriveError::Unmount`] when the detach failed.
    pub fn force_unmount(mut self) -> Result<(), DriveError> {
        self.force()
    }

    fn force(&mut self) -> Result<(), DriveError> {
        let Some(session) = self.session.take() else {
            return Ok(());
        };
        let core = self.core.clone();
        core.detached.store(true, Ordering::Release);
        let submitted = block_on(&self.core.rt, async move { core.submit_all().await })
            .unwrap_or(Err(Errno(libc::ENOTCONN)))
            .map_err(|e| DriveError::Io(std::io::Error::from_raw_os_error(e.0)));
        if let Err(e) = kernel_unmount(&self.mountpoint, true) {
            std::mem::forget(session);
            return Err(e);
        }
        finish_session(Some(session));
        tracing::info!(mountpoint = %self.mountpoint.display(), "port force-unmounted");
        submitted
    }
}

impl Drop for Port {
    /// A port dropped while mounted is force-unmounted: its open jobs are submitted.
    fn drop(&mut self) {
        if self.session.is_some() {
            if let Err(e) = self.force() {
                tracing::warn!(error = %e, mountpoint = %self.mountpoint.display(), "forced unmount on drop");
            }
        }
    }
}

/// The mount point of a port: an empty regular file, mode 0600 (fusermount3 mounts on a
/// regular file its user may write).
fn prepare_mountpoint(mp: &Path) -> std::io::Result<()> {
    if let Some(parent) = mp.parent() {
        std::fs::create_dir_all(parent)?;
    }
    match std::fs::symlink_metadata(mp) {
        Ok(md) if md.is_file() && md.len() == 0 => {}
        Ok(_) => {
            return Err(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                format!("{} exists and is not an empty file", mp.display()),
            ));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::File::create(mp)?;
        }
        Err(e) => return Err(e),
    }
    std::fs::set_permissions(mp, std::fs::Permissions::from_mode(0o600))
}
