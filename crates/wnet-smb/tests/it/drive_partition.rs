//! Silent partitions (packets dropped, no RST: a suspended laptop, a VPN gone, a pulled
//! cable) of 5, 30 and 90 s, each on a Samba of its own, all at once: no call outlives the
//! request deadline, the drive shows Disconnected once it noticed, comes back soon after the
//! network does, and answers nothing stale then (a directory created on the server during
//! the partition is there at the first answer).

use crate::drive::{assert_same_bytes, mount_with, pattern, unique};
use std::fs;
use std::time::{Duration, Instant};
use wnet_smb::drive::{DriveState, DriveTimeouts};
use wnet_testkit::{Partition, Samba};

/// What one partition did.
struct Outcome {
    length: Duration,
    calls: usize,
    failed: usize,
    longest_call: Duration,
    disconnected_after: Option<Duration>,
    first_success_after_heal: Duration,
}

fn partition(length: Duration) -> Outcome {
    let samba = Samba::start_default();
    let m = mount_with(&samba, "rw", false, DriveTimeouts::default());
    let dir = unique("part");
    fs::create_dir(m.path(&dir)).unwrap();
    let old = format!("{dir}/before");
    let data = pattern(3 << 20, 9);
    fs::write(m.path(&old), &data).unwrap();
    // Busy in the directory: it is watched and, once listed, complete.
    let t = Instant::now();
    while !m.drive().is_exact(&dir) {
        assert!(t.elapsed() < Duration::from_secs(10), "never complete");
        let _ = fs::metadata(m.path(&format!("{dir}/nothing")));
        std::thread::sleep(Duration::from_millis(20));
    }
    let created = format!("{dir}/created-during");

    let cut = Partition::start(samba.port()).unwrap();
    let t0 = Instant::now();
    fs::create_dir(m.disk(&created)).unwrap();
    let (mut calls, mut failed, mut longest) = (0, 0, Duration::ZERO);
    let mut disconnected_after = None;
    let mut i = 0;
    while t0.elapsed() < length {
        i += 1;
        // A name the cache may know, and one outside any watch (always the server's).
        for p in [format!("{dir}/n{i}"), format!("unwatched-{i}")] {
            let t = Instant::now();
            let r = fs::metadata(m.path(&p));
            let took = t.elapsed();
            calls += 1;
            longest = longest.max(took);
            if r.as_ref().err().and_then(|e| e.raw_os_error()) != Some(libc::ENOENT) {
                failed += 1;
            }
        }
        if disconnected_after.is_none() && m.drive().state() == DriveState::Disconnected {
            disconnected_after = Some(t0.elapsed());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    drop(cut);
    let healed = Instant::now();
    // From now on, an answer that the directory is missing is a stale one.
    let first_success_after_heal = loop {
        match fs::metadata(m.path(&created)) {
            Ok(md) => {
                assert!(md.is_dir());
                break healed.elapsed();
            }
            Err(e) => {
                assert_ne!(
                    e.raw_os_error(),
                    Some(libc::ENOENT),
                    "{length:?} partition: stale ENOENT {:?} after the heal",
                    healed.elapsed()
                );
                assert!(
                    healed.elapsed() < Duration::from_secs(30),
                    "no recovery: {e}"
                );
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let through_drive = fs::read(m.path(&old)).unwrap();
    let on_disk = fs::read(m.disk(&old)).map(|d| d == data);
    assert_same_bytes(
        &format!(
            "{length:?} partition: the file written before it (the server's disk holds it \
             right: {on_disk:?}; first success {first_success_after_heal:?} after the heal)"
        ),
        &through_drive,
        &data,
    );
    assert_eq!(m.drive().state(), DriveState::Connected);
    Outcome {
        length,
        calls,
        failed,
        longest_call: longest,
        disconnected_after,
        first_success_after_heal,
    }
}

#[test]
fn partitions_of_5_30_and_90_s_bounded_calls_quick_recovery_nothing_stale() {
    let runs: Vec<_> = [5, 30, 90]
        .into_iter()
        .map(|s| std::thread::spawn(move || partition(Duration::from_secs(s))))
        .collect();
    let outcomes: Vec<Outcome> = runs.into_iter().map(|h| h.join().unwrap()).collect();
    for o in &outcomes {
        eprintln!(
            "partition {:?}: {} calls, {} failed, longest {:?}, Disconnected after {:?}, \
             first success {:?} after the heal",
            o.length,
            o.calls,
            o.failed,
            o.longest_call,
            o.disconnected_after,
            o.first_success_after_heal
        );
        // Every call within the request deadline (10 s) and some scheduling slack.
        assert!(
            o.longest_call < Duration::from_millis(11_500),
            "{:?}: a call took {:?}",
            o.length,
            o.longest_call
        );
        assert!(
            o.first_success_after_heal < Duration::from_secs(5),
            "{:?}: recovery took {:?}",
            o.length,
            o.first_success_after_heal
        );
        if o.length >= Duration::from_secs(30) {
            assert!(
                o.disconnected_after.is_some(),
                "{:?}: never Disconnected",
                o.length
            );
        }
    }
}
