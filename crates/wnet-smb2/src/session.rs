//! An authenticated SMB2 session on its own connection: negotiate, SESSION_SETUP loop with the
//! pre-authentication hash, key derivation, signing and encryption.

use crate::client::ClientConfig;
use crate::conn::{CallOptions, ConnConfig, Connection, SessionSecurity};
use crate::crypto::encryption::CipherId;
use crate::crypto::kdf::{self, KeySchedule};
use crate::crypto::preauth::{self, PreauthHash};
use crate::crypto::signing::SigningAlgo;
use crate::error::{Error, Result};
use crate::lease_keys::{LeaseKey, LeaseKeys, LeaseListener};
use crate::mechanism::Mechanism;
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

/// One GSS-style authentication exchange (NTLM or Kerberos inside SPNEGO).
///
/// Its calls may block (Kerberos asks the KDC): the engine runs them on a blocking thread.
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
    /// The mechanism used and who it authenticated (a principal or `DOMAIN\\user`), once
    /// chosen.
    fn mechanism(&self) -> Option<(crate::mechanism::Mechanism, String)> {
        None
    }
    /// Why Kerberos was not used, when NTLM stands in for it after a Kerberos failure that is
    /// more telling than NTLM's refusal would be (not for "no ticket at all").
    fn fallback_reason(&self) -> Option<crate::auth::gss::GssError> {
        None
    }
}

/// Statuses by which a server refuses a logon (where a Kerberos reason explains more).
fn refused_logon(status: NtStatus) -> bool {
    matches!(
        status,
        NtStatus::LOGON_FAILURE | NtStatus::ACCESS_DENIED | NtStatus(0xC000_0418) // NTLM_BLOCKED
    )
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
    /// The SecurityMode of the server's NEGOTIATE response (checked again on 3.0/3.0.2).
    pub security_mode: u16,
    /// The cipher for encryption, if any.
    pub cipher: Option<CipherId>,
    /// The signing algorithm.
    pub signing: SigningAlgo,
    /// The server's GUID.
    pub server_guid: [u8; 16],
}

/// One established connection + session: replaced as a whole by a reconnect.
pub(crate) struct Live {
    pub(crate) conn: Connection,
    pub(crate) id: u64,
    pub(crate) negotiated: Negotiated,
    pub(crate) encrypt: bool,
    pub(crate) guest: bool,
    pub(crate) application_key: Option<crate::crypto::Secret<[u8; 16]>>,
    /// The mechanism and the authenticated name, as the authenticator reported them.
    pub(crate) mechanism: Option<(crate::mechanism::Mechanism, String)>,
    /// Counts reconnects: trees and handles compare it to know they must be re-established.
    pub(crate) generation: u64,
    /// Some TreeId connected on this session (break acknowledgments need one).
    pub(crate) any_tree: Arc<std::sync::atomic::AtomicU32>,
}

impl Live {
    /// Whether the session authenticated with Kerberos.
    fn is_kerberos(&self) -> bool {
        matches!(self.mechanism, Some((Mechanism::Kerberos, _)))
    }
}

/// Makes a fresh authenticator for each (re)connect.
pub type AuthFactory = Arc<dyn Fn() -> Box<dyn Authenticator> + Send + Sync>;

pub(crate) struct SessionInner {
    pub(crate) config: ClientConfig,
    live: std::sync::RwLock<Arc<Live>>,
    reconnecting: tokio::sync::Mutex<()>,
    auth: AuthFactory,
    /// Stable across reconnects: leases (and so durable handles) belong to a ClientGuid.
    client_guid: [u8; 16],
    /// The lease keys asked for; breaks for other keys are dropped.
    pub(crate) leases: Arc<LeaseKeys>,
}

/// An authenticated session. Cheap to clone; all clones share the connection. When the
/// connection is lost, the next operation reconnects (with bounded backoff), authenticates
/// again and re-establishes trees and durable handles on demand.
#[derive(Clone)]
pub struct Session {
    pub(crate) inner: Arc<SessionInner>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let l = self.live();
        f.debug_struct("Session")
            .field("id", &format_args!("{:#x}", l.id))
            .field("dialect", &l.negotiated.dialect)
            .field("encrypt", &l.encrypt)
            .field("generation", &l.generation)
            .finish()
    }
}

