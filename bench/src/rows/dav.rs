//! The base table's workloads on a WebDAV server (issue 16 §2): one Apache httpd with
//! `mod_dav_fs` (`wnet_testkit::Apache`, no authentication) on loopback, reached through
//! three mounts in the same run:
//!
//! * **wnet**: drive `Z:` of a `wnetd` process, mapped to the server's URL (the WebDAV
//!   provider's drive over `DavFs`);
//! * **davfs2**: `mount -t davfs` (Debian's `davfs2`, as root), its own configuration:
//!   no credentials asked, a private cache, `delay_upload 0` (its default waits 10 s after
//!   `close()` before uploading; 0 is its fastest way for data to land);
//! * **rclone**: `rclone mount` of `:webdav,url="…",vendor=other:` (default VFS mode: no
//!   cache, writes stream to the server while the file is written).
//!
//! Timing as in the base table ([`crate::workload`]): interleaved rounds, medians, a write
//! counted once Apache's directory on disk shows the file(s) at full size. Each round reads
//! big files no side has seen before (`read-rN.bin`, `rand-rN.bin`, written into Apache's
//! directory before the mounts), so davfs2's on-disk cache holds nothing of them: a cold
//! read is cold for every side. The small files are read twice, each pass cold (caches
//! dropped): the first pass after the round's `create`, the second over the same
//! unchanged files (`read the same 2000 again, cold`), where a side may answer from what
//! it kept, each after whatever revalidation it does (wnet: one `If-None-Match` `GET` per
//! open, ADR 0021). The big file is at most [`MAX_MIB`] MiB (`--size-mib`
//! below that takes effect): davfs2 copies a whole file into its cache before the first
//! byte is read.

use std::fs;
use std::path::{Path, PathBuf};

use wnet_core::ConnectFlags;
use wnet_proto::Reply;
use wnet_testkit::{Apache, DavAuth};

use super::table::{Amount, Table};
use super::{Ctx, DaemonProcess};
use crate::peers::{Davfs2Mount, RcloneMount, drop_caches, pattern, sync};
use crate::workload::{FsRun, N, RANDOM_READS, SMALL, Work, random_offsets};

/// The largest big file of the group, in MiB.
pub const MAX_MIB: u64 = 256;

/// The sides, in the order each round runs them.
const SIDES: [&str; 3] = ["wnet", "davfs2", "rclone"];

fn read_name(round: usize) -> String {
    format!("read-r{round}.bin")
}

fn rand_name(round: usize) -> String {
    format!("rand-r{round}.bin")
}

/// Apache's log lines (`METHOD DEPTH PATH STATUS µs`) counted by method and depth, with
/// the server's time for them summed: `12 (GET 10 0.003s, PROPFIND/0 2 0.001s), Apache
/// 0.004s`. Read
/// after each side's run, untimed: every side's work costs this many round trips on the
/// server.
fn by_method(lines: &[String]) -> String {
    let mut counts = std::collections::BTreeMap::<String, (usize, u64)>::new();
    for l in lines {
        let mut f = l.split(' ');
        let method = f.next().unwrap_or("?");
        let mut key = match f.next() {
            Some(d) if d != "-" => format!("{method}/{d}"),
            _ => method.to_owned(),
        };
        // A status other than a success is told apart (`GET 304`: a cached copy revalidated).
        match f.nth(1) {
            Some(status) if !status.starts_with('2') => key = format!("{key} {status}"),
            _ => {}
        }
        let micros: u64 = f.next().and_then(|t| t.parse().ok()).unwrap_or(0);
        let c = counts.entry(key).or_default();
        c.0 += 1;
        c.1 += micros;
    }
    let each: Vec<String> = counts
        .iter()
        .map(|(k, (n, us))| format!("{k} {n} {:.3}s", *us as f64 / 1e6))
        .collect();
    let micros: u64 = counts.values().map(|(_, us)| us).sum();
    format!(
        "{} ({}), Apache {:.3}s",
        lines.len(),
        each.join(", "),
        micros as f64 / 1e6
    )
}

/// The side that sent a line of Apache's agent log (`METHOD DEPTH PATH STATUS µs AGENT`),
/// by its `User-Agent`: `wnet/…`, `davfs2/…`, `rclone/…`.
fn sender(line: &str) -> Option<&'static str> {
    let agent = line.splitn(6, ' ').nth(5)?;
    SIDES
        .iter()
        .copied()
        .find(|side| agent.starts_with(&format!("{side}/")))
}

/// The line without its agent (`METHOD DEPTH PATH STATUS µs`), as [`by_method`] counts it.
fn request(line: &str) -> String {
    line.splitn(6, ' ').take(5).collect::<Vec<_>>().join(" ")
}

/// Runs the group and prints its table.
///
/// # Panics
///
/// The rows a workload gives here: its own, and for the small files' cold read a second
/// pass over the same unchanged files (a client that keeps what it read, and revalidates
/// it at each open, answers it with `304`s: ADR 0021).
fn rows(w: Work, mib: u64) -> Vec<(Work, String)> {
    let mut rows = vec![(w, w.label(mib))];
    if w == Work::ReadSmall {
        rows.push((w, format!("read the same {N} again, cold")));
    }
    rows
}

