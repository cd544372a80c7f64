//! 16 threads calling mixed functions at once get the answers one thread gets, and each its
//! own extended error.

use crate::support::{Env, Lang, compile};

#[test]
fn sixteen_threads_agree_with_one() {
    let exe = compile("threads.c", Lang::C, &[]);
    let env = Env::with_daemon();
    env.remember("Q:", r"\\files\team");
    let run = env.run(&exe, &[]);
    assert_eq!(run.stdout, "mismatches=0\n", "{run:?}");
    assert_eq!(run.code, 0);
}
