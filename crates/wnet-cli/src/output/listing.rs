//! The `wnet use` table, and the short list `wnet use * /DELETE` shows before asking.

use crate::backend::{ConnectionEntry, Listing};

use super::{COMPLETED, pad, status_text};

/// The header of the table: Status 13, Local 10, Remote 26 columns, then Network.
pub const HEADER: &str = "Status       Local     Remote                    Network";

/// Where the Network name goes when Remote did not fit: 48 spaces (see the module doc of
/// [`crate::output`]).
const NETWORK_CONTINUATION: usize = 48;

/// The longest Remote that fits its column (25 characters and a space).
const REMOTE_FITS: usize = 25;

/// The first line: the default for new connections.
pub fn remembered_line(remembered: bool) -> &'static str {
    if remembered {
        "New connections will be remembered.\n"
    } else {
        "New connections will not be remembered.\n"
    }
}

/// The whole `wnet use` output.
pub fn render(listing: &Listing) -> String {
    let mut out = String::from(remembered_line(listing.remembered));
    if listing.entries.is_empty() {
        out.push_str("\nThere are no entries in the list.\n\n");
        return out;
    }
    out.push_str("\n\n");
    out.push_str(HEADER);
    out.push_str("\n\n");
    out.push_str(&"-".repeat(79));
    out.push('\n');
    for entry in &listing.entries {
        out.push_str(&row(entry));
    }
    out.push_str(COMPLETED);
    out
}

/// One row (one or two lines, each ending with `\n`).
pub fn row(entry: &ConnectionEntry) -> String {
    let local = entry.local.map(|l| l.to_string()).unwrap_or_default();
    let remote = entry.remote.to_string();
    let lead = format!("{}{}", pad(status_text(entry.status), 13), pad(&local, 10));
    let line = if remote.chars().count() <= REMOTE_FITS {
        format!("{lead}{} {}", pad(&remote, REMOTE_FITS), entry.provider)
    } else {
        format!(
            "{lead}{remote}\n{}{}",
            " ".repeat(NETWORK_CONTINUATION),
            entry.provider
        )
    };
    // Only an empty provider name would leave padding behind.
    format!("{}\n", line.trim_end())
}

/// The list `wnet use * /DELETE` prints before its question.
pub fn delete_all_list(entries: &[ConnectionEntry]) -> String {
    let mut out = String::from("You have these remote connections:\n\n");
    for entry in entries {
        let local = entry.local.map(|l| l.to_string()).unwrap_or_default();
        out.push_str(&format!("    {}{}\n", pad(&local, 16), entry.remote));
    }
    out.push_str("Continuing will cancel the connections.\n\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use wnet_core::{ConnectionStatus, LocalName, RemoteName};

    fn entry(status: ConnectionStatus, local: Option<char>, remote: &str) -> ConnectionEntry {
        ConnectionEntry {
            status,
            local: local.map(|c| LocalName::Drive(c as u8)),
            remote: RemoteName::parse(remote).unwrap(),
            provider: "Microsoft Windows Network".into(),
            user: String::new(),
            persistent: false,
            path: None,
            opens: 0,
            logon: None,
            reason: None,
            dfs_target: None,
            notice: None,
        }
    }

    #[test]
    fn rows_match_net_exe_columns() {
        // From a real transcript: `\\pars01110240\software` (23 characters).
        assert_eq!(
            row(&entry(
                ConnectionStatus::Ok,
                Some('E'),
                r"\\pars01110240\software"
            )),
            "OK           E:        \\\\pars01110240\\software   Microsoft Windows Network\n"
        );
        let header_network = HEADER.find("Network").unwrap();
        let r = row(&entry(ConnectionStatus::Ok, Some('E'), r"\\s\x"));
        assert_eq!(r.find("Microsoft").unwrap(), header_network);
        assert_eq!(header_network, 49);
    }

    #[test]
    fn long_remote_wraps_with_48_spaces() {
        let r = row(&entry(
            ConnectionStatus::Disconnected,
            None,
            r"\\UNRAID\Seagate_Expansion_Drive",
        ));
        assert_eq!(
            r,
            format!(
                "Disconnected           \\\\UNRAID\\Seagate_Expansion_Drive\n{}Microsoft Windows Network\n",
                " ".repeat(48)
            )
        );
    }

    #[test]
    fn remote_of_exactly_25_fits() {
        let remote = format!(r"\\s\{}", "x".repeat(21));
        assert_eq!(remote.len(), 25);
        let r = row(&entry(ConnectionStatus::Ok, Some('Z'), &remote));
        assert_eq!(r.lines().count(), 1);
        let remote = format!(r"\\s\{}", "x".repeat(22));
        let r = row(&entry(ConnectionStatus::Ok, Some('Z'), &remote));
        assert_eq!(r.lines().count(), 2);
    }

    #[test]
    fn delete_all_list_columns() {
        let list = delete_all_list(&[
            entry(ConnectionStatus::Ok, Some('Z'), r"\\10.5.30.117\c"),
            entry(ConnectionStatus::Ok, None, r"\\10.5.30.117\IPC$"),
        ]);
        assert_eq!(
            list,
            "You have these remote connections:\n\n    Z:              \\\\10.5.30.117\\c\n                    \\\\10.5.30.117\\IPC$\nContinuing will cancel the connections.\n\n"
        );
    }
}
