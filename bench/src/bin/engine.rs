//! `engine`: sequential throughput of the SMB engine alone (no FUSE) against `smbclient
//! put`/`get` on the same private Samba, interleaved, median of N rounds.
//!
//! - write: create (overwrite) + `write_pipelined` (1 MiB requests, 8 in flight) + FLUSH
//!   (Samba fsyncs: `strict sync`) + close; the clock stops after the close. The time to the
//!   last write's acknowledgement (before the FLUSH) is shown too. `smbclient put` sends no
//!   FLUSH: its clock stops when the process exits (all writes acknowledged).
//! - read, server cache warm: the big file (written before the rounds and read once) with
//!   `read_pipelined_with` (1 MiB × 8), each chunk compared with the source as it arrives
//!   (inside the clock), vs `smbclient get big /dev/null`. Streaming, as a real consumer
//!   does: collecting 1 GiB into one `Vec` would mostly time the kernel's page faults.
//! - read, cold: the same after `sync; echo 3 > /proc/sys/vm/drop_caches`.
//!
//! - info rows: the same against `smbclient --option='client signing=required'` (the engine
//!   always signs; plain smbclient does not).
//!
//! - with env `WNET_BENCH_SWEEP=1`, after the table: the engine's warm and cold reads and its
//!   writes (to last ack) at several request sizes and depths (`smbclient` uses 8 MiB requests,
//!   one or two in flight), interleaved with `smbclient get`, median of the rounds.
//! - with env `WNET_BENCH_ONLY=read|write[:MiB[:depth]]`, instead of all that: only the engine's
//!   warm read or write, `--rounds` times, each printed (a quiet loop for `perf record -p`).
//!
//! `smbclient` times include its process start and session setup (~tens of ms); the engine's
//! session is set up once, before the rounds. Before each timed step: `sync`.
//!
//! ```sh
//! cargo run --release -p wnet-bench --bin engine -- [--size-mib N] [--rounds N]
//! ```

use std::fs;
use std::time::{Duration, Instant};

use wnet_bench::peers::{self, drop_caches, median, sync};
use wnet_smb2::CreateOptions;
use wnet_testkit::{DEFAULT_PASSWORD, DEFAULT_USER, Samba};

const BIG: &str = "big.bin";

