//! The kernel's table of TCP sockets (`/proc/net/tcp` and `/proc/net/tcp6`), to see who listens
//! on a port and which connections are open on it.

use std::fs;

/// `st` value of a listening socket (`TCP_LISTEN`).
pub(crate) const LISTEN: u8 = 0x0A;
/// `st` value of an open connection (`TCP_ESTABLISHED`).
pub(crate) const ESTABLISHED: u8 = 0x01;

/// One line of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TcpSocket {
    /// Local port, host order.
    pub(crate) local_port: u16,
    /// Kernel TCP state (`LISTEN`, `ESTABLISHED`, ...).
    pub(crate) state: u8,
    /// Socket inode, the `N` of `/proc/PID/fd/* -> socket:[N]`.
    pub(crate) inode: u64,
}

/// Every IPv4 and IPv6 TCP socket of this network namespace.
pub(crate) fn tcp_sockets() -> Vec<TcpSocket> {
    ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .filter_map(|path| fs::read_to_string(path).ok())
        .flat_map(|text| text.lines().skip(1).filter_map(parse).collect::<Vec<_>>())
        .collect()
}

/// Inodes of the sockets on local `port` in `state`.
pub(crate) fn inodes_on_port(port: u16, state: u8) -> Vec<u64> {
    tcp_sockets()
        .into_iter()
        .filter(|s| s.local_port == port && s.state == state)
        .map(|s| s.inode)
        .collect()
}

/// `sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...`
fn parse(line: &str) -> Option<TcpSocket> {
    let f: Vec<&str> = line.split_whitespace().collect();
    let port = f.get(1)?.rsplit(':').next()?;
    Some(TcpSocket {
        local_port: u16::from_str_radix(port, 16).ok()?,
        state: u8::from_str_radix(f.get(3)?, 16).ok()?,
        inode: f.get(9)?.parse().ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{TcpListener, TcpStream};

    #[test]
    fn a_line_parses() {
        let line = "   0: 0100007F:AD8B 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 123456 1 0000000000000000 100 0 0 10 0";
        assert_eq!(
            parse(line),
            Some(TcpSocket {
                local_port: 0xAD8B,
                state: LISTEN,
                inode: 123456
            })
        );
    }

    #[test]
    fn our_own_listener_and_connection_are_seen() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        assert_eq!(inodes_on_port(port, LISTEN).len(), 1);
        let _client = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let _server = listener.accept().unwrap();
        assert_eq!(inodes_on_port(port, ESTABLISHED).len(), 1);
    }
}
