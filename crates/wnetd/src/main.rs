//! `wnetd`: the per-user wnet daemon. Normally started by `wnet` or `libwnet.so` on demand
//! (`wnetd --detach`), or by the systemd user unit (`wnetd`).

use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use wnet_proto::Paths;
use wnetd::BinaryChange;

const USAGE: &str = "\
wnetd - the per-user wnet daemon (the Windows workstation service of wnet)

Usage: wnetd [--detach]

Serves the WNet requests of `wnet` and libwnet.so on $XDG_RUNTIME_DIR/wnet/wnetd.sock for
the calling user only. Nobody needs to start it by hand: clients start it when needed.
When its executable is replaced (an upgrade) it unmounts its drives and runs the new version
in its place, which restores the remembered ones; when the executable is removed it exits.

Options:
  --detach    start in the background (new session, log to $XDG_STATE_HOME/wnet/wnetd.log)
              and exit once the daemon serves its socket
  -h, --help  this help
  --version   the version

Environment: XDG_RUNTIME_DIR, XDG_STATE_HOME, XDG_CONFIG_HOME, WNET_DRIVE_ROOT, RUST_LOG.
";

fn main() -> ExitCode {
    let mut detach = false;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--detach" => detach = true,
            "-h" | "--help" => {
                print!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            "--version" => {
                println!("wnetd {}", env!("CARGO_PKG_VERSION"));
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!("wnetd: unknown argument {other:?}\n\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let paths = match Paths::from_env() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("wnetd: {e}");
            return ExitCode::FAILURE;
        }
    };
    let ready = if detach {
        match detach_process(&paths) {
            Ok(pipe) => Some(pipe),
            Err(e) => {
                eprintln!("wnetd: cannot detach: {e}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        None
    };
    fix_mmap_threshold();
    give_back_freed_memory();
    init_logging();
    match serve(&paths, ready) {
        Ok(Stopped::Done) => ExitCode::SUCCESS,
        Ok(Stopped::Upgraded(exe)) => {
            // Same pid, same streams (the log, or systemd's journal), no --detach: the new
            // version binds the socket and restores the remembered connections.
            tracing::info!(exe = %exe.display(), "restarting from the new executable");
            let e = std::process::Command::new(&exe).exec();
            tracing::error!(exe = %exe.display(), error = %e, "cannot restart");
            ExitCode::FAILURE
        }
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("wnetd: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Pins glibc's mmap threshold (which also stops its dynamic growth). Every mounted
/// connection's FUSE session reads requests into `fuser`'s own 16 MiB buffers (`calloc`).
/// With the dynamic threshold, the first large buffer freed (any 1 MiB read) raises the
/// threshold to up to 32 MiB, later 16 MiB `calloc`s come from a malloc arena and are
/// zeroed there: resident at once. Measured (`drive --rows memory`): 26 drives + 100
/// deviceless connections took 1649 MiB; mapped directly instead, the untouched buffer
/// pages stay out of the resident set.
fn fix_mmap_threshold() {
    #[cfg(target_env = "gnu")]
    // SAFETY: mallopt only sets an allocator parameter; called before any other thread.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

/// Returns memory the daemon freed to the system once it adds up (checked every
/// [`TRIM_EVERY`]). glibc keeps freed chunks in the middle of its heaps for reuse: after a
/// drive listed a directory of 100,000 names, the resident set stayed ~20 MiB above its
/// level for good although the listing, its inodes and attributes were gone (measured with
/// `malloc_trim` from gdb: 34 MiB → 13 MiB).
fn give_back_freed_memory() {
    #[cfg(target_env = "gnu")]
    std::thread::Builder::new()
        .name("wnetd-trim".into())
        .spawn(|| {
            loop {
                std::thread::sleep(TRIM_EVERY);
                // SAFETY: both only read or adjust the allocator's own state.
                unsafe {
                    if libc::mallinfo2().fordblks > TRIM_ABOVE {
                        libc::malloc_trim(0);
                    }
                }
            }
        })
        .map(drop)
        .unwrap_or_else(|e| eprintln!("wnetd: no memory trimming thread: {e}"));
}

/// How often [`give_back_freed_memory`] looks.
const TRIM_EVERY: std::time::Duration = std::time::Duration::from_secs(2);
/// Free bytes held by the allocator past which they are given back.
const TRIM_ABOVE: usize = 8 << 20;

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // SAFETY: isatty on fd 2.
    let ansi = unsafe { libc::isatty(2) } == 1;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr)
        .init();
}

/// Why [`serve`] stopped.
enum Stopped {
    /// A signal, the socket gone, or the executable removed: the daemon exits.
    Done,
    /// The executable was replaced (an upgrade): the daemon runs the new one in its place.
    Upgraded(PathBuf),
}

/// Binds the socket, reports readiness through `ready` (the `--detach` pipe), serves until
/// SIGTERM/SIGINT, the socket's removal or its executable's replacement or removal.
fn serve(paths: &Paths, ready: Option<std::fs::File>) -> Result<Stopped, String> {
    let report = |mut pipe: std::fs::File, msg: &str| {
        let _ = pipe.write_all(msg.as_bytes());
    };
    let bound = match wnetd::bind(paths) {
        Ok(Some(bound)) => bound,
        Ok(None) => {
            tracing::info!("another wnetd serves {}; exiting", paths.socket.display());
            if let Some(pipe) = ready {
                report(pipe, "ready\n");
            }
            return Ok(Stopped::Done);
        }
        Err(e) => {
            let msg = format!("cannot serve {}: {e}", paths.socket.display());
            if let Some(pipe) = ready {
                report(pipe, &msg);
            }
            return Err(msg);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let router = match wnetd::provider_router(paths) {
        Ok(r) => r,
        Err(e) => {
            let msg = format!("cannot start the network providers: {e}");
            if let Some(pipe) = ready {
                report(pipe, &msg);
            }
            return Err(msg);
        }
    };
    let daemon = Arc::new(wnetd::Daemon::new(paths.clone(), router.clone()));
    tracing::info!(socket = %paths.socket.display(), pid = std::process::id(), "wnetd serving");
    if let Some(pipe) = ready {
        report(pipe, "ready\n");
    }
    // Restore the remembered connections in the background: each on its own thread, bounded by
    // the engine's deadlines, so one unreachable server delays nothing.
    {
        let daemon = daemon.clone();
        std::thread::spawn(move || match daemon.restore(None) {
            Ok(wnet_proto::Reply::Restored { failures }) if !failures.is_empty() => {
                tracing::warn!(?failures, "some remembered connections were not restored");
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "restoring remembered connections failed"),
        });
    }
    let socket = paths.socket.clone();
    let socket_watch = socket.clone();
    let std_listener = bound.listener.try_clone().map_err(|e| e.to_string())?;
    let stopped = runtime.block_on(async move {
        std_listener
            .set_nonblocking(true)
            .map_err(|e| e.to_string())?;
        let listener =
            tokio::net::UnixListener::from_std(std_listener).map_err(|e| e.to_string())?;
        let (why_tx, why_rx) = tokio::sync::oneshot::channel();
        let shutdown = async move {
            let _ = why_tx.send(shutdown_signal(socket_watch).await);
        };
        wnetd::run(listener, daemon, shutdown).await;
        Ok::<Stopped, String>(why_rx.await.unwrap_or(Stopped::Done))
    })?;
    // Unmount every drive (flushing what applications wrote) before the socket goes.
    router.shutdown();
    let _ = std::fs::remove_file(&socket);
    drop(bound);
    tracing::info!("wnetd stopped");
    Ok(stopped)
}

/// SIGTERM, SIGINT, or the socket file removed (its directory deleted): nobody can reach this
/// daemon any more, so it unmounts its drives and exits rather than linger. Its executable
/// replaced (an upgrade) or removed: an old version must not go on serving, so it stops too,
/// and restarts from the new executable (ADR 0013).
async fn shutdown_signal(socket: PathBuf) -> Stopped {
    use tokio::signal::unix::{SignalKind, signal};
    let term = async {
        match signal(SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    let mut exe = wnetd::BinaryWatch::current_exe();
    let watched = async {
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(2)).await;
            if !socket.exists() {
                tracing::info!(socket = %socket.display(), "the socket is gone; exiting");
                return Stopped::Done;
            }
            match exe.as_mut().and_then(|exe| exe.poll()) {
                None => {}
                Some(BinaryChange::Replaced(path)) => {
                    tracing::info!(exe = %path.display(), "the executable was replaced (an upgrade); restarting");
                    return Stopped::Upgraded(path);
                }
                Some(BinaryChange::Removed) => {
                    tracing::info!("the executable was removed; exiting");
                    return Stopped::Done;
                }
            }
        }
    };
    tokio::select! {
        _ = term => Stopped::Done,
        _ = tokio::signal::ctrl_c() => Stopped::Done,
        why = watched => why,
    }
}

/// Forks. The parent waits until the child reports on a pipe ("ready" or an error), prints the
/// error, and exits; it never returns. The child starts a new session, points stdin/stdout at
/// /dev/null and stderr at the log file, and returns the pipe's write end.
fn detach_process(paths: &Paths) -> std::io::Result<std::fs::File> {
    let mut fds = [0; 2];
    // SAFETY: pipe2 fills two descriptors we then own.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: the process is single-threaded here (no runtime, no logging threads yet).
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(std::io::Error::last_os_error());
    }
    if pid > 0 {
        // SAFETY: we own both ends; close the write end so EOF arrives if the child dies.
        unsafe { libc::close(fds[1]) };
        let mut reader = unsafe { std::fs::File::from_raw_fd(fds[0]) };
        let mut msg = String::new();
        let _ = reader.read_to_string(&mut msg);
        if msg.trim() == "ready" {
            std::process::exit(0);
        }
        let msg = msg.trim();
        eprintln!(
            "wnetd: {}",
            if msg.is_empty() {
                "the daemon exited before it was ready"
            } else {
                msg
            }
        );
        std::process::exit(1);
    }
    // Child.
    // SAFETY: plain descriptor and session calls on our own process.
    unsafe {
        libc::close(fds[0]);
        libc::setsid();
    }
    std::fs::create_dir_all(&paths.state_dir)?;
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&paths.log_file)?;
    let null = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")?;
    // SAFETY: dup2 onto the standard descriptors.
    unsafe {
        libc::dup2(null.as_raw_fd(), 0);
        libc::dup2(null.as_raw_fd(), 1);
        libc::dup2(log.as_raw_fd(), 2);
    }
    // SAFETY: fds[1] is ours.
    Ok(unsafe { std::fs::File::from_raw_fd(fds[1]) })
}
