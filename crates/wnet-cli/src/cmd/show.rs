//! `wnet use X:`: one device's detail.

use wnet_core::{Error, LocalName};

use super::{Console, EXIT_OK};
use crate::Backend;
use crate::output::{detail, json};

/// Shows a device's connection, as net.exe's block or (`--json`) as JSON.
pub fn run(
    backend: &mut dyn Backend,
    console: &mut Console<'_>,
    local: LocalName,
    as_json: bool,
) -> Result<i32, Error> {
    let d = backend.show(local)?;
    let text = if as_json {
        json::detail(&d)
    } else {
        detail::render(&d)
    };
    console.out(&text);
    Ok(EXIT_OK)
}
