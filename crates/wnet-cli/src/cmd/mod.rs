//! The command logic, one file per command (mini-redis style). Each takes the parsed command,
//! the [`Backend`](crate::Backend) and the console, and returns the exit code, or an error
//! that [`crate::run`] reports as net.exe does (exit 2).

pub mod connect;
pub mod delete;
pub mod list;
pub mod set_persistent;
pub mod show;
pub mod status;
pub mod view;

use std::io::{BufRead, Write};

/// The console of one run: standard input, output, error, and whether input is a terminal.
pub struct Console<'a> {
    /// Answers and passwords come from here.
    pub stdin: &'a mut dyn BufRead,
    /// Results and questions go here.
    pub stdout: &'a mut dyn Write,
    /// Errors and usage go here.
    pub stderr: &'a mut dyn Write,
    /// Standard input is a terminal (passwords are read without echo).
    pub is_tty: bool,
}

impl Console<'_> {
    /// Writes to standard output. Write errors (a closed pipe) are ignored, as net.exe does:
    /// the exit code still tells what happened.
    pub fn out(&mut self, text: &str) {
        let _ = self.stdout.write_all(text.as_bytes());
        let _ = self.stdout.flush();
    }

    /// Writes to standard error.
    pub fn err(&mut self, text: &str) {
        let _ = self.stderr.write_all(text.as_bytes());
        let _ = self.stderr.flush();
    }

    /// Asks a `(Y/N) [N]` question (see [`crate::prompt::ask_yes_no`]).
    pub fn ask(&mut self, question: &str) -> bool {
        crate::prompt::ask_yes_no(self.stdin, self.stdout, self.is_tty, question)
    }
}

/// Exit code of success.
pub const EXIT_OK: i32 = 0;
/// Exit code of every failure, usage errors included (net.exe's errorlevel 2).
pub const EXIT_ERROR: i32 = 2;
