//! The SMB provider's side of the drive's seam: [`SmbFs`] implements [`RemoteFs`] with the
//! engine (`wnet_smb2::Tree`, `wnet_smb2::File`) and, for a share in a DFS namespace, the
//! [`Namespace`] that routes each path to the target serving it (ADR 0010, ADR 0017). Engine
//! failures cross the seam as [`FsError`](crate::drive::remote::FsError)
//! ([`crate::errors::drive_error`]); the engine's metadata as the drive's [`Attr`].
//!
//! Beside the plain calls it overrides the drive's fast paths with compounds (a small file
//! read whole at open, a new file sent whole at close, setattr by name in one open), keeps
//! small files under leases ([`RemoteFs::open_read_kept`]: the lease's breaks are forwarded
//! to the drive as [`Revocation`]s), and answers the connection monitor with ECHO and the
//! session's reconnects (or, for DFS, the namespace's failover).

use crate::dfs::Namespace;
use crate::drive::cache::{Attr, Listed};
use crate::drive::inode::ServerFileId;
use crate::drive::remote::{
    Access, Capabilities, Change, Created, Disposition, FsFuture, FsResult, FsStats, KeepKey,
    KeptFile, NameRules, OpenHow, OpenedFile, ReadBuf, RemoteFile, RemoteFs, RemoteWatch,
    Revocation, Revocations, SetInfo, SmallRead,
};
use crate::errors::drive_error;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use wnet_smb2::msg::create::{CreateResponse, disposition, lease, options, share};
use wnet_smb2::msg::fscc::{
    DirEntry, FileBasicInformation, FileNetworkOpenInformation, FileTime, access, attr,
    notify_action, notify_filter,
};
use wnet_smb2::{CreateOptions, DirStat, LeaseBreak, LeaseKey, LeaseListener, Tree};

/// What a directory watch asks the server to report: names, attributes, sizes, writes.
pub const NOTIFY_FILTER: u32 = notify_filter::FILE_NAME
    | notify_filter::DIR_NAME
    | notify_filter::ATTRIBUTES
    | notify_filter::SIZE
    | notify_filter::LAST_WRITE;

/// How long one CHANGE_NOTIFY may stay pending before the engine cancels it (the watch
/// then lists the directory again, since what it held is lost).
pub const NOTIFY_WAIT: Duration = Duration::from_secs(120);

/// Access rights any of which lets the user write on a share.
const WRITABLE: u32 = access::WRITE_DATA
    | access::APPEND_DATA
    | access::GENERIC_WRITE
    | access::GENERIC_ALL
    | access::MAXIMUM_ALLOWED;

/// The lease a kept file asks for (ADR 0011: Read+Write+Handle; all of it must be granted,
/// and a break that takes any of it away ends the keeping).
const LEASE_ASKED: u32 = lease::READ | lease::WRITE | lease::HANDLE;
/// Lease breaks queued for the drive at most (past it the engine acknowledges at once).
const BREAK_QUEUE: usize = 256;
/// How long a disconnected drive's attempt waits for the current connection's ECHO before it
/// makes a new one ([`RemoteFs::revive`]): generous, since a connection that is alive but busy
/// must not be dropped (every durable handle would have to be reclaimed); paid once per
/// disconnection (a dead one is not asked).
const PROBE_ECHO: Duration = Duration::from_secs(5);
/// How long one attempt's TCP connect may take. Short, so that a network that comes back is
/// found within about this plus the drive's longest pause between attempts (a long connect
/// would wait on the kernel's SYN retransmissions, 1 s, 3 s, 7 s, ... apart).
const PROBE_CONNECT: Duration = Duration::from_secs(2);

/// A share (or a DFS namespace) as a remote file system.
#[derive(Debug, Clone)]
pub struct SmbFs {
    /// The share mounted (for a DFS drive: the share its DFS path starts on).
    tree: Tree,
    /// Where a DFS drive's paths live now; `None` for a plain share.
    dfs: Option<Arc<Namespace>>,
    /// Where the session hands the breaks of kept files' leases: a task forwarding them to
    /// the drive as [`Revocation`]s, started by the first kept open.
    breaks: OnceLock<LeaseListener>,
    /// The handles of watched directories (by the drive's path; plain shares only), which a
    /// compound that changes a name in one asks for the directory's new attributes (one
    /// QUERY_INFO instead of create + query + close: a third of the server's work for a
    /// create or a delete). A compound holds its own reference until answered, so the
    /// handle is never closed while a request names it (see [`SmbWatch::close`]).
    watched: Arc<Mutex<HashMap<String, Arc<wnet_smb2::File>>>>,
}

