//! The writer task: batched frame writes and ticks.
//!
//! ```text
//! loop:
//!   frame queued  → whole frame: append Len:32 + frame to the batch buffer;
//!                   fragmented message: becomes a stream (behind its sender's own
//!                   stream, if one is open); then drain whatever else is queued
//!                   (up to max_batch_bytes), add one fragment of each stream in turn
//!                   until the batch is full, one write_all, mark written
//!   tick period   → nothing read for `intensity` periods?  → TickTimeout
//!                   nothing written since the last period? → write 4 zero bytes
//!   all senders dropped → flush (streams included) and end Ok
//! ```
//!
//! **Large messages** ([`OutFrame::fragmented`]) are cut into fragments here, as they
//! are written, so whole frames queued meanwhile go between the fragments: small
//! messages keep flowing during a large transfer, as in erts. Frames carry their
//! sender ([`OutFrame::sender`]); a frame whose sender has a fragmented message in
//! progress waits behind it, so each sender's signals stay in order.
//!
//! **Back-pressure.** Every queued frame is counted in the connection's [`Backlog`]
//! (whole frames and fragmented messages apart) and uncounted once written; see
//! `backlog.rs` for how a busy connection suspends the processes that send to it.
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

use std::collections::VecDeque;
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

use super::backlog::Backlog;
use super::{FRAGMENT_SIZE, FrameError, FramingConfig, Malformed, Stats};

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
    /// A message the writer sends in fragments: its sequence id (see
    /// [`OutFrame::fragmented`]).
    fragmented: Option<u64>,
    /// Who sent it ([`OutFrame::sender`]): frames of one sender are written in order.
    sender: u64,
}

impl OutFrame {
    /// A frame written as it is.
    pub fn raw(bytes: Bytes) -> OutFrame {
        OutFrame {
            bytes,
            atom_cache: None,
            fragmented: None,
            sender: 0,
        }
    }

    /// A whole message that the writer sends in fragments of at most
    /// [`FRAGMENT_SIZE`] bytes, interleaved with other frames, as erts does: the
    /// message's terms are `bytes[body..section]` and its atom-cache section (every
    /// atom new, as for [`OutFrame::with_atom_cache`]) is `bytes[section..]`. The
    /// writer makes each fragment's header (`131, 69` or `131, 70`, `seq`, the
    /// fragment id counting down to 1) and puts the section, shortened from the
    /// connection's cache, in the first.
    ///
    /// # Panics
    ///
    /// Unless `body <= section <= bytes.len()`.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use tether::dist::framing::OutFrame;
    /// // Terms (100 kB) after 2 unused bytes, then a section without references.
    /// let mut m = vec![0u8; 2 + 100_000];
    /// m.push(0);
    /// let f = OutFrame::fragmented(Bytes::from(m), 2, 100_002, 7);
    /// assert_eq!(f.bytes().len(), 100_003);
    /// ```
    pub fn fragmented(bytes: Bytes, body: usize, section: usize, seq: u64) -> OutFrame {
        assert!(
            body <= section && section <= bytes.len(),
            "atom-cache section out of the frame"
        );
        OutFrame {
            bytes,
            atom_cache: Some((body, section)),
            fragmented: Some(seq),
            sender: 0,
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
            fragmented: None,
            sender: 0,
        }
    }

    /// Marks the frame as sent by `sender` (any key: a hash of the sending process,
    /// say; 0 by default). The writer keeps each sender's frames in the order they
    /// were queued, while a fragmented message lets other senders' frames go between
    /// its fragments.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use tether::dist::framing::OutFrame;
    /// let f = OutFrame::raw(Bytes::from_static(&[112, 131, 106])).sender(42);
    /// assert_eq!(f.bytes().len(), 3);
    /// ```
    pub fn sender(mut self, sender: u64) -> OutFrame {
        self.sender = sender;
        self
    }

