//! The writer task: batched frame writes and ticks.
//!
//! ```text
//! loop:
//!   frame queued  → append Len:32 + frame to the batch buffer, then drain whatever
//!                   else is queued (up to max_batch_bytes), one write_all, mark written
//!   tick period   → nothing read for `intensity` periods?  → TickTimeout
//!                   nothing written since the last period? → write 4 zero bytes
//!   all senders dropped → flush and end Ok
//! ```
//!
//! A batch write that does not complete within `net_ticktime` (the peer stopped
//! reading) ends the connection too: a stuck write would otherwise hide the peer's
//! death from the tick logic.
//!
//! **The outgoing atom cache.** The writer owns the connection's outgoing
//! [`AtomCache`] (created on first use, gone with the connection), because it alone
//! sees frames in wire order, and the receiver applies headers in that order. A frame
//! that starts a message with a distribution header (`131, 68` or a first fragment
//! `131, 69`) arrives as an [`OutFrame`] whose atom-cache section is not yet in place:
//! the sending thread encoded the terms with `ATOM_CACHE_REF`s into the message's own
//! list of atoms and appended that list as a section in which every atom is new
//! ([`OutgoingAtomRefs::write_section`]); none of this depends on the cache. While
//! copying the frame into the batch (the copy happens anyway), the writer moves the
//! section to its place and shrinks the atoms the peer already has to one byte
//! ([`AtomCache::write_header`]). This is how erts splits the work
//! (`erts_encode_dist_ext` on the sender, `erts_encode_ext_dist_header_finalize` at
//! output).

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::{BufMut, Bytes, BytesMut};
use tether_term::AtomCache;
#[cfg(doc)]
use tether_term::OutgoingAtomRefs;
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::{FrameError, FramingConfig, Malformed, Stats};

/// One frame body (without its length) for the writer.
///
/// Most frames are written as they are ([`OutFrame::raw`], or `From<Bytes>`). A frame
/// that opens a message with a distribution header carries its atom-cache section at
/// its end, every atom listed as new ([`OutgoingAtomRefs::write_section`]); the writer
/// moves it to its place and shortens it from the connection's cache
/// ([`OutFrame::with_atom_cache`]).
///
/// ```
/// use bytes::Bytes;
/// use tether::dist::framing::OutFrame;
/// // `131, 68`, the terms (`[]`), then the section (here: no references).
/// let f = OutFrame::with_atom_cache(Bytes::from_static(&[131, 68, 106, 0]), 2, 3);
/// assert_eq!(f.bytes().len(), 4);
/// ```
#[derive(Debug, Clone)]
pub struct OutFrame {
    bytes: Bytes,
    /// Where the atom-cache section goes in `bytes`, and where it starts now.
    atom_cache: Option<(usize, usize)>,
}

impl OutFrame {
    /// A frame written as it is.
    pub fn raw(bytes: Bytes) -> OutFrame {
        OutFrame {
            bytes,
            atom_cache: None,
        }
    }

    /// A frame whose atom-cache section, `bytes[section..]`, goes at offset `at` (2
    /// after `131, 68`; 18 in a first fragment, after the sequence and fragment ids).
    ///
    /// # Panics
    ///
    /// Unless `at <= section <= bytes.len()`.
    pub fn with_atom_cache(bytes: Bytes, at: usize, section: usize) -> OutFrame {
        assert!(
            at <= section && section <= bytes.len(),
            "atom-cache section out of the frame"
        );
        OutFrame {
            bytes,
            atom_cache: Some((at, section)),
        }
    }

    /// The frame's bytes, with the atom-cache section, if any, at the end.
    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// Appends the frame body to `out`, finishing its atom-cache section, if any, with
    /// `cache` (and updating the cache).
    pub(crate) fn write_to(
        &self,
        cache: &mut Option<AtomCache>,
        out: &mut BytesMut,
    ) -> Result<(), FrameError> {
        match self.atom_cache {
            None => out.extend_from_slice(&self.bytes),
            Some((at, section)) => {
                out.extend_from_slice(&self.bytes[..at]);
                cache
                    .get_or_insert_with(AtomCache::new)
                    .write_header(&self.bytes[section..], out)
                    .map_err(|e| FrameError::Malformed(Malformed::AtomCache(e)))?;
                out.extend_from_slice(&self.bytes[at..section]);
            }
        }
        Ok(())
    }
}

