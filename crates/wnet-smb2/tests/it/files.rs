//! File operations, checked against the share's directory on disk.

use crate::common::*;
use wnet_smb2::CreateOptions;
use wnet_smb2::file::{PIPELINE_CHUNK, PIPELINE_DEPTH};

#[tokio::test]
async fn write_read_roundtrip_matches_disk() {
    let s = samba();
    let t = rw(&s).await;
    let name = unique("rt");
    let data = pattern(300_000, 7);
    let f = t.create(&name, &CreateOptions::create_new()).await.unwrap();
    assert_eq!(f.write_at(0, &data).await.unwrap(), data.len() as u64);
    f.flush().await.unwrap();
    assert_eq!(f.read_at(0, data.len()).await.unwrap(), data);
    assert_eq!(f.read_at(data.len() as u64, 10).await.unwrap(), b"");
    assert_eq!(f.read_at(299_990, 100).await.unwrap(), &data[299_990..]);
    let info = f.close().await.unwrap();
    assert_eq!(info.end_of_file, data.len() as u64);
    assert_eq!(std::fs::read(s.share_dir("rw").join(&name)).unwrap(), data);
}

#[tokio::test]
async fn stat_and_small_read_in_one_round_trip() {
    let s = samba();
    let sess = session(&s).await;
    let t = sess.tree_connect("ro").await.unwrap();
    let on_disk = std::fs::read(s.share_dir("ro").join("hello.txt")).unwrap();
    let st = t.stat("hello.txt").await.unwrap();
    assert_eq!(st.end_of_file, on_disk.len() as u64);
    assert!(!st.is_directory());
    assert!(t.stat("").await.unwrap().is_directory());
    assert_eq!(
        t.read_file_small("hello.txt", 1 << 20).await.unwrap(),
        on_disk
    );
}

#[tokio::test]
async fn list_directory() {
    let s = samba();
    let t = rw(&s).await;
    let d = unique("dir");
    t.mkdir(&d).await.unwrap();
    for i in 0..50 {
        let f = t
            .create(
                &format!("{d}/file-{i:03}.txt"),
                &CreateOptions::create_new(),
            )
            .await
            .unwrap();
        f.write_at(0, &vec![b'x'; i]).await.unwrap();
        f.close().await.unwrap();
    }
    t.mkdir(&format!("{d}/sub")).await.unwrap();
    let mut l = t.list(&d).await.unwrap();
    l.sort_by(|a, b| a.name.cmp(&b.name));
    assert_eq!(l.len(), 51);
    assert_eq!(l[7].name, "file-007.txt");
    assert_eq!(l[7].end_of_file, 7);
    assert!(l[50].is_directory());
    assert_eq!(l[50].name, "sub");
}

#[tokio::test]
async fn rename_delete_mkdir_rmdir() {
    let s = samba();
    let t = rw(&s).await;
    let root = s.share_dir("rw");
    let d = unique("ops");
    t.mkdir(&d).await.unwrap();
    assert!(root.join(&d).is_dir());
    let a = format!("{d}/a.txt");
    let b = format!("{d}/b.txt");
    let f = t.create(&a, &CreateOptions::create_new()).await.unwrap();
    f.write_at(0, b"abc").await.unwrap();
    f.close().await.unwrap();
    t.rename(&a, &b, false).await.unwrap();
    assert!(!root.join(&a).exists());
    assert_eq!(std::fs::read(root.join(&b)).unwrap(), b"abc");
    t.delete(&b).await.unwrap();
    assert!(!root.join(&b).exists());
    t.rmdir(&d).await.unwrap();
    assert!(!root.join(&d).exists());
}

#[tokio::test]
async fn set_len_and_fs_info() {
    let s = samba();
    let t = rw(&s).await;
    let name = unique("len");
    let f = t.create(&name, &CreateOptions::create_new()).await.unwrap();
    f.set_len(12345).await.unwrap();
    assert_eq!(f.query_info().await.unwrap().end_of_file, 12345);
    f.close().await.unwrap();
    assert_eq!(
        std::fs::metadata(s.share_dir("rw").join(&name))
            .unwrap()
            .len(),
        12345
    );
    let fs = t.fs_info().await.unwrap();
    assert!(fs.total_bytes() > 0);
    assert!(fs.free_bytes() <= fs.total_bytes());
}

