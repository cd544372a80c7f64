//! Hints for a Linux shell: net.exe's syntax was made for cmd.exe, and bash changes two of its
//! forms before `wnet` sees them. A hint is one line on stderr after net.exe's text; the text
//! and the exit code stay net.exe's.
//!
//! - An unquoted `\\server\share` reaches us as `\servershare`: a remote name that is refused
//!   (67) and starts with one backslash, or has no separator at all, gets [`QUOTE_THE_PATH`];
//!   so does a usage error whose remote name (or what stands in its place) starts with one.
//! - An unquoted `*` (prompt for the password) is replaced by the names of the files in the
//!   current directory: a usage error with two or more such names after the remote name gets
//!   [`QUOTE_THE_STAR`]. The README's first example pasted unquoted gets both.
//!
//! Neither fires on a line that is correct: the first needs a refused remote name that is not
//! a UNC, the second a usage error.

use std::path::Path;

use wnet_core::{Error, WinError};

use crate::args::{long, positional, switch};

/// The hint for a remote name whose backslashes the shell consumed.
pub const QUOTE_THE_PATH: &str =
    "(In a Linux shell, quote the path: '\\\\server\\share', or write //server/share.)\n";

/// The hint for a `*` the shell expanded into file names.
pub const QUOTE_THE_STAR: &str = "(The shell replaced * with the names of the files here; \
     write '*' to be asked for the password.)\n";

/// The positional tokens of a `wnet use` or `wnet view` line (`args` without the program name),
/// with the command's name.
fn positionals(args: &[String]) -> Option<(String, Vec<&str>)> {
    let (command, rest) = args.split_first()?;
    let tokens = rest
        .iter()
        .map(String::as_str)
        .filter(|t| !switch::is_switch(t) && !long::is_long(t))
        .collect();
    Some((command.to_ascii_lowercase(), tokens))
}

/// `true` for what bash leaves of an unquoted `\\server\share`: one leading backslash, or no
/// separator at all.
fn looks_mangled(token: &str) -> bool {
    !positional::is_remote(token)
        && (token.starts_with('\\') || !token.contains(['\\', '/']))
        && !token.is_empty()
}

/// The hint to print after `error`, which `args` (the whole line, without the program name)
/// was refused with.
pub fn after_error(args: &[String], error: &Error) -> Option<&'static str> {
    let (command, tokens) = positionals(args)?;
    let remote_slot = match (command.as_str(), tokens.split_first()) {
        ("use", Some((first, rest))) if positional::is_device(first) => rest.first(),
        ("use", Some((first, _))) => Some(first),
        _ => None,
    }?;
    (error.win_error() == WinError::ERROR_BAD_NET_NAME && looks_mangled(remote_slot))
        .then_some(QUOTE_THE_PATH)
}

/// The hints to print after a usage error of `args` (the whole line, without the program
/// name), in order; empty when the line does not look mangled by the shell.
pub fn after_usage(args: &[String]) -> String {
    let Some((command, tokens)) = positionals(args) else {
        return String::new();
    };
    let consumed = |t: &&&str| t.starts_with('\\') && !positional::is_remote(t);
    let mut hints = String::new();
    match command.as_str() {
        "view" if tokens.first().filter(consumed).is_some() => hints.push_str(QUOTE_THE_PATH),
        "use" => {
            // The remote name: a UNC or URL, else what bash left of one in its place.
            let slot = tokens
                .iter()
                .position(|t| positional::is_remote(t))
                .or_else(|| {
                    let at = usize::from(tokens.first().is_some_and(|t| positional::is_device(t)));
                    tokens.get(at).filter(consumed).map(|_| at)
                });
            let Some(at) = slot else {
                return hints;
            };
            if consumed(&&tokens[at]) {
                hints.push_str(QUOTE_THE_PATH);
            }
            let after = &tokens[at + 1..];
            let in_cwd = |t: &&str| !t.contains('/') && Path::new(t).symlink_metadata().is_ok();
            if after.len() >= 2 && after.iter().all(in_cwd) {
                hints.push_str(QUOTE_THE_STAR);
            }
        }
        _ => {}
    }
    hints
}

#[cfg(test)]
mod tests {
    use super::*;
    use wnet_core::ErrorKind;

    fn line(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    fn e67() -> Error {
        Error::new(ErrorKind::BadNetName, "x")
    }

    #[test]
    fn consumed_backslashes() {
        for l in [
            r"use Z: \fileserverteam * /USER:alice",
            r"use \fileserverteam",
            "use Z: fileserverteam",
            r"use \srvshare /DELETE",
        ] {
            assert_eq!(after_error(&line(l), &e67()), Some(QUOTE_THE_PATH), "{l}");
        }
        for l in [
            r"use Z: \\srv\nosuch",
            "use Z: //srv/nosuch",
            "use Z: smb://srv/nosuch",
            "view srv",
        ] {
            assert_eq!(after_error(&line(l), &e67()), None, "{l}");
        }
        let other = Error::new(ErrorKind::BadDevice, "x");
        assert_eq!(after_error(&line(r"use Z: \srvshare"), &other), None);
        assert_eq!(after_usage(&line(r"view \fileserver")), QUOTE_THE_PATH);
        assert_eq!(after_usage(&line(r"view \\fileserver x")), "");
    }

    #[test]
    fn expanded_star_needs_files_of_the_cwd() {
        // The test runs in the crate's directory, which holds these.
        let l = line(r"use Z: \\srv\share Cargo.toml src /USER:alice");
        assert_eq!(after_usage(&l), QUOTE_THE_STAR);
        // The README's first example pasted as is: both.
        let l = line(r"use Z: \srvshare Cargo.toml src /USER:alice");
        assert_eq!(after_usage(&l), format!("{QUOTE_THE_PATH}{QUOTE_THE_STAR}"));
        let l = line(r"use \srvshare Cargo.toml src");
        assert_eq!(after_usage(&l), format!("{QUOTE_THE_PATH}{QUOTE_THE_STAR}"));
        for l in [
            r"use Z: \\srv\share Cargo.toml no-such-file",
            r"use Z: \\srv\share a b c",
            r"use Z: Cargo.toml src \\srv\share",
            r"use Z: \\srv\share src/lib.rs Cargo.toml",
        ] {
            assert_eq!(after_usage(&line(l)), "", "{l}");
        }
    }
}
