//! `wnet`: the `net use` command for Linux, with net.exe's syntax and output, byte for byte.
//!
//! [`run`] takes the command line, a [`Backend`] (the connection service: the daemon client in
//! the binary, a fake in the tests) and the console, and returns the exit code: 0 on success,
//! 2 on any error (usage errors included), as net.exe.
//!
//! # Layout
//! - [`args`]: the command line: net.exe's `/SWITCH[:value]` syntax, one file per switch.
//! - [`argv`]: a password given as an argument, hidden from `/proc/<pid>/cmdline`.
//! - [`backend`]: the [`Backend`] trait and the types it answers with; [`NoNetwork`].
//! - [`daemon_backend`]: [`DaemonBackend`], the backend over the daemon's socket.
//! - [`cmd`]: the logic of each command (list, show, connect, delete, set persistent, view,
//!   status).
//! - [`output`]: everything printed, as net.exe prints it, and `--json`.
//! - [`prompt`]: `(Y/N) [N]` questions and the password prompt (no echo on a terminal).
//!
//! # JSON output
//! `wnet use --json` prints one object:
//! ```json
//! {
//!   "version": 1,
//!   "remembered": true,
//!   "connections": [
//!     {
//!       "status": "OK",
//!       "local": "Z:",
//!       "remote": "\\\\server@4455\\share",
//!       "provider": "Microsoft Windows Network",
//!       "user": "DOMAIN\\me",
//!       "persistent": true,
//!       "path": "/home/me/Network/Z",
//!       "opens": 0
//!     }
//!   ]
//! }
//! ```
//! - `version`: the schema version (1). Fields may be added; existing ones keep their meaning.
//! - `remembered`: the default for new connections (`New connections will be remembered.`).
//! - `status`: `"OK"`, `"Disconnected"` (session lost, device kept) or `"Unavailable"`
//!   (remembered, not connected).
//! - `local`: the device (`"Z:"`, `"LPT1:"`), or `null` for a deviceless connection.
//! - `remote`: `\\server[@port]\share[\path]` as given when connecting.
//! - `provider`: the network provider's name (the listing's `Network` column).
//! - `user`: the user the connection runs as, `null` for the default credentials.
//! - `persistent`: remembered in the profile (restored at login).
//! - `path`: the connection's directory under the drive root, `null` when it has none.
//! - `opens`: open files and directories on it.
//! - `target` (only for a DFS name): the server share it leads to now,
//!   `\\server\share[\path]` (`wnet status` shows it as `DFS target`).
//!
//! `wnet use X: --json` prints one connection object (the same fields, with `version`) plus
//! `resource_type` (`"Disk"` or `"Print"`) and `connections` (`# Connections`).
//!
//! Errors are never JSON: they go to standard error as net.exe prints them, with exit code 2.
#![deny(missing_docs)]

pub mod args;
pub mod argv;
pub mod backend;
pub mod cmd;
pub mod daemon_backend;
pub mod output;
pub mod prompt;

use std::ffi::OsString;
use std::io::{BufRead, Write};

pub use backend::{
    Backend, ConnectOutcome, ConnectRequest, ConnectionDetail, ConnectionEntry, Listing, NoNetwork,
    ServerName, ServerShares, ShareInfo, ShareType, StatusReport,
};
pub use daemon_backend::DaemonBackend;

use args::{ArgsError, Command, Topic, UseCommand};
use cmd::{Console, EXIT_ERROR, EXIT_OK};
use output::{messages, shell_hints, usage};

/// Runs one `wnet` command line (`args` without the program name) against `backend`, reading
/// answers from `stdin` (a terminal when `is_tty`), and returns the exit code.
pub fn run(
    args: Vec<OsString>,
    backend: &mut dyn Backend,
    stdin: &mut dyn BufRead,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
    is_tty: bool,
) -> i32 {
    let mut console = Console {
        stdin,
        stdout,
        stderr,
        is_tty,
    };
    let (mut line, parsed) = match utf8_args(args) {
        Ok(line) => {
            let parsed = args::parse(&line);
            (line, parsed)
        }
        Err(e) => (Vec::new(), Err(e)),
    };
    // A password argument now lives only in the command's Secret (the line is kept for the
    // shell hints, which never look at a password).
    if let Some(password) = parsed.as_ref().ok().and_then(argv::password_of) {
        line.iter_mut()
            .filter(|a| a.as_str() == password.expose())
            .for_each(|a| wnet_core::secret::wipe_string(a));
    }
    let line = &line[..];
    let command = match parsed {
        Ok(command) => command,
        Err(ArgsError::Usage(topic)) => {
            console.err(&usage::usage(topic));
            console.err(&shell_hints::after_usage(line));
            return EXIT_ERROR;
        }
        Err(ArgsError::Invalid(error)) => {
            report(&mut console, line, &error);
            return EXIT_ERROR;
        }
    };
    match execute(command, backend, &mut console) {
        Ok(code) => code,
        Err(error) => {
            report(&mut console, line, &error);
            EXIT_ERROR
        }
    }
}

/// net.exe's report of `error`, then a hint if the shell may have mangled the line.
fn report(console: &mut Console<'_>, line: &[String], error: &wnet_core::Error) {
    console.err(&messages::error_report(error));
    console.err(shell_hints::after_error(line, error).unwrap_or_default());
}

/// The arguments as UTF-8; anything else cannot name a share or a device.
fn utf8_args(args: Vec<OsString>) -> Result<Vec<String>, ArgsError> {
    let topic = match args.first().and_then(|a| a.to_str()) {
        Some(a) if a.eq_ignore_ascii_case("use") => Topic::Use,
        _ => Topic::Wnet,
    };
    args.into_iter()
        .map(|a| a.into_string().map_err(|_| ArgsError::Usage(topic)))
        .collect()
}

fn execute(
    command: Command,
    backend: &mut dyn Backend,
    console: &mut Console<'_>,
) -> Result<i32, wnet_core::Error> {
    match command {
        Command::Help(topic) => {
            console.out(&usage::help(topic));
            Ok(EXIT_OK)
        }
        Command::Version => {
            console.out(&format!("wnet {}\n", env!("CARGO_PKG_VERSION")));
            Ok(EXIT_OK)
        }
        Command::View(server) => cmd::view::run(backend, console, &server),
        Command::Status { json } => cmd::status::run(backend, console, json),
        Command::Use(invocation) => match invocation.command {
            UseCommand::List => cmd::list::run(backend, console, invocation.json),
            UseCommand::Show(local) => cmd::show::run(backend, console, local, invocation.json),
            UseCommand::SetPersistent(yes) => cmd::set_persistent::run(backend, console, yes),
            UseCommand::Delete { target, answer } => {
                cmd::delete::run(backend, console, target, answer)
            }
            UseCommand::Connect {
                device,
                remote,
                password,
                user,
                persistent,
                tcp_port: _,
                savecred,
                flags,
            } => cmd::connect::run(
                backend,
                console,
                cmd::connect::Connect {
                    device,
                    remote,
                    password,
                    user,
                    persistent,
                    savecred,
                    flags,
                },
            ),
        },
    }
}
