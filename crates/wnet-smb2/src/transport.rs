//! Direct TCP transport (MS-SMB2 §2.1): a 4-byte frame header (zero byte + 24-bit big-endian
//! length) before every message. `TCP_NODELAY` is always on and a message goes out in one
//! vectored write (frame header + message), so that small requests never wait on Nagle.

use std::io::IoSlice;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

/// Largest frame accepted or sent: the 24-bit length field's limit.
pub const MAX_FRAME: usize = 0x00FF_FFFF;

/// Bytes the reader asks the kernel for when it needs the next frame header: small responses
/// arrive whole in one read, and at most this much of a large frame is copied twice.
const STAGE: usize = 8 * 1024;

/// Connects with a deadline and returns the two halves.
pub async fn connect(
    host: &str,
    port: u16,
    timeout: Duration,
) -> std::io::Result<(FrameReader, FrameWriter)> {
    let stream = tokio::time::timeout(timeout, TcpStream::connect((host, port)))
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "connect timed out"))??;
    stream.set_nodelay(true)?;
    let (r, w) = stream.into_split();
    Ok((
        FrameReader {
            inner: r,
            stage: Vec::with_capacity(STAGE),
            start: 0,
        },
        FrameWriter { inner: w },
    ))
}

/// What a frame's buffer reserves before its bytes arrive; it then grows with them.
const FIRST_RESERVE: usize = 256 * 1024;

/// The receiving half: whole frames.
///
/// A frame's body is read from the socket straight into its own exactly-sized buffer; only
/// what one small read brought in past the previous frame (`stage`) is copied.
#[derive(Debug)]
pub struct FrameReader {
    inner: OwnedReadHalf,
    /// Bytes received and not yet handed out are `stage[start..]`.
    stage: Vec<u8>,
    start: usize,
}

impl FrameReader {
    /// Reads one frame (without its 4-byte header) into a new buffer.
    pub async fn recv(&mut self) -> std::io::Result<Vec<u8>> {
        self.recv_into(|_| Vec::new()).await
    }

    /// Reads one frame (without its 4-byte header) into the buffer that `buffer(len)` returns
    /// (its contents are discarded; a buffer with room for `len` bytes is not reallocated).
    pub async fn recv_into(
        &mut self,
        buffer: impl FnOnce(usize) -> Vec<u8>,
    ) -> std::io::Result<Vec<u8>> {
        while self.stage.len() - self.start < 4 {
            self.fill_stage().await?;
        }
        let hdr: [u8; 4] = self.stage[self.start..self.start + 4]
            .try_into()
            .expect("four bytes");
        if hdr[0] != 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "bad direct-TCP frame header",
            ));
        }
        self.start += 4;
        let len = u32::from_be_bytes(hdr) as usize;
        let mut buf = buffer(len);
        buf.clear();
        // The length is the server's word: memory is reserved as bytes arrive (at most
        // doubling what came), not all up front — a pooled buffer already has the room.
        buf.reserve_exact(len.min(buf.capacity().max(FIRST_RESERVE)));
        let staged = (self.stage.len() - self.start).min(len);
        buf.extend_from_slice(&self.stage[self.start..self.start + staged]);
        self.start += staged;
        // The rest goes from the kernel into `buf` directly (no zeroing pass either).
        while buf.len() < len {
            if buf.len() == buf.capacity() {
                buf.reserve_exact((len - buf.len()).min(buf.len().max(FIRST_RESERVE)));
            }
            let want = (len - buf.len()).min(buf.capacity() - buf.len()) as u64;
            if (&mut self.inner).take(want).read_buf(&mut buf).await? == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
        }
        Ok(buf)
    }

    /// One read of up to [`STAGE`] bytes after what is already staged.
    async fn fill_stage(&mut self) -> std::io::Result<()> {
        self.stage.drain(..self.start);
        self.start = 0;
        let room = (STAGE - self.stage.len()) as u64;
        if (&mut self.inner)
            .take(room)
            .read_buf(&mut self.stage)
            .await?
            == 0
        {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        Ok(())
    }
}

