//! The router with both real providers (SMB, then WebDAV) in a real daemon, against Apache
//! httpd and `rclone serve webdav`: which provider gets which name, the ambiguous
//! `\\host@port\x` form, deviceless WebDAV connections, and the errors a user meets.

use tempfile::TempDir;
use wnet_core::{ConnectFlags, ProfileStore, Secret};
use wnet_proto::{AddConnectionArgs, Client, ConnectionInfo, Paths, Reply, Request};
use wnet_testkit::{Apache, DAV_PASSWORD, DAV_USER, DavAuth, RcloneDav};

const DAV: &str = "Web Client Network";

/// A daemon with the real providers ([`wnetd::provider_router`]); `basic_over_http` is the
/// profile switch, written before the daemon starts (it reads it once), like `order`
/// (`provider_order`).
struct Daemon {
    paths: Paths,
    _daemon: wnetd::BackgroundDaemon,
    _dir: TempDir,
}

impl Daemon {
    fn start(basic_over_http: bool) -> Daemon {
        Daemon::start_with(basic_over_http, &[])
    }

    fn start_with(basic_over_http: bool, order: &[&str]) -> Daemon {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::under(dir.path());
        ProfileStore::new(paths.profile.clone())
            .update(|p| {
                p.settings.dav_basic_over_http = basic_over_http;
                p.settings.provider_order = order.iter().map(|n| n.to_string()).collect();
                Ok(())
            })
            .unwrap();
        let daemon = wnetd::BackgroundDaemon::start(paths.clone()).unwrap();
        Daemon {
            paths,
            _daemon: daemon,
            _dir: dir,
        }
    }

    fn client(&self) -> Client {
        Client::connect_to(&self.paths.socket, "wnetd-webdav-tests").unwrap()
    }

    fn add(
        &self,
        local: Option<&str>,
        remote: &str,
        user: Option<&str>,
        password: Option<&str>,
    ) -> Result<ConnectionInfo, wnet_core::Error> {
        self.add_through(None, local, remote, user, password)
    }

    /// [`Daemon::add`] asking only `provider` (`lpProvider`) when it is given.
    fn add_through(
        &self,
        provider: Option<&str>,
        local: Option<&str>,
        remote: &str,
        user: Option<&str>,
        password: Option<&str>,
    ) -> Result<ConnectionInfo, wnet_core::Error> {
        let reply = self
            .client()
            .call(&Request::AddConnection(AddConnectionArgs {
                resource_type: 1,
                local: local.map(Into::into),
                remote: remote.into(),
                provider: provider.map(Into::into),
                user: user.map(Into::into),
                password: password.map(Secret::new),
                flags: ConnectFlags::empty().bits(),
                save_credentials: false,
                ccache: None,
            }))?;
        match reply {
            Reply::Connection(info) => Ok(info),
            other => panic!("{other:?}"),
        }
    }

    fn code(&self, remote: &str, user: Option<&str>, password: Option<&str>) -> (u32, String) {
        match self.add(None, remote, user, password) {
            Ok(c) => panic!("{remote} connected: {c:?}"),
            Err(e) => (e.win_error().0, e.to_string()),
        }
    }

    fn cancel(&self, name: &str) -> u32 {
        self.cancel_with(name, false)
    }

    fn cancel_with(&self, name: &str, force: bool) -> u32 {
        match self.client().call(&Request::CancelConnection {
            name: name.into(),
            flags: 0,
            force,
        }) {
            Ok(_) => 0,
            Err(e) => e.win_error().0,
        }
    }

    fn listing(&self) -> Vec<ConnectionInfo> {
        match self.client().call(&Request::List).unwrap() {
            Reply::Listing { connections, .. } => connections,
            other => panic!("{other:?}"),
        }
    }
}

