//! Large transfers, fsync reaching the server's disk, and the throughput of the drive next to
//! `smbclient` on the same Samba.

use crate::drive::{mount_with, pattern, unique};
use std::fs;
use std::io::{Read, Seek, SeekFrom, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use wnet_smb::drive::DriveTimeouts;
use wnet_testkit::{DEFAULT_PASSWORD, DEFAULT_USER, Samba, SambaBuilder, Share};

fn mb_per_s(bytes: usize, d: Duration) -> f64 {
    bytes as f64 / d.as_secs_f64() / 1e6
}

#[test]
fn a_256_mib_file_both_ways_is_byte_identical_and_timed_against_smbclient() {
    const N: usize = 256 << 20;
    let samba = crate::drive::samba();
    let m = mount_with(&samba, "rw", false, DriveTimeouts::default());
    let local = tempfile::tempdir().unwrap();
    let src = local.path().join("src.bin");
    let data = pattern(N, 256);
    fs::write(&src, &data).unwrap();
    let name = unique("big");

    // Into the mount: cp returns after close(), i.e. after the server acknowledged all.
    let t = Instant::now();
    let st = Command::new("cp")
        .arg(&src)
        .arg(m.path(&name))
        .status()
        .unwrap();
    let put = t.elapsed();
    assert!(st.success());
    assert!(
        fs::read(m.disk(&name)).unwrap() == data,
        "written file differs"
    );

    // Out of the mount.
    let t = Instant::now();
    let out = Command::new("cat").arg(m.path(&name)).output().unwrap();
    let get = t.elapsed();
    assert!(out.status.success());
    assert!(out.stdout == data, "read file differs");
    drop(out);

    // The same through smbclient.
    let remote = unique("big-smbclient");
    let t = Instant::now();
    let o = samba.smbclient("rw", &format!("put {} {remote}", src.display()));
    let sput = t.elapsed();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
    let t = Instant::now();
    let o = samba.smbclient("rw", &format!("get {remote} /dev/null"));
    let sget = t.elapsed();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
    assert!(fs::read(m.disk(&remote)).unwrap() == data);

    eprintln!(
        "256 MiB: drive write {:.0} MB/s, read {:.0} MB/s; smbclient put {:.0} MB/s, get {:.0} MB/s",
        mb_per_s(N, put),
        mb_per_s(N, get),
        mb_per_s(N, sput),
        mb_per_s(N, sget)
    );
    fs::remove_file(m.disk(&name)).unwrap();
    fs::remove_file(m.disk(&remote)).unwrap();
}

/// Read-ahead on a share that requires encryption: each chunk stays in the buffer the engine
/// received and decrypted it in (the data after the READ response header), and goes back to
/// the connection's pool when read-ahead moves past it, to carry a later response. A file of
/// 12 chunks and a bit, read whole and then from an odd offset in odd-sized reads that
/// straddle chunks, is the server's byte for byte.
#[test]
fn read_ahead_on_an_encrypted_share_is_byte_identical() {
    let samba = SambaBuilder::new()
        .user(DEFAULT_USER, DEFAULT_PASSWORD)
        .share(
            Share::new("enc")
                .read_only(false)
                .option("smb encrypt", "required"),
        )
        .start()
        .unwrap();
    let m = mount_with(&samba, "enc", false, DriveTimeouts::default());
    let data = pattern((12 << 20) + 12_345, 12);
    fs::write(m.disk("big.bin"), &data).unwrap();
    assert!(fs::read(m.path("big.bin")).unwrap() == data, "whole file");
    let from = (5 << 20) - 7;
    let mut f = fs::File::open(m.path("big.bin")).unwrap();
    f.seek(SeekFrom::Start(from as u64)).unwrap();
    let mut got = Vec::new();
    let mut buf = vec![0u8; 300_001];
    loop {
        let n = f.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
    }
    assert!(got == data[from..], "from an odd offset in odd-sized reads");
}

#[test]
fn many_writers_and_random_reads_stay_consistent() {
    let samba = crate::drive::samba();
    let m = mount_with(&samba, "rw", false, DriveTimeouts::default());
    let name = unique("random");
    let data = pattern(5 << 20, 5);
    fs::write(m.path(&name), &data).unwrap();
    let f = fs::File::open(m.path(&name)).unwrap();
    let mut x = 12345u64;
    for _ in 0..300 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let off = (x >> 20) as usize % data.len();
        let len = ((x >> 8) as usize % 70_000).min(data.len() - off);
        let mut buf = vec![0u8; len];
        std::os::unix::fs::FileExt::read_exact_at(&f, &mut buf, off as u64).unwrap();
        assert!(buf == data[off..off + len], "read at {off}+{len} differs");
    }
    // Interleaved writes at scattered offsets through one handle, then read back.
    let mut want = data.clone();
    let w = fs::OpenOptions::new()
        .write(true)
        .open(m.path(&name))
        .unwrap();
    for i in 0..200u64 {
        let off = ((i * 7919 * 4099) % (want.len() as u64 - 5000)) as usize;
        let chunk = pattern(3000, i + 100);
        std::os::unix::fs::FileExt::write_all_at(&w, &chunk, off as u64).unwrap();
        want[off..off + 3000].copy_from_slice(&chunk);
    }
    drop(w);
    assert!(fs::read(m.disk(&name)).unwrap() == want);
    assert!(fs::read(m.path(&name)).unwrap() == want);
}

