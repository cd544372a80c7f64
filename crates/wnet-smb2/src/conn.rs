//! One TCP connection to a server: many concurrent requests, matched to responses by MessageId.
//!
//! Invariants:
//! - `credits` is the number of MessageIds we may still use. A request of charge `c` takes `c`
//!   credits and `c` consecutive MessageIds; every response (interim ones too) gives back its
//!   grant, **whether or not anyone still waits for it**, so a timeout never leaks credits.
//! - An interim `STATUS_PENDING` response (async form) only adds its credits and records the
//!   AsyncId; the waiter keeps waiting for the final response.
//! - When the connection dies every waiter is released at once with [`Error::Disconnected`],
//!   and every later call fails the same way without touching the socket.
//! - Every call has a deadline; a credit wait counts against it too.

use crate::error::{Error, Result};
use crate::log_budget::{LogBudget, warn_limited};
use crate::msg::header::{HEADER_LEN, HeaderFlags, SIGNATURE_RANGE};
use crate::msg::{Command, Header};
use crate::status::NtStatus;
use crate::transport::{FrameReader, FrameWriter};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;
use tokio::sync::{Notify, oneshot};
use tokio::time::Instant;

/// Bytes of payload one credit pays for (MS-SMB2 §3.1.5.2).
pub const CREDIT_UNIT: usize = 65536;
/// Most credits we hold: a server's grants beyond this are ignored (Windows and Samba grant
/// at most 8192), so `credits + in flight` can never overflow.
pub const MAX_CREDITS: u32 = 8192;
/// Unsolicited messages (oplock/lease breaks) queued for the break handler; a server that
/// sends more than the handler can take is flooding us, and loses the connection.
pub const NOTIFICATION_QUEUE: usize = 64;
/// First byte of an SMB2 TRANSFORM_HEADER (encrypted message).
pub const TRANSFORM_PROTOCOL_ID: [u8; 4] = [0xFD, b'S', b'M', b'B'];

/// Signs outgoing and verifies incoming messages of one session.
pub trait Signer: Send + Sync {
    /// Writes the signature into `msg[48..64]` (the SIGNED flag is already set).
    fn sign(&self, msg: &mut [u8]);
    /// Checks the signature of `msg` (may zero and restore the signature field).
    fn verify(&self, msg: &mut [u8]) -> bool;
}

/// Encrypts and decrypts whole frames of one session (transform header, MS-SMB2 §2.2.41),
/// in the frame's own buffer: a 1 MiB WRITE or READ is never copied for encryption.
pub trait Cipher: Send + Sync {
    /// Encrypts a plaintext frame (one message or a compound chain) for `session_id` in
    /// place; returns the TRANSFORM_HEADER to send before it.
    fn encrypt_in_place(
        &self,
        session_id: u64,
        body: &mut [u8],
    ) -> Result<[u8; crate::crypto::encryption::TRANSFORM_HEADER_LEN]>;
    /// Unwraps a transform frame (header included) into its plaintext, in the same buffer.
    /// [`Error::BadSignature`] if it does not decrypt.
    fn decrypt_in_place(&self, frame: &mut Vec<u8>) -> Result<()>;
}

/// What the connection does for messages of one session.
#[derive(Clone, Default)]
pub struct SessionSecurity {
    /// Signs and verifies; `None` before the session key exists.
    pub signer: Option<Arc<dyn Signer>>,
    /// Encrypts; `None` unless encryption is on.
    pub cipher: Option<Arc<dyn Cipher>>,
    /// Encrypt every request of this session (the server demands it).
    pub encrypt_all: bool,
}

/// Options of one call.
#[derive(Debug, Clone, Copy)]
pub struct CallOptions {
    /// Deadline for credits + send + response.
    pub timeout: Duration,
    /// Encrypt this request (the share requires it) even if the session doesn't.
    pub encrypt: bool,
}

/// Connection tuning.
#[derive(Debug, Clone, Copy)]
pub struct ConnConfig {
    /// Credits we try to hold; each request asks for more while below this.
    pub credit_target: u32,
}

impl Default for ConnConfig {
    fn default() -> Self {
        // 8 × 1 MiB in flight needs 128; keep headroom for metadata in parallel.
        ConnConfig { credit_target: 512 }
    }
}

/// A snapshot of the credit state (for tests and diagnostics).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreditStats {
    /// Credits available now.
    pub available: u32,
    /// Requests sent and not yet answered (waiters).
    pub waiters: usize,
    /// Next MessageId.
    pub next_message_id: u64,
}

type Reply = Result<Vec<u8>>;

struct Pending {
    tx: oneshot::Sender<Reply>,
    async_id: Option<u64>,
    session_id: u64,
    /// The request's command: the response must carry the same.
    command: Command,
}

/// The dispatch state; separate from the socket so tests can feed it bytes.
struct State {
    next_mid: u64,
    credits: u32,
    pending: HashMap<u64, Pending>,
    dead: bool,
    sessions: HashMap<u64, SessionSecurity>,
    /// Where unsolicited messages (oplock/lease breaks) go.
    notifications: Option<tokio::sync::mpsc::Sender<Vec<u8>>>,
    /// WARN lines about what the server sent.
    warnings: LogBudget,
}

impl State {
    fn new() -> Self {
        State {
            next_mid: 0,
            credits: 1,
            pending: HashMap::new(),
            dead: false,
            sessions: HashMap::new(),
            notifications: None,
            warnings: LogBudget::default(),
        }
    }

