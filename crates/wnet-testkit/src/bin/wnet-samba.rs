//! `wnet-samba`: the test kit's default Samba as a command, for the README's demo and for
//! trying wnet by hand.
//!
//! Starts the default server (users `wnettest`/`wnet-Pa55` and `wnettest2`; shares `rw` and
//! `ro`) on a free loopback port, prints shell assignments describing it on stdout, and serves
//! until its standard input reaches end-of-file or it is interrupted; then it stops smbd.

use std::io::{Read, Write};

fn main() {
    if std::env::args()
        .nth(1)
        .is_some_and(|a| a == "-h" || a == "--help")
    {
        println!(
            "Usage: wnet-samba\n\nStarts a private Samba on 127.0.0.1 (root needed), prints\n\
             WNET_SAMBA_PORT, WNET_SAMBA_USER, WNET_SAMBA_PASSWORD, WNET_SAMBA_RW_DIR lines,\n\
             and serves until stdin is closed."
        );
        return;
    }
    let samba = wnet_testkit::Samba::start_default();
    let (user, password) = samba.user();
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "WNET_SAMBA_PORT={}", samba.port());
    let _ = writeln!(out, "WNET_SAMBA_USER={user}");
    let _ = writeln!(out, "WNET_SAMBA_PASSWORD={password}");
    let _ = writeln!(out, "WNET_SAMBA_RW_DIR={}", samba.share_dir("rw").display());
    let _ = writeln!(out, "WNET_SAMBA_PID={}", samba.pid());
    let _ = out.flush();
    drop(out);
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
    drop(samba);
}
