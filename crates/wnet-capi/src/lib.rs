//! `libwnet.so`: the WNet functions of Windows' `mpr.dll` for C programs on Linux, declared by
//! the checked-in `include/winnetwk.h`. Every function is a thin client of the user's `wnetd`
//! (through `wnet-proto`, which starts the daemon on demand) and keeps the Windows contracts:
//! buffer protocols, error codes, A (UTF-8) and W (UTF-16) forms, per-thread extended errors.
//!
//! Every export runs inside [`guard::run`]: no panic crosses the C boundary (a panic is 31
//! `ERROR_GEN_FAILURE`), and every failure is recorded for `WNetGetLastError`.
//!
//! # Layout
//! - [`ffi`]: the C types and structures, with layout checks against the header.
//! - [`strings`]: A/W conversion, reading caller strings, the character- and byte-buffer
//!   protocols (structures first, strings after them).
//! - [`guard`]: the export wrapper (`catch_unwind`, failure recording).
//! - [`daemon`]: the connections to `wnetd` (started on demand, reconnected when it went away).
//! - [`connect`]: `WNetAddConnection*`, `WNetUseConnection*`, restore, `WNetSetConnection`.
//! - [`cancel`]: `WNetCancelConnection*`, `WNetClearConnections`.
//! - [`query`]: `WNetGetConnection`, `WNetGetUniversalName`, `WNetGetUser`,
//!   `WNetGetProviderName`, `WNetGetNetworkInformation`, `MultinetGetConnectionPerformance`.
//! - [`enumerate`]: `WNetOpenEnum`, `WNetEnumResource`, `WNetCloseEnum`.
//! - [`fork`]: the `pthread_atfork` handlers that keep a forked child from deadlocking.
//! - [`resource`]: `WNetGetResourceInformation`, `WNetGetResourceParent`.
//! - [`last_error`]: `WNetGetLastError`, `WNetSetLastError`.
//! - [`dialog`]: the dialogs, answered as in a non-interactive session.
#![deny(missing_docs)]
// The exports keep the Windows names.
#![allow(non_snake_case)]

pub mod cancel;
pub mod connect;
pub mod daemon;
pub mod dialog;
pub mod enumerate;
pub mod ffi;
pub mod fork;
pub mod guard;
pub mod last_error;
pub mod query;
pub mod resource;
pub mod strings;
