//! `--json`: the listing and the detail as JSON. The schema is documented in the crate doc
//! ([`crate`], "JSON output") and in the crate's README; field names and meanings are
//! stable, fields may be added.

use serde::Serialize;

use crate::backend::{ConnectionDetail, ConnectionEntry, Listing};

use super::{detail::resource_type, status_text};

/// The version of the JSON schema.
pub const SCHEMA_VERSION: u32 = 1;

/// One connection.
#[derive(Debug, Serialize)]
pub struct JsonConnection {
    /// `"OK"`, `"Disconnected"` or `"Unavailable"`.
    pub status: &'static str,
    /// `"Z:"`, or null when deviceless.
    pub local: Option<String>,
    /// `\\server[@port]\share[\path]` as given when connecting.
    pub remote: String,
    /// The provider's name.
    pub provider: String,
    /// The user the session runs as, null for the default credentials.
    pub user: Option<String>,
    /// Remembered in the profile.
    pub persistent: bool,
    /// The connection's directory under the drive root, null when it has none.
    pub path: Option<String>,
    /// Open files and directories.
    pub opens: u64,
    /// `"Kerberos"` or `"NTLMv2"`: how the session authenticated (absent when unknown).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mechanism: Option<String>,
    /// Who it authenticated: a Kerberos principal or the NTLM user (absent when unknown).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
    /// Why the connection is not usable, when known (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// For a DFS name: the target it leads to now, `\\server\share[\path]` (absent
    /// otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

impl From<&ConnectionEntry> for JsonConnection {
    fn from(e: &ConnectionEntry) -> Self {
        JsonConnection {
            status: status_text(e.status),
            local: e.local.map(|l| l.to_string()),
            remote: e.remote.to_string(),
            provider: e.provider.clone(),
            user: (!e.user.is_empty()).then(|| e.user.clone()),
            persistent: e.persistent,
            path: e.path.clone(),
            opens: e.opens,
            mechanism: e.logon.as_ref().map(|l| l.mechanism.clone()),
            principal: e.logon.as_ref().map(|l| l.principal.clone()),
            reason: e.reason.clone(),
            target: e.dfs_target.clone(),
        }
    }
}

/// `wnet use --json`.
#[derive(Debug, Serialize)]
pub struct JsonListing {
    /// [`SCHEMA_VERSION`].
    pub version: u32,
    /// The default for new connections.
    pub remembered: bool,
    /// The connections.
    pub connections: Vec<JsonConnection>,
}

/// `wnet use X: --json`.
#[derive(Debug, Serialize)]
pub struct JsonDetail {
    /// [`SCHEMA_VERSION`].
    pub version: u32,
    /// The connection's fields.
    #[serde(flatten)]
    pub connection: JsonConnection,
    /// `"Disk"` or `"Print"`.
    pub resource_type: &'static str,
    /// `# Connections`.
    pub connections: u32,
}

fn to_text(value: &impl Serialize) -> String {
    // Serializing these plain structs cannot fail.
    let mut s = serde_json::to_string_pretty(value).unwrap_or_default();
    s.push('\n');
    s
}

/// The listing as JSON text (one document and a newline).
pub fn listing(listing: &Listing) -> String {
    to_text(&JsonListing {
        version: SCHEMA_VERSION,
        remembered: listing.remembered,
        connections: listing.entries.iter().map(JsonConnection::from).collect(),
    })
}

/// The detail as JSON text.
pub fn detail(detail: &ConnectionDetail) -> String {
    to_text(&JsonDetail {
        version: SCHEMA_VERSION,
        connection: JsonConnection::from(&detail.entry),
        resource_type: resource_type(detail.entry.local),
        connections: detail.connections,
    })
}
