//! wnetd over its real socket: one module per capability.

mod fixture;
mod handshake;
mod lifecycle;
mod profile_semantics;
mod start;
