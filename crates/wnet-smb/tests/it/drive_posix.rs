//! What outside file-system suites (pjdfstest's rename/unlink/mkdir/rmdir/open/truncate
//! groups) found, each as a program meets it (issue 11 §6): read-only files and directories
//! can be deleted, an unlinked open file can still be stat'ed and truncated, a directory's
//! mtime follows the drive's own changes in it, node types SMB cannot hold are `EPERM`,
//! `fallocate` does what SMB can.

use super::drive::{mount, once_visible, other_client, sh, unique, within_a_second};
use std::fs;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{FileExt, MetadataExt};
use std::os::unix::io::AsRawFd;

fn errno_of(e: &std::io::Error) -> i32 {
    e.raw_os_error().unwrap_or(0)
}

fn c_path(p: &std::path::Path) -> std::ffi::CString {
    std::ffi::CString::new(p.as_os_str().as_encoded_bytes()).unwrap()
}

#[test]
fn read_only_files_and_directories_can_be_removed_and_replaced() {
    let m = mount("rw");
    let d = m.path(&unique("ro"));
    fs::create_dir(&d).unwrap();
    let d = d.display();
    // chmod without write bits sets the server's READONLY attribute.
    sh(&format!(
        "cd '{d}' && echo hi > f && chmod 444 f && rm -f f && [ ! -e f ]"
    ));
    sh(&format!(
        "cd '{d}' && mkdir e && chmod 555 e && rmdir e && [ ! -e e ]"
    ));
    sh(&format!(
        "cd '{d}' && echo old > t && chmod 444 t && echo new > s && mv s t && [ \"$(cat t)\" = new ]"
    ));
    // What tar x of read-only files followed by rm -rf does.
    sh(&format!(
        "cd '{d}' && mkdir -p x/y && echo 1 > x/y/a && chmod 444 x/y/a && chmod 555 x/y && rm -rf x && [ ! -e x ]"
    ));
}

#[test]
fn an_unlinked_open_file_can_be_stated_truncated_read_and_written() {
    let m = mount("rw");
    let p = m.path(&unique("tmpfile"));
    let mut f = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&p)
        .unwrap();
    f.write_all(b"hello world").unwrap();
    fs::remove_file(&p).unwrap();
    assert_eq!(f.metadata().unwrap().len(), 11);
    f.set_len(5).unwrap();
    assert_eq!(f.metadata().unwrap().len(), 5);
    f.seek(SeekFrom::Start(0)).unwrap();
    let mut s = String::new();
    f.read_to_string(&mut s).unwrap();
    assert_eq!(s, "hello");
    f.write_all(b"!").unwrap();
    assert_eq!(f.metadata().unwrap().len(), 6);
    // Python's tempfile.TemporaryFile: mkstemp, unlink, then truncate() and friends.
    let script = format!(
        "import tempfile\nwith tempfile.TemporaryFile(dir='{}') as t:\n    t.write(b'abcdef')\n    t.truncate(3)\n    t.seek(0)\n    assert t.read() == b'abc', 'read'\n    import os\n    assert os.fstat(t.fileno()).st_size == 3, 'size'\nprint('ok')\n",
        m.mnt.display()
    );
    let out = std::process::Command::new("python3")
        .args(["-c", &script])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "ok\n",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_directory_mtime_follows_the_drives_own_changes_in_it_at_once() {
    let m = mount("rw");
    let rel = unique("dmtime");
    let d = m.path(&rel);
    fs::create_dir(&d).unwrap();
    let mtime = |p: &std::path::Path| {
        let md = fs::metadata(p).unwrap();
        // SMB carries 100 ns units.
        (md.mtime(), md.mtime_nsec() / 100)
    };
    let disk = m.disk(&rel);
    let same = |what: &str| assert_eq!(mtime(&d), mtime(&disk), "after {what}");
    same("mkdir");
    let steps: [(&str, &dyn Fn()); 5] = [
        ("create", &|| fs::write(d.join("e"), b"x").unwrap()),
        ("rename", &|| fs::rename(d.join("e"), d.join("f")).unwrap()),
        ("mkdir", &|| fs::create_dir(d.join("sub")).unwrap()),
        ("unlink", &|| fs::remove_file(d.join("f")).unwrap()),
        ("rmdir", &|| fs::remove_dir(d.join("sub")).unwrap()),
    ];
    for (what, step) in steps {
        // The kernel holds the directory's attributes before each change.
        let _ = mtime(&d);
        step();
        same(what);
    }
}

