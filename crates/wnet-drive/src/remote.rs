//! The seam between the drive and a network provider (ADR 0017): [`RemoteFs`], what the
//! drive asks of a remote file system, and [`RemoteFile`], an open file on it, with the
//! [`Capabilities`] a provider declares so that the drive adapts to them (watch directories
//! only where the server notifies, mirror locks only where it locks ranges, ...) instead of
//! knowing which protocol it speaks. Nothing here names SMB or WebDAV: metadata crosses as
//! the drive's own [`Attr`]/[`Listed`], failures as one [`FsError`], which
//! [`super::errno::from_fs`] turns into the errno a program sees (the one mapping to errno).
//!
//! Paths are the drive's: relative to the mounted root, `/`-separated, no leading `/`, `""`
//! for the root. Routing a path to where it lives (DFS links, WebDAV collections) is the
//! provider's business.
//!
//! The traits are object-safe (the drive holds an `Arc<dyn RemoteFs>`): their futures are
//! boxed, one allocation per round trip.

use super::cache::{Attr, Listed};
pub use super::names::NameRules;
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, SystemTime};

/// What a provider's server can do; the drive adapts to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Capabilities {
    /// Directory change notifications ([`RemoteFs::watch`]): busy directories are watched
    /// and answered from the cache while complete (ADR 0003). Without them every cached
    /// answer has a short TTL.
    pub change_notify: bool,
    /// The watch is the drive's own polling: [`RemoteWatch::next`] answers every so often
    /// whatever happened, and each answer costs a listing of the directory (WebDAV, ADR
    /// 0020). Fewer and smaller directories are watched, only while in use
    /// ([`crate::watch::Bounds`]). Only with [`Capabilities::change_notify`].
    pub polled_watch: bool,
    /// Byte-range locks on an open file ([`RemoteFile::lock`]): POSIX and `flock` locks are
    /// mirrored on the server. Without them locks are local to this drive.
    pub byte_range_locks: bool,
    /// Writes at any offset of an open file go to the server as they come
    /// ([`RemoteFile::write`]); without them (WebDAV) the provider stages a file's content
    /// and sends it whole at flush or close.
    pub ranged_writes: bool,
    /// A rename is one server operation ([`RemoteFs::rename`]); without it the drive refuses
    /// a rename of a directory with `EXDEV` (programs then copy).
    pub server_side_rename: bool,
    /// Open files survive a dropped connection (reclaimed after a reconnect with no
    /// acknowledged write lost).
    pub durable_handles: bool,
    /// Names differ only in case name the same file (the drive's caches key by folded name).
    pub case_insensitive: bool,
    /// Ranges can be zeroed and space reserved ([`RemoteFile::zero_range`],
    /// [`RemoteFile::reserve`]): `fallocate` beyond plain growth.
    pub sparse_ranges: bool,
    /// A file's contents may be kept across opens: the server promises to tell the drive
    /// before another client's change reaches it (SMB leases, ADR 0011). The drive keeps
    /// files so only where its mount asked for it (`file_leases`).
    pub caching_across_opens: bool,
    /// The largest read one request may ask for.
    pub max_read: u32,
    /// The server grants no write access at all: an access refusal means the drive is
    /// read-only (`EROFS`), not a missing permission (`EACCES`).
    pub read_only: bool,
    /// The names the server can hold: the drive answers `EINVAL`/`ENAMETOOLONG` for any
    /// other before sending anything ([`super::names::check`]). Default: Windows' rules.
    pub names: NameRules,
}

/// Why a remote operation failed, as the drive needs to know it: the kind decides the errno
/// (in [`super::errno::from_fs`] only), `connection_lost` whether the drive turns
/// Disconnected, and the message is for logs and status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FsError {
    /// What went wrong.
    pub kind: FsErrorKind,
    /// The server is gone (connection dropped, session or share forgotten, no answer within
    /// the deadline): the drive turns Disconnected until its probe gets an answer.
    pub connection_lost: bool,
    /// The provider's own description (with its status code), for logs.
    pub message: String,
}

