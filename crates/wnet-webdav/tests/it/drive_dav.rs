//! The drive mounted over [`DavFs`]: a real FUSE mount used by real programs (`cp`, `cat`,
//! `ls -l`, `mv`, `dd`, `truncate`, `flock`), against Apache (HTTPS with Digest) and rclone,
//! checked on the servers' disks: the drive's own I/O and error tests that WebDAV's
//! capabilities allow.

use std::fs;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::fd::AsRawFd;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use wnet_drive::remote::{Access, Disposition, FsErrorKind, RemoteFs};
use wnet_drive::{Drive, DriveConfig, DriveTimeouts};
use wnet_testkit::{Apache, DavAuth, RcloneDav};
use wnet_webdav::{DavFs, DavFsOptions, RANDOM_BLOCK};

use crate::dav_fs::{Server, another_client, client_of, how, pattern, rt, staged_in, unique};

/// A drive mounted over one server. Dropping it unmounts (forced) even when the test
/// failed, so no dead mount stays behind.
struct Mounted {
    name: &'static str,
    drive: Option<Drive>,
    mnt: PathBuf,
    server: Server,
    /// The runtime serving the drive; dropped after it (field order).
    rt: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
}

impl Mounted {
    /// `mnt/rel`.
    fn path(&self, rel: &str) -> PathBuf {
        self.mnt.join(rel)
    }

    /// `rel` on the server's disk.
    fn disk(&self, rel: &str) -> PathBuf {
        self.server.disk().join(rel)
    }

    /// The server of a drive [`mount_apache`] mounted.
    fn apache(&self) -> &Apache {
        let Server::Apache(apache) = &self.server else {
            unreachable!("mounted on Apache")
        };
        apache
    }
}

impl Drop for Mounted {
    fn drop(&mut self) {
        if let Some(d) = self.drive.take() {
            let _ = d.force_unmount();
        }
    }
}

fn mount(name: &'static str, server: Server) -> Mounted {
    // RUST_LOG=wnet_webdav=debug,wnet_dav=debug,wnet_drive=debug shows what the drive did.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let rt = rt();
    let dir = tempfile::tempdir().unwrap();
    let stage = dir.path().join("stage");
    let (client, root) = client_of(&server);
    let fs = rt
        .block_on(DavFs::connect(client, root.clone(), staged_in(&stage)))
        .unwrap();
    let mnt = dir.path().join("Z");
    let drive = Drive::mount(
        Arc::new(fs),
        rt.handle().clone(),
        DriveConfig {
            mountpoint: mnt.clone(),
            fsname: root.to_unc(),
            timeouts: DriveTimeouts::default(),
            read_only: false,
            leases: false,
        },
    )
    .expect("mount");
    Mounted {
        name,
        drive: Some(drive),
        mnt,
        server,
        rt,
        _dir: dir,
    }
}

/// A drive over Apache (HTTPS, Digest), and one over rclone.
fn drives() -> Vec<Mounted> {
    vec![
        mount_apache(),
        mount("rclone", Server::Rclone(RcloneDav::start(true))),
    ]
}

/// A drive over Apache (HTTPS, Digest) alone.
fn mount_apache() -> Mounted {
    mount(
        "apache https digest",
        Server::Apache(Apache::start(true, DavAuth::Digest)),
    )
}

fn errno_of(e: &std::io::Error) -> i32 {
    e.raw_os_error().unwrap_or(0)
}

