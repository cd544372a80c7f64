//! The drive's seam (ADR 0017): the SMB provider's `RemoteFs` against a real Samba, used only
//! through `&dyn RemoteFs` as the drive uses a provider. What each operation promises here
//! is what a second provider (WebDAV) must keep where its capabilities allow.

use crate::drive::{mount_over, other_client, pattern, samba, unique};
use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};
use wnet_smb::drive::cache::{Attr, Listed};
use wnet_smb::drive::remote::{
    Access, Capabilities, Change, Disposition, FsErrorKind, FsFuture, FsStats, KeepKey, OpenHow,
    OpenedFile, RemoteFs, RemoteWatch, SetInfo, attributes,
};
use wnet_smb::smb_fs::SmbFs;
use wnet_smb2::{ClientConfig, Session};

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

/// A provider with only the calls every provider must have: each method with a default
/// implementation (the SMB fast paths, the connection hooks) runs the default, built from
/// these, so the contract holds for a provider that overrides none of them (WebDAV).
#[derive(Debug)]
struct Generic(SmbFs);

impl RemoteFs for Generic {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            caching_across_opens: false,
            ..self.0.capabilities()
        }
    }
    fn stat<'a>(&'a self, path: &'a str) -> FsFuture<'a, Attr> {
        self.0.stat(path)
    }
    fn list<'a>(&'a self, dir: &'a str) -> FsFuture<'a, Vec<Listed>> {
        self.0.list(dir)
    }
    fn list_at_most<'a>(&'a self, dir: &'a str, limit: usize) -> FsFuture<'a, Option<Vec<Listed>>> {
        self.0.list_at_most(dir, limit)
    }
    fn open<'a>(&'a self, path: &'a str, how: OpenHow) -> FsFuture<'a, OpenedFile> {
        self.0.open(path, how)
    }
    fn mkdir<'a>(&'a self, path: &'a str) -> FsFuture<'a, ()> {
        self.0.mkdir(path)
    }
    fn delete<'a>(&'a self, path: &'a str, dirs: &'a [&'a str]) -> FsFuture<'a, Vec<Option<Attr>>> {
        self.0.delete(path, dirs)
    }
    fn rename<'a>(
        &'a self,
        from: &'a str,
        to: &'a str,
        replace: bool,
        dirs: &'a [&'a str],
    ) -> FsFuture<'a, Vec<Option<Attr>>> {
        self.0.rename(from, to, replace, dirs)
    }
    fn set_info<'a>(&'a self, path: &'a str, info: SetInfo) -> FsFuture<'a, ()> {
        self.0.set_info(path, info)
    }
    fn statfs(&self) -> FsFuture<'_, FsStats> {
        self.0.statfs()
    }
    fn watch<'a>(&'a self, dir: &'a str) -> FsFuture<'a, Box<dyn RemoteWatch>> {
        self.0.watch(dir)
    }
    fn probe(&self) -> FsFuture<'_, ()> {
        self.0.probe()
    }
}

