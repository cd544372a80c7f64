//! [`DavClient`]: the WebDAV methods a drive needs, over one server's connection pool, with
//! authentication, same-server redirects and stale keep-alive connections handled inside.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use crate::auth::{AuthState, Challenge, Credentials, pick_challenge};
use crate::conn::{Lane, Pool, Protocol};
use crate::error::{Error, Result};
use crate::http::{Body, Request, Response, read_response, write_request};
use crate::location::{DavLocation, Scheme};
use crate::multistatus::{self, Entry};

/// How a client behaves; [`Options::default`] is what a drive uses.
#[derive(Debug, Clone)]
pub struct Options {
    /// TCP connect + TLS handshake deadline.
    pub connect_timeout: Duration,
    /// Deadline for one request's whole exchange.
    pub request_timeout: Duration,
    /// Send a Basic password over plain `http://` (Windows' `BasicAuthLevel` 2). Off by default.
    pub allow_basic_over_http: bool,
    /// A PEM file of CA certificates trusted besides the system's.
    pub extra_roots: Option<PathBuf>,
    /// Entries one listing may have.
    pub max_listing: usize,
    /// Bytes a listing's body may have.
    pub max_listing_bytes: usize,
    /// Idle connections kept per server.
    pub max_idle: usize,
    /// Offer HTTP/2 to `https` servers (ALPN); a server that does not choose it gets
    /// HTTP/1.1. On by default.
    pub http2: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(30),
            allow_basic_over_http: false,
            extra_roots: None,
            max_listing: 1_000_000,
            max_listing_bytes: 512 * 1024 * 1024,
            max_idle: 8,
            http2: true,
        }
    }
}

/// A request body larger than this is not sent before the server's authentication challenge
/// is known ([`DavClient::probe_challenge`]).
const PROBE_ABOVE: u64 = 64 * 1024;

/// Redirects followed for one request.
const MAX_REDIRECTS: usize = 5;

/// The properties a listing asks for.
const PROPFIND_BODY: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/><D:getcontentlength/><D:getlastmodified/><D:getetag/></D:prop></D:propfind>"#;

const QUOTA_BODY: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:"><D:prop><D:quota-available-bytes/><D:quota-used-bytes/></D:prop></D:propfind>"#;

/// What `OPTIONS` says a server supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerCaps {
    /// `DAV: 1` (the server speaks WebDAV at all).
    pub class1: bool,
    /// `DAV: 2` (LOCK/UNLOCK).
    pub class2: bool,
    /// `DELETE` with `Depth: 0` never deletes a collection: the resource is served by Apache
    /// httpd's `mod_dav` over its filesystem repository, which says so in its `DAV` header
    /// ([`MOD_DAV_FS`]) and refuses such a `DELETE` (400, RFC 4918 §9.6.1), so a file can be
    /// deleted without a look at what the name is first. Not `Server: Apache`: Nextcloud and
    /// ownCloud run on Apache too, and their own DAV server ignores `Depth`, as rclone's does
    /// (they delete the collection with all it holds).
    pub file_only_delete: bool,
}

/// The compliance class Apache httpd's `mod_dav_fs` (and only it) adds to `DAV` in its
/// `OPTIONS` answer: its filesystem repository's live properties.
pub const MOD_DAV_FS: &str = "<http://apache.org/dav/propset/fs/1>";

/// What a ranged `GET` answered ([`DavClient::read_range`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ranged {
    /// The bytes (fewer than asked at the end of the file, none past it).
    pub data: Vec<u8>,
    /// The `ETag` the answer carried, as sent.
    pub etag: Option<String>,
    /// The file's whole size (`Content-Range`'s total, or a whole body's length).
    pub total: Option<u64>,
    /// `Last-Modified`.
    pub modified: Option<SystemTime>,
}

/// What a conditional ranged `GET` answered ([`DavClient::read_range_if_changed`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IfChanged {
    /// `304 Not Modified`: the file is still the version the condition named; the answer's
    /// `ETag`, as sent.
    Unchanged {
        /// The `ETag` the answer carried.
        etag: Option<String>,
    },
    /// Another version (or no condition): what was read, as [`DavClient::read_range`].
    Changed(Ranged),
}

