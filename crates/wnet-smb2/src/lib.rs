//! wnet's own SMB2/3 client engine.
//!
//! # Layout
//! - [`msg`]: the wire codec: the SMB2 header and one module per command's request/response.
//! - [`status`]: NT status codes.
//! - [`error`]: the engine's error (NT status kept; temporary or permanent).
//! - [`transport`]: direct TCP framing, `TCP_NODELAY`, one vectored write per message.
//! - [`auth`]: NTLMv2 inside SPNEGO for SESSION_SETUP.
//! - [`crypto`]: key derivation, preauth hash, signing, encryption.
//! - [`conn`]: the multiplexed connection: MessageIds, credits, deadlines, signing hooks.
//! - [`security`]: the session keys as the connection's signer and cipher.
//! - [`client`]: what a caller gives to connect ([`ClientConfig`], [`Timeouts`]).
//! - [`session`]: negotiate, SESSION_SETUP, keys; [`Session`].
//! - [`tree`]: a share and its path operations (stat, list, rename, delete, mkdir); [`Tree`].
//! - [`rpc`]: minimal DCE/RPC over named pipes: `srvsvc` share listing.
//! - [`file`]: an open handle (read, write, flush, info, lock, close, pipelined I/O); [`File`].
#![deny(missing_docs)]

pub mod auth;
pub mod client;
pub mod conn;
pub mod crypto;
pub mod error;
pub mod file;
pub mod msg;
pub mod rpc;
pub mod security;
pub mod session;
pub mod status;
pub mod transport;
pub mod tree;

pub use client::{ClientConfig, Timeouts};
pub use error::{Error, Result};
pub use file::File;
pub use session::{Authenticator, Session};
pub use status::NtStatus;
pub use tree::{CreateOptions, Tree};
