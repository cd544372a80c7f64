//! Waiting for a server child to listen: the one start-up loop of the HTTP servers.

use std::io;
use std::process::Child;
use std::thread;
use std::time::{Duration, Instant};

use crate::process::Proc;
use crate::socket::{LISTEN, inodes_on_port};

/// Waits until `child` (whose process is `proc`) listens on `port`, within `bound`. Errors:
/// the child exited (with `logs()` appended), or the bound passed.
pub(crate) fn wait_listening(
    what: &str,
    child: &mut Child,
    proc: Option<Proc>,
    port: u16,
    bound: Duration,
    logs: impl Fn() -> String,
) -> io::Result<()> {
    let deadline = Instant::now() + bound;
    loop {
        if let Some(status) = child.try_wait()? {
            return Err(io::Error::other(format!(
                "{what} exited during start-up ({status}):\n{}",
                logs()
            )));
        }
        let mine = proc.map(|p| p.socket_inodes()).unwrap_or_default();
        if inodes_on_port(port, LISTEN)
            .iter()
            .any(|i| mine.contains(i))
        {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("{what} did not listen within {bound:?}:\n{}", logs()),
            ));
        }
        thread::sleep(Duration::from_millis(20));
    }
}
