//! `wnet use X:`: one connection's detail block.

use wnet_core::LocalName;

use crate::backend::ConnectionDetail;

use super::{COMPLETED, pad, status_text};

/// Labels are padded to 18 columns, as net.exe prints `Local name        Z:`.
const LABEL_WIDTH: usize = 18;

/// The resource type net.exe shows: `Disk` for drives, `Print` for ports.
pub fn resource_type(local: Option<LocalName>) -> &'static str {
    match local {
        Some(LocalName::Lpt(_)) => "Print",
        _ => "Disk",
    }
}

/// The whole `wnet use X:` output.
pub fn render(detail: &ConnectionDetail) -> String {
    let e = &detail.entry;
    let local = e.local.map(|l| l.to_string()).unwrap_or_default();
    let fields = [
        ("Local name", local),
        ("Remote name", e.remote.to_string()),
        ("Resource type", resource_type(e.local).to_owned()),
        ("Status", status_text(e.status).to_owned()),
        ("# Opens", e.opens.to_string()),
        ("# Connections", detail.connections.to_string()),
    ];
    let mut out = String::new();
    for (label, value) in fields {
        let line = format!("{}{value}", pad(label, LABEL_WIDTH));
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out.push_str(COMPLETED);
    out
}
