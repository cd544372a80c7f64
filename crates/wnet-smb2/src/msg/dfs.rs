//! DFS referrals (\[MS-DFSC\] §2.2.2, §2.2.5): the input and output of
//! `FSCTL_DFS_GET_REFERRALS`, sent as an IOCTL on `IPC$` (\[MS-SMB2\] §3.2.4.20.3).
//!
//! The server is not trusted (ADR 0007): every offset is checked against its entry's bytes,
//! entries are walked by their own `Size` within the buffer, their count and every name are
//! bounded, and a reply that does not add up is a [`DecodeError`].

use super::DecodeError;
use super::wire::{Put, slice_at, u16_at, u32_at, utf16};

/// FSCTL_DFS_GET_REFERRALS.
pub const FSCTL_DFS_GET_REFERRALS: u32 = 0x0006_0194;
/// The highest referral version we ask for (v3 and v4 share their layout).
pub const MAX_REFERRAL_LEVEL: u16 = 4;
/// Largest referral reply accepted (`MaxOutputResponse`): far above real namespaces.
pub const MAX_REFERRAL_OUTPUT: u32 = 64 * 1024;
/// Most entries one reply may hold (targets of one link, or names of a domain).
pub const MAX_REFERRAL_ENTRIES: usize = 256;
/// Longest name in a referral, in UTF-16 units (far above MAX_PATH).
const MAX_NAME_UNITS: usize = 2048;

/// `ReferralHeaderFlags`: the targets are DFS root targets (ReferralServers).
pub const REFERRAL_SERVERS: u32 = 0x1;
/// `ReferralHeaderFlags`: the targets hold storage (StorageServers).
pub const STORAGE_SERVERS: u32 = 0x2;
/// `ReferralEntryFlags`: a name-list (domain or DC) referral.
pub const NAME_LIST_REFERRAL: u16 = 0x2;
/// `ServerType`: the target is a DFS root (its paths need referrals of their own).
pub const SERVER_TYPE_ROOT: u16 = 0x1;

/// REQ_GET_DFS_REFERRAL: the input of the FSCTL for `path` (`\server\share[\rest]`, one
/// leading backslash, as \[MS-DFSC\] §3.1.4.1 writes it), NUL-terminated UTF-16.
pub fn referral_request(path: &str) -> Vec<u8> {
    let mut b = Vec::with_capacity(4 + 2 * path.len());
    b.put_u16(MAX_REFERRAL_LEVEL);
    b.extend_from_slice(&utf16(path));
    b.put_u16(0);
    b
}

/// One target of a referral.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReferralEntry {
    /// A root or link target (\[MS-DFSC\] §2.2.5.3.1 and the v2/v1 forms).
    Target {
        /// The entry's version (1–4).
        version: u16,
        /// `ServerType` ([`SERVER_TYPE_ROOT`] or 0 for a link target).
        server_type: u16,
        /// Seconds the entry may be cached (0 for v1, which has none).
        ttl: u32,
        /// `DFSPath`: the prefix the referral is for (`\ns\dfs\team`).
        dfs_path: String,
        /// `NetworkAddress`: where it lives (`\127.0.0.3\team`).
        network_address: String,
    },
    /// A domain or DC referral (\[MS-DFSC\] §2.2.5.3.2): a name and what it expands to.
    NameList {
        /// Seconds the entry may be cached.
        ttl: u32,
        /// `SpecialName`: the domain (`\corp.test`).
        special_name: String,
        /// The expanded names: the domain's DCs (or nothing for a domain referral).
        expanded_names: Vec<String>,
    },
}

/// RESP_GET_DFS_REFERRAL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferralResponse {
    /// How many UTF-16 units of the requested path the referral covers.
    pub path_consumed_units: usize,
    /// `ReferralHeaderFlags`.
    pub header_flags: u32,
    /// The targets, in the server's order of preference.
    pub entries: Vec<ReferralEntry>,
}

