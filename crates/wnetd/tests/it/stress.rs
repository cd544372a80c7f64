//! 32 concurrent clients doing random use/delete/list for 30 s against a real Samba: no
//! deadlock, every answer a documented code, and at the end the live devices are exactly the
//! remembered ones.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use wnet_proto::{AddConnectionArgs, Client, Paths, Reply, Request};
use wnet_testkit::{DEFAULT_PASSWORD, DEFAULT_USER, Samba};
use wnetd::BackgroundDaemon;

const CLIENTS: usize = 32;
const RUN_FOR: Duration = Duration::from_secs(30);
const LETTERS: [&str; 6] = ["U:", "V:", "W:", "X:", "Y:", "Z:"];

/// xorshift64*: a deterministic sequence per client.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

#[test]
fn thirty_two_clients_for_thirty_seconds() {
    let samba = Samba::start_default();
    let dir = tempfile::tempdir().unwrap();
    let daemon = BackgroundDaemon::start(Paths::under(dir.path())).unwrap();
    let socket = daemon.paths().socket.clone();
    let shares = [samba.unc("rw"), samba.unc("ro")];
    let started = Instant::now();
    let counts: Vec<(u64, u64, u64)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..CLIENTS)
            .map(|i| {
                let socket = &socket;
                let shares = &shares;
                s.spawn(move || {
                    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (i as u64 + 1));
                    let mut c = Client::connect_to(socket, "stress").unwrap();
                    let (mut ok, mut refused, mut lists) = (0u64, 0u64, 0u64);
                    while started.elapsed() < RUN_FOR {
                        let op = rng.next() % 3;
                        let letter = rng.pick(&LETTERS);
                        let result = match op {
                            0 => c.call(&Request::AddConnection(AddConnectionArgs {
                                resource_type: 1,
                                local: Some(letter.into()),
                                remote: shares[(rng.next() % 2) as usize].clone(),
                                provider: None,
                                user: Some(DEFAULT_USER.into()),
                                password: Some(wnet_core::Secret::new(DEFAULT_PASSWORD)),
                                flags: wnet_core::ConnectFlags::UPDATE_PROFILE.bits(),
                                save_credentials: false,
                                ccache: None,
                            })),
                            1 => c.call(&Request::CancelConnection {
                                name: letter.into(),
                                flags: 1,
                                force: rng.next() % 2 == 0,
                            }),
                            _ => {
                                lists += 1;
                                c.call(&Request::List)
                            }
                        };
                        match result {
                            Ok(_) => ok += 1,
                            // Documented answers of a busy device table: in use, remembered
                            // for the other share, not connected.
                            Err(e) if [85, 1202, 2250].contains(&e.win_error().0) => refused += 1,
                            Err(e) => panic!("client {i}: op {op} on {letter}: {e}"),
                        }
                    }
                    (ok, refused, lists)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let elapsed = started.elapsed();
    assert!(
        elapsed < RUN_FOR + Duration::from_secs(30),
        "no client hung: {elapsed:?}"
    );
    let total: u64 = counts.iter().map(|c| c.0 + c.1).sum();
    assert!(
        counts.iter().all(|c| c.0 > 0),
        "every client got work done: {counts:?}"
    );
    eprintln!("stress: {total} requests in {elapsed:?} ({counts:?})");
    let (live, profile) = match daemon.daemon().handle(Request::List).unwrap() {
        Reply::Listing { connections, .. } => {
            let live: BTreeSet<String> = connections
                .iter()
                .filter(|r| r.status == wnet_core::ConnectionStatus::Ok)
                .map(|r| r.local.unwrap().to_string())
                .collect();
            let remembered = wnet_core::ProfileStore::new(daemon.paths().profile.clone())
                .load()
                .unwrap();
            let profile: BTreeSet<String> =
                remembered.devices.keys().map(|l| l.to_string()).collect();
            assert!(connections.iter().all(|r| r.persistent), "{connections:?}");
            (live, profile)
        }
        other => panic!("{other:?}"),
    };
    assert_eq!(
        live, profile,
        "the live devices are exactly the remembered ones"
    );
}
