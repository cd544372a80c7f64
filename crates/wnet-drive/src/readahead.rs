//! Read-ahead for one open file.
//!
//! The kernel caps its own read-ahead at 128 KiB here, and one 128 KiB round trip at a time
//! leaves the link mostly idle. Once reads are sequential, the file is fetched in
//! [`CHUNK`]-sized SMB reads with up to [`WINDOW`] of them in flight ahead of the reader, and
//! the kernel's small reads are answered from those chunks. A read elsewhere drops the window
//! and is sent as it is.

use super::handle_table::ServerFile;
use super::remote::{FsError, FsResult, ReadBuf};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use tokio::runtime::Handle;
use tokio::sync::watch;

/// Size of one read-ahead SMB read.
pub const CHUNK: u64 = 1 << 20;
/// Chunks kept in flight ahead of the reader.
pub const WINDOW: u64 = 8;

/// A chunk's fetch: `None` while in flight. The bytes stay in the provider's buffer, which
/// goes back to it once the last reader of the chunk is done.
pub type Fetched = Option<FsResult<Arc<ReadBuf>>>;

#[derive(Default)]
struct State {
    /// Where the next sequential read would start.
    next: u64,
    /// Chunk index → its fetch (a watch that turns `Some` when the read is done).
    chunks: BTreeMap<u64, watch::Receiver<Fetched>>,
    /// The whole file as read at open (small files): reads are served from it until the file
    /// changes through the drive.
    snapshot: Option<Arc<Vec<u8>>>,
}

/// How one read is served.
#[derive(Debug)]
pub enum Plan {
    /// Not sequential: one read of exactly what was asked.
    Direct {
        /// Where.
        offset: u64,
        /// How much.
        size: u32,
    },
    /// From read-ahead chunks.
    Chunks {
        /// Where the read starts.
        offset: u64,
        /// Where it ends (exclusive).
        end: u64,
        /// The chunks covering it, in order.
        wanted: Vec<(u64, watch::Receiver<Fetched>)>,
    },
}

/// The bytes of a read served from read-ahead.
#[derive(Debug)]
pub enum Served {
    /// `data[from..to]` of the snapshot.
    Slice(Arc<Vec<u8>>, usize, usize),
    /// `bytes()[from..to]` of one read-ahead chunk.
    Chunk(Arc<ReadBuf>, usize, usize),
    /// Gathered from several chunks.
    Owned(Vec<u8>),
}

impl Served {
    /// The bytes.
    pub fn bytes(&self) -> &[u8] {
        match self {
            Served::Slice(d, from, to) => &d[*from..*to],
            Served::Chunk(d, from, to) => &d.bytes()[*from..*to],
            Served::Owned(v) => v,
        }
    }

    /// The bytes, owned.
    pub fn into_vec(self) -> Vec<u8> {
        match self {
            Served::Slice(..) | Served::Chunk(..) => self.bytes().to_vec(),
            Served::Owned(v) => v,
        }
    }
}

/// Cuts `[offset, end)` out of consecutive chunks; stops at a short chunk (end of file).
fn assemble(offset: u64, end: u64, parts: &[(u64, Arc<ReadBuf>)]) -> Vec<u8> {
    let mut out = Vec::with_capacity((end - offset) as usize);
    for (i, data) in parts {
        let data = data.bytes();
        let base = i * CHUNK;
        let from = offset.max(base) - base;
        let to = (end.min(base + CHUNK) - base).min(data.len() as u64);
        if from < to {
            out.extend_from_slice(&data[from as usize..to as usize]);
        }
        if (data.len() as u64) < CHUNK {
            break;
        }
    }
    out
}