    /// Handles one plaintext frame (possibly a compound chain). Returns the completions to
    /// deliver outside the lock. `encrypted` says the frame arrived in a transform header.
    ///
    /// The server is not trusted: a response must have SERVER_TO_REDIR and its request's
    /// command (else its waiter gets [`Error::Protocol`]), grants are capped at
    /// [`MAX_CREDITS`], and a flood of unsolicited messages kills the connection (`dead`).
    fn on_frame(&mut self, frame: Vec<u8>, encrypted: bool) -> Vec<Done> {
        let mut out = Vec::new();
        let mut off = 0usize;
        let mut frame = Some(frame);
        loop {
            let Some(whole) = frame.as_ref() else {
                return out;
            };
            let rest = &whole[off..];
            let h = match Header::decode(rest) {
                Ok(h) => h,
                Err(e) => {
                    warn_limited!(self.warnings, "dropping undecodable response: {e}");
                    return out;
                }
            };
            let len = match h.next_command as usize {
                0 => rest.len(),
                n if n >= HEADER_LEN && n <= rest.len() => n,
                _ => {
                    warn_limited!(self.warnings, "bad NextCommand in response chain");
                    rest.len()
                }
            };
            let last = h.next_command == 0 || len == rest.len();
            self.credits = self
                .credits
                .saturating_add(h.credits as u32)
                .min(MAX_CREDITS);
            let mismatch = if !h.flags.has(HeaderFlags::SERVER_TO_REDIR) {
                Some("response without SERVER_TO_REDIR")
            } else {
                match self.pending.get(&h.message_id) {
                    Some(p) if p.command != h.command => Some("response to another command"),
                    _ => None,
                }
            };
            let interim = h.status == NtStatus::PENDING && h.is_async();
            if let Some(what) = mismatch {
                warn_limited!(self.warnings, mid = h.message_id, "{what}");
                if let Some(p) = self.pending.remove(&h.message_id) {
                    out.push(Done {
                        tx: p.tx,
                        reply: Err(Error::Protocol(crate::msg::DecodeError(what))),
                        verify: None,
                    });
                }
            } else if interim {
                if let Some(p) = self.pending.get_mut(&h.message_id) {
                    p.async_id = Some(h.async_id);
                }
            } else if let Some(p) = self.pending.remove(&h.message_id) {
                // A lone message is moved, not copied (1 MiB READ responses).
                let msg = if off == 0 && last {
                    frame.take().unwrap_or_default()
                } else {
                    rest[..len].to_vec()
                };
                let (reply, verify) = match self.signature_policy(&h, encrypted, p.session_id) {
                    Ok(v) => (Ok(msg), v),
                    Err(e) => (Err(e), None),
                };
                out.push(Done {
                    tx: p.tx,
                    reply,
                    verify,
                });
            } else if h.message_id == crate::msg::header::NOTIFICATION_MESSAGE_ID {
                let flooded = match &self.notifications {
                    Some(tx) => matches!(
                        tx.try_send(rest[..len].to_vec()),
                        Err(tokio::sync::mpsc::error::TrySendError::Full(_))
                    ),
                    None => false,
                };
                if flooded {
                    tracing::warn!("the server floods us with break notifications: disconnecting");
                    out.extend(self.fail_all());
                    return out;
                }
            } else {
                tracing::debug!(mid = h.message_id, "response nobody waits for (timed out?)");
            }
            if last {
                return out;
            }
            off += len;
        }
    }

    /// Which signer must check this response, or an error if it must be signed and is not.
    fn signature_policy(
        &self,
        h: &Header,
        encrypted: bool,
        session_id: u64,
    ) -> Result<Option<Arc<dyn Signer>>> {
        if encrypted {
            return Ok(None);
        }
        let Some(signer) = self
            .sessions
            .get(&session_id)
            .and_then(|s| s.signer.clone())
        else {
            return Ok(None);
        };
        if !h.flags.has(HeaderFlags::SIGNED) {
            // Errors too: a forged unsigned USER_SESSION_DELETED or NETWORK_NAME_DELETED
            // would force reconnects. (Interim STATUS_PENDING replies, which MS-SMB2 lets
            // go unsigned, never get here: they only carry credits.)
            return Err(Error::BadSignature);
        }
        Ok(Some(signer))
    }

    fn fail_all(&mut self) -> Vec<Done> {
        self.dead = true;
        self.pending
            .drain()
            .map(|(_, p)| Done {
                tx: p.tx,
                reply: Err(Error::Disconnected),
                verify: None,
            })
            .collect()
    }
}

/// Large response buffers given back with [`Connection::recycle`], for later large
/// responses: their memory is already mapped, so receiving into them takes no page faults
/// (with fresh 1 MiB buffers, faulting and zeroing pages cost the reader as much as the
/// kernel's copy).
#[derive(Default)]
struct BufferPool {
    free: Vec<Vec<u8>>,
    /// Sum of the capacities in `free`.
    bytes: usize,
}

/// Smaller frames are allocated as needed.
const POOL_MIN: usize = 64 * 1024;
/// Most memory the pool keeps (e.g. 32 × 1 MiB: room for the responses in flight).
const POOL_MAX_BYTES: usize = 32 << 20;

impl BufferPool {
    /// A buffer with room for `len` bytes if one is pooled, else an empty vector.
    fn take(&mut self, len: usize) -> Vec<u8> {
        if len < POOL_MIN || self.free.is_empty() {
            return Vec::new();
        }
        // On a miss drop the oldest buffer, so that the pool follows the sizes in use.
        let i = self
            .free
            .iter()
            .position(|b| b.capacity() >= len)
            .unwrap_or(0);
        let mut b = self.free.swap_remove(i);
        self.bytes -= b.capacity();
        // Empty, whatever it held: a caller that appends (the encrypted compound's join)
        // must not send the bytes of an earlier message.
        b.clear();
        if b.capacity() >= len { b } else { Vec::new() }
    }

    fn put(&mut self, b: Vec<u8>) {
        let cap = b.capacity();
        if cap >= POOL_MIN && self.bytes + cap <= POOL_MAX_BYTES {
            self.bytes += cap;
            self.free.push(b);
        }
    }
}

struct Inner {
    state: Mutex<State>,
    buffers: Mutex<BufferPool>,
    writer: tokio::sync::Mutex<FrameWriter>,
    credits_changed: Notify,
    multi_credit: AtomicBool,
    config: ConnConfig,
    reader: Mutex<Option<tokio::task::AbortHandle>>,
    /// Big encrypted frames being decrypted off the reader; at most [`DECRYPTS_IN_FLIGHT`].
    decrypts: Arc<tokio::sync::Semaphore>,
}

/// Big encrypted frames decrypted at once per connection; the reader waits for a slot, so a
/// server sending faster than we decrypt is slowed down (TCP backpressure), not buffered.
const DECRYPTS_IN_FLIGHT: usize = 4;

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(h) = self.reader.get_mut().ok().and_then(Option::take) {
            h.abort();
        }
    }
}

