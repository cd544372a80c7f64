//! A running test Samba: where it is, who may log in, and ways to break it on purpose.

use std::collections::HashSet;
use std::fmt;
use std::fs::{self, OpenOptions};
use std::io;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::builder::SambaBuilder;
use crate::config::Paths;
use crate::process::{self, POLL, Proc};
use crate::share::Share;
use crate::socket::{ESTABLISHED, LISTEN, inodes_on_port};
use crate::users::{DEFAULT_PASSWORD, DEFAULT_USER, TEST_PASSWORD2, TEST_USER2};
use crate::workdir::WorkDir;

/// The Samba server binary (Debian's `samba` package).
const SMBD: &str = "/usr/sbin/smbd";
/// The address a server listens on unless its builder names another.
pub(crate) const HOST: &str = "127.0.0.1";
/// How long smbd may take to listen.
const START_BOUND: Duration = Duration::from_secs(20);
/// How long processes get to exit after SIGTERM (and again after SIGKILL).
const STOP_BOUND: Duration = Duration::from_secs(5);
/// The print share of [`Samba::start_with_printer`].
pub const PRINTER: &str = "printer";
/// Log lines quoted in start-up errors.
const TAIL_LINES: usize = 40;

/// A private `smbd` on a loopback port, serving its own share directories to its own users.
///
/// Dropping it stops smbd and every process it started (SIGTERM, then SIGKILL after a bound;
/// processes are identified by pid and start time, never by name) and removes its temporary
/// directory. smbd also exits by itself when the test process dies: it watches its stdin, a pipe
/// whose other end only this value holds (so a killed test leaves no server behind, though a
/// `samba-dcerpcd` it started lingers until its own idle exit).
pub struct Samba {
    /// Owns the directory; removed on drop, after the processes are gone.
    dir: Option<WorkDir>,
    paths: Paths,
    host: String,
    port: u16,
    users: Vec<(String, String)>,
    shares: Vec<String>,
    /// `None` only after a failed [`restart`](Samba::restart).
    server: Option<Server>,
}

impl Samba {
    /// Starts the standard test server, or panics with a message that says why not.
    ///
    /// * users [`DEFAULT_USER`]/[`DEFAULT_PASSWORD`] (the default user) and
    ///   [`TEST_USER2`]/[`TEST_PASSWORD2`];
    /// * share `rw`: read-write, empty;
    /// * share `ro`: read-only, holding `hello.txt` = `"hello from samba\n"`.
    pub fn start_default() -> Samba {
        Self::default_builder()
            .start()
            .unwrap_or_else(|e| panic!("wnet-testkit: cannot start the default Samba: {e}"))
    }

    /// The standard test server of [`start_default`](Samba::start_default) plus the print
    /// share [`PRINTER`] ([`Share::printer`]: jobs land in [`printed_dir`](Samba::printed_dir)).
    pub fn start_with_printer() -> Samba {
        Self::default_builder()
            .share(Share::printer(PRINTER))
            .start()
            .unwrap_or_else(|e| panic!("wnet-testkit: cannot start a Samba with a printer: {e}"))
    }

    fn default_builder() -> SambaBuilder {
        SambaBuilder::new()
            .user(DEFAULT_USER, DEFAULT_PASSWORD)
            .user(TEST_USER2, TEST_PASSWORD2)
            .share(Share::new("rw"))
            .share(
                Share::new("ro")
                    .read_only(true)
                    .file("hello.txt", "hello from samba\n"),
            )
    }

    pub(crate) fn new(
        dir: WorkDir,
        paths: Paths,
        host: String,
        port: u16,
        users: Vec<(String, String)>,
        shares: Vec<String>,
        server: Server,
    ) -> Samba {
        Samba {
            dir: Some(dir),
            paths,
            host,
            port,
            users,
            shares,
            server: Some(server),
        }
    }

    /// The address the server listens on: `"127.0.0.1"` unless the builder gave another
    /// ([`SambaBuilder::address`]).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The TCP port the server listens on; it stays the same across [`restart`](Self::restart).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The local directory behind `share`, to prepare files before a test and check them
    /// byte for byte after. Files written through SMB are owned by root (the shares'
    /// `force user`) with mode 0644 (directories 0755).
    ///
    /// # Panics
    ///
    /// If the server has no such share.
    pub fn share_dir(&self, share: &str) -> PathBuf {
        let known = self.shares.iter().find(|s| s.eq_ignore_ascii_case(share));
        match known {
            Some(name) => self.paths.share_dir(name),
            None => panic!(
                "wnet-testkit: no share {share:?} (shares: {:?})",
                self.shares
            ),
        }
    }

