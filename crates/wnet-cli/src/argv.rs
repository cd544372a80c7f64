//! Hiding a password given on the command line from other local users.
//!
//! `/proc/<pid>/cmdline` is readable by every local user, and a connection can take seconds.
//! As Samba's client tools do, `wnet` overwrites the password in its own argument area as soon
//! as the command line is parsed. The window between `exec` and that overwrite remains (a
//! watcher polling `/proc` can still catch it): `*` (prompt) or a saved credential
//! (`/SAVECRED`) is the safe form.
//!
//! The argument area is found from `/proc/self/stat` (`arg_start`, `arg_end`, Linux ≥ 3.5), not
//! from libc, so it is the very memory the kernel shows as `cmdline`.

use std::ffi::OsString;

use wnet_core::Secret;

use crate::args::{self, Command, PasswordArg, UseCommand};

/// The password given as an argument of `args` (without the program name), if any.
pub fn given_password(args: &[OsString]) -> Option<Secret> {
    let mut args: Vec<String> = args
        .iter()
        .map(|a| a.to_str().map(str::to_owned))
        .collect::<Option<_>>()?;
    let password = args::parse(&args)
        .ok()
        .and_then(|command| password_of(&command).cloned());
    args.iter_mut()
        .for_each(|a| wnet_core::secret::wipe_string(a));
    password
}

/// The password a command line gave as an argument (not `*`, not empty), if any.
pub fn password_of(command: &Command) -> Option<&Secret> {
    match command {
        Command::Use(invocation) => match &invocation.command {
            UseCommand::Connect {
                password: PasswordArg::Given(secret),
                ..
            } => (!secret.is_empty()).then_some(secret),
            _ => None,
        },
        _ => None,
    }
}

/// Overwrites (with NUL bytes) every argument of this process, past the program name, that
/// equals `secret`. Returns how many were overwritten; 0 when the argument area cannot be found.
pub fn burn(secret: &Secret) -> usize {
    let Some((start, end)) = arg_area() else {
        return 0;
    };
    let needle = secret.expose().as_bytes();
    // SAFETY: [start, end) is this process's argument area (the kernel's `arg_start` and
    // `arg_end`): mapped, writable, and not referenced as Rust data (std copied the arguments
    // at startup).
    let area = unsafe { std::slice::from_raw_parts_mut(start as *mut u8, end - start) };
    let mut burned = 0;
    let mut offset = 0;
    let mut index = 0;
    while offset < area.len() {
        let len = area[offset..]
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(area.len() - offset);
        if index > 0 && &area[offset..offset + len] == needle {
            for b in &mut area[offset..offset + len] {
                // SAFETY: a byte of the slice; volatile so the write is not elided.
                unsafe { std::ptr::write_volatile(b, 0) };
            }
            burned += 1;
        }
        offset += len + 1;
        index += 1;
    }
    burned
}

/// `(arg_start, arg_end)` of this process: fields 48 and 49 of `/proc/self/stat`.
fn arg_area() -> Option<(usize, usize)> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) may hold spaces and parentheses: count after its last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace().skip(48 - 3);
    let start = fields.next()?.parse().ok()?;
    let end = fields.next()?.parse().ok()?;
    (start != 0 && end > start).then_some((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn only_a_connect_with_a_password_has_one() {
        let pw = given_password(&os(&["use", "Z:", r"\\s\x", "hunter2", "/USER:me"]));
        assert_eq!(
            pw.map(|s| s.expose().to_owned()).as_deref(),
            Some("hunter2")
        );
        assert!(given_password(&os(&["use", "Z:", r"\\s\x", "*"])).is_none());
        assert!(given_password(&os(&["use", "Z:", r"\\s\x"])).is_none());
        assert!(given_password(&os(&["use", "Z:", "/delete"])).is_none());
        assert!(given_password(&os(&["use", "Z:", r"\\s\x", ""])).is_none());
    }

    #[test]
    fn the_argument_area_is_this_processs_cmdline() {
        let (start, end) = arg_area().unwrap();
        let cmdline = std::fs::read("/proc/self/cmdline").unwrap();
        // SAFETY: reading this process's argument area.
        let area = unsafe { std::slice::from_raw_parts(start as *const u8, end - start) };
        assert_eq!(area, &cmdline[..]);
    }
}
