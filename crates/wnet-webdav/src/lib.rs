//! wnet's WebDAV network provider: Windows' WebClient ("Web Client Network",
//! `WNNC_NET_DAV`) behind the router (ADR 0018).
//!
//! * `name.rs`: which remote names are this provider's ([`claim`]): `http://` and `https://`
//!   URLs, and UNC names with WebClient's marks (`\\host@SSL[@port]\...`,
//!   `\\host@port\...`, `\\host\DavWWWRoot\...`). Anything else is "not mine" (67), answered
//!   before any network wait.
//! * `errors.rs`: [`wnet_dav::Error`] mapped once to core errors (unreachable → 53,
//!   refused credentials → 86/1326, missing → 67, 5xx and redirect loops → 59, ...) and once
//!   to the drive's `FsError` kinds (404 → `NotFound`, 423 → `LockConflict`, ...).
//! * `dav_fs.rs`: [`DavFs`], a WebDAV collection as the drive's remote file system
//!   (`RemoteFs`): PROPFIND listings, ranged GETs checked against the open's ETag, writes
//!   staged locally and PUT whole at fsync and close, MKCOL/MOVE/DELETE, LOCK for `flock`.
//! * `small_cache.rs`: small files read whole at open, kept across opens under the strong
//!   ETag they were read with (bounded by bytes, LRU); the next open asks `If-None-Match`
//!   and a `304` answers with them (ADR 0021).
//! * `provider.rs`: [`WebDavProvider`]: every connection is a drive over [`DavFs`], a letter
//!   (`<drive root>/Z`) or deviceless (`<drive root>/UNC/host[@SSL][@port]/DavWWWRoot/path`):
//!   add (OPTIONS + PROPFIND depth 0 with the credentials, then the mount), cancel (open files
//!   → 2401 unless forced, the drive's own rules), list, restore, shutdown.
#![deny(missing_docs)]

mod dav_fs;
mod errors;
mod name;
mod provider;
mod small_cache;

pub use dav_fs::{
    DavFile, DavFs, DavFsOptions, MAX_READ, POLL, RANDOM_BLOCK, SMALL_CACHE, default_stage_dir,
};
pub use errors::{DavOp, connect_error, core_error, fs_error};
pub use name::claim;
pub use provider::{PROVIDER_NAME, WebDavConfig, WebDavProvider};
