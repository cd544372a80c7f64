//! The small-file paths: a read-only open of a small file reads it whole in one round trip
//! (no server handle kept), and a small write is on the server when `close()` returns.

use crate::drive::{
    Mounted, logging_every_request, mount, once_visible, other_client, pattern, unique,
};
use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::os::unix::io::AsRawFd;
use std::time::{Duration, Instant};
use wnet_smb::drive::readahead::CHUNK;
use wnet_smb2::{CreateOptions, NtStatus, Tree};

/// Files up to this size are read whole at open.
const SMALL: usize = CHUNK as usize;

/// Whether another client can open `name` with no sharing at all: only if nobody holds a
/// server handle on it.
pub fn opens_exclusively(rt: &tokio::runtime::Runtime, t: &Tree, name: &str) -> bool {
    rt.block_on(async {
        let opts = CreateOptions {
            share_access: 0,
            ..CreateOptions::read()
        };
        match t.create(name, &opts).await {
            Ok(f) => {
                f.close().await.unwrap();
                true
            }
            Err(e) => {
                assert_eq!(e.status(), Some(NtStatus::SHARING_VIOLATION), "{e}");
                false
            }
        }
    })
}

#[test]
fn small_files_read_whole_at_open_match_the_server_bytes_and_hold_no_server_handle() {
    let m = mount("rw");
    let (rt, t) = other_client();
    for (i, n) in [0, 1, 4095, 4096, 4097, SMALL - 1, SMALL, SMALL + 1]
        .into_iter()
        .enumerate()
    {
        let name = unique("small");
        let data = pattern(n, 100 + i as u64);
        put_on_server(&m, &name, &data);
        // The open's lookup finds the size; the open reads the whole file if it is small.
        let mut f = fs::File::open(m.path(&name)).unwrap();
        assert_eq!(
            opens_exclusively(&rt, &t, &name),
            n <= SMALL,
            "size {n}: a server handle is held iff the file is not small"
        );
        let mut got = Vec::new();
        f.read_to_end(&mut got).unwrap();
        assert!(got == data, "size {n}: read {} bytes, differ", got.len());
        // Reads anywhere, past the end too.
        let mut buf = vec![0u8; 10];
        let at = (n / 2) as u64;
        let k = f.read_at(&mut buf, at).unwrap();
        assert_eq!(&buf[..k], &data[n / 2..(n / 2 + 10).min(n)], "size {n}");
        assert_eq!(f.read_at(&mut buf, n as u64 + 5).unwrap(), 0, "size {n}");
        drop(f);
        fs::remove_file(m.disk(&name)).unwrap();
    }
}

/// How many of the first `pages` pages of `f` the kernel's page cache holds now (`mincore`
/// of a shared mapping: asks nothing of the file system, reads nothing in).
fn pages_cached(f: &fs::File, pages: usize) -> usize {
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize;
    let len = pages * page;
    // SAFETY: a fresh read-only shared mapping of a file we hold, unmapped below; mincore
    // writes one byte per page into a vector of that many bytes.
    unsafe {
        let at = libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ,
            libc::MAP_SHARED,
            f.as_raw_fd(),
            0,
        );
        assert_ne!(at, libc::MAP_FAILED, "{}", std::io::Error::last_os_error());
        let mut vec = vec![0u8; pages];
        let r = libc::mincore(at, len, vec.as_mut_ptr());
        let err = std::io::Error::last_os_error();
        libc::munmap(at, len);
        assert_eq!(r, 0, "mincore: {err}");
        vec.iter().filter(|&&b| b & 1 == 1).count()
    }
}

