//! Describing a test Samba (users, shares, `[global]` options) and starting it.

use std::fs;
use std::io::{self, Write};
use std::net::Ipv4Addr;
use std::os::unix::fs::{PermissionsExt, chown};
use std::path::Path;
use std::process::{Command, Stdio};

use crate::config::{self, Paths};
use crate::port::free_port;
use crate::samba::{Samba, Server, StartError};
use crate::share::{Share, check_line};
use crate::users::{ensure_system_user, lookup};
use crate::workdir::WorkDir;

/// How many ports `start` tries when another process takes the chosen one first.
const PORT_ATTEMPTS: usize = 5;

/// A test Samba to be: its users, shares and extra `[global]` lines. [`start`](Self::start)
/// makes it real.
///
/// ```no_run
/// use wnet_testkit::{SambaBuilder, Share};
///
/// let samba = SambaBuilder::new()
///     .user("wnettest", "wnet-Pa55")
///     .share(Share::new("signed").file("a.txt", "A"))
///     .global("server signing", "mandatory")
///     .start()?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct SambaBuilder {
    users: Vec<(String, String)>,
    shares: Vec<Share>,
    globals: Vec<(String, String)>,
    port: Option<u16>,
    address: Option<Ipv4Addr>,
}

impl SambaBuilder {
    /// A server with no users, no shares and the kit's `[global]` defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an SMB user, valid on every share; the system user is created if missing. The first
    /// user added is the server's default user ([`Samba::user`]). Adding a name again replaces
    /// its password.
    pub fn user(mut self, name: &str, password: &str) -> Self {
        match self.users.iter_mut().find(|(n, _)| n == name) {
            Some(user) => user.1 = password.to_owned(),
            None => self.users.push((name.to_owned(), password.to_owned())),
        }
        self
    }

    /// Adds a share.
    pub fn share(mut self, share: Share) -> Self {
        self.shares.push(share);
        self
    }

    /// Adds the `[global]` line `key = value`, or replaces the kit's default for `key`
    /// (e.g. `("server signing", "mandatory")`, `("smb encrypt", "required")`,
    /// `("server max protocol", "SMB2_10")`).
    pub fn global(mut self, key: &str, value: &str) -> Self {
        self.globals.push((key.to_owned(), value.to_owned()));
        self
    }

    /// Listens on `port` instead of a [`free_port`]; `start` then fails, rather than moving to
    /// another port, if something else holds it.
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// Listens on the loopback `address` (any of 127.0.0.0/8) instead of 127.0.0.1, so that
    /// several servers can share one port (445, as DFS targets must) on different addresses.
    /// Written `interfaces = ADDRESS/8`: Samba 4.17 finds no interface for a `/32`.
    pub fn address(mut self, address: Ipv4Addr) -> Self {
        self.address = Some(address);
        self
    }

    /// Creates the temporary directory, the `smb.conf`, the share directories and their files,
    /// the users (system and SMB), starts `smbd` and waits until it listens (at most 20 s).
    ///
    /// # Errors
    ///
    /// * `InvalidInput`: no user, a duplicate or unusable share name, an option or password that
    ///   cannot be one line.
    /// * `NotFound`: `/usr/sbin/smbd` or `smbpasswd` is missing (install `samba`; `.ci/run` does).
    /// * `TimedOut`: smbd did not listen within the bound.
    /// * Other: `useradd`/`smbpasswd` failed, or smbd exited during start-up; the message holds
    ///   the tail of its log.
    pub fn start(self) -> io::Result<Samba> {
        self.validate()?;
        for (name, _) in &self.users {
            ensure_system_user(name)?;
        }
        let dir = WorkDir::create()?;
        let paths = Paths {
            root: dir.path().to_path_buf(),
        };
        // 0755 down to every share (the root is 0755 too): a share under a 0700 directory is
        // unreadable for a non-root `force user`.
        for (key, path) in paths.state_dirs() {
            fs::create_dir_all(&path)?;
            set_mode(&path, if key == "private dir" { 0o700 } else { 0o755 })?;
        }
        fs::create_dir_all(paths.log_dir())?;
        fs::create_dir_all(paths.root.join("shares"))?;
        set_mode(&paths.root.join("shares"), 0o755)?;

        let user_names: Vec<String> = self.users.iter().map(|(n, _)| n.clone()).collect();
        let mut sections = Vec::new();
        for share in &self.shares {
            let section = config::share(&paths, share, &user_names);
            prepare_share_dir(&paths, share, section.get("force user"))?;
            sections.push((share.name.clone(), section));
        }

        let mut globals = Vec::new();
        if self.shares.iter().any(|s| s.printer) {
            // smbd opens a print job over spoolss (OpenPrinter, StartDocPrinter): a print share
            // needs it served. The caller's own lines still win.
            globals.push(("disable spoolss".to_owned(), "no".to_owned()));
        }
        globals.extend(self.globals.iter().cloned());
        let mut port = self.port.unwrap_or_else(free_port);
        let host = self
            .address
            .map_or(crate::samba::HOST.to_owned(), |a| a.to_string());
        let mut globals = self.globals.clone();
        if let Some(address) = self.address {
            globals.insert(0, ("interfaces".to_owned(), format!("{address}/8")));
        }
        let write_conf = |port: u16| {
            let global = config::global(&paths, port, &globals);
            fs::write(paths.conf(), config::render(&global, &sections))
        };
        write_conf(port)?;
        for (name, password) in &self.users {
            add_smb_user(&paths.conf(), name, password)?;
        }
        let mut attempt = 1;
        let server = loop {
            match Server::spawn(&paths, port) {
                Ok(server) => break server,
                Err(StartError::PortTaken(_)) if self.port.is_none() && attempt < PORT_ATTEMPTS => {
                    attempt += 1;
                    port = free_port();
                    write_conf(port)?;
                }
                Err(e) => return Err(e.into()),
            }
        };
        Ok(Samba::new(
            dir,
            paths,
            host,
            port,
            self.users,
            self.shares.into_iter().map(|s| s.name).collect(),
            server,
        ))
    }

