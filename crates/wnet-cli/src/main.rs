//! The `wnet` binary: the console, the backend, [`wnet_cli::run`].
//!
//! The backend is [`wnet_cli::DaemonBackend`]: the user's `wnetd`, started on demand.

use std::io::IsTerminal;

fn main() {
    let args = std::env::args_os().skip(1).collect();
    let stdin = std::io::stdin();
    let is_tty = stdin.is_terminal();
    let mut backend = wnet_cli::DaemonBackend::new();
    let code = wnet_cli::run(
        args,
        &mut backend,
        &mut stdin.lock(),
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
        is_tty,
    );
    std::process::exit(code);
}