/// The fast paths a provider may override answer as their defaults do: a small file read
/// whole at open, a new file written whole and closed, setattr by name.
fn fast_paths_keep_the_contract(rt: &tokio::runtime::Runtime, fs: &dyn RemoteFs, asks_dir: bool) {
    let d = unique("seamfast");
    let file = format!("{d}/whole.bin");
    let data = pattern(100_000, 7);
    rt.block_on(async {
        fs.mkdir(&d).await.unwrap();
        let replace = how(Access::ReadWrite, Disposition::Replace);
        let made = fs.create_whole(&file, replace, 0, &data, &d).await.unwrap();
        assert_eq!(made.attr.size, data.len() as u64);
        assert!(!made.attr.is_dir);
        assert_eq!(made.attr.id, fs.stat(&file).await.unwrap().id);
        assert_eq!(made.dir.is_some(), asks_dir, "{:?}", made.dir);
        assert!(made.dir.is_none_or(|a| a.is_dir));
        // An empty file is a create and a close (nothing written).
        let empty = format!("{d}/empty");
        let made = fs.create_whole(&empty, replace, 0, &[], &d).await.unwrap();
        assert_eq!(made.attr.size, 0);
        let new = how(Access::ReadWrite, Disposition::CreateNew);
        let again = fs.create_whole(&empty, new, 0, b"x", &d).await.unwrap_err();
        assert_eq!(again.kind, FsErrorKind::Exists);

        // Read whole at open: all of it when asked for more, the start when asked for less.
        let read = fs.open_read(&file, 200_000).await.unwrap();
        assert_eq!(read.attr.size, data.len() as u64);
        assert!(read.data.unwrap() == data);
        let head = fs.open_read(&file, 1000).await.unwrap();
        assert_eq!(head.data.unwrap(), data[..1000]);
        let missing = fs.open_read(&format!("{d}/nothing"), 10).await.unwrap_err();
        assert_eq!(missing.kind, FsErrorKind::NotFound);
        assert!(!missing.connection_lost);

        // Setattr by name: size and times at once, times alone (a directory too), then the
        // read-only attribute on and off.
        let t = std::time::UNIX_EPOCH + Duration::from_secs(1_100_000_000);
        let times = SetInfo {
            mtime: Some(t),
            ..SetInfo::default()
        };
        fs.set_attr(&file, Some(3), Some(times)).await.unwrap();
        let a = fs.stat(&file).await.unwrap();
        assert_eq!((a.size, a.mtime), (3, t));
        fs.set_attr(&file, Some(5), None).await.unwrap();
        assert_eq!(fs.stat(&file).await.unwrap().size, 5, "grown with zeros");
        assert_eq!(
            fs.open_read(&file, 10).await.unwrap().data.unwrap(),
            [data[0], data[1], data[2], 0, 0]
        );
        fs.set_attr(&d, None, Some(times)).await.unwrap();
        assert_eq!(fs.stat(&d).await.unwrap().mtime, t);
        let ro = SetInfo {
            attributes: Some(a.attributes | attributes::READONLY),
            ..SetInfo::default()
        };
        fs.set_attr(&file, None, Some(ro)).await.unwrap();
        assert_ne!(
            fs.stat(&file).await.unwrap().attributes & attributes::READONLY,
            0
        );
        let rw = SetInfo {
            attributes: Some(a.attributes & !attributes::READONLY),
            ..SetInfo::default()
        };
        fs.set_attr(&file, None, Some(rw)).await.unwrap();
        let e = fs
            .set_attr(&format!("{d}/nothing"), Some(1), None)
            .await
            .unwrap_err();
        assert_eq!(e.kind, FsErrorKind::NotFound);

        // The connection hooks answer on a healthy connection.
        fs.maintain().await.unwrap();
        assert!(!fs.connection_dead());
        fs.revive().await.unwrap();
        fs.reconnect().await.unwrap();
        fs.echo().await.unwrap();
        assert!(fs.listing_deadline() >= Duration::from_secs(60));

        for p in [&file, &empty, &d] {
            fs.delete(p, &[]).await.unwrap();
        }
    });
}

#[test]
fn smb_fast_paths_keep_the_contract() {
    let (rt, tree) = other_client();
    fast_paths_keep_the_contract(&rt, &SmbFs::new(tree, None), true);
}

#[test]
fn default_fast_paths_keep_the_contract() {
    let (rt, tree) = other_client();
    let fs = Generic(SmbFs::new(tree, None));
    fast_paths_keep_the_contract(&rt, &fs, false);
    let (tx, _rx) = tokio::sync::mpsc::channel(1);
    let kept = rt.block_on(fs.open_read_kept("x", 10, KeepKey::random(), tx));
    assert_eq!(kept.unwrap_err().kind, FsErrorKind::Unsupported);
}

