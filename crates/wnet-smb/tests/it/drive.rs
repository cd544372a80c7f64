//! The redirected drive through a real FUSE mount against a real Samba: files, directories,
//! names, attributes, errors. Helpers shared by the other `drive_*` modules live here too.

use std::fs;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};
use wnet_smb::drive::remote::RemoteFs;
use wnet_smb::drive::{Drive, DriveConfig, DriveTimeouts};
use wnet_smb::smb_fs::SmbFs;
use wnet_smb2::{ClientConfig, Session, Tree};
use wnet_testkit::Samba;

/// The default Samba, shared by the drive tests of one run.
pub fn samba() -> Arc<Samba> {
    static S: std::sync::OnceLock<Arc<Samba>> = std::sync::OnceLock::new();
    S.get_or_init(|| Arc::new(Samba::start_default())).clone()
}

/// A name unique within this run.
pub fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Deterministic bytes (a pattern that catches misplaced chunks).
/// Panics with where `got` first differs from `want` (lengths, offset, the differing 4 KiB
/// pages, and where in `want` the first wrong page's bytes come from, if anywhere): a read
/// that returns wrong bytes must say how, not only that.
pub fn assert_same_bytes(what: &str, got: &[u8], want: &[u8]) {
    if got == want {
        return;
    }
    let first = got.iter().zip(want).position(|(a, b)| a != b);
    let pages: Vec<usize> = got
        .chunks(4096)
        .zip(want.chunks(4096))
        .enumerate()
        .filter(|(_, (a, b))| a != b)
        .map(|(i, _)| i)
        .collect();
    let source = first.map(|at| {
        let page = &got[at - at % 4096..got.len().min(at - at % 4096 + 4096)];
        if page.iter().all(|&b| b == 0) {
            "zeros".to_string()
        } else {
            want.windows(page.len())
                .position(|w| w == page)
                .map_or("nowhere in the file".to_string(), |o| {
                    format!("the file at {o}")
                })
        }
    });
    panic!(
        "{what}: {} bytes read, {} expected; first difference at {first:?}; {} of {} pages \
         differ (first {:?}); the first wrong page holds {source:?}",
        got.len(),
        want.len(),
        pages.len(),
        want.len().div_ceil(4096),
        &pages[..pages.len().min(16)],
    );
}

pub use wnet_testkit::pattern;

/// A mounted share, its runtime and mount directory. Dropping it unmounts (forced, lazy) even
/// when the test failed, so no dead mount stays behind.
pub struct Mounted {
    pub drive: Option<Drive>,
    pub mnt: PathBuf,
    pub share_dir: PathBuf,
    /// The runtime serving the drive; dropped after it (field order).
    pub _rt: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
}

impl Mounted {
    pub fn drive(&self) -> &Drive {
        self.drive.as_ref().expect("mounted")
    }

    /// `mnt/rel`.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.mnt.join(rel)
    }

    /// `share_dir/rel` (the server's disk).
    pub fn disk(&self, rel: &str) -> PathBuf {
        self.share_dir.join(rel)
    }
}

impl Drop for Mounted {
    fn drop(&mut self) {
        if let Some(d) = self.drive.take() {
            let _ = d.force_unmount();
        }
    }
}

/// Mounts `share` of `samba` with `timeouts`.
pub fn mount_with(samba: &Samba, share: &str, read_only: bool, timeouts: DriveTimeouts) -> Mounted {
    mount_config(samba, share, read_only, timeouts, false)
}

/// [`mount_with`], and whether the drive keeps small files under leases.
pub fn mount_config(
    samba: &Samba,
    share: &str,
    read_only: bool,
    timeouts: DriveTimeouts,
    leases: bool,
) -> Mounted {
    mount_over(samba, share, read_only, timeouts, leases, |fs| Arc::new(fs))
}