/// Preconditions of a `PUT` ([`DavClient::put_with`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PutOptions<'a> {
    /// `If-None-Match: *`: only where nothing exists yet (412 otherwise). Some servers
    /// (rclone's) ignore it: a caller that must not replace checks first as well.
    pub create_only: bool,
    /// A lock token this client holds on the resource (`If: (<token>)`), which a locked
    /// resource's `PUT` must carry.
    pub lock_token: Option<&'a str>,
}

/// How a `DELETE` is guarded ([`DavClient::delete_with`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeleteOptions<'a> {
    /// The resource is a collection (its URL ends in `/`): deleted with all it holds, as
    /// WebDAV defines it.
    pub collection: bool,
    /// `Depth: 0`, for a file: a server that follows RFC 4918 §9.6.1 refuses (400) to
    /// delete a collection so (Apache), so a directory another client put where the file
    /// was is not deleted with its content. Some servers ignore it (rclone).
    pub file_only: bool,
    /// Lock tokens this client holds on the resource (`If:`, tagged with its URL).
    pub tokens: &'a [&'a str],
}

/// A lock on a collection and all it holds ([`DavClient::lock_tree`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeLock {
    /// The lock token.
    pub token: String,
    /// The `LOCK` made a new (empty) resource: nothing was there (a server that ignores
    /// `If-Match: *`, rclone). Its holder deletes it.
    pub created: bool,
}

/// A WebDAV client for one server (scheme, host, port) and one user.
pub struct DavClient {
    location: DavLocation,
    credentials: Option<Credentials>,
    options: Options,
    pool: Pool,
    auth: Mutex<AuthState>,
}

impl std::fmt::Debug for DavClient {
    /// The location and user only: never the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DavClient")
            .field("location", &self.location.to_string())
            .field("user", &self.credentials.as_ref().map(|c| c.user.as_str()))
            .finish()
    }
}

impl DavClient {
    /// A client for `location`'s server (no request is sent yet).
    ///
    /// Errors: [`Error::Tls`] when an `https` location has no usable trust anchor.
    pub fn new(
        location: DavLocation,
        credentials: Option<Credentials>,
        options: Options,
    ) -> Result<Self> {
        let pool = Pool::new(
            &location,
            options.extra_roots.as_ref(),
            options.connect_timeout,
            options.max_idle,
            options.http2,
        )?;
        Ok(DavClient {
            location,
            credentials,
            options,
            pool,
            auth: Mutex::new(AuthState::default()),
        })
    }

    /// The location the client was made for.
    pub fn location(&self) -> &DavLocation {
        &self.location
    }

    /// The HTTP version of the client's newest connection; `None` before its first request.
    pub fn protocol(&self) -> Option<Protocol> {
        self.pool.protocol()
    }

    /// `OPTIONS`: which DAV classes the server speaks at `at`.
    ///
    /// Errors: [`Error::Status`] for a non-2xx answer; transport and auth errors.
    pub async fn options(&self, at: &DavLocation) -> Result<ServerCaps> {
        let r = self
            .send("OPTIONS", at.url_path(false), vec![], Body::Bytes(b""), 0)
            .await?;
        expect(&r, &[200, 204])?;
        let classes: Vec<String> = r
            .headers_named("DAV")
            .flat_map(|v| v.split(','))
            .map(|c| c.trim().to_owned())
            .collect();
        Ok(ServerCaps {
            class1: classes.iter().any(|c| c == "1"),
            class2: classes.iter().any(|c| c == "2"),
            file_only_delete: classes.iter().any(|c| c == MOD_DAV_FS),
        })
    }

    /// `PROPFIND` depth 0: the resource itself.
    ///
    /// Errors: [`Error::Status`] (404 when it does not exist); [`Error::Protocol`].
    pub async fn stat(&self, at: &DavLocation) -> Result<Entry> {
        let mut entries = self.propfind(at, "0", PROPFIND_BODY).await?;
        if entries.is_empty() {
            return Err(Error::Protocol(
                "a depth-0 PROPFIND without a response".into(),
            ));
        }
        Ok(entries.swap_remove(0))
    }

    /// `PROPFIND` depth 1: a collection's members (itself left out), attributes included, in
    /// one request.
    ///
    /// Errors: as [`DavClient::stat`].
    pub async fn list(&self, dir: &DavLocation) -> Result<Vec<Entry>> {
        Ok(self.list_with_self(dir).await?.1)
    }

