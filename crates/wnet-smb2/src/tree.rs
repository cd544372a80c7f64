//! A tree connect (one share) and the path-level operations on it; several are compounded
//! into one round trip (create + query + close for `stat`, create + read + close for small
//! files, create + set-info + close for rename and delete).

use crate::conn::CallOptions;
use crate::error::{Error, Result};
use crate::file::File;
use crate::lease_keys::LeaseKey;
use crate::msg::close::{CloseRequest, CloseResponse};
use crate::msg::create::{
    CreateContext, CreateRequest, CreateResponse, disposition, lease, oplock, options, share,
};
use crate::msg::fscc::{
    self, DirEntry, FileNetworkOpenInformation, FsAttributeInformation, FsSizeInformation, access,
    attr, file_class, fs_class, info_type,
};
use crate::msg::query_info::{QueryInfoRequest, QueryInfoResponse};
use crate::msg::read::{ReadRequest, ReadResponse};
use crate::msg::set_info::SetInfoRequest;
use crate::msg::tree_connect::TreeConnectResponse;
use crate::msg::{FileId, Request, Response};
use crate::session::{Live, Session, build_in, check_status};
use crate::status::NtStatus;
use std::sync::Arc;
use std::time::Duration;

/// How to open a file or directory.
#[derive(Debug, Clone)]
pub struct CreateOptions {
    /// DesiredAccess (`fscc::access`).
    pub access: u32,
    /// CreateDisposition (`create::disposition`).
    pub disposition: u32,
    /// CreateOptions (`create::options`).
    pub options: u32,
    /// ShareAccess (`create::share`).
    pub share_access: u32,
    /// Attributes of a new file.
    pub attributes: u32,
    /// Ask for a durable handle (v2); granted only where the server allows.
    pub durable: bool,
    /// Ask for a lease with these state bits (`create::lease`).
    pub lease: Option<u32>,
    /// The key of the lease asked for (by `lease`, or for a durable handle); `None`: a fresh
    /// one. Opens under one key share one lease, so they never break each other.
    pub lease_key: Option<LeaseKey>,
}

impl CreateOptions {
    /// Open an existing file for reading.
    pub fn read() -> Self {
        CreateOptions {
            access: access::GENERIC_READ,
            disposition: disposition::OPEN,
            options: options::NON_DIRECTORY_FILE,
            share_access: share::ALL,
            attributes: 0,
            durable: false,
            lease: None,
            lease_key: None,
        }
    }

    /// Open or create a file for reading and writing.
    pub fn read_write() -> Self {
        CreateOptions {
            access: access::GENERIC_READ | access::GENERIC_WRITE,
            disposition: disposition::OPEN_IF,
            ..Self::read()
        }
    }

    /// Create a new file (fails with OBJECT_NAME_COLLISION if it exists), read/write.
    pub fn create_new() -> Self {
        CreateOptions {
            disposition: disposition::CREATE,
            ..Self::read_write()
        }
    }

    /// Create or truncate a file, read/write.
    pub fn overwrite() -> Self {
        CreateOptions {
            disposition: disposition::OVERWRITE_IF,
            ..Self::read_write()
        }
    }

    /// Open an existing directory for listing.
    pub fn directory() -> Self {
        CreateOptions {
            access: access::READ_DATA | access::READ_ATTRIBUTES | access::SYNCHRONIZE,
            options: options::DIRECTORY_FILE,
            ..Self::read()
        }
    }

    /// A print job on a print share: the name is the job's document name; written from
    /// offset 0, submitted to the queue by its CLOSE.
    pub fn print_job() -> Self {
        CreateOptions {
            access: access::GENERIC_WRITE,
            disposition: disposition::OVERWRITE_IF,
            share_access: share::READ,
            ..Self::read()
        }
    }

    /// Sets the disposition.
    pub fn disposition(mut self, d: u32) -> Self {
        self.disposition = d;
        self
    }

    /// Asks for a durable handle.
    pub fn durable(mut self, on: bool) -> Self {
        self.durable = on;
        self
    }

    /// Asks for a lease with `state` under `key`.
    pub fn lease(mut self, state: u32, key: LeaseKey) -> Self {
        self.lease = Some(state);
        self.lease_key = Some(key);
        self
    }

    fn request(&self, path: &str) -> CreateRequest {
        let mut contexts = Vec::new();
        let mut oplock_level = oplock::NONE;
        if self.durable {
            contexts.push(CreateContext::DurableV2Request {
                timeout_ms: 0,
                persistent: false,
                create_guid: random_guid(),
            });
        }
        let key = || self.lease_key.unwrap_or_else(LeaseKey::random).0;
        if let Some(state) = self.lease {
            oplock_level = oplock::LEASE;
            contexts.push(CreateContext::LeaseV2 {
                key: key(),
                state,
                parent_key: [0; 16],
                epoch: 0,
            });
        } else if self.durable {
            // A durable handle needs a batch oplock or a handle lease (MS-SMB2 §3.3.5.9.10).
            oplock_level = oplock::LEASE;
            contexts.push(CreateContext::LeaseV2 {
                key: key(),
                state: lease::READ | lease::HANDLE,
                parent_key: [0; 16],
                epoch: 0,
            });
        }
        let req = CreateRequest {
            oplock_level,
            desired_access: self.access,
            file_attributes: self.attributes,
            share_access: self.share_access,
            disposition: self.disposition,
            options: self.options,
            name: path.to_string(),
            contexts,
        };
        // The file's on-disk id: so that a reopen after a reconnect can tell it is the same
        // file, and so that callers know the file's identity ([`File::server_file_id`]).
        // (A durable reclaim strips it again: Samba refuses a reclaim carrying it.)
        let mut req = req;
        req.contexts.push(CreateContext::Raw {
            name: b"QFid".to_vec(),
            data: Vec::new(),
        });
        req
    }
}