#[test]
fn a_small_files_bytes_are_in_the_kernels_cache_when_its_open_returns() {
    let m = mount("rw");
    let mut made = Vec::new();
    for n in [1, 4096, 10_000, SMALL] {
        let name = unique("stored");
        made.push(name.clone());
        let data = pattern(n, 40 + n as u64);
        put_on_server(&m, &name, &data);
        let f = fs::File::open(m.path(&name)).unwrap();
        // Handed to the kernel with the open (FUSE_NOTIFY_STORE): no READ will ask for them.
        let pages = n.div_ceil(4096);
        assert_eq!(pages_cached(&f, pages), pages, "size {n}");
        let mut got = Vec::new();
        (&f).read_to_end(&mut got).unwrap();
        assert!(got == data, "size {n}: read {} bytes, differ", got.len());
        drop(f);
        // Changed on the server (same size, other bytes): the next open stores the new ones
        // over the kernel's old pages.
        let changed = pattern(n, 90 + n as u64);
        fs::write(m.disk(&name), &changed).unwrap();
        assert!(fs::read(m.path(&name)).unwrap() == changed, "size {n}");
        // Shorter: the kernel forgets the pages past the new end.
        fs::write(m.disk(&name), &changed[..n / 2]).unwrap();
        let f = fs::File::open(m.path(&name)).unwrap();
        assert_eq!(f.metadata().unwrap().len(), (n / 2) as u64, "size {n}");
        let mut got = Vec::new();
        (&f).read_to_end(&mut got).unwrap();
        assert!(
            got == changed[..n / 2],
            "size {n}: shrunk, read {}",
            got.len()
        );
    }
    for name in made {
        fs::remove_file(m.disk(&name)).unwrap();
    }
}

#[test]
fn a_small_file_that_grew_after_the_lookup_reads_fully() {
    let m = mount("rw");
    for grown in [3000, 300 << 10, 3 << 20] {
        let name = unique("grown");
        put_on_server(&m, &name, b"short");
        // Lookup (the drive learns "5 bytes"), then the file grows on the server.
        assert_eq!(fs::metadata(m.path(&name)).unwrap().len(), 5);
        let data = pattern(grown, 7);
        fs::write(m.disk(&name), &data).unwrap();
        // O_DIRECT: the kernel asks the drive for everything instead of stopping at the size
        // its lookup saw, so this reads what the drive's open got.
        let f = fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_DIRECT)
            .open(m.path(&name))
            .unwrap();
        let mut got = vec![0u8; grown + 4096];
        let mut n = 0;
        loop {
            let k = f.read_at(&mut got[n..], n as u64).unwrap();
            if k == 0 {
                break;
            }
            n += k;
        }
        assert_eq!(n, grown, "grew to {grown}");
        assert!(got[..n] == data[..], "grew to {grown}: bytes differ");
        drop(f);
        // And a plain read once the kernel knows the new size.
        std::thread::sleep(Duration::from_millis(1100));
        assert!(fs::read(m.path(&name)).unwrap() == data, "grew to {grown}");
        fs::remove_file(m.disk(&name)).unwrap();
    }
}

fn flock(f: &fs::File, op: i32) -> std::io::Result<()> {
    // SAFETY: flock on a descriptor we own.
    if unsafe { libc::flock(f.as_raw_fd(), op) } == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Whether another client's exclusive lock on the first byte of `name` is refused.
fn locked_for_others(rt: &tokio::runtime::Runtime, t: &Tree, name: &str) -> bool {
    rt.block_on(async {
        let f = t.create(name, &CreateOptions::read()).await.unwrap();
        let r = f.lock(0, 1, true, false).await;
        if r.is_ok() {
            f.unlock(0, 1).await.unwrap();
        }
        f.close().await.unwrap();
        match r {
            Ok(()) => false,
            Err(e) => {
                let s = e.status();
                assert!(
                    matches!(
                        s,
                        Some(NtStatus::LOCK_NOT_GRANTED | NtStatus::FILE_LOCK_CONFLICT)
                    ),
                    "{s:?}"
                );
                true
            }
        }
    })
}

#[test]
fn flock_on_a_small_read_only_open_is_a_lock_other_clients_see() {
    let m = mount("rw");
    let (rt, t) = other_client();
    let name = unique("smallflock");
    put_on_server(&m, &name, b"tiny");
    let f = fs::File::open(m.path(&name)).unwrap();
    assert!(
        opens_exclusively(&rt, &t, &name),
        "opened without a server handle"
    );
    assert!(!locked_for_others(&rt, &t, &name));
    flock(&f, libc::LOCK_EX | libc::LOCK_NB).unwrap();
    assert!(locked_for_others(&rt, &t, &name));
    // Still reads (from what the open read).
    let mut buf = [0u8; 4];
    assert_eq!(f.read_at(&mut buf, 0).unwrap(), 4);
    assert_eq!(&buf, b"tiny");
    // A second open file description on the drive conflicts as well.
    let g = fs::File::open(m.path(&name)).unwrap();
    let e = flock(&g, libc::LOCK_SH | libc::LOCK_NB).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::EWOULDBLOCK));
    drop(g);
    flock(&f, libc::LOCK_UN).unwrap();
    assert!(!locked_for_others(&rt, &t, &name));
    // Closing the descriptor releases a lock it holds.
    flock(&f, libc::LOCK_SH | libc::LOCK_NB).unwrap();
    assert!(locked_for_others(&rt, &t, &name));
    drop(f);
    let until = Instant::now() + Duration::from_secs(5);
    while locked_for_others(&rt, &t, &name) {
        assert!(
            Instant::now() < until,
            "lock not released with the descriptor"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_small_file_another_client_has_locked_still_opens_and_its_flock_conflicts() {
    let m = mount("rw");
    let (rt, t) = other_client();
    let name = unique("lockedbyother");
    put_on_server(&m, &name, b"guarded");
    let held = rt.block_on(async {
        let f = t.create(&name, &CreateOptions::read()).await.unwrap();
        f.lock(0, u64::MAX, true, false).await.unwrap();
        f
    });
    // The whole-file read at open is refused by the lock; the open itself is not.
    let f = fs::File::open(m.path(&name)).unwrap();
    let e = flock(&f, libc::LOCK_SH | libc::LOCK_NB).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::EWOULDBLOCK));
    rt.block_on(held.close()).unwrap();
    flock(&f, libc::LOCK_SH | libc::LOCK_NB).unwrap();
    // The read the other client's lock refused at open is asked again now.
    let mut s = String::new();
    (&f).read_to_string(&mut s).unwrap();
    assert_eq!(s, "guarded");
}

