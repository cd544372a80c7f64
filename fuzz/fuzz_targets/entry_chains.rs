//! The three NextEntryOffset chains a server sends: directory listings (both classes),
//! CHANGE_NOTIFY records, CREATE contexts. Quadratic growth trips the memory limit.
#![no_main]
use wnet_smb2::msg::create::CreateContext;
use wnet_smb2::msg::fscc::{DirEntry, FileNotifyInformation, file_class};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = DirEntry::parse_list(data, file_class::ID_BOTH_DIRECTORY);
    let _ = DirEntry::parse_list(data, file_class::DIRECTORY);
    let _ = FileNotifyInformation::parse_list(data);
    let _ = CreateContext::decode_chain(data);
});
