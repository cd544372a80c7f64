//! `kerberos`: the add + cancel round trip of a drive mapped with Kerberos (the caller's
//! ticket, against the test kit's AD DC) next to one mapped with NTLMv2 (password, against a
//! plain test Samba), through the daemon's socket: connect Z:, mount, cancel, unmount.
//! Each add sets up a new session (the cancel ends the last tree, and with it the session).
//! p50/p99 over `--rounds N` (default 100) of each, interleaved.

use std::time::{Duration, Instant};

use wnet_proto::{AddConnectionArgs, Client, Paths, Reply, Request};
use wnet_testkit::{
    DC_PASSWORD, DC_SHARE, DC_USER, DEFAULT_PASSWORD, DEFAULT_USER, DomainController, Samba,
};

use wnet_bench::stats::{ms, percentile};

fn round_trip(c: &mut Client, args: &AddConnectionArgs) -> Duration {
    let started = Instant::now();
    let r = c.call(&Request::AddConnection(args.clone()));
    assert!(matches!(r, Ok(Reply::Connection(_))), "{r:?}");
    let r = c.call(&Request::CancelConnection {
        name: "Z:".into(),
        flags: 0,
        force: false,
    });
    assert!(r.is_ok(), "{r:?}");
    started.elapsed()
}

fn main() {
    let rounds: usize = std::env::args()
        .skip_while(|a| a != "--rounds")
        .nth(1)
        .map_or(100, |n| n.parse().expect("--rounds N"));
    let dc = DomainController::shared();
    let samba = Samba::start_default();
    let dir = tempfile::tempdir().unwrap();
    let cc = dir.path().join("krb5cc_bench");
    dc.kinit(DC_USER, DC_PASSWORD, &cc).unwrap();
    let paths = Paths::under(dir.path());
    let _daemon = wnetd::BackgroundDaemon::start(paths.clone()).expect("a daemon");
    let mut c = Client::connect_to(&paths.socket, "bench").unwrap();

    let kerberos = AddConnectionArgs {
        resource_type: 1,
        local: Some("Z:".into()),
        remote: dc.unc(DC_SHARE),
        provider: None,
        user: None,
        password: None,
        flags: 0,
        save_credentials: false,
        ccache: wnet_core::CredentialsCache::new(format!("FILE:{}", cc.display())),
    };
    let ntlm = AddConnectionArgs {
        remote: samba.unc("rw"),
        user: Some(DEFAULT_USER.into()),
        password: Some(wnet_core::Secret::new(DEFAULT_PASSWORD)),
        ccache: None,
        ..kerberos.clone()
    };
    // Warm-up: the first Kerberos map fetches the service ticket from the KDC.
    round_trip(&mut c, &kerberos);
    round_trip(&mut c, &ntlm);
    let (mut k, mut n) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        k.push(round_trip(&mut c, &kerberos));
        n.push(round_trip(&mut c, &ntlm));
    }
    println!(
        "add + cancel round trip through the daemon's socket, {rounds} rounds each, interleaved"
    );
    println!("{:>10}  {:>10}  {:>10}", "mechanism", "p50", "p99");
    for (name, samples) in [("Kerberos", &mut k), ("NTLMv2", &mut n)] {
        println!(
            "{name:>10}  {:>10}  {:>10}",
            ms(percentile(samples, 50.0)),
            ms(percentile(samples, 99.0))
        );
    }
}
