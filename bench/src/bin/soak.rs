//! `soak`: the drive under load while the network and the server misbehave.
//!
//! Load, through a real drive (daemon + FUSE) on a private Samba: 4 writers (create a file
//! of 4 KiB–1 MiB, write, fsync, close; the file is *acknowledged* when all three returned
//! success), 2 readers (an acknowledged file, checked byte for byte, then 4 MiB of a 32 MiB
//! file), one long-lived appender (64 KiB + fsync; after an error it reopens the file and
//! cuts it back to what was acknowledged).
//!
//! Faults, one every `--every` seconds, in turn: the connections dropped (SIGTERM to smbd's
//! per-client children: what a TCP reset looks like to smbd), the server hung 5 s (SIGSTOP),
//! the connections dropped, a full server restart.
//!
//! Reported: files acknowledged, **lost** (acknowledged but not on the server's disk with
//! exactly its bytes: must be 0), corrupt reads (must be 0), errors by errno, the longest
//! single call, and per fault the reconnect time (from the fault's end until a read of a
//! small file through the drive succeeds). Exits 1 when anything was lost or read wrong.
//!
//! ```sh
//! cargo run --release -p wnet-bench --bin soak -- --seconds 90 --every 15   # the long form
//! cargo run -p wnet-bench --bin soak -- --seconds 40 --every 8              # CI's short form
//! ```

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use wnet_bench::clients::add_z;
use wnet_bench::peers::pattern;
use wnet_proto::{Client, Paths};
use wnet_testkit::Samba;

const WRITERS: u64 = 4;
const READERS: u64 = 2;
const BIG: usize = 32 << 20;
const CHUNK: usize = 64 << 10;
const HANG: Duration = Duration::from_secs(5);

struct Args {
    seconds: u64,
    every: u64,
}

fn args() -> Args {
    let mut a = Args {
        seconds: 90,
        every: 15,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let v: u64 = it
            .next()
            .and_then(|v| v.parse().ok())
            .filter(|&v| v > 0)
            .unwrap_or_else(|| panic!("{arg} wants a positive number"));
        match arg.as_str() {
            "--seconds" => a.seconds = v,
            "--every" => a.every = v,
            other => panic!("unknown argument {other:?} (know --seconds N, --every N)"),
        }
    }
    a
}

/// What every load thread reports into.
#[derive(Default)]
struct Tally {
    acknowledged: Mutex<Vec<(String, u64, usize)>>,
    attempts: AtomicU64,
    reads: AtomicU64,
    corrupt: AtomicU64,
    appended: AtomicU64,
    errors: Mutex<BTreeMap<String, u64>>,
    longest: Mutex<(Duration, String)>,
}

impl Tally {
    /// Runs one call, remembering the longest and counting its error.
    fn call<T>(&self, what: &str, f: impl FnOnce() -> std::io::Result<T>) -> Option<T> {
        let t = Instant::now();
        let r = f();
        let took = t.elapsed();
        {
            let mut l = self.longest.lock().unwrap();
            if took > l.0 {
                *l = (took, what.to_string());
            }
        }
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                let name = match e.raw_os_error() {
                    Some(n) => format!("{what}: {}", errno_name(n)),
                    None => format!("{what}: {e}"),
                };
                *self.errors.lock().unwrap().entry(name).or_default() += 1;
                None
            }
        }
    }
}

fn errno_name(n: i32) -> String {
    match n {
        libc::EIO => "EIO".into(),
        libc::ETIMEDOUT => "ETIMEDOUT".into(),
        libc::ENOTCONN => "ENOTCONN".into(),
        libc::EBADF => "EBADF".into(),
        libc::ENOENT => "ENOENT".into(),
        libc::EBUSY => "EBUSY".into(),
        n => format!("errno {n}"),
    }
}

fn writer(z: PathBuf, id: u64, stop: Arc<AtomicBool>, t: Arc<Tally>) {
    let mut n = 0u64;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let seed = id << 32 | n;
        let len = 4096 + (seed.wrapping_mul(2654435761) % (1 << 20)) as usize;
        let name = format!("w{id}-{n}.bin");
        let data = pattern(len, seed);
        t.attempts.fetch_add(1, Ordering::Relaxed);
        let Some(mut f) = t.call("create", || File::create(z.join(&name))) else {
            continue;
        };
        if t.call("write", || f.write_all(&data)).is_none() {
            continue;
        }
        if t.call("fsync", || f.sync_all()).is_none() {
            continue;
        }
        // close(2) reports the write-back error; File's drop ignores it.
        let fd = std::os::fd::IntoRawFd::into_raw_fd(f);
        let closed = t.call("close", || {
            // SAFETY: `fd` is ours (taken from the File) and closed exactly once.
            match unsafe { libc::close(fd) } {
                0 => Ok(()),
                _ => Err(std::io::Error::last_os_error()),
            }
        });
        if closed.is_some() {
            t.acknowledged.lock().unwrap().push((name, seed, len));
        }
    }
}

