//! The one contract between wnet's processes: the CLI and `libwnet.so` talk to `wnetd` with
//! these messages over a Unix socket.
//!
//! A session: the client sends [`Hello`]; the daemon answers [`HelloReply`] (refusing another
//! protocol version with a clear message); then each [`Request`] gets one [`Response`]. Frames
//! are a 4-byte big-endian length and JSON ([`frame`]), at most [`MAX_FRAME`] bytes.
//!
//! # Layout
//! - [`message`]: the handshake, requests, replies and errors.
//! - [`frame`]: length-prefixed JSON frames with a size limit.
//! - [`paths`]: where the socket, log, profile and drives are.
//! - [`client`]: the blocking [`Client`], which starts the daemon on demand.
//! - [`launch`]: finding and starting `wnetd`, one start at a time, fully detached.
//! - [`trust`]: the checks that the socket is the caller's own daemon's, before anything is sent.
#![deny(missing_docs)]

pub mod client;
pub mod frame;
pub mod launch;
pub mod message;
pub mod paths;
pub mod trust;

pub use client::Client;
pub use frame::{FrameError, MAX_FRAME};
pub use message::{
    AddConnectionArgs, ConnectionInfo, DaemonStatus, Hello, HelloReply, NetworkInfo, PROTOCOL_NAME,
    PROTOCOL_VERSION, Reply, Request, Response, WireError,
};
pub use paths::Paths;
