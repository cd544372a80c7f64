//! A tree connect (one share) and the path-level operations on it; several are compounded
//! into one round trip (create + query + close for `stat`, create + read + close for small
//! files, create + set-info + close for rename and delete).

use crate::error::{Error, Result};
use crate::file::File;
use crate::msg::close::{CloseRequest, CloseResponse};
use crate::msg::create::{
    CreateContext, CreateRequest, CreateResponse, disposition, lease, oplock, options, share,
};
use crate::msg::fscc::{
    self, DirEntry, FileNetworkOpenInformation, FsAttributeInformation, FsSizeInformation, access,
    attr, file_class, fs_class, info_type,
};
use crate::msg::query_directory::{
    QueryDirectoryRequest, QueryDirectoryResponse, flags as qd_flags,
};
use crate::msg::query_info::{QueryInfoRequest, QueryInfoResponse};
use crate::msg::read::{ReadRequest, ReadResponse};
use crate::msg::set_info::SetInfoRequest;
use crate::msg::tree_connect::TreeConnectResponse;
use crate::msg::{FileId, Request, Response};
use crate::session::{Session, build, check_status};
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
        if let Some(state) = self.lease {
            oplock_level = oplock::LEASE;
            contexts.push(CreateContext::LeaseV2 {
                key: random_guid(),
                state,
                parent_key: [0; 16],
                epoch: 0,
            });
        } else if self.durable {
            // A durable handle needs a batch oplock or a handle lease (MS-SMB2 §3.3.5.9.10).
            oplock_level = oplock::LEASE;
            contexts.push(CreateContext::LeaseV2 {
                key: random_guid(),
                state: lease::READ | lease::HANDLE,
                parent_key: [0; 16],
                epoch: 0,
            });
        }
        CreateRequest {
            oplock_level,
            desired_access: self.access,
            file_attributes: self.attributes,
            share_access: self.share_access,
            disposition: self.disposition,
            options: self.options,
            name: path.to_string(),
            contexts,
        }
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

pub(crate) struct TreeInner {
    pub(crate) session: Session,
    pub(crate) id: u32,
    pub(crate) share: String,
    pub(crate) encrypt: bool,
    pub(crate) share_type: u8,
    pub(crate) maximal_access: u32,
}

/// A connected share. Cheap to clone.
#[derive(Clone)]
pub struct Tree {
    pub(crate) inner: Arc<TreeInner>,
}

impl std::fmt::Debug for Tree {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tree")
            .field("share", &self.inner.share)
            .field("id", &self.inner.id)
            .finish()
    }
}

const STAT_LEN: u32 = 56;

impl Tree {
    pub(crate) fn new(
        session: Session,
        id: u32,
        share: String,
        r: TreeConnectResponse,
        encrypt: bool,
    ) -> Self {
        Tree {
            inner: Arc::new(TreeInner {
                session,
                id,
                share,
                encrypt,
                share_type: r.share_type,
                maximal_access: r.maximal_access,
            }),
        }
    }

    /// The TreeId.
    pub fn id(&self) -> u32 {
        self.inner.id
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
        self.inner.encrypt || self.inner.session.is_encrypted()
    }

    /// ShareType (`tree_connect::share_type`).
    pub fn share_type(&self) -> u8 {
        self.inner.share_type
    }

    /// The maximal access the server grants on the share.
    pub fn maximal_access(&self) -> u32 {
        self.inner.maximal_access
    }

    pub(crate) fn msg<R: Request>(&self, req: &R, related: bool) -> Vec<u8> {
        build(self.inner.session.inner.id, self.inner.id, req, related)
    }

    pub(crate) fn meta_timeout(&self) -> Duration {
        self.inner.session.inner.config.timeouts.metadata
    }

    pub(crate) fn data_timeout(&self) -> Duration {
        self.inner.session.inner.config.timeouts.data
    }

    /// One request, its response checked for an error status.
    pub(crate) async fn call<R: Request>(
        &self,
        req: &R,
        payload: usize,
        timeout: Duration,
    ) -> Result<Vec<u8>> {
        let opts = self.inner.session.opts(timeout, self.inner.encrypt);
        let resp = self
            .inner
            .session
            .inner
            .conn
            .call(self.msg(req, false), payload, opts)
            .await?;
        check_status(&resp)?;
        Ok(resp)
    }

