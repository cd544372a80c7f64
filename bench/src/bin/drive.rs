//! `drive`: the wnet drive side by side with `rclone mount` (smb backend, default mode and
//! `--vfs-cache-mode writes`), `smbclient` (bulk rows) and the engine alone (no FUSE: the
//! ceiling), all against one private Samba in one run.
//!
//! Interleaved: for each round, for each workload, every side runs once, one after another;
//! every reported time is the median over the rounds. Each workload works in its own fresh
//! subdirectory per side and round. A write counts only once its data is on the server: after
//! the timed part the benchmark polls the share's directory on the server until the file(s)
//! have the full size (rclone `--vfs-cache-mode writes` acknowledges `close()` at once and
//! uploads seconds later) or are gone (rename + delete), and the clock stops then.
//!
//! Cold reads (`seq read`, `read 2000`, `random reads`) start after `sync; echo 3 >
//! /proc/sys/vm/drop_caches` (drops the server's page cache as well: same machine) and with a
//! fresh open. The big file read by every side is written on the server before any mount.
//!
//! ```sh
//! cargo run --release -p wnet-bench --bin drive -- [--size-mib N] [--rounds N] [--only wnet,engine]
//!     [--rows base,parallel,encrypted,bigdir,coldstat,memory,reread,dav] [--entries N]
//! ```
//!
//! `--rows` picks row groups (default: all): `base` is the table below; the others
//! (parallel programs, an encrypted share, a big directory, a cold stat storm, the daemon's memory) are in
//! [`wnet_bench::rows`] and need the `wnetd` binary beside this one
//! (`cargo build --release -p wnetd -p wnet-bench`).
//!
//! With env `WNET_BENCH_OPS=1` Samba logs every SMB2 request (`log level = 1 smb2:10`; slows the
//! server, so times are not comparable) and the benchmark prints, per workload and side, how
//! many requests of each command the server received: the round trips behind each row.
//! With env `WNET_DRIVE_STATS=1` it prints, per workload, the FUSE requests the wnet drive
//! was sent by opcode as `OPCODE=requests/of which answered from a runtime task`, and for
//! the drive and the engine the CPU seconds the benchmark's process (the drive's daemon runs
//! in it) and smbd used in the run.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use wnet_bench::clients::add_z;
use wnet_bench::peers::{self, Args, RcloneMount, drop_caches, median, sync, wait_until};
use wnet_bench::rows;
use wnet_bench::rows::cpu::Usage;
use wnet_bench::workload::{
    FsRun, N, RANDOM_READS, SERVER_WAIT, SMALL, Took, Work, f_name, g_name, random_offsets,
};
use wnet_proto::{Client, Paths, Request};
use wnet_smb2::{CreateOptions, Tree};
use wnet_testkit::{DEFAULT_PASSWORD, DEFAULT_USER, Samba};

/// The big file every side reads.
const BIG: &str = "big.bin";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Side {
    Wnet,
    Rclone,
    RcloneWrites,
    Smbclient,
    Engine,
}

impl Side {
    const ALL: [Side; 5] = [
        Side::Wnet,
        Side::Rclone,
        Side::RcloneWrites,
        Side::Smbclient,
        Side::Engine,
    ];

    fn tag(self) -> &'static str {
        match self {
            Side::Wnet => "wnet",
            Side::Rclone => "rclone",
            Side::RcloneWrites => "rclone-wr",
            Side::Smbclient => "smbclient",
            Side::Engine => "engine",
        }
    }
}

/// Which sides run a workload, and the issue's target for it.
trait BaseRow {
    fn sides(self) -> &'static [Side];
    fn target(self) -> (Side, f64, &'static str);
}

impl BaseRow for Work {
    fn sides(self) -> &'static [Side] {
        if self.bulk() {
            &Side::ALL
        } else {
            &[Side::Wnet, Side::Rclone, Side::RcloneWrites, Side::Engine]
        }
    }

    /// The issue's target: the side compared with, the minimum speed ratio, its wording.
    fn target(self) -> (Side, f64, &'static str) {
        match self {
            Work::SeqRead => (Side::Smbclient, 0.9, ">= 0.9x smbclient get"),
            Work::SeqWrite => (Side::Smbclient, 1.0, ">= 1.0x smbclient put"),
            Work::Create => (Side::Rclone, 3.0, ">= 3x rclone"),
            Work::Stat => (Side::Rclone, 4.0, ">= 4x rclone"),
            Work::Ls => (Side::Rclone, 4.0, "<= 1/4 rclone time"),
            Work::ReadSmall => (Side::Rclone, 2.0, ">= 2x rclone"),
            Work::RenameDelete => (Side::Rclone, 2.0, ">= 2x rclone"),
            Work::RandRead => (Side::Rclone, 4.0, ">= 4x rclone"),
        }
    }
}

