//! A real Active Directory domain controller (Samba 4 as a DC) for the Kerberos tests.
//!
//! One DC per test process, started on first use and shared by its tests
//! ([`DomainController::shared`]): provisioning takes ~7 s, and the DC's winbindd uses the
//! system's socket directory, so only one DC can run on a machine at a time. A machine-wide
//! `flock` (inherited by `samba`, so it is held until the DC itself has exited) makes a second
//! test process wait for the first one's DC to be gone.
//!
//! The DC serves SMB (with a share `data`) and Kerberos on free ports of the address the
//! machine's own host name resolves to (a loopback address on Debian: `/etc/hosts`). Clients
//! must connect by that **name**: Kerberos is never used for an IP address or `localhost`.
//! The service principal `cifs/<name>` is registered on the DC's account.
//!
//! For domain-based DFS the DC also serves SMB on port 445 of a loopback address of its own
//! ([`DomainController::dfs_address`], taken as a DFS lab takes its addresses), with a DFS
//! root share `dfs` ([`DC_DFS_SHARE`]) whose links tests make ([`DomainController::dfs_link`]);
//! clients reach it by its names ([`DC_NAME`], the domain [`DOMAIN_DNS`]) through a hosts file
//! of their own, never `/etc/hosts`. `smb ports` applies to every interface, so port 445 of
//! the host name's address is taken too.
//!
//! NTLM is switched off on the DC (`ntlm auth = disabled`): a session that succeeds there was
//! made with Kerberos. The audit log ([`DomainController::audit_log`]) says it per session too
//! (`[SMB2,krb5]`).

use std::collections::HashSet;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, ToSocketAddrs};
use std::os::fd::AsRawFd;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

use crate::port::free_port;
use crate::process::{self, POLL, Proc};
use crate::socket::{ESTABLISHED, LISTEN, inodes_on_port};
use crate::workdir::WorkDir;

/// The Kerberos realm of the test domain.
pub const REALM: &str = "WNET.TEST";
/// The NetBIOS name of the test domain.
pub const DOMAIN: &str = "WNET";
/// A domain user of the test DC.
pub const DC_USER: &str = "alice";
/// [`DC_USER`]'s password.
pub const DC_PASSWORD: &str = "Al1ce-Pass!";
/// The domain administrator's password.
const ADMIN_PASSWORD: &str = "Adm1n-Pass!";
/// The share the DC serves (read-write, empty at start).
pub const DC_SHARE: &str = "data";
/// The DC's DFS root share (`msdfs root = yes`, empty at start: tests add links with
/// [`DomainController::dfs_link`]).
pub const DC_DFS_SHARE: &str = "dfs";
/// The DC's DNS host name in the domain (provisioned with `--host-name=wnetdc1`).
pub const DC_NAME: &str = "wnetdc1.wnet.test";
/// The DNS name of the test domain (what a domain-based DFS path names: `\\wnet.test\dfs`).
pub const DOMAIN_DNS: &str = "wnet.test";

const SAMBA: &str = "/usr/sbin/samba";
const SAMBA_TOOL: &str = "/usr/bin/samba-tool";
/// Held (flock) by the process that runs a DC, and by the DC; machine-wide.
const LOCK: &str = "/tmp/wnet-testkit-dc.lock";
/// How long provisioning plus start-up may take.
const START_BOUND: Duration = Duration::from_secs(120);
/// How long to wait for another process's DC to go.
const LOCK_BOUND: Duration = Duration::from_secs(300);

/// A running test domain controller. See the module doc.
pub struct DomainController {
    _dir: WorkDir,
    root: PathBuf,
    host: String,
    address: Ipv4Addr,
    smb_port: u16,
    kdc_port: u16,
    /// The DC's own loopback address, where it also serves SMB on port 445 (DFS referrals
    /// carry no port); its lock is held while the DC lives.
    dfs_address: crate::dfs::Address,
    server: Child,
    /// Samba (`--interactive`) exits when this pipe closes, i.e. when the test process dies.
    _stdin: Option<ChildStdin>,
}