#[test]
fn a_write_through_another_descriptor_is_seen_by_a_small_read_only_open() {
    let m = mount("rw");
    let name = unique("seen");
    put_on_server(&m, &name, b"aaaaaaaa");
    let r = fs::File::open(m.path(&name)).unwrap();
    let mut w = fs::OpenOptions::new()
        .write(true)
        .open(m.path(&name))
        .unwrap();
    w.write_all(b"bbbb").unwrap();
    drop(w);
    // O_DIRECT is not needed: the kernel's pages were dropped by the write; this read comes
    // to the drive on `r`'s handle, whose snapshot the write made stale.
    let mut buf = [0u8; 8];
    assert_eq!(r.read_at(&mut buf, 0).unwrap(), 8);
    assert_eq!(&buf, b"bbbbaaaa");
}

#[test]
fn a_small_write_is_on_the_server_the_moment_close_returns() {
    let m = mount("rw");
    for (i, n) in [0, 1, 4096, 100_000, SMALL + 3].into_iter().enumerate() {
        let data = pattern(n, 40 + i as u64);
        // A new file (create), then an existing one rewritten (open for writing).
        let name = unique("written");
        fs::write(m.path(&name), &data).unwrap();
        assert!(fs::read(m.disk(&name)).unwrap() == data, "new, size {n}");
        let again = pattern(n, 90 + i as u64);
        let mut f = fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(m.path(&name))
            .unwrap();
        f.write_all(&again).unwrap();
        drop(f);
        assert!(
            fs::read(m.disk(&name)).unwrap() == again,
            "rewritten, size {n}"
        );
        // And through the drive, with the size the drive reports.
        assert_eq!(fs::metadata(m.path(&name)).unwrap().len(), n as u64);
        assert!(
            fs::read(m.path(&name)).unwrap() == again,
            "read back, size {n}"
        );
    }
}

#[test]
fn a_small_read_only_open_counts_as_open_with_its_pid_until_closed() {
    let m = mount("rw");
    let name = unique("counted");
    put_on_server(&m, &name, b"held open");
    let (rt, t) = other_client();
    let f = fs::File::open(m.path(&name)).unwrap();
    assert!(opens_exclusively(&rt, &t, &name), "the small-file path");
    let drive = m.drive();
    assert_eq!(drive.handles().open_count(), 1);
    let h = drive.handles().holders();
    assert_eq!(h.len(), 1);
    assert_eq!(h[0].pid, std::process::id());
    assert_eq!(h[0].path, name);
    assert!(!h[0].is_dir);
    drop(f);
    assert_eq!(drive.settle(Duration::from_secs(2)), 0);
}

