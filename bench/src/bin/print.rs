//! `print`: a print job through the printer port vs `smbclient print`.
//!
//! One private Samba with a print share (test kit, `Share::printer`), `LPT1:` connected to it
//! through the daemon. Per round, interleaved: write `--size-mib` MiB (default 64) to the port
//! file in 1 MiB writes and close it (the time `close()` returns: every byte is on the server),
//! then wait until the job is printed (the server's print command has copied it); then
//! `smbclient -c 'print FILE'` of the same file until printed. Median of `--rounds`, after one
//! unmeasured job (the server starts its spoolss worker at the first job).

use std::io::Write;
use std::time::{Duration, Instant};

use wnet_bench::clients::add;
use wnet_bench::peers::{args, median, smbclient, write_big_file};
use wnet_proto::{Client, Paths};
use wnet_testkit::{PRINTER, Samba};

/// Waits until one job is printed and removes it (the next round starts empty).
fn printed(samba: &Samba, size: u64) {
    let jobs = samba.wait_printed(PRINTER, 1, Duration::from_secs(600));
    assert!(
        jobs.len() == 1 && jobs[0].len() as u64 == size,
        "one whole job"
    );
    for e in std::fs::read_dir(samba.printed_dir(PRINTER)).unwrap() {
        std::fs::remove_file(e.unwrap().path()).unwrap();
    }
}

fn mbps(size: u64, d: Duration) -> String {
    format!("{:.1} MB/s", size as f64 / 1e6 / d.as_secs_f64())
}

fn main() {
    let a = args();
    let size_mib = if std::env::args().any(|x| x == "--size-mib") {
        a.size_mib
    } else {
        64
    };
    let size = size_mib << 20;
    let samba = Samba::start_with_printer();
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::under(dir.path());
    let _daemon = wnetd::BackgroundDaemon::start(paths.clone()).expect("a daemon");
    let mut c = Client::connect_to(&paths.socket, "bench").unwrap();
    add(&mut c, "LPT1:", &samba.unc(PRINTER), 2);
    let port = paths.drive_root.join("LPT1");
    let src = dir.path().join("document.bin");
    write_big_file(&src, size).unwrap();
    let data = std::fs::read(&src).unwrap();

    // The server starts its spoolss worker at the first job (seconds): not what is measured.
    std::fs::write(&port, b"warm-up").unwrap();
    printed(&samba, 7);

    let (mut closed, mut port_printed, mut client_printed) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..a.rounds {
        let t = Instant::now();
        let mut job = std::fs::OpenOptions::new().write(true).open(&port).unwrap();
        for block in data.chunks(1 << 20) {
            job.write_all(block).unwrap();
        }
        drop(job);
        closed.push(t.elapsed());
        printed(&samba, size);
        port_printed.push(t.elapsed());

        let t = Instant::now();
        smbclient(&samba, PRINTER, &format!("print {}", src.display()));
        printed(&samba, size);
        client_printed.push(t.elapsed());
    }
    println!("print job of {size_mib} MiB, median of {} rounds", a.rounds);
    let row = |what: &str, d: Duration| {
        println!(
            "{what:<36} {:>10.3} s  {:>12}",
            d.as_secs_f64(),
            mbps(size, d)
        );
    };
    row("port: open, write, close()", median(&closed));
    row("port: until printed", median(&port_printed));
    row("smbclient print: until printed", median(&client_printed));
}
