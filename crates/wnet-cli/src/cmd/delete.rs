//! `wnet use {X: | \\server\share | *} /DELETE [/Y | /N]`.
//!
//! As net.exe: cancel with `CONNECT_UPDATE_PROFILE`, not forced. On open files (2401) print the
//! notice and ask whether to force; `/Y` answers yes and `/N` no without asking; no answer
//! (end of input) is No, which leaves the connection as it was and exits 2. With an answer
//! given by a switch the question itself is not printed (net.exe prints its notices but asks
//! nothing under `/Y`/`/N`).

use wnet_core::{ConnectionName, Error, WinError};

use super::{Console, EXIT_ERROR, EXIT_OK};
use crate::Backend;
use crate::args::DeleteTarget;
use crate::output::{COMPLETED, listing, messages};

/// Deletes and prints the result.
pub fn run(
    backend: &mut dyn Backend,
    console: &mut Console<'_>,
    target: DeleteTarget,
    answer: Option<bool>,
) -> Result<i32, Error> {
    let name = match target {
        DeleteTarget::Device(local) => ConnectionName::Local(local),
        DeleteTarget::Remote(remote) => ConnectionName::Remote(remote),
        DeleteTarget::All => return delete_all(backend, console, answer),
    };
    if !cancel(backend, console, &name, answer)? {
        return Ok(EXIT_ERROR);
    }
    console.out(&messages::deleted(&name));
    Ok(EXIT_OK)
}

/// Cancels one name, asking about open files; `false` when the answer was No.
fn cancel(
    backend: &mut dyn Backend,
    console: &mut Console<'_>,
    name: &ConnectionName,
    answer: Option<bool>,
) -> Result<bool, Error> {
    match backend.cancel(name, true, false) {
        Ok(()) => Ok(true),
        Err(e) if e.win_error() == WinError::ERROR_OPEN_FILES => {
            let holders: Vec<&str> = e.holders().collect();
            console.out(&messages::open_files_notice(name, &holders));
            let force = match answer {
                Some(yes) => yes,
                None => console.ask(messages::FORCE_QUESTION),
            };
            if force {
                backend.cancel(name, true, true)?;
            }
            Ok(force)
        }
        Err(e) => Err(e),
    }
}

fn delete_all(
    backend: &mut dyn Backend,
    console: &mut Console<'_>,
    answer: Option<bool>,
) -> Result<i32, Error> {
    let entries = backend.list()?.entries;
    if entries.is_empty() {
        console.out("There are no entries in the list.\n\n");
        return Ok(EXIT_OK);
    }
    console.out(&listing::delete_all_list(&entries));
    let go = match answer {
        Some(yes) => yes,
        None => console.ask(messages::CONTINUE_QUESTION),
    };
    if !go {
        return Ok(EXIT_ERROR);
    }
    for entry in &entries {
        let name = match entry.local {
            Some(local) => ConnectionName::Local(local),
            None => ConnectionName::Remote(entry.remote.clone()),
        };
        match cancel(backend, console, &name, answer) {
            Ok(true) => {}
            Ok(false) => return Ok(EXIT_ERROR),
            // Gone meanwhile (or cancelled with an earlier deviceless entry of the same name).
            Err(e) if e.win_error() == WinError::ERROR_NOT_CONNECTED => {}
            Err(e) => return Err(e),
        }
    }
    console.out(COMPLETED);
    Ok(EXIT_OK)
}
