//! `flock` on the drive is an SMB2 lock on the server: other SMB clients see it.

use crate::drive::{mount, samba, unique};
use std::fs;
use std::io::BufRead;
use std::process::{Command, Stdio};
use wnet_smb2::{ClientConfig, CreateOptions, NtStatus, Session};

/// Kills and reaps a child when dropped (also when the test fails).
struct Reaped(std::process::Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A process that opens `path`, flocks it (`-x`/`-s`) on that descriptor, says "locked" and
/// sleeps: killing it releases the lock (no child keeps the descriptor).
fn hold(path: &std::path::Path, kind: &str) -> std::process::Child {
    Command::new("sh")
        .arg("-c")
        .arg("exec 9<>\"$1\" && flock \"$2\" 9 && echo locked && exec sleep 30")
        .arg("sh")
        .arg(path)
        .arg(kind)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap()
}

fn flock_now(args: &[&str], path: &std::path::Path) -> bool {
    Command::new("flock")
        .args(args)
        .arg(path)
        .arg("true")
        .status()
        .unwrap()
        .success()
}

#[test]
fn flock_is_an_smb2_lock_other_clients_see() {
    let m = mount("rw");
    let name = unique("flock");
    fs::write(m.path(&name), b"locked data").unwrap();
    let path = m.path(&name);

    let holder = hold(&path, "-x");
    let mut holder = Reaped(holder);
    let mut line = String::new();
    std::io::BufReader::new(holder.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line, "locked\n");

    // Another open file description on the same drive: refused at once.
    assert!(!flock_now(&["-n", "-x"], &path));
    assert!(!flock_now(&["-n", "-s"], &path));

    // Another SMB client: the range is locked on the server.
    let s = samba();
    let (u, p) = s.user();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let status = rt.block_on(async {
        let sess = Session::connect(ClientConfig::new(s.host(), u, p).port(s.port()))
            .await
            .unwrap();
        let t = sess.tree_connect("rw").await.unwrap();
        let f = t.create(&name, &CreateOptions::read()).await.unwrap();
        let r = f.lock(0, 1, true, false).await;
        let _ = f.close().await;
        r.unwrap_err().status()
    });
    assert!(
        matches!(
            status,
            Some(NtStatus::LOCK_NOT_GRANTED | NtStatus::FILE_LOCK_CONFLICT)
        ),
        "{status:?}"
    );

    // Released with its holder.
    drop(holder);
    assert!(flock_now(&["-w", "5", "-x"], &path));
    // Shared locks share.
    let shared = hold(&path, "-s");
    let mut shared = Reaped(shared);
    let mut line = String::new();
    std::io::BufReader::new(shared.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line, "locked\n");
    assert!(flock_now(&["-n", "-s"], &path));
    assert!(!flock_now(&["-n", "-x"], &path));
}

#[test]
fn a_process_waiting_for_a_flock_can_be_killed() {
    let m = mount("rw");
    let name = unique("flockwait");
    fs::write(m.path(&name), b"x").unwrap();
    let path = m.path(&name);
    let mut holder = Reaped(hold(&path, "-x"));
    let mut line = String::new();
    std::io::BufReader::new(holder.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line, "locked\n");
    for sig in [libc::SIGTERM, libc::SIGKILL] {
        let waiter = Command::new("flock")
            .arg("-x")
            .arg(&path)
            .arg("true")
            .spawn()
            .unwrap();
        let mut waiter = Reaped(waiter);
        std::thread::sleep(std::time::Duration::from_millis(300));
        assert!(waiter.0.try_wait().unwrap().is_none(), "not waiting");
        // SAFETY: signalling our own child.
        unsafe { libc::kill(waiter.0.id() as i32, sig) };
        let t = std::time::Instant::now();
        loop {
            if waiter.0.try_wait().unwrap().is_some() {
                break;
            }
            assert!(
                t.elapsed() < std::time::Duration::from_secs(2),
                "signal {sig}: waiter hangs"
            );
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }
    // The holder still holds it.
    assert!(!flock_now(&["-n", "-x"], &path));
}
