//! The drive's connection state: every request under one deadline ([`Core::guard`]), engine
//! results mapped ([`Core::smb`]) with a lost connection or a refused logon turning the drive
//! Disconnected, the probe that turns it Connected again, routing of a path to the share it
//! lives on ([`Core::on`], DFS included), and the monitor that watches an idle or stalled
//! connection.

use super::Core;
use super::{CONNECTED, DETACHED, DISCONNECTED};
use crate::drive::errno::{self, Errno};
use crate::drive::remote::{FsError, FsResult, RemoteFs};
use std::future::Future;
use std::sync::Weak;
use std::sync::atomic::Ordering;
use std::time::Duration;
use wnet_smb2::Tree;

/// The first pause between a disconnected drive's attempts to reach its server again
/// (doubling up to [`PROBE_MAX`]); the first attempt is made at once.
const PROBE_FIRST: Duration = Duration::from_millis(100);
/// The longest pause between two attempts.
const PROBE_MAX: Duration = Duration::from_secs(1);
/// How long an attempt waits for the current connection's ECHO before it makes a new one:
/// generous, since a connection that is alive but busy must not be dropped (every durable
/// handle would have to be reclaimed); paid once per disconnection (a dead one is not asked).
const PROBE_ECHO: Duration = Duration::from_secs(5);
/// How long one attempt's TCP connect may take. Short, so that a network that comes back is
/// found within about this plus [`PROBE_MAX`] (a long connect would wait on the kernel's SYN
/// retransmissions, 1 s, 3 s, 7 s, ... apart).
const PROBE_CONNECT: Duration = Duration::from_secs(2);
/// How often the drive checks its connection (dead while idle; stalled under watches).
const MONITOR_TICK: Duration = Duration::from_secs(1);
/// An ECHO unanswered this long means the connection is stalled: notifications may be
/// held up, so watched directories stop being complete until it answers.
const STALL: Duration = Duration::from_secs(1);

impl Core {
    /// Whether requests are being served (not Disconnected, not detached).
    pub fn is_connected(&self) -> bool {
        self.state.load(Ordering::Acquire) == CONNECTED
    }

    /// The drive was detached (forced unmount): every later request fails with `EIO`.
    pub fn detach(&self) {
        self.state.store(DETACHED, Ordering::Release);
    }

    /// Why the server refused to log the drive on again (e.g. `Kerberos: ... Ticket expired`),
    /// while it does.
    pub fn refusal(&self) -> Option<String> {
        self.refusal
            .lock()
            .expect("refusal lock")
            .as_ref()
            .map(|(_, why)| why.clone())
    }

    /// Records the outcome of an attempt to log on again: a Kerberos refusal (no valid ticket
    /// in the caller's cache) is kept as the reason the drive is down; anything else clears it.
    fn note_logon(&self, r: &wnet_smb2::Result<()>) {
        let e = r.as_ref().err().map(crate::errors::drive_error);
        self.note_refusal(e.as_ref());
    }

    /// [`Core::note_logon`] with the failure as it crossed the seam (`None`: success).
    fn note_refusal(&self, e: Option<&FsError>) {
        let refusal = e
            .filter(|e| e.is_logon_refused())
            .map(|e| (errno::from_fs(e, self.share_ro), e.message.clone()));
        *self.refusal.lock().expect("refusal lock") = refusal;
    }

    /// The tree the drive's root lives on now: the mounted share, or for a DFS drive the
    /// target its root leads to (its session is the one watched for liveness).
    pub(crate) fn tree(&self) -> Tree {
        self.fs.home_tree()
    }

    /// Runs `op` on the share and path where the drive's `path` lives: the mounted share, or
    /// for a DFS drive wherever its namespace leads now (links followed, targets failed over;
    /// see [`crate::dfs`]).
    pub(crate) async fn on<T, F, Fut>(&self, path: &str, op: F) -> wnet_smb2::Result<T>
    where
        F: Fn(Tree, String) -> Fut,
        Fut: Future<Output = wnet_smb2::Result<T>>,
    {
        let r = self.fs.on(path, op).await;
        self.check_moved();
        r
    }

    /// Awaits a remote operation and maps its outcome ([`Core::answered`]).
    pub(super) async fn ask<T>(&self, op: impl Future<Output = FsResult<T>>) -> Result<T, Errno> {
        self.answered(op.await)
    }

    /// The outcome of a remote operation just done: a route that moved is noticed
    /// ([`Core::check_moved`]) and a failure mapped ([`Core::remote`]).
    pub(super) fn answered<T>(&self, r: FsResult<T>) -> Result<T, Errno> {
        self.check_moved();
        self.remote(r)
    }

