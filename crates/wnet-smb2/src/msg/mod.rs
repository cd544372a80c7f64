//! The SMB2 wire codec (MS-SMB2 §2.2): pure encode/decode, no I/O.
//!
//! Conventions shared by every message module:
//! - A request body is encoded with [`Request::encode_body`] into a buffer that already holds the
//!   64-byte SMB2 header, so `buf.len()` is the offset from the header start. Offsets that the
//!   protocol counts from the header start are therefore computed as `buf.len()` at write time.
//! - A response is decoded from the **whole message** (header included) with
//!   [`Response::decode`], so offsets in the body index the slice directly.
//! - Decoding never panics: every length and offset is bounds-checked and a bad one gives
//!   [`DecodeError`].

pub mod header;

pub use header::{Command, Header, HeaderFlags};

/// A malformed message from the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError(pub &'static str);

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "malformed SMB2 message: {}", self.0)
    }
}

impl std::error::Error for DecodeError {}

/// A request body of one SMB2 command.
pub trait Request {
    /// The command this body belongs to.
    const COMMAND: Command;
    /// Appends the body (StructureSize onwards) to `buf`, which already holds the header.
    fn encode_body(&self, buf: &mut Vec<u8>);
}

/// A response body of one SMB2 command.
pub trait Response: Sized {
    /// The command this body belongs to.
    const COMMAND: Command;
    /// Decodes the body of `msg`, the whole message starting with its 64-byte header.
    fn decode(msg: &[u8]) -> Result<Self, DecodeError>;
}
