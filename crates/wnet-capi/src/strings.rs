//! A/W strings and the Windows buffer protocols.
//!
//! - [`Unit`]: the character unit of a form: `u8` (A, UTF-8) or `u16` (W, UTF-16). Decoding
//!   is lossless for any well-formed input; malformed input (invalid UTF-8, a lone surrogate)
//!   is replaced with U+FFFD, since no share name can contain it.
//! - [`read_opt`]/[`read_req`]: a caller's `LPCSTR`/`LPCWSTR` (NULL, or a pointer into the
//!   first page or misaligned → 487 `ERROR_INVALID_ADDRESS`).
//! - [`write_chars`]: the character-count protocol (`WNetGetConnection`, `WNetGetUser`, ...).
//! - [`Packer`]: the byte-buffer protocol: structures from the start of the caller's buffer,
//!   their strings from its end, nothing written past `*lpBufferSize`.

use std::marker::PhantomData;
use std::mem::size_of;

use crate::ffi::NetResourceT;
use crate::guard::{Fail, Res};

/// `ERROR_INVALID_ADDRESS`.
pub const BAD_POINTER: u32 = 487;
/// `ERROR_INVALID_PARAMETER`.
pub const BAD_VALUE: u32 = 87;
/// `ERROR_MORE_DATA`.
pub const MORE_DATA: u32 = 234;

/// The longest string read from a caller (in units), so a missing NUL cannot make us walk
/// memory forever: 32 Ki units is the longest path Windows knows.
const MAX_UNITS: usize = 32 * 1024;

/// The character unit of a form.
pub trait Unit: Copy + Default + Eq + Send + 'static {
    /// The form's name, for messages (`A` or `W`).
    const FORM: &'static str;
    /// `s` in this form, without a terminating NUL.
    fn encode(s: &str) -> Vec<Self>;
    /// Units (without the NUL) as a string.
    fn decode(units: &[Self]) -> String;
}

impl Unit for u8 {
    const FORM: &'static str = "A";
    fn encode(s: &str) -> Vec<u8> {
        s.as_bytes().to_vec()
    }
    fn decode(units: &[u8]) -> String {
        String::from_utf8_lossy(units).into_owned()
    }
}

impl Unit for u16 {
    const FORM: &'static str = "W";
    fn encode(s: &str) -> Vec<u16> {
        s.encode_utf16().collect()
    }
    fn decode(units: &[u16]) -> String {
        String::from_utf16_lossy(units)
    }
}

/// `true` when `p` may be dereferenced as a `T`: not NULL, not in the first page (where a small
/// integer passed as a pointer lands), aligned.
pub fn plausible<T>(p: *const T) -> bool {
    let a = p as usize;
    a >= 4096 && a % std::mem::align_of::<T>() == 0
}

/// Checks a pointer argument that must be given: 487 when it is not plausible.
pub fn require<T>(p: *const T, what: &str) -> Res<()> {
    if plausible(p) {
        Ok(())
    } else {
        Err(Fail::new(
            BAD_POINTER,
            format!("{what} is not a valid pointer"),
        ))
    }
}

/// Reads an optional NUL-terminated string: `None` for NULL.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string of `C` units.
pub unsafe fn read_opt<C: Unit>(p: *const C, what: &str) -> Res<Option<String>> {
    if p.is_null() {
        return Ok(None);
    }
    require(p, what)?;
    let mut n = 0;
    // SAFETY: the caller guarantees a NUL within the string; we stop at MAX_UNITS anyway.
    while n < MAX_UNITS && unsafe { *p.add(n) } != C::default() {
        n += 1;
    }
    if n == MAX_UNITS {
        return Err(Fail::new(
            BAD_VALUE,
            format!("{what} is longer than {MAX_UNITS} characters"),
        ));
    }
    // SAFETY: the n units before the NUL are readable.
    Ok(Some(C::decode(unsafe { std::slice::from_raw_parts(p, n) })))
}

