//! Which authentication mechanism a session uses: Kerberos when a ticket (or a Kerberos
//! password) can be had and the server takes it, NTLMv2 otherwise.
//!
//! The rule, as Windows' redirector applies it (and issue 13 states it):
//! * a server written as an IP address or `localhost` is NTLM's: there is no service
//!   principal for it;
//! * a user name with a password: a ticket is got with that password first;
//!   with no password: the caller's credentials cache ([`KerberosConfig::ccache`]);
//! * NTLM is tried only when no Kerberos credentials could be had at all (and the server
//!   offers NTLM): once a ticket or a password's ticket exists, a Kerberos failure is the
//!   answer, never an NTLM attempt.

use std::net::IpAddr;

use crate::auth::gss::{self, Context, Credentials, GssError, GssErrorKind};
use crate::auth::kerberos::{KerberosAuthenticator, KerberosError, is_kerberos};
use crate::auth::ntlm::NtlmCredentials;
use crate::auth::{NtlmAuthenticator, spnego};
use crate::client::ClientConfig;
use crate::error::{Error, Result};
use crate::session::Authenticator;

/// The mechanism a session authenticated with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mechanism {
    /// Kerberos 5 (in SPNEGO).
    Kerberos,
    /// NTLMv2 (in SPNEGO).
    Ntlm,
}

impl std::fmt::Display for Mechanism {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Mechanism::Kerberos => "Kerberos",
            Mechanism::Ntlm => "NTLMv2",
        })
    }
}

/// How a session may use Kerberos.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KerberosConfig {
    /// Never use Kerberos (NTLM only).
    pub disabled: bool,
    /// The caller's credentials cache (`KRB5CCNAME`); `None`: the library's default (the
    /// process's own environment).
    pub ccache: Option<String>,
}

/// True if `host` can have no Kerberos service principal: an IP address or `localhost`.
pub fn host_is_ntlm_only(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.parse::<IpAddr>().is_ok() || bare.eq_ignore_ascii_case("localhost")
}

/// The Kerberos principal for a user name as given (in `user`, or split into `user` and
/// `domain`): `alice@corp.test` → `alice@CORP.TEST` (realms are upper case),
/// `CORP.TEST\\alice` → `alice@CORP.TEST`, `CORP\\alice` and `alice` → `alice` (the default
/// realm of krb5.conf: a NetBIOS domain name is not a realm).
pub fn principal_for(user: &str, domain: &str) -> String {
    let (user, domain) = if let Some((d, u)) = user.split_once('\\') {
        (u, d)
    } else if let Some((u, d)) = user.rsplit_once('@') {
        (u, d)
    } else {
        (user, domain)
    };
    if domain.contains('.') {
        format!("{user}@{}", domain.to_ascii_uppercase())
    } else {
        user.to_owned()
    }
}

/// Chooses the mechanism at the first step and then drives it.
pub(crate) struct Negotiator {
    cfg: NegotiatorConfig,
    chosen: Option<Chosen>,
    /// Why Kerberos could not be used, when NTLM stands in.
    kerberos_failure: Option<GssError>,
}

struct NegotiatorConfig {
    host: String,
    user: String,
    domain: String,
    password: crate::crypto::Secret<String>,
    kerberos: KerberosConfig,
}

enum Chosen {
    Kerberos(Box<KerberosAuthenticator>),
    Ntlm(Box<NtlmAuthenticator>),
}

impl Negotiator {
    pub(crate) fn new(cfg: &ClientConfig) -> Negotiator {
        Negotiator {
            cfg: NegotiatorConfig {
                host: cfg.host.clone(),
                user: cfg.user.clone(),
                domain: cfg.domain.clone(),
                password: cfg.password.clone(),
                kerberos: cfg.kerberos.clone(),
            },
            chosen: None,
            kerberos_failure: None,
        }
    }

    fn ntlm(&self) -> NtlmAuthenticator {
        NtlmAuthenticator::new(NtlmCredentials::new(
            self.cfg.user.clone(),
            self.cfg.domain.clone(),
            self.cfg.password.expose().clone(),
        ))
    }

    /// Kerberos credentials for this session, if Kerberos applies at all: `Ok(None)` when it
    /// does not (disabled, an address, the server does not take it).
    fn kerberos_credentials(
        &self,
        server_token: &[u8],
    ) -> std::result::Result<Option<Credentials>, GssError> {
        let k = &self.cfg.kerberos;
        if k.disabled || host_is_ntlm_only(&self.cfg.host) || !gss::available() {
            return Ok(None);
        }
        // An empty or unparsable NEGOTIATE buffer is "no preference"; a list without
        // Kerberos means the server does not take it.
        if !server_token.is_empty()
            && let Ok(init) = spnego::parse_init(server_token)
            && !init.mech_types.is_empty()
            && !init.mech_types.iter().any(is_kerberos)
        {
            return Ok(None);
        }
        let password = self.cfg.password.expose();
        if !self.cfg.user.is_empty() && !password.is_empty() {
            let principal = principal_for(&self.cfg.user, &self.cfg.domain);
            return Credentials::from_password(&principal, password).map(Some);
        }
        Credentials::from_ccache(k.ccache.as_deref()).map(Some)
    }