    /// A compound chain; the first error status (the create's, usually) is the result.
    async fn chain(&self, msgs: Vec<(Vec<u8>, usize)>, timeout: Duration) -> Result<Vec<Vec<u8>>> {
        let opts = self.inner.session.opts(timeout, self.inner.encrypt);
        let replies = self.inner.session.inner.conn.compound(msgs, opts).await?;
        let mut out = Vec::with_capacity(replies.len());
        for r in replies {
            let m = r?;
            check_status(&m)?;
            out.push(m);
        }
        Ok(out)
    }

    /// Opens or creates `path`.
    ///
    /// Errors: OBJECT_NAME_NOT_FOUND / OBJECT_PATH_NOT_FOUND, OBJECT_NAME_COLLISION (create_new),
    /// ACCESS_DENIED, SHARING_VIOLATION, FILE_IS_A_DIRECTORY, NOT_A_DIRECTORY.
    pub async fn create(&self, path: &str, opts: &CreateOptions) -> Result<File> {
        let req = opts.request(&smb_path(path)?);
        let resp = self.call(&req, 0, self.meta_timeout()).await?;
        let r = CreateResponse::decode(&resp)?;
        let create_guid = req.contexts.iter().find_map(|c| match c {
            CreateContext::DurableV2Request { create_guid, .. } => Some(*create_guid),
            _ => None,
        });
        let durable = create_guid.is_some()
            && r.contexts
                .iter()
                .any(|c| matches!(c, CreateContext::Raw { name, .. } if name == b"DH2Q"));
        Ok(File::new(self.clone(), r, durable))
    }

    /// Attributes, times and size of `path`, in one round trip (create + query + close).
    pub async fn stat(&self, path: &str) -> Result<FileNetworkOpenInformation> {
        let create = CreateRequest {
            oplock_level: oplock::NONE,
            desired_access: access::READ_ATTRIBUTES | access::SYNCHRONIZE,
            file_attributes: 0,
            share_access: share::ALL,
            disposition: disposition::OPEN,
            options: 0,
            name: smb_path(path)?,
            contexts: vec![],
        };
        let query = QueryInfoRequest {
            info_type: info_type::FILE,
            class: file_class::NETWORK_OPEN,
            output_buffer_length: STAT_LEN,
            additional_information: 0,
            file_id: FileId::RELATED,
        };
        let close = CloseRequest {
            flags: 0,
            file_id: FileId::RELATED,
        };
        let r = self
            .chain(
                vec![
                    (self.msg(&create, false), 0),
                    (self.msg(&query, true), 0),
                    (self.msg(&close, true), 0),
                ],
                self.meta_timeout(),
            )
            .await?;
        let q = QueryInfoResponse::decode(&r[1])?;
        Ok(FileNetworkOpenInformation::decode(&q.output)?)
    }

    /// Reads a whole small file (up to `max` bytes) in one round trip (create + read + close).
    pub async fn read_file_small(&self, path: &str, max: u32) -> Result<Vec<u8>> {
        let max = max.min(self.inner.session.negotiated().max_read);
        let create = CreateOptions::read().request(&smb_path(path)?);
        let read = ReadRequest {
            length: max,
            offset: 0,
            file_id: FileId::RELATED,
            minimum_count: 0,
        };
        let close = CloseRequest {
            flags: 0,
            file_id: FileId::RELATED,
        };
        let opts = self
            .inner
            .session
            .opts(self.data_timeout(), self.inner.encrypt);
        let replies = self
            .inner
            .session
            .inner
            .conn
            .compound(
                vec![
                    (self.msg(&create, false), 0),
                    (self.msg(&read, true), max as usize),
                    (self.msg(&close, true), 0),
                ],
                opts,
            )
            .await?;
        let mut it = replies.into_iter();
        let c = it.next().ok_or(Error::Disconnected)??;
        check_status(&c)?;
        let rd = it.next().ok_or(Error::Disconnected)??;
        let h = crate::msg::Header::decode(&rd)?;
        if h.status == NtStatus::END_OF_FILE {
            return Ok(Vec::new());
        }
        check_status(&rd)?;
        let r = ReadResponse::decode(&rd)?;
        Ok(r.data(&rd).to_vec())
    }

    /// Lists a directory (without `.` and `..`).
    pub async fn list(&self, dir: &str) -> Result<Vec<DirEntry>> {
        let d = self.create(dir, &CreateOptions::directory()).await?;
        let res = self.list_handle(d.id()).await;
        let closed = d.close().await;
        let v = res?;
        closed?;
        Ok(v)
    }