/// The kinds of failure the drive tells apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FsErrorKind {
    /// No such file or directory (or it is being deleted).
    NotFound,
    /// The name exists already.
    Exists,
    /// The server denied access: `EROFS` on a share that grants no write access at all,
    /// `EACCES` otherwise.
    AccessDenied,
    /// Refused regardless of the share: a read-only file that cannot be deleted.
    Refused,
    /// Logging on again was refused for other reasons than expired credentials (the KDC's
    /// answer, clock skew, ...).
    LogonRefused,
    /// Logging on again was refused for want of valid credentials (no Kerberos ticket, or an
    /// expired one): the user must renew them (`kinit`).
    CredentialsExpired,
    /// A directory that is not empty.
    NotEmpty,
    /// Someone else has the file open in a way that excludes this (a sharing violation).
    Busy,
    /// A conflicting byte-range lock.
    LockConflict,
    /// Unlocking a range that is not locked.
    NotLocked,
    /// A path component is not a directory.
    NotADirectory,
    /// The target is a directory.
    IsADirectory,
    /// A name or argument the server cannot take.
    Invalid,
    /// The server's disk is full.
    NoSpace,
    /// The server does not support the operation.
    Unsupported,
    /// The server timed out (the request's deadline, or its own I/O).
    TimedOut,
    /// A rename across servers or shares.
    CrossDevice,
    /// The open file was closed.
    Closed,
    /// The server ran out of resources.
    NoMemory,
    /// The server is gone, or anything else (transport, protocol, a lost handle).
    Io,
}

impl FsError {
    /// A failure of `kind`, the connection intact.
    pub fn new(kind: FsErrorKind, message: impl Into<String>) -> Self {
        FsError {
            kind,
            connection_lost: false,
            message: message.into(),
        }
    }

    /// An I/O on a file whose server handle is gone (closed meanwhile, or a fetch whose
    /// task ended): `EIO`, and counted as a lost connection.
    pub fn disconnected() -> Self {
        FsError::new(FsErrorKind::Io, "connection lost").lost()
    }

    /// The same failure, meaning the server is gone.
    pub fn lost(mut self) -> Self {
        self.connection_lost = true;
        self
    }

    /// Whether the server refused to log the drive on again: the drive turns Disconnected
    /// and keeps the reason until a reconnect succeeds.
    pub fn is_logon_refused(&self) -> bool {
        matches!(
            self.kind,
            FsErrorKind::CredentialsExpired | FsErrorKind::LogonRefused
        )
    }
}

impl std::fmt::Display for FsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for FsError {}

/// A remote operation's result.
pub type FsResult<T> = Result<T, FsError>;

/// A boxed future of a remote operation (the traits are object-safe).
pub type FsFuture<'a, T> = Pin<Box<dyn Future<Output = FsResult<T>> + Send + 'a>>;

/// Bytes a provider read: [`ReadBuf::bytes`]. A provider that receives into pooled buffers
/// hands its buffer over as it is (the data need not start at its front) with a way home:
/// when the drive drops it, the buffer goes back to the provider, so that the next large read
/// lands in memory already mapped rather than in fresh pages the kernel zeroes one by one.
pub struct ReadBuf {
    buf: Vec<u8>,
    start: usize,
    home: Option<Box<dyn FnOnce(Vec<u8>) + Send + Sync>>,
}

impl ReadBuf {
    /// `data`, owned outright (dropped with the `ReadBuf`).
    pub fn new(data: Vec<u8>) -> Self {
        ReadBuf {
            buf: data,
            start: 0,
            home: None,
        }
    }

    /// The bytes `buf[start..]`; `home` gets `buf` back when the drive is done with it.
    pub fn returned_to(
        buf: Vec<u8>,
        start: usize,
        home: impl FnOnce(Vec<u8>) + Send + Sync + 'static,
    ) -> Self {
        ReadBuf {
            start: start.min(buf.len()),
            buf,
            home: Some(Box::new(home)),
        }
    }

    /// The bytes read.
    pub fn bytes(&self) -> &[u8] {
        &self.buf[self.start..]
    }

    /// How many bytes were read.
    pub fn len(&self) -> usize {
        self.buf.len() - self.start
    }

    /// Whether nothing was read (end of file).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Drop for ReadBuf {
    fn drop(&mut self) {
        if let Some(home) = self.home.take() {
            home(std::mem::take(&mut self.buf));
        }
    }
}

