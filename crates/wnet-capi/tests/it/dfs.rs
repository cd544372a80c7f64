//! A DFS name through the C API and the real daemon: a path below a link of a real namespace
//! (`wnet_testkit::DfsLab`, three smbd on port 445) is mapped and named as the user wrote it.

use wnet_testkit::{
    DC_NAME, DC_PASSWORD, DC_USER, DEFAULT_PASSWORD, DEFAULT_USER, DOMAIN_DNS, DfsLab,
    DomainController,
};

use crate::support::{Env, Lang, Run, compile};

#[test]
fn a_dfs_path_is_mapped_and_named_as_written_through_the_c_api() {
    let lab = DfsLab::start().unwrap_or_else(|e| panic!("cannot start the DFS lab: {e}"));
    let exe = compile("dfs.c", Lang::C, &[]);
    let env = Env::new();
    let unc = lab.unc(r"\team\sub");
    let run = env.run(&exe, &[&unc, DEFAULT_USER, DEFAULT_PASSWORD]);
    check_names(&run, &unc, &lab.unc(""), r"\team\sub");
}

/// A domain-based name (`\\wnet.test\dfs\link\sub`): the daemon the program starts finds the
/// test DC in the user's hosts file, asks it for the domain's DCs and the namespace's root,
/// and the program sees only the name it gave.
#[test]
fn a_domain_based_dfs_path_is_mapped_and_named_as_written_through_the_c_api() {
    let dc = DomainController::shared();
    let lab = DfsLab::start().unwrap_or_else(|e| panic!("cannot start the DFS lab: {e}"));
    let ip = |s: &wnet_testkit::Samba| s.host().parse::<std::net::Ipv4Addr>().unwrap();
    dc.dfs_link(
        "capiteam",
        &[(ip(&lab.target_a), "team"), (ip(&lab.target_b), "team")],
    )
    .unwrap();
    let exe = compile("dfs.c", Lang::C, &[]);
    let env = Env::new();
    let config = env.paths.profile.parent().unwrap();
    std::fs::create_dir_all(config).unwrap();
    std::fs::write(
        config.join("lmhosts"),
        format!("{} {DC_NAME} #PRE #DOM:{DOMAIN_DNS}\n", dc.dfs_address()),
    )
    .unwrap();
    let unc = format!(r"\\{DOMAIN_DNS}\dfs\capiteam\sub");
    let out = env
        .command(&exe)
        .args([&unc, DC_USER, DC_PASSWORD])
        .env("KRB5_CONFIG", dc.krb5_config())
        .env("KRB5CCNAME", "FILE:/nonexistent/wnet-no-ticket")
        .output()
        .unwrap();
    let run = Run {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
    };
    check_names(
        &run,
        &unc,
        &format!(r"\\{DOMAIN_DNS}\dfs"),
        r"\capiteam\sub",
    );
}

/// What `dfs.c` printed for `unc`: mapped, read, and named as written everywhere.
fn check_names(run: &Run, unc: &str, share: &str, system: &str) {
    assert!(run.stdout.ends_with("done\n"), "{run:#?}");
    let v = run.values();
    let get = |k: &str| v.get(k).map(String::as_str).unwrap_or("(missing)");
    let expect = |k: &str, want: &str| assert_eq!(get(k), want, "{k} in {run:#?}");
    expect("add", "0");
    expect("fopen", "1");
    expect("content", "inner");
    expect("getconnection", "0");
    expect("getconnection.remote", unc);
    expect("universal", "0");
    expect("universal.name", &format!(r"{unc}\inner.txt"));
    expect("universal.connection", unc);
    expect("universal.remaining", r"\inner.txt");
    // The share part of the DFS name, and the rest as lpSystem.
    expect("info", "0");
    expect("info.remote", share);
    expect("info.system", system);
    expect("cancel", "0");
    expect("after.getconnection", "2250");
}
