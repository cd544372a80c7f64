//! Enumeration: `WNetOpenEnum`, `WNetEnumResource`, `WNetCloseEnum`.
//!
//! The daemon keeps each enumeration's snapshot, bound to the connection that opened it: so
//! each enumeration here has a connection to the daemon of its own (never the shared pool),
//! closed with it. The library keeps, per handle, the items it fetched but could not yet hand
//! out (a caller's buffer may hold fewer than the daemon sent), so no item is lost or repeated
//! whatever the buffer sizes. Handles are small opaque numbers away from 0; a handle never
//! opened or already closed gives 6 `ERROR_INVALID_HANDLE`.
//!
//! The table of handles is locked only to look a handle up, add or remove one; a daemon round
//! trip holds only that enumeration's own lock, so threads using other handles (or none) never
//! wait for it.

use std::collections::{BTreeMap, VecDeque};
use std::mem::size_of;
use std::sync::{Arc, Mutex, MutexGuard};

use wnet_core::{NetResource, ResourceType, Scope, Usage};
use wnet_proto::{Client, Reply, Request};

use crate::connect::unexpected;
use crate::daemon;
use crate::ffi::{Dword, Handle, NetResourceT, RESOURCE_GLOBALNET};
use crate::guard::{Fail, Res, run0};
use crate::query::{buffer_size, too_small};
use crate::strings::{BAD_VALUE, OutResource, Packer, Unit, read_resource, require};

/// `ERROR_INVALID_HANDLE`.
const BAD_HANDLE: u32 = 6;
/// `ERROR_NO_MORE_ITEMS`.
const NO_MORE_ITEMS: u32 = 259;

struct Enumeration {
    /// The connection the daemon bound the enumeration to.
    client: Client,
    /// The daemon's handle.
    daemon: u64,
    /// Fetched, not yet handed out.
    pending: VecDeque<NetResource>,
    /// The daemon said 259.
    ended: bool,
}

pub(crate) struct Table {
    next: usize,
    open: BTreeMap<usize, Arc<Mutex<Enumeration>>>,
}

impl Table {
    /// Forgets every enumeration (in a child after `fork`: they are the parent's).
    pub(crate) fn forget_all(&mut self) {
        self.open.clear();
    }
}

static TABLE: Mutex<Table> = Mutex::new(Table {
    next: 0x5745_4E00,
    open: BTreeMap::new(),
});

pub(crate) fn table() -> MutexGuard<'static, Table> {
    TABLE.lock().unwrap_or_else(|p| p.into_inner())
}

fn lock(e: &Mutex<Enumeration>) -> MutexGuard<'_, Enumeration> {
    e.lock().unwrap_or_else(|p| p.into_inner())
}

fn bad_handle(h: Handle) -> Fail {
    Fail::new(BAD_HANDLE, format!("{h:p} is not an open enumeration"))
}

unsafe fn open_enum<C: Unit>(
    scope: Dword,
    resource_type: Dword,
    usage: Dword,
    nr: *const NetResourceT<C>,
    out: *mut Handle,
) -> Res<()> {
    require(out, "lphEnum")?;
    let err = |e: wnet_core::Error| Fail::from_error(&e);
    Scope::from_u32(scope).map_err(err)?;
    ResourceType::from_u32(resource_type).map_err(err)?;
    Usage::from_bits(usage).map_err(err)?;
    // lpNetResource only means something for GLOBALNET; Windows tolerates it elsewhere.
    let container = if scope == RESOURCE_GLOBALNET && !nr.is_null() {
        require(nr, "lpNetResource")?;
        // SAFETY: checked; the caller's strings.
        Some(unsafe { read_resource(nr) }?.0)
    } else {
        None
    };
    let mut client = daemon::connect()?;
    let daemon_handle = match client.call(&Request::OpenEnum {
        scope,
        resource_type,
        usage,
        container,
    })? {
        Reply::EnumOpened { handle } => handle,
        other => return Err(unexpected(&other)),
    };
    let enumeration = Enumeration {
        client,
        daemon: daemon_handle,
        pending: VecDeque::new(),
        ended: false,
    };
    let mut t = table();
    t.next += 1;
    let h = t.next;
    t.open.insert(h, Arc::new(Mutex::new(enumeration)));
    // SAFETY: checked above.
    unsafe { *out = h as Handle };
    Ok(())
}

/// `WNetOpenEnumA`: starts an enumeration of `dwScope` (`RESOURCE_CONNECTED`, `REMEMBERED`,
/// `GLOBALNET`, `CONTEXT`; `RECENT` lists nothing) filtered by `dwType`; `dwUsage` and the
/// container `lpNetResource` apply to `GLOBALNET` only. Unknown values → 87.
///
/// # Safety
/// `lpNetResource` is NULL or a valid `NETRESOURCEA`; `lphEnum` NULL (487) or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WNetOpenEnumA(
    dw_scope: Dword,
    dw_type: Dword,
    dw_usage: Dword,
    lp_net_resource: *const NetResourceT<u8>,
    lph_enum: *mut Handle,
) -> Dword {
    // SAFETY: forwarded contract.
    run0(|| unsafe { open_enum(dw_scope, dw_type, dw_usage, lp_net_resource, lph_enum) })
}

