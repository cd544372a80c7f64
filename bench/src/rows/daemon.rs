//! A real `wnetd` process for the benchmark: its own directories, a client on its socket,
//! drives mapped through it, and its resident set read from `/proc`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use wnet_core::ConnectFlags;
use wnet_proto::{AddConnectionArgs, Client, Paths, Reply, Request};
use wnet_testkit::{DEFAULT_PASSWORD, DEFAULT_USER};

use crate::peers::wait_until;

/// A `wnetd` child (foreground, `RUST_LOG=warn`, log in its state directory). Dropping it
/// sends SIGTERM (the daemon unmounts its drives) and waits for it.
pub struct DaemonProcess {
    child: Child,
    /// Its directories (`Paths::under` the base given to [`DaemonProcess::start`]).
    pub paths: Paths,
    client: Client,
}

impl DaemonProcess {
    /// Starts `wnetd` (found like `wnet` finds it: `$WNETD`, else beside this executable)
    /// with every directory under `base`, and connects to it.
    ///
    /// # Panics
    ///
    /// When no `wnetd` is found (build it: `cargo build --release -p wnetd`) or it does not
    /// serve its socket within 30 s.
    pub fn start(base: &Path) -> DaemonProcess {
        Self::start_with(base, wnet_core::Settings::default())
    }

    /// [`DaemonProcess::start`] with the profile's `settings` written first (the daemon reads
    /// them at start).
    pub fn start_with(base: &Path, settings: wnet_core::Settings) -> DaemonProcess {
        let paths = Paths::under(base);
        wnet_core::ProfileStore::new(paths.profile.clone())
            .update(|p| {
                p.settings = settings;
                Ok(())
            })
            .expect("the daemon's profile");
        let exe = wnet_proto::launch::find_wnetd()
            .expect("wnetd (build it beside the bench: cargo build --release -p wnetd)");
        fs::create_dir_all(&paths.state_dir).expect("the daemon's state directory");
        let log = fs::File::create(paths.state_dir.join("bench-wnetd.log")).expect("a log file");
        let child = Command::new(&exe)
            .envs(paths.env())
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", exe.display()));
        let mut client = None;
        let up = wait_until(Duration::from_secs(30), || {
            client = Client::connect_to(&paths.socket, "bench").ok();
            client.is_some()
        });
        assert!(up, "{} did not serve {:?}", exe.display(), paths.socket);
        DaemonProcess {
            child,
            paths,
            client: client.expect("a client"),
        }
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Where drive `letter` (`"Z"`) is mounted.
    pub fn drive(&self, letter: &str) -> PathBuf {
        self.paths.drive_root.join(letter)
    }

    /// Connects `local` (`Some("Z:")`, or `None`: deviceless) to `unc` as the kit's default
    /// user, with `CONNECT_*` `flags`.
    ///
    /// # Panics
    ///
    /// When the daemon refuses.
    pub fn add(&mut self, local: Option<&str>, unc: &str, flags: ConnectFlags) {
        let r = self.try_add(
            local,
            unc,
            flags,
            Some((DEFAULT_USER, wnet_core::Secret::new(DEFAULT_PASSWORD))),
        );
        assert!(
            matches!(r, Ok(Reply::Connection(_))),
            "add {local:?} {unc}: {r:?}"
        );
    }

    /// Asks the daemon to connect `local` to `remote` with `credentials` (`None`: the
    /// default user, no password) and `CONNECT_*` `flags`; its answer.
    pub fn try_add(
        &mut self,
        local: Option<&str>,
        remote: &str,
        flags: ConnectFlags,
        credentials: Option<(&str, wnet_core::Secret)>,
    ) -> Result<Reply, wnet_core::Error> {
        // The daemon closes client connections idle for long (a group can run for many
        // minutes between two calls): a fresh one for each call.
        self.client = Client::connect_to(&self.paths.socket, "bench").expect("the daemon");
        let (user, password) = match credentials {
            Some((u, p)) => (Some(u.to_owned()), Some(p)),
            None => (None, None),
        };
        self.client.call(&Request::AddConnection(AddConnectionArgs {
            resource_type: 1,
            local: local.map(str::to_owned),
            remote: remote.into(),
            provider: None,
            user,
            password,
            flags: flags.bits(),
            save_credentials: false,
            ccache: None,
        }))
    }

    /// Cancels connection `name` (`"C:"`), forced: `WNetCancelConnection2(name, 0, TRUE)`.
    ///
    /// # Panics
    ///
    /// When the daemon refuses.
    pub fn cancel(&mut self, name: &str) {
        self.client = Client::connect_to(&self.paths.socket, "bench").expect("the daemon");
        let r = self.client.call(&Request::CancelConnection {
            name: name.to_owned(),
            flags: 0,
            force: true,
        });
        assert!(r.is_ok(), "cancel {name}: {r:?}");
    }

    /// `VmRSS` now, in bytes.
    pub fn rss(&self) -> u64 {
        self.status_kib("VmRSS:") * 1024
    }

    /// `VmHWM` (the peak resident set since start or [`DaemonProcess::reset_peak`]), in bytes.
    pub fn peak(&self) -> u64 {
        self.status_kib("VmHWM:") * 1024
    }

    /// Resets `VmHWM` to the current resident set (`echo 5 > /proc/PID/clear_refs`).
    pub fn reset_peak(&self) {
        let _ = fs::write(format!("/proc/{}/clear_refs", self.pid()), b"5");
    }

    fn status_kib(&self, field: &str) -> u64 {
        let status = fs::read_to_string(format!("/proc/{}/status", self.pid()))
            .expect("the daemon's /proc status");
        status
            .lines()
            .find_map(|l| l.strip_prefix(field))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or_else(|| panic!("no {field} in the daemon's status"))
    }
}

impl Drop for DaemonProcess {
    fn drop(&mut self) {
        // SAFETY: kill(2) on our own child's pid.
        unsafe { libc::kill(self.pid() as i32, libc::SIGTERM) };
        let exited = wait_until(Duration::from_secs(60), || {
            matches!(self.child.try_wait(), Ok(Some(_)))
        });
        if !exited {
            eprintln!("wnetd {} did not stop on SIGTERM; killing it", self.pid());
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Mebibytes with one decimal.
pub fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / f64::from(1 << 20))
}

/// A signed difference of two byte counts in MiB.
pub fn mib_delta(after: u64, before: u64) -> String {
    let d = after as f64 - before as f64;
    format!("{:+.1} MiB", d / f64::from(1 << 20))
}
