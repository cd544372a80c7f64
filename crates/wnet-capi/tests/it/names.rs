//! A/W strings: any Unicode name round-trips through both forms.

use crate::support::{Env, Lang, compile};

#[test]
fn unicode_names_round_trip_through_a_and_w() {
    let exe = compile("unicode.c", Lang::C, &[]);
    let env = Env::with_daemon();
    env.remember("R:", "\\\\sérveur\\ドライブ😀");
    let run = env.run(&exe, &[]);
    assert_eq!(
        run.stdout,
        "openA=0\nenumA=0\nremoteA=\\\\sérveur\\ドライブ😀\nsameA=1\nopenW=0\nenumW=0\nsameW=1\nunitsW=16\ngetconnectionW=1201\n",
        "{run:?}"
    );
}