/// Attributes from a network-open answer (no file identity in it).
pub(crate) fn attr_from_info(i: &FileNetworkOpenInformation) -> Attr {
    Attr {
        size: i.end_of_file,
        allocated: i.allocation_size,
        atime: i.last_access_time.to_system_time(),
        mtime: i.last_write_time.to_system_time(),
        ctime: i.change_time.to_system_time(),
        crtime: i.creation_time.to_system_time(),
        is_dir: i.attributes & attr::DIRECTORY != 0,
        attributes: i.attributes,
        id: ServerFileId::UNKNOWN,
    }
}

/// A listed entry as the drive keeps it.
pub(crate) fn listed(e: &DirEntry) -> Listed {
    Listed {
        name: e.name.clone(),
        attr: Attr {
            size: e.end_of_file,
            allocated: e.allocation_size,
            atime: e.last_access_time.to_system_time(),
            mtime: e.last_write_time.to_system_time(),
            ctime: e.change_time.to_system_time(),
            crtime: e.creation_time.to_system_time(),
            is_dir: e.is_directory(),
            attributes: e.attributes,
            id: ServerFileId(e.file_id),
        },
    }
}

/// Attributes of a file as its CREATE answered.
pub(crate) fn attr_from_open(f: &wnet_smb2::File) -> Attr {
    attr_from_create(f.open_info())
}

/// Attributes of a file from a CREATE response.
fn attr_from_create(o: &CreateResponse) -> Attr {
    Attr {
        size: o.end_of_file,
        allocated: o.allocation_size,
        atime: o.last_access_time.to_system_time(),
        mtime: o.last_write_time.to_system_time(),
        ctime: o.change_time.to_system_time(),
        crtime: o.creation_time.to_system_time(),
        is_dir: o.file_attributes & attr::DIRECTORY != 0,
        attributes: o.file_attributes,
        id: ServerFileId(wnet_smb2::file::server_file_id(o)),
    }
}

/// The CREATE options of an open the drive asks for.
pub(crate) fn create_options(how: OpenHow) -> CreateOptions {
    let access = match how.access {
        Access::Read => access::GENERIC_READ,
        Access::Write => access::GENERIC_WRITE | access::READ_ATTRIBUTES,
        Access::ReadWrite => access::GENERIC_READ | access::GENERIC_WRITE,
    };
    let disposition = match how.disposition {
        Disposition::Open => disposition::OPEN,
        Disposition::CreateNew => disposition::CREATE,
        Disposition::OpenOrCreate => disposition::OPEN_IF,
        Disposition::Replace => disposition::OVERWRITE_IF,
    };
    CreateOptions {
        access,
        disposition,
        options: options::NON_DIRECTORY_FILE,
        share_access: share::ALL,
        attributes: 0,
        durable: how.durable,
        lease: None,
        lease_key: None,
    }
}

/// A SET_INFO of basic information changing what `info` names (0: unchanged).
fn basic(info: SetInfo) -> FileBasicInformation {
    let ft = |t: Option<std::time::SystemTime>| t.map_or(FileTime(0), FileTime::from_system_time);
    FileBasicInformation {
        last_access_time: ft(info.atime),
        last_write_time: ft(info.mtime),
        attributes: match info.attributes {
            None => 0,
            Some(0) => attr::NORMAL,
            Some(bits) => bits,
        },
        ..FileBasicInformation::default()
    }
}

fn fs<T>(r: wnet_smb2::Result<T>) -> FsResult<T> {
    r.map_err(|e| drive_error(&e))
}

impl SmbFs {
    /// The file system of `tree`, routed through `dfs` when the share is in a namespace.
    pub fn new(tree: Tree, dfs: Option<Arc<Namespace>>) -> Self {
        SmbFs {
            tree,
            dfs,
            breaks: OnceLock::new(),
            watched: Arc::default(),
        }
    }

