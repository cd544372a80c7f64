//! What the side-by-side benchmarks share: arguments, cache dropping, medians, test data,
//! `smbclient` runs and `rclone mount` peers.

use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use wnet_testkit::Samba;

/// Command-line knobs: `--size-mib N` (or env `WNET_BENCH_MIB`; default 1024) and
/// `--rounds N` (default 3).
#[derive(Debug, Clone)]
pub struct Args {
    /// Size of the big file in MiB.
    pub size_mib: u64,
    /// Rounds; every reported time is the median over them.
    pub rounds: usize,
    /// `--only a,b`: run only these sides (by their tags); empty: all.
    pub only: Vec<String>,
    /// `--rows a,b`: the row groups `drive` runs (default: all but `dav`).
    pub rows: Vec<crate::rows::Group>,
    /// `--entries N`: entries of `drive`'s big directory (default 100,000).
    pub entries: usize,
}

impl Args {
    /// The big file's size in bytes.
    pub fn size(&self) -> u64 {
        self.size_mib << 20
    }
}

/// Parses `--size-mib N`, `--rounds N` (env `WNET_BENCH_MIB` is the size's default),
/// `--only A,B` (sides to run, where a benchmark has several), and `drive`'s `--rows A,B`
/// (row groups: `base,parallel,encrypted,bigdir,memory,reread,dav`; default all but `dav`) and
/// `--entries N` (big directory).
///
/// # Panics
///
/// On an unknown argument or a value that is not a positive number.
pub fn args() -> Args {
    let mut a = Args {
        size_mib: std::env::var("WNET_BENCH_MIB")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1024),
        rounds: 3,
        only: Vec::new(),
        rows: crate::rows::Group::default_set(),
        entries: 100_000,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let value = |it: &mut dyn Iterator<Item = String>| -> u64 {
            it.next()
                .and_then(|v| v.parse().ok())
                .filter(|&v| v > 0)
                .unwrap_or_else(|| panic!("{arg} wants a positive number"))
        };
        match arg.as_str() {
            "--size-mib" => a.size_mib = value(&mut it),
            "--rounds" => a.rounds = value(&mut it) as usize,
            "--only" => {
                let v = it.next().expect("--only wants a comma-separated list");
                a.only = v.split(',').map(str::to_owned).collect();
            }
            "--rows" => {
                let v = it.next().expect("--rows wants a comma-separated list");
                a.rows = crate::rows::Group::parse_list(&v).unwrap_or_else(|e| panic!("{e}"));
            }
            "--entries" => a.entries = value(&mut it) as usize,
            other => {
                panic!(
                    "unknown argument {other:?} (know --size-mib N, --rounds N, --only A,B, --rows A,B, --entries N)"
                )
            }
        }
    }
    a
}

/// `sync`: dirty pages of earlier steps must not be written back during a timed one.
pub fn sync() {
    // SAFETY: sync(2) takes no arguments and cannot fail.
    unsafe { libc::sync() };
}

/// `sync; echo 3 > /proc/sys/vm/drop_caches`: page cache, dentries and inodes of every file
/// system (the server's disk files and the FUSE mounts alike) are dropped.
///
/// # Panics
///
/// When not root.
pub fn drop_caches() {
    sync();
    std::fs::write("/proc/sys/vm/drop_caches", b"3").expect("drop_caches (run as root)");
}

/// The median (upper middle for an even count).
pub fn median(v: &[Duration]) -> Duration {
    let mut v = v.to_vec();
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

/// Deterministic, non-compressible-looking bytes: `len` bytes of a 64-bit LCG stream.
pub fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 8);
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    while out.len() < len {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        out.extend_from_slice(&(x >> 11).to_le_bytes());
    }
    out.truncate(len);
    out
}

/// Writes `size` bytes of [`pattern`] (1 MiB blocks, seeded per block) to `path` and fsyncs.
///
/// # Errors
///
/// I/O errors.
pub fn write_big_file(path: &Path, size: u64) -> io::Result<()> {
    let block = pattern(1 << 20, 7);
    let mut f = std::fs::File::create(path)?;
    let mut left = size;
    while left > 0 {
        let n = left.min(block.len() as u64) as usize;
        f.write_all(&block[..n])?;
        left -= n as u64;
    }
    f.sync_all()
}

