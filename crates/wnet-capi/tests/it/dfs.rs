//! A DFS name through the C API and the real daemon: a path below a link of a real namespace
//! (`wnet_testkit::DfsLab`, three smbd on port 445) is mapped and named as the user wrote it.

use wnet_testkit::{DEFAULT_PASSWORD, DEFAULT_USER, DfsLab};

use crate::support::{Env, Lang, compile};

#[test]
fn a_dfs_path_is_mapped_and_named_as_written_through_the_c_api() {
    let lab = DfsLab::start().unwrap_or_else(|e| panic!("cannot start the DFS lab: {e}"));
    let exe = compile("dfs.c", Lang::C, &[]);
    let env = Env::new();
    let unc = lab.unc(r"\team\sub");
    let run = env.run(&exe, &[&unc, DEFAULT_USER, DEFAULT_PASSWORD]);
    assert!(run.stdout.ends_with("done\n"), "{run:#?}");
    let v = run.values();
    let get = |k: &str| v.get(k).map(String::as_str).unwrap_or("(missing)");
    let expect = |k: &str, want: &str| assert_eq!(get(k), want, "{k} in {run:#?}");
    expect("add", "0");
    expect("fopen", "1");
    expect("content", "inner");
    expect("getconnection", "0");
    expect("getconnection.remote", &unc);
    expect("universal", "0");
    expect("universal.name", &format!(r"{unc}\inner.txt"));
    expect("universal.connection", &unc);
    expect("universal.remaining", r"\inner.txt");
    // The share part of the DFS name, and the rest as lpSystem.
    expect("info", "0");
    expect("info.remote", &lab.unc(""));
    expect("info.system", r"\team\sub");
    expect("cancel", "0");
    expect("after.getconnection", "2250");
}
