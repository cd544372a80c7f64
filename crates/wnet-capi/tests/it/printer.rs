//! Printers through the C API against a real Samba print share and the real daemon:
//! `RESOURCETYPE_PRINT` connects `LPT1:`, every query and enumeration knows it as a printer,
//! and the seed built with `"LPT1:"` fails while a print job is held open.

use std::io::Write;
use std::time::Duration;

use wnet_proto::{AddConnectionArgs, Client, Request};
use wnet_testkit::{DEFAULT_PASSWORD, DEFAULT_USER, PRINTER, Samba};

use crate::support::{Env, Lang, compile, wnetd_binary};

/// How long a submitted job may take to reach the printed directory on a loaded machine.
const PRINTED: Duration = Duration::from_secs(20);

#[test]
fn lpt1_through_the_c_api_is_a_printer_everywhere() {
    let samba = Samba::start_with_printer();
    let exe = compile("printer.c", Lang::C, &[]);
    let env = Env::new();
    let printer = samba.unc(PRINTER);
    let run = env.run(
        &exe,
        &[&printer, &samba.unc("rw"), DEFAULT_USER, DEFAULT_PASSWORD],
    );
    assert!(run.stdout.ends_with("done\n"), "{run:#?}");
    let v = run.values();
    let get = |k: &str| v.get(k).map(String::as_str).unwrap_or("(missing)");
    let expect = |k: &str, want: &str| assert_eq!(get(k), want, "{k} in {run:#?}");
    expect("add.disk_on_lpt2", "67");
    expect("add.printer_on_z", "66");
    expect("add", "0");
    expect("getconnection", "0");
    expect("getconnection.remote", &printer);
    expect("universal", "1200");
    expect("networkinformation", "0");
    expect("networkinformation.printers", "1");
    expect("networkinformation.printerred", "1");
    expect("connected.enum", "0");
    expect("connected.local", "LPT1:");
    expect("connected.type", "2");
    expect("connected.disk.enum", "259");
    expect("remembered.enum", "0");
    expect("remembered.local", "LPT1:");
    expect("remembered.type", "2");
    expect("globalnet.enum", "0");
    expect("globalnet.type", "2");
    assert!(
        !v.contains_key("globalnet.disk.type"),
        "a disk enumeration lists no printer: {run:#?}"
    );
    expect("fopen", "1");
    expect("cancel.open", "2401");
    expect("cancel.open.lasterror", "2401");
    assert!(
        get("cancel.open.lasterror.text").contains("LPT1"),
        "the holder is named: {run:#?}"
    );
    expect("cancel.open.still_connected", "0");
    expect("cancel.closed", "0");
    expect("after.getconnection", "2250");
    assert!(!env.remembered("LPT1:"));
    assert_eq!(
        samba.wait_printed(PRINTER, 1, PRINTED),
        vec![b"printed through the C API\n".to_vec()]
    );
}

#[test]
fn the_seed_built_for_lpt1_fails_while_a_job_is_held_open() {
    let samba = Samba::start_with_printer();
    let exe = compile("seed.c", Lang::C, &["-DSEED_LPT1"]);
    let env = Env::new();
    let mut client = Client::connect_with(&env.paths, &wnetd_binary(), "seed-lpt1-test").unwrap();
    client
        .call(&Request::AddConnection(AddConnectionArgs {
            resource_type: 2, // RESOURCETYPE_PRINT
            local: Some("LPT1:".into()),
            remote: samba.unc(PRINTER),
            provider: None,
            user: Some(DEFAULT_USER.into()),
            password: Some(wnet_core::Secret::new(DEFAULT_PASSWORD)),
            flags: 1, // CONNECT_UPDATE_PROFILE
            save_credentials: false,
            ccache: None,
        }))
        .unwrap();
    let port = env.paths.drive_root.join("LPT1");
    let mut job = std::fs::OpenOptions::new().write(true).open(&port).unwrap();
    job.write_all(b"held open\n").unwrap();

    let run = env.run(&exe, &[]);
    assert_eq!(
        run.stdout, "WNetCancelConnection2 failed.\nresult=2401\n",
        "{run:?}"
    );
    assert!(env.remembered("LPT1:"), "a refused cancel changes nothing");
    job.write_all(b"still printing\n").unwrap();

    drop(job);
    let run = env.run(&exe, &[]);
    assert_eq!(
        run.stdout, "Connection closed for z: drive.\nresult=0\n",
        "{run:?}"
    );
    assert!(!env.remembered("LPT1:"));
    assert!(!port.exists(), "the port file is gone");
    assert_eq!(
        samba.wait_printed(PRINTER, 1, PRINTED),
        vec![b"held open\nstill printing\n".to_vec()]
    );
}
