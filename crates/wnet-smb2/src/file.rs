//! An open handle: read, write, flush, query/set info, lock, close; pipelined transfers that
//! keep several large requests in flight; and durable reclaim after a reconnect.

use crate::error::{Error, Result};
use crate::msg::close::{CloseRequest, CloseResponse, POSTQUERY_ATTRIB};
use crate::msg::create::{CreateContext, CreateRequest, CreateResponse, disposition};
use crate::msg::flush::FlushRequest;
use crate::msg::fscc::{
    self, DirEntry, FileBasicInformation, FileNetworkOpenInformation, access, attr, file_class,
    info_type,
};
use crate::msg::lock::{LockElement, LockRequest, lock_flags};
use crate::msg::query_directory::{
    QueryDirectoryRequest, QueryDirectoryResponse, flags as qd_flags,
};
use crate::msg::query_info::{QueryInfoRequest, QueryInfoResponse};
use crate::msg::read::{ReadRequest, ReadResponse};
use crate::msg::set_info::SetInfoRequest;
use crate::msg::wire::within_asked;
use crate::msg::write::{WriteRequest, WriteResponse};
use crate::msg::{FileId, Header, Response};
use crate::status::NtStatus;
use crate::tree::{Ctx, Tree};
use futures_util::stream::{self, StreamExt, TryStreamExt};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// Most entries one listing may collect: a server that pages forever (or repeats a page)
/// ends with an error here instead of filling memory.
pub const MAX_LISTING_ENTRIES: usize = 1 << 20;
/// Most time one listing may take, whatever the number of pages.
pub const MAX_LISTING_TIME: std::time::Duration = std::time::Duration::from_secs(300);
/// Output buffer of one CHANGE_NOTIFY.
const NOTIFY_OUTPUT: usize = 65536;

/// Default size of one request in pipelined transfers.
pub const PIPELINE_CHUNK: usize = 1 << 20;
/// Default number of requests in flight in pipelined transfers.
pub const PIPELINE_DEPTH: usize = 8;

/// The handle's id on one generation of the session.
#[derive(Debug, Clone, Copy)]
struct HandleState {
    generation: u64,
    id: FileId,
}

/// An open file or directory on a share. Close it with [`File::close`]; a handle dropped
/// unclosed is closed in the background when a tokio runtime is at hand.
///
/// How long a refused durable reclaim is asked again (see [`File::file_id`]).
const RECLAIM_PATIENCE: std::time::Duration = std::time::Duration::from_secs(2);
/// The first pause between reclaim attempts (doubling).
const RECLAIM_FIRST_PAUSE: std::time::Duration = std::time::Duration::from_millis(50);

/// How a handle comes back on a new connection.
#[derive(Debug)]
enum Revival {
    /// The server granted a durable handle: reclaim it (DH2C) with the original CREATE.
    Durable(CreateRequest),
    /// A file open without any modifying access that the server did not make durable:
    /// open the path again, and keep the new handle only if it is provably the same file
    /// ([`same_file`]): nothing written through it can be lost, and what it reads is
    /// what it would have read.
    Reopen(CreateRequest),
    /// Neither: lost with its connection.
    Never,
}

/// Access bits that can change a file or its name: a handle holding any of them is not
/// reopened by path (writes in flight at the disconnect may or may not have happened).
const MODIFYING: u32 = access::WRITE_DATA
    | access::APPEND_DATA
    | access::WRITE_EA
    | access::WRITE_ATTRIBUTES
    | access::DELETE
    | access::DELETE_CHILD
    | access::MAXIMUM_ALLOWED
    | access::GENERIC_ALL
    | access::GENERIC_WRITE;

/// Whether `req` opens a file (not a directory) without modifying access: such a handle may
/// be opened again by path after a reconnect. Directories never are: a directory handle
/// holds a CHANGE_NOTIFY whose missed changes no reopen can bring back.
pub(crate) fn reopenable(req: &CreateRequest) -> bool {
    req.desired_access & MODIFYING == 0
        && req.options & crate::msg::create::options::DIRECTORY_FILE == 0
}

/// The on-disk identity a CREATE response carries when asked ("QFid": DiskFileId, VolumeId).
fn disk_id(r: &CreateResponse) -> Option<&[u8]> {
    r.contexts.iter().find_map(|c| match c {
        CreateContext::Raw { name, data } if name == b"QFid" => Some(data.as_slice()),
        _ => None,
    })
}

