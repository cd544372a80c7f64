//! Leases (ADR 0011): a small file opened again while the drive holds its lease costs no
//! round trip; another SMB client's change breaks the lease before it is made, so the next
//! open reads it; the handles the drive parks under leases are not the user's.

use super::drive::{Mounted, mount_config, other_client, samba, unique};
use super::drive_small::opens_exclusively;
use std::fs;
use std::time::{Duration, Instant};
use wnet_smb::drive::DriveTimeouts;
use wnet_smb2::CreateOptions;
use wnet_smb2::msg::create::disposition;
use wnet_testkit::{DEFAULT_PASSWORD, DEFAULT_USER, Samba, SambaBuilder, Share};

fn mount_leased(s: &Samba) -> Mounted {
    mount_config(s, "rw", false, DriveTimeouts::default(), true)
}

/// A server of its own that logs the name of every CREATE (`smb2:10`).
fn logging_samba() -> Samba {
    SambaBuilder::new()
        .user(DEFAULT_USER, DEFAULT_PASSWORD)
        .global("log level", "1 smb2:10")
        .share(Share::new("rw").read_only(false))
        .start()
        .unwrap()
}

#[test]
fn reading_unchanged_small_files_again_sends_no_create() {
    let s = logging_samba();
    let m = mount_leased(&s);
    let names: Vec<String> = (0..20).map(|i| format!("again-{i}")).collect();
    for (i, n) in names.iter().enumerate() {
        fs::write(m.disk(n), format!("content {i}")).unwrap();
    }
    let read_all = || {
        for (i, n) in names.iter().enumerate() {
            assert_eq!(
                fs::read(m.path(n)).unwrap(),
                format!("content {i}").as_bytes()
            );
        }
    };
    let (_, start) = s.created_since(0);
    read_all();
    let (first, end) = s.created_since(start);
    for n in &names {
        assert!(first.contains(n), "the first pass opened {n}");
    }
    let t0 = Instant::now();
    read_all();
    // Within the park time of the first pass: every lease still held.
    assert!(t0.elapsed() < Duration::from_secs(4), "{:?}", t0.elapsed());
    let (again, _) = s.created_since(end);
    let files: Vec<&String> = again.iter().filter(|n| names.contains(n)).collect();
    assert!(files.is_empty(), "the second pass opened {files:?}");
    assert_eq!(
        m.drive().settle(Duration::from_secs(10)),
        0,
        "parked handles are not the user's"
    );
}

#[test]
fn another_smb_clients_change_reads_at_the_next_open() {
    let s = samba();
    let m = mount_leased(&s);
    let (rt, t) = other_client();
    let name = unique("lease-c2o");
    fs::write(m.disk(&name), b"round -1").unwrap();
    let rewrite_open = CreateOptions::read_write().disposition(disposition::OPEN);
    for r in 0..16 {
        // Read twice: the second open is answered under the lease.
        let before = fs::read(m.path(&name)).unwrap();
        assert_eq!(fs::read(m.path(&name)).unwrap(), before);
        // Same size each round (only the bytes change): alternately in place and truncating.
        let want = format!("round {r:>2}");
        rt.block_on(async {
            let opts = if r % 2 == 0 {
                rewrite_open.clone()
            } else {
                CreateOptions::overwrite()
            };
            let f = t.create(&name, &opts).await.unwrap();
            f.write_at(0, want.as_bytes()).await.unwrap();
            f.close().await.unwrap();
        });
        assert_eq!(
            String::from_utf8(fs::read(m.path(&name)).unwrap()).unwrap(),
            want,
            "round {r}: the drive read what it had before the other client's change"
        );
    }
}

#[test]
fn parked_handles_close_before_rename_and_unlink_and_at_unmount() {
    let s = samba();
    let mut m = mount_leased(&s);
    let a = unique("lease-park");
    let b = format!("{a}-renamed");
    let (c, d) = (unique("lease-unmount"), unique("lease-unlink"));
    for n in [&a, &c, &d] {
        fs::write(m.disk(n), b"parked").unwrap();
    }
    assert_eq!(fs::read(m.path(&a)).unwrap(), b"parked");
    assert!(s.has_open(&a), "the server handle is parked");
    assert_eq!(
        m.drive().settle(Duration::from_secs(10)),
        0,
        "not a user handle"
    );
    fs::rename(m.path(&a), m.path(&b)).unwrap();
    assert!(!m.disk(&a).exists() && m.disk(&b).exists());
    assert_eq!(fs::read(m.path(&b)).unwrap(), b"parked");
    assert_eq!(fs::read(m.path(&d)).unwrap(), b"parked");
    assert!(s.has_open(&d));
    fs::remove_file(m.path(&d)).unwrap();
    assert!(
        !m.disk(&d).exists(),
        "deleted at once, not at the parked handle's close"
    );
    // At unmount.
    assert_eq!(fs::read(m.path(&c)).unwrap(), b"parked");
    assert!(s.has_open(&c));
    let drive = m.drive.take().unwrap();
    drive.unmount().map_err(|(_, e)| e).unwrap();
    assert!(!s.has_open(&c), "unmount closed the parked handle");
}

#[test]
fn another_clients_exclusive_open_takes_the_parked_handle_away() {
    let s = samba();
    let m = mount_leased(&s);
    let (rt, t) = other_client();
    let name = unique("lease-excl");
    fs::write(m.disk(&name), b"x").unwrap();
    assert_eq!(fs::read(m.path(&name)).unwrap(), b"x");
    assert!(s.has_open(&name));
    // Its open conflicts with our handle: the server breaks our Handle lease and waits; the
    // drive closes the parked handle before it answers, so the open succeeds.
    assert!(opens_exclusively(&rt, &t, &name));
    assert!(!s.has_open(&name));
    assert_eq!(fs::read(m.path(&name)).unwrap(), b"x");
}

#[test]
fn a_parked_handle_is_closed_after_the_park_time() {
    let s = samba();
    let m = mount_leased(&s);
    let name = unique("lease-expire");
    fs::write(m.disk(&name), b"x").unwrap();
    let t0 = Instant::now();
    assert_eq!(fs::read(m.path(&name)).unwrap(), b"x");
    assert!(s.has_open(&name));
    while s.has_open(&name) {
        assert!(t0.elapsed() < Duration::from_secs(30), "still parked");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(t0.elapsed() >= Duration::from_secs(4), "{:?}", t0.elapsed());
}

#[test]
fn the_drives_own_writes_read_back_under_leases() {
    let s = samba();
    let m = mount_leased(&s);
    let name = unique("lease-own");
    fs::write(m.disk(&name), b"first").unwrap();
    for r in 0..4 {
        let before = fs::read(m.path(&name)).unwrap();
        assert_eq!(fs::read(m.path(&name)).unwrap(), before);
        let want = format!("own {r}");
        if r % 2 == 0 {
            fs::write(m.path(&name), &want).unwrap();
        } else {
            // In place, same size, through a handle opened while the file is parked.
            use std::os::unix::fs::FileExt;
            let f = fs::OpenOptions::new()
                .write(true)
                .open(m.path(&name))
                .unwrap();
            f.write_all_at(want.as_bytes(), 0).unwrap();
        }
        assert_eq!(
            fs::read(m.path(&name)).unwrap(),
            want.as_bytes(),
            "round {r}"
        );
    }
}
