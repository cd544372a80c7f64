//! Buffered, pipelined writes for one open file.
//!
//! Contiguous writes are gathered into [`CHUNK`]-sized SMB writes, and up to [`DEPTH`] of them
//! are in flight at once, so a sequential writer is answered as soon as its data is buffered
//! while the server works. A write that is not contiguous first waits for everything in
//! flight, so overlapping ranges are never reordered. A failed write is remembered and
//! reported by the next write, `flush` (close) or `fsync` on the handle, once.
//!
//! Invariant: after [`WriteBuffer::flush`] returns `Ok`, every byte written before it is
//! acknowledged by the server.

use super::handle_table::ServerFile;
use super::remote::{FsError, FsResult};
use std::sync::Arc;
use std::sync::Mutex as StdMutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use tokio::runtime::Handle;
use tokio::sync::{Mutex, Semaphore};

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

    /// Accepts `data` at `offset`. Errors: an earlier write's failure.
    pub async fn write(&self, offset: u64, data: &[u8]) -> FsResult<()> {
        let mut st = self.pending.lock().await;
        self.take_error()?;
        self.dirty.store(true, Ordering::Release);
        self.written.store(true, Ordering::Release);
        self.high_water
            .fetch_max(offset + data.len() as u64, Ordering::AcqRel);
        if st.last_end != Some(offset) {
            // Not sequential: what is queued or in flight may overlap this range; let it land
            // first so the server sees the writes in the application's order.
            if let Some(p) = st.pending.take() {
                self.dispatch(p).await;
            }
            self.drain().await;
        }
        st.last_end = Some(offset + data.len() as u64);
        let (mut offset, mut data) = (offset, data);
        if let Some(p) = st.pending.as_mut() {
            let n = (CHUNK - p.data.len()).min(data.len());
            p.data.extend_from_slice(&data[..n]);
            data = &data[n..];
            offset += n as u64;
            if p.data.len() >= CHUNK {
                let full = st.pending.take().expect("pending");
                self.dispatch(full).await;
            }
            if data.is_empty() {
                return Ok(());
            }
        }
        // Nothing is pending here: a contiguous tail either fit or filled and sent the chunk.
        let p = Pending {
            offset,
            data: data.to_vec(),
        };
        if p.data.len() >= CHUNK {
            self.dispatch(p).await;
        } else {
            st.pending = Some(p);
        }
        Ok(())
    }

    /// Accepts `data` at `offset` now, without waiting, when that only appends to the buffer
    /// (no SMB write to send, nothing in flight to wait for); `None` when it would wait (use
    /// [`WriteBuffer::write`]). Errors: an earlier write's failure.
    pub fn try_write_now(&self, offset: u64, data: &[u8]) -> Option<FsResult<()>> {
        let mut st = self.pending.try_lock().ok()?;
        let fits = match &st.pending {
            Some(p) => st.last_end == Some(offset) && p.data.len() + data.len() < CHUNK,
            None => data.len() < CHUNK && self.slots.available_permits() == DEPTH as usize,
        };
        if !fits {
            return None;
        }
        if let Err(e) = self.take_error() {
            return Some(Err(e));
        }
        self.dirty.store(true, Ordering::Release);
        self.written.store(true, Ordering::Release);
        self.high_water
            .fetch_max(offset + data.len() as u64, Ordering::AcqRel);
        st.last_end = Some(offset + data.len() as u64);
        match st.pending.as_mut() {
            Some(p) => p.data.extend_from_slice(data),
            None => {
                st.pending = Some(Pending {
                    offset,
                    data: data.to_vec(),
                })
            }
        }
        Some(Ok(()))
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
        self.take_error()
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

    async fn dispatch(&self, p: Pending) {
        let Ok(slot) = self.slots.clone().acquire_owned().await else {
            return;
        };
        let file = self.file.clone();
        let error = self.error.clone();
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
            drop(slot);
        });
    }
}
