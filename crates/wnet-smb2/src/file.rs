//! An open handle: read, write, flush, query/set info, lock, close; and pipelined transfers
//! that keep several large requests in flight.

use crate::error::{Error, Result};
use crate::msg::close::{CloseRequest, CloseResponse, POSTQUERY_ATTRIB};
use crate::msg::create::CreateResponse;
use crate::msg::flush::FlushRequest;
use crate::msg::fscc::{
    self, FileBasicInformation, FileNetworkOpenInformation, file_class, info_type,
};
use crate::msg::lock::{LockElement, LockRequest, lock_flags};
use crate::msg::query_info::{QueryInfoRequest, QueryInfoResponse};
use crate::msg::read::{ReadRequest, ReadResponse};
use crate::msg::set_info::SetInfoRequest;
use crate::msg::write::{WriteRequest, WriteResponse};
use crate::msg::{FileId, Header, Response};
use crate::status::NtStatus;
use crate::tree::Tree;
use futures_util::stream::{self, StreamExt, TryStreamExt};
use std::sync::atomic::{AtomicBool, Ordering};

/// Default size of one request in pipelined transfers.
pub const PIPELINE_CHUNK: usize = 1 << 20;
/// Default number of requests in flight in pipelined transfers.
pub const PIPELINE_DEPTH: usize = 8;

/// An open file or directory on a share. Close it with [`File::close`]; a handle dropped
/// unclosed is closed in the background when a tokio runtime is at hand.
pub struct File {
    tree: Tree,
    id: FileId,
    open: CreateResponse,
    durable: bool,
    closed: AtomicBool,
}

impl std::fmt::Debug for File {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("File")
            .field("id", &self.id)
            .field("durable", &self.durable)
            .finish()
    }
}

impl File {
    pub(crate) fn new(tree: Tree, open: CreateResponse, durable: bool) -> Self {
        File {
            tree,
            id: open.file_id,
            open,
            durable,
            closed: AtomicBool::new(false),
        }
    }

    /// The server handle.
    pub fn id(&self) -> FileId {
        self.id
    }

    /// The tree this file is on.
    pub fn tree(&self) -> &Tree {
        &self.tree
    }

    /// Whether the server granted a durable handle.
    pub fn is_durable(&self) -> bool {
        self.durable
    }

    /// The size when opened.
    pub fn size_at_open(&self) -> u64 {
        self.open.end_of_file
    }

    /// The CREATE response (times, attributes, action, contexts).
    pub fn open_info(&self) -> &CreateResponse {
        &self.open
    }

    fn max_read(&self) -> usize {
        self.tree.session().negotiated().max_read as usize
    }

    fn max_write(&self) -> usize {
        self.tree.session().negotiated().max_write as usize
    }

    /// Reads up to `len` bytes at `offset` (one request; `len` is capped at the server's
    /// MaxReadSize). Returns fewer bytes at end of file and an empty vector past it.
    pub async fn read_at(&self, offset: u64, len: usize) -> Result<Vec<u8>> {
        let len = len.min(self.max_read());
        let req = ReadRequest {
            length: len as u32,
            offset,
            file_id: self.id,
            minimum_count: 0,
        };
        let opts = self
            .tree
            .session()
            .opts(self.tree.data_timeout(), self.tree.is_encrypted());
        let resp = self
            .tree
            .session()
            .connection()
            .call(self.tree.msg(&req, false), len, opts)
            .await?;
        let h = Header::decode(&resp)?;
        if h.status == NtStatus::END_OF_FILE {
            return Ok(Vec::new());
        }
        if h.status.is_error() {
            return Err(Error::Status {
                status: h.status,
                command: h.command,
            });
        }
        let r = ReadResponse::decode(&resp)?;
        let mut resp = resp;
        // Reuse the response buffer: move the data to the front instead of copying it out.
        resp.copy_within(r.data_offset..r.data_offset + r.data_length, 0);
        resp.truncate(r.data_length);
        Ok(resp)
    }

    /// Writes `data` at `offset`, split into MaxWriteSize requests sent one after another.
    /// Returns the bytes written.
    pub async fn write_at(&self, offset: u64, data: &[u8]) -> Result<u64> {
        let mut done = 0u64;
        for chunk in data.chunks(self.max_write().max(1)) {
            done += self.write_one(offset + done, chunk).await? as u64;
        }
        Ok(done)
    }

    async fn write_one(&self, offset: u64, chunk: &[u8]) -> Result<u32> {
        let req = WriteRequest {
            offset,
            file_id: self.id,
            data: chunk,
            flags: 0,
        };
        let resp = self
            .tree
            .call(&req, chunk.len(), self.tree.data_timeout())
            .await?;
        let n = WriteResponse::decode(&resp)?.count;
        if (n as usize) < chunk.len() {
            return Err(Error::Status {
                status: NtStatus::DISK_FULL,
                command: crate::msg::Command::Write,
            });
        }
        Ok(n)
    }

