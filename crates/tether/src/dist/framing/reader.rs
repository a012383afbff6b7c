//! Reading length-prefixed frames.
//!
//! The reader keeps one growable buffer. It reads the 4-byte length, rejects lengths
//! over the limit *before* allocating anything for them, then reads the body; the
//! frame is handed out as a `Bytes` split off the buffer (no copy). The buffer grows in
//! steps as data arrives, so an announced-but-unsent large frame costs no memory
//! beyond what the peer actually sent.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt};

use super::{FrameError, FrameKind, Stats, classify};

/// Reads frames from the read half of a connection.
pub struct FrameReader<R> {
    inner: R,
    buf: BytesMut,
    max: u32,
    stats: Arc<Stats>,
}

impl<R: AsyncRead + Unpin> FrameReader<R> {
    /// A reader with a frame size limit, counting frames into `stats`.
    pub fn new(inner: R, max_frame_len: u32, stats: Arc<Stats>) -> FrameReader<R> {
        FrameReader {
            inner,
            buf: BytesMut::with_capacity(8192),
            max: max_frame_len,
            stats,
        }
    }

    /// The shared counters.
    pub fn stats(&self) -> &Arc<Stats> {
        &self.stats
    }

    async fn fill(&mut self, want: usize) -> Result<(), FrameError> {
        while self.buf.len() < want {
            // Reserve at most 64 KiB beyond what we have: memory follows actual data.
            let need = (want - self.buf.len()).min(64 << 10);
            self.buf.reserve(need);
            let n = self
                .inner
                .read_buf(&mut self.buf)
                .await
                .map_err(FrameError::Io)?;
            if n == 0 {
                return Err(FrameError::Closed);
            }
        }
        Ok(())
    }

    /// The next frame body (empty for a tick), or `Ok(None)` on a clean close between
    /// frames.
    pub async fn next_frame(&mut self) -> Result<Option<Bytes>, FrameError> {
        if self.buf.is_empty() {
            match self.fill(1).await {
                Err(FrameError::Closed) => return Ok(None),
                r => r?,
            }
        }
        self.fill(4).await?;
        let len = u32::from_be_bytes(self.buf[..4].try_into().expect("4 bytes"));
        if len > self.max {
            return Err(FrameError::TooLarge { len, max: self.max });
        }
        self.fill(4 + len as usize).await?;
        self.buf.advance(4);
        let frame = self.buf.split_to(len as usize).freeze();
        self.stats.read.fetch_add(1, Ordering::Relaxed);
        Ok(Some(frame))
    }

    /// The next frame, classified. Ticks are returned too (as [`FrameKind::Tick`]).
    pub async fn next_kind(&mut self) -> Result<Option<FrameKind>, FrameError> {
        match self.next_frame().await? {
            Some(f) => classify(f).map(Some),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn frames_ticks_and_limits() {
        let mut data = vec![0, 0, 0, 0, 0, 0, 0, 3, 112, 131, 106];
        data.extend_from_slice(&[0, 0, 0, 9]); // too large for a limit of 8
        let stats = Arc::new(Stats::default());
        let mut r = FrameReader::new(&data[..], 8, stats.clone());
        assert_eq!(r.next_kind().await.unwrap(), Some(FrameKind::Tick));
        assert_eq!(
            r.next_frame().await.unwrap().unwrap().as_ref(),
            &[112, 131, 106]
        );
        assert!(matches!(
            r.next_frame().await,
            Err(FrameError::TooLarge { len: 9, max: 8 })
        ));
        assert_eq!(stats.read.load(Ordering::Relaxed), 2);

        let mut clean = FrameReader::new(&[0u8, 0, 0, 0][..], 8, Arc::new(Stats::default()));
        assert!(clean.next_frame().await.unwrap().is_some());
        assert!(clean.next_frame().await.unwrap().is_none());
        let mut cut = FrameReader::new(&[0u8, 0, 0, 5, 1][..], 8, Arc::new(Stats::default()));
        assert!(matches!(cut.next_frame().await, Err(FrameError::Closed)));
    }
}
