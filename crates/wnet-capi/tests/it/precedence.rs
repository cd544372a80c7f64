//! Windows' order of checks: arguments first, then the answer to the question asked (not
//! connected, remembered, no provider, bad handle, the end), then the caller's buffer. Each
//! pair of errors that can both apply, with the one that wins. See the crate README.

use crate::support::{Env, Lang, compile};

#[test]
fn the_question_is_answered_before_the_buffer_is_judged() {
    let exe = compile("precedence.c", Lang::C, &[]);
    let env = Env::with_daemon();
    env.remember("Q:", r"\\files\team");
    let run = env.run(&exe, &[]);
    assert_eq!(run.code, 0, "{run:?}");
    let expected = "\
gun_unredirected_null_buffer=2250
gun_unredirected_small_buffer=2250
gun_remembered_null_buffer=1201
gun_bad_level_unredirected=124
gun_null_size_unredirected=487
gun_null_path_bad_level=487
gc_unredirected_null_buffer=2250
gc_unredirected_zero_size=2250
gc_remembered_null_buffer=1201
gc_null_size_unredirected=487
gu_unconnected_null_buffer=2250
gu_unconnected_zero_size=2250
gri_unowned_null_buffer=1222
gri_unowned_small_buffer=1222
gri_null_size_unowned=487
grp_no_provider_null_buffer=1204
grp_no_provider_small_buffer=1204
enum_first=0
enum_end_null_buffer=259
enum_end_small_buffer=259
enum_end_zero_count=87
enum_bad_handle_null_buffer=6
enum_bad_handle_zero_count=87
enum_bad_handle_null_size=487
perf_unconnected=2250
perf_unconnected_bad_cb=87
perf_unconnected_null_out=487
";
    assert_eq!(run.stdout, expected, "{run:?}");
}