    /// `PROPFIND` depth 1, as [`DavClient::list`], with the resource's own entry too: a
    /// file answers itself and no members, which a caller tells from an empty collection.
    ///
    /// Errors: as [`DavClient::stat`].
    pub async fn list_with_self(&self, dir: &DavLocation) -> Result<(Option<Entry>, Vec<Entry>)> {
        let entries = self.propfind(dir, "1", PROPFIND_BODY).await?;
        let me = dir.components();
        let mut own = None;
        let mut members = Vec::with_capacity(entries.len());
        for e in entries {
            if e.path.len() == me.len() + 1 && e.path[..me.len()] == *me {
                members.push(e);
            } else if e.path == me {
                own = Some(e);
            }
        }
        Ok((own, members))
    }

    /// Quota of the collection `at`: (available, used) bytes, where the server reports them.
    ///
    /// Errors: as [`DavClient::stat`].
    pub async fn quota(&self, at: &DavLocation) -> Result<(Option<u64>, Option<u64>)> {
        let e = self.propfind(at, "0", QUOTA_BODY).await?;
        Ok(e.first()
            .map_or((None, None), |e| (e.quota_available, e.quota_used)))
    }

    async fn propfind(&self, at: &DavLocation, depth: &str, body: &str) -> Result<Vec<Entry>> {
        let headers = vec![
            ("Depth", depth.to_owned()),
            ("Content-Type", "application/xml; charset=utf-8".into()),
        ];
        let r = self
            .send(
                "PROPFIND",
                at.url_path(false),
                headers,
                Body::Bytes(body.as_bytes()),
                self.options.max_listing_bytes,
            )
            .await?;
        expect(&r, &[207])?;
        multistatus::parse(&r.body, self.options.max_listing)
    }

    /// `GET` of `len` bytes at `offset` (a `Range` request). Fewer bytes at the end of the
    /// file; none past it.
    ///
    /// Errors: [`Error::Status`] (404, …); [`Error::TooLarge`] when a server that ignores
    /// ranges sends more than `offset + len` bytes.
    pub async fn read(&self, at: &DavLocation, offset: u64, len: usize) -> Result<Vec<u8>> {
        Ok(self.read_range(at, offset, len).await?.data)
    }

    /// [`DavClient::read`], with what the answer says of the file it was read from (its
    /// ETag, total size, last modification): a caller holding the file open compares them
    /// with what it saw at open, so bytes of two versions are never mixed.
    ///
    /// Errors: as [`DavClient::read`].
    pub async fn read_range(&self, at: &DavLocation, offset: u64, len: usize) -> Result<Ranged> {
        match self.get_range(at, offset, len, None).await? {
            IfChanged::Changed(r) => Ok(r),
            IfChanged::Unchanged { .. } => Err(Error::Protocol(
                "304 Not Modified to a GET without a condition".into(),
            )),
        }
    }

    /// [`DavClient::read_range`] unless the file is still the version `etag` names
    /// (`If-None-Match`): then `304 Not Modified`, no body, and [`IfChanged::Unchanged`]
    /// with the answer's `ETag`. The server compares weakly (RFC 9110 §13.1.2): a caller
    /// that holds bytes under `etag` must have taken them under a strong one, and should
    /// check the ETag the answer carries.
    ///
    /// Errors: as [`DavClient::read`].
    pub async fn read_range_if_changed(
        &self,
        at: &DavLocation,
        offset: u64,
        len: usize,
        etag: &str,
    ) -> Result<IfChanged> {
        self.get_range(at, offset, len, Some(etag)).await
    }

