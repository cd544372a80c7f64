//! A hostile SMB2 server, and a hostile HTTP server ([`http`]): the project's scripted
//! servers, for the faults real servers do not produce on demand.
//!
//! It completes a real NTLMv2 logon against a known password (verified from the client's
//! proof, so post-authentication parsers are reachable exactly as with a real server), then
//! answers every request plausibly — unless the test's hook says otherwise for a request: a
//! malformed reply, a reply to another command, a flood, a silence, raw bytes on the socket.
//!
//! It speaks SMB 2.1 (HMAC-SHA256 signing with the session key, no preauth hash), which every
//! client offers, so a test needs no more cryptography than the logon. It is not a file
//! server: it has no files, only the answers a test scripts.
//!
//! ```no_run
//! use wnet_testkit::hostile::{Answer, HostileServer, Reply, Script, command};
//!
//! let server = HostileServer::start(Script::new().hook(|r| {
//!     if r.command == command::QUERY_DIRECTORY {
//!         Answer::Reply(Reply::ok(wnet_testkit::hostile::body::with_output(vec![0; 8])))
//!     } else {
//!         Answer::Default
//!     }
//! }));
//! println!("connect to 127.0.0.1:{} as anyone, password {}", server.port(), server.password());
//! ```

pub mod http;
mod ntlm;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// SMB2 command codes (MS-SMB2 §2.2.1).
pub mod command {
    /// NEGOTIATE.
    pub const NEGOTIATE: u16 = 0;
    /// SESSION_SETUP.
    pub const SESSION_SETUP: u16 = 1;
    /// LOGOFF.
    pub const LOGOFF: u16 = 2;
    /// TREE_CONNECT.
    pub const TREE_CONNECT: u16 = 3;
    /// TREE_DISCONNECT.
    pub const TREE_DISCONNECT: u16 = 4;
    /// CREATE.
    pub const CREATE: u16 = 5;
    /// CLOSE.
    pub const CLOSE: u16 = 6;
    /// FLUSH.
    pub const FLUSH: u16 = 7;
    /// READ.
    pub const READ: u16 = 8;
    /// WRITE.
    pub const WRITE: u16 = 9;
    /// LOCK.
    pub const LOCK: u16 = 10;
    /// IOCTL.
    pub const IOCTL: u16 = 11;
    /// CANCEL.
    pub const CANCEL: u16 = 12;
    /// ECHO.
    pub const ECHO: u16 = 13;
    /// QUERY_DIRECTORY.
    pub const QUERY_DIRECTORY: u16 = 14;
    /// CHANGE_NOTIFY.
    pub const CHANGE_NOTIFY: u16 = 15;
    /// QUERY_INFO.
    pub const QUERY_INFO: u16 = 16;
    /// SET_INFO.
    pub const SET_INFO: u16 = 17;
    /// OPLOCK_BREAK (and lease break).
    pub const OPLOCK_BREAK: u16 = 18;
}

/// NT status codes the kit uses.
pub mod status {
    /// STATUS_SUCCESS.
    pub const SUCCESS: u32 = 0;
    /// STATUS_PENDING.
    pub const PENDING: u32 = 0x0000_0103;
    /// STATUS_NO_MORE_FILES.
    pub const NO_MORE_FILES: u32 = 0x8000_0006;
    /// STATUS_END_OF_FILE.
    pub const END_OF_FILE: u32 = 0xC000_0011;
    /// STATUS_MORE_PROCESSING_REQUIRED.
    pub const MORE_PROCESSING_REQUIRED: u32 = 0xC000_0016;
    /// STATUS_LOGON_FAILURE.
    pub const LOGON_FAILURE: u32 = 0xC000_006D;
    /// STATUS_NOT_SUPPORTED.
    pub const NOT_SUPPORTED: u32 = 0xC000_00BB;
    /// STATUS_USER_SESSION_DELETED.
    pub const USER_SESSION_DELETED: u32 = 0xC000_0203;
}

