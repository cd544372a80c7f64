//! CPU time spent by the daemon and by the server during a run, from `/proc`: what says
//! whether a row is limited by the client, the server, or the machine's two cores.

use std::collections::HashMap;
use std::fs;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Clock ticks per second of `/proc/*/stat` (`sysconf(_SC_CLK_TCK)`).
fn ticks_per_second() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if t > 0 { t as f64 } else { 100.0 }
}

/// `(ppid, user + system ticks)` of process `pid` (threads included), if it exists.
fn stat(pid: u32) -> Option<(u32, u64)> {
    let s = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may hold spaces: fields start after the last ')'.
    let rest = &s[s.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split(' ').collect();
    // After the name: state(0) ppid(1) ... utime(11) stime(12).
    let ppid = f.get(1)?.parse().ok()?;
    let field = |i: usize| f.get(i)?.parse::<u64>().ok();
    Some((ppid, field(11)? + field(12)?))
}

/// CPU seconds used so far by `pid`.
pub fn process(pid: u32) -> f64 {
    stat(pid).map_or(0.0, |(_, t)| t as f64 / ticks_per_second())
}

/// CPU seconds used so far by the programs this process ran and reaped (`smbclient`).
pub fn reaped_children() -> f64 {
    // SAFETY: getrusage fills the struct it is given; a zeroed rusage is a valid value.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `u` is a valid, writable rusage.
    if unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut u) } != 0 {
        return 0.0;
    }
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(u.ru_utime) + secs(u.ru_stime)
}

/// Ticks used so far by each live child of `main`.
fn children(main: u32) -> HashMap<u32, u64> {
    let mut out = HashMap::new();
    if let Ok(dir) = fs::read_dir("/proc") {
        for e in dir.flatten() {
            let Some(pid) = e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
                continue;
            };
            if let Some((ppid, t)) = stat(pid)
                && ppid == main
            {
                out.insert(pid, t);
            }
        }
    }
    out
}

/// The 1-minute load average.
pub fn load() -> String {
    fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split(' ').next().map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}

/// CPU seconds of the client process (the daemon, the benchmark for the engine, or the
/// `smbclient` it ran) and of the server, read before and after a run.
///
/// smbd serves each connection in a child process, and `smbclient`'s exits with it: its time
/// cannot be read after the run (smbd does not collect its children's times in `cutime`
/// reliably here), so a thread samples smbd's children every 10 ms during the run and keeps
/// the last figure of each (a child that exits loses at most its last 10 ms).
pub struct Usage {
    daemon: f64,
    server_own: u64,
    /// Ticks of each child of smbd when the run started.
    server_children: HashMap<u32, u64>,
    stop: Arc<AtomicBool>,
    sampler: Option<std::thread::JoinHandle<HashMap<u32, u64>>>,
}

impl Usage {
    /// Now, for the daemon `daemon` (0: the programs this process runs and reaps) and the
    /// server whose main process is `server`; starts sampling the server's children.
    pub fn now(daemon: u32, server: u32) -> Usage {
        let server_children = children(server);
        let stop = Arc::new(AtomicBool::new(false));
        let sampler = {
            let stop = stop.clone();
            let mut last = server_children.clone();
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    last.extend(children(server));
                    std::thread::sleep(Duration::from_millis(10));
                }
                last.extend(children(server));
                last
            })
        };
        Usage {
            daemon: Self::client(daemon),
            server_own: stat(server).map_or(0, |(_, t)| t),
            server_children,
            stop,
            sampler: Some(sampler),
        }
    }

    fn client(daemon: u32) -> f64 {
        if daemon == 0 {
            reaped_children()
        } else {
            process(daemon)
        }
    }

    /// "WHO X s, smbd Y s CPU" since `self`.
    pub fn since(mut self, who: &str, daemon: u32, server: u32) -> String {
        self.stop.store(true, Ordering::Relaxed);
        let last = self
            .sampler
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default();
        let own = stat(server).map_or(0, |(_, t)| t) - self.server_own;
        let kids: u64 = last
            .iter()
            .map(|(pid, t)| t - self.server_children.get(pid).copied().unwrap_or(0).min(*t))
            .sum();
        format!(
            "{who} {:.2}s, smbd {:.2}s CPU",
            Self::client(daemon) - self.daemon,
            (own + kids) as f64 / ticks_per_second()
        )
    }
}

impl Drop for Usage {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.sampler.take() {
            let _ = h.join();
        }
    }
}
