//! `cancel`: WNetCancelConnection2's cost.
//!
//! 1. Cancel latency (non-forced, answered 2401) with 0, 100 and 10,000 handles open on the
//!    drive: the open-files check reads the handle table's counter, so it must not grow with N.
//!    With 0 handles the cancel succeeds and the time includes the unmount.
//! 2. Add + cancel round trip through the daemon's socket (connect Z:, mount, cancel, unmount),
//!    p50/p99 over 200 iterations.

use std::time::{Duration, Instant};

use wnet_bench::clients::add_z;
use wnet_bench::stats::{ms, percentile};
use wnet_proto::{Client, Paths, Request};
use wnet_testkit::{DEFAULT_PASSWORD, DEFAULT_USER};

fn cancel(c: &mut Client, force: bool) -> (Duration, u32) {
    let started = Instant::now();
    let r = c.call(&Request::CancelConnection {
        name: "Z:".into(),
        flags: 0,
        force,
    });
    let took = started.elapsed();
    (took, r.map_or_else(|e| e.win_error().0, |_| 0))
}

fn main() {
    wnet_bench::peers::raise_nofile(20_000);
    let samba = wnet_testkit::SambaBuilder::new()
        .user(DEFAULT_USER, DEFAULT_PASSWORD)
        .share(wnet_testkit::Share::new("rw"))
        .global("max open files", "50000")
        .start()
        .expect("a Samba");
    let unc = samba.unc("rw");
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::under(dir.path());
    let daemon = wnetd::BackgroundDaemon::start(paths.clone()).expect("a daemon");
    let mut c = Client::connect_to(&paths.socket, "bench").unwrap();
    let z = paths.drive_root.join("Z");

    println!("cancel latency (non-forced WNetCancelConnection2 through the daemon's socket)");
    println!(
        "{:>10}  {:>8}  {:>12}  {:>12}",
        "handles", "answer", "p50", "max"
    );
    for n in [0usize, 100, 10_000] {
        add_z(&mut c, &unc);
        std::fs::write(z.join("f"), b"x").unwrap();
        let files: Vec<std::fs::File> = (0..n)
            .map(|_| std::fs::File::open(z.join("f")).unwrap())
            .collect();
        let mut times = Vec::new();
        let mut answer = 0;
        let rounds = if n == 0 { 1 } else { 20 };
        for _ in 0..rounds {
            let (t, code) = cancel(&mut c, false);
            times.push(t);
            answer = code;
        }
        let max = *times.iter().max().unwrap();
        println!(
            "{n:>10}  {answer:>8}  {:>12}  {:>12}",
            ms(percentile(&mut times, 50.0)),
            ms(max)
        );
        let closing = Instant::now();
        drop(files);
        if answer != 0 {
            // The kernel sends every RELEASE after close() returned; the cancel succeeds once
            // the drive has processed them.
            let deadline = Instant::now() + Duration::from_secs(60);
            while cancel(&mut c, false).1 != 0 {
                assert!(Instant::now() < deadline, "the releases never arrived");
            }
            println!(
                "{:>10}  closed all, cancel succeeded after {}",
                "",
                ms(closing.elapsed())
            );
        }
    }

    println!();
    println!("add + cancel round trip (connect Z:, mount, cancel, unmount), 200 iterations");
    let mut rounds = Vec::new();
    for _ in 0..200 {
        let started = Instant::now();
        add_z(&mut c, &unc);
        assert_eq!(cancel(&mut c, false).1, 0);
        rounds.push(started.elapsed());
    }
    let p50 = percentile(&mut rounds, 50.0);
    let p99 = percentile(&mut rounds, 99.0);
    println!("p50 {}  p99 {}", ms(p50), ms(p99));
    drop(daemon);
}
