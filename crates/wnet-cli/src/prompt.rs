//! Questions on the terminal: `(Y/N) [N]` questions and the password prompt.
//!
//! A script must never hang on a question: end of input (no stdin, `< /dev/null`, a closed
//! pipe) answers the default, No. When standard input is not a terminal nothing is echoed,
//! so a newline is written after the answer is read to end the question's line.

use std::io::{BufRead, Write};

use wnet_core::{Error, ErrorKind, Secret};

/// How many unreadable answers are tolerated before the default is taken.
const MAX_ATTEMPTS: usize = 3;

/// One line without its line ending; `None` at end of input (or on a read error, which is
/// treated the same: no answer).
fn read_line(stdin: &mut dyn BufRead) -> Option<String> {
    // Room for any password up front: a grown buffer would leave a copy in freed memory.
    let mut line = String::with_capacity(512);
    match stdin.read_line(&mut line) {
        Ok(0) | Err(_) => None,
        Ok(_) => {
            let trimmed = line.trim_end_matches(['\n', '\r']).len();
            line.truncate(trimmed);
            Some(line)
        }
    }
}

/// Asks a `(Y/N) [N]` question; `true` for yes. Empty answers and end of input are No;
/// anything but y/yes/n/no (any case) asks again, up to three times.
pub fn ask_yes_no(
    stdin: &mut dyn BufRead,
    stdout: &mut dyn Write,
    is_tty: bool,
    question: &str,
) -> bool {
    for _ in 0..MAX_ATTEMPTS {
        let _ = stdout.write_all(question.as_bytes());
        let _ = stdout.flush();
        let Some(answer) = read_line(stdin) else {
            let _ = stdout.write_all(b"\n");
            return false;
        };
        if !is_tty {
            let _ = stdout.write_all(b"\n");
        }
        match answer.trim().to_ascii_lowercase().as_str() {
            "" | "n" | "no" => return false,
            "y" | "yes" => return true,
            _ => continue,
        }
    }
    false
}

/// Reads a password after `prompt`, without echo when standard input is a terminal. End of
/// input is `ERROR_CANCELLED` (1223).
pub fn read_password(
    stdin: &mut dyn BufRead,
    stdout: &mut dyn Write,
    is_tty: bool,
    prompt: &str,
) -> Result<Secret, Error> {
    let _ = stdout.write_all(prompt.as_bytes());
    let _ = stdout.flush();
    let line = {
        let _quiet = if is_tty { EchoOff::new() } else { None };
        read_line(stdin)
    };
    // The Enter key was not echoed (or there is no terminal): end the prompt's line.
    let _ = stdout.write_all(b"\n");
    let _ = stdout.flush();
    line.map(Secret::new)
        .ok_or_else(|| Error::new(ErrorKind::Cancelled, "no password was typed"))
}

/// Terminal echo switched off on standard input for as long as it lives.
struct EchoOff {
    saved: libc::termios,
}

impl EchoOff {
    /// Switches echo off; `None` when standard input is no terminal.
    fn new() -> Option<EchoOff> {
        // SAFETY: tcgetattr/tcsetattr on fd 0 with a termios we own; a zeroed termios is a
        // valid value for tcgetattr to fill.
        unsafe {
            let mut saved: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(libc::STDIN_FILENO, &mut saved) != 0 {
                return None;
            }
            let mut quiet = saved;
            quiet.c_lflag &= !libc::ECHO;
            if libc::tcsetattr(libc::STDIN_FILENO, libc::TCSAFLUSH, &quiet) != 0 {
                return None;
            }
            Some(EchoOff { saved })
        }
    }
}

impl Drop for EchoOff {
    fn drop(&mut self) {
        // SAFETY: restores the settings read in `new` on the same descriptor.
        unsafe {
            libc::tcsetattr(libc::STDIN_FILENO, libc::TCSAFLUSH, &self.saved);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ask(input: &str, is_tty: bool) -> (bool, String) {
        let mut stdin = input.as_bytes();
        let mut out = Vec::new();
        let yes = ask_yes_no(&mut stdin, &mut out, is_tty, "Q? ");
        (yes, String::from_utf8(out).unwrap())
    }

    #[test]
    fn answers() {
        assert_eq!(ask("", false), (false, "Q? \n".into()));
        assert_eq!(ask("y\n", false), (true, "Q? \n".into()));
        assert_eq!(ask("YES\r\n", false), (true, "Q? \n".into()));
        assert_eq!(ask("\n", false), (false, "Q? \n".into()));
        assert_eq!(ask("n\n", true), (false, "Q? ".into()));
        assert_eq!(ask("maybe\ny\n", false), (true, "Q? \nQ? \n".into()));
        assert!(!ask("a\nb\nc\ny\n", false).0);
        assert!(ask("y", false).0, "an answer without newline counts");
    }

    #[test]
    fn passwords() {
        let mut out = Vec::new();
        let s = read_password(&mut "pw\n".as_bytes(), &mut out, false, "P:").unwrap();
        assert_eq!(s.expose(), "pw");
        assert_eq!(out, b"P:\n");
        let e = read_password(&mut "".as_bytes(), &mut Vec::new(), false, "P:").unwrap_err();
        assert_eq!(e.win_error().0, 1223);
        let s = read_password(&mut "\n".as_bytes(), &mut Vec::new(), false, "P:").unwrap();
        assert!(s.is_empty());
    }
}
