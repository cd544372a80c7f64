//! `wnet use`: the listing.

use wnet_core::Error;

use super::{Console, EXIT_OK};
use crate::Backend;
use crate::output::{json, listing};

/// Lists the connections, as a table or (`--json`) as JSON.
pub fn run(
    backend: &mut dyn Backend,
    console: &mut Console<'_>,
    as_json: bool,
) -> Result<i32, Error> {
    let l = backend.list()?;
    let text = if as_json {
        json::listing(&l)
    } else {
        listing::render(&l)
    };
    console.out(&text);
    Ok(EXIT_OK)
}