struct Bench {
    args: Args,
    samba: Samba,
    /// The share's directory on the server.
    share: PathBuf,
    /// Local source of `smbclient put`.
    src: PathBuf,
    /// The engine's write data (the same bytes as `src`).
    big: Vec<u8>,
    block: Vec<u8>,
    small: Vec<u8>,
    mounts: HashMap<Side, PathBuf>,
    rt: tokio::runtime::Runtime,
    tree: Tree,
    /// Random offsets (4 KiB aligned) per round.
    offsets: Vec<Vec<u64>>,
}

fn seq_dir(side: Side, round: usize) -> String {
    format!("{}-r{round}-seq", side.tag())
}

fn small_dir(side: Side, round: usize) -> String {
    format!("{}-r{round}-small", side.tag())
}

impl Bench {
    fn server_len(&self, rel: &str) -> Option<u64> {
        fs::metadata(self.share.join(rel)).ok().map(|m| m.len())
    }

    fn wait_server(&self, what: &str, mut done: impl FnMut() -> bool) {
        assert!(
            wait_until(SERVER_WAIT, &mut done),
            "the server never showed {what}"
        );
    }

    /// Untimed preparation (directories through the side itself, so its caches know them).
    fn prepare(&self, side: Side, work: Work, round: usize) {
        let dir = match work {
            Work::SeqWrite => seq_dir(side, round),
            Work::Create => small_dir(side, round),
            _ => return,
        };
        match side {
            Side::Smbclient => {}
            Side::Engine => self.rt.block_on(self.tree.mkdir(&dir)).unwrap(),
            _ => fs::create_dir(self.mounts[&side].join(&dir)).unwrap(),
        }
    }

    /// Untimed clean-up: the big written files go at once (disk space).
    fn cleanup(&self, side: Side, work: Work, round: usize) {
        if work == Work::SeqWrite {
            let rel = match side {
                Side::Smbclient => format!("smbclient-r{round}-big"),
                _ => format!("{}/big", seq_dir(side, round)),
            };
            let _ = fs::remove_file(self.share.join(rel));
        }
    }

    fn run(&self, side: Side, work: Work, round: usize) -> Took {
        match side {
            Side::Smbclient => self.run_smbclient(work, round),
            Side::Engine => self.run_engine(work, round),
            _ => self.run_fs(&self.mounts[&side], side, work, round),
        }
    }

    fn run_smbclient(&self, work: Work, round: usize) -> Took {
        let size = self.args.size();
        match work {
            Work::SeqWrite => {
                let name = format!("smbclient-r{round}-big");
                let t0 = Instant::now();
                peers::smbclient(
                    &self.samba,
                    "rw",
                    &format!("put {} {name}", self.src.display()),
                );
                self.wait_server("smbclient's put", || self.server_len(&name) == Some(size));
                Took {
                    total: t0.elapsed(),
                    sync: None,
                }
            }
            Work::SeqRead => Took {
                total: peers::smbclient(&self.samba, "rw", &format!("get {BIG} /dev/null")),
                sync: None,
            },
            _ => unreachable!("smbclient runs the bulk rows only"),
        }
    }

    fn run_fs(&self, root: &Path, side: Side, work: Work, round: usize) -> Took {
        FsRun {
            tag: side.tag(),
            root,
            server: &self.share,
            size: self.args.size(),
            block: &self.block,
            small: &self.small,
            big: BIG,
            rand: BIG,
            offsets: &self.offsets[round],
            seq_dir: &seq_dir(side, round),
            small_dir: &small_dir(side, round),
        }
        .run(work)
    }

