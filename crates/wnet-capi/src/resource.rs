//! Resource queries: `WNetGetResourceInformation`, `WNetGetResourceParent`.

use std::mem::size_of;

use wnet_core::NetResource;
use wnet_proto::{Reply, Request};

use crate::connect::unexpected;
use crate::daemon;
use crate::ffi::{Dword, NetResourceT};
use crate::guard::{Res, run0};
use crate::query::{buffer_size, too_small};
use crate::strings::{OutResource, Packer, Unit, plausible, read_resource, require, str_bytes};

/// Places `resource` (and `system`, if any) in the caller's buffer; returns the address of the
/// placed `system` string (NULL when there is none).
///
/// # Safety
/// `size` was checked with [`require`]; `buf` holds `*size` bytes.
unsafe fn place<C: Unit>(
    resource: &NetResource,
    system: Option<&str>,
    buf: *mut u8,
    size: *mut Dword,
) -> Res<*mut C> {
    // SAFETY: size checked by the caller.
    let have = unsafe { buffer_size(buf, size) }?;
    let out = OutResource::<C>::new(resource);
    let system = system.filter(|s| !s.is_empty()).map(C::encode);
    let strings = out.string_bytes() + str_bytes(&system);
    let need = size_of::<NetResourceT<C>>() + strings;
    if have < need {
        // SAFETY: size checked.
        return Err(unsafe { too_small(size, need, have) });
    }
    // SAFETY: buf holds `have >= need` bytes.
    unsafe {
        let mut p = Packer::<C>::new(buf, have);
        let system = p.put_str(&system);
        out.place(&mut p);
        Ok(system)
    }
}

unsafe fn resource_information<C: Unit>(
    nr: *const NetResourceT<C>,
    buf: *mut u8,
    size: *mut Dword,
    system: *mut *mut C,
) -> Res<()> {
    require(nr, "lpNetResource")?;
    require(size, "lpcbBuffer")?;
    // SAFETY: checked; the caller's strings.
    let (resource, _) = unsafe { read_resource(nr) }?;
    let (owner, rest) = match daemon::call(&Request::GetResourceInformation { resource })? {
        Reply::ResourceInformation { resource, system } => (resource, system),
        other => return Err(unexpected(&other)),
    };
    // SAFETY: forwarded contract.
    let placed = unsafe { place::<C>(&owner, Some(&rest), buf, size) }?;
    if plausible(system) {
        // SAFETY: checked.
        unsafe { *system = placed };
    }
    Ok(())
}

/// `WNetGetResourceInformationA`: the owning provider and the `\\server\share` resource of
/// `lpNetResource->lpRemoteName` (a path that need not exist) as a `NETRESOURCEA` at the start
/// of `lpBuffer` (`*lpcbBuffer` bytes, 234 and the size needed if too small); `*lplpSystem`
/// (if given) points inside the buffer at the rest of the path (`\dir\file`), or is NULL.
///
/// # Safety
/// `lpNetResource` NULL (487) or a valid `NETRESOURCEA`; `lpcbBuffer` NULL (487) or
/// writable; `lpBuffer` holds `*lpcbBuffer` bytes; `lplpSystem` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WNetGetResourceInformationA(
    lp_net_resource: *const NetResourceT<u8>,
    lp_buffer: *mut u8,
    lpcb_buffer: *mut Dword,
    lplp_system: *mut *mut u8,
) -> Dword {
    // SAFETY: forwarded contract.
    run0(|| unsafe { resource_information(lp_net_resource, lp_buffer, lpcb_buffer, lplp_system) })
}

/// `WNetGetResourceInformationW`: as [`WNetGetResourceInformationA`], UTF-16.
///
/// # Safety
/// As [`WNetGetResourceInformationA`] with `NETRESOURCEW`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WNetGetResourceInformationW(
    lp_net_resource: *const NetResourceT<u16>,
    lp_buffer: *mut u8,
    lpcb_buffer: *mut Dword,
    lplp_system: *mut *mut u16,
) -> Dword {
    // SAFETY: forwarded contract.
    run0(|| unsafe { resource_information(lp_net_resource, lp_buffer, lpcb_buffer, lplp_system) })
}

unsafe fn resource_parent<C: Unit>(
    nr: *const NetResourceT<C>,
    buf: *mut u8,
    size: *mut Dword,
) -> Res<()> {
    require(nr, "lpNetResource")?;
    require(size, "lpcbBuffer")?;
    // SAFETY: checked; the caller's strings.
    let (resource, _) = unsafe { read_resource(nr) }?;
    let parent = match daemon::call(&Request::GetResourceParent {
        resource: resource.clone(),
    })? {
        Reply::ResourceParent { resource: parent } => parent,
        other => return Err(unexpected(&other)),
    };
    // No parent: a NETRESOURCE with a NULL lpRemoteName, from the same provider.
    let parent = parent.unwrap_or(NetResource {
        remote_name: None,
        local_name: None,
        comment: None,
        ..resource
    });
    // SAFETY: forwarded contract.
    unsafe { place::<C>(&parent, None, buf, size) }.map(|_| ())
}

/// `WNetGetResourceParentA`: the syntactic parent of `lpNetResource` (`lpRemoteName`,
/// `lpProvider` required (else 1204), `dwType`) as a `NETRESOURCEA` in `lpBuffer`
/// (`*lpcbBuffer` bytes, 234 and the size needed if too small). No parent (a NULL
/// `lpRemoteName`) → a resource whose `lpRemoteName` is NULL.
///
/// # Safety
/// `lpNetResource` NULL (487) or a valid `NETRESOURCEA`; `lpcbBuffer` NULL (487) or
/// writable; `lpBuffer` holds `*lpcbBuffer` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WNetGetResourceParentA(
    lp_net_resource: *const NetResourceT<u8>,
    lp_buffer: *mut u8,
    lpcb_buffer: *mut Dword,
) -> Dword {
    // SAFETY: forwarded contract.
    run0(|| unsafe { resource_parent(lp_net_resource, lp_buffer, lpcb_buffer) })
}

/// `WNetGetResourceParentW`: as [`WNetGetResourceParentA`], UTF-16.
///
/// # Safety
/// As [`WNetGetResourceParentA`] with `NETRESOURCEW`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WNetGetResourceParentW(
    lp_net_resource: *const NetResourceT<u16>,
    lp_buffer: *mut u8,
    lpcb_buffer: *mut Dword,
) -> Dword {
    // SAFETY: forwarded contract.
    run0(|| unsafe { resource_parent(lp_net_resource, lp_buffer, lpcb_buffer) })
}
