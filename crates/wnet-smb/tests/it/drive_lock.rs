//! `flock` and POSIX `fcntl` locks on the drive are SMB2 locks on the server: other SMB
//! clients see them, and theirs are seen on the drive.

use crate::drive::{mount, other_client, unique};
use std::fs;
use std::io::BufRead;
use std::os::fd::AsRawFd;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;
use wnet_smb2::{CreateOptions, NtStatus};

/// Kills and reaps a child when dropped (also when the test fails).
struct Reaped(std::process::Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A process that opens `path`, flocks it (`-x`/`-s`) on that descriptor, says "locked" and
/// sleeps: killing it releases the lock (no child keeps the descriptor).
fn hold(path: &std::path::Path, kind: &str) -> std::process::Child {
    Command::new("sh")
        .arg("-c")
        .arg("exec 9<>\"$1\" && flock \"$2\" 9 && echo locked && exec sleep 30")
        .arg("sh")
        .arg(path)
        .arg(kind)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap()
}

fn flock_now(args: &[&str], path: &std::path::Path) -> bool {
    Command::new("flock")
        .args(args)
        .arg(path)
        .arg("true")
        .status()
        .unwrap()
        .success()
}

#[test]
fn flock_is_an_smb2_lock_other_clients_see() {
    let m = mount("rw");
    let name = unique("flock");
    fs::write(m.path(&name), b"locked data").unwrap();
    let path = m.path(&name);

    let holder = hold(&path, "-x");
    let mut holder = Reaped(holder);
    let mut line = String::new();
    std::io::BufReader::new(holder.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line, "locked\n");

    // Another open file description on the same drive: refused at once.
    assert!(!flock_now(&["-n", "-x"], &path));
    assert!(!flock_now(&["-n", "-s"], &path));

    // Another SMB client: the range is locked on the server.
    let (rt, t) = other_client();
    let status = rt.block_on(async {
        let f = t.create(&name, &CreateOptions::read()).await.unwrap();
        let r = f.lock(0, 1, true, false).await;
        let _ = f.close().await;
        r.unwrap_err().status()
    });
    assert!(
        matches!(
            status,
            Some(NtStatus::LOCK_NOT_GRANTED | NtStatus::FILE_LOCK_CONFLICT)
        ),
        "{status:?}"
    );

    // Released with its holder.
    drop(holder);
    assert!(flock_now(&["-w", "5", "-x"], &path));
    // Shared locks share.
    let shared = hold(&path, "-s");
    let mut shared = Reaped(shared);
    let mut line = String::new();
    std::io::BufReader::new(shared.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line, "locked\n");
    assert!(flock_now(&["-n", "-s"], &path));
    assert!(!flock_now(&["-n", "-x"], &path));
}

#[test]
fn a_process_waiting_for_a_flock_can_be_killed() {
    let m = mount("rw");
    let name = unique("flockwait");
    fs::write(m.path(&name), b"x").unwrap();
    let path = m.path(&name);
    let mut holder = Reaped(hold(&path, "-x"));
    let mut line = String::new();
    std::io::BufReader::new(holder.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line, "locked\n");
    for sig in [libc::SIGTERM, libc::SIGKILL] {
        let waiter = Command::new("flock")
            .arg("-x")
            .arg(&path)
            .arg("true")
            .spawn()
            .unwrap();
        let mut waiter = Reaped(waiter);
        std::thread::sleep(std::time::Duration::from_millis(300));
        assert!(waiter.0.try_wait().unwrap().is_none(), "not waiting");
        // SAFETY: signalling our own child.
        unsafe { libc::kill(waiter.0.id() as i32, sig) };
        let t = std::time::Instant::now();
        loop {
            if waiter.0.try_wait().unwrap().is_some() {
                break;
            }
            assert!(
                t.elapsed() < std::time::Duration::from_secs(2),
                "signal {sig}: waiter hangs"
            );
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }
    // The holder still holds it.
    assert!(!flock_now(&["-n", "-x"], &path));
}

/// Another SMB client of the rw share, with `name` open: the engine on its own session.
struct Other {
    rt: tokio::runtime::Runtime,
    file: wnet_smb2::File,
}

impl Other {
    fn open(name: &str) -> Other {
        let (rt, t) = other_client();
        let file = rt.block_on(t.create(name, &CreateOptions::read())).unwrap();
        Other { rt, file }
    }

    /// Takes the lock (fail-immediately); whether the server granted it. A refusal must be a
    /// lock conflict.
    fn lock(&self, offset: u64, length: u64, exclusive: bool) -> bool {
        match self
            .rt
            .block_on(self.file.lock(offset, length, exclusive, false))
        {
            Ok(()) => true,
            Err(e) => {
                let status = e.status();
                assert!(
                    matches!(
                        status,
                        Some(NtStatus::LOCK_NOT_GRANTED | NtStatus::FILE_LOCK_CONFLICT)
                    ),
                    "{e}"
                );
                false
            }
        }
    }

    fn unlock(&self, offset: u64, length: u64) {
        self.rt.block_on(self.file.unlock(offset, length)).unwrap();
    }

    /// Whether the server would grant the lock now (taken and released at once).
    fn can_lock(&self, offset: u64, length: u64, exclusive: bool) -> bool {
        let ok = self.lock(offset, length, exclusive);
        if ok {
            self.unlock(offset, length);
        }
        ok
    }
}

/// `fcntl` on a descriptor of this (test) process: `cmd` with `typ` on `start` and `len`
/// bytes (0: to end of file). Returns the errno on failure, and the `flock` as answered.
fn fcntl_lock(f: &fs::File, cmd: i32, typ: i32, start: i64, len: i64) -> Result<libc::flock, i32> {
    // SAFETY: a zeroed `flock` is valid; fcntl reads and writes only it.
    let mut fl: libc::flock = unsafe { std::mem::zeroed() };
    fl.l_type = typ as i16;
    fl.l_whence = libc::SEEK_SET as i16;
    fl.l_start = start;
    fl.l_len = len;
    // SAFETY: a valid descriptor and a valid `flock`.
    let r = unsafe { libc::fcntl(f.as_raw_fd(), cmd, &mut fl) };
    if r == 0 {
        Ok(fl)
    } else {
        Err(std::io::Error::last_os_error().raw_os_error().unwrap())
    }
}

fn open_rw(path: &std::path::Path) -> fs::File {
    fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .unwrap()
}

/// A Python process holding `path` open read-write and taking `fcntl` locks on it as told
/// on its stdin, one per line: `sh|ex|un|shw|exw START LEN` (`w`: wait), or `close`. Each
/// answer is a line: `ok` or `err ERRNO`.
struct Locker {
    child: Reaped,
    stdin: std::process::ChildStdin,
    out: mpsc::Receiver<String>,
}

const LOCKER: &str = r#"
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
ops = {"sh": fcntl.LOCK_SH | fcntl.LOCK_NB, "ex": fcntl.LOCK_EX | fcntl.LOCK_NB,
       "un": fcntl.LOCK_UN, "shw": fcntl.LOCK_SH, "exw": fcntl.LOCK_EX}
print("ready", flush=True)
for line in sys.stdin:
    w = line.split()
    try:
        if w[0] == "close":
            os.close(fd)
        else:
            fcntl.lockf(fd, ops[w[0]], int(w[2]), int(w[1]), 0)
        print("ok", flush=True)
    except OSError as e:
        print("err", e.errno, flush=True)
"#;

impl Locker {
    fn start(path: &std::path::Path) -> Locker {
        let mut child = Command::new("python3")
            .arg("-c")
            .arg(LOCKER)
            .arg(path)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, out) = mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        let l = Locker {
            child: Reaped(child),
            stdin,
            out,
        };
        assert_eq!(l.answer(), "ready");
        l
    }

    fn send(&mut self, cmd: &str) {
        use std::io::Write;
        writeln!(self.stdin, "{cmd}").unwrap();
        self.stdin.flush().unwrap();
    }

    fn answer(&self) -> String {
        self.out.recv_timeout(Duration::from_secs(10)).unwrap()
    }

    /// Sends `cmd` and returns its answer.
    fn cmd(&mut self, cmd: &str) -> String {
        self.send(cmd);
        self.answer()
    }
}

const EAGAIN: &str = "err 11";

#[test]
fn fcntl_lock_is_an_smb2_lock_other_clients_see() {
    let m = mount("rw");
    let name = unique("fcntl");
    let path = m.path(&name);
    fs::write(&path, b"posix locked data").unwrap();
    let other = Other::open(&name);

    let f = open_rw(&path);
    fcntl_lock(&f, libc::F_SETLK, libc::F_WRLCK, 10, 10).unwrap();
    // Overlapping: refused to the other client, shared or not; disjoint: granted.
    assert!(!other.can_lock(15, 1, true));
    assert!(!other.can_lock(0, 11, false));
    assert!(!other.can_lock(19, 100, true));
    assert!(other.can_lock(0, 10, true));
    assert!(other.can_lock(20, 5, true));
    // Unlocked: gone from the server.
    fcntl_lock(&f, libc::F_SETLK, libc::F_UNLCK, 10, 10).unwrap();
    assert!(other.can_lock(10, 10, true));

    // A read lock shares with the other client's read locks only.
    fcntl_lock(&f, libc::F_SETLK, libc::F_RDLCK, 10, 10).unwrap();
    assert!(other.can_lock(12, 2, false));
    assert!(!other.can_lock(12, 2, true));
    // Converted to a write lock: no longer shared.
    fcntl_lock(&f, libc::F_SETLK, libc::F_WRLCK, 10, 10).unwrap();
    assert!(!other.can_lock(12, 2, false));

    // To end of file (l_len 0): reaches past any size, beyond 2^63 too.
    fcntl_lock(&f, libc::F_SETLK, libc::F_WRLCK, 100, 0).unwrap();
    assert!(!other.can_lock(1 << 40, 1, false));
    assert!(!other.can_lock((1 << 63) + 5, 1, false));
    assert!(other.can_lock(90, 10, true));

    // The process's locks through another descriptor are its own too: adjacent ones merge,
    // and one unlock through either descriptor releases both handles' server locks.
    let g = open_rw(&path);
    fcntl_lock(&g, libc::F_SETLK, libc::F_WRLCK, 20, 10).unwrap();
    assert!(!other.can_lock(25, 1, false));
    let fl = fcntl_lock(&g, libc::F_GETLK, libc::F_WRLCK, 0, 0).unwrap();
    assert_eq!(fl.l_type, libc::F_UNLCK as i16);
    fcntl_lock(&f, libc::F_SETLK, libc::F_UNLCK, 10, 20).unwrap();
    assert!(other.can_lock(10, 20, true));
    assert!(!other.can_lock(1 << 40, 1, false));
    // Closing the file (any descriptor of it, in POSIX) drops the process's locks.
    fcntl_lock(&g, libc::F_SETLK, libc::F_WRLCK, 10, 10).unwrap();
    assert!(!other.can_lock(15, 1, false));
    drop(g);
    assert!(other.can_lock(10, 10, true));
    assert!(other.can_lock(1 << 40, 1, true));
    fcntl_lock(&f, libc::F_SETLK, libc::F_WRLCK, 0, 0).unwrap();
    assert!(!other.can_lock(3, 1, false));
    drop(f);
    assert!(other.can_lock(0, 100, true));
}

#[test]
fn a_lock_of_another_smb_client_refuses_fcntl_and_getlk_reports_it() {
    let m = mount("rw");
    let name = unique("fcntlother");
    let path = m.path(&name);
    fs::write(&path, b"x").unwrap();
    let other = Other::open(&name);
    assert!(other.lock(0, 10, true));
    assert!(other.lock(100, 10, false));

    let f = open_rw(&path);
    assert_eq!(
        fcntl_lock(&f, libc::F_SETLK, libc::F_WRLCK, 5, 10).unwrap_err(),
        libc::EAGAIN
    );
    assert_eq!(
        fcntl_lock(&f, libc::F_SETLK, libc::F_RDLCK, 9, 1).unwrap_err(),
        libc::EAGAIN
    );
    // Shared with the other client's read lock, not exclusive.
    fcntl_lock(&f, libc::F_SETLK, libc::F_RDLCK, 105, 1).unwrap();
    assert_eq!(
        fcntl_lock(&f, libc::F_SETLK, libc::F_WRLCK, 108, 1).unwrap_err(),
        libc::EAGAIN
    );
    // Disjoint: granted; nothing of the refused ones was left on the server.
    fcntl_lock(&f, libc::F_SETLK, libc::F_WRLCK, 10, 10).unwrap();
    assert!(other.can_lock(20, 80, true));

    // GETLK sees the other client: its write lock, its read lock (only for a write).
    let fl = fcntl_lock(&f, libc::F_GETLK, libc::F_RDLCK, 0, 5).unwrap();
    assert_eq!(fl.l_type, libc::F_WRLCK as i16);
    assert_eq!((fl.l_start, fl.l_len, fl.l_pid), (0, 5, 0));
    let fl = fcntl_lock(&f, libc::F_GETLK, libc::F_WRLCK, 100, 10).unwrap();
    assert_eq!(fl.l_type, libc::F_RDLCK as i16);
    let fl = fcntl_lock(&f, libc::F_GETLK, libc::F_RDLCK, 100, 10).unwrap();
    assert_eq!(fl.l_type, libc::F_UNLCK as i16);
    let fl = fcntl_lock(&f, libc::F_GETLK, libc::F_WRLCK, 200, 0).unwrap();
    assert_eq!(fl.l_type, libc::F_UNLCK as i16);
    // Its own locks are not in the way (10..19 is ours).
    let fl = fcntl_lock(&f, libc::F_GETLK, libc::F_WRLCK, 10, 10).unwrap();
    assert_eq!(fl.l_type, libc::F_UNLCK as i16);
    // The probes left nothing behind.
    assert!(other.can_lock(200, 10, true));

    // A conversion the other client refuses (read to write while it reads too) fails and
    // leaves the read lock held, here and on the server.
    fcntl_lock(&f, libc::F_SETLK, libc::F_RDLCK, 30, 10).unwrap();
    assert!(other.lock(35, 1, false));
    assert_eq!(
        fcntl_lock(&f, libc::F_SETLK, libc::F_WRLCK, 30, 10).unwrap_err(),
        libc::EAGAIN
    );
    assert!(!other.can_lock(31, 1, true));
    assert!(other.can_lock(31, 1, false));
    other.unlock(35, 1);
    fcntl_lock(&f, libc::F_SETLK, libc::F_WRLCK, 30, 10).unwrap();
    assert!(!other.can_lock(31, 1, false));
    fcntl_lock(&f, libc::F_SETLK, libc::F_UNLCK, 30, 10).unwrap();
    assert!(other.can_lock(30, 10, true));

    // SETLKW waits for the other client to let go.
    let waiter = std::thread::spawn(move || {
        let r = fcntl_lock(&f, libc::F_SETLKW, libc::F_WRLCK, 0, 10);
        (f, r)
    });
    std::thread::sleep(Duration::from_millis(300));
    assert!(!waiter.is_finished(), "did not wait");
    other.unlock(0, 10);
    let (f, r) = waiter.join().unwrap();
    r.unwrap();
    assert!(!other.can_lock(5, 1, false));
    drop(f);
    assert!(other.can_lock(0, 20, true));
}

#[test]
fn fcntl_locks_of_two_processes_on_the_drive() {
    let m = mount("rw");
    let name = unique("fcntl2");
    let path = m.path(&name);
    fs::write(&path, vec![7u8; 500]).unwrap();
    let other = Other::open(&name);
    let mut a = Locker::start(&path);
    let mut b = Locker::start(&path);

    assert_eq!(a.cmd("ex 0 101"), "ok");
    assert_eq!(b.cmd("ex 50 10"), EAGAIN);
    assert_eq!(b.cmd("sh 100 1"), EAGAIN);
    assert_eq!(b.cmd("ex 200 10"), "ok");
    // A conflicting lock of this process is seen by GETLK with its holder's pid.
    let f = open_rw(&path);
    let fl = fcntl_lock(&f, libc::F_GETLK, libc::F_RDLCK, 0, 0).unwrap();
    assert_eq!(fl.l_type, libc::F_WRLCK as i16);
    assert_eq!((fl.l_start, fl.l_len), (0, 101));
    assert_eq!(fl.l_pid as u32, a.child.0.id());
    drop(f);

    // Read locks share, on the drive and on the server.
    assert_eq!(a.cmd("sh 300 10"), "ok");
    assert_eq!(b.cmd("sh 305 10"), "ok");
    assert!(other.can_lock(306, 1, false));
    assert!(!other.can_lock(306, 1, true));
    assert_eq!(b.cmd("ex 305 10"), EAGAIN);
    // The other process's read lock is still there after the refused conversion.
    assert!(!other.can_lock(312, 1, true));

    // Unlocking the middle splits: 0..=39 and 61..=100 stay locked on the server.
    assert_eq!(a.cmd("un 40 21"), "ok");
    assert!(other.can_lock(45, 6, true));
    assert!(!other.can_lock(10, 11, true));
    assert!(!other.can_lock(39, 1, false));
    assert!(!other.can_lock(61, 1, false));
    assert!(!other.can_lock(100, 1, false));
    assert!(other.can_lock(101, 1, true));
    assert_eq!(b.cmd("ex 45 6"), "ok");
    assert_eq!(b.cmd("ex 10 5"), EAGAIN);

    // A's close drops all its locks; B's stay.
    assert_eq!(a.cmd("close"), "ok");
    assert!(other.can_lock(0, 40, true));
    assert!(other.can_lock(300, 5, true));
    assert!(!other.can_lock(45, 1, false));
    assert_eq!(b.cmd("ex 0 40"), "ok");

    // A process's exit drops its locks.
    drop(b);
    assert!(other.can_lock(0, 500, true));
    let mut c = Locker::start(&path);
    assert_eq!(c.cmd("ex 0 0"), "ok");
}

#[test]
fn setlkw_waits_for_the_other_process_and_a_killed_waiter_does_not_hang() {
    let m = mount("rw");
    let name = unique("fcntlwait");
    let path = m.path(&name);
    fs::write(&path, b"x").unwrap();
    let mut a = Locker::start(&path);
    let mut b = Locker::start(&path);
    assert_eq!(a.cmd("ex 0 10"), "ok");

    b.send("exw 5 10");
    assert!(
        b.out.recv_timeout(Duration::from_millis(300)).is_err(),
        "did not wait"
    );
    assert_eq!(a.cmd("un 0 10"), "ok");
    assert_eq!(b.answer(), "ok");
    assert_eq!(a.cmd("ex 0 10"), EAGAIN);

    for sig in [libc::SIGTERM, libc::SIGKILL] {
        let mut c = Locker::start(&path);
        c.send("exw 5 1");
        assert!(
            c.out.recv_timeout(Duration::from_millis(300)).is_err(),
            "not waiting"
        );
        // SAFETY: signalling our own child.
        unsafe { libc::kill(c.child.0.id() as i32, sig) };
        let t = std::time::Instant::now();
        while c.child.0.try_wait().unwrap().is_none() {
            assert!(
                t.elapsed() < Duration::from_secs(2),
                "signal {sig}: waiter hangs"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    // B still holds its lock; the dead waiters left none behind.
    assert_eq!(a.cmd("ex 0 5"), "ok");
    assert_eq!(a.cmd("ex 5 1"), EAGAIN);
    let other = Other::open(&name);
    assert!(!other.can_lock(7, 1, false));
    assert!(other.can_lock(15, 10, true));
}

#[test]
fn flock_belongs_to_the_open_file_description_not_the_process() {
    let m = mount("rw");
    let name = unique("flockofd");
    let path = m.path(&name);
    fs::write(&path, b"x").unwrap();
    let other = Other::open(&name);
    let flock = |f: &fs::File, op: i32| {
        // SAFETY: a valid descriptor.
        if unsafe { libc::flock(f.as_raw_fd(), op) } == 0 {
            Ok(())
        } else {
            Err(std::io::Error::last_os_error().raw_os_error().unwrap())
        }
    };
    let f = open_rw(&path);
    flock(&f, libc::LOCK_EX | libc::LOCK_NB).unwrap();
    // Another description in the same process conflicts (a POSIX lock would not).
    let g = open_rw(&path);
    assert_eq!(
        flock(&g, libc::LOCK_SH | libc::LOCK_NB).unwrap_err(),
        libc::EWOULDBLOCK
    );
    // Closing another descriptor (a FLUSH with this process as owner) leaves it alone;
    // so does closing a duplicate of the locked one.
    drop(g);
    drop(f.try_clone().unwrap());
    assert!(!other.can_lock(0, 1, false));
    // The last close of the description (RELEASE) drops it.
    drop(f);
    let t = std::time::Instant::now();
    while !other.can_lock(0, 1, true) {
        assert!(t.elapsed() < Duration::from_secs(2), "flock not released");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn server_locks_are_mandatory_for_io_through_other_handles() {
    // What SMB2 locks mean on the server (Windows semantics, as with cifs.ko without
    // `nobrl`): a write lock keeps other handles from reading and writing its range, a read
    // lock keeps everyone from writing it; the locking handle reads and writes its own
    // write-locked range. Reads go to the server by page and read-ahead chunk, so a lock
    // keeps other handles from reading the whole chunk around it.
    use std::io::{Read, Seek, SeekFrom, Write};
    let m = mount("rw");
    let name = unique("fcntlio");
    let path = m.path(&name);
    fs::write(&path, vec![0u8; 100]).unwrap();
    let mut f = open_rw(&path);
    fcntl_lock(&f, libc::F_SETLK, libc::F_WRLCK, 0, 10).unwrap();
    f.write_all(b"abc").unwrap();
    f.sync_all().unwrap();
    let mut g = fs::File::open(&path).unwrap();
    let mut buf = [0u8; 3];
    let e = g.read_exact(&mut buf).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::EAGAIN), "{e}");
    // Unlocked: readable again, with the data written under the lock.
    fcntl_lock(&f, libc::F_SETLK, libc::F_UNLCK, 0, 10).unwrap();
    drop(g);
    assert_eq!(&fs::read(&path).unwrap()[..3], b"abc");
    // A read lock: nobody writes the range, not even its holder.
    fcntl_lock(&f, libc::F_SETLK, libc::F_RDLCK, 0, 10).unwrap();
    f.seek(SeekFrom::Start(0)).unwrap();
    let r = f.write_all(b"def").and_then(|()| f.sync_all());
    assert_eq!(r.unwrap_err().raw_os_error(), Some(libc::EAGAIN));
    drop(f);
    assert_eq!(&fs::read(&path).unwrap()[..3], b"abc");
}
