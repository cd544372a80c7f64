//! Against a real Samba and the real daemon (SMB provider, FUSE drives): connect, query,
//! enumerate, and the seed's rule: open files refuse the cancel (2401) until closed.

use wnet_testkit::{DEFAULT_PASSWORD, DEFAULT_USER, Samba};

use crate::support::{Env, Lang, compile};

#[test]
fn a_samba_share_as_z_through_the_c_api() {
    let samba = Samba::start_default();
    let exe = compile("samba.c", Lang::C, &[]);
    let env = Env::new();
    let unc = samba.unc("rw");
    let deviceless = env
        .paths
        .drive_root
        .join("UNC")
        .join(format!("{}@{}", samba.host(), samba.port()))
        .join("rw");
    let deviceless = deviceless.display().to_string();
    let run = env.run(&exe, &[&unc, DEFAULT_USER, DEFAULT_PASSWORD, &deviceless]);
    assert!(run.stdout.ends_with("done\n"), "{run:#?}");
    let v = run.values();
    let get = |k: &str| v.get(k).map(String::as_str).unwrap_or("(missing)");
    let expect = |k: &str, want: &str| assert_eq!(get(k), want, "{k} in {run:#?}");
    // A wrong password: the server refuses the logon.
    expect("add.badpassword", "1326");
    expect("add", "0");
    expect("add.again", "85");
    expect("getconnection", "0");
    expect("getconnection.remote", &unc);
    expect("getconnection.small", "234");
    expect("getconnection.small.len", &(unc.len() + 1).to_string());
    expect("getconnectionW", "0");
    expect("getconnectionW.same", "1");
    expect("universal1", "0");
    expect("universal1.name", &format!(r"{unc}\dir\file.txt"));
    expect("universal2", "0");
    expect("universal2.name", &format!(r"{unc}\dir\file.txt"));
    expect("universal2.connection", &unc);
    expect("universal2.remaining", r"\dir\file.txt");
    expect("universal2.small", "234");
    expect("universal2.small.len_ok", "1");
    expect("getuser", "0");
    expect("getuser.name", DEFAULT_USER);
    expect("performance", "0");
    expect("performance.speed_nonzero", "1");
    expect("providername", "0");
    expect("networkinformation", "0");
    expect("networkinformation.drives_has_z", "1");
    expect("networkinformation.nettype", "2");
    expect("openenum.connected", "0");
    expect("enum.connected", "0");
    expect("enum.connected.count", "1");
    expect("enum.connected.local", "Z:");
    expect("enum.connected.remote", &unc);
    expect("enum.connected.provider", get("providername.name"));
    expect("enum.connected.end", "259");
    expect("closeenum", "0");
    expect("openenum.remembered", "0");
    expect("enum.remembered", "0");
    expect("enum.remembered.local", "Z:");
    expect("chdir", "1");
    expect("cancel.cwd", "2404");
    expect("chdir.out", "1");
    expect("fopen", "1");
    expect("cancel.open", "2401");
    expect("cancel.open.lasterror", "2401");
    expect("cancel.open.lasterror.provider", get("providername.name"));
    let text = get("cancel.open.lasterror.text");
    assert!(
        text.contains("open.txt") || text.contains("pid") || text.contains("open"),
        "{text}"
    );
    expect("cancel.open.still_connected", "0");
    expect("cancel.closed", "0");
    expect("after.getconnection", "2250");
    expect("use.redirect", "0");
    // Z: is free again: the choice starts there.
    expect("use.redirect.access", "Z:");
    expect("use.redirect.result", "256");
    expect("use.cancel", "0");
    assert!(
        !env.remembered("Z:"),
        "cancelled with CONNECT_UPDATE_PROFILE"
    );
    assert_eq!(
        std::fs::read_to_string(samba.share_dir("rw").join("open.txt")).unwrap(),
        "written before the cancel\n",
        "nothing written is lost"
    );
}

/// `smb://user@host:port/share` where a UNC goes: the URL's user is the connection's user
/// when lpUserName is NULL, and the connection is known by its UNC name.
#[test]
fn an_smb_url_connects_as_its_user_and_reads_back_as_a_unc() {
    let samba = Samba::start_default();
    let exe = compile("smb_url.c", Lang::C, &[]);
    let env = Env::new();
    let url = format!("smb://{DEFAULT_USER}@{}:{}/rw", samba.host(), samba.port());
    let run = env.run(&exe, &[&url, DEFAULT_PASSWORD]);
    assert!(run.stdout.ends_with("done\n"), "{run:#?}");
    let v = run.values();
    let get = |k: &str| v.get(k).map(String::as_str).unwrap_or("(missing)");
    let expect = |k: &str, want: &str| assert_eq!(get(k), want, "{k} in {run:#?}");
    expect("add", "0");
    expect("getconnection", "0");
    expect("getconnection.remote", &samba.unc("rw"));
    expect("getuser", "0");
    expect("getuser.name", DEFAULT_USER);
    // The URL names the share, which has no deviceless connection: not connected.
    expect("cancel.by_url", "2250");
    expect("cancel", "0");
}
