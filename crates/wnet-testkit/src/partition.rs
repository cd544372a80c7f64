//! [`Partition`]: a silent network partition between the test's clients and its Samba.

use std::io::Write;
use std::process::{Command, Stdio};

/// Drops every packet to or from one TCP port (a test's Samba), both directions, silently (no
/// RST, no ICMP): what a suspended laptop, a VPN gone or a pulled cable look like to both
/// ends. An `nftables` table of its own (`wnet_partition_PORT`), so nothing else on the
/// machine is touched; removed when the value is dropped (the network heals), also when a
/// test panics.
#[derive(Debug)]
pub struct Partition {
    table: String,
}

fn nft(script: &str) -> std::io::Result<()> {
    let mut child = Command::new("nft")
        .args(["-f", "-"])
        .stdin(Stdio::piped())
        .spawn()
        .map_err(|e| std::io::Error::new(e.kind(), format!("nft (package nftables): {e}")))?;
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(script.as_bytes())?;
    if child.wait()?.success() {
        Ok(())
    } else {
        Err(std::io::Error::other(format!("nft refused: {script}")))
    }
}

impl Partition {
    /// Starts dropping `port`'s packets (root needed).
    ///
    /// # Errors
    ///
    /// `nft` is missing (install `nftables`; `.ci/install-deps` does) or refused.
    pub fn start(port: u16) -> std::io::Result<Partition> {
        Partition::dropping(
            format!("wnet_partition_{port}"),
            &format!("tcp dport {port} drop\n  tcp sport {port} drop"),
        )
    }

    /// Starts dropping the packets of `port` on the one address `ip` (root needed): one
    /// server of several on the same port (a DFS target on 445) goes silent, the others stay.
    ///
    /// # Errors
    ///
    /// As [`Partition::start`].
    pub fn host(ip: std::net::Ipv4Addr, port: u16) -> std::io::Result<Partition> {
        Partition::dropping(
            Partition::host_table(ip, port),
            &format!("ip daddr {ip} tcp dport {port} drop\n  ip saddr {ip} tcp sport {port} drop"),
        )
    }

    fn host_table(ip: std::net::Ipv4Addr, port: u16) -> String {
        format!("wnet_partition_{}_{port}", ip.to_string().replace('.', "_"))
    }

    /// A table of its own whose output chain has `rules`.
    fn dropping(table: String, rules: &str) -> std::io::Result<Partition> {
        nft(&format!(
            "table inet {table} {{\n chain out {{\n  type filter hook output priority 0; policy accept;\n  {rules}\n }}\n}}\n"
        ))?;
        Ok(Partition { table })
    }
}

/// Removes a partition of `port` on `ip` that a test process killed before it could heal it
/// left behind. Only for an address whose lab lock the caller holds (nobody else partitions
/// it then); quiet when there is none or `nft` is missing.
pub(crate) fn heal_leftover(ip: std::net::Ipv4Addr, port: u16) {
    let table = Partition::host_table(ip, port);
    let exists = Command::new("nft")
        .args(["list", "table", "inet", &table])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if exists && let Err(e) = nft(&format!("delete table inet {table}\n")) {
        eprintln!("wnet-testkit: a leftover partition of {ip}:{port} could not be removed: {e}");
    }
}

impl Drop for Partition {
    fn drop(&mut self) {
        if let Err(e) = nft(&format!("delete table inet {}\n", self.table)) {
            eprintln!("wnet-testkit: the partition could not be healed: {e}");
        }
    }
}
