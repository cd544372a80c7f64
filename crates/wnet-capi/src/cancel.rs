//! Cancelling connections: `WNetCancelConnection2`, `WNetCancelConnection`,
//! `WNetClearConnections`.

use wnet_core::ConnectionStatus;
use wnet_proto::{Reply, Request};

use crate::connect::unexpected;
use crate::daemon;
use crate::ffi::{Bool, CONNECT_UPDATE_PROFILE, Dword, Hwnd};
use crate::guard::{Fail, Res, run0};
use crate::strings::{BAD_POINTER, Unit, read_req};

/// Cancels a connection by device or remote name.
pub(crate) fn cancel(name: String, flags: Dword, force: bool) -> Res<()> {
    wnet_core::ConnectFlags::from_bits(flags).map_err(|e| Fail::from_error(&e))?;
    match daemon::call(&Request::CancelConnection { name, flags, force })? {
        Reply::Done => Ok(()),
        other => Err(unexpected(&other)),
    }
}

unsafe fn cancel2<C: Unit>(name: *const C, flags: Dword, force: Bool) -> Res<()> {
    // SAFETY: the caller's string.
    let name = unsafe { read_req(name, "lpName", BAD_POINTER) }?;
    cancel(name, flags, force != 0)
}

/// `WNetCancelConnection2A`: cancels the redirection of device `lpName` (`z:`, any case), or
/// every deviceless connection to the remote name `lpName`. `CONNECT_UPDATE_PROFILE` also
/// forgets the remembered device (and removes a remembered-but-unconnected one: success).
/// Without `fForce`, open files give 2401 and a process working inside the drive 2404, and
/// nothing changes; `WNetGetLastError` then names who holds the drive. Not connected → 2250.
///
/// # Safety
/// `lpName` is NULL (487) or a NUL-terminated UTF-8 string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WNetCancelConnection2A(
    lp_name: *const u8,
    dw_flags: Dword,
    f_force: Bool,
) -> Dword {
    // SAFETY: forwarded contract.
    run0(|| unsafe { cancel2(lp_name, dw_flags, f_force) })
}

/// `WNetCancelConnection2W`: as [`WNetCancelConnection2A`], UTF-16.
///
/// # Safety
/// `lpName` is NULL (487) or a NUL-terminated UTF-16 string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WNetCancelConnection2W(
    lp_name: *const u16,
    dw_flags: Dword,
    f_force: Bool,
) -> Dword {
    // SAFETY: forwarded contract.
    run0(|| unsafe { cancel2(lp_name, dw_flags, f_force) })
}

/// `WNetCancelConnectionA`: the legacy cancel, the counterpart of `WNetAddConnection` (whose
/// connections are remembered): `WNetCancelConnection2A(lpName, CONNECT_UPDATE_PROFILE,
/// fForce)`.
///
/// # Safety
/// `lpName` is NULL (487) or a NUL-terminated UTF-8 string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WNetCancelConnectionA(lp_name: *const u8, f_force: Bool) -> Dword {
    // SAFETY: forwarded contract.
    run0(|| unsafe { cancel2(lp_name, CONNECT_UPDATE_PROFILE, f_force) })
}

/// `WNetCancelConnectionW`: as [`WNetCancelConnectionA`], UTF-16.
///
/// # Safety
/// `lpName` is NULL (487) or a NUL-terminated UTF-16 string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WNetCancelConnectionW(lp_name: *const u16, f_force: Bool) -> Dword {
    // SAFETY: forwarded contract.
    run0(|| unsafe { cancel2(lp_name, CONNECT_UPDATE_PROFILE, f_force) })
}

/// `WNetClearConnections` (undocumented; Wine's behaviour): cancels every live connection,
/// forced, leaving the profile alone. Returns the first failure's code after trying them all.
///
/// # Safety
/// `hwndParent` is ignored; always safe to call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WNetClearConnections(_hwnd_parent: Hwnd) -> Dword {
    run0(|| {
        let rows = match daemon::call(&Request::List)? {
            Reply::Listing { connections, .. } => connections,
            other => return Err(unexpected(&other)),
        };
        let mut first = None;
        for row in rows
            .into_iter()
            .filter(|r| r.status != ConnectionStatus::Unavailable)
        {
            let name = row
                .local
                .map_or_else(|| row.remote.to_string(), |l| l.to_string());
            if let Err(e) = cancel(name, 0, true) {
                first.get_or_insert(e);
            }
        }
        first.map_or(Ok(()), Err)
    })
}