    /// Writes `data` at `offset` with up to `depth` requests of `chunk` bytes in flight.
    /// On error, some later chunks may have been written; nothing is reported written that
    /// was not acknowledged.
    pub async fn write_pipelined(
        &self,
        offset: u64,
        data: &[u8],
        chunk: usize,
        depth: usize,
    ) -> Result<u64> {
        let chunk = chunk.clamp(1, self.max_write().max(1));
        // Futures built up front (they do nothing until polled): a closure over borrowed
        // chunks would make the future not `Send` (higher-ranked lifetime inference).
        let futs: Vec<_> = data
            .chunks(chunk)
            .enumerate()
            .map(|(i, c)| self.write_one(offset + (i * chunk) as u64, c))
            .collect();
        stream::iter(futs)
            .buffer_unordered(depth.max(1))
            .try_fold(0u64, |acc, n| async move { Ok(acc + n as u64) })
            .await
    }

    /// Reads `len` bytes from `offset` with up to `depth` requests of `chunk` bytes in flight;
    /// stops early at end of file.
    pub async fn read_pipelined(
        &self,
        offset: u64,
        len: u64,
        chunk: usize,
        depth: usize,
    ) -> Result<Vec<u8>> {
        let chunk = chunk.clamp(1, self.max_read().max(1));
        let n = len.div_ceil(chunk as u64);
        let mut out = Vec::with_capacity(len as usize);
        let mut parts = stream::iter(0..n)
            .map(|i| {
                let off = offset + i * chunk as u64;
                let want = (len - i * chunk as u64).min(chunk as u64) as usize;
                async move { self.read_at(off, want).await.map(|d| (d, want)) }
            })
            .buffered(depth.max(1));
        while let Some(r) = parts.next().await {
            let (d, want) = r?;
            let short = d.len() < want;
            out.extend_from_slice(&d);
            if short {
                break;
            }
        }
        Ok(out)
    }

    /// Flushes the server's caches to disk (Samba fsyncs with `strict sync`).
    pub async fn flush(&self) -> Result<()> {
        self.tree
            .call(
                &FlushRequest { file_id: self.id },
                0,
                self.tree.data_timeout(),
            )
            .await?;
        Ok(())
    }

    /// Times, size and attributes now.
    pub async fn query_info(&self) -> Result<FileNetworkOpenInformation> {
        let req = QueryInfoRequest {
            info_type: info_type::FILE,
            class: file_class::NETWORK_OPEN,
            output_buffer_length: 56,
            additional_information: 0,
            file_id: self.id,
        };
        let resp = self.tree.call(&req, 0, self.tree.meta_timeout()).await?;
        Ok(FileNetworkOpenInformation::decode(
            &QueryInfoResponse::decode(&resp)?.output,
        )?)
    }

    async fn set_info(&self, class: u8, data: Vec<u8>) -> Result<()> {
        let req = SetInfoRequest {
            info_type: info_type::FILE,
            class,
            additional_information: 0,
            file_id: self.id,
            data,
        };
        self.tree.call(&req, 0, self.tree.meta_timeout()).await?;
        Ok(())
    }

    /// Sets the size (truncate or extend).
    pub async fn set_len(&self, len: u64) -> Result<()> {
        self.set_info(file_class::END_OF_FILE, fscc::encode_end_of_file(len))
            .await
    }

    /// Sets times/attributes (zero fields are left unchanged).
    pub async fn set_basic(&self, info: &FileBasicInformation) -> Result<()> {
        self.set_info(file_class::BASIC, info.encode()).await
    }

    /// Marks the file for deletion when the last handle closes (needs DELETE access).
    pub async fn set_delete_on_close(&self, on: bool) -> Result<()> {
        self.set_info(file_class::DISPOSITION, fscc::encode_disposition(on))
            .await
    }

    /// Locks a byte range; `wait` false fails at once with LOCK_NOT_GRANTED on conflict.
    pub async fn lock(&self, offset: u64, length: u64, exclusive: bool, wait: bool) -> Result<()> {
        let mut flags = if exclusive {
            lock_flags::EXCLUSIVE
        } else {
            lock_flags::SHARED
        };
        if !wait {
            flags |= lock_flags::FAIL_IMMEDIATELY;
        }
        let req = LockRequest {
            file_id: self.id,
            locks: vec![LockElement {
                offset,
                length,
                flags,
            }],
        };
        self.tree.call(&req, 0, self.tree.data_timeout()).await?;
        Ok(())
    }

    /// Unlocks a byte range. Errors: RANGE_NOT_LOCKED.
    pub async fn unlock(&self, offset: u64, length: u64) -> Result<()> {
        let req = LockRequest {
            file_id: self.id,
            locks: vec![LockElement {
                offset,
                length,
                flags: lock_flags::UNLOCK,
            }],
        };
        self.tree.call(&req, 0, self.tree.meta_timeout()).await?;
        Ok(())
    }

    /// Closes the handle and returns the final attributes.
    pub async fn close(self) -> Result<FileNetworkOpenInformation> {
        self.closed.store(true, Ordering::Relaxed);
        let req = CloseRequest {
            flags: POSTQUERY_ATTRIB,
            file_id: self.id,
        };
        let resp = self.tree.call(&req, 0, self.tree.meta_timeout()).await?;
        Ok(CloseResponse::decode(&resp)?.info)
    }
}

impl Drop for File {
    fn drop(&mut self) {
        if self.closed.load(Ordering::Relaxed) {
            return;
        }
        // Only inside a runtime: spawning outside one panics.
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            let tree = self.tree.clone();
            let id = self.id;
            rt.spawn(async move {
                let _ = tree
                    .call(
                        &CloseRequest {
                            flags: 0,
                            file_id: id,
                        },
                        0,
                        tree.meta_timeout(),
                    )
                    .await;
            });
        }
    }
}
