//! Making connections: `WNetAddConnection`/`2`/`3`/`4`, `WNetUseConnection`/`4`, and the
//! profile-side calls `WNetRestoreConnection`, `WNetRestoreSingleConnection`,
//! `WNetSetConnection`.
//!
//! No prompt is ever shown (there is no GUI): `CONNECT_INTERACTIVE`/`CONNECT_PROMPT` are
//! accepted and a connection that needs other credentials fails with the provider's code (86,
//! 1326, 5), as in a non-interactive session. `HWND`s are ignored.

use wnet_core::{ConnectFlags, LocalName, ResourceType, Secret};
use wnet_proto::{AddConnectionArgs, ConnectionInfo, Reply, Request};

use crate::daemon;
use crate::ffi::{
    Bool, CONNECT_LOCALDRIVE, CONNECT_REDIRECT, CONNECT_UPDATE_PROFILE, Dword, Hwnd,
    NETPROPERTY_PERSISTENT, NetResourceT, RESOURCETYPE_ANY, RESOURCETYPE_DISK, RESOURCETYPE_PRINT,
};
use crate::guard::{Fail, Res, run0};
use crate::strings::{
    BAD_POINTER, BAD_VALUE, MORE_DATA, Unit, non_empty, plausible, read_opt, read_req, require,
    write_chars,
};

/// `CONNECT_CMD_SAVECRED`.
const CONNECT_CMD_SAVECRED: u32 = 0x1000;

/// Reads the arguments shared by every connect function.
///
/// # Safety
/// `nr` was checked with [`require`]; the strings are NULL or NUL-terminated.
unsafe fn connect_args<C: Unit>(
    nr: *const NetResourceT<C>,
    password: *const C,
    user: *const C,
    flags: Dword,
) -> Res<AddConnectionArgs> {
    ConnectFlags::from_bits(flags).map_err(|e| Fail::from_error(&e))?;
    // SAFETY: checked by the caller.
    let r = unsafe { std::ptr::read_unaligned(nr) };
    ResourceType::from_u32(r.dw_type).map_err(|e| Fail::from_error(&e))?;
    // SAFETY: the caller's strings.
    let (local, remote, provider, password, user) = unsafe {
        (
            read_opt(r.lp_local_name, "lpLocalName")?,
            read_opt(r.lp_remote_name, "lpRemoteName")?,
            read_opt(r.lp_provider, "lpProvider")?,
            read_opt(password, "lpPassword")?,
            read_opt(user, "lpUserName")?,
        )
    };
    let remote =
        non_empty(remote).ok_or_else(|| Fail::new(BAD_VALUE, "lpRemoteName is NULL or empty"))?;
    Ok(AddConnectionArgs {
        resource_type: r.dw_type,
        local: non_empty(local),
        remote,
        provider: non_empty(provider),
        user,
        password: password.map(Secret::new),
        flags,
        save_credentials: flags & CONNECT_CMD_SAVECRED != 0,
        // The calling process's tickets, read at each call (a program may set KRB5CCNAME).
        ccache: wnet_core::CredentialsCache::from_env(),
    })
}

fn connect(args: AddConnectionArgs) -> Res<ConnectionInfo> {
    match daemon::call(&Request::AddConnection(args))? {
        Reply::Connection(info) => Ok(info),
        other => Err(unexpected(&other)),
    }
}

/// A reply of the wrong kind: the daemon and the library disagree on the protocol.
pub(crate) fn unexpected(reply: &Reply) -> Fail {
    Fail::new(
        crate::guard::GEN_FAILURE,
        format!("unexpected answer from wnetd: {reply:?}"),
    )
}