    /// The directory where the jobs printed on print share `share` ([`Share::printer`]) land,
    /// one file per job.
    ///
    /// # Panics
    ///
    /// If the server has no such share.
    pub fn printed_dir(&self, share: &str) -> PathBuf {
        let name = self.share_dir(share);
        let name = name.file_name().expect("a share directory has a name");
        self.paths.printed_dir(&name.to_string_lossy())
    }

    /// The jobs printed so far on print share `share`, each job's bytes, in the order their
    /// spool files were named (the server's job order).
    ///
    /// # Panics
    ///
    /// If the server has no such share or its printed directory is unreadable.
    pub fn printed_jobs(&self, share: &str) -> Vec<Vec<u8>> {
        let dir = self.printed_dir(share);
        let mut names: Vec<PathBuf> = fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("wnet-testkit: reading {}: {e}", dir.display()))
            .map(|e| e.expect("directory entry").path())
            // `.NAME.part` is a job still being copied.
            .filter(|p| {
                !p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            })
            .collect();
        names.sort();
        names
            .into_iter()
            .map(|p| fs::read(&p).unwrap_or_else(|e| panic!("wnet-testkit: {}: {e}", p.display())))
            .collect()
    }

    /// Waits (at most `bound`) until at least `count` jobs were printed on `share`; returns
    /// them all (fewer when the bound passed).
    pub fn wait_printed(&self, share: &str, count: usize, bound: Duration) -> Vec<Vec<u8>> {
        let until = Instant::now() + bound;
        loop {
            let jobs = self.printed_jobs(share);
            if jobs.len() >= count || Instant::now() >= until {
                return jobs;
            }
            thread::sleep(POLL);
        }
    }

    /// The share's UNC name with the port, `\\127.0.0.1@PORT\share`, as wnet writes a
    /// non-default port (`\\127.0.0.1@445\share` on port 445 too).
    pub fn unc(&self, share: &str) -> String {
        format!(r"\\{}@{}\{share}", self.host, self.port)
    }

    /// The default user (the first one given to the builder) and its password.
    pub fn user(&self) -> (&str, &str) {
        let (name, password) = &self.users[0];
        (name, password)
    }

    /// The path of the server's `smb.conf` (also good as a client configuration).
    pub fn conf(&self) -> PathBuf {
        self.paths.conf()
    }

    /// Runs `smbclient -p PORT //127.0.0.1/share -U user%password -c command` as the default
    /// user, stdin closed, and returns what it printed and its exit status (`smbclient` exits 1
    /// when the connection or a command fails, and prints the `NT_STATUS_...` name).
    ///
    /// # Panics
    ///
    /// If `smbclient` cannot be run (package `smbclient` missing).
    pub fn smbclient(&self, share: &str, command: &str) -> Output {
        let (user, password) = self.user();
        self.smbclient_as(share, user, password, command)
    }

    /// [`smbclient`](Self::smbclient) as any user with any password (wrong ones included).
    ///
    /// # Panics
    ///
    /// If `smbclient` cannot be run (package `smbclient` missing).
    pub fn smbclient_as(&self, share: &str, user: &str, password: &str, command: &str) -> Output {
        Command::new("smbclient")
            .arg("--configfile")
            .arg(self.paths.conf())
            .arg("-p")
            .arg(self.port.to_string())
            .arg(format!("//{}/{share}", self.host))
            .arg("-U")
            .arg(format!("{user}%{password}"))
            .arg("-c")
            .arg(command)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("wnet-testkit: cannot run smbclient: {e}"))
    }

    /// Whether any client holds an open of the file or directory `name` (its last path
    /// component), as `smbstatus -L` lists opens: asking breaks no lease, unlike an open.
    ///
    /// # Panics
    ///
    /// If `smbstatus` cannot be run or fails.
    pub fn has_open(&self, name: &str) -> bool {
        let out = std::process::Command::new("smbstatus")
            .arg("-s")
            .arg(self.conf())
            .arg("-L")
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("wnet-testkit: cannot run smbstatus: {e}"));
        assert!(out.status.success(), "smbstatus -L: {out:?}");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .any(|l| l.split_whitespace().any(|w| w == name))
    }

    /// The names clients asked smbd to CREATE after byte `from` of its log, and the log's
    /// length now (where to start next time). Only a server started with
    /// `.global("log level", "1 smb2:10")` logs them; otherwise the list is empty.
    pub fn created_since(&self, from: usize) -> (Vec<String>, usize) {
        let log = std::fs::read(self.log_dir().join("smbd.log")).unwrap_or_default();
        let names = String::from_utf8_lossy(log.get(from..).unwrap_or_default())
            .lines()
            .filter_map(|l| l.trim().strip_prefix("smbd_smb2_create_send: name ["))
            .map(|n| n.trim_end_matches(']').to_owned())
            .collect();
        (names, log.len())
    }

    /// Pids of the smbd children now serving a client: children of the main smbd holding an
    /// established TCP connection on the server's port. Empty when no client is connected.
    pub fn client_pids(&self) -> Vec<u32> {
        self.clients().iter().map(|p| p.pid).collect()
    }

    /// Kills (SIGKILL) every child serving a client, as a network failure would drop the
    /// connections, and waits (at most 5 s) until they are gone. The server itself keeps
    /// running and accepts new connections; durable handles survive (their state is in the
    /// server's databases, not in the child).
    pub fn kill_clients(&self) {
        let clients = self.clients();
        for client in &clients {
            client.signal(libc::SIGKILL);
        }
        process::wait_gone(&clients, STOP_BOUND);
    }

    /// Stops smbd (and its helpers) and starts it again on the same port, configuration, users
    /// and directories. Files stay; open handles, sessions and durable state are lost, as after
    /// a server reboot.
    ///
    /// # Errors
    ///
    /// As [`SambaBuilder::start`] for smbd's start-up (on the same port: if another process
    /// took it meanwhile, this fails). After an error the server is down; `restart` again or
    /// drop it.
    pub fn restart(&mut self) -> io::Result<()> {
        self.stop();
        self.server = Some(Server::spawn(&self.paths, self.port)?);
        Ok(())
    }

    /// Stops smbd (and its helpers) without starting it again, as a server that went down:
    /// connections are dropped and new ones refused until [`restart`](Self::restart).
    pub fn shut_down(&mut self) {
        self.stop();
    }

    /// The directory holding `smbd.log` (the server's log) and `smbd.stdout` (its output).
    /// `global("log level", "3")` makes the log talk.
    pub fn log_dir(&self) -> PathBuf {
        self.paths.log_dir()
    }

    /// The pid of the main smbd (the parent of the per-client children); it changes on
    /// [`restart`](Self::restart).
    ///
    /// # Panics
    ///
    /// After a failed `restart`, when no smbd runs.
    pub fn pid(&self) -> u32 {
        match &self.server {
            Some(server) => server.proc.pid,
            None => panic!("wnet-testkit: smbd is not running (its restart failed)"),
        }
    }

    /// How many smbd processes serve a client connection now: smbd forks one per connection
    /// (a connection whose ClientGuid it knows is handed to that client's process instead).
    pub fn client_processes(&self) -> usize {
        self.clients().len()
    }

    fn clients(&self) -> Vec<Proc> {
        let Some(server) = &self.server else {
            return Vec::new();
        };
        let established: HashSet<u64> =
            inodes_on_port(self.port, ESTABLISHED).into_iter().collect();
        if established.is_empty() {
            return Vec::new();
        }
        server
            .proc
            .children()
            .into_iter()
            .filter(|child| !child.socket_inodes().is_disjoint(&established))
            .collect()
    }

    /// Stops smbd, its children and the RPC helpers it started.
    fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.stop();
        }
        stop_rpc_helpers(&self.paths);
    }
}