/// [`mount_config`] with the drive over `over(share)` (a provider wrapping the share).
pub fn mount_over(
    samba: &Samba,
    share: &str,
    read_only: bool,
    timeouts: DriveTimeouts,
    leases: bool,
    over: impl FnOnce(SmbFs) -> Arc<dyn RemoteFs>,
) -> Mounted {
    // RUST_LOG=wnet_smb=debug,wnet_smb2=info shows what the drive and the engine did.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (user, pw) = samba.user();
    let mut cfg = ClientConfig::new(samba.host(), user, pw).port(samba.port());
    if std::env::var_os("NOSIGN").is_some() {
        cfg.require_signing = false;
    }
    let tree = rt
        .block_on(async {
            let s = Session::connect(cfg).await?;
            s.tree_connect(share).await
        })
        .expect("tree connect");
    let dir = tempfile::tempdir().unwrap();
    let mnt = dir.path().join("Z");
    let drive = Drive::mount(
        over(SmbFs::new(tree, None)),
        rt.handle().clone(),
        DriveConfig {
            mountpoint: mnt.clone(),
            fsname: format!("//{}/{share}", samba.host()),
            timeouts,
            read_only,
            leases,
        },
    )
    .expect("mount");
    Mounted {
        drive: Some(drive),
        mnt,
        share_dir: samba.share_dir(share),
        _rt: rt,
        _dir: dir,
    }
}

/// Mounts `share` of the shared Samba with default timeouts.
pub fn mount(share: &str) -> Mounted {
    mount_with(&samba(), share, false, DriveTimeouts::default())
}

/// The first `Some` of `probe`, polled for up to 20 s: for a test whose subject is not the
/// freshness bound but needs someone else's change to have shown (a loaded machine may take
/// longer than the promised second; tests of the promise itself use [`within_a_second`]).
pub fn once_visible<T>(probe: impl FnMut() -> Option<T>) -> T {
    poll_for(Duration::from_secs(20), probe)
}

/// The first `Some` of `probe`, polled for at most the freshness bound (1 s, plus scheduling
/// slack): what someone else does on the server shows within that.
pub fn within_a_second<T>(probe: impl FnMut() -> Option<T>) -> T {
    poll_for(Duration::from_millis(1100), probe)
}

