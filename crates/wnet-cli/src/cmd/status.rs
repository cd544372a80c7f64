//! `wnet status`: the service and its connections.

use wnet_core::Error;

use super::{Console, EXIT_OK};
use crate::Backend;
use crate::output::status;

/// Shows the status.
pub fn run(
    backend: &mut dyn Backend,
    console: &mut Console<'_>,
    as_json: bool,
) -> Result<i32, Error> {
    let report = backend.status()?;
    let text = if as_json {
        status::json(&report)
    } else {
        status::render(&report)
    };
    console.out(&text);
    Ok(EXIT_OK)
}
