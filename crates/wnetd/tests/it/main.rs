//! wnetd over its real socket: one module per capability.

mod cancel;
mod fairness;
mod fixture;
mod handshake;
mod hostile;
mod lifecycle;
mod ordinary_user;
mod profile_semantics;
mod savecred;
mod spoofing;
mod start;
mod stress;
mod webdav;
