//! The C API in a Windows domain: `WNetAddConnection2` with NULL credentials uses the calling
//! process's Kerberos ticket; `WNetGetUser` names the principal as Windows does.

use wnet_testkit::{DC_PASSWORD, DC_SHARE, DC_USER, DOMAIN, DomainController};

use crate::support::{Env, Lang, compile};

#[test]
fn null_credentials_use_the_callers_ticket() {
    let dc = DomainController::shared();
    let exe = compile("kerberos.c", Lang::C, &[]);
    let env = Env::new();
    let cc = env.dir.path().join("krb5cc_capi");
    dc.kinit(DC_USER, DC_PASSWORD, &cc).unwrap();
    let out = env
        .command(&exe)
        .arg(dc.unc(DC_SHARE))
        .env("KRB5_CONFIG", dc.krb5_config())
        .env("KRB5CCNAME", format!("FILE:{}", cc.display()))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.ends_with("done\n"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for want in [
        "add=0\n",
        "getuser=0\n",
        &format!("getuser.name={DOMAIN}\\{DC_USER}\n"),
        "write=0\n",
        "cancel=0\n",
        "cancel.again=2250\n",
    ] {
        assert!(stdout.contains(want), "{want:?} in\n{stdout}");
    }
    assert_eq!(
        std::fs::read(dc.share_dir(DC_SHARE).join("from-c.txt")).unwrap(),
        b"written by C with a ticket"
    );
    env.stop_started_daemon();
}
