//! Limits on what a peer can make a node hold, and the count of peers that hit them.
//!
//! Every limit ends only the offending peer's connection (or refuses its new one): the
//! node logs a warning that names the limit and the peer, counts the hit in
//! [`LimitHits`] (rendered by [`render_prometheus`](crate::metrics::render_prometheus)
//! as `tether_dist_limit_hits_total{limit="..."}`), and serves every other
//! connection as before.
//!
//! | limit (`limit=` label) | set by | default |
//! |---|---|---|
//! | `frame_size`: a frame's announced length | [`NodeConfig::max_frame_len`] | 128 MiB |
//! | `message_size`: a message reassembled from fragments | [`NodeConfig::max_frame_len`] | 128 MiB |
//! | `fragments_in_flight`: fragmented messages open at once | fixed | 1024 |
//! | `depth`: nesting of a decoded term | [`DecodeLimits::max_depth`] | 512 |
//! | `input_size`: bytes one decode reads | [`DecodeLimits::max_size`] | 256 MiB |
//! | `decompressed_size`: what a compressed term declares | [`DecodeLimits::max_decompressed`] | 64 MiB |
//! | `node_table`: distinct node names seen in terms | fixed (process-wide) | 65 536 |
//! | `pending_handshakes`: connections in setup from one IP | [`NodeConfig::max_pending_handshakes_per_address`] | 8 |
//! | `connection_rate`: new connections from one IP | [`NodeConfig::connection_rate_per_address`] | burst 32, then 8/s |
//!
//! Atoms: a peer cannot exhaust an atom table, because Tether has none to exhaust:
//! an atom decoded from a peer is a reference-counted string that lives as long as
//! the terms holding it (so it is bounded by the size limits above), never interned
//! for the life of the process as on the BEAM. Node names in pids, ports and
//! references are interned, in a bounded table: `node_table` counts peers that hit
//! its bound.
//!
//! [`NodeConfig::max_frame_len`]: super::NodeConfig::max_frame_len
//! [`NodeConfig::max_pending_handshakes_per_address`]: super::NodeConfig::max_pending_handshakes_per_address
//! [`NodeConfig::connection_rate_per_address`]: super::NodeConfig::connection_rate_per_address
//! [`DecodeLimits::max_depth`]: tether_term::DecodeLimits
//! [`DecodeLimits::max_size`]: tether_term::DecodeLimits
//! [`DecodeLimits::max_decompressed`]: tether_term::DecodeLimits

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use tether_term::DecodeErrorKind;

use super::control::BadControl;
use super::framing::{FrameError, Malformed};

/// One limit a peer can hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Limit {
    FrameSize,
    MessageSize,
    FragmentsInFlight,
    Depth,
    InputSize,
    DecompressedSize,
    NodeTable,
    PendingHandshakes,
    ConnectionRate,
}

impl Limit {
    /// Every limit, in the order the metric lists them.
    pub(crate) const ALL: [Limit; 9] = [
        Limit::FrameSize,
        Limit::MessageSize,
        Limit::FragmentsInFlight,
        Limit::Depth,
        Limit::InputSize,
        Limit::DecompressedSize,
        Limit::NodeTable,
        Limit::PendingHandshakes,
        Limit::ConnectionRate,
    ];

    /// The metric's `limit` label.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Limit::FrameSize => "frame_size",
            Limit::MessageSize => "message_size",
            Limit::FragmentsInFlight => "fragments_in_flight",
            Limit::Depth => "depth",
            Limit::InputSize => "input_size",
            Limit::DecompressedSize => "decompressed_size",
            Limit::NodeTable => "node_table",
            Limit::PendingHandshakes => "pending_handshakes",
            Limit::ConnectionRate => "connection_rate",
        }
    }

    /// The limit a reading error stands for, if it is one.
    pub(crate) fn of_frame_error(e: &FrameError) -> Option<Limit> {
        match e {
            FrameError::TooLarge { .. } => Some(Limit::FrameSize),
            FrameError::Malformed(Malformed::MessageTooLarge { .. }) => Some(Limit::MessageSize),
            FrameError::Malformed(Malformed::TooManyFragmented) => Some(Limit::FragmentsInFlight),
            FrameError::Malformed(Malformed::AtomCache(d)) => Limit::of_decode(d.kind()),
            _ => None,
        }
    }

    /// The limit an undecodable control message stands for, if it is one.
    pub(crate) fn of_bad_control(e: &BadControl) -> Option<Limit> {
        match e {
            BadControl::Undecodable(d) => Limit::of_decode(d.kind()),
            _ => None,
        }
    }

    fn of_decode(kind: &DecodeErrorKind) -> Option<Limit> {
        match kind {
            DecodeErrorKind::DepthLimit => Some(Limit::Depth),
            DecodeErrorKind::SizeLimit => Some(Limit::InputSize),
            DecodeErrorKind::DecompressedSizeLimit => Some(Limit::DecompressedSize),
            DecodeErrorKind::NodeTableFull => Some(Limit::NodeTable),
            _ => None,
        }
    }
}