impl From<Bytes> for OutFrame {
    fn from(bytes: Bytes) -> OutFrame {
        OutFrame::raw(bytes)
    }
}

/// Queues frames for the writer task. Cheap to clone.
#[derive(Clone, Debug)]
pub struct FrameSender(mpsc::UnboundedSender<Out>);

/// What goes to the writer: a frame, or the request to finish.
#[derive(Debug)]
enum Out {
    Frame(OutFrame),
    /// Write everything queued before this, shut the stream down (TLS sends its
    /// close_notify) and end.
    Close,
}

/// The writer task has ended; the frame is handed back.
#[derive(Debug)]
pub struct SendError(pub OutFrame);

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection writer has stopped")
    }
}

impl std::error::Error for SendError {}

impl FrameSender {
    /// Queues one frame body (without its length).
    pub async fn send(&self, frame: impl Into<OutFrame>) -> Result<(), SendError> {
        self.try_send(frame)
    }

    /// Queues one frame body now. The queue is unbounded: sending never blocks the
    /// sender (Tether's contract for `send`; OTP's busy-dist-port back-pressure,
    /// docs/semantics.md §1.1 S9, is not reproduced). It fails only once the writer has stopped.
    pub fn try_send(&self, frame: impl Into<OutFrame>) -> Result<(), SendError> {
        self.0
            .send(Out::Frame(frame.into()))
            .map_err(|e| match e.0 {
                Out::Frame(f) => SendError(f),
                Out::Close => unreachable!("we sent a frame"),
            })
    }

    /// Asks the writer to finish: frames queued before this are written, then the
    /// stream is shut down and the writer ends with `Ok`. For an orderly disconnect,
    /// so that what a node sent before stopping reaches the peer.
    pub fn close(&self) {
        let _ = self.0.send(Out::Close);
    }

    /// Whether the writer task has ended.
    pub fn is_closed(&self) -> bool {
        self.0.is_closed()
    }
}

/// The running writer task. It ends when every [`FrameSender`] is dropped (`Ok`), or
/// with the error that ended the connection. Dropping the handle does not stop it.
#[derive(Debug)]
pub struct WriterHandle(JoinHandle<Result<(), FrameError>>);

impl WriterHandle {
    /// Waits for the writer to end.
    pub async fn join(self) -> Result<(), FrameError> {
        match self.0.await {
            Ok(r) => r,
            Err(e) => Err(FrameError::Io(std::io::Error::other(e.to_string()))),
        }
    }

    /// Stops the writer at once (unsent frames are lost).
    pub fn abort(&self) {
        self.0.abort();
    }

    /// A handle that stops the writer, usable after [`WriterHandle::join`] took the
    /// handle itself.
    pub fn abort_handle(&self) -> tokio::task::AbortHandle {
        self.0.abort_handle()
    }

    /// Whether the writer has ended.
    pub fn is_finished(&self) -> bool {
        self.0.is_finished()
    }
}

/// Starts the writer task on `w`. `stats.read` must be advanced by the connection's
/// reader for liveness detection.
pub fn spawn_writer<W>(
    w: W,
    config: FramingConfig,
    stats: Arc<Stats>,
) -> (FrameSender, WriterHandle)
where
    W: AsyncWrite + Send + Unpin + 'static,
{
    let (tx, rx) = mpsc::unbounded_channel();
    let task = tokio::spawn(run(w, rx, config, stats));
    (FrameSender(tx), WriterHandle(task))
}

struct Batch<W> {
    w: W,
    buf: BytesMut,
    /// The connection's outgoing atom cache, made by the first frame that needs it.
    cache: Option<AtomCache>,
    config: FramingConfig,
    stats: Arc<Stats>,
}

impl<W: AsyncWrite + Unpin> Batch<W> {
    fn push(&mut self, frame: &OutFrame) -> Result<(), FrameError> {
        let start = self.buf.len();
        self.buf.put_u32(0);
        if let Err(e) = frame.write_to(&mut self.cache, &mut self.buf) {
            self.buf.truncate(start);
            return Err(e);
        }
        let Ok(len) = u32::try_from(self.buf.len() - start - 4) else {
            self.buf.truncate(start);
            return Err(FrameError::Malformed(Malformed::OutgoingTooLong));
        };
        self.buf[start..start + 4].copy_from_slice(&len.to_be_bytes());
        self.stats.written.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    fn tick(&mut self) {
        self.buf.put_u32(0);
        self.stats.written.fetch_add(1, Ordering::Relaxed);
    }

    async fn flush(&mut self) -> Result<(), FrameError> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let write = async {
            self.w.write_all(&self.buf).await?;
            self.w.flush().await
        };
        match tokio::time::timeout(self.config.net_ticktime, write).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(FrameError::Io(e)),
            Err(_) => return Err(FrameError::TickTimeout),
        }
        self.buf.clear();
        if self.buf.capacity() > 4 * self.config.max_batch_bytes {
            self.buf = BytesMut::with_capacity(self.config.max_batch_bytes);
        }
        Ok(())
    }
}

