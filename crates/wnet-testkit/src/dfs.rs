//! A DFS namespace on loopback: a namespace server and two target servers, all on port 445.
//!
//! Referrals carry no port, so DFS targets must serve on 445. Each server of a [`DfsLab`] is a
//! private `smbd` bound to its own loopback address (any of 127.0.0.0/8 works on Linux without
//! setup): `interfaces = 127.0.0.X/8` and `bind interfaces only = yes`. Addresses are taken
//! from 127.0.0.10–127.0.0.250; an address is used only when this process holds its
//! machine-wide lock file (`/tmp/wnet-testkit-dfs-127.0.0.X.lock`, flock) and port 445 on it
//! can be bound, so parallel test processes never share one.
//!
//! The lab (see [`DfsLab::start`] for the exact layout):
//!
//! ```text
//! namespace  \\N\dfs           msdfs root = yes
//!              readme.txt      a plain file in the root
//!              team         -> msdfs:A\team,B\team     (two replicas, in this order)
//!              deep\down\link -> msdfs:B\deep          (a link below plain directories)
//!            \\N\proxy          msdfs root = yes, msdfs proxy = \A\team
//! target A   \\A\team          hello.txt, sub\inner.txt
//! target B   \\B\team          the same files (a replica), \\B\deep with deep.txt
//! ```

use std::fs::{File, OpenOptions};
use std::io;
use std::net::{Ipv4Addr, TcpListener};
use std::os::fd::AsRawFd;
use std::os::unix::fs::symlink;

use crate::builder::SambaBuilder;
use crate::dc::{DC_PASSWORD, DC_USER};
use crate::samba::Samba;
use crate::share::Share;
use crate::users::{DEFAULT_PASSWORD, DEFAULT_USER};

/// The port every lab server listens on: the only one referrals can name.
pub const DFS_PORT: u16 = 445;
/// The lowest and highest last octet of the addresses a lab picks from.
const OCTETS: std::ops::RangeInclusive<u8> = 10..=250;
/// Contents of `hello.txt` on both replicas of `team`.
pub const DFS_HELLO: &str = "hello from a dfs target\n";

/// One address this process holds: its lock file stays open (and locked) while the lab lives.
#[derive(Debug)]
pub(crate) struct Address {
    pub(crate) ip: Ipv4Addr,
    _lock: File,
}

/// A running DFS namespace and its targets. Dropping it stops every server.
#[derive(Debug)]
pub struct DfsLab {
    /// The namespace server (`dfs`, `proxy`).
    pub namespace: Samba,
    /// Target A: `team` (first in the referral of `team`).
    pub target_a: Samba,
    /// Target B: `team` (the replica) and `deep`.
    pub target_b: Samba,
    _addresses: Vec<Address>,
}

impl DfsLab {
    /// Starts the three servers of the module doc, every one with the user
    /// [`DEFAULT_USER`]/[`DEFAULT_PASSWORD`]; the targets also know the test domain's user
    /// [`DC_USER`]/[`DC_PASSWORD`] (a domain-based namespace on the test DC links to them).
    ///
    /// # Errors
    ///
    /// * `PermissionDenied`: not root (port 445 and the kit's users need it).
    /// * `AddrInUse`: fewer than three free addresses in 127.0.0.10–250.
    /// * As [`SambaBuilder::start`].
    pub fn start() -> io::Result<DfsLab> {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                "a DFS lab needs root: its servers listen on port 445 (run the tests as root, as .ci/run does)",
            ));
        }
        let addresses = free_addresses(3)?;
        let [n, a, b] = [addresses[0].ip, addresses[1].ip, addresses[2].ip];
        let target = |address: Ipv4Addr| {
            SambaBuilder::new()
                .user(DEFAULT_USER, DEFAULT_PASSWORD)
                .user(DC_USER, DC_PASSWORD)
                .address(address)
                .port(DFS_PORT)
                .share(
                    Share::new("team")
                        .file("hello.txt", DFS_HELLO)
                        .file("sub/inner.txt", "inner\n"),
                )
        };
        let target_a = target(a).start()?;
        let target_b = target(b)
            .share(Share::new("deep").file("deep.txt", "deep\n"))
            .start()?;
        let namespace = SambaBuilder::new()
            .user(DEFAULT_USER, DEFAULT_PASSWORD)
            .address(n)
            .port(DFS_PORT)
            .share(
                Share::new("dfs")
                    .option("msdfs root", "yes")
                    .file("readme.txt", "the namespace root\n")
                    .file("deep/down/.keep", ""),
            )
            .share(
                Share::new("proxy")
                    .option("msdfs root", "yes")
                    .option("msdfs proxy", &format!(r"\{a}\team")),
            )
            .start()?;
        let lab = DfsLab {
            namespace,
            target_a,
            target_b,
            _addresses: addresses,
        };
        lab.link("team", &[(a, "team"), (b, "team")])?;
        lab.link("deep/down/link", &[(b, "deep")])?;
        Ok(lab)
    }

    /// Makes (or replaces) the link `path` (below the `dfs` root, `/`-separated) pointing at
    /// `targets` in order: the symlink `path -> msdfs:A\share,B\share`. Samba reads links at
    /// each request, so a change is served at once (a client follows it after its TTL).
    pub fn link(&self, path: &str, targets: &[(Ipv4Addr, &str)]) -> io::Result<()> {
        msdfs_link(&self.namespace.share_dir("dfs").join(path), targets)
    }

    /// The namespace server's address.
    pub fn ns(&self) -> &str {
        self.namespace.host()
    }

    /// `\\N\dfs` followed by `rest` (`\team\sub`, or empty).
    pub fn unc(&self, rest: &str) -> String {
        format!(r"\\{}\dfs{rest}", self.ns())
    }
}

/// Makes (or replaces) the msdfs link `at` (a path in a `msdfs root` share) pointing at
/// `targets` in order: the symlink `at -> msdfs:A\share,B\share`.
pub(crate) fn msdfs_link(at: &std::path::Path, targets: &[(Ipv4Addr, &str)]) -> io::Result<()> {
    let value: Vec<String> = targets
        .iter()
        .map(|(ip, share)| format!(r"{ip}\{share}"))
        .collect();
    let _ = std::fs::remove_file(at);
    symlink(format!("msdfs:{}", value.join(",")), at)
}

/// `count` loopback addresses whose lock this process now holds and whose port 445 is free.
pub(crate) fn free_addresses(count: usize) -> io::Result<Vec<Address>> {
    let mut held = Vec::new();
    for octet in OCTETS {
        let ip = Ipv4Addr::new(127, 0, 0, octet);
        let path = format!("/tmp/wnet-testkit-dfs-{ip}.lock");
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)?;
        // SAFETY: flock on a descriptor we own.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            continue;
        }
        // Something outside the kit (a system smbd on 0.0.0.0:445) may hold the port.
        if TcpListener::bind((ip, DFS_PORT)).is_err() {
            continue;
        }
        // A test killed while it partitioned this address (no Drop ran) left its nft table.
        crate::partition::heal_leftover(ip, DFS_PORT);
        held.push(Address { ip, _lock: file });
        if held.len() == count {
            return Ok(held);
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AddrInUse,
        format!(
            "a DFS lab needs {count} loopback addresses with port {DFS_PORT} free; only {} of 127.0.0.{}-{} are",
            held.len(),
            OCTETS.start(),
            OCTETS.end()
        ),
    ))
}
