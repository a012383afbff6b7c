//! The node's connections to other nodes, with their traffic.

use std::sync::atomic::Ordering;
use std::time::SystemTime;

use crate::dist::DistFlags;
use crate::dist::NodeName;

/// One live connection to a peer node (see [`connections`]).
#[derive(Clone, Debug)]
pub struct ConnectionInfo {
    /// The peer's name.
    pub peer: NodeName,
    /// The flags negotiated in the handshake.
    pub flags: DistFlags,
    /// Whether the connection is hidden (the peer is not in `nodes()`).
    pub hidden: bool,
    /// Whether it runs over TLS.
    pub tls: bool,
    /// When it was set up.
    pub since: SystemTime,
    /// Control messages received (a fragmented message counts once).
    pub messages_in: u64,
    /// Control messages sent.
    pub messages_out: u64,
    /// Bytes received, frames' length prefixes and ticks left out.
    pub bytes_in: u64,
    /// Bytes sent, frames' length prefixes and ticks left out.
    pub bytes_out: u64,
}

/// The node's live connections (empty if the runtime is not a distributed node).
///
/// ```
/// use tether::Runtime;
/// Runtime::new().unwrap().block_on(async {
///     assert!(tether::introspect::connections().is_empty());
/// });
/// ```
pub fn connections() -> Vec<ConnectionInfo> {
    let Some(node) = crate::dist::node::inner() else {
        return Vec::new();
    };
    let mut out: Vec<ConnectionInfo> = node
        .table
        .conns()
        .iter()
        .map(|c| {
            let t = &c.traffic;
            ConnectionInfo {
                peer: c.name.clone(),
                flags: c.flags,
                hidden: c.hidden,
                tls: c.tls,
                since: c.since,
                messages_in: t.messages_in.load(Ordering::Relaxed),
                messages_out: t.messages_out.load(Ordering::Relaxed),
                bytes_in: t.bytes_in.load(Ordering::Relaxed),
                bytes_out: t.bytes_out.load(Ordering::Relaxed),
            }
        })
        .collect();
    out.sort_by(|a, b| a.peer.as_str().cmp(b.peer.as_str()));
    out
}
