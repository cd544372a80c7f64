//! `WNetEnumResource`'s buffer protocol over several entries.

use crate::support::{Env, Lang, compile};

#[test]
fn small_buffers_and_counts_hand_out_every_entry_once() {
    let exe = compile("paging.c", Lang::C, &[]);
    let env = Env::with_daemon();
    let devices = ["D:", "E:", "F:", "G:", "H:", "I:"];
    for (i, d) in devices.iter().enumerate() {
        env.remember(d, &format!(r"\\srv\share{}", "x".repeat(i * 20)));
    }
    let run = env.run(&exe, &[]);
    assert_eq!(run.code, 0, "{run:?}");
    let items: Vec<&str> = run
        .stdout
        .lines()
        .filter_map(|l| l.strip_prefix("item="))
        .collect();
    let locals: Vec<&str> = items.iter().map(|i| &i[..2]).collect();
    assert_eq!(locals, devices, "each exactly once, in order: {run:?}");
    assert!(run.stdout.contains("total=6\n"));
    // The longer entries do not fit in 150 bytes: 234 with the size of the first.
    assert!(run.stdout.contains("needed_seen=1\n"), "{run:?}");
    assert!(
        run.stdout
            .lines()
            .filter(|l| l.starts_with("batch="))
            .all(|l| l == "batch=1" || l == "batch=2"),
        "*lpcCount = 2 is honoured: {run:?}"
    );
    assert!(
        run.stdout.contains("three=0 count=3\nrest=0 count=3\n"),
        "{run:?}"
    );
}