impl DomainController {
    /// The test process's DC, started on first call; panics with the reason if it cannot be.
    ///
    /// Also points this process's Kerberos library at the DC (`KRB5_CONFIG`), so the code
    /// under test (and any daemon it starts) finds the realm's KDC.
    pub fn shared() -> &'static DomainController {
        static DC: OnceLock<DomainController> = OnceLock::new();
        DC.get_or_init(|| {
            let dc = DomainController::start()
                .unwrap_or_else(|e| panic!("wnet-testkit: cannot start the test DC: {e}"));
            // SAFETY: set once, inside the OnceLock initialiser, before any Kerberos use by
            // this process's tests (which all go through `shared()` first).
            unsafe { std::env::set_var("KRB5_CONFIG", dc.krb5_config()) };
            dc
        })
    }

    fn start() -> io::Result<DomainController> {
        for tool in [SAMBA, SAMBA_TOOL, "/usr/bin/kinit"] {
            if !Path::new(tool).exists() {
                return Err(io::Error::new(
                    io::ErrorKind::NotFound,
                    format!(
                        "{tool} is missing: install samba, winbind, krb5-user, samba-ad-provision, \
                         samba-dsdb-modules, samba-vfs-modules, python3-samba (.ci/install-deps does)"
                    ),
                ));
            }
        }
        let (host, address) = own_name()?;
        let lock = machine_lock()?;
        // The DC's winbindd puts its socket under the system's /run/samba, which only the
        // package's install creates: /run is a tmpfs, so after a reboot it may be missing.
        fs::create_dir_all("/run/samba")?;
        let dir = WorkDir::create()?;
        let root = dir.path().to_path_buf();
        let empty = root.join("empty.conf");
        fs::write(&empty, "")?;
        run(Command::new(SAMBA_TOOL)
            .args(["domain", "provision", "-s"])
            .arg(&empty)
            .args([
                "--server-role=dc",
                "--dns-backend=NONE",
                &format!("--realm={REALM}"),
                &format!("--domain={DOMAIN}"),
                &format!("--adminpass={ADMIN_PASSWORD}"),
                "--host-name=wnetdc1",
            ])
            .arg(format!("--targetdir={}", root.display())))?;
        let (smb_port, kdc_port, kpasswd_port) = (free_port(), free_port(), free_port());
        let dfs_address = crate::dfs::free_addresses(1)?.remove(0);
        let conf = root.join("etc/smb.conf");
        let share = root.join(DC_SHARE);
        let dfs_share = root.join(DC_DFS_SHARE);
        for dir in [&share, &dfs_share] {
            fs::create_dir_all(dir)?;
            fs::set_permissions(dir, fs::Permissions::from_mode(0o777))?;
        }
        for d in ["pid", "ncalrpc"] {
            fs::create_dir_all(root.join(d))?;
        }
        let r = root.display();
        fs::write(
            &conf,
            format!(
                "[global]\n\
                 \tnetbios name = WNETDC1\n\
                 \trealm = {REALM}\n\
                 \tworkgroup = {DOMAIN}\n\
                 \tserver role = active directory domain controller\n\
                 \tserver services = s3fs, kdc, winbindd\n\
                 \tbinddns dir = {r}/bind-dns\n\
                 \tcache directory = {r}/cache\n\
                 \tlock directory = {r}\n\
                 \tprivate dir = {r}/private\n\
                 \tstate directory = {r}/state\n\
                 \tpid directory = {r}/pid\n\
                 \tncalrpc dir = {r}/ncalrpc\n\
                 \tlog file = {r}/log\n\
                 \tlog level = 1 auth_audit:4\n\
                 \tsmb ports = {smb_port} 445\n\
                 \tkrb5 port = {kdc_port}\n\
                 \tkpasswd port = {kpasswd_port}\n\
                 \tinterfaces = {address}/8 {dfs_ip}/8\n\
                 \tbind interfaces only = yes\n\
                 \tdisable netbios = yes\n\
                 \tntlm auth = disabled\n\
                 [{DC_SHARE}]\n\
                 \tpath = {share}\n\
                 \tread only = no\n\
                 [sysvol]\n\
                 \tpath = {r}/state/sysvol\n\
                 \tread only = no\n\
                 [netlogon]\n\
                 \tpath = {r}/state/sysvol/{dns}/scripts\n\
                 \tread only = no\n\
                 [{DC_DFS_SHARE}]\n\
                 \tpath = {dfs_share}\n\
                 \tmsdfs root = yes\n\
                 \tread only = no\n",
                share = share.display(),
                dfs_share = dfs_share.display(),
                dfs_ip = dfs_address.ip,
                dns = DOMAIN_DNS,
            ),
        )?;
        run(Command::new(SAMBA_TOOL)
            .args(["user", "create", DC_USER, DC_PASSWORD, "-s"])
            .arg(&conf))?;
        run(Command::new(SAMBA_TOOL)
            .args(["spn", "add", &format!("cifs/{host}"), "WNETDC1$", "-s"])
            .arg(&conf))?;
        let krb5 = root.join("krb5.conf");
        fs::write(
            &krb5,
            format!(
                "[libdefaults]\n\
                 \tdefault_realm = {REALM}\n\
                 \tdns_lookup_kdc = false\n\
                 \tdns_lookup_realm = false\n\
                 \trdns = false\n\
                 \tdns_canonicalize_hostname = false\n\
                 \tudp_preference_limit = 0\n\
                 [realms]\n\
                 \t{REALM} = {{\n\
                 \t\tkdc = {address}:{kdc_port}\n\
                 \t}}\n\
                 [domain_realm]\n\
                 \t{host} = {REALM}\n"
            ),
        )?;
        fs::set_permissions(&krb5, fs::Permissions::from_mode(0o644))?;

        let out = OpenOptions::new()
            .create(true)
            .append(true)
            .open(root.join("samba.out"))?;
        let lock_fd = lock.as_raw_fd();
        let mut cmd = Command::new(SAMBA);
        cmd.process_group(0)
            .args(["--interactive", "--no-process-group", "-M", "single", "-s"])
            .arg(&conf)
            .stdin(Stdio::piped())
            .stdout(out.try_clone()?)
            .stderr(out);
        // SAFETY: between fork and exec only async-signal-safe calls: fcntl clears
        // close-on-exec on the lock's descriptor, so samba holds the machine-wide lock until
        // it exits.
        unsafe {
            cmd.pre_exec(move || {
                if libc::fcntl(lock_fd, libc::F_SETFD, 0) == -1 {
                    return Err(io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let mut child = cmd.spawn()?;
        let stdin = child.stdin.take();
        drop(lock);
        let dc = DomainController {
            _dir: dir,
            root,
            host,
            address,
            smb_port,
            kdc_port,
            dfs_address,
            server: child,
            _stdin: stdin,
        };
        dc.wait_ready()?;
        Ok(dc)
    }

    /// Waits until the KDC and SMB listen and a Kerberos session works end to end (winbindd
    /// comes up last; before it, session setup fails).
    fn wait_ready(&self) -> io::Result<()> {
        let deadline = Instant::now() + START_BOUND;
        let ccache = self.root.join("ready.ccache");
        loop {
            let listening = !inodes_on_port(self.smb_port, LISTEN).is_empty()
                && !inodes_on_port(self.kdc_port, LISTEN).is_empty();
            if listening
                && self.kinit(DC_USER, DC_PASSWORD, &ccache).is_ok()
                && self
                    .smbclient_kerberos(&ccache, "ls")
                    .is_ok_and(|o| o.status.success())
            {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "the DC did not become ready within {START_BOUND:?}; see {}",
                        self.root.join("samba.out").display()
                    ),
                ));
            }
            thread::sleep(POLL);
        }
    }

    /// The server name clients connect by (the machine's host name).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The address the DC listens on (what [`host`](Self::host) resolves to).
    pub fn address(&self) -> Ipv4Addr {
        self.address
    }

    /// The DC's own loopback address, where it serves SMB on port 445 too: the address its
    /// names ([`DC_NAME`], `WNETDC1`) must resolve to for DFS, whose referrals carry no port.
    pub fn dfs_address(&self) -> Ipv4Addr {
        self.dfs_address.ip
    }

    /// Makes (or replaces) the link `name` in the DC's DFS root share [`DC_DFS_SHARE`],
    /// pointing at `targets` in order (`msdfs:A\share,B\share`). The DC is shared by a test
    /// process's tests: each should use a link name of its own.
    ///
    /// # Errors
    /// The symlink cannot be made.
    pub fn dfs_link(&self, name: &str, targets: &[(Ipv4Addr, &str)]) -> io::Result<()> {
        crate::dfs::msdfs_link(&self.root.join(DC_DFS_SHARE).join(name), targets)
    }

    /// The DC's SMB port.
    pub fn port(&self) -> u16 {
        self.smb_port
    }

    /// `\\<host>@<port>\<share>`.
    pub fn unc(&self, share: &str) -> String {
        format!(r"\\{}@{}\{share}", self.host, self.smb_port)
    }

    /// The directory behind a share of the DC.
    pub fn share_dir(&self, share: &str) -> PathBuf {
        self.root.join(share)
    }

    /// The client `krb5.conf` naming this DC's KDC (also set as this process's `KRB5_CONFIG`).
    pub fn krb5_config(&self) -> PathBuf {
        self.root.join("krb5.conf")
    }

    /// `kinit user@REALM` with `password` into the credentials cache file `ccache`.
    ///
    /// # Errors
    /// `kinit`'s failure, with its output.
    pub fn kinit(&self, user: &str, password: &str, ccache: &Path) -> io::Result<()> {
        self.kinit_for(user, password, ccache, None)
    }

    /// As [`kinit`](Self::kinit), with a ticket lifetime (`kinit -l`, e.g. `"150s"`).
    ///
    /// The DC's KDC issues no service ticket for a TGT with less than two minutes left
    /// (measured: a `"125s"` ticket gets `cifs/<host>` at once, a `"120s"` one gets
    /// "Ticket expired"), so a ticket meant to be used must live longer than that.
    ///
    /// # Errors
    /// `kinit`'s failure, with its output.
    pub fn kinit_for(
        &self,
        user: &str,
        password: &str,
        ccache: &Path,
        lifetime: Option<&str>,
    ) -> io::Result<()> {
        let mut cmd = Command::new("/usr/bin/kinit");
        if let Some(l) = lifetime {
            cmd.args(["-l", l]);
        }
        cmd.arg(format!("{user}@{REALM}"))
            .env("KRB5_CONFIG", self.krb5_config())
            .env("KRB5CCNAME", format!("FILE:{}", ccache.display()))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn()?;
        if let Some(mut i) = child.stdin.take() {
            writeln!(i, "{password}")?;
        }
        let out = child.wait_with_output()?;
        if out.status.success() {
            Ok(())
        } else {
            Err(io::Error::other(format!(
                "kinit {user}: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )))
        }
    }

    /// `smbclient` on the share [`DC_SHARE`] with the tickets of `ccache`, running `commands`.
    ///
    /// # Errors
    /// Only if smbclient cannot be started; its exit status is in the output.
    pub fn smbclient_kerberos(&self, ccache: &Path, commands: &str) -> io::Result<Output> {
        Command::new("/usr/bin/smbclient")
            .args(["--use-kerberos=required", "-p", &self.smb_port.to_string()])
            .arg(format!("//{}/{DC_SHARE}", self.host))
            .args(["-c", commands])
            .env("KRB5_CONFIG", self.krb5_config())
            .env("KRB5CCNAME", format!("FILE:{}", ccache.display()))
            .stdin(Stdio::null())
            .output()
    }

    /// The DC's log with its authentication audit lines (`Successful AuthZ: [SMB2,krb5] ...`).
    pub fn audit_log(&self) -> String {
        fs::read_to_string(self.root.join("log")).unwrap_or_default()
    }

    /// The KDC's port.
    pub fn kdc_port(&self) -> u16 {
        self.kdc_port
    }

    /// Kills (SIGKILL) every smbd process of the DC serving a client (a descendant of the
    /// DC's `samba` holding an established TCP connection on its SMB port, and not its
    /// listening socket), as a network failure would drop the connections, and waits (at most
    /// 5 s) until they are gone. The DC keeps running and accepts new connections. Every
    /// client of the DC loses its connection, including other tests' (the engine reconnects
    /// them). Returns how many were killed.
    pub fn kill_clients(&self) -> usize {
        let clients = self.clients();
        for client in &clients {
            client.signal(libc::SIGKILL);
        }
        process::wait_gone(&clients, Duration::from_secs(5));
        clients.len()
    }

    /// Whether `ccache` holds a ticket that is still valid (`klist -s`), as the code under
    /// test's Kerberos library sees it.
    pub fn has_valid_ticket(&self, ccache: &Path) -> bool {
        Command::new("/usr/bin/klist")
            .arg("-s")
            .env("KRB5_CONFIG", self.krb5_config())
            .env("KRB5CCNAME", format!("FILE:{}", ccache.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    /// Waits (polling `klist -s`, at most `bound`) until no ticket in `ccache` is valid any
    /// more; whether that happened in time.
    pub fn wait_expired(&self, ccache: &Path, bound: Duration) -> bool {
        let deadline = Instant::now() + bound;
        while self.has_valid_ticket(ccache) {
            if Instant::now() >= deadline {
                return false;
            }
            // Each poll runs klist: poll gently.
            thread::sleep(Duration::from_millis(200));
        }
        true
    }

    fn clients(&self) -> Vec<Proc> {
        let Some(samba) = Proc::of(self.server.id()) else {
            return Vec::new();
        };
        let established: HashSet<u64> = inodes_on_port(self.smb_port, ESTABLISHED)
            .into_iter()
            .collect();
        let listening: HashSet<u64> = inodes_on_port(self.smb_port, LISTEN).into_iter().collect();
        if established.is_empty() {
            return Vec::new();
        }
        samba
            .descendants()
            .into_iter()
            .filter(|p| {
                let inodes = p.socket_inodes();
                !inodes.is_disjoint(&established) && inodes.is_disjoint(&listening)
            })
            .collect()
    }
}

/// This machine's host name and the loopback IPv4 address it resolves to.
fn own_name() -> io::Result<(String, Ipv4Addr)> {
    let mut buf = [0u8; 256];
    // SAFETY: a writable buffer of the given length.
    if unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    let host = String::from_utf8_lossy(&buf[..end]).into_owned();
    let address = (host.as_str(), 0)
        .to_socket_addrs()?
        .find_map(|a| match a.ip() {
            IpAddr::V4(v4) if v4.is_loopback() => Some(v4),
            _ => None,
        })
        .ok_or_else(|| {
            io::Error::other(format!(
                "the host name {host:?} does not resolve to a loopback address (add it to /etc/hosts)"
            ))
        })?;
    if host.eq_ignore_ascii_case("localhost") {
        return Err(io::Error::other(
            "the host name is localhost, for which Kerberos is never used",
        ));
    }
    Ok((host, address))
}

/// Takes the machine-wide DC lock, waiting (bounded) for another process's DC to exit.
fn machine_lock() -> io::Result<File> {
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(LOCK)?;
    let deadline = Instant::now() + LOCK_BOUND;
    loop {
        // SAFETY: flock on a descriptor we own.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
            return Ok(file);
        }
        if Instant::now() >= deadline {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("another test DC still holds {LOCK} after {LOCK_BOUND:?}"),
            ));
        }
        thread::sleep(POLL);
    }
}

fn run(cmd: &mut Command) -> io::Result<()> {
    let out = cmd.stdin(Stdio::null()).output()?;
    if out.status.success() {
        return Ok(());
    }
    Err(io::Error::other(format!(
        "{cmd:?} failed ({}):\n{}{}",
        out.status,
        tail(&String::from_utf8_lossy(&out.stdout)),
        tail(&String::from_utf8_lossy(&out.stderr))
    )))
}

fn tail(s: &str) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}
