//! Parallel programs (issue 15, target 4): 4 processes each reading its own file, 4 each
//! writing its own file (+ `fsync`), 8 each creating 500 small files, all at once, beside the
//! same work done by one process. Sides: the wnet drive, `rclone mount` (default mode), and
//! `smbclient` (one process per stream: its own connection each). The create rows also run
//! the engine alone (tasks, no FUSE, no processes) over one session (`engine`: what one
//! connection, so one smbd process, allows) and over `ENGINE_SESSIONS` sessions, each its
//! own connection and ClientGuid (`engine-4s`: what striping a drive over connections would
//! allow; ADR 0016). `wnet-4c` is the drive of a second daemon whose profile says
//! `connections_per_share = 4`: the drive striped over four connections.
//!
//! Each of the 4 files is a quarter of the single stream's size, so the parallel and single
//! rows move the same bytes. Reads are cold (`drop_caches`); writes and creates count once
//! the server's disk shows every file at full size.

use std::ffi::OsString;
use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use wnet_core::ConnectFlags;
use wnet_smb2::{CreateOptions, Tree};

use super::cpu::{self, Usage};
use super::table::{Amount, Table};
use super::worker::{self, SMALL, small_name};
use super::{Ctx, DaemonProcess, run_all, smbclient_cmd};
use crate::peers::{drop_caches, sync, wait_until, write_big_file};

/// Readers and writers at once.
const STREAMS: usize = 4;
/// Creating processes at once.
const CREATORS: usize = 8;
/// Files each creator makes.
const FILES: usize = 500;
/// Sessions (connections) of the `engine-4s` side.
const ENGINE_SESSIONS: usize = 4;
/// Where the readers' files live on the share.
const INPUT: &str = "par-in";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Wnet,
    /// The drive over [`ENGINE_SESSIONS`] connections (`connections_per_share`).
    Wnet4,
    Rclone,
    Smbclient,
    /// The engine, one session: creates only.
    Engine,
    /// The engine, [`ENGINE_SESSIONS`] sessions: creates only.
    Engine4,
}

impl Side {
    const ALL: [Side; 6] = [
        Side::Wnet,
        Side::Wnet4,
        Side::Rclone,
        Side::Smbclient,
        Side::Engine,
        Side::Engine4,
    ];

    fn tag(self) -> &'static str {
        match self {
            Side::Wnet => "wnet",
            Side::Wnet4 => "wnet-4c",
            Side::Rclone => "rclone",
            Side::Smbclient => "smbclient",
            Side::Engine => "engine",
            Side::Engine4 => "engine-4s",
        }
    }

    fn is_engine(self) -> bool {
        matches!(self, Side::Engine | Side::Engine4)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Work {
    Read,
    Write,
    Create,
}

struct Par<'a> {
    ctx: &'a Ctx<'a>,
    wnet: std::path::PathBuf,
    /// Bytes of each parallel stream.
    quarter: u64,
    /// Local sources of `smbclient put`: a quarter-size file and a small one.
    src_quarter: std::path::PathBuf,
    src_small: std::path::PathBuf,
    /// The wnet daemon's pid.
    daemon: u32,
    /// The drive and pid of the daemon with four connections per share.
    wnet4: std::path::PathBuf,
    daemon4: u32,
    /// The engine sides' runtime and trees: one per session.
    rt: tokio::runtime::Runtime,
    trees: Vec<Tree>,
}

fn os(s: impl Into<OsString>) -> OsString {
    s.into()
}