/// Runs a shell command; panics with its output unless it succeeds.
fn sh(script: &str) -> String {
    let out = Command::new("sh").arg("-c").arg(script).output().unwrap();
    assert!(
        out.status.success(),
        "{script}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The first `Some` of `probe`, polled for up to 20 s (a change on the server shows once the
/// drive's short TTLs pass; a loaded machine may take longer).
fn once_visible<T>(mut probe: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = probe() {
            return v;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "not visible after {:?}",
            start.elapsed()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn cp_of_a_big_file_is_byte_identical_both_ways_and_ls_l_lists_it() {
    const N: usize = 48 << 20;
    let local = tempfile::tempdir().unwrap();
    let src = local.path().join("src.bin");
    let data = pattern(N, 11);
    fs::write(&src, &data).unwrap();
    for m in drives() {
        let name = unique("big");
        let t = Instant::now();
        sh(&format!("cp {} {}", src.display(), m.path(&name).display()));
        let put = t.elapsed();
        // cp returned after close(): the server has every byte.
        assert!(
            fs::read(m.disk(&name)).unwrap() == data,
            "{}: written file differs",
            m.name
        );
        let ls = sh(&format!("ls -l {}", m.mnt.display()));
        assert!(
            ls.lines()
                .any(|l| l.ends_with(&format!(" {name}")) && l.contains(&format!(" {N} "))),
            "{}: {ls}",
            m.name
        );
        let back = local.path().join("back.bin");
        let t = Instant::now();
        sh(&format!(
            "cp {} {}",
            m.path(&name).display(),
            back.display()
        ));
        let get = t.elapsed();
        assert!(fs::read(&back).unwrap() == data, "{}: read differs", m.name);
        eprintln!(
            "{}: {} MiB through the drive: cp in {:.0} MB/s, cp out {:.0} MB/s",
            m.name,
            N >> 20,
            N as f64 / put.as_secs_f64() / 1e6,
            N as f64 / get.as_secs_f64() / 1e6
        );
        fs::remove_file(m.path(&name)).unwrap();
        assert!(!m.disk(&name).exists());
    }
}

#[test]
fn shell_tools_mkdir_cp_mv_dd_truncate_rm_rmdir() {
    let src = tempfile::NamedTempFile::new().unwrap();
    let data = pattern(700_001, 9);
    fs::write(src.path(), &data).unwrap();
    for m in drives() {
        let d = unique("tools");
        let mnt = m.mnt.display();
        let disk = |rel: &str| m.disk(&format!("{d}/{rel}"));
        sh(&format!(
            "mkdir {mnt}/{d} && cp {} {mnt}/{d}/a",
            src.path().display()
        ));
        assert!(m.disk(&d).is_dir(), "{}", m.name);
        assert!(fs::read(disk("a")).unwrap() == data, "{}", m.name);
        sh(&format!("mv {mnt}/{d}/a {mnt}/{d}/b"));
        assert!(!disk("a").exists(), "{}", m.name);
        assert!(fs::read(disk("b")).unwrap() == data, "{}", m.name);
        sh(&format!(
            "dd if=/dev/zero of={mnt}/{d}/b bs=1000 seek=10 count=1 conv=notrunc status=none"
        ));
        let mut want = data.clone();
        want[10_000..11_000].fill(0);
        assert!(fs::read(disk("b")).unwrap() == want, "{}: dd", m.name);
        sh(&format!("truncate -s 5000 {mnt}/{d}/b"));
        assert_eq!(fs::read(disk("b")).unwrap(), want[..5000], "{}", m.name);
        sh(&format!("truncate -s 9000 {mnt}/{d}/b"));
        let got = fs::read(disk("b")).unwrap();
        assert_eq!(got.len(), 9000, "{}", m.name);
        assert!(got[5000..].iter().all(|&b| b == 0), "{}", m.name);
        assert_eq!(sh(&format!("ls {mnt}/{d}")), "b\n", "{}", m.name);
        sh(&format!("rm {mnt}/{d}/b && rmdir {mnt}/{d}"));
        assert!(!m.disk(&d).exists(), "{}", m.name);
    }
}

#[test]
fn append_overwrite_and_truncate_through_one_handle() {
    for m in drives() {
        let rel = unique("append");
        fs::write(m.path(&rel), b"hello").unwrap();
        let mut f = fs::OpenOptions::new()
            .append(true)
            .open(m.path(&rel))
            .unwrap();
        f.write_all(b" world").unwrap();
        drop(f);
        assert_eq!(
            fs::read(m.disk(&rel)).unwrap(),
            b"hello world",
            "{}",
            m.name
        );
        let mut f = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(m.path(&rel))
            .unwrap();
        f.seek(SeekFrom::Start(6)).unwrap();
        f.write_all(b"WORLD!").unwrap();
        // Reading back through the same handle sees the write.
        let mut s = String::new();
        f.seek(SeekFrom::Start(0)).unwrap();
        f.read_to_string(&mut s).unwrap();
        assert_eq!(s, "hello WORLD!", "{}", m.name);
        f.set_len(5).unwrap();
        drop(f);
        assert_eq!(fs::read(m.disk(&rel)).unwrap(), b"hello", "{}", m.name);
        // O_TRUNC.
        fs::write(m.path(&rel), b"x").unwrap();
        assert_eq!(fs::read(m.disk(&rel)).unwrap(), b"x", "{}", m.name);
        fs::remove_file(m.path(&rel)).unwrap();
    }
}

#[test]
fn posix_errors_enotempty_enoent_eisdir_eexist() {
    for m in drives() {
        let d = unique("errs");
        fs::create_dir(m.path(&d)).unwrap();
        fs::create_dir(m.path(&format!("{d}/sub"))).unwrap();
        fs::write(m.path(&format!("{d}/sub/f")), b"1").unwrap();
        assert!(m.disk(&format!("{d}/sub/f")).is_file(), "{}", m.name);
        let e = fs::create_dir(m.path(&d)).unwrap_err();
        assert_eq!(errno_of(&e), libc::EEXIST, "{}", m.name);
        let e = fs::remove_dir(m.path(&format!("{d}/sub"))).unwrap_err();
        assert_eq!(errno_of(&e), libc::ENOTEMPTY, "{}", m.name);
        assert!(m.disk(&format!("{d}/sub/f")).is_file(), "{}", m.name);
        let e = fs::OpenOptions::new()
            .write(true)
            .open(m.path(&format!("{d}/sub")))
            .unwrap_err();
        assert_eq!(errno_of(&e), libc::EISDIR, "{}", m.name);
        let e = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(m.path(&format!("{d}/sub/f")))
            .unwrap_err();
        assert_eq!(errno_of(&e), libc::EEXIST, "{}: O_EXCL", m.name);
        let f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(m.path(&format!("{d}/sub/new")))
            .unwrap();
        assert!(
            m.disk(&format!("{d}/sub/new")).exists(),
            "{}: an O_EXCL file exists on the server while open",
            m.name
        );
        drop(f);
        fs::rename(m.path(&format!("{d}/sub")), m.path(&format!("{d}/moved"))).unwrap();
        assert_eq!(fs::read(m.path(&format!("{d}/moved/f"))).unwrap(), b"1");
        assert!(m.disk(&format!("{d}/moved/f")).is_file(), "{}", m.name);
        let e = fs::read(m.path(&format!("{d}/sub/f"))).unwrap_err();
        assert_eq!(errno_of(&e), libc::ENOENT, "{}", m.name);
        let e = fs::remove_file(m.path(&format!("{d}/nothing"))).unwrap_err();
        assert_eq!(errno_of(&e), libc::ENOENT, "{}", m.name);
        for f in ["moved/f", "moved/new"] {
            fs::remove_file(m.path(&format!("{d}/{f}"))).unwrap();
        }
        fs::remove_dir(m.path(&format!("{d}/moved"))).unwrap();
        fs::remove_dir(m.path(&d)).unwrap();
        assert!(!m.disk(&d).exists(), "{}", m.name);
    }
}

#[test]
fn rename_noreplace_gives_eexist_and_plain_rename_replaces() {
    for m in drives() {
        let (a, b) = (unique("nr-a"), unique("nr-b"));
        fs::write(m.path(&a), b"A").unwrap();
        fs::write(m.path(&b), b"B").unwrap();
        let ca = std::ffi::CString::new(m.path(&a).as_os_str().as_encoded_bytes()).unwrap();
        let cb = std::ffi::CString::new(m.path(&b).as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: both are valid NUL-terminated paths.
        let rc = unsafe {
            libc::renameat2(
                libc::AT_FDCWD,
                ca.as_ptr(),
                libc::AT_FDCWD,
                cb.as_ptr(),
                libc::RENAME_NOREPLACE,
            )
        };
        assert_eq!(rc, -1, "{}", m.name);
        assert_eq!(errno_of(&std::io::Error::last_os_error()), libc::EEXIST);
        assert_eq!(fs::read(m.disk(&b)).unwrap(), b"B", "{}", m.name);
        fs::rename(m.path(&a), m.path(&b)).unwrap();
        assert_eq!(fs::read(m.disk(&b)).unwrap(), b"A", "{}", m.name);
        assert!(!m.disk(&a).exists(), "{}", m.name);
        fs::remove_file(m.path(&b)).unwrap();
    }
}

/// WebDAV names are case-sensitive: `Case.txt` and `case.txt` are two files with their own
/// contents through the drive (its caches, inodes and open-file counts key names exactly on
/// such a server; on SMB they fold case), and removing one leaves the other.
#[test]
fn names_differing_only_in_case_are_two_files() {
    for m in drives() {
        let dir = unique("case");
        fs::create_dir(m.path(&dir)).unwrap();
        let (upper, lower) = (format!("{dir}/Case.txt"), format!("{dir}/case.txt"));
        fs::write(m.path(&upper), b"upper").unwrap();
        fs::write(m.path(&lower), b"lower").unwrap();
        assert_eq!(fs::read(m.path(&upper)).unwrap(), b"upper", "{}", m.name);
        assert_eq!(fs::read(m.path(&lower)).unwrap(), b"lower", "{}", m.name);
        assert_eq!(fs::read(m.disk(&upper)).unwrap(), b"upper", "{}", m.name);
        assert_eq!(fs::read(m.disk(&lower)).unwrap(), b"lower", "{}", m.name);
        let mut names: Vec<String> = fs::read_dir(m.path(&dir))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["Case.txt", "case.txt"], "{}", m.name);
        // An open file under one name does not count as open under the other.
        let held = fs::File::open(m.path(&upper)).unwrap();
        fs::remove_file(m.path(&lower)).unwrap();
        assert!(!m.disk(&lower).exists(), "{}", m.name);
        assert_eq!(fs::read(m.path(&upper)).unwrap(), b"upper", "{}", m.name);
        drop(held);
        assert!(
            fs::metadata(m.path(&lower)).is_err_and(|e| errno_of(&e) == libc::ENOENT),
            "{}",
            m.name
        );
        fs::remove_file(m.path(&upper)).unwrap();
        fs::remove_dir(m.path(&dir)).unwrap();
    }
}

/// Random 4 KiB reads through the kernel (`pread`) of a file too big to be read whole at
/// open: each fetches its aligned block once ([`RANDOM_BLOCK`]), and reads again in it are
/// local: 300 reads of an 8 MiB file cost at most a GET per block (and read-ahead's first
/// chunk at open), counted in Apache's own access log, every byte the file's.
#[test]
fn random_small_reads_through_the_drive_cost_a_get_per_block_not_per_read() {
    use std::os::unix::fs::FileExt;
    let m = mount_apache();
    let apache = m.apache();
    const SIZE: usize = 8 << 20;
    let data = pattern(SIZE, 31);
    let rel = unique("random");
    m.server.put_on_disk(&rel, &data);
    let f = fs::File::open(m.path(&rel)).unwrap();
    let before = apache.requests().len();
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let mut buf = [0u8; 4096];
    for _ in 0..300 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let off = (x % (SIZE as u64 / 4096)) as usize * 4096;
        f.read_exact_at(&mut buf, off as u64).unwrap();
        assert!(buf[..] == data[off..off + 4096], "at {off}");
    }
    drop(f);
    let gets = apache.requests()[before..]
        .iter()
        .filter(|l| l.starts_with("GET ") && !l.ends_with(" 401"))
        .count();
    let blocks = SIZE / RANDOM_BLOCK as usize;
    assert!(
        gets <= blocks + 1,
        "{gets} GETs for 300 random reads of {blocks} blocks"
    );
    fs::remove_file(m.path(&rel)).unwrap();
}

/// The names Windows reserves (SMB refuses them, `drive::names_smb_cannot_hold_are_einval_...`
/// in `wnet-smb`) are ordinary on WebDAV, which declares `NameRules::Posix`: each is created,
/// listed, stat'ed, read, renamed and deleted through the drive, with the same name on the
/// server's disk (URLs percent-encode them; `href`s decode back exactly), as files and as a
/// directory. Control characters too on Apache; `rclone serve webdav` (1.60) stores them but
/// lists such a name as its Unicode control picture (`tab\there` as `tab␉there`) and answers
/// 404 for the name it stored: that server cannot hold them.
#[test]
fn names_windows_reserves_round_trip_on_webdav() {
    const NAMES: [&str; 12] = [
        "a:b",
        "q?",
        "star*",
        "pipe|",
        "lt<",
        "gt>",
        "quote\"",
        "back\\slash",
        "dot.",
        "space ",
        "pct%41",
        "hash#frag",
    ];
    const CONTROL: [&str; 2] = ["tab\there", "ctl\x01"];
    for m in drives() {
        let names: Vec<&str> = match m.server.is_apache() {
            true => NAMES.iter().chain(&CONTROL).copied().collect(),
            false => NAMES.to_vec(),
        };
        let d = unique("reserved");
        fs::create_dir(m.path(&d)).unwrap();
        for &n in &names {
            let rel = format!("{d}/{n}");
            fs::write(m.path(&rel), n.as_bytes())
                .unwrap_or_else(|e| panic!("{}: create {n:?}: {e}", m.name));
            assert_eq!(
                fs::read(m.disk(&rel)).unwrap(),
                n.as_bytes(),
                "{}: {n:?}",
                m.name
            );
            let meta = fs::metadata(m.path(&rel))
                .unwrap_or_else(|e| panic!("{}: stat {n:?}: {e}", m.name));
            assert_eq!(meta.len(), n.len() as u64, "{}: {n:?}", m.name);
            assert_eq!(
                fs::read(m.path(&rel)).unwrap(),
                n.as_bytes(),
                "{}: {n:?}",
                m.name
            );
        }
        let mut listed: Vec<String> = fs::read_dir(m.path(&d))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        listed.sort();
        let mut want: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        want.sort();
        assert_eq!(listed, want, "{}", m.name);
        for &n in &names {
            let (from, to) = (format!("{d}/{n}"), format!("{d}/{n}:moved?"));
            fs::rename(m.path(&from), m.path(&to))
                .unwrap_or_else(|e| panic!("{}: rename {n:?}: {e}", m.name));
            assert!(!m.disk(&from).exists(), "{}: {n:?}", m.name);
            assert_eq!(
                fs::read(m.disk(&to)).unwrap(),
                n.as_bytes(),
                "{}: {n:?}",
                m.name
            );
            fs::remove_file(m.path(&to))
                .unwrap_or_else(|e| panic!("{}: delete {n:?}: {e}", m.name));
            assert!(!m.disk(&to).exists(), "{}: {n:?}", m.name);
        }
        // A directory with such a name, and a file in it.
        let sub = format!("{d}/dir: \"x\"?");
        fs::create_dir(m.path(&sub)).unwrap();
        fs::write(m.path(&format!("{sub}/in|side.")), b"in").unwrap();
        assert_eq!(
            fs::read(m.disk(&format!("{sub}/in|side."))).unwrap(),
            b"in",
            "{}",
            m.name
        );
        assert!(fs::metadata(m.path(&sub)).unwrap().is_dir());
        fs::remove_file(m.path(&format!("{sub}/in|side."))).unwrap();
        fs::remove_dir(m.path(&sub)).unwrap();
        assert_eq!(fs::read_dir(m.path(&d)).unwrap().count(), 0, "{}", m.name);
        // What no rules allow: a name past 255 bytes.
        let long = format!("{d}/{}", "é".repeat(128));
        let e = fs::write(m.path(&long), b"x").unwrap_err();
        assert_eq!(errno_of(&e), libc::ENAMETOOLONG, "{}", m.name);
        fs::remove_dir(m.path(&d)).unwrap();
    }
}

/// A server without change notification: a storm of stats in one directory is answered from
/// one listing of it (a depth-1 `PROPFIND`, refreshed as its 0.5 s TTL passes), not one
/// request per name, counted in Apache's own access log; a name the listing lacks is ENOENT.
#[test]
fn a_stat_storm_in_one_directory_costs_a_listing_not_a_request_per_name() {
    let m = mount_apache();
    let dir = unique("storm");
    for i in 0..200 {
        m.server.put_on_disk(&format!("{dir}/f{i}"), b"x");
    }
    let apache = m.apache();
    let before = apache.requests().len();
    for i in 0..200 {
        assert_eq!(
            fs::metadata(m.path(&format!("{dir}/f{i}"))).unwrap().len(),
            1
        );
    }
    let e = fs::metadata(m.path(&format!("{dir}/nosuch"))).unwrap_err();
    assert_eq!(errno_of(&e), libc::ENOENT);
    let asked = apache.requests()[before..].to_vec();
    let by_name = asked
        .iter()
        .filter(|l| l.starts_with("PROPFIND 0 "))
        .count();
    let listings = asked
        .iter()
        .filter(|l| l.starts_with("PROPFIND 1 "))
        .count();
    assert!(listings >= 1, "{asked:#?}");
    // Without listings: 201 PROPFINDs. A loaded machine may outlive the TTL a few times.
    assert!(
        by_name + listings <= 20,
        "{} requests: {asked:#?}",
        asked.len()
    );
}

/// Our own changes drop a directory's listing, so creating files one after another must not
/// list the directory before each create's lookup (quadratic: 2000 creates took 19.4 s
/// against 4.4 s): a directory is listed once per poll (ADR 0020), never per create. Nor ask
/// the server about each new name: what the dropped listing said (the name was not there,
/// and we have not made it since) answers the kernel's lookup while the listing is fresh.
#[test]
fn creating_files_one_after_another_lists_their_directory_at_most_once_per_ttl() {
    let m = mount_apache();
    let dir = unique("creates");
    fs::create_dir(m.path(&dir)).unwrap();
    let apache = m.apache();
    let before = apache.requests().len();
    let start = Instant::now();
    for i in 0..200 {
        fs::write(m.path(&format!("{dir}/f{i}")), b"x").unwrap();
    }
    let took = start.elapsed();
    let asked = apache.requests()[before..].to_vec();
    let bound = (took.as_secs_f64() / 0.5).ceil() as usize + 2;
    // Each directory in use (the root and this one) is listed once per poll (ADR 0020) and
    // never once per create.
    let polls = (took.as_secs_f64() / wnet_webdav::POLL.as_secs_f64()).ceil() as usize + 2;
    for at in ["/ ".to_string(), format!("/{dir} "), format!("/{dir}/ ")] {
        let listings = asked
            .iter()
            .filter(|l| l.starts_with(&format!("PROPFIND 1 {at}")))
            .count();
        assert!(
            listings <= polls && listings < 200,
            "{listings} listings of {at} in {took:?} (at most {polls}): {asked:#?}"
        );
    }
    let by_name = asked
        .iter()
        .filter(|l| l.starts_with("PROPFIND 0 ") && l.ends_with(" 404"))
        .count();
    assert!(
        by_name <= bound && by_name < 200,
        "{by_name} lookups of new names asked in {took:?} (at most {bound}): {asked:#?}"
    );
    assert_eq!(fs::read_dir(m.path(&dir)).unwrap().count(), 200);
}

#[test]
fn a_change_on_the_servers_disk_shows_at_the_next_open() {
    for m in drives() {
        let rel = unique("fresh");
        fs::write(m.path(&rel), b"first version").unwrap();
        assert_eq!(fs::read(m.path(&rel)).unwrap(), b"first version");
        m.server.put_on_disk(&rel, b"second, longer version");
        let got = once_visible(|| {
            fs::read(m.path(&rel))
                .ok()
                .filter(|b| b != b"first version")
        });
        assert_eq!(got, b"second, longer version", "{}: never mixed", m.name);
        // A name made on the server's disk shows in the listing.
        let made = unique("made");
        m.server.put_on_disk(&made, b"m");
        once_visible(|| {
            fs::read_dir(&m.mnt)
                .unwrap()
                .any(|e| e.unwrap().file_name().to_str() == Some(made.as_str()))
                .then_some(())
        });
        for n in [&rel, &made] {
            fs::remove_file(m.path(n)).unwrap();
        }
    }
}

/// The drive's root, polled and complete (ADR 0020), lists the same names however often
/// its own attributes are asked of the server meanwhile. They were once kept as a member
/// named `""` of the root's own listing, for which the kernel answers `EIO` to every
/// `readdir` of the root: `ls -l` of the drive failed whenever, on a loaded machine, the
/// root's cached attributes expired between two listings and a `stat` of the root reached
/// the server (`PROPFIND` depth 0 of `/`) while its watch was complete. Here `stat` and
/// `readdir` of the root alternate until the server was asked for the root twice.
#[test]
fn the_roots_listing_survives_its_own_attributes_asked_of_the_server() {
    let m = mount_apache();
    let apache = m.apache();
    let name = unique("rootls");
    fs::write(m.path(&name), b"r").unwrap();
    let before = apache.requests().len();
    let root_stats = || {
        apache.requests()[before..]
            .iter()
            .filter(|l| l.as_str() == "PROPFIND 0 / 207")
            .count()
    };
    let start = Instant::now();
    let mut rounds = 0;
    while root_stats() < 2 {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the root's attributes never asked of the server: {:#?}",
            apache.requests()
        );
        assert!(fs::metadata(&m.mnt).unwrap().is_dir());
        let names: Vec<String> = fs::read_dir(&m.mnt)
            .unwrap_or_else(|e| panic!("opendir of the root, round {rounds}: {e}"))
            .map(|e| {
                let e = e.unwrap_or_else(|e| panic!("readdir of the root, round {rounds}: {e}"));
                e.file_name().to_string_lossy().into_owned()
            })
            .collect();
        assert_eq!(names, std::slice::from_ref(&name), "round {rounds}");
        rounds += 1;
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A small file read through the drive is kept (ADR 0021): opened again, unchanged, it
/// costs one request, a `GET` answered `304` (no body), and reads the same bytes; changed by
/// another client, the next open reads the new ones. (Every open reaches the drive, whatever
/// the kernel keeps of the file's pages: close-to-open.)
#[test]
fn a_small_file_opened_again_unchanged_costs_one_get_answered_304() {
    let m = mount_apache();
    let apache = m.apache();
    let rel = format!("{}/f", unique("kept"));
    let body = pattern(4096, 5);
    // Last changed a minute ago: Apache's ETag is strong (weak within a second of a change).
    let past = std::time::SystemTime::now() - Duration::from_secs(60);
    apache.seed_modified(&rel, &body, Some(past));
    assert!(fs::read(m.path(&rel)).unwrap() == body);
    let of_file = |lines: &[String]| -> Vec<String> {
        lines
            .iter()
            .filter(|l| l.split(' ').nth(2) == Some(&format!("/{rel}")) && !l.ends_with(" 401"))
            .cloned()
            .collect()
    };
    // The first read's GET is logged once its answer went out.
    once_visible(|| (of_file(&apache.requests()).len() == 1).then_some(()));
    let before = apache.requests().len();
    assert!(fs::read(m.path(&rel)).unwrap() == body, "the kept bytes");
    let asked = once_visible(|| {
        let a = of_file(&apache.requests()[before..]);
        a.iter().any(|l| l.starts_with("GET ")).then_some(a)
    });
    assert_eq!(asked, [format!("GET - /{rel} 304")]);
    // Another client's change (same size, a later time) is read at the next open.
    let new = pattern(4096, 6);
    m.server.put_on_disk(&rel, &new);
    assert!(fs::read(m.path(&rel)).unwrap() == new, "the new version");
}

#[test]
fn flock_on_the_drive_is_a_webdav_lock_other_clients_meet() {
    for m in drives() {
        let rel = unique("flock");
        fs::write(m.path(&rel), b"v1").unwrap();
        let other = another_client(&m.server, DavFsOptions::default());
        let other: &dyn RemoteFs = &other;
        let f = fs::File::open(m.path(&rel)).unwrap();
        // SAFETY: flock on a valid descriptor.
        assert_eq!(unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) }, 0);
        m.rt.block_on(async {
            let theirs = other
                .open(&rel, how(Access::ReadWrite, Disposition::Open))
                .await
                .unwrap();
            let e = theirs.file.lock(0, u64::MAX, true).await.unwrap_err();
            assert_eq!(e.kind, FsErrorKind::LockConflict, "{}: {e}", m.name);
            theirs.file.close().await.unwrap();
        });
        // SAFETY: as above.
        assert_eq!(unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_UN) }, 0);
        m.rt.block_on(async {
            let theirs = other
                .open(&rel, how(Access::ReadWrite, Disposition::Open))
                .await
                .unwrap();
            theirs.file.lock(0, u64::MAX, true).await.unwrap();
            // Now the drive's flock is refused, without waiting.
            let g = fs::File::open(m.path(&rel)).unwrap();
            // SAFETY: as above.
            let rc = unsafe { libc::flock(g.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
            assert_eq!(rc, -1, "{}", m.name);
            assert_eq!(
                errno_of(&std::io::Error::last_os_error()),
                libc::EWOULDBLOCK,
                "{}",
                m.name
            );
            theirs.file.close().await.unwrap();
        });
        drop(f);
        fs::remove_file(m.path(&rel)).unwrap();
    }
}

#[test]
fn a_file_replaced_on_the_server_under_a_reader_is_eio_never_mixed_bytes() {
    const N: usize = 24 << 20;
    let old = pattern(N, 21);
    let new = pattern(N, 22);
    for m in drives() {
        let rel = unique("mixed");
        m.server.put_on_disk(&rel, &old);
        let mut f = fs::File::open(m.path(&rel)).unwrap();
        let mut head = vec![0; 1 << 20];
        f.read_exact(&mut head).unwrap();
        assert!(head == old[..1 << 20], "{}", m.name);
        // Another client replaces the file (same size, other bytes, a later time) with a
        // PUT of its own: a change the server itself knows of. (A rewrite behind the server's
        // back on its disk is not something a server can label: rclone's VFS served such new
        // bytes under the old version in 3 runs of 6.)
        let (other, root) = client_of(&m.server);
        m.rt.block_on(other.put(&root.join(&rel).unwrap(), &new))
            .unwrap();
        let mut rest = Vec::new();
        match f.read_to_end(&mut rest) {
            // Read-ahead runs at most 8 MiB ahead of the reader (wnet_drive::readahead): most
            // of the 24 MiB is asked for after the change.
            Ok(_) => panic!(
                "{}: read {} more bytes of a replaced file",
                m.name,
                rest.len()
            ),
            Err(e) => {
                assert_eq!(errno_of(&e), libc::EIO, "{}: {e}", m.name);
                let got = (1 << 20) + rest.len();
                assert!(
                    rest == old[1 << 20..got],
                    "{}: bytes of the new file under the old one's open",
                    m.name
                );
            }
        }
        drop(f);
        // The next open reads the new file whole.
        assert!(fs::read(m.path(&rel)).unwrap() == new, "{}", m.name);
        fs::remove_file(m.path(&rel)).unwrap();
    }
}

/// Whether another client can take an exclusive `LOCK` on `rel` now (its own connection).
fn other_can_lock(server: &Server, rel: &str) -> Result<(), wnet_dav::Error> {
    let (client, root) = client_of(server);
    let at = root.join(rel).unwrap();
    rt().block_on(async {
        let token = client.lock(&at, "other", Duration::from_secs(30)).await?;
        client.unlock(&at, &token).await
    })
}

/// A drive that ends, forced with a file `flock`ed (`net use /delete /y`, the daemon
/// stopping) or normally right after the last close, `UNLOCK`s its WebDAV locks: another
/// client locks the file at once, not after the server's 10-minute timeout. A dead server
/// does not hold up a forced end (bounded by the drive's deadlines).
#[test]
fn a_drive_that_ends_releases_its_flock_locks_on_the_server() {
    for forced in [true, false] {
        for mut m in drives() {
            let rel = unique("flock-end");
            fs::write(m.path(&rel), b"v1").unwrap();
            let f = fs::File::open(m.path(&rel)).unwrap();
            // SAFETY: flock on a valid descriptor.
            assert_eq!(unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) }, 0);
            assert!(other_can_lock(&m.server, &rel).is_err(), "{}", m.name);
            let drive = m.drive.take().unwrap();
            if forced {
                drive.force_unmount().unwrap();
                drop(f);
            } else {
                drop(f);
                // As `net use /delete` does: waits for the kernel's release of the file.
                wnet_drive::cancel::end(drive, m.name, false)
                    .map_err(|(_, e)| e)
                    .unwrap_or_else(|e| panic!("{}: {e}", m.name));
            }
            other_can_lock(&m.server, &rel)
                .unwrap_or_else(|e| panic!("{} (forced: {forced}): {e}", m.name));
        }
    }
    for mut m in drives() {
        let rel = unique("flock-dead");
        fs::write(m.path(&rel), b"v1").unwrap();
        let f = fs::File::open(m.path(&rel)).unwrap();
        // SAFETY: flock on a valid descriptor.
        assert_eq!(unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) }, 0);
        match &mut m.server {
            Server::Apache(a) => a.stop(),
            Server::Rclone(r) => r.stop(),
        }
        let start = Instant::now();
        let _ = m.drive.take().unwrap().force_unmount();
        // Two of the drive's 10 s deadlines (flush, close) at most, and some slack.
        assert!(
            start.elapsed() < Duration::from_secs(25),
            "{}: {:?}",
            m.name,
            start.elapsed()
        );
        drop(f);
    }
}