/// A multiplexed SMB2 connection. Cheap to clone; the socket closes when the last clone drops.
#[derive(Clone)]
pub struct Connection {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("credits", &self.credit_stats())
            .finish()
    }
}

/// A response matched to its waiter, with the signature check still to do (outside the lock).
struct Done {
    tx: oneshot::Sender<Reply>,
    reply: Reply,
    verify: Option<Arc<dyn Signer>>,
}

/// Messages above this size are verified on another worker so that the reader keeps reading.
const VERIFY_OFFLOAD: usize = 128 * 1024;

/// A [`Connection`] that does not keep it open (for background tasks).
#[derive(Clone)]
pub struct WeakConnection {
    inner: Weak<Inner>,
}

impl WeakConnection {
    /// The connection, if it still exists.
    pub fn upgrade(&self) -> Option<Connection> {
        self.inner.upgrade().map(|inner| Connection { inner })
    }
}

fn deliver(done: Vec<Done>) {
    for d in done {
        match (d.reply, d.verify) {
            (Ok(mut msg), Some(signer)) => {
                let big = msg.len() > VERIFY_OFFLOAD;
                let check = move || {
                    let ok = signer.verify(&mut msg);
                    let _ = d.tx.send(if ok {
                        Ok(msg)
                    } else {
                        Err(Error::BadSignature)
                    });
                };
                match tokio::runtime::Handle::try_current() {
                    Ok(rt) if big => {
                        rt.spawn(async move { check() });
                    }
                    _ => check(),
                }
            }
            (reply, _) => {
                let _ = d.tx.send(reply);
            }
        }
    }
}