#[tokio::test]
async fn pipelined_64mib_write_then_read() {
    let s = samba();
    let t = rw(&s).await;
    let name = unique("big");
    let data = pattern(64 << 20, 99);
    let f = t.create(&name, &CreateOptions::create_new()).await.unwrap();
    let n = f
        .write_pipelined(0, &data, PIPELINE_CHUNK, PIPELINE_DEPTH)
        .await
        .unwrap();
    assert_eq!(n, data.len() as u64);
    let back = f
        .read_pipelined(0, data.len() as u64, PIPELINE_CHUNK, PIPELINE_DEPTH)
        .await
        .unwrap();
    assert!(back == data, "read back differs");
    f.close().await.unwrap();
    assert!(
        std::fs::read(s.share_dir("rw").join(&name)).unwrap() == data,
        "disk differs"
    );
    let st = t.session().connection().credit_stats();
    assert_eq!(st.waiters, 0);
    assert!(st.available >= 128, "credits leaked: {st:?}");
    std::fs::remove_file(s.share_dir("rw").join(&name)).unwrap();
}

#[tokio::test]
async fn byte_range_locks_and_cancelled_blocking_lock() {
    use std::time::Duration;
    use wnet_smb2::NtStatus;
    let s = samba();
    let (u, p) = s.user();
    let mut cfg = config(&s, u, p);
    cfg.timeouts.data = Duration::from_millis(1500);
    let t = wnet_smb2::Session::connect(cfg)
        .await
        .unwrap()
        .tree_connect("rw")
        .await
        .unwrap();
    let name = unique("lock");
    let a = t.create(&name, &CreateOptions::create_new()).await.unwrap();
    let b = t.create(&name, &CreateOptions::read_write()).await.unwrap();
    a.lock(0, 10, true, false).await.unwrap();
    let e = b.lock(0, 10, true, false).await.unwrap_err();
    assert_eq!(e.status(), Some(NtStatus::LOCK_NOT_GRANTED));
    // A blocking lock that times out is cancelled on the server...
    let e = b.lock(0, 10, true, true).await.unwrap_err();
    assert!(matches!(e, wnet_smb2::Error::Timeout { .. }), "{e:?}");
    a.unlock(0, 10).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    // ...so it was not granted behind our back when A unlocked: B can lock now, A cannot.
    b.lock(0, 10, true, false).await.unwrap();
    let e = a.lock(0, 10, true, false).await.unwrap_err();
    assert_eq!(e.status(), Some(NtStatus::LOCK_NOT_GRANTED));
    assert_eq!(
        b.unlock(20, 5).await.unwrap_err().status(),
        Some(NtStatus::RANGE_NOT_LOCKED)
    );
    b.close().await.unwrap();
    a.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn change_notify_sees_a_new_file() {
    use std::time::Duration;
    use wnet_smb2::msg::fscc::{notify_action, notify_filter};
    let s = samba();
    let t = rw(&s).await;
    let d = unique("watch");
    t.mkdir(&d).await.unwrap();
    let dir = t.create(&d, &CreateOptions::directory()).await.unwrap();
    let watcher = dir.watch(notify_filter::FILE_NAME, false, Duration::from_secs(5));
    let maker = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        t.create(&format!("{d}/new.txt"), &CreateOptions::create_new())
            .await
            .unwrap()
            .close()
            .await
            .unwrap();
    };
    let (events, ()) = tokio::join!(watcher, maker);
    let events = events.unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.action == notify_action::ADDED && e.name == "new.txt"),
        "{events:?}"
    );
    // A watch that sees nothing times out (and is cancelled on the server).
    let e = dir
        .watch(notify_filter::FILE_NAME, false, Duration::from_millis(300))
        .await
        .unwrap_err();
    assert!(matches!(e, wnet_smb2::Error::Timeout { .. }), "{e:?}");
    dir.close().await.unwrap();
}

#[tokio::test]
async fn set_times_truncate_and_rename_by_handle() {
    use wnet_smb2::msg::create::disposition;
    use wnet_smb2::msg::fscc::{FileBasicInformation, FileTime, access};
    let s = samba();
    let t = rw(&s).await;
    let root = s.share_dir("rw");
    let a = unique("h");
    let f = t.create(&a, &CreateOptions::create_new()).await.unwrap();
    f.write_at(0, b"0123456789").await.unwrap();
    f.close().await.unwrap();
    t.set_len(&a, 4).await.unwrap();
    assert_eq!(std::fs::read(root.join(&a)).unwrap(), b"0123");
    let when = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_600_000_000);
    let info = FileBasicInformation {
        last_write_time: FileTime::from_system_time(when),
        ..Default::default()
    };
    t.set_basic(&a, &info).await.unwrap();
    assert_eq!(
        std::fs::metadata(root.join(&a))
            .unwrap()
            .modified()
            .unwrap(),
        when
    );
    assert_eq!(
        t.stat(&a).await.unwrap().last_write_time.to_system_time(),
        when
    );
    let mut opts = CreateOptions::read_write().disposition(disposition::OPEN);
    opts.access |= access::DELETE;
    let f = t.create(&a, &opts).await.unwrap();
    let b = unique("h-renamed");
    f.rename(&b, false).await.unwrap();
    f.close().await.unwrap();
    assert!(!root.join(&a).exists());
    assert_eq!(std::fs::read(root.join(&b)).unwrap(), b"0123");
}