    fn run_engine(&self, work: Work, round: usize) -> Took {
        let size = self.args.size();
        let t = &self.tree;
        let dir = small_dir(Side::Engine, round);
        let t0 = Instant::now();
        let mut sync_part = None;
        self.rt.block_on(async {
            match work {
                Work::SeqWrite => {
                    let rel = format!("{}/big", seq_dir(Side::Engine, round));
                    let f = t.create(&rel, &CreateOptions::overwrite()).await.unwrap();
                    let n = f.write_pipelined(0, &self.big, 1 << 20, 8).await.unwrap();
                    assert_eq!(n, size);
                    let ts = Instant::now();
                    f.flush().await.unwrap();
                    sync_part = Some(ts.elapsed());
                    f.close().await.unwrap();
                }
                Work::SeqRead => {
                    let f = t.create(BIG, &CreateOptions::read()).await.unwrap();
                    let d = f.read_pipelined(0, size, 1 << 20, 8).await.unwrap();
                    assert_eq!(d.len() as u64, size);
                    f.close().await.unwrap();
                }
                Work::RandRead => {
                    let f = t.create(BIG, &CreateOptions::read()).await.unwrap();
                    for &off in &self.offsets[round] {
                        let d = f.read_at(off, SMALL).await.unwrap();
                        assert_eq!(d.len(), SMALL);
                    }
                    f.close().await.unwrap();
                }
                Work::Create => {
                    for i in 0..N {
                        let p = format!("{dir}/{}", f_name(i));
                        let f = t.create(&p, &CreateOptions::create_new()).await.unwrap();
                        f.write_at(0, &self.small).await.unwrap();
                        f.close().await.unwrap();
                    }
                }
                Work::Stat => {
                    for _ in 0..3 {
                        for i in 0..N {
                            let s = t.stat(&format!("{dir}/{}", f_name(i))).await.unwrap();
                            assert_eq!(s.end_of_file, SMALL as u64);
                        }
                    }
                }
                Work::Ls => {
                    let v = t.list(&dir).await.unwrap();
                    assert_eq!(v.len(), N);
                }
                Work::ReadSmall => {
                    for i in 0..N {
                        let p = format!("{dir}/{}", f_name(i));
                        let d = t.read_file_small(&p, 1 << 16).await.unwrap();
                        assert_eq!(d.len(), SMALL);
                    }
                }
                Work::RenameDelete => {
                    for i in 0..N {
                        let (f, g) = (
                            format!("{dir}/{}", f_name(i)),
                            format!("{dir}/{}", g_name(i)),
                        );
                        t.rename(&f, &g, false).await.unwrap();
                    }
                    for i in 0..N {
                        t.delete(&format!("{dir}/{}", g_name(i))).await.unwrap();
                    }
                }
            }
        });
        if work == Work::SeqWrite {
            let rel = format!("{}/big", seq_dir(Side::Engine, round));
            self.wait_server("the engine's big file", || {
                self.server_len(&rel) == Some(size)
            });
        }
        Took {
            total: t0.elapsed(),
            sync: sync_part,
        }
    }
}

/// Counts the SMB2 requests Samba logged (`smbd_smb2_request_dispatch: opcode[SMB2_OP_X]`)
/// after byte `from` of its log, by command, and the frames it received.
fn smb2_ops(log: &Path, from: u64) -> String {
    let text = fs::read(log).unwrap_or_default();
    let text = String::from_utf8_lossy(&text[(from as usize).min(text.len())..]).into_owned();
    let mut counts: Vec<(String, usize)> = Vec::new();
    for l in text.lines() {
        let Some(rest) = l.split("smbd_smb2_request_dispatch: opcode[").nth(1) else {
            continue;
        };
        let op = rest
            .split(']')
            .next()
            .unwrap_or("?")
            .trim_start_matches("SMB2_OP_");
        match counts.iter_mut().find(|(o, _)| o == op) {
            Some((_, n)) => *n += 1,
            None => counts.push((op.to_owned(), 1)),
        }
    }
    let total: usize = counts.iter().map(|(_, n)| n).sum();
    let parts: Vec<String> = counts.iter().map(|(o, n)| format!("{o}={n}")).collect();
    // A compound is one frame (one round trip) however many requests it holds.
    let frames = text.matches("(smbd_smb2_io_handler)").count();
    format!("frames={frames} total={total} {}", parts.join(" "))
}

/// The FUSE requests the drive was sent since `before`, per opcode: how many per operation
/// of the row (`ops`), and how many of them were answered from a runtime task (`hop`).
fn fuse_requests(before: &[(wnet_drive::stats::Op, u64, u64)], ops: usize) -> String {
    let now = wnet_drive::stats::request_counts();
    let (mut total, mut hops, mut parts) = (0, 0, Vec::new());
    for ((op, seen, hopped), (_, seen0, hopped0)) in now.iter().zip(before) {
        let (n, h) = (seen - seen0, hopped - hopped0);
        if n > 0 {
            parts.push(format!("{}={n}/{h}", op.name()));
            total += n;
            hops += h;
        }
    }
    format!(
        "{:.2}/op ({:.2} hop/op) total={total} hop={hops} {}",
        total as f64 / ops as f64,
        hops as f64 / ops as f64,
        parts.join(" ")
    )
}

fn secs(d: Duration) -> String {
    format!("{:.3}s", d.as_secs_f64())
}

