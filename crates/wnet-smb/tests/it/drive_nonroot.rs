//! An ordinary user mounts through `fusermount3`: mount, busy unmount, polite and forced
//! unmount all work without root. The test re-runs itself as the kit's user.

use crate::drive::{pattern, samba, unique};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use wnet_smb::drive::{Drive, DriveConfig, DriveError, DriveTimeouts};
use wnet_smb::smb_fs::SmbFs;
use wnet_smb2::{ClientConfig, Session};
use wnet_testkit::{DEFAULT_PASSWORD, DEFAULT_USER, StagedPrograms};

const CHILD: &str = "WNET_DRIVE_NONROOT_CHILD";
const TEST: &str = "drive_nonroot::an_ordinary_user_mounts_unmounts_and_forces_through_fusermount3";

#[test]
fn an_ordinary_user_mounts_unmounts_and_forces_through_fusermount3() {
    if let Some(dir) = std::env::var_os(CHILD) {
        return as_the_user(Path::new(&dir));
    }
    let s = samba();
    let dir = tempfile::tempdir().unwrap();
    let st = Command::new("chown")
        .arg(DEFAULT_USER)
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(st.success());
    // The checkout may sit in a 0700 home: the user runs a copy of this binary.
    let exe = std::env::current_exe().unwrap();
    let staged = StagedPrograms::copy(&[&exe]);
    let out = staged
        .as_user(DEFAULT_USER, &exe)
        .args(["--exact", TEST, "--nocapture", "--test-threads=1"])
        .env(CHILD, dir.path())
        .env("WNET_DRIVE_NONROOT_PORT", s.port().to_string())
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert!(text.contains("nonroot child ok"), "{text}");
    // The forced unmount's data reached the server.
    let name = std::fs::read_to_string(dir.path().join("name")).unwrap();
    assert!(std::fs::read(s.share_dir("rw").join(name.trim())).unwrap() == pattern(3 << 20, 33));
}

fn is_mounted(p: &Path) -> bool {
    Command::new("findmnt")
        .arg(p)
        .stdout(Stdio::null())
        .status()
        .unwrap()
        .success()
}

fn as_the_user(dir: &Path) {
    // SAFETY: geteuid has no preconditions.
    assert_ne!(unsafe { libc::geteuid() }, 0, "child must not be root");
    let port: u16 = std::env::var("WNET_DRIVE_NONROOT_PORT")
        .unwrap()
        .parse()
        .unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let connect = || {
        let cfg = ClientConfig::new("127.0.0.1", DEFAULT_USER, DEFAULT_PASSWORD).port(port);
        rt.block_on(async {
            let s = Session::connect(cfg).await?;
            s.tree_connect("rw").await
        })
        .unwrap()
    };
    let mnt: PathBuf = dir.join("Z");
    let mount = || {
        Drive::mount(
            std::sync::Arc::new(SmbFs::new(connect(), None)),
            rt.handle().clone(),
            DriveConfig {
                mountpoint: mnt.clone(),
                fsname: "//127.0.0.1/rw".into(),
                timeouts: DriveTimeouts::default(),
                read_only: false,
                leases: false,
            },
        )
        .unwrap()
    };

    // Mount, use, refuse a busy unmount, unmount.
    let drive = mount();
    assert!(is_mounted(&mnt));
    // fusermount3 gives it the type fuse.wnet too.
    let fstype = Command::new("findmnt")
        .args(["-n", "-o", "FSTYPE"])
        .arg(&mnt)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&fstype.stdout).trim(), "fuse.wnet");
    let f = unique("user");
    std::fs::write(mnt.join(&f), b"as a user").unwrap();
    assert_eq!(std::fs::read(mnt.join(&f)).unwrap(), b"as a user");
    let mut cwd = Command::new("sh")
        .arg("-c")
        .arg("cd \"$1\" && exec sleep 30")
        .arg("sh")
        .arg(&mnt)
        .spawn()
        .unwrap();
    let link = format!("/proc/{}/cwd", cwd.id());
    let t = Instant::now();
    while std::fs::read_link(&link).ok().as_deref() != Some(mnt.as_path()) {
        assert!(t.elapsed() < Duration::from_secs(5));
        std::thread::sleep(Duration::from_millis(10));
    }
    let (drive, e) = drive.unmount().unwrap_err();
    assert!(matches!(e, DriveError::Busy), "{e:?}");
    assert_eq!(std::fs::read(mnt.join(&f)).unwrap(), b"as a user");
    cwd.kill().unwrap();
    cwd.wait().unwrap();
    drive.unmount().map_err(|(_, e)| e).unwrap();
    assert!(!is_mounted(&mnt));

    // Mount again; force it with a file open and written.
    let drive = mount();
    let name = unique("user-forced");
    let mut h = std::fs::File::create(mnt.join(&name)).unwrap();
    std::io::Write::write_all(&mut h, &pattern(3 << 20, 33)).unwrap();
    drive.force_unmount().unwrap();
    assert!(!is_mounted(&mnt));
    let e = std::io::Write::write_all(&mut h, b"more").unwrap_err();
    assert!([libc::EIO, libc::ENOTCONN].contains(&e.raw_os_error().unwrap_or(0)));
    drop(h);
    std::fs::write(dir.join("name"), &name).unwrap();
    println!("nonroot child ok");
}
