//! wnet's own SMB2/3 client engine.
//!
//! # Layout
//! - [`msg`]: the wire codec: the SMB2 header and one module per command's request/response.
//! - [`status`]: NT status codes.
#![deny(missing_docs)]

pub mod msg;
pub mod status;
