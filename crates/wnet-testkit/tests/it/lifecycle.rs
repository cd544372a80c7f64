//! Start, restart, drop: the server's life and what it leaves behind.

use std::fs;
use std::time::Instant;

use wnet_testkit::{Samba, free_port};

use crate::show;

/// Pids of the live processes with `needle` in their command line.
fn any_process_mentions(needle: &str) -> Vec<u32> {
    let mut found = Vec::new();
    for entry in fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let cmdline = fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        if String::from_utf8_lossy(&cmdline).contains(needle) && !stat.contains(") Z ") {
            found.push(pid);
        }
    }
    found
}

#[test]
fn restart_keeps_port_and_files_and_serves_again() {
    let mut samba = Samba::start_default();
    let port = samba.port();
    let old_pid = samba.pid();
    fs::write(samba.share_dir("rw").join("kept.txt"), "kept").unwrap();

    let t = Instant::now();
    samba.restart().unwrap();
    eprintln!("restart took {:?}", t.elapsed());

    assert_eq!(samba.port(), port);
    assert_ne!(samba.pid(), old_pid);
    let running = any_process_mentions(&samba.conf().to_string_lossy());
    assert!(running.contains(&samba.pid()), "{running:?}");
    assert!(!running.contains(&old_pid), "{running:?}");
    let out = samba.smbclient("rw", "ls kept.txt");
    assert!(out.status.success(), "{}", show(&out));
    assert_eq!(
        fs::read(samba.share_dir("rw").join("kept.txt")).unwrap(),
        b"kept"
    );
}

#[test]
fn drop_stops_every_process_and_removes_the_directory() {
    let samba = Samba::start_default();
    let conf = samba.conf();
    let root = conf.parent().unwrap().to_path_buf();
    let (user, password) = samba.user();
    // Listing shares goes through samba-dcerpcd, which smbd starts and which detaches from it.
    let out = std::process::Command::new("smbclient")
        .arg("--configfile")
        .arg(&conf)
        .args(["-p", &samba.port().to_string(), "-L", samba.host()])
        .arg("-U")
        .arg(format!("{user}%{password}"))
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", show(&out));
    let listing = String::from_utf8_lossy(&out.stdout);
    assert!(
        listing.contains("rw") && listing.contains("ro"),
        "{}",
        show(&out)
    );
    let needle = root.to_string_lossy().into_owned();
    assert!(any_process_mentions(&needle).len() >= 2, "smbd and helpers");
    let pid = samba.pid();
    let port = samba.port();

    let t = Instant::now();
    drop(samba);
    eprintln!("drop took {:?}", t.elapsed());

    assert_eq!(any_process_mentions(&needle), Vec::<u32>::new());
    assert!(!root.exists(), "{root:?} left behind");
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    assert!(!stat.contains("smbd"), "{stat}");
    std::net::TcpStream::connect(("127.0.0.1", port)).unwrap_err();
}

#[test]
fn parallel_servers_are_independent() {
    let t = Instant::now();
    let servers: Vec<Samba> = (0..4)
        .map(|_| std::thread::spawn(Samba::start_default))
        .collect::<Vec<_>>()
        .into_iter()
        .map(|h| h.join().unwrap())
        .collect();
    eprintln!("4 parallel starts took {:?}", t.elapsed());
    for (i, samba) in servers.iter().enumerate() {
        fs::write(samba.share_dir("rw").join("mine.txt"), i.to_string()).unwrap();
    }
    for (i, samba) in servers.iter().enumerate() {
        let out = samba.smbclient("rw", "ls");
        assert!(out.status.success(), "{}", show(&out));
        assert_eq!(
            fs::read_to_string(samba.share_dir("rw").join("mine.txt")).unwrap(),
            i.to_string()
        );
    }
    let ports: std::collections::HashSet<u16> = servers.iter().map(|s| s.port()).collect();
    assert_eq!(ports.len(), servers.len());
}

#[test]
fn start_time_is_small() {
    let t = Instant::now();
    let samba = Samba::start_default();
    let took = t.elapsed();
    eprintln!("start_default took {took:?}");
    assert!(samba.pid() > 0);
    // Generous bound: the point is to notice a regression to seconds, not to benchmark.
    assert!(took.as_secs() < 10, "{took:?}");
}

#[test]
fn a_taken_port_is_an_error_with_the_log() {
    let listener = std::net::TcpListener::bind(("127.0.0.1", free_port())).unwrap();
    let port = listener.local_addr().unwrap().port();
    let err = wnet_testkit::SambaBuilder::new()
        .user(wnet_testkit::DEFAULT_USER, wnet_testkit::DEFAULT_PASSWORD)
        .port(port)
        .start()
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse, "{err}");
    assert!(err.to_string().contains("open_sockets_smbd"), "{err}");
}