fn main() {
    let args = peers::args();
    let size = args.size();
    let samba = wnet_testkit::SambaBuilder::new()
        .user(DEFAULT_USER, DEFAULT_PASSWORD)
        .share(wnet_testkit::Share::new("rw"))
        .start()
        .expect("a Samba");
    let share = samba.share_dir("rw");
    let scratch = tempfile::tempdir().unwrap();
    let src = scratch.path().join("src.bin");
    peers::write_big_file(&src, size).unwrap();
    fs::copy(&src, share.join(BIG)).unwrap();
    fs::File::open(share.join(BIG)).unwrap().sync_all().unwrap();
    let _ = fs::read(share.join(BIG)).unwrap();
    let data = fs::read(&src).unwrap();

    let (rt, tree) = wnet_bench::clients::engine_tree(&samba, "rw");
    let credits_before = tree.session().connection().credit_stats();

    if let Some(what) = std::env::var_os("WNET_BENCH_ONLY") {
        only(&rt, &tree, &data, args.rounds, &what.to_string_lossy());
        let _ = fs::remove_file(share.join(BIG));
        return;
    }
    println!(
        "engine: {} MiB, {} rounds, interleaved (engine, smbclient)",
        args.size_mib, args.rounds
    );
    let mut w_eng = Vec::new();
    let mut w_ack = Vec::new();
    let mut w_smb = Vec::new();
    let mut rw_eng = Vec::new();
    let mut rw_smb = Vec::new();
    let mut rc_eng = Vec::new();
    let mut rc_smb = Vec::new();
    let mut w_sig = Vec::new();
    let mut rw_sig = Vec::new();
    let read = |cold: bool| -> Duration {
        if cold {
            drop_caches();
        } else {
            sync();
        }
        rt.block_on(async {
            let t0 = Instant::now();
            let f = tree.create(BIG, &CreateOptions::read()).await.unwrap();
            let n = read_checked(&f, &data, 1 << 20, 8).await;
            f.close().await.unwrap();
            assert_eq!(n, size);
            t0.elapsed()
        })
    };
    let get = |cold: bool| -> Duration {
        if cold {
            drop_caches();
        } else {
            sync();
        }
        peers::smbclient(&samba, "rw", &format!("get {BIG} /dev/null"))
    };
    for round in 0..args.rounds {
        let name = format!("engine-r{round}");
        sync();
        let (total, ack) = rt.block_on(async {
            let t0 = Instant::now();
            let f = tree
                .create(&name, &CreateOptions::overwrite())
                .await
                .unwrap();
            let n = f.write_pipelined(0, &data, 1 << 20, 8).await.unwrap();
            let ack = t0.elapsed();
            f.flush().await.unwrap();
            f.close().await.unwrap();
            assert_eq!(n, size);
            (t0.elapsed(), ack)
        });
        assert_eq!(fs::metadata(share.join(&name)).unwrap().len(), size);
        w_eng.push(total);
        w_ack.push(ack);
        let _ = fs::remove_file(share.join(&name));

        // One `put` through `client` (plain or signed), checked on the server and removed.
        let put = |name: String, client: fn(&Samba, &str, &str) -> Duration| {
            sync();
            let took = client(&samba, "rw", &format!("put {} {name}", src.display()));
            assert_eq!(fs::metadata(share.join(&name)).unwrap().len(), size);
            let _ = fs::remove_file(share.join(&name));
            took
        };
        w_smb.push(put(format!("smbclient-r{round}"), peers::smbclient));
        w_sig.push(put(
            format!("smbclient-signed-r{round}"),
            peers::smbclient_signed,
        ));

        rw_eng.push(read(false));
        rw_smb.push(get(false));
        sync();
        rw_sig.push(peers::smbclient_signed(
            &samba,
            "rw",
            &format!("get {BIG} /dev/null"),
        ));
        rc_eng.push(read(true));
        rc_smb.push(get(true));
        eprintln!(
            "round {round}: write {:.3}s (ack {:.3}s) put {:.3}s signed {:.3}s | read warm {:.3}s get {:.3}s signed {:.3}s | read cold {:.3}s get {:.3}s",
            w_eng[round].as_secs_f64(),
            w_ack[round].as_secs_f64(),
            w_smb[round].as_secs_f64(),
            w_sig[round].as_secs_f64(),
            rw_eng[round].as_secs_f64(),
            rw_smb[round].as_secs_f64(),
            rw_sig[round].as_secs_f64(),
            rc_eng[round].as_secs_f64(),
            rc_smb[round].as_secs_f64()
        );
    }

    let mb = size as f64 / 1e6;
    let row = |what: &str, e: &[Duration], s: &[Duration], target: bool| {
        let (e, s) = (median(e), median(s));
        let ratio = s.as_secs_f64() / e.as_secs_f64();
        println!(
            "{what:<36} {:>8.3}s {:>6.0} MB/s | {:>8.3}s {:>6.0} MB/s | {:>6.2}x | {}",
            e.as_secs_f64(),
            mb / e.as_secs_f64(),
            s.as_secs_f64(),
            mb / s.as_secs_f64(),
            ratio,
            if !target {
                "(info)"
            } else if ratio >= 1.0 {
                ">= 1.0x: yes"
            } else {
                ">= 1.0x: NO"
            }
        );
    };
    println!();
    println!(
        "{:<36} {:>22} | {:>22} | {:>7} | target",
        "median", "engine", "smbclient", "ratio"
    );
    row("write + FLUSH + close vs put", &w_eng, &w_smb, true);
    row(
        "write, to last ack (no FLUSH) vs put",
        &w_ack,
        &w_smb,
        false,
    );
    row("read, server cache warm vs get", &rw_eng, &rw_smb, true);
    row("read, cold (drop_caches) vs get", &rc_eng, &rc_smb, false);
    row("write + FLUSH + close vs signed put", &w_eng, &w_sig, false);
    row("read, warm vs signed get", &rw_eng, &rw_sig, false);
    println!();
    println!("ratio: smbclient's time / the engine's (>1: the engine is faster)");
    println!(
        "credits before {credits_before:?}, after {:?}",
        tree.session().connection().credit_stats()
    );
    if std::env::var_os("WNET_BENCH_SWEEP").is_some() {
        sweep(&rt, &tree, &samba, &data, args.rounds);
    }
    let _ = fs::remove_file(share.join(BIG));
}

/// Reads all of `f` (which must hold `data`) with `chunk` × `depth` pipelining, comparing each
/// chunk as it arrives; returns the bytes read.
async fn read_checked(f: &wnet_smb2::File, data: &[u8], chunk: usize, depth: usize) -> u64 {
    f.read_pipelined_with(0, data.len() as u64, chunk, depth, |off, got| {
        let off = off as usize;
        assert!(
            data[off..off + got.len()] == *got,
            "read back differs at {off}"
        );
        Ok(())
    })
    .await
    .unwrap()
}