/// `--only` picks the sides (`wnet,davfs2,rclone`, default all three): rclone's create
/// and rename rows take minutes, so iterating on the others is quicker without it.
///
/// When Apache, davfs2 or rclone cannot start (the wnet side is reported as missing and
/// left out instead: the provider answers why), or a workload fails.
pub fn run(ctx: &Ctx<'_>) {
    let size = ctx.size.min(MAX_MIB << 20);
    let mib = size >> 20;
    let apache = Apache::start(false, DavAuth::None);
    let server: PathBuf = apache.root().to_path_buf();
    let url = apache.url();
    let mut data = fs::read(ctx.src).expect("the big file's bytes");
    data.truncate(size as usize);
    for round in 0..ctx.rounds {
        apache.seed(&read_name(round), &data);
        apache.seed(&rand_name(round), &data);
    }
    drop(data);

    let work = ctx.scratch.join("dav");
    let mut daemon = DaemonProcess::start(&work.join("daemon"));
    let wnet = match daemon.try_add(Some("Z:"), &url, ConnectFlags::empty(), None) {
        Ok(Reply::Connection(_)) => Some(daemon.drive("Z")),
        other => {
            eprintln!("dav: the wnet drive is not available: {other:?}");
            None
        }
    };
    let wanted = |side: &str| ctx.only.is_empty() || ctx.only.iter().any(|o| o == side);
    let davfs2 = wanted("davfs2").then(|| {
        Davfs2Mount::start(&url, &work.join("davfs2"))
            .expect("a davfs2 mount (apt-get install davfs2; run as root)")
    });
    let rclone = wanted("rclone").then(|| {
        RcloneMount::start_remote(
            &format!(":webdav,url=\"{url}\",vendor=other:"),
            &work.join("rclone"),
            &work.join("rclone-cache"),
            &work.join("rclone.log"),
            &[],
        )
        .expect("an rclone mount of the WebDAV server")
    });
    let mounts: Vec<(&str, &Path)> = SIDES
        .iter()
        .filter(|&&side| wanted(side))
        .filter_map(|&side| match side {
            "wnet" => wnet.as_deref().map(|p| (side, p)),
            "davfs2" => davfs2.as_ref().map(|m| (side, m.dir.as_path())),
            _ => rclone.as_ref().map(|m| (side, m.dir.as_path())),
        })
        .collect();

    let block = pattern(1 << 20, 7);
    let small = pattern(SMALL, 11);
    let mut table = Table::new(&format!(
        "dav: Apache mod_dav_fs over http, {mib} MiB big file, {} rounds, interleaved ({}); data landed",
        ctx.rounds,
        mounts
            .iter()
            .map(|(side, _)| *side)
            .collect::<Vec<_>>()
            .join(", ")
    ));
    for round in 0..ctx.rounds {
        let offsets = random_offsets(size, RANDOM_READS, round as u64);
        for (w, label) in Work::ALL.into_iter().flat_map(|w| rows(w, mib)) {
            // Requests a side sent while another side ran (the wnet drive's polls of a
            // directory in use, ADR 0020), told apart by their `User-Agent`.
            let mut elsewhere: Vec<(&str, Vec<String>)> = Vec::new();
            for &(side, root) in &mounts {
                let seq_dir = format!("{side}-r{round}-seq");
                let small_dir = format!("{side}-r{round}-small");
                match w {
                    Work::SeqWrite => fs::create_dir(root.join(&seq_dir)).unwrap(),
                    Work::Create => fs::create_dir(root.join(&small_dir)).unwrap(),
                    _ => {}
                }
                if w.cold() {
                    drop_caches();
                } else {
                    sync();
                }
                let before = apache.requests_by_agent().len();
                let took = FsRun {
                    tag: side,
                    root,
                    server: &server,
                    size,
                    block: &block,
                    small: &small,
                    big: &read_name(round),
                    rand: &rand_name(round),
                    offsets: &offsets,
                    seq_dir: &seq_dir,
                    small_dir: &small_dir,
                }
                .run(w);
                let amount = if w.bulk() {
                    Amount::Bytes(size)
                } else {
                    Amount::Ops(w.ops() as u64)
                };
                table.push(&label, amount, side, took.total);
                let mut mine = Vec::new();
                for l in &apache.requests_by_agent()[before..] {
                    match sender(l) {
                        Some(o) if o != side => match elsewhere.iter_mut().find(|(s, _)| *s == o) {
                            Some((_, v)) => v.push(request(l)),
                            None => elsewhere.push((o, vec![request(l)])),
                        },
                        _ => mine.push(request(l)),
                    }
                }
                println!(
                    "dav requests, round {round}, {label}, {side}: {}",
                    by_method(&mine)
                );
                if w == Work::SeqWrite {
                    let _ = fs::remove_file(server.join(&seq_dir).join("big"));
                }
            }
            for (side, lines) in elsewhere {
                println!(
                    "dav requests in other sides' turns, round {round}, {label}, {side}: {}",
                    by_method(&lines)
                );
            }
        }
        for name in [read_name(round), rand_name(round)] {
            let _ = fs::remove_file(server.join(name));
        }
    }

    for (_, label) in Work::ALL.into_iter().flat_map(|w| rows(w, mib)) {
        let wnet_time = table.median(&label, "wnet");
        for peer in ["davfs2", "rclone"].into_iter().filter(|p| wanted(p)) {
            let ratio = wnet_time
                .zip(table.median(&label, peer))
                .map(|(ours, theirs)| theirs.as_secs_f64() / ours.as_secs_f64());
            table.target(&format!("{label}: {peer} time / wnet time"), ratio, 1.0);
        }
    }
    if wnet.is_none() {
        table.note("wnet: no drive (see the provider's answer above)".into());
    }
    table.print();
    drop(rclone);
    drop(davfs2);
    drop(daemon);
}