/// Lines of `strace` output naming fsync or fdatasync.
fn fsyncs(out: &str) -> usize {
    out.lines()
        .filter(|l| l.contains("fsync(") || l.contains("fdatasync("))
        .count()
}

#[test]
fn fsync_sends_an_smb2_flush_that_reaches_the_servers_disk() {
    // A server of our own: its only client is this drive.
    let samba = Samba::start_default();
    let m = mount_with(&samba, "rw", false, DriveTimeouts::default());
    let name = unique("fsync");
    let mut f = fs::File::create(m.path(&name)).unwrap();
    let pids = samba.client_pids();
    assert!(!pids.is_empty());
    let log = tempfile::NamedTempFile::new().unwrap();
    let mut cmd = Command::new("strace");
    cmd.arg("-f")
        .arg("-e")
        .arg("trace=fsync,fdatasync")
        .arg("-o")
        .arg(log.path());
    for p in &pids {
        cmd.arg("-p").arg(p.to_string());
    }
    let mut strace = cmd.stderr(Stdio::piped()).spawn().unwrap();
    // strace reports each attach on stderr.
    let mut err = std::io::BufReader::new(strace.stderr.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut err, &mut line).unwrap();
    assert!(line.contains("attached"), "{line}");

    f.write_all(&pattern(3 << 20, 3)).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let before = fsyncs(&fs::read_to_string(log.path()).unwrap());
    f.sync_all().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let after = fsyncs(&fs::read_to_string(log.path()).unwrap());
    // SAFETY: signalling our own child.
    unsafe { libc::kill(strace.id() as i32, libc::SIGINT) };
    let _ = strace.wait();
    assert_eq!(before, 0, "writes alone must not fsync on the server");
    assert!(after >= 1, "fsync did not reach smbd's disk");
    assert!(fs::read(m.disk(&name)).unwrap() == pattern(3 << 20, 3));
}

/// A drive, a 4 MiB file made on the server's disk (`pattern(_, seed)`), and a reader of it
/// through the drive that has read its first `read` bytes.
fn file_and_reader(
    prefix: &str,
    seed: u64,
    read: usize,
) -> (crate::drive::Mounted, String, Vec<u8>, fs::File) {
    use std::os::unix::fs::FileExt;
    let samba = crate::drive::samba();
    let m = mount_with(&samba, "rw", false, DriveTimeouts::default());
    let name = unique(prefix);
    let data = pattern(4 << 20, seed);
    fs::write(m.disk(&name), &data).unwrap();
    crate::drive::once_visible(|| fs::metadata(m.path(&name)).ok());
    let r = fs::File::open(m.path(&name)).unwrap();
    let mut head = vec![0u8; read];
    r.read_exact_at(&mut head, 0).unwrap();
    assert!(head == data[..read]);
    (m, name, data, r)
}

#[test]
fn a_write_through_one_descriptor_is_seen_by_read_ahead_of_another() {
    use std::os::unix::fs::FileExt;
    let (m, name, data, r) = file_and_reader("siblings", 11, 128 << 10);
    // Read-ahead now holds the next megabytes; a partial-page write elsewhere must win.
    let w = fs::OpenOptions::new()
        .write(true)
        .open(m.path(&name))
        .unwrap();
    w.write_all_at(b"fresh bytes", (2 << 20) + 10).unwrap();
    drop(w);
    let mut page = vec![0u8; 4096];
    r.read_exact_at(&mut page, 2 << 20).unwrap();
    assert_eq!(&page[10..21], b"fresh bytes");
    assert!(page[..10] == data[2 << 20..(2 << 20) + 10]);
}

