//! NDR (C706 §14) for the few types srvsvc needs: aligned integers, unique pointers and
//! conformant varying UTF-16 strings.

use crate::msg::DecodeError;

/// Appends NDR data with its alignment rules.
#[derive(Debug, Default)]
pub struct NdrWriter {
    /// The encoded bytes.
    pub buf: Vec<u8>,
    next_ref: u32,
}

impl NdrWriter {
    /// An empty writer.
    pub fn new() -> Self {
        NdrWriter {
            buf: Vec::new(),
            next_ref: 0x0002_0000,
        }
    }

    fn align(&mut self, n: usize) {
        while self.buf.len() % n != 0 {
            self.buf.push(0);
        }
    }

    /// A 4-byte-aligned `u32`.
    pub fn u32(&mut self, v: u32) {
        self.align(4);
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    /// A non-null unique pointer's referent id.
    pub fn pointer(&mut self) {
        let r = self.next_ref;
        self.next_ref += 4;
        self.u32(r);
    }

    /// A conformant varying string with its terminating NUL.
    pub fn string(&mut self, s: &str) {
        let units: Vec<u16> = s.encode_utf16().chain(std::iter::once(0)).collect();
        self.u32(units.len() as u32);
        self.u32(0);
        self.u32(units.len() as u32);
        for u in units {
            self.buf.extend_from_slice(&u.to_le_bytes());
        }
    }
}

/// Reads NDR data with its alignment rules; every read is bounds-checked.
#[derive(Debug)]
pub struct NdrReader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> NdrReader<'a> {
    /// A reader over `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        NdrReader { buf, pos: 0 }
    }

    fn align(&mut self, n: usize) {
        self.pos = self.pos.div_ceil(n) * n;
    }

    /// A 4-byte-aligned `u32`.
    pub fn u32(&mut self) -> Result<u32, DecodeError> {
        self.align(4);
        let v = crate::msg::wire::u32_at(self.buf, self.pos, "ndr: u32")?;
        self.pos += 4;
        Ok(v)
    }

    /// A conformant varying UTF-16 string (the NUL dropped).
    pub fn string(&mut self) -> Result<String, DecodeError> {
        let _max = self.u32()?;
        let _offset = self.u32()?;
        let actual = self.u32()? as usize;
        let bytes = actual
            .checked_mul(2)
            .ok_or(DecodeError("ndr: string length"))?;
        let s = crate::msg::wire::slice_at(self.buf, self.pos, bytes, "ndr: string")?;
        self.pos += bytes;
        let units: Vec<u16> = s
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .take_while(|u| *u != 0)
            .collect();
        String::from_utf16(&units).map_err(|_| DecodeError("ndr: string not UTF-16"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_roundtrip_and_alignment() {
        let mut w = NdrWriter::new();
        w.string("ab");
        assert_eq!(w.buf.len(), 12 + 6);
        w.u32(7);
        assert_eq!(w.buf.len(), 20 + 4, "u32 after a string is 4-aligned");
        let mut r = NdrReader::new(&w.buf);
        assert_eq!(r.string().unwrap(), "ab");
        assert_eq!(r.u32().unwrap(), 7);
        assert!(r.u32().is_err());
        let mut bad = NdrReader::new(&[0xFF; 12]);
        assert!(bad.string().is_err());
    }
}
