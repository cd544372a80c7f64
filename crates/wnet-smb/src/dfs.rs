//! DFS: where a drive's path lives now ([MS-DFSC] as a client does it; ADR 0010).
//!
//! A drive over a DFS share holds a [`Namespace`]. Every path operation of the drive runs
//! through [`Namespace::run`]: the path is written as a DFS path (`\ns\dfs\team\a.txt`), the
//! referral cache rewrites it through every link it knows (`\127.0.0.3\team\a.txt`), and the
//! operation runs on that server's share. A server that answers `STATUS_PATH_NOT_COVERED` is
//! asked for the referral of the path (FSCTL_DFS_GET_REFERRALS), which the cache keeps for the
//! server's TTL; the operation then runs again on the target. A target that stops answering is
//! left for the next one in referral order (failover); the target that worked last is the one
//! used (the hint), and stays so when a refreshed referral still lists it. When the cache
//! entry's TTL has passed, the referral is asked again of the server that gave it; if that
//! server is gone the old entry stays in use (a namespace server down never stops a target).
//!
//! Each target server gets its session from the provider's [`SessionPool`] (one per server,
//! 1219 rules apply to it too); each share's tree counts once in the pool until
//! [`Namespace::close`].

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use wnet_smb2::msg::dfs::ReferralEntry;
use wnet_smb2::{Error, NtStatus, Result, Session, Timeouts, Tree};

use crate::errors::is_connection_loss;
use crate::session_pool::{Credentials, ServerKey, SessionPool};

/// Most links one path may pass through (a root, links, interlinks): a loop in a namespace
/// ends here.
const MAX_HOPS: usize = 8;
/// Most attempts of one operation (referrals asked, targets tried).
const MAX_ATTEMPTS: usize = 12;
/// How long a referral is kept when its server gave no TTL, and the shortest kept.
const MIN_TTL: Duration = Duration::from_secs(1);
/// When a referral could not be refreshed (its server is gone), the old one is used this much
/// longer before the next try.
const REFRESH_RETRY: Duration = Duration::from_secs(10);
/// How long one refresh of a referral may take (its server may be gone).
const REFRESH_BOUND: Duration = Duration::from_secs(3);
/// How long a target's session keeps trying to reconnect before the next target is tried:
/// short, since another replica is there (a plain share keeps the engine's 15 s).
const TARGET_RECONNECT: Duration = Duration::from_secs(1);
/// How long a TCP connect to a target may take: a silent one (SYN dropped) is left for the
/// next target, and files open on it fail, this soon rather than at the engine's 5 s.
const TARGET_CONNECT: Duration = Duration::from_secs(2);
/// DFS targets listen on this port: referrals carry none.
const DFS_PORT: u16 = 445;
/// How long a request to a target that has a replica may go unanswered before the target is
/// asked whether it is there at all (an ECHO).
const SILENCE_PROBE: Duration = Duration::from_secs(2);
/// How long that ECHO may take: a target that answers neither is silent (packets dropped, no
/// RST) and is left for the next one. A busy target still answers an ECHO, and its request is
/// then waited for to its own deadline.
const ECHO_BOUND: Duration = Duration::from_secs(2);

/// One cached referral: a DFS path prefix and where it leads.
#[derive(Clone)]
struct Link {
    /// The DFS path the referral covers (`\ns\dfs\team`), compared case-insensitively.
    prefix: String,
    /// The targets in referral order, each `\server\share[\path]`.
    targets: Vec<String>,
    /// The target in use: the last one that worked.
    active: usize,
    expires: Instant,
    /// The session that gave the referral: asked again at expiry.
    from: Session,
}

impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Link")
            .field("prefix", &self.prefix)
            .field("targets", &self.targets)
            .field("active", &self.active)
            .finish()
    }
}

/// Where a path leads now.
#[derive(Debug, Clone)]
struct Route {
    /// `\server\share`.
    share: String,
    /// The path inside the share (no leading separator).
    rest: String,
    /// The cached link the last hop went through, if any, and the target it led to.
    link: Option<(String, String)>,
    /// That link has other targets to fail over to.
    replicated: bool,
}

/// One connected share.
struct Held {
    server: ServerKey,
    tree: Tree,
    /// Counted in the pool by this namespace (the drive's own root tree is the provider's).
    counted: bool,
}

