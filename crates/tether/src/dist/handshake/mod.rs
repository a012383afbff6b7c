//! The version 6 distribution handshake (OTP 23+), as initiator and acceptor.
//!
//! ```text
//!   initiator (A)                                     acceptor (B)
//!   send_name 'N' flags creation name  ───────────►   check name, allow-list, flags
//!                                                     ask the ConnectArbiter
//!                                      ◄───────────   status ok | ok_simultaneous | nok
//!                                                            | not_allowed | alive
//!   (alive: 's' true|false             ───────────►)
//!                                      ◄───────────   challenge 'N' flags chB creation name
//!   check B's name = the name dialed, flags
//!   reply 'r' chA MD5(cookie,chB)      ───────────►   verify digest (constant time)
//!                                      ◄───────────   ack 'a' MD5(cookie,chA)
//!   verify digest                                      
//!   ── both sides switch to 4-byte framing ([`crate::dist::framing`]) ──
//! ```
//!
//! The acceptor also takes OTP 23/24's old `'n'` send_name (flags 32 bits, no
//! creation) when it carries `HANDSHAKE_23`, and then reads the `'c'` complement with
//! the high flags and creation before the challenge reply. We never send `'n'`.
//!
//! Validated: every packet length (capped), every message layout, the peer's node name
//! ([`NodeName`]), the allow-list, mandatory flags (after expanding the
//! `MANDATORY_25_DIGEST` shorthand; required set configurable), the name in the
//! challenge equals the one dialed, both digests. Challenges come from the OS CSPRNG.
//! The whole handshake runs under one deadline ([`HandshakeConfig::setup_timeout`],
//! 7 s by default like `net_setuptime`; stricter than OTP, which restarts its timer
//! after each step). Dynamic names (`NAME_ME` / `named:`) are not supported: such
//! peers are refused with `not_allowed`.

mod acceptor;
mod arbiter;
mod error;
mod initiator;
pub mod message;
#[cfg(test)]
mod robustness;

pub use acceptor::accept;
pub use arbiter::{AcceptAll, ConnectArbiter, IncomingDecision, PeerState, decide_incoming};
pub use error::{HandshakeError, ProtocolError};
pub use initiator::connect;
pub use message::{PacketLen, Status};

#[cfg(test)]
mod tests;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::dist::cookie::Cookies;
use crate::dist::flags::DistFlags;
use crate::dist::node_name::NodeName;

/// Settings shared by both directions of the handshake.
///
/// ```
/// use std::sync::Arc;
/// use tether::dist::{Cookie, Cookies, DistFlags, NodeName, HandshakeConfig};
/// let cookies = Arc::new(Cookies::new(Cookie::new("secret").unwrap()));
/// let cfg = HandshakeConfig::new(NodeName::parse("tether@localhost").unwrap(), 1234, cookies);
/// assert!(cfg.advertised_flags().contains(DistFlags::PUBLISHED));
/// assert!(cfg.hidden().advertised_flags().missing(DistFlags::PUBLISHED) == DistFlags::PUBLISHED);
/// ```
#[derive(Clone)]
pub struct HandshakeConfig {
    /// Our full node name, presented to peers. A peer that dialed us must have used
    /// exactly this name (OTP checks it).
    pub name: NodeName,
    /// Our creation (from EPMD registration).
    pub creation: u32,
    /// The flags we advertise, without `PUBLISHED` (see [`HandshakeConfig::hidden`]).
    pub flags: DistFlags,
    /// Whether we run as a hidden node (no `PUBLISHED` flag).
    pub is_hidden: bool,
    /// Flags a peer must have beyond [`DistFlags::MANDATORY_OTP25`].
    pub required_flags: DistFlags,
    /// Cookies (default and per peer).
    pub cookies: Arc<Cookies>,
    /// The deadline for the whole handshake.
    pub setup_timeout: Duration,
    /// If set, only these peers may connect in or be connected to.
    pub allow: Option<AllowList>,
    /// Length prefix of handshake packets (4 bytes inside TLS).
    pub packet_len: PacketLen,
}

impl HandshakeConfig {
    /// A visible node with [`DistFlags::DEFAULT`], the OTP 25 mandatory set as
    /// requirement, a 7 s setup timeout, no allow-list, plain TCP framing.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use tether::dist::{Cookie, Cookies, DistFlags, HandshakeConfig, NodeName};
    /// let cookies = Arc::new(Cookies::new(Cookie::new("c").unwrap()));
    /// let cfg = HandshakeConfig::new(NodeName::parse("a@127.0.0.1").unwrap(), 1, cookies);
    /// assert!(cfg.advertised_flags().contains(DistFlags::PUBLISHED));
    /// assert_eq!(cfg.mandatory_flags(), DistFlags::MANDATORY_OTP25);
    /// ```
    pub fn new(name: NodeName, creation: u32, cookies: Arc<Cookies>) -> HandshakeConfig {
        HandshakeConfig {
            name,
            creation,
            flags: DistFlags::DEFAULT,
            is_hidden: false,
            required_flags: DistFlags::EMPTY,
            cookies,
            setup_timeout: Duration::from_secs(7),
            allow: None,
            packet_len: PacketLen::Two,
        }
    }

    /// The same configuration as a hidden node (`-hidden`): connections are hidden and
    /// the peer does not expect us to run `global`.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use tether::dist::{Cookie, Cookies, DistFlags, HandshakeConfig, NodeName};
    /// let cookies = Arc::new(Cookies::new(Cookie::new("c").unwrap()));
    /// let cfg = HandshakeConfig::new(NodeName::parse("a@127.0.0.1").unwrap(), 1, cookies);
    /// let hidden = cfg.hidden();
    /// assert!(!hidden.advertised_flags().contains(DistFlags::PUBLISHED));
    /// ```
    pub fn hidden(mut self) -> HandshakeConfig {
        self.is_hidden = true;
        self
    }

