//! Framing: a 4-byte big-endian length, then that many bytes of JSON.
//!
//! A frame longer than [`MAX_FRAME`] or one that does not decode is a protocol error: the
//! receiver drops that connection (the daemon keeps serving everyone else).

use std::io::{self, Read, Write};

use serde::Serialize;
use serde::de::DeserializeOwned;

/// The largest frame either side accepts (1 MiB): far above any real message, small enough that
/// a bad peer cannot make the daemon allocate much.
pub const MAX_FRAME: u32 = 1 << 20;

/// Why a frame could not be read.
#[derive(Debug)]
pub enum FrameError {
    /// The peer closed the connection cleanly before a frame started.
    Closed,
    /// The length prefix exceeds [`MAX_FRAME`].
    TooLarge(u32),
    /// The payload is not the expected message.
    Malformed(serde_json::Error),
    /// Reading or writing failed.
    Io(io::Error),
}

impl std::fmt::Display for FrameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FrameError::Closed => f.write_str("the peer closed the connection"),
            FrameError::TooLarge(n) => {
                write!(f, "frame of {n} bytes exceeds the limit of {MAX_FRAME}")
            }
            FrameError::Malformed(e) => write!(f, "malformed message: {e}"),
            FrameError::Io(e) => write!(f, "i/o error: {e}"),
        }
    }
}

impl std::error::Error for FrameError {}

impl From<io::Error> for FrameError {
    fn from(e: io::Error) -> Self {
        FrameError::Io(e)
    }
}

/// Counts the bytes written to it.
struct Counter(usize);

impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The bytes of one frame carrying `msg`: the length prefix and the JSON.
///
/// The frame is built in one allocation of its exact size (the JSON is measured first), so a
/// request carrying a password leaves no copy behind in a freed, outgrown buffer: the caller
/// that sent it [`wipe`](wnet_core::secret::wipe)s the one buffer ([`write_frame`] does).
pub fn encode<T: Serialize>(msg: &T) -> Vec<u8> {
    // Our message types serialise infallibly (no maps with non-string keys).
    let mut counter = Counter(0);
    let _ = serde_json::to_writer(&mut counter, msg);
    let mut frame = Vec::with_capacity(4 + counter.0);
    frame.extend_from_slice(&(counter.0 as u32).to_be_bytes());
    let _ = serde_json::to_writer(&mut frame, msg);
    debug_assert_eq!(frame.capacity(), 4 + counter.0);
    frame
}

/// Checks a length prefix against [`MAX_FRAME`].
pub fn check_len(prefix: [u8; 4]) -> Result<usize, FrameError> {
    let n = u32::from_be_bytes(prefix);
    if n > MAX_FRAME {
        return Err(FrameError::TooLarge(n));
    }
    Ok(n as usize)
}

/// Decodes a frame's payload.
pub fn decode<T: DeserializeOwned>(payload: &[u8]) -> Result<T, FrameError> {
    serde_json::from_slice(payload).map_err(FrameError::Malformed)
}

/// Writes one frame (one `write_all`, so a frame is never interleaved with another), then
/// zeroes the buffer it was built in (it may hold a password).
pub fn write_frame<T: Serialize>(w: &mut impl Write, msg: &T) -> Result<(), FrameError> {
    let mut frame = encode(msg);
    let written = w.write_all(&frame).and_then(|()| w.flush());
    wnet_core::secret::wipe(&mut frame);
    written?;
    Ok(())
}

/// Reads one frame (blocking).
pub fn read_frame<T: DeserializeOwned>(r: &mut impl Read) -> Result<T, FrameError> {
    let mut prefix = [0u8; 4];
    match r.read_exact(&mut prefix) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Err(FrameError::Closed),
        Err(e) => return Err(FrameError::Io(e)),
    }
    let len = check_len(prefix)?;
    let mut payload = vec![0u8; len];
    r.read_exact(&mut payload)?;
    let msg = decode(&payload);
    // The payload may hold a password (an AddConnection): gone once decoded.
    wnet_core::secret::wipe(&mut payload);
    msg
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Request;

    #[test]
    fn round_trip() {
        let mut buf = Vec::new();
        write_frame(&mut buf, &Request::Ping).unwrap();
        assert_eq!(&buf[..4], &(buf.len() as u32 - 4).to_be_bytes());
        let back: Request = read_frame(&mut buf.as_slice()).unwrap();
        assert!(matches!(back, Request::Ping));
    }

    #[test]
    fn a_frame_is_built_in_one_buffer_of_its_exact_size() {
        let r = Request::AddConnection(crate::AddConnectionArgs {
            resource_type: 1,
            local: Some("Z:".into()),
            remote: r"\\s\x".into(),
            provider: None,
            user: Some("u".into()),
            password: Some(wnet_core::Secret::new("hunter2".repeat(100))),
            flags: 0,
            save_credentials: false,
            ccache: None,
        });
        let frame = encode(&r);
        assert_eq!(frame.capacity(), frame.len());
        assert_eq!(&frame[4..], serde_json::to_vec(&r).unwrap());
    }

    #[test]
    fn oversized_malformed_and_closed() {
        let big = (MAX_FRAME + 1).to_be_bytes();
        assert!(matches!(
            read_frame::<Request>(&mut big.as_slice()),
            Err(FrameError::TooLarge(_))
        ));
        let mut bad = 5u32.to_be_bytes().to_vec();
        bad.extend_from_slice(b"{nope");
        assert!(matches!(
            read_frame::<Request>(&mut bad.as_slice()),
            Err(FrameError::Malformed(_))
        ));
        assert!(matches!(
            read_frame::<Request>(&mut [].as_slice()),
            Err(FrameError::Closed)
        ));
        let truncated = [0u8, 0, 0, 9, b'{'];
        assert!(matches!(
            read_frame::<Request>(&mut truncated.as_slice()),
            Err(FrameError::Io(_))
        ));
    }
}
