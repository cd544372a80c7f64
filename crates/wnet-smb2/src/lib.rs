//! wnet's own SMB2/3 client engine.
//!
//! # Layout
//! - [`msg`]: the wire codec: the SMB2 header and one module per command's request/response.
//! - [`status`]: NT status codes.
//! - [`error`]: the engine's error (NT status kept; temporary or permanent).
//! - [`transport`]: direct TCP framing, `TCP_NODELAY`, one vectored write per message.
//! - [`crypto`]: key derivation, preauth hash, signing, encryption.
//! - [`conn`]: the multiplexed connection: MessageIds, credits, deadlines, signing hooks.
#![deny(missing_docs)]

pub mod conn;
pub mod crypto;
pub mod error;
pub mod msg;
pub mod status;
pub mod transport;

pub use error::{Error, Result};
pub use status::NtStatus;
