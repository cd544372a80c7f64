//! CPU time spent by the daemon and by the server during a run, from `/proc`: what says
//! whether a row is limited by the client, the server, or the machine's two cores.

use std::fs;

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
    let ticks = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some((ppid, ticks))
}

/// CPU seconds used so far by `pid`.
pub fn process(pid: u32) -> f64 {
    stat(pid).map_or(0.0, |(_, t)| t as f64 / ticks_per_second())
}

/// CPU seconds used so far by `main` and its live children (smbd forks one per client).
pub fn with_children(main: u32) -> f64 {
    let mut ticks = stat(main).map_or(0, |(_, t)| t);
    if let Ok(dir) = fs::read_dir("/proc") {
        for e in dir.flatten() {
            let Some(pid) = e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
                continue;
            };
            if let Some((ppid, t)) = stat(pid)
                && ppid == main
            {
                ticks += t;
            }
        }
    }
    ticks as f64 / ticks_per_second()
}

/// The 1-minute load average.
pub fn load() -> String {
    fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split(' ').next().map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}

/// CPU seconds of the client process (the daemon, or the benchmark for the engine) and of
/// the server, read before and after a run.
#[derive(Clone, Copy)]
pub struct Usage {
    daemon: f64,
    server: f64,
}

impl Usage {
    /// Now, for the daemon `daemon` and the server whose main process is `server`.
    pub fn now(daemon: u32, server: u32) -> Usage {
        Usage {
            daemon: process(daemon),
            server: with_children(server),
        }
    }

    /// "WHO X s, smbd Y s CPU" since `self` (a child of smbd that exited in between is
    /// not counted: clients of the measured side stay connected).
    pub fn since(self, who: &str, daemon: u32, server: u32) -> String {
        let now = Usage::now(daemon, server);
        format!(
            "{who} {:.2}s, smbd {:.2}s CPU",
            now.daemon - self.daemon,
            now.server - self.server
        )
    }
}