/// The DFS view of one drive. See the module doc.
pub struct Namespace {
    /// The drive's root as a DFS path, single leading backslash: `\ns\dfs[\team\sub]`.
    root: String,
    pool: Arc<SessionPool>,
    creds: Credentials,
    timeouts: Timeouts,
    /// Longest TTL honoured (a server's longer one is cut to it).
    max_ttl: Duration,
    /// Connected shares by `\server\share` in lower case.
    trees: Mutex<HashMap<String, Held>>,
    /// The referral cache.
    links: Mutex<Vec<Link>>,
    /// For a domain-based namespace, the domain (lower case) and the DC its name stands for:
    /// a target naming the domain (Samba's root referral names `\\domain\dfs` itself) is
    /// reached at that DC.
    domain: Option<(String, String)>,
    /// Referral round trips so far (for the status and the measurements).
    referrals: std::sync::atomic::AtomicU64,
    /// A route changed (failover, a refreshed referral leading elsewhere) since
    /// [`Namespace::take_changed`]: what the drive knows of its directories may be another
    /// server's.
    changed: std::sync::atomic::AtomicBool,
}

impl std::fmt::Debug for Namespace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Namespace")
            .field("root", &self.root)
            .field("links", &*self.links())
            .finish()
    }
}

/// `\server\share\rest` split into `\server\share` and `rest`.
fn split_share(unc: &str) -> Option<(String, String)> {
    let body = unc.trim_start_matches('\\');
    let mut parts = body.splitn(3, '\\');
    let server = parts.next().filter(|s| !s.is_empty())?;
    let share = parts.next().filter(|s| !s.is_empty())?;
    let rest = parts.next().unwrap_or("").trim_matches('\\');
    Some((format!(r"\{server}\{share}"), rest.to_owned()))
}

/// `base\rest`, without a trailing separator when `rest` is empty.
fn join(base: &str, rest: &str) -> String {
    let rest = rest
        .trim_matches(|c| c == '\\' || c == '/')
        .replace('/', "\\");
    if rest.is_empty() {
        base.trim_end_matches('\\').to_owned()
    } else {
        format!(r"{}\{rest}", base.trim_end_matches('\\'))
    }
}

/// Whether `prefix` covers `path` on a component boundary, case-insensitively.
fn covers(prefix: &str, path: &str) -> bool {
    path.len() >= prefix.len()
        && path.is_char_boundary(prefix.len())
        && path[..prefix.len()].eq_ignore_ascii_case(prefix)
        && (path.len() == prefix.len() || path.as_bytes()[prefix.len()] == b'\\')
}

impl Namespace {
    /// The namespace of a drive whose root is the DFS path `root` (`\\ns\dfs\team`, any
    /// number of leading backslashes), reached through `root_tree` (connected by the caller,
    /// which keeps its count in the pool; `None` for a share that only refers, such as a
    /// `msdfs proxy` share: then [`Namespace::prime`] it).
    pub fn new(
        root: &str,
        root_tree: Option<(Tree, ServerKey)>,
        pool: Arc<SessionPool>,
        creds: Credentials,
        timeouts: Timeouts,
        max_ttl: Duration,
    ) -> Namespace {
        let root = format!(r"\{}", root.trim_start_matches('\\'));
        let mut trees = HashMap::new();
        if let (Some((share, _)), Some((tree, server))) = (split_share(&root), root_tree) {
            trees.insert(
                share.to_lowercase(),
                Held {
                    server,
                    tree,
                    counted: false,
                },
            );
        }
        Namespace {
            root,
            pool,
            creds,
            timeouts,
            max_ttl,
            trees: Mutex::new(trees),
            links: Mutex::new(Vec::new()),
            domain: None,
            referrals: Default::default(),
            changed: Default::default(),
        }
    }

    /// A namespace of the domain `domain` (`wnet.test`), whose name stands for the domain
    /// controller `dc` wherever a referral names it as a server.
    pub fn in_domain(mut self, domain: &str, dc: &str) -> Namespace {
        self.domain = Some((domain.to_lowercase(), dc.to_lowercase()));
        self
    }

    /// Caches the root referral `session` gives for the drive's share, `\ns\share` (a
    /// share that only refers, or the root of a domain-based namespace asked of its DC).
    pub async fn prime(&self, session: &Session) -> Result<()> {
        let (share, _) = split_share(&self.root).ok_or(Error::InvalidInput("DFS root"))?;
        self.refer(session, &share).await
    }

    /// The server a target's server name leads to: the domain's DC for the domain's name.
    fn server_name(&self, host: &str) -> String {
        match &self.domain {
            Some((domain, dc)) if host.eq_ignore_ascii_case(domain) => dc.clone(),
            _ => host.to_lowercase(),
        }
    }