#[test]
fn node_types_smb_cannot_hold_are_eperm_and_mknod_of_a_file_creates_it() {
    let m = mount("rw");
    let dir = m.path(&unique("nodes"));
    fs::create_dir(&dir).unwrap();
    let fifo = c_path(&dir.join("fifo"));
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, -1);
    assert_eq!(errno_of(&std::io::Error::last_os_error()), libc::EPERM);
    let chr = c_path(&dir.join("chr"));
    // SAFETY: as above.
    let rc = unsafe { libc::mknod(chr.as_ptr(), libc::S_IFCHR | 0o644, libc::makedev(1, 3)) };
    assert_eq!(rc, -1);
    assert_eq!(errno_of(&std::io::Error::last_os_error()), libc::EPERM);
    let sock = dir.join("sock");
    let e = std::os::unix::net::UnixListener::bind(&sock).unwrap_err();
    assert_eq!(errno_of(&e), libc::EPERM, "{e}");
    let reg = c_path(&dir.join("reg"));
    // SAFETY: as above.
    assert_eq!(
        unsafe { libc::mknod(reg.as_ptr(), libc::S_IFREG | 0o644, 0) },
        0
    );
    assert_eq!(fs::metadata(dir.join("reg")).unwrap().len(), 0);
    let names: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("reg")]);
}

fn fallocate(f: &fs::File, mode: i32, offset: i64, len: i64) -> Result<(), i32> {
    // SAFETY: a valid open descriptor.
    match unsafe { libc::fallocate(f.as_raw_fd(), mode, offset, len) } {
        0 => Ok(()),
        _ => Err(errno_of(&std::io::Error::last_os_error())),
    }
}

#[test]
fn fallocate_extends_reserves_and_punches_holes_and_refuses_the_rest() {
    let m = mount("rw");
    let rel = unique("falloc");
    let p = m.path(&rel);
    let f = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&p)
        .unwrap();
    // Plain: the file grows to offset + len, zero-filled.
    fallocate(&f, 0, 0, 100_000).unwrap();
    assert_eq!(f.metadata().unwrap().len(), 100_000);
    assert_eq!(fs::metadata(m.disk(&rel)).unwrap().len(), 100_000);
    // Inside the file: nothing changes.
    fallocate(&f, 0, 10, 10).unwrap();
    assert_eq!(f.metadata().unwrap().len(), 100_000);
    // KEEP_SIZE: space reserved, size unchanged.
    fallocate(&f, libc::FALLOC_FL_KEEP_SIZE, 0, 1 << 20).unwrap();
    assert_eq!(f.metadata().unwrap().len(), 100_000);
    // PUNCH_HOLE: the range reads as zeros, the size stays.
    f.write_all_at(&vec![7u8; 100_000], 0).unwrap();
    f.sync_all().unwrap();
    fallocate(
        &f,
        libc::FALLOC_FL_PUNCH_HOLE | libc::FALLOC_FL_KEEP_SIZE,
        4096,
        8192,
    )
    .unwrap();
    let got = fs::read(&p).unwrap();
    assert_eq!(got.len(), 100_000);
    assert!(got[..4096].iter().all(|&b| b == 7));
    assert!(got[4096..12288].iter().all(|&b| b == 0));
    assert!(got[12288..].iter().all(|&b| b == 7));
    assert_eq!(fs::read(m.disk(&rel)).unwrap(), got);
    // What SMB cannot do.
    for mode in [
        libc::FALLOC_FL_COLLAPSE_RANGE,
        libc::FALLOC_FL_INSERT_RANGE,
        libc::FALLOC_FL_ZERO_RANGE,
        libc::FALLOC_FL_PUNCH_HOLE, // without KEEP_SIZE: invalid for every file system
    ] {
        let e = fallocate(&f, mode, 0, 4096).unwrap_err();
        assert!(
            e == libc::EOPNOTSUPP || (mode == libc::FALLOC_FL_PUNCH_HOLE && e == libc::EINVAL),
            "mode {mode:#x}: errno {e}"
        );
    }
}