#[test]
fn a_write_only_descriptor_bypasses_the_page_cache_and_readers_still_see_its_bytes() {
    // A write-only open is answered FOPEN_DIRECT_IO: its writes are not copied into the
    // kernel's page cache. A reader that has the whole file in the page cache must still see
    // them at once (the kernel drops cached pages of a range before a direct write to it),
    // and the bytes must land on the server whole, misaligned writes included.
    use std::os::unix::fs::FileExt;
    let (m, name, data, r) = file_and_reader("direct", 13, 4 << 20);
    let mut w = fs::OpenOptions::new()
        .write(true)
        .open(m.path(&name))
        .unwrap();
    // Pages the reader holds: one 4 KiB page in the middle, and 1 MiB + 1 from an odd offset
    // (more pages than one FUSE request carries: the kernel splits it).
    w.write_all_at(&[0xAB; 4096], 1 << 20).unwrap();
    let odd = pattern((1 << 20) + 1, 17);
    w.write_all_at(&odd, (2 << 20) + 7).unwrap();
    let mut page = vec![0u8; 4096];
    r.read_exact_at(&mut page, 1 << 20).unwrap();
    assert!(
        page == [0xAB; 4096],
        "a reader's cached page survived a write"
    );
    let mut back = vec![0u8; odd.len()];
    r.read_exact_at(&mut back, (2 << 20) + 7).unwrap();
    assert!(back == odd, "a reader's cached pages survived a write");
    w.flush().unwrap();
    w.sync_all().unwrap();
    drop(w);
    let mut want = data;
    want[1 << 20..(1 << 20) + 4096].fill(0xAB);
    want[(2 << 20) + 7..(2 << 20) + 7 + odd.len()].copy_from_slice(&odd);
    assert!(fs::read(m.disk(&name)).unwrap() == want);
    assert!(fs::read(m.path(&name)).unwrap() == want);
}

/// A new file's create waits for `close()` (it goes whole with the content in one compound,
/// ADR 0006). A `close()` of another descriptor of the file while the writer is still writing
/// (a `dup`, or, in any program that forks, the child's copy closed at `exec`) lands what is
/// buffered: the compound creates the file with the bytes so far and keeps no handle. A write
/// that needed the handle meanwhile had taken the create as still to send, and sent it after
/// the compound: a truncating create (`O_TRUNC`), which wiped the file's first MiB while
/// `close()` returned success. Found by a CI failure (zeros at the start of a 3 MiB file
/// written while another test thread started smbd).
#[test]
fn a_close_of_another_descriptor_mid_write_never_loses_what_the_writer_wrote() {
    use std::os::fd::AsRawFd;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
    let m = crate::drive::mount("rw");
    let dir = unique("dupclose");
    fs::create_dir(m.path(&dir)).unwrap();
    let fd = Arc::new(AtomicI32::new(-1));
    let done = Arc::new(AtomicBool::new(false));
    // Closes copies of whatever descriptor the writer has open, as fast as it can.
    let closer = {
        let (fd, done) = (fd.clone(), done.clone());
        std::thread::spawn(move || {
            let mut closes = 0u64;
            while !done.load(Ordering::Acquire) {
                let f = fd.load(Ordering::Acquire);
                if f >= 0 {
                    // SAFETY: dup of a descriptor number (at worst one just closed: EBADF,
                    // or another file of this test's, whose copy is closed at once).
                    let d = unsafe { libc::dup(f) };
                    if d >= 0 {
                        // SAFETY: our own copy.
                        unsafe { libc::close(d) };
                        closes += 1;
                    }
                } else {
                    std::thread::yield_now();
                }
            }
            closes
        })
    };
    let head = pattern(1000, 21);
    let rest = pattern(2 << 20, 22);
    let mut wrong = Vec::new();
    for i in 0..40 {
        let name = format!("{dir}/f{i}");
        let mut f = fs::File::create(m.path(&name)).unwrap();
        // Buffered, below one chunk: what a close of a copy sends whole with the create.
        f.write_all(&head).unwrap();
        fd.store(f.as_raw_fd(), Ordering::Release);
        // Full chunks: these need the file's handle on the server.
        f.write_all(&rest).unwrap();
        fd.store(-1, Ordering::Release);
        drop(f);
        let disk = fs::read(m.disk(&name)).unwrap();
        if disk.len() != head.len() + rest.len()
            || disk[..1000] != head[..]
            || disk[1000..] != rest[..]
        {
            wrong.push((i, disk.len(), disk.iter().position(|&b| b != 0)));
        }
    }
    done.store(true, Ordering::Release);
    let closes = closer.join().unwrap();
    assert!(closes > 0, "no descriptor copy was ever closed");
    assert!(
        wrong.is_empty(),
        "files wrong on the server after close() succeeded (index, length, first non-zero \
         byte): {wrong:?}; {closes} copies closed"
    );
}

