//! CPU time spent by the daemon and by the server during a run, from `/proc`: what says
//! whether a row is limited by the client, the server, or the machine's two cores.

use std::fs;

/// Clock ticks per second of `/proc/*/stat` (`sysconf(_SC_CLK_TCK)`).
fn ticks_per_second() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if t > 0 { t as f64 } else { 100.0 }
}

/// `(ppid, user + system ticks, ticks of its reaped children)` of process `pid` (threads
/// included), if it exists.
fn stat(pid: u32) -> Option<(u32, u64, u64)> {
    let s = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may hold spaces: fields start after the last ')'.
    let rest = &s[s.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split(' ').collect();
    // After the name: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14).
    let ppid = f.get(1)?.parse().ok()?;
    let field = |i: usize| f.get(i)?.parse::<u64>().ok();
    Some((ppid, field(11)? + field(12)?, field(13)? + field(14)?))
}

/// CPU seconds used so far by `pid`.
pub fn process(pid: u32) -> f64 {
    stat(pid).map_or(0.0, |(_, t, _)| t as f64 / ticks_per_second())
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

/// CPU seconds used so far by `main` and its children, live or exited and reaped (smbd forks
/// one per client connection: `smbclient`'s exits with it).
pub fn with_children(main: u32) -> f64 {
    children(main).0
}

/// [`with_children`], and the pids of the live (or not yet reaped) children.
fn children(main: u32) -> (f64, Vec<u32>) {
    let mut ticks = stat(main).map_or(0, |(_, t, reaped)| t + reaped);
    let mut pids = Vec::new();
    if let Ok(dir) = fs::read_dir("/proc") {
        for e in dir.flatten() {
            let Some(pid) = e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
                continue;
            };
            if let Some((ppid, t, _)) = stat(pid)
                && ppid == main
            {
                ticks += t;
                pids.push(pid);
            }
        }
    }
    (ticks as f64 / ticks_per_second(), pids)
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
pub struct Usage {
    daemon: f64,
    server: f64,
    /// The server's children then: one that appears later (an `smbclient` connection's)
    /// is waited for until it has exited and been reaped, so that its time is all counted.
    server_children: Vec<u32>,
}

impl Usage {
    /// Now, for the daemon `daemon` (0: the programs this process ran and reaped) and the
    /// server whose main process is `server`.
    pub fn now(daemon: u32, server: u32) -> Usage {
        let (server_secs, server_children) = children(server);
        Usage {
            daemon: if daemon == 0 {
                reaped_children()
            } else {
                process(daemon)
            },
            server: server_secs,
            server_children,
        }
    }

    /// "WHO X s, smbd Y s CPU" since `self` (smbd's children that exited in between count:
    /// the kernel adds them to smbd's reaped-children time).
    pub fn since(self, who: &str, daemon: u32, server: u32) -> String {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        let mut now = Usage::now(daemon, server);
        while now
            .server_children
            .iter()
            .any(|p| !self.server_children.contains(p))
            && std::time::Instant::now() < deadline
        {
            // Polling, not synchronisation: the figure is a report, and a child still alive
            // at the deadline is counted as far as it got.
            std::thread::sleep(std::time::Duration::from_millis(20));
            now = Usage::now(daemon, server);
        }
        format!(
            "{who} {:.2}s, smbd {:.2}s CPU",
            now.daemon - self.daemon,
            now.server - self.server
        )
    }
}
