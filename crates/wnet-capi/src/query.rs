//! Name and provider queries: `WNetGetConnection`, `WNetGetUniversalName`, `WNetGetUser`,
//! `WNetGetProviderName`, `WNetGetNetworkInformation`, `MultinetGetConnectionPerformance`.

use std::mem::size_of;

use wnet_core::{ConnectionStatus, RemoteName};
use wnet_proto::{ConnectionInfo, Reply, Request};

use crate::connect::unexpected;
use crate::daemon;
use crate::ffi::{
    Dword, NetConnectInfoStruct, NetInfoStruct, NetResourceT, REMOTE_NAME_INFO_LEVEL,
    RemoteNameInfoT, UNIVERSAL_NAME_INFO_LEVEL, UniversalNameInfoT,
};
use crate::guard::{Fail, Res, run0};
use crate::strings::{
    BAD_POINTER, BAD_VALUE, MORE_DATA, Packer, Unit, non_empty, read_opt, read_req, require,
    str_bytes, write_chars,
};

/// `ERROR_INVALID_LEVEL`.
const BAD_LEVEL: u32 = 124;
/// `ERROR_NOT_CONNECTED`.
const NOT_CONNECTED: u32 = 2250;

pub(crate) fn get_connection(local: String) -> Res<ConnectionInfo> {
    match daemon::call(&Request::GetConnection { local })? {
        Reply::Connection(info) => Ok(info),
        other => Err(unexpected(&other)),
    }
}

unsafe fn get_connection_c<C: Unit>(local: *const C, remote: *mut C, len: *mut Dword) -> Res<()> {
    // SAFETY: the caller's string.
    let local = unsafe { read_req(local, "lpLocalName", BAD_POINTER) }?;
    require(len, "lpnLength")?;
    let info = get_connection(local)?;
    // SAFETY: len checked; remote holds *len units or is NULL.
    unsafe { write_chars(&info.remote.to_string(), remote, len) }
}

/// `WNetGetConnectionA`: the remote name (`\\server\share`) of device `lpLocalName`, in
/// `lpRemoteName` of `*lpnLength` characters (234 and the size needed if too small). A
/// remembered device that is not connected → 1201; not a redirected device → 2250.
///
/// # Safety
/// `lpLocalName` is NULL (487) or NUL-terminated UTF-8; `lpnLength` NULL (487) or writable;
/// `lpRemoteName` NULL or holds `*lpnLength` chars.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WNetGetConnectionA(
    lp_local_name: *const u8,
    lp_remote_name: *mut u8,
    lpn_length: *mut Dword,
) -> Dword {
    // SAFETY: forwarded contract.
    run0(|| unsafe { get_connection_c(lp_local_name, lp_remote_name, lpn_length) })
}

/// `WNetGetConnectionW`: as [`WNetGetConnectionA`], UTF-16 (sizes in `WCHAR`s).
///
/// # Safety
/// As [`WNetGetConnectionA`] with UTF-16 strings.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WNetGetConnectionW(
    lp_local_name: *const u16,
    lp_remote_name: *mut u16,
    lpn_length: *mut Dword,
) -> Dword {
    // SAFETY: forwarded contract.
    run0(|| unsafe { get_connection_c(lp_local_name, lp_remote_name, lpn_length) })
}

/// Checks a byte buffer and its size for the byte-buffer protocol and returns the size.
///
/// # Safety
/// `size` was checked with [`require`].
pub(crate) unsafe fn buffer_size(buf: *const u8, size: *mut Dword) -> Res<usize> {
    // SAFETY: checked by the caller.
    let have = unsafe { *size } as usize;
    if have > 0 {
        require(buf, "lpBuffer")?;
    }
    Ok(have)
}

/// Answers 234 with the size needed.
///
/// # Safety
/// `size` was checked with [`require`].
pub(crate) unsafe fn too_small(size: *mut Dword, need: usize, have: usize) -> Fail {
    // SAFETY: checked by the caller.
    unsafe { *size = need as u32 };
    Fail::new(
        MORE_DATA,
        format!("the buffer holds {have} bytes; {need} are needed"),
    )
}

