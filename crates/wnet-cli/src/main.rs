//! The `wnet` binary: the console, the backend, [`wnet_cli::run`].
//!
//! The backend is [`wnet_cli::DaemonBackend`]: the user's `wnetd`, started on demand.

use std::io::IsTerminal;

fn main() {
    let args: Vec<_> = std::env::args_os().skip(1).collect();
    // Other local users can read our command line: hide a password in it at once.
    if let Some(password) = wnet_cli::argv::given_password(&args) {
        wnet_cli::argv::burn(&password);
    }
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
