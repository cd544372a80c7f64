//! The drive's connection state: every request under one deadline ([`Core::guard`]), remote
//! results mapped ([`Core::remote`]) with a lost connection or a refused logon turning the
//! drive Disconnected, the probe that turns it Connected again, and the monitor that watches
//! an idle or stalled connection. What a connection is, and how it is revived, is the
//! provider's ([`RemoteFs::revive`], [`RemoteFs::probe`], [`RemoteFs::reconnect`],
//! [`RemoteFs::echo`]).

use super::Core;
use super::{CONNECTED, DETACHED, DISCONNECTED};
use crate::errno::{self, Errno};
use crate::remote::{FsError, FsErrorKind, FsResult};
use std::future::Future;
use std::sync::Weak;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// The first pause between a disconnected drive's attempts to reach its server again
/// (doubling up to [`PROBE_MAX`]); the first attempt is made at once.
const PROBE_FIRST: Duration = Duration::from_millis(100);
/// The longest pause between two attempts.
const PROBE_MAX: Duration = Duration::from_secs(1);
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

    /// Records the outcome of an attempt to log on again (`None`: success): a refusal (no
    /// valid Kerberos ticket in the caller's cache) is kept as the reason the drive is down;
    /// anything else clears it.
    fn note_refusal(&self, e: Option<&FsError>) {
        let refusal = e
            .filter(|e| e.is_logon_refused())
            .map(|e| (errno::from_fs(e, self.share_ro), e.message.clone()));
        *self.refusal.lock().expect("refusal lock") = refusal;
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
    /// deadline and still be making progress: the provider bounds each page of it, and the
    /// whole by [`RemoteFs::listing_deadline`]. Measured: `ls -l` of 100,000 cold entries on
    /// a loaded machine took more than 10 s, which the request deadline turned into
    /// ETIMEDOUT and a Disconnected drive.
    pub async fn guard_listing<T>(
        &self,
        fut: impl Future<Output = Result<T, Errno>>,
    ) -> Result<T, Errno> {
        self.guard_for(self.fs.listing_deadline(), fut).await
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
                    drive = self.name,
                    "request timed out; drive disconnected"
                );
                self.mark_disconnected();
                Err(Errno::ETIMEDOUT)
            }
        }
    }

    /// Maps a remote result: the one place a failure that crossed the seam becomes errno. A
    /// lost connection turns the drive Disconnected, and so does a reconnect the server (or
    /// the KDC) refused for want of valid credentials: later requests fail at once with its
    /// errno while the background probe waits for `kinit`.
    pub(super) fn remote<T>(&self, r: FsResult<T>) -> Result<T, Errno> {
        r.map_err(|e| {
            if e.is_logon_refused() {
                tracing::warn!(error = %e, drive = self.name, "logon refused; drive disconnected");
                self.note_refusal(Some(&e));
                self.mark_disconnected();
            } else if e.connection_lost {
                tracing::warn!(error = %e, drive = self.name, "connection lost; drive disconnected");
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
                if !core.revive().await {
                    continue;
                }
                let probe = tokio::time::timeout(core.deadline, core.fs.probe()).await;
                core.check_moved();
                if let Ok(Ok(())) = probe {
                    core.note_refusal(None);
                    tracing::info!(drive = core.name, "server answers again; drive connected");
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

    /// Whether the provider has a connection that answers now ([`RemoteFs::revive`]: the
    /// current one, else one attempt at a fresh one), within the request deadline. A failed
    /// attempt to log on again is noted; success clears nothing yet (the current connection
    /// may answer while its session's logon is still refused): the probe's success does.
    async fn revive(&self) -> bool {
        match tokio::time::timeout(self.deadline, self.fs.revive()).await {
            Ok(Ok(())) => true,
            Ok(Err(e)) => {
                self.note_refusal(Some(&e));
                false
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
        // Upkeep (a DFS drive's referrals past their TTL); a route that moved is noticed.
        let _ = core.fs.maintain().await;
        core.check_moved();
        if core.fs.connection_dead() {
            // As the next request would: reconnect (as long as a request may wait; a DFS
            // drive goes to the next target), and only then call the server lost.
            tracing::info!(drive = core.name, "connection lost while idle");
            core.lose_completeness();
            let again = tokio::time::timeout(core.deadline, core.fs.reconnect()).await;
            core.check_moved();
            match again {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    core.note_refusal(Some(&e));
                    core.mark_disconnected();
                }
                Err(_) => core.mark_disconnected(),
            }
            continue;
        }
        if core.watches.is_empty() {
            continue;
        }
        let fs = core.fs.clone();
        drop(core);
        let echo = fs.echo();
        tokio::pin!(echo);
        let answer = tokio::select! {
            r = &mut echo => r,
            _ = tokio::time::sleep(STALL) => {
                let Some(core) = me.upgrade() else { return };
                tracing::info!(drive = core.name, "connection stalled; watched directories not exact");
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
        let silent = |e: &FsError| e.kind == FsErrorKind::TimedOut && e.connection_lost;
        if let (Err(e), Some(core)) = (answer, me.upgrade()) {
            if silent(&e) {
                tracing::warn!(error = %e, drive = core.name, "no answer to an echo; drive disconnected");
                core.mark_disconnected();
            }
        }
    }
}