    /// Whether the writer sends it in fragments ([`OutFrame::fragmented`]).
    pub fn is_fragmented(&self) -> bool {
        self.fragmented.is_some()
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

impl OutFrame {
    /// How many fragments the writer makes of a fragmented frame.
    pub(crate) fn fragment_count(&self) -> Option<u64> {
        let (body, section) = self.atom_cache?;
        self.fragmented
            .map(|_| (section - body).div_ceil(FRAGMENT_SIZE).max(1) as u64)
    }

    /// Appends fragment `i` (0 is the first) of a fragmented frame to `out`, the
    /// first with its atom-cache section finished from `cache`. Returns how many of
    /// the frame's own bytes went out with it (for the [`Backlog`]).
    pub(crate) fn write_fragment(
        &self,
        i: u64,
        cache: &mut Option<AtomCache>,
        out: &mut BytesMut,
    ) -> Result<usize, FrameError> {
        let (Some(seq), Some(count), Some((body, section))) =
            (self.fragmented, self.fragment_count(), self.atom_cache)
        else {
            unreachable!("write_fragment of a whole frame");
        };
        let from = body + i as usize * FRAGMENT_SIZE;
        let to = (from + FRAGMENT_SIZE).min(section);
        out.put_slice(&[131, if i == 0 { 69 } else { 70 }]);
        out.put_u64(seq);
        out.put_u64(count - i);
        if i == 0 {
            cache
                .get_or_insert_with(AtomCache::new)
                .write_header(&self.bytes[section..], out)
                .map_err(|e| FrameError::Malformed(Malformed::AtomCache(e)))?;
        }
        out.put_slice(&self.bytes[from..to]);
        // The terms count as they go, the rest of the frame with the last fragment.
        let rest = if i + 1 == count {
            self.bytes.len() - (section - body)
        } else {
            0
        };
        Ok(to - from + rest)
    }
}

#[cfg(test)]
impl OutFrame {
    /// The frame bodies as the writer puts them on the wire, through `cache` (for
    /// tests that feed them to a decoder).
    pub(crate) fn wire_frames(&self, cache: &mut Option<AtomCache>) -> Vec<Bytes> {
        let Some(count) = self.fragment_count() else {
            let mut out = BytesMut::new();
            self.write_to(cache, &mut out).expect("a valid section");
            return vec![out.freeze()];
        };
        (0..count)
            .map(|i| {
                let mut out = BytesMut::new();
                self.write_fragment(i, cache, &mut out)
                    .expect("a valid section");
                out.freeze()
            })
            .collect()
    }
}

impl From<Bytes> for OutFrame {
    fn from(bytes: Bytes) -> OutFrame {
        OutFrame::raw(bytes)
    }
}

/// Queues frames for the writer task. Cheap to clone.
#[derive(Clone, Debug)]
pub struct FrameSender {
    tx: mpsc::UnboundedSender<Out>,
    backlog: Arc<Backlog>,
    streaming: Arc<Backlog>,
}

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

    /// Queues one frame body now. Queuing never blocks the caller: the queue's bound
    /// ([`FramingConfig::busy_limit`]) is enforced by suspending *processes* that send
    /// to a busy connection ([`Backlog`]). It fails only once the writer has stopped.
    pub fn try_send(&self, frame: impl Into<OutFrame>) -> Result<(), SendError> {
        self.push(frame.into()).map(|_| ())
    }

    /// [`FrameSender::try_send`]; `true` when this frame made its queue busy.
    pub(crate) fn push(&self, frame: OutFrame) -> Result<bool, SendError> {
        let n = frame.bytes.len();
        let queue = match frame.fragmented {
            Some(_) => &self.streaming,
            None => &self.backlog,
        };
        // Counted before it is queued: the writer may write it, and uncount it, at once.
        let stalled = queue.add(n);
        self.tx.send(Out::Frame(frame)).map_err(|e| {
            queue.written(n);
            match e.0 {
                Out::Frame(f) => SendError(f),
                Out::Close => unreachable!("we sent a frame"),
            }
        })?;
        Ok(stalled)
    }

    /// The connection's outgoing queue of whole frames: when it is busy, every
    /// process that sends to the connection is suspended.
    pub fn backlog(&self) -> &Arc<Backlog> {
        &self.backlog
    }

    /// The connection's messages being sent in fragments
    /// ([`OutFrame::fragmented`]), with the same limit: when it is busy, a process
    /// that queues a fragmented message is suspended until they have drained, while
    /// whole frames, from other senders, keep flowing between the fragments.
    pub fn streaming(&self) -> &Arc<Backlog> {
        &self.streaming
    }

    /// Asks the writer to finish: frames queued before this are written, then the
    /// stream is shut down and the writer ends with `Ok`. For an orderly disconnect,
    /// so that what a node sent before stopping reaches the peer.
    pub fn close(&self) {
        let _ = self.tx.send(Out::Close);
    }

    /// Whether the writer task has ended.
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
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
    let backlog = Arc::new(Backlog::new(config.busy_limit));
    let streaming = Arc::new(Backlog::new(config.busy_limit));
    let task = tokio::spawn(run(
        w,
        rx,
        config,
        stats,
        [backlog.clone(), streaming.clone()],
    ));
    (
        FrameSender {
            tx,
            backlog,
            streaming,
        },
        WriterHandle(task),
    )
}

/// A message being sent in fragments: what of its terms has gone out.
struct Fragmenting {
    frame: OutFrame,
    /// Fragments in all; the first has this id, the last 1.
    count: u64,
    /// Fragments written.
    done: u64,
}

impl Fragmenting {
    fn new(frame: OutFrame) -> Fragmenting {
        let count = frame.fragment_count().expect("a fragmented frame");
        Fragmenting {
            frame,
            count,
            done: 0,
        }
    }
}

struct Batch<W> {
    w: W,
    buf: BytesMut,
    /// The connection's outgoing atom cache, made by the first frame that needs it.
    cache: Option<AtomCache>,
    config: FramingConfig,
    stats: Arc<Stats>,
    /// The whole frames' queue and the fragmented messages' (see [`FrameSender`]).
    queues: [Arc<Backlog>; 2],
    /// Counted bytes of each queue in `buf`, uncounted once it is written.
    counted: [usize; 2],
}

impl<W: AsyncWrite + Unpin> Batch<W> {
    fn push(&mut self, frame: &OutFrame) -> Result<(), FrameError> {
        let start = self.buf.len();
        self.buf.put_u32(0);
        if let Err(e) = frame.write_to(&mut self.cache, &mut self.buf) {
            self.buf.truncate(start);
            return Err(e);
        }
        self.finish_frame(start)?;
        self.counted[0] += frame.bytes.len();
        Ok(())
    }

