//! Starting the daemon on demand: finding `wnetd`, one start at a time, full detachment.

use std::ffi::{CStr, OsString};
use std::fs::OpenOptions;
use std::io::Read;
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use wnet_core::{Error, ErrorKind};

/// How long a start may take before the client gives up.
pub const START_TIMEOUT: Duration = Duration::from_secs(10);

/// The daemon executable: `$WNETD`, else `wnetd` beside the calling executable, else beside the
/// shared library this code is linked into (`libwnet.so`) or in its `../bin` or `../../bin`
/// (a multiarch libdir), else `wnetd` on `PATH`.
pub fn find_wnetd() -> Result<PathBuf, Error> {
    if let Some(path) = std::env::var_os("WNETD").filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(path));
    }
    let beside = |file: PathBuf| {
        file.parent()
            .map(|dir| dir.join("wnetd"))
            .filter(|p| p.is_file())
    };
    if let Some(p) = std::env::current_exe().ok().and_then(beside) {
        return Ok(p);
    }
    if let Some(p) = this_object_path().and_then(beside) {
        return Ok(p);
    }
    // An installed libwnet.so in PREFIX/lib finds PREFIX/bin/wnetd, and one in the multiarch
    // directory PREFIX/lib/x86_64-linux-gnu (the Debian package) too.
    if let Some(p) = this_object_path().and_then(|lib| {
        lib.ancestors()
            .skip(2)
            .take(2)
            .map(|prefix| prefix.join("bin/wnetd"))
            .find(|p| p.is_file())
    }) {
        return Ok(p);
    }
    // The release directory when run from a test binary in target/<profile>/deps.
    if let Some(p) = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().and_then(Path::parent).map(|d| d.join("wnetd")))
        .filter(|p| p.is_file())
    {
        return Ok(p);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join("wnetd"))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            Error::new(
                ErrorKind::NoNetwork,
                "cannot find wnetd: set WNETD or install it beside wnet / libwnet.so",
            )
        })
}

/// The file this code was loaded from (the executable, or the shared library).
fn this_object_path() -> Option<PathBuf> {
    let mut info: libc::Dl_info = unsafe { std::mem::zeroed() };
    let addr = this_object_path as *const libc::c_void;
    // SAFETY: dladdr only reads the address; `info` is a valid out-pointer.
    let ok = unsafe { libc::dladdr(addr, &mut info) };
    if ok == 0 || info.dli_fname.is_null() {
        return None;
    }
    // SAFETY: dli_fname is a NUL-terminated string owned by the loader.
    let name = unsafe { CStr::from_ptr(info.dli_fname) };
    use std::os::unix::ffi::OsStringExt;
    Some(PathBuf::from(OsString::from_vec(name.to_bytes().to_vec())))
}

/// Holds the start lock (`<runtime>/start.lock`) while alive, so two clients never start two
/// daemons.
pub struct StartLock {
    _file: std::fs::File,
}

impl StartLock {
    /// Takes the lock, waiting for another client's start to finish.
    pub fn acquire(runtime_dir: &Path) -> Result<StartLock, Error> {
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(runtime_dir.join("start.lock"))
            .map_err(|e| start_error("cannot open the start lock").set_source(e))?;
        loop {
            // SAFETY: flock on a descriptor we own.
            if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } == 0 {
                return Ok(StartLock { _file: file });
            }
            let e = std::io::Error::last_os_error();
            if e.kind() != std::io::ErrorKind::Interrupted {
                return Err(start_error("cannot lock the start lock").set_source(e));
            }
        }
    }
}

fn start_error(msg: &str) -> Error {
    Error::new(
        ErrorKind::NoNetwork,
        format!("wnetd could not be started: {msg}"),
    )
}

/// Runs `wnetd --detach` (with `env` added to ours) and waits until it reports that it serves its socket (it exits 0 then;
/// the daemon itself runs on in a new session). Its error output becomes the error's message.
///
/// The child gets no descriptor of ours but a pipe for its error output: every descriptor ≥ 3
/// is marked close-on-exec before `exec`, so a caller's open file on a drive is never held by
/// the daemon.
pub fn start_daemon(wnetd: &Path, env: &[(&str, PathBuf)]) -> Result<(), Error> {
    let mut cmd = Command::new(wnetd);
    cmd.envs(env.iter().map(|(k, v)| (k, v)));
    cmd.arg("--detach")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    // SAFETY: the closure only makes async-signal-safe system calls.
    unsafe {
        cmd.pre_exec(|| {
            mark_fds_cloexec();
            Ok(())
        });
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| start_error(&format!("cannot run {}", wnetd.display())).set_source(e))?;
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                let mut err = String::new();
                if let Some(mut pipe) = child.stderr.take() {
                    let _ = pipe.read_to_string(&mut err);
                }
                if status.success() {
                    return Ok(());
                }
                let err = err.trim();
                let why = if err.is_empty() {
                    format!("{} exited with {status}", wnetd.display())
                } else {
                    err.to_owned()
                };
                return Err(start_error(&why));
            }
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(start_error("it did not become ready in time").temporary());
            }
            Err(e) => return Err(start_error("cannot wait for it").set_source(e)),
        }
    }
}

/// Marks every descriptor ≥ 3 close-on-exec (in a forked child, before exec).
fn mark_fds_cloexec() {
    const CLOSE_RANGE_CLOEXEC: libc::c_uint = 1 << 2;
    // SAFETY: close_range with CLOEXEC only sets flags; fcntl is async-signal-safe.
    let rc = unsafe { libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, CLOSE_RANGE_CLOEXEC) };
    if rc != 0 {
        // Older kernels: set the flag one descriptor at a time.
        let max = unsafe { libc::sysconf(libc::_SC_OPEN_MAX) }.clamp(256, 65536) as i32;
        for fd in 3..max {
            unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
        }
    }
}