/// The password every user name logs on with.
pub const PASSWORD: &str = "hostile-Pa55";
/// The session id the server hands out.
pub const SESSION_ID: u64 = 0x0000_0400_0000_0011;
/// The tree id of every tree connect.
pub const TREE_ID: u32 = 7;

/// One request as the hook sees it.
#[derive(Debug)]
pub struct Request<'a> {
    /// The command code (`command::*`).
    pub command: u16,
    /// Its MessageId.
    pub message_id: u64,
    /// The whole message (header included).
    pub msg: &'a [u8],
    /// The body (after the 64-byte header).
    pub body: &'a [u8],
    /// Whether the logon completed on this connection.
    pub authenticated: bool,
}

impl Request<'_> {
    /// A little-endian `u32` of the body at `off` (0 if the body is shorter).
    pub fn body_u32(&self, off: usize) -> u32 {
        self.body
            .get(off..off + 4)
            .map_or(0, |b| u32::from_le_bytes(b.try_into().unwrap()))
    }
}

/// What the server does with one request.
pub enum Answer {
    /// The plausible answer.
    Default,
    /// A scripted reply (header built by the kit from the request, then `Reply`'s edits).
    Reply(Reply),
    /// These bytes on the socket as they are (frame headers included).
    Raw(Vec<u8>),
    /// No answer.
    Silence,
    /// Closes the connection.
    Close,
    /// Several answers in order.
    Then(Vec<Answer>),
}

/// A scripted reply: status and body, and how the header may lie.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The status.
    pub status: u32,
    /// The body after the header.
    pub body: Vec<u8>,
    /// The command written in the header (default: the request's).
    pub command: Option<u16>,
    /// The MessageId (default: the request's).
    pub message_id: Option<u64>,
    /// Whether the SERVER_TO_REDIR flag is set (default yes).
    pub server_to_redir: bool,
    /// Credits granted (default: what the request asked for, at least 1).
    pub credits: Option<u16>,
    /// Whether the reply is signed once the session has a key (default yes).
    pub sign: bool,
    /// An async reply with this AsyncId (interim STATUS_PENDING and its final reply).
    pub async_id: Option<u64>,
    /// The TreeId (default: the request's).
    pub tree_id: Option<u32>,
    /// The SessionId (default: the request's).
    pub session_id: Option<u64>,
}

impl Reply {
    /// A reply with `status` and `body`.
    pub fn new(status: u32, body: Vec<u8>) -> Self {
        Reply {
            status,
            body,
            command: None,
            message_id: None,
            server_to_redir: true,
            credits: None,
            sign: true,
            async_id: None,
            tree_id: None,
            session_id: None,
        }
    }

    /// A success reply.
    pub fn ok(body: Vec<u8>) -> Self {
        Reply::new(status::SUCCESS, body)
    }

    /// An error reply (the 9-byte error body).
    pub fn error(status: u32) -> Self {
        Reply::new(status, body::error())
    }
}

/// Reply bodies (after the header) of the commands the kit answers.
pub mod body {
    fn put16(v: &mut Vec<u8>, x: u16) {
        v.extend_from_slice(&x.to_le_bytes());
    }
    fn put32(v: &mut Vec<u8>, x: u32) {
        v.extend_from_slice(&x.to_le_bytes());
    }

    /// The error body (StructureSize 9).
    pub fn error() -> Vec<u8> {
        vec![9, 0, 0, 0, 0, 0, 0, 0, 0]
    }

    /// The 4-byte body of ECHO, LOGOFF, TREE_DISCONNECT, FLUSH, LOCK responses.
    pub fn empty() -> Vec<u8> {
        vec![4, 0, 0, 0]
    }

    /// A `StructureSize 9, offset, length` body (QUERY_DIRECTORY, CHANGE_NOTIFY, QUERY_INFO)
    /// carrying `output`.
    pub fn with_output(output: Vec<u8>) -> Vec<u8> {
        let mut b = Vec::new();
        put16(&mut b, 9);
        put16(&mut b, 72);
        put32(&mut b, output.len() as u32);
        b.extend(output);
        b
    }

