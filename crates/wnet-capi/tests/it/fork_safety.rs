//! libwnet in threaded programs that fork, enumerate while the daemon is slow, or call it from
//! thread destructors: no deadlock, no thread held up by another's round trip, no abort.

use std::io::{BufRead, Read, Write};

use crate::support::{Env, Lang, compile};

#[test]
fn a_child_forked_while_threads_are_mid_call_can_use_the_library() {
    let exe = compile("fork.c", Lang::C, &[]);
    let env = Env::with_daemon();
    env.remember("Q:", r"\\files\team");
    let run = env.run(&exe, &[]);
    assert_eq!(run.stdout, "ok=40 deadlocked=0 failed=0\n", "{run:?}");
    assert_eq!(run.code, 0);
}

#[test]
fn a_thread_destructor_calling_the_library_does_not_abort() {
    let exe = compile("tls_dtor.c", Lang::C, &[]);
    let env = Env::with_daemon();
    let run = env.run(&exe, &[]);
    assert_eq!(run.stdout, "in_dtor=487 survived=1\n", "{run:?}");
    assert_eq!(run.code, 0);
}

#[test]
fn an_enumeration_waiting_for_the_daemon_holds_up_no_other_thread() {
    let exe = compile("enum_lock.c", Lang::C, &[]);
    let env = Env::new();
    env.remember("Q:", r"\\files\team");
    let (mut child, mut out) = env.spawn(&exe);
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert_eq!(line, "ready\n");
    let daemon = env.daemon_pid().expect("the program started the daemon") as i32;
    // SAFETY: pausing the daemon this test's program started.
    unsafe { libc::kill(daemon, libc::SIGSTOP) };
    child.stdin.take().unwrap().write_all(b"go\n").unwrap();
    let mut other = String::new();
    out.read_line(&mut other).unwrap();
    // SAFETY: resuming it.
    unsafe { libc::kill(daemon, libc::SIGCONT) };
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(other, "sleeping=1 other=6 closed=6\n", "{status:?}");
    assert_eq!(rest, "a=0\n", "{status:?}");
    assert!(status.success(), "{status:?}");
}