#[test]
fn a_file_being_created_counts_as_open_with_its_pid_until_closed() {
    let m = mount("rw");
    let name = unique("created-counted");
    let f = fs::File::create(m.path(&name)).unwrap();
    // Answered without the server (its create goes with the content at close()) and
    // counted for cancel all the same, under this process, not this test's thread.
    assert!(!m.disk(&name).exists(), "the create waits for close()");
    let drive = m.drive();
    let h = drive.handles().holders();
    assert_eq!(h.len(), 1);
    assert_eq!(h[0].pid, std::process::id());
    assert_eq!(h[0].path, name);
    drop(f);
    assert_eq!(drive.settle(Duration::from_secs(2)), 0);
    assert_eq!(fs::read(m.disk(&name)).unwrap(), b"");
}

#[test]
fn fsync_on_a_small_read_only_open_succeeds() {
    let m = mount("rw");
    let name = unique("fsyncro");
    put_on_server(&m, &name, b"x");
    let f = fs::File::open(m.path(&name)).unwrap();
    f.sync_all().unwrap();
    let mut s = String::new();
    (&f).read_to_string(&mut s).unwrap();
    assert_eq!(s, "x");
}

#[test]
fn a_small_write_the_server_refuses_fails_close() {
    use std::os::unix::io::IntoRawFd;
    let m = mount("rw");
    let (rt, t) = other_client();
    let name = unique("refused");
    put_on_server(&m, &name, b"original");
    let held = rt.block_on(async {
        let f = t.create(&name, &CreateOptions::read()).await.unwrap();
        f.lock(0, u64::MAX, true, false).await.unwrap();
        f
    });
    let mut f = fs::OpenOptions::new()
        .write(true)
        .open(m.path(&name))
        .unwrap();
    // Buffered: accepted at once.
    f.write_all(b"changed").unwrap();
    // close() is where the write reaches the server, and where its refusal is reported.
    let fd = f.into_raw_fd();
    // SAFETY: closing the descriptor we own, once.
    let r = unsafe { libc::close(fd) };
    assert_eq!(r, -1, "close() reported success for a refused write");
    rt.block_on(held.close()).unwrap();
    assert_eq!(fs::read(m.disk(&name)).unwrap(), b"original");
}

/// What the server received, from `log` (`log level = 1 smb2:10`) from one byte on.
#[derive(Debug)]
struct Traffic {
    /// Compound frames of the operations: round trips a program waited for.
    ops: usize,
    /// The requests in those frames.
    op_requests: usize,
    /// SET_INFO requests (a rename's or a delete's; watches send none), counted one by one:
    /// a frame's lines can be split by the log lines of another frame read meanwhile.
    set_infos: usize,
    /// Frames of the directory watches, which run beside the program: a notify, a listing's
    /// create, queries and close (each a frame of its own). How many depends on the machine's
    /// load (how changes fall into notifications), so they are bounded loosely.
    watch: usize,
    /// Where the log ended: the next reading's start.
    end: usize,
}

/// The traffic in `log` from byte `from` on. Every request of an operation that returned is
/// in the log already (smbd logs a request when it dispatches it, before it answers); the
/// watches' frames may still be coming, and are counted as far as they came.
fn server_traffic(log: &std::path::Path, from: usize) -> Traffic {
    let text = fs::read(log).unwrap();
    let t = String::from_utf8_lossy(&text[from..]).into_owned();
    let mut traffic = Traffic {
        ops: 0,
        op_requests: 0,
        set_infos: t.matches("opcode[SMB2_OP_SETINFO]").count(),
        watch: 0,
        end: text.len(),
    };
    for frame in t.split("(smbd_smb2_io_handler)").skip(1) {
        let requests = frame.matches("smbd_smb2_request_dispatch: opcode[").count();
        let watching = frame.contains("opcode[SMB2_OP_NOTIFY]")
            || frame.contains("opcode[SMB2_OP_QUERY_DIRECTORY]");
        if requests >= 2 && !watching {
            traffic.ops += 1;
            traffic.op_requests += requests;
        } else {
            traffic.watch += 1;
        }
    }
    traffic
}