impl std::fmt::Debug for ReadBuf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadBuf").field("len", &self.len()).finish()
    }
}

/// The Windows file attribute bits the drive reads or sets ([`Attr::attributes`]; a
/// provider without them answers `DIRECTORY` or `NORMAL`/`ARCHIVE`).
pub mod attributes {
    /// The file is read-only (`chmod a-w`).
    pub const READONLY: u32 = 0x1;
    /// A directory.
    pub const DIRECTORY: u32 = 0x10;
    /// Changed since the last backup: what a new file has.
    pub const ARCHIVE: u32 = 0x20;
    /// No other attribute set.
    pub const NORMAL: u32 = 0x80;
}

/// Which access an open asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Read only.
    Read,
    /// Write only (attributes readable).
    Write,
    /// Read and write.
    ReadWrite,
}

/// What an open does when the name exists or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// Open an existing file; `NotFound` otherwise.
    Open,
    /// Create a new file; `Exists` if there is one (`O_EXCL`).
    CreateNew,
    /// Open, or create if missing.
    OpenOrCreate,
    /// Truncate an existing file, or create it (`O_TRUNC`).
    Replace,
}

/// How to open a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenHow {
    /// Access asked.
    pub access: Access,
    /// Existing or new.
    pub disposition: Disposition,
    /// Ask for a handle that survives a reconnect (where [`Capabilities::durable_handles`]).
    pub durable: bool,
}

impl OpenHow {
    /// An existing file, for reading, not durable.
    pub const READ: OpenHow = OpenHow {
        access: Access::Read,
        disposition: Disposition::Open,
        durable: false,
    };
}

/// The sizes of the file system ([`RemoteFs::statfs`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FsStats {
    /// Allocation unit in bytes.
    pub unit: u64,
    /// Total units.
    pub total_units: u64,
    /// Free units.
    pub free_units: u64,
    /// Units the caller may use (quota).
    pub available_units: u64,
    /// The longest name component (0: unknown, 255 assumed).
    pub max_name: u32,
}

/// What setattr changes on an open file ([`RemoteFile::set_info`]); `None` leaves a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SetInfo {
    /// Last access time.
    pub atime: Option<SystemTime>,
    /// Last write time.
    pub mtime: Option<SystemTime>,
    /// The Windows attribute bits ([`Attr::attributes`]), for the read-only attribute.
    pub attributes: Option<u32>,
}

/// One change a directory watch reports ([`RemoteWatch::next`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// `name` (in the watched directory) was added or changed.
    Changed(String),
    /// `name` was removed (or renamed away).
    Removed(String),
    /// Too much changed to say what (a notification buffer overflowed): list it again.
    Everything,
}

/// A remote file system: what the drive asks of a provider's server.
pub trait RemoteFs: Send + Sync + std::fmt::Debug {
    /// What the server can do.
    fn capabilities(&self) -> Capabilities;

    /// Attributes of `path` (with the file's identity when the server has one).
    fn stat<'a>(&'a self, path: &'a str) -> FsFuture<'a, Attr>;

    /// The entries of directory `dir` (without `.` and `..`), with their attributes.
    fn list<'a>(&'a self, dir: &'a str) -> FsFuture<'a, Vec<Listed>>;

    /// [`RemoteFs::list`], or `None` as soon as the directory has more than `limit` entries
    /// (a watched directory's listing stays bounded).
    fn list_at_most<'a>(&'a self, dir: &'a str, limit: usize) -> FsFuture<'a, Option<Vec<Listed>>>;

    /// Opens (or creates) the file `path`; its attributes as of the open.
    fn open<'a>(&'a self, path: &'a str, how: OpenHow) -> FsFuture<'a, OpenedFile>;

    /// Makes directory `path`.
    fn mkdir<'a>(&'a self, path: &'a str) -> FsFuture<'a, ()>;