unsafe fn add_connection2<C: Unit>(
    nr: *const NetResourceT<C>,
    password: *const C,
    user: *const C,
    flags: Dword,
) -> Res<()> {
    require(nr, "lpNetResource")?;
    // SAFETY: nr checked; forwarded contract.
    let args = unsafe { connect_args(nr, password, user, flags) }?;
    if flags & CONNECT_REDIRECT != 0 && args.local.is_none() {
        // AddConnection2 has nowhere to return a chosen device.
        return Err(Fail::new(
            BAD_POINTER,
            "CONNECT_REDIRECT needs lpLocalName with WNetAddConnection2/3/4",
        ));
    }
    connect(args).map(|_| ())
}

unsafe fn add_connection<C: Unit>(
    remote: *const C,
    password: *const C,
    local: *const C,
) -> Res<()> {
    // SAFETY: the caller's strings.
    let local_s = non_empty(unsafe { read_opt(local, "lpLocalName") }?);
    let dw_type = match local_s.as_deref().map(LocalName::parse) {
        None => RESOURCETYPE_ANY,
        Some(Ok(l)) if !l.is_disk() => RESOURCETYPE_PRINT,
        Some(_) => RESOURCETYPE_DISK,
    };
    let nr = NetResourceT::<C> {
        dw_scope: 0,
        dw_type,
        dw_display_type: 0,
        dw_usage: 0,
        lp_local_name: local.cast_mut(),
        lp_remote_name: remote.cast_mut(),
        lp_comment: std::ptr::null_mut(),
        lp_provider: std::ptr::null_mut(),
    };
    // The legacy call makes a persistent connection (documented by Microsoft).
    // SAFETY: nr is ours; the strings are the caller's.
    unsafe { add_connection2(&nr, password, std::ptr::null(), CONNECT_UPDATE_PROFILE) }
}

/// Checks `WNetAddConnection4`'s provider-specific buffers: a NULL authentication buffer means
/// the default credentials; no provider-specific authentication blob is understood here (87).
/// Use options are accepted and ignored.
fn check_v4_buffers(
    auth: *const u8,
    cb_auth: Dword,
    options: *const u8,
    cb_options: Dword,
) -> Res<()> {
    if cb_auth > 0 && auth.is_null() || cb_options > 0 && options.is_null() {
        return Err(Fail::new(
            BAD_POINTER,
            "a buffer is NULL but its size is not 0",
        ));
    }
    if !auth.is_null() && cb_auth > 0 {
        return Err(Fail::new(
            BAD_VALUE,
            "pAuthBuffer: no provider-specific authentication buffer is supported; pass NULL and use WNetAddConnection2 for a user and password",
        ));
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
unsafe fn use_connection<C: Unit>(
    nr: *const NetResourceT<C>,
    password: *const C,
    user: *const C,
    flags: Dword,
    access: *mut C,
    size: *mut Dword,
    result: *mut Dword,
) -> Res<()> {
    require(nr, "lpNetResource")?;
    if !access.is_null() && (!plausible(size) || unsafe { *size } == 0) {
        return Err(Fail::new(
            BAD_VALUE,
            "lpAccessName is given but lpBufferSize is NULL or 0",
        ));
    }
    // SAFETY: nr checked; forwarded contract.
    let args = unsafe { connect_args(nr, password, user, flags) }?;
    let choose = flags & CONNECT_REDIRECT != 0 && args.local.is_none();
    if choose && args.resource_type != RESOURCETYPE_DISK {
        return Err(Fail::new(
            BAD_VALUE,
            "choosing a device needs dwType RESOURCETYPE_DISK",
        ));
    }
    if !access.is_null() {
        // Checked before connecting: a too-small buffer connects nothing.
        let need = match (&args.local, choose) {
            (Some(l), _) => {
                C::encode(&LocalName::parse(l).map_or(l.clone(), |l| l.to_string())).len() + 1
            }
            (None, true) => 3, // "Z:" and its NUL: every drive name is two characters
            (None, false) => C::encode(&args.remote).len() + 1,
        };
        // SAFETY: size checked above.
        if (unsafe { *size } as usize) < need {
            unsafe { *size = need as u32 };
            return Err(Fail::new(
                MORE_DATA,
                format!("lpAccessName holds fewer than the {need} characters needed"),
            ));
        }
        require(access, "lpAccessName")?;
    }
    let remote_given = args.remote.clone();
    let info = connect(args)?;
    if !access.is_null() {
        let name = info.local.map_or(remote_given, |l| l.to_string());
        // SAFETY: checked above.
        unsafe { write_chars(&name, access, size) }?;
    }
    if plausible(result) {
        // SAFETY: checked.
        unsafe {
            *result = if info.local.is_some() {
                CONNECT_LOCALDRIVE
            } else {
                0
            }
        };
    }
    Ok(())
}

/// `WNetAddConnectionA`: connects `lpLocalName` (or nothing) to `lpRemoteName`; the
/// connection is remembered (legacy behaviour).
///
/// # Safety
/// Each argument is NULL or a NUL-terminated UTF-8 string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WNetAddConnectionA(
    lp_remote_name: *const u8,
    lp_password: *const u8,
    lp_local_name: *const u8,
) -> Dword {
    // SAFETY: forwarded contract.
    run0(|| unsafe { add_connection(lp_remote_name, lp_password, lp_local_name) })
}

/// `WNetAddConnectionW`: as [`WNetAddConnectionA`], UTF-16.
///
/// # Safety
/// Each argument is NULL or a NUL-terminated UTF-16 string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WNetAddConnectionW(
    lp_remote_name: *const u16,
    lp_password: *const u16,
    lp_local_name: *const u16,
) -> Dword {
    // SAFETY: forwarded contract.
    run0(|| unsafe { add_connection(lp_remote_name, lp_password, lp_local_name) })
}

