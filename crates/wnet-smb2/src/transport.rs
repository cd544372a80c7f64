//! Direct TCP transport (MS-SMB2 §2.1): a 4-byte frame header (zero byte + 24-bit big-endian
//! length) before every message. `TCP_NODELAY` is always on and a message goes out in one
//! vectored write (frame header + message), so that small requests never wait on Nagle.

use std::io::IoSlice;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

/// Largest frame accepted or sent: the 24-bit length field's limit.
pub const MAX_FRAME: usize = 0x00FF_FFFF;

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
            inner: BufReader::with_capacity(256 * 1024, r),
        },
        FrameWriter { inner: w },
    ))
}

/// The receiving half: whole frames.
#[derive(Debug)]
pub struct FrameReader {
    inner: BufReader<OwnedReadHalf>,
}

impl FrameReader {
    /// Reads one frame (without its 4-byte header).
    pub async fn recv(&mut self) -> std::io::Result<Vec<u8>> {
        let mut hdr = [0u8; 4];
        self.inner.read_exact(&mut hdr).await?;
        if hdr[0] != 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "bad direct-TCP frame header",
            ));
        }
        let len = u32::from_be_bytes(hdr) as usize;
        // Filled by the kernel directly: no zeroing pass over (up to 16 MiB of) buffer.
        let mut buf = Vec::with_capacity(len);
        while buf.len() < len {
            let want = (len - buf.len()) as u64;
            if (&mut self.inner).take(want).read_buf(&mut buf).await? == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
        }
        Ok(buf)
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
