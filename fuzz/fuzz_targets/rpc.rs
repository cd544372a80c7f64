//! DCE/RPC PDUs from a named pipe and the srvsvc NetrShareEnum answer (NDR).
#![no_main]
use wnet_smb2::rpc::{pdu, srvsvc};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    let mut stub = Vec::new();
    while let Ok(Some((f, n))) = pdu::parse(rest) {
        stub.extend_from_slice(&f.body);
        rest = &rest[n..];
    }
    let _ = srvsvc::share_enum_response(&stub);
    let _ = srvsvc::share_enum_response(data);
});