/// How many times peers hit each limit since the node started.
#[derive(Debug, Default)]
pub(crate) struct LimitHits([AtomicU64; Limit::ALL.len()]);

impl LimitHits {
    /// Counts one hit and logs it: `what` says what the node did to the peer.
    pub(crate) fn hit(&self, limit: Limit, peer: &dyn std::fmt::Display, detail: &str) {
        self.0[limit as usize].fetch_add(1, Ordering::Relaxed);
        crate::runtime::logger::report_warn!(
            %peer,
            limit = limit.label(),
            detail,
            "distribution limit exceeded: the peer is disconnected"
        );
    }

    /// Each limit's label and count.
    pub(crate) fn snapshot(&self) -> Vec<(&'static str, u64)> {
        Limit::ALL
            .iter()
            .map(|l| (l.label(), self.0[*l as usize].load(Ordering::Relaxed)))
            .collect()
    }
}

/// A token bucket per peer IP address: how many new connections an address may open
/// in a burst, and how fast it earns more (see
/// [`NodeConfig::connection_rate_per_address`](super::NodeConfig::connection_rate_per_address)).
///
/// ```
/// use tether::dist::ConnectionRate;
/// let rate = ConnectionRate::new(4, 1.0); // 4 at once, then one a second
/// assert_eq!(rate.burst(), 4);
/// assert_eq!(ConnectionRate::default().burst(), 32);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConnectionRate {
    burst: u32,
    per_second: f64,
}

impl ConnectionRate {
    /// At most `burst` connections at once, refilled at `per_second` (a burst of at
    /// least 1; a rate that is not a positive number refills nothing).
    ///
    /// ```
    /// # use tether::dist::ConnectionRate;
    /// let r = ConnectionRate::new(0, f64::NAN); // clamped: a burst of 1, no refill
    /// assert_eq!((r.burst(), r.per_second()), (1, 0.0));
    /// ```
    pub fn new(burst: u32, per_second: f64) -> ConnectionRate {
        let per_second = if per_second.is_finite() && per_second > 0.0 {
            per_second
        } else {
            0.0
        };
        ConnectionRate {
            burst: burst.max(1),
            per_second,
        }
    }

    /// The burst size.
    ///
    /// ```
    /// # use tether::dist::ConnectionRate;
    /// assert_eq!(ConnectionRate::new(8, 2.0).burst(), 8);
    /// ```
    pub fn burst(&self) -> u32 {
        self.burst
    }

    /// The refill rate, in connections per second.
    ///
    /// ```
    /// # use tether::dist::ConnectionRate;
    /// assert_eq!(ConnectionRate::new(8, 2.5).per_second(), 2.5);
    /// assert_eq!(ConnectionRate::new(8, -1.0).per_second(), 0.0);
    /// ```
    pub fn per_second(&self) -> f64 {
        self.per_second
    }
}

impl Default for ConnectionRate {
    /// A burst of 32, then 8 a second: far above what a cluster peer needs (one
    /// connection, and a reconnect now and then), far below a flood.
    fn default() -> ConnectionRate {
        ConnectionRate::new(32, 8.0)
    }
}

/// Addresses tracked before full buckets (addresses quiet long enough) are dropped.
const TRACKED: usize = 1024;

