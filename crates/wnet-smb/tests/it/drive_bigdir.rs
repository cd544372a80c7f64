//! Directories too big to watch (more than `watch::MAX_ENTRIES` names): a lookup in one
//! costs its own round trip, not a listing of the directory.

use crate::drive::{mount_with, unique};
use std::fs;
use std::process::Command;
use std::time::{Duration, Instant};
use wnet_smb::drive::DriveTimeouts;
use wnet_smb::drive::watch::MAX_ENTRIES;
use wnet_testkit::{DEFAULT_PASSWORD, DEFAULT_USER, Samba, SambaBuilder, Share};

/// QUERY_DIRECTORY requests the server has handled (`smbd profiling level = count`).
fn finds(samba: &Samba) -> u64 {
    let out = Command::new("smbstatus")
        .arg("--configfile")
        .arg(samba.conf())
        .arg("--profile")
        .output()
        .expect("smbstatus");
    assert!(out.status.success(), "smbstatus --profile failed");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            (k.trim() == "smb2_find_count").then(|| v.trim().parse().ok())?
        })
        .expect("smb2_find_count in smbstatus --profile")
}

#[test]
fn a_lookup_in_a_directory_too_big_to_watch_lists_nothing_after_the_first() {
    let samba = SambaBuilder::new()
        .user(DEFAULT_USER, DEFAULT_PASSWORD)
        .share(Share::new("rw"))
        .global("smbd profiling level", "count")
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
    // Its watch ends once that listing is over; the root's (the lookup of `d`) goes on.
    let deadline = Instant::now() + Duration::from_secs(60);
    while m.drive().watched_dirs() > 1 {
        assert!(Instant::now() < deadline, "the watch of {d} never ended");
        std::thread::sleep(Duration::from_millis(20));
    }
    let before = finds(&samba);
    // Each later lookup of a name never looked up before: one stat round trip, no listing.
    for i in 1..=40 {
        assert_eq!(stat(i * 500).len(), 0);
    }
    assert_eq!(
        finds(&samba),
        before,
        "lookups in a directory of {n} names listed it"
    );
    assert!(
        !m.drive().is_exact(&d),
        "a directory of {n} names is not exact"
    );
}