/// `WNetAddConnection2A`: connects `lpNetResource` (dwType, lpLocalName, lpRemoteName,
/// lpProvider) with a password (NULL = default, "" = none) and user (NULL = default).
///
/// # Safety
/// `lpNetResource` is NULL (487) or a valid `NETRESOURCEA`; strings NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WNetAddConnection2A(
    lp_net_resource: *const NetResourceT<u8>,
    lp_password: *const u8,
    lp_user_name: *const u8,
    dw_flags: Dword,
) -> Dword {
    // SAFETY: forwarded contract.
    run0(|| unsafe { add_connection2(lp_net_resource, lp_password, lp_user_name, dw_flags) })
}

/// `WNetAddConnection2W`: as [`WNetAddConnection2A`], UTF-16.
///
/// # Safety
/// As [`WNetAddConnection2A`] with `NETRESOURCEW` and UTF-16 strings.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WNetAddConnection2W(
    lp_net_resource: *const NetResourceT<u16>,
    lp_password: *const u16,
    lp_user_name: *const u16,
    dw_flags: Dword,
) -> Dword {
    // SAFETY: forwarded contract.
    run0(|| unsafe { add_connection2(lp_net_resource, lp_password, lp_user_name, dw_flags) })
}

/// `WNetAddConnection3A`: [`WNetAddConnection2A`] with an owner window (ignored).
///
/// # Safety
/// As [`WNetAddConnection2A`]; `hwndOwner` is never dereferenced.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WNetAddConnection3A(
    _hwnd_owner: Hwnd,
    lp_net_resource: *const NetResourceT<u8>,
    lp_password: *const u8,
    lp_user_name: *const u8,
    dw_flags: Dword,
) -> Dword {
    // SAFETY: forwarded contract.
    run0(|| unsafe { add_connection2(lp_net_resource, lp_password, lp_user_name, dw_flags) })
}

/// `WNetAddConnection3W`: as [`WNetAddConnection3A`], UTF-16.
///
/// # Safety
/// As [`WNetAddConnection2W`]; `hwndOwner` is never dereferenced.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WNetAddConnection3W(
    _hwnd_owner: Hwnd,
    lp_net_resource: *const NetResourceT<u16>,
    lp_password: *const u16,
    lp_user_name: *const u16,
    dw_flags: Dword,
) -> Dword {
    // SAFETY: forwarded contract.
    run0(|| unsafe { add_connection2(lp_net_resource, lp_password, lp_user_name, dw_flags) })
}

