//! Little-endian field access with bounds checks: the only place that indexes server bytes.

use super::DecodeError;

/// Reads a `u8` at `off`, or fails with `what`.
pub fn u8_at(b: &[u8], off: usize, what: &'static str) -> Result<u8, DecodeError> {
    b.get(off).copied().ok_or(DecodeError(what))
}

/// Reads a little-endian `u16` at `off`.
pub fn u16_at(b: &[u8], off: usize, what: &'static str) -> Result<u16, DecodeError> {
    Ok(u16::from_le_bytes(array_at(b, off, what)?))
}

/// Reads a little-endian `u32` at `off`.
pub fn u32_at(b: &[u8], off: usize, what: &'static str) -> Result<u32, DecodeError> {
    Ok(u32::from_le_bytes(array_at(b, off, what)?))
}

/// Reads a little-endian `u64` at `off`.
pub fn u64_at(b: &[u8], off: usize, what: &'static str) -> Result<u64, DecodeError> {
    Ok(u64::from_le_bytes(array_at(b, off, what)?))
}

/// Reads `N` bytes at `off`.
pub fn array_at<const N: usize>(
    b: &[u8],
    off: usize,
    what: &'static str,
) -> Result<[u8; N], DecodeError> {
    let s = slice_at(b, off, N, what)?;
    let mut a = [0u8; N];
    a.copy_from_slice(s);
    Ok(a)
}

/// Borrows `len` bytes at `off`.
pub fn slice_at<'a>(
    b: &'a [u8],
    off: usize,
    len: usize,
    what: &'static str,
) -> Result<&'a [u8], DecodeError> {
    let end = off.checked_add(len).ok_or(DecodeError(what))?;
    b.get(off..end).ok_or(DecodeError(what))
}

/// Decodes UTF-16LE bytes (odd length or bad surrogates are an error).
pub fn utf16_at(
    b: &[u8],
    off: usize,
    len: usize,
    what: &'static str,
) -> Result<String, DecodeError> {
    let s = slice_at(b, off, len, what)?;
    if s.len() % 2 != 0 {
        return Err(DecodeError(what));
    }
    let units: Vec<u16> = s
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    String::from_utf16(&units).map_err(|_| DecodeError(what))
}

/// Most entries one chain ([`walk_chain`]) may hold: far above any real reply (a 64 KiB
/// directory page holds ~600 entries), far below what would hurt.
pub const MAX_CHAIN_ENTRIES: usize = 16 * 1024;

/// Walks a chain of entries that each start with a 4-byte NextEntryOffset (directory listings,
/// FILE_NOTIFY_INFORMATION, create contexts), calling `entry` on each entry's bytes.
///
/// The server is not trusted: each entry sees only its own bytes (`[off, off + next)`, or the
/// rest of the buffer for the last one), so a name cannot reach into a later entry and no byte
/// of `b` is decoded twice — the work and the memory are linear in `b.len()` whatever the
/// offsets say. A nonzero `next` must be a multiple of `align` and leave the buffer; more than
/// [`MAX_CHAIN_ENTRIES`] entries is an error.
pub fn walk_chain<T>(
    b: &[u8],
    align: usize,
    what: &'static str,
    mut entry: impl FnMut(&[u8]) -> Result<T, DecodeError>,
) -> Result<Vec<T>, DecodeError> {
    let mut out = Vec::new();
    let mut off = 0usize;
    loop {
        if out.len() >= MAX_CHAIN_ENTRIES {
            return Err(DecodeError(what));
        }
        let rest = b.get(off..).ok_or(DecodeError(what))?;
        let next = u32_at(rest, 0, what)? as usize;
        if next == 0 {
            out.push(entry(rest)?);
            return Ok(out);
        }
        if next % align != 0 || next > rest.len() {
            return Err(DecodeError(what));
        }
        out.push(entry(&rest[..next])?);
        off += next;
    }
}

/// Fails unless a length the server returned (`got`) is within what the request asked for:
/// a READ's DataLength, a WRITE's Count, an OutputBufferLength.
pub fn within_asked(got: usize, asked: usize, what: &'static str) -> Result<(), DecodeError> {
    if got > asked {
        return Err(DecodeError(what));
    }
    Ok(())
}

/// Encodes `s` as UTF-16LE.
pub fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// Appends zero bytes until `buf.len()` is a multiple of `align`.
pub fn pad_to(buf: &mut Vec<u8>, align: usize) {
    while buf.len() % align != 0 {
        buf.push(0);
    }
}

/// Appending little-endian fields to a buffer.
pub trait Put {
    /// Appends a `u8`.
    fn put_u8(&mut self, v: u8);
    /// Appends a little-endian `u16`.
    fn put_u16(&mut self, v: u16);
    /// Appends a little-endian `u32`.
    fn put_u32(&mut self, v: u32);
    /// Appends a little-endian `u64`.
    fn put_u64(&mut self, v: u64);
    /// Overwrites a little-endian `u16` at `off` (a length or offset known only later).
    fn set_u16(&mut self, off: usize, v: u16);
    /// Overwrites a little-endian `u32` at `off`.
    fn set_u32(&mut self, off: usize, v: u32);
}

impl Put for Vec<u8> {
    fn put_u8(&mut self, v: u8) {
        self.push(v);
    }
    fn put_u16(&mut self, v: u16) {
        self.extend_from_slice(&v.to_le_bytes());
    }
    fn put_u32(&mut self, v: u32) {
        self.extend_from_slice(&v.to_le_bytes());
    }
    fn put_u64(&mut self, v: u64) {
        self.extend_from_slice(&v.to_le_bytes());
    }
    fn set_u16(&mut self, off: usize, v: u16) {
        self[off..off + 2].copy_from_slice(&v.to_le_bytes());
    }
    fn set_u32(&mut self, off: usize, v: u32) {
        self[off..off + 4].copy_from_slice(&v.to_le_bytes());
    }
}

/// Checks the StructureSize field at the start of a response body (offset 64).
pub fn check_structure_size(msg: &[u8], want: u16, what: &'static str) -> Result<(), DecodeError> {
    if u16_at(msg, 64, what)? != want {
        return Err(DecodeError(what));
    }
    Ok(())
}

/// Borrows a buffer described by an (offset from header start, length) pair; an empty buffer
/// may carry any offset.
pub fn buffer<'a>(
    msg: &'a [u8],
    off: usize,
    len: usize,
    what: &'static str,
) -> Result<&'a [u8], DecodeError> {
    if len == 0 {
        return Ok(&[]);
    }
    slice_at(msg, off, len, what)
}
