//! The every-export program under valgrind: no invalid access, no definite leak.

use crate::support::{Env, Lang, compile};

#[test]
fn every_export_is_clean_under_valgrind() {
    let exe = compile("every_export.c", Lang::C, &[]);
    let env = Env::with_daemon();
    env.remember("Q:", r"\\files\team");
    let valgrind = std::path::Path::new("/usr/bin/valgrind");
    assert!(
        valgrind.exists(),
        "valgrind is needed (apt-get install valgrind)"
    );
    let exe_s = exe.display().to_string();
    let run = env.run(
        valgrind,
        &[
            "-q",
            "--error-exitcode=99",
            "--leak-check=full",
            "--errors-for-leak-kinds=definite",
            &exe_s,
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.ends_with("done\n"), "{run:?}");
    assert_eq!(run.stderr, "", "valgrind reports nothing");
}
