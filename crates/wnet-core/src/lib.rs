//! The WNet model: names, flags, Win32 error codes, the network-provider trait, the provider
//! router (MPR) and the persistent profile. No sockets, no FUSE, no SMB: the only I/O is the
//! profile file.
//!
//! # Layout
//! - [`win_error`]: `WinError`, every Win32/NET code with its `WN_*` alias and texts.
//! - [`error`]: `Error` (kind, permanent/temporary, context, source) and the one mapping to
//!   `WinError`.
//! - [`local_name`]: `LocalName`, a device `A:`–`Z:` or `LPT1:`–`LPT9:`.
//! - [`logon`]: `CredentialsCache` (the caller's `KRB5CCNAME`) and `Logon` (mechanism, principal).
//! - [`remote`]: `RemoteName`, the name the user gave, which providers interpret.
//! - [`unc`]: `UncPath`, `\\server[@port]\share[\path]`.
//! - [`smb_url`]: `smb://[domain;][user@]host[:port]/share[/path]`, translated to a UNC.
//! - [`flags`]: `ConnectFlags`, the `CONNECT_*` bits.
//! - [`resource`]: `NetResource` and its scope/type/display-type/usage enumerations.
//! - [`secret`]: `Secret`, a password that never shows in logs.
//! - [`provider`]: the `NetworkProvider` trait (NP* functions) and `Capabilities`.
//! - [`router`]: `Router`, the MPR: provider order, first significant error.
//! - [`profile`]: `ProfileStore`, the remembered connections (`HKCU\Network`).
#![deny(missing_docs)]

pub mod error;
pub mod flags;
pub mod local_name;
pub mod logon;
pub mod profile;
pub mod provider;
pub mod remote;
pub mod resource;
pub mod router;
pub mod secret;
pub mod smb_url;
pub mod unc;
pub mod win_error;

pub use error::{Error, ErrorKind, ErrorStatus, HOLDER, Result, WARNING};
pub use flags::ConnectFlags;
pub use local_name::LocalName;
pub use logon::{CredentialsCache, Logon};
pub use profile::{PROFILE_SCHEMA, Profile, ProfileStore, RememberedConnection, Settings};
pub use provider::{
    AddConnection, Capabilities, Capability, Connection, ConnectionName, ConnectionStatus,
    NetworkProvider, ProviderInfo, ProviderStatus, UniversalName, WNNC_NET_DAV, WNNC_NET_LANMAN,
};
pub use remote::{MAX_URL, RemoteName};
pub use resource::{DisplayType, NetResource, ResourceType, Scope, Usage};
pub use router::Router;
pub use secret::Secret;
pub use unc::{MAX_PATH, ServerAddr, UncPath};
pub use win_error::{ERROR_TABLE, ErrorInfo, WinError};