/// `\\127.0.0.1@PORT\team`: SMB's port form and WebClient's. SMB is asked first, finds no
/// SMB server there ("not mine"), and WebDAV connects; a URL and the UNC name the same
/// connection; cancel by either; the listing names the provider.
#[test]
fn the_ambiguous_port_form_reaches_webdav_through_smb() {
    let apache = Apache::start(false, DavAuth::None);
    apache.seed("team/readme.txt", b"hello");
    let d = Daemon::start(false);
    let unc = format!(r"\\127.0.0.1@{}\team", apache.port());
    let c = d.add(None, &unc, None, None).unwrap();
    assert_eq!(c.provider, DAV);
    assert_eq!(c.remote.to_string(), unc, "the name as the user gave it");
    let dir = d
        .paths
        .drive_root
        .join(format!("UNC/127.0.0.1@{}/DavWWWRoot/team", apache.port()));
    assert_eq!(c.path.as_deref(), Some(dir.to_str().unwrap()), "{c:?}");
    assert_eq!(
        std::fs::read(dir.join("readme.txt")).unwrap(),
        b"hello",
        "the deviceless drive serves the folder"
    );

    let rows = d.listing();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].provider, DAV);
    let url = format!("http://127.0.0.1:{}/team/", apache.port());
    assert_eq!(
        d.code(&url, None, None).0,
        85,
        "the URL names the same connection"
    );
    assert_eq!(d.cancel(&url), 0);
    assert_eq!(d.cancel(&unc), 2250);
    assert!(d.listing().is_empty());
}

/// The URL and `DavWWWRoot` forms against the second server, rclone, with Basic over plain
/// http allowed by the profile switch; the status lists both providers in order.
#[test]
fn urls_and_davwwwroot_against_rclone_with_basic_allowed() {
    let rclone = RcloneDav::start(true);
    std::fs::create_dir(rclone.root().join("alice")).unwrap();
    let d = Daemon::start(true);
    let url = format!("{}alice", rclone.url());
    let c = d
        .add(None, &url, Some(DAV_USER), Some(DAV_PASSWORD))
        .unwrap();
    assert_eq!((c.provider.as_str(), c.user.as_str()), (DAV, DAV_USER));
    let (code, why) = d.code(&url, Some(DAV_USER), Some("wrong"));
    assert_eq!(code, 85, "already connected is answered first: {why}");
    assert_eq!(d.cancel(&url), 0);
    let (code, why) = d.code(&url, Some(DAV_USER), Some("wrong"));
    assert_eq!(code, 86, "a refused password: {why}");
    let (code, why) = d.code(&url, None, None);
    assert_eq!(
        code, 1326,
        "no credentials where the server wants some: {why}"
    );

    let root = format!(r"{}\alice", rclone.unc());
    let c = d
        .add(None, &root, Some(DAV_USER), Some(DAV_PASSWORD))
        .unwrap();
    assert_eq!(c.provider, DAV);
    match d.client().call(&Request::Status).unwrap() {
        Reply::Status(s) => {
            assert_eq!(s.providers, ["Microsoft Windows Network", DAV]);
            assert_eq!(s.provider_status[1].connections, 1, "{s:?}");
        }
        other => panic!("{other:?}"),
    }
}

/// Basic over plain http is refused by default (WebClient's `BasicAuthLevel` 1), with the
/// switch named; Digest over http works.
#[test]
fn basic_over_http_is_refused_by_default_and_digest_is_not() {
    let basic = Apache::start(false, DavAuth::Basic);
    basic.seed("x/f", b"");
    let d = Daemon::start(false);
    let (code, why) = d.code(
        &format!("{}x", basic.url()),
        Some(DAV_USER),
        Some(DAV_PASSWORD),
    );
    assert_eq!(code, 5, "{why}");
    assert!(why.contains("dav_basic_over_http"), "{why}");

    let digest = Apache::start(false, DavAuth::Digest);
    digest.seed("x/f", b"");
    let c = d
        .add(
            None,
            &format!("{}x", digest.url()),
            Some(DAV_USER),
            Some(DAV_PASSWORD),
        )
        .unwrap();
    assert_eq!(c.provider, DAV);
}