/// How long after `change` the drive shows it (`seen` true), probed every 10 ms; panics
/// past 20 s.
fn shown_after(change: impl FnOnce(), mut seen: impl FnMut() -> bool) -> Duration {
    change();
    let start = Instant::now();
    once_visible(|| seen().then_some(()));
    start.elapsed()
}

/// WebDAV has no change notification: a directory in use is polled (ADR 0020), listed
/// again every `POLL`, so what the kernel was told may stay in it (no request for a stat or
/// an `ls -l` between polls) while another client's create, overwrite and delete still show
/// through the drive within the drive's promise of 1 s. On both servers.
#[test]
fn another_clients_changes_in_a_polled_directory_show_within_a_second() {
    for m in drives() {
        let dir = unique("polled");
        m.server.put_on_disk(&format!("{dir}/old"), b"old");
        m.server.put_on_disk(&format!("{dir}/gone"), b"gone");
        // In use: listed (and watched from then on).
        assert_eq!(fs::read_dir(m.path(&dir)).unwrap().count(), 2);
        let (new, old, gone) = (
            m.path(&format!("{dir}/new")),
            m.path(&format!("{dir}/old")),
            m.path(&format!("{dir}/gone")),
        );
        assert_eq!(fs::metadata(&old).unwrap().len(), 3);
        assert_eq!(fs::metadata(&gone).unwrap().len(), 4);
        let created = shown_after(
            || m.server.put_on_disk(&format!("{dir}/new"), b"new!"),
            || fs::metadata(&new).is_ok_and(|a| a.len() == 4),
        );
        let listed = shown_after(
            || m.server.put_on_disk(&format!("{dir}/listed"), b"l"),
            || {
                fs::read_dir(m.path(&dir))
                    .unwrap()
                    .any(|e| e.unwrap().file_name() == "listed")
            },
        );
        let overwritten = shown_after(
            || {
                m.server
                    .put_on_disk(&format!("{dir}/old"), b"a longer version")
            },
            || fs::metadata(&old).is_ok_and(|a| a.len() == 16),
        );
        let deleted = shown_after(
            || fs::remove_file(m.disk(&format!("{dir}/gone"))).unwrap(),
            || fs::metadata(&gone).is_err_and(|e| errno_of(&e) == libc::ENOENT),
        );
        assert_eq!(fs::read(&old).unwrap(), b"a longer version", "{}", m.name);
        for (what, took) in [
            ("create", created),
            ("create, in a listing", listed),
            ("overwrite", overwritten),
            ("delete", deleted),
        ] {
            eprintln!("{}: another client's {what} showed after {took:?}", m.name);
            assert!(
                took < Duration::from_secs(1),
                "{}: another client's {what} showed after {took:?}",
                m.name
            );
        }
    }
}

