//! `wnet use LPT1:` end to end: a print share as a printer port, listed, viewed, printed to
//! from the shell, and deleted with net.exe's open-jobs prompt.

use std::time::Duration;

use wnet_testkit::{PRINTER, Samba};

use crate::{World, expect, listing, listing_row, mounted};

/// How long a submitted job may take to reach the printed directory on a loaded machine.
const PRINTED: Duration = Duration::from_secs(20);

#[test]
fn lpt1_connects_lists_prints_and_deletes() {
    let w = World::with(Samba::start_with_printer());
    expect(
        &w.connect("lpt1:", PRINTER),
        "The command completed successfully.\n\n",
        "",
        0,
    );
    expect(
        &w.wnet(&["use"]),
        &listing(&[listing_row("OK", "LPT1:", &w.unc(PRINTER))]),
        "",
        0,
    );
    let port = w.drive("LPT1");
    let json: serde_json::Value =
        serde_json::from_slice(&w.wnet(&["use", "--json"]).stdout).unwrap();
    let row = &json["connections"][0];
    assert_eq!(row["local"], "LPT1:");
    assert_eq!(row["remote"], w.unc(PRINTER));
    assert_eq!(row["path"], port.display().to_string());
    let detail = String::from_utf8_lossy(&w.wnet(&["use", "LPT1:"]).stdout).into_owned();
    assert!(
        detail
            .lines()
            .any(|l| l.starts_with("Resource type") && l.ends_with("Print")),
        "{detail}"
    );

    // The shell prints through the port: one job per redirection.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("report.ps"), b"%!PS\nshowpage\n").unwrap();
    let out = w.bash(
        &format!("cat report.ps > '{}'", port.display()),
        dir.path(),
        "",
    );
    expect(&out, "", "", 0);
    assert_eq!(
        w.samba.wait_printed(PRINTER, 1, PRINTED),
        vec![b"%!PS\nshowpage\n".to_vec()]
    );

    // A job held open: /delete asks, N keeps the port, /Y submits the job and deletes.
    let mut job = std::fs::OpenOptions::new().write(true).open(&port).unwrap();
    std::io::Write::write_all(&mut job, b"held open\n").unwrap();
    let me = std::fs::read_to_string("/proc/self/comm").unwrap();
    let notice = format!(
        "There are open files and/or incomplete directory searches pending on the connection to LPT1:.\n  \
         {}  (pid {}, {})\n\nIs it OK to continue disconnecting and force them closed? (Y/N) [N]: ",
        port.display(),
        std::process::id(),
        me.trim_end()
    );
    let out = w.wnet_with_stdin(&["use", "LPT1:", "/delete"], Some("n\n"));
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with(&notice),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(mounted(&port), "N keeps the port");
    let out = w.wnet(&["use", "LPT1:", "/delete", "/y"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).ends_with("LPT1: was deleted successfully.\n\n"));
    assert!(!mounted(&port));
    let printed = w.samba.wait_printed(PRINTER, 2, PRINTED);
    assert!(
        printed.contains(&b"held open\n".to_vec()),
        "the forced delete submitted the job: {printed:?}"
    );
    drop(job);
}

#[test]
fn view_shows_print_shares_and_wrong_types_are_refused() {
    let w = World::with(Samba::start_with_printer());
    w.connect("LPT2:", PRINTER);
    let server = format!(r"\\127.0.0.1@{}", w.samba.port());
    let out = w.wnet(&["view", &server]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(0), "{text}");
    let row = text
        .lines()
        .find(|l| l.split_whitespace().next() == Some(PRINTER))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(row.contains("Print"), "{text}");
    assert!(row.contains("LPT2:"), "used as LPT2: {text}");
    expect(
        &w.connect("LPT1:", "rw"),
        "",
        "System error 67 has occurred.\n\nThe network name cannot be found.\n",
        2,
    );
    expect(
        &w.connect("Z:", PRINTER),
        "",
        "System error 66 has occurred.\n\nThe network resource type is not correct.\n",
        2,
    );
    // `*` picks a drive, never a port: a print share cannot be one.
    let out = w.wnet(&[
        "use",
        "*",
        &w.unc(PRINTER),
        wnet_testkit::DEFAULT_PASSWORD,
        &format!("/USER:{}", wnet_testkit::DEFAULT_USER),
    ]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(!w.drive("LPT1").exists());
}
