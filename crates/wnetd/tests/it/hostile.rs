//! A hostile server against the whole daemon (issue 12): `ls` on a share whose listing and
//! change notifications are quadratic chains fails cleanly, within the bound, and the daemon
//! keeps serving with bounded memory.

use std::time::{Duration, Instant};

use wnet_proto::{AddConnectionArgs, Paths, Reply, Request};
use wnet_testkit::hostile::{
    Answer, HostileServer, PASSWORD, Reply as Scripted, Script, body, command, overlapping_chain,
    peak_rss_mib,
};
use wnetd::BackgroundDaemon;

#[test]
fn ls_on_a_hostile_share_fails_cleanly_and_the_daemon_lives() {
    let server = HostileServer::start(Script::new().hook(|r| match r.command {
        command::QUERY_DIRECTORY => Answer::Reply(Scripted::ok(body::with_output(
            overlapping_chain(256 * 1024, 60, 104),
        ))),
        command::CHANGE_NOTIFY => Answer::Reply(Scripted::ok(body::with_output(
            overlapping_chain(64 * 1024, 8, 12),
        ))),
        _ => Answer::Default,
    }));
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::under(dir.path());
    let daemon = BackgroundDaemon::start(paths.clone()).unwrap();
    let call = |r: Request| daemon.daemon().handle(r);
    let r = call(Request::AddConnection(AddConnectionArgs {
        resource_type: 1,
        local: Some("H:".into()),
        remote: server.unc("share"),
        provider: None,
        user: Some("alice".into()),
        password: Some(wnet_core::Secret::new(PASSWORD)),
        flags: 0,
        save_credentials: false,
        ccache: None,
    }));
    assert!(matches!(r, Ok(Reply::Connection(_))), "{r:?}");
    let drive = paths.drive_root.join("H");
    let started = Instant::now();
    let listed = std::fs::read_dir(&drive).and_then(|d| d.collect::<Result<Vec<_>, _>>());
    assert!(
        listed.is_err(),
        "a malformed listing is an error: {listed:?}"
    );
    assert!(
        server.seen().commands.contains(&command::QUERY_DIRECTORY),
        "the listing reached the server: {listed:?} {:?}",
        server.seen().commands
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    // The daemon still answers, and still knows the drive.
    let r = call(Request::GetConnection { local: "H:".into() });
    assert!(r.is_ok(), "{r:?}");
    let peak = peak_rss_mib();
    // Process-wide (other tests of this binary run in parallel): a generous bound that the
    // quadratic copy (gigabytes) would still break.
    println!("peak RSS of the test process (daemon included): {peak} MiB");
    assert!(peak < 1024, "peak RSS {peak} MiB");
    let r = call(Request::CancelConnection {
        name: "H:".into(),
        flags: 0,
        force: true,
    });
    assert!(r.is_ok(), "{r:?}");
}