/// The accepting side's token buckets.
pub(crate) struct RateLimiter {
    rate: ConnectionRate,
    buckets: Mutex<HashMap<IpAddr, (f64, Instant)>>,
}

impl RateLimiter {
    pub(crate) fn new(rate: ConnectionRate) -> RateLimiter {
        RateLimiter {
            rate,
            buckets: Mutex::default(),
        }
    }

    /// Whether `ip` may open one more connection now (taking a token if so).
    pub(crate) fn admit(&self, ip: IpAddr) -> bool {
        self.admit_at(ip, Instant::now())
    }

    fn admit_at(&self, ip: IpAddr, now: Instant) -> bool {
        let burst = f64::from(self.rate.burst);
        let refill = |(tokens, at): (f64, Instant)| {
            let earned = now.saturating_duration_since(at).as_secs_f64() * self.rate.per_second;
            (tokens + earned).min(burst)
        };
        let mut map = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= TRACKED && !map.contains_key(&ip) {
            map.retain(|_, b| refill(*b) < burst);
        }
        let tokens = map.get(&ip).map_or(burst, |b| refill(*b));
        let admitted = tokens >= 1.0;
        let left = if admitted { tokens - 1.0 } else { tokens };
        map.insert(ip, (left, now));
        admitted
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_bucket_admits_its_burst_then_its_rate() {
        let r = RateLimiter::new(ConnectionRate::new(3, 2.0));
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let other: IpAddr = "10.0.0.2".parse().unwrap();
        let t0 = Instant::now();
        assert!((0..3).all(|_| r.admit_at(ip, t0)));
        assert!(!r.admit_at(ip, t0));
        // Another address has its own bucket.
        assert!(r.admit_at(other, t0));
        // Half a second earns one token at 2/s.
        let t1 = t0 + Duration::from_millis(500);
        assert!(r.admit_at(ip, t1));
        assert!(!r.admit_at(ip, t1));
        // A long pause refills only up to the burst.
        let t2 = t1 + Duration::from_secs(60);
        assert_eq!((0..10).filter(|_| r.admit_at(ip, t2)).count(), 3);
    }

    #[test]
    fn quiet_addresses_are_forgotten_when_many_are_tracked() {
        let r = RateLimiter::new(ConnectionRate::new(1, 1.0));
        let t0 = Instant::now();
        for i in 0..TRACKED as u32 {
            assert!(r.admit_at(IpAddr::from(i.to_be_bytes()), t0));
        }
        // Still empty buckets: none is dropped, the next address is tracked anyway.
        assert!(r.admit_at("10.1.1.1".parse().unwrap(), t0));
        assert_eq!(r.buckets.lock().unwrap().len(), TRACKED + 1);
        // Once they have refilled, they are dropped.
        assert!(r.admit_at("10.1.1.2".parse().unwrap(), t0 + Duration::from_secs(2)));
        assert!(r.buckets.lock().unwrap().len() <= 3);
    }

    #[test]
    fn limits_are_recognised_in_errors() {
        let e = FrameError::TooLarge { len: 9, max: 8 };
        assert_eq!(Limit::of_frame_error(&e), Some(Limit::FrameSize));
        let e = FrameError::Malformed(Malformed::MessageTooLarge { max: 8 });
        assert_eq!(Limit::of_frame_error(&e), Some(Limit::MessageSize));
        assert_eq!(Limit::of_frame_error(&FrameError::Closed), None);
        let deep = tether_term::Decoder::from_bytes(&bytes::Bytes::from_static(&[
            131, 104, 1, 104, 1, 104, 1, 106,
        ]))
        .with_limits(tether_term::DecodeLimits {
            max_depth: 2,
            ..Default::default()
        })
        .decode()
        .unwrap_err();
        assert_eq!(
            Limit::of_bad_control(&BadControl::Undecodable(deep)),
            Some(Limit::Depth)
        );
        assert_eq!(Limit::of_bad_control(&BadControl::NoOpcode), None);
        let labels: Vec<_> = Limit::ALL.iter().map(|l| l.label()).collect();
        assert_eq!(labels.len(), 9);
        assert!(labels.iter().all(|l| !l.is_empty()));
    }
}
