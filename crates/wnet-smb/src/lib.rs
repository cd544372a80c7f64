//! The SMB network provider of wnet: sessions and tree connects over our own SMB2/3 engine
//! (`wnet-smb2`), and the share as a remote file system for the redirected drive
//! (`wnet-drive`), which exposes it as a FUSE mount.
//!
//! # Layout
//!
//! - [`provider`]: `SmbProvider`, the NP* functions over the engine.
//! - [`session_pool`]: one authenticated session per server, shared by its tree connects.
//! - [`connection_table`]: the only owner of live connections (tree, drive).
//! - [`dfs`]: DFS namespaces: referrals, their cache, targets and failover for a drive.
//! - [`hosts`]: the user's own hosts file (LMHOSTS-like), read before the system resolver.
//! - [`errors`]: the one mapping from engine errors to core (WNet) errors.
//! - [`stale`]: detaching mounts a dead daemon left behind.
//! - [`redirection`]: a live connection's drive or printer port, behind one interface.
//! - [`port`]: the redirected printer port: a print share as a write-only file (`LPT1`), one
//!   print job per open.
//! - [`smb_fs`]: a share (and its DFS namespace) as the drive's `RemoteFs` (ADR 0017).
//! - [`drive`]: the redirected drive, the `wnet-drive` crate (re-exported): a provider's
//!   `RemoteFs` as a real FUSE mount (inodes, handle table, caches, read-ahead, write
//!   buffering, the `fuser` adapter, the one errno mapping).
#![deny(missing_docs)]

pub mod connection_table;
pub mod dfs;
pub mod errors;
pub mod hosts;
pub mod port;
pub mod provider;
pub mod redirection;
pub mod session_pool;
pub mod smb_fs;
pub mod stale;

pub use provider::{PROVIDER_NAME, SmbProvider, SmbProviderConfig};
/// The redirected drive (the `wnet-drive` crate), over [`smb_fs::SmbFs`] for a disk share.
pub use wnet_drive as drive;
pub use wnet_smb2::Timeouts;