    /// A READ response claiming `data_length` bytes and carrying `data`.
    pub fn read(data: &[u8], data_length: u32) -> Vec<u8> {
        let mut b = Vec::new();
        put16(&mut b, 17);
        b.push(80);
        b.push(0);
        put32(&mut b, data_length);
        put32(&mut b, 0);
        put32(&mut b, 0);
        b.extend_from_slice(data);
        b
    }

    /// A WRITE response claiming `count` bytes written.
    pub fn write(count: u32) -> Vec<u8> {
        let mut b = Vec::new();
        put16(&mut b, 17);
        put16(&mut b, 0);
        put32(&mut b, count);
        put32(&mut b, 0);
        put16(&mut b, 0);
        put16(&mut b, 0);
        b
    }

    /// A CREATE response for file id (`id`, `id`) with `attributes` and raw create contexts.
    pub fn create(id: u64, attributes: u32, contexts: &[u8]) -> Vec<u8> {
        let mut b = Vec::new();
        put16(&mut b, 89);
        b.push(0); // oplock
        b.push(0);
        put32(&mut b, 1); // opened
        b.extend_from_slice(&[0; 32]); // times
        b.extend_from_slice(&[0; 16]); // sizes
        put32(&mut b, attributes);
        put32(&mut b, 0);
        b.extend_from_slice(&id.to_le_bytes());
        b.extend_from_slice(&id.to_le_bytes());
        if contexts.is_empty() {
            put32(&mut b, 0);
            put32(&mut b, 0);
        } else {
            put32(&mut b, 64 + 88 + 8); // after the body, 8-aligned
            put32(&mut b, contexts.len() as u32);
            b.resize(88 + 8, 0);
            b.extend_from_slice(contexts);
        }
        b
    }

    /// An IOCTL response carrying `output`.
    pub fn ioctl(ctl_code: u32, output: &[u8]) -> Vec<u8> {
        let mut b = Vec::new();
        put16(&mut b, 49);
        put16(&mut b, 0);
        put32(&mut b, ctl_code);
        b.extend_from_slice(&[0; 16]);
        put32(&mut b, 112);
        put32(&mut b, 0);
        put32(&mut b, 112);
        put32(&mut b, output.len() as u32);
        put32(&mut b, 0);
        put32(&mut b, 0);
        b.extend_from_slice(output);
        b
    }
}

/// Entries that overlap: each one's next offset is 8 bytes on, and its name (length field at
/// `name_len_at`, name at `name_at`) runs to the end of the `len`-byte buffer. A parser that
/// copies each name does quadratic work (1 GB for 192 KiB before issue 12's fix).
pub fn overlapping_chain(len: usize, name_len_at: usize, name_at: usize) -> Vec<u8> {
    let mut b = vec![0u8; len];
    let mut off = 0;
    while off + name_at <= len {
        b[off..off + 4].copy_from_slice(&8u32.to_le_bytes());
        let n = ((len - off - name_at) as u32) & !1;
        b[off + name_len_at..off + name_len_at + 4].copy_from_slice(&n.to_le_bytes());
        off += 8;
    }
    b
}

/// This process's peak resident memory (VmHWM), MiB: the bound the hostile tests assert.
pub fn peak_rss_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|kb| kb.parse::<u64>().ok())
        .map_or(0, |kb| kb / 1024)
}

