//! `wnet` command lines: arguments split on NUL bytes.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let args: Vec<String> = String::from_utf8_lossy(data)
        .split('\0')
        .map(str::to_owned)
        .collect();
    let _ = wnet_cli::args::parse(&args);
});
