//! The C types of `winnetwk.h`: base types, constants and the `#[repr(C)]` structures, with
//! compile-time checks that their sizes and offsets are those of the header (64-bit Windows).
//!
//! The string structures are generic over the character unit (`u8` for the A forms, `u16` for
//! the W forms): `NetResourceT<u8>` is `NETRESOURCEA`, `NetResourceT<u16>` is `NETRESOURCEW`.

use std::ffi::c_void;
use std::mem::{offset_of, size_of};

/// `DWORD`.
pub type Dword = u32;
/// `BOOL`.
pub type Bool = i32;
/// `HWND`: accepted and ignored (there is no GUI).
pub type Hwnd = *mut c_void;
/// `HANDLE`.
pub type Handle = *mut c_void;

/// `NETRESOURCEA` (`C` = `u8`) / `NETRESOURCEW` (`C` = `u16`).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct NetResourceT<C> {
    /// `dwScope`.
    pub dw_scope: Dword,
    /// `dwType`.
    pub dw_type: Dword,
    /// `dwDisplayType`.
    pub dw_display_type: Dword,
    /// `dwUsage`.
    pub dw_usage: Dword,
    /// `lpLocalName`.
    pub lp_local_name: *mut C,
    /// `lpRemoteName`.
    pub lp_remote_name: *mut C,
    /// `lpComment`.
    pub lp_comment: *mut C,
    /// `lpProvider`.
    pub lp_provider: *mut C,
}

/// `UNIVERSAL_NAME_INFOA/W`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct UniversalNameInfoT<C> {
    /// `lpUniversalName`.
    pub lp_universal_name: *mut C,
}

/// `REMOTE_NAME_INFOA/W`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct RemoteNameInfoT<C> {
    /// `lpUniversalName`.
    pub lp_universal_name: *mut C,
    /// `lpConnectionName`.
    pub lp_connection_name: *mut C,
    /// `lpRemainingPath`.
    pub lp_remaining_path: *mut C,
}

/// `CONNECTDLGSTRUCTA/W`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ConnectDlgStructT<C> {
    /// `cbStructure`.
    pub cb_structure: Dword,
    /// `hwndOwner`.
    pub hwnd_owner: Hwnd,
    /// `lpConnRes`.
    pub lp_conn_res: *mut NetResourceT<C>,
    /// `dwFlags`.
    pub dw_flags: Dword,
    /// `dwDevNum`.
    pub dw_dev_num: Dword,
}

/// `DISCDLGSTRUCTA/W`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct DiscDlgStructT<C> {
    /// `cbStructure`.
    pub cb_structure: Dword,
    /// `hwndOwner`.
    pub hwnd_owner: Hwnd,
    /// `lpLocalName`.
    pub lp_local_name: *mut C,
    /// `lpRemoteName`.
    pub lp_remote_name: *mut C,
    /// `dwFlags`.
    pub dw_flags: Dword,
}

/// `NETINFOSTRUCT`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct NetInfoStruct {
    /// `cbStructure`.
    pub cb_structure: Dword,
    /// `dwProviderVersion`.
    pub dw_provider_version: Dword,
    /// `dwStatus`.
    pub dw_status: Dword,
    /// `dwCharacteristics`.
    pub dw_characteristics: Dword,
    /// `dwHandle` (`ULONG_PTR`).
    pub dw_handle: usize,
    /// `wNetType`.
    pub w_net_type: u16,
    /// `dwPrinters`.
    pub dw_printers: Dword,
    /// `dwDrives`.
    pub dw_drives: Dword,
}

/// `NETCONNECTINFOSTRUCT`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct NetConnectInfoStruct {
    /// `cbStructure`.
    pub cb_structure: Dword,
    /// `dwFlags` (`WNCON_*`).
    pub dw_flags: Dword,
    /// `dwSpeed`, in units of 100 bit/s.
    pub dw_speed: Dword,
    /// `dwDelay`, in milliseconds.
    pub dw_delay: Dword,
    /// `dwOptDataSize`, in bytes.
    pub dw_opt_data_size: Dword,
}

