//! `winnetwk.h` is self-contained and used as the Windows SDK is: generic names, `TEXT()`,
//! the `UNICODE` switch, as C and as C++, warning-free.

use crate::support::{Env, Lang, compile};

const COMMON: &str = "getconnection=1201 ERROR_CONNECTION_UNAVAIL
universal=1201
add=1222 WN_NO_NETWORK
cancel=2250 WN_NOT_CONNECTED
lasterror=0 code=2250
openenum=0
closeenum=0
dialog=4294967295
disconnect=2250
sizes=48 32 40
";

fn check(lang: Lang, unicode: bool) {
    let flags: &[&str] = if unicode { &["-DUNICODE"] } else { &[] };
    let exe = compile("sdk_names.c", lang, flags);
    let env = Env::with_daemon();
    env.remember("Q:", r"\\files\team");
    let run = env.run(&exe, &[]);
    let tchar = if unicode { 2 } else { 1 };
    assert_eq!(
        run.stdout,
        format!("{COMMON}tchar={tchar}\n"),
        "{lang:?} {flags:?}: {run:?}"
    );
    assert_eq!(run.code, 0);
}

#[test]
fn sdk_names_as_c() {
    check(Lang::C, false);
}

#[test]
fn sdk_names_as_c_unicode() {
    check(Lang::C, true);
}

#[test]
fn sdk_names_as_cxx() {
    check(Lang::Cxx, false);
}

#[test]
fn sdk_names_as_cxx_unicode() {
    check(Lang::Cxx, true);
}
