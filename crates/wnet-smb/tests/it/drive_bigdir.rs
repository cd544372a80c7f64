//! Directories too big to watch (more than `watch::MAX_ENTRIES` names): a lookup in one
//! costs its own round trip, not a listing of the directory; and what the drive keeps of big
//! listings is bounded (`cache::MAX_LISTED`).

use crate::drive::{mount_with, samba, unique};
use std::fs;
use std::process::Command;
use std::time::{Duration, Instant};
use wnet_smb::drive::DriveTimeouts;
use wnet_smb::drive::cache::MAX_LISTED;
use wnet_smb::drive::watch::MAX_ENTRIES;
use wnet_testkit::{DEFAULT_PASSWORD, DEFAULT_USER, Samba, SambaBuilder, Share};

/// QUERY_DIRECTORY requests for directory `dir` in smbd's log (`log level = 1 smb2:10`)
/// from byte `from` on, and the log's length. smbd logs a request when it dispatches it,
/// so every request of a call that returned is counted (its profile counters, by contrast,
/// reach `smbstatus --profile` only at a periodic dump: read too soon they count nothing).
fn listings_of(samba: &Samba, dir: &str, from: usize) -> (usize, usize) {
    let log = fs::read(samba.log_dir().join("smbd.log")).expect("smbd's log");
    let wanted = format!("dirpath=<{dir}>");
    let n = String::from_utf8_lossy(log.get(from..).unwrap_or_default())
        .lines()
        .filter(|l| l.contains("smbd_smb2_query_directory_send") && l.contains(&wanted))
        .count();
    (n, log.len())
}

#[test]
fn a_lookup_in_a_directory_too_big_to_watch_lists_nothing_after_the_first() {
    let samba = SambaBuilder::new()
        .user(DEFAULT_USER, DEFAULT_PASSWORD)
        .share(Share::new("rw"))
        .global("log level", "1 smb2:10")
        .start()
        .expect("a Samba");
    let m = mount_with(&samba, "rw", false, DriveTimeouts::default());
    let d = unique("huge");
    let n = MAX_ENTRIES + 2000;
    fs::create_dir(m.disk(&d)).unwrap();
    for i in 0..n {
        fs::File::create(m.disk(&format!("{d}/e{i:06}"))).unwrap();
    }
    let stat = |i: usize| fs::metadata(m.path(&format!("{d}/e{i:06}"))).unwrap();
    // The first lookup tries to watch the directory: a listing that stops past MAX_ENTRIES,
    // after which the directory is not watched.
    assert_eq!(stat(0).len(), 0);
    // Its watch ends once that listing is over; the root's (the lookup of `d`) goes on, and
    // the root's own listing (queued behind that one on the connection) must be over too.
    let deadline = Instant::now() + Duration::from_secs(60);
    while m.drive().watched_dirs() > 1 || !m.drive().is_exact("") {
        assert!(
            Instant::now() < deadline,
            "the watch of {d} never ended, or the root's never listed"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let (first, at) = listings_of(&samba, &d, 0);
    assert!(
        first > 0,
        "the first lookup's listing of {d} is not in smbd's log"
    );
    // Each later lookup of a name never looked up before: one stat round trip, no listing.
    for i in 1..=40 {
        assert_eq!(stat(i * 500).len(), 0);
    }
    assert_eq!(
        listings_of(&samba, &d, at).0,
        0,
        "lookups in a directory of {n} names listed it"
    );
    assert!(
        !m.drive().is_exact(&d),
        "a directory of {n} names is not exact"
    );
}

/// Makes `dir` on the server's disk with `n` empty files.
fn fill(dir: &std::path::Path, n: usize) {
    fs::create_dir(dir).unwrap();
    for i in 0..n {
        fs::File::create(dir.join(format!("e{i:06}"))).unwrap();
    }
}

/// `ls -l` of `dir`: its lines.
fn ls_l(dir: &std::path::Path) -> usize {
    let out = Command::new("ls").arg("-l").arg(dir).output().expect("ls");
    assert!(out.status.success(), "ls -l {}: {out:?}", dir.display());
    out.stdout.iter().filter(|&&b| b == b'\n').count()
}

#[test]
fn big_listings_do_not_stay_in_the_cache_after_their_readdir() {
    let m = mount_with(&samba(), "rw", false, DriveTimeouts::default());
    let n = MAX_LISTED.max(MAX_ENTRIES) + 1000;
    let (a, b, small) = (unique("big-a"), unique("big-b"), unique("small"));
    fill(&m.disk(&a), n);
    fill(&m.disk(&b), n);
    fill(&m.disk(&small), 300);
    // Two big directories listed in turn: neither listing is kept once its readdir is over
    // (only the open directory handle held it).
    for d in [&a, &b] {
        assert_eq!(ls_l(&m.path(d)), n + 1);
        let held = m.drive().cache_held();
        assert_eq!(
            held.listed, 0,
            "{d}: the listing of {n} names was kept: {held:?}"
        );
    }
    // A small one is kept (for a second OPENDIR within the cache's TTL), then swept.
    assert_eq!(ls_l(&m.path(&small)), 301);
    assert!(m.drive().cache_held().listed <= MAX_LISTED);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let held = m.drive().cache_held();
        if held.listed == 0 && held.attrs < 10 {
            break;
        }
        assert!(Instant::now() < deadline, "expired listings stay: {held:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}