    async fn list_handle(&self, id: FileId) -> Result<Vec<DirEntry>> {
        let mut out = Vec::new();
        let mut first = true;
        loop {
            let req = QueryDirectoryRequest {
                class: file_class::ID_BOTH_DIRECTORY,
                flags: if first { qd_flags::RESTART_SCANS } else { 0 },
                file_id: id,
                pattern: "*".into(),
                output_buffer_length: self.inner.session.negotiated().max_transact.min(1 << 20),
            };
            first = false;
            let opts = self
                .inner
                .session
                .opts(self.meta_timeout(), self.inner.encrypt);
            let resp = self
                .inner
                .session
                .inner
                .conn
                .call(self.msg(&req, false), 1 << 20, opts)
                .await?;
            let h = crate::msg::Header::decode(&resp)?;
            if h.status == NtStatus::NO_MORE_FILES {
                return Ok(out);
            }
            check_status(&resp)?;
            let r = QueryDirectoryResponse::decode(&resp)?;
            if r.output.is_empty() {
                return Ok(out);
            }
            out.extend(
                DirEntry::parse_list(&r.output, file_class::ID_BOTH_DIRECTORY)?
                    .into_iter()
                    .filter(|e| e.name != "." && e.name != ".."),
            );
        }
    }

    /// Opens `path` with `access`, applies one SET_INFO, closes: one round trip.
    async fn set_info_path(
        &self,
        path: &str,
        access_mask: u32,
        class: u8,
        data: Vec<u8>,
    ) -> Result<()> {
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
        self.chain(
            vec![
                (self.msg(&create, false), 0),
                (self.msg(&set, true), 0),
                (self.msg(&close, true), 0),
            ],
            self.meta_timeout(),
        )
        .await?;
        Ok(())
    }

    /// Renames (moves) `from` to `to` within the share.
    ///
    /// Errors: OBJECT_NAME_COLLISION when `to` exists and `replace` is false.
    pub async fn rename(&self, from: &str, to: &str, replace: bool) -> Result<()> {
        let data = fscc::encode_rename(&smb_path(to)?, replace);
        self.set_info_path(
            from,
            access::DELETE | access::SYNCHRONIZE,
            file_class::RENAME,
            data,
        )
        .await
    }

    /// Deletes a file or an empty directory.
    ///
    /// Errors: OBJECT_NAME_NOT_FOUND, DIRECTORY_NOT_EMPTY, ACCESS_DENIED.
    pub async fn delete(&self, path: &str) -> Result<()> {
        self.set_info_path(
            path,
            access::DELETE,
            file_class::DISPOSITION,
            fscc::encode_disposition(true),
        )
        .await
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
        self.chain(
            vec![(self.msg(&create, false), 0), (self.msg(&close, true), 0)],
            self.meta_timeout(),
        )
        .await?;
        Ok(())
    }

    /// Size and attributes of the share's file system (one round trip).
    pub async fn fs_info(&self) -> Result<FsInfo> {
        let create = CreateRequest {
            oplock_level: oplock::NONE,
            desired_access: access::READ_ATTRIBUTES | access::SYNCHRONIZE,
            file_attributes: 0,
            share_access: share::ALL,
            disposition: disposition::OPEN,
            options: options::DIRECTORY_FILE,
            name: String::new(),
            contexts: vec![],
        };
        let q = |class| QueryInfoRequest {
            info_type: info_type::FILESYSTEM,
            class,
            output_buffer_length: 4096,
            additional_information: 0,
            file_id: FileId::RELATED,
        };
        let close = CloseRequest {
            flags: 0,
            file_id: FileId::RELATED,
        };
        let r = self
            .chain(
                vec![
                    (self.msg(&create, false), 0),
                    (self.msg(&q(fs_class::FULL_SIZE), true), 0),
                    (self.msg(&q(fs_class::ATTRIBUTE), true), 0),
                    (self.msg(&close, true), 0),
                ],
                self.meta_timeout(),
            )
            .await?;
        let size = FsSizeInformation::decode(&QueryInfoResponse::decode(&r[1])?.output)?;
        let attributes = FsAttributeInformation::decode(&QueryInfoResponse::decode(&r[2])?.output)?;
        let _ = CloseResponse::decode(&r[3])?;
        Ok(FsInfo { size, attributes })
    }

    /// Disconnects the tree.
    pub async fn disconnect(&self) -> Result<()> {
        self.call(
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
