//! Encryption (issue 15, target 5): sequential write (+ `fsync`) and cold read of one big
//! file on a share with `smb encrypt = required`, mapped with `/REQUIREPRIVACY`
//! (`CONNECT_REQUIRE_PRIVACY`), beside the same on the plain share `rw`: the wnet drive,
//! `smbclient` (`--client-protection=encrypt` on the encrypted share) and the engine alone.
//! The write is timed twice: with `fsync` (an SMB2 FLUSH: smbd fsyncs the file) and
//! without (`close()` once every WRITE is acknowledged), like `smbclient put`, which never
//! flushes.

use std::fs;
use std::time::{Duration, Instant};

use wnet_core::ConnectFlags;
use wnet_smb2::{ClientConfig, CreateOptions, Session, Tree};
use wnet_testkit::{DEFAULT_PASSWORD, DEFAULT_USER, Samba};

use super::cpu::{self, Usage};
use super::table::{Amount, Table};
use super::worker::{read_all, write_file_then};
use super::{Ctx, DaemonProcess, ENC_SHARE, run_all, smbclient_cmd};
use crate::peers::{drop_caches, sync, wait_until};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Wnet,
    WnetEnc,
    Smbclient,
    SmbclientEnc,
    Engine,
    EngineEnc,
}

impl Side {
    const ALL: [Side; 6] = [
        Side::Wnet,
        Side::WnetEnc,
        Side::Smbclient,
        Side::SmbclientEnc,
        Side::Engine,
        Side::EngineEnc,
    ];

    fn tag(self) -> &'static str {
        match self {
            Side::Wnet => "wnet",
            Side::WnetEnc => "wnet-enc",
            Side::Smbclient => "smbclient",
            Side::SmbclientEnc => "smbclient-enc",
            Side::Engine => "engine",
            Side::EngineEnc => "engine-enc",
        }
    }

    /// Whose CPU time a run counts besides the server's.
    fn client(self) -> &'static str {
        match self {
            Side::Wnet | Side::WnetEnc => "wnetd",
            Side::Engine | Side::EngineEnc => "bench",
            Side::Smbclient | Side::SmbclientEnc => "smbclient",
        }
    }

    /// `smbclient`'s extra options.
    fn smbclient_options(self) -> &'static [&'static str] {
        if self == Side::SmbclientEnc {
            &["--client-protection=encrypt"]
        } else {
            &[]
        }
    }

    fn share(self) -> &'static str {
        match self {
            Side::WnetEnc | Side::SmbclientEnc | Side::EngineEnc => ENC_SHARE,
            _ => "rw",
        }
    }
}

/// The engine's session and tree connect on `share`, encrypting every request when
/// `encrypt` (otherwise signed, as always).
pub(super) fn engine_tree(
    rt: &tokio::runtime::Runtime,
    samba: &Samba,
    share: &str,
    encrypt: bool,
) -> Tree {
    rt.block_on(async {
        let mut cfg =
            ClientConfig::new(samba.host(), DEFAULT_USER, DEFAULT_PASSWORD).port(samba.port());
        cfg.require_encryption = encrypt;
        let s = Session::connect(cfg).await.expect("an engine session");
        s.tree_connect(share).await.expect("a tree connect")
    })
}

