//! Saved credentials (`net use /SAVECRED`, `CONNECT_CMD_SAVECRED`): passwords kept for restore
//! at login in the session's Secret Service (the freedesktop secret API: GNOME Keyring, KWallet,
//! KeePassXC), through libsecret's `secret-tool`. Never in the profile, never in a log.
//!
//! An item's attributes: `service=wnet`, `server=<host, lower case>`, `port=<port>`,
//! `user=<user as given>`. A name that is not an SMB UNC (a WebDAV `\\host@SSL\...` name or
//! an `https://` URL) is keyed by its whole text, lower case, with port 0: restore looks it up
//! by the same remembered name.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use wnet_core::{RemoteName, Secret, ServerAddr};

/// How long one Secret Service call may take.
const TIMEOUT: Duration = Duration::from_secs(5);

fn attributes(remote: &RemoteName, user: &str) -> Vec<String> {
    let (host, port) = match remote.unc() {
        Ok(unc) => (
            match unc.server_addr() {
                ServerAddr::Ip(ip) => ip.to_string(),
                ServerAddr::Host(h) => h.to_lowercase(),
            },
            unc.port().unwrap_or(445),
        ),
        Err(_) => (remote.as_str().to_lowercase(), 0),
    };
    let port = port.to_string();
    [
        "service", "wnet", "server", &host, "port", &port, "user", user,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn available() -> Result<(), String> {
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none_or(|v| v.is_empty()) {
        return Err(
            "this session has no Secret Service (DBUS_SESSION_BUS_ADDRESS is not set)".into(),
        );
    }
    Ok(())
}

/// Runs `secret-tool` with `input` on stdin; its stdout, or why it failed.
fn secret_tool(args: &[String], input: Option<&str>) -> Result<String, String> {
    available()?;
    let mut child = Command::new("secret-tool")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run secret-tool (install libsecret-tools): {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(input.unwrap_or("").as_bytes());
    }
    let deadline = Instant::now() + TIMEOUT;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                // Sized up front: a grown buffer would leave a password copy in freed memory.
                let mut out = String::with_capacity(4096);
                let mut err = String::new();
                if let Some(mut s) = child.stdout.take() {
                    let _ = s.read_to_string(&mut out);
                }
                if let Some(mut s) = child.stderr.take() {
                    let _ = s.read_to_string(&mut err);
                }
                return if status.success() {
                    Ok(out)
                } else {
                    Err(format!("the Secret Service refused: {}", err.trim()))
                };
            }
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Err("the Secret Service did not answer in time".into());
            }
        }
    }
}

/// Saves `password` for `user` on `remote`'s server.
pub fn store(remote: &RemoteName, user: &str, password: &Secret) -> Result<(), String> {
    let label = remote
        .unc()
        .map_or_else(|_| remote.to_string(), |unc| unc.share_root().to_string());
    let mut args = vec![
        "store".to_string(),
        format!("--label=wnet: {label} ({user})"),
    ];
    args.extend(attributes(remote, user));
    secret_tool(&args, Some(password.expose())).map(|_| ())
}

/// The saved password for `user` on `remote`'s server, if any.
pub fn lookup(remote: &RemoteName, user: &str) -> Option<Secret> {
    let mut args = vec!["lookup".to_string()];
    args.extend(attributes(remote, user));
    secret_tool(&args, None)
        .ok()
        .filter(|p| !p.is_empty())
        .map(Secret::new)
}
