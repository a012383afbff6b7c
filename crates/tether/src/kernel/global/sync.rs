//! `global:sync/0,1` and the mesh-building half of a join.
//!
//! A *syncer* waits until each node it was given has finished a join with us (the
//! name server sends it [`Synced`]) or gone down (`monitor_node`), then answers the
//! caller. [`sync_others`] connects to the nodes a peer knows and tells their name
//! servers `{in_sync, node(), true}`, which is how `global` (with OTP's default
//! `connect_all`) makes a cluster fully connected.

use tether_term::{Node, Term};
use tokio::sync::oneshot;

use super::{GNS, node_atom};
use crate::Pid;
use crate::dist::NodeEvent;

/// From the name server to syncers: these nodes are synced.
pub(crate) struct Synced(pub Vec<Node>);

/// Starts a syncer for `nodes`; `reply` fires when all are synced or down.
pub(crate) fn start_syncer(nodes: Vec<Node>, reply: oneshot::Sender<()>) -> Pid {
    crate::spawn(async move {
        let mut left = nodes;
        for n in &left {
            let _ = crate::dist::monitor_node(*n, true);
        }
        while !left.is_empty() {
            let m = crate::receive_any().await;
            let m = match m.downcast::<Synced>() {
                Ok(Synced(done)) => {
                    for n in done {
                        if left.contains(&n) {
                            let _ = crate::dist::monitor_node(n, false);
                            left.retain(|x| *x != n);
                        }
                    }
                    continue;
                }
                Err(m) => m,
            };
            if let Ok(NodeEvent::Down(n)) = m.downcast::<NodeEvent>() {
                left.retain(|x| *x != n);
            }
        }
        let _ = reply.send(());
    })
}

/// Connects to each node and casts `{in_sync, node(), true}` to its name server.
pub(crate) fn sync_others(nodes: &[Node]) {
    for &n in nodes {
        if n.is_local() {
            continue;
        }
        crate::spawn(async move {
            let msg = Term::tuple([
                Term::atom("in_sync"),
                node_atom(Node::local()),
                Term::atom("true"),
            ]);
            if crate::dist::connect_node(n).await {
                let _ = crate::send((GNS, n), Term::tuple([Term::atom("$gen_cast"), msg]));
            } else {
                crate::runtime::logger::report_warn!(node = %n, "global: failed to connect");
            }
        });
    }
}