/// What a user meets: a missing folder (67), a file (67), nobody listening (53), a printer
/// port (66: a WebDAV folder is a disk), a plain `\\server\share` is not WebDAV's.
#[test]
fn errors_are_clear_and_bounded() {
    let apache = Apache::start(false, DavAuth::None);
    apache.seed("team/readme.txt", b"hello");
    let d = Daemon::start(false);
    let base = apache.url();
    let (code, why) = d.code(&format!("{base}nowhere"), None, None);
    assert_eq!(code, 67, "{why}");
    // Every provider answers 67 here (SMB: not an SMB name; WebDAV: a file, not a folder); the
    // router returns the first of equal "not mine" answers.
    let (code, why) = d.code(&format!("{base}team/readme.txt"), None, None);
    assert_eq!(code, 67, "{why}");
    // Nobody listening: both providers answer 53 for the UNC form; for a URL, SMB's "not an
    // SMB name" (67) and WebDAV's 53 differ, and MPR's rule gives 1203 (ADR 0018); asked by
    // name, WebDAV's own 53.
    let nobody = wnet_testkit::free_port();
    let (code, why) = d.code(&format!(r"\\127.0.0.1@{nobody}\x"), None, None);
    assert_eq!(code, 53, "{why}");
    let url = format!("http://127.0.0.1:{nobody}/x");
    let (code, why) = d.code(&url, None, None);
    assert_eq!(code, 1203, "{why}");
    let named = d.add_through(Some(DAV), None, &url, None, None);
    assert_eq!(named.unwrap_err().win_error().0, 53);
    let (code, why) = match d.add(Some("LPT1:"), &format!("{base}team"), None, None) {
        Ok(c) => panic!("{c:?}"),
        Err(e) => (e.win_error().0, e.to_string()),
    };
    assert_eq!(code, 66, "{why}");
    assert!(d.listing().is_empty());
}

/// A server that misbehaves (the hostile HTTP kit): a redirect loop, a redirect to another
/// server, a 503, an oversized multistatus, silence. Each is a clear error within the client's
/// deadlines (15 s per request at connect time), never a hang.
#[test]
fn faulty_servers_give_clear_errors_never_a_hang() {
    use wnet_testkit::hostile::http::{HostileHttp, HttpAnswer};
    let raw = |s: &str| HttpAnswer::Raw(s.as_bytes().to_vec());
    let d = Daemon::start(false);
    let cases: Vec<(HostileHttp, u32, &str)> = vec![
        (
            HostileHttp::start(move |_| {
                raw("HTTP/1.1 302 Found\r\nLocation: /again\r\nContent-Length: 0\r\n\r\n")
            }),
            59,
            "redirect",
        ),
        (
            HostileHttp::start(move |_| {
                raw(
                    "HTTP/1.1 301 Moved\r\nLocation: http://elsewhere.invalid/x\r\nContent-Length: 0\r\n\r\n",
                )
            }),
            59,
            "another server",
        ),
        (
            HostileHttp::start(move |_| {
                raw("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n")
            }),
            59,
            "503",
        ),
        (
            HostileHttp::start(move |head| {
                if head.starts_with("OPTIONS") {
                    raw("HTTP/1.1 200 OK\r\nDAV: 1, 2\r\nContent-Length: 0\r\n\r\n")
                } else {
                    // A multistatus far beyond any listing bound, announced up front.
                    raw("HTTP/1.1 207 Multi-Status\r\nContent-Length: 99999999999\r\n\r\n")
                }
            }),
            58,
            "exceeds the limit",
        ),
    ];
    for (server, want, says) in &cases {
        let url = format!("{}x", server.url());
        let (code, why) = d.code(&url, None, None);
        assert_eq!(code, *want, "{url}: {why}");
        assert!(why.contains(says), "{url}: {why}");
    }
    let silent = HostileHttp::start(|_| HttpAnswer::Silence);
    let started = std::time::Instant::now();
    let named = d.add_through(Some(DAV), None, &format!("{}x", silent.url()), None, None);
    let e = named.unwrap_err();
    assert_eq!(e.win_error().0, 53, "{e}");
    assert!(e.to_string().contains("in time"), "{e}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(40),
        "bounded by the request deadline: {:?}",
        started.elapsed()
    );
    assert!(d.listing().is_empty());
}