type Hook = dyn Fn(&Request<'_>) -> Answer + Send + Sync;

/// How the server behaves.
pub struct Script {
    hook: Arc<Hook>,
    extra_target_info: usize,
    guest: bool,
    omit_mech_list_mic: bool,
}

impl Default for Script {
    fn default() -> Self {
        Script::new()
    }
}

impl Script {
    /// Plausible answers to everything, a logon with [`PASSWORD`] for any user.
    pub fn new() -> Self {
        Script {
            hook: Arc::new(|_| Answer::Default),
            extra_target_info: 0,
            guest: false,
            omit_mech_list_mic: false,
        }
    }

    /// Lets `hook` answer each request first ([`Answer::Default`] keeps the plausible one).
    pub fn hook(mut self, hook: impl Fn(&Request<'_>) -> Answer + Send + Sync + 'static) -> Self {
        self.hook = Arc::new(hook);
        self
    }

    /// Pads the CHALLENGE's TargetInfo with `bytes` of an unknown AV pair.
    pub fn target_info_padding(mut self, bytes: usize) -> Self {
        self.extra_target_info = bytes;
        self
    }

    /// Ends the logon without the SPNEGO mechListMIC (a stripped negotiation).
    pub fn omit_mech_list_mic(mut self) -> Self {
        self.omit_mech_list_mic = true;
        self
    }

    /// Ends the logon with SessionFlags IS_GUEST, unsigned (a downgrade).
    pub fn guest(mut self) -> Self {
        self.guest = true;
        self
    }
}

/// What the server saw (for assertions).
#[derive(Debug, Default)]
pub struct Seen {
    /// Commands received, in order, over every connection.
    pub commands: Vec<u16>,
    /// Connections accepted.
    pub connections: usize,
}

/// A running hostile server on a loopback port; stops (closing every connection) when dropped.
pub struct HostileServer {
    port: u16,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
    seen: Arc<Mutex<Seen>>,
    streams: Arc<Mutex<Vec<TcpStream>>>,
}

impl std::fmt::Debug for HostileServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostileServer")
            .field("port", &self.port)
            .finish()
    }
}

impl HostileServer {
    /// Starts serving `script` on a free loopback port.
    pub fn start(script: Script) -> HostileServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let port = listener.local_addr().expect("local address").port();
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(Mutex::new(Seen::default()));
        let streams = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(script);
        let accept = accept_loop(listener, stop.clone(), streams.clone(), {
            let seen = seen.clone();
            move |s| {
                seen.lock().unwrap().connections += 1;
                let _ = Conn::new(s, script.clone(), seen.clone()).serve();
            }
        });
        HostileServer {
            port,
            stop,
            accept: Some(accept),
            seen,
            streams,
        }
    }

    /// The port it listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The password that logs on (any user name).
    pub fn password(&self) -> &'static str {
        PASSWORD
    }

    /// `\\127.0.0.1@PORT\share`.
    pub fn unc(&self, share: &str) -> String {
        format!(r"\\127.0.0.1@{}\{share}", self.port)
    }

    /// What the server saw so far.
    pub fn seen(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.seen.lock().unwrap()
    }
}

impl Drop for HostileServer {
    fn drop(&mut self) {
        stop_serving(&self.stop, &self.streams, self.port, self.accept.take());
    }
}

/// Accepts connections on `listener` until `stop`, each served by `serve` on its own thread;
/// every stream is kept in `streams` so [`stop_serving`] can shut it down.
fn accept_loop(
    listener: TcpListener,
    stop: Arc<AtomicBool>,
    streams: Arc<Mutex<Vec<TcpStream>>>,
    serve: impl Fn(TcpStream) + Send + Sync + 'static,
) -> JoinHandle<()> {
    let serve = Arc::new(serve);
    std::thread::spawn(move || {
        for s in listener.incoming() {
            if stop.load(Ordering::SeqCst) {
                return;
            }
            let Ok(s) = s else { continue };
            let _ = s.set_nodelay(true);
            if let Ok(c) = s.try_clone() {
                streams.lock().unwrap().push(c);
            }
            let serve = serve.clone();
            std::thread::spawn(move || serve(s));
        }
    })
}

