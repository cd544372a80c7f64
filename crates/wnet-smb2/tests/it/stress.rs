//! Many tasks on one connection: no hang, no credit leak.

use crate::common::*;
use std::time::{Duration, Instant};
use wnet_smb2::CreateOptions;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_tasks_mixed_operations() {
    let secs: u64 = std::env::var("WNET_STRESS_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let s = samba();
    let t = rw(&s).await;
    let dir = unique("stress");
    t.mkdir(&dir).await.unwrap();
    let start = t.session().connection().credit_stats();
    let end = Instant::now() + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for i in 0..64u64 {
        let t = t.clone();
        let dir = dir.clone();
        tasks.push(tokio::spawn(async move {
            let name = format!("{dir}/f{i}");
            let data = pattern(((i as usize) % 7 + 1) * 100_000, i);
            let mut ops = 0u64;
            while Instant::now() < end {
                match ops % 5 {
                    0 => {
                        let f = t.create(&name, &CreateOptions::overwrite()).await.unwrap();
                        f.write_pipelined(0, &data, 65536, 4).await.unwrap();
                        f.close().await.unwrap();
                    }
                    1 => assert_eq!(t.stat(&name).await.unwrap().end_of_file, data.len() as u64),
                    2 => assert!(t.read_file_small(&name, 1 << 20).await.unwrap() == data),
                    3 => {
                        t.list(&dir).await.unwrap();
                    }
                    _ => {
                        t.session().echo().await.unwrap();
                    }
                }
                ops += 1;
            }
            ops
        }));
    }
    let mut total = 0;
    for task in tasks {
        total += tokio::time::timeout(Duration::from_secs(secs + 30), task)
            .await
            .expect("task hung")
            .unwrap();
    }
    let after = t.session().connection().credit_stats();
    println!("{total} operations in {secs} s; credits {start:?} -> {after:?}");
    assert_eq!(after.waiters, 0);
    assert!(
        after.available >= start.available,
        "credits leaked: {start:?} -> {after:?}"
    );
}
