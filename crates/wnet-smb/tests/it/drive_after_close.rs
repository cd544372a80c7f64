//! A rename, unlink or rmdir right after a `close()` succeeds, however late the kernel's
//! RELEASE of the closed file reaches the drive (issue 11 §2). Run under load: two busy loops
//! keep both cores busy, as a loaded CI machine does. `WNET_AFTER_CLOSE_ROUNDS` rounds each
//! (default 1000 from this process, where the rename follows the close within microseconds;
//! 100 through the shell, where `mv`'s fork and exec leave the RELEASE time to arrive).
//!
//! Before the fix, the in-process rounds failed within a few hundred rounds: the rename with
//! `EACCES` (Samba refuses to replace a file with a handle open), the unlink leaving the name
//! delete-pending so the next round's create got `ENOENT`.

use super::drive::{mount, sh, unique};
use std::fs;
use std::process::{Child, Command};

/// Busy loops on every core until dropped (killed by pid and reaped).
struct Load(Vec<Child>);

impl Load {
    fn start(n: usize) -> Load {
        Load(
            (0..n)
                .map(|_| {
                    Command::new("sh")
                        .args(["-c", "while :; do :; done"])
                        .spawn()
                        .unwrap()
                })
                .collect(),
        )
    }
}

impl Drop for Load {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// `WNET_AFTER_CLOSE_ROUNDS`, else `default`.
fn rounds(default: usize) -> usize {
    std::env::var("WNET_AFTER_CLOSE_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Runs `body` (a shell snippet) `rounds(100)` times in a fresh directory of the drive under
/// load; the loop stops at the first failing command and reports which round.
fn under_load(body: &str) -> std::path::PathBuf {
    let m = mount("rw");
    let dir = unique("after-close");
    fs::create_dir(m.path(&dir)).unwrap();
    let _load = Load::start(2);
    let n = rounds(100);
    let script = format!(
        "cd '{}' && i=0; while [ $i -lt {n} ]; do {body} || {{ echo \"round $i failed\" >&2; exit 1; }}; i=$((i+1)); done",
        m.path(&dir).display()
    );
    sh(&script);
    m.disk(&dir)
}

/// `rounds(1000)` times `body(i)` in a fresh directory of the drive, from this process (a
/// rename right after the close, no fork in between), under load.
fn in_process_under_load(mut body: impl FnMut(&std::path::Path, usize)) {
    let m = mount("rw");
    let dir = m.path(&unique("after-close"));
    fs::create_dir(&dir).unwrap();
    let _load = Load::start(2);
    for i in 0..rounds(1000) {
        body(&dir, i);
    }
}

#[test]
fn rename_over_a_file_just_closed_succeeds_under_load() {
    in_process_under_load(|d, i| {
        fs::write(d.join("a"), format!("A{i}")).unwrap();
        fs::write(d.join("b"), b"B").unwrap();
        if let Err(e) = fs::rename(d.join("a"), d.join("b")) {
            panic!("round {i}: rename over a file just closed: {e}");
        }
    });
}

#[test]
fn unlink_of_a_file_just_closed_succeeds_under_load() {
    in_process_under_load(|d, i| {
        if let Err(e) = fs::write(d.join("c"), b"C") {
            panic!("round {i}: creating the file unlinked last round: {e}");
        }
        if let Err(e) = fs::remove_file(d.join("c")) {
            panic!("round {i}: unlink of a file just closed: {e}");
        }
    });
}

#[test]
fn mv_over_a_file_just_closed_succeeds_under_load() {
    let disk = under_load("echo A > a && echo B > b && mv a b");
    assert_eq!(fs::read(disk.join("b")).unwrap(), b"A\n");
    assert!(!disk.join("a").exists());
}

#[test]
fn rm_of_a_file_just_closed_succeeds_under_load() {
    let disk = under_load("echo C > c && rm c && [ ! -e c ]");
    assert!(!disk.join("c").exists());
}

#[test]
fn rmdir_of_a_directory_just_emptied_succeeds_under_load() {
    let disk = under_load("mkdir d && echo D > d/f && rm d/f && rmdir d");
    assert!(!disk.join("d").exists());
}
