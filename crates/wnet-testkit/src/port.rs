//! A free loopback TCP port for a test server.

use std::collections::HashSet;
use std::fs;
use std::hash::{BuildHasher, RandomState};
use std::net::TcpListener;
use std::sync::Mutex;

/// Ports this process has handed out, so parallel tests never get the same one.
static HANDED_OUT: Mutex<Option<HashSet<u16>>> = Mutex::new(None);

/// Lowest port we pick from; below are well-known and registered services people run.
const LOW: u16 = 20000;

/// A TCP port on 127.0.0.1 that nothing listens on now and that this process has not handed out
/// before.
///
/// Ports come from below the kernel's ephemeral range (`ip_local_port_range`), so the local end
/// of an outgoing connection (an `smbclient`, a test's client) cannot take the port between this
/// call and the server's `bind`, nor while a server restarts. Another process can still take it:
/// servers that start on it retry on a new port when `bind` fails (see `SambaBuilder::start`).
///
/// # Panics
///
/// If no port can be bound at all (no loopback interface).
pub fn free_port() -> u16 {
    let mut handed_out = HANDED_OUT.lock().unwrap_or_else(|e| e.into_inner());
    let handed_out = handed_out.get_or_insert_with(HashSet::new);
    let high = ephemeral_start().unwrap_or(32768);
    if high > LOW + 1000 {
        let random = RandomState::new();
        for attempt in 0u32..200 {
            let span = u64::from(high - LOW);
            let port = LOW + u16::try_from(random.hash_one(attempt) % span).unwrap_or(0);
            if !handed_out.contains(&port) && TcpListener::bind(("127.0.0.1", port)).is_ok() {
                handed_out.insert(port);
                return port;
            }
        }
    }
    // Fall back to the kernel's choice (from the ephemeral range).
    loop {
        let listener = TcpListener::bind(("127.0.0.1", 0)).expect("cannot bind 127.0.0.1:0");
        let port = listener
            .local_addr()
            .expect("local_addr of a bound socket")
            .port();
        if handed_out.insert(port) {
            return port;
        }
    }
}

/// First port of the kernel's ephemeral range.
fn ephemeral_start() -> Option<u16> {
    let text = fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_bindable_and_never_repeat() {
        let mut seen = HashSet::new();
        let mut bindable = 0;
        for _ in 0..50 {
            let port = free_port();
            assert!(seen.insert(port), "{port} handed out twice");
            assert!(port >= LOW);
            // Right away; another process (a parallel test's server) may have taken one since,
            // which is why servers retry on a new port, so not every one must still be free.
            if TcpListener::bind(("127.0.0.1", port)).is_ok() {
                bindable += 1;
            }
        }
        assert!(
            bindable >= 45,
            "only {bindable} of 50 handed-out ports were free"
        );
    }
}
