//! Node monitors: `monitor_node/2`, `net_kernel:monitor_nodes/1,2` and `nodes/0,1`.
//!
//! Two kinds of watchers, as in OTP (docs/semantics.md §1.6):
//!
//! - [`monitor_node`]`(node, true)` adds one monitor (they stack) on one node and
//!   connects to it if needed; the watcher receives [`NodeEvent::Down`] once when the
//!   connection fails or cannot be established, and the monitor is gone.
//! - [`monitor_nodes`]`(true, hidden)` subscribes to every `Up` and `Down`; `Up` is
//!   delivered before any signal that arrives over the new connection (the
//!   connection's reader starts after it), `Down` after the connection is out of
//!   [`nodes`]. Like OTP's default, only visible nodes are reported unless `hidden`.
//!
//! Events are ordinary messages of type [`NodeEvent`]. A watcher that has exited is
//! dropped the first time an event cannot be delivered to it.

use std::collections::HashMap;
use std::sync::Mutex;

use tether_term::{Node, Pid};

use super::node::inner;
use crate::process::inject;
use crate::self_pid as current_pid;

/// A node came up or went down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeEvent {
    /// `{nodeup, Node}`.
    Up(Node),
    /// `{nodedown, Node}`.
    Down(Node),
}

/// Which connected nodes [`nodes`] lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    /// Visible nodes (`nodes()`).
    Visible,
    /// Hidden ones (`nodes(hidden)`).
    Hidden,
    /// All (`nodes(connected)`).
    Connected,
}

#[derive(Default)]
struct Watchers {
    per_node: HashMap<Node, Vec<Pid>>,
    all: Vec<(Pid, bool)>,
}

/// The node's watchers.
#[derive(Default)]
pub(crate) struct NodeMonitors(Mutex<Watchers>);

impl NodeMonitors {
    fn lock(&self) -> std::sync::MutexGuard<'_, Watchers> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn node_up(&self, node: Node, hidden: bool) {
        let mut w = self.lock();
        w.all.retain(|(p, with_hidden)| {
            if hidden && !with_hidden {
                return true;
            }
            inject::value(*p, NodeEvent::Up(node))
        });
    }

    pub fn node_down(&self, node: Node, hidden: bool) {
        let mut w = self.lock();
        for p in w.per_node.remove(&node).unwrap_or_default() {
            inject::value(p, NodeEvent::Down(node));
        }
        w.all.retain(|(p, with_hidden)| {
            if hidden && !with_hidden {
                return true;
            }
            inject::value(*p, NodeEvent::Down(node))
        });
    }

    /// An attempt to connect failed: only `monitor_node` watchers hear of it.
    pub fn connect_failed(&self, node: Node) {
        let mut w = self.lock();
        for p in w.per_node.remove(&node).unwrap_or_default() {
            inject::value(p, NodeEvent::Down(node));
        }
    }
}

/// The node is not distributed (Erlang's `notalive`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotAlive;

impl std::fmt::Display for NotAlive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("notalive: the node is not distributed")
    }
}

impl std::error::Error for NotAlive {}

