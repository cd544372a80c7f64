//! Connection-oriented DCE/RPC PDUs (C706 §12.6): bind, bind_ack, request, response, fault.

use crate::msg::DecodeError;
use crate::msg::wire::{u8_at, u16_at, u32_at};

/// PDU type: request.
pub const REQUEST: u8 = 0;
/// PDU type: response.
pub const RESPONSE: u8 = 2;
/// PDU type: fault.
pub const FAULT: u8 = 3;
/// PDU type: bind.
pub const BIND: u8 = 11;
/// PDU type: bind_ack.
pub const BIND_ACK: u8 = 12;
/// PDU type: bind_nak.
pub const BIND_NAK: u8 = 13;

const FIRST_FRAG: u8 = 0x01;
const LAST_FRAG: u8 = 0x02;

/// Largest fragment we send or accept.
pub const MAX_FRAG: u16 = 4280;

/// The NDR transfer syntax 8a885d04-1ceb-11c9-9fe8-08002b104860, version 2.
const NDR_SYNTAX: ([u8; 16], u32) = (
    [
        0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11, 0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48,
        0x60,
    ],
    2,
);

fn header(ptype: u8, call_id: u32, body_len: usize) -> Vec<u8> {
    let mut h = vec![5, 0, ptype, FIRST_FRAG | LAST_FRAG, 0x10, 0, 0, 0];
    h.extend_from_slice(&((16 + body_len) as u16).to_le_bytes());
    h.extend_from_slice(&0u16.to_le_bytes());
    h.extend_from_slice(&call_id.to_le_bytes());
    h
}

/// A bind for one interface (uuid in wire order, version major.minor packed as u32).
pub fn bind(call_id: u32, interface: [u8; 16], version: u32) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&MAX_FRAG.to_le_bytes());
    b.extend_from_slice(&MAX_FRAG.to_le_bytes());
    b.extend_from_slice(&0u32.to_le_bytes()); // assoc group
    b.extend_from_slice(&[1, 0, 0, 0]); // one context
    b.extend_from_slice(&0u16.to_le_bytes()); // context id
    b.extend_from_slice(&[1, 0]); // one transfer syntax
    b.extend_from_slice(&interface);
    b.extend_from_slice(&version.to_le_bytes());
    b.extend_from_slice(&NDR_SYNTAX.0);
    b.extend_from_slice(&NDR_SYNTAX.1.to_le_bytes());
    let mut p = header(BIND, call_id, b.len());
    p.extend_from_slice(&b);
    p
}

/// A request carrying `stub` for operation `opnum` (one fragment); a stub that does not fit
/// in one fragment is refused, never truncated.
pub fn request(call_id: u32, opnum: u16, stub: &[u8]) -> crate::error::Result<Vec<u8>> {
    if 24 + stub.len() > MAX_FRAG as usize {
        return Err(crate::error::Error::InvalidInput(
            "rpc: request does not fit one fragment",
        ));
    }
    let mut p = header(REQUEST, call_id, 8 + stub.len());
    p.extend_from_slice(&(stub.len() as u32).to_le_bytes()); // alloc hint
    p.extend_from_slice(&0u16.to_le_bytes()); // context id
    p.extend_from_slice(&opnum.to_le_bytes());
    p.extend_from_slice(stub);
    Ok(p)
}

/// One received PDU fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fragment {
    /// PDU type.
    pub ptype: u8,
    /// Last fragment of the call.
    pub last: bool,
    /// Call id.
    pub call_id: u32,
    /// Stub data (response) or body (others).
    pub body: Vec<u8>,
    /// The fault status (fault PDUs).
    pub status: u32,
}

/// Splits the first fragment off `buf`: `Ok(None)` if `buf` does not hold a whole one yet.
pub fn parse(buf: &[u8]) -> Result<Option<(Fragment, usize)>, DecodeError> {
    if buf.len() < 16 {
        return Ok(None);
    }
    if u8_at(buf, 0, "rpc")? != 5 || u8_at(buf, 4, "rpc")? & 0xF0 != 0x10 {
        return Err(DecodeError("rpc: not a little-endian v5 PDU"));
    }
    let ptype = u8_at(buf, 2, "rpc")?;
    let flags = u8_at(buf, 3, "rpc")?;
    let frag_len = u16_at(buf, 8, "rpc")? as usize;
    let auth_len = u16_at(buf, 10, "rpc")? as usize;
    if frag_len < 16 {
        return Err(DecodeError("rpc: fragment length"));
    }
    if buf.len() < frag_len {
        return Ok(None);
    }
    let call_id = u32_at(buf, 12, "rpc")?;
    let end = frag_len
        .checked_sub(if auth_len > 0 { auth_len + 8 } else { 0 })
        .ok_or(DecodeError("rpc: auth"))?;
    let (body, status) = match ptype {
        RESPONSE => (
            buf.get(24..end)
                .ok_or(DecodeError("rpc: response"))?
                .to_vec(),
            0,
        ),
        FAULT => (Vec::new(), u32_at(buf, 24, "rpc: fault")?),
        _ => (
            buf.get(16..end).ok_or(DecodeError("rpc: body"))?.to_vec(),
            0,
        ),
    };
    Ok(Some((
        Fragment {
            ptype,
            last: flags & LAST_FRAG != 0,
            call_id,
            body,
            status,
        },
        frag_len,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bind_layout() {
        let b = bind(1, [7; 16], 3);
        assert_eq!(b.len(), 72);
        assert_eq!(b[..4], [5, 0, BIND, 3]);
        assert_eq!(u16::from_le_bytes([b[8], b[9]]), 72);
        assert_eq!(b[28..30], [0, 0]);
        assert_eq!(b[32..48], [7; 16]);
    }

    #[test]
    fn request_and_parse() {
        let r = request(2, 15, &[1, 2, 3, 4]).unwrap();
        assert!(request(2, 15, &[0; 5000]).is_err());
        let (f, n) = parse(&r).unwrap().unwrap();
        assert_eq!(n, r.len());
        assert_eq!(f.ptype, REQUEST);
        assert!(f.last);
        assert_eq!(f.call_id, 2);
        assert!(parse(&r[..10]).unwrap().is_none());
        assert!(parse(&r[..20]).unwrap().is_none());
        let mut bad = r.clone();
        bad[0] = 4;
        assert!(parse(&bad).is_err());
        let mut short = r.clone();
        short[8] = 3;
        short[9] = 0;
        assert!(parse(&short).is_err());
    }
}
