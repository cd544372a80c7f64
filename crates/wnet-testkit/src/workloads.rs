//! Workloads a drive test runs on any provider's mount, checked on the server's disk.

use std::fs;
use std::io::{Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// What [`write_while_forking`] found.
#[derive(Debug, Default)]
pub struct ForkedWrites {
    /// `(round, size, what)` of each file not as written: `"written"` (the server's copy after
    /// the first `close()`), `"patched, on the server"`, `"patched, read back"`.
    pub wrong: Vec<(usize, usize, &'static str)>,
    /// Processes started while the files were written.
    pub forks: u64,
}

/// Every program that forks closes its copies of the parent's descriptors at `exec`: each is
/// a FLUSH for a FUSE drive, arriving at any moment of the parent's writes. For `rounds`
/// rounds, a new file of each of `sizes` in `dir` (relative to both roots) is written in
/// odd-sized `write()` calls, then patched in place through a read-write open and appended
/// to, while another thread starts `/bin/true` as fast as it can; each file is compared on
/// the server's disk (`disk`, the share's directory) and read back through the mount.
///
/// # Panics
///
/// When a file cannot be created, written or read at all.
pub fn write_while_forking(
    mount: &Path,
    disk: &Path,
    dir: &str,
    sizes: &[usize],
    rounds: usize,
) -> ForkedWrites {
    let done = Arc::new(AtomicBool::new(false));
    let forker = {
        let done = done.clone();
        std::thread::spawn(move || {
            let mut n = 0u64;
            while !done.load(Ordering::Acquire) {
                let _ = std::process::Command::new("/bin/true").status();
                n += 1;
            }
            n
        })
    };
    let mut wrong = Vec::new();
    for round in 0..rounds {
        for (k, &size) in sizes.iter().enumerate() {
            let name = format!("{dir}/r{round}-{k}");
            let data = pattern(size, (round * 31 + k) as u64);
            let mut f = fs::File::create(mount.join(&name)).expect("create");
            for c in data.chunks(333_333) {
                f.write_all(c).expect("write");
            }
            drop(f);
            if fs::read(disk.join(&name)).expect("the server's copy") != data {
                wrong.push((round, size, "written"));
            }
            let mut f = fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(mount.join(&name))
                .expect("open read-write");
            let patch = pattern(size.min(5000), 99);
            f.write_all(&patch).expect("patch");
            f.seek(SeekFrom::End(0)).expect("seek");
            f.write_all(&patch).expect("append");
            drop(f);
            let mut want = data;
            want[..patch.len()].copy_from_slice(&patch);
            want.extend_from_slice(&patch);
            if fs::read(disk.join(&name)).expect("the server's copy") != want {
                wrong.push((round, size, "patched, on the server"));
            }
            if fs::read(mount.join(&name)).expect("read back") != want {
                wrong.push((round, size, "patched, read back"));
            }
        }
    }
    done.store(true, Ordering::Release);
    let forks = forker.join().expect("the forking thread");
    ForkedWrites { wrong, forks }
}

/// Deterministic bytes of length `n`, a xorshift sequence seeded by `seed`: a pattern that
/// catches misplaced, shifted or zeroed chunks (the tests' file contents).
pub fn pattern(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}
