//! Building and running C programs against `include/winnetwk.h` and `libwnet.so`, each with a
//! private wnet environment (runtime, config, state, drive root under a temp dir) served by a
//! daemon in this process or by the real `wnetd`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

use tempfile::TempDir;
use wnet_core::{LocalName, ProfileStore, RememberedConnection, Router, UncPath};
use wnet_proto::Paths;

/// `target/debug` (or the profile dir the tests were built in).
pub fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    // target/<profile>/deps/it-<hash>
    exe.parent().unwrap().parent().unwrap().to_path_buf()
}

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The built `libwnet.so`, copied once per test run into a private directory that the programs
/// link against and load from, laid out as installed: the file under its SONAME
/// (`libwnet.so.1`, which linked programs ask the loader for) and the `libwnet.so` development
/// link the linker's `-lwnet` finds. Cargo builds the cdylib into `deps/` and does not always
/// refresh the copy in `target/<profile>/` (e.g. for `--test it`), so the newer of the two is
/// taken; the private copy keeps a concurrent rebuild from changing it under a running test.
/// Returns the SONAME file.
pub fn libwnet() -> PathBuf {
    static COPY: OnceLock<PathBuf> = OnceLock::new();
    COPY.get_or_init(|| {
        let candidates = [
            target_dir().join("libwnet.so"),
            target_dir().join("deps/libwnet.so"),
        ];
        let newest = candidates
            .iter()
            .filter_map(|p| Some((std::fs::metadata(p).ok()?.modified().ok()?, p)))
            .max()
            .map(|(_, p)| p.clone())
            .expect("libwnet.so is not built");
        let dir = out_dir().join("lib");
        std::fs::create_dir_all(&dir).unwrap();
        let copy = dir.join(SONAME);
        std::fs::copy(&newest, &copy).unwrap();
        std::os::unix::fs::symlink(SONAME, dir.join("libwnet.so")).unwrap();
        copy
    })
    .clone()
}

/// The library's SONAME (`crates/wnet-capi/build.rs`).
pub const SONAME: &str = "libwnet.so.1";

fn out_dir() -> &'static Path {
    OUT.get_or_init(|| tempfile::tempdir().unwrap()).path()
}

/// The C sources of the tests.
pub fn c_source(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/c")
        .join(name)
}

/// C or C++.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    C,
    Cxx,
}

static OUT: OnceLock<TempDir> = OnceLock::new();

/// Compiles `source` (in `tests/c`) warning-free (`-Wall -Wextra -Wpedantic -Werror`) as C or C++, with
/// extra flags, into a fresh executable; panics with the compiler's output on failure.
pub fn compile(source: &str, lang: Lang, extra: &[&str]) -> PathBuf {
    // Tests run in parallel: each program is built once, and nobody runs it half-written.
    static BUILT: Mutex<BTreeMap<String, PathBuf>> = Mutex::new(BTreeMap::new());
    let key = format!("{source}|{lang:?}|{}", extra.join(" "));
    let mut built = BUILT.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(exe) = built.get(&key) {
        return exe.clone();
    }
    let exe = build(source, lang, extra);
    built.insert(key, exe.clone());
    exe
}

fn build(source: &str, lang: Lang, extra: &[&str]) -> PathBuf {
    let tag = extra.join("").replace(['-', '=', '/'], "_");
    let exe = out_dir().join(format!("{source}-{lang:?}{tag}").replace('.', "_"));
    let lib_dir = libwnet().parent().unwrap().to_path_buf();
    let mut cmd = match lang {
        Lang::C => {
            let mut c = Command::new("cc");
            c.arg("-std=c11");
            c
        }
        Lang::Cxx => {
            let mut c = Command::new("c++");
            c.args(["-x", "c++", "-std=c++17"]);
            c
        }
    };
    cmd.args([
        "-Wall",
        "-Wextra",
        "-Wpedantic",
        "-Werror",
        "-g",
        "-pthread",
    ])
    .arg("-I")
    .arg(workspace().join("include"))
    .args(extra)
    .arg(c_source(source))
    .arg("-o")
    .arg(&exe);
    if lang == Lang::Cxx {
        // Stop treating the following objects as C++.
        cmd.args(["-x", "none"]);
    }
    cmd.arg("-L")
        .arg(&lib_dir)
        .arg("-lwnet")
        .arg(format!("-Wl,-rpath,{}", lib_dir.display()));
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "compiling {source} as {lang:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    exe
}

