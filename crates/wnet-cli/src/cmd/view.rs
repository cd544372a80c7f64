//! `wnet view \\server`: the shares of a server.

use wnet_core::Error;

use super::{Console, EXIT_OK};
use crate::Backend;
use crate::backend::ServerName;
use crate::output::view;

/// Lists the shares.
pub fn run(
    backend: &mut dyn Backend,
    console: &mut Console<'_>,
    server: &ServerName,
) -> Result<i32, Error> {
    let shares = backend.view(server)?;
    console.out(&view::render(server, &shares));
    Ok(EXIT_OK)
}