/// `NO_ERROR`.
pub const NO_ERROR: Dword = 0;
/// `RESOURCETYPE_DISK`.
pub const RESOURCETYPE_DISK: Dword = 1;
/// `RESOURCETYPE_PRINT`.
pub const RESOURCETYPE_PRINT: Dword = 2;
/// `RESOURCETYPE_ANY`.
pub const RESOURCETYPE_ANY: Dword = 0;
/// `RESOURCE_CONNECTED`.
pub const RESOURCE_CONNECTED: Dword = 1;
/// `RESOURCE_GLOBALNET`.
pub const RESOURCE_GLOBALNET: Dword = 2;
/// `CONNECT_UPDATE_PROFILE`.
pub const CONNECT_UPDATE_PROFILE: Dword = 0x1;
/// `CONNECT_REDIRECT`.
pub const CONNECT_REDIRECT: Dword = 0x80;
/// `CONNECT_LOCALDRIVE`.
pub const CONNECT_LOCALDRIVE: Dword = 0x100;
/// `UNIVERSAL_NAME_INFO_LEVEL`.
pub const UNIVERSAL_NAME_INFO_LEVEL: Dword = 1;
/// `REMOTE_NAME_INFO_LEVEL`.
pub const REMOTE_NAME_INFO_LEVEL: Dword = 2;
/// `NETPROPERTY_PERSISTENT`.
pub const NETPROPERTY_PERSISTENT: Dword = 1;
/// `CONNDLG_RO_PATH`.
pub const CONNDLG_RO_PATH: Dword = 0x1;
/// `CONNDLG_USE_MRU`.
pub const CONNDLG_USE_MRU: Dword = 0x4;
/// `CONNDLG_PERSIST`.
pub const CONNDLG_PERSIST: Dword = 0x10;
/// `CONNDLG_NOT_PERSIST`.
pub const CONNDLG_NOT_PERSIST: Dword = 0x20;
/// Every `CONNDLG_*` bit.
pub const CONNDLG_ALL: Dword = 0x3F;
/// `DISC_UPDATE_PROFILE`.
pub const DISC_UPDATE_PROFILE: Dword = 0x1;
/// `DISC_NO_FORCE`.
pub const DISC_NO_FORCE: Dword = 0x40;
/// What the dialog functions return when "the user cancelled" (`(DWORD)-1`).
pub const DIALOG_CANCELLED: Dword = 0xFFFF_FFFF;

// The header's layouts (64-bit Windows), checked at compile time. The C tests compile the
// header's own `_Static_assert`s, so both sides agree.
const _: () = {
    assert!(size_of::<NetResourceT<u8>>() == 48);
    assert!(size_of::<NetResourceT<u16>>() == 48);
    assert!(offset_of!(NetResourceT<u8>, dw_usage) == 12);
    assert!(offset_of!(NetResourceT<u8>, lp_local_name) == 16);
    assert!(offset_of!(NetResourceT<u8>, lp_remote_name) == 24);
    assert!(offset_of!(NetResourceT<u8>, lp_comment) == 32);
    assert!(offset_of!(NetResourceT<u8>, lp_provider) == 40);
    assert!(size_of::<UniversalNameInfoT<u8>>() == 8);
    assert!(size_of::<RemoteNameInfoT<u16>>() == 24);
    assert!(offset_of!(RemoteNameInfoT<u8>, lp_remaining_path) == 16);
    assert!(size_of::<ConnectDlgStructT<u8>>() == 32);
    assert!(offset_of!(ConnectDlgStructT<u8>, hwnd_owner) == 8);
    assert!(offset_of!(ConnectDlgStructT<u8>, lp_conn_res) == 16);
    assert!(offset_of!(ConnectDlgStructT<u8>, dw_flags) == 24);
    assert!(offset_of!(ConnectDlgStructT<u8>, dw_dev_num) == 28);
    assert!(size_of::<DiscDlgStructT<u16>>() == 40);
    assert!(offset_of!(DiscDlgStructT<u8>, lp_local_name) == 16);
    assert!(offset_of!(DiscDlgStructT<u8>, lp_remote_name) == 24);
    assert!(offset_of!(DiscDlgStructT<u8>, dw_flags) == 32);
    assert!(size_of::<NetInfoStruct>() == 40);
    assert!(offset_of!(NetInfoStruct, dw_handle) == 16);
    assert!(offset_of!(NetInfoStruct, w_net_type) == 24);
    assert!(offset_of!(NetInfoStruct, dw_printers) == 28);
    assert!(offset_of!(NetInfoStruct, dw_drives) == 32);
    assert!(size_of::<NetConnectInfoStruct>() == 20);
    assert!(offset_of!(NetConnectInfoStruct, dw_opt_data_size) == 16);
};
