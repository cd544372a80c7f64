//! The library's connections to `wnetd`: started on demand, reused, replaced when the daemon
//! went away.
//!
//! Idle clients wait in a small pool behind a mutex; a call takes one (or connects a new one),
//! so a slow request on one thread (a connect to an unreachable server) never holds up another
//! thread's `WNetGetConnection`. A client whose daemon has gone is dropped and the request is
//! sent once more on a fresh connection (which starts the daemon again). After `fork`, a child
//! never uses its parent's sockets, and never finds a lock held by a thread it does not have
//! ([`crate::fork`]).

use std::sync::{Mutex, MutexGuard};

use wnet_core::Error;
use wnet_proto::{Client, Reply, Request};

/// The name the daemon logs for this library.
const CLIENT_NAME: &str = concat!("libwnet ", env!("CARGO_PKG_VERSION"));

/// The most idle connections kept.
const MAX_IDLE: usize = 4;

pub(crate) struct Idle {
    pid: u32,
    client: Client,
}

static IDLE: Mutex<Vec<Idle>> = Mutex::new(Vec::new());

pub(crate) fn idle() -> MutexGuard<'static, Vec<Idle>> {
    // The pool holds plain values: a panic elsewhere leaves it usable.
    IDLE.lock().unwrap_or_else(|p| p.into_inner())
}

fn take() -> Option<Client> {
    let pid = std::process::id();
    let mut pool = idle();
    // Connections inherited over fork belong to the parent: drop them (without I/O).
    pool.retain(|i| i.pid == pid);
    pool.pop().map(|i| i.client)
}

fn give_back(client: Client) {
    let mut pool = idle();
    if pool.len() < MAX_IDLE {
        pool.push(Idle {
            pid: std::process::id(),
            client,
        });
    }
}

use wnet_proto::client::{is_gone as gone, is_lost as lost};

/// A new connection to the user's daemon (starting it if needed), for a caller that keeps it.
pub fn connect() -> Result<Client, Error> {
    crate::fork::prepare_once();
    Client::connect(CLIENT_NAME)
}

/// Sends one request to the user's daemon (starting it if needed) and returns its answer.
///
/// # Errors
/// The daemon's error (its Win32 code kept); 1222 when the daemon cannot be reached or started.
pub fn call(request: &Request) -> Result<Reply, Error> {
    crate::fork::prepare_once();
    let (mut client, reused) = match take() {
        Some(c) => (c, true),
        None => (Client::connect(CLIENT_NAME)?, false),
    };
    let result = client.call(request);
    match result {
        Err(e) if gone(&e) && reused => {
            // The daemon went away since this connection was last used: once more, afresh.
            drop(client);
            let mut fresh = Client::connect(CLIENT_NAME)?;
            let result = fresh.call(request);
            if !matches!(&result, Err(e) if lost(e)) {
                give_back(fresh);
            }
            result
        }
        Err(e) if lost(&e) => Err(e),
        other => {
            give_back(client);
            other
        }
    }
}
