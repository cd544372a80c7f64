//! A Linux shell in front of net.exe's syntax: `smb://` URLs against a real Samba, and the
//! hints when bash mangled a UNC or a `*` (typed through a real bash).

use wnet_cli::args::Topic;
use wnet_cli::output::shell_hints::{QUOTE_THE_PATH, QUOTE_THE_STAR};
use wnet_cli::output::usage;
use wnet_testkit::{DEFAULT_PASSWORD, DEFAULT_USER, TEST_USER2};

use crate::{World, expect};

const E67: &str = "System error 67 has occurred.\n\nThe network name cannot be found.\n";
const OK: &str = "The command completed successfully.\n\n";

/// `wnet use Z: --json`'s remote and user.
fn remote_and_user(w: &World, device: &str) -> (String, String) {
    let out = w.wnet(&["use", device, "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    (
        v["remote"].as_str().unwrap_or("(none)").to_owned(),
        v["user"].as_str().unwrap_or("(none)").to_owned(),
    )
}

#[test]
fn smb_urls_connect_with_their_user_domain_port_and_path_and_list_as_uncs() {
    let w = World::new();
    let user = format!("/USER:{DEFAULT_USER}");
    let hostport = format!("{}:{}", w.samba.host(), w.samba.port());
    let unc = w.unc("rw");

    // User and port; no /USER:. A trailing slash is dropped, as in a UNC.
    let url = format!("smb://{DEFAULT_USER}@{hostport}/rw/");
    expect(&w.wnet(&["use", "Z:", &url, DEFAULT_PASSWORD]), OK, "", 0);
    assert_eq!(
        remote_and_user(&w, "Z:"),
        (unc.clone(), DEFAULT_USER.to_owned())
    );
    let listing = String::from_utf8(w.wnet(&["use"]).stdout).unwrap();
    assert!(listing.contains(&unc), "{listing}");
    assert!(!listing.contains("smb://"), "{listing}");
    std::fs::write(w.drive("Z").join("via-url.txt"), b"url").unwrap();
    assert_eq!(
        std::fs::read(w.samba.share_dir("rw").join("via-url.txt")).unwrap(),
        b"url"
    );
    expect(
        &w.wnet(&["use", "Z:", "/delete"]),
        "Z: was deleted successfully.\n\n",
        "",
        0,
    );

    // A path is the \volume part: answered as the UNC with that path is (the provider connects
    // share roots only).
    std::fs::create_dir(w.samba.share_dir("rw").join("projects")).unwrap();
    let with_path = format!("smb://{DEFAULT_USER}@{hostport}/rw/projects");
    let as_unc = w.wnet(&[
        "use",
        "Z:",
        &format!(r"{unc}\projects"),
        DEFAULT_PASSWORD,
        &user,
    ]);
    let as_url = w.wnet(&["use", "Z:", &with_path, DEFAULT_PASSWORD]);
    assert_eq!(as_unc.status.code(), Some(2), "{as_unc:?}");
    assert_eq!(
        (as_url.stdout, as_url.stderr, as_url.status.code()),
        (as_unc.stdout, as_unc.stderr, as_unc.status.code())
    );

    // The URL's user is the one that logs on: another user's name with this password fails.
    let other = format!("smb://{TEST_USER2}@{hostport}/rw");
    expect(
        &w.wnet(&["use", "Z:", &other, DEFAULT_PASSWORD]),
        "",
        "System error 1326 has occurred.\n\nThe user name or password is incorrect.\n",
        2,
    );
    // /USER: wins over the URL's user.
    expect(
        &w.wnet(&["use", "Z:", &other, DEFAULT_PASSWORD, &user]),
        OK,
        "",
        0,
    );
    assert_eq!(remote_and_user(&w, "Z:").1, DEFAULT_USER);
    w.wnet(&["use", "Z:", "/delete"]);

    // A domain (the server's workgroup), deviceless, deleted by its URL.
    let url = format!("smb://WORKGROUP;{DEFAULT_USER}@{hostport}/rw");
    expect(&w.wnet(&["use", &url, DEFAULT_PASSWORD]), OK, "", 0);
    let json: serde_json::Value =
        serde_json::from_slice(&w.wnet(&["use", "--json"]).stdout).unwrap();
    let row = &json["connections"][0];
    assert_eq!(row["remote"], unc.as_str());
    assert_eq!(row["user"], format!(r"WORKGROUP\{DEFAULT_USER}"));
    expect(
        &w.wnet(&["use", &format!("smb://{hostport}/rw"), "/delete"]),
        &format!("{unc} was deleted successfully.\n\n"),
        "",
        0,
    );

    // wnet view takes the server as a URL too.
    let by_unc = w.wnet(&["view", &format!(r"\\{}@{}", w.samba.host(), w.samba.port())]);
    let by_url = w.wnet(&["view", &format!("smb://{hostport}/")]);
    assert_eq!(by_unc.status.code(), Some(0), "{by_unc:?}");
    assert_eq!(
        (by_url.stdout, by_url.stderr, by_url.status.code()),
        (by_unc.stdout, by_unc.stderr, by_unc.status.code())
    );

    // A URL that names no share is a bad name, as a UNC without one is.
    expect(
        &w.wnet(&["use", "Z:", &format!("smb://{hostport}"), DEFAULT_PASSWORD]),
        "",
        E67,
        2,
    );
}

#[test]
fn bash_mangled_lines_get_a_hint_after_net_exe_text_and_correct_lines_none() {
    let w = World::new();
    let cwd = tempfile::tempdir().unwrap();
    for f in ["notes.txt", "photo.jpg"] {
        std::fs::write(cwd.path().join(f), b"").unwrap();
    }
    let host = format!("{}@{}", w.samba.host(), w.samba.port());
    let user = format!("/USER:{DEFAULT_USER}");
    let run = |line: &str| w.bash(line, cwd.path(), &format!("{DEFAULT_PASSWORD}\n"));

    // The README's example typed without quotes: bash leaves \127.0.0.1@PORTrw.
    expect(
        &run(&format!(
            r"wnet use Z: \\{host}\rw {DEFAULT_PASSWORD} {user}"
        )),
        "",
        &format!("{E67}{QUOTE_THE_PATH}"),
        2,
    );
    expect(
        &run(&format!(r"wnet use \\{host}\rw /delete")),
        "",
        &format!("{E67}{QUOTE_THE_PATH}"),
        2,
    );
    expect(
        &run(&format!(r"wnet view \\{host}")),
        "",
        &format!("{}{QUOTE_THE_PATH}", usage::usage(Topic::View)),
        2,
    );
    // The README's first example pasted as is: both.
    expect(
        &run(&format!(r"wnet use Z: \\{host}\rw * {user}")),
        "",
        &format!(
            "{}{QUOTE_THE_PATH}{QUOTE_THE_STAR}",
            usage::usage(Topic::Use)
        ),
        2,
    );
    // An unquoted * became notes.txt photo.jpg.
    expect(
        &run(&format!(r"wnet use Z: '\\{host}\rw' * {user}")),
        "",
        &format!("{}{QUOTE_THE_STAR}", usage::usage(Topic::Use)),
        2,
    );

    // Correct lines: no hint, whether they succeed or fail.
    expect(
        &run(&format!(
            r"wnet use Q: '\\{host}\nosuch' {DEFAULT_PASSWORD} {user}"
        )),
        "",
        E67,
        2,
    );
    expect(
        &run(&format!(
            "wnet use Q: //{host}/nosuch {DEFAULT_PASSWORD} {user}"
        )),
        "",
        E67,
        2,
    );
    expect(
        &run(&format!(r"wnet use Z: '\\{host}\rw' '*' {user}")),
        &format!("Type the password for \\\\{host}\\rw:\n{OK}"),
        "",
        0,
    );
    expect(
        &run(&format!(
            "wnet use Y: //{host}/rw {DEFAULT_PASSWORD} {user}"
        )),
        OK,
        "",
        0,
    );
    expect(
        &run(&format!("wnet use Y: //{host}/rw a b c")),
        "",
        &usage::usage(Topic::Use),
        2,
    );
    for d in ["Y:", "Z:"] {
        expect(
            &run(&format!("wnet use {d} /delete")),
            &format!("{d} was deleted successfully.\n\n"),
            "",
            0,
        );
    }
}
