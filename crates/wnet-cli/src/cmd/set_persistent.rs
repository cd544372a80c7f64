//! `wnet use /PERSISTENT:{YES|NO}`: the default for new connections.

use wnet_core::Error;

use super::{Console, EXIT_OK};
use crate::Backend;
use crate::output::COMPLETED;

/// Stores the default.
pub fn run(backend: &mut dyn Backend, console: &mut Console<'_>, yes: bool) -> Result<i32, Error> {
    backend.set_persistent(yes)?;
    console.out(COMPLETED);
    Ok(EXIT_OK)
}