    /// Where the session is to hand lease breaks: the first call starts a task that
    /// forwards them to `to` (the drive's revocations; the same for every call), ending when
    /// the drive stops listening or nothing can send any more.
    fn lease_listener(&self, to: Revocations) -> LeaseListener {
        self.breaks
            .get_or_init(|| {
                let (tx, mut rx) = tokio::sync::mpsc::channel::<LeaseBreak>(BREAK_QUEUE);
                tokio::spawn(async move {
                    while let Some(brk) = rx.recv().await {
                        let key = KeepKey(brk.key.0);
                        let still_whole = brk.to & LEASE_ASKED == LEASE_ASKED;
                        // Acknowledged when the drive is done with it (or drops it).
                        let r = Revocation::new(key, still_whole, move || brk.done());
                        if to.send(r).await.is_err() {
                            return;
                        }
                    }
                });
                tx
            })
            .clone()
    }

    /// The DFS namespace, if the share is in one.
    pub fn namespace(&self) -> Option<&Arc<Namespace>> {
        self.dfs.as_ref()
    }

    /// The tree the drive's root lives on now: the mounted share, or for a DFS drive the
    /// target its root leads to (its session is the one watched for liveness).
    pub fn home_tree(&self) -> Tree {
        self.dfs
            .as_ref()
            .and_then(|ns| ns.home_tree())
            .unwrap_or_else(|| self.tree.clone())
    }

    /// Runs `op` on the share and path where the drive's `path` lives: the mounted share, or
    /// for a DFS drive wherever its namespace leads now (links followed, targets failed over;
    /// see [`crate::dfs`]).
    pub async fn on<T, F, Fut>(&self, path: &str, op: F) -> wnet_smb2::Result<T>
    where
        F: Fn(Tree, String) -> Fut,
        Fut: Future<Output = wnet_smb2::Result<T>>,
    {
        match &self.dfs {
            None => op(self.tree.clone(), path.to_owned()).await,
            // Boxed: the namespace's state (referrals, failover, the silence watch) is large,
            // and every request future of every drive would otherwise carry its size, DFS or
            // not.
            Some(ns) => Box::pin(ns.run(path, op)).await,
        }
    }

    /// The open handles of those of `dirs` that are watched (kept until the compound that
    /// names them is answered).
    fn watched_handles(&self, dirs: &[&str]) -> Vec<Option<Arc<wnet_smb2::File>>> {
        let w = self.watched.lock().expect("watched lock");
        dirs.iter().map(|d| w.get(*d).cloned()).collect()
    }

    /// Deletes `path` and stats `dirs` in the same round trip. On a DFS drive the directories
    /// may live on other targets, so none is asked (`None` each); the drive asks later.
    pub async fn delete_then_stat(
        &self,
        path: &str,
        dirs: &[&str],
    ) -> wnet_smb2::Result<Vec<Option<FileNetworkOpenInformation>>> {
        if self.dfs.is_none() {
            let open = self.watched_handles(dirs);
            let dirs = dir_stats(dirs, &open);
            return self.tree.delete_then_stat(path, &dirs).await;
        }
        let n = dirs.len();
        self.on(path, |t, p| async move {
            t.delete(&p).await.map(|()| vec![None; n])
        })
        .await
    }

    /// Renames `from` to `to` and stats `dirs` in the same round trip, on the share where
    /// `from` lives. On a DFS drive `to` must lead to the same share (else
    /// `STATUS_NOT_SAME_DEVICE`: `EXDEV`, and `mv` copies) and no directory is asked (`None`
    /// each), as for [`SmbFs::delete_then_stat`].
    pub async fn rename_then_stat(
        &self,
        from: &str,
        to: &str,
        replace: bool,
        dirs: &[&str],
    ) -> wnet_smb2::Result<Vec<Option<FileNetworkOpenInformation>>> {
        let Some(ns) = &self.dfs else {
            let open = self.watched_handles(dirs);
            let dirs = dir_stats(dirs, &open);
            return self.tree.rename_then_stat(from, to, replace, &dirs).await;
        };
        let n = dirs.len();
        ns.run(from, |t, f| async move {
            let to = ns.path_on(to, &t).ok_or(wnet_smb2::Error::Status {
                status: wnet_smb2::NtStatus::NOT_SAME_DEVICE,
                command: wnet_smb2::msg::Command::SetInfo,
            })?;
            t.rename(&f, &to, replace).await.map(|()| vec![None; n])
        })
        .await
    }
}

/// How a compound asks for each of `dirs`: through its open handle in `open` (the same
/// order) where there is one, else by path.
fn dir_stats<'a>(dirs: &[&'a str], open: &'a [Option<Arc<wnet_smb2::File>>]) -> Vec<DirStat<'a>> {
    dirs.iter()
        .zip(open)
        .map(|(path, h)| match h {
            Some(dir) => DirStat::Open { path, dir },
            None => DirStat::Path(path),
        })
        .collect()
}