/// The sending half.
#[derive(Debug)]
pub struct FrameWriter {
    inner: OwnedWriteHalf,
}

impl FrameWriter {
    /// Sends `parts` as one frame: a single vectored write unless the kernel takes less.
    pub async fn send(&mut self, parts: &[&[u8]]) -> std::io::Result<()> {
        let len: usize = parts.iter().map(|p| p.len()).sum();
        if len > MAX_FRAME {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "frame too large",
            ));
        }
        let hdr = (len as u32).to_be_bytes();
        let mut bufs: Vec<&[u8]> = Vec::with_capacity(parts.len() + 1);
        bufs.push(&hdr);
        bufs.extend(parts.iter().copied().filter(|p| !p.is_empty()));
        // Advance through the slices as the kernel accepts bytes.
        let mut idx = 0;
        let mut off = 0;
        while idx < bufs.len() {
            let slices: Vec<IoSlice<'_>> = std::iter::once(IoSlice::new(&bufs[idx][off..]))
                .chain(bufs[idx + 1..].iter().map(|b| IoSlice::new(b)))
                .collect();
            let mut n = self.inner.write_vectored(&slices).await?;
            if n == 0 {
                return Err(std::io::ErrorKind::WriteZero.into());
            }
            while n > 0 && idx < bufs.len() {
                let rest = bufs[idx].len() - off;
                if n >= rest {
                    n -= rest;
                    idx += 1;
                    off = 0;
                } else {
                    off += n;
                    n = 0;
                }
            }
        }
        Ok(())
    }

    /// Shuts the write side down (the server then closes the connection).
    pub async fn shutdown(&mut self) -> std::io::Result<()> {
        self.inner.shutdown().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn frames_roundtrip_over_loopback() {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = l.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            let (mut s, _) = l.accept().await.unwrap();
            let mut got = vec![0u8; 4 + 3 + 200_000];
            s.read_exact(&mut got).await.unwrap();
            s.write_all(&got).await.unwrap();
            got
        });
        let (mut r, mut w) = connect("127.0.0.1", port, Duration::from_secs(2))
            .await
            .unwrap();
        let big = vec![7u8; 200_000];
        w.send(&[b"abc", &big]).await.unwrap();
        let raw = server.await.unwrap();
        assert_eq!(raw[..4], [0, 0x03, 0x0D, 0x43]);
        let f = r.recv().await.unwrap();
        assert_eq!(f.len(), 200_003);
        assert_eq!(&f[..3], b"abc");
    }

    /// Small frames arrive together in one read, a large one straddles the staging reads,
    /// and a reused buffer gets exactly its frame.
    #[tokio::test]
    async fn back_to_back_frames_split_correctly() {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = l.local_addr().unwrap().port();
        let sizes = [1usize, 70, 3 * STAGE + 5, 0, 9, STAGE - 4, 300_000];
        let server = tokio::spawn(async move {
            let (mut s, _) = l.accept().await.unwrap();
            let mut all = Vec::new();
            for (i, n) in sizes.iter().enumerate() {
                all.extend_from_slice(&(*n as u32).to_be_bytes());
                all.extend(std::iter::repeat_n(i as u8, *n));
            }
            s.write_all(&all).await.unwrap();
            s
        });
        let (mut r, _w) = connect("127.0.0.1", port, Duration::from_secs(2))
            .await
            .unwrap();
        let _s = server.await.unwrap();
        let mut spare = vec![0xEE; 400_000];
        for (i, n) in sizes.iter().enumerate() {
            let f = r.recv_into(|_| std::mem::take(&mut spare)).await.unwrap();
            assert_eq!(f.len(), *n, "frame {i}");
            assert!(f.iter().all(|b| *b == i as u8), "frame {i}");
            spare = f;
        }
    }

    #[tokio::test]
    async fn refused_port_fails_fast() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        drop(l);
        let t = std::time::Instant::now();
        assert!(
            connect("127.0.0.1", port, Duration::from_secs(2))
                .await
                .is_err()
        );
        assert!(t.elapsed() < Duration::from_secs(1));
    }
}
