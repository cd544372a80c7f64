//! `wnetd`, the per-user daemon: it owns the live connections (the Windows workstation
//! service's job), serves the WNet requests of `wnet` and `libwnet.so` over
//! `$XDG_RUNTIME_DIR/wnet/wnetd.sock`, and answers only its own user.
//!
//! # Layout
//! - [`background`]: a daemon on a thread of the calling process (tests, embedders).
//! - [`binary`]: noticing that the daemon's executable was upgraded or removed.
//! - [`server`]: the socket server (`Listener`/`Handler`, connection limit, shutdown, peer uid).
//! - [`credentials`]: saved passwords in the Secret Service (`/SAVECRED`).
//! - [`daemon`]: `Daemon`, the WNet semantics over the router and the profile.
//! - [`enumeration`]: open enumeration handles.
//! - [`socket`]: the daemon lock and the socket, stale ones cleaned.
#![deny(missing_docs)]

pub mod background;
pub mod binary;
pub mod credentials;
pub mod daemon;
pub mod enumeration;
pub mod server;
pub mod socket;

pub use background::{BackgroundDaemon, provider_router, provider_router_with};
pub use binary::{BinaryChange, BinaryWatch};
pub use daemon::Daemon;
pub use server::run;
pub use socket::{Bound, bind};