fn attrs(stats: Vec<Option<FileNetworkOpenInformation>>) -> Vec<Option<Attr>> {
    stats
        .iter()
        .map(|s| s.as_ref().map(attr_from_info))
        .collect()
}

impl RemoteFs for SmbFs {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            change_notify: true,
            polled_watch: false,
            byte_range_locks: true,
            ranged_writes: true,
            server_side_rename: true,
            durable_handles: true,
            case_insensitive: true,
            sparse_ranges: true,
            // A DFS drive's paths move between servers: a break could come from a tree the
            // drive no longer asks (ADR 0011 keeps leases to plain shares).
            caching_across_opens: self.namespace().is_none(),
            max_read: self.home_tree().session().negotiated().max_read,
            read_only: self.tree.maximal_access() & WRITABLE == 0,
            names: NameRules::Windows,
        }
    }

    fn stat<'a>(&'a self, path: &'a str) -> FsFuture<'a, Attr> {
        Box::pin(async move {
            let (info, id) = fs(self
                .on(path, |t, p| async move { t.stat_with_id(&p).await })
                .await)?;
            Ok(Attr {
                id: ServerFileId(id),
                ..attr_from_info(&info)
            })
        })
    }

    fn list<'a>(&'a self, dir: &'a str) -> FsFuture<'a, Vec<Listed>> {
        Box::pin(async move {
            let list = fs(self.on(dir, |t, p| async move { t.list(&p).await }).await)?;
            Ok(list.iter().map(listed).collect())
        })
    }

    fn list_at_most<'a>(&'a self, dir: &'a str, limit: usize) -> FsFuture<'a, Option<Vec<Listed>>> {
        Box::pin(async move {
            let list = self
                .on(dir, |t, p| async move { t.list_at_most(&p, limit).await })
                .await;
            Ok(fs(list)?.map(|l| l.iter().map(listed).collect()))
        })
    }

    fn open<'a>(&'a self, path: &'a str, how: OpenHow) -> FsFuture<'a, OpenedFile> {
        Box::pin(async move {
            let opts = &create_options(how);
            let file = fs(self
                .on(path, |t, p| async move { t.create(&p, opts).await })
                .await)?;
            let attr = attr_from_open(&file);
            Ok(OpenedFile {
                file: Box::new(SmbFile(file)),
                attr,
            })
        })
    }

    fn mkdir<'a>(&'a self, path: &'a str) -> FsFuture<'a, ()> {
        Box::pin(async move { fs(self.on(path, |t, p| async move { t.mkdir(&p).await }).await) })
    }

    fn delete<'a>(&'a self, path: &'a str, dirs: &'a [&'a str]) -> FsFuture<'a, Vec<Option<Attr>>> {
        Box::pin(async move { fs(self.delete_then_stat(path, dirs).await).map(attrs) })
    }

    fn rename<'a>(
        &'a self,
        from: &'a str,
        to: &'a str,
        replace: bool,
        dirs: &'a [&'a str],
    ) -> FsFuture<'a, Vec<Option<Attr>>> {
        Box::pin(async move { fs(self.rename_then_stat(from, to, replace, dirs).await).map(attrs) })
    }

    fn set_info<'a>(&'a self, path: &'a str, info: SetInfo) -> FsFuture<'a, ()> {
        Box::pin(async move {
            let b = &basic(info);
            fs(self
                .on(path, |t, p| async move { t.set_basic(&p, b).await })
                .await)
        })
    }

    fn statfs(&self) -> FsFuture<'_, FsStats> {
        Box::pin(async move {
            let i = fs(self.on("", |t, _| async move { t.fs_info().await }).await)?;
            Ok(FsStats {
                unit: i.size.unit_size(),
                total_units: i.size.total_units,
                free_units: i.size.actual_available_units,
                available_units: i.size.caller_available_units,
                max_name: i.attributes.max_component_name_length,
            })
        })
    }

    fn watch<'a>(&'a self, dir: &'a str) -> FsFuture<'a, Box<dyn RemoteWatch>> {
        Box::pin(async move {
            let handle = fs(self
                .on(dir, |t, p| async move {
                    t.create(&p, &CreateOptions::directory()).await
                })
                .await)?;
            let handle = Arc::new(handle);
            if self.dfs.is_none() {
                let mut w = self.watched.lock().expect("watched lock");
                w.insert(dir.to_owned(), handle.clone());
            }
            Ok(Box::new(SmbWatch {
                dir: Some(handle),
                path: dir.to_owned(),
                watched: self.watched.clone(),
            }) as Box<dyn RemoteWatch>)
        })
    }

    fn take_moved(&self) -> bool {
        self.dfs.as_ref().is_some_and(|ns| ns.take_changed())
    }

    fn probe(&self) -> FsFuture<'_, ()> {
        Box::pin(async move {
            fs(self.on("", |t, p| async move { t.stat(&p).await }).await).map(|_| ())
        })
    }

    fn open_read<'a>(&'a self, path: &'a str, len: u32) -> FsFuture<'a, SmallRead> {
        Box::pin(async move {
            let opts = &CreateOptions::read();
            let (opened, data) = fs(self
                .on(path, |t, p| async move {
                    t.read_small_opened(&p, opts, len).await
                })
                .await)?;
            Ok(SmallRead {
                attr: attr_from_create(&opened),
                data: fs(data),
            })
        })
    }

    fn open_read_kept<'a>(
        &'a self,
        path: &'a str,
        len: u32,
        key: KeepKey,
        to: Revocations,
    ) -> FsFuture<'a, (SmallRead, Box<dyn KeptFile>)> {
        Box::pin(async move {
            let key = LeaseKey(key.0);
            let session = self.home_tree().session().clone();
            session.listen_lease(key, Some(self.lease_listener(to)));
            let opts = &CreateOptions::read().lease(LEASE_ASKED, key);
            let r = self
                .on(path, |t, p| async move {
                    t.read_small_kept(&p, opts, len).await
                })
                .await;
            let (file, data) = match r {
                Ok(r) => r,
                Err(e) => {
                    session.listen_lease(key, None);
                    return Err(drive_error(&e));
                }
            };
            let read = SmallRead {
                attr: attr_from_open(&file),
                data: fs(data),
            };
            let generation = file.tree().session().generation();
            let kept = SmbKept {
                file,
                key,
                generation,
            };
            Ok((read, Box::new(kept) as Box<dyn KeptFile>))
        })
    }

    fn create_whole<'a>(
        &'a self,
        path: &'a str,
        how: OpenHow,
        offset: u64,
        data: &'a [u8],
        dir: &'a str,
    ) -> FsFuture<'a, Created> {
        Box::pin(async move {
            let opts = &CreateOptions {
                durable: false,
                ..create_options(how)
            };
            // On a DFS drive the directory may live on another server: not asked.
            let dirs = if self.dfs.is_none() { &[dir][..] } else { &[] };
            let open = self.watched_handles(dirs);
            let parent = dir_stats(dirs, &open).pop();
            let parent = &parent;
            let w = fs(self
                .on(path, |t, p| async move {
                    t.create_written(&p, opts, offset, data, parent.clone())
                        .await
                })
                .await)?;
            Ok(Created {
                attr: Attr {
                    id: ServerFileId(w.file_id),
                    ..attr_from_info(&w.info)
                },
                dir: w.parent.as_ref().map(attr_from_info),
            })
        })
    }

    fn set_attr<'a>(
        &'a self,
        path: &'a str,
        len: Option<u64>,
        info: Option<SetInfo>,
    ) -> FsFuture<'a, ()> {
        Box::pin(async move {
            // One open with exactly the access the change needs (a directory too).
            let mut acc = access::READ_ATTRIBUTES | access::SYNCHRONIZE;
            if len.is_some() {
                acc |= access::WRITE_DATA;
            }
            if info.is_some() {
                acc |= access::WRITE_ATTRIBUTES;
            }
            let opts = &CreateOptions {
                access: acc,
                disposition: disposition::OPEN,
                options: 0,
                share_access: share::ALL,
                attributes: 0,
                durable: false,
                lease: None,
                lease_key: None,
            };
            let file = fs(self
                .on(path, |t, p| async move { t.create(&p, opts).await })
                .await)?;
            let file = Box::new(SmbFile(file));
            let mut r = Ok(());
            if let Some(len) = len {
                r = file.set_len(len).await;
            }
            if let (Ok(()), Some(info)) = (&r, info) {
                r = file.set_info(info).await;
            }
            let closed = file.close_with_attr().await.map(|_| ());
            r.and(closed)
        })
    }

    fn listing_deadline(&self) -> Duration {
        wnet_smb2::file::MAX_LISTING_TIME
    }

    fn maintain(&self) -> FsFuture<'_, ()> {
        Box::pin(async move {
            // Referrals past their TTL are asked again here, never by a waiting request.
            if let Some(ns) = &self.dfs {
                ns.refresh().await;
            }
            Ok(())
        })
    }

    fn connection_dead(&self) -> bool {
        self.home_tree().session().connection().is_dead()
    }

    fn reconnect(&self) -> FsFuture<'_, ()> {
        if self.dfs.is_some() {
            // A DFS drive goes where its namespace leads (the next target when this one is
            // gone): only when no target answers is the drive disconnected.
            return self.probe();
        }
        Box::pin(async move {
            // As the next request would: the engine's bounded backoff.
            let session = self.tree.session();
            fs(session.reconnect_from(session.generation()).await)
        })
    }

    fn revive(&self) -> FsFuture<'_, ()> {
        Box::pin(async move {
            // A DFS drive's probe resolves again and fails over by itself; reviving the
            // session of a target that is gone would only wait for it.
            if self.dfs.is_some() {
                return Ok(());
            }
            let session = self.tree.session();
            let generation = session.generation();
            if !session.connection().is_dead()
                && matches!(
                    tokio::time::timeout(PROBE_ECHO, session.echo()).await,
                    Ok(Ok(_))
                )
            {
                return Ok(());
            }
            // A fresh connection, never the dead one again (its TCP retransmissions back off
            // for seconds after the network is back).
            fs(session.reconnect_once(generation, PROBE_CONNECT).await)
        })
    }

    fn echo(&self) -> FsFuture<'_, ()> {
        Box::pin(async move {
            let tree = self.home_tree();
            fs(tree.session().echo().await).map(|_| ())
        })
    }
}

