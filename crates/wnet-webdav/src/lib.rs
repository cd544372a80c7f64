//! wnet's WebDAV network provider: Windows' WebClient ("Web Client Network",
//! `WNNC_NET_DAV`) behind the router (ADR 0018).
//!
//! * `name.rs`: which remote names are this provider's ([`claim`]): `http://` and `https://`
//!   URLs, and UNC names with WebClient's marks (`\\host@SSL[@port]\...`,
//!   `\\host@port\...`, `\\host\DavWWWRoot\...`). Anything else is "not mine" (67), answered
//!   before any network wait.
//! * `errors.rs`: the one mapping of [`wnet_dav::Error`] to core errors (unreachable → 53,
//!   refused credentials → 86/1326, missing → 67, 5xx and redirect loops → 59, ...).
//! * `provider.rs`: [`WebDavProvider`], deviceless connections: add (OPTIONS + PROPFIND depth
//!   0 with the credentials), cancel, list, restore. A drive letter needs the WebDAV drive,
//!   which is not built yet: a device connection answers `ERROR_NOT_SUPPORTED` (50).
#![deny(missing_docs)]

mod errors;
mod name;
mod provider;

pub use errors::{connect_error, core_error};
pub use name::claim;
pub use provider::{PROVIDER_NAME, WebDavConfig, WebDavProvider};