    fn validate(&self) -> io::Result<()> {
        let invalid = |m: String| io::Error::new(io::ErrorKind::InvalidInput, m);
        if self.users.is_empty() {
            return Err(invalid("a test Samba needs at least one user".into()));
        }
        for (name, password) in &self.users {
            if password.is_empty() || password.chars().any(|c| c.is_control()) {
                return Err(invalid(format!("unusable password for {name:?}")));
            }
        }
        for (key, value) in &self.globals {
            check_line(key, value)?;
        }
        for (i, share) in self.shares.iter().enumerate() {
            share.validate()?;
            let same = |other: &Share| other.name.eq_ignore_ascii_case(&share.name);
            if self.shares[..i].iter().any(same) {
                return Err(invalid(format!("share {:?} given twice", share.name)));
            }
        }
        Ok(())
    }
}

/// Creates the share directory and its seeded files; hands it to a non-root `force user`.
fn prepare_share_dir(paths: &Paths, share: &Share, force_user: Option<&str>) -> io::Result<()> {
    let dir = paths.share_dir(&share.name);
    fs::create_dir_all(&dir)?;
    if share.printer {
        // The spool directory smbd writes jobs into as the user, and where the print command
        // leaves them.
        set_mode(&dir, 0o1777)?;
        let printed = paths.printed_dir(&share.name);
        fs::create_dir_all(&printed)?;
        set_mode(&printed, 0o1777)?;
        return Ok(());
    }
    set_mode(&dir, 0o755)?;
    for (path, contents) in &share.files {
        let file = dir.join(path);
        if let Some(parent) = file.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(&file, contents)?;
    }
    let owner = force_user
        .map(str::trim)
        .filter(|u| !u.is_empty() && *u != "root");
    if let Some(owner) = owner {
        ensure_system_user(owner)?;
        let account = lookup(owner)?.ok_or_else(|| io::Error::other(format!("no user {owner}")))?;
        chown_tree(&dir, account.uid, account.gid)?;
    }
    Ok(())
}

fn chown_tree(path: &Path, uid: u32, gid: u32) -> io::Result<()> {
    chown(path, Some(uid), Some(gid))?;
    if fs::symlink_metadata(path)?.is_dir() {
        for entry in fs::read_dir(path)? {
            chown_tree(&entry?.path(), uid, gid)?;
        }
    }
    Ok(())
}

fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
}

/// `smbpasswd -c CONF -s -a NAME`, the password twice on stdin.
fn add_smb_user(conf: &Path, name: &str, password: &str) -> io::Result<()> {
    let mut child = Command::new("smbpasswd")
        // Like smbd: never a winbindd someone else runs (an AD DC on this machine).
        .env("_NO_WINBINDD", "1")
        .arg("-c")
        .arg(conf)
        .args(["-s", "-a", name])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| io::Error::new(e.kind(), format!("smbpasswd (package samba): {e}")))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(format!("{password}\n{password}\n").as_bytes())?;
    }
    let out = child.wait_with_output()?;
    if !out.status.success() {
        return Err(io::Error::other(format!(
            "smbpasswd -a {name}: {}: {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout).trim(),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(())
}