fn lock(m: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    // A panic while holding the lock cannot leave State half-updated in a way that matters
    // more than losing the connection, so poisoning is ignored.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Connection {
    /// Wraps the two halves of a transport and starts the reader task (needs a tokio runtime).
    pub fn new(reader: FrameReader, writer: FrameWriter, config: ConnConfig) -> Self {
        let inner = Arc::new(Inner {
            state: Mutex::new(State::new()),
            buffers: Mutex::new(BufferPool::default()),
            writer: tokio::sync::Mutex::new(writer),
            credits_changed: Notify::new(),
            multi_credit: AtomicBool::new(false),
            config,
            reader: Mutex::new(None),
            decrypts: Arc::new(tokio::sync::Semaphore::new(DECRYPTS_IN_FLIGHT)),
        });
        let task = tokio::spawn(reader_loop(Arc::downgrade(&inner), reader));
        *inner.reader.lock().unwrap_or_else(|e| e.into_inner()) = Some(task.abort_handle());
        Connection { inner }
    }

    /// Turns multi-credit requests on (dialect 2.1+ with LARGE_MTU).
    pub fn set_multi_credit(&self, on: bool) {
        self.inner.multi_credit.store(on, Ordering::Relaxed);
    }

    /// Registers signing/encryption for a session id (replaces any earlier entry).
    pub fn set_session_security(&self, session_id: u64, sec: SessionSecurity) {
        lock(&self.inner.state).sessions.insert(session_id, sec);
    }

    /// Sends unsolicited messages (oplock/lease break notifications, whole messages) to `tx`.
    /// A server that fills the channel (it holds [`NOTIFICATION_QUEUE`]) loses the connection.
    pub fn set_notification_sink(&self, tx: tokio::sync::mpsc::Sender<Vec<u8>>) {
        lock(&self.inner.state).notifications = Some(tx);
    }

    /// A handle that does not keep the connection open.
    pub fn downgrade(&self) -> WeakConnection {
        WeakConnection {
            inner: Arc::downgrade(&self.inner),
        }
    }

    /// An empty buffer with room for a `len`-byte request: a pooled one for a large request
    /// (a big WRITE then copies its data into memory that is already mapped). Sent requests
    /// go back to the pool.
    pub fn message_buffer(&self, len: usize) -> Vec<u8> {
        let b = self
            .inner
            .buffers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take(len);
        if b.capacity() >= len {
            b
        } else {
            Vec::with_capacity(len.max(256))
        }
    }

    /// Gives back a response buffer that the caller is done with: a later large response is
    /// received into it. Optional (a dropped buffer is simply freed), worth it for bulk reads.
    pub fn recycle(&self, buf: Vec<u8>) {
        self.inner
            .buffers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .put(buf);
    }

    /// Forgets a session's keys.
    pub fn remove_session(&self, session_id: u64) {
        lock(&self.inner.state).sessions.remove(&session_id);
    }

    /// Whether the connection has died.
    pub fn is_dead(&self) -> bool {
        lock(&self.inner.state).dead
    }

    /// Credits and waiters now.
    pub fn credit_stats(&self) -> CreditStats {
        let s = lock(&self.inner.state);
        CreditStats {
            available: s.credits,
            waiters: s.pending.len(),
            next_message_id: s.next_mid,
        }
    }

    /// The credit charge of a request moving `payload` bytes.
    pub fn charge_for(&self, payload: usize) -> u16 {
        if self.inner.multi_credit.load(Ordering::Relaxed) {
            payload.div_ceil(CREDIT_UNIT).clamp(1, u16::MAX as usize) as u16
        } else {
            1
        }
    }

    /// Sends one request (a whole message, header included) and waits for its final response.
    /// `payload` is the larger of the bytes sent and asked for (for the credit charge).
    /// The response is returned whatever its status; callers turn error statuses into errors.
    pub async fn call(&self, msg: Vec<u8>, payload: usize, opts: CallOptions) -> Result<Vec<u8>> {
        let mut r = self.compound(vec![(msg, payload)], opts).await?;
        r.pop().ok_or(Error::Disconnected)?
    }

    /// Sends several requests in one frame (a compound chain; the caller sets
    /// `RELATED_OPERATIONS` where wanted) and waits for all their responses.
    pub async fn compound(
        &self,
        msgs: Vec<(Vec<u8>, usize)>,
        opts: CallOptions,
    ) -> Result<Vec<Reply>> {
        Ok(self.compound_inner(msgs, opts, false).await?.1)
    }

    /// [`Connection::call`] that also returns the request exactly as sent (header fields
    /// filled in, signed): the pre-authentication hash is computed over those bytes.
    pub async fn call_keep_sent(
        &self,
        msg: Vec<u8>,
        payload: usize,
        opts: CallOptions,
    ) -> Result<(Vec<u8>, Vec<u8>)> {
        let (mut sent, mut r) = self
            .compound_inner(vec![(msg, payload)], opts, true)
            .await?;
        let resp = r.pop().ok_or(Error::Disconnected)??;
        Ok((sent.pop().unwrap_or_default(), resp))
    }

    async fn compound_inner(
        &self,
        msgs: Vec<(Vec<u8>, usize)>,
        opts: CallOptions,
        keep_sent: bool,
    ) -> Result<(Vec<Vec<u8>>, Vec<Reply>)> {
        if msgs.is_empty() {
            return Ok((Vec::new(), Vec::new()));
        }
        // Validate before taking credits: an error after `reserve` would strand waiters.
        if msgs.iter().any(|(m, _)| m.len() < HEADER_LEN) {
            return Err(Error::InvalidInput("message shorter than a header"));
        }
        if opts.encrypt {
            let sid = u64::from_le_bytes(msgs[0].0[40..48].try_into().unwrap_or([0; 8]));
            if lock(&self.inner.state)
                .sessions
                .get(&sid)
                .and_then(|s| s.cipher.as_ref())
                .is_none()
            {
                return Err(Error::InvalidInput("encryption required but no key"));
            }
        }
        let deadline = Instant::now() + opts.timeout;
        let charges: Vec<u16> = msgs.iter().map(|(_, p)| self.charge_for(*p)).collect();
        let total: u32 = charges.iter().map(|c| *c as u32).sum();
        let (mids, rxs, sec, ask_extra) =
            self.reserve(&msgs, &charges, total, deadline, opts).await?;

        // Patch headers, pad, sign.
        let n = msgs.len();
        let mut parts: Vec<Vec<u8>> = Vec::with_capacity(n);
        for (i, ((mut m, _), charge)) in msgs.into_iter().zip(charges.iter()).enumerate() {
            let ask = *charge + if i == 0 { ask_extra } else { 0 };
            m[6..8].copy_from_slice(&charge.to_le_bytes());
            m[14..16].copy_from_slice(&ask.to_le_bytes());
            m[24..32].copy_from_slice(&mids[i].to_le_bytes());
            if i + 1 < n {
                while m.len() % 8 != 0 {
                    m.push(0);
                }
                let l = m.len() as u32;
                m[20..24].copy_from_slice(&l.to_le_bytes());
            }
            let encrypt = opts.encrypt
                || sec
                    .as_ref()
                    .is_some_and(|s| s.encrypt_all && s.cipher.is_some());
            if !encrypt && let Some(signer) = sec.as_ref().and_then(|s| s.signer.as_ref()) {
                let mut f = u32::from_le_bytes([m[16], m[17], m[18], m[19]]);
                f |= HeaderFlags::SIGNED;
                m[16..20].copy_from_slice(&f.to_le_bytes());
                m[SIGNATURE_RANGE].fill(0);
                signer.sign(&mut m);
            }
            parts.push(m);
        }
        let cipher = sec
            .as_ref()
            .filter(|s| opts.encrypt || s.encrypt_all)
            .and_then(|s| s.cipher.clone());
        let session_id = u64::from_le_bytes(parts[0][40..48].try_into().unwrap_or([0; 8]));
        let kept = if keep_sent { parts.clone() } else { Vec::new() };
        let wire: Vec<Vec<u8>> = match cipher {
            Some(c) => {
                // One message (every bulk request) is encrypted where it lies; a compound
                // chain is first joined into one pooled buffer.
                let mut body = if parts.len() == 1 {
                    parts.pop().unwrap_or_default()
                } else {
                    let len = parts.iter().map(Vec::len).sum();
                    let mut b = self.message_buffer(len);
                    for p in parts.drain(..) {
                        b.extend_from_slice(&p);
                        self.recycle(p);
                    }
                    b
                };
                match c.encrypt_in_place(session_id, &mut body) {
                    Ok(h) => vec![h.to_vec(), body],
                    Err(e) => {
                        // The MessageIds are taken and cannot be returned: the connection's
                        // window would never slide again. Give the connection up.
                        self.kill();
                        return Err(e);
                    }
                }
            }
            None => parts,
        };

        // One frame, one (vectored) write.
        let sent = {
            let slices: Vec<&[u8]> = wire.iter().map(Vec::as_slice).collect();
            let mut w = match tokio::time::timeout_at(deadline, self.inner.writer.lock()).await {
                Ok(w) => w,
                Err(_) => {
                    // Our MessageIds are taken and will never be sent: the server's sequence
                    // window could not slide past them. A writer stuck this long means the
                    // connection is stuck anyway: give it up (reconnect recovers).
                    self.kill();
                    return Err(Error::Timeout {
                        what: "send",
                        after: opts.timeout,
                    });
                }
            };
            tokio::time::timeout_at(deadline, w.send(&slices)).await
        };
        match sent {
            Ok(Ok(())) => {
                for b in wire {
                    self.recycle(b);
                }
            }
            Ok(Err(e)) => {
                self.kill();
                return Err(Error::from(e));
            }
            Err(_) => {
                // A half-written frame desynchronises the stream: the connection is unusable.
                self.kill();
                return Err(Error::Timeout {
                    what: "send",
                    after: opts.timeout,
                });
            }
        }

        let mut out = Vec::with_capacity(rxs.len());
        for rx in rxs {
            match tokio::time::timeout_at(deadline, rx).await {
                Ok(Ok(r)) => out.push(r),
                Ok(Err(_)) => out.push(Err(Error::Disconnected)),
                Err(_) => {
                    let dropped = self.forget(&mids);
                    self.cancel(dropped).await;
                    return Err(Error::Timeout {
                        what: "response",
                        after: opts.timeout,
                    });
                }
            }
        }
        Ok((kept, out))
    }

    /// Waits for `total` credits, then takes MessageIds and registers the waiters.
    #[allow(clippy::type_complexity)]
    async fn reserve(
        &self,
        msgs: &[(Vec<u8>, usize)],
        charges: &[u16],
        total: u32,
        deadline: Instant,
        opts: CallOptions,
    ) -> Result<(
        Vec<u64>,
        Vec<oneshot::Receiver<Reply>>,
        Option<SessionSecurity>,
        u16,
    )> {
        let commands = msgs
            .iter()
            .map(|(m, _)| Command::from_u16(u16::from_le_bytes([m[12], m[13]])))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| Error::InvalidInput("request with an unknown command"))?;
        let (mut top_up, mut top_ups) = (false, 0);
        loop {
            let notified = self.inner.credits_changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let mut s = lock(&self.inner.state);
                if s.dead {
                    return Err(Error::NotSent);
                }
                if s.credits >= total {
                    s.credits -= total;
                    let mut mids = Vec::with_capacity(msgs.len());
                    let mut rxs = Vec::with_capacity(msgs.len());
                    let session_id = msgs
                        .first()
                        .and_then(|(m, _)| m.get(40..48))
                        .map(|b| u64::from_le_bytes(b.try_into().unwrap_or([0; 8])))
                        .unwrap_or(0);
                    for c in charges {
                        let mid = s.next_mid;
                        s.next_mid += *c as u64;
                        let (tx, rx) = oneshot::channel();
                        s.pending.insert(
                            mid,
                            Pending {
                                tx,
                                async_id: None,
                                session_id,
                                command: commands[mids.len()],
                            },
                        );
                        mids.push(mid);
                        rxs.push(rx);
                    }
                    let in_flight = u32::try_from(s.pending.len()).unwrap_or(u32::MAX);
                    let held = s.credits.saturating_add(in_flight);
                    let extra = self
                        .inner
                        .config
                        .credit_target
                        .saturating_sub(held)
                        .min(256) as u16;
                    let sec = s.sessions.get(&session_id).cloned();
                    return Ok((mids, rxs, sec, extra));
                }
                if s.pending.is_empty() {
                    // Nothing in flight can grant more: waiting would never end. Ask for
                    // credits with an ECHO (a few times), or give up.
                    if s.credits == 0 || top_ups >= 4 {
                        return Err(Error::InvalidInput(
                            "request needs more credits than the server granted",
                        ));
                    }
                    top_up = true;
                }
            }
            if top_up {
                top_up = false;
                top_ups += 1;
                let mut m = Vec::with_capacity(68);
                Header::request(crate::msg::Command::Echo).encode(&mut m);
                m.extend_from_slice(&[4, 0, 0, 0]);
                Box::pin(self.call(m, 0, opts)).await?;
                continue;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return Err(Error::Timeout {
                    what: "credits",
                    after: opts.timeout,
                });
            }
        }
    }

    /// Drops the waiters of timed-out requests; their credits still come back when (if) the
    /// responses arrive. Returns what was dropped, for [`Connection::cancel`].
    fn forget(&self, mids: &[u64]) -> Vec<(u64, Option<u64>, u64)> {
        let mut s = lock(&self.inner.state);
        mids.iter()
            .filter_map(|m| s.pending.remove(m).map(|p| (*m, p.async_id, p.session_id)))
            .collect()
    }

    /// Asks the server to cancel requests we stopped waiting for (a blocking lock or a
    /// change notify would otherwise stay pending and take effect later). Fire and forget:
    /// CANCEL has no response and takes no credit. It is on the wire before this returns,
    /// so whatever the caller sends next reaches the server after it.
    async fn cancel(&self, dropped: Vec<(u64, Option<u64>, u64)>) {
        if dropped.is_empty() || self.is_dead() {
            return;
        }
        let conn = self.clone();
        let sending = async move {
            for (mid, async_id, session_id) in dropped {
                let mut h = Header::request(crate::msg::Command::Cancel);
                h.message_id = mid;
                h.session_id = session_id;
                if let Some(a) = async_id {
                    h.flags.0 |= HeaderFlags::ASYNC_COMMAND;
                    h.async_id = a;
                }
                let mut m = Vec::with_capacity(68);
                h.encode(&mut m);
                m.extend_from_slice(&[4, 0, 0, 0]);
                let sec = lock(&conn.inner.state).sessions.get(&session_id).cloned();
                let wire = match sec {
                    Some(SessionSecurity {
                        cipher: Some(c),
                        encrypt_all: true,
                        ..
                    }) => match c.encrypt_in_place(session_id, &mut m) {
                        Ok(h) => vec![h.to_vec(), m],
                        Err(_) => continue,
                    },
                    Some(SessionSecurity {
                        signer: Some(signer),
                        ..
                    }) => {
                        signer.sign(&mut m);
                        vec![m]
                    }
                    _ => vec![m],
                };
                let slices: Vec<&[u8]> = wire.iter().map(Vec::as_slice).collect();
                let mut w = conn.inner.writer.lock().await;
                if w.send(&slices).await.is_err() {
                    return;
                }
            }
        };
        if tokio::time::timeout(Duration::from_secs(1), sending)
            .await
            .is_err()
        {
            // Possibly a half-written frame: the stream can no longer be trusted.
            self.kill();
        }
    }

    /// Starts a background ECHO every `interval`; an echo unanswered within `timeout` kills
    /// the connection, releasing every waiter with [`Error::Disconnected`]. So a dead server is
    /// noticed even while no request is pending. Stops when the connection dies or is dropped.
    pub fn start_keepalive(&self, interval: Duration, timeout: Duration) {
        let weak = Arc::downgrade(&self.inner);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tick.tick().await;
            loop {
                tick.tick().await;
                let Some(inner) = weak.upgrade() else { return };
                let conn = Connection { inner };
                if conn.is_dead() {
                    return;
                }
                let mut m = Vec::with_capacity(68);
                Header::request(crate::msg::Command::Echo).encode(&mut m);
                m.extend_from_slice(&[4, 0, 0, 0]);
                match conn
                    .call(
                        m,
                        0,
                        CallOptions {
                            timeout,
                            encrypt: false,
                        },
                    )
                    .await
                {
                    Ok(_) => {}
                    Err(Error::Timeout { .. }) => {
                        tracing::warn!("keep-alive echo unanswered: dropping the connection");
                        conn.kill();
                        return;
                    }
                    Err(_) => return,
                }
            }
        });
    }

    /// Marks the connection dead and releases every waiter.
    pub fn kill(&self) {
        let done = lock(&self.inner.state).fail_all();
        deliver(done);
        self.inner.credits_changed.notify_waiters();
        if let Some(h) = self
            .inner
            .reader
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
        {
            h.abort();
        }
    }

    fn on_frame(inner: &Inner, mut frame: Vec<u8>) {
        let (plain, encrypted) = if frame.starts_with(&TRANSFORM_PROTOCOL_ID) {
            // Transform header: SessionId at 44..52.
            let sid = frame
                .get(44..52)
                .map(|b| u64::from_le_bytes(b.try_into().unwrap_or([0; 8])));
            let cipher = sid.and_then(|sid| {
                lock(&inner.state)
                    .sessions
                    .get(&sid)
                    .and_then(|s| s.cipher.clone())
            });
            match cipher.map(|c| c.decrypt_in_place(&mut frame)) {
                Some(Ok(())) => (frame, true),
                _ => {
                    warn_limited!(
                        lock(&inner.state).warnings,
                        "dropping an encrypted frame that does not decrypt"
                    );
                    return;
                }
            }
        } else {
            (frame, false)
        };
        let (done, dead) = {
            let mut s = lock(&inner.state);
            let done = s.on_frame(plain, encrypted);
            (done, s.dead)
        };
        inner.credits_changed.notify_waiters();
        deliver(done);
        if dead {
            if let Some(h) = inner
                .reader
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .as_ref()
            {
                h.abort();
            }
        }
    }
}