/// A polled directory costs its polls and nothing per name: 2000 stats and `ls -l`s of it
/// ask the server for no name while it stays in use. Once nobody uses it for
/// `POLLED_IDLE`, polling stops: Apache's access log shows no listing of it after that.
#[test]
fn a_polled_directory_costs_one_listing_per_poll_and_none_once_idle() {
    let m = mount_apache();
    let dir = unique("inuse");
    for i in 0..100 {
        m.server.put_on_disk(&format!("{dir}/f{i}"), b"x");
    }
    let apache = m.apache();
    assert_eq!(fs::read_dir(m.path(&dir)).unwrap().count(), 100);
    let listing = [
        format!("PROPFIND 1 /{dir}/ "),
        format!("PROPFIND 1 /{dir} "),
    ];
    let of_dir = |lines: &[String]| {
        lines
            .iter()
            .filter(|l| listing.iter().any(|p| l.starts_with(p)))
            .count()
    };
    // Complete once the watch's first listing is in.
    once_visible(|| (of_dir(&apache.requests()) >= 2).then_some(()));
    let before = apache.requests().len();
    let start = Instant::now();
    for round in 0..20 {
        for i in 0..100 {
            assert_eq!(
                fs::metadata(m.path(&format!("{dir}/f{i}"))).unwrap().len(),
                1
            );
        }
        if round % 5 == 0 {
            sh(&format!("ls -l {} > /dev/null", m.path(&dir).display()));
        }
    }
    let took = start.elapsed();
    let asked = apache.requests()[before..].to_vec();
    let names = asked
        .iter()
        .filter(|l| l.contains(&format!("/{dir}/f")))
        .count();
    assert_eq!(names, 0, "no name asked of the server: {asked:#?}");
    let polls = of_dir(&asked);
    let bound = (took.as_secs_f64() / wnet_webdav::POLL.as_secs_f64()).ceil() as usize + 2;
    assert!(polls <= bound, "{polls} listings in {took:?}: {asked:#?}");
    // Unused from now: the polls stop within POLLED_IDLE (and the watch's tick).
    let idle = wnet_drive::watch::POLLED_IDLE + Duration::from_secs(1);
    std::thread::sleep(idle);
    let quiet = apache.requests().len();
    std::thread::sleep(wnet_webdav::POLL * 5);
    let after = apache.requests()[quiet..].to_vec();
    assert_eq!(of_dir(&after), 0, "polled while idle: {after:#?}");
}