/// `WNetAddConnection4A`: [`WNetAddConnection2A`] with provider-specific buffers: a NULL
/// `pAuthBuffer` uses the default credentials (a non-NULL one is 87: no authentication blob
/// format is supported); use options are ignored.
///
/// # Safety
/// As [`WNetAddConnection2A`]; each buffer is NULL or holds its size in bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WNetAddConnection4A(
    _hwnd_owner: Hwnd,
    lp_net_resource: *const NetResourceT<u8>,
    p_auth_buffer: *const u8,
    cb_auth_buffer: Dword,
    dw_flags: Dword,
    lp_use_options: *const u8,
    cb_use_options: Dword,
) -> Dword {
    run0(|| {
        check_v4_buffers(
            p_auth_buffer,
            cb_auth_buffer,
            lp_use_options,
            cb_use_options,
        )?;
        // SAFETY: forwarded contract.
        unsafe {
            add_connection2(
                lp_net_resource,
                std::ptr::null(),
                std::ptr::null(),
                dw_flags,
            )
        }
    })
}

/// `WNetAddConnection4W`: as [`WNetAddConnection4A`], UTF-16.
///
/// # Safety
/// As [`WNetAddConnection4A`] with `NETRESOURCEW`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WNetAddConnection4W(
    _hwnd_owner: Hwnd,
    lp_net_resource: *const NetResourceT<u16>,
    p_auth_buffer: *const u8,
    cb_auth_buffer: Dword,
    dw_flags: Dword,
    lp_use_options: *const u8,
    cb_use_options: Dword,
) -> Dword {
    run0(|| {
        check_v4_buffers(
            p_auth_buffer,
            cb_auth_buffer,
            lp_use_options,
            cb_use_options,
        )?;
        // SAFETY: forwarded contract.
        unsafe {
            add_connection2(
                lp_net_resource,
                std::ptr::null(),
                std::ptr::null(),
                dw_flags,
            )
        }
    })
}

/// `WNetUseConnectionA`: connects like [`WNetAddConnection2A`]; with `CONNECT_REDIRECT` and no
/// `lpLocalName` a free drive is chosen (Z: downwards). `lpAccessName` (size in characters in
/// `*lpBufferSize`) receives the device used or the remote name; `*lpResult` gets
/// `CONNECT_LOCALDRIVE` when a device was redirected. A too-small access buffer gives 234 with
/// the size needed, before anything is connected.
///
/// # Safety
/// As [`WNetAddConnection2A`]; `lpAccessName` is NULL or holds `*lpBufferSize` chars;
/// `lpBufferSize` and `lpResult` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WNetUseConnectionA(
    _hwnd_owner: Hwnd,
    lp_net_resource: *const NetResourceT<u8>,
    lp_password: *const u8,
    lp_user_id: *const u8,
    dw_flags: Dword,
    lp_access_name: *mut u8,
    lp_buffer_size: *mut Dword,
    lp_result: *mut Dword,
) -> Dword {
    // SAFETY: forwarded contract.
    run0(|| unsafe {
        use_connection(
            lp_net_resource,
            lp_password,
            lp_user_id,
            dw_flags,
            lp_access_name,
            lp_buffer_size,
            lp_result,
        )
    })
}

/// `WNetUseConnectionW`: as [`WNetUseConnectionA`], UTF-16 (sizes in `WCHAR`s).
///
/// # Safety
/// As [`WNetUseConnectionA`] with `NETRESOURCEW` and UTF-16 strings.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WNetUseConnectionW(
    _hwnd_owner: Hwnd,
    lp_net_resource: *const NetResourceT<u16>,
    lp_password: *const u16,
    lp_user_id: *const u16,
    dw_flags: Dword,
    lp_access_name: *mut u16,
    lp_buffer_size: *mut Dword,
    lp_result: *mut Dword,
) -> Dword {
    // SAFETY: forwarded contract.
    run0(|| unsafe {
        use_connection(
            lp_net_resource,
            lp_password,
            lp_user_id,
            dw_flags,
            lp_access_name,
            lp_buffer_size,
            lp_result,
        )
    })
}

