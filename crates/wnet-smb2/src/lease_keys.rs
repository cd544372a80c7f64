//! The lease keys a session asked for, and who answers their breaks: a lease break for any
//! other key is dropped, not acknowledged (a server cannot make us answer for leases we never
//! held); a break for a key with a listener goes to it, and is acknowledged once it is done.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

/// Keys remembered at most: far more than the opens a session holds at once; the oldest key
/// goes first (a break for a lease closed long ago needs no answer).
const MAX_KEYS: usize = 65536;

/// A lease's key (MS-SMB2 LeaseKey). Opens asking with the same key share one lease: one
/// client's opens of one file under one key never break each other.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct LeaseKey(pub [u8; 16]);

impl LeaseKey {
    /// A fresh random key.
    pub fn random() -> Self {
        let mut g = [0u8; 16];
        let _ = crate::crypto::fill_random(&mut g);
        LeaseKey(g)
    }
}

impl std::fmt::Debug for LeaseKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LeaseKey(")?;
        for b in &self.0[..4] {
            write!(f, "{b:02x}")?;
        }
        write!(f, "…)")
    }
}

/// A break of a lease handed to its listener ([`crate::Session::listen_lease`]). The
/// acknowledgment (when the server wants one) is sent when this is dropped or
/// [`LeaseBreak::done`], or after [`crate::session::LEASE_BREAK_PATIENCE`], whichever comes
/// first.
#[derive(Debug)]
pub struct LeaseBreak {
    /// The lease.
    pub key: LeaseKey,
    /// Its state before the break (`create::lease` bits).
    pub from: u32,
    /// The state the server breaks it to: what the caller may still cache.
    pub to: u32,
    /// The server waits for the acknowledgment (and so for the listener) before it answers
    /// whoever caused the break; without it (a break to none at another client's write, say)
    /// it goes on at once.
    pub ack_required: bool,
    /// Dropped when done: releases the acknowledgment.
    pub(crate) _done: Option<tokio::sync::oneshot::Sender<()>>,
}

impl LeaseBreak {
    /// The caller dropped what the lost state covered: the acknowledgment may go.
    pub fn done(self) {}
}

/// Where a key's breaks go.
pub type LeaseListener = tokio::sync::mpsc::Sender<LeaseBreak>;

/// What a break of a key meets.
pub(crate) enum Route {
    /// Never asked for (or forgotten long ago): dropped.
    Unknown,
    /// Asked for, no listener: acknowledged at once.
    Ack,
    /// Goes to this listener.
    Listener(LeaseListener),
}

/// Lease keys requested on one session (across its reconnects: a reclaimed durable handle
/// keeps its key), with their listeners.
#[derive(Debug, Default)]
pub(crate) struct LeaseKeys {
    inner: Mutex<Keys>,
}

/// The keys in insertion order (to evict the oldest) and with their listeners (to look up).
type Keys = (VecDeque<LeaseKey>, HashMap<LeaseKey, Option<LeaseListener>>);

impl LeaseKeys {
    fn lock(&self) -> std::sync::MutexGuard<'_, Keys> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Remembers `key` (before the CREATE that asks for it is sent: a break may race its reply).
    pub(crate) fn insert(&self, key: LeaseKey) {
        let mut g = self.lock();
        let (order, map) = &mut *g;
        if let std::collections::hash_map::Entry::Vacant(e) = map.entry(key) {
            e.insert(None);
            order.push_back(key);
            if order.len() > MAX_KEYS
                && let Some(old) = order.pop_front()
            {
                map.remove(&old);
            }
        }
    }

    /// Sends the breaks of `key` to `to` from now on (`None`: acknowledged at once again).
    pub(crate) fn listen(&self, key: LeaseKey, to: Option<LeaseListener>) {
        self.insert(key);
        if let Some(l) = self.lock().1.get_mut(&key) {
            *l = to;
        }
    }

    /// Where a break of `key` goes.
    pub(crate) fn route(&self, key: &LeaseKey) -> Route {
        match self.lock().1.get(key) {
            None => Route::Unknown,
            Some(None) => Route::Ack,
            Some(Some(l)) => Route::Listener(l.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_remembered_within_the_bound() {
        let k = LeaseKeys::default();
        k.insert(LeaseKey([1; 16]));
        assert!(matches!(k.route(&LeaseKey([1; 16])), Route::Ack));
        assert!(matches!(k.route(&LeaseKey([2; 16])), Route::Unknown));
        for i in 0..MAX_KEYS as u32 {
            let mut key = [0u8; 16];
            key[..4].copy_from_slice(&i.to_le_bytes());
            key[15] = 9;
            k.insert(LeaseKey(key));
        }
        assert!(
            matches!(k.route(&LeaseKey([1; 16])), Route::Unknown),
            "the oldest key went first"
        );
        assert_eq!(k.lock().1.len(), MAX_KEYS);
    }

    #[test]
    fn a_listener_takes_the_breaks_until_it_is_removed() {
        let k = LeaseKeys::default();
        let (tx, _rx) = tokio::sync::mpsc::channel(1);
        k.listen(LeaseKey([3; 16]), Some(tx));
        assert!(matches!(k.route(&LeaseKey([3; 16])), Route::Listener(_)));
        k.listen(LeaseKey([3; 16]), None);
        assert!(matches!(k.route(&LeaseKey([3; 16])), Route::Ack));
    }
}