/// A file kept open under a lease ([`RemoteFs::open_read_kept`]).
#[derive(Debug)]
struct SmbKept {
    file: wnet_smb2::File,
    key: LeaseKey,
    /// The session's connection generation when it was opened: breaks sent on an earlier
    /// connection may have been missed.
    generation: u64,
}

impl KeptFile for SmbKept {
    fn whole(&self) -> bool {
        let granted = self.file.lease().filter(|&(k, _)| k == self.key);
        granted.is_some_and(|(_, state)| state & LEASE_ASKED == LEASE_ASKED)
    }

    fn current(&self) -> bool {
        self.file.tree().session().generation() == self.generation
    }

    fn close(self: Box<Self>) -> FsFuture<'static, ()> {
        // Its breaks are acknowledged at once from now on.
        self.file.tree().session().listen_lease(self.key, None);
        Box::pin(async move { fs(self.file.close_quietly().await) })
    }
}

/// An open SMB file.
#[derive(Debug)]
pub struct SmbFile(pub wnet_smb2::File);

impl RemoteFile for SmbFile {
    fn opened(&self) -> Attr {
        attr_from_open(&self.0)
    }

    fn read(&self, offset: u64, len: u32) -> FsFuture<'_, Vec<u8>> {
        Box::pin(async move { fs(self.0.read_at(offset, len as usize).await) })
    }

    fn read_buf(&self, offset: u64, len: u32) -> FsFuture<'_, ReadBuf> {
        Box::pin(async move {
            let (mut msg, range) = fs(self.0.read_message(offset, len as usize).await)?;
            msg.truncate(range.end);
            // The response buffer goes back to its connection's pool (if the connection is
            // still there): no memmove of the data to the front, no fresh 1 MiB buffer.
            let conn = self.0.tree().session().connection().downgrade();
            Ok(ReadBuf::returned_to(msg, range.start, move |b| {
                if let Some(c) = conn.upgrade() {
                    c.recycle(b);
                }
            }))
        })
    }

    fn write<'a>(&'a self, offset: u64, data: &'a [u8]) -> FsFuture<'a, ()> {
        Box::pin(async move { fs(self.0.write_at(offset, data).await).map(|_| ()) })
    }

    fn flush(&self) -> FsFuture<'_, ()> {
        Box::pin(async move { fs(self.0.flush().await) })
    }

    fn attr(&self) -> FsFuture<'_, Attr> {
        Box::pin(async move {
            let info = fs(self.0.query_info().await)?;
            Ok(Attr {
                id: ServerFileId(self.0.server_file_id()),
                ..attr_from_info(&info)
            })
        })
    }

    fn set_len(&self, len: u64) -> FsFuture<'_, ()> {
        Box::pin(async move { fs(self.0.set_len(len).await) })
    }

    fn set_info(&self, info: SetInfo) -> FsFuture<'_, ()> {
        Box::pin(async move { fs(self.0.set_basic(&basic(info)).await) })
    }

    fn lock(&self, offset: u64, len: u64, exclusive: bool) -> FsFuture<'_, ()> {
        Box::pin(async move { fs(self.0.lock(offset, len, exclusive, false).await) })
    }

    fn unlock(&self, offset: u64, len: u64) -> FsFuture<'_, ()> {
        Box::pin(async move { fs(self.0.unlock(offset, len).await) })
    }

    fn zero_range(&self, offset: u64, end: u64) -> FsFuture<'_, ()> {
        Box::pin(async move { fs(self.0.zero_data(offset, end).await) })
    }

    fn reserve(&self, len: u64) -> FsFuture<'_, ()> {
        Box::pin(async move { fs(self.0.set_allocation(len).await) })
    }

    fn close(self: Box<Self>) -> FsFuture<'static, ()> {
        // Nothing asked beyond the close: the server need not fetch the attributes.
        Box::pin(async move { fs(self.0.close_quietly().await) })
    }

    fn close_with_attr(self: Box<Self>) -> FsFuture<'static, Attr> {
        Box::pin(async move {
            let id = ServerFileId(self.0.server_file_id());
            let info = fs(self.0.close().await)?;
            Ok(Attr {
                id,
                ..attr_from_info(&info)
            })
        })
    }
}