    /// After a request: if the provider's paths now lead to another server, nothing known of
    /// the old one's directories holds.
    pub(crate) fn check_moved(&self) {
        if self.fs.take_moved() {
            self.lose_completeness();
        }
    }

    /// Runs one request under the deadline. Disconnected or detached: `EIO` at once (or the
    /// errno of the server's refusal to log on again, e.g. `EKEYEXPIRED`).
    /// Timeout: the drive turns Disconnected and the request fails with `ETIMEDOUT`.
    pub async fn guard<T>(&self, fut: impl Future<Output = Result<T, Errno>>) -> Result<T, Errno> {
        self.guard_for(self.deadline, fut).await
    }

    /// [`Core::guard`] for an OPENDIR, whose listing may take longer than one request's
    /// deadline and still be making progress: the engine bounds each page of it by the
    /// metadata deadline and the whole by [`wnet_smb2::file::MAX_LISTING_TIME`]. Measured:
    /// `ls -l` of 100,000 cold entries on a loaded machine took more than 10 s, which the
    /// request deadline turned into ETIMEDOUT and a Disconnected drive.
    pub async fn guard_listing<T>(
        &self,
        fut: impl Future<Output = Result<T, Errno>>,
    ) -> Result<T, Errno> {
        self.guard_for(wnet_smb2::file::MAX_LISTING_TIME, fut).await
    }

    async fn guard_for<T>(
        &self,
        deadline: Duration,
        fut: impl Future<Output = Result<T, Errno>>,
    ) -> Result<T, Errno> {
        match self.state.load(Ordering::Acquire) {
            CONNECTED => {}
            DISCONNECTED => {
                let refusal = self.refusal.lock().expect("refusal lock");
                return Err(refusal.as_ref().map_or(Errno::EIO, |(n, _)| *n));
            }
            _ => return Err(Errno::EIO),
        }
        match tokio::time::timeout(deadline, fut).await {
            Ok(r) => r,
            Err(_) => {
                tracing::warn!(
                    ?deadline,
                    share = self.tree().share(),
                    "request timed out; drive disconnected"
                );
                self.mark_disconnected();
                Err(Errno::ETIMEDOUT)
            }
        }
    }

    /// Maps an engine result; a lost connection turns the drive Disconnected, and so does a
    /// reconnect the server (or the KDC) refused for want of a valid Kerberos ticket: later
    /// requests fail at once with its errno while the background probe waits for `kinit`.
    pub(super) fn smb<T>(&self, r: wnet_smb2::Result<T>) -> Result<T, Errno> {
        self.remote(r.map_err(|e| crate::errors::drive_error(&e)))
    }

    /// Maps a remote result (see [`Core::smb`]): the one place a failure that crossed the
    /// seam becomes errno, and Disconnected when the server is gone or refused the logon.
    pub(super) fn remote<T>(&self, r: FsResult<T>) -> Result<T, Errno> {
        r.map_err(|e| {
            if e.is_logon_refused() {
                tracing::warn!(error = %e, share = self.tree().share(), "logon refused; drive disconnected");
                self.note_refusal(Some(&e));
                self.mark_disconnected();
            } else if e.connection_lost {
                tracing::warn!(error = %e, share = self.tree().share(), "connection lost; drive disconnected");
                self.mark_disconnected();
            }
            errno::from_fs(&e, self.share_ro)
        })
    }

