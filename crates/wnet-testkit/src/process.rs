//! Processes by identity: a pid together with its start time, so a recycled pid is never
//! signalled; process trees from `/proc`; bounded waits.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::thread;
use std::time::{Duration, Instant};

/// How often bounded waits look again.
pub(crate) const POLL: Duration = Duration::from_millis(20);

/// One process: its pid and its start time (clock ticks after boot, `/proc/PID/stat` field 22).
///
/// Invariant: every method checks the start time first, so a `Proc` whose process has exited
/// never touches a newer process that got the same pid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Proc {
    pub(crate) pid: u32,
    start: u64,
}

/// The fields of `/proc/PID/stat` we use.
struct Stat {
    state: char,
    ppid: u32,
    start: u64,
}

fn stat(pid: u32) -> Option<Stat> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // `comm` (field 2) is in parentheses and may itself hold spaces and parentheses.
    let rest = text.get(text.rfind(')')? + 1..)?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // fields[0] is field 3 (state), so field N is fields[N - 3].
    Some(Stat {
        state: fields.first()?.chars().next()?,
        ppid: fields.get(1)?.parse().ok()?,
        start: fields.get(19)?.parse().ok()?,
    })
}

impl Proc {
    /// The process now running as `pid`, if any.
    pub(crate) fn of(pid: u32) -> Option<Proc> {
        stat(pid).map(|s| Proc {
            pid,
            start: s.start,
        })
    }

    /// True while the process exists and has not exited (a zombie counts as gone: it holds no
    /// sockets and runs no code).
    pub(crate) fn is_alive(&self) -> bool {
        // Z (zombie) and X/x (dead, being reaped: shows for an instant) are both gone.
        matches!(stat(self.pid), Some(s) if s.start == self.start && !matches!(s.state, 'Z' | 'X' | 'x'))
    }

    /// Sends `signal` if the process is still this one; false if it is gone.
    pub(crate) fn signal(&self, signal: libc::c_int) -> bool {
        if !self.is_alive() {
            return false;
        }
        let Ok(pid) = libc::pid_t::try_from(self.pid) else {
            return false;
        };
        // SAFETY: kill(2) takes plain integers; the identity check above makes the pid ours
        // (a pid is recycled only after its zombie is reaped, a window of microseconds).
        unsafe { libc::kill(pid, signal) == 0 }
    }

    /// Its direct children that are alive now.
    pub(crate) fn children(&self) -> Vec<Proc> {
        let table = table();
        if !self.is_alive() {
            return Vec::new();
        }
        table
            .get(&self.pid)
            .map(|kids| kids.to_vec())
            .unwrap_or_default()
    }

    /// All its descendants alive now, parents before children.
    pub(crate) fn descendants(&self) -> Vec<Proc> {
        let table = table();
        if !self.is_alive() {
            return Vec::new();
        }
        let mut out = Vec::new();
        let mut seen = HashSet::from([self.pid]);
        let mut next = vec![self.pid];
        while let Some(pid) = next.pop() {
            for kid in table.get(&pid).into_iter().flatten() {
                if seen.insert(kid.pid) {
                    out.push(*kid);
                    next.push(kid.pid);
                }
            }
        }
        out
    }

    /// Inodes of the sockets among its open file descriptors.
    pub(crate) fn socket_inodes(&self) -> HashSet<u64> {
        let mut inodes = HashSet::new();
        let Ok(fds) = fs::read_dir(format!("/proc/{}/fd", self.pid)) else {
            return inodes;
        };
        for fd in fds.flatten() {
            let Ok(target) = fs::read_link(fd.path()) else {
                continue;
            };
            let target = target.to_string_lossy();
            let inode = target
                .strip_prefix("socket:[")
                .and_then(|t| t.strip_suffix(']'))
                .and_then(|t| t.parse().ok());
            if let Some(inode) = inode {
                inodes.insert(inode);
            }
        }
        // The fds may have been another process's if the pid was recycled meanwhile.
        if !self.is_alive() {
            inodes.clear();
        }
        inodes
    }

    /// Its command line, arguments separated by NUL bytes; empty once it is gone.
    pub(crate) fn cmdline(&self) -> Vec<u8> {
        let line = fs::read(format!("/proc/{}/cmdline", self.pid)).unwrap_or_default();
        if self.is_alive() { line } else { Vec::new() }
    }
}

/// Every live process, grouped by parent pid.
fn table() -> HashMap<u32, Vec<Proc>> {
    let mut by_parent: HashMap<u32, Vec<Proc>> = HashMap::new();
    let Ok(entries) = fs::read_dir("/proc") else {
        return by_parent;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse().ok()) else {
            continue;
        };
        if let Some(s) = stat(pid) {
            if s.state != 'Z' {
                let proc = Proc {
                    pid,
                    start: s.start,
                };
                by_parent.entry(s.ppid).or_default().push(proc);
            }
        }
    }
    by_parent
}

/// Waits until none of `procs` is alive; false if some still are after `bound`.
pub(crate) fn wait_gone(procs: &[Proc], bound: Duration) -> bool {
    let deadline = Instant::now() + bound;
    loop {
        if procs.iter().all(|p| !p.is_alive()) {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        thread::sleep(POLL);
    }
}

/// Ends `procs`: SIGTERM, up to `bound` to exit, then SIGKILL for the rest (bounded again).
/// Returns false if something survived even SIGKILL (e.g. stuck in the kernel).
pub(crate) fn terminate(procs: &[Proc], bound: Duration) -> bool {
    for p in procs {
        p.signal(libc::SIGTERM);
    }
    if wait_gone(procs, bound) {
        return true;
    }
    for p in procs {
        p.signal(libc::SIGKILL);
    }
    wait_gone(procs, bound)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::{Command, Stdio};

    #[test]
    fn a_tree_is_found_and_terminated() {
        // sh → sleep; the shell waits so that sleep stays its child.
        let mut sh = Command::new("sh")
            .args(["-c", "sleep 30 & wait"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let me = Proc::of(sh.id()).unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        // The child shows up at fork, still running `sh` until it execs `sleep`.
        let is_sleep = |p: &Proc| p.cmdline().starts_with(b"sleep\0");
        while !me.children().iter().any(is_sleep) && Instant::now() < deadline {
            thread::sleep(POLL);
        }
        let kids = me.descendants();
        assert_eq!(kids.len(), 1, "{kids:?}");
        assert!(is_sleep(&kids[0]));
        assert!(terminate(&kids, Duration::from_secs(5)));
        assert!(!kids[0].is_alive());
        assert!(
            !kids[0].signal(libc::SIGKILL),
            "a gone process is not signalled"
        );
        sh.wait().unwrap();
        assert!(!me.is_alive());
    }

    #[test]
    fn comm_with_parentheses_and_spaces_parses() {
        // Our own stat line parses, whatever the test binary is called.
        let me = Proc::of(std::process::id()).unwrap();
        assert!(me.is_alive());
        assert!(!me.socket_inodes().contains(&0));
    }
}