/// `provider_order` in the profile puts WebDAV first: the status lists it first and the
/// ambiguous `\\host@port\x` goes to WebDAV first.
#[test]
fn the_provider_order_comes_from_the_profile() {
    let apache = Apache::start(false, DavAuth::None);
    apache.seed("team/readme.txt", b"hello");
    let d = Daemon::start_with(false, &["web client network"]);
    match d.client().call(&Request::Status).unwrap() {
        Reply::Status(s) => assert_eq!(s.providers, [DAV, "Microsoft Windows Network"]),
        other => panic!("{other:?}"),
    }
    let unc = format!(r"\\127.0.0.1@{}\team", apache.port());
    assert_eq!(d.add(None, &unc, None, None).unwrap().provider, DAV);
}

/// A drive letter for a WebDAV folder (issue 16): files read and written through `Z:` (a
/// closed file is on the server's disk), the listing's row, a cancel refused with 2401 while
/// a file is open, and a forced cancel that sends what was written first.
#[test]
fn a_webdav_drive_letter_serves_files_and_refuses_a_cancel_while_one_is_open() {
    use std::io::Write;
    let apache = Apache::start(false, DavAuth::None);
    apache.seed("team/readme.txt", b"hello");
    let d = Daemon::start(false);
    let url = format!("{}team", apache.url());
    let c = d.add(Some("Z:"), &url, None, None).unwrap();
    assert_eq!(c.provider, DAV);
    let z = d.paths.drive_root.join("Z");
    assert_eq!(c.path.as_deref(), Some(z.to_str().unwrap()));
    assert_eq!(std::fs::read(z.join("readme.txt")).unwrap(), b"hello");
    std::fs::write(z.join("new.txt"), b"written through Z:").unwrap();
    assert_eq!(
        std::fs::read(apache.root().join("team/new.txt")).unwrap(),
        b"written through Z:",
        "close() returned: the server has the bytes"
    );
    let rows = d.listing();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].local.map(|l| l.to_string()).as_deref(), Some("Z:"));
    assert_eq!(rows[0].provider, DAV);
    assert_eq!(rows[0].status, wnet_core::ConnectionStatus::Ok);

    let reader = std::fs::File::open(z.join("readme.txt")).unwrap();
    let mut writer = std::fs::File::create(z.join("late.txt")).unwrap();
    writer.write_all(b"written, not closed").unwrap();
    assert_eq!(d.cancel("Z:"), 2401, "open files refuse a cancel");
    assert_eq!(d.listing().len(), 1, "the drive stays");
    assert_eq!(std::fs::read(z.join("readme.txt")).unwrap(), b"hello");
    assert_eq!(d.cancel_with("Z:", true), 0, "forced");
    assert_eq!(
        std::fs::read(apache.root().join("team/late.txt")).unwrap(),
        b"written, not closed",
        "a forced cancel sends what programs wrote"
    );
    drop((reader, writer));
    assert!(d.listing().is_empty());
    assert!(!z.exists(), "the mount point is removed");
}

