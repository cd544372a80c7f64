//! Buffered, pipelined writes for one open file.
//!
//! Contiguous writes are gathered into [`CHUNK`]-sized SMB writes, and up to [`DEPTH`] of them
//! are in flight at once, so a sequential writer is answered as soon as its data is buffered
//! while the server works. A write that is not contiguous first waits for everything in
//! flight, so overlapping ranges are never reordered. A failed write is remembered and
//! reported by the next write, `flush` (close) or `fsync` on the handle, once.
//!
//! A write that needs no waiting (see [`WriteBuffer::try_write_now`]) is taken on the FUSE
//! thread itself: its bytes are copied once, from fuser's request buffer into the chunk the
//! SMB WRITE is built from, and a full chunk goes to a task of its own; the FUSE reply leaves
//! at once. Only when all [`DEPTH`] slots are busy does a write go to the runtime and wait
//! there (its bytes then moved, not copied, into the chunk).
//!
//! Invariant: after [`WriteBuffer::flush`] returns `Ok`, every byte written before it is
//! acknowledged by the server.

use super::handle_table::ServerFile;
use super::remote::{FsError, FsResult};
use std::borrow::Cow;
use std::sync::Arc;
use std::sync::Mutex as StdMutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use tokio::runtime::Handle;
use tokio::sync::{Mutex, OwnedSemaphorePermit, Semaphore};

/// Size of one SMB write.
pub const CHUNK: usize = 1 << 20;
/// SMB writes in flight per handle.
pub const DEPTH: u32 = 8;

#[derive(Default)]
struct State {
    pending: Option<Pending>,
    /// End of the last accepted write: a write starting elsewhere is not sequential.
    last_end: Option<u64>,
}

struct Pending {
    offset: u64,
    data: Vec<u8>,
}

/// The write buffer of one handle.
pub struct WriteBuffer {
    file: ServerFile,
    rt: Handle,
    pending: Mutex<State>,
    slots: Arc<Semaphore>,
    error: Arc<StdMutex<Option<FsError>>>,
    /// Chunk buffers whose SMB write is done, kept for the next chunks (at most [`DEPTH`] + 1,
    /// dropped at each flush): a fresh 1 MiB buffer is a fresh mapping (the daemon's mmap
    /// threshold is 1 MiB), page-faulted and zeroed by the kernel for every chunk otherwise.
    spare: Arc<StdMutex<Vec<Vec<u8>>>>,
    high_water: AtomicU64,
    dirty: AtomicBool,
    written: AtomicBool,
}

impl std::fmt::Debug for WriteBuffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriteBuffer")
            .field("high_water", &self.high_water)
            .finish()
    }
}

impl WriteBuffer {
    /// A buffer writing to `file`, spawning its SMB writes on `rt`.
    pub fn new(file: ServerFile, rt: Handle) -> Self {
        WriteBuffer {
            file,
            rt,
            pending: Mutex::new(State::default()),
            slots: Arc::new(Semaphore::new(DEPTH as usize)),
            error: Arc::new(StdMutex::new(None)),
            spare: Arc::new(StdMutex::new(Vec::new())),
            high_water: AtomicU64::new(0),
            dirty: AtomicBool::new(false),
            written: AtomicBool::new(false),
        }
    }

    /// The end of the furthest write accepted (0 if none): the file is at least this long.
    pub fn high_water(&self) -> u64 {
        self.high_water.load(Ordering::Acquire)
    }

    /// After a truncate: the file is now `len` long.
    pub fn set_high_water(&self, len: u64) {
        self.high_water.store(len, Ordering::Release);
    }

    /// Whether anything was ever written through this buffer.
    pub fn written(&self) -> bool {
        self.written.load(Ordering::Acquire)
    }

    /// Whether anything was written since the last [`WriteBuffer::take_dirty`].
    pub fn take_dirty(&self) -> bool {
        self.dirty.swap(false, Ordering::AcqRel)
    }

