//! The private `smb.conf` of one test Samba: the kit's defaults, the caller's overrides, rendering.

use std::path::{Path, PathBuf};

use crate::share::Share;

/// Where one instance keeps everything; all paths are inside its temporary directory.
#[derive(Debug, Clone)]
pub(crate) struct Paths {
    /// The temporary directory itself (mode 0755, see `builder.rs`).
    pub(crate) root: PathBuf,
}

impl Paths {
    pub(crate) fn conf(&self) -> PathBuf {
        self.root.join("smb.conf")
    }
    pub(crate) fn log_dir(&self) -> PathBuf {
        self.root.join("log")
    }
    pub(crate) fn pid_dir(&self) -> PathBuf {
        self.root.join("run")
    }
    pub(crate) fn share_dir(&self, share: &str) -> PathBuf {
        self.root.join("shares").join(share)
    }
    /// Where the print command of print share `share` leaves the jobs.
    pub(crate) fn printed_dir(&self, share: &str) -> PathBuf {
        self.root.join("printed").join(share)
    }
    /// Directories smbd keeps state in, each named in `[global]`.
    pub(crate) fn state_dirs(&self) -> [(&'static str, PathBuf); 6] {
        [
            ("private dir", self.root.join("private")),
            ("state directory", self.root.join("state")),
            ("lock directory", self.root.join("lock")),
            ("cache directory", self.root.join("cache")),
            ("pid directory", self.pid_dir()),
            ("ncalrpc dir", self.root.join("ncalrpc")),
        ]
    }
}

/// An ordered list of `key = value` lines in which a later key replaces an earlier one.
#[derive(Debug, Clone, Default)]
pub(crate) struct Section {
    lines: Vec<(String, String)>,
}

impl Section {
    /// Sets `key`, replacing a line with the same key in place (Samba ignores case, spaces and
    /// underscores in keys, so `Server Signing` replaces `server signing`).
    pub(crate) fn set(&mut self, key: &str, value: impl Into<String>) {
        let value = value.into();
        let norm = normalize(key);
        match self.lines.iter_mut().find(|(k, _)| normalize(k) == norm) {
            Some(line) => line.1 = value,
            None => self.lines.push((key.to_owned(), value)),
        }
    }

    /// The value of `key`, if set.
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        let norm = normalize(key);
        self.lines
            .iter()
            .find(|(k, _)| normalize(k) == norm)
            .map(|(_, v)| v.as_str())
    }

    fn render(&self, name: &str, out: &mut String) {
        out.push_str(&format!("[{name}]\n"));
        for (k, v) in &self.lines {
            out.push_str(&format!("\t{k} = {v}\n"));
        }
        out.push('\n');
    }
}

fn normalize(key: &str) -> String {
    key.chars()
        .filter(|c| !c.is_whitespace() && *c != '_')
        .flat_map(char::to_lowercase)
        .collect()
}

/// The `[global]` section: a private, loopback-only, printer-less standalone server.
pub(crate) fn global(paths: &Paths, port: u16, overrides: &[(String, String)]) -> Section {
    let mut s = Section::default();
    s.set("server role", "standalone server");
    s.set("workgroup", "WORKGROUP");
    // Loopback only, on our own port, no NetBIOS (nmbd is never started).
    s.set("smb ports", port.to_string());
    s.set("interfaces", "127.0.0.1");
    s.set("bind interfaces only", "yes");
    s.set("disable netbios", "yes");
    s.set("server min protocol", "SMB2_10");
    // Nothing shared with the system's Samba or with other instances.
    for (key, dir) in paths.state_dirs() {
        s.set(key, path_value(&dir));
    }
    s.set("log file", path_value(&paths.log_dir().join("smbd.log")));
    s.set("max log size", "0");
    // A panic (e.g. the port was taken) must not leave core files in the log directory.
    s.set("enable core files", "no");
    s.set("passdb backend", "tdbsam");
    s.set("obey pam restrictions", "no");
    s.set("unix password sync", "no");
    s.set("map to guest", "never");
    // No printers, no spoolss, no background queue daemon.
    s.set("load printers", "no");
    s.set("printing", "bsd");
    s.set("printcap name", "/dev/null");
    s.set("disable spoolss", "yes");
    s.set("usershare max shares", "0");
    for (k, v) in overrides {
        s.set(k, v.clone());
    }
    s
}

