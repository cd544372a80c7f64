//! The dialogs: `WNetConnectionDialog`/`1`, `WNetDisconnectDialog`/`1`.
//!
//! There is no GUI on Linux, so these answer as in a non-interactive session: arguments are
//! validated exactly as documented, then
//! - the connection dialogs and `WNetDisconnectDialog` show nothing and return `0xFFFFFFFF`
//!   ("the user cancelled"): nothing is connected or disconnected, and `WNetGetLastError`
//!   says why;
//! - `WNetDisconnectDialog1`, which names the connection, disconnects it without a dialog
//!   (`DISC_UPDATE_PROFILE` forgets it too); where Windows would ask whether to force open
//!   files closed, nobody can confirm, so 2401 `ERROR_OPEN_FILES` is returned, as with
//!   `DISC_NO_FORCE`.

use std::mem::size_of;

use crate::cancel::cancel;
use crate::ffi::{
    CONNDLG_ALL, CONNDLG_NOT_PERSIST, CONNDLG_PERSIST, CONNDLG_RO_PATH, CONNDLG_USE_MRU,
    CONNECT_UPDATE_PROFILE, ConnectDlgStructT, DIALOG_CANCELLED, DISC_NO_FORCE,
    DISC_UPDATE_PROFILE, DiscDlgStructT, Dword, Hwnd, RESOURCETYPE_DISK, RESOURCETYPE_PRINT,
};
use crate::guard::{Fail, LIBRARY_NAME, Res, run, run0};
use crate::last_error;
use crate::strings::{BAD_VALUE, Unit, non_empty, read_opt, require};

/// `ERROR_BAD_DEV_TYPE`.
const BAD_DEV_TYPE: u32 = 66;

/// The dialog "was cancelled": recorded for `WNetGetLastError`, `0xFFFFFFFF` returned.
fn no_dialog(what: &str) -> Res<u32> {
    last_error::record(
        DIALOG_CANCELLED,
        &format!("{what}: there is no dialog on Linux; nothing was changed"),
        LIBRARY_NAME,
    );
    Ok(DIALOG_CANCELLED)
}

/// `WNetConnectionDialog`: no dialog; `dwType` other than `RESOURCETYPE_DISK` → 66, else
/// `0xFFFFFFFF` (cancelled), nothing connected.
///
/// # Safety
/// Always safe: `hwnd` is never dereferenced.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WNetConnectionDialog(_hwnd: Hwnd, dw_type: Dword) -> Dword {
    run(|| {
        if dw_type != RESOURCETYPE_DISK {
            return Err(Fail::new(BAD_DEV_TYPE, "the dialog connects disks only"));
        }
        no_dialog("WNetConnectionDialog")
    })
}

/// `WNetDisconnectDialog`: no dialog; `dwType` other than `RESOURCETYPE_DISK`/`PRINT` → 87,
/// else `0xFFFFFFFF` (cancelled), nothing disconnected.
///
/// # Safety
/// Always safe: `hwnd` is never dereferenced.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WNetDisconnectDialog(_hwnd: Hwnd, dw_type: Dword) -> Dword {
    run(|| {
        if dw_type != RESOURCETYPE_DISK && dw_type != RESOURCETYPE_PRINT {
            return Err(Fail::new(
                BAD_VALUE,
                format!("dwType {dw_type} is not DISK or PRINT"),
            ));
        }
        no_dialog("WNetDisconnectDialog")
    })
}

unsafe fn connection_dialog1<C: Unit>(s: *mut ConnectDlgStructT<C>) -> Res<u32> {
    require(s, "lpConnDlgStruct")?;
    // SAFETY: checked.
    let d = unsafe { std::ptr::read(s) };
    if d.cb_structure as usize != size_of::<ConnectDlgStructT<C>>() {
        return Err(Fail::new(
            BAD_VALUE,
            "cbStructure is not sizeof(CONNECTDLGSTRUCT)",
        ));
    }
    require(d.lp_conn_res, "lpConnRes")?;
    // SAFETY: checked.
    let nr = unsafe { std::ptr::read_unaligned(d.lp_conn_res) };
    let f = d.dw_flags;
    // SAFETY: the caller's string.
    let remote = non_empty(unsafe { read_opt(nr.lp_remote_name, "lpRemoteName") }?);
    if f & !CONNDLG_ALL != 0
        || f & (CONNDLG_RO_PATH | CONNDLG_USE_MRU) == CONNDLG_RO_PATH | CONNDLG_USE_MRU
        || f & (CONNDLG_PERSIST | CONNDLG_NOT_PERSIST) == CONNDLG_PERSIST | CONNDLG_NOT_PERSIST
        || (f & CONNDLG_RO_PATH != 0 && remote.is_none())
    {
        return Err(Fail::new(
            BAD_VALUE,
            format!("dwFlags {f:#x} is not a valid combination"),
        ));
    }
    if nr.dw_type != RESOURCETYPE_DISK {
        return Err(Fail::new(BAD_DEV_TYPE, "the dialog connects disks only"));
    }
    no_dialog("WNetConnectionDialog1")
}