#[test]
fn a_write_the_server_refuses_after_it_was_acknowledged_fails_a_later_call() {
    // Sequential 1 MiB writes are acknowledged once buffered and sent from tasks (up to 8 in
    // flight): a WRITE the server refuses must still reach the program, at a later write,
    // fsync or close, never be lost. Another SMB client's read lock on a byte of the fourth
    // megabyte makes the server refuse the WRITE that covers it.
    use std::os::fd::IntoRawFd;
    let m = crate::drive::mount("rw");
    let name = unique("refused");
    fs::write(m.disk(&name), vec![0u8; 8 << 20]).unwrap();
    crate::drive::once_visible(|| fs::metadata(m.path(&name)).ok().filter(|x| x.len() > 0));
    let (rt, t) = crate::drive::other_client();
    let other = rt
        .block_on(t.create(&name, &wnet_smb2::CreateOptions::read()))
        .unwrap();
    rt.block_on(other.lock((3 << 20) + 5, 1, false, false))
        .unwrap();

    let mut f = fs::OpenOptions::new()
        .write(true)
        .open(m.path(&name))
        .unwrap();
    let block = pattern(1 << 20, 5);
    let mut errors = Vec::new();
    for _ in 0..8 {
        if let Err(e) = f.write_all(&block) {
            errors.push(e.raw_os_error());
            break;
        }
    }
    if errors.is_empty() {
        errors.push(f.sync_all().err().and_then(|e| e.raw_os_error()));
    }
    // close() of a descriptor whose error was reported already: the rest landed or not, but
    // it returns (no hang) and says nothing twice.
    // SAFETY: a descriptor this test owns, closed once.
    let closed = unsafe { libc::close(f.into_raw_fd()) };
    assert_eq!(
        errors,
        vec![Some(libc::EAGAIN)],
        "the refused write must fail a later write or fsync (close: {closed})"
    );
    // The first three megabytes (before the refused chunk) are on the server.
    let disk = fs::read(m.disk(&name)).unwrap();
    assert!(
        disk[..3 << 20]
            .chunks(1 << 20)
            .all(|c| c == block.as_slice())
    );
    rt.block_on(other.close()).unwrap();
}

/// Every program that forks closes its copies of the parent's descriptors at `exec`: each is a
/// FLUSH for the drive, arriving at any moment of the parent's writes. New files of every
/// size class (sent whole at `close()`, sent in chunks, a first chunk that is not full),
/// written in odd-sized calls, then patched in place and appended to, while another thread
/// starts `/bin/true` as fast as it can: every byte on the server and read back as written.
#[test]
fn files_written_while_the_process_forks_are_whole_on_the_server() {
    let m = crate::drive::mount("rw");
    let dir = unique("forks");
    fs::create_dir(m.path(&dir)).unwrap();
    let sizes = [
        1,
        4096,
        100_000,
        1_044_864,
        1 << 20,
        (1 << 20) + 1,
        2_500_000,
        3 << 20,
    ];
    let r = wnet_testkit::workloads::write_while_forking(&m.mnt, &m.disk(""), &dir, &sizes, 4);
    assert!(r.forks > 0, "no process was started meanwhile");
    assert!(r.wrong.is_empty(), "(round, size, what) wrong: {r:?}");
}

/// Writes through a read-write descriptor go through the kernel's page cache, and each asks
/// whether the file's privileges must go (`security.capability`). Since the drive answers
/// extended attributes "not supported" (ADR 0022), each such question is a GETXATTR: the
/// kernel must leave privileges to the drive (KILLPRIV_V2) and ask once per inode, not once
/// per `write()`.
#[test]
fn writes_through_a_read_write_descriptor_ask_no_extended_attribute_each() {
    use std::os::unix::fs::FileExt;
    use wnet_drive::stats::{Op, request_counts};
    let m = crate::drive::mount("rw");
    let name = unique("rwxattr");
    fs::write(m.path(&name), vec![0u8; 1 << 20]).unwrap();
    let f = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(m.path(&name))
        .unwrap();
    let count = |op: Op| {
        request_counts()
            .into_iter()
            .find(|(o, _, _)| *o == op)
            .map_or(0, |(_, n, _)| n)
    };
    let (xattrs, writes) = (count(Op::Getxattr), count(Op::Write));
    for i in 0..2000u64 {
        f.write_all_at(&[7u8; 4096], (i % 256) * 4096).unwrap();
    }
    let (xattrs, writes) = (count(Op::Getxattr) - xattrs, count(Op::Write) - writes);
    assert!(writes >= 2000, "{writes} WRITEs for 2000 write() calls");
    // Counters are the process's: other tests running meanwhile ask a few of their own.
    assert!(
        xattrs < 50,
        "{xattrs} GETXATTRs for 2000 write() calls through one descriptor"
    );
    drop(f);
    let disk = fs::read(m.disk(&name)).unwrap();
    assert!(disk[..256 * 4096].iter().all(|&b| b == 7));
}