    /// Deletes the file or empty directory `path`, and answers the attributes of `dirs` as
    /// they are after it (`None` where the provider did not ask in the same round trip).
    fn delete<'a>(&'a self, path: &'a str, dirs: &'a [&'a str]) -> FsFuture<'a, Vec<Option<Attr>>>;

    /// [`RemoteFs::delete`] of what the kernel holds to be a file (an `unlink`): a provider
    /// whose server refuses to delete a directory in the same request need not look first.
    fn delete_file<'a>(
        &'a self,
        path: &'a str,
        dirs: &'a [&'a str],
    ) -> FsFuture<'a, Vec<Option<Attr>>> {
        self.delete(path, dirs)
    }

    /// Renames `from` to `to` (`replace`: an existing `to` is replaced, else `Exists`), and
    /// answers the attributes of `dirs` after it, as [`RemoteFs::delete`] does.
    fn rename<'a>(
        &'a self,
        from: &'a str,
        to: &'a str,
        replace: bool,
        dirs: &'a [&'a str],
    ) -> FsFuture<'a, Vec<Option<Attr>>>;

    /// Sets times and attributes of `path` by name.
    fn set_info<'a>(&'a self, path: &'a str, info: SetInfo) -> FsFuture<'a, ()>;

    /// Sizes of the file system.
    fn statfs(&self) -> FsFuture<'_, FsStats>;

    /// Starts watching directory `dir` (only with [`Capabilities::change_notify`]).
    fn watch<'a>(&'a self, dir: &'a str) -> FsFuture<'a, Box<dyn RemoteWatch>>;

    /// Whether the paths changed servers since the last call (a DFS target failed over):
    /// what the drive knows of its directories no longer holds. `false` by default.
    fn take_moved(&self) -> bool {
        false
    }

    /// Whether the server answers now (the disconnected drive's probe; a provider may make
    /// a fresh connection for it).
    fn probe(&self) -> FsFuture<'_, ()>;

    // What follows has default implementations built from the calls above: a provider
    // overrides one where its protocol does the same in fewer round trips (SMB compounds).

    /// Opens `path` for reading, reads at most `len` bytes from its start and closes it: the
    /// attributes the open answered, and the data, or why the read failed where the open
    /// succeeded (another client's byte-range lock). By default [`RemoteFs::open`] +
    /// [`RemoteFile::read`] + [`RemoteFile::close`]; SMB: one compound.
    ///
    /// Errors: the open's (`NotFound`, `IsADirectory`, `AccessDenied`, `Busy`, ...); a failed
    /// read is not an error of the call but its `data`.
    fn open_read<'a>(&'a self, path: &'a str, len: u32) -> FsFuture<'a, SmallRead> {
        Box::pin(open_read_plain(self, path, len))
    }

    /// [`RemoteFs::open_read`] that keeps the file open under the server's promise to tell
    /// of any other client's change first (only with [`Capabilities::caching_across_opens`]):
    /// the promise is `key`'s, and its revocations go to `to` ([`Revocation`]). The drive
    /// keeps the file only if [`KeptFile::whole`]; it closes it ([`KeptFile::close`]) at any
    /// revocation that leaves less, before it changes the path itself, and when unused.
    ///
    /// Errors: as [`RemoteFs::open_read`]; `Unsupported` by default.
    fn open_read_kept<'a>(
        &'a self,
        _path: &'a str,
        _len: u32,
        _key: KeepKey,
        _to: Revocations,
    ) -> FsFuture<'a, (SmallRead, Box<dyn KeptFile>)> {
        Box::pin(async { Err(FsError::new(FsErrorKind::Unsupported, "no kept opens")) })
    }

    /// Creates `path` (opened `how`) with `data` at `offset` as its whole content and closes
    /// it: the file's attributes after the close, and those of `dir` (its parent) after the
    /// create where the provider asked in the same round trip. By default
    /// [`RemoteFs::open`] + [`RemoteFile::write`] + [`RemoteFile::close_with_attr`] (`dir`
    /// not asked); SMB: one compound; WebDAV: one PUT. `how.durable` is not asked for (the
    /// file is closed at once). The drive calls it only for a file whose whole content it
    /// holds, when the file is closed.
    ///
    /// Errors: the open's (`Exists` for [`Disposition::CreateNew`], `NotFound` for a missing
    /// directory, `AccessDenied`), then the write's (`NoSpace`, ...), then the close's.
    fn create_whole<'a>(
        &'a self,
        path: &'a str,
        how: OpenHow,
        offset: u64,
        data: &'a [u8],
        _dir: &'a str,
    ) -> FsFuture<'a, Created> {
        Box::pin(create_whole_plain(self, path, how, offset, data))
    }

    /// Sets the size (`len`) and the times and attributes (`info`) of `path` by name. By
    /// default an open for writing + [`RemoteFile::set_len`] + close for the size, then
    /// [`RemoteFs::set_info`]; SMB: one open with exactly the access asked. `info` alone works
    /// on a directory too.
    ///
    /// Errors: `NotFound`, `AccessDenied` (a read-only file's size), `NoSpace` (growing).
    fn set_attr<'a>(
        &'a self,
        path: &'a str,
        len: Option<u64>,
        info: Option<SetInfo>,
    ) -> FsFuture<'a, ()> {
        Box::pin(async move {
            if let Some(len) = len {
                let how = OpenHow {
                    access: Access::Write,
                    disposition: Disposition::Open,
                    durable: false,
                };
                let opened = self.open(path, how).await?;
                let r = opened.file.set_len(len).await;
                let closed = opened.file.close().await;
                r.and(closed)?;
            }
            match info {
                Some(info) => self.set_info(path, info).await,
                None => Ok(()),
            }
        })
    }

    /// The deadline of one whole listing ([`RemoteFs::list`]), which may take longer than a
    /// request's and still be making progress (the provider bounds each page of it).
    fn listing_deadline(&self) -> Duration {
        LISTING_DEADLINE
    }

    /// Upkeep once a second while the drive is connected (SMB: DFS referrals past their TTL
    /// asked again). Nothing by default.
    fn maintain(&self) -> FsFuture<'_, ()> {
        Box::pin(async { Ok(()) })
    }

    /// Whether the connection is known to be gone, without asking the server (the transport
    /// saw it close). `false` by default.
    fn connection_dead(&self) -> bool {
        false
    }

    /// Replaces a connection that is gone ([`RemoteFs::connection_dead`]) as the next
    /// request would; `Err` when the server cannot be reached (the drive turns
    /// Disconnected). By default [`RemoteFs::probe`].
    fn reconnect(&self) -> FsFuture<'_, ()> {
        self.probe()
    }

    /// A disconnected drive's first step of each attempt, before [`RemoteFs::probe`]: the
    /// connection in use if it still answers, else one attempt at a fresh one (a refused
    /// logon is the error). `Ok` by default (the probe does it all).
    fn revive(&self) -> FsFuture<'_, ()> {
        Box::pin(async { Ok(()) })
    }

    /// A round trip proving that the connection carries answers, asked while directories
    /// are watched (their notifications must be able to arrive): a slow answer means a
    /// stalled connection; `TimedOut` and lost means none came within the provider's own
    /// bound. By default [`RemoteFs::probe`].
    fn echo(&self) -> FsFuture<'_, ()> {
        self.probe()
    }
}

