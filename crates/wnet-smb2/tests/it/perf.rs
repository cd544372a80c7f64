//! Measurements (ignored by default): stat latency, pipelined throughput vs smbclient.

use crate::common::*;
use std::time::Instant;
use wnet_smb2::CreateOptions;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn perf_stat_and_throughput() {
    let s = samba();
    // WNET_PERF_ENCRYPT=1 measures with every request encrypted (AES-128-GCM with Samba 4.17).
    let (u, p) = s.user();
    let mut cfg = config(&s, u, p);
    cfg.require_encryption = std::env::var_os("WNET_PERF_ENCRYPT").is_some();
    let t = wnet_smb2::Session::connect(cfg)
        .await
        .unwrap()
        .tree_connect("rw")
        .await
        .unwrap();
    println!("encrypted: {}", t.is_encrypted());
    let probe = unique("stat");
    t.create(&probe, &CreateOptions::create_new())
        .await
        .unwrap()
        .close()
        .await
        .unwrap();
    for _ in 0..100 {
        t.stat(&probe).await.unwrap();
    }
    let n = 2000;
    let t0 = Instant::now();
    for _ in 0..n {
        t.stat(&probe).await.unwrap();
    }
    println!(
        "stat (create+query+close compound): {:.1} us/op",
        t0.elapsed().as_secs_f64() * 1e6 / n as f64
    );

    let size_mb: usize = std::env::var("WNET_PERF_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    let size = size_mb << 20;
    let data = pattern(size, 5);
    let name = unique("perf");
    let f = t.create(&name, &CreateOptions::create_new()).await.unwrap();
    let t0 = Instant::now();
    f.write_pipelined(0, &data, 1 << 20, 8).await.unwrap();
    let w = t0.elapsed();
    let t0 = Instant::now();
    f.flush().await.unwrap();
    println!("flush (server fsync) after the write: {:?}", t0.elapsed());
    f.close().await.unwrap();
    let f = t.create(&name, &CreateOptions::read()).await.unwrap();
    // Streamed into a check against the source, as a copy to a file would: no 1 GiB buffer.
    let t0 = Instant::now();
    let got = f
        .read_pipelined_with(0, size as u64, 1 << 20, 8, |off, d| {
            assert!(d == &data[off as usize..off as usize + d.len()]);
            Ok(())
        })
        .await
        .unwrap();
    let r = t0.elapsed();
    assert_eq!(got, size as u64);
    f.close().await.unwrap();
    let mb = size as f64 / 1e6;
    println!(
        "engine {size_mb} MiB write 8x1MiB: {:.0} MB/s",
        mb / w.as_secs_f64()
    );
    println!(
        "engine {size_mb} MiB read  8x1MiB: {:.0} MB/s",
        mb / r.as_secs_f64()
    );

    let local = std::env::temp_dir().join(unique("perf-src"));
    std::fs::write(&local, &data).unwrap();
    let remote = unique("perf-smbclient");
    let t0 = Instant::now();
    let out = s.smbclient("rw", &format!("put {} {}", local.display(), remote));
    let pw = t0.elapsed();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let t0 = Instant::now();
    let out = s.smbclient("rw", &format!("get {} /dev/null", remote));
    let pr = t0.elapsed();
    assert!(out.status.success());
    println!(
        "smbclient put: {:.0} MB/s (incl. process start)",
        mb / pw.as_secs_f64()
    );
    println!(
        "smbclient get: {:.0} MB/s (incl. process start)",
        mb / pr.as_secs_f64()
    );
    println!(
        "ratio write {:.2}x, read {:.2}x",
        pw.as_secs_f64() / w.as_secs_f64(),
        pr.as_secs_f64() / r.as_secs_f64()
    );
    // The same with signing forced on smbclient (the engine always signs).
    let signed = |cmd: String| {
        let (u, p) = s.user();
        let t0 = Instant::now();
        let out = std::process::Command::new("smbclient")
            .arg("-p")
            .arg(s.port().to_string())
            .arg(format!("//{}/rw", s.host()))
            .arg("-U")
            .arg(format!("{u}%{p}"))
            .arg("--option=client signing=required")
            .arg("-c")
            .arg(cmd)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        t0.elapsed()
    };
    let spw = signed(format!("put {} {}", local.display(), remote));
    let spr = signed(format!("get {} /dev/null", remote));
    println!(
        "smbclient signed put: {:.0} MB/s, get: {:.0} MB/s; ratio write {:.2}x, read {:.2}x",
        mb / spw.as_secs_f64(),
        mb / spr.as_secs_f64(),
        spw.as_secs_f64() / w.as_secs_f64(),
        spr.as_secs_f64() / r.as_secs_f64()
    );
    let _ = std::fs::remove_file(&local);
    let _ = std::fs::remove_file(s.share_dir("rw").join(&name));
    let _ = std::fs::remove_file(s.share_dir("rw").join(&remote));
}
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn perf_depth_sweep() {
    let s = samba();
    let t = rw(&s).await;
    let name = unique("diag");
    let size = std::env::var("WNET_SWEEP_MB")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(64)
        << 20;
    let data = pattern(size, 5);
    let f = t.create(&name, &CreateOptions::create_new()).await.unwrap();
    f.write_pipelined(0, &data, 1 << 20, 8).await.unwrap();
    for (chunk, depth) in [
        (65536, 1),
        (1 << 20, 1),
        (1 << 20, 2),
        (1 << 20, 4),
        (1 << 20, 8),
        (1 << 20, 16),
        (4 << 20, 4),
    ] {
        let t0 = Instant::now();
        let b = f
            .read_pipelined(0, size as u64, chunk, depth)
            .await
            .unwrap();
        let r = t0.elapsed();
        let t0 = Instant::now();
        f.write_pipelined(0, &data, chunk, depth).await.unwrap();
        let w = t0.elapsed();
        assert_eq!(b.len(), size);
        println!(
            "chunk {chunk} depth {depth}: read {:.0} MB/s write {:.0} MB/s credits {:?}",
            size as f64 / 1e6 / r.as_secs_f64(),
            size as f64 / 1e6 / w.as_secs_f64(),
            t.session().connection().credit_stats()
        );
    }
    f.close().await.unwrap();
}
