//! `EnumTable`: open enumerations (`WNetOpenEnum` handles) and their remaining items.

use std::collections::{BTreeMap, VecDeque};

use wnet_core::{Error, ErrorKind, NetResource};

/// The most enumerations open at once; opening one more closes the oldest.
pub const MAX_OPEN_ENUMS: usize = 1024;

/// Open enumerations by handle. Handles are never reused within a daemon's life.
#[derive(Debug)]
pub struct EnumTable {
    next: u64,
    open: BTreeMap<u64, VecDeque<NetResource>>,
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

impl EnumTable {
    /// Stores a snapshot and returns its handle.
    pub fn open(&mut self, items: Vec<NetResource>) -> u64 {
        if self.open.len() >= MAX_OPEN_ENUMS {
            if let Some(oldest) = self.open.keys().next().copied() {
                self.open.remove(&oldest);
            }
        }
        self.next += 1;
        self.open.insert(self.next, items.into());
        self.next
    }

    /// The next items (at most `max`); `ERROR_NO_MORE_ITEMS` (259) at the end, 6 for an unknown
    /// handle.
    pub fn next(&mut self, handle: u64, max: Option<u32>) -> Result<Vec<NetResource>, Error> {
        let items = self
            .open
            .get_mut(&handle)
            .ok_or_else(|| bad_handle(handle))?;
        if items.is_empty() {
            return Err(Error::from_kind(ErrorKind::NoMoreItems));
        }
        let n = max.map_or(items.len(), |m| (m as usize).min(items.len()));
        Ok(items.drain(..n).collect())
    }

    /// Closes a handle; 6 if unknown.
    pub fn close(&mut self, handle: u64) -> Result<(), Error> {
        self.open
            .remove(&handle)
            .map(|_| ())
            .ok_or_else(|| bad_handle(handle))
    }
}

fn bad_handle(handle: u64) -> Error {
    Error::new(
        ErrorKind::InvalidHandle,
        format!("{handle:#x} is not an open enumeration"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use wnet_core::Scope;

    fn item(n: usize) -> NetResource {
        NetResource::disk_share(Scope::Connected, None, &format!(r"\\s\x{n}"), "P")
    }

    #[test]
    fn pages_then_259_then_close() {
        let mut t = EnumTable::default();
        let h = t.open((0..5).map(item).collect());
        assert_eq!(t.next(h, Some(2)).unwrap().len(), 2);
        assert_eq!(t.next(h, None).unwrap().len(), 3);
        assert_eq!(t.next(h, None).unwrap_err().win_error().0, 259);
        t.close(h).unwrap();
        assert_eq!(t.next(h, None).unwrap_err().win_error().0, 6);
        assert_eq!(t.close(h).unwrap_err().win_error().0, 6);
        assert_eq!(t.close(0).unwrap_err().win_error().0, 6);
    }

    #[test]
    fn the_oldest_is_closed_past_the_limit() {
        let mut t = EnumTable::default();
        let first = t.open(vec![]);
        for _ in 0..MAX_OPEN_ENUMS {
            t.open(vec![item(0)]);
        }
        assert_eq!(t.close(first).unwrap_err().win_error().0, 6);
    }
}
