//! `wnet` end to end: the real binary, the real daemon over its socket (served in this test
//! process), a real Samba, real FUSE drives. Outputs are compared byte for byte.

mod neighbours;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use wnet_proto::Paths;
use wnet_testkit::{DEFAULT_PASSWORD, DEFAULT_USER, Samba};
use wnetd::BackgroundDaemon;

mod dfs;
mod docs_examples;
mod kerberos;
mod printers;
mod shell;
mod tools_report;
mod webdav;

struct World {
    samba: Samba,
    daemon: BackgroundDaemon,
    dir: tempfile::TempDir,
}

impl World {
    fn new() -> World {
        World::with(Samba::start_default())
    }

    fn with(samba: Samba) -> World {
        let dir = tempfile::tempdir().unwrap();
        let daemon = BackgroundDaemon::start(Paths::under(dir.path())).unwrap();
        World { samba, daemon, dir }
    }

    fn paths(&self) -> &Paths {
        self.daemon.paths()
    }

    fn wnet(&self, args: &[&str]) -> Output {
        self.wnet_with_stdin(args, None)
    }

    fn wnet_with_stdin(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_wnet"));
        cmd.args(args)
            .envs(self.paths().env())
            .env("XDG_RUNTIME_DIR", self.dir.path().join("run"));
        cmd.env("WNETD", "/nonexistent/the-daemon-is-already-running");
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        match stdin {
            Some(text) => {
                use std::io::Write;
                cmd.stdin(Stdio::piped());
                let mut child = cmd.spawn().unwrap();
                child
                    .stdin
                    .take()
                    .unwrap()
                    .write_all(text.as_bytes())
                    .unwrap();
                child.wait_with_output().unwrap()
            }
            None => cmd.stdin(Stdio::null()).output().unwrap(),
        }
    }

    /// Runs `line` in bash as a user would type it (with `wnet` on `PATH`), in `cwd`, with
    /// `stdin` as its input.
    fn bash(&self, line: &str, cwd: &Path, stdin: &str) -> Output {
        use std::io::Write;
        let path = path_with_wnet();
        let mut child = Command::new("bash")
            .args(["--norc", "--noprofile", "-c", line])
            .current_dir(cwd)
            .envs(self.paths().env())
            .env("XDG_RUNTIME_DIR", self.dir.path().join("run"))
            .env("WNETD", "/nonexistent/the-daemon-is-already-running")
            .env("PATH", path)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // A line that fails before reading its input closes the pipe early: not an error.
        let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
        child.wait_with_output().unwrap()
    }

    /// `\\127.0.0.1@PORT\share`.
    fn unc(&self, share: &str) -> String {
        self.samba.unc(share)
    }

    fn connect(&self, device: &str, share: &str) -> Output {
        self.wnet(&[
            "use",
            device,
            &self.unc(share),
            DEFAULT_PASSWORD,
            &format!("/USER:{DEFAULT_USER}"),
        ])
    }

    fn drive(&self, letter: &str) -> std::path::PathBuf {
        self.paths().drive_root.join(letter)
    }
}

#[track_caller]
fn expect(out: &Output, stdout: &str, stderr: &str, code: i32) {
    let got_out = String::from_utf8_lossy(&out.stdout);
    let got_err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        (got_out.as_ref(), got_err.as_ref(), out.status.code()),
        (stdout, stderr, Some(code)),
        "\n--- stdout\n{got_out}--- stderr\n{got_err}---"
    );
}

fn listing_row(status: &str, local: &str, remote: &str) -> String {
    let network = "Microsoft Windows Network";
    if remote.len() <= 25 {
        format!("{status:<13}{local:<10}{remote:<26}{network}\n")
    } else {
        format!("{status:<13}{local:<10}{remote}\n{:48}{network}\n", "")
    }
}

fn listing(rows: &[String]) -> String {
    let mut s = String::from(
        "New connections will be remembered.\n\n\nStatus       Local     Remote                    Network\n\n",
    );
    s.push_str(&"-".repeat(79));
    s.push('\n');
    for r in rows {
        s.push_str(r);
    }
    s.push_str("The command completed successfully.\n\n");
    s
}