/// Runs the group and prints its table.
pub fn run(ctx: &Ctx<'_>, daemon: &mut DaemonProcess) {
    let samba = ctx.samba;
    let size = ctx.size;
    // The file every side reads, on both shares, before any mount of them.
    let enc_dir = samba.share_dir(ENC_SHARE);
    fs::copy(ctx.src, enc_dir.join(ctx.big)).expect("the big file on the encrypted share");
    fs::File::open(enc_dir.join(ctx.big))
        .and_then(|f| f.sync_all())
        .expect("fsync");
    daemon.add(Some("Q:"), &samba.unc("rw"), ConnectFlags::empty());
    daemon.add(
        Some("E:"),
        &samba.unc(ENC_SHARE),
        ConnectFlags::REQUIRE_PRIVACY,
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let plain = engine_tree(&rt, samba, "rw", false);
    let enc = engine_tree(&rt, samba, ENC_SHARE, true);
    let data = fs::read(ctx.src).expect("the source bytes");
    let mount = |side: Side| match side {
        Side::Wnet => daemon.drive("Q"),
        _ => daemon.drive("E"),
    };
    let write_label = format!("seq write {} MiB + fsync", size >> 20);
    let unsynced_label = format!("seq write {} MiB, no fsync", size >> 20);
    let read_label = format!("seq read {} MiB, cold", size >> 20);
    let cached_label = format!("seq read {} MiB, server-cached", size >> 20);
    println!(
        "encrypted: share {ENC_SHARE} with smb encrypt = required vs rw; {} MiB; {} rounds",
        size >> 20,
        ctx.rounds
    );
    let smbclient = |side: Side, cmd: &str| {
        run_all(vec![smbclient_cmd(
            samba,
            side.share(),
            side.smbclient_options(),
            cmd,
        )]);
    };
    let tree_of = |side: Side| if side == Side::Engine { &plain } else { &enc };
    let mut t = Table::new("encryption (median)");
    let mut cpu_notes = Vec::new();
    // Whose CPU a side's run is: the daemon's, the benchmark's (engine), or the smbclient
    // process's (0: the children this process runs and reaps).
    let client_pid = |side: Side| match side {
        Side::Wnet | Side::WnetEnc => daemon.pid(),
        Side::Engine | Side::EngineEnc => std::process::id(),
        Side::Smbclient | Side::SmbclientEnc => 0,
    };
    // One line per run: its wall time and the CPU its client and smbd used.
    let cpu_note = |round: usize, label: &str, side: Side, took: Duration, cpu: Usage| {
        format!(
            "round {round} {label} {:<13} {:.3}s wall; {}",
            side.tag(),
            took.as_secs_f64(),
            cpu.since(side.client(), client_pid(side), samba.pid())
        )
    };
    for round in 0..ctx.rounds {
        for (label, fsync) in [(&write_label, true), (&unsynced_label, false)] {
            for side in Side::ALL {
                let rel = format!("enc-{}-r{round}", side.tag());
                let on_server = samba.share_dir(side.share()).join(&rel);
                sync();
                let cpu = Usage::now(client_pid(side), samba.pid());
                let t0 = Instant::now();
                match side {
                    Side::Wnet | Side::WnetEnc => {
                        write_file_then(&mount(side).join(&rel), size, fsync)
                    }
                    Side::Smbclient | Side::SmbclientEnc => {
                        smbclient(side, &format!("put {} {rel}", ctx.src.display()));
                    }
                    Side::Engine | Side::EngineEnc => {
                        let tree = tree_of(side);
                        rt.block_on(async {
                            let f = tree
                                .create(&rel, &CreateOptions::overwrite())
                                .await
                                .unwrap();
                            let n = f.write_pipelined(0, &data, 1 << 20, 8).await.unwrap();
                            assert_eq!(n, size);
                            if fsync {
                                f.flush().await.unwrap();
                            }
                            f.close().await.unwrap();
                        });
                    }
                }
                assert!(
                    wait_until(Duration::from_secs(600), || fs::metadata(&on_server)
                        .is_ok_and(|m| m.len() == size)),
                    "the server never showed {rel}"
                );
                let took = t0.elapsed();
                t.push(label, Amount::Bytes(size), side.tag(), took);
                cpu_notes.push(cpu_note(round, label, side, took, cpu));
                let _ = fs::remove_file(&on_server);
            }
        }
        // The disk alone (the server's file read directly, cold): what bounds every cold
        // read in this round, and the reason the cold row swings between rounds.
        drop_caches();
        let t0 = Instant::now();
        assert_eq!(read_all(&enc_dir.join(ctx.big)), size);
        t.push(&read_label, Amount::Bytes(size), "disk", t0.elapsed());
        for (label, cold) in [(&read_label, true), (&cached_label, false)] {
            for side in Side::ALL {
                drop_caches();
                if !cold {
                    // The server's page cache holds the file; the client's holds nothing.
                    let on_server = samba.share_dir(side.share()).join(ctx.big);
                    assert_eq!(read_all(&on_server), size);
                }
                let cpu = Usage::now(client_pid(side), samba.pid());
                let t0 = Instant::now();
                match side {
                    Side::Wnet | Side::WnetEnc => {
                        assert_eq!(read_all(&mount(side).join(ctx.big)), size);
                    }
                    Side::Smbclient | Side::SmbclientEnc => {
                        smbclient(side, &format!("get {} /dev/null", ctx.big));
                    }
                    Side::Engine | Side::EngineEnc => {
                        let tree = tree_of(side);
                        rt.block_on(async {
                            let f = tree.create(ctx.big, &CreateOptions::read()).await.unwrap();
                            let d = f.read_pipelined(0, size, 1 << 20, 8).await.unwrap();
                            assert_eq!(d.len() as u64, size);
                            f.close().await.unwrap();
                        });
                    }
                }
                let took = t0.elapsed();
                t.push(label, Amount::Bytes(size), side.tag(), took);
                cpu_notes.push(cpu_note(round, label, side, took, cpu));
            }
        }
    }
    for label in [&write_label, &unsynced_label, &read_label, &cached_label] {
        let r = |a: Side, b: Side| Some(t.rate(label, a.tag())? / t.rate(label, b.tag())?);
        t.target(
            &format!("{label}: wnet-enc / wnet"),
            r(Side::WnetEnc, Side::Wnet),
            0.7,
        );
        t.target(
            &format!("{label}: wnet-enc / smbclient-enc"),
            r(Side::WnetEnc, Side::SmbclientEnc),
            1.5,
        );
        t.note(format!(
            "{label}: wnet-enc / engine-enc {}",
            r(Side::WnetEnc, Side::EngineEnc).map_or("-".into(), |x| format!("{x:.2}x"))
        ));
    }
    t.note(
        "smbclient put sends no fsync (both write rows); wnet and the engine send SMB2 FLUSH \
         (smbd fsyncs) on the + fsync row only; a write counts once the server's file has \
         every byte (close() returned: every WRITE acknowledged)"
            .into(),
    );
    t.note(format!("load average at the end: {}", cpu::load()));
    for n in cpu_notes {
        t.note(n);
    }
    t.print();
    let _ = fs::remove_file(enc_dir.join(ctx.big));
}