    /// `\server\share` with the server name as [`Namespace::server_name`] has it.
    fn real_share(&self, share: &str) -> String {
        let body = share.trim_start_matches('\\');
        match body.split_once('\\') {
            Some((server, name)) => format!(r"\{}\{name}", self.server_name(server)),
            None => share.to_owned(),
        }
    }

    /// Whether a route changed since the last call (see the field).
    pub fn take_changed(&self) -> bool {
        self.changed
            .swap(false, std::sync::atomic::Ordering::AcqRel)
    }

    fn links(&self) -> std::sync::MutexGuard<'_, Vec<Link>> {
        self.links.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn trees(&self) -> std::sync::MutexGuard<'_, HashMap<String, Held>> {
        self.trees.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How many referrals have been asked so far.
    pub fn referral_count(&self) -> u64 {
        self.referrals.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Where the drive's root leads now, `\\server\share[\path]`, as the cache knows it.
    pub fn current_target(&self) -> String {
        let route = self.route("");
        format!(r"\{}", join(&route.share, &route.rest))
    }

    /// The tree the drive's root lives on now, as the cache knows it (for the drive's
    /// liveness watch), if it is connected.
    pub fn home_tree(&self) -> Option<Tree> {
        let route = self.route("");
        self.trees()
            .get(&route.share.to_lowercase())
            .map(|h| h.tree.clone())
    }

    /// `path` as a path on `tree`, when the cache leads it to `tree`'s share (a rename's
    /// destination must be on the source's share).
    pub fn path_on(&self, path: &str, tree: &Tree) -> Option<String> {
        let route = self.route(path);
        let share = format!(r"\{}\{}", tree.session().config().host, tree.share());
        self.real_share(&route.share)
            .eq_ignore_ascii_case(&share)
            .then_some(route.rest)
    }

    /// `path` (relative to the drive's root) through every cached link.
    fn route(&self, path: &str) -> Route {
        let mut unc = join(&self.root, path);
        let mut link = None;
        let mut replicated = false;
        let links = self.links();
        for _ in 0..MAX_HOPS {
            // The longest prefix wins: a link below a link's target is more precise.
            let Some(l) = links
                .iter()
                .filter(|l| covers(&l.prefix, &unc))
                .max_by_key(|l| l.prefix.len())
            else {
                break;
            };
            let target = &l.targets[l.active];
            link = Some((l.prefix.clone(), target.clone()));
            replicated = l.targets.len() > 1;
            // A root that refers to itself (Samba names `\\domain\dfs` as its own target).
            if target.eq_ignore_ascii_case(&l.prefix) {
                break;
            }
            unc = join(target, &unc[l.prefix.len()..]);
        }
        let (share, rest) = split_share(&unc).unwrap_or_else(|| (unc.clone(), String::new()));
        Route {
            share,
            rest,
            link,
            replicated,
        }
    }

    /// Runs `op` on the tree and path where `path` lives (see the module doc).
    ///
    /// Errors: `op`'s; a referral the server refused (e.g. `NOT_FOUND` for a link that
    /// points nowhere); the last target's error when none answers.
    pub async fn run<T, F, Fut>(&self, path: &str, op: F) -> Result<T>
    where
        F: Fn(Tree, String) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let mut failovers = 0usize;
        let mut last = None;
        for _ in 0..MAX_ATTEMPTS {
            let route = self.route(path);
            let outcome = match self.tree(&route.share).await {
                Ok(tree) => match self
                    .watched(
                        &tree,
                        route.replicated,
                        op(tree.clone(), route.rest.clone()),
                    )
                    .await
                {
                    Err(e) if e.is_path_not_covered() => {
                        let unc = join(&route.share, &route.rest);
                        self.refer(tree.session(), &unc).await?;
                        continue;
                    }
                    other => other,
                },
                Err(e) => Err(e),
            };
            match outcome {
                Err(e) if is_connection_loss(&e) => {
                    let Some((link, target)) = &route.link else {
                        return Err(e);
                    };
                    if !self.fail_over(link, target, &mut failovers) {
                        return Err(e);
                    }
                    tracing::warn!(share = route.share, error = %e, "DFS target not answering; trying the next one");
                    last = Some(e);
                }
                r => return r,
            }
        }
        Err(last.unwrap_or(Error::InvalidInput("DFS: too many referrals for one path")))
    }