impl Par<'_> {
    fn root(&self, side: Side) -> &Path {
        match side {
            Side::Wnet => &self.wnet,
            Side::Wnet4 => &self.wnet4,
            Side::Rclone => self.ctx.rclone,
            _ => unreachable!("smbclient and the engine have no mount"),
        }
    }

    fn label(&self, work: Work, n: usize) -> String {
        let mib = |b: u64| b >> 20;
        match (work, n) {
            (Work::Read, 1) => format!("read 1 x {} MiB, cold", mib(self.ctx.size)),
            (Work::Read, n) => format!("read {n} x {} MiB at once, cold", mib(self.quarter)),
            (Work::Write, 1) => format!("write 1 x {} MiB + fsync", mib(self.ctx.size)),
            (Work::Write, n) => format!("write {n} x {} MiB + fsync at once", mib(self.quarter)),
            (Work::Create, 1) => format!("create 1 x {FILES} x 4 KiB"),
            (Work::Create, n) => format!("create {n} x {FILES} x 4 KiB at once"),
        }
    }

    fn amount(&self, work: Work, n: usize) -> Amount {
        match (work, n) {
            (Work::Create, n) => Amount::Ops((n * FILES) as u64),
            (_, 1) => Amount::Bytes(self.ctx.size),
            (_, n) => Amount::Bytes(n as u64 * self.quarter),
        }
    }

    /// Untimed: the side's fresh directory (and, for creators, one subdirectory each),
    /// made through the side so its caches know them.
    fn prepare(&self, side: Side, dir: &str, n: usize, work: Work) {
        let subdirs: Vec<String> = if work == Work::Create {
            (0..n).map(|k| format!("{dir}/c{k}")).collect()
        } else {
            Vec::new()
        };
        match side {
            Side::Engine | Side::Engine4 => {
                for d in std::iter::once(dir.to_owned()).chain(subdirs) {
                    self.rt
                        .block_on(self.trees[0].mkdir(&d))
                        .expect("a fresh directory");
                }
            }
            Side::Smbclient => {
                let mut cmd = format!("mkdir {dir}");
                for s in &subdirs {
                    cmd += &format!("; mkdir {s}");
                }
                run_all(vec![smbclient_cmd(self.ctx.samba, "rw", &[], &cmd)]);
            }
            _ => {
                let root = self.root(side);
                fs::create_dir(root.join(dir)).expect("a fresh directory");
                for s in &subdirs {
                    fs::create_dir(root.join(s)).expect("a fresh subdirectory");
                }
            }
        }
    }

    /// The commands of one run: `n` processes (1: the single stream).
    fn commands(&self, side: Side, work: Work, dir: &str, n: usize) -> Vec<Command> {
        let one = n == 1;
        (0..n)
            .map(|k| {
                let input = if one {
                    self.ctx.big.to_owned()
                } else {
                    format!("{INPUT}/p{k}")
                };
                let output = format!("{dir}/w{k}");
                let bytes = if one { self.ctx.size } else { self.quarter };
                match side {
                    Side::Smbclient => {
                        let cmd = match work {
                            Work::Read => format!("get {input} /dev/null"),
                            Work::Write => {
                                let src = if one { self.ctx.src } else { &self.src_quarter };
                                format!("put {} {output}", src.display())
                            }
                            Work::Create => {
                                let mut c = format!("cd {dir}/c{k}");
                                for i in 0..FILES {
                                    c += &format!(
                                        "; put {} {}",
                                        self.src_small.display(),
                                        small_name(i)
                                    );
                                }
                                c
                            }
                        };
                        smbclient_cmd(self.ctx.samba, "rw", &[], &cmd)
                    }
                    Side::Engine | Side::Engine4 => unreachable!("the engine runs no processes"),
                    _ => {
                        let root = self.root(side);
                        let args = match work {
                            Work::Read => vec![os("read"), root.join(&input).into()],
                            Work::Write => {
                                vec![
                                    os("write"),
                                    root.join(&output).into(),
                                    os(bytes.to_string()),
                                ]
                            }
                            Work::Create => vec![
                                os("create"),
                                root.join(format!("{dir}/c{k}")).into(),
                                os(FILES.to_string()),
                            ],
                        };
                        worker::command(&args)
                    }
                }
            })
            .collect()
    }

    /// Whether the server's disk shows everything a write or create run made.
    fn landed(&self, work: Work, dir: &str, n: usize) -> bool {
        let share = self.ctx.share();
        let size = |p: &Path| fs::metadata(p).ok().map(|m| m.len());
        match work {
            Work::Read => true,
            Work::Write => {
                let bytes = if n == 1 { self.ctx.size } else { self.quarter };
                (0..n).all(|k| size(&share.join(format!("{dir}/w{k}"))) == Some(bytes))
            }
            Work::Create => (0..n).all(|k| {
                let d = share.join(format!("{dir}/c{k}"));
                (0..FILES).all(|i| size(&d.join(small_name(i))) == Some(SMALL as u64))
            }),
        }
    }

    /// One run: its time and, for wnet, the CPU the daemon and the server used in it.
    fn run(&self, side: Side, work: Work, n: usize, round: usize) -> (Duration, Option<String>) {
        let dir = format!("par-{}-r{round}-{}{n}", side.tag(), work_tag(work));
        if work != Work::Read {
            self.prepare(side, &dir, n, work);
        }
        let cmds = if side.is_engine() {
            Vec::new()
        } else {
            self.commands(side, work, &dir, n)
        };
        if work == Work::Read {
            drop_caches();
        } else {
            sync();
        }
        let client = match side {
            Side::Engine | Side::Engine4 => std::process::id(),
            Side::Wnet4 => self.daemon4,
            _ => self.daemon,
        };
        let pids = (client, self.ctx.samba.pid());
        let cpu = Usage::now(pids.0, pids.1);
        let t0 = Instant::now();
        if side.is_engine() {
            self.engine_create(side, &dir, n);
        } else {
            run_all(cmds);
        }
        assert!(
            wait_until(Duration::from_secs(600), || self.landed(work, &dir, n)),
            "the server never showed {dir}"
        );
        let took = t0.elapsed();
        let used = match side {
            Side::Wnet | Side::Wnet4 => Some(cpu.since("wnetd", pids.0, pids.1)),
            Side::Engine | Side::Engine4 => Some(cpu.since("bench", std::process::id(), pids.1)),
            _ => None,
        };
        if work == Work::Write {
            let _ = fs::remove_dir_all(self.ctx.share().join(&dir));
        }
        (took, used)
    }
}

