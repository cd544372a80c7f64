//! Everything `wnet` prints, byte for byte as net.exe prints it (or, for `--json` and
//! `wnet status`, in our own documented form).
//!
//! # Layout
//! - [`listing`]: `wnet use` (the table) and the list `* /DELETE` shows before asking.
//! - [`detail`]: `wnet use X:`.
//! - [`messages`]: one-line results, prompts, errors.
//! - [`usage`]: the syntax text of usage errors and the `--help` texts.
//! - [`shell_hints`]: the lines added on stderr when bash mangled a UNC or a `*`.
//! - [`json`]: `--json` for the listing and the detail.
//! - [`view`]: `wnet view \\server`.
//! - [`status`]: `wnet status`.
//!
//! # What the layouts are based on
//! net.exe's exact output was taken from transcripts of real `net use`/`net view` runs found
//! in public repositories, issues and write-ups (raw subprocess captures and reverse-shell
//! logs where possible, since those keep blank lines and padding):
//! - listing: `New connections will be remembered.`, two blank lines, the header, a blank
//!   line, 79 dashes, the rows, `The command completed successfully.`, a blank line (Python
//!   captures `...successfully.\r\n\r\n`; a cmd.exe session shows two blank lines before the
//!   next prompt, one of them cmd's). No blank line between the last row and the final line.
//! - a Remote longer than 25 characters ends its row; the Network name follows on the next
//!   line indented by **48** spaces (seven independent transcripts, among them German,
//!   Norwegian and Chinese systems, all show 48, one less than the header's column 49).
//! - empty listing: the first line, a blank line, `There are no entries in the list.`.
//! - detail: labels padded to 18 columns (`Local name        Z:`), `# Opens`,
//!   `# Connections`, then `The command completed successfully.` without a blank line before.
//! - `*` connect: `Drive Z: is now connected to \\server\share.`, a blank line, then the
//!   completion line (reverse-shell transcript).
//! - open files on delete: the notice, a blank line, the question; `* /DELETE`: `You have
//!   these remote connections:`, a blank line, rows indented 4 with the device padded to 16
//!   (remote at column 20), `Continuing will cancel the connections.`, a blank line, the
//!   question.
//! - usage errors go to stderr (PowerShell shows them as a NativeCommandError).
//! - errors: [`wnet_core::WinError::net_report`], without an extra blank line (cmd.exe
//!   transcripts show only cmd's own blank line after them).

pub mod detail;
pub mod json;
pub mod listing;
pub mod messages;
pub mod shell_hints;
pub mod status;
pub mod usage;
pub mod view;

/// net.exe's last line after a command that succeeded, with its blank line.
pub const COMPLETED: &str = "The command completed successfully.\n\n";

/// `Status` as net.exe names it.
pub fn status_text(status: wnet_core::ConnectionStatus) -> &'static str {
    match status {
        wnet_core::ConnectionStatus::Ok => "OK",
        wnet_core::ConnectionStatus::Disconnected => "Disconnected",
        wnet_core::ConnectionStatus::Unavailable => "Unavailable",
    }
}

/// Left-justifies `s` in `width` characters (never truncating), as `%-*s` does.
pub(crate) fn pad(s: &str, width: usize) -> String {
    let len = s.chars().count();
    let mut out = String::with_capacity(s.len() + width.saturating_sub(len));
    out.push_str(s);
    out.extend(std::iter::repeat_n(' ', width.saturating_sub(len)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_counts_characters() {
        assert_eq!(pad("OK", 5), "OK   ");
        assert_eq!(pad("Grüße", 6), "Grüße ");
        assert_eq!(pad("toolong", 3), "toolong");
    }
}