fn random_guid() -> [u8; 16] {
    let mut g = [0u8; 16];
    let _ = crate::crypto::fill_random(&mut g);
    g
}

/// Turns `a/b`, `\a\b`, `/a/b/` into the SMB form `a\b`.
pub fn smb_path(path: &str) -> Result<String> {
    let p = path.replace('/', "\\");
    let p = p.trim_matches('\\');
    if p.split('\\').any(|c| c == "..") {
        return Err(Error::InvalidInput("path must not contain '..'"));
    }
    if p.contains("\\\\") {
        return Err(Error::InvalidInput("empty path component"));
    }
    Ok(p.to_string())
}

/// What a share's file system reports.
#[derive(Debug, Clone)]
pub struct FsInfo {
    /// Sizes.
    pub size: FsSizeInformation,
    /// Attributes and name.
    pub attributes: FsAttributeInformation,
}

impl FsInfo {
    /// Total bytes.
    pub fn total_bytes(&self) -> u64 {
        self.size.total_units.saturating_mul(self.size.unit_size())
    }

    /// Bytes available to the caller.
    pub fn free_bytes(&self) -> u64 {
        self.size
            .caller_available_units
            .saturating_mul(self.size.unit_size())
    }
}

/// The tree's id on one generation of the session.
#[derive(Debug, Clone, Copy)]
struct TreeState {
    generation: u64,
    id: u32,
    encrypt: bool,
    share_type: u8,
    share_flags: u32,
    maximal_access: u32,
}

pub(crate) struct TreeInner {
    pub(crate) session: Session,
    pub(crate) share: String,
    state: std::sync::Mutex<TreeState>,
    reconnecting: tokio::sync::Mutex<()>,
}

/// A connected share. Cheap to clone. After a reconnect of its session the tree connects
/// again on first use.
///
/// A tree may be *striped* ([`Tree::stripe`]): the same share on sibling sessions, each its
/// own connection and ClientGuid (so its own server process on Samba), over which the opens
/// of files are spread by path (ADR 0016). Everything else runs on this tree's own session.
#[derive(Clone)]
pub struct Tree {
    pub(crate) inner: Arc<TreeInner>,
    /// The other lanes of a striped tree (empty: not striped). Lanes are never striped.
    lanes: Arc<[Tree]>,
}

impl std::fmt::Debug for Tree {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tree")
            .field("share", &self.inner.share)
            .field("state", &self.state())
            .finish()
    }
}

/// Everything one request on a tree needs: the live session, TreeId, encryption.
#[derive(Clone)]
pub(crate) struct Ctx {
    pub(crate) live: Arc<Live>,
    pub(crate) tree_id: u32,
    pub(crate) encrypt: bool,
}

impl Ctx {
    pub(crate) fn msg<R: Request>(&self, req: &R, related: bool) -> Vec<u8> {
        let len = crate::msg::header::HEADER_LEN + req.body_len_hint();
        let buf = self.live.conn.message_buffer(len);
        build_in(buf, self.live.id, self.tree_id, req, related)
    }

    pub(crate) fn opts(&self, timeout: Duration) -> CallOptions {
        CallOptions {
            timeout,
            encrypt: self.encrypt || self.live.encrypt,
        }
    }

    /// One request; an error status becomes an error.
    pub(crate) async fn call<R: Request>(
        &self,
        req: &R,
        payload: usize,
        timeout: Duration,
    ) -> Result<Vec<u8>> {
        let resp = self
            .live
            .conn
            .call(self.msg(req, false), payload, self.opts(timeout))
            .await?;
        check_status(&resp)?;
        Ok(resp)
    }

    /// One request, the response returned whatever its status.
    pub(crate) async fn call_raw<R: Request>(
        &self,
        req: &R,
        payload: usize,
        timeout: Duration,
    ) -> Result<Vec<u8>> {
        self.live
            .conn
            .call(self.msg(req, false), payload, self.opts(timeout))
            .await
    }

    /// A compound chain; the first error status (the create's, usually) is the result.
    pub(crate) async fn chain(
        &self,
        msgs: Vec<(Vec<u8>, usize)>,
        timeout: Duration,
    ) -> Result<Vec<Vec<u8>>> {
        let replies = self.live.conn.compound(msgs, self.opts(timeout)).await?;
        let mut out = Vec::with_capacity(replies.len());
        for r in replies {
            let m = r?;
            check_status(&m)?;
            out.push(m);
        }
        Ok(out)
    }
}

const STAT_LEN: u32 = 56;

