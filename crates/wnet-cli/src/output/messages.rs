//! One-line results, prompts and errors.

use wnet_core::{ConnectionName, Error, LocalName, RemoteName};

use super::COMPLETED;

/// A connect with `*`: `Drive Z: is now connected to \\server\share.` and the completion line.
pub fn connected_to(local: LocalName, remote: &RemoteName) -> String {
    format!("Drive {local} is now connected to {remote}.\n\n{COMPLETED}")
}

/// A delete: `Z: was deleted successfully.` (or the remote name).
pub fn deleted(name: &ConnectionName) -> String {
    format!("{name} was deleted successfully.\n\n")
}

/// The notice before the open-files question.
///
/// Beyond net.exe, the files held open and their processes (from the refusal's holders) are
/// listed under the notice, indented by two spaces.
pub fn open_files_notice(name: &ConnectionName, holders: &[&str]) -> String {
    let mut s = format!(
        "There are open files and/or incomplete directory searches pending on the connection to {name}.\n"
    );
    for h in holders {
        s.push_str(&format!("  {h}\n"));
    }
    s.push('\n');
    s
}

/// The open-files question (no newline: the answer follows on the line).
pub const FORCE_QUESTION: &str =
    "Is it OK to continue disconnecting and force them closed? (Y/N) [N]: ";

/// The question of `* /DELETE` (no newline).
pub const CONTINUE_QUESTION: &str = "Do you want to continue this operation? (Y/N) [N]: ";

/// The password prompt of `password *` (no newline).
pub fn password_prompt(remote: &RemoteName) -> String {
    format!("Type the password for {remote}:")
}

/// An error as net.exe reports it on stderr (see [`wnet_core::WinError::net_report`]); beyond
/// net.exe, a refusal that names who holds the drive (2401, 2404) lists them after it, one per
/// line, indented by two spaces; a warning about the user's safety (e.g. a daemon socket that
/// is not trusted) follows as `wnet: <warning>`.
pub fn error_report(error: &Error) -> String {
    let mut s = error.win_error().net_report();
    for h in error.holders() {
        s.push_str(&format!("  {h}\n"));
    }
    for (_, warning) in error
        .context()
        .iter()
        .filter(|(k, _)| *k == wnet_core::WARNING)
    {
        s.push_str(&format!("wnet: {warning}\n"));
    }
    s
}
