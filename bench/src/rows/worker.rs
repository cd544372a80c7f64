//! The benchmark as a child program: `drive --worker MODE ARGS` does one program's work and
//! exits, so the parallel rows run real processes (each with its own file descriptors, as
//! `cp` or `tar` would), not threads of the benchmark.
//!
//! Modes:
//! - `read FILE`: reads to the end in 1 MiB `read`s.
//! - `write FILE BYTES`: creates, writes 1 MiB `write`s, `fsync`, `close`.
//! - `create DIR N`: creates `DIR/f0000`..`f{N-1}`, 4 KiB each (create, write, close).
//! - `hold DIR N`: opens `DIR/` [`hold_name`]`(0..N)` read-write, prints `ready`, keeps them
//!   open until its stdin closes.

use std::ffi::OsString;
use std::fs;
use std::io::{BufRead, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use crate::peers::{pattern, raise_nofile};

/// Size of each small file of `create`.
pub const SMALL: usize = 4096;

/// The argument that makes `drive` a worker.
const FLAG: &str = "--worker";

/// When this process was started as a worker, does the work and returns its exit code;
/// `None` otherwise. `drive` calls it first thing.
pub fn main() -> Option<i32> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) != Some(FLAG) {
        return None;
    }
    let arg = |i: usize| -> &str {
        args.get(i)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("worker: missing argument {i}"))
    };
    let num = |i: usize| -> u64 { arg(i).parse().expect("worker: a number") };
    match arg(1) {
        "read" => {
            let n = read_all(Path::new(arg(2)));
            println!("{n}");
        }
        "write" => write_file(Path::new(arg(2)), num(3)),
        "create" => create_small(Path::new(arg(2)), num(3) as usize),
        "hold" => hold(Path::new(arg(2)), num(3) as usize),
        other => panic!("worker: unknown mode {other:?}"),
    }
    Some(0)
}

/// A command that runs this executable as a worker with `args` (mode first).
pub fn command(args: &[OsString]) -> Command {
    let exe = std::env::current_exe().expect("the benchmark's own path");
    let mut c = Command::new(exe);
    c.arg(FLAG)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    c
}

/// Reads `path` to its end in 1 MiB reads; returns the bytes read.
pub fn read_all(path: &Path) -> u64 {
    let mut f = fs::File::open(path).unwrap_or_else(|e| panic!("open {path:?}: {e}"));
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = f.read(&mut buf).expect("read");
        if n == 0 {
            return total;
        }
        total += n as u64;
    }
}

/// Creates `path` with `size` bytes in 1 MiB writes, fsyncs, closes.
pub fn write_file(path: &Path, size: u64) {
    write_file_then(path, size, true);
}

/// Creates `path` with `size` bytes in 1 MiB writes, fsyncs if `fsync`, closes.
pub fn write_file_then(path: &Path, size: u64, fsync: bool) {
    let block = pattern(1 << 20, 7);
    let mut f = fs::File::create(path).unwrap_or_else(|e| panic!("create {path:?}: {e}"));
    let mut left = size;
    while left > 0 {
        let n = left.min(block.len() as u64) as usize;
        f.write_all(&block[..n]).expect("write");
        left -= n as u64;
    }
    if fsync {
        f.sync_all().expect("fsync");
    }
}

/// The name of small file `i`.
pub fn small_name(i: usize) -> String {
    format!("f{i:04}")
}

/// Creates `n` files of [`SMALL`] bytes in `dir`.
pub fn create_small(dir: &Path, n: usize) {
    let data = pattern(SMALL, 11);
    for i in 0..n {
        let p = dir.join(small_name(i));
        fs::write(&p, &data).unwrap_or_else(|e| panic!("write {p:?}: {e}"));
    }
}

/// The name of held file `i`.
pub fn hold_name(i: usize) -> String {
    format!("h{i:05}")
}

fn hold(dir: &Path, n: usize) {
    raise_nofile(n as u64 + 64);
    let files: Vec<fs::File> = (0..n)
        .map(|i| {
            let p = dir.join(hold_name(i));
            // Read-write: the drive holds a server handle for each (a read-only open of a
            // small file may be served from a snapshot read at open, holding none).
            fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(&p)
                .unwrap_or_else(|e| panic!("open {p:?}: {e}"))
        })
        .collect();
    println!("ready {}", files.len());
    std::io::stdout().flush().expect("stdout");
    // Held until the parent closes our stdin.
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
    drop(files);
}