/// `WNetUseConnection4A`: [`WNetUseConnectionA`] with the buffers of [`WNetAddConnection4A`].
///
/// # Safety
/// As [`WNetUseConnectionA`] and [`WNetAddConnection4A`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WNetUseConnection4A(
    _hwnd_owner: Hwnd,
    lp_net_resource: *const NetResourceT<u8>,
    p_auth_buffer: *const u8,
    cb_auth_buffer: Dword,
    dw_flags: Dword,
    lp_use_options: *const u8,
    cb_use_options: Dword,
    lp_access_name: *mut u8,
    lp_buffer_size: *mut Dword,
    lp_result: *mut Dword,
) -> Dword {
    run0(|| {
        check_v4_buffers(
            p_auth_buffer,
            cb_auth_buffer,
            lp_use_options,
            cb_use_options,
        )?;
        // SAFETY: forwarded contract.
        unsafe {
            use_connection(
                lp_net_resource,
                std::ptr::null(),
                std::ptr::null(),
                dw_flags,
                lp_access_name,
                lp_buffer_size,
                lp_result,
            )
        }
    })
}

/// `WNetUseConnection4W`: as [`WNetUseConnection4A`], UTF-16.
///
/// # Safety
/// As [`WNetUseConnectionW`] and [`WNetAddConnection4W`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WNetUseConnection4W(
    _hwnd_owner: Hwnd,
    lp_net_resource: *const NetResourceT<u16>,
    p_auth_buffer: *const u8,
    cb_auth_buffer: Dword,
    dw_flags: Dword,
    lp_use_options: *const u8,
    cb_use_options: Dword,
    lp_access_name: *mut u16,
    lp_buffer_size: *mut Dword,
    lp_result: *mut Dword,
) -> Dword {
    run0(|| {
        check_v4_buffers(
            p_auth_buffer,
            cb_auth_buffer,
            lp_use_options,
            cb_use_options,
        )?;
        // SAFETY: forwarded contract.
        unsafe {
            use_connection(
                lp_net_resource,
                std::ptr::null(),
                std::ptr::null(),
                dw_flags,
                lp_access_name,
                lp_buffer_size,
                lp_result,
            )
        }
    })
}

fn restore(device: Option<String>) -> Res<()> {
    match daemon::call(&Request::Restore { local: device })? {
        Reply::Restored { failures } => match failures.first() {
            None => Ok(()),
            Some((_, code)) => {
                let list: Vec<String> = failures
                    .iter()
                    .map(|(d, c)| format!("{d} (error {c})"))
                    .collect();
                Err(Fail::new(
                    *code,
                    format!("not restored: {}", list.join(", ")),
                ))
            }
        },
        other => Err(unexpected(&other)),
    }
}

/// `WNetRestoreConnectionA`: reconnects the remembered device `lpDevice`, or every remembered
/// connection when it is NULL or empty, without prompting. Returns the first failure's code
/// (every failure is in `WNetGetLastError`'s text); failed entries stay remembered.
///
/// # Safety
/// `lpDevice` is NULL or a NUL-terminated UTF-8 string; `hwndParent` is ignored.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WNetRestoreConnectionA(_hwnd_parent: Hwnd, lp_device: *const u8) -> Dword {
    // SAFETY: the caller's string.
    run0(|| restore(non_empty(unsafe { read_opt(lp_device, "lpDevice") }?)))
}

/// `WNetRestoreConnectionW`: as [`WNetRestoreConnectionA`], UTF-16.
///
/// # Safety
/// `lpDevice` is NULL or a NUL-terminated UTF-16 string; `hwndParent` is ignored.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WNetRestoreConnectionW(
    _hwnd_parent: Hwnd,
    lp_device: *const u16,
) -> Dword {
    // SAFETY: the caller's string.
    run0(|| restore(non_empty(unsafe { read_opt(lp_device, "lpDevice") }?)))
}

