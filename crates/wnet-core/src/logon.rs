//! Who a connection is logged on as: the caller's Kerberos credentials cache, and the
//! mechanism and name a session authenticated with.

use serde::{Deserialize, Serialize};

/// A Kerberos credentials cache name, as in `KRB5CCNAME` (`FILE:/tmp/krb5cc_1000`,
/// `KEYRING:persistent:1000`, `KCM:`, `DIR:...`).
///
/// The daemon is long-lived and shared by every login of its user, so each request carries
/// the **calling** process's cache: a daemon started before `kinit`, or from another login,
/// still uses the tickets of whoever asks.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CredentialsCache(String);

impl CredentialsCache {
    /// A cache name; `None` for an empty one (no cache named).
    pub fn new(name: impl Into<String>) -> Option<CredentialsCache> {
        let name = name.into();
        (!name.is_empty()).then_some(CredentialsCache(name))
    }

    /// The calling process's own cache (`KRB5CCNAME`), if it names one.
    pub fn from_env() -> Option<CredentialsCache> {
        std::env::var("KRB5CCNAME")
            .ok()
            .and_then(CredentialsCache::new)
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for CredentialsCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// How a live connection's session authenticated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Logon {
    /// `Kerberos` or `NTLMv2`.
    pub mechanism: String,
    /// The authenticated name: a Kerberos principal (`alice@CORP.TEST`), or the NTLM user
    /// (`DOMAIN\user`).
    pub principal: String,
}

impl Logon {
    /// The user name as `WNetGetUser` gives it on Windows, `DOMAIN\user`: for a Kerberos
    /// principal `alice@CORP.TEST`, the realm's first label stands for the NetBIOS domain
    /// (`CORP\alice`), which is how Active Directory names domains by default.
    pub fn windows_user(&self) -> String {
        match self.principal.rsplit_once('@') {
            Some((user, realm)) => {
                let domain = realm.split('.').next().unwrap_or(realm);
                format!("{}\\{user}", domain.to_ascii_uppercase())
            }
            None => self.principal.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_user_names() {
        let k = Logon {
            mechanism: "Kerberos".into(),
            principal: "alice@CORP.TEST".into(),
        };
        assert_eq!(k.windows_user(), r"CORP\alice");
        let n = Logon {
            mechanism: "NTLMv2".into(),
            principal: r"DOM\bob".into(),
        };
        assert_eq!(n.windows_user(), r"DOM\bob");
        assert_eq!(CredentialsCache::new(""), None);
    }
}
