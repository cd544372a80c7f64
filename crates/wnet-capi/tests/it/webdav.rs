//! A WebDAV folder through the C API: a real C program, the real `wnetd` (SMB, then WebDAV)
//! and Apache httpd with mod_dav_fs; deviceless and as drive `Z:` (files through the drive,
//! 2401 with a file open, forced cancel).

use wnet_testkit::{Apache, DavAuth};

use crate::support::{Env, Lang, compile};

#[test]
fn a_webdav_folder_through_the_c_api() {
    let apache = Apache::start(false, DavAuth::None);
    apache.seed("team/readme.txt", b"hello");
    let exe = compile("webdav.c", Lang::C, &[]);
    let env = Env::new();
    let url = format!("{}team", apache.url());
    let unc = format!(r"\\127.0.0.1@{}\team", apache.port());
    let z = env.paths.drive_root.join("Z");
    let run = env.run(&exe, &[&url, &unc, z.to_str().unwrap()]);
    env.stop_started_daemon();
    assert!(run.stdout.ends_with("done\n"), "{run:#?}");
    let v = run.values();
    let get = |k: &str| v.get(k).map(String::as_str).unwrap_or("(missing)");
    let expect = |k: &str, want: &str| assert_eq!(get(k), want, "{k} in {run:#?}");
    expect("add", "0");
    expect("add.again", "85");
    expect("enum.connected", "0");
    expect("enum.connected.count", "1");
    expect("enum.connected.local", "(null)");
    expect("enum.connected.remote", &url);
    expect("enum.connected.provider", "Web Client Network");
    expect("getuser", "0");
    expect("providername", "0");
    expect("providername.name", "Web Client Network");
    expect("networkinformation", "0");
    expect("networkinformation.nettype", "46");
    expect("add.drive", "0");
    expect("getconnection.z", "0");
    expect("getconnection.z.remote", &url);
    expect("drive.read", "hello");
    expect("drive.write", "0");
    expect("drive.write.close", "0");
    assert_eq!(
        std::fs::read(apache.root().join("team/fromc.txt")).unwrap(),
        b"written by C",
        "fclose returned: the server has the bytes"
    );
    expect("drive.held", "0");
    expect("cancel.z.open", "2401");
    expect("getconnection.z.still", "0");
    expect("cancel.z.force", "0");
    expect("getconnection.z.after", "2250");
    expect("cancel.unc", "0");
    expect("cancel.again", "2250");
}
