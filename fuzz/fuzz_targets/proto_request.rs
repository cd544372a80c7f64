//! What a local client sends the daemon: a frame prefix and a JSON `Hello` / `Request`.
#![no_main]
use wnet_proto::frame;
use wnet_proto::message::{Hello, Request};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Some(prefix) = data.get(..4) {
        let _ = frame::check_len(prefix.try_into().unwrap());
    }
    let _ = frame::decode::<Hello>(data);
    let _ = frame::decode::<Request>(data);
    let mut r = data;
    let _ = frame::read_frame::<Request>(&mut r);
});