/// `PATH` with the `wnet` under test first, for lines run through bash as a user types them.
fn path_with_wnet() -> String {
    let bin = Path::new(env!("CARGO_BIN_EXE_wnet")).parent().unwrap();
    format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

fn mounted(path: &Path) -> bool {
    std::fs::read_to_string("/proc/self/mountinfo")
        .unwrap()
        .lines()
        .any(|l| l.split(' ').nth(4) == Some(path.to_str().unwrap()))
}

#[test]
fn connect_list_use_delete() {
    let w = World::new();
    expect(
        &w.connect("z:", "rw"),
        "The command completed successfully.\n\n",
        "",
        0,
    );
    expect(
        &w.wnet(&["use"]),
        &listing(&[listing_row("OK", "Z:", &w.unc("rw"))]),
        "",
        0,
    );
    std::fs::write(w.drive("Z").join("report.txt"), b"quarterly numbers\n").unwrap();
    assert_eq!(
        std::fs::read(w.samba.share_dir("rw").join("report.txt")).unwrap(),
        b"quarterly numbers\n"
    );
    let json: serde_json::Value =
        serde_json::from_slice(&w.wnet(&["use", "--json"]).stdout).unwrap();
    let row = &json["connections"][0];
    assert_eq!(row["status"], "OK");
    assert_eq!(row["local"], "Z:");
    assert_eq!(row["remote"], w.unc("rw"));
    assert_eq!(row["persistent"], true);
    assert_eq!(row["path"], w.drive("Z").display().to_string());
    expect(
        &w.wnet(&["use", "Z:", "/delete"]),
        "Z: was deleted successfully.\n\n",
        "",
        0,
    );
    assert!(!mounted(&w.drive("Z")));
    expect(
        &w.wnet(&["use"]),
        "New connections will be remembered.\n\nThere are no entries in the list.\n\n",
        "",
        0,
    );
    assert!(
        w.daemon.daemon().list().unwrap().1.is_empty(),
        "deleted from the profile too"
    );
}

#[test]
fn star_takes_the_next_free_letter_skipping_used_and_remembered_ones() {
    let w = World::new();
    w.connect("Z:", "rw");
    let profile = wnet_core::ProfileStore::new(w.paths().profile.clone());
    profile
        .remember(
            wnet_core::LocalName::parse("Y:").unwrap(),
            wnet_core::RememberedConnection::disk(
                wnet_core::UncPath::parse(r"\\elsewhere\share")
                    .unwrap()
                    .into(),
                "Microsoft Windows Network",
                0x20000,
            ),
        )
        .unwrap();
    let out = w.wnet(&[
        "use",
        "*",
        &w.unc("ro"),
        DEFAULT_PASSWORD,
        &format!("/USER:{DEFAULT_USER}"),
    ]);
    expect(
        &out,
        &format!(
            "Drive X: is now connected to {}.\n\nThe command completed successfully.\n\n",
            w.unc("ro")
        ),
        "",
        0,
    );
    assert_eq!(
        std::fs::read_to_string(w.drive("X").join("hello.txt")).unwrap(),
        "hello from samba\n"
    );
}

#[test]
fn errors_as_net_exe_prints_them() {
    let w = World::new();
    w.connect("Z:", "rw");
    expect(
        &w.connect("Z:", "ro"),
        "",
        "System error 85 has occurred.\n\nThe local device name is already in use.\n",
        2,
    );
    let wrong = w.wnet(&[
        "use",
        "Q:",
        &w.unc("rw"),
        "not-the-password",
        &format!("/USER:{DEFAULT_USER}"),
    ]);
    expect(
        &wrong,
        "",
        "System error 1326 has occurred.\n\nThe user name or password is incorrect.\n",
        2,
    );
    expect(
        &w.connect("Q:", "no-such-share"),
        "",
        "System error 67 has occurred.\n\nThe network name cannot be found.\n",
        2,
    );
    let closed = format!(r"\\127.0.0.1@{}\rw", wnet_testkit::free_port());
    let started = Instant::now();
    let out = w.wnet(&[
        "use",
        "Q:",
        &closed,
        DEFAULT_PASSWORD,
        &format!("/USER:{DEFAULT_USER}"),
    ]);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "an unreachable server answered in {:?}",
        started.elapsed()
    );
    expect(
        &out,
        "",
        "System error 53 has occurred.\n\nThe network path was not found.\n",
        2,
    );
    expect(
        &w.wnet(&["use", "Q:", "/delete"]),
        "",
        "The network connection could not be found.\n\nMore help is available by typing NET HELPMSG 2250.\n",
        2,
    );
    expect(
        &w.wnet(&["use", "Z:", r"\\elsewhere\share", "/PERSISTENT:YES"]),
        "",
        "System error 85 has occurred.\n\nThe local device name is already in use.\n",
        2,
    );
}

