//! The `wnet` binary: the console, the backend, [`wnet::run`].
//!
//! Until the daemon client exists the backend is [`wnet::NoNetwork`]: every command that
//! needs the connection service reports `System error 1222` (the network is not present or
//! not started).

use std::io::IsTerminal;

fn main() {
    let args = std::env::args_os().skip(1).collect();
    let stdin = std::io::stdin();
    let is_tty = stdin.is_terminal();
    let mut backend = wnet::NoNetwork;
    let code = wnet::run(
        args,
        &mut backend,
        &mut stdin.lock(),
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
        is_tty,
    );
    std::process::exit(code);
}