    async fn get_range(
        &self,
        at: &DavLocation,
        offset: u64,
        len: usize,
        unless: Option<&str>,
    ) -> Result<IfChanged> {
        if len == 0 {
            return Ok(IfChanged::Changed(Ranged::default()));
        }
        let last = offset + len as u64 - 1;
        let limit = usize::try_from(last + 1).unwrap_or(usize::MAX);
        let mut headers = vec![("Range", format!("bytes={offset}-{last}"))];
        if let Some(etag) = unless {
            headers.push(("If-None-Match", etag.to_owned()));
        }
        let r = self
            .send("GET", at.url_path(false), headers, Body::Bytes(b""), limit)
            .await?;
        let etag = r.header("ETag").map(str::to_owned);
        if r.status == 304 && unless.is_some() {
            return Ok(IfChanged::Unchanged { etag });
        }
        let modified = r
            .header("Last-Modified")
            .and_then(multistatus::parse_http_date);
        // `bytes 0-3/11` or `bytes */11`.
        let total = r
            .header("Content-Range")
            .and_then(|v| v.rsplit_once('/'))
            .and_then(|(_, t)| t.trim().parse().ok());
        let data = match r.status {
            206 => {
                // The range answered must be the one asked: bytes from elsewhere in the
                // file would be read as these.
                let start = r
                    .header("Content-Range")
                    .and_then(|v| v.trim().strip_prefix("bytes "))
                    .and_then(|v| v.split_once('-'))
                    .and_then(|(a, _)| a.trim().parse::<u64>().ok());
                if start != Some(offset) || r.body.len() > len {
                    return Err(Error::Protocol(format!(
                        "asked for {len} bytes at {offset}, answered {} bytes as {:?}",
                        r.body.len(),
                        r.header("Content-Range").unwrap_or("no Content-Range")
                    )));
                }
                r.body
            }
            200 => {
                let whole = r.body.len() as u64;
                let start = usize::try_from(offset)
                    .unwrap_or(usize::MAX)
                    .min(r.body.len());
                let end = (start + len).min(r.body.len());
                return Ok(IfChanged::Changed(Ranged {
                    data: r.body[start..end].to_vec(),
                    etag,
                    total: Some(whole),
                    modified,
                }));
            }
            416 => Vec::new(),
            _ => return Err(status_error(&r)),
        };
        Ok(IfChanged::Changed(Ranged {
            data,
            etag,
            total,
            modified,
        }))
    }

    /// `PUT` of a whole file. Returns the new ETag when the server sends one.
    ///
    /// Errors: [`Error::Status`] (409 when the parent is missing, 507 when out of space, …).
    pub async fn put(&self, at: &DavLocation, body: &[u8]) -> Result<Option<String>> {
        self.put_with(at, Body::Bytes(body), PutOptions::default())
            .await
    }

    /// `PUT` of a whole file from memory or a local file, with preconditions. Returns the
    /// new ETag when the server sends one.
    ///
    /// Errors: [`Error::Status`] 412 when `create_only` and something exists there (on a
    /// server that honours `If-None-Match`), 423 when locked by someone else; as
    /// [`DavClient::put`].
    pub async fn put_with(
        &self,
        at: &DavLocation,
        body: Body<'_>,
        how: PutOptions<'_>,
    ) -> Result<Option<String>> {
        let mut headers = Vec::new();
        if how.create_only {
            headers.push(("If-None-Match", "*".to_owned()));
        }
        if let Some(token) = how.lock_token {
            headers.push(("If", format!("(<{token}>)")));
        }
        let r = self
            .send("PUT", at.url_path(false), headers, body, 64 * 1024)
            .await?;
        expect(&r, &[200, 201, 204])?;
        Ok(r.header("ETag").map(str::to_owned))
    }

    /// `MKCOL`: a new collection.
    ///
    /// Errors: [`Error::Status`] 405 when something exists there, 409 when the parent is missing.
    pub async fn mkcol(&self, at: &DavLocation) -> Result<()> {
        let r = self
            .send(
                "MKCOL",
                at.url_path(true),
                vec![],
                Body::Bytes(b""),
                64 * 1024,
            )
            .await?;
        expect(&r, &[201])
    }

    /// `DELETE` of a file or (recursively, as WebDAV defines it) a collection.
    ///
    /// Errors: [`Error::Status`] 404, 423 (locked), or 207 when part of a collection could not go.
    pub async fn delete(&self, at: &DavLocation, collection: bool) -> Result<()> {
        let how = DeleteOptions {
            collection,
            ..DeleteOptions::default()
        };
        self.delete_with(at, how).await
    }

    /// `DELETE` guarded as `how` says.
    ///
    /// Errors: as [`DavClient::delete`]; 400 when `file_only` meets a collection (a server
    /// that honours `Depth: 0`).
    pub async fn delete_with(&self, at: &DavLocation, how: DeleteOptions<'_>) -> Result<()> {
        let url = absolute_url(at, how.collection);
        let mut headers = Vec::new();
        if !how.tokens.is_empty() {
            let lists: Vec<String> = how.tokens.iter().map(|t| format!("(<{t}>)")).collect();
            headers.push(("If", format!("<{url}> {}", lists.join(" "))));
        }
        if how.file_only {
            headers.push(("Depth", "0".to_owned()));
        }
        let r = self
            .send(
                "DELETE",
                at.url_path(how.collection),
                headers,
                Body::Bytes(b""),
                64 * 1024,
            )
            .await?;
        expect(&r, &[200, 204])
    }

