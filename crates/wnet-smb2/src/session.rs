//! An authenticated SMB2 session on its own connection: negotiate, SESSION_SETUP loop with the
//! pre-authentication hash, key derivation, signing and encryption.

use crate::client::ClientConfig;
use crate::conn::{CallOptions, ConnConfig, Connection, SessionSecurity};
use crate::crypto::encryption::CipherId;
use crate::crypto::kdf::{self, KeySchedule};
use crate::crypto::preauth::{self, PreauthHash};
use crate::crypto::signing::SigningAlgo;
use crate::error::{Error, Result};
use crate::msg::negotiate::{
    self, Dialect, NegotiateContext, NegotiateRequest, NegotiateResponse, caps, cipher,
    signing_algo,
};
use crate::msg::session_setup::{SessionSetupRequest, SessionSetupResponse, session_flags};
use crate::msg::tree_connect::{SHARE_FLAG_ENCRYPT_DATA, TreeConnectRequest, TreeConnectResponse};
use crate::msg::{Command, Header, HeaderFlags, Request, Response};
use crate::security::{KeyCipher, KeySigner};
use crate::status::NtStatus;
use crate::tree::Tree;
use std::sync::Arc;
use std::time::Duration;

/// One GSS-style authentication exchange (NTLM inside SPNEGO).
pub trait Authenticator: Send {
    /// The next token to send, given the server's last token: the NEGOTIATE response's
    /// security buffer first, then each SESSION_SETUP response's.
    fn step(&mut self, server_token: &[u8]) -> Result<Vec<u8>>;
    /// The session key, once the exchange has produced one.
    fn session_key(&self) -> Option<Vec<u8>>;
    /// Whether the server's final token (in the SUCCESS response) checks out.
    fn finish(&mut self, _server_token: &[u8]) -> Result<()> {
        Ok(())
    }
}

/// What NEGOTIATE settled for the connection.
#[derive(Debug, Clone)]
pub struct Negotiated {
    /// The dialect.
    pub dialect: Dialect,
    /// Server capabilities.
    pub capabilities: u32,
    /// Largest read.
    pub max_read: u32,
    /// Largest write.
    pub max_write: u32,
    /// Largest transact (ioctl, query).
    pub max_transact: u32,
    /// The server requires signing.
    pub signing_required: bool,
    /// The cipher for encryption, if any.
    pub cipher: Option<CipherId>,
    /// The signing algorithm.
    pub signing: SigningAlgo,
    /// The server's GUID.
    pub server_guid: [u8; 16],
}

pub(crate) struct SessionInner {
    pub(crate) conn: Connection,
    pub(crate) id: u64,
    pub(crate) negotiated: Negotiated,
    pub(crate) config: ClientConfig,
    pub(crate) encrypt: bool,
    pub(crate) guest: bool,
    pub(crate) application_key: Option<crate::crypto::Secret<[u8; 16]>>,
}

/// An authenticated session. Cheap to clone; all clones share the connection.
#[derive(Clone)]
pub struct Session {
    pub(crate) inner: Arc<SessionInner>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("id", &format_args!("{:#x}", self.inner.id))
            .field("dialect", &self.inner.negotiated.dialect)
            .field("encrypt", &self.inner.encrypt)
            .finish()
    }
}

/// Checks a response header: an error status becomes [`Error::Status`].
pub(crate) fn check_status(msg: &[u8]) -> Result<Header> {
    let h = Header::decode(msg)?;
    if h.status.is_error() {
        return Err(Error::Status {
            status: h.status,
            command: h.command,
        });
    }
    Ok(h)
}

/// Builds a whole request message for `session_id`/`tree_id`.
pub(crate) fn build<R: Request>(session_id: u64, tree_id: u32, req: &R, related: bool) -> Vec<u8> {
    let mut h = Header::request(R::COMMAND);
    h.session_id = session_id;
    h.tree_id = tree_id;
    if related {
        h.flags.0 |= HeaderFlags::RELATED_OPERATIONS;
    }
    let mut m = Vec::with_capacity(256);
    h.encode(&mut m);
    req.encode_body(&mut m);
    m
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    // Without randomness a client GUID or salt is merely less unique: not fatal.
    let _ = crate::crypto::fill_random(&mut b);
    b
}