async fn reader_loop(inner: Weak<Inner>, mut reader: FrameReader) {
    loop {
        let r = reader
            .recv_into(|len| match inner.upgrade() {
                Some(i) => i
                    .buffers
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .take(len),
                None => Vec::new(),
            })
            .await;
        let Some(inner) = inner.upgrade() else { return };
        match r {
            // Big encrypted frames are decrypted on another worker so that the reader keeps
            // reading (responses are matched by MessageId: their order does not matter).
            Ok(frame)
                if frame.len() > VERIFY_OFFLOAD && frame.starts_with(&TRANSFORM_PROTOCOL_ID) =>
            {
                let Ok(slot) = inner.decrypts.clone().acquire_owned().await else {
                    return;
                };
                tokio::spawn(async move {
                    Connection::on_frame(&inner, frame);
                    drop(slot);
                });
            }
            Ok(frame) => Connection::on_frame(&inner, frame),
            Err(e) => {
                tracing::debug!("connection reader stops: {e}");
                let done = lock(&inner.state).fail_all();
                deliver(done);
                inner.credits_changed.notify_waiters();
                return;
            }
        }
    }
}

/// For the fuzz target `conn_frame` (`fuzz/`): one frame from the server, handled as the reader
/// task handles it, by a state with waiters of every command (some on a signed session) and a
/// break handler that never reads (so floods fill its queue).
#[doc(hidden)]
pub fn fuzz_on_frame(frame: &[u8]) {
    let mut s = State::new();
    let key = crate::crypto::Secret::new([7u8; 16]);
    s.sessions.insert(
        9,
        SessionSecurity {
            signer: Some(Arc::new(crate::security::KeySigner::new(
                key,
                crate::crypto::signing::SigningAlgo::HmacSha256,
            ))),
            ..SessionSecurity::default()
        },
    );
    let (tx, _rx) = tokio::sync::mpsc::channel(NOTIFICATION_QUEUE);
    s.notifications = Some(tx);
    let mut receivers = Vec::new();
    for mid in 0..20u64 {
        let (tx, rx) = oneshot::channel();
        let command = Command::from_u16((mid % 19) as u16).unwrap_or(Command::Echo);
        let session_id = if mid % 2 == 0 { 9 } else { 0 };
        s.pending.insert(
            mid,
            Pending {
                tx,
                async_id: None,
                session_id,
                command,
            },
        );
        receivers.push(rx);
    }
    for encrypted in [false, true] {
        deliver(s.on_frame(frame.to_vec(), encrypted));
    }
    assert!(s.credits <= MAX_CREDITS);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::{Command, Header};

    fn response(mid: u64, credits: u16, status: NtStatus, async_id: Option<u64>) -> Vec<u8> {
        let mut h = Header::request(Command::Write);
        h.flags.0 = HeaderFlags::SERVER_TO_REDIR;
        h.message_id = mid;
        h.credits = credits;
        h.status = status;
        if let Some(a) = async_id {
            h.flags.0 |= HeaderFlags::ASYNC_COMMAND;
            h.async_id = a;
        }
        let mut m = Vec::new();
        h.encode(&mut m);
        m.extend_from_slice(&[17, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        m
    }

    fn waiter(s: &mut State, mid: u64) -> oneshot::Receiver<Reply> {
        let (tx, rx) = oneshot::channel();
        s.pending.insert(
            mid,
            Pending {
                tx,
                async_id: None,
                session_id: 0,
                command: Command::Write,
            },
        );
        rx
    }

    #[test]
    fn interim_grant_is_counted_and_waiter_keeps_waiting() {
        let mut s = State::new();
        s.credits = 0; // a 16-credit write in flight took everything
        let mut rx = waiter(&mut s, 10);
        let done = s.on_frame(response(10, 16, NtStatus::PENDING, Some(77)), false);
        assert!(done.is_empty());
        assert_eq!(
            s.credits, 16,
            "the interim response's grant is usable at once"
        );
        assert_eq!(s.pending[&10].async_id, Some(77));
        assert!(rx.try_recv().is_err());
        let done = s.on_frame(response(10, 0, NtStatus::SUCCESS, Some(77)), false);
        assert_eq!(done.len(), 1);
        deliver(done);
        assert!(rx.try_recv().unwrap().is_ok());
        assert_eq!(s.credits, 16);
        assert!(s.pending.is_empty());
    }

    #[test]
    fn late_response_after_timeout_still_returns_credits() {
        let mut s = State::new();
        s.credits = 0;
        let rx = waiter(&mut s, 3);
        drop(rx);
        s.pending.remove(&3); // the caller timed out
        assert!(
            s.on_frame(response(3, 5, NtStatus::SUCCESS, None), false)
                .is_empty()
        );
        assert_eq!(s.credits, 5);
    }

    #[test]
    fn compound_response_chain_is_split() {
        let mut s = State::new();
        let mut a = response(1, 1, NtStatus::SUCCESS, None);
        let b = response(2, 2, NtStatus::OBJECT_NAME_NOT_FOUND, None);
        a.resize(88, 0);
        a[20..24].copy_from_slice(&88u32.to_le_bytes());
        let mut frame = a.clone();
        frame.extend_from_slice(&b);
        let mut r1 = waiter(&mut s, 1);
        let mut r2 = waiter(&mut s, 2);
        deliver(s.on_frame(frame, false));
        assert_eq!(r1.try_recv().unwrap().unwrap().len(), 88);
        let m2 = r2.try_recv().unwrap().unwrap();
        assert_eq!(
            Header::decode(&m2).unwrap().status,
            NtStatus::OBJECT_NAME_NOT_FOUND
        );
        assert_eq!(s.credits, 1 + 3);
    }

    /// Regression (issue 12): a NEGOTIATE-era reply carrying another command and no
    /// SERVER_TO_REDIR flag was accepted as the answer.
    #[test]
    fn a_reply_must_match_its_request() {
        let mut s = State::new();
        let mut r1 = waiter(&mut s, 1); // a WRITE
        let mut other = response(1, 1, NtStatus::SUCCESS, None);
        other[12..14].copy_from_slice(&(Command::SessionSetup as u16).to_le_bytes());
        deliver(s.on_frame(other, false));
        assert!(matches!(r1.try_recv().unwrap(), Err(Error::Protocol(_))));
        let mut r2 = waiter(&mut s, 2);
        let mut unflagged = response(2, 1, NtStatus::SUCCESS, None);
        unflagged[16..20].copy_from_slice(&0u32.to_le_bytes());
        deliver(s.on_frame(unflagged, false));
        assert!(matches!(r2.try_recv().unwrap(), Err(Error::Protocol(_))));
        let mut r3 = waiter(&mut s, 3);
        deliver(s.on_frame(response(3, 1, NtStatus::SUCCESS, None), false));
        assert!(r3.try_recv().unwrap().is_ok());
    }

    #[test]
    fn credit_grants_are_capped() {
        let mut s = State::new();
        for mid in 0..20 {
            let _ = s.on_frame(response(mid, u16::MAX, NtStatus::SUCCESS, None), false);
        }
        assert_eq!(s.credits, MAX_CREDITS);
    }

    #[tokio::test]
    async fn a_flood_of_breaks_kills_the_connection() {
        let mut s = State::new();
        let (tx, _rx) = tokio::sync::mpsc::channel(NOTIFICATION_QUEUE);
        s.notifications = Some(tx);
        let mut r = waiter(&mut s, 5);
        let mut brk = response(u64::MAX, 0, NtStatus::SUCCESS, None);
        brk[12..14].copy_from_slice(&(Command::OplockBreak as u16).to_le_bytes());
        for _ in 0..NOTIFICATION_QUEUE {
            assert!(s.on_frame(brk.clone(), false).is_empty());
            assert!(!s.dead);
        }
        deliver(s.on_frame(brk, false));
        assert!(s.dead, "one break more than the queue holds is a flood");
        assert!(matches!(r.try_recv().unwrap(), Err(Error::Disconnected)));
    }

    #[test]
    fn garbage_frames_do_not_panic() {
        let mut s = State::new();
        let _rx = waiter(&mut s, 1);
        let good = response(1, 1, NtStatus::SUCCESS, None);
        for n in 0..good.len() {
            let _ = s.on_frame(good[..n].to_vec(), false);
        }
        let mut bad = good.clone();
        bad[20..24].copy_from_slice(&70u32.to_le_bytes());
        let _ = s.on_frame(bad, false);
    }

    struct FakeSigner;
    impl Signer for FakeSigner {
        fn sign(&self, msg: &mut [u8]) {
            msg[SIGNATURE_RANGE].fill(0xAB);
        }
        fn verify(&self, msg: &mut [u8]) -> bool {
            msg[SIGNATURE_RANGE].iter().all(|b| *b == 0xAB)
        }
    }

    fn signed_session(s: &mut State) {
        s.sessions.insert(
            0,
            SessionSecurity {
                signer: Some(Arc::new(FakeSigner)),
                ..Default::default()
            },
        );
    }

    #[test]
    fn unsigned_or_badly_signed_responses_are_refused() {
        let mut s = State::new();
        signed_session(&mut s);
        // Unsigned success: refused.
        let mut rx = waiter(&mut s, 1);
        deliver(s.on_frame(response(1, 1, NtStatus::SUCCESS, None), false));
        assert!(matches!(rx.try_recv().unwrap(), Err(Error::BadSignature)));
        // Signed, wrong signature: refused.
        let mut rx = waiter(&mut s, 2);
        let mut m = response(2, 1, NtStatus::SUCCESS, None);
        m[16] |= HeaderFlags::SIGNED as u8;
        m[SIGNATURE_RANGE].fill(0x11);
        deliver(s.on_frame(m, false));
        assert!(matches!(rx.try_recv().unwrap(), Err(Error::BadSignature)));
        // Signed correctly: accepted.
        let mut rx = waiter(&mut s, 3);
        let mut m = response(3, 1, NtStatus::SUCCESS, None);
        m[16] |= HeaderFlags::SIGNED as u8;
        FakeSigner.sign(&mut m);
        deliver(s.on_frame(m, false));
        assert!(rx.try_recv().unwrap().is_ok());
        // An unsigned error is refused too (a forged USER_SESSION_DELETED would force a
        // reconnect); an unsigned interim STATUS_PENDING only counts its credits; an
        // encrypted frame needs no signature.
        let mut rx = waiter(&mut s, 4);
        deliver(s.on_frame(response(4, 1, NtStatus::USER_SESSION_DELETED, None), false));
        assert!(matches!(rx.try_recv().unwrap(), Err(Error::BadSignature)));
        let mut rx = waiter(&mut s, 6);
        assert!(
            s.on_frame(response(6, 1, NtStatus::PENDING, Some(1)), false)
                .is_empty()
        );
        assert!(rx.try_recv().is_err(), "still waiting for the final reply");
        let mut rx = waiter(&mut s, 5);
        deliver(s.on_frame(response(5, 1, NtStatus::SUCCESS, None), true));
        assert!(rx.try_recv().unwrap().is_ok());
    }

    #[test]
    fn buffer_pool_reuses_big_buffers_within_its_bound() {
        let mut p = BufferPool::default();
        assert!(
            p.take(1 << 20).capacity() == 0,
            "empty pool: caller allocates"
        );
        p.put(Vec::with_capacity(1000)); // too small to keep
        assert!(p.free.is_empty());
        p.put(Vec::with_capacity(2 << 20));
        assert!(
            p.take(100).capacity() == 0,
            "small frames don't take pooled buffers"
        );
        assert!(p.take(1 << 20).capacity() >= 1 << 20);
        assert_eq!(p.bytes, 0);
        // A buffer given back full comes out empty.
        p.put(vec![7u8; 1 << 20]);
        let b = p.take(1 << 19);
        assert!(b.is_empty() && b.capacity() >= 1 << 20);
        for _ in 0..64 {
            p.put(Vec::with_capacity(1 << 20));
        }
        assert!(p.bytes <= POOL_MAX_BYTES);
        // A miss drops a buffer so that the pool adapts to larger frames.
        let before = p.free.len();
        assert!(p.take(4 << 20).capacity() == 0);
        assert_eq!(p.free.len(), before - 1);
    }

    #[test]
    fn death_releases_everyone() {
        let mut s = State::new();
        let mut a = waiter(&mut s, 1);
        let mut b = waiter(&mut s, 2);
        deliver(s.fail_all());
        assert!(matches!(a.try_recv().unwrap(), Err(Error::Disconnected)));
        assert!(matches!(b.try_recv().unwrap(), Err(Error::Disconnected)));
        assert!(s.dead);
    }

    /// A fake server over a real socket: answers the first request with an interim response
    /// then the final one, and checks that a second call can use the interim grant.
    #[tokio::test]
    async fn interim_then_final_over_socket() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = l.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            let (mut s, _) = l.accept().await.unwrap();
            let read_msg = async |s: &mut tokio::net::TcpStream| {
                let mut hdr = [0u8; 4];
                s.read_exact(&mut hdr).await.unwrap();
                let mut m = vec![0u8; u32::from_be_bytes(hdr) as usize];
                s.read_exact(&mut m).await.unwrap();
                Header::decode(&m).unwrap()
            };
            let send = |m: Vec<u8>| {
                let mut f = (m.len() as u32).to_be_bytes().to_vec();
                f.extend_from_slice(&m);
                f
            };
            let h = read_msg(&mut s).await;
            s.write_all(&send(response(h.message_id, 4, NtStatus::PENDING, Some(9))))
                .await
                .unwrap();
            // The client now has 4 credits: a second request arrives before we finish the first.
            let h2 = read_msg(&mut s).await;
            s.write_all(&send(response(h2.message_id, 1, NtStatus::SUCCESS, None)))
                .await
                .unwrap();
            s.write_all(&send(response(h.message_id, 0, NtStatus::SUCCESS, Some(9))))
                .await
                .unwrap();
            s
        });
        let (r, w) = crate::transport::connect("127.0.0.1", port, Duration::from_secs(2))
            .await
            .unwrap();
        let c = Connection::new(r, w, ConnConfig::default());
        let opts = CallOptions {
            timeout: Duration::from_secs(5),
            encrypt: false,
        };
        let mut m = Vec::new();
        // The fake server answers with WRITE responses: the request must be a WRITE.
        Header::request(Command::Write).encode(&mut m);
        let first = tokio::spawn({
            let c = c.clone();
            let m = m.clone();
            async move { c.call(m, 0, opts).await }
        });
        // Only 1 credit at start: this call can go out only thanks to the interim grant.
        let second = c.call(m, 0, opts).await.unwrap();
        assert_eq!(Header::decode(&second).unwrap().status, NtStatus::SUCCESS);
        first.await.unwrap().unwrap();
        let st = c.credit_stats();
        assert_eq!(st.available, 1 + 4 + 1 - 2);
        assert_eq!(st.waiters, 0);
        let _s = server.await.unwrap();
    }

    #[tokio::test]
    async fn deadline_and_disconnect() {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = l.local_addr().unwrap().port();
        let server = tokio::spawn(async move { l.accept().await.unwrap().0 });
        let (r, w) = crate::transport::connect("127.0.0.1", port, Duration::from_secs(2))
            .await
            .unwrap();
        let c = Connection::new(r, w, ConnConfig::default());
        let sock = server.await.unwrap();
        let mut m = Vec::new();
        Header::request(Command::Echo).encode(&mut m);
        let t = std::time::Instant::now();
        let e = c
            .call(
                m.clone(),
                0,
                CallOptions {
                    timeout: Duration::from_millis(100),
                    encrypt: false,
                },
            )
            .await;
        assert!(matches!(e, Err(Error::Timeout { .. })), "{e:?}");
        assert!(t.elapsed() < Duration::from_secs(1));
        // The timed-out request took the only credit and the server never answered: a new call
        // must not hang on credits; it fails at once.
        let e = c
            .call(
                m.clone(),
                0,
                CallOptions {
                    timeout: Duration::from_secs(5),
                    encrypt: false,
                },
            )
            .await;
        assert!(e.is_err());
        drop(sock);
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(c.is_dead());
        let e = c
            .call(
                m,
                0,
                CallOptions {
                    timeout: Duration::from_secs(5),
                    encrypt: false,
                },
            )
            .await;
        assert!(matches!(e, Err(Error::NotSent)), "{e:?}");
    }
}