    /// `MOVE` `from` to `to` on the same server; `overwrite` false makes an existing target
    /// an error (412).
    ///
    /// Errors: [`Error::Status`] 412, 409, 404, 423, 502 (another server).
    pub async fn rename(
        &self,
        from: &DavLocation,
        to: &DavLocation,
        collection: bool,
        overwrite: bool,
    ) -> Result<()> {
        self.rename_locked(from, to, collection, overwrite, &[])
            .await
    }

    /// [`DavClient::rename`] submitting lock tokens this client holds on the source or the
    /// target (`If:`, each token tagged with its resource).
    ///
    /// Errors: as [`DavClient::rename`].
    pub async fn rename_locked(
        &self,
        from: &DavLocation,
        to: &DavLocation,
        collection: bool,
        overwrite: bool,
        tokens: &[(&DavLocation, &str)],
    ) -> Result<()> {
        let destination = absolute_url(to, collection);
        let mut headers = vec![
            ("Destination", destination),
            ("Overwrite", if overwrite { "T" } else { "F" }.into()),
        ];
        headers.extend(if_header(tokens));
        let r = self
            .send(
                "MOVE",
                from.url_path(collection),
                headers,
                Body::Bytes(b""),
                64 * 1024,
            )
            .await?;
        expect(&r, &[201, 204])
    }

    /// `LOCK` (exclusive write, depth 0) for `timeout`; returns the lock token.
    ///
    /// Errors: [`Error::Status`] 423 when someone else holds a lock; 405/501 without class 2.
    pub async fn lock(&self, at: &DavLocation, owner: &str, timeout: Duration) -> Result<String> {
        self.lock_scoped(at, owner, timeout, true).await
    }

    /// `LOCK` (write, depth 0) for `timeout`, exclusive or shared (shared locks coexist with
    /// each other, not with an exclusive one); returns the lock token.
    ///
    /// Errors: as [`DavClient::lock`].
    pub async fn lock_scoped(
        &self,
        at: &DavLocation,
        owner: &str,
        timeout: Duration,
        exclusive: bool,
    ) -> Result<String> {
        let r = self.send_lock(at, owner, timeout, exclusive, false).await?;
        lock_token(&r)
    }

    /// `LOCK` (exclusive write, depth infinity) of the collection `at` for `timeout`: while
    /// it is held no other client adds, removes or changes anything in it (RFC 4918 §7.4:
    /// a change of a locked collection's membership must submit the token). Sent with
    /// `If-Match: *`, so that nothing is made where nothing is (a server that ignores it
    /// makes an empty resource: [`TreeLock::created`]).
    ///
    /// Errors: [`Error::Status`] 423, or 207 when another client holds a lock on the
    /// collection or inside it; 412 when nothing is there; 405/501 without class 2.
    pub async fn lock_tree(
        &self,
        at: &DavLocation,
        owner: &str,
        timeout: Duration,
    ) -> Result<TreeLock> {
        let r = self.send_lock(at, owner, timeout, true, true).await?;
        Ok(TreeLock {
            token: lock_token(&r)?,
            created: r.status == 201,
        })
    }

    /// A new `LOCK` of `at` (write, exclusive or shared) for `timeout`: depth 0, or (`tree`)
    /// depth infinity of the collection with `If-Match: *`; the answer once it is 200 or 201.
    async fn send_lock(
        &self,
        at: &DavLocation,
        owner: &str,
        timeout: Duration,
        exclusive: bool,
        tree: bool,
    ) -> Result<Response> {
        let scope = if exclusive { "exclusive" } else { "shared" };
        let body = format!(
            r#"<?xml version="1.0" encoding="utf-8"?>
<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:{scope}/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner>{}</D:owner></D:lockinfo>"#,
            xml_escape(owner)
        );
        let mut headers = vec![
            ("Timeout", format!("Second-{}", timeout.as_secs().max(1))),
            ("Depth", if tree { "infinity" } else { "0" }.into()),
            ("Content-Type", "application/xml; charset=utf-8".into()),
        ];
        if tree {
            headers.push(("If-Match", "*".into()));
        }
        let r = self
            .send(
                "LOCK",
                at.url_path(tree),
                headers,
                Body::Bytes(body.as_bytes()),
                64 * 1024,
            )
            .await?;
        expect(&r, &[200, 201])?;
        Ok(r)
    }

