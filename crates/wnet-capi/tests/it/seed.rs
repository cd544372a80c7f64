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

#[test]
fn seed_against_samba_refuses_while_a_file_is_open_then_cancels() {
    use wnet_proto::{AddConnectionArgs, Client, Request};
    use wnet_testkit::{DEFAULT_PASSWORD, DEFAULT_USER, Samba};

    let samba = Samba::start_default();
    let exe = compile("seed.c", Lang::C, &[]);
    let env = Env::new();
    let mut client =
        Client::connect_with(&env.paths, &crate::support::wnetd_binary(), "seed-test").unwrap();
    client
        .call(&Request::AddConnection(AddConnectionArgs {
            resource_type: 1,
            local: Some("Z:".into()),
            remote: samba.unc("rw"),
            provider: None,
            user: Some(DEFAULT_USER.into()),
            password: Some(wnet_core::Secret::new(DEFAULT_PASSWORD)),
            flags: 1, // CONNECT_UPDATE_PROFILE
            save_credentials: false,
            ccache: None,
        }))
        .unwrap();
    assert!(env.remembered("Z:"));
    let file = env.paths.drive_root.join("Z").join("seed.txt");
    let mut open = std::fs::File::create(&file).unwrap();
    std::io::Write::write_all(&mut open, b"still open").unwrap();

    let run = env.run(&exe, &[]);
    assert_eq!(
        run.stdout, "WNetCancelConnection2 failed.\nresult=2401\n",
        "{run:?}"
    );
    assert_eq!(run.code, 2401 % 256);
    assert!(env.remembered("Z:"), "a refused cancel changes nothing");
    assert!(file.exists(), "the drive is still there");

    drop(open);
    let run = env.run(&exe, &[]);
    assert_eq!(
        run.stdout, "Connection closed for z: drive.\nresult=0\n",
        "{run:?}"
    );
    assert!(!env.remembered("Z:"), "the profile entry is gone");
    assert_eq!(
        std::fs::read_to_string(samba.share_dir("rw").join("seed.txt")).unwrap(),
        "still open",
        "what was written is on the server"
    );
}
