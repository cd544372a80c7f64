//! An encrypted frame: the transform header, then decryption with every cipher.
#![no_main]
use wnet_smb2::crypto::encryption::{CipherId, TransformHeader, decrypt};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = TransformHeader::parse(data);
    for id in 1..=4u16 {
        if let Some(c) = CipherId::from_wire(id) {
            let key = vec![0x42; c.key_len()];
            let _ = decrypt(c, &key, data);
        }
    }
});