/// Every program that forks closes its copies of the parent's descriptors at `exec`: each is a
/// FLUSH for the drive (on WebDAV, the staged file sent whole), arriving at any moment of the
/// parent's writes. New files of every size class, written in odd-sized calls, then patched
/// in place and appended to, while another thread starts `/bin/true` as fast as it can: the
/// server holds every byte as written, and the drive reads it back so.
#[test]
fn files_written_while_the_process_forks_are_whole_on_the_server() {
    for m in drives() {
        let dir = unique("forks");
        fs::create_dir(m.path(&dir)).unwrap();
        let sizes = [1, 4096, 100_000, 1_044_864, (1 << 20) + 1, 2_500_000];
        let r = wnet_testkit::workloads::write_while_forking(&m.mnt, &m.disk(""), &dir, &sizes, 2);
        assert!(r.forks > 0, "{}: no process was started meanwhile", m.name);
        assert!(
            r.wrong.is_empty(),
            "{}: (round, size, what) wrong: {r:?}",
            m.name
        );
    }
}

/// Set in the environment of a test run again alone in a process of its own ([`alone`]).
const ALONE: &str = "WNET_TEST_ALONE";

/// Runs the test `name` (its path in this binary) again, alone in a child process: the
/// drive's FUSE request counts ([`wnet_drive::stats`]) are the process's, and other tests
/// running beside it would add theirs. Panics unless the child ran it and it passed.
fn alone(name: &str) {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([name, "--exact", "--test-threads=1", "--nocapture"])
        .env(ALONE, "1")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{name} alone: {text}");
    assert!(
        text.contains("1 passed"),
        "{name} did not run alone: {text}"
    );
}