impl ReferralResponse {
    /// Decodes the FSCTL's output.
    pub fn decode(b: &[u8]) -> Result<Self, DecodeError> {
        const W: &str = "dfs referral: header";
        let path_consumed = u16_at(b, 0, W)?;
        let count = usize::from(u16_at(b, 2, W)?);
        let header_flags = u32_at(b, 4, W)?;
        if count > MAX_REFERRAL_ENTRIES {
            return Err(DecodeError("dfs referral: too many entries"));
        }
        // PathConsumed counts bytes of UTF-16 (\[MS-DFSC\] §2.2.4).
        let path_consumed_units = usize::from(path_consumed / 2);
        let mut entries = Vec::with_capacity(count);
        let mut off = 8usize;
        for _ in 0..count {
            let version = u16_at(b, off, "dfs referral: entry")?;
            let size = usize::from(u16_at(b, off + 2, "dfs referral: entry")?);
            if size < 8 {
                return Err(DecodeError("dfs referral: entry size"));
            }
            // The entry's fixed part; its strings may lie anywhere after it in the buffer
            // (Samba puts them after the last entry), so offsets index from the entry's start
            // to the buffer's end.
            slice_at(b, off, size, "dfs referral: entry size")?;
            let entry = &b[off..];
            entries.push(decode_entry(version, size, entry)?);
            off += size;
        }
        Ok(ReferralResponse {
            path_consumed_units,
            header_flags,
            entries,
        })
    }
}

fn decode_entry(version: u16, size: usize, e: &[u8]) -> Result<ReferralEntry, DecodeError> {
    const W: &str = "dfs referral: entry fields";
    let server_type = u16_at(e, 4, W)?;
    let flags = u16_at(e, 6, W)?;
    match version {
        1 => Ok(ReferralEntry::Target {
            version,
            server_type,
            ttl: 0,
            dfs_path: String::new(),
            network_address: name_in(e, 8, size, "dfs referral: v1 share name")?,
        }),
        2 => Ok(ReferralEntry::Target {
            version,
            server_type,
            ttl: u32_at(e, 12, W)?,
            dfs_path: name_at(e, u16_at(e, 16, W)?, "dfs referral: v2 path")?,
            network_address: name_at(e, u16_at(e, 20, W)?, "dfs referral: v2 address")?,
        }),
        3 | 4 if flags & NAME_LIST_REFERRAL != 0 => {
            let count = usize::from(u16_at(e, 14, W)?);
            if count > MAX_REFERRAL_ENTRIES {
                return Err(DecodeError("dfs referral: too many expanded names"));
            }
            let special_name = name_at(e, u16_at(e, 12, W)?, "dfs referral: special name")?;
            let mut expanded_names = Vec::with_capacity(count);
            let mut at = usize::from(u16_at(e, 16, W)?);
            for _ in 0..count {
                let (name, next) = name_with_end(e, at, "dfs referral: expanded name")?;
                expanded_names.push(name);
                at = next;
            }
            Ok(ReferralEntry::NameList {
                ttl: u32_at(e, 8, W)?,
                special_name,
                expanded_names,
            })
        }
        3 | 4 => Ok(ReferralEntry::Target {
            version,
            server_type,
            ttl: u32_at(e, 8, W)?,
            dfs_path: name_at(e, u16_at(e, 12, W)?, "dfs referral: path")?,
            network_address: name_at(e, u16_at(e, 16, W)?, "dfs referral: address")?,
        }),
        _ => Err(DecodeError("dfs referral: unknown version")),
    }
}

/// The NUL-terminated UTF-16 name at `off` from the entry's start.
fn name_at(e: &[u8], off: u16, what: &'static str) -> Result<String, DecodeError> {
    name_with_end(e, usize::from(off), what).map(|(name, _)| name)
}

/// A v1 name: inline after the fixed part, within the entry.
fn name_in(e: &[u8], off: usize, size: usize, what: &'static str) -> Result<String, DecodeError> {
    let inside = slice_at(e, 0, size, what)?;
    name_with_end(inside, off, what).map(|(name, _)| name)
}