#[test]
fn reading_a_small_file_costs_one_round_trip_and_writing_one() {
    const N: usize = 20;
    let (samba, m) = logging_every_request();
    fs::create_dir(m.path("d")).unwrap();
    let data = pattern(4096, 1);
    for i in 0..N {
        put_on_server(&m, format!("d/r{i}"), &data);
    }
    let log = samba.log_dir().join("smbd.log");
    let at = server_traffic(&log, 0).end;
    // The lookup is answered from the watched directory's listing; open+read+close is one
    // compound.
    for i in 0..N {
        assert!(fs::read(m.path(&format!("d/r{i}"))).unwrap() == data);
    }
    let t = server_traffic(&log, at);
    eprintln!("reading {N} small files: {t:?}");
    assert!(t.ops > 0 && t.ops <= N + 2, "{t:?}");
    assert!(t.op_requests <= 3 * N + 6, "{t:?}");
    assert!(t.watch <= 10 * N, "a storm of watch traffic: {t:?}");
    // One compound at close(): create + write + close, and a query of the directory through
    // its watch's open handle, as the create changed its times (the kernel asks for them
    // again for its permission check on the next path walk, answered from what the
    // compound brought). The lookup of the new name is answered from the watched
    // directory's listing.
    for i in 0..N {
        fs::write(m.path(&format!("d/w{i}")), &data).unwrap();
    }
    let t = server_traffic(&log, t.end);
    eprintln!("writing {N} small files: {t:?}");
    assert!(t.ops > 0 && t.ops <= N + 2, "{t:?}");
    assert!(t.op_requests <= 4 * N + 6, "{t:?}");
    assert!(t.watch <= 10 * N, "a storm of watch traffic: {t:?}");
}

#[test]
fn renaming_and_deleting_a_file_cost_one_round_trip_each() {
    const N: usize = 20;
    let (samba, m) = logging_every_request();
    fs::create_dir(m.path("d")).unwrap();
    for i in 0..N {
        fs::write(m.path(&format!("d/f{i}")), b"x").unwrap();
    }
    let log = samba.log_dir().join("smbd.log");
    let at = server_traffic(&log, 0).end;
    // Each is one compound (create + set-info + close) that also brings the directory's new
    // times (a query of its watch's open handle), which the kernel asks for before the next
    // path walk.
    for i in 0..N {
        fs::rename(m.path(&format!("d/f{i}")), m.path(&format!("d/g{i}"))).unwrap();
    }
    for i in 0..N {
        fs::remove_file(m.path(&format!("d/g{i}"))).unwrap();
    }
    let t = server_traffic(&log, at);
    eprintln!("renaming and deleting {N} files: {t:?}");
    // Exactly one SET_INFO per rename and per delete, each in a compound of at most 4
    // requests. Other compounds are the kernel's own questions (a lookup or attributes
    // asked again when a slow run outlived what it was told, 3 requests each): allowed,
    // but not one per file.
    assert_eq!(t.set_infos, 2 * N, "{t:?}");
    let asked = N / 2 + 2;
    assert!(t.ops > 0 && t.ops <= 2 * N + asked, "{t:?}");
    assert!(t.op_requests <= 8 * N + 3 * asked, "{t:?}");
    assert!(t.watch <= 10 * N, "a storm of watch traffic: {t:?}");
    assert_eq!(fs::read_dir(m.disk("d")).unwrap().count(), 0);
}

/// Writes `data` as `rel` on the server's disk (someone else's change) and waits until the
/// drive shows it, which the freshness contract bounds to 1 s.
fn put_on_server(m: &Mounted, rel: impl AsRef<str>, data: impl AsRef<[u8]>) {
    let (rel, data) = (rel.as_ref(), data.as_ref());
    fs::write(m.disk(rel), data).unwrap();
    once_visible(|| {
        let len = fs::metadata(m.path(rel)).ok()?.len();
        (len == data.len() as u64).then_some(())
    });
}

#[test]
fn a_new_file_shows_on_the_drive_while_written_and_on_the_server_when_close_returns() {
    let m = mount("rw");
    let dir = unique("creating");
    fs::create_dir(m.path(&dir)).unwrap();
    let name = format!("{dir}/new");
    let mut f = fs::File::create(m.path(&name)).unwrap();
    f.write_all(b"hello").unwrap();
    // Through the drive it is there, with what was written so far, and listed.
    assert_eq!(fs::metadata(m.path(&name)).unwrap().len(), 5);
    let listed: Vec<_> = fs::read_dir(m.path(&dir))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(listed, vec![std::ffi::OsString::from("new")]);
    f.write_all(b" world").unwrap();
    drop(f);
    assert_eq!(fs::read(m.disk(&name)).unwrap(), b"hello world");
    assert_eq!(fs::metadata(m.path(&name)).unwrap().len(), 11);
    assert_eq!(fs::read(m.path(&name)).unwrap(), b"hello world");
}