/// `WNetRestoreAllConnectionsW`: undocumented, exported by mpr.dll and called by
/// Windows-derived code at logon: reconnects every remembered device, the job of
/// [`WNetRestoreConnectionW`]`(NULL, NULL)`. Neither argument is used (their meaning is not
/// documented; `hwndParent` and a flags word are what callers pass).
///
/// # Safety
/// Always safe: the arguments are not read.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WNetRestoreAllConnectionsW(_hwnd_parent: Hwnd, _dw_flags: Dword) -> Dword {
    run0(|| restore(None))
}

/// `WNetRestoreSingleConnectionA`: reconnects one remembered device (`fUseUI` is ignored: no
/// UI). NULL `lpDevice` → 487; a device that is not remembered → 2250.
///
/// # Safety
/// `lpDevice` is NULL or a NUL-terminated UTF-8 string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WNetRestoreSingleConnectionA(
    _hwnd_parent: Hwnd,
    lp_device: *const u8,
    _f_use_ui: Bool,
) -> Dword {
    // SAFETY: the caller's string.
    run0(|| {
        restore(Some(unsafe {
            read_req(lp_device, "lpDevice", BAD_POINTER)
        }?))
    })
}

/// `WNetRestoreSingleConnectionW`: as [`WNetRestoreSingleConnectionA`], UTF-16.
///
/// # Safety
/// `lpDevice` is NULL or a NUL-terminated UTF-16 string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WNetRestoreSingleConnectionW(
    _hwnd_parent: Hwnd,
    lp_device: *const u16,
    _f_use_ui: Bool,
) -> Dword {
    // SAFETY: the caller's string.
    run0(|| {
        restore(Some(unsafe {
            read_req(lp_device, "lpDevice", BAD_POINTER)
        }?))
    })
}

unsafe fn set_connection<C: Unit>(name: *const C, property: Dword, values: *const u8) -> Res<()> {
    // SAFETY: the caller's string.
    let local = unsafe { read_req(name, "lpName", BAD_POINTER) }?;
    if property != NETPROPERTY_PERSISTENT {
        return Err(Fail::new(
            BAD_VALUE,
            format!("dwProperty {property} is not NETPROPERTY_PERSISTENT"),
        ));
    }
    require(values, "pvValues")?;
    // SAFETY: checked; a BOOL, possibly misaligned.
    let persistent = unsafe { std::ptr::read_unaligned(values.cast::<Bool>()) } != 0;
    match daemon::call(&Request::SetPersistent { local, persistent })? {
        Reply::Done => Ok(()),
        other => Err(unexpected(&other)),
    }
}

/// `WNetSetConnectionA`: with `NETPROPERTY_PERSISTENT`, `*(BOOL*)pvValues` makes the connected
/// device `lpName` remembered (TRUE) or forgotten (FALSE). Other properties → 87.
///
/// # Safety
/// `lpName` is NULL or a NUL-terminated UTF-8 string; `pvValues` is NULL or points to a `BOOL`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WNetSetConnectionA(
    lp_name: *const u8,
    dw_property: Dword,
    pv_values: *const u8,
) -> Dword {
    // SAFETY: forwarded contract.
    run0(|| unsafe { set_connection(lp_name, dw_property, pv_values) })
}

/// `WNetSetConnectionW`: as [`WNetSetConnectionA`], UTF-16.
///
/// # Safety
/// `lpName` is NULL or a NUL-terminated UTF-16 string; `pvValues` is NULL or points to a `BOOL`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WNetSetConnectionW(
    lp_name: *const u16,
    dw_property: Dword,
    pv_values: *const u8,
) -> Dword {
    // SAFETY: forwarded contract.
    run0(|| unsafe { set_connection(lp_name, dw_property, pv_values) })
}
