//! Network blips are invisible to programs: a file being read goes on across a dropped
//! connection; what cannot come back fails cleanly and at once.

use crate::drive::{Mounted, mount_with, pattern, unique};
use std::fs;
use std::io::Read;
use std::time::{Duration, Instant};
use wnet_smb::drive::{DriveState, DriveTimeouts};
use wnet_testkit::{DEFAULT_PASSWORD, DEFAULT_USER, Samba, SambaBuilder, Share};

/// Drops every client connection the way a network failure does (SIGTERM: the smbd child
/// exits through its normal path and keeps durable opens), and waits until they are gone.
fn drop_connections(samba: &Samba) {
    let pids = samba.client_pids();
    assert!(!pids.is_empty(), "no client connection to drop");
    for p in &pids {
        // SAFETY: plain kill(2) on this server's own children.
        unsafe { libc::kill(*p as i32, libc::SIGTERM) };
    }
    let t = Instant::now();
    while samba.client_pids().iter().any(|p| pids.contains(p)) {
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "children still there"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Reads a 32 MiB file through the drive with the connection dropped after the first 8 MiB.
fn read_across_a_reset(samba: &Samba) {
    let m = mount_with(samba, "rw", false, DriveTimeouts::default());
    let name = unique("blip-read");
    let data = pattern(32 << 20, 5);
    fs::write(m.disk(&name), &data).unwrap();
    let mut f = fs::File::open(m.path(&name)).unwrap();
    let mut got = vec![0u8; 8 << 20];
    f.read_exact(&mut got).unwrap();
    drop_connections(samba);
    f.read_to_end(&mut got).unwrap();
    assert_eq!(got.len(), data.len());
    assert!(got == data, "wrong bytes after the reconnect");
    assert_eq!(m.drive().state(), DriveState::Connected);
}

#[test]
fn a_read_in_progress_across_a_tcp_reset_completes_with_the_right_bytes() {
    // The test kit's shares grant durable handles: the read handle is reclaimed.
    read_across_a_reset(&Samba::start_default());
}

#[test]
fn a_read_in_progress_across_a_tcp_reset_completes_without_durable_handles_too() {
    // No durable handle: the drive opens the unchanged file again by path.
    let samba = SambaBuilder::new()
        .user(DEFAULT_USER, DEFAULT_PASSWORD)
        .share(Share::new("rw").option("durable handles", "no"))
        .start()
        .unwrap();
    read_across_a_reset(&samba);
}

/// A 32 MiB file written on the server, opened through the drive, its first MiB read:
/// the file's name, contents, the open file and what was read.
fn reading(m: &Mounted, seed: u64) -> (String, Vec<u8>, fs::File, Vec<u8>) {
    let name = unique("blip-restart");
    let data = pattern(32 << 20, seed);
    fs::write(m.disk(&name), &data).unwrap();
    let mut f = fs::File::open(m.path(&name)).unwrap();
    let mut head = vec![0u8; 1 << 20];
    f.read_exact(&mut head).unwrap();
    (name, data, f, head)
}

#[test]
fn a_file_open_for_reading_across_a_server_restart_goes_on_if_unchanged() {
    let mut samba = Samba::start_default();
    let m = mount_with(&samba, "rw", false, DriveTimeouts::default());
    let (_, data, mut f, mut got) = reading(&m, 7);
    // The restart forgets the durable handle; the file is provably the same: opened again.
    samba.restart().unwrap();
    f.read_to_end(&mut got).unwrap();
    assert!(got == data, "wrong bytes after the restart");
}

#[test]
fn a_file_open_for_reading_across_a_server_restart_gives_a_clean_error_if_it_changed() {
    let mut samba = Samba::start_default();
    let m = mount_with(&samba, "rw", false, DriveTimeouts::default());
    let (name, data, mut f, head) = reading(&m, 6);
    // Another writer replaces the file on the server (a new file renamed over it: the open
    // handle keeps the old one), then the server restarts, forgetting the durable handle:
    // the path now names another file, so the handle cannot come back. (Replaced before
    // the restart, since read-ahead may reopen the handle as soon as the server is back.)
    let new = pattern(24 << 20, 8);
    fs::write(m.disk("replacement.tmp"), &new).unwrap();
    fs::rename(m.disk("replacement.tmp"), m.disk(&name)).unwrap();
    samba.restart().unwrap();
    let t = Instant::now();
    let mut rest = Vec::new();
    let e = f
        .read_to_end(&mut rest)
        .expect_err("a read through a handle on a changed file succeeded");
    let took = t.elapsed();
    assert_eq!(e.raw_os_error(), Some(libc::EIO), "{e}");
    assert!(took < Duration::from_secs(10), "the error took {took:?}");
    // What was read before the error is the old file's (read-ahead may have held some).
    assert!(head == data[..1 << 20] && rest == data[1 << 20..(1 << 20) + rest.len()]);
    drop(f);
    // A new open works (the drive's caches may hold the old size up to their TTL).
    let t = Instant::now();
    loop {
        match fs::read(m.path(&name)) {
            Ok(d) if d == new => break,
            r => assert!(
                t.elapsed() < Duration::from_secs(2),
                "a new open: {:?}",
                r.map(|d| d.len())
            ),
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(m.drive().state(), DriveState::Connected);
}