    fn first_step(&mut self, server_token: &[u8]) -> Result<Vec<u8>> {
        let offers_ntlm = server_token.is_empty()
            || spnego::parse_init(server_token)
                .map(|i| i.mech_types.is_empty() || i.offers_ntlmssp())
                .unwrap_or(true);
        match self.kerberos_credentials(server_token) {
            Ok(Some(creds)) => {
                let principal = creds.principal().to_owned();
                let context =
                    Context::new(creds, "cifs", &self.cfg.host).map_err(Error::Kerberos)?;
                let mut k = KerberosAuthenticator::new(context);
                let token = k.step(server_token).map_err(kerberos_error)?;
                tracing::debug!(%principal, host = %self.cfg.host, "authenticating with Kerberos");
                self.chosen = Some(Chosen::Kerberos(Box::new(k)));
                Ok(token)
            }
            Ok(None) => self.start_ntlm(server_token),
            Err(e) if offers_ntlm => {
                tracing::debug!(host = %self.cfg.host, "no Kerberos credentials ({e}); using NTLM");
                if !matches!(
                    e.kind,
                    GssErrorKind::NoCredentials | GssErrorKind::Unavailable
                ) {
                    self.kerberos_failure = Some(e);
                }
                self.start_ntlm(server_token)
            }
            Err(e) => Err(Error::Kerberos(e)),
        }
    }

    fn start_ntlm(&mut self, server_token: &[u8]) -> Result<Vec<u8>> {
        let mut n = self.ntlm();
        let token = n
            .step(server_token)
            .map_err(|e| Error::Auth(e.to_string()))?;
        self.chosen = Some(Chosen::Ntlm(Box::new(n)));
        Ok(token)
    }
}

fn kerberos_error(e: KerberosError) -> Error {
    match e {
        KerberosError::Gss(g) => Error::Kerberos(g),
        KerberosError::Auth(a) => Error::Auth(a.to_string()),
    }
}

impl Authenticator for Negotiator {
    fn step(&mut self, server_token: &[u8]) -> Result<Vec<u8>> {
        match &mut self.chosen {
            None => self.first_step(server_token),
            Some(Chosen::Kerberos(k)) => k.step(server_token).map_err(kerberos_error),
            Some(Chosen::Ntlm(n)) => n.step(server_token).map_err(|e| Error::Auth(e.to_string())),
        }
    }

    fn session_key(&self) -> Option<Vec<u8>> {
        match &self.chosen {
            None => None,
            Some(Chosen::Kerberos(k)) => k.session_key(),
            Some(Chosen::Ntlm(n)) => n.session_key().map(|k| k.expose().to_vec()),
        }
    }

    fn finish(&mut self, server_token: &[u8]) -> Result<()> {
        match &mut self.chosen {
            None => Err(Error::Auth("finish before the first token".into())),
            Some(Chosen::Kerberos(k)) => k.finish(server_token).map_err(kerberos_error),
            Some(Chosen::Ntlm(n)) => n
                .finish(server_token)
                .map_err(|e| Error::Auth(e.to_string())),
        }
    }

    fn fallback_reason(&self) -> Option<GssError> {
        self.kerberos_failure.clone()
    }

    fn mechanism(&self) -> Option<(Mechanism, String)> {
        match &self.chosen {
            None => None,
            Some(Chosen::Kerberos(k)) => Some((Mechanism::Kerberos, k.principal().to_owned())),
            Some(Chosen::Ntlm(_)) => {
                let who = if self.cfg.domain.is_empty() {
                    self.cfg.user.clone()
                } else {
                    format!("{}\\{}", self.cfg.domain, self.cfg.user)
                };
                Some((Mechanism::Ntlm, who))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_localhost_are_ntlm_only() {
        for h in [
            "127.0.0.1",
            "::1",
            "[::1]",
            "localhost",
            "LocalHost",
            "10.1.2.3",
        ] {
            assert!(host_is_ntlm_only(h), "{h}");
        }
        for h in ["fs", "fs.corp.test", "localhost.corp", "127.0.0.1.nip"] {
            assert!(!host_is_ntlm_only(h), "{h}");
        }
    }

    #[test]
    fn principals_from_user_forms() {
        assert_eq!(principal_for("alice", "corp.test"), "alice@CORP.TEST");
        assert_eq!(principal_for("alice", "CORP"), "alice");
        assert_eq!(principal_for("alice", ""), "alice");
        assert_eq!(principal_for("alice@corp.test", ""), "alice@CORP.TEST");
        assert_eq!(principal_for(r"corp.test\alice", ""), "alice@CORP.TEST");
        assert_eq!(principal_for(r"CORP\alice", ""), "alice");
    }

    #[test]
    fn an_address_never_tries_kerberos() {
        let mut cfg = ClientConfig::new("127.0.0.1", "", "");
        cfg.kerberos.ccache = Some("FILE:/nonexistent".into());
        let mut n = Negotiator::new(&cfg);
        let token = n.step(&[]).unwrap();
        assert!(spnego::parse_init(&token).unwrap().offers_ntlmssp());
        assert_eq!(n.mechanism().unwrap().0, Mechanism::Ntlm);
    }
}