async fn negotiate(
    conn: &Connection,
    cfg: &ClientConfig,
) -> Result<(Negotiated, PreauthHash, Vec<u8>)> {
    let req = NegotiateRequest {
        security_mode: negotiate::SIGNING_ENABLED,
        capabilities: caps::LARGE_MTU | caps::LEASING | caps::ENCRYPTION,
        client_guid: random_bytes(),
        dialects: vec![
            Dialect::SMB21,
            Dialect::SMB30,
            Dialect::SMB302,
            Dialect::SMB311,
        ],
        contexts: vec![
            NegotiateContext::PreauthIntegrity {
                hashes: vec![negotiate::HASH_SHA512],
                salt: random_bytes::<32>().to_vec(),
            },
            NegotiateContext::Encryption(vec![
                cipher::AES_128_GCM,
                cipher::AES_128_CCM,
                cipher::AES_256_GCM,
                cipher::AES_256_CCM,
            ]),
            NegotiateContext::Signing(vec![
                signing_algo::AES_GMAC,
                signing_algo::AES_CMAC,
                signing_algo::HMAC_SHA256,
            ]),
        ],
    };
    let opts = CallOptions {
        timeout: cfg.timeouts.metadata,
        encrypt: false,
    };
    let (sent, resp) = conn
        .call_keep_sent(build(0, 0, &req, false), 0, opts)
        .await?;
    check_status(&resp)?;
    let r = NegotiateResponse::decode(&resp)?;
    let mut hash = preauth::initial();
    if r.dialect == Dialect::SMB311 {
        preauth::update(&mut hash, &sent);
        preauth::update(&mut hash, &resp);
    }
    let dialect = r.dialect;
    if ![
        Dialect::SMB21,
        Dialect::SMB30,
        Dialect::SMB302,
        Dialect::SMB311,
    ]
    .contains(&dialect)
    {
        return Err(Error::Protocol(crate::msg::DecodeError(
            "server chose a dialect we did not offer",
        )));
    }
    let cipher = if dialect == Dialect::SMB311 {
        r.cipher().and_then(CipherId::from_wire)
    } else if dialect.is_smb3() && r.capabilities & caps::ENCRYPTION != 0 {
        Some(CipherId::Aes128Ccm)
    } else {
        None
    };
    let signing = if dialect == Dialect::SMB311 {
        r.signing_algorithm()
            .and_then(SigningAlgo::from_wire)
            .unwrap_or(SigningAlgo::AesCmac)
    } else if dialect.is_smb3() {
        SigningAlgo::AesCmac
    } else {
        SigningAlgo::HmacSha256
    };
    conn.set_multi_credit(r.capabilities & caps::LARGE_MTU != 0);
    let n = Negotiated {
        dialect,
        capabilities: r.capabilities,
        max_read: r.max_read_size,
        max_write: r.max_write_size,
        max_transact: r.max_transact_size,
        signing_required: r.security_mode & negotiate::SIGNING_REQUIRED != 0,
        cipher,
        signing,
        server_guid: r.server_guid,
    };
    Ok((n, hash, r.security_buffer))
}

impl Authenticator for crate::auth::NtlmAuthenticator {
    fn step(&mut self, server_token: &[u8]) -> Result<Vec<u8>> {
        crate::auth::NtlmAuthenticator::step(self, server_token)
            .map_err(|e| Error::Auth(e.to_string()))
    }

    fn session_key(&self) -> Option<Vec<u8>> {
        crate::auth::NtlmAuthenticator::session_key(self).map(|k| k.expose().to_vec())
    }

    fn finish(&mut self, server_token: &[u8]) -> Result<()> {
        crate::auth::NtlmAuthenticator::finish(self, server_token)
            .map_err(|e| Error::Auth(e.to_string()))
    }
}