/// Whether a failed reconnect attempt should be tried again: everything but a definite
/// refusal of the credentials (a restarting server may answer oddly for a moment). A Kerberos
/// failure is definite unless the KDC could not be reached: an expired ticket stays expired
/// until the user runs `kinit`, so retrying it until the reconnect deadline would only hold
/// the caller (the next call, after `kinit`, reconnects afresh).
fn worth_retrying(e: &Error) -> bool {
    if let Error::Kerberos(k) = e {
        return k.kind == crate::auth::gss::GssErrorKind::KdcUnreachable;
    }
    !e.status().is_some_and(NtStatus::is_logon_refused)
        && !matches!(e, Error::Auth(_) | Error::BadSignature)
}

/// Whether `e` means the connection or session is gone, so a reconnect may help.
pub(crate) fn is_connection_lost(e: &Error) -> bool {
    match e {
        Error::Disconnected | Error::NotSent | Error::Io(_) => true,
        Error::Status { status, .. } => status.is_connection_lost(),
        _ => false,
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
    build_in(Vec::with_capacity(256), session_id, tree_id, req, related)
}

/// [`build`] into `buf` (its contents are discarded; e.g. a reused buffer from
/// [`Connection::message_buffer`]).
pub(crate) fn build_in<R: Request>(
    mut buf: Vec<u8>,
    session_id: u64,
    tree_id: u32,
    req: &R,
    related: bool,
) -> Vec<u8> {
    let mut h = Header::request(R::COMMAND);
    h.session_id = session_id;
    h.tree_id = tree_id;
    if related {
        h.flags.0 |= HeaderFlags::RELATED_OPERATIONS;
    }
    buf.clear();
    h.encode(&mut buf);
    req.encode_body(&mut buf);
    buf
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    // Without randomness a client GUID or salt is merely less unique: not fatal.
    let _ = crate::crypto::fill_random(&mut b);
    b
}

/// The dialects our NEGOTIATE offers.
const OFFERED_DIALECTS: [Dialect; 4] = [
    Dialect::SMB21,
    Dialect::SMB30,
    Dialect::SMB302,
    Dialect::SMB311,
];
/// The capabilities our NEGOTIATE announces.
const OFFERED_CAPABILITIES: u32 = caps::LARGE_MTU | caps::LEASING | caps::ENCRYPTION;
/// The SecurityMode our NEGOTIATE sends.
const OFFERED_SECURITY_MODE: u16 = negotiate::SIGNING_ENABLED;

async fn negotiate(
    conn: &Connection,
    cfg: &ClientConfig,
    client_guid: [u8; 16],
) -> Result<(Negotiated, PreauthHash, Vec<u8>)> {
    let req = NegotiateRequest {
        security_mode: OFFERED_SECURITY_MODE,
        capabilities: OFFERED_CAPABILITIES,
        client_guid,
        dialects: OFFERED_DIALECTS.to_vec(),
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
    if !OFFERED_DIALECTS.contains(&dialect) {
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
        security_mode: r.security_mode,
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

/// Acknowledges oplock and lease breaks on `conn` so the server never waits for us (without
/// an ack, a conflicting open by another client stalls for the server's break timeout). A
/// break of a lease with a listener ([`Session::listen_lease`]) is acknowledged once the
/// listener is done with it (bounded by [`LEASE_BREAK_PATIENCE`]).
/// Holds the connection weakly: it ends when the connection goes.
fn spawn_break_handler(
    conn: &Connection,
    session_id: u64,
    tree_id: Arc<std::sync::atomic::AtomicU32>,
    encrypt: bool,
    timeout: Duration,
    leases: Arc<LeaseKeys>,
) {
    use crate::lease_keys::{LeaseBreak, Route};
    use crate::msg::oplock_break::{
        BreakNotification, LEASE_BREAK_ACK_REQUIRED, LeaseBreakAck, OplockBreakAck,
    };
    let (tx, rx) = tokio::sync::mpsc::channel::<Vec<u8>>(crate::conn::NOTIFICATION_QUEUE);
    conn.set_notification_sink(tx);
    let weak = conn.downgrade();
    // Samba wants a valid TreeId on the acknowledgment; any tree of the session will do.
    let tree = move || tree_id.load(std::sync::atomic::Ordering::Relaxed);
    // What to wait for before the ack (the listener's word), and the ack.
    let ack_for = move |msg: Vec<u8>| match BreakNotification::decode(&msg) {
        Ok(BreakNotification::Lease {
            flags,
            key,
            current_state,
            new_state,
        }) => {
            let key = LeaseKey(key);
            let listener = match leases.route(&key) {
                Route::Unknown => {
                    tracing::debug!("dropping a break of a lease we never asked for");
                    return (None, None);
                }
                Route::Ack => None,
                Route::Listener(l) => Some(l),
            };
            let wait = listener.and_then(|l| {
                let (done, wait) = tokio::sync::oneshot::channel();
                let b = LeaseBreak {
                    key,
                    from: current_state,
                    to: new_state,
                    ack_required: flags & LEASE_BREAK_ACK_REQUIRED != 0,
                    _done: Some(done),
                };
                // A listener too far behind: the server is not kept waiting for it.
                l.try_send(b).ok().map(|_| wait)
            });
            let ack = (flags & LEASE_BREAK_ACK_REQUIRED != 0).then(|| {
                build(
                    session_id,
                    tree(),
                    &LeaseBreakAck {
                        key: key.0,
                        state: new_state,
                    },
                    false,
                )
            });
            (wait, ack)
        }
        Ok(BreakNotification::Oplock { level, file_id }) => (
            None,
            Some(build(
                session_id,
                tree(),
                &OplockBreakAck { level, file_id },
                false,
            )),
        ),
        Err(e) => {
            tracing::debug!("ignoring notification: {e}");
            (None, None)
        }
    };
    let messages =
        futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|m| (m, rx)) });
    // One task; a few breaks in flight at once (a slow ack or listener must not hold up the
    // next break), never more: while they are all busy the queue fills and a flooding server
    // is dropped.
    tokio::spawn(futures_util::StreamExt::for_each_concurrent(
        messages,
        BREAK_ACKS_IN_FLIGHT,
        move |msg| {
            let weak = weak.clone();
            let (wait, ack) = ack_for(msg);
            async move {
                if let Some(wait) = wait
                    && tokio::time::timeout(LEASE_BREAK_PATIENCE, wait)
                        .await
                        .is_err()
                {
                    tracing::warn!("a lease break listener is late; acknowledging anyway");
                }
                let (Some(ack), Some(conn)) = (ack, weak.upgrade()) else {
                    return;
                };
                let opts = CallOptions { timeout, encrypt };
                if let Err(e) = conn.call(ack, 0, opts).await {
                    tracing::debug!("break acknowledgment failed: {e}");
                }
            }
        },
    ));
}

/// How long a lease break's listener may take before the acknowledgment goes anyway: below
/// Samba's own break timeout (30 s, `OPLOCK_BREAK_TIMEOUT`), past which it acts without us.
pub const LEASE_BREAK_PATIENCE: Duration = Duration::from_secs(20);

/// Most SESSION_SETUP round trips of one logon (NTLM needs two).
const MAX_SETUP_ROUNDS: usize = 4;

/// Break acknowledgments in flight at once on one connection.
const BREAK_ACKS_IN_FLIGHT: usize = 8;

/// Connects, negotiates and authenticates: one [`Live`]. `kerberos_only`: the session being
/// replaced authenticated with Kerberos, so no other mechanism may stand in (an anonymous
/// NTLM logon in place of an expired ticket would change who the session is).
async fn establish(
    cfg: &ClientConfig,
    mut auth: Box<dyn Authenticator>,
    kerberos_only: bool,
    previous_session_id: u64,
    generation: u64,
    client_guid: [u8; 16],
    leases: &Arc<LeaseKeys>,
) -> Result<Live> {
    let host = match cfg.address {
        Some(address) => address.to_string(),
        None => cfg.host.clone(),
    };
    let (r, w) = crate::transport::connect(&host, cfg.port, cfg.timeouts.connect).await?;
    let conn = Connection::new(r, w, ConnConfig::default());
    let (neg, conn_hash, init_token) = negotiate(&conn, cfg, client_guid).await?;
    let opts = CallOptions {
        timeout: cfg.timeouts.metadata,
        encrypt: false,
    };
    let mut hash = conn_hash;
    let mut session_id = 0u64;
    let mut token = blocking_step(&mut auth, init_token).await?;
    if kerberos_only && !matches!(auth.mechanism(), Some((Mechanism::Kerberos, _))) {
        return Err(Error::Kerberos(auth.fallback_reason().unwrap_or_else(
            || {
                crate::auth::gss::GssError {
                    kind: crate::auth::gss::GssErrorKind::NoCredentials,
                    message: "no valid Kerberos ticket in the credentials cache to log on again \
                          (run kinit)"
                        .into(),
                }
            },
        )));
    }
    let mut rounds = 0;
    let (final_msg, flags) = loop {
        // NTLM needs two rounds; a server that keeps asking for more is stalling us.
        rounds += 1;
        if rounds > MAX_SETUP_ROUNDS {
            return Err(Error::Auth(
                "the server asks for too many SESSION_SETUP rounds".into(),
            ));
        }
        // SecurityBufferLength is 16 bits: a longer token (e.g. an NTLM AUTHENTICATE echoing
        // a huge TargetInfo from the server) is refused, never truncated.
        if token.len() > u16::MAX as usize {
            return Err(Error::Auth(
                "security token too long for SESSION_SETUP".into(),
            ));
        }
        let req = SessionSetupRequest {
            flags: 0,
            security_mode: if cfg.require_signing { 2 } else { 1 },
            capabilities: 0,
            previous_session_id,
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
                token = blocking_step(&mut auth, r.security_buffer).await?;
            }
            NtStatus::SUCCESS => {
                session_id = h.session_id;
                let r = SessionSetupResponse::decode(&resp)?;
                // A guest session has no key for the server to sign a mechListMIC with; it
                // is refused below unless the user opted in.
                if r.session_flags & (session_flags::IS_GUEST | session_flags::IS_NULL) == 0 {
                    blocking_finish(&mut auth, r.security_buffer).await?;
                }
                break (resp, r.session_flags);
            }
            status => {
                let refused = Error::Status {
                    status,
                    command: Command::SessionSetup,
                };
                // A refused NTLM fallback after Kerberos failed for a reason the user can fix
                // (KDC unreachable, clock skew, wrong password...): that reason is the answer.
                return Err(match auth.fallback_reason() {
                    Some(k) if refused_logon(status) => Error::Kerberos(k),
                    _ => refused,
                });
            }
        }
    };
    let guest = flags & (session_flags::IS_GUEST | session_flags::IS_NULL) != 0;
    // IS_GUEST arrives in an unsigned reply: anyone in the middle can set it to switch
    // signing off. Only an explicit opt-in accepts that.
    if guest && !cfg.allow_insecure_guest {
        return Err(Error::Auth(
            "the server made us a guest; insecure guest logons are off".into(),
        ));
    }
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
                &keys.encryption,
                &keys.decryption,
            )?));
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
    // SMB 3.0/3.0.2 have no preauth integrity: ask the server, over the signed session, what
    // it negotiated (3.1.1 binds the negotiation into the keys; a guest session signs nothing).
    if !guest && (neg.dialect == Dialect::SMB30 || neg.dialect == Dialect::SMB302) {
        let offer = crate::validate_negotiate::Offer {
            capabilities: OFFERED_CAPABILITIES,
            guid: client_guid,
            security_mode: OFFERED_SECURITY_MODE,
            dialects: &OFFERED_DIALECTS,
        };
        let opts = CallOptions {
            timeout: cfg.timeouts.metadata,
            encrypt,
        };
        crate::validate_negotiate::validate(&conn, &cfg.host, session_id, &neg, &offer, opts)
            .await?;
    }
    let any_tree = Arc::new(std::sync::atomic::AtomicU32::new(0));
    spawn_break_handler(
        &conn,
        session_id,
        any_tree.clone(),
        encrypt,
        cfg.timeouts.metadata,
        leases.clone(),
    );
    if let Some(every) = cfg.keepalive {
        conn.start_keepalive(every, cfg.timeouts.metadata);
    }
    Ok(Live {
        any_tree,
        conn,
        id: session_id,
        negotiated: neg,
        encrypt,
        guest,
        application_key,
        mechanism: auth.mechanism(),
        generation,
    })
}