impl Drop for Samba {
    fn drop(&mut self) {
        self.stop();
        if let Some(dir) = self.dir.take() {
            // Best effort: a test may have left something root cannot remove (e.g. a mount).
            let path = dir.path().to_path_buf();
            if let Err(e) = dir.close() {
                eprintln!("wnet-testkit: cannot remove {}: {e}", path.display());
            }
        }
    }
}

impl fmt::Debug for Samba {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Samba")
            .field("port", &self.port)
            .field("dir", &self.paths.root)
            .field("pid", &self.server.as_ref().map(|s| s.proc.pid))
            .field(
                "users",
                &self.users.iter().map(|u| &u.0).collect::<Vec<_>>(),
            )
            .field("shares", &self.shares)
            .finish()
    }
}

/// Why smbd did not come up.
#[derive(Debug)]
pub(crate) enum StartError {
    /// Someone else holds the port (smbd panics in `open_sockets_smbd`): try another one.
    PortTaken(String),
    /// Anything else.
    Io(io::Error),
}

impl From<StartError> for io::Error {
    fn from(e: StartError) -> io::Error {
        match e {
            StartError::PortTaken(message) => io::Error::new(io::ErrorKind::AddrInUse, message),
            StartError::Io(e) => e,
        }
    }
}

impl From<io::Error> for StartError {
    fn from(e: io::Error) -> StartError {
        StartError::Io(e)
    }
}

/// One run of the main smbd.
pub(crate) struct Server {
    child: Child,
    /// smbd exits on EOF here (`--foreground` with a pipe on stdin), so it dies with us.
    stdin: Option<ChildStdin>,
    proc: Proc,
}