/// `WNET_BENCH_ONLY=read|write[:chunk_mib[:depth]]`: only the engine's warm reads or its
/// writes (to last ack), `rounds` times, each after a `sync` and printed: a quiet loop to profile
/// (`perf record -p`), no smbclient in between.
fn only(
    rt: &tokio::runtime::Runtime,
    tree: &wnet_smb2::Tree,
    data: &[u8],
    rounds: usize,
    what: &str,
) {
    let mut it = what.split(':');
    let kind = it.next().unwrap_or("read");
    let chunk = it.next().and_then(|c| c.parse::<usize>().ok()).unwrap_or(1) << 20;
    let depth = it.next().and_then(|d| d.parse().ok()).unwrap_or(8);
    let size = data.len() as u64;
    for round in 0..rounds {
        sync();
        let took = rt.block_on(async {
            let t0 = Instant::now();
            if kind == "write" {
                let f = tree
                    .create("only.bin", &CreateOptions::overwrite())
                    .await
                    .unwrap();
                f.write_pipelined(0, data, chunk, depth).await.unwrap();
                let took = t0.elapsed();
                f.close().await.unwrap();
                took
            } else {
                let f = tree.create(BIG, &CreateOptions::read()).await.unwrap();
                let n = read_checked(&f, data, chunk, depth).await;
                f.close().await.unwrap();
                assert_eq!(n, size);
                t0.elapsed()
            }
        });
        println!(
            "{kind} {} MiB x {depth} round {round}: {:.3}s {:.0} MB/s",
            chunk >> 20,
            took.as_secs_f64(),
            size as f64 / 1e6 / took.as_secs_f64()
        );
    }
}

/// Reads and writes at several request sizes and depths, against `smbclient get`.
fn sweep(
    rt: &tokio::runtime::Runtime,
    tree: &wnet_smb2::Tree,
    samba: &wnet_testkit::Samba,
    data: &[u8],
    rounds: usize,
) {
    let size = data.len() as u64;
    let mb = size as f64 / 1e6;
    let shapes = [
        (1usize << 20, 8usize),
        (1 << 20, 16),
        (4 << 20, 2),
        (4 << 20, 4),
        (8 << 20, 1),
        (8 << 20, 2),
        (8 << 20, 4),
    ];
    println!();
    println!(
        "sweep (MB/s, median of {rounds}): chunk x depth: read warm, read cold, write to last ack"
    );
    let mut get_w = Vec::new();
    let mut get_c = Vec::new();
    let mut rows = vec![(Vec::new(), Vec::new(), Vec::new()); shapes.len()];
    for _ in 0..rounds {
        for (i, &(chunk, depth)) in shapes.iter().enumerate() {
            for cold in [false, true] {
                if cold {
                    drop_caches();
                } else {
                    sync();
                }
                let took = rt.block_on(async {
                    let t0 = Instant::now();
                    let f = tree.create(BIG, &CreateOptions::read()).await.unwrap();
                    let n = read_checked(&f, data, chunk, depth).await;
                    f.close().await.unwrap();
                    assert_eq!(n, size);
                    t0.elapsed()
                });
                if cold {
                    rows[i].1.push(took);
                } else {
                    rows[i].0.push(took);
                }
            }
            sync();
            let took = rt.block_on(async {
                let t0 = Instant::now();
                let f = tree
                    .create("sweep.bin", &CreateOptions::overwrite())
                    .await
                    .unwrap();
                f.write_pipelined(0, data, chunk, depth).await.unwrap();
                let took = t0.elapsed();
                f.close().await.unwrap();
                took
            });
            rows[i].2.push(took);
        }
        sync();
        get_w.push(peers::smbclient(
            samba,
            "rw",
            &format!("get {BIG} /dev/null"),
        ));
        drop_caches();
        get_c.push(peers::smbclient(
            samba,
            "rw",
            &format!("get {BIG} /dev/null"),
        ));
    }
    for (&(chunk, depth), (w, c, wr)) in shapes.iter().zip(&rows) {
        println!(
            "  {:>2} MiB x {depth:>2}: read warm {:>5.0}  cold {:>5.0}  write {:>5.0}",
            chunk >> 20,
            mb / median(w).as_secs_f64(),
            mb / median(c).as_secs_f64(),
            mb / median(wr).as_secs_f64()
        );
    }
    println!(
        "  smbclient get: warm {:.0}  cold {:.0}",
        mb / median(&get_w).as_secs_f64(),
        mb / median(&get_c).as_secs_f64()
    );
}