/// FUSE requests by opcode since `before` (a [`wnet_drive::stats::request_counts`]), the
/// opcodes that saw none left out.
fn requests_since(before: &[(wnet_drive::stats::Op, u64, u64)]) -> Vec<(&'static str, u64)> {
    wnet_drive::stats::request_counts()
        .iter()
        .zip(before)
        .filter(|(now, then)| now.1 != then.1)
        .map(|(now, then)| (now.0.name(), now.1 - then.1))
        .collect()
}

fn count(of: &[(&str, u64)], op: &str) -> u64 {
    of.iter().find(|(o, _)| *o == op).map_or(0, |(_, n)| *n)
}

/// `ls -l` of a directory whose every name and attributes the kernel holds (a complete
/// polled directory listed before) asks the drive for names only (ADR 0022): a first
/// READDIRPLUS page of "." and "..", the names by plain READDIR, no LOOKUP, and not one
/// GETXATTR per file. A change by another client still shows in the next `ls -l` within 1 s.
#[test]
fn ls_l_of_a_directory_the_kernel_holds_asks_for_names_only() {
    if std::env::var_os(ALONE).is_none() {
        return alone("drive_dav::ls_l_of_a_directory_the_kernel_holds_asks_for_names_only");
    }
    let m = mount(
        "apache http",
        Server::Apache(Apache::start(false, DavAuth::None)),
    );
    let dir = unique("held");
    for i in 0..300 {
        m.server.put_on_disk(&format!("{dir}/f{i:03}"), b"four");
    }
    let ls = || sh(&format!("ls -l {}", m.path(&dir).display()));
    // Listed (every entry and its attributes handed to the kernel) until the directory is
    // polled and complete: then the kernel holds all of it, for WATCHED_TTL.
    let names_only = once_visible(|| {
        let before = wnet_drive::stats::request_counts();
        let out = ls();
        let asked = requests_since(&before);
        (count(&asked, "READDIR") > 0).then_some((out, asked))
    });
    let before = wnet_drive::stats::request_counts();
    let out = ls();
    let asked = requests_since(&before);
    for (out, asked) in [names_only, (out, asked)] {
        let files: Vec<&str> = out.lines().filter(|l| l.starts_with('-')).collect();
        assert_eq!(files.len(), 300, "{out}");
        assert!(files.iter().all(|l| l.contains(" 4 ")), "{out}");
        assert_eq!(count(&asked, "READDIRPLUS"), 1, "{asked:?}");
        assert!((1..=2).contains(&count(&asked, "READDIR")), "{asked:?}");
        assert_eq!(count(&asked, "LOOKUP"), 0, "{asked:?}");
        // The directory's own attributes (short-lived), asked by `ls` itself.
        assert!(count(&asked, "GETATTR") <= 1, "{asked:?}");
        // `ls` asks for ACLs once per listing: "not supported", not "none on this file".
        assert!(count(&asked, "GETXATTR") <= 2, "{asked:?}");
    }
    let took = shown_after(
        || {
            m.server
                .put_on_disk(&format!("{dir}/f007"), b"a longer version")
        },
        || {
            ls().lines()
                .any(|l| l.contains(" 16 ") && l.ends_with(" f007"))
        },
    );
    assert!(took < Duration::from_secs(1), "shown after {took:?}");
}

