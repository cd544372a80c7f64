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

/// With `-fshort-wchar`, `WCHAR` is `wchar_t` and `L"..."` literals work, as C and as C++.
fn wide_literals(lang: Lang) {
    let exe = compile("wide_literals.c", lang, &["-fshort-wchar", "-DUNICODE"]);
    let env = Env::with_daemon();
    env.remember("Q:", r"\\files\team");
    let run = env.run(&exe, &[]);
    assert_eq!(
        run.stdout, "sizes=2 6\ngetconnection=1201\nadd=1222\nenum=0\nremote=1 local=1\ntext=2\n",
        "{lang:?}: {run:?}"
    );
    assert_eq!(run.code, 0);
}

#[test]
fn wide_literals_with_short_wchar_as_c() {
    wide_literals(Lang::C);
}

#[test]
fn wide_literals_with_short_wchar_as_cxx() {
    wide_literals(Lang::Cxx);
}

#[test]
fn sdk_names_with_short_wchar_and_unicode() {
    let exe = compile("sdk_names.c", Lang::C, &["-fshort-wchar", "-DUNICODE"]);
    let env = Env::with_daemon();
    env.remember("Q:", r"\\files\team");
    let run = env.run(&exe, &[]);
    assert_eq!(run.stdout, format!("{COMMON}tchar=2\n"), "{run:?}");
}
