//! The drive's seam (ADR 0017): the SMB provider's `RemoteFs` against a real Samba, used only
//! through `&dyn RemoteFs` as the drive uses a provider. What each operation promises here
//! is what a second provider (WebDAV) must keep where its capabilities allow.

use crate::drive::{other_client, samba, unique};
use std::time::{Duration, Instant};
use wnet_smb::drive::remote::{
    Access, Change, Disposition, FsErrorKind, OpenHow, RemoteFs, SetInfo,
};
use wnet_smb::smb_fs::SmbFs;

fn how(access: Access, disposition: Disposition) -> OpenHow {
    OpenHow {
        access,
        disposition,
        durable: false,
    }
}

#[test]
fn smb_declares_every_capability_the_drive_adapts_to() {
    let (rt, tree) = other_client();
    let fs: &dyn RemoteFs = &SmbFs::new(tree, None);
    let caps = fs.capabilities();
    assert!(caps.change_notify && caps.byte_range_locks && caps.ranged_writes);
    assert!(caps.server_side_rename && caps.durable_handles && caps.case_insensitive);
    assert!(caps.sparse_ranges);
    assert!(caps.max_read >= 64 * 1024, "{caps:?}");
    rt.block_on(async {
        fs.probe().await.unwrap();
        let s = fs.statfs().await.unwrap();
        assert!(s.unit > 0 && s.total_units > 0, "{s:?}");
        assert!(s.available_units <= s.total_units, "{s:?}");
    });
}

#[test]
fn files_round_trip_through_the_seam() {
    let (rt, tree) = other_client();
    let fs: &dyn RemoteFs = &SmbFs::new(tree, None);
    let d = unique("seam");
    let file = format!("{d}/a.bin");
    let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    rt.block_on(async {
        fs.mkdir(&d).await.unwrap();
        let f = fs
            .open(&file, how(Access::ReadWrite, Disposition::CreateNew))
            .await
            .unwrap();
        assert_eq!(f.attr.size, 0);
        assert!(!f.attr.is_dir);
        f.file.write(0, &data[..200_000]).await.unwrap();
        f.file.write(200_000, &data[200_000..]).await.unwrap();
        f.file.flush().await.unwrap();
        assert_eq!(f.file.attr().await.unwrap().size, data.len() as u64);
        let closed = f.file.close_with_attr().await.unwrap();
        assert_eq!(closed.size, data.len() as u64);

        let a = fs.stat(&file).await.unwrap();
        assert_eq!(a.size, data.len() as u64);
        let listed = fs.list(&d).await.unwrap();
        let names: Vec<&str> = listed.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(names, ["a.bin"], "no . or ..");
        assert_eq!(listed[0].attr.size, data.len() as u64);
        assert_eq!(
            listed[0].attr.id, a.id,
            "the same identity by stat and listing"
        );

        let r = fs
            .open(&file, how(Access::Read, Disposition::Open))
            .await
            .unwrap();
        assert_eq!(r.attr.size, data.len() as u64);
        let mut back = Vec::new();
        while back.len() < data.len() {
            let chunk = r.file.read(back.len() as u64, 65536).await.unwrap();
            assert!(!chunk.is_empty());
            back.extend_from_slice(&chunk);
        }
        assert!(back == data);
        assert!(r.file.read(data.len() as u64, 10).await.unwrap().is_empty());
        r.file.close().await.unwrap();

        // Truncate and times through an open file; the read-only attribute by name.
        let w = fs
            .open(&file, how(Access::ReadWrite, Disposition::Open))
            .await
            .unwrap();
        w.file.set_len(10).await.unwrap();
        let t = std::time::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        w.file
            .set_info(SetInfo {
                mtime: Some(t),
                ..SetInfo::default()
            })
            .await
            .unwrap();
        w.file.close().await.unwrap();
        let a = fs.stat(&file).await.unwrap();
        assert_eq!((a.size, a.mtime), (10, t));
        let ro = SetInfo {
            attributes: Some(a.attributes | 0x1),
            ..SetInfo::default()
        };
        fs.set_info(&file, ro).await.unwrap();
        assert_ne!(fs.stat(&file).await.unwrap().attributes & 0x1, 0);
        let rw = SetInfo {
            attributes: Some(a.attributes & !0x1),
            ..SetInfo::default()
        };
        fs.set_info(&file, rw).await.unwrap();

        // Rename (with the directory's new attributes in the answer), then delete.
        let moved = format!("{d}/b.bin");
        let dirs = [d.as_str()];
        let after = fs.rename(&file, &moved, false, &dirs).await.unwrap();
        assert_eq!(after.len(), 1);
        assert!(after[0].is_some_and(|a| a.is_dir));
        assert_eq!(
            fs.stat(&file).await.unwrap_err().kind,
            FsErrorKind::NotFound
        );
        fs.delete(&moved, &dirs).await.unwrap();
        fs.delete(&d, &[]).await.unwrap();
    });
}

