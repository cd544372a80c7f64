//! [`RcloneDav`]: `rclone serve webdav`, a second WebDAV server independent of Apache (Go's
//! `x/net/webdav`), on a free loopback port, so the WebDAV client is not tuned to one
//! server's quirks (ADR 0018).
//!
//! Plain HTTP, no authentication or Basic with [`DAV_USER`](crate::DAV_USER) /
//! [`DAV_PASSWORD`](crate::DAV_PASSWORD). The served directory is a temporary one; the server
//! is stopped and the directory removed on drop.

use std::fs;
use std::io;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::port::free_port;
use crate::process::{self, Proc};
use crate::workdir::WorkDir;
use crate::{DAV_PASSWORD, DAV_USER};

const RCLONE: &str = "/usr/bin/rclone";
const START_BOUND: Duration = Duration::from_secs(20);
const STOP_BOUND: Duration = Duration::from_secs(10);

/// A running `rclone serve webdav` serving one directory at `/`.
#[derive(Debug)]
pub struct RcloneDav {
    port: u16,
    root: PathBuf,
    child: Option<Child>,
    proc: Option<Proc>,
    dir: Option<WorkDir>,
}

impl RcloneDav {
    /// Starts `rclone serve webdav` on `127.0.0.1`; with `basic`, only [`DAV_USER`] with
    /// [`DAV_PASSWORD`] may use it (HTTP Basic).
    ///
    /// Panics with the reason (rclone missing, no listen in time): a test cannot go on
    /// without its server.
    pub fn start(basic: bool) -> RcloneDav {
        match Self::try_start(basic) {
            Ok(r) => r,
            Err(e) => panic!("wnet-testkit: cannot start rclone serve webdav: {e}"),
        }
    }

    fn try_start(basic: bool) -> io::Result<RcloneDav> {
        if !Path::new(RCLONE).exists() {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("{RCLONE} is missing: install the Debian package rclone (.ci/run does)"),
            ));
        }
        let dir = WorkDir::create()?;
        let base = dir.path().to_path_buf();
        let root = base.join("dav");
        fs::create_dir(&root)?;
        let port = free_port();
        let log = base.join("rclone.log");
        let mut cmd = Command::new(RCLONE);
        cmd.process_group(0)
            // No directory cache: a file a test writes on the served disk shows in the next
            // PROPFIND (by default rclone's VFS answers from a 5-minute-old listing, and
            // even refuses to DELETE a directory it has not listed yet).
            .args([
                "serve",
                "webdav",
                "--config",
                "/dev/null",
                "--dir-cache-time",
                "0s",
            ])
            .arg("--addr")
            .arg(format!("127.0.0.1:{port}"))
            .arg(&root)
            .stdin(Stdio::null())
            .stdout(fs::File::create(&log)?)
            .stderr(fs::File::create(base.join("rclone.stderr"))?);
        if basic {
            cmd.args(["--user", DAV_USER, "--pass", DAV_PASSWORD]);
        }
        let mut child = cmd.spawn()?;
        let proc = Proc::of(child.id());
        let logs = || fs::read_to_string(base.join("rclone.stderr")).unwrap_or_default();
        if let Err(e) = crate::listen::wait_listening(
            "rclone serve webdav",
            &mut child,
            proc,
            port,
            START_BOUND,
            logs,
        ) {
            let _ = child.kill();
            let _ = child.wait();
            return Err(e);
        }
        Ok(RcloneDav {
            port,
            root,
            child: Some(child),
            proc,
            dir: Some(dir),
        })
    }

    /// The TCP port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's root URL: `http://127.0.0.1:PORT/`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    /// The WebClient UNC name of the server root: `\\127.0.0.1@PORT\DavWWWRoot`.
    pub fn unc(&self) -> String {
        format!(r"\\127.0.0.1@{}\DavWWWRoot", self.port)
    }

    /// The served directory on disk (tests may seed it).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Stops rclone (SIGTERM, then SIGKILL after a bound) and reaps it.
    pub fn stop(&mut self) {
        if let Some(proc) = self.proc.take() {
            process::terminate(&[proc], STOP_BOUND);
        }
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for RcloneDav {
    fn drop(&mut self) {
        self.stop();
        if let Some(dir) = self.dir.take() {
            let _ = dir.close();
        }
    }
}
