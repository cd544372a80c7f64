//! The default server serves its shares to its users, and refuses what it should.

use std::fs;

use wnet_testkit::{DEFAULT_USER, Samba, SambaBuilder, Share, TEST_PASSWORD2, TEST_USER2};

use crate::show;

#[test]
fn read_only_share_lists_hello_txt() {
    let samba = Samba::start_default();
    let out = samba.smbclient("ro", "ls");
    assert!(out.status.success(), "{}", show(&out));
    let listing = String::from_utf8_lossy(&out.stdout);
    assert!(listing.contains("hello.txt"), "{}", show(&out));
    assert_eq!(
        fs::read(samba.share_dir("ro").join("hello.txt")).unwrap(),
        b"hello from samba\n"
    );
}

#[test]
fn put_lands_byte_for_byte_in_the_share_dir() {
    let samba = Samba::start_default();
    let local = tempfile::NamedTempFile::new().unwrap();
    // Every byte value, twice, and a tail that is not a multiple of anything.
    let data: Vec<u8> = (0..=255u8).cycle().take(512 + 77).collect();
    fs::write(local.path(), &data).unwrap();
    let cmd = format!("put {} sub.bin", local.path().display());
    let out = samba.smbclient("rw", &cmd);
    assert!(out.status.success(), "{}", show(&out));
    assert_eq!(
        fs::read(samba.share_dir("rw").join("sub.bin")).unwrap(),
        data
    );

    // And back: get returns the same bytes.
    let back = tempfile::NamedTempFile::new().unwrap();
    let cmd = format!("get sub.bin {}", back.path().display());
    let out = samba.smbclient("rw", &cmd);
    assert!(out.status.success(), "{}", show(&out));
    assert_eq!(fs::read(back.path()).unwrap(), data);
}

#[test]
fn second_user_reads_and_writes_too() {
    let samba = Samba::start_default();
    let out = samba.smbclient_as("rw", TEST_USER2, TEST_PASSWORD2, "mkdir from2");
    assert!(out.status.success(), "{}", show(&out));
    assert!(samba.share_dir("rw").join("from2").is_dir());
    let out = samba.smbclient_as("ro", TEST_USER2, TEST_PASSWORD2, "ls hello.txt");
    assert!(out.status.success(), "{}", show(&out));
}

#[test]
fn wrong_password_is_logon_failure() {
    let samba = Samba::start_default();
    let out = samba.smbclient_as("rw", DEFAULT_USER, "not-the-password", "ls");
    assert!(!out.status.success(), "{}", show(&out));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("NT_STATUS_LOGON_FAILURE"), "{}", show(&out));
}

#[test]
fn read_only_share_refuses_put() {
    let samba = Samba::start_default();
    let local = tempfile::NamedTempFile::new().unwrap();
    fs::write(local.path(), "nope").unwrap();
    let out = samba.smbclient("ro", &format!("put {} nope.txt", local.path().display()));
    assert!(!out.status.success(), "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("NT_STATUS_ACCESS_DENIED"),
        "{}",
        show(&out)
    );
    assert!(!samba.share_dir("ro").join("nope.txt").exists());
}

#[test]
fn missing_share_is_bad_network_name() {
    let samba = Samba::start_default();
    let out = samba.smbclient("nosuchshare", "ls");
    assert!(!out.status.success(), "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("NT_STATUS_BAD_NETWORK_NAME"),
        "{}",
        show(&out)
    );
}

#[test]
fn builder_globals_and_share_options_reach_smbd() {
    let samba = SambaBuilder::new()
        .user(DEFAULT_USER, "only-Pa55")
        .global("server signing", "mandatory")
        .share(
            Share::new("owned")
                .option("force user", DEFAULT_USER)
                .file("dir/seed.txt", "seed"),
        )
        .start()
        .unwrap();
    assert_eq!(samba.user(), (DEFAULT_USER, "only-Pa55"));
    let conf = fs::read_to_string(samba.conf()).unwrap();
    assert!(conf.contains("\tserver signing = mandatory\n"), "{conf}");
    assert_eq!(conf.matches("force user").count(), 1, "{conf}");

    // Files land owned by the forced user, and the seeded tree was handed to it.
    let out = samba.smbclient("owned", "cd dir; mkdir made");
    assert!(out.status.success(), "{}", show(&out));
    let want = wnet_testkit::as_user(DEFAULT_USER, "id")
        .arg("-u")
        .output()
        .unwrap();
    let uid: u32 = String::from_utf8_lossy(&want.stdout)
        .trim()
        .parse()
        .unwrap();
    use std::os::unix::fs::MetadataExt;
    let dir = samba.share_dir("owned");
    assert_eq!(fs::metadata(dir.join("dir/made")).unwrap().uid(), uid);
    assert_eq!(fs::metadata(dir.join("dir/seed.txt")).unwrap().uid(), uid);
}

#[test]
fn bad_descriptions_are_refused_before_anything_starts() {
    let no_user = SambaBuilder::new().share(Share::new("x")).start();
    assert_eq!(
        no_user.unwrap_err().kind(),
        std::io::ErrorKind::InvalidInput
    );
    let twice = SambaBuilder::new()
        .user(DEFAULT_USER, "p")
        .share(Share::new("x"))
        .share(Share::new("X"))
        .start();
    assert_eq!(twice.unwrap_err().kind(), std::io::ErrorKind::InvalidInput);
    let newline = SambaBuilder::new()
        .user(DEFAULT_USER, "p")
        .global("comment", "a\n[evil]")
        .start();
    assert_eq!(
        newline.unwrap_err().kind(),
        std::io::ErrorKind::InvalidInput
    );
}
