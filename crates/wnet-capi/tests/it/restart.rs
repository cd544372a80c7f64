//! The daemon going away between calls: the library starts it again, and a dead connection
//! never kills the caller with SIGPIPE.

use std::io::{BufRead, Write};

use crate::support::{Env, Lang, compile};

#[test]
fn a_daemon_stopped_between_calls_is_started_again() {
    let exe = compile("restart.c", Lang::C, &[]);
    let env = Env::new();
    env.remember("Q:", r"\\files\team");
    let (mut child, mut out) = env.spawn(&exe);
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert_eq!(line, "first=1201\n");
    let first_pid = env.daemon_pid().expect("the program started the daemon");
    env.stop_started_daemon();
    assert!(!std::path::Path::new(&format!("/proc/{first_pid}")).exists());
    child.stdin.take().unwrap().write_all(b"go\n").unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(rest, "second=1201\nthird=1201\n", "{status:?}");
    assert!(status.success(), "{status:?}");
    let second_pid = env.daemon_pid().expect("started again");
    assert_ne!(first_pid, second_pid);
}