async fn run<W: AsyncWrite + Unpin>(
    w: W,
    mut rx: mpsc::UnboundedReceiver<Out>,
    config: FramingConfig,
    stats: Arc<Stats>,
) -> Result<(), FrameError> {
    let period = config.tick_period();
    let intensity = config.tick_intensity.clamp(4, 1000);
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut b = Batch {
        w,
        buf: BytesMut::with_capacity(config.max_batch_bytes.min(64 << 10)),
        cache: None,
        config,
        stats,
    };
    let mut last_read = b.stats.read.load(Ordering::Relaxed);
    let mut silent_periods = 0u32;
    let mut wrote = false;
    loop {
        tokio::select! {
            biased;
            frame = rx.recv() => {
                let Some(Out::Frame(frame)) = frame else {
                    // Every sender gone, or a close: finish what is queued and end.
                    b.flush().await?;
                    let _ = b.w.shutdown().await;
                    return Ok(());
                };
                b.push(&frame)?;
                while b.buf.len() < b.config.max_batch_bytes {
                    match rx.try_recv() {
                        Ok(Out::Frame(next)) => b.push(&next)?,
                        Ok(Out::Close) => {
                            b.flush().await?;
                            let _ = b.w.shutdown().await;
                            return Ok(());
                        }
                        Err(_) => break,
                    }
                }
                b.flush().await?;
                wrote = true;
            }
            _ = ticker.tick() => {
                let read = b.stats.read.load(Ordering::Relaxed);
                if read == last_read {
                    silent_periods += 1;
                    if silent_periods >= intensity {
                        return Err(FrameError::TickTimeout);
                    }
                } else {
                    silent_periods = 0;
                    last_read = read;
                }
                if !wrote && rx.is_empty() {
                    b.tick();
                    b.flush().await?;
                }
                wrote = false;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio::io::AsyncReadExt;

    fn cfg() -> FramingConfig {
        FramingConfig {
            net_ticktime: Duration::from_secs(4),
            ..FramingConfig::default()
        }
    }

    #[tokio::test(start_paused = true)]
    async fn ticks_when_idle_and_times_out_on_silence() {
        let (ours, mut theirs) = tokio::io::duplex(1024);
        let stats = Arc::new(Stats::default());
        let (tx, handle) = spawn_writer(ours, cfg(), stats.clone());
        // Period 1 s. After each idle period a tick is written.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let mut b = [0u8; 4];
        theirs.read_exact(&mut b).await.unwrap();
        assert_eq!(b, [0; 4]);
        // Peer speaks once (simulated by the read counter), then stays silent:
        stats.read.fetch_add(1, Ordering::Relaxed);
        let err = handle.join().await.unwrap_err();
        assert!(matches!(err, FrameError::TickTimeout), "{err}");
        drop(tx);
    }

    #[tokio::test(start_paused = true)]
    async fn batches_frames_and_skips_ticks_when_busy() {
        let (ours, mut theirs) = tokio::io::duplex(1 << 16);
        let stats = Arc::new(Stats::default());
        let (tx, handle) = spawn_writer(ours, cfg(), stats.clone());
        for i in 0..100u8 {
            tx.send(Bytes::from(vec![i; 3])).await.unwrap();
        }
        drop(tx);
        handle.join().await.unwrap();
        let mut all = Vec::new();
        theirs.read_to_end(&mut all).await.unwrap();
        assert_eq!(all.len(), 100 * 7);
        assert_eq!(&all[..7], &[0, 0, 0, 3, 0, 0, 0]);
        assert_eq!(&all[693..], &[0, 0, 0, 3, 99, 99, 99]);
        assert_eq!(stats.written.load(Ordering::Relaxed), 100);
    }
}
