//! The stat storm cold (issue 15, target 2: "the first pass after the drive is mounted,
//! not only the kernel-cached ones"): a directory of 2000 × 4 KiB files made on the
//! server's disk, then for each round and side a mount that has never seen it — a new
//! drive letter of the rows' `wnetd`, a new `rclone mount` (default mode) — and `stat` of
//! every name once (the first pass), then twice more (the base table's "stat 2000 x 3",
//! here from a cold start). Server and kernel caches are dropped before each side. The
//! first name's `stat` is also reported alone: for it each side lists the directory.

use std::fs;
use std::time::Instant;

use wnet_core::ConnectFlags;

use super::table::{Amount, Table};
use super::{Ctx, DaemonProcess, fresh_rclone};
use crate::peers::drop_caches;
use crate::workload::{N, SMALL, f_name};

/// Drive letters for the rounds' fresh drives (one per round).
const LETTERS: &str = "CDEFGHIJKLMNOPQRSTUVWXY";

/// Runs the group and prints its table.
///
/// # Panics
///
/// When a mount cannot be made, a `stat` fails or sees the wrong size, or `--rounds`
/// exceeds the letters available.
pub fn run(ctx: &Ctx<'_>, daemon: &mut DaemonProcess) {
    assert!(
        ctx.rounds <= LETTERS.len(),
        "coldstat: at most {} rounds",
        LETTERS.len()
    );
    let share = ctx.share();
    let first = format!("stat {N}, first pass after mount");
    let three = format!("stat {N} x 3 from mount");
    let one = "stat of the first name after mount";
    let mut t = Table::new("stat storm, cold (median)");
    let data = vec![7u8; SMALL];
    for round in 0..ctx.rounds {
        for side in ["wnet", "rclone"] {
            let dir = format!("coldstat-{side}-r{round}");
            fs::create_dir_all(share.join(&dir)).expect("the directory");
            for i in 0..N {
                fs::write(share.join(&dir).join(f_name(i)), &data).expect("a small file");
            }
            let rclone =
                (side == "rclone").then(|| fresh_rclone(ctx, &format!("coldstat-rclone-r{round}")));
            let root = match &rclone {
                Some(m) => m.dir.clone(),
                None => {
                    let letter = &LETTERS[round..=round];
                    daemon.add(
                        Some(&format!("{letter}:")),
                        &ctx.samba.unc("rw"),
                        ConnectFlags::empty(),
                    );
                    daemon.drive(letter)
                }
            };
            drop_caches();
            let t0 = Instant::now();
            for pass in 0..3 {
                for i in 0..N {
                    let m = fs::metadata(root.join(&dir).join(f_name(i))).expect("stat");
                    assert_eq!(m.len(), SMALL as u64, "{side}: {dir}/{}", f_name(i));
                    if pass == 0 && i == 0 {
                        // Both sides list the directory for it: the rest of the pass is
                        // answered from that listing.
                        t.push(one, Amount::Ops(1), side, t0.elapsed());
                    }
                }
                if pass == 0 {
                    t.push(&first, Amount::Ops(N as u64), side, t0.elapsed());
                }
            }
            t.push(&three, Amount::Ops(3 * N as u64), side, t0.elapsed());
            // The round's drive goes (its watches would see the next rounds' changes).
            if rclone.is_none() {
                daemon.cancel(&format!("{}:", &LETTERS[round..=round]));
            }
            drop(rclone);
            let _ = fs::remove_dir_all(share.join(&dir));
        }
    }
    let r = |label: &str| {
        Some(t.median(label, "rclone")?.as_secs_f64() / t.median(label, "wnet")?.as_secs_f64())
    };
    t.target("first pass: rclone's time / wnet's (>= 4x)", r(&first), 4.0);
    t.target(
        "3 passes from mount: rclone's time / wnet's (>= 4x)",
        r(&three),
        4.0,
    );
    t.print();
}