/// One share section with the kit's defaults, then the share's own options.
pub(crate) fn share(paths: &Paths, share: &Share, users: &[String]) -> Section {
    let mut s = Section::default();
    s.set("path", path_value(&paths.share_dir(&share.name)));
    s.set("read only", if share.read_only { "yes" } else { "no" });
    s.set("browseable", "yes");
    // Durable handles are granted only without POSIX/kernel locking and kernel oplocks.
    s.set("posix locking", "no");
    s.set("kernel share modes", "no");
    s.set("kernel oplocks", "no");
    // FLUSH reaches the disk (fsync): what a client flushed is on disk when FLUSH returns.
    s.set("strict sync", "yes");
    s.set("create mask", "0644");
    s.set("directory mask", "0755");
    if !users.is_empty() {
        s.set("valid users", users.join(" "));
    }
    // Every kit user sees and may change every file, whoever created it, and tests can prepare
    // files in the share directory as root without handing them over.
    s.set("force user", "root");
    if share.printer {
        // spoolss checks `valid users` against the spooling user's own name: jobs are spooled
        // as the user who logged on (into the 1777 spool directory), never as a forced root.
        s.set("force user", "");
        // A print share without CUPS (FIELD-NOTES "Printing without CUPS"): smbd runs the print
        // command in the spool directory with %s the spool file's name; the job is copied
        // under a dot name and renamed, so a job file in the printed directory is always whole.
        let printed = path_value(&paths.printed_dir(&share.name));
        s.set("printable", "yes");
        s.set(
            "print command",
            format!(
                "/bin/sh -c 'cp %s {printed}/.%s.part && mv {printed}/.%s.part {printed}/%s && rm -f %s'"
            ),
        );
        s.set("lpq command", "/bin/true");
        s.set("lprm command", "/bin/true");
        s.set("lppause command", "/bin/true");
        s.set("lpresume command", "/bin/true");
        s.set("queuepause command", "/bin/true");
        s.set("queueresume command", "/bin/true");
    }
    for (k, v) in &share.options {
        s.set(k, v.clone());
    }
    s
}

/// The whole file.
pub(crate) fn render(global: &Section, shares: &[(String, Section)]) -> String {
    let mut out = String::from("# Written by wnet-testkit for one test Samba; do not share.\n\n");
    global.render("global", &mut out);
    for (name, section) in shares {
        section.render(name, &mut out);
    }
    out
}

fn path_value(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_override_replaces_the_default_line_in_place() {
        let paths = Paths {
            root: PathBuf::from("/t"),
        };
        let overrides = vec![("Server_Signing".to_owned(), "mandatory".to_owned())];
        let mut g = global(&paths, 4455, &overrides);
        g.set("Map To Guest", "bad user");
        assert_eq!(g.get("server signing"), Some("mandatory"));
        assert_eq!(g.get("map to guest"), Some("bad user"));
        let text = render(&g, &[]);
        assert_eq!(text.matches("uest =").count(), 1, "{text}");
        assert!(text.contains("\tsmb ports = 4455\n"), "{text}");
        assert!(text.contains("\tlock directory = /t/lock\n"), "{text}");
    }

    #[test]
    fn share_options_win_over_share_defaults() {
        let paths = Paths {
            root: PathBuf::from("/t"),
        };
        let sh = Share::new("rw").option("force user", "wnettest");
        let s = share(&paths, &sh, &["a".to_owned(), "b".to_owned()]);
        assert_eq!(s.get("force_user"), Some("wnettest"));
        assert_eq!(s.get("valid users"), Some("a b"));
        assert_eq!(s.get("path"), Some("/t/shares/rw"));
        assert_eq!(s.get("read only"), Some("no"));
    }
}
