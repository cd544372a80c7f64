//! An unreachable server never hangs the drive: the first request fails within the deadline,
//! the drive turns Disconnected, later requests fail at once, and it recovers when the server
//! answers again.

use crate::drive::{mount_with, unique};
use std::fs;
use std::process::Command;
use std::time::{Duration, Instant};
use wnet_smb::drive::{DriveState, DriveTimeouts};
use wnet_testkit::Samba;

const DEADLINE: Duration = Duration::from_secs(2);

/// `ls DIR`: whether it succeeded and how long it took.
fn ls(dir: &std::path::Path) -> (bool, Duration) {
    let t = Instant::now();
    let ok = Command::new("ls")
        .arg(dir)
        .output()
        .unwrap()
        .status
        .success();
    (ok, t.elapsed())
}

/// The errno of listing `dir` (0 if it worked) and how long it took.
fn list_errno(dir: &std::path::Path) -> (i32, Duration) {
    let t = Instant::now();
    let r = fs::read_dir(dir).and_then(|entries| entries.collect::<Result<Vec<_>, _>>());
    (
        r.err().and_then(|e| e.raw_os_error()).unwrap_or(0),
        t.elapsed(),
    )
}

/// Stops (SIGSTOP) smbd and its children; continues them when dropped.
struct Stopped(Vec<u32>);

impl Stopped {
    fn signal(&self, sig: i32) {
        for &p in &self.0 {
            // SAFETY: plain kill(2) on pids of the test's own smbd.
            unsafe { libc::kill(p as i32, sig) };
        }
    }
}

impl Drop for Stopped {
    fn drop(&mut self) {
        self.signal(libc::SIGCONT);
    }
}

#[test]
fn a_stopped_server_fails_ls_within_the_bound_then_at_once_and_recovers() {
    let samba = Samba::start_default();
    let timeouts = DriveTimeouts { request: DEADLINE };
    let m = mount_with(&samba, "rw", false, timeouts);
    let d = unique("dead");
    fs::create_dir(m.path(&d)).unwrap();
    fs::write(m.path(&format!("{d}/f")), b"x").unwrap();
    assert!(ls(&m.path(&d)).0);
    // Let every cache expire: the next ls must ask the server.
    std::thread::sleep(Duration::from_millis(1100));

    let mut pids = samba.client_pids();
    pids.push(samba.pid());
    let stopped = Stopped(pids);
    stopped.signal(libc::SIGSTOP);

    let (ok, took) = ls(&m.path(&d));
    assert!(!ok, "ls succeeded against a stopped server");
    assert!(
        took < DEADLINE + Duration::from_millis(1500),
        "first ls took {took:?}"
    );
    assert_eq!(m.drive().state(), DriveState::Disconnected);
    let (ok, took) = ls(&m.path(&d));
    assert!(!ok);
    assert!(took < Duration::from_millis(500), "second ls took {took:?}");
    // A gone server is EIO (README), never ENOTCONN.
    let (errno, took) = list_errno(&m.path(&d));
    assert_eq!(errno, libc::EIO, "took {took:?}");
    let t = Instant::now();
    assert!(fs::metadata(m.path(&format!("{d}/other"))).is_err());
    assert!(t.elapsed() < Duration::from_millis(500));

    drop(stopped);
    let t = Instant::now();
    while m.drive().state() != DriveState::Connected {
        assert!(t.elapsed() < Duration::from_secs(15), "no recovery");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(ls(&m.path(&d)).0);
    assert_eq!(fs::read(m.path(&format!("{d}/f"))).unwrap(), b"x");
}

#[test]
fn a_server_that_is_gone_fails_ls_within_the_bound() {
    let samba = Samba::start_default();
    let timeouts = DriveTimeouts { request: DEADLINE };
    let m = mount_with(&samba, "rw", false, timeouts);
    let d = unique("gone");
    fs::create_dir(m.path(&d)).unwrap();
    std::thread::sleep(Duration::from_millis(1100));
    drop(samba);
    // The README's promise for a gone server: EIO or ETIMEDOUT within the bound, then EIO.
    let (errno, took) = list_errno(&m.path(&d));
    assert!(
        [libc::EIO, libc::ETIMEDOUT].contains(&errno),
        "first listing: errno {errno}"
    );
    assert!(
        took < DEADLINE + Duration::from_millis(1500),
        "first listing took {took:?}"
    );
    let (errno, took) = list_errno(&m.path(&d));
    assert_eq!(errno, libc::EIO, "second listing");
    assert!(
        took < DEADLINE + Duration::from_millis(500),
        "second listing took {took:?}"
    );
    let (ok, _) = ls(&m.path(&d));
    assert!(!ok);
    assert_eq!(m.drive().state(), DriveState::Disconnected);
}

#[test]
fn a_dropped_connection_mid_write_loses_nothing_with_durable_handles() {
    use std::io::Write;
    use wnet_testkit::{DEFAULT_PASSWORD, DEFAULT_USER, SambaBuilder, Share};
    // Durable handles need these share settings on Samba.
    let samba = SambaBuilder::new()
        .user(DEFAULT_USER, DEFAULT_PASSWORD)
        .share(
            Share::new("rw")
                .option("posix locking", "no")
                .option("kernel share modes", "no")
                .option("kernel oplocks", "no"),
        )
        .start()
        .unwrap();
    let m = mount_with(&samba, "rw", false, DriveTimeouts::default());
    let name = unique("durable");
    let data = crate::drive::pattern(32 << 20, 77);
    let mut f = fs::File::create(m.path(&name)).unwrap();
    let (a, b) = data.split_at(16 << 20);
    f.write_all(a).unwrap();
    // SIGTERM, as a network failure looks to smbd: it keeps durable opens for reclaim.
    // (SIGKILL makes Samba 4.17 free them: DH2C then gets OBJECT_NAME_NOT_FOUND.)
    let pids = samba.client_pids();
    assert!(!pids.is_empty());
    for p in &pids {
        // SAFETY: plain kill(2) on this server's own children.
        unsafe { libc::kill(*p as i32, libc::SIGTERM) };
    }
    let t = Instant::now();
    while samba.client_pids().iter().any(|p| pids.contains(p)) {
        assert!(t.elapsed() < Duration::from_secs(5));
        std::thread::sleep(Duration::from_millis(10));
    }
    f.write_all(b).unwrap();
    f.sync_all().unwrap();
    drop(f);
    assert!(
        fs::read(m.disk(&name)).unwrap() == data,
        "server file differs"
    );
    assert_eq!(m.drive().state(), DriveState::Connected);
    assert!(fs::read(m.path(&name)).unwrap() == data);
}