/// The server's 64-bit id of the file a CREATE response opened: the first 8 bytes of the
/// QFid answer's DiskFileId (what FileInternalInformation reports; Samba and Windows fill it
/// so), 0 when the server gave none.
pub fn server_file_id(r: &CreateResponse) -> u64 {
    disk_id(r)
        .and_then(|d| d.get(..8))
        .map_or(0, |b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
}

/// What [`same_file`] compares, for the log.
fn identity(r: &CreateResponse) -> (Option<&[u8]>, u64, u64, u64) {
    (
        disk_id(r).map(|d| &d[..16.min(d.len())]),
        r.creation_time.0,
        r.last_write_time.0,
        r.end_of_file,
    )
}

/// Whether a second open of a path found the file the first one had, unchanged: the same
/// last write time and size, and the same on-disk id when the server gives one (else the same
/// creation time: weaker, and not stable on every server: Samba on a file system without
/// birth times derives it from the other times, and it moved across a restart here).
fn same_file(first: &CreateResponse, again: &CreateResponse) -> bool {
    let identity = match (disk_id(first), disk_id(again)) {
        (Some(a), Some(b)) => a == b,
        (None, None) => first.creation_time == again.creation_time,
        _ => false,
    };
    identity
        && first.last_write_time == again.last_write_time
        && first.end_of_file == again.end_of_file
        && first.file_attributes & attr::DIRECTORY == again.file_attributes & attr::DIRECTORY
}

/// After a reconnect, a durable handle is reclaimed (DH2C) on first use, and a read-only file
/// handle that the server did not make durable, or whose reclaim it refused (after a restart,
/// say), is opened again by path if the file is provably unchanged; any other handle, and a
/// changed file, fail every later operation with [`Error::HandleLost`].
pub struct File {
    tree: Tree,
    state: Mutex<HandleState>,
    reopening: tokio::sync::Mutex<()>,
    open: CreateResponse,
    revival: Revival,
    lost: AtomicBool,
    closed: AtomicBool,
}

impl std::fmt::Debug for File {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("File")
            .field("state", &self.handle())
            .field("revival", &self.revival)
            .finish()
    }
}

impl File {
    /// A handle `open`ed by `req`; `durable`: the server granted a durable handle.
    pub(crate) fn new(
        tree: Tree,
        generation: u64,
        open: CreateResponse,
        req: CreateRequest,
        durable: bool,
    ) -> Self {
        let revival = if durable {
            Revival::Durable(req)
        } else if reopenable(&req) {
            Revival::Reopen(req)
        } else {
            Revival::Never
        };
        File {
            tree,
            state: Mutex::new(HandleState {
                generation,
                id: open.file_id,
            }),
            reopening: tokio::sync::Mutex::new(()),
            open,
            revival,
            lost: AtomicBool::new(false),
            closed: AtomicBool::new(false),
        }
    }

