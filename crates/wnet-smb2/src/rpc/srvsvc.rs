//! `srvsvc` NetrShareEnum (MS-SRVS §3.1.4.8), level 1: the shares of a server.

use super::ndr::{NdrReader, NdrWriter};
use crate::msg::DecodeError;

/// The srvsvc interface 4b324fc8-1670-01d3-1278-5a47bf6ee188 in wire order.
pub const INTERFACE: [u8; 16] = [
    0xc8, 0x4f, 0x32, 0x4b, 0x70, 0x16, 0xd3, 0x01, 0x12, 0x78, 0x5a, 0x47, 0xbf, 0x6e, 0xe1, 0x88,
];
/// Interface version 3.0.
pub const VERSION: u32 = 3;
/// NetrShareEnum.
pub const OPNUM_SHARE_ENUM: u16 = 15;

/// Share types (MS-SRVS §2.2.2.4), low bits.
pub mod share_type {
    /// A disk share.
    pub const DISK: u32 = 0;
    /// A print queue.
    pub const PRINT: u32 = 1;
    /// A device.
    pub const DEVICE: u32 = 2;
    /// IPC.
    pub const IPC: u32 = 3;
    /// Special (administrative, `$`) bit.
    pub const SPECIAL: u32 = 0x8000_0000;
}

/// One share (SHARE_INFO_1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareInfo {
    /// The share name.
    pub name: String,
    /// `share_type` bits.
    pub share_type: u32,
    /// The comment.
    pub remark: String,
}

impl ShareInfo {
    /// A plain disk share (not IPC$, not a printer, not administrative).
    pub fn is_disk(&self) -> bool {
        self.share_type & 0x0FFF_FFFF == share_type::DISK
            && self.share_type & share_type::SPECIAL == 0
    }
}

/// The stub of NetrShareEnum(ServerName, level 1, max length, resume 0).
pub fn share_enum_request(server: &str) -> Vec<u8> {
    let mut w = NdrWriter::new();
    w.pointer();
    w.string(&format!("\\\\{server}"));
    w.u32(1); // Level
    w.u32(1); // union discriminant
    w.pointer(); // SHARE_INFO_1_CONTAINER*
    w.u32(0); // EntriesRead
    w.u32(0); // Buffer = NULL
    w.u32(0xFFFF_FFFF); // PreferedMaximumLength
    w.pointer(); // ResumeHandle*
    w.u32(0);
    w.buf
}

/// Parses the response stub; a non-zero WERROR is returned as the error value.
pub fn share_enum_response(stub: &[u8]) -> Result<Result<Vec<ShareInfo>, u32>, DecodeError> {
    let mut r = NdrReader::new(stub);
    let level = r.u32()?;
    let _disc = r.u32()?;
    if level != 1 {
        return Err(DecodeError("srvsvc: unexpected level"));
    }
    let container = r.u32()?;
    let mut shares = Vec::new();
    if container != 0 {
        let count = r.u32()? as usize;
        let array = r.u32()?;
        if array != 0 {
            let max = r.u32()? as usize;
            if max < count || count > 65536 {
                return Err(DecodeError("srvsvc: bad array size"));
            }
            let mut fixed = Vec::with_capacity(count);
            for _ in 0..count {
                let name_ptr = r.u32()?;
                let t = r.u32()?;
                let remark_ptr = r.u32()?;
                fixed.push((name_ptr, t, remark_ptr));
            }
            for (name_ptr, share_type, remark_ptr) in fixed {
                let name = if name_ptr != 0 {
                    r.string()?
                } else {
                    String::new()
                };
                let remark = if remark_ptr != 0 {
                    r.string()?
                } else {
                    String::new()
                };
                shares.push(ShareInfo {
                    name,
                    share_type,
                    remark,
                });
            }
        }
    }
    let _total = r.u32()?;
    if r.u32()? != 0 {
        let _resume = r.u32()?;
    }
    let werror = r.u32()?;
    Ok(if werror == 0 { Ok(shares) } else { Err(werror) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(entries: &[(&str, u32, &str)]) -> Vec<u8> {
        let mut w = NdrWriter::new();
        w.u32(1);
        w.u32(1);
        w.pointer();
        w.u32(entries.len() as u32);
        w.pointer();
        w.u32(entries.len() as u32);
        for (_, t, _) in entries {
            w.pointer();
            w.u32(*t);
            w.pointer();
        }
        for (n, _, c) in entries {
            w.string(n);
            w.string(c);
        }
        w.u32(entries.len() as u32);
        w.pointer();
        w.u32(0);
        w.u32(0);
        w.buf
    }

    #[test]
    fn parses_level1() {
        let stub = response(&[
            ("rw", 0, "Read write"),
            ("IPC$", 0x8000_0003, "IPC Service"),
        ]);
        let l = share_enum_response(&stub).unwrap().unwrap();
        assert_eq!(l.len(), 2);
        assert_eq!(l[0].name, "rw");
        assert!(l[0].is_disk());
        assert!(!l[1].is_disk());
        assert_eq!(l[1].remark, "IPC Service");
        for n in 0..stub.len() {
            let _ = share_enum_response(&stub[..n]);
        }
    }

    #[test]
    fn request_stub_shape() {
        let s = share_enum_request("h");
        // refid, max, offset, actual, "\\h\0" (8 bytes) = 24, then level at 24.
        assert_eq!(s[24..28], [1, 0, 0, 0]);
        assert_eq!(s.len(), 24 + 4 * 8);
    }
}