impl Session {
    /// Connects, negotiates and authenticates with NTLMv2 (in SPNEGO) as `cfg.user`
    /// (anonymous when user and password are empty).
    ///
    /// Errors: transport errors and [`Error::Timeout`] (temporary); a rejected password is
    /// [`Error::Status`] with [`NtStatus::LOGON_FAILURE`].
    pub async fn connect(cfg: ClientConfig) -> Result<Session> {
        let creds = crate::auth::ntlm::NtlmCredentials::new(
            cfg.user.clone(),
            cfg.domain.clone(),
            cfg.password.expose().clone(),
        );
        let auth = crate::auth::NtlmAuthenticator::new(creds);
        Session::connect_with(cfg, Box::new(auth)).await
    }

    /// Connects, negotiates and authenticates with `auth`.
    ///
    /// Errors: transport errors and [`Error::Timeout`] (temporary); a rejected password is
    /// [`Error::Status`] with [`NtStatus::LOGON_FAILURE`].
    pub async fn connect_with(
        cfg: ClientConfig,
        mut auth: Box<dyn Authenticator>,
    ) -> Result<Session> {
        let (r, w) = crate::transport::connect(&cfg.host, cfg.port, cfg.timeouts.connect).await?;
        let conn = Connection::new(r, w, ConnConfig::default());
        let (neg, conn_hash, init_token) = negotiate(&conn, &cfg).await?;
        let opts = CallOptions {
            timeout: cfg.timeouts.metadata,
            encrypt: false,
        };
        let mut hash = conn_hash;
        let mut session_id = 0u64;
        let mut token = auth.step(&init_token)?;
        let (final_msg, flags) = loop {
            let req = SessionSetupRequest {
                flags: 0,
                security_mode: if cfg.require_signing { 2 } else { 1 },
                capabilities: 0,
                previous_session_id: 0,
                security_buffer: std::mem::take(&mut token),
            };
            let (sent, resp) = conn
                .call_keep_sent(build(session_id, 0, &req, false), 0, opts)
                .await?;
            if neg.dialect == Dialect::SMB311 {
                preauth::update(&mut hash, &sent);
            }
            let h = Header::decode(&resp)?;
            match h.status {
                NtStatus::MORE_PROCESSING_REQUIRED => {
                    if neg.dialect == Dialect::SMB311 {
                        preauth::update(&mut hash, &resp);
                    }
                    session_id = h.session_id;
                    let r = SessionSetupResponse::decode(&resp)?;
                    token = auth.step(&r.security_buffer)?;
                }
                NtStatus::SUCCESS => {
                    session_id = h.session_id;
                    let r = SessionSetupResponse::decode(&resp)?;
                    auth.finish(&r.security_buffer)?;
                    break (resp, r.session_flags);
                }
                status => {
                    return Err(Error::Status {
                        status,
                        command: Command::SessionSetup,
                    });
                }
            }
        };
        let guest = flags & (session_flags::IS_GUEST | session_flags::IS_NULL) != 0;
        let mut security = SessionSecurity::default();
        let mut application_key = None;
        let mut encrypt = false;
        if !guest {
            let key = auth
                .session_key()
                .ok_or_else(|| Error::Auth("no session key".into()))?;
            let schedule = match neg.dialect {
                Dialect::SMB311 => KeySchedule::Smb311 {
                    preauth_hash: &hash,
                },
                d if d.is_smb3() => KeySchedule::Smb30,
                _ => KeySchedule::Smb2,
            };
            let keys = kdf::derive_session_keys(schedule, &key, neg.cipher);
            let signer = Arc::new(KeySigner::new(keys.signing.clone(), neg.signing));
            // The final SESSION_SETUP response is signed with the new key: check it.
            let mut fm = final_msg;
            let fh = Header::decode(&fm)?;
            if fh.flags.has(HeaderFlags::SIGNED) {
                if !crate::conn::Signer::verify(signer.as_ref(), &mut fm) {
                    return Err(Error::BadSignature);
                }
            } else if cfg.require_signing {
                return Err(Error::BadSignature);
            }
            encrypt = cfg.require_encryption || flags & session_flags::ENCRYPT_DATA != 0;
            if let Some(c) = neg.cipher {
                security.cipher = Some(Arc::new(KeyCipher::new(
                    c,
                    keys.encryption.clone(),
                    keys.decryption.clone(),
                )));
            } else if encrypt {
                return Err(Error::Auth(
                    "encryption required but the server offers no cipher".into(),
                ));
            }
            security.signer = Some(signer);
            security.encrypt_all = encrypt;
            application_key = Some(keys.application.clone());
        } else if cfg.require_signing {
            return Err(Error::Auth(
                "server made us a guest; signing is impossible".into(),
            ));
        }
        conn.set_session_security(session_id, security);
        Ok(Session {
            inner: Arc::new(SessionInner {
                conn,
                id: session_id,
                negotiated: neg,
                config: cfg,
                encrypt,
                guest,
                application_key,
            }),
        })
    }