/// `WNetOpenEnumW`: as [`WNetOpenEnumA`], with `NETRESOURCEW`; the handle's items are then
/// returned by [`WNetEnumResourceW`] or [`WNetEnumResourceA`] alike.
///
/// # Safety
/// As [`WNetOpenEnumA`] with `NETRESOURCEW`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WNetOpenEnumW(
    dw_scope: Dword,
    dw_type: Dword,
    dw_usage: Dword,
    lp_net_resource: *const NetResourceT<u16>,
    lph_enum: *mut Handle,
) -> Dword {
    // SAFETY: forwarded contract.
    run0(|| unsafe { open_enum(dw_scope, dw_type, dw_usage, lp_net_resource, lph_enum) })
}

unsafe fn enum_resource<C: Unit>(
    h: Handle,
    count: *mut Dword,
    buf: *mut u8,
    size: *mut Dword,
) -> Res<()> {
    require(count, "lpcCount")?;
    require(size, "lpBufferSize")?;
    // SAFETY: checked.
    let want = unsafe { *count };
    if want == 0 {
        return Err(Fail::new(BAD_VALUE, "*lpcCount is 0"));
    }
    let entry = table()
        .open
        .get(&(h as usize))
        .cloned()
        .ok_or_else(|| bad_handle(h))?;
    let mut e = lock(&entry);
    if e.pending.is_empty() && !e.ended {
        let request = Request::EnumNext {
            handle: e.daemon,
            max: None,
        };
        match e.client.call(&request) {
            Ok(Reply::Resources { items }) => {
                if items.is_empty() {
                    e.ended = true;
                }
                e.pending.extend(items);
            }
            Ok(other) => return Err(unexpected(&other)),
            Err(err) if err.win_error().0 == NO_MORE_ITEMS => e.ended = true,
            Err(err) => return Err(err.into()),
        }
    }
    let Some(first) = e.pending.front() else {
        return Err(Fail::new(NO_MORE_ITEMS, "no more entries"));
    };
    // The handle and the end are answered before the buffer is judged.
    // SAFETY: size checked.
    let have = unsafe { buffer_size(buf, size) }?;
    let first = OutResource::<C>::new(first);
    if buf.is_null() || have < first.bytes() {
        // Not even one entry fits.
        // SAFETY: size checked.
        return Err(unsafe { too_small(size, first.bytes(), have) });
    }
    // SAFETY: buf holds `have` bytes (checked plausible when non-zero).
    let mut packer = unsafe { Packer::<C>::new(buf, have) };
    let mut n = 0u32;
    while n < want {
        let Some(item) = e.pending.front() else { break };
        let out = OutResource::<C>::new(item);
        if !packer.fits(size_of::<NetResourceT<C>>(), out.string_bytes()) {
            break;
        }
        // SAFETY: fits was checked.
        unsafe { out.place(&mut packer) };
        e.pending.pop_front();
        n += 1;
    }
    // SAFETY: count checked.
    unsafe { *count = n };
    Ok(())
}

/// `WNetEnumResourceA`: the next entries of enumeration `hEnum` as an array of `NETRESOURCEA`
/// at the start of `lpBuffer` (`*lpBufferSize` bytes) with their strings after it. At most
/// `*lpcCount` entries (`0xFFFFFFFF` = as many as fit); `*lpcCount` receives how many were
/// returned. 259 at the end; 234 with the size needed only when not even one entry fits; 6 for
/// a bad handle; `*lpcCount == 0` → 87.
///
/// # Safety
/// `lpcCount` and `lpBufferSize` are NULL (487) or writable; `lpBuffer` holds `*lpBufferSize`
/// bytes, 8-byte aligned for the structures to be read in place.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WNetEnumResourceA(
    h_enum: Handle,
    lpc_count: *mut Dword,
    lp_buffer: *mut u8,
    lp_buffer_size: *mut Dword,
) -> Dword {
    // SAFETY: forwarded contract.
    run0(|| unsafe { enum_resource::<u8>(h_enum, lpc_count, lp_buffer, lp_buffer_size) })
}

/// `WNetEnumResourceW`: as [`WNetEnumResourceA`], `NETRESOURCEW` entries with UTF-16 strings.
///
/// # Safety
/// As [`WNetEnumResourceA`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WNetEnumResourceW(
    h_enum: Handle,
    lpc_count: *mut Dword,
    lp_buffer: *mut u8,
    lp_buffer_size: *mut Dword,
) -> Dword {
    // SAFETY: forwarded contract.
    run0(|| unsafe { enum_resource::<u16>(h_enum, lpc_count, lp_buffer, lp_buffer_size) })
}

/// `WNetCloseEnum`: ends enumeration `hEnum`; a handle not open → 6.
///
/// # Safety
/// Always safe: `hEnum` is only compared, never dereferenced.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WNetCloseEnum(h_enum: Handle) -> Dword {
    run0(|| {
        let entry = table()
            .open
            .remove(&(h_enum as usize))
            .ok_or_else(|| bad_handle(h_enum))?;
        let mut e = lock(&entry);
        let request = Request::CloseEnum { handle: e.daemon };
        match e.client.call(&request) {
            Ok(_) => Ok(()),
            // The daemon restarted or was closed: with the connection, the enumeration ended.
            Err(err) if err.win_error().0 == BAD_HANDLE || wnet_proto::client::is_lost(&err) => {
                Ok(())
            }
            Err(err) => Err(err.into()),
        }
    })
}