#[test]
fn a_file_being_created_can_be_fsynced_truncated_renamed_and_unlinked_before_close() {
    let m = mount("rw");
    // fsync: on the server before close().
    let a = unique("fsynced");
    let mut f = fs::File::create(m.path(&a)).unwrap();
    f.write_all(b"durable").unwrap();
    f.sync_all().unwrap();
    assert_eq!(fs::read(m.disk(&a)).unwrap(), b"durable");
    drop(f);
    // ftruncate through the descriptor.
    let t = unique("truncated");
    let mut f = fs::File::create(m.path(&t)).unwrap();
    f.write_all(b"0123456789").unwrap();
    f.set_len(4).unwrap();
    drop(f);
    assert_eq!(fs::read(m.disk(&t)).unwrap(), b"0123");
    // Renamed while open: the content is under the new name.
    let (from, to) = (unique("renamedfrom"), unique("renamedto"));
    let mut f = fs::File::create(m.path(&from)).unwrap();
    f.write_all(b"moved").unwrap();
    fs::rename(m.path(&from), m.path(&to)).unwrap();
    f.write_all(b" on").unwrap();
    drop(f);
    assert_eq!(fs::read(m.disk(&to)).unwrap(), b"moved on");
    assert!(!m.disk(&from).exists());
    // Its directory is not empty.
    let d = unique("notempty");
    fs::create_dir(m.path(&d)).unwrap();
    let f = fs::File::create(m.path(&format!("{d}/y"))).unwrap();
    let e = fs::remove_dir(m.path(&d)).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::ENOTEMPTY), "{e}");
    drop(f);
    // Unlinked while open: gone once closed, still written through the descriptor.
    let u = unique("unlinked");
    let mut f = fs::File::create(m.path(&u)).unwrap();
    f.write_all(b"gone").unwrap();
    fs::remove_file(m.path(&u)).unwrap();
    f.write_all(b" soon").unwrap();
    drop(f);
    let until = Instant::now() + Duration::from_secs(5);
    while m.disk(&u).exists() {
        assert!(
            Instant::now() < until,
            "the unlinked file stayed on the server"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // Opened again while being written: there on the server from then on.
    let o = unique("reopened");
    let mut f = fs::File::create(m.path(&o)).unwrap();
    let g = fs::File::open(m.path(&o)).unwrap();
    assert!(m.disk(&o).exists());
    f.write_all(b"shared").unwrap();
    drop(f);
    assert_eq!(fs::read(m.disk(&o)).unwrap(), b"shared");
    drop(g);
}

#[test]
fn a_new_file_the_server_refuses_fails_close() {
    use std::os::unix::io::IntoRawFd;
    let m = mount("rw");
    let d = unique("vanishing");
    fs::create_dir(m.path(&d)).unwrap();
    let mut f = fs::File::create(m.path(&format!("{d}/x"))).unwrap();
    // The create waits for close(): meanwhile someone removes the directory on the server.
    fs::remove_dir(m.disk(&d)).unwrap();
    f.write_all(b"nowhere to go").unwrap();
    let fd = f.into_raw_fd();
    // SAFETY: closing the descriptor we own, once.
    let r = unsafe { libc::close(fd) };
    let e = std::io::Error::last_os_error();
    assert_eq!(
        r, -1,
        "close() reported success for a file the server never had"
    );
    assert_eq!(e.raw_os_error(), Some(libc::ENOENT), "{e}");
}

#[test]
fn an_exclusive_create_is_on_the_server_when_open_returns() {
    let m = mount("rw");
    let name = unique("exclusive");
    // O_EXCL: the collision with another client's file must be open()'s error, so the
    // create is not deferred to close().
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(m.path(&name))
        .unwrap();
    assert!(m.disk(&name).exists(), "not created at open()");
    f.write_all(b"mine").unwrap();
    drop(f);
    assert_eq!(fs::read(m.disk(&name)).unwrap(), b"mine");
    let e = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(m.path(&name))
        .unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::EEXIST), "{e}");
}
