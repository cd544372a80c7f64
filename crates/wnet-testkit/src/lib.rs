//! Test support for wnet: a real Samba on a free loopback port.
//!
//! Every protocol test of the project runs against `smbd` from the distribution's `samba` package,
//! never a mock. This crate starts one private `smbd` per test (its own `smb.conf`, state, users
//! and share directories in a temporary directory, its own loopback port), tells the test where it
//! is, lets the test break it on purpose (drop every client connection, restart the server) and
//! tears it down when dropped. Instances share nothing but the system users they log in as, so any
//! number of tests can run in parallel.
//!
//! The kit runs as root (it starts `smbd`, adds system users and switches users), which is how the
//! test suite and `.ci/run` run.
//!
//! ```no_run
//! use wnet_testkit::Samba;
//!
//! let samba = Samba::start_default();
//! let out = samba.smbclient("ro", "ls");
//! assert!(String::from_utf8_lossy(&out.stdout).contains("hello.txt"));
//! println!("connect to {} as {:?}", samba.unc("rw"), samba.user());
//! ```
//!
//! # Layout
//!
//! * `apache.rs`: [`Apache`], Apache httpd with `mod_dav_fs` (WebDAV) over HTTP or HTTPS.
//! * `rclone.rs`: [`RcloneDav`], `rclone serve webdav`, a second, independent WebDAV server.
//! * `dfs.rs`: [`DfsLab`], a DFS namespace server and two target servers on port 445, each on
//!   its own loopback address.
//! * `dc.rs`: [`DomainController`], a real AD domain controller (Samba) for the Kerberos tests.
//! * `samba.rs`: [`Samba`], a running `smbd` and what tests ask of it (where, who, break it).
//! * `builder.rs`: [`SambaBuilder`], users, shares and `[global]` options, then `start`.
//! * `share.rs`: [`Share`], one share: name, read-only or not, options, seeded files.
//! * `config.rs`: the private `smb.conf`, its defaults and why each is there.
//! * `users.rs`: the kit's users, [`ensure_system_user`], [`as_user`] and [`StagedPrograms`]
//!   (programs copied where another user can run them).
//! * `port.rs`: [`free_port`], a free loopback TCP port.
//! * `process.rs`: processes by identity (pid and start time): trees, signals, bounded waits.
//! * `workdir.rs`: the instance's temporary directory, its liveness lock, the sweep of stale ones.
//! * `socket.rs`: the kernel's TCP socket table (`/proc/net/tcp*`): who listens, who is connected.
//! * `hostile/`: [`hostile::HostileServer`], the one scripted SMB2 server allowed: a real NTLMv2
//!   logon, then whatever a test scripts (malformed, mismatched, flooding replies).
//! * `partition.rs`: [`Partition`], a silent network partition (nftables) of one port.
#![deny(missing_docs)]

mod apache;
mod builder;
mod config;
mod dc;
mod dfs;
pub mod hostile;
mod listen;
mod partition;
mod port;
mod process;
mod rclone;
mod samba;
mod share;
mod socket;
mod users;
mod workdir;
pub mod workloads;
pub use workloads::pattern;

pub use apache::{Apache, DAV_PASSWORD, DAV_REALM, DAV_USER, DavAuth};
pub use builder::SambaBuilder;
pub use dc::{
    DC_DFS_SHARE, DC_NAME, DC_PASSWORD, DC_SHARE, DC_USER, DOMAIN, DOMAIN_DNS, DomainController,
    REALM,
};
pub use dfs::{DFS_HELLO, DFS_PORT, DfsLab};
pub use partition::Partition;
pub use port::free_port;
pub use rclone::RcloneDav;
pub use samba::{PRINTER, Samba};
pub use share::Share;
pub use users::{
    DEFAULT_PASSWORD, DEFAULT_USER, StagedPrograms, TEST_PASSWORD2, TEST_USER2, as_user,
    ensure_system_user,
};
