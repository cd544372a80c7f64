//! `wnet view \\server`, laid out as `net view` does: `Shared resources at \\server`, a
//! blank line, the server's comment (`(null)` when it has none is what Windows prints for a
//! Samba server without one; we print an empty line), a blank line, the header, a blank
//! line, 79 dashes, one row per share (name 12, type 6, used-as 9 columns, then the comment),
//! the completion line. Trailing spaces are not reproduced (transcripts disagree on them).

use crate::backend::{ServerName, ServerShares, ShareType};

use super::{COMPLETED, pad};

/// The whole `wnet view` output.
pub fn render(server: &ServerName, shares: &ServerShares) -> String {
    let mut out = format!(
        "Shared resources at {server}\n\n{}\n\nShare name  Type  Used as  Comment\n\n{}\n",
        shares.comment.as_deref().unwrap_or(""),
        "-".repeat(79)
    );
    for share in &shares.shares {
        let kind = match share.kind {
            ShareType::Disk => "Disk",
            ShareType::Print => "Print",
            ShareType::Ipc => "IPC",
        };
        let used = share.used_as.map(|l| l.to_string()).unwrap_or_default();
        let line = format!(
            "{}{}{}{}",
            pad(&share.name, 12),
            pad(kind, 6),
            pad(&used, 9),
            share.comment
        );
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out.push_str(COMPLETED);
    out
}