fn poll_for<T>(bound: Duration, mut probe: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = probe() {
            return v;
        }
        assert!(
            start.elapsed() < bound,
            "not visible after {:?}",
            start.elapsed()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Another SMB client on the test Samba, and its runtime.
pub fn other_client() -> (tokio::runtime::Runtime, Tree) {
    let s = samba();
    let (u, p) = s.user();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let t = rt.block_on(async {
        let sess = Session::connect(ClientConfig::new(s.host(), u, p).port(s.port()))
            .await
            .unwrap();
        sess.tree_connect("rw").await.unwrap()
    });
    (rt, t)
}

/// Runs a shell command; panics with its output unless it succeeds.
pub fn sh(script: &str) -> String {
    let out = Command::new("sh").arg("-c").arg(script).output().unwrap();
    assert!(
        out.status.success(),
        "{script}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn errno_of(e: &std::io::Error) -> i32 {
    e.raw_os_error().unwrap_or(0)
}

#[test]
fn mount_shows_fsname_and_serves_the_root() {
    let m = mount("ro");
    let out = sh(&format!("findmnt -n -o SOURCE,FSTYPE {}", m.mnt.display()));
    assert!(out.contains(&format!("//{}/ro", samba().host())), "{out}");
    assert!(
        out.split_whitespace()
            .nth(1)
            .is_some_and(|t| t.starts_with("fuse")),
        "{out}"
    );
    let names: Vec<String> = fs::read_dir(&m.mnt)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, vec!["hello.txt".to_string()]);
    assert_eq!(
        fs::read(m.path("hello.txt")).unwrap(),
        b"hello from samba\n"
    );
    let md = fs::metadata(m.path("hello.txt")).unwrap();
    assert_eq!(md.len(), 17);
    assert!(md.is_file());
    // SAFETY: geteuid has no preconditions.
    assert_eq!(md.uid(), unsafe { libc::geteuid() });
}

#[test]
fn files_at_block_edges_are_byte_identical_both_ways() {
    let m = mount("rw");
    let d = unique("edges");
    fs::create_dir(m.path(&d)).unwrap();
    let sizes = [
        0usize,
        1,
        4095,
        4096,
        4097,
        128 * 1024 - 1,
        128 * 1024,
        128 * 1024 + 1,
        (1 << 20) - 1,
        1 << 20,
        (1 << 20) + 1,
        3 * (1 << 20) + 12345,
    ];
    for (i, &n) in sizes.iter().enumerate() {
        let data = pattern(n, i as u64 + 1);
        // Through the mount, checked on the server's disk.
        let rel = format!("{d}/w{n}");
        fs::write(m.path(&rel), &data).unwrap();
        assert_eq!(fs::metadata(m.path(&rel)).unwrap().len(), n as u64);
        assert!(
            fs::read(m.disk(&rel)).unwrap() == data,
            "write of {n} bytes differs"
        );
        // On the server's disk, read through the mount (the freshness bound itself is
        // `changes_made_on_the_server_show_within_one_second`'s subject).
        let rel = format!("{d}/r{n}");
        fs::write(m.disk(&rel), &data).unwrap();
        assert!(
            once_visible(|| fs::read(m.path(&rel)).ok()) == data,
            "read of {n} bytes differs"
        );
    }
}

#[test]
fn shell_tools_cp_cat_mv_rm_dd_truncate() {
    let m = mount("rw");
    let d = unique("tools");
    let src = tempfile::NamedTempFile::new().unwrap();
    let data = pattern(700_001, 9);
    fs::write(src.path(), &data).unwrap();
    let mnt = m.mnt.display();
    sh(&format!(
        "mkdir {mnt}/{d} && cp {} {mnt}/{d}/a",
        src.path().display()
    ));
    assert!(fs::read(m.disk(&format!("{d}/a"))).unwrap() == data);
    let cat = Command::new("cat")
        .arg(m.path(&format!("{d}/a")))
        .output()
        .unwrap();
    assert!(cat.stdout == data);
    sh(&format!("mv {mnt}/{d}/a {mnt}/{d}/b"));
    assert!(!m.disk(&format!("{d}/a")).exists());
    assert!(fs::read(m.disk(&format!("{d}/b"))).unwrap() == data);
    sh(&format!(
        "dd if=/dev/zero of={mnt}/{d}/b bs=1000 seek=10 count=1 conv=notrunc status=none"
    ));
    let mut want = data.clone();
    want[10_000..11_000].fill(0);
    assert!(fs::read(m.disk(&format!("{d}/b"))).unwrap() == want);
    sh(&format!("truncate -s 5000 {mnt}/{d}/b"));
    assert_eq!(fs::read(m.disk(&format!("{d}/b"))).unwrap(), want[..5000]);
    sh(&format!("truncate -s 9000 {mnt}/{d}/b"));
    let got = fs::read(m.disk(&format!("{d}/b"))).unwrap();
    assert_eq!(got.len(), 9000);
    assert!(got[5000..].iter().all(|&b| b == 0));
    let ls = sh(&format!("ls {mnt}/{d}"));
    assert_eq!(ls, "b\n");
    sh(&format!("rm {mnt}/{d}/b && rmdir {mnt}/{d}"));
    assert!(!m.disk(&d).exists());
}

#[test]
fn append_overwrite_and_truncate_through_one_handle() {
    let m = mount("rw");
    let rel = unique("append");
    fs::write(m.path(&rel), b"hello").unwrap();
    let mut f = fs::OpenOptions::new()
        .append(true)
        .open(m.path(&rel))
        .unwrap();
    f.write_all(b" world").unwrap();
    drop(f);
    assert_eq!(fs::read(m.disk(&rel)).unwrap(), b"hello world");
    let mut f = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(m.path(&rel))
        .unwrap();
    f.seek(SeekFrom::Start(6)).unwrap();
    f.write_all(b"WORLD!").unwrap();
    // Reading back through the same handle sees the buffered write.
    let mut s = String::new();
    f.seek(SeekFrom::Start(0)).unwrap();
    f.read_to_string(&mut s).unwrap();
    assert_eq!(s, "hello WORLD!");
    f.set_len(5).unwrap();
    drop(f);
    assert_eq!(fs::read(m.disk(&rel)).unwrap(), b"hello");
    // O_TRUNC.
    fs::write(m.path(&rel), b"x").unwrap();
    assert_eq!(fs::read(m.disk(&rel)).unwrap(), b"x");
}

#[test]
fn mkdir_rename_rmdir_unlink_and_their_errors() {
    let m = mount("rw");
    let d = unique("tree");
    fs::create_dir(m.path(&d)).unwrap();
    fs::create_dir(m.path(&format!("{d}/sub"))).unwrap();
    fs::write(m.path(&format!("{d}/sub/f")), b"1").unwrap();
    assert!(m.disk(&format!("{d}/sub/f")).is_file());
    let e = fs::create_dir(m.path(&d)).unwrap_err();
    assert_eq!(errno_of(&e), libc::EEXIST);
    let e = fs::remove_dir(m.path(&format!("{d}/sub"))).unwrap_err();
    assert_eq!(errno_of(&e), libc::ENOTEMPTY);
    fs::rename(m.path(&format!("{d}/sub")), m.path(&format!("{d}/moved"))).unwrap();
    assert_eq!(fs::read(m.path(&format!("{d}/moved/f"))).unwrap(), b"1");
    assert!(m.disk(&format!("{d}/moved/f")).is_file());
    let e = fs::read(m.path(&format!("{d}/sub/f"))).unwrap_err();
    assert_eq!(errno_of(&e), libc::ENOENT);
    fs::remove_file(m.path(&format!("{d}/moved/f"))).unwrap();
    fs::remove_dir(m.path(&format!("{d}/moved"))).unwrap();
    fs::remove_dir(m.path(&d)).unwrap();
    assert!(!m.disk(&d).exists());
    let e = fs::remove_file(m.path(&d)).unwrap_err();
    assert_eq!(errno_of(&e), libc::ENOENT);
}

#[test]
fn rename_noreplace_gives_eexist_and_plain_rename_replaces() {
    let m = mount("rw");
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
    assert_eq!(rc, -1);
    assert_eq!(errno_of(&std::io::Error::last_os_error()), libc::EEXIST);
    assert_eq!(fs::read(m.disk(&b)).unwrap(), b"B");
    fs::rename(m.path(&a), m.path(&b)).unwrap();
    assert_eq!(fs::read(m.disk(&b)).unwrap(), b"A");
    assert!(!m.disk(&a).exists());
}

#[test]
fn names_smb_cannot_hold_are_einval_and_case_is_ignored() {
    let m = mount("rw");
    let d = unique("names");
    fs::create_dir(m.path(&d)).unwrap();
    for bad in [
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
    ] {
        let e = fs::write(m.path(&format!("{d}/{bad}")), b"x").unwrap_err();
        assert_eq!(errno_of(&e), libc::EINVAL, "{bad:?}");
    }
    fs::write(m.path(&format!("{d}/MixedCase.txt")), b"one").unwrap();
    assert_eq!(
        fs::read(m.path(&format!("{d}/mixedcase.TXT"))).unwrap(),
        b"one"
    );
    let a = fs::metadata(m.path(&format!("{d}/MixedCase.txt"))).unwrap();
    let b = fs::metadata(m.path(&format!("{d}/MIXEDCASE.TXT"))).unwrap();
    assert_eq!(a.ino(), b.ino());
    // Creating the other spelling exclusively: it exists.
    let e = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(m.path(&format!("{d}/mixedCASE.txt")))
        .unwrap_err();
    assert_eq!(errno_of(&e), libc::EEXIST);
}

#[test]
fn read_only_share_refuses_writes_with_erofs_or_eacces() {
    let m = mount("ro");
    for e in [
        fs::write(m.path("new.txt"), b"x").unwrap_err(),
        fs::OpenOptions::new()
            .write(true)
            .open(m.path("hello.txt"))
            .unwrap_err(),
        fs::create_dir(m.path("d")).unwrap_err(),
        fs::remove_file(m.path("hello.txt")).unwrap_err(),
    ] {
        assert!([libc::EROFS, libc::EACCES].contains(&errno_of(&e)), "{e:?}");
    }
    assert_eq!(
        fs::read(m.path("hello.txt")).unwrap(),
        b"hello from samba\n"
    );
}

#[test]
fn read_only_mount_is_erofs() {
    let m = mount_with(&samba(), "rw", true, DriveTimeouts::default());
    let e = fs::write(m.path(&unique("x")), b"x").unwrap_err();
    assert_eq!(errno_of(&e), libc::EROFS);
}

#[test]
fn statfs_reports_the_share_size() {
    let m = mount("rw");
    let out = sh(&format!("stat -f -c '%b %a %S %l' {}", m.mnt.display()));
    let v: Vec<u64> = out.split_whitespace().map(|x| x.parse().unwrap()).collect();
    assert!(v[0] > 0 && v[1] > 0 && v[1] <= v[0], "{out}");
    assert!(v[2] >= 512, "{out}");
    assert_eq!(v[3], 255);
    // Same disk as the share directory: within 10% of its size.
    let local = sh(&format!("stat -f -c '%b %S' {}", m.share_dir.display()));
    let l: Vec<u64> = local
        .split_whitespace()
        .map(|x| x.parse().unwrap())
        .collect();
    let (ours, theirs) = (v[0] * v[2], l[0] * l[1]);
    assert!(ours.abs_diff(theirs) < theirs / 10, "{ours} vs {theirs}");
}

#[test]
fn touch_d_reaches_the_server_and_chmod_maps_to_read_only() {
    let m = mount("rw");
    let rel = unique("touch");
    fs::write(m.path(&rel), b"t").unwrap();
    sh(&format!(
        "touch -d '2001-02-03 04:05:06 UTC' {}",
        m.path(&rel).display()
    ));
    let md = fs::metadata(m.disk(&rel)).unwrap();
    assert_eq!(md.mtime(), 981_173_106);
    let md = fs::metadata(m.path(&rel)).unwrap();
    assert_eq!(md.mtime(), 981_173_106);
    fs::set_permissions(m.path(&rel), fs::Permissions::from_mode(0o444)).unwrap();
    let mode = fs::metadata(m.path(&rel)).unwrap().permissions().mode();
    assert_eq!(mode & 0o222, 0, "{mode:o}");
    fs::set_permissions(m.path(&rel), fs::Permissions::from_mode(0o644)).unwrap();
    let mode = fs::metadata(m.path(&rel)).unwrap().permissions().mode();
    assert_eq!(mode & 0o200, 0o200, "{mode:o}");
}

#[test]
fn changes_made_on_the_server_show_within_one_second() {
    let m = mount("rw");
    let d = unique("fresh");
    fs::create_dir(m.path(&d)).unwrap();
    // Prime the caches.
    assert_eq!(fs::read_dir(m.path(&d)).unwrap().count(), 0);
    assert!(fs::metadata(m.path(&format!("{d}/n"))).is_err());
    fs::write(m.path(&format!("{d}/f")), b"old").unwrap();
    assert_eq!(fs::metadata(m.path(&format!("{d}/f"))).unwrap().len(), 3);
    // Someone else changes the share.
    fs::write(m.disk(&format!("{d}/n")), b"new file").unwrap();
    fs::write(m.disk(&format!("{d}/f")), b"changed!").unwrap();
    let start = Instant::now();
    let seen = |m: &Mounted| {
        fs::metadata(m.path(&format!("{d}/n"))).is_ok()
            && fs::metadata(m.path(&format!("{d}/f")))
                .map(|x| x.len())
                .ok()
                == Some(8)
            && fs::read_dir(m.path(&d)).unwrap().count() == 2
    };
    while !seen(&m) {
        assert!(
            start.elapsed() < Duration::from_millis(1100),
            "not visible after {:?}",
            start.elapsed()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(fs::read(m.path(&format!("{d}/f"))).unwrap(), b"changed!");
}

#[test]
fn a_watched_directory_stays_exact_long_after_the_short_ttls() {
    let m = mount("rw");
    let d = unique("watched");
    fs::create_dir(m.path(&d)).unwrap();
    for n in ["keep", "grow", "gone", "moved"] {
        fs::write(m.path(&format!("{d}/{n}")), b"v1").unwrap();
    }
    let size = |n: &str| fs::metadata(m.path(&format!("{d}/{n}"))).map(|x| x.len());
    // Prime: the directory is watched and complete, its entries cached in the kernel.
    assert_eq!(fs::read_dir(m.path(&d)).unwrap().count(), 4);
    for n in ["keep", "grow", "gone", "moved"] {
        assert_eq!(size(n).unwrap(), 2);
    }
    assert!(size("new").is_err());
    assert!(m.drive().watched_dirs() >= 1, "the directory is watched");
    // Past every short TTL: from here on only the watch keeps the drive fresh.
    std::thread::sleep(Duration::from_millis(1200));
    assert_eq!(size("grow").unwrap(), 2);
    // Someone else changes the directory on the server.
    fs::write(m.disk(&format!("{d}/grow")), b"version 2").unwrap();
    fs::remove_file(m.disk(&format!("{d}/gone"))).unwrap();
    fs::write(m.disk(&format!("{d}/new")), b"n").unwrap();
    fs::rename(
        m.disk(&format!("{d}/moved")),
        m.disk(&format!("{d}/moved2")),
    )
    .unwrap();
    within_a_second(|| {
        let mut names: Vec<String> = fs::read_dir(m.path(&d))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        let ok = size("grow").ok() == Some(9)
            && size("gone").is_err()
            && size("new").ok() == Some(1)
            && size("moved").is_err()
            && size("moved2").ok() == Some(2)
            && names == ["grow", "keep", "moved2", "new"];
        ok.then_some(())
    });
    assert_eq!(
        fs::read(m.path(&format!("{d}/grow"))).unwrap(),
        b"version 2"
    );
    assert_eq!(size("keep").unwrap(), 2);
}

/// A Samba of its own that logs every request (`log level = 1 smb2:10`: what the server
/// was asked can be read in its log) and the drive on its share `rw` (declared after it:
/// unmounted first).
pub fn logging_every_request() -> (Samba, Mounted) {
    let samba = wnet_testkit::SambaBuilder::new()
        .user(wnet_testkit::DEFAULT_USER, wnet_testkit::DEFAULT_PASSWORD)
        .share(wnet_testkit::Share::new("rw"))
        .global("log level", "1 smb2:10")
        .start()
        .unwrap();
    let m = mount_with(&samba, "rw", false, DriveTimeouts::default());
    (samba, m)
}

/// The notify daemon of `samba` (`smbd-notifyd`, which smbd forks at start and which adds
/// the kernel's inotify watches), stopped (SIGSTOP) until this is dropped.
struct NotifydStopped(libc::pid_t);

impl NotifydStopped {
    fn of(samba: &Samba) -> NotifydStopped {
        let smbd = samba.pid().to_string();
        let pid = fs::read_dir("/proc")
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<libc::pid_t>().ok())
            .find(|pid| {
                let comm = fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
                let stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
                // "pid (comm) state ppid ...": the parent is the second field after the name.
                let parent = stat
                    .rsplit_once(") ")
                    .map(|(_, rest)| rest.split(' ').nth(1));
                comm.trim() == "smbd-notifyd" && parent == Some(Some(smbd.as_str()))
            })
            .expect("smbd-notifyd of the test's smbd");
        // SAFETY: a signal to a process of ours, resumed by Drop.
        assert_eq!(unsafe { libc::kill(pid, libc::SIGSTOP) }, 0);
        NotifydStopped(pid)
    }
}

impl Drop for NotifydStopped {
    fn drop(&mut self) {
        // SAFETY: as in `of`.
        unsafe { libc::kill(self.0, libc::SIGCONT) };
    }
}

/// Samba takes a new watch (CHANGE_NOTIFY) to its notify daemon by message; a file written
/// on its disk before the daemon got to it is never notified, however long the request
/// waits. The drive's listing of the directory may be older than that file: it lists again
/// until a notification shows the watch live. Made certain by stopping the daemon while
/// the drive arms its watch and lists; the file is written, then the daemon goes on.
#[test]
fn a_file_written_before_samba_watched_the_directory_still_shows() {
    let (samba, m) = logging_every_request();
    let d = unique("arming");
    fs::create_dir(m.disk(&d)).unwrap();
    once_visible(|| fs::metadata(m.path(&d)).ok());
    let log = samba.log_dir().join("smbd.log");
    let from = fs::metadata(&log).unwrap().len() as usize;
    let notifyd = NotifydStopped::of(&samba);
    // A lookup arms the watch on the directory; the watch's listing follows. (Of another
    // name: one asked of the server while the listing is on its way is asked again after.)
    assert!(fs::metadata(m.path(&format!("{d}/other"))).is_err());
    let new = format!("{d}/new");
    let listing = format!("dirpath=<{d}>");
    once_visible(|| {
        let text = fs::read(&log).ok()?;
        let text = String::from_utf8_lossy(&text[from..]).into_owned();
        let (_, after) = text.split_once(listing.as_str())?;
        after.contains("smbd_smb2_request_find_done").then_some(())
    });
    fs::write(m.disk(&new), b"n").unwrap();
    drop(notifyd);
    once_visible(|| (fs::metadata(m.path(&new)).ok()?.len() == 1).then_some(()));
}

#[test]
fn watched_directories_can_be_renamed_and_removed_at_once() {
    let m = mount("rw");
    let d = unique("wdir");
    fs::create_dir_all(m.path(&format!("{d}/a/b"))).unwrap();
    fs::write(m.path(&format!("{d}/a/b/f")), b"x").unwrap();
    // Watch all three levels.
    for sub in ["", "/a", "/a/b"] {
        fs::read_dir(m.path(&format!("{d}{sub}"))).unwrap().count();
    }
    // The server refuses to rename a directory with a handle open below it: the watches on
    // a and a/b must be closed first.
    fs::rename(m.path(&format!("{d}/a")), m.path(&format!("{d}/c"))).unwrap();
    assert!(m.disk(&format!("{d}/c/b/f")).is_file());
    assert!(!m.disk(&format!("{d}/a")).exists());
    assert_eq!(fs::read(m.path(&format!("{d}/c/b/f"))).unwrap(), b"x");
    fs::remove_file(m.path(&format!("{d}/c/b/f"))).unwrap();
    fs::read_dir(m.path(&format!("{d}/c/b"))).unwrap().count();
    fs::remove_dir(m.path(&format!("{d}/c/b"))).unwrap();
    // Gone on the server at once (a handle left open would keep it until closed).
    assert!(!m.disk(&format!("{d}/c/b")).exists());
    fs::create_dir(m.path(&format!("{d}/c/b"))).unwrap();
    assert!(m.disk(&format!("{d}/c/b")).is_dir());
}

#[test]
fn ls_l_of_a_directory_lists_sizes_from_the_listing() {
    let m = mount("rw");
    let d = unique("lsl");
    fs::create_dir(m.disk(&d)).unwrap();
    for i in 0..50 {
        fs::write(m.disk(&format!("{d}/f{i:02}")), vec![b'x'; i]).unwrap();
    }
    let out = sh(&format!("ls -l {}", m.path(&d).display()));
    let lines: Vec<&str> = out.lines().filter(|l| l.contains(" f")).collect();
    assert_eq!(lines.len(), 50, "{out}");
    assert!(
        lines[7].split_whitespace().nth(4) == Some("7"),
        "{}",
        lines[7]
    );
}
