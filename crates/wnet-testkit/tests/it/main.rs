//! Integration tests of wnet-testkit against the real smbd: one binary, a module per capability.

mod clients;
mod dfs;
mod lifecycle;
mod serving;
mod users;

use std::process::Output;

/// stdout and stderr of a finished command, for assertion messages.
fn show(out: &Output) -> String {
    format!(
        "status {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}
