//! Integration tests of the engine against a real Samba (from `wnet-testkit`).
//!
//! One module per capability; `perf` holds the ignored measurements
//! (`cargo test -p wnet-smb2 --release --test it -- --ignored --nocapture perf`).

mod alloc_peak;
mod common;
mod connect;
mod dfs;
mod dialects;
mod durable;
mod errors;
mod files;
mod hostile;
mod kerberos;
mod leases;
mod liveness;
mod security;
mod stress;
mod stripe;