/// Reads a string that must be given: `null_code` for NULL.
///
/// # Safety
/// As [`read_opt`].
pub unsafe fn read_req<C: Unit>(p: *const C, what: &str, null_code: u32) -> Res<String> {
    // SAFETY: forwarded.
    match unsafe { read_opt(p, what) }? {
        Some(s) => Ok(s),
        None => Err(Fail::new(null_code, format!("{what} is NULL"))),
    }
}

/// `None` for an absent or empty string.
pub fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.is_empty())
}

/// Writes `s` with the character-count protocol: `*len` is the buffer's size in units; too
/// small (or a NULL buffer with `*len == 0`, a size query) → 234 with the size needed (NUL
/// included) written to `*len`. A NULL buffer with a non-zero size is 487.
///
/// # Safety
/// `len` is valid (checked by the caller with [`require`]); `buf` is NULL or holds `*len` units.
pub unsafe fn write_chars<C: Unit>(s: &str, buf: *mut C, len: *mut u32) -> Res<()> {
    let units = C::encode(s);
    let need = units.len() + 1;
    // SAFETY: len was checked by the caller.
    let have = unsafe { *len } as usize;
    if buf.is_null() && have != 0 {
        return Err(Fail::new(
            BAD_POINTER,
            "the buffer is NULL but its size is not 0",
        ));
    }
    if buf.is_null() || have < need {
        // SAFETY: as above.
        unsafe { *len = need as u32 };
        return Err(Fail::new(
            MORE_DATA,
            format!("the buffer holds {have} characters; {need} are needed"),
        ));
    }
    require(buf, "the buffer")?;
    // SAFETY: buf holds `have >= need` units.
    unsafe {
        std::ptr::copy_nonoverlapping(units.as_ptr(), buf, units.len());
        *buf.add(units.len()) = C::default();
    }
    Ok(())
}

/// Copies `s` into `buf` of `cap` units, truncated, always NUL-terminated when `cap > 0`
/// (`WNetGetLastError`'s protocol).
///
/// # Safety
/// `buf` holds `cap` units (checked plausible by the caller when `cap > 0`).
pub unsafe fn write_truncated<C: Unit>(s: &str, buf: *mut C, cap: u32) {
    if cap == 0 || buf.is_null() {
        return;
    }
    let units = C::encode(s);
    let n = units.len().min(cap as usize - 1);
    // SAFETY: n + 1 <= cap.
    unsafe {
        std::ptr::copy_nonoverlapping(units.as_ptr(), buf, n);
        *buf.add(n) = C::default();
    }
}

/// The bytes a string takes in a buffer, NUL included.
pub fn str_bytes<C: Unit>(s: &Option<Vec<C>>) -> usize {
    s.as_ref().map_or(0, |u| (u.len() + 1) * size_of::<C>())
}

/// Places structures from the start of a caller's byte buffer and their strings from its end.
pub struct Packer<C> {
    base: *mut u8,
    head: usize,
    tail: usize,
    _unit: PhantomData<C>,
}

impl<C: Unit> Packer<C> {
    /// A packer over `cap` bytes at `base`.
    ///
    /// # Safety
    /// `base` is valid for writes of `cap` bytes for the packer's life.
    pub unsafe fn new(base: *mut u8, cap: usize) -> Self {
        Packer {
            base,
            head: 0,
            // Strings stay aligned for C when the buffer's end is.
            tail: cap - cap % size_of::<C>(),
            _unit: PhantomData,
        }
    }

    /// `true` when a structure of `struct_bytes` and strings of `string_bytes` still fit.
    pub fn fits(&self, struct_bytes: usize, string_bytes: usize) -> bool {
        self.head + struct_bytes + string_bytes <= self.tail
    }

    /// Reserves the next structure slot of `T` and returns its offset.
    pub fn reserve<T>(&mut self) -> usize {
        let at = self.head;
        self.head += size_of::<T>();
        at
    }