#[test]
fn a_device_remembered_for_another_remote_is_1202() {
    let w = World::new();
    w.connect("Z:", "rw");
    // Z: is remembered for rw; after a non-profile cancel it stays remembered.
    w.daemon
        .daemon()
        .handle(wnet_proto::Request::CancelConnection {
            name: "Z:".into(),
            flags: 0,
            force: false,
        })
        .unwrap();
    expect(
        &w.connect("Z:", "ro"),
        "",
        "System error 1202 has occurred.\n\nThe local device name has a remembered connection to another network resource.\n",
        2,
    );
    expect(
        &w.wnet(&["use"]),
        &listing(&[listing_row("Unavailable", "Z:", &w.unc("rw"))]),
        "",
        0,
    );
}

#[test]
fn open_files_prompt_and_no_answer_keeps_the_drive() {
    let w = World::new();
    w.connect("Z:", "rw");
    let file = std::fs::File::create(w.drive("Z").join("busy.txt")).unwrap();
    let me = std::fs::read_to_string("/proc/self/comm").unwrap();
    let notice = format!(
        "There are open files and/or incomplete directory searches pending on the connection to Z:.\n  \
         {}  (pid {}, {})\n\nIs it OK to continue disconnecting and force them closed? (Y/N) [N]: ",
        w.drive("Z").join("busy.txt").display(),
        std::process::id(),
        me.trim_end()
    );
    let out = w.wnet(&["use", "Z:", "/delete"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with(&notice),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        mounted(&w.drive("Z")),
        "no answer (EOF) is N: the drive stays"
    );
    let out = w.wnet_with_stdin(&["use", "Z:", "/delete"], Some("n\n"));
    assert_eq!(out.status.code(), Some(2));
    assert!(mounted(&w.drive("Z")));
    let out = w.wnet(&["use", "Z:", "/delete", "/y"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).ends_with("Z: was deleted successfully.\n\n"));
    assert!(!mounted(&w.drive("Z")));
    drop(file);
}

#[test]
fn view_lists_the_shares_of_a_server() {
    let w = World::new();
    w.connect("Z:", "rw");
    let server = format!(r"\\127.0.0.1@{}", w.samba.port());
    let out = w.wnet(&["view", &server]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let row = |name: &str| {
        text.lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .map(str::to_owned)
    };
    assert!(row("rw").unwrap().contains("Disk"), "{text}");
    assert!(row("rw").unwrap().contains("Z:"), "used as Z: {text}");
    assert!(row("ro").unwrap().contains("Disk"), "{text}");
    assert!(
        row("IPC$").is_none(),
        "administrative shares are not listed: {text}"
    );
    let closed = format!(r"\\127.0.0.1@{}", wnet_testkit::free_port());
    expect(
        &w.wnet(&["view", &closed]),
        "",
        "System error 53 has occurred.\n\nThe network path was not found.\n",
        2,
    );
}

#[test]
fn savecred_without_a_secret_service_connects_and_says_so() {
    let w = World::new();
    let out = w.wnet(&[
        "use",
        "S:",
        &w.unc("rw"),
        DEFAULT_PASSWORD,
        &format!("/USER:{DEFAULT_USER}"),
        "/SAVECRED",
    ]);
    expect(
        &out,
        "The command completed successfully.\n\n",
        "The password was not saved: this session has no Secret Service (DBUS_SESSION_BUS_ADDRESS is not set). \
         The connection was made.\n",
        0,
    );
    assert!(mounted(&w.drive("S")));
}

#[test]
fn show_deviceless_delete_by_remote_and_delete_all() {
    let w = World::new();
    w.connect("Z:", "rw");
    let file = std::fs::File::create(w.drive("Z").join("open.txt")).unwrap();
    let detail = format!(
        "Local name        Z:\nRemote name       {}\nResource type     Disk\nStatus            OK\n\
         # Opens           1\n# Connections     1\nThe command completed successfully.\n\n",
        w.unc("rw")
    );
    expect(&w.wnet(&["use", "z:"]), &detail, "", 0);
    drop(file);
    // Deviceless: listed with an empty Local, deleted by its remote name only.
    let ro = w.unc("ro");
    expect(
        &w.wnet(&[
            "use",
            &ro,
            DEFAULT_PASSWORD,
            &format!("/USER:{DEFAULT_USER}"),
        ]),
        "The command completed successfully.\n\n",
        "",
        0,
    );
    expect(
        &w.wnet(&["use"]),
        &listing(&[
            listing_row("OK", "Z:", &w.unc("rw")),
            listing_row("OK", "", &ro),
        ]),
        "",
        0,
    );
    expect(
        &w.wnet(&["use", &ro, "/delete"]),
        &format!("{ro} was deleted successfully.\n\n"),
        "",
        0,
    );
    expect(
        &w.wnet(&["use", &ro, "/delete"]),
        "",
        "The network connection could not be found.\n\nMore help is available by typing NET HELPMSG 2250.\n",
        2,
    );
    // * /DELETE: lists, asks; no answer keeps everything, /Y deletes all.
    let out = w.wnet(&["use", "*", "/delete"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .starts_with("You have these remote connections:\n\n    Z:")
    );
    assert!(mounted(&w.drive("Z")));
    let out = w.wnet(&["use", "*", "/delete", "/y"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).ends_with("The command completed successfully.\n\n")
    );
    assert!(!mounted(&w.drive("Z")));
}

#[test]
fn the_persistent_default_is_remembered_and_honoured() {
    let w = World::new();
    expect(
        &w.wnet(&["use", "/persistent:no"]),
        "The command completed successfully.\n\n",
        "",
        0,
    );
    w.connect("Z:", "rw");
    let out = w.wnet(&["use"]);
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .starts_with("New connections will not be remembered.\n")
    );
    assert!(
        w.daemon
            .daemon()
            .list()
            .unwrap()
            .1
            .iter()
            .all(|r| !r.persistent),
        "not remembered"
    );
    expect(
        &w.wnet(&[
            "use",
            "Y:",
            &w.unc("ro"),
            DEFAULT_PASSWORD,
            &format!("/USER:{DEFAULT_USER}"),
            "/P:YES",
        ]),
        "The command completed successfully.\n\n",
        "",
        0,
    );
    let rows = w.daemon.daemon().list().unwrap().1;
    assert!(
        rows.iter()
            .any(|r| r.local.map(|l| l.to_string()) == Some("Y:".into()) && r.persistent)
    );
    assert!(
        String::from_utf8_lossy(&w.wnet(&["use"]).stdout)
            .starts_with("New connections will be remembered.\n"),
        "/P:YES is the new default"
    );
}

/// A silent partition (every packet to and from the server dropped): `wnet use` and
/// `wnet status` answer at once and show the drive Disconnected once it noticed; after the
/// heal they show OK again and the drive works.
#[test]
fn use_and_status_show_the_state_during_a_partition() {
    let w = World::new();
    expect(
        &w.connect("z:", "rw"),
        "The command completed successfully.\n\n",
        "",
        0,
    );
    let z = w.drive("Z");
    let row = |status: &str| listing(&[listing_row(status, "Z:", &w.unc("rw"))]);
    let timed = |args: &[&str]| {
        let t = Instant::now();
        let out = w.wnet(args);
        let took = t.elapsed();
        assert!(took < Duration::from_secs(2), "wnet {args:?} took {took:?}");
        (String::from_utf8_lossy(&out.stdout).into_owned(), took)
    };
    let cut = wnet_testkit::Partition::start(w.samba.port()).unwrap();
    let t0 = Instant::now();
    // A program touching the drive meets the partition: its call fails within the deadline.
    let program = {
        let z = z.clone();
        std::thread::spawn(move || std::fs::metadata(z.join("anything")).map(|_| ()))
    };
    let mut slowest = Duration::ZERO;
    loop {
        let (out, took) = timed(&["use"]);
        slowest = slowest.max(took);
        if out == row("Disconnected") {
            break;
        }
        assert_eq!(out, row("OK"));
        assert!(t0.elapsed() < Duration::from_secs(30), "never Disconnected");
        std::thread::sleep(Duration::from_millis(100));
    }
    let noticed = t0.elapsed();
    let (status, _) = timed(&["status"]);
    assert!(
        status.contains("\nStatus            Disconnected\n"),
        "{status}"
    );
    assert!(
        program.join().unwrap().is_err(),
        "a call succeeded in the partition"
    );
    eprintln!("Disconnected shown {noticed:?} into the partition; wnet use took ≤ {slowest:?}");
    drop(cut);
    let healed = Instant::now();
    while timed(&["use"]).0 != row("OK") {
        assert!(healed.elapsed() < Duration::from_secs(10), "never OK again");
        std::thread::sleep(Duration::from_millis(50));
    }
    eprintln!("OK again {:?} after the heal", healed.elapsed());
    std::fs::write(z.join("after.txt"), b"back").unwrap();
    assert_eq!(
        std::fs::read(w.samba.share_dir("rw").join("after.txt")).unwrap(),
        b"back"
    );
    expect(
        &w.wnet(&["use", "Z:", "/delete"]),
        "Z: was deleted successfully.\n\n",
        "",
        0,
    );
}