/// How long one listing may take at most ([`RemoteFs::listing_deadline`]'s default).
/// Measured: `ls -l` of 100,000 cold entries on a loaded machine took more than 10 s.
pub const LISTING_DEADLINE: Duration = Duration::from_secs(300);

/// What [`RemoteFs::open_read`] answers.
#[derive(Debug)]
pub struct SmallRead {
    /// The attributes the open answered.
    pub attr: Attr,
    /// The bytes read from the start, or why the read failed where the open succeeded.
    pub data: FsResult<Vec<u8>>,
}

/// What [`RemoteFs::create_whole`] answers.
#[derive(Debug, Clone, Copy)]
pub struct Created {
    /// The file's attributes after the close.
    pub attr: Attr,
    /// The parent directory's attributes after the create, `None` if not asked.
    pub dir: Option<Attr>,
}

/// The key of a promise to keep a file ([`RemoteFs::open_read_kept`]; SMB: a lease key).
/// Random: unique among the keys this client uses.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeepKey(pub [u8; 16]);

impl KeepKey {
    /// A fresh random key.
    pub fn random() -> Self {
        let mut k = [0u8; 16];
        // SAFETY: getrandom writes at most `k.len()` bytes into `k`.
        let n = unsafe { libc::getrandom(k.as_mut_ptr().cast(), k.len(), 0) };
        if n != k.len() as isize {
            // Never seen (16 bytes from an initialised pool); unique enough for a key.
            let t = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default();
            k = (t.as_nanos() ^ u128::from(std::process::id()) << 96).to_le_bytes();
        }
        KeepKey(k)
    }
}