    /// Writes a structure into a slot from [`Packer::reserve`].
    ///
    /// # Safety
    /// `at` came from `reserve::<T>()` on this packer, after a successful [`Packer::fits`].
    pub unsafe fn write_at<T>(&mut self, at: usize, value: T) {
        // SAFETY: the slot lies inside the buffer; the caller's buffer may be misaligned.
        unsafe { std::ptr::write_unaligned(self.base.add(at).cast::<T>(), value) };
    }

    /// Places a string at the end and returns its address (NULL for `None`).
    ///
    /// # Safety
    /// Called only after a successful [`Packer::fits`] that counted this string.
    pub unsafe fn put_str(&mut self, s: &Option<Vec<C>>) -> *mut C {
        let Some(units) = s else {
            return std::ptr::null_mut();
        };
        let bytes = (units.len() + 1) * size_of::<C>();
        self.tail -= bytes;
        // SAFETY: [tail, tail + bytes) lies inside the buffer and after every structure.
        unsafe {
            let dst = self.base.add(self.tail);
            std::ptr::copy_nonoverlapping(
                units.as_ptr().cast::<u8>(),
                dst,
                units.len() * size_of::<C>(),
            );
            std::ptr::write_bytes(dst.add(units.len() * size_of::<C>()), 0, size_of::<C>());
            dst.cast::<C>()
        }
    }
}

/// A `NETRESOURCE` ready to be placed in a caller's buffer.
pub struct OutResource<C> {
    scope: u32,
    resource_type: u32,
    display_type: u32,
    usage: u32,
    local: Option<Vec<C>>,
    remote: Option<Vec<C>>,
    comment: Option<Vec<C>>,
    provider: Option<Vec<C>>,
}

impl<C: Unit> OutResource<C> {
    /// The C form of a core resource.
    pub fn new(r: &wnet_core::NetResource) -> Self {
        let enc = |s: Option<&str>| s.map(C::encode);
        OutResource {
            scope: r.scope.to_u32(),
            resource_type: r.resource_type.to_u32(),
            display_type: r.display_type.to_u32(),
            usage: r.usage.bits(),
            local: r.local_name.map(|l| C::encode(&l.to_string())),
            remote: enc(r.remote_name.as_deref()),
            comment: enc(r.comment.as_deref()),
            provider: enc(r.provider.as_deref()),
        }
    }

    /// The bytes of its strings.
    pub fn string_bytes(&self) -> usize {
        str_bytes(&self.local)
            + str_bytes(&self.remote)
            + str_bytes(&self.comment)
            + str_bytes(&self.provider)
    }

    /// The bytes it takes with its structure.
    pub fn bytes(&self) -> usize {
        size_of::<NetResourceT<C>>() + self.string_bytes()
    }

    /// Places it (structure in the next slot, strings at the end).
    ///
    /// # Safety
    /// `packer.fits(size_of::<NetResourceT<C>>(), self.string_bytes())` was checked.
    pub unsafe fn place(&self, packer: &mut Packer<C>) {
        let at = packer.reserve::<NetResourceT<C>>();
        // SAFETY: the caller checked the room.
        unsafe {
            let value = NetResourceT {
                dw_scope: self.scope,
                dw_type: self.resource_type,
                dw_display_type: self.display_type,
                dw_usage: self.usage,
                lp_local_name: packer.put_str(&self.local),
                lp_remote_name: packer.put_str(&self.remote),
                lp_comment: packer.put_str(&self.comment),
                lp_provider: packer.put_str(&self.provider),
            };
            packer.write_at(at, value);
        }
    }
}