/// Stops an [`accept_loop`]: every connection shut down, the loop woken and joined.
fn stop_serving(
    stop: &AtomicBool,
    streams: &Mutex<Vec<TcpStream>>,
    port: u16,
    accept: Option<JoinHandle<()>>,
) {
    stop.store(true, Ordering::SeqCst);
    for s in streams.lock().unwrap().drain(..) {
        let _ = s.shutdown(Shutdown::Both);
    }
    let _ = TcpStream::connect(("127.0.0.1", port));
    if let Some(t) = accept {
        let _ = t.join();
    }
}

/// One client connection.
struct Conn {
    s: TcpStream,
    script: Arc<Script>,
    seen: Arc<Mutex<Seen>>,
    ntlm: Option<ntlm::NtlmServer>,
    key: Option<[u8; 16]>,
    next_file: AtomicU64,
}

impl Conn {
    fn new(s: TcpStream, script: Arc<Script>, seen: Arc<Mutex<Seen>>) -> Conn {
        Conn {
            s,
            script,
            seen,
            ntlm: None,
            key: None,
            next_file: AtomicU64::new(1),
        }
    }

    fn serve(mut self) -> std::io::Result<()> {
        loop {
            let mut hdr = [0u8; 4];
            self.s.read_exact(&mut hdr)?;
            let len = u32::from_be_bytes(hdr) as usize & 0x00FF_FFFF;
            let mut frame = vec![0u8; len];
            self.s.read_exact(&mut frame)?;
            // A compound chain: each message answered on its own (matched by MessageId).
            let mut off = 0;
            while let Some(rest) = frame.get(off..) {
                if rest.len() < 64 || rest[..4] != [0xFE, b'S', b'M', b'B'] {
                    break;
                }
                let next = u32::from_le_bytes(rest[20..24].try_into().unwrap()) as usize;
                let end = if next >= 64 && next <= rest.len() {
                    next
                } else {
                    rest.len()
                };
                if !self.one(&rest[..end])? {
                    return Ok(());
                }
                if next < 64 || next > rest.len() {
                    break;
                }
                off += next;
            }
        }
    }

    /// Answers one message; `false` closes the connection.
    fn one(&mut self, msg: &[u8]) -> std::io::Result<bool> {
        {
            let command = u16::from_le_bytes([msg[12], msg[13]]);
            let message_id = u64::from_le_bytes(msg[24..32].try_into().unwrap());
            self.seen.lock().unwrap().commands.push(command);
            let answer = {
                let r = Request {
                    command,
                    message_id,
                    msg,
                    body: &msg[64..],
                    authenticated: self.key.is_some(),
                };
                (self.script.hook)(&r)
            };
            self.answer(answer, msg)
        }
    }

    /// Carries out `a`; `false` closes the connection.
    fn answer(&mut self, a: Answer, req: &[u8]) -> std::io::Result<bool> {
        match a {
            Answer::Default => {
                if let Some(r) = self.default_reply(req) {
                    self.send(&r, req)?;
                }
            }
            Answer::Reply(r) => self.send(&r, req)?,
            Answer::Raw(bytes) => self.s.write_all(&bytes)?,
            Answer::Silence => {}
            Answer::Close => {
                let _ = self.s.shutdown(Shutdown::Both);
                return Ok(false);
            }
            Answer::Then(all) => {
                for a in all {
                    if !self.answer(a, req)? {
                        return Ok(false);
                    }
                }
            }
        }
        Ok(true)
    }

    fn send(&mut self, r: &Reply, req: &[u8]) -> std::io::Result<()> {
        let m = self.message(r, req);
        let mut frame = (m.len() as u32).to_be_bytes().to_vec();
        frame.extend_from_slice(&m);
        self.s.write_all(&frame)
    }