    /// `request` (on `tree`), given up as [`Error::Timeout`] when `replicated` (the tree is
    /// the target of a link that has others) and the server answers neither the request within
    /// [`SILENCE_PROBE`] nor an ECHO within [`ECHO_BOUND`] after it: a silent target fails over
    /// in about 4 s instead of at the request deadline.
    async fn watched<T>(
        &self,
        tree: &Tree,
        replicated: bool,
        request: impl Future<Output = Result<T>>,
    ) -> Result<T> {
        if !replicated {
            return request.await;
        }
        tokio::pin!(request);
        tokio::select! {
            r = &mut request => return r,
            () = tokio::time::sleep(SILENCE_PROBE) => {}
        }
        let session = tree.session().clone();
        let echo = tokio::time::timeout(ECHO_BOUND, session.echo());
        tokio::pin!(echo);
        tokio::select! {
            r = &mut request => r,
            answered = &mut echo => match answered {
                Ok(Ok(_)) => request.await,
                _ => {
                    tracing::warn!(share = tree.share(), "DFS target silent: no answer to a request nor an ECHO");
                    // Whatever else waits on that connection (files open there) fails now
                    // rather than at its own deadline; the session reconnects if it can.
                    session.connection().kill();
                    Err(Error::Timeout {
                        what: "DFS target (no answer, not even to an ECHO)",
                        after: SILENCE_PROBE + ECHO_BOUND,
                    })
                }
            },
        }
    }

    /// Moves `prefix`'s link from `failed` to its next target; false when every target has
    /// been tried. When another request moved it already (both saw `failed` go), it stays
    /// where that one put it: two failovers must not move it twice.
    fn fail_over(&self, prefix: &str, failed: &str, failovers: &mut usize) -> bool {
        let mut links = self.links();
        let Some(l) = links.iter_mut().find(|l| l.prefix == prefix) else {
            return false;
        };
        if *failovers + 1 >= l.targets.len() {
            return false;
        }
        *failovers += 1;
        if !l.targets[l.active].eq_ignore_ascii_case(failed) {
            return true;
        }
        l.active = (l.active + 1) % l.targets.len();
        self.changed
            .store(true, std::sync::atomic::Ordering::Release);
        true
    }

    /// Asks `session`'s server for the referral of `unc` and caches it.
    async fn refer(&self, session: &Session, unc: &str) -> Result<()> {
        self.referrals
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let reply = session.dfs_referral(unc).await?;
        let targets: Vec<(String, u32, String)> = reply
            .entries
            .iter()
            .filter_map(|e| match e {
                ReferralEntry::Target {
                    ttl,
                    network_address,
                    dfs_path,
                    ..
                } if split_share(network_address).is_some() => {
                    Some((network_address.clone(), *ttl, dfs_path.clone()))
                }
                _ => None,
            })
            .collect();
        let Some((_, ttl, dfs_path)) = targets.first().cloned() else {
            return Err(Error::Status {
                status: NtStatus::NOT_FOUND,
                command: wnet_smb2::msg::Command::Ioctl,
            });
        };
        // The prefix: the entry's DFSPath when it covers the path asked (Samba and Windows
        // give it), else PathConsumed; never nothing (that would loop on the same path).
        let prefix = if covers(&dfs_path, unc) && !dfs_path.is_empty() {
            unc[..dfs_path.len()].to_owned()
        } else {
            let units: Vec<u16> = unc.encode_utf16().take(reply.path_consumed_units).collect();
            String::from_utf16_lossy(&units)
                .trim_end_matches('\\')
                .to_owned()
        };
        if prefix.is_empty() || !covers(&prefix, unc) || split_share(&prefix).is_none() {
            return Err(Error::Protocol(wnet_smb2::msg::DecodeError(
                "dfs referral: path consumed does not match the path",
            )));
        }
        let ttl = Duration::from_secs(u64::from(ttl)).clamp(MIN_TTL, self.max_ttl.max(MIN_TTL));
        let targets: Vec<String> = targets.into_iter().map(|t| t.0).collect();
        tracing::info!(prefix, ?targets, ?ttl, "DFS referral");
        let mut links = self.links();
        let keep = links
            .iter()
            .position(|l| l.prefix.eq_ignore_ascii_case(&prefix));
        let current = keep.map(|i| links[i].targets[links[i].active].clone());
        let active = current
            .as_ref()
            .and_then(|c| targets.iter().position(|t| t.eq_ignore_ascii_case(c)));
        if current.is_some() && active.is_none() {
            self.changed
                .store(true, std::sync::atomic::Ordering::Release);
        }
        let link = Link {
            prefix,
            targets,
            active: active.unwrap_or(0),
            expires: Instant::now() + ttl,
            from: session.clone(),
        };
        match keep {
            Some(i) => links[i] = link,
            None => links.push(link),
        }
        Ok(())
    }