/// Checks `probe` for `span`: it must hold every time (an invariant over a while, not a wait).
fn holds_for(span: std::time::Duration, mut probe: impl FnMut() -> bool) -> bool {
    let start = std::time::Instant::now();
    while start.elapsed() < span {
        if !probe() {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    true
}

#[test]
fn inode_numbers_stay_while_the_files_stay() {
    let m = mount("rw");
    let rel = unique("ino");
    let d = m.path(&rel);
    fs::create_dir(&d).unwrap();
    fs::write(d.join("f"), b"f").unwrap();
    let ino = |p: &std::path::Path| fs::metadata(p).unwrap().ino();
    let (dir_ino, file_ino) = (ino(&d), ino(&d.join("f")));
    // A directory keeps its number after an entry is created in it (its parent's watch
    // then sees the directory's times change).
    fs::write(d.join("g"), b"g").unwrap();
    let span = std::time::Duration::from_millis(1500);
    assert!(holds_for(span, || ino(&d) == dir_ino), "directory");
    // A file keeps its number when its directory's watch ends: the drive watches at most
    // 64 directories, so busy ones elsewhere end this one's.
    for i in 0..70 {
        let other = d.join(format!("busy{i}"));
        fs::create_dir(&other).unwrap();
        assert!(fs::metadata(other.join("x")).is_err());
    }
    assert!(holds_for(span, || ino(&d.join("f")) == file_ino), "file");
    assert_eq!(ino(&d), dir_ino);
    // A listing says the same (`ls -i`, `find -inum` read d_ino).
    let listed = fs::read_dir(&d)
        .unwrap()
        .map(|e| e.unwrap())
        .find(|e| e.file_name() == "f")
        .unwrap();
    assert_eq!(std::os::unix::fs::DirEntryExt::ino(&listed), file_ino);
    // And across a rename of its directory, as on any file system.
    let e = m.path(&unique("ino-moved"));
    fs::rename(&d, &e).unwrap();
    assert_eq!(ino(&e.join("f")), file_ino);
    assert_eq!(ino(&e), dir_ino);
    // A new file under an old name is a new file.
    fs::remove_file(e.join("f")).unwrap();
    fs::write(e.join("f"), b"new").unwrap();
    assert_ne!(ino(&e.join("f")), file_ino);
}

#[test]
fn inode_numbers_are_the_servers_identity_of_the_file() {
    let m = mount("rw");
    let rel = unique("ino-id");
    let d = m.path(&rel);
    fs::create_dir(&d).unwrap();
    fs::write(d.join("a"), b"a").unwrap();
    fs::write(d.join("k"), b"k").unwrap();
    fs::write(d.join("r"), b"r").unwrap();
    let ino = |name: &str| fs::metadata(d.join(name)).map(|m| m.ino()).ok();
    let on = |name: &str| format!("{rel}/{name}");
    let (a, k, r) = (ino("a").unwrap(), ino("k").unwrap(), ino("r").unwrap());
    // Listed, so watched (ADR 0003): a file deleted and created again under its name may get
    // the same FileId from Samba on ext4 (which reuses the freed inode), and only the watch's
    // REMOVED notification tells the drive it is another file (ADR 0006, inode addendum). In
    // a directory nobody watches the number would stay, as the server says it is the same
    // file; which inode ext4 picks is chance, so the test must not depend on it.
    assert_eq!(fs::read_dir(&d).unwrap().count(), 3);
    once_visible(|| m.drive().is_exact(&rel).then_some(()));
    // The server's identity of a file on its disk (Samba on ext4: the inode number).
    let server_id = |name: &str| fs::metadata(m.disk(&on(name))).unwrap().ino();
    // Renamed by another SMB client: the new name shows (within the freshness bound) with
    // the file's number.
    let (rt, other) = other_client();
    rt.block_on(other.rename(&on("a"), &on("b"), false))
        .unwrap();
    assert_eq!(within_a_second(|| ino("b")), a, "renamed by another client");
    // Renamed on the server's disk.
    fs::rename(m.disk(&on("b")), m.disk(&on("c"))).unwrap();
    assert_eq!(within_a_second(|| ino("c")), a, "renamed on the server");
    // Replaced by another file under the same name: a different file, a different number.
    fs::write(m.disk(&on("k.new")), b"new").unwrap();
    fs::rename(m.disk(&on("k.new")), m.disk(&on("k"))).unwrap();
    within_a_second(|| ino("k").filter(|&i| i != k));
    // Deleted and created again by another client: the new content shows within the bound,
    // and a new server identity is a new number. (When ext4 hands the freed inode back, the
    // server says it is the same file; only the watch's REMOVED notification can retire the
    // number then, and that is not asserted here: see the closing note of issue 11.)
    let r_id = server_id("r");
    rt.block_on(other.delete(&on("r"))).unwrap();
    rt.block_on(async {
        let f = other
            .create(&on("r"), &wnet_smb2::CreateOptions::create_new())
            .await
            .unwrap();
        f.write_at(0, b"again").await.unwrap();
        f.close().await.unwrap();
    });
    let again = within_a_second(|| fs::metadata(d.join("r")).ok().filter(|md| md.len() == 5));
    if server_id("r") != r_id {
        assert_ne!(
            again.ino(),
            r,
            "another file under the name, another number"
        );
    }
    // What stayed keeps its number, seen again through a lookup and a listing.
    assert_eq!(ino("c"), Some(a));
    let listed = fs::read_dir(&d)
        .unwrap()
        .map(|e| e.unwrap())
        .find(|e| e.file_name() == "c")
        .unwrap();
    assert_eq!(std::os::unix::fs::DirEntryExt::ino(&listed), a);
}
