//! A WebDAV folder through the C API: a real C program, the real `wnetd` (SMB, then WebDAV)
//! and Apache httpd with mod_dav_fs.

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
    let run = env.run(&exe, &[&url, &unc]);
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
    expect("add.drive", "50");
    expect("getconnection.z", "2250");
    expect("cancel.unc", "0");
    expect("cancel.again", "2250");
}