impl Server {
    /// Starts `smbd --foreground --no-process-group` in a process group of its own on the instance's `smb.conf`, and
    /// waits until it listens on `port` (its own socket, not someone else's on the same port).
    pub(crate) fn spawn(paths: &Paths, port: u16) -> Result<Server, StartError> {
        if !Path::new(SMBD).exists() {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("{SMBD} is missing: install the Debian package samba (.ci/run does)"),
            )
            .into());
        }
        let output_path = paths.log_dir().join("smbd.stdout");
        let output = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&output_path)?;
        let mut child = Command::new(SMBD)
            // Its own process group from exec on: on SIGTERM the main smbd runs
            // `kill(0, SIGTERM)`, which in the caller's group would kill the test binary and
            // cargo with it. `--no-process-group` because smbd's own `setsid()` fails (EPERM)
            // in a group leader, and smbd then exits.
            .process_group(0)
            // A standalone server: never ask a winbindd. An AD DC running on the same machine
            // (the Kerberos tests start one) serves the system's winbindd socket, and smbd
            // would map our users' SIDs through it to unknown uids: every logon then fails
            // with LOGON_FAILURE.
            .env("_NO_WINBINDD", "1")
            .args(["--foreground", "--no-process-group", "--configfile"])
            .arg(paths.conf())
            .stdin(Stdio::piped())
            .stdout(output.try_clone()?)
            .stderr(output)
            .spawn()?;
        let stdin = child.stdin.take();
        // Not yet reaped, so its /proc entry exists even if it already exited.
        let Some(proc) = Proc::of(child.id()) else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(io::Error::other("smbd vanished before it could be observed").into());
        };
        let mut server = Server { child, stdin, proc };
        let deadline = Instant::now() + START_BOUND;
        loop {
            if let Some(status) = server.child.try_wait()? {
                let tail = log_tail(paths);
                let message =
                    format!("smbd on port {port} exited during start-up ({status}):\n{tail}");
                return Err(if tail.contains("open_sockets_smbd") {
                    StartError::PortTaken(message)
                } else {
                    StartError::Io(io::Error::other(message))
                });
            }
            if server.listens_on(port) {
                return Ok(server);
            }
            if Instant::now() >= deadline {
                server.stop();
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "smbd did not listen on port {port} within {START_BOUND:?}:\n{}",
                        log_tail(paths)
                    ),
                )
                .into());
            }
            thread::sleep(POLL);
        }
    }

    fn listens_on(&self, port: u16) -> bool {
        let listening = inodes_on_port(port, LISTEN);
        if listening.is_empty() {
            return false;
        }
        let mine = self.proc.socket_inodes();
        listening.iter().any(|inode| mine.contains(inode))
    }

    /// SIGTERM to smbd and its children (and EOF on its stdin), SIGKILL for whatever is left
    /// after the bound; reaps smbd.
    fn stop(mut self) {
        let mut procs = vec![self.proc];
        procs.extend(self.proc.descendants());
        drop(self.stdin.take());
        if !process::terminate(&procs, STOP_BOUND) {
            eprintln!("wnet-testkit: some smbd processes survived SIGKILL: {procs:?}");
        }
        // Reap it; the SIGKILL only matters if even `terminate` gave up.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Ends `samba-dcerpcd` and its workers, which smbd starts on demand (e.g. to list shares) and
/// which detach from it; found through their pid file and checked to run on our `smb.conf`.
///
/// Helpers started in np-helper mode leave no pid file; those are found by their command line
/// naming our own `smb.conf` (a path unique to this instance), never by program name.
fn stop_rpc_helpers(paths: &Paths) {
    let conf = paths.conf();
    let conf = conf.to_string_lossy();
    let pid_file = paths.pid_dir().join("samba-dcerpcd.pid");
    let mut procs: Vec<Proc> = Vec::new();
    if let Some(helper) = fs::read_to_string(&pid_file)
        .ok()
        .and_then(|text| text.trim().parse().ok())
        .and_then(Proc::of)
        .filter(|p| contains(&p.cmdline(), conf.as_bytes()))
    {
        procs.push(helper);
        procs.extend(helper.descendants());
    }
    if let Ok(dir) = fs::read_dir("/proc") {
        for entry in dir.flatten() {
            let Some(p) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse().ok())
                .and_then(Proc::of)
            else {
                continue;
            };
            if !procs.contains(&p) && contains(&p.cmdline(), conf.as_bytes()) {
                procs.push(p);
            }
        }
    }
    if !procs.is_empty() {
        process::terminate(&procs, STOP_BOUND);
    }
    let _ = fs::remove_file(pid_file);
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// The last lines of smbd's log and of its output, for error messages.
fn log_tail(paths: &Paths) -> String {
    let mut out = String::new();
    for name in ["smbd.log", "smbd.stdout"] {
        let path = paths.log_dir().join(name);
        let text = fs::read(&path)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = &lines[lines.len().saturating_sub(TAIL_LINES)..];
        out.push_str(&format!(
            "--- {} ---\n{}\n",
            path.display(),
            tail.join("\n")
        ));
    }
    out
}