impl std::fmt::Debug for KeepKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeepKey(")?;
        for b in &self.0[..4] {
            write!(f, "{b:02x}")?;
        }
        write!(f, "…)")
    }
}

/// The server takes back (part of) its promise on a kept file ([`RemoteFs::open_read_kept`]);
/// it may wait for [`Revocation::done`] (or the drop) before it lets the other client on.
pub struct Revocation {
    /// The promise.
    pub key: KeepKey,
    /// What is left still covers everything the drive keeps (nothing to drop).
    pub still_whole: bool,
    /// Lets the server's acknowledgment go.
    done: Option<Box<dyn FnOnce() + Send>>,
}

impl Revocation {
    /// A revocation of `key`; `done` runs once the drive dropped what it kept.
    pub fn new(key: KeepKey, still_whole: bool, done: impl FnOnce() + Send + 'static) -> Self {
        Revocation {
            key,
            still_whole,
            done: Some(Box::new(done)),
        }
    }

    /// The drive dropped what the promise covered: the acknowledgment may go.
    pub fn done(self) {}
}

impl Drop for Revocation {
    fn drop(&mut self) {
        if let Some(done) = self.done.take() {
            done();
        }
    }
}

impl std::fmt::Debug for Revocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Revocation")
            .field("key", &self.key)
            .field("still_whole", &self.still_whole)
            .finish()
    }
}

/// Where a drive's revocations go.
pub type Revocations = tokio::sync::mpsc::Sender<Revocation>;

/// A file kept open under a promise ([`RemoteFs::open_read_kept`]); closing it ends the
/// promise.
pub trait KeptFile: Send + Sync + std::fmt::Debug {
    /// Whether the server granted the whole promise asked (else the file is not kept).
    fn whole(&self) -> bool;

    /// Whether the promise still stands where revocations reach the drive (SMB: the
    /// connection it was made on is still the session's: none was missed across a
    /// reconnect).
    fn current(&self) -> bool;

    /// Closes the file (its revocations are no longer the drive's).
    fn close(self: Box<Self>) -> FsFuture<'static, ()>;
}

/// [`RemoteFs::open_read`] from the generic calls: [`RemoteFs::open`] +
/// [`RemoteFile::read`] + [`RemoteFile::close`] (the default, and a provider's way when its
/// shortcut does not apply).
pub async fn open_read_plain<F: RemoteFs + ?Sized>(
    fs: &F,
    path: &str,
    len: u32,
) -> FsResult<SmallRead> {
    let opened = fs.open(path, OpenHow::READ).await?;
    let data = opened.file.read(0, len).await;
    // A failed close of a read-only handle loses nothing read.
    if let Err(e) = opened.file.close().await {
        tracing::debug!(path, error = %e, "closing after a small read");
    }
    Ok(SmallRead {
        attr: opened.attr,
        data,
    })
}

/// [`RemoteFs::create_whole`] from the generic calls: [`RemoteFs::open`] +
/// [`RemoteFile::write`] + [`RemoteFile::close_with_attr`], the directory not asked (the
/// default, and a provider's way when its shortcut does not apply).
pub async fn create_whole_plain<F: RemoteFs + ?Sized>(
    fs: &F,
    path: &str,
    how: OpenHow,
    offset: u64,
    data: &[u8],
) -> FsResult<Created> {
    let how = OpenHow {
        durable: false,
        ..how
    };
    let opened = fs.open(path, how).await?;
    if !data.is_empty() {
        if let Err(e) = opened.file.write(offset, data).await {
            let _ = opened.file.close().await;
            return Err(e);
        }
    }
    let attr = opened.file.close_with_attr().await?;
    Ok(Created { attr, dir: None })
}

/// A file opened by [`RemoteFs::open`].
pub struct OpenedFile {
    /// The open file.
    pub file: Box<dyn RemoteFile>,
    /// Its attributes as the server answered the open (close-to-open consistency).
    pub attr: Attr,
}

impl std::fmt::Debug for OpenedFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenedFile")
            .field("file", &self.file)
            .field("attr", &self.attr)
            .finish()
    }
}

