//! The base table's workloads on a mounted file system (issue 4's `drive` rows), shared by
//! every side that programs reach through a mount: the wnet drive, `rclone mount`, `davfs2`.
//!
//! A write counts only once its data is on the server: after the timed part [`FsRun::run`] polls
//! the server's own directory of the same tree until the file(s) have their full size (or
//! are gone, for rename + delete), and the clock stops then ("data landed").

use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::peers::wait_until;

/// Files of the metadata workloads.
pub const N: usize = 2000;
/// Size of each small file.
pub const SMALL: usize = 4096;
/// Random 4 KiB reads.
pub const RANDOM_READS: usize = 2000;
/// How long the server may take to show a write (deferred uploads included).
pub const SERVER_WAIT: Duration = Duration::from_secs(600);

/// One workload of the base table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Work {
    /// One big file written in 1 MiB blocks, then `fsync`.
    SeqWrite,
    /// One big file read whole after the caches were dropped.
    SeqRead,
    /// [`N`] files of [`SMALL`] bytes created.
    Create,
    /// `stat` of each of the [`N`] files, three times over.
    Stat,
    /// `ls -l` of the [`N`] files' directory.
    Ls,
    /// The [`N`] files read whole, cold.
    ReadSmall,
    /// Each of the [`N`] files renamed, then each deleted.
    RenameDelete,
    /// [`RANDOM_READS`] reads of 4 KiB at random offsets of a big file, cold.
    RandRead,
}

impl Work {
    /// Every workload, in the order a round runs them.
    pub const ALL: [Work; 8] = [
        Work::SeqWrite,
        Work::SeqRead,
        Work::Create,
        Work::Stat,
        Work::Ls,
        Work::ReadSmall,
        Work::RenameDelete,
        Work::RandRead,
    ];

    /// The row's label, with the big file's size in MiB.
    pub fn label(self, mib: u64) -> String {
        match self {
            Work::SeqWrite => format!("seq write {mib} MiB + fsync"),
            Work::SeqRead => format!("seq read {mib} MiB, cold"),
            Work::Create => format!("create {N} x 4 KiB"),
            Work::Stat => format!("stat {N} x 3"),
            Work::Ls => format!("ls -l of {N} entries"),
            Work::ReadSmall => format!("read {N} small, cold"),
            Work::RenameDelete => format!("rename + delete {N}"),
            Work::RandRead => format!("{RANDOM_READS} random 4 KiB reads"),
        }
    }

    /// Whether the caches are dropped before it runs.
    pub fn cold(self) -> bool {
        matches!(self, Work::SeqRead | Work::ReadSmall | Work::RandRead)
    }

    /// Whether it moves one big file (reported in MB/s).
    pub fn bulk(self) -> bool {
        matches!(self, Work::SeqWrite | Work::SeqRead)
    }

    /// Operations per run (for per-op latency).
    pub fn ops(self) -> usize {
        match self {
            Work::Stat => 3 * N,
            Work::RenameDelete => 2 * N,
            _ => N,
        }
    }
}

/// The name of small file `i`.
pub fn f_name(i: usize) -> String {
    format!("f{i:04}")
}

/// The name small file `i` is renamed to.
pub fn g_name(i: usize) -> String {
    format!("g{i:04}")
}

/// One measurement: total time and, for seq writes, the `fsync` part of it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Took {
    /// From the first call to the data landed on the server.
    pub total: Duration,
    /// How long the `fsync` took (seq write only).
    pub sync: Option<Duration>,
}

/// Where one side runs one round: its mount, the server's directory of the same tree, and
/// the round's names and data.
pub struct FsRun<'a> {
    /// The side's tag (for messages).
    pub tag: &'a str,
    /// The mount point.
    pub root: &'a Path,
    /// The directory on the server's disk that the mount shows.
    pub server: &'a Path,
    /// Bytes of the big file.
    pub size: u64,
    /// A 1 MiB block written repeatedly by the seq write.
    pub block: &'a [u8],
    /// The content of each small file.
    pub small: &'a [u8],
    /// The big file the seq read reads (relative to the root, `size` bytes).
    pub big: &'a str,
    /// The big file the random reads read.
    pub rand: &'a str,
    /// The random reads' offsets (4 KiB aligned).
    pub offsets: &'a [u64],
    /// The directory (made before, through the side) the seq write writes `big` into.
    pub seq_dir: &'a str,
    /// The directory (made before, through the side) of the small files.
    pub small_dir: &'a str,
}