    /// The reply message: header from the request, then `r`'s edits, signed if due.
    fn message(&self, r: &Reply, req: &[u8]) -> Vec<u8> {
        let mut m = req[..64].to_vec();
        m[8..12].copy_from_slice(&r.status.to_le_bytes());
        if let Some(c) = r.command {
            m[12..14].copy_from_slice(&c.to_le_bytes());
        }
        let asked = u16::from_le_bytes([req[14], req[15]]).max(1);
        m[14..16].copy_from_slice(&r.credits.unwrap_or(asked).to_le_bytes());
        let mut flags = u32::from_le_bytes(m[16..20].try_into().unwrap()) & 0x1000_0000;
        if r.server_to_redir {
            flags |= 0x1;
        }
        m[20..24].copy_from_slice(&0u32.to_le_bytes());
        if let Some(mid) = r.message_id {
            m[24..32].copy_from_slice(&mid.to_le_bytes());
        }
        if let Some(t) = r.tree_id {
            m[36..40].copy_from_slice(&t.to_le_bytes());
        }
        if let Some(sid) = r.session_id {
            m[40..48].copy_from_slice(&sid.to_le_bytes());
        }
        if let Some(a) = r.async_id {
            flags |= 0x2;
            m[32..40].copy_from_slice(&a.to_le_bytes());
        }
        m[48..64].fill(0);
        m.extend_from_slice(&r.body);
        let session = u64::from_le_bytes(m[40..48].try_into().unwrap());
        if let Some(key) = self.key.filter(|_| r.sign && session != 0) {
            flags |= 0x8;
            m[16..20].copy_from_slice(&flags.to_le_bytes());
            let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key).expect("any key");
            mac.update(&m);
            let sig = mac.finalize().into_bytes();
            m[48..64].copy_from_slice(&sig[..16]);
        } else {
            m[16..20].copy_from_slice(&flags.to_le_bytes());
        }
        m
    }

    /// The plausible answer to `req`, or `None` for no answer (CANCEL, CHANGE_NOTIFY).
    fn default_reply(&mut self, req: &[u8]) -> Option<Reply> {
        let command = u16::from_le_bytes([req[12], req[13]]);
        let body = &req[64..];
        Some(match command {
            command::NEGOTIATE => Reply::ok(negotiate_body()),
            command::SESSION_SETUP => return Some(self.session_setup(req)),
            command::LOGOFF | command::TREE_DISCONNECT | command::FLUSH | command::LOCK => {
                Reply::ok(body::empty())
            }
            command::ECHO => Reply::ok(body::empty()),
            command::TREE_CONNECT => {
                let mut b = vec![16, 0];
                let path_off = u16::from_le_bytes([body[4], body[5]]) as usize;
                let path_len = u16::from_le_bytes([body[6], body[7]]) as usize;
                let path: Vec<u16> = req
                    .get(path_off..path_off + path_len)
                    .unwrap_or_default()
                    .chunks_exact(2)
                    .map(|c| u16::from_le_bytes([c[0], c[1]]))
                    .collect();
                let pipe = String::from_utf16_lossy(&path)
                    .to_uppercase()
                    .ends_with("IPC$");
                b.push(if pipe { 2 } else { 1 });
                b.push(0);
                b.extend_from_slice(&0u32.to_le_bytes());
                b.extend_from_slice(&0u32.to_le_bytes());
                b.extend_from_slice(&0x001F_01FFu32.to_le_bytes());
                let mut r = Reply::ok(b);
                r.tree_id = Some(TREE_ID);
                r
            }
            command::CREATE => {
                let id = self.next_file.fetch_add(1, Ordering::Relaxed);
                Reply::ok(body::create(id, 0x10, &[]))
            }
            command::CLOSE => {
                let mut b = vec![60, 0];
                b.resize(60, 0);
                Reply::ok(b)
            }
            command::READ => Reply::error(status::END_OF_FILE),
            command::WRITE => Reply::ok(body::write(u32::from_le_bytes(
                body[4..8].try_into().unwrap_or([0; 4]),
            ))),
            command::IOCTL => Reply::error(status::NOT_SUPPORTED),
            command::QUERY_DIRECTORY => Reply::error(status::NO_MORE_FILES),
            command::QUERY_INFO => {
                // Everything is an empty directory.
                let asked = u32::from_le_bytes(body[4..8].try_into().unwrap_or([0; 4])) as usize;
                let mut out = vec![0u8; asked.min(104)];
                let mut set = |off: usize, v: u8| {
                    if let Some(b) = out.get_mut(off) {
                        *b = v;
                    }
                };
                match (body.get(2), body.get(3)) {
                    (Some(1), Some(34)) => set(48, 0x10), // network open: attributes
                    (Some(1), Some(4)) => set(32, 0x10),  // basic: attributes
                    (Some(1), Some(5)) => set(21, 1),     // standard: directory
                    (Some(1), Some(18)) => {
                        set(32, 0x10);
                        set(61, 1);
                    }
                    (Some(2), _) => {
                        // file-system sizes: 512-byte sectors, 8 per unit
                        set(24, 8);
                        set(29, 2);
                    }
                    _ => {}
                }
                Reply::ok(body::with_output(out))
            }
            command::SET_INFO => Reply::ok(vec![2, 0]),
            command::OPLOCK_BREAK => Reply::ok(body.to_vec()),
            _ => return None, // CANCEL, CHANGE_NOTIFY: no answer
        })
    }

    fn session_setup(&mut self, req: &[u8]) -> Reply {
        let body = &req[64..];
        let off = u16::from_le_bytes([body[12], body[13]]) as usize;
        let len = u16::from_le_bytes([body[14], body[15]]) as usize;
        let token = req.get(off..off + len).unwrap_or_default();
        let setup_body = |flags: u16, token: &[u8]| {
            let mut b = vec![9, 0];
            b.extend_from_slice(&flags.to_le_bytes());
            b.extend_from_slice(&72u16.to_le_bytes());
            b.extend_from_slice(&(token.len() as u16).to_le_bytes());
            b.extend_from_slice(token);
            b
        };
        let mut r = self.logon_step(token, setup_body);
        r.session_id = Some(SESSION_ID);
        r
    }

    fn logon_step(&mut self, token: &[u8], setup_body: impl Fn(u16, &[u8]) -> Vec<u8>) -> Reply {
        match self.ntlm.take() {
            None => {
                let n = ntlm::NtlmServer::new(self.script.extra_target_info);
                let r = Reply::new(
                    status::MORE_PROCESSING_REQUIRED,
                    setup_body(0, &n.challenge_token()),
                );
                self.ntlm = Some(n);
                r
            }
            Some(n) => match n.verify(token, PASSWORD) {
                Some((key, final_token)) => {
                    if self.script.guest {
                        let mut r = Reply::ok(setup_body(1, &[]));
                        r.sign = false;
                        return r;
                    }
                    self.key = Some(key);
                    if self.script.omit_mech_list_mic {
                        // accept-completed alone
                        return Reply::ok(setup_body(
                            0,
                            &[0xA1, 0x07, 0x30, 0x05, 0xA0, 0x03, 0x0A, 0x01, 0x00],
                        ));
                    }
                    Reply::ok(setup_body(0, &final_token))
                }
                None => Reply::error(status::LOGON_FAILURE),
            },
        }
    }
}

fn negotiate_body() -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&65u16.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes()); // signing enabled
    b.extend_from_slice(&0x0210u16.to_le_bytes());
    b.extend_from_slice(&0u16.to_le_bytes());
    b.extend_from_slice(b"hostile-server!!");
    b.extend_from_slice(&0x0000_0006u32.to_le_bytes()); // leasing, large MTU
    for _ in 0..3 {
        b.extend_from_slice(&(1u32 << 20).to_le_bytes());
    }
    b.extend_from_slice(&[0; 16]); // times
    b.extend_from_slice(&128u16.to_le_bytes()); // security buffer offset
    b.extend_from_slice(&0u16.to_le_bytes());
    b.extend_from_slice(&0u32.to_le_bytes());
    b
}
