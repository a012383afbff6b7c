//! The connected phase: 4-byte length frames, ticks and batched writes.
//!
//! After the handshake every packet is `Length:32/big` + data. A zero-length packet is
//! a *tick*: a keep-alive that carries nothing. A connection is split in two:
//!
//! - [`FrameReader`] reads frames, enforcing [`FramingConfig::max_frame_len`] (a
//!   violation ends the connection with [`FrameError::TooLarge`]), classifies them
//!   ([`FrameKind`]) and counts every frame read for liveness.
//! - a writer task ([`spawn_writer`]) owns the write half. Senders hand it whole frame
//!   bodies ([`OutFrame`]) through a [`FrameSender`] (queuing never blocks; the queue's
//!   bytes are counted in a [`Backlog`], which suspends the *processes* that send to a
//!   busy connection at their next await); per wakeup it drains everything queued into one buffer (up to
//!   [`FramingConfig::max_batch_bytes`]) and writes it with one call, so many small
//!   messages cost few syscalls. It also owns the connection's outgoing atom cache and
//!   writes each distribution header's atom-cache section, in wire order.
//!
//! Ticks follow `net_ticktime` as OTP implements it (`dist_util:send_tick/6` and
//! `net_kernel`): the writer wakes every `ticktime / intensity` (15 s for the default
//! 60 s and intensity 4). At each wakeup it writes a tick if nothing was written since
//! the previous wakeup, and it declares the peer dead ([`FrameError::TickTimeout`])
//! when nothing was read during `intensity` consecutive periods, i.e. after 60–75 s of
//! silence with the defaults. (OTP keeps a tick counter modulo the intensity and the
//! counter value at the last observed read; it is the same rule.) The reader must be
//! driven continuously for the read counter to move.
//!
//! Frame kinds are only *separated* here: pass-through frames (`112`, then
//! `131`+control and optionally `131`+payload) and distribution-header frames
//! (`131, 68`) and fragments (`131, 69` first, `131, 70` continuation). Parsing the
//! header's atom cache and reassembling fragments is [`header`]'s job.

mod backlog;
pub mod header;
mod reader;
#[cfg(test)]
mod robustness;
mod writer;

pub use backlog::{Backlog, DEFAULT_BUSY_LIMIT};
pub use reader::FrameReader;
pub use writer::{FrameSender, OutFrame, SendError, WriterHandle, spawn_writer};

use std::fmt;
use std::io;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use bytes::Bytes;

/// Limits and timing of a connection.
///
/// ```
/// use std::time::Duration;
/// use tether::dist::framing::FramingConfig;
/// let cfg = FramingConfig { net_ticktime: Duration::from_secs(20), ..FramingConfig::default() };
/// assert_eq!(cfg.tick_period(), Duration::from_secs(5));
/// ```
#[derive(Debug, Clone)]
pub struct FramingConfig {
    /// Largest frame accepted from the peer (default 128 MiB).
    pub max_frame_len: u32,
    /// `net_ticktime` (default 60 s).
    pub net_ticktime: Duration,
    /// `net_tickintensity`: ticks per ticktime (default 4, OTP allows 4..=1000).
    pub tick_intensity: u32,
    /// Most bytes gathered into one write.
    pub max_batch_bytes: usize,
    /// Bytes queued for the peer from which the connection is busy and processes that
    /// send to it are suspended (default 1 MiB, as erts' `+zdbbl`; see [`Backlog`]).
    pub busy_limit: usize,
}

/// Largest fragment body we send (erts uses 64 KiB too).
pub const FRAGMENT_SIZE: usize = 64 << 10;

impl Default for FramingConfig {
    fn default() -> FramingConfig {
        FramingConfig {
            max_frame_len: 128 << 20,
            net_ticktime: Duration::from_secs(60),
            tick_intensity: 4,
            max_batch_bytes: 256 << 10,
            busy_limit: DEFAULT_BUSY_LIMIT,
        }
    }
}

impl FramingConfig {
    /// The time between tick checks: `net_ticktime / intensity`.
    pub fn tick_period(&self) -> Duration {
        self.net_ticktime / self.tick_intensity.clamp(4, 1000)
    }
}

/// What a frame holds, by its first bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameKind {
    /// A zero-length keep-alive.
    Tick,
    /// `112` + `131`-prefixed control [+ payload]. The bytes after the `112`.
    PassThrough(Bytes),
    /// `131, 68`: distribution header with atom cache, then control [+ payload].
    DistHeader(Bytes),
    /// `131, 69`: first fragment of a fragmented message.
    FragmentStart(Bytes),
    /// `131, 70`: a following fragment.
    FragmentCont(Bytes),
}

/// Classifies a frame body.
///
/// ```
/// use bytes::Bytes;
/// use tether::dist::framing::{classify, FrameKind};
/// assert_eq!(classify(Bytes::new()).unwrap(), FrameKind::Tick);
/// assert!(matches!(classify(Bytes::from_static(&[112, 131, 104, 0])).unwrap(), FrameKind::PassThrough(_)));
/// assert!(classify(Bytes::from_static(&[7])).is_err());
/// ```
pub fn classify(frame: Bytes) -> Result<FrameKind, FrameError> {
    match frame.as_ref() {
        [] => Ok(FrameKind::Tick),
        [112, ..] => Ok(FrameKind::PassThrough(frame.slice(1..))),
        [131, 68, ..] => Ok(FrameKind::DistHeader(frame)),
        [131, 69, ..] => Ok(FrameKind::FragmentStart(frame)),
        [131, 70, ..] => Ok(FrameKind::FragmentCont(frame)),
        [a, rest @ ..] => Err(FrameError::Malformed(Malformed::UnknownType(
            *a,
            rest.first().copied(),
        ))),
    }
}

