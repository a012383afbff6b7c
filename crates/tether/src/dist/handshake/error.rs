//! Why a handshake failed.

use std::fmt;
use std::io;

use crate::dist::flags::DistFlags;
use crate::dist::node_name::NodeNameError;

/// A handshake failed. The connection must be closed.
#[derive(Debug)]
pub enum HandshakeError {
    /// The socket failed.
    Io(io::Error),
    /// The peer closed the connection during `step`.
    Closed {
        /// What we were waiting for.
        step: &'static str,
    },
    /// The handshake did not finish within the setup timeout.
    Timeout,
    /// The peer sent a malformed or unexpected message.
    Protocol(ProtocolError),
    /// The OS gave no randomness for our challenge.
    NoRandomness(getrandom::Error),
    /// The peer's node name is invalid.
    BadName(NodeNameError),
    /// We refused the peer: not in the allow-list.
    NotAllowed {
        /// The peer.
        peer: String,
    },
    /// The peer lacks flags we require (we refused it, or aborted our own attempt).
    MissingFlags {
        /// The peer.
        peer: String,
        /// The missing flags.
        missing: DistFlags,
    },
    /// The peer asked for a dynamic name (`NAME_ME`), which we do not grant.
    DynamicName,
    /// The peer answered with a status that ends the attempt (`nok`, `not_allowed`).
    Refused {
        /// The peer we dialed.
        peer: String,
        /// The status.
        status: super::Status,
    },
    /// Simultaneous connect: we answered `nok`, our own attempt to the peer wins.
    LostRace {
        /// The peer.
        peer: String,
    },
    /// Already connected or already accepting from this peer.
    AlreadyConnected {
        /// The peer.
        peer: String,
    },
    /// The node that answered is not the one we dialed.
    WrongPeer {
        /// The name we dialed.
        expected: String,
        /// The name in the challenge (lossily decoded).
        got: String,
    },
    /// The peer's digest was wrong: it does not know our cookie for it.
    BadDigest {
        /// The peer.
        peer: String,
    },
    /// The peer closed the connection after our challenge reply: it rejected our
    /// digest, so the cookies differ.
    CookieRejected {
        /// The peer.
        peer: String,
    },
}

impl HandshakeError {
    pub(crate) fn from_io(e: io::Error, step: &'static str) -> HandshakeError {
        match e.kind() {
            io::ErrorKind::UnexpectedEof
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::BrokenPipe => HandshakeError::Closed { step },
            _ => HandshakeError::Io(e),
        }
    }

    /// Whether the failure means the two nodes' cookies differ.
    ///
    /// ```
    /// use tether::dist::HandshakeError;
    /// assert!(HandshakeError::BadDigest { peer: "b@h".into() }.is_cookie_mismatch());
    /// assert!(HandshakeError::CookieRejected { peer: "b@h".into() }.is_cookie_mismatch());
    /// assert!(!HandshakeError::Timeout.is_cookie_mismatch());
    /// ```
    pub fn is_cookie_mismatch(&self) -> bool {
        matches!(
            self,
            HandshakeError::BadDigest { .. } | HandshakeError::CookieRejected { .. }
        )
    }

    /// Whether this is the expected outcome of a simultaneous connect (the other
    /// connection attempt survives) rather than a failure.
    ///
    /// ```
    /// use tether::dist::HandshakeError;
    /// assert!(HandshakeError::LostRace { peer: "b@h".into() }.is_simultaneous_connect());
    /// assert!(!HandshakeError::Timeout.is_simultaneous_connect());
    /// ```
    pub fn is_simultaneous_connect(&self) -> bool {
        matches!(
            self,
            HandshakeError::LostRace { .. }
                | HandshakeError::Refused {
                    status: super::Status::Nok,
                    ..
                }
        )
    }
}