/// `WNetConnectionDialog1A`: validates `lpConnDlgStruct` as documented (NULL → 487;
/// `cbStructure` ≠ its size, `CONNDLG_RO_PATH` with `CONNDLG_USE_MRU` or without a remote
/// name, `CONNDLG_PERSIST` with `CONNDLG_NOT_PERSIST`, unknown bits → 87; `dwType` not DISK
/// → 66), then returns `0xFFFFFFFF` (cancelled): no dialog, nothing connected.
///
/// # Safety
/// `lpConnDlgStruct` is NULL or a valid `CONNECTDLGSTRUCTA` whose `lpConnRes` is NULL or a
/// valid `NETRESOURCEA`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WNetConnectionDialog1A(
    lp_conn_dlg_struct: *mut ConnectDlgStructT<u8>,
) -> Dword {
    // SAFETY: forwarded contract.
    run(|| unsafe { connection_dialog1(lp_conn_dlg_struct) })
}

/// `WNetConnectionDialog1W`: as [`WNetConnectionDialog1A`], UTF-16.
///
/// # Safety
/// As [`WNetConnectionDialog1A`] with the W structures.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WNetConnectionDialog1W(
    lp_conn_dlg_struct: *mut ConnectDlgStructT<u16>,
) -> Dword {
    // SAFETY: forwarded contract.
    run(|| unsafe { connection_dialog1(lp_conn_dlg_struct) })
}

unsafe fn disconnect_dialog1<C: Unit>(s: *const DiscDlgStructT<C>) -> Res<()> {
    require(s, "lpConnDlgStruct")?;
    // SAFETY: checked.
    let d = unsafe { std::ptr::read(s) };
    if d.cb_structure as usize != size_of::<DiscDlgStructT<C>>() {
        return Err(Fail::new(
            BAD_VALUE,
            "cbStructure is not sizeof(DISCDLGSTRUCT)",
        ));
    }
    if d.dw_flags & !(DISC_UPDATE_PROFILE | DISC_NO_FORCE) != 0 {
        return Err(Fail::new(
            BAD_VALUE,
            format!("dwFlags {:#x} has unknown bits", d.dw_flags),
        ));
    }
    // SAFETY: the caller's strings.
    let (local, remote) = unsafe {
        (
            non_empty(read_opt(d.lp_local_name, "lpLocalName")?),
            non_empty(read_opt(d.lp_remote_name, "lpRemoteName")?),
        )
    };
    let name = local
        .or(remote)
        .ok_or_else(|| Fail::new(BAD_VALUE, "neither lpLocalName nor lpRemoteName is given"))?;
    let flags = if d.dw_flags & DISC_UPDATE_PROFILE != 0 {
        CONNECT_UPDATE_PROFILE
    } else {
        0
    };
    // Never forced: forcing needs the user's consent, and there is nobody to ask.
    cancel(name, flags, false)
}

/// `WNetDisconnectDialog1A`: disconnects `lpLocalName` (or the deviceless `lpRemoteName`)
/// without a dialog, forgetting it with `DISC_UPDATE_PROFILE`. Open files → 2401 (nobody can
/// confirm forcing them closed), not connected → 2250, NULL → 487, `cbStructure` ≠ its size or
/// unknown flags → 87.
///
/// # Safety
/// `lpConnDlgStruct` is NULL or a valid `DISCDLGSTRUCTA`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WNetDisconnectDialog1A(
    lp_conn_dlg_struct: *const DiscDlgStructT<u8>,
) -> Dword {
    // SAFETY: forwarded contract.
    run0(|| unsafe { disconnect_dialog1(lp_conn_dlg_struct) })
}

/// `WNetDisconnectDialog1W`: as [`WNetDisconnectDialog1A`], UTF-16.
///
/// # Safety
/// `lpConnDlgStruct` is NULL or a valid `DISCDLGSTRUCTW`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WNetDisconnectDialog1W(
    lp_conn_dlg_struct: *const DiscDlgStructT<u16>,
) -> Dword {
    // SAFETY: forwarded contract.
    run0(|| unsafe { disconnect_dialog1(lp_conn_dlg_struct) })
}
