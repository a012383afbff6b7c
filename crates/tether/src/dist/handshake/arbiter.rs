//! Deciding between two connection attempts to the same node.
//!
//! When node A dials B while B dials A, each side's acceptor asks its node "am I
//! already connecting to this peer?". net_kernel's rule (`accept_pending` in OTP's
//! `net_kernel.erl`): if B has a pending outgoing attempt to A and `B > A` in Erlang
//! atom order, B answers `nok` and its own attempt wins; otherwise B abandons its own
//! attempt and answers `ok_simultaneous`. Both nodes compare the same two names the
//! same way, so exactly one connection survives. If B already has an *up* connection
//! to A it answers `alive` (A says whether that old connection is dead); if B is
//! already accepting from A the new attempt is dropped.
//!
//! The handshake cannot know the node's connection table, so it asks a
//! [`ConnectArbiter`], which the node implements over its table (atomically: look up,
//! decide and mark the peer as accepting in one step). [`decide_incoming`] holds the
//! rule so that implementations only report the state.

use crate::dist::node_name::NodeName;

/// What the local node knows about a peer when an incoming handshake names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerState {
    /// No connection and no attempt.
    Idle,
    /// We are dialing the peer ourselves (our handshake is not finished).
    Connecting,
    /// Another incoming handshake from the peer is already under way.
    Accepting,
    /// A connection to the peer is up.
    Up,
}

/// The acceptor's answer to an incoming attempt, sent as the handshake status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncomingDecision {
    /// `ok`: go on.
    Accept,
    /// `ok_simultaneous`: go on; the node has dropped its own outgoing attempt.
    AcceptSimultaneous,
    /// `nok`: our own outgoing attempt wins; refuse this one.
    Refuse,
    /// `alive`: a connection is up; ask the peer whether it is stale.
    Alive,
    /// Drop this attempt without a status (one is already being accepted).
    AlreadyPending,
}

/// net_kernel's rule for an incoming attempt from `peer` at node `local`.
///
/// ```
/// use tether::dist::NodeName;
/// use tether::dist::handshake::{decide_incoming, IncomingDecision, PeerState};
/// let a = NodeName::parse("a@h").unwrap();
/// let b = NodeName::parse("b@h").unwrap();
/// // b is dialing a while a dials b: at b, b > a so b's own attempt wins.
/// assert_eq!(decide_incoming(&b, &a, PeerState::Connecting), IncomingDecision::Refuse);
/// // at a, a < b so a yields.
/// assert_eq!(decide_incoming(&a, &b, PeerState::Connecting), IncomingDecision::AcceptSimultaneous);
/// ```
pub fn decide_incoming(local: &NodeName, peer: &NodeName, state: PeerState) -> IncomingDecision {
    match state {
        PeerState::Idle => IncomingDecision::Accept,
        PeerState::Connecting if local > peer => IncomingDecision::Refuse,
        PeerState::Connecting => IncomingDecision::AcceptSimultaneous,
        PeerState::Accepting => IncomingDecision::AlreadyPending,
        PeerState::Up => IncomingDecision::Alive,
    }
}

/// The node's side of simultaneous-connect resolution, consulted by the handshake.
///
/// The default methods suit a node with no connection table (every attempt is
/// accepted): [`AcceptAll`].
pub trait ConnectArbiter: Send + Sync {
    /// Called by the acceptor once `peer` has passed the name, allow-list and flag
    /// checks and before the status is sent. An implementation looks the peer up,
    /// applies [`decide_incoming`], and when it returns `Accept`/`AcceptSimultaneous`
    /// marks the peer as accepting (and, for `AcceptSimultaneous`, cancels its own
    /// outgoing attempt), all atomically.
    fn incoming(&self, local: &NodeName, peer: &NodeName) -> IncomingDecision {
        let _ = (local, peer);
        IncomingDecision::Accept
    }

    /// The accepting handshake with `peer` failed after [`ConnectArbiter::incoming`]
    /// accepted it: clear the "accepting" mark.
    fn incoming_failed(&self, peer: &NodeName) {
        let _ = peer;
    }

    /// The initiator got `alive`: is our attempt to `peer` still wanted (so the peer's
    /// old connection is stale)? `true` continues, `false` abandons.
    fn still_pending(&self, peer: &NodeName) -> bool {
        let _ = peer;
        true
    }
}

/// A [`ConnectArbiter`] that accepts every attempt.
#[derive(Debug, Default, Clone, Copy)]
pub struct AcceptAll;

impl ConnectArbiter for AcceptAll {}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> NodeName {
        NodeName::parse(s).unwrap()
    }

    #[test]
    fn exactly_one_side_wins() {
        let pairs = [
            ("a@h", "b@h"),
            ("tether@h", "beam@h"),
            ("Z@h", "a@h"),
            ("n1@h", "n@h"),
            ("é@h", "z@h"),
        ];
        for (x, y) in pairs {
            let (x, y) = (n(x), n(y));
            let at_x = decide_incoming(&x, &y, PeerState::Connecting);
            let at_y = decide_incoming(&y, &x, PeerState::Connecting);
            // Exactly one acceptor yields; the other refuses.
            assert_ne!(at_x, at_y, "{x} vs {y}");
            assert!(matches!(
                at_x,
                IncomingDecision::Refuse | IncomingDecision::AcceptSimultaneous
            ));
            // The greater node's own attempt is the one that survives.
            let winner_refuses = if x > y { at_x } else { at_y };
            assert_eq!(winner_refuses, IncomingDecision::Refuse);
        }
        assert_eq!(
            decide_incoming(&n("a@h"), &n("b@h"), PeerState::Up),
            IncomingDecision::Alive
        );
        assert_eq!(
            decide_incoming(&n("a@h"), &n("b@h"), PeerState::Idle),
            IncomingDecision::Accept
        );
    }
}