fn main() {
    if let Some(code) = wnet_bench::rows::worker::main() {
        std::process::exit(code);
    }
    let args = peers::args();
    let size = args.size();
    let count_ops = std::env::var_os("WNET_BENCH_OPS").is_some();
    let count_fuse = std::env::var_os("WNET_DRIVE_STATS").is_some();
    let mut builder = wnet_testkit::SambaBuilder::new()
        .user(DEFAULT_USER, DEFAULT_PASSWORD)
        .share(wnet_testkit::Share::new("rw"));
    for share in rows::shares(&args.rows) {
        builder = builder.share(share);
    }
    if args.rows.contains(&rows::Group::Reread) {
        // Its CREATE counts (`smbstatus --profile`).
        builder = builder.global("smbd profiling level", "on");
    }
    if count_ops {
        builder = builder.global("log level", "1 smb2:10");
    }
    let samba = builder.start().expect("a Samba");
    let share = samba.share_dir("rw");
    let smb_log = samba.log_dir().join("smbd.log");
    let scratch = tempfile::tempdir().unwrap();
    let src = scratch.path().join("src.bin");
    peers::write_big_file(&src, size).unwrap();
    fs::copy(&src, share.join(BIG)).unwrap();
    fs::File::open(share.join(BIG)).unwrap().sync_all().unwrap();
    let big = fs::read(&src).unwrap();
    let block = peers::pattern(1 << 20, 7);
    let small = peers::pattern(SMALL, 11);

    // The wnet drive Z:.
    let paths = Paths::under(&scratch.path().join("wnet"));
    let daemon = wnetd::BackgroundDaemon::start(paths.clone()).expect("a daemon");
    let mut c = Client::connect_to(&paths.socket, "bench").unwrap();
    add_z(&mut c, &samba.unc("rw"));
    let z = paths.drive_root.join("Z");
    assert!(
        fs::read_dir(&z).is_ok(),
        "the drive is not mounted at {z:?}"
    );

    // rclone, default mode and --vfs-cache-mode writes.
    let rc = |name: &str, extra: &[&str]| {
        RcloneMount::start(
            &samba,
            "rw",
            &scratch.path().join(name),
            &scratch.path().join(format!("{name}-cache")),
            &scratch.path().join(format!("{name}.log")),
            extra,
        )
        .expect("an rclone mount")
    };
    let rclone = rc("rclone", &[]);
    let rclone_wr = rc("rclone-wr", &["--vfs-cache-mode", "writes"]);

    // The engine alone.
    let (rt, tree) = wnet_bench::clients::engine_tree(&samba, "rw");

    let offsets = (0..args.rounds)
        .map(|r| random_offsets(size, RANDOM_READS, r as u64))
        .collect();

    let mounts = HashMap::from([
        (Side::Wnet, z.clone()),
        (Side::Rclone, rclone.dir.clone()),
        (Side::RcloneWrites, rclone_wr.dir.clone()),
    ]);
    let only = args.only.clone();
    let b = Bench {
        args: args.clone(),
        samba,
        share,
        src,
        big,
        block,
        small,
        mounts,
        rt,
        tree,
        offsets,
    };

    rows::run(
        &rows::Ctx {
            samba: &b.samba,
            scratch: scratch.path(),
            rclone: &rclone.dir,
            big: BIG,
            src: &b.src,
            size,
            rounds: args.rounds,
            entries: args.entries,
            only: &only,
        },
        &args.rows,
    );
    if !args.rows.contains(&rows::Group::Base) {
        return;
    }
    println!(
        "drive: {} MiB big file, {} rounds, interleaved (wnet, rclone, rclone-wr, smbclient, engine)",
        args.size_mib, args.rounds
    );
    let mut results: HashMap<(Work, Side), Vec<Took>> = HashMap::new();
    for round in 0..args.rounds {
        for work in Work::ALL {
            for &side in work.sides() {
                if !only.is_empty() && !only.iter().any(|o| o == side.tag()) {
                    continue;
                }
                b.prepare(side, work, round);
                if work.cold() {
                    drop_caches();
                } else {
                    sync();
                }
                let log_at = fs::metadata(&smb_log).map_or(0, |m| m.len());
                let fuse_at = wnet_drive::stats::request_counts();
                let cpu_at = Usage::now(std::process::id(), b.samba.pid());
                let took = b.run(side, work, round);
                if count_fuse && matches!(side, Side::Wnet | Side::Engine) {
                    let cpu = cpu_at.since("client", std::process::id(), b.samba.pid());
                    let fuse = match side {
                        Side::Wnet => fuse_requests(&fuse_at, work.ops()),
                        _ => String::new(),
                    };
                    println!(
                        "fuse {:<28} {:<7} {cpu}; {fuse}",
                        work.label(args.size_mib),
                        side.tag()
                    );
                }
                if count_ops {
                    std::thread::sleep(Duration::from_millis(300));
                    println!(
                        "ops {:<28} {:<10} {}",
                        work.label(args.size_mib),
                        side.tag(),
                        smb2_ops(&smb_log, log_at)
                    );
                }
                b.cleanup(side, work, round);
                eprintln!(
                    "round {round} {:<28} {:<10} {}",
                    work.label(args.size_mib),
                    side.tag(),
                    secs(took.total)
                );
                results.entry((work, side)).or_default().push(took);
            }
        }
    }

    let med = |w: Work, s: Side| -> Option<Duration> {
        results
            .get(&(w, s))
            .map(|v| median(&v.iter().map(|t| t.total).collect::<Vec<_>>()))
    };
    println!();
    println!(
        "{:<28} {:>9} {:>9} {:>9} {:>9} {:>9} | {:>8} {:>8} {:>8} | {:<20} met",
        "workload (median)",
        "wnet",
        "rclone",
        "rclone-wr",
        "smbclient",
        "engine",
        "vs rcl",
        "vs smbc",
        "/engine",
        "target"
    );
    for work in Work::ALL {
        let cell = |s: Side| med(work, s).map_or("-".to_string(), secs);
        let Some(w) = med(work, Side::Wnet) else {
            continue;
        };
        let ratio = |s: Side| med(work, s).map(|o| o.as_secs_f64() / w.as_secs_f64());
        let show = |r: Option<f64>| r.map_or("-".to_string(), |r| format!("{r:.2}x"));
        let (ts, min, text) = work.target();
        let met = ratio(ts).is_some_and(|r| r >= min);
        println!(
            "{:<28} {:>9} {:>9} {:>9} {:>9} {:>9} | {:>8} {:>8} {:>8} | {:<20} {}",
            work.label(args.size_mib),
            cell(Side::Wnet),
            cell(Side::Rclone),
            cell(Side::RcloneWrites),
            cell(Side::Smbclient),
            cell(Side::Engine),
            show(ratio(Side::Rclone)),
            show(ratio(Side::Smbclient)),
            show(ratio(Side::Engine)),
            text,
            if met { "yes" } else { "NO" }
        );
    }
    println!();
    println!(
        "ratios: other side's time / wnet's time (>1: wnet faster); /engine: engine time / wnet time (the share of the no-FUSE ceiling the drive reaches)"
    );
    println!();
    println!("throughput and per-op latency (medians):");
    for work in Work::ALL {
        let mut line = format!("  {:<28}", work.label(args.size_mib));
        for s in work.sides() {
            let Some(d) = med(work, *s) else { continue };
            if work.bulk() {
                let mbs = size as f64 / 1e6 / d.as_secs_f64();
                line += &format!(" {}={mbs:.0} MB/s", s.tag());
            } else {
                let us = d.as_secs_f64() * 1e6 / work.ops() as f64;
                line += &format!(" {}={us:.0}us/op", s.tag());
            }
        }
        println!("{line}");
    }
    for s in [Side::Wnet, Side::Engine, Side::Rclone] {
        if let Some(v) = results.get(&(Work::SeqWrite, s)) {
            let syncs: Vec<Duration> = v.iter().filter_map(|t| t.sync).collect();
            println!(
                "  seq write: {} fsync/flush part (median) {}",
                s.tag(),
                secs(median(&syncs))
            );
        }
    }
    println!();
    println!("all rounds (seconds):");
    for work in Work::ALL {
        for &s in work.sides() {
            let Some(v) = results.get(&(work, s)) else {
                continue;
            };
            let v: Vec<String> = v
                .iter()
                .map(|t| format!("{:.3}", t.total.as_secs_f64()))
                .collect();
            println!(
                "  {:<28} {:<10} {}",
                work.label(args.size_mib),
                s.tag(),
                v.join(" ")
            );
        }
    }

    drop(rclone);
    drop(rclone_wr);
    // The rows took minutes: the daemon has closed `c` as idle (wnetd's IDLE_TIMEOUT, 60 s),
    // so the cancel goes over a new connection.
    drop(c);
    let mut c = Client::connect_to(&paths.socket, "bench").unwrap();
    let r = c.call(&Request::CancelConnection {
        name: "Z:".into(),
        flags: 0,
        force: true,
    });
    if let Err(e) = r {
        eprintln!("cancel Z: {e:?}");
    }
    drop(daemon);
}
