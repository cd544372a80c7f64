//! DFS through the provider and its drive: a namespace of three real smbd on port 445
//! (`wnet_testkit::DfsLab`), links followed, replicas failed over, names kept as mapped.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use wnet_core::{
    AddConnection, ConnectFlags, ConnectionName, LocalName, NetworkProvider, ResourceType, Secret,
    UncPath,
};
use wnet_smb::SmbProvider;
use wnet_testkit::{
    DC_NAME, DC_PASSWORD, DC_USER, DEFAULT_PASSWORD, DEFAULT_USER, DFS_HELLO, DOMAIN_DNS, DfsLab,
    DomainController,
};

/// How long a condition that must come true may take on a loaded machine.
const PATIENCE: Duration = Duration::from_secs(20);

struct Fixture {
    lab: DfsLab,
    provider: SmbProvider,
    root: PathBuf,
    _dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        Fixture::with_ttl(wnet_smb::provider::DFS_MAX_TTL)
    }

    fn with_ttl(dfs_max_ttl: Duration) -> Fixture {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
        let lab = DfsLab::start().unwrap_or_else(|e| panic!("cannot start the DFS lab: {e}"));
        let (provider, root, dir) = crate::provider::provider_in_tempdir(dfs_max_ttl);
        Fixture {
            lab,
            provider,
            root,
            _dir: dir,
        }
    }

    /// Maps `unc` at `local`; the drive's directory.
    fn map(&self, local: &str, unc: &str) -> wnet_core::Result<PathBuf> {
        self.map_as(local, unc, DEFAULT_USER, DEFAULT_PASSWORD)
    }

    /// Connects `unc` without a device; its directory.
    fn map_deviceless(&self, unc: &str) -> wnet_core::Result<PathBuf> {
        let remote = UncPath::parse(unc).unwrap();
        self.provider.add_connection(&AddConnection {
            resource_type: ResourceType::Disk,
            local: None,
            remote: remote.clone().into(),
            user: Some(DEFAULT_USER.into()),
            password: Some(Secret::new(DEFAULT_PASSWORD)),
            flags: ConnectFlags::empty(),
            ccache: None,
        })?;
        Ok(self.provider.mountpoint(None, &remote))
    }

    /// Maps `unc` at `local` as `user`; the drive's directory.
    fn map_as(
        &self,
        local: &str,
        unc: &str,
        user: &str,
        password: &str,
    ) -> wnet_core::Result<PathBuf> {
        self.provider.add_connection(&AddConnection {
            resource_type: ResourceType::Disk,
            local: Some(LocalName::parse(local).unwrap()),
            remote: UncPath::parse(unc).unwrap().into(),
            user: Some(user.into()),
            password: Some(Secret::new(password)),
            flags: ConnectFlags::empty(),
            ccache: None,
        })?;
        Ok(self.root.join(local[..1].to_uppercase()))
    }

    /// The test DC, its names in this provider's hosts file (the DC as a DC of the domain,
    /// `#DOM:`), and a link `link` of its `dfs` root leading to the lab's two targets.
    fn domain(&self, link: &str) -> &'static DomainController {
        let dc = DomainController::shared();
        let hosts = format!(
            "# the test DC, at its own loopback address\n{} {DC_NAME} #PRE #DOM:{DOMAIN_DNS}\n",
            dc.dfs_address()
        );
        std::fs::write(self._dir.path().join("lmhosts"), hosts).unwrap();
        let a: std::net::Ipv4Addr = self.lab.target_a.host().parse().unwrap();
        let b: std::net::Ipv4Addr = self.lab.target_b.host().parse().unwrap();
        dc.dfs_link(link, &[(a, "team"), (b, "team")]).unwrap();
        dc
    }

    fn target(&self, local: &str, unc: &str) -> String {
        self.provider
            .dfs_target(
                Some(LocalName::parse(local).unwrap()),
                &UncPath::parse(unc).unwrap(),
            )
            .expect("a DFS connection")
            .0
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        self.provider.shutdown();
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Waits until `f` holds, or panics with `what` after [`PATIENCE`].
fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let until = Instant::now() + PATIENCE;
    while !f() {
        assert!(Instant::now() < until, "{what}: not within {PATIENCE:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_mapped_namespace_root_follows_links_for_reads_and_writes() {
    let f = Fixture::new();
    let z = f.map("z:", &f.lab.unc("")).unwrap();
    assert_eq!(read(&z.join("readme.txt")), "the namespace root\n");
    assert_eq!(read(&z.join("team/hello.txt")), DFS_HELLO);
    assert_eq!(read(&z.join("team/sub/inner.txt")), "inner\n");
    assert_eq!(read(&z.join("deep/down/link/deep.txt")), "deep\n");
    let names: Vec<String> = std::fs::read_dir(z.join("team"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(names.contains(&"hello.txt".to_owned()), "{names:?}");
    // A write through the link lands on the first target, the one in use.
    std::fs::write(z.join("team/written.txt"), "through the namespace\n").unwrap();
    assert_eq!(
        read(&f.lab.target_a.share_dir("team").join("written.txt")),
        "through the namespace\n"
    );
    std::fs::create_dir(z.join("team/newdir")).unwrap();
    std::fs::rename(z.join("team/written.txt"), z.join("team/newdir/moved.txt")).unwrap();
    assert!(
        f.lab
            .target_a
            .share_dir("team")
            .join("newdir/moved.txt")
            .exists()
    );
    // A rename from the root into a link crosses servers: EXDEV, so `mv` copies.
    let e = std::fs::rename(z.join("readme.txt"), z.join("team/readme.txt")).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::EXDEV), "{e}");
    std::fs::remove_file(z.join("team/newdir/moved.txt")).unwrap();
    std::fs::remove_dir(z.join("team/newdir")).unwrap();
}

#[test]
fn a_path_below_a_link_maps_and_names_stay_the_users() {
    let f = Fixture::new();
    let unc = f.lab.unc(r"\team\sub");
    let y = f.map("y:", &unc).unwrap();
    assert_eq!(read(&y.join("inner.txt")), "inner\n");
    let c = f.provider.get_connection(LocalName::Drive(b'Y')).unwrap();
    assert_eq!(c.remote.to_string(), unc, "the DFS path as mapped");
    let u = f
        .provider
        .get_universal_name(LocalName::Drive(b'Y'), r"\inner.txt")
        .unwrap();
    assert_eq!(u.universal_name, format!(r"{unc}\inner.txt"));
    assert_eq!(u.connection_name, unc);
    assert_eq!(
        f.target("y:", &unc),
        format!(r"\\{}\team\sub", f.lab.target_a.host())
    );
    // A link that leads nowhere is no network name.
    let e = f.map("x:", &f.lab.unc(r"\nothere")).unwrap_err();
    assert_eq!(e.win_error().0, 67, "{e}");
}

#[test]
fn a_proxy_share_leads_to_its_target() {
    let f = Fixture::new();
    let unc = format!(r"\\{}\proxy", f.lab.ns());
    let p = f.map("p:", &unc).unwrap();
    assert_eq!(read(&p.join("hello.txt")), DFS_HELLO);
    std::fs::write(p.join("via-proxy.txt"), "p\n").unwrap();
    assert!(
        f.lab
            .target_a
            .share_dir("team")
            .join("via-proxy.txt")
            .exists()
    );
}

/// `\team` mapped at T: and answered by target A, a file only the replica B has, and a file
/// of A held open for writing: (the DFS name, the drive, the open file).
fn mapped_with_a_file_held_on_a(f: &Fixture) -> (String, PathBuf, std::fs::File) {
    let unc = f.lab.unc(r"\team");
    let t = f.map("t:", &unc).unwrap();
    assert_eq!(read(&t.join("hello.txt")), DFS_HELLO);
    assert_eq!(
        f.target("t:", &unc),
        format!(r"\\{}\team", f.lab.target_a.host())
    );
    // A file only the replica has shows that answers come from there.
    std::fs::write(
        f.lab.target_b.share_dir("team").join("replica.txt"),
        "from b\n",
    )
    .unwrap();
    // A file held open on the first target while it goes (an existing file: its open goes
    // to the server at once, where a new file's create may wait for its first write).
    std::fs::write(f.lab.target_a.share_dir("team").join("held.txt"), "a\n").unwrap();
    eventually("held.txt shows through the drive", || {
        t.join("held.txt").exists()
    });
    let held = std::fs::OpenOptions::new()
        .write(true)
        .open(t.join("held.txt"))
        .unwrap();
    (unc, t, held)
}

/// After a failover away from A: a write to the file held open there fails, within the
/// drive's request bound (no hang), and what the drive knew of A is forgotten.
fn the_held_file_fails_and_the_replica_answers(mut held: std::fs::File, t: &Path) {
    let start = Instant::now();
    use std::io::Write;
    let result = held.write_all(b"x").and_then(|()| held.sync_all());
    let took = start.elapsed();
    eprintln!(
        "MEASURED a write to a file open on the old target failed after {took:?}: {result:?}"
    );
    let e = result.expect_err("a write to the old target succeeded");
    assert!(
        matches!(e.raw_os_error(), Some(libc::EIO | libc::ETIMEDOUT)),
        "{e}"
    );
    assert!(took < Duration::from_secs(12), "{took:?}");
    drop(held);
    eventually("the replica's own file shows", || {
        std::fs::read_to_string(t.join("replica.txt")).is_ok_and(|s| s == "from b\n")
    });
}

#[test]
fn the_drive_fails_over_to_the_replica_when_its_target_stops() {
    let mut f = Fixture::new();
    let (unc, t, held) = mapped_with_a_file_held_on_a(&f);
    f.lab.target_a.shut_down();
    // A create must reach a server: the first call after the stop.
    let start = Instant::now();
    std::fs::write(t.join("after-failover.txt"), "b\n").unwrap();
    let took = start.elapsed();
    eprintln!("MEASURED dfs failover: first call after the target stopped took {took:?}");
    assert!(took < Duration::from_secs(10), "failover took {took:?}");
    assert_eq!(
        f.target("t:", &unc),
        format!(r"\\{}\team", f.lab.target_b.host())
    );
    the_held_file_fails_and_the_replica_answers(held, &t);
    let on_b = f.lab.target_b.share_dir("team").join("after-failover.txt");
    eventually(
        "the file written after the failover is on the replica",
        || on_b.exists(),
    );
}

#[test]
fn targets_keep_working_when_the_namespace_server_stops() {
    let mut f = Fixture::with_ttl(Duration::from_secs(1));
    let unc = f.lab.unc(r"\team");
    let t = f.map("t:", &unc).unwrap();
    assert_eq!(read(&t.join("hello.txt")), DFS_HELLO);
    f.lab.namespace.shut_down();
    // Past the TTL: the referral cannot be refreshed, the cached one stays in use.
    std::thread::sleep(Duration::from_millis(1500));
    let start = Instant::now();
    std::fs::write(t.join("ns-down.txt"), "still here\n").unwrap();
    assert_eq!(read(&t.join("ns-down.txt")), "still here\n");
    let took = start.elapsed();
    assert!(took < Duration::from_secs(10), "took {took:?}");
    assert!(
        f.lab
            .target_a
            .share_dir("team")
            .join("ns-down.txt")
            .exists()
    );
}

#[test]
fn a_retargeted_link_is_followed_after_the_ttl() {
    let f = Fixture::with_ttl(Duration::from_secs(1));
    let z = f.map("z:", &f.lab.unc("")).unwrap();
    assert_eq!(read(&z.join("team/hello.txt")), DFS_HELLO);
    let b: std::net::Ipv4Addr = f.lab.target_b.host().parse().unwrap();
    f.lab.link("team", &[(b, "deep")]).unwrap();
    eventually("team leads to deep", || z.join("team/deep.txt").exists());
}

#[test]
fn a_dfs_drive_is_cancelled_and_its_sessions_released() {
    let f = Fixture::new();
    let unc = f.lab.unc(r"\team");
    let t = f.map("t:", &unc).unwrap();
    assert_eq!(read(&t.join("hello.txt")), DFS_HELLO);
    f.provider
        .cancel_connection(&ConnectionName::parse("t:").unwrap(), false)
        .unwrap();
    assert!(f.provider.connections().unwrap().is_empty());
    assert!(!t.join("hello.txt").exists());
    // The target's session was given back: no client of ours is left on target A.
    eventually("target A has no client", || {
        f.lab.target_a.client_pids().is_empty()
    });
    // And mapping again works.
    let t = f.map("t:", &unc).unwrap();
    assert_eq!(read(&t.join("hello.txt")), DFS_HELLO);
}

#[test]
fn a_cached_link_costs_no_referral_and_the_first_access_one() {
    let f = Fixture::new();
    let z = f.map("z:", &f.lab.unc("")).unwrap();
    let unc = f.lab.unc("");
    let referrals = || {
        f.provider
            .dfs_target(Some(LocalName::Drive(b'Z')), &UncPath::parse(&unc).unwrap())
            .unwrap()
            .1
    };
    let before = referrals();
    // First access through the link: PATH_NOT_COVERED, the referral, a session and a tree
    // connect to the target, then the read.
    let start = Instant::now();
    assert_eq!(read(&z.join("team/hello.txt")), DFS_HELLO);
    let first = start.elapsed();
    assert_eq!(referrals(), before + 1, "one referral for the link");
    // Another file below the same link: the cache routes it straight to the target.
    let start = Instant::now();
    assert_eq!(read(&z.join("team/sub/inner.txt")), "inner\n");
    let cached = start.elapsed();
    assert_eq!(referrals(), before + 1, "no referral for a cached link");
    eprintln!("MEASURED dfs first access through a link {first:?}, cached {cached:?}");
}

#[test]
fn a_domain_based_namespace_is_asked_of_a_dc_and_keeps_the_users_name() {
    let f = Fixture::new();
    f.domain("dteam");
    let unc = format!(r"\\{DOMAIN_DNS}\dfs\dteam");
    // DC referral (`\wnet.test`), root referral (`\wnet.test\dfs`), the link's referral,
    // sessions and tree connects: all in the mapping.
    let start = Instant::now();
    let d = f.map_as("d:", &unc, DC_USER, DC_PASSWORD).unwrap();
    let first = start.elapsed();
    assert_eq!(read(&d.join("hello.txt")), DFS_HELLO);
    let c = f.provider.get_connection(LocalName::Drive(b'D')).unwrap();
    assert_eq!(c.remote.to_string(), unc, "the DFS path as mapped");
    let (target, referrals) = f
        .provider
        .dfs_target(Some(LocalName::Drive(b'D')), &UncPath::parse(&unc).unwrap())
        .unwrap();
    assert_eq!(target, format!(r"\\{}\team", f.lab.target_a.host()));
    assert_eq!(
        referrals, 2,
        "the root's and the link's (the DC referral is the provider's)"
    );
    // Cached: straight to the target, no referral.
    let start = Instant::now();
    assert_eq!(read(&d.join("sub/inner.txt")), "inner\n");
    let cached = start.elapsed();
    assert_eq!(
        f.provider
            .dfs_target(Some(LocalName::Drive(b'D')), &UncPath::parse(&unc).unwrap())
            .unwrap()
            .1,
        2
    );
    eprintln!(
        "MEASURED domain-based dfs: mapping (DC, root and link referrals, sessions, tree connects) {first:?}, a cached access {cached:?}"
    );
    // A write lands on the link's first target.
    std::fs::write(d.join("from-domain.txt"), "d\n").unwrap();
    assert_eq!(
        read(&f.lab.target_a.share_dir("team").join("from-domain.txt")),
        "d\n"
    );
}

#[test]
fn a_domain_namespace_root_and_sysvol_are_reached_through_the_dc() {
    let f = Fixture::new();
    let dc = f.domain("rteam");
    std::fs::write(dc.share_dir("dfs").join("root-file.txt"), "on the dc\n").unwrap();
    let r = f
        .map_as("r:", &format!(r"\\{DOMAIN_DNS}\dfs"), DC_USER, DC_PASSWORD)
        .unwrap();
    assert_eq!(read(&r.join("root-file.txt")), "on the dc\n");
    assert_eq!(read(&r.join("rteam/hello.txt")), DFS_HELLO);
    // The built-in domain namespaces: SYSVOL and NETLOGON lead to a DC's shares.
    let s = f
        .map_as(
            "s:",
            &format!(r"\\{DOMAIN_DNS}\SYSVOL"),
            DC_USER,
            DC_PASSWORD,
        )
        .unwrap();
    let names: Vec<String> = std::fs::read_dir(&s)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap().to_lowercase())
        .collect();
    assert!(names.contains(&DOMAIN_DNS.to_owned()), "{names:?}");
    f.map_as(
        "n:",
        &format!(r"\\{DOMAIN_DNS}\NETLOGON"),
        DC_USER,
        DC_PASSWORD,
    )
    .unwrap();
    let netlogon = f.target("n:", &format!(r"\\{DOMAIN_DNS}\NETLOGON"));
    assert!(
        netlogon.eq_ignore_ascii_case(&format!(r"\\{DC_NAME}\netlogon")),
        "{netlogon}"
    );
    // A namespace the domain does not have is no network name.
    let e = f
        .map_as(
            "x:",
            &format!(r"\\{DOMAIN_DNS}\nothere"),
            DC_USER,
            DC_PASSWORD,
        )
        .unwrap_err();
    assert_eq!(e.win_error().0, 67, "{e}");
}

#[test]
fn two_deviceless_connections_below_one_namespace_share_are_two_connections() {
    let f = Fixture::new();
    let b: std::net::Ipv4Addr = f.lab.target_b.host().parse().unwrap();
    f.lab.link("other", &[(b, "deep")]).unwrap();
    let (team, other) = (f.lab.unc(r"\team"), f.lab.unc(r"\other"));
    let t = f.map_deviceless(&team).unwrap();
    let o = f.map_deviceless(&other).unwrap();
    assert_ne!(t, o);
    assert_eq!(read(&t.join("hello.txt")), DFS_HELLO);
    assert_eq!(read(&o.join("deep.txt")), "deep\n");
    let mut remotes: Vec<String> = f
        .provider
        .connections()
        .unwrap()
        .iter()
        .map(|c| c.remote.to_string())
        .collect();
    remotes.sort();
    let mut expected = vec![team.clone(), other.clone()];
    expected.sort();
    assert_eq!(remotes, expected);
    // The namespace root would be mounted around both: refused, not mounted over them.
    let e = f.map_deviceless(&f.lab.unc("")).unwrap_err();
    assert_eq!(e.win_error().0, 85, "{e}");
    // Cancelling one leaves the other working.
    f.provider
        .cancel_connection(&ConnectionName::parse(&team).unwrap(), false)
        .unwrap();
    assert_eq!(read(&o.join("deep.txt")), "deep\n");
    assert_eq!(f.provider.connections().unwrap().len(), 1);
    f.provider
        .cancel_connection(&ConnectionName::parse(&other).unwrap(), false)
        .unwrap();
}

#[test]
fn the_drive_fails_over_when_its_target_goes_silent() {
    let f = Fixture::new();
    let (unc, t, held) = mapped_with_a_file_held_on_a(&f);
    let a: std::net::Ipv4Addr = f.lab.target_a.host().parse().unwrap();
    // Target A's packets are dropped from now on: no RST, no answer.
    let _silence = wnet_testkit::Partition::host(a, 445)
        .unwrap_or_else(|e| panic!("cannot partition target A (root and nft needed): {e}"));
    let start = Instant::now();
    std::fs::write(t.join("after-silence.txt"), "b\n").unwrap();
    let took = start.elapsed();
    eprintln!("MEASURED dfs silent-target failover: first call after the partition took {took:?}");
    assert!(took < Duration::from_secs(8), "failover took {took:?}");
    assert_eq!(
        f.target("t:", &unc),
        format!(r"\\{}\team", f.lab.target_b.host())
    );
    assert!(
        f.lab
            .target_b
            .share_dir("team")
            .join("after-silence.txt")
            .exists()
    );
    the_held_file_fails_and_the_replica_answers(held, &t);
}
