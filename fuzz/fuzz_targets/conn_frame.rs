//! One frame from the server into the connection's dispatch (`State::on_frame`): header
//! checks, compound chains, credits, signatures, break notifications.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    wnet_smb2::conn::fuzz_on_frame(data);
});