/// The NUL-terminated UTF-16 name at `off` and the offset just past its NUL.
fn name_with_end(e: &[u8], off: usize, what: &'static str) -> Result<(String, usize), DecodeError> {
    let rest = e.get(off..).ok_or(DecodeError(what))?;
    let units: Vec<u16> = rest
        .chunks_exact(2)
        .take(MAX_NAME_UNITS + 1)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .take_while(|&u| u != 0)
        .collect();
    // No NUL within the bound (or the buffer) is malformed.
    let end = off + 2 * units.len() + 2;
    if units.len() > MAX_NAME_UNITS || end > e.len() {
        return Err(DecodeError(what));
    }
    let name = String::from_utf16(&units).map_err(|_| DecodeError(what))?;
    Ok((name, end))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A v3 reply as Samba lays it out: fixed parts first, then the strings.
    pub(crate) fn v3_reply(consumed: &str, targets: &[(&str, &str)], ttl: u32) -> Vec<u8> {
        const FIXED: usize = 34;
        let mut b = Vec::new();
        b.put_u16((2 * consumed.encode_utf16().count()) as u16);
        b.put_u16(targets.len() as u16);
        b.put_u32(STORAGE_SERVERS);
        let strings_start = 8 + FIXED * targets.len();
        let mut strings = Vec::new();
        for (i, (path, address)) in targets.iter().enumerate() {
            let entry_start = 8 + FIXED * i;
            let path_off = strings_start + strings.len() - entry_start;
            strings.extend_from_slice(&utf16(path));
            strings.put_u16(0);
            let addr_off = strings_start + strings.len() - entry_start;
            strings.extend_from_slice(&utf16(address));
            strings.put_u16(0);
            b.put_u16(3);
            b.put_u16(FIXED as u16);
            b.put_u16(0);
            b.put_u16(0);
            b.put_u32(ttl);
            b.put_u16(path_off as u16);
            b.put_u16(path_off as u16); // alternate path: the same
            b.put_u16(addr_off as u16);
            b.extend_from_slice(&[0; 16]);
        }
        b.extend_from_slice(&strings);
        b
    }

    #[test]
    fn request_is_level_then_nul_terminated_path() {
        let r = referral_request(r"\h\s");
        assert_eq!(r[..2], [4, 0]);
        assert_eq!(&r[2..], [b'\\', 0, b'h', 0, b'\\', 0, b's', 0, 0, 0]);
    }

    #[test]
    fn v3_targets_in_order() {
        let b = v3_reply(
            r"\ns\dfs\team",
            &[
                (r"\ns\dfs\team", r"\127.0.0.3\team"),
                (r"\ns\dfs\team", r"\127.0.0.4\team"),
            ],
            300,
        );
        let r = ReferralResponse::decode(&b).unwrap();
        assert_eq!(r.path_consumed_units, 12);
        assert_eq!(r.entries.len(), 2);
        let ReferralEntry::Target {
            ttl,
            network_address,
            dfs_path,
            ..
        } = &r.entries[1]
        else {
            panic!("{r:?}")
        };
        assert_eq!((*ttl, dfs_path.as_str()), (300, r"\ns\dfs\team"));
        assert_eq!(network_address, r"\127.0.0.4\team");
    }

    #[test]
    fn hostile_replies_are_errors_not_panics() {
        let good = v3_reply(r"\a\b", &[(r"\a\b", r"\c\d")], 1);
        // Every truncation and every single-byte corruption decodes or fails cleanly.
        for cut in 0..good.len() {
            let _ = ReferralResponse::decode(&good[..cut]);
        }
        for i in 0..good.len() {
            for v in [0u8, 1, 0x7f, 0xff] {
                let mut b = good.clone();
                b[i] = v;
                let _ = ReferralResponse::decode(&b);
            }
        }
        // A count far above the bound.
        let mut b = good.clone();
        b[2..4].copy_from_slice(&u16::MAX.to_le_bytes());
        assert!(ReferralResponse::decode(&b).is_err());
        // A name without its NUL.
        let mut b = good.clone();
        let n = b.len();
        b[n - 2..].copy_from_slice(&[b'x', 0]);
        assert!(ReferralResponse::decode(&b).is_err());
    }

    #[test]
    fn name_list_referral() {
        let mut b = Vec::new();
        b.put_u16(0);
        b.put_u16(1);
        b.put_u32(0);
        // v3 name list: version, size, type, flags, ttl, special off, count, expanded off
        b.put_u16(3);
        b.put_u16(18);
        b.put_u16(0);
        b.put_u16(NAME_LIST_REFERRAL);
        b.put_u32(600);
        b.put_u16(18);
        b.put_u16(1);
        let special = utf16(r"\corp");
        b.put_u16((18 + special.len() + 2) as u16);
        b.extend_from_slice(&special);
        b.put_u16(0);
        b.extend_from_slice(&utf16(r"\dc1"));
        b.put_u16(0);
        let r = ReferralResponse::decode(&b).unwrap();
        assert_eq!(
            r.entries,
            vec![ReferralEntry::NameList {
                ttl: 600,
                special_name: r"\corp".into(),
                expanded_names: vec![r"\dc1".into()],
            }]
        );
    }
}
