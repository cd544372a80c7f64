//! Read-ahead for one open file.
//!
//! The kernel caps its own read-ahead at 128 KiB here, and one 128 KiB round trip at a time
//! leaves the link mostly idle. Once reads are sequential, the file is fetched in
//! [`CHUNK`]-sized SMB reads with up to [`WINDOW`] of them in flight ahead of the reader, and
//! the kernel's small reads are answered from those chunks. A read elsewhere drops the window
//! and is sent as it is.

use super::handle_table::ServerFile;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use tokio::runtime::Handle;
use tokio::sync::watch;

/// Size of one read-ahead SMB read.
pub const CHUNK: u64 = 1 << 20;
/// Chunks kept in flight ahead of the reader.
pub const WINDOW: u64 = 8;

type Fetched = Option<Result<Arc<Vec<u8>>, wnet_smb2::Error>>;

#[derive(Default)]
struct State {
    /// Where the next sequential read would start.
    next: u64,
    /// Chunk index → its fetch (a watch that turns `Some` when the read is done).
    chunks: BTreeMap<u64, watch::Receiver<Fetched>>,
}

/// The read-ahead state of one handle.
pub struct ReadAhead {
    file: ServerFile,
    rt: Handle,
    state: Mutex<State>,
}

impl std::fmt::Debug for ReadAhead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadAhead").finish()
    }
}

impl ReadAhead {
    /// Read-ahead over `file`, fetching on `rt`.
    pub fn new(file: ServerFile, rt: Handle) -> Self {
        ReadAhead {
            file,
            rt,
            state: Mutex::new(State::default()),
        }
    }

    /// Forgets every chunk (the file changed through this handle).
    pub fn invalidate(&self) {
        self.state.lock().expect("ra lock").chunks.clear();
    }

    /// Reads `size` bytes at `offset` (fewer at end of file). `size_hint`: the file's size as
    /// known, so the window does not run past the end.
    pub async fn read(
        &self,
        offset: u64,
        size: u32,
        size_hint: u64,
    ) -> Result<Vec<u8>, wnet_smb2::Error> {
        let end = offset + u64::from(size);
        let wanted = {
            let mut st = self.state.lock().expect("ra lock");
            let sequential = offset == st.next || st.chunks.contains_key(&(offset / CHUNK));
            st.next = end;
            if !sequential || size == 0 {
                st.chunks.clear();
                None
            } else {
                let first = offset / CHUNK;
                let last = (end - 1) / CHUNK;
                // The chunks this read needs, then the window past them (within the size).
                let ahead_limit = size_hint.div_ceil(CHUNK).max(last + 1);
                let stop = (last + 1 + WINDOW).min(ahead_limit.max(last + 1));
                st.chunks.retain(|&i, _| i >= first);
                for i in first..stop.max(last + 1) {
                    if let std::collections::btree_map::Entry::Vacant(v) = st.chunks.entry(i) {
                        v.insert(self.fetch(i));
                    }
                }
                Some(
                    (first..=last)
                        .map(|i| (i, st.chunks[&i].clone()))
                        .collect::<Vec<_>>(),
                )
            }
        };
        let Some(wanted) = wanted else {
            let guard = self.file.read().await;
            let f = guard.as_ref().ok_or(wnet_smb2::Error::Disconnected)?;
            return f.read_at(offset, size as usize).await;
        };
        let mut out = Vec::with_capacity(size as usize);
        for (i, mut rx) in wanted {
            let data = {
                let r = rx
                    .wait_for(Option::is_some)
                    .await
                    .map_err(|_| wnet_smb2::Error::Disconnected)?;
                match r.as_ref().expect("some") {
                    Ok(d) => d.clone(),
                    Err(e) => {
                        let e = e.clone();
                        drop(r);
                        self.state.lock().expect("ra lock").chunks.remove(&i);
                        return Err(e);
                    }
                }
            };
            let base = i * CHUNK;
            let from = offset.max(base) - base;
            let to = (end.min(base + CHUNK) - base).min(data.len() as u64);
            if from < to {
                out.extend_from_slice(&data[from as usize..to as usize]);
            }
            if (data.len() as u64) < CHUNK {
                break; // end of file
            }
        }
        Ok(out)
    }

    fn fetch(&self, index: u64) -> watch::Receiver<Fetched> {
        let (tx, rx) = watch::channel(None);
        let file = self.file.clone();
        self.rt.spawn(async move {
            let guard = file.read().await;
            let r = match guard.as_ref() {
                Some(f) => f.read_at(index * CHUNK, CHUNK as usize).await.map(Arc::new),
                None => Err(wnet_smb2::Error::Disconnected),
            };
            drop(guard);
            let _ = tx.send(Some(r));
        });
        rx
    }
}