    fn handle(&self) -> HandleState {
        *self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The server handle (of the current generation).
    pub fn id(&self) -> FileId {
        self.handle().id
    }

    /// The handle's id for a request of `tree` on `ctx`, if it is valid there without a
    /// reclaim: open, on the same tree (not another lane of a striped one), on the
    /// generation it was opened or reclaimed on (see [`crate::tree::DirStat`]).
    pub(crate) fn id_on(&self, tree: &Tree, ctx: &Ctx) -> Option<FileId> {
        let st = self.handle();
        let valid = Arc::ptr_eq(&self.tree.inner, &tree.inner)
            && st.generation == ctx.live.generation
            && !self.closed.load(Ordering::Relaxed)
            && !self.lost.load(Ordering::Relaxed);
        valid.then_some(st.id)
    }

    /// The tree this file is on.
    pub fn tree(&self) -> &Tree {
        &self.tree
    }

    /// Whether the server granted a durable handle.
    pub fn is_durable(&self) -> bool {
        matches!(self.revival, Revival::Durable(_))
    }

    /// The size when opened.
    pub fn size_at_open(&self) -> u64 {
        self.open.end_of_file
    }

    /// The CREATE response (times, attributes, action, contexts).
    pub fn open_info(&self) -> &CreateResponse {
        &self.open
    }

    /// The server's 64-bit id of the file (see [`server_file_id`]; 0: not given).
    pub fn server_file_id(&self) -> u64 {
        server_file_id(&self.open)
    }

    /// The lease this handle holds, and the state the server granted it at the open
    /// (`create::lease` bits); `None` when it holds none. Breaks lower it later: see
    /// [`crate::Session::listen_lease`].
    pub fn lease(&self) -> Option<(crate::LeaseKey, u32)> {
        self.open.contexts.iter().find_map(|c| match c {
            CreateContext::LeaseV2 { key, state, .. } => Some((crate::LeaseKey(*key), *state)),
            _ => None,
        })
    }

    fn max_read(&self) -> usize {
        self.tree.session().negotiated().max_read as usize
    }

    fn max_write(&self) -> usize {
        self.tree.session().negotiated().max_write as usize
    }

    /// The FileId valid on `ctx`'s generation, reclaiming the durable handle if needed.
    async fn file_id(&self, ctx: &Ctx) -> Result<FileId> {
        if self.lost.load(Ordering::Relaxed) {
            return Err(Error::HandleLost);
        }
        let st = self.handle();
        if st.generation == ctx.live.generation {
            return Ok(st.id);
        }
        let _g = self.reopening.lock().await;
        // One reclaim per handle: whoever queued behind a reclaim that failed fails at once
        // with it, instead of asking the server again (each attempt may take
        // RECLAIM_PATIENCE).
        if self.lost.load(Ordering::Relaxed) {
            return Err(Error::HandleLost);
        }
        let st = self.handle();
        if st.generation == ctx.live.generation {
            return Ok(st.id);
        }
        let orig = match &self.revival {
            Revival::Durable(orig) => orig,
            Revival::Reopen(orig) => return self.reopen(ctx, orig).await,
            Revival::Never => {
                self.lost.store(true, Ordering::Relaxed);
                return Err(Error::HandleLost);
            }
        };
        let mut req = orig.clone();
        req.disposition = disposition::OPEN;
        // A reclaim carries the DH2C and the lease only: Samba refuses one with any other
        // context (QFid, say) as OBJECT_NAME_NOT_FOUND.
        req.contexts
            .retain(|c| !matches!(c, CreateContext::Raw { .. }));
        for c in &mut req.contexts {
            if let CreateContext::DurableV2Request {
                create_guid,
                persistent,
                ..
            } = c
            {
                *c = CreateContext::DurableV2Reconnect {
                    file_id: st.id,
                    create_guid: *create_guid,
                    persistent: *persistent,
                };
            }
        }
        // The server may not have noticed yet that the old connection is gone (its process
        // for it still tearing down): the open then still counts as connected and the
        // reclaim is refused. Ask again for a short while before giving the handle up.
        let mut pause = RECLAIM_FIRST_PAUSE;
        let give_up = tokio::time::Instant::now() + RECLAIM_PATIENCE;
        let answer = loop {
            match ctx.call(&req, 0, self.tree.meta_timeout()).await {
                Err(Error::Status { status, .. }) if tokio::time::Instant::now() < give_up => {
                    tracing::debug!(?status, "durable reclaim refused; asking again");
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(RECLAIM_PATIENCE / 4);
                }
                other => break other,
            }
        };
        match answer {
            Ok(resp) => {
                let r = CreateResponse::decode(&resp)?;
                tracing::info!("durable handle reclaimed");
                let new = HandleState {
                    generation: ctx.live.generation,
                    id: r.file_id,
                };
                *self.state.lock().unwrap_or_else(|e| e.into_inner()) = new;
                Ok(new.id)
            }
            Err(e) if crate::session::is_connection_lost(&e) => Err(e),
            // Samba refuses the reclaim of a handle that had I/O in flight when its
            // connection went, and forgets every durable handle in a restart: a read-only
            // file handle still comes back if the file is provably unchanged.
            Err(e) if reopenable(orig) => {
                tracing::info!("durable handle not reclaimed ({e}); opening it again by path");
                self.reopen(ctx, orig).await
            }
            Err(e) => {
                tracing::warn!("durable handle not reclaimed: {e}");
                self.lost.store(true, Ordering::Relaxed);
                Err(Error::HandleLost)
            }
        }
    }

    /// Opens the path of a [`Revival::Reopen`] handle again on `ctx`'s generation (the
    /// `reopening` lock held) and keeps the new handle if it is the same, unchanged file.
    async fn reopen(&self, ctx: &Ctx, orig: &CreateRequest) -> Result<FileId> {
        let mut req = orig.clone();
        req.disposition = disposition::OPEN;
        // A plain open: the durable request and its lease belonged to the lost handle.
        req.contexts.retain(|c| {
            !matches!(
                c,
                CreateContext::DurableV2Request { .. } | CreateContext::LeaseV2 { .. }
            )
        });
        req.oplock_level = crate::msg::create::oplock::NONE;
        match ctx.call(&req, 0, self.tree.meta_timeout()).await {
            Ok(resp) => {
                let r = CreateResponse::decode(&resp)?;
                if same_file(&self.open, &r) {
                    tracing::info!(path = req.name, "read-only handle opened again");
                    let new = HandleState {
                        generation: ctx.live.generation,
                        id: r.file_id,
                    };
                    *self.state.lock().unwrap_or_else(|e| e.into_inner()) = new;
                    return Ok(new.id);
                }
                tracing::warn!(
                    path = req.name,
                    before = ?identity(&self.open),
                    now = ?identity(&r),
                    "file changed while disconnected; handle lost"
                );
                let close = CloseRequest {
                    flags: 0,
                    file_id: r.file_id,
                };
                let _ = ctx.call(&close, 0, self.tree.meta_timeout()).await;
                self.lost.store(true, Ordering::Relaxed);
                Err(Error::HandleLost)
            }
            Err(e) if crate::session::is_connection_lost(&e) => Err(e),
            Err(e) => {
                tracing::warn!(path = req.name, "read-only handle not opened again: {e}");
                self.lost.store(true, Ordering::Relaxed);
                Err(Error::HandleLost)
            }
        }
    }

    /// Runs `op` with a context and the current FileId; reconnects and reclaims as needed.
    async fn exec<T, F, Fut>(&self, op: F) -> Result<T>
    where
        F: Fn(Ctx, FileId) -> Fut,
        Fut: std::future::Future<Output = Result<T>>,
    {
        let op = &op;
        self.tree
            .exec(|ctx| async move {
                let id = self.file_id(&ctx).await?;
                op(ctx, id).await
            })
            .await
    }

    /// [`File::exec`] for an operation that must not run twice (lock, rename).
    async fn exec_once<T, F, Fut>(&self, op: F) -> Result<T>
    where
        F: Fn(Ctx, FileId) -> Fut,
        Fut: std::future::Future<Output = Result<T>>,
    {
        let op = &op;
        self.tree
            .exec_once(|ctx| async move {
                let id = self.file_id(&ctx).await?;
                op(ctx, id).await
            })
            .await
    }

    /// Reads up to `len` bytes at `offset` (one request; `len` is capped at the server's
    /// MaxReadSize). Returns fewer bytes at end of file and an empty vector past it.
    pub async fn read_at(&self, offset: u64, len: usize) -> Result<Vec<u8>> {
        let (mut resp, range) = self.read_raw(offset, len).await?;
        // Reuse the response buffer: move the data to the front instead of copying it out.
        let n = range.len();
        resp.copy_within(range, 0);
        resp.truncate(n);
        Ok(resp)
    }

    /// One READ (like [`File::read_at`]) without moving the data: the whole response message
    /// and where the data sits in it (an empty range at end of file). Give the message back
    /// with [`crate::conn::Connection::recycle`] when done, and the next large response is
    /// received into memory that is already mapped.
    pub async fn read_message(
        &self,
        offset: u64,
        len: usize,
    ) -> Result<(Vec<u8>, std::ops::Range<usize>)> {
        self.read_raw(offset, len).await
    }

    /// One READ: the whole response message and where the data sits in it (empty at EOF).
    async fn read_raw(&self, offset: u64, len: usize) -> Result<(Vec<u8>, std::ops::Range<usize>)> {
        let len = len.min(self.max_read());
        let timeout = self.tree.data_timeout();
        self.exec(|ctx, id| async move {
            let req = ReadRequest {
                length: len as u32,
                offset,
                file_id: id,
                minimum_count: 0,
            };
            let resp = ctx.call_raw(&req, len, timeout).await?;
            let h = Header::decode(&resp)?;
            if h.status == NtStatus::END_OF_FILE {
                return Ok((resp, 0..0));
            }
            if h.status.is_error() {
                return Err(Error::Status {
                    status: h.status,
                    command: h.command,
                });
            }
            let r = ReadResponse::decode(&resp)?;
            within_asked(r.data_length, len, "read: more data than asked for")?;
            Ok((resp, r.data_offset..r.data_offset + r.data_length))
        })
        .await
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
        let timeout = self.tree.data_timeout();
        self.exec(|ctx, id| async move {
            let req = WriteRequest {
                offset,
                file_id: id,
                data: chunk,
                flags: 0,
            };
            let resp = ctx.call(&req, chunk.len(), timeout).await?;
            let n = WriteResponse::decode(&resp)?.count;
            within_asked(n as usize, chunk.len(), "write: more written than sent")?;
            if (n as usize) < chunk.len() {
                return Err(Error::Status {
                    status: NtStatus::DISK_FULL,
                    command: crate::msg::Command::Write,
                });
            }
            Ok(n)
        })
        .await
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
        let mut out = Vec::with_capacity(len as usize);
        self.read_pipelined_with(offset, len, chunk, depth, |_, data| {
            out.extend_from_slice(data);
            Ok(())
        })
        .await?;
        Ok(out)
    }

    /// Streams `len` bytes from `offset` to `sink(file_offset, data)`, in order, with up to
    /// `depth` requests of `chunk` bytes in flight; nothing is buffered beyond what is in
    /// flight. Stops early at end of file; returns the bytes delivered. An error from `sink`
    /// ends the transfer.
    pub async fn read_pipelined_with<F>(
        &self,
        offset: u64,
        len: u64,
        chunk: usize,
        depth: usize,
        mut sink: F,
    ) -> Result<u64>
    where
        F: FnMut(u64, &[u8]) -> Result<()>,
    {
        let chunk = chunk.clamp(1, self.max_read().max(1));
        let n = len.div_ceil(chunk as u64);
        let futs = (0..n).map(|i| {
            let off = offset + i * chunk as u64;
            let want = (len - i * chunk as u64).min(chunk as u64) as usize;
            async move { self.read_raw(off, want).await.map(|d| (d, off, want)) }
        });
        let mut parts = stream::iter(futs).buffered(depth.max(1));
        let conn = self.tree.session().connection();
        let mut done = 0u64;
        while let Some(r) = parts.next().await {
            let ((msg, range), off, want) = r?;
            let short = range.len() < want;
            done += range.len() as u64;
            sink(off, &msg[range])?;
            conn.recycle(msg);
            if short {
                break;
            }
        }
        Ok(done)
    }

    /// Flushes the server's caches to disk (Samba fsyncs with `strict sync`).
    pub async fn flush(&self) -> Result<()> {
        let timeout = self.tree.data_timeout();
        self.exec(
            |ctx, id| async move { ctx.call(&FlushRequest { file_id: id }, 0, timeout).await },
        )
        .await?;
        Ok(())
    }

    /// Times, size and attributes now.
    pub async fn query_info(&self) -> Result<FileNetworkOpenInformation> {
        let timeout = self.tree.meta_timeout();
        let resp = self
            .exec(|ctx, id| async move {
                let req = QueryInfoRequest {
                    info_type: info_type::FILE,
                    class: file_class::NETWORK_OPEN,
                    output_buffer_length: 56,
                    additional_information: 0,
                    file_id: id,
                };
                ctx.call(&req, 0, timeout).await
            })
            .await?;
        Ok(FileNetworkOpenInformation::decode(
            &QueryInfoResponse::decode(&resp)?.output,
        )?)
    }

    async fn set_info(&self, class: u8, data: Vec<u8>) -> Result<()> {
        let timeout = self.tree.meta_timeout();
        let data = &data;
        // Renaming twice would fail against itself; the other classes are idempotent.
        let op = |ctx: Ctx, id: FileId| async move {
            let req = SetInfoRequest {
                info_type: info_type::FILE,
                class,
                additional_information: 0,
                file_id: id,
                data: data.clone(),
            };
            ctx.call(&req, 0, timeout).await
        };
        if class == file_class::RENAME {
            self.exec_once(op).await?;
        } else {
            self.exec(op).await?;
        }
        Ok(())
    }

    /// Renames the open file (needs DELETE access) to `new_path` (relative to the share).
    pub async fn rename(&self, new_path: &str, replace: bool) -> Result<()> {
        let name = crate::tree::smb_path(new_path)?;
        self.set_info(file_class::RENAME, fscc::encode_rename(&name, replace))
            .await
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

    async fn lock_request(&self, lock: LockElement) -> Result<()> {
        let timeout = self.tree.data_timeout();
        self.exec_once(|ctx, id| async move {
            ctx.call(
                &LockRequest {
                    file_id: id,
                    locks: vec![lock],
                },
                0,
                timeout,
            )
            .await
        })
        .await?;
        Ok(())
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
        self.lock_request(LockElement {
            offset,
            length,
            flags,
        })
        .await
    }

    /// Unlocks a byte range. Errors: RANGE_NOT_LOCKED.
    pub async fn unlock(&self, offset: u64, length: u64) -> Result<()> {
        self.lock_request(LockElement {
            offset,
            length,
            flags: lock_flags::UNLOCK,
        })
        .await
    }

    /// Lists the directory this handle is open on (without `.` and `..`).
    pub async fn list_entries(&self) -> Result<Vec<DirEntry>> {
        match self.list_entries_at_most(MAX_LISTING_ENTRIES).await? {
            Some(v) => Ok(v),
            None => Err(Error::Protocol(crate::msg::DecodeError(
                "query directory: too many entries",
            ))),
        }
    }

    /// [`File::list_entries`], but `Ok(None)` as soon as more than `limit` entries came:
    /// a caller that only wants small directories stops paging (and the server stops
    /// enumerating) there, rather than after the whole directory.
    pub async fn list_entries_at_most(&self, limit: usize) -> Result<Option<Vec<DirEntry>>> {
        let limit = limit.min(MAX_LISTING_ENTRIES);
        let timeout = self.tree.meta_timeout();
        let max = self.tree.session().negotiated().max_transact.min(1 << 20);
        let until = tokio::time::Instant::now() + MAX_LISTING_TIME;
        self.exec(|ctx, id| async move {
            let mut out = Vec::new();
            let mut first = true;
            loop {
                if out.len() > limit {
                    return Ok(None);
                }
                let timeout =
                    timeout.min(until.saturating_duration_since(tokio::time::Instant::now()));
                if timeout.is_zero() {
                    return Err(Error::Timeout {
                        what: "directory listing",
                        after: MAX_LISTING_TIME,
                    });
                }
                let req = QueryDirectoryRequest {
                    class: file_class::ID_BOTH_DIRECTORY,
                    flags: if first { qd_flags::RESTART_SCANS } else { 0 },
                    file_id: id,
                    pattern: "*".into(),
                    output_buffer_length: max,
                };
                first = false;
                let resp = ctx.call_raw(&req, max as usize, timeout).await?;
                let h = Header::decode(&resp)?;
                if h.status == NtStatus::NO_MORE_FILES {
                    return Ok(Some(out));
                }
                crate::session::check_status(&resp)?;
                let r = QueryDirectoryResponse::decode(&resp)?;
                within_asked(
                    r.output.len(),
                    max as usize,
                    "query directory: output too long",
                )?;
                if r.output.is_empty() {
                    return Ok(Some(out));
                }
                out.extend(
                    DirEntry::parse_list(&r.output, file_class::ID_BOTH_DIRECTORY)?
                        .into_iter()
                        .filter(|e| e.name != "." && e.name != ".."),
                );
            }
        })
        .await
    }

    /// Waits (up to `timeout`) for changes in the directory this handle is open on and
    /// returns them. An empty list means the server overflowed its buffer
    /// (STATUS_NOTIFY_ENUM_DIR): list the directory again. A timeout cancels the watch.
    pub async fn watch(
        &self,
        filter: u32,
        recursive: bool,
        timeout: std::time::Duration,
    ) -> Result<Vec<fscc::FileNotifyInformation>> {
        use crate::msg::change_notify::{ChangeNotifyRequest, ChangeNotifyResponse};
        let resp = self
            .exec(|ctx, id| async move {
                let req = ChangeNotifyRequest {
                    watch_tree: recursive,
                    output_buffer_length: NOTIFY_OUTPUT as u32,
                    file_id: id,
                    completion_filter: filter,
                };
                ctx.call_raw(&req, NOTIFY_OUTPUT, timeout).await
            })
            .await?;
        let h = Header::decode(&resp)?;
        if h.status == NtStatus::NOTIFY_ENUM_DIR {
            return Ok(Vec::new());
        }
        crate::session::check_status(&resp)?;
        let output = ChangeNotifyResponse::decode(&resp)?.output;
        within_asked(
            output.len(),
            NOTIFY_OUTPUT,
            "change notify: output too long",
        )?;
        Ok(fscc::FileNotifyInformation::parse_list(&output)?)
    }

    /// Writes `input` to a named pipe and reads the answer in one IOCTL
    /// (FSCTL_PIPE_TRANSCEIVE). An answer longer than `max_output` comes back truncated
    /// (STATUS_BUFFER_OVERFLOW); read the rest with [`File::read_at`].
    pub async fn transceive(&self, input: &[u8], max_output: u32) -> Result<Vec<u8>> {
        self.fsctl(crate::msg::ioctl::FSCTL_PIPE_TRANSCEIVE, input, max_output)
            .await
    }

    /// Zeroes `offset..end` of the file (FSCTL_SET_ZERO_DATA): it reads as zeros after, and
    /// the server may deallocate it (a sparse file's hole). The size does not change.
    ///
    /// Errors: NOT_SUPPORTED / INVALID_DEVICE_REQUEST where the server cannot.
    pub async fn zero_data(&self, offset: u64, end: u64) -> Result<()> {
        let mut input = Vec::with_capacity(16);
        input.extend_from_slice(&offset.to_le_bytes());
        input.extend_from_slice(&end.to_le_bytes());
        self.fsctl(crate::msg::ioctl::FSCTL_SET_ZERO_DATA, &input, 0)
            .await
            .map(|_| ())
    }

    /// Sets the allocation size (FileAllocationInformation): space reserved for the file.
    /// Less than the size truncates the file to it.
    pub async fn set_allocation(&self, len: u64) -> Result<()> {
        self.set_info(file_class::ALLOCATION, len.to_le_bytes().to_vec())
            .await
    }

    /// One FSCTL on this handle: `input` in, at most `max_output` bytes back.
    async fn fsctl(&self, ctl_code: u32, input: &[u8], max_output: u32) -> Result<Vec<u8>> {
        use crate::msg::ioctl::{IOCTL_IS_FSCTL, IoctlRequest, IoctlResponse};
        let timeout = self.tree.meta_timeout();
        let resp = self
            .exec(|ctx, id| async move {
                let req = IoctlRequest {
                    ctl_code,
                    file_id: id,
                    input: input.to_vec(),
                    max_output_response: max_output,
                    flags: IOCTL_IS_FSCTL,
                };
                ctx.call(&req, input.len().max(max_output as usize), timeout)
                    .await
            })
            .await?;
        let output = IoctlResponse::decode(&resp)?.output;
        within_asked(output.len(), max_output as usize, "ioctl: output too long")?;
        Ok(output)
    }

    /// Closes the handle and returns the final attributes.
    pub async fn close(self) -> Result<FileNetworkOpenInformation> {
        let resp = self.close_with(POSTQUERY_ATTRIB).await?;
        Ok(CloseResponse::decode(&resp)?.info)
    }

    /// Closes the handle without asking for the final attributes (the server skips a stat).
    pub async fn close_quietly(self) -> Result<()> {
        self.close_with(0).await.map(|_| ())
    }

    async fn close_with(self, flags: u16) -> Result<Vec<u8>> {
        self.closed.store(true, Ordering::Relaxed);
        let timeout = self.tree.meta_timeout();
        self.exec(|ctx, id| async move {
            ctx.call(&CloseRequest { flags, file_id: id }, 0, timeout)
                .await
        })
        .await
    }
}

impl Drop for File {
    fn drop(&mut self) {
        if self.closed.load(Ordering::Relaxed) || self.lost.load(Ordering::Relaxed) {
            return;
        }
        // Only inside a runtime (spawning outside one panics), only on the handle's own
        // generation and live connection (a stale handle is gone with its connection), and
        // never with a retry: a drop must not set off a reconnect.
        let st = self.handle();
        let Some(ctx) = self.tree.current_ctx() else {
            return;
        };
        if ctx.live.generation != st.generation || ctx.live.conn.is_dead() {
            return;
        }
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            let timeout = self.tree.meta_timeout();
            rt.spawn(async move {
                let _ = ctx
                    .call(
                        &CloseRequest {
                            flags: 0,
                            file_id: st.id,
                        },
                        0,
                        timeout,
                    )
                    .await;
            });
        }
    }
}