/// Runs one authenticator call on a blocking thread: Kerberos may wait for the KDC, and a
/// runtime thread must not.
async fn on_blocking_thread<T: Send + 'static>(
    auth: &mut Box<dyn Authenticator>,
    call: impl FnOnce(&mut Box<dyn Authenticator>) -> Result<T> + Send + 'static,
) -> Result<T> {
    let mut moved = std::mem::replace(auth, Box::new(Taken));
    let (back, result) = tokio::task::spawn_blocking(move || {
        let r = call(&mut moved);
        (moved, r)
    })
    .await
    .map_err(|e| Error::Auth(format!("the authentication thread failed: {e}")))?;
    *auth = back;
    result
}

async fn blocking_step(auth: &mut Box<dyn Authenticator>, token: Vec<u8>) -> Result<Vec<u8>> {
    on_blocking_thread(auth, move |a| a.step(&token)).await
}

async fn blocking_finish(auth: &mut Box<dyn Authenticator>, token: Vec<u8>) -> Result<()> {
    on_blocking_thread(auth, move |a| a.finish(&token)).await
}

/// Stands in for an authenticator while its call runs elsewhere.
struct Taken;

impl Authenticator for Taken {
    fn step(&mut self, _: &[u8]) -> Result<Vec<u8>> {
        Err(Error::Auth("authenticator in use".into()))
    }
    fn session_key(&self) -> Option<Vec<u8>> {
        None
    }
}