#[test]
fn a_kept_file_is_revoked_when_another_client_opens_it_to_write() {
    let (rt, tree) = other_client();
    let fs: &dyn RemoteFs = &SmbFs::new(tree, None);
    assert!(fs.capabilities().caching_across_opens);
    let d = unique("seamkept");
    let file = format!("{d}/k.txt");
    let s = samba();
    let (u, p) = s.user();
    rt.block_on(async {
        fs.mkdir(&d).await.unwrap();
        let rw = how(Access::ReadWrite, Disposition::Replace);
        fs.create_whole(&file, rw, 0, b"kept", &d).await.unwrap();
        let (tx, mut rx) = tokio::sync::mpsc::channel(8);
        let key = KeepKey::random();
        let (read, kept) = fs.open_read_kept(&file, 100, key, tx).await.unwrap();
        assert_eq!(read.data.unwrap(), b"kept");
        assert!(kept.whole() && kept.current(), "{kept:?}");

        // Another client's open for writing waits for the revocation to be done.
        let other = Session::connect(ClientConfig::new(s.host(), u, p).port(s.port()))
            .await
            .unwrap()
            .tree_connect("rw")
            .await
            .unwrap();
        let other = SmbFs::new(other, None);
        let write = how(Access::Write, Disposition::Open);
        let revoked = async {
            let r = tokio::time::timeout(Duration::from_secs(30), rx.recv())
                .await
                .expect("a revocation")
                .unwrap();
            assert_eq!(r.key, key);
            assert!(!r.still_whole, "{r:?}");
            r.done();
        };
        let (opened, ()) = tokio::join!(other.open(&file, write), revoked);
        opened.unwrap().file.close().await.unwrap();
        kept.close().await.unwrap();
        fs.delete(&file, &[]).await.unwrap();
        fs.delete(&d, &[]).await.unwrap();
    });
}

#[test]
fn a_drive_over_a_provider_without_fast_paths_works_unchanged() {
    // Leases asked for: the wrapper declares no caching across opens, so none is kept.
    let m = mount_over(
        &samba(),
        "rw",
        false,
        wnet_smb::drive::DriveTimeouts::default(),
        true,
        |fs| std::sync::Arc::new(Generic(fs)),
    );
    let d = unique("seamgeneric");
    std::fs::create_dir(m.path(&d)).unwrap();
    let rel = format!("{d}/small.bin");
    let data = pattern(20_000, 3);

    // A new file sent whole at close() (the default create_whole): on the server when
    // close() returns.
    std::fs::write(m.path(&rel), &data).unwrap();
    assert!(std::fs::read(m.disk(&rel)).unwrap() == data);
    // Read whole at open (the default open_read), twice: nothing kept across opens.
    for _ in 0..2 {
        assert!(std::fs::read(m.path(&rel)).unwrap() == data);
    }

    // Setattr by name (the default set_attr): truncate(2), utimensat(2), chmod(2) on the
    // path, with no open file.
    let c = std::ffi::CString::new(m.path(&rel).into_os_string().into_encoded_bytes()).unwrap();
    // SAFETY: `c` is a valid NUL-terminated path.
    assert_eq!(unsafe { libc::truncate(c.as_ptr(), 5) }, 0);
    assert_eq!(std::fs::read(m.disk(&rel)).unwrap(), data[..5]);
    let secs = 1_200_000_000;
    let times = [libc::timespec {
        tv_sec: secs,
        tv_nsec: 0,
    }; 2];
    // SAFETY: `c` is a valid path and `times` two timespecs.
    let r = unsafe { libc::utimensat(libc::AT_FDCWD, c.as_ptr(), times.as_ptr(), 0) };
    assert_eq!(r, 0, "{}", std::io::Error::last_os_error());
    let t = std::time::UNIX_EPOCH + Duration::from_secs(secs as u64);
    assert_eq!(
        std::fs::metadata(m.disk(&rel)).unwrap().modified().unwrap(),
        t
    );
    let mode = |bits| std::fs::Permissions::from_mode(bits);
    std::fs::set_permissions(m.path(&rel), mode(0o444)).unwrap();
    assert!(
        std::fs::metadata(m.path(&rel))
            .unwrap()
            .permissions()
            .readonly()
    );
    std::fs::set_permissions(m.path(&rel), mode(0o644)).unwrap();
    assert!(
        !std::fs::metadata(m.path(&rel))
            .unwrap()
            .permissions()
            .readonly()
    );

    std::fs::remove_file(m.path(&rel)).unwrap();
    std::fs::remove_dir(m.path(&d)).unwrap();
    assert!(!m.disk(&d).exists());
}