    /// The SessionId.
    pub fn id(&self) -> u64 {
        self.inner.id
    }

    /// What NEGOTIATE settled.
    pub fn negotiated(&self) -> &Negotiated {
        &self.inner.negotiated
    }

    /// Whether every request of this session is encrypted.
    pub fn is_encrypted(&self) -> bool {
        self.inner.encrypt
    }

    /// Whether the server made this a guest/anonymous session.
    pub fn is_guest(&self) -> bool {
        self.inner.guest
    }

    /// The connection (credit stats, liveness).
    pub fn connection(&self) -> &Connection {
        &self.inner.conn
    }

    /// The configuration this session was made with.
    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    /// The application key (for DCE/RPC over named pipes).
    pub fn application_key(&self) -> Option<&[u8; 16]> {
        self.inner.application_key.as_ref().map(|k| k.expose())
    }

    pub(crate) fn opts(&self, timeout: Duration, encrypt: bool) -> CallOptions {
        CallOptions {
            timeout,
            encrypt: encrypt || self.inner.encrypt,
        }
    }

    /// Connects to `share` (a name, or a full `\\server\share`).
    ///
    /// Errors: [`NtStatus::BAD_NETWORK_NAME`] for a missing share, [`NtStatus::ACCESS_DENIED`].
    pub async fn tree_connect(&self, share: &str) -> Result<Tree> {
        let path = if share.starts_with("\\\\") {
            share.to_string()
        } else {
            format!("\\\\{}\\{}", self.inner.config.host, share)
        };
        let req = TreeConnectRequest { path };
        let msg = build(self.inner.id, 0, &req, false);
        let resp = self
            .inner
            .conn
            .call(
                msg,
                0,
                self.opts(self.inner.config.timeouts.metadata, false),
            )
            .await?;
        let h = check_status(&resp)?;
        let r = TreeConnectResponse::decode(&resp)?;
        let encrypt = r.share_flags & SHARE_FLAG_ENCRYPT_DATA != 0;
        if encrypt && self.inner.negotiated.cipher.is_none() {
            return Err(Error::Auth(
                "share requires encryption; no cipher negotiated".into(),
            ));
        }
        Ok(Tree::new(
            self.clone(),
            h.tree_id,
            share.to_string(),
            r,
            encrypt,
        ))
    }

    /// Sends an ECHO (keep-alive) and waits for the answer.
    pub async fn echo(&self) -> Result<Duration> {
        let t = std::time::Instant::now();
        let msg = build(self.inner.id, 0, &crate::msg::echo::EchoRequest, false);
        let resp = self
            .inner
            .conn
            .call(
                msg,
                0,
                self.opts(self.inner.config.timeouts.metadata, false),
            )
            .await?;
        check_status(&resp)?;
        Ok(t.elapsed())
    }

    /// Logs off (the connection closes when the last clone of this session drops).
    pub async fn logoff(&self) -> Result<()> {
        let msg = build(self.inner.id, 0, &crate::msg::logoff::LogoffRequest, false);
        let resp = self
            .inner
            .conn
            .call(
                msg,
                0,
                self.opts(self.inner.config.timeouts.metadata, false),
            )
            .await?;
        check_status(&resp)?;
        self.inner.conn.remove_session(self.inner.id);
        Ok(())
    }
}
