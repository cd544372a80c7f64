//! The seed: Microsoft's "Canceling a Network Connection" example, unchanged, as C and C++.

use crate::support::{Env, Lang, compile};

fn seed_not_connected(lang: Lang) {
    let exe = compile("seed.c", lang, &[]);
    let env = Env::with_daemon();
    let run = env.run(&exe, &[]);
    assert_eq!(
        run.stdout, "Drive z: not connected.\nresult=2250\n",
        "{run:?}"
    );
    assert_eq!(
        run.code,
        2250 % 256,
        "main returns 2250 (the exit status keeps 8 bits)"
    );
}

fn seed_remembered(lang: Lang) {
    let exe = compile("seed.c", lang, &[]);
    let env = Env::with_daemon();
    env.remember("Z:", r"\\server@4455\share");
    let run = env.run(&exe, &[]);
    assert_eq!(
        run.stdout, "Connection closed for z: drive.\nresult=0\n",
        "{run:?}"
    );
    assert_eq!(run.code, 0);
    assert!(!env.remembered("Z:"), "the remembered entry is gone");
    let again = env.run(&exe, &[]);
    assert_eq!(again.stdout, "Drive z: not connected.\nresult=2250\n");
}

#[test]
fn seed_with_nothing_connected_prints_not_connected_and_returns_2250() {
    seed_not_connected(Lang::C);
}

#[test]
fn seed_as_cxx_with_nothing_connected_returns_2250() {
    seed_not_connected(Lang::Cxx);
}

#[test]
fn seed_forgets_a_remembered_unconnected_drive() {
    seed_remembered(Lang::C);
}

#[test]
fn seed_as_cxx_forgets_a_remembered_unconnected_drive() {
    seed_remembered(Lang::Cxx);
}

#[test]
fn seed_starts_the_real_daemon_on_demand() {
    let exe = compile("seed.c", Lang::C, &[]);
    let env = Env::new();
    env.remember("Z:", r"\\server\share");
    let run = env.run(&exe, &[]);
    assert_eq!(
        run.stdout, "Connection closed for z: drive.\nresult=0\n",
        "{run:?}"
    );
    assert!(env.paths.socket.exists(), "the daemon serves its socket");
    assert!(!env.remembered("Z:"));
    // Env's drop stops the daemon the program started, by its pid.
}