/// A CHANGE_NOTIFY watch on an open directory.
#[derive(Debug)]
struct SmbWatch {
    dir: Option<Arc<wnet_smb2::File>>,
    /// The directory, as [`SmbFs::watched`] knows it.
    path: String,
    watched: Arc<Mutex<HashMap<String, Arc<wnet_smb2::File>>>>,
}

impl SmbWatch {
    /// Takes the handle out of [`SmbFs::watched`] (if this watch's is still there).
    fn forget(&self) {
        let mut w = self.watched.lock().expect("watched lock");
        if let (Some(mine), Some(known)) = (&self.dir, w.get(&self.path)) {
            if Arc::ptr_eq(mine, known) {
                w.remove(&self.path);
            }
        }
    }
}

impl Drop for SmbWatch {
    fn drop(&mut self) {
        // Dropped unclosed: the handle closes in the background once no compound names it.
        self.forget();
    }
}

impl RemoteWatch for SmbWatch {
    fn next(&self) -> FsFuture<'_, Vec<Change>> {
        Box::pin(async move {
            let dir = self.dir.as_ref().ok_or_else(|| {
                drive_error(&wnet_smb2::Error::InvalidInput("the watch was closed"))
            })?;
            let changes = match dir.watch(NOTIFY_FILTER, false, NOTIFY_WAIT).await {
                Ok(c) => c,
                // The engine cancelled the request: whatever it held is lost.
                Err(wnet_smb2::Error::Timeout { .. }) => return Ok(vec![Change::Everything]),
                Err(e) => return Err(drive_error(&e)),
            };
            if changes.is_empty() {
                return Ok(vec![Change::Everything]);
            }
            Ok(changes
                .into_iter()
                .map(|n| {
                    let name = n.name.replace('\\', "/");
                    if n.action == notify_action::REMOVED {
                        Change::Removed(name)
                    } else {
                        Change::Changed(name)
                    }
                })
                .collect())
        })
    }

    /// Closes the handle once no compound names it any more (each holds it for one round
    /// trip, bounded by its request timeout): a directory is removed or renamed only after
    /// its watch closed, so the close is not left to the background.
    fn close(mut self: Box<Self>) -> FsFuture<'static, ()> {
        self.forget();
        let mut dir = self.dir.take();
        Box::pin(async move {
            loop {
                match dir.map(Arc::try_unwrap) {
                    None => return Ok(()),
                    Some(Ok(d)) => return fs(d.close().await).map(|_| ()),
                    Some(Err(shared)) => {
                        dir = Some(shared);
                        tokio::time::sleep(Duration::from_millis(1)).await;
                    }
                }
            }
        })
    }
}
