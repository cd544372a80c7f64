//! Small files kept across opens (ADR 0021): a small file read whole at open is kept under
//! the strong ETag that answer carried, and the next open still asks the server, with
//! `If-None-Match`: a `304` answers with the kept bytes, any change is read anew. Against
//! Apache (HTTP with Basic, HTTPS with Digest) and rclone, through `&dyn RemoteFs`.

use std::path::Path;
use std::time::{Duration, SystemTime};

use wnet_drive::remote::{Access, Disposition, FsErrorKind, RemoteFs};
use wnet_testkit::{Apache, DavAuth};
use wnet_webdav::DavFsOptions;

use crate::dav_fs::{
    Server, another_client, fixture, how, logged, pattern, servers, staged_in, unique,
};

/// Writes `rel` on the server's disk, last changed a minute ago: Apache's ETag of it is
/// strong from the first request (weak only during the second after a change).
fn settled(server: &Server, rel: &str, content: &[u8]) {
    let past = SystemTime::now() - Duration::from_secs(60);
    match server {
        Server::Apache(a) => a.seed_modified(rel, content, Some(past)),
        Server::Rclone(r) => {
            let path = r.root().join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, content).unwrap();
            std::fs::File::options()
                .write(true)
                .open(&path)
                .and_then(|f| f.set_modified(past))
                .unwrap();
        }
    }
}