/// What a program printed and returned.
#[derive(Debug)]
pub struct Run {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

impl Run {
    /// `label=value` lines as a map (other lines ignored).
    pub fn values(&self) -> BTreeMap<String, String> {
        self.stdout
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }
}

/// A private wnet environment: a temp dir laid out as [`Paths::under`], optionally with a
/// daemon (no network providers) served in this process.
pub struct Env {
    pub paths: Paths,
    pub dir: TempDir,
    /// The in-process daemon, if [`Env::with_daemon`] made one.
    daemon: Option<wnetd::BackgroundDaemon>,
}

impl Env {
    /// An environment without a daemon: the first call of a program starts the real `wnetd`.
    pub fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::under(dir.path());
        Env {
            paths,
            dir,
            daemon: None,
        }
    }

    /// An environment with a daemon (no network providers) served by this test process.
    pub fn with_daemon() -> Env {
        let mut env = Env::new();
        let daemon =
            wnetd::BackgroundDaemon::with_router(env.paths.clone(), Router::new(Vec::new()));
        env.daemon = Some(daemon.expect("no other daemon"));
        env
    }

    pub fn profile(&self) -> ProfileStore {
        ProfileStore::new(self.paths.profile.clone())
    }

    /// Remembers `device` for `remote` as `net use /PERSISTENT:YES` would.
    pub fn remember(&self, device: &str, remote: &str) {
        self.profile()
            .remember(
                LocalName::parse(device).unwrap(),
                RememberedConnection::disk(
                    UncPath::parse(remote).unwrap().into(),
                    "Microsoft Windows Network",
                    0x20000,
                ),
            )
            .unwrap();
    }

    pub fn remembered(&self, device: &str) -> bool {
        self.profile()
            .get(LocalName::parse(device).unwrap())
            .unwrap()
            .is_some()
    }

    /// The environment a program runs with: only the wnet places, `PATH`, `HOME`, and `WNETD`.
    pub fn command(&self, exe: &Path) -> Command {
        let mut cmd = Command::new(exe);
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("WNETD", wnetd_binary());
        for (k, v) in self.paths.env() {
            cmd.env(k, v);
        }
        cmd
    }

    /// Starts a program with its standard input and output piped (a dialogue with the test).
    pub fn spawn(
        &self,
        exe: &Path,
    ) -> (
        std::process::Child,
        std::io::BufReader<std::process::ChildStdout>,
    ) {
        let mut child = self
            .command(exe)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let out = std::io::BufReader::new(child.stdout.take().unwrap());
        (child, out)
    }

    /// Runs a program to its end.
    pub fn run(&self, exe: &Path, args: &[&str]) -> Run {
        let out = self.command(exe).args(args).output().unwrap();
        Run {
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            code: out.status.code().unwrap_or(-1),
        }
    }

    /// The pid of the daemon serving this environment's socket, if one does.
    pub fn daemon_pid(&self) -> Option<u32> {
        wnet_proto::Client::connect_to(&self.paths.socket, "wnet-capi-tests")
            .ok()
            .map(|c| c.daemon_pid())
    }

    /// Stops a real daemon this environment's programs started (by its pid), if any.
    pub fn stop_started_daemon(&self) {
        if self.daemon.is_some() {
            return;
        }
        let Some(pid) = self.daemon_pid() else {
            return;
        };
        // SAFETY: signalling the daemon this test's program started.
        unsafe { libc::kill(pid as i32, libc::SIGTERM) };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while Path::new(&format!("/proc/{pid}")).exists() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        self.stop_started_daemon();
        self.daemon.take();
    }
}

/// The real daemon: `target/<profile>/wnetd`. `cargo test -p wnet-capi` builds only wnetd's
/// library (a dev-dependency), so the binary is brought up to date here, once per test run
/// (a no-op when `cargo test --workspace` just built it).
pub fn wnetd_binary() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let path = target_dir().join("wnetd");
            let profile = target_dir();
            let release = profile.file_name().is_some_and(|n| n == "release");
            let mut cmd = Command::new(env!("CARGO"));
            cmd.args(["build", "-q", "-p", "wnetd", "--bin", "wnetd"])
                .current_dir(workspace());
            // What `cargo test` set for this test binary must not reach the inner build: a
            // build script that tracks one of them (ring's tracks CARGO_MANIFEST_DIR) would
            // make cargo rebuild ring, rustls and every crate above them, twice per run.
            for (k, _) in std::env::vars_os() {
                let k = k.to_string_lossy();
                if k == "OUT_DIR"
                    || k.starts_with("CARGO_PKG_")
                    || matches!(
                        &*k,
                        "CARGO_MANIFEST_DIR"
                            | "CARGO_MANIFEST_PATH"
                            | "CARGO_CRATE_NAME"
                            | "CARGO_PRIMARY_PACKAGE"
                            | "CARGO_TARGET_TMPDIR"
                    )
                {
                    cmd.env_remove(&*k);
                }
            }
            if release {
                cmd.arg("--release");
            }
            let status = cmd.status().unwrap();
            assert!(status.success(), "cargo build -p wnetd failed");
            assert!(path.is_file(), "{} is not built", path.display());
            path
        })
        .clone()
}