/// `erlang:monitor_node(Node, Flag)` for the calling process.
///
/// # Panics
///
/// Outside a process.
///
/// ```
/// # use std::time::Duration;
/// # use tether::dist::{self, EpmdMode, NodeConfig};
/// # let local = |name: &str| NodeConfig::new(format!("{name}@127.0.0.1")).cookie("doc")
/// #     .listen("127.0.0.1".parse().unwrap()).epmd(EpmdMode::None);
/// # let b_rt = tether::Runtime::new().unwrap();
/// # let cfg_b = local("doc_mon_b");
/// # let b = b_rt.block_on(async move { dist::start(cfg_b).await.unwrap() });
/// # let b_addr = std::net::SocketAddr::from(([127, 0, 0, 1], b.port()));
/// # tether::Runtime::new().unwrap().block_on(async move {
/// let a = dist::start(local("doc_mon_a").peer_address("doc_mon_b@127.0.0.1", b_addr)).await.unwrap();
/// let b_node = tether::Node::intern("doc_mon_b@127.0.0.1").unwrap();
/// use tether::dist::NodeEvent;
/// assert!(dist::connect_node(b_node).await);
/// dist::monitor_node(b_node, true).unwrap();
/// dist::disconnect_node(b_node);
/// assert_eq!(tether::receive::<NodeEvent>().await, NodeEvent::Down(b_node));
/// # a.stop().await;
/// # });
/// # drop(b_rt);
/// ```
pub fn monitor_node(node: Node, on: bool) -> Result<(), NotAlive> {
    let n = inner().ok_or(NotAlive)?;
    let node = node.canonical();
    let me = current_pid();
    if node.is_local() {
        return Ok(());
    }
    {
        let mut w = n.monitors.lock();
        let list = w.per_node.entry(node).or_default();
        if on {
            list.push(me);
        } else if let Some(i) = list.iter().position(|p| *p == me) {
            list.remove(i);
        }
    }
    if on {
        n.ensure_connecting(node);
    }
    Ok(())
}

/// `net_kernel:monitor_nodes(Flag, [{node_type, all}])` for the calling process:
/// `hidden` includes hidden nodes.
///
/// ```
/// # use std::time::Duration;
/// # use tether::dist::{self, EpmdMode, NodeConfig};
/// # let local = |name: &str| NodeConfig::new(format!("{name}@127.0.0.1")).cookie("doc")
/// #     .listen("127.0.0.1".parse().unwrap()).epmd(EpmdMode::None);
/// # let b_rt = tether::Runtime::new().unwrap();
/// # let cfg_b = local("doc_mons_b");
/// # let b = b_rt.block_on(async move { dist::start(cfg_b).await.unwrap() });
/// # let b_addr = std::net::SocketAddr::from(([127, 0, 0, 1], b.port()));
/// # tether::Runtime::new().unwrap().block_on(async move {
/// let a = dist::start(local("doc_mons_a").peer_address("doc_mons_b@127.0.0.1", b_addr)).await.unwrap();
/// let b_node = tether::Node::intern("doc_mons_b@127.0.0.1").unwrap();
/// use tether::dist::NodeEvent;
/// dist::monitor_nodes(true, false).unwrap();
/// assert!(dist::connect_node(b_node).await);
/// assert_eq!(tether::receive::<NodeEvent>().await, NodeEvent::Up(b_node));
/// # a.stop().await;
/// # });
/// # drop(b_rt);
/// ```
pub fn monitor_nodes(on: bool, hidden: bool) -> Result<(), NotAlive> {
    let n = inner().ok_or(NotAlive)?;
    let me = current_pid();
    let mut w = n.monitors.lock();
    if on {
        w.all.push((me, hidden));
    } else if let Some(i) = w.all.iter().position(|(p, _)| *p == me) {
        w.all.remove(i);
    }
    Ok(())
}

/// The connected nodes of a kind (`nodes/0,1`); empty when not distributed.
///
/// ```
/// # use std::time::Duration;
/// # use tether::dist::{self, EpmdMode, NodeConfig};
/// # let local = |name: &str| NodeConfig::new(format!("{name}@127.0.0.1")).cookie("doc")
/// #     .listen("127.0.0.1".parse().unwrap()).epmd(EpmdMode::None);
/// # let b_rt = tether::Runtime::new().unwrap();
/// # let cfg_b = local("doc_nodes_b");
/// # let b = b_rt.block_on(async move { dist::start(cfg_b).await.unwrap() });
/// # let b_addr = std::net::SocketAddr::from(([127, 0, 0, 1], b.port()));
/// # tether::Runtime::new().unwrap().block_on(async move {
/// let a = dist::start(local("doc_nodes_a").peer_address("doc_nodes_b@127.0.0.1", b_addr)).await.unwrap();
/// let b_node = tether::Node::intern("doc_nodes_b@127.0.0.1").unwrap();
/// use tether::dist::NodeKind;
/// assert!(dist::nodes(NodeKind::Visible).is_empty());
/// dist::connect_node(b_node).await;
/// assert_eq!(dist::nodes(NodeKind::Visible), [b_node]);
/// assert!(dist::nodes(NodeKind::Hidden).is_empty());
/// # a.stop().await;
/// # });
/// # drop(b_rt);
/// ```
pub fn nodes(kind: NodeKind) -> Vec<Node> {
    let Some(n) = inner() else { return Vec::new() };
    n.table
        .conns()
        .into_iter()
        .filter(|c| match kind {
            NodeKind::Visible => !c.hidden,
            NodeKind::Hidden => c.hidden,
            NodeKind::Connected => true,
        })
        .map(|c| c.peer)
        .collect()
}