    /// The flags actually sent.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use tether::dist::{Cookie, Cookies, DistFlags, HandshakeConfig, NodeName};
    /// let cookies = Arc::new(Cookies::new(Cookie::new("c").unwrap()));
    /// let cfg = HandshakeConfig::new(NodeName::parse("a@127.0.0.1").unwrap(), 1, cookies);
    /// assert!(cfg.advertised_flags().contains(DistFlags::DEFAULT));
    /// ```
    pub fn advertised_flags(&self) -> DistFlags {
        let f = self.flags.without(DistFlags::NAME_ME);
        if self.is_hidden {
            f.without(DistFlags::PUBLISHED)
        } else {
            f | DistFlags::PUBLISHED
        }
    }

    /// Every flag a peer must have.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use tether::dist::{Cookie, Cookies, DistFlags, HandshakeConfig, NodeName};
    /// let cookies = Arc::new(Cookies::new(Cookie::new("c").unwrap()));
    /// let cfg = HandshakeConfig::new(NodeName::parse("a@127.0.0.1").unwrap(), 1, cookies);
    /// // Every OTP 25 peer has these; a peer without one of them is refused.
    /// assert!(DistFlags::DEFAULT.contains(cfg.mandatory_flags()));
    /// ```
    pub fn mandatory_flags(&self) -> DistFlags {
        DistFlags::MANDATORY_OTP25 | self.required_flags
    }

    fn allows(&self, peer: &NodeName) -> bool {
        self.allow.as_ref().is_none_or(|a| a.allows(peer))
    }
}

impl fmt::Debug for HandshakeConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HandshakeConfig")
            .field("name", &self.name)
            .field("creation", &self.creation)
            .field("flags", &self.advertised_flags())
            .field("setup_timeout", &self.setup_timeout)
            .field("allow", &self.allow)
            .finish_non_exhaustive()
    }
}

/// Which peers may connect, with `net_kernel:allow/1` semantics: an entry `name@host`
/// matches that node, `name@` matches that name on any host, and `host` (no `@`)
/// matches any node on that host.
///
/// ```
/// use tether::dist::{AllowList, NodeName};
/// let allow = AllowList::new(["beam@h1", "worker@", "h2"]);
/// let ok = |s| allow.allows(&NodeName::parse(s).unwrap());
/// assert!(ok("beam@h1") && ok("worker@anywhere") && ok("x@h2"));
/// assert!(!ok("beam@h3"));
/// ```
#[derive(Debug, Clone, Default)]
pub struct AllowList(Vec<String>);

impl AllowList {
    /// An allow-list of entries.
    ///
    /// ```
    /// # use tether::dist::{AllowList, NodeName};
    /// let allow = AllowList::new(["db@h1"]);
    /// assert!(allow.allows(&NodeName::parse("db@h1").unwrap()));
    /// assert!(!allow.allows(&NodeName::parse("db@h2").unwrap()));
    /// ```
    pub fn new<I: IntoIterator<Item = S>, S: Into<String>>(entries: I) -> AllowList {
        AllowList(entries.into_iter().map(Into::into).collect())
    }

    /// Whether `peer` is allowed.
    ///
    /// ```
    /// # use tether::dist::{AllowList, NodeName};
    /// // An entry `name@` allows that name on any host; `host` any name on it.
    /// let allow = AllowList::new(["worker@", "trusted.local"]);
    /// assert!(allow.allows(&NodeName::parse("worker@anywhere").unwrap()));
    /// assert!(allow.allows(&NodeName::parse("x@trusted.local").unwrap()));
    /// assert!(!allow.allows(&NodeName::parse("x@elsewhere").unwrap()));
    /// ```
    pub fn allows(&self, peer: &NodeName) -> bool {
        self.0.iter().any(|e| match e.split_once('@') {
            Some((name, "")) => name == peer.alive(),
            Some(_) => e == peer.as_str(),
            None => e == peer.host(),
        })
    }
}

/// A completed handshake: who the peer is, what was negotiated, and the stream, ready
/// for 4-byte framed traffic.
pub struct Handshake<S> {
    /// The stream, positioned right after the last handshake byte.
    pub stream: S,
    /// The peer's node name.
    pub peer: NodeName,
    /// The flags the peer advertised (with the digest shorthand expanded).
    pub peer_flags: DistFlags,
    /// The connection's flags: ours ∩ the peer's.
    pub flags: DistFlags,
    /// The peer's creation (its incarnation).
    pub peer_creation: u32,
    /// Whether we initiated the connection.
    pub initiated: bool,
    /// Whether the peer told us (acceptor answered `alive`, peer said `true`) that an
    /// existing connection to it is stale: the caller must drop that one first.
    pub replaces_existing: bool,
}

impl<S> Handshake<S> {
    /// Whether the connection is hidden (not both sides set `PUBLISHED`).
    pub fn is_hidden(&self) -> bool {
        !self.flags.contains(DistFlags::PUBLISHED)
    }
}

impl<S> fmt::Debug for Handshake<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handshake")
            .field("peer", &self.peer)
            .field("flags", &self.flags)
            .field("peer_creation", &self.peer_creation)
            .field("initiated", &self.initiated)
            .finish_non_exhaustive()
    }
}

/// A fresh challenge from the OS CSPRNG.
pub(crate) fn gen_challenge() -> Result<u32, HandshakeError> {
    getrandom::u32().map_err(HandshakeError::NoRandomness)
}
