//! The handle table, settle, polite and forced unmounts: what the cancel path relies on.

use crate::drive::{mount, pattern, unique};
use std::fs;
use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use wnet_smb::drive::{DriveError, Holder};

/// Kills and reaps a child when dropped (also when the test fails).
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_until(what: &str, bound: Duration, mut ok: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ok() {
        assert!(start.elapsed() < bound, "{what}: not within {bound:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn is_mounted(path: &std::path::Path) -> bool {
    Command::new("findmnt")
        .arg(path)
        .stdout(Stdio::null())
        .status()
        .unwrap()
        .success()
}

#[test]
fn handle_table_counts_an_open_file_and_an_open_dir_with_the_opening_pid() {
    let m = mount("rw");
    let (f, d) = (unique("held"), unique("helddir"));
    fs::write(m.path(&f), b"x").unwrap();
    fs::create_dir(m.path(&d)).unwrap();
    let child = Command::new("sh")
        .arg("-c")
        .arg("exec 3<\"$1\" 4<\"$2\"; echo ready; exec sleep 30")
        .arg("sh")
        .arg(m.path(&f))
        .arg(m.path(&d))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = Reaped(child);
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.0.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    assert_eq!(line, "ready\n");
    let pid = child.0.id();
    let drive = m.drive();
    assert_eq!(drive.handles().open_count(), 2);
    let mut holders = drive.handles().holders();
    holders.sort_by(|a, b| a.path.cmp(&b.path));
    assert_eq!(
        holders,
        vec![
            Holder {
                pid,
                path: f.clone(),
                is_dir: false
            },
            Holder {
                pid,
                path: d.clone(),
                is_dir: true
            },
        ]
    );
    drop(child);
    assert_eq!(drive.settle(Duration::from_secs(2)), 0);
}

#[test]
fn a_closed_file_and_dir_never_count_after_settle() {
    let m = mount("rw");
    let f = unique("closed");
    for _ in 0..20 {
        let mut h = fs::File::create(m.path(&f)).unwrap();
        h.write_all(b"data").unwrap();
        drop(h);
        assert!(fs::read_dir(&m.mnt).unwrap().count() > 0);
        // close() has returned; its RELEASE may still be in flight.
        let start = Instant::now();
        assert_eq!(m.drive().settle(Duration::from_millis(200)), 0);
        assert!(start.elapsed() < Duration::from_millis(200));
    }
}

#[test]
fn unmount_is_busy_while_a_process_has_its_cwd_inside_and_succeeds_after() {
    let mut m = mount("rw");
    let name = unique("cwd");
    fs::write(m.path(&name), b"still here").unwrap();
    let child = Command::new("sh")
        .arg("-c")
        .arg("cd \"$1\" && exec sleep 30")
        .arg("sh")
        .arg(&m.mnt)
        .spawn()
        .unwrap();
    let child = Reaped(child);
    let cwd = format!("/proc/{}/cwd", child.0.id());
    wait_until("child's cwd inside", Duration::from_secs(5), || {
        fs::read_link(&cwd).map(|p| p == m.mnt).unwrap_or(false)
    });
    let drive = m.drive.take().unwrap();
    assert_eq!(drive.handles().open_count(), 0);
    let (drive, err) = drive.unmount().unwrap_err();
    assert!(matches!(err, DriveError::Busy), "{err:?}");
    // Still fully usable.
    assert_eq!(fs::read(m.path(&name)).unwrap(), b"still here");
    fs::write(m.path(&name), b"changed").unwrap();
    assert_eq!(fs::read(m.disk(&name)).unwrap(), b"changed");
    drop(child);
    assert!(is_mounted(&m.mnt));
    m.drive = Some(drive);
    let drive = m.drive.take().unwrap();
    drive.unmount().map_err(|(_, e)| e).unwrap();
    assert!(!is_mounted(&m.mnt));
}

#[test]
fn force_unmount_creates_a_small_new_file_still_open() {
    let mut m = mount("rw");
    let name = unique("forcedsmall");
    let mut f = fs::File::create(m.path(&name)).unwrap();
    f.write_all(b"not closed yet").unwrap();
    // The create waits for close(), which never comes: the unmount sends it.
    let drive = m.drive.take().unwrap();
    drive.force_unmount().unwrap();
    assert_eq!(fs::read(m.disk(&name)).unwrap(), b"not closed yet");
    drop(f);
}

#[test]
fn force_unmount_writes_everything_and_old_descriptors_fail_without_hanging() {
    let mut m = mount("rw");
    let name = unique("forced");
    let data = pattern(64 << 20, 64);
    let mut f = fs::File::create(m.path(&name)).unwrap();
    for chunk in data.chunks(100_000) {
        f.write_all(chunk).unwrap();
    }
    // No fsync, no close: buffered writes are in flight or pending.
    let drive = m.drive.take().unwrap();
    assert_eq!(drive.handles().open_count(), 1);
    drive.force_unmount().unwrap();
    assert!(!is_mounted(&m.mnt));
    assert!(
        fs::read(m.disk(&name)).unwrap() == data,
        "server file differs"
    );
    let start = Instant::now();
    let e = f.write_all(b"more").unwrap_err();
    assert!(
        [libc::EIO, libc::ENOTCONN].contains(&e.raw_os_error().unwrap_or(0)),
        "{e:?}"
    );
    let e = f.sync_all().unwrap_err();
    assert!([libc::EIO, libc::ENOTCONN].contains(&e.raw_os_error().unwrap_or(0)));
    drop(f);
    assert!(start.elapsed() < Duration::from_secs(2));
    assert!(fs::read(m.disk(&name)).unwrap() == data);
}