/// Why a connection ended.
#[derive(Debug)]
pub enum FrameError {
    /// The socket failed.
    Io(io::Error),
    /// The peer closed the connection.
    Closed,
    /// The peer announced a frame longer than the limit.
    TooLarge {
        /// The announced length.
        len: u32,
        /// The configured limit.
        max: u32,
    },
    /// Nothing was read from the peer for `intensity` tick periods.
    TickTimeout,
    /// A frame could not be understood.
    Malformed(Malformed),
}

/// What was wrong with a frame (docs/distribution.md §3).
#[derive(Debug)]
pub enum Malformed {
    /// A first byte (and second) that begins no known frame.
    UnknownType(u8, Option<u8>),
    /// A distribution header that ends early.
    HeaderTruncated,
    /// A fragment numbered 0 (the last fragment is 1).
    FragmentIdZero,
    /// A fragmented message whose sequence is already open.
    FragmentRestarted(u64),
    /// More fragmented messages open at once than a connection allows.
    TooManyFragmented,
    /// A continuation fragment of a sequence that is not open.
    UnknownSequence(u64),
    /// A continuation fragment out of order.
    FragmentOutOfOrder {
        /// The sequence.
        seq: u64,
        /// The fragment number that came.
        id: u64,
        /// The one expected.
        expected: u64,
    },
    /// A message (whole or reassembled) over the size limit.
    MessageTooLarge {
        /// The limit, in bytes.
        max: usize,
    },
    /// The atom-cache section of a header (ours, for outgoing frames) is invalid.
    AtomCache(tether_term::DecodeError),
    /// An outgoing frame longer than the 4-byte length can say.
    OutgoingTooLong,
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Malformed::UnknownType(a, None) => write!(f, "unknown frame type {a}"),
            Malformed::UnknownType(a, Some(b)) => write!(f, "unknown frame type {a}, {b}"),
            Malformed::HeaderTruncated => f.write_str("distribution header is truncated"),
            Malformed::FragmentIdZero => f.write_str("fragment id 0"),
            Malformed::FragmentRestarted(seq) => {
                write!(f, "fragment sequence {seq} started twice")
            }
            Malformed::TooManyFragmented => f.write_str("too many fragmented messages in flight"),
            Malformed::UnknownSequence(seq) => write!(f, "fragment of unknown sequence {seq}"),
            Malformed::FragmentOutOfOrder { seq, id, expected } => {
                write!(f, "fragment {id} of sequence {seq}, expected {expected}")
            }
            Malformed::MessageTooLarge { max } => {
                write!(f, "message over the {max}-byte limit")
            }
            Malformed::AtomCache(e) => write!(f, "atom-cache section: {e}"),
            Malformed::OutgoingTooLong => f.write_str("outgoing frame longer than 4 GiB"),
        }
    }
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::Io(e) => write!(f, "connection i/o error: {e}"),
            FrameError::Closed => f.write_str("connection closed by peer"),
            FrameError::TooLarge { len, max } => {
                write!(
                    f,
                    "peer announced a frame of {len} bytes, over the {max}-byte limit"
                )
            }
            FrameError::TickTimeout => f.write_str("peer not responding (net_tick_timeout)"),
            FrameError::Malformed(m) => write!(f, "malformed frame: {m}"),
        }
    }
}

impl std::error::Error for FrameError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            FrameError::Io(e) => Some(e),
            _ => None,
        }
    }
}

/// Frame counters shared by the reader and the writer.
#[derive(Debug, Default)]
pub struct Stats {
    /// Frames read (ticks included).
    pub read: AtomicU64,
    /// Frames written (ticks included).
    pub written: AtomicU64,
}

/// Splits a post-handshake stream into a [`FrameReader`] and a running writer task.
///
/// ```no_run
/// # async fn demo(stream: tokio::net::TcpStream) -> Result<(), tether::dist::framing::FrameError> {
/// use tether::dist::framing::{self, FramingConfig, FrameKind};
/// let (mut reader, sender, writer) = framing::split(stream, FramingConfig::default());
/// sender.send(bytes::Bytes::from_static(&[112, 131, 104, 0])).await.ok();
/// while let Some(kind) = reader.next_kind().await? {
///     if let FrameKind::PassThrough(body) = kind { println!("{} bytes", body.len()); }
/// }
/// drop(sender);
/// let _ = writer.join().await;
/// # Ok(()) }
/// ```
pub fn split<S>(
    stream: S,
    config: FramingConfig,
) -> (
    FrameReader<tokio::io::ReadHalf<S>>,
    FrameSender,
    WriterHandle,
)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + 'static,
{
    let (r, w) = tokio::io::split(stream);
    let stats = Arc::new(Stats::default());
    let reader = FrameReader::new(r, config.max_frame_len, stats.clone());
    let (sender, handle) = spawn_writer(w, config, stats);
    (reader, sender, handle)
}