/// A directory whose attributes a compound asks for after the change it makes in it.
#[derive(Debug, Clone)]
pub enum DirStat<'a> {
    /// Opened by path, queried and closed in the compound: three commands for the server.
    Path(&'a str),
    /// Through a handle already open on it (a watch's): one QUERY_INFO, or by `path` where
    /// the handle is not valid on the connection the compound goes out on.
    Open {
        /// The directory.
        path: &'a str,
        /// Its open handle.
        dir: &'a File,
    },
}

/// What a compound sends for one [`DirStat`]: a query of its open handle where that is
/// valid on the compound's connection, else create + query + close by path.
struct DirAsk<'a> {
    by_path: (CreateRequest, QueryInfoRequest, CloseRequest),
    open: Option<&'a File>,
}

impl<'a> DirAsk<'a> {
    fn new(d: &DirStat<'a>) -> Result<DirAsk<'a>> {
        let (path, open) = match d {
            DirStat::Path(p) => (*p, None),
            DirStat::Open { path, dir } => (*path, Some(*dir)),
        };
        Ok(DirAsk {
            by_path: stat_requests(smb_path(path)?),
            open,
        })
    }

    /// Appends its requests for `tree` on `ctx` to `msgs`; returns how many they are.
    fn push(&self, tree: &Tree, ctx: &Ctx, msgs: &mut Vec<(Vec<u8>, usize)>) -> usize {
        if let Some(file_id) = self.open.and_then(|f| f.id_on(tree, ctx)) {
            msgs.push((ctx.msg(&query_network_open(file_id), false), 0));
            return 1;
        }
        let (c, q, x) = &self.by_path;
        msgs.push((ctx.msg(c, false), 0));
        msgs.push((ctx.msg(q, true), 0));
        msgs.push((ctx.msg(x, true), 0));
        3
    }

    /// The directory's attributes from the `n` replies [`DirAsk::push`] sent (taken from
    /// `next`); `None` where the query failed.
    fn answer(
        n: usize,
        mut next: impl FnMut() -> Option<Result<Vec<u8>>>,
    ) -> Option<FileNetworkOpenInformation> {
        let replies: Vec<_> = (0..n).map(|_| next()).collect();
        // The query is the only reply of a handle's, the second of a path's.
        let q = replies.into_iter().nth(if n == 1 { 0 } else { 1 })??.ok()?;
        check_status(&q).ok()?;
        let r = QueryInfoResponse::decode(&q).ok()?;
        FileNetworkOpenInformation::decode(&r.output).ok()
    }
}

/// A query of FileNetworkOpenInformation (the attributes a stat answers) of `file_id`.
fn query_network_open(file_id: FileId) -> QueryInfoRequest {
    QueryInfoRequest {
        info_type: info_type::FILE,
        class: file_class::NETWORK_OPEN,
        output_buffer_length: STAT_LEN,
        additional_information: 0,
        file_id,
    }
}

/// The create + query (FileNetworkOpenInformation) + close of a stat compound, the last two
/// related to the first.
fn stat_requests(name: String) -> (CreateRequest, QueryInfoRequest, CloseRequest) {
    let create = CreateRequest {
        oplock_level: oplock::NONE,
        desired_access: access::READ_ATTRIBUTES | access::SYNCHRONIZE,
        file_attributes: 0,
        share_access: share::ALL,
        disposition: disposition::OPEN,
        options: 0,
        name,
        contexts: vec![],
    };
    let close = CloseRequest {
        flags: 0,
        file_id: FileId::RELATED,
    };
    (create, query_network_open(FileId::RELATED), close)
}

/// What [`Tree::create_written`] learnt.
#[derive(Debug, Clone)]
pub struct Written {
    /// The server's 64-bit id of the file (0 when it has none).
    pub file_id: u64,
    /// The file's attributes after the close.
    pub info: FileNetworkOpenInformation,
    /// The parent directory's attributes after the create, when asked and answered.
    pub parent: Option<FileNetworkOpenInformation>,
}

impl Tree {
    pub(crate) fn new(
        session: Session,
        share: String,
        generation: u64,
        id: u32,
        r: TreeConnectResponse,
        encrypt: bool,
    ) -> Self {
        let state = TreeState {
            generation,
            id,
            encrypt,
            share_type: r.share_type,
            share_flags: r.share_flags,
            maximal_access: r.maximal_access,
        };
        Tree {
            inner: Arc::new(TreeInner {
                session,
                share,
                state: std::sync::Mutex::new(state),
                reconnecting: tokio::sync::Mutex::new(()),
            }),
            lanes: Arc::new([]),
        }
    }

    /// This tree striped over `lanes` connections: `lanes - 1` sibling sessions (same server,
    /// user and credentials; each its own connection and ClientGuid) are set up and connected
    /// to the same share, at once. File opens ([`Tree::create`] of a non-directory,
    /// [`Tree::create_written`], [`Tree::read_small_opened`]) then go to the lane their path
    /// hashes to (case-insensitively), so every open of one file uses one lane (its leases and
    /// durable handles belong to that lane's ClientGuid) and each [`File`] stays on the lane
    /// that opened it. Directory opens and every other operation use this tree.
    ///
    /// A DFS or non-disk share, `lanes <= 1`, or an already striped tree is returned as it is.
    /// A sibling that cannot be set up is left out (logged): the tree has fewer lanes.
    pub async fn stripe(&self, lanes: usize) -> Tree {
        if lanes <= 1
            || !self.lanes.is_empty()
            || self.is_dfs()
            || self.share_type() != crate::msg::tree_connect::share_type::DISK
        {
            return self.clone();
        }
        let share = &self.inner.share;
        let sibling = || async {
            let s = self.inner.session.sibling().await?;
            s.tree_connect(share).await
        };
        let made = futures_util::future::join_all((1..lanes).map(|_| sibling())).await;
        let mut extra = Vec::with_capacity(made.len());
        for m in made {
            match m {
                Ok(t) => extra.push(t),
                Err(e) => tracing::warn!("a lane of {share} could not be set up: {e}"),
            }
        }
        Tree {
            inner: self.inner.clone(),
            lanes: extra.into(),
        }
    }