impl FsRun<'_> {
    fn server_len(&self, rel: &str) -> Option<u64> {
        fs::metadata(self.server.join(rel)).ok().map(|m| m.len())
    }

    fn wait_server(&self, what: &str, done: impl FnMut() -> bool) {
        assert!(
            wait_until(SERVER_WAIT, done),
            "{}: the server never showed {what}",
            self.tag
        );
    }

    fn all_small(&self) -> bool {
        let dir = self.server.join(self.small_dir);
        (0..N).all(|i| fs::metadata(dir.join(f_name(i))).is_ok_and(|m| m.len() == SMALL as u64))
    }

    /// Runs `work` and times it until its data landed on the server.
    ///
    /// # Panics
    ///
    /// When a file operation fails, a read is short, or the server never shows a write.
    pub fn run(&self, work: Work) -> Took {
        let (root, size, tag) = (self.root, self.size, self.tag);
        let t0 = Instant::now();
        let mut sync_part = None;
        match work {
            Work::SeqWrite => {
                let rel = format!("{}/big", self.seq_dir);
                let mut f = fs::File::create(root.join(&rel)).unwrap();
                let mut left = size;
                while left > 0 {
                    let n = left.min(self.block.len() as u64) as usize;
                    f.write_all(&self.block[..n]).unwrap();
                    left -= n as u64;
                }
                let ts = Instant::now();
                if let Err(e) = f.sync_all() {
                    eprintln!("{tag}: fsync failed: {e}");
                }
                sync_part = Some(ts.elapsed());
                drop(f);
                self.wait_server("the big file", || self.server_len(&rel) == Some(size));
            }
            Work::SeqRead => {
                let mut f = fs::File::open(root.join(self.big)).unwrap();
                let mut buf = vec![0u8; 1 << 20];
                let mut total = 0u64;
                loop {
                    let n = f.read(&mut buf).unwrap();
                    if n == 0 {
                        break;
                    }
                    total += n as u64;
                }
                assert_eq!(total, size, "{tag}: short read");
            }
            Work::RandRead => {
                let f = fs::File::open(root.join(self.rand)).unwrap();
                let mut buf = [0u8; SMALL];
                for &off in self.offsets {
                    f.read_exact_at(&mut buf, off).unwrap();
                }
            }
            Work::Create => {
                let dir = root.join(self.small_dir);
                for i in 0..N {
                    fs::write(dir.join(f_name(i)), self.small).unwrap();
                }
                self.wait_server("the small files", || self.all_small());
            }
            Work::Stat => {
                let dir = root.join(self.small_dir);
                for _ in 0..3 {
                    for i in 0..N {
                        let m = fs::metadata(dir.join(f_name(i))).unwrap();
                        assert_eq!(m.len(), SMALL as u64);
                    }
                }
            }
            Work::Ls => {
                let ok = Command::new("ls")
                    .arg("-l")
                    .arg(root.join(self.small_dir))
                    .stdout(Stdio::null())
                    .status()
                    .unwrap();
                assert!(ok.success(), "{tag}: ls -l failed");
            }
            Work::ReadSmall => {
                let dir = root.join(self.small_dir);
                for i in 0..N {
                    let d = fs::read(dir.join(f_name(i))).unwrap();
                    assert_eq!(d.len(), SMALL);
                }
            }
            Work::RenameDelete => {
                let dir = root.join(self.small_dir);
                for i in 0..N {
                    fs::rename(dir.join(f_name(i)), dir.join(g_name(i))).unwrap();
                }
                for i in 0..N {
                    fs::remove_file(dir.join(g_name(i))).unwrap();
                }
                let server = self.server.join(self.small_dir);
                // Hidden entries are the server's own: Apache's mod_dav_fs keeps a
                // collection's properties and locks in `.DAV`.
                self.wait_server("an empty directory", || {
                    fs::read_dir(&server).is_ok_and(|d| {
                        d.flatten()
                            .all(|e| e.file_name().to_string_lossy().starts_with('.'))
                    })
                });
            }
        }
        Took {
            total: t0.elapsed(),
            sync: sync_part,
        }
    }
}

/// `count` random offsets, 4 KiB aligned, within `size` bytes, the same for the same `seed`.
pub fn random_offsets(size: u64, count: usize, seed: u64) -> Vec<u64> {
    let blocks = (size / SMALL as u64).max(1);
    let mut x = 0x9e37_79b9_7f4a_7c15u64 ^ seed;
    (0..count)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((x >> 17) % blocks) * SMALL as u64
        })
        .collect()
}
