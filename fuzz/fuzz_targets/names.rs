//! `\\server[@port]\share\path` and `Z:` / `LPT1:` names, as every entry point parses them.
#![no_main]
use wnet_core::{LocalName, UncPath};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    if let Ok(u) = UncPath::parse(&s) {
        // What parses must print back to something that parses to the same.
        let again = UncPath::parse(&u.to_string()).expect("a printed UNC path parses");
        assert_eq!(again, u);
    }
    if let Ok(l) = LocalName::parse(&s) {
        assert_eq!(LocalName::parse(&l.to_string()).expect("a printed name parses"), l);
    }
});