/// Apache's log lines (`METHOD DEPTH STATUS`) for `rel` once there are `n`, without the
/// Digest challenges (401) a request may meet first. A line is written after its answer
/// went out: polled for up to 20 s.
fn asked(apache: &Apache, rel: &str, n: usize) -> Vec<String> {
    let start = std::time::Instant::now();
    loop {
        let paths = [format!("/{rel}")];
        let mut lines = logged(apache, &paths, "GET - 206");
        lines.retain(|l| !l.ends_with(" 401"));
        if lines.len() >= n || start.elapsed() > Duration::from_secs(20) {
            return lines;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_small_file_opened_again_unchanged_is_one_get_answered_304_with_the_kept_bytes() {
    for fx in servers() {
        let fs: &dyn RemoteFs = &fx.fs;
        let rel = format!("{}/f", unique("kept"));
        let body = pattern(4096, 3);
        settled(&fx.server, &rel, &body);
        fx.rt.block_on(async {
            let first = fs.open_read(&rel, 8192).await.unwrap();
            assert!(first.data.unwrap() == body, "{}", fx.name);
            for _ in 0..2 {
                let again = fs.open_read(&rel, 8192).await.unwrap();
                assert!(again.data.unwrap() == body, "{}", fx.name);
                assert_eq!(
                    (again.attr.size, again.attr.mtime),
                    (first.attr.size, first.attr.mtime),
                    "{}: the kept version's attributes",
                    fx.name
                );
            }
        });
        if let Server::Apache(a) = &fx.server {
            // The first open read it; each later one is one request, answered without a body.
            let want = ["GET - 206", "GET - 304", "GET - 304"];
            assert_eq!(asked(a, &rel, 3), want, "{}", fx.name);
        }
    }
}

#[test]
fn another_clients_overwrite_of_a_kept_file_shows_at_the_next_open_same_size_same_second() {
    for fx in servers() {
        let fs: &dyn RemoteFs = &fx.fs;
        let stage = tempfile::tempdir().unwrap();
        let other = another_client(&fx.server, staged_in(stage.path()));
        let d = unique("overwritten");
        let rel = format!("{d}/f");
        settled(&fx.server, &rel, &pattern(4096, 0));
        fx.rt.block_on(async {
            let kept = fs.open_read(&rel, 8192).await.unwrap();
            assert!(kept.data.unwrap() == pattern(4096, 0), "{}", fx.name);
            // Same size each time, one right after the other (within a second: Apache's
            // ETags of these are weak, and must keep nothing).
            for seed in 1..=4 {
                let new = pattern(4096, seed);
                let replace = how(Access::Write, Disposition::Replace);
                other
                    .create_whole(&rel, replace, 0, &new, &d)
                    .await
                    .unwrap();
                let seen = fs.open_read(&rel, 8192).await.unwrap();
                assert!(
                    seen.data.unwrap() == new,
                    "{}: overwrite {seed} not seen",
                    fx.name
                );
                // And again: the same bytes, whether kept or read anew.
                let again = fs.open_read(&rel, 8192).await.unwrap();
                assert!(again.data.unwrap() == new, "{}: {seed}", fx.name);
            }
        });
    }
}

/// Apache marks a file's ETag weak while its time is within a second of the request (here
/// for an hour: its time is an hour ahead): two writes of the same size in one clock tick
/// of its disk could share it. Nothing is kept under one; every open reads the file.
/// (Apache itself compares a ranged `If-None-Match` strongly, measured: a weak tag never
/// gets a `304` with a `Range`, though it does without one.)
#[test]
fn nothing_is_kept_under_a_weak_etag() {
    let fx = fixture(
        "apache http",
        Server::Apache(Apache::start(false, DavAuth::None)),
        staged_in,
    );
    let Server::Apache(a) = &fx.server else {
        unreachable!()
    };
    let rel = format!("{}/f", unique("weak"));
    let ahead = SystemTime::now() + Duration::from_secs(3600);
    a.seed_modified(&rel, b"weak for an hour", Some(ahead));
    let fs: &dyn RemoteFs = &fx.fs;
    fx.rt.block_on(async {
        for _ in 0..3 {
            let r = fs.open_read(&rel, 4096).await.unwrap();
            assert_eq!(r.data.unwrap(), b"weak for an hour");
        }
    });
    assert_eq!(asked(a, &rel, 3), ["GET - 206", "GET - 206", "GET - 206"]);
}

#[test]
fn a_kept_file_deleted_on_the_server_is_not_found_at_the_next_open() {
    for fx in servers() {
        let fs: &dyn RemoteFs = &fx.fs;
        let rel = format!("{}/f", unique("deleted"));
        settled(&fx.server, &rel, b"soon gone");
        fx.rt.block_on(async {
            assert_eq!(
                fs.open_read(&rel, 4096).await.unwrap().data.unwrap(),
                b"soon gone"
            );
            // Kept now (one conditional GET answered 304).
            assert_eq!(
                fs.open_read(&rel, 4096).await.unwrap().data.unwrap(),
                b"soon gone"
            );
            std::fs::remove_file(fx.server.disk().join(&rel)).unwrap();
            let e = fs.open_read(&rel, 4096).await.unwrap_err();
            assert_eq!(e.kind, FsErrorKind::NotFound, "{}: {e}", fx.name);
        });
    }
}

/// The cache is bounded by bytes: with room for three of these files, the five read last
/// to first are three `304`s (the three most recently read) and two full reads.
#[test]
fn the_kept_bytes_stay_within_their_bound_least_recently_used_out() {
    let room_for_three = |dir: &Path| DavFsOptions {
        // Each 2000-byte file counts its bytes, path, ETag and 128: about 2160.
        small_cache: 7000,
        ..staged_in(dir)
    };
    let fx = fixture(
        "apache http",
        Server::Apache(Apache::start(false, DavAuth::None)),
        room_for_three,
    );
    let Server::Apache(a) = &fx.server else {
        unreachable!()
    };
    let d = unique("bound");
    let rel = |i: u32| format!("{d}/f{i}");
    for i in 0..5 {
        settled(&fx.server, &rel(i), &pattern(2000, i));
    }
    let fs: &dyn RemoteFs = &fx.fs;
    fx.rt.block_on(async {
        for i in (0..5).chain((0..5).rev()) {
            let r = fs.open_read(&rel(i), 4096).await.unwrap();
            assert!(r.data.unwrap() == pattern(2000, i), "f{i}");
        }
    });
    let second: Vec<String> = (0..5)
        .rev()
        .map(|i| format!("f{i} {}", asked(a, &rel(i), 2).join(", ")))
        .collect();
    assert_eq!(
        second,
        [
            "f4 GET - 206, GET - 304",
            "f3 GET - 206, GET - 304",
            "f2 GET - 206, GET - 304",
            "f1 GET - 206, GET - 206",
            "f0 GET - 206, GET - 206"
        ]
    );
}