unsafe fn get_universal_name<C: Unit>(
    path: *const C,
    level: Dword,
    buf: *mut u8,
    size: *mut Dword,
) -> Res<()> {
    // SAFETY: the caller's string.
    let local_path = unsafe { read_req(path, "lpLocalPath", BAD_POINTER) }?;
    require(size, "lpBufferSize")?;
    if level != UNIVERSAL_NAME_INFO_LEVEL && level != REMOTE_NAME_INFO_LEVEL {
        return Err(Fail::new(BAD_LEVEL, format!("level {level} is not 1 or 2")));
    }
    // Whether the device is connected is answered before the buffer is judged (as Windows:
    // 2250 for an unredirected drive even with a NULL buffer).
    let name = match daemon::call(&Request::GetUniversalName { local_path })? {
        Reply::UniversalName(n) => n,
        other => return Err(unexpected(&other)),
    };
    // SAFETY: size checked.
    let have = unsafe { buffer_size(buf, size) }?;
    let universal = Some(C::encode(&name.universal_name));
    if level == UNIVERSAL_NAME_INFO_LEVEL {
        let need = size_of::<UniversalNameInfoT<C>>() + str_bytes(&universal);
        if have < need {
            // SAFETY: size checked.
            return Err(unsafe { too_small(size, need, have) });
        }
        // SAFETY: buf holds `have >= need` bytes.
        unsafe {
            let mut p = Packer::<C>::new(buf, have);
            let at = p.reserve::<UniversalNameInfoT<C>>();
            let value = UniversalNameInfoT {
                lp_universal_name: p.put_str(&universal),
            };
            p.write_at(at, value);
        }
    } else {
        let connection = Some(C::encode(&name.connection_name));
        let remaining = Some(C::encode(&name.remaining_path));
        let need = size_of::<RemoteNameInfoT<C>>()
            + str_bytes(&universal)
            + str_bytes(&connection)
            + str_bytes(&remaining);
        if have < need {
            // SAFETY: size checked.
            return Err(unsafe { too_small(size, need, have) });
        }
        // SAFETY: buf holds `have >= need` bytes.
        unsafe {
            let mut p = Packer::<C>::new(buf, have);
            let at = p.reserve::<RemoteNameInfoT<C>>();
            let value = RemoteNameInfoT {
                lp_universal_name: p.put_str(&universal),
                lp_connection_name: p.put_str(&connection),
                lp_remaining_path: p.put_str(&remaining),
            };
            p.write_at(at, value);
        }
    }
    Ok(())
}

/// `WNetGetUniversalNameA`: the UNC form of `lpLocalPath` (`Z:\dir\file`, which need not
/// exist). Level 1 (`UNIVERSAL_NAME_INFO_LEVEL`) fills a `UNIVERSAL_NAME_INFOA`, level 2
/// (`REMOTE_NAME_INFO_LEVEL`) a `REMOTE_NAME_INFOA`, each followed by its strings in
/// `lpBuffer` of `*lpBufferSize` bytes (234 and the size needed if too small). Other levels →
/// 124; a remembered-but-unconnected device → 1201; not redirected → 2250.
///
/// # Safety
/// `lpLocalPath` is NULL (487) or NUL-terminated UTF-8; `lpBufferSize` NULL (487) or
/// writable; `lpBuffer` holds `*lpBufferSize` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WNetGetUniversalNameA(
    lp_local_path: *const u8,
    dw_info_level: Dword,
    lp_buffer: *mut u8,
    lp_buffer_size: *mut Dword,
) -> Dword {
    // SAFETY: forwarded contract.
    run0(|| unsafe { get_universal_name(lp_local_path, dw_info_level, lp_buffer, lp_buffer_size) })
}

/// `WNetGetUniversalNameW`: as [`WNetGetUniversalNameA`], UTF-16 strings (sizes in bytes).
///
/// # Safety
/// As [`WNetGetUniversalNameA`] with a UTF-16 path.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WNetGetUniversalNameW(
    lp_local_path: *const u16,
    dw_info_level: Dword,
    lp_buffer: *mut u8,
    lp_buffer_size: *mut Dword,
) -> Dword {
    // SAFETY: forwarded contract.
    run0(|| unsafe { get_universal_name(lp_local_path, dw_info_level, lp_buffer, lp_buffer_size) })
}

unsafe fn get_user<C: Unit>(name: *const C, user: *mut C, len: *mut Dword) -> Res<()> {
    // SAFETY: the caller's string.
    let name = non_empty(unsafe { read_opt(name, "lpName") }?);
    require(len, "lpnLength")?;
    let user_name = match daemon::call(&Request::GetUser { name })? {
        Reply::User { user } => user,
        other => return Err(unexpected(&other)),
    };
    // SAFETY: len checked; user holds *len units or is NULL.
    unsafe { write_chars(&user_name, user, len) }
}

