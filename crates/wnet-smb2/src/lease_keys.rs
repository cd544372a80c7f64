//! The lease keys a session asked for: a lease break for any other key is dropped, not
//! acknowledged (a server cannot make us answer for leases we never held).

use std::collections::{HashSet, VecDeque};
use std::sync::Mutex;

/// Keys remembered at most: far more than the opens a session holds at once; the oldest key
/// goes first (a break for a lease closed long ago needs no answer).
const MAX_KEYS: usize = 65536;

/// Lease keys requested on one session (across its reconnects: a reclaimed durable handle
/// keeps its key).
#[derive(Debug, Default)]
pub(crate) struct LeaseKeys {
    inner: Mutex<Keys>,
}

/// The keys in insertion order (to evict the oldest) and as a set (to look up).
type Keys = (VecDeque<[u8; 16]>, HashSet<[u8; 16]>);

impl LeaseKeys {
    /// Remembers `key` (before the CREATE that asks for it is sent: a break may race its reply).
    pub(crate) fn insert(&self, key: [u8; 16]) {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let (order, set) = &mut *g;
        if set.insert(key) {
            order.push_back(key);
            if order.len() > MAX_KEYS
                && let Some(old) = order.pop_front()
            {
                set.remove(&old);
            }
        }
    }

    /// Whether `key` was asked for.
    pub(crate) fn contains(&self, key: &[u8; 16]) -> bool {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .1
            .contains(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_remembered_within_the_bound() {
        let k = LeaseKeys::default();
        k.insert([1; 16]);
        assert!(k.contains(&[1; 16]));
        assert!(!k.contains(&[2; 16]));
        for i in 0..MAX_KEYS as u32 {
            let mut key = [0u8; 16];
            key[..4].copy_from_slice(&i.to_le_bytes());
            key[15] = 9;
            k.insert(key);
        }
        assert!(!k.contains(&[1; 16]), "the oldest key went first");
        assert_eq!(k.inner.lock().unwrap().1.len(), MAX_KEYS);
    }
}