    /// Writes the length of the frame that starts at `start`.
    fn finish_frame(&mut self, start: usize) -> Result<(), FrameError> {
        let Ok(len) = u32::try_from(self.buf.len() - start - 4) else {
            self.buf.truncate(start);
            return Err(FrameError::Malformed(Malformed::OutgoingTooLong));
        };
        self.buf[start..start + 4].copy_from_slice(&len.to_be_bytes());
        self.stats.written.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Appends the next fragment of `m`; `true` once it was the last.
    fn push_fragment(&mut self, m: &mut Fragmenting) -> Result<bool, FrameError> {
        let start = self.buf.len();
        self.buf.put_u32(0);
        match m
            .frame
            .write_fragment(m.done, &mut self.cache, &mut self.buf)
        {
            Ok(n) => self.counted[1] += n,
            Err(e) => {
                self.buf.truncate(start);
                return Err(e);
            }
        }
        self.finish_frame(start)?;
        m.done += 1;
        Ok(m.done == m.count)
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
        for (q, n) in self.queues.iter().zip(std::mem::take(&mut self.counted)) {
            q.written(n);
        }
        if self.buf.capacity() > 4 * self.config.max_batch_bytes {
            self.buf = BytesMut::with_capacity(self.config.max_batch_bytes);
        }
        Ok(())
    }
}

/// Releases the processes waiting for the connection to drain, however the writer
/// ends (an error, the end of its senders, or an abort that drops it).
struct CloseOnDrop([Arc<Backlog>; 2]);

impl Drop for CloseOnDrop {
    fn drop(&mut self) {
        for q in &self.0 {
            q.close();
        }
    }
}

/// The tick rule (see the module docs), run every tick period.
struct Ticks {
    intensity: u32,
    last_read: u64,
    silent_periods: u32,
    /// Whether anything was written since the last period.
    wrote: bool,
}

impl Ticks {
    /// One period has passed: `Err` if the peer was silent too long; `true` if a tick
    /// should be written.
    fn period(&mut self, read: u64) -> Result<bool, FrameError> {
        if read == self.last_read {
            self.silent_periods += 1;
            if self.silent_periods >= self.intensity {
                return Err(FrameError::TickTimeout);
            }
        } else {
            self.silent_periods = 0;
            self.last_read = read;
        }
        Ok(!std::mem::take(&mut self.wrote))
    }
}

/// Frames of one sender held behind its message that is being sent in fragments.
struct Stream {
    sender: u64,
    current: Fragmenting,
    then: VecDeque<OutFrame>,
}

/// Takes one frame from the queue: behind its sender's fragmented message if one is
/// being sent, else a whole frame into the batch, a fragmented one to the streams.
fn take<W: AsyncWrite + Unpin>(
    b: &mut Batch<W>,
    streams: &mut VecDeque<Stream>,
    frame: OutFrame,
) -> Result<(), FrameError> {
    if let Some(s) = streams.iter_mut().find(|s| s.sender == frame.sender) {
        s.then.push_back(frame);
        return Ok(());
    }
    match frame.fragmented {
        Some(_) => streams.push_back(Stream {
            sender: frame.sender,
            current: Fragmenting::new(frame),
            then: VecDeque::new(),
        }),
        None => b.push(&frame)?,
    }
    Ok(())
}

/// Appends one fragment of each stream in turn until the batch is full. A stream
/// whose message is done releases the frames its sender queued behind it.
fn serve<W: AsyncWrite + Unpin>(
    b: &mut Batch<W>,
    streams: &mut VecDeque<Stream>,
) -> Result<(), FrameError> {
    while b.buf.len() < b.config.max_batch_bytes
        && let Some(mut s) = streams.pop_front()
    {
        if !b.push_fragment(&mut s.current)? {
            streams.push_back(s);
            continue;
        }
        while let Some(f) = s.then.pop_front() {
            if f.fragmented.is_some() {
                s.current = Fragmenting::new(f);
                streams.push_back(s);
                break;
            }
            b.push(&f)?;
        }
    }
    Ok(())
}

async fn run<W: AsyncWrite + Unpin>(
    w: W,
    mut rx: mpsc::UnboundedReceiver<Out>,
    config: FramingConfig,
    stats: Arc<Stats>,
    queues: [Arc<Backlog>; 2],
) -> Result<(), FrameError> {
    let _release = CloseOnDrop(queues.clone());
    let period = config.tick_period();
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut ticks = Ticks {
        intensity: config.tick_intensity.clamp(4, 1000),
        last_read: stats.read.load(Ordering::Relaxed),
        silent_periods: 0,
        wrote: false,
    };
    let mut b = Batch {
        w,
        buf: BytesMut::with_capacity(config.max_batch_bytes.min(64 << 10)),
        cache: None,
        config,
        stats,
        queues,
        counted: [0; 2],
    };
    // Messages being sent in fragments, served in turn, one fragment each per round,
    // after whatever whole frames are queued: small messages keep flowing.
    let mut large: VecDeque<Stream> = VecDeque::new();
    let mut closing = false;
    loop {
        let tick_due = if large.is_empty() && !closing {
            tokio::select! {
                biased;
                frame = rx.recv() => {
                    match frame {
                        Some(Out::Frame(f)) => take(&mut b, &mut large, f)?,
                        _ => closing = true, // every sender gone, or a close
                    }
                    false
                }
                _ = ticker.tick() => true,
            }
        } else {
            // Streaming: a period may pass meanwhile; look without waiting.
            tokio::select! {
                biased;
                _ = ticker.tick() => true,
                _ = std::future::ready(()) => false,
            }
        };
        if tick_due {
            if ticks.period(b.stats.read.load(Ordering::Relaxed))?
                && rx.is_empty()
                && large.is_empty()
            {
                b.tick();
                b.flush().await?;
            }
            continue;
        }
        while !closing && b.buf.len() < b.config.max_batch_bytes {
            match rx.try_recv() {
                Ok(Out::Frame(next)) => take(&mut b, &mut large, next)?,
                Ok(Out::Close) => closing = true,
                Err(mpsc::error::TryRecvError::Empty) => break,
                Err(mpsc::error::TryRecvError::Disconnected) => closing = true,
            }
        }
        serve(&mut b, &mut large)?;
        b.flush().await?;
        ticks.wrote = true;
        if closing && large.is_empty() {
            let _ = b.w.shutdown().await;
            return Ok(());
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

    /// Splits what the writer wrote into frame bodies.
    fn frames(mut all: &[u8]) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        while all.len() >= 4 {
            let n = u32::from_be_bytes(all[..4].try_into().unwrap()) as usize;
            out.push(all[4..4 + n].to_vec());
            all = &all[4 + n..];
        }
        assert!(all.is_empty());
        out
    }

    #[tokio::test]
    async fn fragments_interleave_with_other_senders_but_not_their_own() {
        let (ours, mut theirs) = tokio::io::duplex(64 << 20);
        let stats = Arc::new(Stats::default());
        let cfg = FramingConfig {
            max_batch_bytes: 2 * FRAGMENT_SIZE,
            ..cfg()
        };
        let (tx, handle) = spawn_writer(ours, cfg, stats);
        // Sender 1: a message of 10 fragments (no atom-cache references), then a
        // small one. Sender 2: small ones.
        let mut big = vec![0u8; 2];
        big.extend((0..10 * FRAGMENT_SIZE).map(|i| (i / FRAGMENT_SIZE) as u8));
        big.push(0); // the section: no references
        let body_end = big.len() - 1;
        tx.try_send(OutFrame::fragmented(Bytes::from(big), 2, body_end, 9).sender(1))
            .unwrap();
        tx.try_send(OutFrame::raw(Bytes::from_static(b"one-after")).sender(1))
            .unwrap();
        for _ in 0..3 {
            tx.try_send(OutFrame::raw(Bytes::from_static(b"two")).sender(2))
                .unwrap();
        }
        assert!(tx.streaming().queued() > 10 * FRAGMENT_SIZE);
        assert_eq!(tx.backlog().queued(), 9 + 3 * 3);
        drop(tx);
        handle.join().await.unwrap();
        let mut all = Vec::new();
        theirs.read_to_end(&mut all).await.unwrap();
        let got = frames(&all);
        assert_eq!(got.len(), 10 + 1 + 3);
        let frag: Vec<usize> = (0..got.len()).filter(|&i| got[i][0] == 131).collect();
        let first = frag[0];
        let last = *frag.last().unwrap();
        assert_eq!(frag.len(), 10);
        // Sender 2's frames went before the big message ended ...
        assert!(
            (0..got.len()).any(|i| got[i] == b"two" && i < last),
            "{frag:?}"
        );
        // ... and sender 1's small message after all of it.
        let after = got.iter().position(|f| f == b"one-after").unwrap();
        assert!(after > last);
        // The fragments: 69 first, ids 10 down to 1, sequence 9, bodies in order.
        for (k, &i) in frag.iter().enumerate() {
            let f = &got[i];
            assert_eq!(f[1], if i == first { 69 } else { 70 });
            assert_eq!(u64::from_be_bytes(f[2..10].try_into().unwrap()), 9);
            assert_eq!(
                u64::from_be_bytes(f[10..18].try_into().unwrap()),
                10 - k as u64
            );
            let body = if k == 0 { &f[19..] } else { &f[18..] };
            assert_eq!(body.len(), FRAGMENT_SIZE);
            assert!(body.iter().all(|&b| b == k as u8));
        }
    }

    #[tokio::test]
    async fn the_backlog_counts_until_written() {
        let (ours, mut theirs) = tokio::io::duplex(1 << 10);
        let stats = Arc::new(Stats::default());
        let cfg = FramingConfig {
            busy_limit: 4096,
            ..cfg()
        };
        let (tx, handle) = spawn_writer(ours, cfg, stats);
        for _ in 0..10 {
            tx.try_send(Bytes::from(vec![1u8; 1000])).unwrap();
        }
        // The peer reads nothing: at most 1 KiB of the pipe is taken.
        tokio::time::sleep(Duration::from_millis(50)).await;
        let b = tx.backlog().clone();
        assert!(b.is_busy());
        assert_eq!(b.stalls(), 1);
        assert!(b.queued() >= 9000, "{}", b.queued());
        drop(tx);
        let mut all = Vec::new();
        theirs.read_to_end(&mut all).await.unwrap();
        handle.join().await.unwrap();
        assert_eq!(all.len(), 10 * 1004);
        assert_eq!(b.queued(), 0);
        assert!(!b.is_busy());
    }

    #[tokio::test]
    async fn close_sends_a_message_in_progress_whole_first() {
        let (ours, mut theirs) = tokio::io::duplex(1 << 20);
        let (tx, handle) = spawn_writer(ours, cfg(), Arc::new(Stats::default()));
        let mut big = vec![0u8; 2];
        big.extend(std::iter::repeat_n(5u8, 3 * FRAGMENT_SIZE + 10));
        big.push(0);
        let end = big.len() - 1;
        tx.try_send(OutFrame::fragmented(Bytes::from(big), 2, end, 1))
            .unwrap();
        tx.close();
        tx.try_send(Bytes::from_static(b"after close")).unwrap();
        handle.join().await.unwrap();
        let mut all = Vec::new();
        theirs.read_to_end(&mut all).await.unwrap();
        let got = frames(&all);
        assert_eq!(
            got.len(),
            4,
            "the four fragments, nothing sent after the close"
        );
        let body: usize = got.iter().map(|f| f.len() - 18).sum::<usize>() - 1;
        assert_eq!(body, 3 * FRAGMENT_SIZE + 10);
        assert_eq!(tx.streaming().queued(), 0);
    }
}
