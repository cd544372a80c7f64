//! The client side of one SESSION_SETUP exchange with Kerberos inside SPNEGO.
//!
//! The Kerberos work (tickets, AP-REQ, AP-REP, keys) is the system GSSAPI's ([`super::gss`]);
//! this type only wraps its tokens in SPNEGO and checks what the server says back.

use super::AuthError;
use super::gss::{Context, GssError, KRB5_MECH, MS_KRB5_MECH};
use super::spnego::{self, NegState, Oid};

/// Drives SPNEGO + Kerberos for one SESSION_SETUP exchange.
///
/// 1. [`step`](Self::step) with the NEGOTIATE response's buffer → a `NegTokenInit` offering
///    Kerberos with the AP-REQ as its optimistic token.
/// 2. Usually the server answers `SUCCESS` with the AP-REP: [`finish`](Self::finish) checks it
///    (mutual authentication) and the server's mechListMIC, if any. A server that answers
///    `MORE_PROCESSING_REQUIRED` gets further [`step`](Self::step)s.
/// 3. [`session_key`](Self::session_key): the GSS session key (the acceptor's subkey).
#[derive(Debug)]
pub struct KerberosAuthenticator {
    context: Context,
    started: bool,
}

/// The error of a Kerberos step: the protocol's (malformed, rejected) or the library's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KerberosError {
    /// A SPNEGO-level failure.
    Auth(AuthError),
    /// GSSAPI's own failure, classified.
    Gss(GssError),
}

impl From<AuthError> for KerberosError {
    fn from(e: AuthError) -> Self {
        KerberosError::Auth(e)
    }
}

impl From<GssError> for KerberosError {
    fn from(e: GssError) -> Self {
        KerberosError::Gss(e)
    }
}

impl std::fmt::Display for KerberosError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KerberosError::Auth(e) => e.fmt(f),
            KerberosError::Gss(e) => e.fmt(f),
        }
    }
}

/// The mechanism list this client offers (and over which a mechListMIC is computed).
fn offered() -> Vec<Oid> {
    vec![Oid::from_der_content(KRB5_MECH)]
}

/// True if `oid` is Kerberos 5 (the standard OID or Microsoft's legacy one).
pub fn is_kerberos(oid: &Oid) -> bool {
    oid.as_der_content() == KRB5_MECH || oid.as_der_content() == MS_KRB5_MECH
}

impl KerberosAuthenticator {
    /// An exchange over an initiator context (see [`Context::new`]).
    pub fn new(context: Context) -> Self {
        KerberosAuthenticator {
            context,
            started: false,
        }
    }

    /// The client principal.
    pub fn principal(&self) -> &str {
        self.context.principal()
    }

    /// The next token to send, given the server's last one.
    ///
    /// # Errors
    /// [`KerberosError::Gss`] for the library's refusals (unknown service principal, clock
    /// skew, expired ticket, a bad AP-REP); [`KerberosError::Auth`] for a server that rejects
    /// or picks another mechanism.
    pub fn step(&mut self, server_token: &[u8]) -> Result<Vec<u8>, KerberosError> {
        if !self.started {
            self.started = true;
            let first = self.context.step(&[])?;
            return Ok(spnego::init_token_for(&offered(), &first.token));
        }
        let resp = self.server_answer(server_token)?;
        let token = match resp.response_token {
            Some(t) => self.context.step(&t)?.token,
            None => Vec::new(),
        };
        Ok(spnego::resp_token(&token, None))
    }

    fn server_answer(&self, server_token: &[u8]) -> Result<spnego::NegTokenResp, KerberosError> {
        let resp = spnego::parse_resp(server_token)?;
        if resp.neg_state == Some(NegState::Reject) {
            return Err(AuthError::Rejected.into());
        }
        if resp
            .supported_mech
            .as_ref()
            .is_some_and(|m| !is_kerberos(m))
        {
            return Err(AuthError::MechanismNotSupported.into());
        }
        Ok(resp)
    }

    /// Checks the server's final token: its AP-REP completes the context (proving the
    /// server's identity), and a mechListMIC, if sent, verifies.
    ///
    /// # Errors
    /// As [`step`](Self::step); [`AuthError::BadServerMic`]; an error if the context is not
    /// complete afterwards (a server that skipped mutual authentication).
    pub fn finish(&mut self, server_token: &[u8]) -> Result<(), KerberosError> {
        if !server_token.is_empty() {
            let resp = self.server_answer(server_token)?;
            if let Some(t) = resp.response_token {
                self.context.step(&t)?;
            }
            if let Some(mic) = resp.mech_list_mic
                && !self
                    .context
                    .verify_mic(&spnego::mech_type_list(&offered()), &mic)
            {
                return Err(AuthError::BadServerMic.into());
            }
        }
        if self.context.session_key().is_none() {
            return Err(AuthError::InvalidState(
                "the server completed the session without proving its identity (no AP-REP)",
            )
            .into());
        }
        Ok(())
    }

    /// The session key, once [`finish`](Self::finish) succeeded.
    pub fn session_key(&self) -> Option<Vec<u8>> {
        self.context.session_key()
    }
}