/// An open file on a remote file system.
pub trait RemoteFile: Send + Sync + std::fmt::Debug {
    /// The attributes the open answered (close-to-open consistency, the size at open).
    fn opened(&self) -> Attr;

    /// Reads at most `len` bytes at `offset` (fewer at the end of the file).
    fn read(&self, offset: u64, len: u32) -> FsFuture<'_, Vec<u8>>;

    /// [`RemoteFile::read`] for read-ahead: the bytes may stay in the provider's receive
    /// buffer, which goes back to the provider when the drive drops it.
    fn read_buf(&self, offset: u64, len: u32) -> FsFuture<'_, ReadBuf> {
        let read = self.read(offset, len);
        Box::pin(async move { read.await.map(ReadBuf::new) })
    }

    /// Writes `data` at `offset`; answers once the server acknowledged it.
    fn write<'a>(&'a self, offset: u64, data: &'a [u8]) -> FsFuture<'a, ()>;

    /// Makes what was written durable on the server (fsync).
    fn flush(&self) -> FsFuture<'_, ()>;

    /// The file's attributes now, asked through the open file (not by name).
    fn attr(&self) -> FsFuture<'_, Attr>;

    /// Sets the size.
    fn set_len(&self, len: u64) -> FsFuture<'_, ()>;

    /// Sets times and attributes.
    fn set_info(&self, info: SetInfo) -> FsFuture<'_, ()>;

    /// Locks `offset..offset+len` (fail-immediately; `LockConflict` when held elsewhere).
    fn lock(&self, offset: u64, len: u64, exclusive: bool) -> FsFuture<'_, ()>;

    /// Unlocks a range locked by [`RemoteFile::lock`].
    fn unlock(&self, offset: u64, len: u64) -> FsFuture<'_, ()>;

    /// Makes `offset..end` read as zeros (with [`Capabilities::sparse_ranges`]).
    fn zero_range(&self, offset: u64, end: u64) -> FsFuture<'_, ()>;

    /// Reserves space for `len` bytes without changing the size.
    fn reserve(&self, len: u64) -> FsFuture<'_, ()>;

    /// Closes the file, asking nothing more of the server.
    fn close(self: Box<Self>) -> FsFuture<'static, ()>;

    /// Closes the file; its attributes as of the close.
    fn close_with_attr(self: Box<Self>) -> FsFuture<'static, Attr>;
}

/// A directory watch started by [`RemoteFs::watch`]; dropping it ends the watch.
pub trait RemoteWatch: Send + Sync + std::fmt::Debug {
    /// Waits for the next changes (a provider may bound the wait, and answers
    /// [`Change::Everything`] when what it held is lost).
    fn next(&self) -> FsFuture<'_, Vec<Change>>;

    /// Ends the watch and releases what it holds on the server.
    fn close(self: Box<Self>) -> FsFuture<'static, ()>;
}

#[cfg(test)]
mod tests {
    use super::ReadBuf;
    use std::sync::{Arc, Mutex};

    /// The bytes are the tail of the provider's buffer, and the whole buffer (its capacity
    /// too) goes home when the drive drops it.
    #[test]
    fn a_read_buffer_shows_its_data_and_goes_home_when_dropped() {
        let home: Arc<Mutex<Option<Vec<u8>>>> = Arc::default();
        let mut msg = Vec::with_capacity(4096);
        msg.extend_from_slice(b"headerDATA");
        let ptr = msg.as_ptr();
        let back = home.clone();
        let b = ReadBuf::returned_to(msg, 6, move |v| *back.lock().unwrap() = Some(v));
        assert_eq!(b.bytes(), b"DATA");
        assert_eq!(b.len(), 4);
        assert!(home.lock().unwrap().is_none(), "not before the drop");
        drop(b);
        let v = home.lock().unwrap().take().expect("the buffer came home");
        assert_eq!((v.as_ptr(), v.capacity()), (ptr, 4096));
        // Owned outright: nothing to give back; a start past the end reads as empty.
        assert_eq!(ReadBuf::new(b"abc".to_vec()).bytes(), b"abc");
        assert!(ReadBuf::returned_to(vec![1, 2], 5, |_| {}).is_empty());
    }
}