fn reader(z: PathBuf, id: u64, stop: Arc<AtomicBool>, t: Arc<Tally>, big: Arc<Vec<u8>>) {
    let mut n = id;
    while !stop.load(Ordering::Relaxed) {
        n = n.wrapping_mul(6364136223846793005).wrapping_add(1);
        let pick = {
            let a = t.acknowledged.lock().unwrap();
            (!a.is_empty()).then(|| a[(n >> 33) as usize % a.len()].clone())
        };
        if let Some((name, seed, len)) = pick {
            if let Some(got) = t.call("read", || fs::read(z.join(&name))) {
                t.reads.fetch_add(1, Ordering::Relaxed);
                if got != pattern(len, seed) {
                    eprintln!("corrupt read of {name}");
                    t.corrupt.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        // 4 MiB of the big file from a random MiB: large reads in flight across the faults.
        let at = ((n >> 20) % (BIG as u64 / (1 << 20) - 4)) << 20;
        let got = t.call("read big", || {
            let mut f = File::open(z.join("big.bin"))?;
            f.seek(SeekFrom::Start(at))?;
            let mut buf = vec![0u8; 4 << 20];
            f.read_exact(&mut buf)?;
            Ok(buf)
        });
        if let Some(got) = got {
            t.reads.fetch_add(1, Ordering::Relaxed);
            if got[..] != big[at as usize..at as usize + (4 << 20)] {
                eprintln!("corrupt read of big.bin at {at}");
                t.corrupt.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

fn appender(z: PathBuf, stop: Arc<AtomicBool>, t: Arc<Tally>) {
    let path = z.join("append.log");
    let chunk = pattern(CHUNK, 99);
    let mut f: Option<File> = None;
    while !stop.load(Ordering::Relaxed) {
        let acked = t.appended.load(Ordering::Relaxed);
        let file = match f.as_mut() {
            Some(file) => file,
            None => {
                // (Re)open and cut back to what was acknowledged.
                let opened = t.call("reopen", || {
                    let mut g = OpenOptions::new()
                        .write(true)
                        .create(true)
                        .truncate(false)
                        .open(&path)?;
                    g.set_len(acked)?;
                    g.seek(SeekFrom::Start(acked))?;
                    Ok(g)
                });
                match opened {
                    Some(g) => f.insert(g),
                    None => {
                        std::thread::sleep(Duration::from_millis(100));
                        continue;
                    }
                }
            }
        };
        let ok = t.call("append", || file.write_all(&chunk)).is_some()
            && t.call("append fsync", || file.sync_data()).is_some();
        if ok {
            t.appended.fetch_add(CHUNK as u64, Ordering::Relaxed);
        } else {
            f = None;
        }
    }
}

/// Signals every process of the server (its per-client children first).
fn signal_all(samba: &Samba, sig: i32) {
    let mut pids = samba.client_pids();
    pids.push(samba.pid());
    for p in pids {
        // SAFETY: plain kill(2) on this benchmark's own smbd processes.
        unsafe { libc::kill(p as i32, sig) };
    }
}

fn drop_connections(samba: &Samba) {
    let pids = samba.client_pids();
    for p in &pids {
        // SAFETY: plain kill(2) on this benchmark's own smbd children.
        unsafe { libc::kill(*p as i32, libc::SIGTERM) };
    }
    let t = Instant::now();
    while samba.client_pids().iter().any(|p| pids.contains(p)) && t.elapsed().as_secs() < 10 {
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// From now until a small file reads through the drive (a server round trip: opens are
/// never answered from a cache).
fn reconnect_time(probe: &Path) -> Duration {
    let t = Instant::now();
    while fs::read(probe).is_err() {
        if t.elapsed() > Duration::from_secs(60) {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    t.elapsed()
}

fn main() {
    // RUST_LOG=wnet_smb=info,wnet_smb2=info shows the drive's and the engine's view.
    if std::env::var_os("RUST_LOG").is_some() {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .init();
    }
    let a = args();
    let mut samba = Samba::start_default();
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::under(dir.path());
    let daemon = wnetd::BackgroundDaemon::start(paths.clone()).expect("a daemon");
    let mut c = Client::connect_to(&paths.socket, "soak").unwrap();
    add_z(&mut c, &samba.unc("rw"));
    let z = paths.drive_root.join("Z");
    let disk = samba.share_dir("rw");
    let big = Arc::new(pattern(BIG, 3));
    fs::write(disk.join("big.bin"), &*big).unwrap();
    fs::create_dir(disk.join("probe")).unwrap();
    fs::write(disk.join("probe/p.txt"), b"probe").unwrap();
    let probe = z.join("probe/p.txt");

    let stop = Arc::new(AtomicBool::new(false));
    let t = Arc::new(Tally::default());
    let mut load = Vec::new();
    for id in 0..WRITERS {
        let (z, stop, t) = (z.clone(), stop.clone(), t.clone());
        load.push(std::thread::spawn(move || writer(z, id, stop, t)));
    }
    for id in 0..READERS {
        let (z, stop, t, big) = (z.clone(), stop.clone(), t.clone(), big.clone());
        load.push(std::thread::spawn(move || reader(z, id + 1, stop, t, big)));
    }
    {
        let (z, stop, t) = (z.clone(), stop.clone(), t.clone());
        load.push(std::thread::spawn(move || appender(z, stop, t)));
    }

    let started = Instant::now();
    let end = started + Duration::from_secs(a.seconds);
    let mut faults: Vec<(String, Duration, Duration)> = Vec::new();
    let mut k = 0;
    loop {
        let next = started + Duration::from_secs(a.every * (k + 1));
        if next + Duration::from_secs(a.every / 2) > end {
            break;
        }
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
        let at = started.elapsed();
        let what = match k % 4 {
            1 => {
                signal_all(&samba, libc::SIGSTOP);
                std::thread::sleep(HANG);
                signal_all(&samba, libc::SIGCONT);
                "server hung 5 s"
            }
            3 => {
                samba.restart().expect("smbd restarts");
                "server restarted"
            }
            _ => {
                drop_connections(&samba);
                "connections dropped"
            }
        };
        let back = reconnect_time(&probe);
        eprintln!("{at:>8.1?}  {what:<20} reconnected in {back:.3?}");
        faults.push((what.to_string(), at, back));
        k += 1;
    }
    std::thread::sleep(end.saturating_duration_since(Instant::now()));
    stop.store(true, Ordering::Relaxed);
    for h in load {
        h.join().unwrap();
    }

    // Every acknowledged file on the server's disk, byte for byte.
    let acked = t.acknowledged.lock().unwrap().clone();
    let lost: Vec<&String> = acked
        .iter()
        .filter(|(name, seed, len)| {
            fs::read(disk.join(name)).map_or(true, |d| d != pattern(*len, *seed))
        })
        .map(|(name, _, _)| name)
        .collect();
    let appended = t.appended.load(Ordering::Relaxed) as usize;
    let log = fs::read(disk.join("append.log")).unwrap_or_default();
    let chunk = pattern(CHUNK, 99);
    let append_lost = log.len() < appended
        || log[..appended]
            .chunks(CHUNK)
            .any(|c| c != &chunk[..c.len()]);

    let longest = t.longest.lock().unwrap().clone();
    println!(
        "soak: {} s, 4 writers, 2 readers, 1 appender; a fault every {} s",
        a.seconds, a.every
    );
    println!(
        "  files attempted        {}",
        t.attempts.load(Ordering::Relaxed)
    );
    println!("  files acknowledged     {}", acked.len());
    println!("  lost                   {}", lost.len());
    println!(
        "  appended (fsynced)     {} KiB{}",
        appended >> 10,
        if append_lost {
            "  LOST"
        } else {
            ", all on disk"
        }
    );
    println!(
        "  reads checked          {}",
        t.reads.load(Ordering::Relaxed)
    );
    println!(
        "  corrupt reads          {}",
        t.corrupt.load(Ordering::Relaxed)
    );
    println!("  longest call           {:.2?} ({})", longest.0, longest.1);
    println!("  errors:");
    for (what, n) in t.errors.lock().unwrap().iter() {
        println!("    {what:<28} {n}");
    }
    println!("  faults (at, what, reconnected after):");
    for (what, at, back) in &faults {
        println!("    {at:>8.1?}  {what:<20} {back:.3?}");
    }
    for name in &lost {
        println!("  LOST: {name}");
    }
    drop(c);
    drop(daemon);
    let bad = !lost.is_empty() || append_lost || t.corrupt.load(Ordering::Relaxed) > 0;
    std::process::exit(i32::from(bad));
}
