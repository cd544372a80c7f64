//! `EnumTable`: open enumerations (`WNetOpenEnum` handles) and their remaining items, each
//! owned by the client connection that opened it.
//!
//! A handle is bound to its connection: another connection cannot read, close or evict it (it
//! gets 6 `ERROR_INVALID_HANDLE`, as for a handle never opened), and a connection's
//! enumerations end with it. Each connection may hold [`MAX_OPEN_ENUMS`]; opening one more
//! closes that connection's oldest. A page is bounded by [`PAGE_BUDGET`] bytes of encoded
//! items, so an answer always fits in a protocol frame; the client asks again for the rest.

use std::collections::{BTreeMap, VecDeque};

use wnet_core::{Error, ErrorKind, NetResource};

/// The most enumerations one connection keeps open; opening one more closes its oldest.
pub const MAX_OPEN_ENUMS: usize = 64;

/// The most bytes of items one page carries (a safe half of the 1 MiB frame, counted
/// pessimistically: see [`encoded_bound`]). A page has at least one item.
pub const PAGE_BUDGET: usize = (wnet_proto::MAX_FRAME as usize) / 2;

/// The client connection that opened an enumeration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClientId(pub u64);

impl ClientId {
    /// Requests that come from no connection (the daemon called directly, in-process).
    pub const LOCAL: ClientId = ClientId(0);
}

struct Open {
    owner: ClientId,
    items: VecDeque<NetResource>,
}

/// Open enumerations by handle. Handles are never reused within a daemon's life.
pub struct EnumTable {
    next: u64,
    open: BTreeMap<u64, Open>,
}

impl std::fmt::Debug for EnumTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnumTable")
            .field("open", &self.open.len())
            .finish()
    }
}

impl Default for EnumTable {
    fn default() -> Self {
        // Start away from 0 and small numbers so a zeroed or guessed handle is caught as 6.
        EnumTable {
            next: 0x5745_0000 + u64::from(std::process::id()) * 0x1_0000,
            open: BTreeMap::new(),
        }
    }
}

/// An upper bound of the bytes `item` takes in a JSON frame: every string byte may become a
/// 6-byte `\uXXXX` escape, plus the field names and numbers.
pub fn encoded_bound(item: &NetResource) -> usize {
    let strings = [
        item.remote_name.as_deref(),
        item.comment.as_deref(),
        item.provider.as_deref(),
    ]
    .iter()
    .map(|s| s.map_or(0, str::len))
    .sum::<usize>();
    256 + 6 * strings
}

impl EnumTable {
    /// Stores a snapshot for `owner` and returns its handle.
    pub fn open(&mut self, owner: ClientId, items: Vec<NetResource>) -> u64 {
        if self.count(owner) >= MAX_OPEN_ENUMS {
            let oldest = self
                .open
                .iter()
                .find(|(_, o)| o.owner == owner)
                .map(|(h, _)| *h);
            if let Some(oldest) = oldest {
                self.open.remove(&oldest);
            }
        }
        self.next += 1;
        self.open.insert(
            self.next,
            Open {
                owner,
                items: items.into(),
            },
        );
        self.next
    }

    /// How many enumerations `owner` holds open.
    pub fn count(&self, owner: ClientId) -> usize {
        self.open.values().filter(|o| o.owner == owner).count()
    }

    /// The next items (at most `max`, and at most [`PAGE_BUDGET`] bytes of them);
    /// `ERROR_NO_MORE_ITEMS` (259) at the end, 6 for a handle `owner` did not open.
    pub fn next(
        &mut self,
        owner: ClientId,
        handle: u64,
        max: Option<u32>,
    ) -> Result<Vec<NetResource>, Error> {
        let items = &mut self
            .open
            .get_mut(&handle)
            .filter(|o| o.owner == owner)
            .ok_or_else(|| bad_handle(handle))?
            .items;
        if items.is_empty() {
            return Err(Error::from_kind(ErrorKind::NoMoreItems));
        }
        let max = max.map_or(items.len(), |m| (m as usize).min(items.len()));
        let mut bytes = 0;
        let n = items
            .iter()
            .take(max)
            .take_while(|item| {
                bytes += encoded_bound(item);
                bytes <= PAGE_BUDGET
            })
            .count()
            .max(1);
        Ok(items.drain(..n).collect())
    }