impl Par<'_> {
    /// `n` creators as tasks, each making its [`FILES`] files one after another in one round
    /// trip each (CREATE + WRITE + CLOSE), creator `k` on session `k mod sessions`.
    fn engine_create(&self, side: Side, dir: &str, n: usize) {
        let sessions = if side == Side::Engine4 {
            self.trees.len()
        } else {
            1
        };
        let data = std::sync::Arc::new(crate::peers::pattern(SMALL, 11));
        self.rt.block_on(async {
            let tasks: Vec<_> = (0..n)
                .map(|k| {
                    let tree = self.trees[k % sessions].clone();
                    let data = data.clone();
                    let dir = format!("{dir}/c{k}");
                    tokio::spawn(async move {
                        for i in 0..FILES {
                            let path = format!("{dir}/{}", small_name(i));
                            tree.create_written(
                                &path,
                                &CreateOptions::create_new(),
                                0,
                                &data,
                                None,
                            )
                            .await
                            .expect("an engine create");
                        }
                    })
                })
                .collect();
            for t in tasks {
                t.await.expect("an engine creator");
            }
        });
    }
}

fn work_tag(w: Work) -> &'static str {
    match w {
        Work::Read => "read",
        Work::Write => "write",
        Work::Create => "create",
    }
}

/// Runs the group and prints its table.
pub fn run(ctx: &Ctx<'_>, daemon: &mut DaemonProcess) {
    let mut daemon4 = DaemonProcess::start_with(
        &ctx.scratch.join("rows-daemon-4c"),
        wnet_core::Settings {
            connections_per_share: ENGINE_SESSIONS as u8,
            ..Default::default()
        },
    );
    daemon4.add(Some("P:"), &ctx.samba.unc("rw"), ConnectFlags::empty());
    let quarter = ctx.size / STREAMS as u64;
    let share = ctx.share();
    fs::create_dir_all(share.join(INPUT)).expect("the readers' directory");
    for k in 0..STREAMS {
        write_big_file(&share.join(format!("{INPUT}/p{k}")), quarter).expect("a reader's file");
    }
    let src_quarter = ctx.scratch.join("par-src-quarter.bin");
    write_big_file(&src_quarter, quarter).expect("a local source");
    let src_small = ctx.scratch.join("par-src-small.bin");
    fs::write(&src_small, crate::peers::pattern(SMALL, 11)).expect("a local small file");
    daemon.add(Some("P:"), &ctx.samba.unc("rw"), ConnectFlags::empty());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let trees = (0..ENGINE_SESSIONS)
        .map(|_| super::encrypted::engine_tree(&rt, ctx.samba, "rw", false))
        .collect();
    let p = Par {
        ctx,
        wnet: daemon.drive("P"),
        quarter,
        src_quarter,
        src_small,
        daemon: daemon.pid(),
        wnet4: daemon4.drive("P"),
        daemon4: daemon4.pid(),
        rt,
        trees,
    };
    println!(
        "parallel: {STREAMS} readers, {STREAMS} writers ({} MiB each), {CREATORS} creators ({FILES} files each) at once vs one process; {} rounds",
        quarter >> 20,
        ctx.rounds
    );
    let mut t = Table::new("parallel programs (median; throughput: aggregate)");
    let plan = [
        (Work::Read, 1),
        (Work::Read, STREAMS),
        (Work::Write, 1),
        (Work::Write, STREAMS),
        (Work::Create, 1),
        (Work::Create, CREATORS),
    ];
    let mut cpu_notes = Vec::new();
    for round in 0..ctx.rounds {
        for (work, n) in plan {
            for side in Side::ALL {
                if side.is_engine() && work != Work::Create {
                    continue;
                }
                let (took, used) = p.run(side, work, n, round);
                t.push(&p.label(work, n), p.amount(work, n), side.tag(), took);
                if let Some(used) = used {
                    cpu_notes.push(format!(
                        "round {round} {:<36} {:<9} {:.3}s wall; {used}",
                        p.label(work, n),
                        side.tag(),
                        took.as_secs_f64()
                    ));
                }
            }
        }
    }
    let ratio = |work: Work, n: usize, side: Side, base_n: usize, base_side: Side| {
        Some(
            t.rate(&p.label(work, n), side.tag())?
                / t.rate(&p.label(work, base_n), base_side.tag())?,
        )
    };
    let (r, w, c) = (
        ratio(Work::Read, STREAMS, Side::Wnet, 1, Side::Wnet),
        ratio(Work::Write, STREAMS, Side::Wnet, 1, Side::Wnet),
        ratio(Work::Create, CREATORS, Side::Wnet, 1, Side::Wnet),
    );
    t.target("wnet: 4 readers' aggregate / single stream", r, 1.0);
    t.target("wnet: 4 writers' aggregate / single stream", w, 1.0);
    t.target("wnet: 8 creators' rate / one creator's", c, 2.0);
    for (work, n) in [
        (Work::Read, STREAMS),
        (Work::Write, STREAMS),
        (Work::Create, CREATORS),
    ] {
        if let Some(r) = ratio(work, n, Side::Wnet4, 1, Side::Wnet) {
            t.note(format!(
                "wnet-4c: {} / wnet's single stream {r:.2}x",
                p.label(work, n)
            ));
        }
    }
    for side in [Side::Engine, Side::Engine4] {
        if let Some(r) = ratio(Work::Create, CREATORS, side, 1, Side::Engine) {
            t.note(format!(
                "{}: 8 creators' rate / the engine's one creator (one session) {r:.2}x",
                side.tag()
            ));
        }
    }
    for side in [Side::Rclone, Side::Smbclient] {
        for (work, n) in plan {
            let vs = ratio(work, n, Side::Wnet, n, side);
            if let Some(vs) = vs {
                t.note(format!(
                    "{:<36} wnet / {:<9} {vs:.2}x",
                    p.label(work, n),
                    side.tag()
                ));
            }
        }
    }
    t.note(format!("load average at the end: {}", cpu::load()));
    for n in cpu_notes {
        t.note(n);
    }
    t.print();
    let _ = fs::remove_dir_all(share.join(INPUT));
}
