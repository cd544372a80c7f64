//! The little DER that SPNEGO needs: TLV reading and writing.
//!
//! Reading is strict about bounds (a length may never run past its
//! enclosing buffer, indefinite lengths and multi-byte tags are refused) and
//! lenient about minimality (a long-form length that would fit the short form
//! is accepted, as Windows and Samba tokens have been seen either way).

use super::AuthError;

/// Universal SEQUENCE (constructed).
pub(crate) const SEQUENCE: u8 = 0x30;
/// Universal OBJECT IDENTIFIER.
pub(crate) const OID: u8 = 0x06;
/// Universal OCTET STRING.
pub(crate) const OCTET_STRING: u8 = 0x04;
/// Universal ENUMERATED.
pub(crate) const ENUMERATED: u8 = 0x0A;

/// Context-specific constructed tag `[n]`.
pub(crate) const fn context(n: u8) -> u8 {
    0xA0 | n
}

/// Application constructed tag `[APPLICATION n]`.
pub(crate) const fn application(n: u8) -> u8 {
    0x60 | n
}

/// Largest length accepted: tokens ride in one SMB2 message.
const MAX_LEN: usize = 1 << 24;

/// A cursor over DER bytes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Reader { buf }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The tag of the next element, if any.
    pub(crate) fn peek_tag(&self) -> Option<u8> {
        self.buf.first().copied()
    }

    /// Reads one element: its tag and content.
    pub(crate) fn read_any(&mut self) -> Result<(u8, &'a [u8]), AuthError> {
        let (&tag, rest) = self
            .buf
            .split_first()
            .ok_or(AuthError::Malformed("DER: missing tag"))?;
        if tag & 0x1F == 0x1F {
            return Err(AuthError::Malformed("DER: multi-byte tag"));
        }
        let (len, rest) = read_len(rest)?;
        if len > rest.len() {
            return Err(AuthError::Malformed("DER: length runs past the end"));
        }
        let (content, rest) = rest.split_at(len);
        self.buf = rest;
        Ok((tag, content))
    }

    /// Reads one element that must have tag `tag`; returns its content.
    pub(crate) fn read(&mut self, tag: u8, what: &'static str) -> Result<&'a [u8], AuthError> {
        let (got, content) = self.read_any()?;
        if got != tag {
            return Err(AuthError::Malformed(what));
        }
        Ok(content)
    }
}

/// Decodes a definite length; returns it and the bytes after it.
pub(crate) fn read_len(buf: &[u8]) -> Result<(usize, &[u8]), AuthError> {
    let (&first, rest) = buf
        .split_first()
        .ok_or(AuthError::Malformed("DER: missing length"))?;
    if first < 0x80 {
        return Ok((usize::from(first), rest));
    }
    let n = usize::from(first & 0x7F);
    if n == 0 {
        return Err(AuthError::Malformed("DER: indefinite length"));
    }
    if n > 4 {
        return Err(AuthError::Malformed("DER: length of more than 4 bytes"));
    }
    if rest.len() < n {
        return Err(AuthError::Malformed("DER: truncated length"));
    }
    let len = rest[..n]
        .iter()
        .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
    if len > MAX_LEN {
        return Err(AuthError::Malformed("DER: length too large"));
    }
    Ok((len, &rest[n..]))
}

/// Appends the DER encoding of `len` to `out`.
pub(crate) fn write_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8); // < 0x80: fits
        return;
    }
    let bytes = len.to_be_bytes();
    let skip = bytes.iter().take_while(|&&b| b == 0).count();
    let significant = &bytes[skip..];
    out.push(0x80 | significant.len() as u8); // at most 8
    out.extend_from_slice(significant);
}

/// One TLV element.
pub(crate) fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + 6);
    out.push(tag);
    write_len(&mut out, content.len());
    out.extend_from_slice(content);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_form_lengths_round_trip() {
        for len in [
            0usize, 1, 0x7F, 0x80, 0xFF, 0x100, 0x1234, 0x10000, 0xABCDEF,
        ] {
            let mut enc = Vec::new();
            write_len(&mut enc, len);
            let (got, rest) = read_len(&enc).unwrap();
            assert_eq!(got, len);
            assert!(rest.is_empty());
        }
        let mut enc = Vec::new();
        write_len(&mut enc, 0x80);
        assert_eq!(enc, [0x81, 0x80]);
        enc.clear();
        write_len(&mut enc, 0x1AA);
        assert_eq!(enc, [0x82, 0x01, 0xAA]);
    }

    #[test]
    fn non_minimal_long_form_is_accepted() {
        assert_eq!(read_len(&[0x81, 0x05]).unwrap().0, 5);
        assert_eq!(read_len(&[0x82, 0x00, 0x05]).unwrap().0, 5);
    }

    #[test]
    fn bad_lengths_are_errors() {
        assert!(read_len(&[]).is_err());
        assert!(read_len(&[0x80]).is_err(), "indefinite");
        assert!(read_len(&[0x85, 1, 2, 3, 4, 5]).is_err(), "5 length bytes");
        assert!(read_len(&[0x82, 0x01]).is_err(), "truncated length");
        assert!(
            read_len(&[0x84, 0xFF, 0xFF, 0xFF, 0xFF]).is_err(),
            "too large"
        );
    }

    #[test]
    fn truncated_elements_are_errors() {
        let good = tlv(OCTET_STRING, &[1, 2, 3, 4]);
        for cut in 0..good.len() {
            assert!(
                Reader::new(&good[..cut]).read_any().is_err(),
                "cut at {cut}"
            );
        }
        let (tag, content) = Reader::new(&good).read_any().unwrap();
        assert_eq!((tag, content), (OCTET_STRING, &[1u8, 2, 3, 4][..]));
        assert!(
            Reader::new(&[0x1F, 0x01, 0x00]).read_any().is_err(),
            "multi-byte tag"
        );
    }

    #[test]
    fn read_checks_the_tag() {
        let good = tlv(SEQUENCE, &[]);
        assert!(Reader::new(&good).read(OID, "want OID").is_err());
        assert!(Reader::new(&good).read(SEQUENCE, "want SEQUENCE").is_ok());
        let mut r = Reader::new(&good);
        assert_eq!(r.peek_tag(), Some(SEQUENCE));
        assert_eq!(r.read_any().unwrap(), (SEQUENCE, &[][..]));
        assert!(r.is_empty());
    }
}