impl Session {
    /// Connects, negotiates and authenticates as `cfg.user`: with Kerberos when a ticket (from
    /// `cfg.kerberos.ccache`, or got with the password) can be had and the server takes it,
    /// else NTLMv2 (anonymous when user and password are empty); see [`crate::mechanism`].
    ///
    /// Errors: transport errors and [`Error::Timeout`] (temporary); a rejected password is
    /// [`Error::Status`] with [`NtStatus::LOGON_FAILURE`].
    pub async fn connect(cfg: ClientConfig) -> Result<Session> {
        let for_factory = cfg.clone();
        let factory: AuthFactory =
            Arc::new(move || Box::new(crate::mechanism::Negotiator::new(&for_factory)));
        Session::connect_with(cfg, factory).await
    }

    /// Connects, negotiates and authenticates with authenticators from `auth`.
    ///
    /// Errors: as [`Session::connect`].
    pub async fn connect_with(cfg: ClientConfig, auth: AuthFactory) -> Result<Session> {
        let client_guid = random_bytes();
        let leases = Arc::new(LeaseKeys::default());
        let live = establish(&cfg, auth(), false, 0, 0, client_guid, &leases).await?;
        Ok(Session {
            inner: Arc::new(SessionInner {
                config: cfg,
                live: std::sync::RwLock::new(Arc::new(live)),
                reconnecting: tokio::sync::Mutex::new(()),
                auth,
                client_guid,
                leases,
            }),
        })
    }

