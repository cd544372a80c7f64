//! `wnet status`: our own form (net.exe has no such command): the daemon, then one block per
//! connection. `--json` gives the same as JSON.

use serde::Serialize;

use crate::backend::StatusReport;

use super::json::{JsonConnection, SCHEMA_VERSION};
use super::pad;

/// The text form.
pub fn render(report: &StatusReport) -> String {
    let mut out = String::new();
    let line = |out: &mut String, label: &str, value: &str| {
        let l = format!("{}{value}", pad(label, 18));
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(
        &mut out,
        "Service",
        &format!("wnetd {} (pid {})", report.version, report.pid),
    );
    line(&mut out, "Socket", &report.socket);
    line(&mut out, "Drive root", &report.drive_root);
    line(&mut out, "Providers", &report.providers.join(", "));
    // What each provider says of itself, under the list (an older daemon sends nothing).
    for p in &report.provider_status {
        let detail = p
            .detail
            .as_deref()
            .map(|d| format!(", {d}"))
            .unwrap_or_default();
        line(
            &mut out,
            "",
            &format!("{}: {} connections{detail}", p.name, p.connections),
        );
    }
    line(
        &mut out,
        "Connections",
        &report.connections.len().to_string(),
    );
    for c in &report.connections {
        out.push('\n');
        let local = c.local.map(|l| l.to_string()).unwrap_or_default();
        line(&mut out, "Local name", &local);
        line(&mut out, "Remote name", &c.remote.to_string());
        line(&mut out, "Status", super::status_text(c.status));
        if let Some(reason) = &c.reason {
            line(&mut out, "Reason", reason);
        }
        if let Ok(unc) = c.remote.unc() {
            line(&mut out, "Server", unc.server());
        }
        if let Some(target) = &c.dfs_target {
            line(&mut out, "DFS target", target);
        }
        line(&mut out, "User", &c.user);
        if let Some(logon) = &c.logon {
            line(
                &mut out,
                "Logon",
                &format!("{} as {}", logon.mechanism, logon.principal),
            );
        }
        line(
            &mut out,
            "Persistent",
            if c.persistent { "Yes" } else { "No" },
        );
        line(&mut out, "Path", c.path.as_deref().unwrap_or(""));
        line(&mut out, "# Opens", &c.opens.to_string());
    }
    out.push('\n');
    out
}

#[derive(Serialize)]
struct JsonStatus {
    version: u32,
    pid: u32,
    service_version: String,
    socket: String,
    drive_root: String,
    providers: Vec<String>,
    connections: Vec<JsonConnection>,
}

/// The JSON form.
pub fn json(report: &StatusReport) -> String {
    let value = JsonStatus {
        version: SCHEMA_VERSION,
        pid: report.pid,
        service_version: report.version.clone(),
        socket: report.socket.clone(),
        drive_root: report.drive_root.clone(),
        providers: report.providers.clone(),
        connections: report
            .connections
            .iter()
            .map(JsonConnection::from)
            .collect(),
    };
    let mut s = serde_json::to_string_pretty(&value).unwrap_or_default();
    s.push('\n');
    s
}