#[test]
fn failures_cross_the_seam_as_drive_kinds_not_as_lost_connections() {
    let (rt, tree) = other_client();
    let fs: &dyn RemoteFs = &SmbFs::new(tree, None);
    let d = unique("seamerr");
    rt.block_on(async {
        let missing = fs.stat(&format!("{d}/nothing")).await.unwrap_err();
        assert_eq!(missing.kind, FsErrorKind::NotFound);
        assert!(!missing.connection_lost && !missing.is_logon_refused());

        fs.mkdir(&d).await.unwrap();
        assert_eq!(fs.mkdir(&d).await.unwrap_err().kind, FsErrorKind::Exists);
        let (a, b) = (format!("{d}/a"), format!("{d}/b"));
        for p in [&a, &b] {
            let f = fs
                .open(p, how(Access::ReadWrite, Disposition::CreateNew))
                .await
                .unwrap();
            f.file.close().await.unwrap();
        }
        let again = fs
            .open(&a, how(Access::ReadWrite, Disposition::CreateNew))
            .await
            .unwrap_err();
        assert_eq!(again.kind, FsErrorKind::Exists);
        let e = fs.rename(&a, &b, false, &[]).await.unwrap_err();
        assert_eq!(e.kind, FsErrorKind::Exists, "no replace: {e}");
        assert_eq!(
            fs.delete(&d, &[]).await.unwrap_err().kind,
            FsErrorKind::NotEmpty
        );

        // Byte-range locks: a second handle's conflicting lock is refused, then granted once
        // the first unlocks.
        let one = fs
            .open(&a, how(Access::ReadWrite, Disposition::Open))
            .await
            .unwrap();
        let two = fs
            .open(&a, how(Access::ReadWrite, Disposition::Open))
            .await
            .unwrap();
        one.file.lock(0, 100, true).await.unwrap();
        let e = two.file.lock(50, 10, true).await.unwrap_err();
        assert_eq!(e.kind, FsErrorKind::LockConflict, "{e}");
        assert_eq!(
            two.file.unlock(0, 100).await.unwrap_err().kind,
            FsErrorKind::NotLocked
        );
        one.file.unlock(0, 100).await.unwrap();
        two.file.lock(50, 10, true).await.unwrap();
        two.file.close().await.unwrap();
        one.file.close().await.unwrap();

        for p in [&a, &b, &d] {
            fs.delete(p, &[]).await.unwrap();
        }
    });
}

#[test]
fn a_watch_reports_names_made_by_another_client() {
    let (rt, tree) = other_client();
    let fs = std::sync::Arc::new(SmbFs::new(tree, None));
    let d = unique("seamwatch");
    let disk = samba().share_dir("rw").join(&d);
    rt.block_on(async {
        fs.mkdir(&d).await.unwrap();
        let w = fs.watch(&d).await.unwrap();
        let waiting = tokio::spawn(async move {
            let changes = w.next().await;
            (w, changes)
        });
        // Names keep appearing on the server's disk until the watch reports one (the
        // request may reach the server after the first of them).
        let start = Instant::now();
        let mut made = Vec::new();
        while !waiting.is_finished() {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "no change reported"
            );
            let name = format!("n{}", made.len());
            std::fs::write(disk.join(&name), b"x").unwrap();
            made.push(name);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let (w, changes) = waiting.await.unwrap();
        let changes = changes.unwrap();
        assert!(!changes.is_empty());
        assert!(
            changes.iter().all(|c| match c {
                Change::Changed(n) => made.contains(n),
                Change::Everything => true,
                Change::Removed(n) => panic!("nothing was removed, yet {n}"),
            }),
            "{changes:?} not among {made:?}"
        );
        w.close().await.unwrap();
        for n in &made {
            fs.delete(&format!("{d}/{n}"), &[]).await.unwrap();
        }
        fs.delete(&d, &[]).await.unwrap();
    });
}
