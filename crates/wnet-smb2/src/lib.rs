//! wnet's own SMB2/3 client engine.
//!
//! ```no_run
//! # async fn demo() -> wnet_smb2::Result<()> {
//! use wnet_smb2::{Client, ClientConfig, CreateOptions};
//! let session = Client::connect(ClientConfig::new("fileserver", "alice", "pw").port(445)).await?;
//! let tree = session.tree_connect("docs").await?;
//! let info = tree.stat("report.txt").await?; // create+query+close: one round trip
//! let f = tree.create("big.bin", &CreateOptions::overwrite().durable(true)).await?;
//! f.write_pipelined(0, &vec![0u8; 64 << 20], 1 << 20, 8).await?; // 8 x 1 MiB in flight
//! f.close().await?;
//! # let _ = info; Ok(()) }
//! ```
//!
//! # Design
//! - **Transport**: `TCP_NODELAY`, one vectored write per frame, bounded frame size.
//! - **Credits** ([`conn`]): a request of charge `c` takes `c` credits and `c` MessageIds;
//!   every response, interim `STATUS_PENDING` ones included, returns its grant whether or not
//!   anyone still waits, so timeouts and async responses never leak credits.
//! - **Deadlines**: every call has one (metadata / data, [`Timeouts`]); a timed-out call is
//!   CANCELled on the server; a dead connection releases every waiter at once; an optional
//!   keep-alive ECHO notices a silent server while idle.
//! - **Security**: signing (HMAC-SHA256 / AES-CMAC / AES-GMAC) on every authenticated
//!   session, responses verified (unsigned successes refused); encryption (AES-CCM/GCM) when
//!   the caller, the session or the share asks for it.
//! - **Reconnect**: a lost connection is re-established on the next operation (bounded
//!   backoff, same ClientGuid, PreviousSessionId); trees re-connect and durable handles are
//!   reclaimed (DH2C) lazily; a handle that cannot be reclaimed fails with
//!   [`Error::HandleLost`], never silently.
//! - **Errors** keep the NT status ([`NtStatus`]) and say whether they are temporary.
//!
//! # Layout
//! - [`msg`]: the wire codec: the SMB2 header and one module per command's request/response.
//! - [`status`]: NT status codes.
//! - [`error`]: the engine's error (NT status kept; temporary or permanent).
//! - [`transport`]: direct TCP framing, `TCP_NODELAY`, one vectored write per message.
//! - [`auth`]: NTLMv2 inside SPNEGO for SESSION_SETUP.
//! - [`mechanism`]: Kerberos or NTLMv2: which one a session uses, and why.
//! - [`crypto`]: key derivation, preauth hash, signing, encryption.
//! - [`conn`]: the multiplexed connection: MessageIds, credits, deadlines, signing hooks.
//! - [`security`]: the session keys as the connection's signer and cipher.
//! - [`client`]: what a caller gives to connect ([`ClientConfig`], [`Timeouts`]).
//! - [`session`]: negotiate, SESSION_SETUP, keys; [`Session`].
//! - [`tree`]: a share and its path operations (stat, list, rename, delete, mkdir); [`Tree`].
//! - [`rpc`]: minimal DCE/RPC over named pipes: `srvsvc` share listing.
//! - [`file`](mod@file): an open handle (read, write, flush, info, lock, close, pipelined I/O); [`File`].
#![deny(missing_docs)]

pub mod auth;
pub mod client;
pub mod conn;
pub mod crypto;
pub mod error;
pub mod file;
mod lease_keys;
mod log_budget;
pub mod mechanism;
pub mod msg;
pub mod rpc;
pub mod security;
pub mod session;
pub mod status;
pub mod transport;
pub mod tree;
mod validate_negotiate;

pub use client::{Client, ClientConfig, Timeouts};
pub use error::{Error, Result};
pub use file::File;
pub use lease_keys::{LeaseBreak, LeaseKey, LeaseListener};
pub use mechanism::{KerberosConfig, Mechanism};
pub use session::{Authenticator, Session};
pub use status::NtStatus;
pub use tree::{CreateOptions, DirStat, Tree, Written};