    fn mark_disconnected(&self) {
        if self
            .state
            .compare_exchange(CONNECTED, DISCONNECTED, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return;
        }
        self.lose_completeness();
        let me = self.me.clone();
        self.rt.spawn(async move {
            // A fresh connection at once, then again with backoff: never the dead one again
            // (its TCP retransmissions back off for seconds after the network is back).
            let mut pause = Duration::ZERO;
            loop {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).clamp(PROBE_FIRST, PROBE_MAX);
                let Some(core) = me.upgrade() else { return };
                if core.state.load(Ordering::Acquire) != DISCONNECTED {
                    return;
                }
                // A DFS drive's probe below resolves again and fails over by itself; reviving
                // the session of a target that is gone would only wait for it.
                if core.dfs.is_none() && !core.revive().await {
                    continue;
                }
                let probe = tokio::time::timeout(
                    core.deadline,
                    core.on("", |t, p| async move { t.stat(&p).await }),
                )
                .await;
                if let Ok(Ok(_)) = probe {
                    core.note_logon(&Ok(()));
                    tracing::info!(
                        share = core.tree().share(),
                        "server answers again; drive connected"
                    );
                    let _ = core.state.compare_exchange(
                        DISCONNECTED,
                        CONNECTED,
                        Ordering::AcqRel,
                        Ordering::Acquire,
                    );
                    return;
                }
            }
        });
    }

    /// Whether the session has a connection that answers now: the current one if it answers
    /// an ECHO within [`PROBE_ECHO`], else a fresh one (one attempt).
    async fn revive(&self) -> bool {
        let tree = self.tree();
        let session = tree.session();
        let generation = session.generation();
        if !session.connection().is_dead()
            && matches!(
                tokio::time::timeout(PROBE_ECHO, session.echo()).await,
                Ok(Ok(_))
            )
        {
            return true;
        }
        let fresh = session.reconnect_once(generation, PROBE_CONNECT);
        match tokio::time::timeout(self.deadline, fresh).await {
            Ok(r) => {
                self.note_logon(&r);
                r.is_ok()
            }
            Err(_) => false,
        }
    }

    /// Notifications may have been missed (the connection was lost or is stalled): no
    /// watched directory stays complete, and the kernel forgets what it was told under the
    /// watches, so no negative answer or listing of before outlives the gap.
    pub(super) fn lose_completeness(&self) {
        self.completeness.fetch_add(1, Ordering::AcqRel);
        // Breaks may have been missed too: no lease is trusted across the gap.
        self.unpark_all_later();
        for (dir, names) in self.cache.lose_completeness() {
            self.kernel_forget(&dir, names.into_iter().map(|n| (n, true)));
        }
    }

    /// The completeness epoch while a listing may make a directory complete (connected, not
    /// stalled); a listing is applied only if the epoch is the same after it was taken.
    pub(crate) fn completeness_epoch(&self) -> Option<u64> {
        (self.is_connected() && !self.stalled.load(Ordering::Acquire))
            .then(|| self.completeness.load(Ordering::Acquire))
    }
}

/// Watches the drive's connection once a [`MONITOR_TICK`]: a connection lost while idle is
/// replaced at once (or the drive turns Disconnected), and while directories are watched an
/// ECHO proves that notifications can arrive: unanswered for [`STALL`], watched directories
/// stop being complete until it is answered; unanswered within the request deadline, the
/// drive turns Disconnected.
pub(super) async fn monitor(me: Weak<Core>) {
    loop {
        tokio::time::sleep(MONITOR_TICK).await;
        let Some(core) = me.upgrade() else { return };
        core.cache.sweep();
        match core.state.load(Ordering::Acquire) {
            DETACHED => return,
            DISCONNECTED => continue,
            _ => {}
        }
        if let Some(ns) = core.dfs.clone() {
            // Referrals past their TTL are asked again here, never by a waiting request.
            ns.refresh().await;
            if ns.take_changed() {
                core.lose_completeness();
            }
        }
        let session = core.tree().session().clone();
        if session.connection().is_dead() && core.dfs.is_some() {
            // A DFS drive goes where its namespace leads (the next target when this one is
            // gone): only when no target answers is the drive disconnected.
            core.lose_completeness();
            let probe = core.on("", |t, p| async move { t.stat(&p).await });
            if !matches!(tokio::time::timeout(core.deadline, probe).await, Ok(Ok(_))) {
                tracing::warn!("no DFS target answers; drive disconnected");
                core.mark_disconnected();
            }
            continue;
        }
        if session.connection().is_dead() {
            // As the next request would: reconnect (the engine's bounded backoff, as long as
            // a request may wait), and only then call the server lost.
            tracing::info!(share = core.tree().share(), "connection lost while idle");
            core.lose_completeness();
            let again = session.reconnect_from(session.generation());
            match tokio::time::timeout(core.deadline, again).await {
                Ok(Ok(())) => {}
                Ok(r) => {
                    core.note_logon(&r);
                    core.mark_disconnected();
                }
                Err(_) => core.mark_disconnected(),
            }
            continue;
        }
        if core.watches.is_empty() {
            continue;
        }
        drop(core);
        let echo = session.echo();
        tokio::pin!(echo);
        let answer = tokio::select! {
            r = &mut echo => r,
            _ = tokio::time::sleep(STALL) => {
                let Some(core) = me.upgrade() else { return };
                tracing::info!(share = core.tree().share(), "connection stalled; watched directories not exact");
                core.stalled.store(true, Ordering::Release);
                core.lose_completeness();
                drop(core);
                let r = echo.await;
                if let Some(core) = me.upgrade() {
                    core.stalled.store(false, Ordering::Release);
                }
                r
            }
        };
        // A connection that broke is the next tick's (reconnected as a request would be);
        // one that stayed silent for the whole deadline is a lost server.
        if let (Err(e @ wnet_smb2::Error::Timeout { .. }), Some(core)) = (answer, me.upgrade()) {
            tracing::warn!(error = %e, share = core.tree().share(), "no answer to an echo; drive disconnected");
            core.mark_disconnected();
        }
    }
}