    /// Closes a handle; 6 if `owner` has no such handle.
    pub fn close(&mut self, owner: ClientId, handle: u64) -> Result<(), Error> {
        match self.open.get(&handle) {
            Some(o) if o.owner == owner => {
                self.open.remove(&handle);
                Ok(())
            }
            _ => Err(bad_handle(handle)),
        }
    }

    /// Closes every enumeration of `owner` (its connection ended).
    pub fn close_all(&mut self, owner: ClientId) {
        self.open.retain(|_, o| o.owner != owner);
    }
}

fn bad_handle(handle: u64) -> Error {
    Error::new(
        ErrorKind::InvalidHandle,
        format!("{handle:#x} is not an open enumeration of this connection"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use wnet_core::Scope;

    const A: ClientId = ClientId(1);
    const B: ClientId = ClientId(2);

    fn item(n: usize) -> NetResource {
        NetResource::disk_share(Scope::Connected, None, &format!(r"\\s\x{n}"), "P")
    }

    #[test]
    fn pages_then_259_then_close() {
        let mut t = EnumTable::default();
        let h = t.open(A, (0..5).map(item).collect());
        assert_eq!(t.next(A, h, Some(2)).unwrap().len(), 2);
        assert_eq!(t.next(A, h, None).unwrap().len(), 3);
        assert_eq!(t.next(A, h, None).unwrap_err().win_error().0, 259);
        t.close(A, h).unwrap();
        assert_eq!(t.next(A, h, None).unwrap_err().win_error().0, 6);
        assert_eq!(t.close(A, h).unwrap_err().win_error().0, 6);
        assert_eq!(t.close(A, 0).unwrap_err().win_error().0, 6);
    }

    #[test]
    fn another_connection_cannot_read_close_or_evict_a_handle() {
        let mut t = EnumTable::default();
        let mine = t.open(A, (0..3).map(item).collect());
        assert_eq!(t.next(B, mine, None).unwrap_err().win_error().0, 6);
        assert_eq!(t.close(B, mine).unwrap_err().win_error().0, 6);
        for _ in 0..MAX_OPEN_ENUMS * 2 {
            t.open(B, vec![item(0)]);
        }
        assert_eq!(t.count(B), MAX_OPEN_ENUMS);
        assert_eq!(t.next(A, mine, Some(1)).unwrap().len(), 1, "still open");
        t.close_all(A);
        assert_eq!(t.next(A, mine, None).unwrap_err().win_error().0, 6);
        assert_eq!(t.count(B), MAX_OPEN_ENUMS);
    }

    #[test]
    fn the_oldest_of_the_same_connection_is_closed_past_the_limit() {
        let mut t = EnumTable::default();
        let first = t.open(A, vec![]);
        for _ in 0..MAX_OPEN_ENUMS {
            t.open(A, vec![item(0)]);
        }
        assert_eq!(t.close(A, first).unwrap_err().win_error().0, 6);
    }

    #[test]
    fn a_page_fits_in_a_frame_whatever_the_items() {
        let mut t = EnumTable::default();
        // 3000 items of ~1 KiB of comment each: far more than one frame holds.
        let big: Vec<_> = (0..3000)
            .map(|n| {
                let mut r = item(n);
                r.comment = Some("\u{1}".repeat(1000));
                r
            })
            .collect();
        let h = t.open(A, big);
        let mut total = 0;
        while let Ok(page) = t.next(A, h, None) {
            let bytes = wnet_proto::frame::encode(&wnet_proto::Reply::Resources {
                items: page.clone(),
            })
            .len();
            assert!(bytes <= wnet_proto::MAX_FRAME as usize, "{bytes}");
            assert!(!page.is_empty());
            total += page.len();
        }
        assert_eq!(total, 3000);
    }
}