/// An SMB drive and WebDAV drives side by side, in both provider orders: each name reaches
/// its provider (a URL is "not mine" to SMB; `\\host@port\x` of an HTTP server is not mine
/// to SMB when it is asked first, and an SMB name is not mine to WebDAV when it is), files go
/// through each drive to its own server, the status counts each provider's drives, and
/// cancelling one leaves the others.
#[test]
fn smb_and_webdav_drives_side_by_side_in_either_order() {
    use wnet_testkit::{DEFAULT_PASSWORD, DEFAULT_USER, Samba};
    const SMB: &str = "Microsoft Windows Network";
    let samba = Samba::start_default();
    let apache = Apache::start(false, DavAuth::None);
    apache.seed("team/readme.txt", b"hello");
    for order in [&[][..], &[DAV][..]] {
        let d = Daemon::start_with(false, order);
        let s = d
            .add(
                Some("S:"),
                &samba.unc("rw"),
                Some(DEFAULT_USER),
                Some(DEFAULT_PASSWORD),
            )
            .unwrap();
        assert_eq!(s.provider, SMB, "{order:?}");
        let w = d
            .add(Some("W:"), &format!("{}team", apache.url()), None, None)
            .unwrap();
        assert_eq!(w.provider, DAV, "{order:?}");
        let unc = format!(r"\\127.0.0.1@{}\team", apache.port());
        assert_eq!(d.add(Some("X:"), &unc, None, None).unwrap().provider, DAV);

        let root = &d.paths.drive_root;
        let name = format!("from-{}.txt", order.len());
        std::fs::write(root.join("S").join(&name), b"smb").unwrap();
        std::fs::write(root.join("W").join(&name), b"dav").unwrap();
        assert_eq!(
            std::fs::read(samba.share_dir("rw").join(&name)).unwrap(),
            b"smb"
        );
        assert_eq!(
            std::fs::read(apache.root().join("team").join(&name)).unwrap(),
            b"dav"
        );
        assert_eq!(
            std::fs::read(root.join("X").join(&name)).unwrap(),
            b"dav",
            "X: shows the same folder"
        );
        let mut by_device: Vec<(String, String)> = d
            .listing()
            .into_iter()
            .map(|r| (r.local.unwrap().to_string(), r.provider))
            .collect();
        by_device.sort();
        assert_eq!(
            by_device,
            [
                ("S:".to_string(), SMB.to_string()),
                ("W:".into(), DAV.into()),
                ("X:".into(), DAV.into())
            ]
        );
        match d.client().call(&Request::Status).unwrap() {
            Reply::Status(st) => {
                let count = |p: &str| {
                    st.provider_status
                        .iter()
                        .find(|s| s.name == p)
                        .map(|s| s.connections)
                };
                assert_eq!((count(SMB), count(DAV)), (Some(1), Some(2)), "{st:?}");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(d.cancel("W:"), 0);
        assert_eq!(std::fs::read(root.join("S").join(&name)).unwrap(), b"smb");
        assert_eq!(d.cancel("S:"), 0);
        assert_eq!(d.cancel("X:"), 0);
        assert!(d.listing().is_empty());
    }
}

/// Whether a client of its own can take an exclusive `LOCK` on `url` now.
fn other_can_lock(url: &str) -> Result<(), wnet_dav::Error> {
    let at = wnet_dav::DavLocation::parse(url).unwrap();
    let client = wnet_dav::DavClient::new(at.clone(), None, wnet_dav::Options::default())?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let token = client
            .lock(&at, "other", std::time::Duration::from_secs(30))
            .await?;
        client.unlock(&at, &token).await
    })
}

/// A daemon that stops (logout, `systemctl --user stop wnetd`) with a file `flock`ed on a
/// WebDAV drive `UNLOCK`s it on the server as it unmounts: another client locks the file
/// at once, not after the server's 10-minute lock timeout.
#[test]
fn a_daemon_that_stops_releases_its_webdav_drives_flock_locks() {
    use std::os::fd::AsRawFd;
    let apache = Apache::start(false, DavAuth::None);
    apache.seed("team/locked.txt", b"x");
    let d = Daemon::start(false);
    let team = format!("{}team", apache.url());
    d.add(Some("Z:"), &team, None, None).unwrap();
    let z = d.paths.drive_root.join("Z");
    let f = std::fs::File::open(z.join("locked.txt")).unwrap();
    // SAFETY: flock on a valid descriptor.
    assert_eq!(unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) }, 0);
    let url = format!("{team}/locked.txt");
    assert!(other_can_lock(&url).is_err(), "the drive holds the lock");
    drop(d);
    other_can_lock(&url).expect("released when the daemon stopped");
    drop(f);
}
