//! Big directories (issue 15, target 6): a directory of 100,000 entries (`--entries N`),
//! made on the server's disk before either side has seen it (`rclone mount` is started
//! afresh for each round, after). Rows: `ls -l` of it (cold), and
//! `stat` of 200 single names in another such directory (cold: the first thing either side
//! does there) and of 200 other names right after, on the wnet drive and `rclone mount`; with the daemon's resident set before
//! and after (`VmRSS`) and its peak during the listing (`VmHWM` reset before it).

use std::fs;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use wnet_core::ConnectFlags;

use super::daemon::{mib, mib_delta};
use super::table::{Amount, Table};
use super::{Ctx, DaemonProcess, fresh_rclone};
use crate::peers::{drop_caches, median};

/// Names `stat`ed one by one.
const STATS: usize = 200;

fn entry_name(i: usize) -> String {
    format!("e{i:06}")
}

/// Makes `dir` on the server's disk with `n` empty files.
fn make_dir(dir: &std::path::Path, n: usize) {
    fs::create_dir_all(dir).expect("a big directory");
    for i in 0..n {
        fs::File::create(dir.join(entry_name(i))).expect("an entry");
    }
}

/// Runs the group and prints its table.
pub fn run(ctx: &Ctx<'_>, daemon: &mut DaemonProcess) {
    let n = ctx.entries;
    daemon.add(Some("B:"), &ctx.samba.unc("rw"), ConnectFlags::empty());
    let wnet = daemon.drive("B");
    let share = ctx.share();
    let ls_label = format!("ls -l of {n} entries, cold");
    let stat_label = format!("stat {STATS} names in {n}, cold");
    let again_label = format!("stat {STATS} other names right after");
    println!("bigdir: {n} entries; {} rounds", ctx.rounds);
    let mut t = Table::new("big directory (median)");
    let mut growth = Vec::new();
    let mut peaks = Vec::new();
    let mut stat_growth = Vec::new();
    for round in 0..ctx.rounds {
        for side in ["wnet", "rclone"] {
            let ls_dir = format!("big-{side}-r{round}-ls");
            let stat_dir = format!("big-{side}-r{round}-stat");
            make_dir(&share.join(&ls_dir), n);
            make_dir(&share.join(&stat_dir), n);
            // rclone keeps a directory's listing 5 minutes and would not see directories made
            // behind its back: each round mounts it afresh, after they exist (cold, as the
            // drive is for them).
            let rclone =
                (side == "rclone").then(|| fresh_rclone(ctx, &format!("bigdir-rclone-r{round}")));
            let root = match &rclone {
                Some(m) => m.dir.clone(),
                None => wnet.clone(),
            };

            drop_caches();
            let before = daemon.rss();
            let t0 = Instant::now();
            for k in 0..STATS {
                let name = entry_name(k * (n / STATS) + (round % (n / STATS).max(1)));
                let m = fs::metadata(root.join(&stat_dir).join(name)).expect("stat");
                assert_eq!(m.len(), 0);
            }
            t.push(&stat_label, Amount::Ops(STATS as u64), side, t0.elapsed());
            // 200 other names right after: a lookup that found the directory too big to
            // watch must not make the next ones list it.
            let t0 = Instant::now();
            for k in 0..STATS {
                let name = entry_name(k * (n / STATS) + (n / STATS) / 2);
                let m = fs::metadata(root.join(&stat_dir).join(name)).expect("stat");
                assert_eq!(m.len(), 0);
            }
            t.push(&again_label, Amount::Ops(STATS as u64), side, t0.elapsed());
            if side == "wnet" {
                stat_growth.push(daemon.rss() as f64 - before as f64);
            }

            drop_caches();
            let before = daemon.rss();
            daemon.reset_peak();
            let t0 = Instant::now();
            let out = Command::new("ls")
                .arg("-l")
                .arg(root.join(&ls_dir))
                .stderr(Stdio::inherit())
                .output()
                .expect("ls");
            let took = t0.elapsed();
            assert!(out.status.success(), "{side}: ls -l failed");
            let lines = out.stdout.iter().filter(|&&b| b == b'\n').count();
            assert_eq!(lines, n + 1, "{side}: ls -l listed {lines} lines");
            t.push(&ls_label, Amount::Ops(n as u64), side, took);
            if side == "wnet" {
                let after = daemon.rss();
                let peak = daemon.peak();
                eprintln!(
                    "  wnetd rss before {} after {} ({}), peak {} ({})",
                    mib(before),
                    mib(after),
                    mib_delta(after, before),
                    mib(peak),
                    mib_delta(peak, before)
                );
                growth.push(after as f64 - before as f64);
                peaks.push(peak as f64 - before as f64);
            }
        }
        for side in ["wnet", "rclone"] {
            for what in ["ls", "stat"] {
                let _ = fs::remove_dir_all(share.join(format!("big-{side}-r{round}-{what}")));
            }
        }
    }
    let r = |label: &str| {
        Some(t.median(label, "rclone")?.as_secs_f64() / t.median(label, "wnet")?.as_secs_f64())
    };
    t.target(
        "ls -l: rclone's time / wnet's (<= 1/4 of rclone's time)",
        r(&ls_label),
        4.0,
    );
    t.note(format!(
        "stat of one name: rclone's time / wnet's {} cold, {} right after",
        r(&stat_label).map_or("-".into(), |x| format!("{x:.2}x")),
        r(&again_label).map_or("-".into(), |x| format!("{x:.2}x"))
    ));
    let med_mib = |v: &[f64]| {
        let d: Vec<Duration> = v
            .iter()
            .map(|x| Duration::from_secs_f64(x.max(0.0)))
            .collect();
        median(&d).as_secs_f64() / f64::from(1 << 20)
    };
    let g = med_mib(&growth);
    t.note(format!(
        "wnetd RSS growth over ls -l (VmRSS after - before), median {g:.1} MiB, target <= 64 MiB: {}; peak during it (VmHWM - before) {:.1} MiB; over the {STATS} stats {:.1} MiB",
        if g <= 64.0 { "yes" } else { "NO" },
        med_mib(&peaks),
        med_mib(&stat_growth)
    ));
    t.print();
}