    /// How many connections file opens are spread over (1: not striped).
    pub fn lanes(&self) -> usize {
        self.lanes.len() + 1
    }

    /// The lane that opens `path` (this tree itself, when not striped): the same for every
    /// spelling of the name in case.
    fn lane(&self, path: &str) -> &Tree {
        if self.lanes.is_empty() {
            return self;
        }
        // FNV-1a: stable, and cheap next to a round trip.
        let h = path.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b.to_ascii_lowercase())).wrapping_mul(0x0100_0000_01b3)
        });
        match (h % self.lanes() as u64) as usize {
            0 => self,
            i => &self.lanes[i - 1],
        }
    }

    fn state(&self) -> TreeState {
        *self.inner.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The TreeId (of the current generation).
    pub fn id(&self) -> u32 {
        self.state().id
    }

    /// The share name as given to `tree_connect`.
    pub fn share(&self) -> &str {
        &self.inner.share
    }

    /// The session this tree belongs to.
    pub fn session(&self) -> &Session {
        &self.inner.session
    }

    /// Whether requests on this tree are encrypted.
    pub fn is_encrypted(&self) -> bool {
        self.state().encrypt || self.inner.session.is_encrypted()
    }

    /// ShareType (`tree_connect::share_type`).
    pub fn share_type(&self) -> u8 {
        self.state().share_type
    }

    /// Whether the share is in a DFS namespace (ShareFlags DFS or DFS_ROOT): its paths may lead
    /// to links, which answer [`NtStatus::PATH_NOT_COVERED`] (see `Session::dfs_referral`).
    pub fn is_dfs(&self) -> bool {
        use crate::msg::tree_connect::{SHARE_FLAG_DFS, SHARE_FLAG_DFS_ROOT};
        self.state().share_flags & (SHARE_FLAG_DFS | SHARE_FLAG_DFS_ROOT) != 0
    }

    /// The maximal access the server grants on the share.
    pub fn maximal_access(&self) -> u32 {
        self.state().maximal_access
    }

    pub(crate) fn meta_timeout(&self) -> Duration {
        self.inner.session.inner.config.timeouts.metadata
    }

    pub(crate) fn data_timeout(&self) -> Duration {
        self.inner.session.inner.config.timeouts.data
    }

    /// The request context on `live`, connecting the tree again if `live` is newer.
    async fn ctx(&self, live: Arc<Live>) -> Result<Ctx> {
        let st = self.state();
        if st.generation == live.generation {
            return Ok(Ctx {
                live,
                tree_id: st.id,
                encrypt: st.encrypt,
            });
        }
        let _g = self.inner.reconnecting.lock().await;
        let st = self.state();
        if st.generation == live.generation {
            return Ok(Ctx {
                live,
                tree_id: st.id,
                encrypt: st.encrypt,
            });
        }
        let (live, id, r, encrypt) = self
            .inner
            .session
            .tree_connect_on(live, &self.inner.share)
            .await?;
        let st = TreeState {
            generation: live.generation,
            id,
            encrypt,
            share_type: r.share_type,
            share_flags: r.share_flags,
            maximal_access: r.maximal_access,
        };
        *self.inner.state.lock().unwrap_or_else(|e| e.into_inner()) = st;
        Ok(Ctx {
            live,
            tree_id: id,
            encrypt,
        })
    }

    /// The request context of the current generation, if the tree is connected on it.
    pub(crate) fn current_ctx(&self) -> Option<Ctx> {
        let live = self.inner.session.live();
        let st = self.state();
        (st.generation == live.generation).then_some(Ctx {
            live,
            tree_id: st.id,
            encrypt: st.encrypt,
        })
    }

    /// Runs `op` with a request context, reconnecting and retrying when the connection is lost.
    pub(crate) async fn exec<T, F, Fut>(&self, op: F) -> Result<T>
    where
        F: Fn(Ctx) -> Fut,
        Fut: std::future::Future<Output = Result<T>>,
    {
        self.exec_with(true, op).await
    }

    /// [`Tree::exec`] for an operation that must not run twice (see `Session::with_retry`).
    pub(crate) async fn exec_once<T, F, Fut>(&self, op: F) -> Result<T>
    where
        F: Fn(Ctx) -> Fut,
        Fut: std::future::Future<Output = Result<T>>,
    {
        self.exec_with(false, op).await
    }

    async fn exec_with<T, F, Fut>(&self, idempotent: bool, op: F) -> Result<T>
    where
        F: Fn(Ctx) -> Fut,
        Fut: std::future::Future<Output = Result<T>>,
    {
        let op = &op;
        self.inner
            .session
            .with_retry(idempotent, |live| async move {
                let ctx = self.ctx(live).await?;
                op(ctx).await
            })
            .await
    }

    /// Remembers the lease keys `req` asks for (a break for another key is dropped).
    fn remember_leases(&self, req: &CreateRequest) {
        for c in &req.contexts {
            if let CreateContext::LeaseV2 { key, .. } = c {
                self.session().inner.leases.insert(LeaseKey(*key));
            }
        }
    }

    /// Opens or creates `path`.
    ///
    /// Errors: OBJECT_NAME_NOT_FOUND / OBJECT_PATH_NOT_FOUND, OBJECT_NAME_COLLISION (create_new),
    /// ACCESS_DENIED, SHARING_VIOLATION, FILE_IS_A_DIRECTORY, NOT_A_DIRECTORY.
    pub async fn create(&self, path: &str, opts: &CreateOptions) -> Result<File> {
        let on = if opts.options & options::DIRECTORY_FILE == 0 {
            self.lane(path)
        } else {
            self
        };
        on.create_here(path, opts).await
    }

    async fn create_here(&self, path: &str, opts: &CreateOptions) -> Result<File> {
        let req = opts.request(&smb_path(path)?);
        self.remember_leases(&req);
        // Exclusive creation must not be replayed blindly (it would collide with itself).
        let idempotent = !matches!(opts.disposition, disposition::CREATE);
        let (generation, resp) = self
            .exec_with(idempotent, |ctx| {
                let req = &req;
                async move {
                    let resp = ctx.call(req, 0, self.meta_timeout()).await?;
                    Ok((ctx.live.generation, resp))
                }
            })
            .await?;
        let r = CreateResponse::decode(&resp)?;
        let durable = req
            .contexts
            .iter()
            .any(|c| matches!(c, CreateContext::DurableV2Request { .. }))
            && r.contexts
                .iter()
                .any(|c| matches!(c, CreateContext::Raw { name, .. } if name == b"DH2Q"));
        Ok(File::new(self.clone(), generation, r, req, durable))
    }

    /// Attributes, times and size of `path`, in one round trip (create + query + close).
    pub async fn stat(&self, path: &str) -> Result<FileNetworkOpenInformation> {
        Ok(self.stat_with_id(path).await?.0)
    }

    /// [`Tree::stat`] and the server's 64-bit id of the file (FileInternalInformation; 0 when
    /// the server has none), still in one round trip (create + two queries + close).
    pub async fn stat_with_id(&self, path: &str) -> Result<(FileNetworkOpenInformation, u64)> {
        let (create, query, close) = stat_requests(smb_path(path)?);
        let internal = QueryInfoRequest {
            class: file_class::INTERNAL,
            output_buffer_length: 8,
            ..query.clone()
        };
        let (create, query, internal, close) = (&create, &query, &internal, &close);
        let r = self
            .exec(|ctx| async move {
                ctx.chain(
                    vec![
                        (ctx.msg(create, false), 0),
                        (ctx.msg(query, true), 0),
                        (ctx.msg(internal, true), 0),
                        (ctx.msg(close, true), 0),
                    ],
                    self.meta_timeout(),
                )
                .await
            })
            .await?;
        let q = QueryInfoResponse::decode(&r[1])?;
        let id = crate::msg::fscc::decode_internal(&QueryInfoResponse::decode(&r[2])?.output)?;
        Ok((FileNetworkOpenInformation::decode(&q.output)?, id))
    }

    /// Reads a whole small file (up to `max` bytes) in one round trip (create + read + close).
    pub async fn read_file_small(&self, path: &str, max: u32) -> Result<Vec<u8>> {
        let (_, data) = self
            .read_small_opened(path, &CreateOptions::read(), max)
            .await?;
        data
    }

    /// Opens `path` with `opts`, reads up to `len` bytes from its start and closes it, in one
    /// round trip (create + read + close). Returns the CREATE response (size, times and
    /// attributes when opened) and the read's outcome: a read that fails where the open
    /// succeeded (another client's byte-range lock, say) is the inner error, so the caller can
    /// tell it from a failed open (the outer error). The close runs either way.
    pub async fn read_small_opened(
        &self,
        path: &str,
        opts: &CreateOptions,
        len: u32,
    ) -> Result<(CreateResponse, Result<Vec<u8>>)> {
        self.lane(path)
            .read_small_opened_here(path, opts, len)
            .await
    }

    async fn read_small_opened_here(
        &self,
        path: &str,
        opts: &CreateOptions,
        len: u32,
    ) -> Result<(CreateResponse, Result<Vec<u8>>)> {
        let create = opts.request(&smb_path(path)?);
        let (_, opened, data) = self.open_and_read(&create, len, true).await?;
        Ok((opened, data))
    }

    /// [`Tree::read_small_opened`] without the close, still one round trip (create + read):
    /// the handle stays open (to keep the lease `opts` asks for, say). Always on this tree
    /// itself, never a lane of a striped one: the lease's breaks come to this tree's session,
    /// where its caller listens for them ([`crate::Session::listen_lease`]).
    pub async fn read_small_kept(
        &self,
        path: &str,
        opts: &CreateOptions,
        len: u32,
    ) -> Result<(File, Result<Vec<u8>>)> {
        let create = opts.request(&smb_path(path)?);
        let (generation, opened, data) = self.open_and_read(&create, len, false).await?;
        Ok((
            File::new(self.clone(), generation, opened, create, false),
            data,
        ))
    }

    /// Create + read (+ close): the generation it ran on, the CREATE response and the read.
    async fn open_and_read(
        &self,
        create: &CreateRequest,
        len: u32,
        close: bool,
    ) -> Result<(u64, CreateResponse, Result<Vec<u8>>)> {
        let len = len.min(self.inner.session.negotiated().max_read);
        self.remember_leases(create);
        let read = ReadRequest {
            length: len,
            offset: 0,
            file_id: FileId::RELATED,
            minimum_count: 0,
        };
        let close = close.then_some(CloseRequest {
            flags: 0,
            file_id: FileId::RELATED,
        });
        let (read, close) = (&read, &close);
        self.exec(|ctx| async move {
            let mut msgs = vec![
                (ctx.msg(create, false), 0),
                (ctx.msg(read, true), len as usize),
            ];
            if let Some(close) = close {
                msgs.push((ctx.msg(close, true), 0));
            }
            let replies = ctx
                .live
                .conn
                .compound(msgs, ctx.opts(self.data_timeout()))
                .await?;
            let mut it = replies.into_iter();
            let c = it.next().ok_or(Error::Disconnected)??;
            check_status(&c)?;
            let opened = CreateResponse::decode(&c)?;
            let rd = it.next().ok_or(Error::Disconnected)??;
            let h = crate::msg::Header::decode(&rd)?;
            let data = if h.status == NtStatus::END_OF_FILE {
                Ok(Vec::new())
            } else {
                check_status(&rd).and_then(|_| {
                    let r = ReadResponse::decode(&rd)?;
                    Ok(r.data(&rd).to_vec())
                })
            };
            Ok((ctx.live.generation, opened, data))
        })
        .await
    }

    /// Creates (or opens, per `opts.disposition`) `path`, writes `data` at `offset` (nothing
    /// when `data` is empty) and closes it, in one round trip (create + write + close); with
    /// `parent`, the same compound also asks for that directory's attributes afterwards
    /// (create + query + close, unrelated to the first three), as the create changed its
    /// times. `data` must fit one WRITE (the negotiated MaxWriteSize).
    ///
    /// Errors: the CREATE's (OBJECT_NAME_COLLISION, OBJECT_PATH_NOT_FOUND, ACCESS_DENIED,
    /// ...), then the WRITE's (DISK_FULL, ...), then the CLOSE's. The parent's query failing
    /// is not an error (its attributes are then `None`).
    pub async fn create_written(
        &self,
        path: &str,
        opts: &CreateOptions,
        offset: u64,
        data: &[u8],
        parent: Option<DirStat<'_>>,
    ) -> Result<Written> {
        self.lane(path)
            .create_written_here(path, opts, offset, data, parent)
            .await
    }

    async fn create_written_here(
        &self,
        path: &str,
        opts: &CreateOptions,
        offset: u64,
        data: &[u8],
        parent: Option<DirStat<'_>>,
    ) -> Result<Written> {
        if data.len() > self.inner.session.negotiated().max_write as usize {
            return Err(Error::Protocol(crate::msg::DecodeError(
                "create_written: more than one WRITE",
            )));
        }
        let create = opts.request(&smb_path(path)?);
        self.remember_leases(&create);
        let write = crate::msg::write::WriteRequest {
            offset,
            file_id: FileId::RELATED,
            data,
            flags: 0,
        };
        let close = CloseRequest {
            flags: crate::msg::close::POSTQUERY_ATTRIB,
            file_id: FileId::RELATED,
        };
        let parent = parent.as_ref().map(DirAsk::new).transpose()?;
        let (create, write, close, parent) = (&create, &write, &close, &parent);
        self.exec(|ctx| async move {
            let mut msgs = vec![(ctx.msg(create, false), 0)];
            if !data.is_empty() {
                msgs.push((ctx.msg(write, true), data.len()));
            }
            msgs.push((ctx.msg(close, true), 0));
            let asked = parent.as_ref().map(|d| d.push(self, &ctx, &mut msgs));
            let replies = ctx
                .live
                .conn
                .compound(msgs, ctx.opts(self.data_timeout()))
                .await?;
            let mut it = replies.into_iter();
            let mut next = || -> Result<Vec<u8>> { it.next().ok_or(Error::Disconnected)? };
            let c = next()?;
            check_status(&c)?;
            let opened = CreateResponse::decode(&c)?;
            if !data.is_empty() {
                let w = next()?;
                check_status(&w)?;
                let n = crate::msg::write::WriteResponse::decode(&w)?.count;
                if (n as usize) < data.len() {
                    return Err(Error::Status {
                        status: NtStatus::DISK_FULL,
                        command: crate::msg::Command::Write,
                    });
                }
            }
            let x = next()?;
            check_status(&x)?;
            let info = CloseResponse::decode(&x)?.info;
            let parent_info = asked.and_then(|n| DirAsk::answer(n, || it.next()));
            Ok(Written {
                file_id: crate::file::server_file_id(&opened),
                info,
                parent: parent_info,
            })
        })
        .await
    }

    /// Lists a directory (without `.` and `..`).
    pub async fn list(&self, dir: &str) -> Result<Vec<DirEntry>> {
        self.list_at_most(dir, crate::file::MAX_LISTING_ENTRIES)
            .await?
            .ok_or(Error::Protocol(crate::msg::DecodeError(
                "query directory: too many entries",
            )))
    }

    /// [`Tree::list`] of a directory expected to be small: `Ok(None)` as soon as it has more
    /// than `limit` entries, without reading the rest (see [`File::list_entries_at_most`]).
    pub async fn list_at_most(&self, dir: &str, limit: usize) -> Result<Option<Vec<DirEntry>>> {
        let d = self.create(dir, &CreateOptions::directory()).await?;
        let res = d.list_entries_at_most(limit).await;
        let closed = d.close().await;
        let v = res?;
        closed?;
        Ok(v)
    }

    /// Opens `path` with `access`, applies one SET_INFO, closes: one round trip.
    /// Opens `path` with `access_mask`, applies one SET_INFO, closes, then asks for the
    /// attributes of each of `dirs` (create + query + close, unrelated to the first three):
    /// one round trip. The directories' attributes are `None` where the query failed.
    async fn set_info_path(
        &self,
        path: &str,
        access_mask: u32,
        class: u8,
        data: Vec<u8>,
        idempotent: bool,
        dirs: &[DirStat<'_>],
    ) -> Result<Vec<Option<FileNetworkOpenInformation>>> {
        let create = CreateRequest {
            oplock_level: oplock::NONE,
            desired_access: access_mask,
            file_attributes: 0,
            share_access: share::ALL,
            disposition: disposition::OPEN,
            options: 0,
            name: smb_path(path)?,
            contexts: vec![],
        };
        let set = SetInfoRequest {
            info_type: info_type::FILE,
            class,
            additional_information: 0,
            file_id: FileId::RELATED,
            data,
        };
        let close = CloseRequest {
            flags: 0,
            file_id: FileId::RELATED,
        };
        let stats = dirs.iter().map(DirAsk::new).collect::<Result<Vec<_>>>()?;
        let (create, set, close, stats) = (&create, &set, &close, &stats);
        self.exec_with(idempotent, |ctx| async move {
            let mut msgs = vec![
                (ctx.msg(create, false), 0),
                (ctx.msg(set, true), 0),
                (ctx.msg(close, true), 0),
            ];
            let asked: Vec<usize> = stats
                .iter()
                .map(|d| d.push(self, &ctx, &mut msgs))
                .collect();
            let replies = ctx
                .live
                .conn
                .compound(msgs, ctx.opts(self.meta_timeout()))
                .await?;
            let mut it = replies.into_iter();
            for _ in 0..3 {
                let r = it.next().ok_or(Error::Disconnected)??;
                check_status(&r)?;
            }
            Ok(asked
                .into_iter()
                .map(|n| DirAsk::answer(n, || it.next()))
                .collect())
        })
        .await
    }

    /// Renames (moves) `from` to `to` within the share.
    ///
    /// Errors: OBJECT_NAME_COLLISION when `to` exists and `replace` is false.
    pub async fn rename(&self, from: &str, to: &str, replace: bool) -> Result<()> {
        self.rename_then_stat(from, to, replace, &[])
            .await
            .map(|_| ())
    }

    /// [`Tree::rename`], and in the same round trip the attributes of each of `dirs` after
    /// it (`None` where that query failed): the directories whose times the rename changed.
    pub async fn rename_then_stat(
        &self,
        from: &str,
        to: &str,
        replace: bool,
        dirs: &[DirStat<'_>],
    ) -> Result<Vec<Option<FileNetworkOpenInformation>>> {
        let data = fscc::encode_rename(&smb_path(to)?, replace);
        self.set_info_path(
            from,
            access::DELETE | access::SYNCHRONIZE,
            file_class::RENAME,
            data,
            false,
            dirs,
        )
        .await
    }

    /// Deletes a file or an empty directory.
    ///
    /// Errors: OBJECT_NAME_NOT_FOUND, DIRECTORY_NOT_EMPTY, ACCESS_DENIED.
    pub async fn delete(&self, path: &str) -> Result<()> {
        self.delete_then_stat(path, &[]).await.map(|_| ())
    }

    /// [`Tree::delete`], and in the same round trip the attributes of each of `dirs` after
    /// it (`None` where that query failed).
    pub async fn delete_then_stat(
        &self,
        path: &str,
        dirs: &[DirStat<'_>],
    ) -> Result<Vec<Option<FileNetworkOpenInformation>>> {
        self.set_info_path(
            path,
            access::DELETE,
            file_class::DISPOSITION,
            fscc::encode_disposition(true),
            false,
            dirs,
        )
        .await
    }

    /// Sets times and attributes of `path` (zero fields stay unchanged), in one round trip.
    pub async fn set_basic(&self, path: &str, info: &fscc::FileBasicInformation) -> Result<()> {
        self.set_info_path(
            path,
            access::WRITE_ATTRIBUTES | access::SYNCHRONIZE,
            file_class::BASIC,
            info.encode(),
            true,
            &[],
        )
        .await
        .map(|_| ())
    }

    /// Truncates or extends the file at `path`, in one round trip.
    pub async fn set_len(&self, path: &str, len: u64) -> Result<()> {
        self.set_info_path(
            path,
            access::WRITE_DATA | access::SYNCHRONIZE,
            file_class::END_OF_FILE,
            fscc::encode_end_of_file(len),
            true,
            &[],
        )
        .await
        .map(|_| ())
    }

    /// Removes an empty directory (same as [`Tree::delete`]).
    pub async fn rmdir(&self, path: &str) -> Result<()> {
        self.delete(path).await
    }

    /// Creates a directory. Errors: OBJECT_NAME_COLLISION if it exists.
    pub async fn mkdir(&self, path: &str) -> Result<()> {
        let create = CreateRequest {
            oplock_level: oplock::NONE,
            desired_access: access::READ_ATTRIBUTES | access::SYNCHRONIZE,
            file_attributes: attr::DIRECTORY,
            share_access: share::ALL,
            disposition: disposition::CREATE,
            options: options::DIRECTORY_FILE,
            name: smb_path(path)?,
            contexts: vec![],
        };
        let close = CloseRequest {
            flags: 0,
            file_id: FileId::RELATED,
        };
        let (create, close) = (&create, &close);
        self.exec_once(|ctx| async move {
            ctx.chain(
                vec![(ctx.msg(create, false), 0), (ctx.msg(close, true), 0)],
                self.meta_timeout(),
            )
            .await
        })
        .await?;
        Ok(())
    }

    /// Size and attributes of the share's file system (one round trip).
    pub async fn fs_info(&self) -> Result<FsInfo> {
        let create = CreateRequest {
            options: options::DIRECTORY_FILE,
            ..stat_requests(String::new()).0
        };
        let q = |class| QueryInfoRequest {
            info_type: info_type::FILESYSTEM,
            class,
            output_buffer_length: 4096,
            additional_information: 0,
            file_id: FileId::RELATED,
        };
        let (qs, qa) = (q(fs_class::FULL_SIZE), q(fs_class::ATTRIBUTE));
        let close = CloseRequest {
            flags: 0,
            file_id: FileId::RELATED,
        };
        let (create, qs, qa, close) = (&create, &qs, &qa, &close);
        let r = self
            .exec(|ctx| async move {
                ctx.chain(
                    vec![
                        (ctx.msg(create, false), 0),
                        (ctx.msg(qs, true), 0),
                        (ctx.msg(qa, true), 0),
                        (ctx.msg(close, true), 0),
                    ],
                    self.meta_timeout(),
                )
                .await
            })
            .await?;
        let size = FsSizeInformation::decode(&QueryInfoResponse::decode(&r[1])?.output)?;
        let attributes = FsAttributeInformation::decode(&QueryInfoResponse::decode(&r[2])?.output)?;
        let _ = CloseResponse::decode(&r[3])?;
        Ok(FsInfo { size, attributes })
    }

    /// One FSCTL on the tree itself, no handle (FileId all ones): `input` in, at most
    /// `max_output` bytes back (a longer answer is a protocol error).
    pub(crate) async fn fsctl(
        &self,
        ctl_code: u32,
        input: &[u8],
        max_output: u32,
    ) -> Result<Vec<u8>> {
        use crate::msg::ioctl::{IOCTL_IS_FSCTL, IoctlRequest, IoctlResponse};
        let req = IoctlRequest {
            ctl_code,
            file_id: FileId::RELATED,
            input: input.to_vec(),
            max_output_response: max_output,
            flags: IOCTL_IS_FSCTL,
        };
        let req = &req;
        let resp = self
            .exec(|ctx| async move {
                ctx.call(
                    req,
                    input.len().max(max_output as usize),
                    self.meta_timeout(),
                )
                .await
            })
            .await?;
        let output = IoctlResponse::decode(&resp)?.output;
        crate::msg::wire::within_asked(
            output.len(),
            max_output as usize,
            "ioctl: output too long",
        )?;
        Ok(output)
    }

    /// Disconnects the tree (on the current generation; nothing to do if it is stale). A
    /// striped tree's lanes are disconnected too and their sessions logged off.
    pub async fn disconnect(&self) -> Result<()> {
        let lanes = self.lanes.iter().map(|lane| async move {
            let _ = lane.disconnect_here().await;
            let _ = lane.session().logoff().await;
        });
        futures_util::future::join_all(lanes).await;
        self.disconnect_here().await
    }

    async fn disconnect_here(&self) -> Result<()> {
        let live = self.inner.session.live();
        let st = self.state();
        if st.generation != live.generation {
            return Ok(());
        }
        let ctx = Ctx {
            live,
            tree_id: st.id,
            encrypt: st.encrypt,
        };
        ctx.call(
            &crate::msg::tree_disconnect::TreeDisconnectRequest,
            0,
            self.meta_timeout(),
        )
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(smb_path("/a/b/").unwrap(), "a\\b");
        assert_eq!(smb_path("\\x").unwrap(), "x");
        assert_eq!(smb_path("").unwrap(), "");
        assert!(smb_path("a/../b").is_err());
        assert!(smb_path("a//b").is_err());
    }
}