/// The drive has no extended attributes and says "not supported" for every name, every
/// time: a POSIX ACL name too, which a kernel told "not implemented" once would answer
/// with "no such attribute" from then on (and `ls -l` would ask again for every file).
#[test]
fn extended_attributes_are_not_supported_for_any_name_every_time() {
    let m = mount(
        "apache http",
        Server::Apache(Apache::start(false, DavAuth::None)),
    );
    let dir = unique("xattr");
    for name in ["a", "b"] {
        m.server.put_on_disk(&format!("{dir}/{name}"), b"x");
    }
    for name in ["a", "b", "a"] {
        for attr in [
            "system.posix_acl_access",
            "user.comment",
            "security.selinux",
        ] {
            let path = std::ffi::CString::new(
                m.path(&format!("{dir}/{name}"))
                    .into_os_string()
                    .into_encoded_bytes(),
            )
            .unwrap();
            let attr_c = std::ffi::CString::new(attr).unwrap();
            // SAFETY: both strings are NUL-terminated and live for the call; a null buffer
            // of size 0 asks for the value's size only.
            let rc =
                unsafe { libc::getxattr(path.as_ptr(), attr_c.as_ptr(), std::ptr::null_mut(), 0) };
            let e = std::io::Error::last_os_error();
            assert_eq!(rc, -1, "{name} {attr}");
            assert_eq!(errno_of(&e), libc::EOPNOTSUPP, "{name} {attr}: {e}");
        }
    }
}