/// `[offset, end)` out of the chunks `parts` (consecutive, covering it): a view of the one
/// chunk when it lies within one (the usual case: nothing copied), else gathered.
fn serve(offset: u64, end: u64, parts: Vec<(u64, Arc<ReadBuf>)>) -> Served {
    if let [(i, data)] = parts.as_slice() {
        let base = i * CHUNK;
        let len = data.len() as u64;
        let from = (offset.max(base) - base).min(len) as usize;
        let to = (end.min(base + CHUNK) - base).min(len) as usize;
        return Served::Chunk(data.clone(), from, to.max(from));
    }
    Served::Owned(assemble(offset, end, &parts))
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

    /// Starts fetching the file's first chunk right away (at open: the first read follows
    /// within microseconds, and for a small file this is the whole file).
    pub fn prefetch_head(&self) {
        let mut st = self.state.lock().expect("ra lock");
        if let std::collections::btree_map::Entry::Vacant(v) = st.chunks.entry(0) {
            v.insert(self.fetch(0));
        }
    }

    /// Forgets every chunk and the snapshot (the file changed through the drive).
    pub fn invalidate(&self) {
        let mut st = self.state.lock().expect("ra lock");
        st.chunks.clear();
        st.snapshot = None;
    }

    /// Serves reads from `data`, the whole file, until [`ReadAhead::invalidate`].
    pub fn set_snapshot(&self, data: Arc<Vec<u8>>) {
        self.state.lock().expect("ra lock").snapshot = Some(data);
    }

    /// `size` bytes at `offset` from the snapshot (fewer at its end), if there is one.
    pub fn from_snapshot(&self, offset: u64, size: u32) -> Option<Served> {
        let st = self.state.lock().expect("ra lock");
        let data = st.snapshot.as_ref()?;
        let len = data.len() as u64;
        let from = offset.min(len);
        let to = offset.saturating_add(u64::from(size)).min(len);
        Some(Served::Slice(data.clone(), from as usize, to as usize))
    }

    /// Reads `size` bytes at `offset` (fewer at end of file). `size_hint`: the file's size as
    /// known, so the window does not run past the end.
    pub async fn read(&self, offset: u64, size: u32, size_hint: u64) -> FsResult<Vec<u8>> {
        let plan = self.plan(offset, size, size_hint);
        match self.ready(&plan) {
            Some(r) => r,
            None => self.complete(plan).await,
        }
        .map(Served::into_vec)
    }

    /// Decides how to serve a read and starts the fetches it needs (the window included).
    /// Call once per read: it advances the sequential detector.
    pub fn plan(&self, offset: u64, size: u32, size_hint: u64) -> Plan {
        let end = offset + u64::from(size);
        let mut st = self.state.lock().expect("ra lock");
        // A fetch that failed (a prefetch refused by another client's lock since released,
        // say) is asked again by the read that needs it, not reported stale.
        st.chunks
            .retain(|_, rx| !matches!(&*rx.borrow(), Some(Err(_))));
        let sequential = offset == st.next || st.chunks.contains_key(&(offset / CHUNK));
        st.next = end;
        if !sequential || size == 0 {
            st.chunks.clear();
            return Plan::Direct { offset, size };
        }
        let first = offset / CHUNK;
        let last = (end - 1) / CHUNK;
        // The chunks this read needs, then the window past them (within the known size).
        let stop = (last + 1 + WINDOW).min(size_hint.div_ceil(CHUNK).max(last + 1));
        st.chunks.retain(|&i, _| i >= first);
        for i in first..stop {
            if let std::collections::btree_map::Entry::Vacant(v) = st.chunks.entry(i) {
                v.insert(self.fetch(i));
            }
        }
        Plan::Chunks {
            offset,
            end,
            wanted: (first..=last).map(|i| (i, st.chunks[&i].clone())).collect(),
        }
    }

    /// The answer now, if every chunk it needs has arrived (no waiting, no task switch).
    pub fn ready(&self, plan: &Plan) -> Option<FsResult<Served>> {
        let Plan::Chunks {
            offset,
            end,
            wanted,
        } = plan
        else {
            return None;
        };
        let mut parts = Vec::with_capacity(wanted.len());
        for (i, rx) in wanted {
            match &*rx.borrow() {
                None => return None,
                Some(Err(e)) => return Some(Err(e.clone())),
                Some(Ok(d)) => parts.push((*i, d.clone())),
            }
        }
        Some(Ok(serve(*offset, *end, parts)))
    }

    /// Waits for what `plan` needs.
    pub async fn complete(&self, plan: Plan) -> FsResult<Served> {
        let (offset, end, wanted) = match plan {
            Plan::Direct { offset, size } => {
                let guard = self.file.read().await;
                let f = guard.as_ref().ok_or_else(FsError::disconnected)?;
                return f.read(offset, size).await.map(Served::Owned);
            }
            Plan::Chunks {
                offset,
                end,
                wanted,
            } => (offset, end, wanted),
        };
        let mut parts = Vec::with_capacity(wanted.len());
        for (i, mut rx) in wanted {
            let r = rx
                .wait_for(Option::is_some)
                .await
                .map_err(|_| FsError::disconnected())?;
            let got = r.as_ref().expect("some").clone();
            drop(r);
            match got {
                Ok(d) => parts.push((i, d)),
                Err(e) => {
                    // Not kept: the next read asks again.
                    self.state.lock().expect("ra lock").chunks.remove(&i);
                    return Err(e);
                }
            }
        }
        Ok(serve(offset, end, parts))
    }

    fn fetch(&self, index: u64) -> watch::Receiver<Fetched> {
        let (tx, rx) = watch::channel(None);
        let file = self.file.clone();
        self.rt.spawn(async move {
            let guard = file.read().await;
            let r = match guard.as_ref() {
                Some(f) => f.read_buf(index * CHUNK, CHUNK as u32).await.map(Arc::new),
                None => Err(FsError::disconnected()),
            };
            drop(guard);
            let _ = tx.send(Some(r));
        });
        rx
    }
}