/// `WNetGetUserA`: the user name a connection (device or remote name `lpName`) runs as, or
/// the calling user's name when `lpName` is NULL or empty, in `lpUserName` of `*lpnLength`
/// characters (234 and the size needed if too small). Not a connection → 2250.
///
/// # Safety
/// `lpName` is NULL or NUL-terminated UTF-8; `lpnLength` NULL (487) or writable;
/// `lpUserName` NULL or holds `*lpnLength` chars.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WNetGetUserA(
    lp_name: *const u8,
    lp_user_name: *mut u8,
    lpn_length: *mut Dword,
) -> Dword {
    // SAFETY: forwarded contract.
    run0(|| unsafe { get_user(lp_name, lp_user_name, lpn_length) })
}

/// `WNetGetUserW`: as [`WNetGetUserA`], UTF-16 (sizes in `WCHAR`s).
///
/// # Safety
/// As [`WNetGetUserA`] with UTF-16 strings.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WNetGetUserW(
    lp_name: *const u16,
    lp_user_name: *mut u16,
    lpn_length: *mut Dword,
) -> Dword {
    // SAFETY: forwarded contract.
    run0(|| unsafe { get_user(lp_name, lp_user_name, lpn_length) })
}

unsafe fn get_provider_name<C: Unit>(net_type: Dword, buf: *mut C, len: *mut Dword) -> Res<()> {
    require(len, "lpBufferSize")?;
    let name = match daemon::call(&Request::GetProviderName { net_type })? {
        Reply::ProviderName { name } => name,
        other => return Err(unexpected(&other)),
    };
    // SAFETY: len checked; buf holds *len units or is NULL.
    unsafe { write_chars(&name, buf, len) }
}

/// `WNetGetProviderNameA`: the name of the provider of network type `dwNetType` (`WNNC_NET_*`,
/// high word compared), in `lpProviderName` of `*lpBufferSize` characters (234 and the size
/// needed if too small). No provider of that type → 1204; no provider at all → 1222.
///
/// # Safety
/// `lpBufferSize` is NULL (487) or writable; `lpProviderName` NULL or holds `*lpBufferSize`
/// chars.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WNetGetProviderNameA(
    dw_net_type: Dword,
    lp_provider_name: *mut u8,
    lp_buffer_size: *mut Dword,
) -> Dword {
    // SAFETY: forwarded contract.
    run0(|| unsafe { get_provider_name(dw_net_type, lp_provider_name, lp_buffer_size) })
}

/// `WNetGetProviderNameW`: as [`WNetGetProviderNameA`], UTF-16 (sizes in `WCHAR`s).
///
/// # Safety
/// As [`WNetGetProviderNameA`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WNetGetProviderNameW(
    dw_net_type: Dword,
    lp_provider_name: *mut u16,
    lp_buffer_size: *mut Dword,
) -> Dword {
    // SAFETY: forwarded contract.
    run0(|| unsafe { get_provider_name(dw_net_type, lp_provider_name, lp_buffer_size) })
}

unsafe fn get_network_information<C: Unit>(
    provider: *const C,
    info: *mut NetInfoStruct,
) -> Res<()> {
    // SAFETY: the caller's string.
    let provider = unsafe { read_req(provider, "lpProvider", BAD_POINTER) }?;
    require(info, "lpNetInfoStruct")?;
    // SAFETY: checked.
    let cb = unsafe { (*info).cb_structure } as usize;
    if cb < size_of::<NetInfoStruct>() {
        return Err(Fail::new(
            BAD_VALUE,
            format!("cbStructure {cb} is smaller than sizeof(NETINFOSTRUCT)"),
        ));
    }
    let n = match daemon::call(&Request::GetNetworkInformation { provider })? {
        Reply::NetworkInformation(n) => n,
        other => return Err(unexpected(&other)),
    };
    // SAFETY: checked above.
    unsafe {
        *info = NetInfoStruct {
            cb_structure: size_of::<NetInfoStruct>() as u32,
            dw_provider_version: n.provider_version,
            dw_status: n.status,
            dw_characteristics: n.characteristics,
            dw_handle: n.handle as usize,
            w_net_type: n.net_type,
            dw_printers: n.printers,
            dw_drives: n.drives,
        };
    }
    Ok(())
}

/// `WNetGetNetworkInformationA`: version, status, type and redirected devices of provider
/// `lpProvider` into `*lpNetInfoStruct` (whose `cbStructure` must be at least its size: else
/// 87). Unknown provider → 1204.
///
/// # Safety
/// `lpProvider` is NULL (487) or NUL-terminated UTF-8; `lpNetInfoStruct` NULL (487) or a
/// writable `NETINFOSTRUCT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WNetGetNetworkInformationA(
    lp_provider: *const u8,
    lp_net_info_struct: *mut NetInfoStruct,
) -> Dword {
    // SAFETY: forwarded contract.
    run0(|| unsafe { get_network_information(lp_provider, lp_net_info_struct) })
}

