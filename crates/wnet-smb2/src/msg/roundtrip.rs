//! Property tests: where a parser has an encoder, decode(encode(x)) == x.

use super::create::CreateContext;
use super::fscc::{FileBasicInformation, FileNotifyInformation, FileTime};
use super::header::{Header, HeaderFlags};
use super::wire::{Put, utf16};
use super::{Command, DecodeError};
use crate::rpc::ndr::{NdrReader, NdrWriter};
use crate::status::NtStatus;
use proptest::prelude::*;

/// FILE_NOTIFY_INFORMATION records laid out as a server does (4-byte aligned).
fn encode_notify(records: &[(u32, String)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, (action, name)) in records.iter().enumerate() {
        let start = out.len();
        let n = utf16(name);
        out.put_u32(0);
        out.put_u32(*action);
        out.put_u32(n.len() as u32);
        out.extend_from_slice(&n);
        if i + 1 < records.len() {
            while out.len() % 4 != 0 {
                out.push(0);
            }
            let next = (out.len() - start) as u32;
            out.set_u32(start, next);
        }
    }
    out
}

fn name() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 ._\u{e9}\u{4e2d}-]{1,40}"
}

proptest! {
    #[test]
    fn notify_records_roundtrip(records in prop::collection::vec((1u32..6, name()), 1..20)) {
        let parsed = FileNotifyInformation::parse_list(&encode_notify(&records)).unwrap();
        let back: Vec<(u32, String)> = parsed.into_iter().map(|r| (r.action, r.name)).collect();
        prop_assert_eq!(back, records);
    }

    #[test]
    fn create_contexts_roundtrip(
        raws in prop::collection::vec(
            ("[A-Z][a-zA-Z]{3}".prop_filter("not a lease", |n| n != "RqLs"),
             prop::collection::vec(any::<u8>(), 0..64)),
            1..8,
        ),
        lease in prop::option::of((any::<[u8; 16]>(), any::<u32>(), any::<[u8; 16]>(), any::<u16>())),
    ) {
        let mut ctxs: Vec<CreateContext> = raws
            .into_iter()
            .map(|(n, d)| CreateContext::Raw { name: n.into_bytes(), data: d })
            .collect();
        if let Some((key, state, parent_key, epoch)) = lease {
            ctxs.push(CreateContext::LeaseV2 { key, state, parent_key, epoch });
        }
        prop_assert_eq!(CreateContext::decode_chain(&CreateContext::encode_chain(&ctxs)).unwrap(), ctxs);
    }

    #[test]
    fn basic_information_roundtrip(t in any::<[u64; 4]>(), attributes in any::<u32>()) {
        let b = FileBasicInformation {
            creation_time: FileTime(t[0]),
            last_access_time: FileTime(t[1]),
            last_write_time: FileTime(t[2]),
            change_time: FileTime(t[3]),
            attributes,
        };
        prop_assert_eq!(FileBasicInformation::decode(&b.encode()).unwrap(), b);
    }

    #[test]
    fn ndr_strings_roundtrip(strings in prop::collection::vec("[^\u{0}]{0,30}", 1..10)) {
        let mut w = NdrWriter::new();
        for s in &strings {
            w.string(s);
        }
        let mut r = NdrReader::new(&w.buf);
        let back: Result<Vec<String>, DecodeError> = strings.iter().map(|_| r.string()).collect();
        prop_assert_eq!(back.unwrap(), strings);
    }

    #[test]
    fn header_roundtrip(
        mid in any::<u64>(),
        credits in any::<u16>(),
        tree_id in any::<u32>(),
        session_id in any::<u64>(),
        signature in any::<[u8; 16]>(),
    ) {
        let mut h = Header::request(Command::Read);
        h.message_id = mid;
        h.credits = credits;
        h.tree_id = tree_id;
        h.session_id = session_id;
        h.signature = signature;
        h.status = NtStatus::SUCCESS;
        h.flags = HeaderFlags(HeaderFlags::SERVER_TO_REDIR);
        let mut b = Vec::new();
        h.encode(&mut b);
        prop_assert_eq!(Header::decode(&b).unwrap(), h);
    }
}
