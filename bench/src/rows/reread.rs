//! Re-reading unchanged files (issue 15, target 3): 2000 small files made on the server's
//! disk, read whole through a drive (cold: the drive has never seen them, caches dropped),
//! then at once a second time, unchanged. Sides: a drive of a `wnetd` whose profile says
//! `file_leases = true` (ADR 0011: the second pass is answered under the leases the first
//! took) and one of a `wnetd` with the default profile. Besides the times, the server's own
//! count of CREATE requests (`smbstatus --profile`: `smb2_create_count`; the bench's Samba
//! runs with `smbd profiling level = on`) over both passes.

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use wnet_core::ConnectFlags;

use super::table::{Amount, Table};
use super::{Ctx, DaemonProcess};
use crate::peers::{drop_caches, wait_until};

/// Files read per pass.
const FILES: usize = 2000;
/// Bytes per file.
const SIZE: usize = 4096;

/// The sides: label, drive letter, the profile's `file_leases`.
const SIDES: [(&str, &str, bool); 2] = [("wnet-leases", "L", true), ("wnet", "D", false)];

/// How many CREATE requests `ctx.samba` has served (all clients, since it started).
///
/// # Panics
///
/// When `smbstatus` fails or prints no `smb2_create_count` (profiling off).
pub fn creates(ctx: &Ctx<'_>) -> u64 {
    let out = std::process::Command::new("smbstatus")
        .arg("-s")
        .arg(ctx.samba.conf())
        .arg("--profile")
        .output()
        .expect("smbstatus");
    assert!(out.status.success(), "smbstatus --profile: {out:?}");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            (k.trim() == "smb2_create_count").then(|| v.trim().parse().ok())?
        })
        .expect("smb2_create_count (smbd profiling level = on)")
}

/// [`creates`] once smbd has published its counts: each process writes them out about once
/// a second, so two readings 1.1 s apart must agree.
fn creates_settled(ctx: &Ctx<'_>) -> u64 {
    let mut last = creates(ctx);
    for _ in 0..10 {
        std::thread::sleep(Duration::from_millis(1100));
        let now = creates(ctx);
        if now == last {
            return now;
        }
        last = now;
    }
    panic!("smbd's CREATE count did not settle");
}

/// Reads every file of `dir` through the drive, checking its length.
fn read_all(dir: &Path) -> Duration {
    let t0 = Instant::now();
    for i in 0..FILES {
        let data = fs::read(dir.join(format!("f{i:04}"))).expect("a small file");
        assert_eq!(data.len(), SIZE);
    }
    t0.elapsed()
}

/// Runs the group and prints its table.
///
/// The second pass follows the first at once: what a program reading its files again
/// does, and what a lease's parked handle is kept for (5 s after its last use).
pub fn run(ctx: &Ctx<'_>) {
    let daemons: Vec<(DaemonProcess, &str, &str)> = SIDES
        .iter()
        .map(|&(side, letter, leases)| {
            let base = ctx.scratch.join(format!("reread-{side}"));
            let settings = wnet_core::Settings {
                file_leases: leases,
                ..wnet_core::Settings::default()
            };
            let mut d = DaemonProcess::start_with(&base, settings);
            d.add(
                Some(&format!("{letter}:")),
                &ctx.samba.unc("rw"),
                ConnectFlags::empty(),
            );
            (d, side, letter)
        })
        .collect();
    let first = format!("read {FILES} × 4 KiB, first pass (cold)");
    let again = format!("read the same {FILES} again, unchanged");
    println!("reread: {FILES} files of {SIZE} B; {} rounds", ctx.rounds);
    let mut t = Table::new("re-read unchanged files (median)");
    let mut counted: Vec<(String, u64)> = Vec::new();
    let content = crate::peers::pattern(SIZE, 5);
    for round in 0..ctx.rounds {
        for (d, side, letter) in &daemons {
            let rel = format!("reread-{side}-r{round}");
            let on_server = ctx.share().join(&rel);
            fs::create_dir_all(&on_server).expect("the files' directory");
            for i in 0..FILES {
                fs::write(on_server.join(format!("f{i:04}")), &content).expect("a file");
            }
            let dir = d.drive(letter).join(&rel);
            assert!(
                wait_until(Duration::from_secs(30), || dir.is_dir()),
                "{} never showed {rel}",
                side
            );
            drop_caches();
            let c0 = creates_settled(ctx);
            let d1 = read_all(&dir);
            // Names only with WNET_BENCH_OPS=1 (smbd then logs them: smb2:10).
            let (_, mark) = ctx.samba.created_since(0);
            // At once: smbd's counts take 1.1-5 s to settle on a loaded machine, longer
            // than a parked handle outlives its last use (5 s from the first pass's first
            // file on). The second pass's CREATEs are what both passes sent beyond the
            // first pass's: one per file, and the directories' (see the note).
            let d2 = read_all(&dir);
            let c2 = creates_settled(ctx);
            let (names, _) = ctx.samba.created_since(mark);
            if !names.is_empty() {
                eprintln!("  second pass CREATEd (smbd log): {names:?}");
            }
            t.push(&first, Amount::Ops(FILES as u64), side, d1);
            t.push(&again, Amount::Ops(FILES as u64), side, d2);
            eprintln!("  CREATEs: both passes {}", c2 - c0);
            counted.push((side.to_string(), c2 - c0));
        }
    }
    for &(side, _, _) in &SIDES {
        let speedup = t
            .median(&first, side)
            .zip(t.median(&again, side))
            .map(|(a, b)| a.as_secs_f64() / b.as_secs_f64());
        t.target(&format!("{side}: second pass vs first"), speedup, 10.0);
        let per_round: Vec<String> = counted
            .iter()
            .filter(|c| c.0 == side)
            .map(|c| c.1.to_string())
            .collect();
        t.note(format!(
            "{side}: CREATEs (smb2_create_count) over both passes, per round: {} \
             (the first pass alone: {FILES} files + a few directory stats; target for \
             wnet-leases: nothing more)",
            per_round.join(", ")
        ));
    }
    t.print();
}