    fn take_error(&self) -> FsResult<()> {
        match self.error.lock().expect("error lock").take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Accepts `data` at `offset`, waiting for a slot for each chunk it fills. Errors: an
    /// earlier write's failure.
    pub async fn write(&self, offset: u64, data: Vec<u8>) -> FsResult<()> {
        let mut st = self.pending.lock().await;
        self.take_error()?;
        if st.last_end != Some(offset) {
            // Not sequential: what is queued or in flight may overlap this range; let it land
            // first so the server sees the writes in the application's order.
            if let Some(p) = st.pending.take() {
                self.dispatch(p).await;
            }
            self.drain().await;
        }
        for p in self.accept(&mut st, offset, Cow::Owned(data)) {
            self.dispatch(p).await;
        }
        Ok(())
    }

    /// Accepts `data` at `offset` now, without waiting: when it is sequential (or nothing is
    /// buffered or in flight) and every chunk it fills can be sent at once (a free slot each,
    /// the server handle open). Full chunks are handed to the runtime to send; the caller
    /// answers at once (write-behind, bounded by [`DEPTH`] chunks in flight and one being
    /// gathered). `None` when it would wait (use [`WriteBuffer::write`]). Errors: an earlier
    /// write's failure.
    pub fn try_write_now(&self, offset: u64, data: &[u8]) -> Option<FsResult<()>> {
        let mut st = self.pending.try_lock().ok()?;
        let sequential = st.last_end == Some(offset);
        if !sequential && (st.pending.is_some() || self.slots.available_permits() != DEPTH as usize)
        {
            return None;
        }
        let buffered = st.pending.as_ref().map_or(0, |p| p.data.len());
        let full = (buffered + data.len()) / CHUNK;
        let mut slots = Vec::with_capacity(full);
        if full > 0 {
            // A chunk to send needs the server handle (a deferred create has none yet).
            if !self.file.try_read().is_ok_and(|g| g.is_some()) {
                return None;
            }
            for _ in 0..full {
                slots.push(self.slots.clone().try_acquire_owned().ok()?);
            }
        }
        if let Err(e) = self.take_error() {
            return Some(Err(e));
        }
        let chunks = self.accept(&mut st, offset, Cow::Borrowed(data));
        for (p, slot) in chunks.into_iter().zip(slots) {
            self.send(p, slot);
        }
        Some(Ok(()))
    }

    /// Records a write of `data` at `offset` (sequential, or with nothing buffered) and
    /// gathers it into chunks: the full ones are returned to be sent, the rest stays pending.
    /// Owned `data` becomes the chunk itself when nothing was pending (no copy); borrowed
    /// data is copied once, into a chunk buffer (a spare one if any).
    fn accept(&self, st: &mut State, offset: u64, data: Cow<'_, [u8]>) -> Vec<Pending> {
        self.dirty.store(true, Ordering::Release);
        self.written.store(true, Ordering::Release);
        let end = offset + data.len() as u64;
        self.high_water.fetch_max(end, Ordering::AcqRel);
        st.last_end = Some(end);
        let mut out = Vec::new();
        let mut rest: &[u8] = &data;
        let mut offset = offset;
        if let Some(p) = st.pending.as_mut() {
            let n = (CHUNK - p.data.len()).min(rest.len());
            p.data.extend_from_slice(&rest[..n]);
            rest = &rest[n..];
            offset += n as u64;
            if p.data.len() >= CHUNK {
                out.extend(st.pending.take());
            }
            if rest.is_empty() {
                return out;
            }
        } else if data.len() <= CHUNK {
            let data = match data {
                Cow::Owned(v) => v,
                Cow::Borrowed(b) => self.chunk_of(b),
            };
            let p = Pending { offset, data };
            if p.data.len() == CHUNK {
                out.push(p);
            } else {
                st.pending = Some(p);
            }
            return out;
        }
        for c in rest.chunks(CHUNK) {
            let p = Pending {
                offset,
                data: self.chunk_of(c),
            };
            offset += c.len() as u64;
            if p.data.len() == CHUNK {
                out.push(p);
            } else {
                st.pending = Some(p);
            }
        }
        out
    }

    /// Whether nothing is buffered, in flight or failed.
    pub fn is_empty(&self) -> bool {
        let Ok(st) = self.pending.try_lock() else {
            return false;
        };
        st.pending.is_none()
            && self.slots.available_permits() == DEPTH as usize
            && self.error.lock().expect("error lock").is_none()
    }

    /// Everything this buffer holds, taken out to be sent by the caller, when that is all
    /// there is to send: nothing in flight, no error waiting. `(offset, data)`; empty when
    /// nothing is buffered. `None`: use [`WriteBuffer::flush`].
    pub async fn take_whole(&self) -> Option<(u64, Vec<u8>)> {
        let mut st = self.pending.lock().await;
        if self.slots.available_permits() != DEPTH as usize
            || self.error.lock().expect("error lock").is_some()
        {
            return None;
        }
        Some(
            st.pending
                .take()
                .map_or((0, Vec::new()), |p| (p.offset, p.data)),
        )
    }

    /// Sends the partial chunk, waits for every write in flight; reports a failure once.
    pub async fn flush(&self) -> FsResult<()> {
        let mut st = self.pending.lock().await;
        if let Some(p) = st.pending.take() {
            if self.slots.available_permits() == DEPTH as usize {
                // The only write (a small file's whole content, usually): sent from here,
                // without a task to hand it to and wake up from.
                self.write_inline(p).await;
            } else {
                self.dispatch(p).await;
            }
        }
        self.drain().await;
        self.spare.lock().expect("spare lock").clear();
        self.take_error()
    }

    /// Sends the partial chunk and waits for every write in flight, like
    /// [`WriteBuffer::flush`], but leaves a failure for this handle's own next write, flush
    /// or fsync: what a read through another descriptor of the file needs before it asks the
    /// server (its writer's bytes may be in no page cache: see the drive's `FOPEN_DIRECT_IO`).
    pub async fn settle(&self) {
        let mut st = self.pending.lock().await;
        if let Some(p) = st.pending.take() {
            self.dispatch(p).await;
        }
        self.drain().await;
    }

    /// One SMB write, awaited here. Dropped before it is answered (the request's deadline),
    /// it leaves an error for the next flush: the data may not have reached the server.
    async fn write_inline(&self, p: Pending) {
        struct Unfinished<'a>(&'a StdMutex<Option<FsError>>, bool);
        impl Drop for Unfinished<'_> {
            fn drop(&mut self) {
                if !self.1 {
                    let mut slot = self.0.lock().expect("error lock");
                    if slot.is_none() {
                        *slot = Some(FsError::disconnected());
                    }
                }
            }
        }
        let mut unfinished = Unfinished(&self.error, false);
        let guard = self.file.read().await;
        let r = match guard.as_ref() {
            Some(f) => f.write(p.offset, &p.data).await,
            None => Err(FsError::disconnected()),
        };
        drop(guard);
        unfinished.1 = true;
        if let Err(e) = r {
            tracing::warn!(offset = p.offset, len = p.data.len(), error = %e, "buffered write failed");
            let mut slot = self.error.lock().expect("error lock");
            if slot.is_none() {
                *slot = Some(e);
            }
        }
    }

    /// Waits until nothing is in flight.
    async fn drain(&self) {
        if let Ok(all) = self.slots.acquire_many(DEPTH).await {
            drop(all);
        }
    }

    /// `data` in a buffer of its own: a spare chunk buffer if there is one, else a new
    /// buffer of its size (a small file's content stays small).
    fn chunk_of(&self, data: &[u8]) -> Vec<u8> {
        match self.spare.lock().expect("spare lock").pop() {
            Some(mut v) => {
                v.extend_from_slice(data);
                v
            }
            None => data.to_vec(),
        }
    }

    async fn dispatch(&self, p: Pending) {
        if let Ok(slot) = self.slots.clone().acquire_owned().await {
            self.send(p, slot);
        }
    }

    /// Sends `p` from a task; the slot is free again once the server answered.
    fn send(&self, p: Pending, slot: OwnedSemaphorePermit) {
        let file = self.file.clone();
        let error = self.error.clone();
        let spare = self.spare.clone();
        self.rt.spawn(async move {
            let guard = file.read().await;
            let r = match guard.as_ref() {
                Some(f) => f.write(p.offset, &p.data).await,
                None => Err(FsError::disconnected()),
            };
            drop(guard);
            if let Err(e) = r {
                tracing::warn!(offset = p.offset, len = p.data.len(), error = %e, "buffered write failed");
                let mut slot = error.lock().expect("error lock");
                if slot.is_none() {
                    *slot = Some(e);
                }
            }
            let mut data = p.data;
            if data.capacity() >= CHUNK {
                let mut spare = spare.lock().expect("spare lock");
                if spare.len() <= DEPTH as usize {
                    data.clear();
                    spare.push(data);
                }
            }
            drop(slot);
        });
    }
}
