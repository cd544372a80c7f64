//! wnet's WebDAV client, the protocol half of the WebClient provider (issue 16).
//!
//! * `location.rs`: [`DavLocation`], the names Windows' WebClient takes
//!   (`\\host@SSL@443\DavWWWRoot\path`, `\\host@8080\path`) and `http(s)://` URLs.
//! * `http.rs`: HTTP/1.1 requests and bounded responses on one connection.
//! * `conn.rs`: TCP or TLS (rustls, the system's trust store) connections, kept alive in a pool;
//!   HTTP/2 when a TLS server chooses it by ALPN (`h2.rs`: every request on one connection).
//! * `auth.rs`: Basic and Digest (MD5, `qop=auth`); Basic over plain http is refused unless
//!   allowed (Windows' `BasicAuthLevel` default).
//! * `multistatus.rs`: `207 Multi-Status` bodies into [`Entry`]s, bounded.
//! * `client.rs`: [`DavClient`], the methods a drive needs: PROPFIND depth 0/1, ranged GET
//!   (also conditional: `If-None-Match`), PUT, MKCOL, MOVE with Overwrite, DELETE,
//!   LOCK/UNLOCK, quota.
//!
//! Every size a server controls is bounded before it is allocated, and every request has a
//! deadline: a hostile or broken server gives an [`Error`], never a hang or a crash.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use wnet_dav::{Credentials, DavClient, DavLocation, Options};
//!
//! let share = DavLocation::parse(r"\\files.example@SSL\DavWWWRoot\team")?;
//! let cred = Credentials { user: "alice".into(), password: "secret".into() };
//! let client = DavClient::new(share.clone(), Some(cred), Options::default())?;
//! for entry in client.list(&share).await? {
//!     println!("{} {:?}", entry.name(), entry.size);
//! }
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod auth;
mod client;
mod conn;
mod error;
mod h2;
pub mod http;
mod location;
pub mod multistatus;

pub use auth::Credentials;
pub use client::{
    DavClient, DeleteOptions, IfChanged, Options, PutOptions, Ranged, ServerCaps, TreeLock,
};
pub use conn::Protocol;
pub use error::{Error, Result};
pub use location::{DavLocation, MAX_NAME, NameError, Scheme, percent_decode};
pub use multistatus::Entry;