#[tokio::test]
async fn dropped_handle_is_closed_in_the_background() {
    use wnet_smb2::NtStatus;
    let s = samba();
    let t = rw(&s).await;
    let name = unique("drop");
    let mut excl = CreateOptions::create_new();
    excl.share_access = 0; // exclusive: a second open fails while this one lives
    let f = t.create(&name, &excl).await.unwrap();
    let e = t.create(&name, &CreateOptions::read()).await.unwrap_err();
    assert_eq!(e.status(), Some(NtStatus::SHARING_VIOLATION));
    drop(f);
    let t0 = std::time::Instant::now();
    loop {
        match t.create(&name, &CreateOptions::read()).await {
            Ok(g) => {
                g.close().await.unwrap();
                break;
            }
            Err(e) if t0.elapsed() < std::time::Duration::from_secs(3) => {
                assert_eq!(e.status(), Some(NtStatus::SHARING_VIOLATION));
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            Err(e) => panic!("the dropped handle was never closed: {e:?}"),
        }
    }
}

#[tokio::test]
async fn list_a_directory_larger_than_one_response() {
    let s = samba();
    let t = rw(&s).await;
    let d = unique("bigdir");
    let on_disk = s.share_dir("rw").join(&d);
    std::fs::create_dir(&on_disk).unwrap();
    let n = 6000;
    for i in 0..n {
        // ~120 bytes of UTF-16 name per entry: 6000 entries need more than one 1 MiB answer.
        std::fs::write(on_disk.join(format!("{i:06}-{}", "x".repeat(54))), b"").unwrap();
    }
    let l = t.list(&d).await.unwrap();
    assert_eq!(l.len(), n);
    let mut names: Vec<_> = l.iter().map(|e| e.name.clone()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), n);
    std::fs::remove_dir_all(&on_disk).unwrap();
}

/// A compound that changes a name in a directory asks for the directory's new attributes
/// through a handle already open on it (one QUERY_INFO) when it can, by path otherwise.
#[tokio::test]
async fn a_changed_directory_is_stated_through_its_open_handle() {
    use wnet_smb2::DirStat;
    let s = samba();
    let t = rw(&s).await;
    let d = unique("dirstat");
    t.mkdir(&d).await.unwrap();
    let h = t.create(&d, &CreateOptions::directory()).await.unwrap();
    let now = |t: &wnet_smb2::Tree| {
        let d = d.clone();
        let t = t.clone();
        async move { t.stat(&d).await.unwrap() }
    };
    // A path that names nothing: only the handle can answer.
    let open = || DirStat::Open {
        path: "no such directory",
        dir: &h,
    };
    let f = format!("{d}/f");
    let w = t
        .create_written(&f, &CreateOptions::create_new(), 0, b"x", Some(open()))
        .await
        .unwrap();
    let after = now(&t).await;
    let p = w.parent.expect("asked through the handle");
    assert!(p.is_directory());
    assert_eq!(p.last_write_time, after.last_write_time, "after the create");
    let g = format!("{d}/g");
    let r = t.rename_then_stat(&f, &g, false, &[open()]).await.unwrap();
    assert_eq!(r[0].unwrap().last_write_time, now(&t).await.last_write_time);
    let r = t.delete_then_stat(&g, &[open()]).await.unwrap();
    assert_eq!(r[0].unwrap().last_write_time, now(&t).await.last_write_time);
    assert!(
        s.share_dir("rw")
            .join(&d)
            .read_dir()
            .unwrap()
            .next()
            .is_none()
    );

    // A handle of another tree connect is not valid on this one: the path is asked (here
    // one that names nothing, so no answer; the change itself is done).
    let t2 = rw(&s).await;
    let h2 = t2.create(&d, &CreateOptions::directory()).await.unwrap();
    let other = DirStat::Open {
        path: "no such directory",
        dir: &h2,
    };
    let w = t
        .create_written(&f, &CreateOptions::create_new(), 0, b"y", Some(other))
        .await
        .unwrap();
    assert!(w.parent.is_none());
    let by_path = DirStat::Open { path: &d, dir: &h2 };
    let r = t.delete_then_stat(&f, &[by_path]).await.unwrap();
    assert_eq!(r[0].unwrap().last_write_time, now(&t).await.last_write_time);
    h2.close().await.unwrap();
    h.close().await.unwrap();
}