    /// Asks again for every referral whose TTL has passed, each of the server that gave it
    /// and within `REFRESH_BOUND`; a server that does not answer leaves the old entry in use
    /// for `REFRESH_RETRY` more. Called in the background (the drive's monitor), so no
    /// request waits on a namespace server.
    pub async fn refresh(&self) {
        let now = Instant::now();
        let stale: Vec<(String, Session)> = self
            .links()
            .iter()
            .filter(|l| l.expires <= now)
            .map(|l| (l.prefix.clone(), l.from.clone()))
            .collect();
        for (prefix, from) in stale {
            let refreshed = tokio::time::timeout(REFRESH_BOUND, self.refer(&from, &prefix))
                .await
                .unwrap_or(Err(Error::Timeout {
                    what: "DFS referral",
                    after: REFRESH_BOUND,
                }));
            if let Err(e) = refreshed {
                tracing::info!(prefix, error = %e, "DFS referral not refreshed; the cached one stays");
                if let Some(l) = self.links().iter_mut().find(|l| l.prefix == prefix) {
                    l.expires = Instant::now() + REFRESH_RETRY;
                }
            }
        }
    }

    /// The connected tree of `share` (`\server\share`), connecting it (on port 445) if needed.
    async fn tree(&self, share: &str) -> Result<Tree> {
        let key = share.to_lowercase();
        let known = self.trees().get(&key).map(|h| h.tree.clone());
        if let Some(tree) = known {
            return Ok(tree);
        }
        let (server_share, _) = split_share(share).ok_or(Error::InvalidInput("DFS target"))?;
        let mut parts = server_share.trim_start_matches('\\').splitn(2, '\\');
        let host = self.server_name(parts.next().unwrap_or(""));
        let name = parts.next().unwrap_or("").to_owned();
        let server = ServerKey {
            host,
            port: DFS_PORT,
        };
        let timeouts = Timeouts {
            reconnect: TARGET_RECONNECT,
            connect: TARGET_CONNECT.min(self.timeouts.connect),
            ..self.timeouts
        };
        let session = self
            .pool
            .acquire(&server, &self.creds, timeouts)
            .await
            .map_err(|e| {
                tracing::info!(share, error = %e, "DFS target refused");
                Error::Io(Arc::new(std::io::Error::new(
                    std::io::ErrorKind::ConnectionRefused,
                    e.to_string(),
                )))
            })?;
        let tree = match session.tree_connect(&name).await {
            Ok(t) => t,
            Err(e) => {
                self.pool.release(&server).await;
                return Err(e);
            }
        };
        let existing = {
            let mut trees = self.trees();
            match trees.get(&key) {
                Some(held) => Some(held.tree.clone()),
                None => {
                    trees.insert(
                        key,
                        Held {
                            server: server.clone(),
                            tree: tree.clone(),
                            counted: true,
                        },
                    );
                    None
                }
            }
        };
        // Connected meanwhile by another request: use that one, give ours back.
        if let Some(existing) = existing {
            let _ = tree.disconnect().await;
            self.pool.release(&server).await;
            return Ok(existing);
        }
        Ok(tree)
    }

    /// Disconnects every target tree and gives its count back to the pool (the drive's own
    /// root tree stays: it is the caller's).
    pub async fn close(&self) {
        let held: Vec<Held> = self
            .trees()
            .drain()
            .map(|(_, h)| h)
            .filter(|h| h.counted)
            .collect();
        for h in held {
            let _ = h.tree.disconnect().await;
            self.pool.release(&h.server).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_split_join_and_cover() {
        assert_eq!(
            split_share(r"\h\s\a\b"),
            Some((r"\h\s".into(), r"a\b".into()))
        );
        assert_eq!(split_share(r"\\h\s"), Some((r"\h\s".into(), String::new())));
        assert_eq!(split_share(r"\h"), None);
        assert_eq!(join(r"\h\s", ""), r"\h\s");
        assert_eq!(join(r"\h\s", "a/b"), r"\h\s\a\b");
        assert!(covers(r"\ns\dfs\team", r"\NS\dfs\Team\x"));
        assert!(covers(r"\ns\dfs\team", r"\ns\dfs\team"));
        assert!(!covers(r"\ns\dfs\team", r"\ns\dfs\teams"));
        assert!(!covers(r"\ns\dfs\team", r"\ns\dfs"));
    }
}
