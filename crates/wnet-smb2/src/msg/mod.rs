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

pub mod cancel;
pub mod change_notify;
pub mod close;
pub mod create;
pub mod dfs;
pub mod echo;
pub mod file_id;
pub mod flush;
pub mod fscc;
pub mod header;
pub mod ioctl;
pub mod lock;
pub mod logoff;
pub mod negotiate;
pub mod oplock_break;
pub mod query_directory;
pub mod query_info;
pub mod read;
#[cfg(test)]
mod roundtrip;
pub mod session_setup;
pub mod set_info;
pub mod tree_connect;
pub mod tree_disconnect;
pub mod wire;
pub mod write;

pub use file_id::FileId;
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
    /// About how many bytes [`Request::encode_body`] appends, when that is large (a WRITE's
    /// data): the message is then built in a reused buffer of that size. 0 for small bodies.
    fn body_len_hint(&self) -> usize {
        0
    }
}

/// A response body of one SMB2 command.
pub trait Response: Sized {
    /// The command this body belongs to.
    const COMMAND: Command;
    /// Decodes the body of `msg`, the whole message starting with its 64-byte header.
    fn decode(msg: &[u8]) -> Result<Self, DecodeError>;
}

/// A response whose body is `StructureSize 4, Reserved u16`.
macro_rules! empty_response {
    ($resp:ident, $cmd:ident) => {
        #[doc = concat!("The ", stringify!($cmd), " response (StructureSize 4, no fields).")]
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct $resp;

        impl $crate::msg::Response for $resp {
            const COMMAND: $crate::msg::Command = $crate::msg::Command::$cmd;
            fn decode(msg: &[u8]) -> Result<Self, $crate::msg::DecodeError> {
                $crate::msg::wire::check_structure_size(msg, 4, stringify!($resp))?;
                Ok($resp)
            }
        }
    };
}
pub(crate) use empty_response;

/// A request and response whose bodies are both `StructureSize 4, Reserved u16`.
macro_rules! empty_message {
    ($req:ident, $resp:ident, $cmd:ident) => {
        #[doc = concat!("The ", stringify!($cmd), " request (StructureSize 4, no fields).")]
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct $req;

        impl $crate::msg::Request for $req {
            const COMMAND: $crate::msg::Command = $crate::msg::Command::$cmd;
            fn encode_body(&self, buf: &mut Vec<u8>) {
                buf.extend_from_slice(&[4, 0, 0, 0]);
            }
        }

        $crate::msg::empty_response!($resp, $cmd);

        #[cfg(test)]
        mod tests {
            use super::*;
            use $crate::msg::testing::{body_of, response_with, robust};

            #[test]
            fn layout_and_decode() {
                assert_eq!(&body_of(&$req)[64..], &[4, 0, 0, 0]);
                let m = response_with($crate::msg::Command::$cmd, &[4, 0, 0, 0]);
                assert!(<$resp as $crate::msg::Response>::decode(&m).is_ok());
                robust::<$resp>(&m);
            }
        }
    };
}
pub(crate) use empty_message;

#[cfg(test)]
pub(crate) mod testing {
    //! Helpers for the codec tests.
    use super::*;

    /// A whole request message: a zeroed header for `R::COMMAND`, then the body.
    pub fn body_of<R: Request>(r: &R) -> Vec<u8> {
        let mut m = Vec::new();
        Header::request(R::COMMAND).encode(&mut m);
        r.encode_body(&mut m);
        m
    }

    /// A whole response message with `body`.
    pub fn response_with(cmd: Command, body: &[u8]) -> Vec<u8> {
        let mut m = Vec::new();
        let mut h = Header::request(cmd);
        h.flags.0 = HeaderFlags::SERVER_TO_REDIR;
        h.encode(&mut m);
        m.extend_from_slice(body);
        m
    }

    /// Decoding every truncation and many corruptions of `msg` must not panic.
    pub fn robust<R: Response>(msg: &[u8]) {
        for n in 0..msg.len() {
            let _ = R::decode(&msg[..n]);
        }
        assert!(R::decode(&msg[..64.min(msg.len())]).is_err());
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..2000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let mut m = msg.to_vec();
            let at = 64 + (seed as usize % (m.len().saturating_sub(64).max(1)));
            if at < m.len() {
                m[at] = (seed >> 32) as u8;
            }
            let _ = R::decode(&m);
        }
    }
}