/// Reads a caller's `NETRESOURCE` into the core type. Only the fields a function uses are
/// validated by it; here `dwScope`/`dwDisplayType`/`dwUsage` values that are not valid are
/// replaced by neutral ones, `dwType` is kept as given in the result's second field.
///
/// # Safety
/// `nr` was checked with [`require`]; its string pointers are NULL or NUL-terminated.
pub unsafe fn read_resource<C: Unit>(
    nr: *const NetResourceT<C>,
) -> Res<(wnet_core::NetResource, u32)> {
    use wnet_core::{DisplayType, NetResource, ResourceType, Scope, Usage};
    // SAFETY: checked by the caller; the caller's struct may be misaligned.
    let r = unsafe { std::ptr::read_unaligned(nr) };
    // SAFETY: the caller's string pointers.
    let (local, remote, comment, provider) = unsafe {
        (
            read_opt(r.lp_local_name, "lpLocalName")?,
            read_opt(r.lp_remote_name, "lpRemoteName")?,
            read_opt(r.lp_comment, "lpComment")?,
            read_opt(r.lp_provider, "lpProvider")?,
        )
    };
    let local_name = match non_empty(local) {
        Some(l) => Some(wnet_core::LocalName::parse(&l).map_err(|e| Fail::from_error(&e))?),
        None => None,
    };
    Ok((
        NetResource {
            scope: Scope::from_u32(r.dw_scope).unwrap_or(Scope::GlobalNet),
            resource_type: ResourceType::from_u32(r.dw_type).unwrap_or(ResourceType::Any),
            display_type: DisplayType::from_u32(r.dw_display_type).unwrap_or(DisplayType::Generic),
            usage: Usage::from_bits(r.dw_usage).unwrap_or(Usage::CONNECTABLE),
            local_name,
            remote_name: non_empty(remote),
            comment,
            provider: non_empty(provider),
        },
        r.dw_type,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_round_trips_any_unicode_name() {
        for s in [r"\\srv\x", "\\\\sérveur\\ドライブ", "\\\\s\\😀 share"] {
            assert_eq!(u16::decode(&u16::encode(s)), s);
            assert_eq!(u8::decode(&u8::encode(s)), s);
        }
    }

    #[test]
    fn write_chars_reports_the_size_with_the_nul() {
        let mut len = 3u32;
        let mut buf = [0u16; 3];
        let e = unsafe { write_chars::<u16>("abc", buf.as_mut_ptr(), &mut len) }.unwrap_err();
        assert_eq!((e.code, len), (234, 4));
        let mut buf = [0xFFFFu16; 4];
        unsafe { write_chars::<u16>("abc", buf.as_mut_ptr(), &mut len) }.unwrap();
        assert_eq!(buf, [97, 98, 99, 0]);
        let mut zero = 0u32;
        let e = unsafe { write_chars::<u8>("abc", std::ptr::null_mut(), &mut zero) }.unwrap_err();
        assert_eq!((e.code, zero), (234, 4));
        let mut five = 5u32;
        let e = unsafe { write_chars::<u8>("abc", std::ptr::null_mut(), &mut five) }.unwrap_err();
        assert_eq!(e.code, 487);
    }

    #[test]
    fn packer_keeps_strings_after_the_structures() {
        let mut buf = vec![0u64; 16];
        let cap = 16 * 8;
        let mut p = unsafe { Packer::<u16>::new(buf.as_mut_ptr().cast(), cap) };
        let r = OutResource::<u16>::new(&wnet_core::NetResource::disk_share(
            wnet_core::Scope::Connected,
            None,
            r"\\s\x",
            "P",
        ));
        assert_eq!(r.bytes(), 48 + 12 + 4);
        assert!(p.fits(48, r.string_bytes()));
        unsafe { r.place(&mut p) };
        assert!(p.fits(48, r.string_bytes()), "64 + 64 = 128");
        unsafe { r.place(&mut p) };
        assert!(!p.fits(48, r.string_bytes()), "a third does not fit");
        let nr = unsafe { std::ptr::read(buf.as_ptr().cast::<NetResourceT<u16>>()) };
        let remote = unsafe { std::slice::from_raw_parts(nr.lp_remote_name, 5) };
        assert_eq!(String::from_utf16(remote).unwrap(), r"\\s\x");
        assert!(nr.lp_local_name.is_null());
        assert!(nr.lp_remote_name as usize >= buf.as_ptr() as usize + 48);
    }
}