/// Connects to `node` and waits for the result (`net_kernel:connect_node/1`).
///
/// ```
/// # use std::time::Duration;
/// # use tether::dist::{self, EpmdMode, NodeConfig};
/// # let local = |name: &str| NodeConfig::new(format!("{name}@127.0.0.1")).cookie("doc")
/// #     .listen("127.0.0.1".parse().unwrap()).epmd(EpmdMode::None);
/// # let b_rt = tether::Runtime::new().unwrap();
/// # let cfg_b = local("doc_conn_b");
/// # let b = b_rt.block_on(async move { dist::start(cfg_b).await.unwrap() });
/// # let b_addr = std::net::SocketAddr::from(([127, 0, 0, 1], b.port()));
/// # tether::Runtime::new().unwrap().block_on(async move {
/// let a = dist::start(local("doc_conn_a").peer_address("doc_conn_b@127.0.0.1", b_addr)).await.unwrap();
/// let b_node = tether::Node::intern("doc_conn_b@127.0.0.1").unwrap();
/// assert!(dist::connect_node(b_node).await);
/// let nobody = tether::Node::intern("nobody@127.0.0.1").unwrap();
/// assert!(!dist::connect_node(nobody).await); // no such node: false, no panic
/// # a.stop().await;
/// # });
/// # drop(b_rt);
/// ```
pub async fn connect_node(node: Node) -> bool {
    let node = node.canonical();
    match inner() {
        Some(n) => n.connect_node(node).await,
        None => false,
    }
}

/// Closes the connection to `node`, if any (`erlang:disconnect_node/1`).
///
/// ```
/// # use std::time::Duration;
/// # use tether::dist::{self, EpmdMode, NodeConfig};
/// # let local = |name: &str| NodeConfig::new(format!("{name}@127.0.0.1")).cookie("doc")
/// #     .listen("127.0.0.1".parse().unwrap()).epmd(EpmdMode::None);
/// # let b_rt = tether::Runtime::new().unwrap();
/// # let cfg_b = local("doc_disc_b");
/// # let b = b_rt.block_on(async move { dist::start(cfg_b).await.unwrap() });
/// # let b_addr = std::net::SocketAddr::from(([127, 0, 0, 1], b.port()));
/// # tether::Runtime::new().unwrap().block_on(async move {
/// let a = dist::start(local("doc_disc_a").peer_address("doc_disc_b@127.0.0.1", b_addr)).await.unwrap();
/// let b_node = tether::Node::intern("doc_disc_b@127.0.0.1").unwrap();
/// use tether::dist::NodeKind;
/// use tether::dist::NodeEvent;
/// dist::connect_node(b_node).await;
/// dist::monitor_node(b_node, true).unwrap();
/// assert!(dist::disconnect_node(b_node));
/// assert_eq!(tether::receive::<NodeEvent>().await, NodeEvent::Down(b_node));
/// assert!(!dist::nodes(NodeKind::Visible).contains(&b_node));
/// # a.stop().await;
/// # });
/// # drop(b_rt);
/// ```
pub fn disconnect_node(node: Node) -> bool {
    let node = node.canonical();
    match inner().and_then(|n| n.table.conn(node)) {
        Some(c) => {
            c.stop();
            true
        }
        None => false,
    }
}