    /// Refreshes a lock [`DavClient::lock_scoped`] took (a `LOCK` with its token and no
    /// body), for another `timeout`.
    ///
    /// Errors: [`Error::Status`] 412 or 409 when the token is no longer valid.
    pub async fn refresh_lock(
        &self,
        at: &DavLocation,
        token: &str,
        timeout: Duration,
    ) -> Result<()> {
        let headers = vec![
            ("Timeout", format!("Second-{}", timeout.as_secs().max(1))),
            ("If", format!("(<{token}>)")),
        ];
        let r = self
            .send(
                "LOCK",
                at.url_path(false),
                headers,
                Body::Bytes(b""),
                64 * 1024,
            )
            .await?;
        expect(&r, &[200])
    }

    /// `UNLOCK` with the token [`DavClient::lock`] returned.
    ///
    /// Errors: [`Error::Status`] 409 when the token is not (any longer) valid.
    pub async fn unlock(&self, at: &DavLocation, token: &str) -> Result<()> {
        let headers = vec![("Lock-Token", format!("<{token}>"))];
        let r = self
            .send(
                "UNLOCK",
                at.url_path(false),
                headers,
                Body::Bytes(b""),
                64 * 1024,
            )
            .await?;
        expect(&r, &[200, 204])
    }

    /// Sends one request, handling authentication, same-server redirects and a kept-alive
    /// connection the server had closed; returns the final response.
    async fn send(
        &self,
        method: &str,
        mut path: String,
        headers: Vec<(&'static str, String)>,
        body: Body<'_>,
        limit: usize,
    ) -> Result<Response> {
        if self.credentials.is_some() && body.len() > PROBE_ABOVE && !self.has_challenge() {
            self.probe_challenge(&path).await;
        }
        let mut redirects = 0;
        let mut answered_challenge = false;
        loop {
            let mut all = headers.clone();
            if let Some(cred) = &self.credentials {
                let mut auth = self.auth.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(h) = auth.authorization(cred, method, &path) {
                    all.push(("Authorization", h));
                }
            }
            let req = Request {
                method,
                path: path.clone(),
                headers: all,
                body,
            };
            let r = self.exchange(&req, limit).await?;
            match r.status {
                401 => {
                    let Some(_cred) = &self.credentials else {
                        return Err(Error::Unauthorized);
                    };
                    let challenge = pick_challenge(r.headers_named("WWW-Authenticate"))
                        .ok_or(Error::Unauthorized)?;
                    let stale = matches!(&challenge, Challenge::Digest(d) if d.stale);
                    if answered_challenge && !stale {
                        return Err(Error::Unauthorized);
                    }
                    if challenge == Challenge::Basic
                        && self.location.scheme() == Scheme::Http
                        && !self.options.allow_basic_over_http
                    {
                        return Err(Error::BasicOverHttp);
                    }
                    self.auth
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .adopt(challenge);
                    answered_challenge = true;
                }
                301 | 302 | 307 | 308 if method != "MOVE" => {
                    redirects += 1;
                    if redirects > MAX_REDIRECTS {
                        return Err(Error::Redirect(format!("more than {MAX_REDIRECTS}")));
                    }
                    let to = r
                        .header("Location")
                        .ok_or_else(|| Error::Protocol("a redirect without Location".into()))?;
                    path = self.same_server_path(to)?;
                }
                _ => return Ok(r),
            }
        }
    }

    fn has_challenge(&self) -> bool {
        self.auth
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .has_challenge()
    }

    /// Asks for the server's challenge with a bodyless `HEAD` of `path` and adopts it, so
    /// that a large body goes once, authenticated. A server that answers 401 before reading
    /// a body may close the connection under it (Go's `net/http`, which `rclone serve
    /// webdav` is, does past 256 KiB): the client would see a broken pipe, not the
    /// challenge. (`OPTIONS` will not do: rclone answers it without asking.) Any failure
    /// here is left to the real request.
    async fn probe_challenge(&self, path: &str) {
        let probe = Request {
            method: "HEAD",
            path: path.to_owned(),
            headers: Vec::new(),
            body: Body::Bytes(b""),
        };
        let Ok(r) = self.exchange(&probe, 0).await else {
            return;
        };
        let Some(challenge) = (r.status == 401)
            .then(|| pick_challenge(r.headers_named("WWW-Authenticate")))
            .flatten()
        else {
            return;
        };
        let basic_refused = challenge == Challenge::Basic
            && self.location.scheme() == Scheme::Http
            && !self.options.allow_basic_over_http;
        if !basic_refused {
            self.auth
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .adopt(challenge);
        }
    }

    /// The path of a `Location` on this server; another server is refused (a drive does not
    /// follow a share to another host).
    fn same_server_path(&self, to: &str) -> Result<String> {
        if to.starts_with('/') {
            return Ok(to.to_owned());
        }
        let target =
            DavLocation::parse_url(to).map_err(|e| Error::Redirect(format!("to {to:?}: {e}")))?;
        if target.scheme() != self.location.scheme()
            || !target.host().eq_ignore_ascii_case(self.location.host())
            || target.port() != self.location.port()
        {
            return Err(Error::Redirect(format!("to another server: {to}")));
        }
        Ok(target.url_path(to.ends_with('/')))
    }

    /// One request and its response on one connection, bounded in time; a reused connection
    /// that turns out closed is replaced once.
    async fn exchange(&self, req: &Request<'_>, limit: usize) -> Result<Response> {
        let host = self.location.host_header();
        let head_only = req.method == "HEAD";
        for _ in 0..2 {
            let (result, conn) = match self.pool.get().await? {
                Lane::Http11(mut conn, reused) => {
                    let attempt = async {
                        write_request(&mut conn, &host, req).await?;
                        read_response(&mut conn, head_only, limit).await
                    };
                    let result = tokio::time::timeout(self.options.request_timeout, attempt)
                        .await
                        .map_err(|_| Error::Timeout)
                        .and_then(|r| r);
                    (result, Some((conn, reused)))
                }
                Lane::Http2(send) => {
                    let origin = format!("https://{host}");
                    let attempt = crate::h2::exchange(send, &origin, req, head_only, limit);
                    let result = tokio::time::timeout(self.options.request_timeout, attempt)
                        .await
                        .map_err(|_| Error::Timeout)
                        .and_then(|r| r);
                    (result, None)
                }
            };
            // HTTP/2's connection is shared: one that is gone counts as reused.
            let reused = conn.as_ref().is_none_or(|(_, reused)| *reused);
            match result {
                Ok(r) => {
                    if let Some((conn, _)) = conn.filter(|_| r.keep_alive) {
                        self.pool.put(conn);
                    }
                    return Ok(r);
                }
                Err(Error::Closed | Error::Io(_)) if reused => {
                    tracing::debug!("kept-alive connection was closed; reconnecting");
                    self.pool.clear();
                }
                Err(e) => return Err(e),
            }
        }
        Err(Error::Closed)
    }
}

/// The token a `LOCK` answered (`Lock-Token: <token>`).
fn lock_token(r: &Response) -> Result<String> {
    let token = r
        .header("Lock-Token")
        .ok_or_else(|| Error::Protocol("LOCK answered without a Lock-Token".into()))?;
    Ok(token
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_owned())
}

fn expect(r: &Response, ok: &[u16]) -> Result<()> {
    if ok.contains(&r.status) {
        Ok(())
    } else {
        Err(status_error(r))
    }
}

fn status_error(r: &Response) -> Error {
    let reason = match r.status {
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        412 => "Precondition Failed",
        423 => "Locked",
        507 => "Insufficient Storage",
        s if s >= 500 => "Server Error",
        _ => "",
    };
    Error::Status(r.status, reason.to_owned())
}

/// `http(s)://host[:port]/path` of `at`.
fn absolute_url(at: &DavLocation, collection: bool) -> String {
    let scheme = match at.scheme() {
        Scheme::Http => "http",
        Scheme::Https => "https",
    };
    format!("{scheme}://{}{}", at.host_header(), at.url_path(collection))
}

/// An `If:` header of tagged lists, one per lock token (RFC 4918 §10.4): `<url> (<token>)`.
fn if_header(tokens: &[(&DavLocation, &str)]) -> Vec<(&'static str, String)> {
    if tokens.is_empty() {
        return Vec::new();
    }
    let lists: Vec<String> = tokens
        .iter()
        .map(|(at, token)| format!("<{}> (<{token}>)", absolute_url(at, false)))
        .collect();
    vec![("If", lists.join(" "))]
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