    /// A new session to the same server as the same user with the same credentials, on its
    /// own connection with its own ClientGuid: on Samba, its own server process (a connection
    /// whose ClientGuid the server knows is handed to that client's process instead). For
    /// [`crate::Tree::stripe`].
    ///
    /// Errors: as [`Session::connect`].
    pub async fn sibling(&self) -> Result<Session> {
        Session::connect_with(self.inner.config.clone(), self.inner.auth.clone()).await
    }

    /// The current connection + session.
    pub(crate) fn live(&self) -> Arc<Live> {
        self.inner
            .live
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// How many times this session has been re-established.
    pub fn generation(&self) -> u64 {
        self.live().generation
    }

    /// Re-establishes the connection and session if generation `failed` is still the current
    /// one (concurrent callers share one reconnect). Tries with backoff for about
    /// `timeouts.reconnect`; permanent errors (logon failure) end it at once.
    pub async fn reconnect_from(&self, failed: u64) -> Result<()> {
        let _guard = self.inner.reconnecting.lock().await;
        let old = self.live();
        if old.generation != failed {
            return Ok(());
        }
        old.conn.kill();
        let cfg = &self.inner.config;
        let deadline = tokio::time::Instant::now() + cfg.timeouts.reconnect;
        let mut delay = std::time::Duration::from_millis(50);
        loop {
            match self.replace(cfg, &old).await {
                Ok(()) => return Ok(()),
                Err(e) if worth_retrying(&e) && tokio::time::Instant::now() + delay < deadline => {
                    tracing::debug!("reconnect attempt failed: {e}");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(std::time::Duration::from_secs(1));
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// One attempt to replace generation `failed` by a fresh connection and session, its TCP
    /// connect bounded by `connect` (at most the configured connect deadline). For a caller
    /// that polls a server it lost (a silent network): short attempts repeated with its own
    /// backoff notice a network that is back within about `connect`, where one long attempt
    /// would wait on the kernel's SYN retransmissions. The old connection is dropped first
    /// (it may be alive but stalled: its TCP retransmissions back off for seconds). Nothing
    /// to do when a newer generation is up already.
    ///
    /// Errors: as [`Session::connect`].
    pub async fn reconnect_once(&self, failed: u64, connect: Duration) -> Result<()> {
        let _guard = self.inner.reconnecting.lock().await;
        let old = self.live();
        if old.generation != failed {
            return Ok(());
        }
        old.conn.kill();
        let mut cfg = self.inner.config.clone();
        cfg.timeouts.connect = connect.min(cfg.timeouts.connect);
        self.replace(&cfg, &old).await
    }

    /// Establishes the generation after `old` (same session id, same mechanism) with `cfg`
    /// and makes it the live one. The caller holds `reconnecting`.
    async fn replace(&self, cfg: &ClientConfig, old: &Live) -> Result<()> {
        let live = establish(
            cfg,
            (self.inner.auth)(),
            old.is_kerberos(),
            old.id,
            old.generation + 1,
            self.inner.client_guid,
            &self.inner.leases,
        )
        .await?;
        tracing::info!(generation = live.generation, "session re-established");
        *self.inner.live.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(live);
        Ok(())
    }

    /// Sends the breaks of the lease `key` to `to` (`None`: acknowledged at once again, as
    /// for every lease without a listener). A break's acknowledgment waits until the
    /// listener has dropped the [`crate::LeaseBreak`] (bounded by [`LEASE_BREAK_PATIENCE`]); a
    /// listener whose queue is full is skipped and the break acknowledged at once.
    pub fn listen_lease(&self, key: LeaseKey, to: Option<LeaseListener>) {
        self.inner.leases.listen(key, to);
    }

    /// Forces a reconnect now.
    pub async fn reconnect(&self) -> Result<()> {
        self.reconnect_from(self.generation()).await
    }

    /// The SessionId (of the current generation).
    pub fn id(&self) -> u64 {
        self.live().id
    }

    /// What NEGOTIATE settled.
    pub fn negotiated(&self) -> Negotiated {
        self.live().negotiated.clone()
    }

    /// Whether every request of this session is encrypted.
    pub fn is_encrypted(&self) -> bool {
        self.live().encrypt
    }

    /// Whether the server made this a guest/anonymous session.
    pub fn is_guest(&self) -> bool {
        self.live().guest
    }

    /// The mechanism of the current session and whom it authenticated (`alice@CORP.TEST` for
    /// Kerberos, `DOMAIN\\user` or `user` for NTLM); `None` for a custom authenticator that does
    /// not say.
    pub fn mechanism(&self) -> Option<(crate::mechanism::Mechanism, String)> {
        self.live().mechanism.clone()
    }

    /// The current connection (credit stats, liveness).
    pub fn connection(&self) -> Connection {
        self.live().conn.clone()
    }

    /// The configuration this session was made with.
    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    /// The application key (for DCE/RPC over named pipes).
    pub fn application_key(&self) -> Option<[u8; 16]> {
        self.live().application_key.as_ref().map(|k| *k.expose())
    }

    /// Runs `op` on the current generation; if the connection turns out lost, reconnects
    /// (when `config.reconnect` allows) and runs it again, at most twice more. An operation
    /// that is not `idempotent` is re-run only if it was never sent; if it may have reached
    /// the server, the session is re-established but the caller gets the error (it may or may
    /// not have happened: e.g. a retried mkdir would report a collision with itself).
    pub(crate) async fn with_retry<T, F, Fut>(&self, idempotent: bool, mut op: F) -> Result<T>
    where
        F: FnMut(Arc<Live>) -> Fut,
        Fut: std::future::Future<Output = Result<T>>,
    {
        let mut tries = 0;
        loop {
            let live = self.live();
            let generation = live.generation;
            match op(live).await {
                Err(e) if is_connection_lost(&e) && self.inner.config.reconnect && tries < 2 => {
                    tries += 1;
                    self.reconnect_from(generation).await?;
                    if !idempotent && !matches!(e, Error::NotSent) {
                        return Err(e);
                    }
                }
                r => return r,
            }
        }
    }

    /// Connects to `share` (a name, or a full `\\server\share`).
    ///
    /// Errors: [`NtStatus::BAD_NETWORK_NAME`] for a missing share, [`NtStatus::ACCESS_DENIED`].
    pub async fn tree_connect(&self, share: &str) -> Result<Tree> {
        let (live, id, r, encrypt) = self
            .with_retry(true, |live| self.tree_connect_on(live, share))
            .await?;
        Ok(Tree::new(
            self.clone(),
            share.to_string(),
            live.generation,
            id,
            r,
            encrypt,
        ))
    }

    /// One TREE_CONNECT on `live`.
    pub(crate) async fn tree_connect_on(
        &self,
        live: Arc<Live>,
        share: &str,
    ) -> Result<(Arc<Live>, u32, TreeConnectResponse, bool)> {
        let path = if share.starts_with("\\\\") {
            share.to_string()
        } else {
            format!("\\\\{}\\{}", self.inner.config.host, share)
        };
        let msg = build(live.id, 0, &TreeConnectRequest { path }, false);
        let opts = CallOptions {
            timeout: self.inner.config.timeouts.metadata,
            encrypt: live.encrypt,
        };
        let resp = live.conn.call(msg, 0, opts).await?;
        let h = check_status(&resp)?;
        let r = TreeConnectResponse::decode(&resp)?;
        live.any_tree
            .store(h.tree_id, std::sync::atomic::Ordering::Relaxed);
        let encrypt = r.share_flags & SHARE_FLAG_ENCRYPT_DATA != 0;
        if encrypt && live.negotiated.cipher.is_none() {
            return Err(Error::Auth(
                "share requires encryption; no cipher negotiated".into(),
            ));
        }
        Ok((live, h.tree_id, r, encrypt))
    }

    /// Asks the server for the DFS referral of `path` (`\\server\share[\rest]` or with one
    /// leading backslash): FSCTL_DFS_GET_REFERRALS on `IPC$` (\[MS-DFSC\] §3.1.4.1), v4 at most.
    ///
    /// Errors: [`NtStatus::NOT_FOUND`] (Samba: also `OBJECT_PATH_NOT_FOUND`) when the server
    /// has no namespace for `path`; a malformed reply is [`Error::Protocol`].
    pub async fn dfs_referral(&self, path: &str) -> Result<crate::msg::dfs::ReferralResponse> {
        use crate::msg::dfs::{
            FSCTL_DFS_GET_REFERRALS, MAX_REFERRAL_OUTPUT, ReferralResponse, referral_request,
        };
        let path = format!("\\{}", path.trim_start_matches('\\'));
        let ipc = self.tree_connect("IPC$").await?;
        let out = ipc
            .fsctl(
                FSCTL_DFS_GET_REFERRALS,
                &referral_request(&path),
                MAX_REFERRAL_OUTPUT,
            )
            .await;
        let _ = ipc.disconnect().await;
        Ok(ReferralResponse::decode(&out?)?)
    }

    /// Lists the server's shares (IPC$, srvsvc NetrShareEnum level 1).
    pub async fn list_shares(&self) -> Result<Vec<crate::rpc::ShareInfo>> {
        crate::rpc::list_shares(self).await
    }

    /// Sends an ECHO and waits for the answer; returns the round-trip time.
    pub async fn echo(&self) -> Result<Duration> {
        let live = self.live();
        let t = std::time::Instant::now();
        let msg = build(live.id, 0, &crate::msg::echo::EchoRequest, false);
        let opts = CallOptions {
            timeout: self.inner.config.timeouts.metadata,
            encrypt: live.encrypt,
        };
        let resp = live.conn.call(msg, 0, opts).await?;
        check_status(&resp)?;
        Ok(t.elapsed())
    }

    /// Logs off; the connection closes when the last clone of this session drops.
    pub async fn logoff(&self) -> Result<()> {
        let live = self.live();
        let msg = build(live.id, 0, &crate::msg::logoff::LogoffRequest, false);
        let opts = CallOptions {
            timeout: self.inner.config.timeouts.metadata,
            encrypt: live.encrypt,
        };
        let resp = live.conn.call(msg, 0, opts).await?;
        check_status(&resp)?;
        live.conn.remove_session(live.id);
        Ok(())
    }
}