impl fmt::Display for HandshakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use HandshakeError::*;
        match self {
            Io(e) => write!(f, "handshake i/o error: {e}"),
            Closed { step } => write!(f, "peer closed the connection during {step}"),
            Timeout => f.write_str("handshake timed out"),
            Protocol(e) => write!(f, "handshake protocol error: {e}"),
            NoRandomness(e) => write!(f, "no randomness for the challenge: {e}"),
            BadName(e) => write!(f, "bad peer node name: {e}"),
            NotAllowed { peer } => write!(f, "node {peer} is not in the allow-list"),
            MissingFlags { peer, missing } => {
                write!(
                    f,
                    "node {peer} lacks mandatory flags {}",
                    missing.names().join(", ")
                )
            }
            DynamicName => {
                f.write_str("peer requested a dynamic node name (NAME_ME), not supported")
            }
            Refused { peer, status } => write!(f, "node {peer} refused the connection: {status:?}"),
            LostRace { peer } => {
                write!(
                    f,
                    "simultaneous connect with {peer}: our own attempt wins, refused this one"
                )
            }
            AlreadyConnected { peer } => write!(f, "already connected or connecting to {peer}"),
            WrongPeer { expected, got } => write!(f, "dialed {expected} but {got:?} answered"),
            BadDigest { peer } => {
                write!(
                    f,
                    "node {peer} sent a wrong challenge digest (cookie mismatch)"
                )
            }
            CookieRejected { peer } => write!(
                f,
                "node {peer} closed the connection after our challenge reply (cookie mismatch)"
            ),
        }
    }
}

impl std::error::Error for HandshakeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            HandshakeError::Io(e) => Some(e),
            HandshakeError::BadName(e) => Some(e),
            _ => None,
        }
    }
}

impl From<NodeNameError> for HandshakeError {
    fn from(e: NodeNameError) -> HandshakeError {
        HandshakeError::BadName(e)
    }
}

/// What was wrong with a handshake message (docs/distribution.md §2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProtocolError {
    /// A packet's length is 0 or over the handshake's limit.
    PacketLength {
        /// What we were reading.
        step: &'static str,
        /// The length the peer announced.
        len: usize,
    },
    /// A message ends before its fields do.
    Truncated(&'static str),
    /// A `send_name` (`n`) message of a version other than 5 or 6.
    SendNameVersion(u16),
    /// A message with another tag than the step expects.
    UnexpectedTag {
        /// The message the step expects.
        expected: &'static str,
        /// The tag byte that came.
        got: u8,
    },
    /// A message of the expected kind with the wrong size.
    Malformed(&'static str),
    /// A status (`s`) message with an unknown status (at most 64 bytes of it).
    UnknownStatus(Vec<u8>),
    /// A `named:` status, which only answers a dynamic-name request, came unasked.
    UnsolicitedNamed,
    /// A challenge from a peer without `DFLAG_HANDSHAKE_23`.
    NoHandshake23,
    /// A bad answer to the `alive` status (neither `true` nor `false`).
    BadAliveAnswer,
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProtocolError::PacketLength { step, len } => {
                write!(f, "{step}: packet length {len} out of range")
            }
            ProtocolError::Truncated(what) => write!(f, "{what} is truncated"),
            ProtocolError::SendNameVersion(v) => write!(f, "send_name version {v}"),
            ProtocolError::UnexpectedTag { expected, got } => {
                write!(f, "expected {expected}, got tag {got}")
            }
            ProtocolError::Malformed(what) => write!(f, "malformed {what}"),
            ProtocolError::UnknownStatus(s) => {
                write!(f, "unknown status {:?}", String::from_utf8_lossy(s))
            }
            ProtocolError::UnsolicitedNamed => f.write_str("unsolicited named: status"),
            ProtocolError::NoHandshake23 => {
                f.write_str("challenge from a peer without HANDSHAKE_23")
            }
            ProtocolError::BadAliveAnswer => f.write_str("bad answer to the alive status"),
        }
    }
}

impl From<ProtocolError> for HandshakeError {
    fn from(e: ProtocolError) -> HandshakeError {
        HandshakeError::Protocol(e)
    }
}
