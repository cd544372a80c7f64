//! The job table: every print job open on a port, with the pid that opened it. A job enters
//! when OPEN is answered (its server handle created) and leaves the moment RELEASE arrives
//! (before its CLOSE is sent), so a job whose program closed it stops counting as soon as the
//! kernel's release reaches us, as files do in the drive's handle table.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::drive::Holder;
use crate::drive::handle_table::OpenFile;
use crate::drive::remote::FsResult;
use crate::smb_fs::SmbFile;

/// One print job: its server handle, its write buffer and how much was written to it.
#[derive(Debug)]
pub struct Job {
    /// The process that opened it.
    pub pid: u32,
    /// The server handle with the drive's pipelined write buffer: a write is answered once
    /// buffered, a failure is reported by the next write or by FLUSH (`close()`).
    file: OpenFile,
    /// Where the next write goes: a port is a stream, the kernel's offsets are ignored. The
    /// lock keeps the job's writes in the order they arrive.
    next: tokio::sync::Mutex<u64>,
    /// FLUSH arrived (the program probably closed it) and no write followed: a cancel waits
    /// (bounded) for its RELEASE.
    closing: AtomicBool,
}

impl Job {
    fn new(pid: u32, file: wnet_smb2::File, rt: &tokio::runtime::Handle) -> Self {
        Job {
            pid,
            file: OpenFile::new(Box::new(SmbFile(file)), true, rt),
            next: tokio::sync::Mutex::new(0),
            closing: AtomicBool::new(false),
        }
    }

    /// Appends `data` to the job. Errors: an earlier write's failure.
    pub async fn write(&self, data: &[u8]) -> FsResult<usize> {
        let mut next = self.next.lock().await;
        self.file.writes.write(*next, data.to_vec()).await?;
        *next += data.len() as u64;
        Ok(data.len())
    }

    /// Waits until the server acknowledged every byte written; reports a failure once.
    pub async fn flush(&self) -> FsResult<()> {
        self.file.writes.flush().await
    }

    /// Flushes, then closes the job's server handle: the server submits the job to its queue.
    /// Idempotent.
    pub async fn submit(&self) -> FsResult<()> {
        self.file.close().await
    }
}

/// Every open job of one port.
#[derive(Debug, Default)]
pub struct JobTable {
    next: AtomicU64,
    count: AtomicUsize,
    jobs: Mutex<HashMap<u64, Arc<Job>>>,
}

impl JobTable {
    fn jobs(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<Job>>> {
        self.jobs.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Enters a job opened by `pid` on `file` (its writes sent on `rt`); its handle number.
    pub fn insert(&self, pid: u32, file: wnet_smb2::File, rt: &tokio::runtime::Handle) -> u64 {
        let fh = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        self.jobs().insert(fh, Arc::new(Job::new(pid, file, rt)));
        self.count.fetch_add(1, Ordering::AcqRel);
        fh
    }

    /// The job of handle `fh`, marked as written to (no longer closing).
    pub fn get(&self, fh: u64) -> Option<Arc<Job>> {
        let job = self.jobs().get(&fh).cloned()?;
        job.closing.store(false, Ordering::Release);
        Some(job)
    }

    /// FLUSH of handle `fh`: its program probably closed it.
    pub fn flushed(&self, fh: u64) {
        if let Some(job) = self.jobs().get(&fh) {
            job.closing.store(true, Ordering::Release);
        }
    }

    /// Takes the job of handle `fh` out (RELEASE).
    pub fn remove(&self, fh: u64) -> Option<Arc<Job>> {
        let job = self.jobs().remove(&fh)?;
        self.count.fetch_sub(1, Ordering::AcqRel);
        Some(job)
    }

    /// Takes every job out (a forced cancel).
    pub fn drain(&self) -> Vec<Arc<Job>> {
        let all: Vec<Arc<Job>> = self.jobs().drain().map(|(_, j)| j).collect();
        self.count.fetch_sub(all.len(), Ordering::AcqRel);
        all
    }

    /// Jobs open now. O(1).
    pub fn open_count(&self) -> usize {
        self.count.load(Ordering::Acquire)
    }

    /// Who holds a job (`path` empty: the port itself), sorted by pid.
    pub fn holders(&self) -> Vec<Holder> {
        let mut v: Vec<Holder> = self
            .jobs()
            .values()
            .map(|j| Holder {
                pid: j.pid,
                path: String::new(),
                is_dir: false,
            })
            .collect();
        v.sort_by_key(|h| h.pid);
        v
    }

    /// Waits, at most `bound`, while a job looks closed by its program but its RELEASE has not
    /// arrived; returns the open count then.
    pub fn settle(&self, bound: Duration) -> usize {
        let until = Instant::now() + bound;
        let closing = || {
            self.jobs()
                .values()
                .any(|j| j.closing.load(Ordering::Acquire))
        };
        while closing() && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(1));
        }
        self.open_count()
    }
}