/// Runs `smbclient -c command` against `share` and returns how long the process took.
///
/// # Panics
///
/// When smbclient fails.
pub fn smbclient(samba: &Samba, share: &str, command: &str) -> Duration {
    let t0 = Instant::now();
    let out = samba.smbclient(share, command);
    let took = t0.elapsed();
    assert!(
        out.status.success(),
        "smbclient {command:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    took
}

/// [`smbclient`] with signing forced (`--option=client signing=required`): the engine always
/// signs (AES-GMAC with Samba 4.17), plain smbclient does not.
///
/// # Panics
///
/// When smbclient fails.
pub fn smbclient_signed(samba: &Samba, share: &str, command: &str) -> Duration {
    let t0 = Instant::now();
    let out = smbclient_cmd(samba, share, &["--option=client signing=required"], command)
        .stdout(Stdio::piped())
        .output()
        .expect("smbclient");
    let took = t0.elapsed();
    assert!(
        out.status.success(),
        "smbclient (signed) {command:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    took
}

/// `smbclient` against `share` of `samba` as its default user, with extra options (e.g.
/// `--client-protection=encrypt`), running `command`: stdin and stdout closed, stderr
/// piped; not started.
pub fn smbclient_cmd(samba: &Samba, share: &str, options: &[&str], command: &str) -> Command {
    let (user, password) = samba.user();
    let mut c = Command::new("smbclient");
    c.arg("--configfile")
        .arg(samba.conf())
        .arg("-p")
        .arg(samba.port().to_string())
        .arg(format!("//{}/{share}", samba.host()))
        .arg("-U")
        .arg(format!("{user}%{password}"))
        .args(options)
        .arg("-c")
        .arg(command)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    c
}

/// Raises `RLIMIT_NOFILE` to at least `n` (root may raise the hard limit too).
///
/// # Panics
///
/// When the limit cannot be raised.
pub fn raise_nofile(n: u64) {
    let mut r = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit with a valid out/in pointer.
    unsafe {
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut r);
        if r.rlim_cur < n {
            r.rlim_cur = n;
            r.rlim_max = r.rlim_max.max(n);
            assert_eq!(
                libc::setrlimit(libc::RLIMIT_NOFILE, &r),
                0,
                "cannot raise RLIMIT_NOFILE to {n}"
            );
        }
    }
}

/// Polls `done` every 5 ms until it holds; returns false after `limit`.
pub fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if done() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Whether a file system is mounted exactly at `dir` (per `/proc/self/mountinfo`).
pub fn is_mounted(dir: &Path) -> bool {
    let want = dir.to_string_lossy().into_owned();
    std::fs::read_to_string("/proc/self/mountinfo")
        .map(|m| {
            m.lines()
                .any(|l| l.split(' ').nth(4).is_some_and(|p| p == want))
        })
        .unwrap_or(false)
}

/// An `rclone mount` (smb backend, `--config /dev/null`, on-the-fly remote) of one share, run
/// in the foreground as our child. Dropping it unmounts (`fusermount3 -u`) and ends the child.
#[derive(Debug)]
pub struct RcloneMount {
    child: Child,
    /// The mount point.
    pub dir: PathBuf,
}

impl RcloneMount {
    /// Mounts `share` of `samba` at `dir` (created) with extra `rclone mount` flags (e.g.
    /// `--vfs-cache-mode writes`), the VFS cache in `cache_dir`, the log in `log`, and waits
    /// (at most 30 s) until the mount is live.
    ///
    /// # Errors
    ///
    /// When rclone cannot run, exits, or the mount does not appear.
    pub fn start(
        samba: &Samba,
        share: &str,
        dir: &Path,
        cache_dir: &Path,
        log: &Path,
        extra: &[&str],
    ) -> io::Result<RcloneMount> {
        let (user, password) = samba.user();
        let obscured = Command::new("rclone")
            .arg("obscure")
            .arg(password)
            .output()?;
        if !obscured.status.success() {
            return Err(io::Error::other("rclone obscure failed"));
        }
        let pass = String::from_utf8_lossy(&obscured.stdout).trim().to_owned();
        let remote = format!(
            ":smb,host={},port={},user={user},pass={pass}:{share}",
            samba.host(),
            samba.port()
        );
        Self::start_remote(&remote, dir, cache_dir, log, extra)
    }

    /// [`RcloneMount::start`] of any on-the-fly rclone `remote` (`:webdav,url="…":`).
    ///
    /// # Errors
    ///
    /// When rclone cannot run, exits, or the mount does not appear.
    pub fn start_remote(
        remote: &str,
        dir: &Path,
        cache_dir: &Path,
        log: &Path,
        extra: &[&str],
    ) -> io::Result<RcloneMount> {
        std::fs::create_dir_all(dir)?;
        let child = Command::new("rclone")
            .arg("mount")
            .arg("--config")
            .arg("/dev/null")
            .arg(remote)
            .arg(dir)
            .arg("--cache-dir")
            .arg(cache_dir)
            .arg("--log-file")
            .arg(log)
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let mut m = RcloneMount {
            child,
            dir: dir.to_owned(),
        };
        let live = wait_until(Duration::from_secs(30), || {
            is_mounted(dir) && std::fs::read_dir(dir).is_ok()
        });
        if !live || m.child.try_wait()?.is_some() {
            return Err(io::Error::other(format!(
                "rclone mount at {} did not come up (log {})",
                dir.display(),
                log.display()
            )));
        }
        Ok(m)
    }

    /// The rclone process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for RcloneMount {
    fn drop(&mut self) {
        let _ = Command::new("fusermount3")
            .arg("-u")
            .arg(&self.dir)
            .stderr(Stdio::null())
            .status();
        let exited = wait_until(Duration::from_secs(10), || {
            matches!(self.child.try_wait(), Ok(Some(_)))
        });
        if !exited {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        if is_mounted(&self.dir) {
            let _ = Command::new("fusermount3")
                .arg("-uz")
                .arg(&self.dir)
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// A `davfs2` mount (`mount -t davfs`, as root) of a WebDAV URL, with its own configuration
/// (`-o conf=`: no credentials asked, a private cache, uploads at `close()` without its
/// default 10 s delay, so written data reaches the server as soon as it can; `buf_size 64`,
/// without which davfs2 1.6 on Linux ≥ 6.16 fails every `readdir` with `EINVAL`,
/// alisarctl/davfs2#22). Dropping it
/// unmounts (`umount`, which waits for uploads still pending) and removes its cache.
#[derive(Debug)]
pub struct Davfs2Mount {
    /// The mount point.
    pub dir: PathBuf,
    /// Its configuration and cache (removed after the unmount).
    work: Option<tempfile::TempDir>,
}

impl Davfs2Mount {
    /// Mounts `url` at `dir` (created), with its configuration and cache in a directory of
    /// its own (`mount.davfs` runs as the user `davfs2`, which must reach its cache), and
    /// waits (at most 30 s) until the mount is live.
    ///
    /// # Errors
    ///
    /// When `mount.davfs` is missing (Debian package `davfs2`) or the mount fails.
    pub fn start(url: &str, dir: &Path) -> io::Result<Davfs2Mount> {
        if !Path::new("/sbin/mount.davfs").exists() && !Path::new("/usr/sbin/mount.davfs").exists()
        {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                "mount.davfs is missing: apt-get install davfs2",
            ));
        }
        std::fs::create_dir_all(dir)?;
        let work = tempfile::Builder::new().prefix("wnet-davfs2").tempdir()?;
        std::fs::set_permissions(work.path(), std::fs::Permissions::from_mode(0o755))?;
        let cache = work.path().join("cache");
        std::fs::create_dir(&cache)?;
        // Measured: mount.davfs takes a cache of root's, group davfs2, mode 0775 (not one
        // owned by davfs2).
        let chown = Command::new("chown")
            .arg("root:davfs2")
            .arg(&cache)
            .status()?;
        if !chown.success() {
            return Err(io::Error::other("chgrp davfs2 of its cache failed"));
        }
        std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o775))?;
        // mount.davfs keeps its pid file there.
        std::fs::create_dir_all("/var/run/mount.davfs")?;
        let conf = work.path().join("davfs2.conf");
        std::fs::write(
            &conf,
            format!(
                "ask_auth 0\ncache_dir {}\ndelay_upload 0\nbuf_size 64\n",
                cache.display()
            ),
        )?;
        let out = Command::new("mount")
            .args(["-t", "davfs", "-o"])
            .arg(format!("conf={},uid=0,gid=0", conf.display()))
            .arg(url)
            .arg(dir)
            .stdin(Stdio::null())
            .output()?;
        if !out.status.success() {
            return Err(io::Error::other(format!(
                "mount -t davfs {url}: {}",
                String::from_utf8_lossy(&out.stderr)
            )));
        }
        let m = Davfs2Mount {
            dir: dir.to_owned(),
            work: Some(work),
        };
        if !wait_until(Duration::from_secs(30), || {
            is_mounted(dir) && std::fs::read_dir(dir).is_ok()
        }) {
            return Err(io::Error::other(format!(
                "davfs2 at {} did not come up",
                dir.display()
            )));
        }
        Ok(m)
    }
}

impl Drop for Davfs2Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg(&self.dir)
            .stderr(Stdio::null())
            .status();
        if is_mounted(&self.dir) {
            let _ = Command::new("umount")
                .arg("-l")
                .arg(&self.dir)
                .stderr(Stdio::null())
                .status();
        }
        if let Some(work) = self.work.take() {
            let _ = work.close();
        }
    }
}