/// `WNetGetNetworkInformationW`: as [`WNetGetNetworkInformationA`], UTF-16.
///
/// # Safety
/// As [`WNetGetNetworkInformationA`] with a UTF-16 provider name.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WNetGetNetworkInformationW(
    lp_provider: *const u16,
    lp_net_info_struct: *mut NetInfoStruct,
) -> Dword {
    // SAFETY: forwarded contract.
    run0(|| unsafe { get_network_information(lp_provider, lp_net_info_struct) })
}

/// What `MultinetGetConnectionPerformance` reports for a live connection. The daemon measures
/// no link speed yet, so these are fixed: 1 Gbit/s, delay unknown (0), and 1 MiB, the largest
/// read or write the SMB provider sends in one request.
const PERFORMANCE_SPEED: u32 = 10_000_000;
const PERFORMANCE_OPT_DATA: u32 = 1024 * 1024;

unsafe fn connection_performance<C: Unit>(
    nr: *const NetResourceT<C>,
    out: *mut NetConnectInfoStruct,
) -> Res<()> {
    require(nr, "lpNetResource")?;
    require(out, "lpNetConnectInfoStruct")?;
    // SAFETY: checked.
    let cb = unsafe { (*out).cb_structure } as usize;
    if cb != size_of::<NetConnectInfoStruct>() {
        return Err(Fail::new(
            BAD_VALUE,
            format!("cbStructure {cb} is not sizeof(NETCONNECTINFOSTRUCT)"),
        ));
    }
    // SAFETY: checked; the caller's strings.
    let r = unsafe { std::ptr::read_unaligned(nr) };
    let (local, remote) = unsafe {
        (
            non_empty(read_opt(r.lp_local_name, "lpLocalName")?),
            non_empty(read_opt(r.lp_remote_name, "lpRemoteName")?),
        )
    };
    match (local, remote) {
        (Some(local), _) => {
            get_connection(local)?;
        }
        (None, Some(remote)) => {
            let wanted = RemoteName::parse(&remote).map_err(|e| Fail::from_error(&e))?;
            let rows = match daemon::call(&Request::List)? {
                Reply::Listing { connections, .. } => connections,
                other => return Err(unexpected(&other)),
            };
            if !rows.iter().any(|c| {
                c.status != ConnectionStatus::Unavailable && c.remote.same_connection(&wanted)
            }) {
                return Err(Fail::new(
                    NOT_CONNECTED,
                    format!("{remote} is not connected"),
                ));
            }
        }
        (None, None) => {
            return Err(Fail::new(
                BAD_VALUE,
                "lpNetResource names neither a device nor a remote resource",
            ));
        }
    }
    // SAFETY: checked above.
    unsafe {
        *out = NetConnectInfoStruct {
            cb_structure: size_of::<NetConnectInfoStruct>() as u32,
            dw_flags: 0,
            dw_speed: PERFORMANCE_SPEED,
            dw_delay: 0,
            dw_opt_data_size: PERFORMANCE_OPT_DATA,
        };
    }
    Ok(())
}

/// `MultinetGetConnectionPerformanceA`: performance of the connection named by
/// `lpNetResource` (`lpLocalName`, or `lpRemoteName` of a live connection). The figures are
/// fixed estimates (1 Gbit/s, delay 0 = unknown, 1 MiB per request): the daemon does not
/// measure links. `cbStructure` must be `sizeof(NETCONNECTINFOSTRUCT)` (else 87); not
/// connected → 2250.
///
/// # Safety
/// `lpNetResource` is NULL (487) or a valid `NETRESOURCEA`; `lpNetConnectInfoStruct` NULL
/// (487) or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MultinetGetConnectionPerformanceA(
    lp_net_resource: *const NetResourceT<u8>,
    lp_net_connect_info_struct: *mut NetConnectInfoStruct,
) -> Dword {
    // SAFETY: forwarded contract.
    run0(|| unsafe { connection_performance(lp_net_resource, lp_net_connect_info_struct) })
}

/// `MultinetGetConnectionPerformanceW`: as [`MultinetGetConnectionPerformanceA`], UTF-16.
///
/// # Safety
/// As [`MultinetGetConnectionPerformanceA`] with `NETRESOURCEW`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MultinetGetConnectionPerformanceW(
    lp_net_resource: *const NetResourceT<u16>,
    lp_net_connect_info_struct: *mut NetConnectInfoStruct,
) -> Dword {
    // SAFETY: forwarded contract.
    run0(|| unsafe { connection_performance(lp_net_resource, lp_net_connect_info_struct) })
}
