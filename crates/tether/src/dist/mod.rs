//! Distribution: Erlang's wire protocol, so a Tether node is a peer in an Erlang or
//! Elixir cluster.
//!
//! Start a node with [`start`] and a [`NodeConfig`]; from then on `send`, `link`,
//! `monitor` and `exit` take remote pids and `{name, node}` exactly as local ones
//! (the first signal to a node connects to it), and BEAM nodes can ping the node,
//! call its processes with `gen_server:call`, link to them, and call registered
//! functions with `rpc`/`erpc`.
//!
//! ```no_run
//! use std::time::Duration;
//! use tether::{Node, Term};
//! use tether::dist::{self, NodeConfig};
//!
//! tether::Runtime::new().unwrap().block_on(async {
//!     let node = dist::start(NodeConfig::new("tether").cookie("secret")).await.unwrap();
//!     let beam = Node::intern("beam@localhost").unwrap();
//!     let pong = dist::call(("net_kernel", beam), "{is_auth, x@y}".parse().unwrap(), Duration::from_secs(5)).await;
//!     let rev = dist::rpc::call(beam, "lists", "reverse", vec!["[1,2,3]".parse().unwrap()], Duration::from_secs(5)).await;
//!     # let _ = (node, pong, rev);
//! });
//! ```
//!
//! | module | what |
//! |---|---|
//! | [`node`] | starting a node: name, cookie, listener, EPMD modes |
//! | `remote` | the connection table, on-demand connect, the process layer's `RemoteSignals` |
//! | `connection` | one peer: reader task, writer, teardown with `noconnection` |
//! | `control`, `wire` | control messages; frames (pass-through, dist header, fragments) |
//! | `incoming`, `outgoing` | link/monitor bookkeeping both ways (the UNLINK_ID state machine) |
//! | [`node_monitor`] | `monitor_node`, `monitor_nodes`, `nodes()` |
//! | [`erpc`] | the registry of functions that rpc and erpc requests may run |
//! | [`call()`], [`rpc`], [`erpc::call`] | clients: `gen_server` calls, rpc, erpc |
//! | `limits` | what a peer can make the node hold: limits, their defaults, the hit counters |
//! | [`epmd`], `handshake`, `framing`, [`flags`], [`cookie`], [`node_name`] | the foundations |
//!
//! The handshake, framing and control modules are public only with the cargo feature
//! `wire`: they are the protocol's building blocks, for test peers, proxies and
//! fuzzers that speak it at its own level (this repository's interop tests and fuzz
//! targets use them so). An application that uses nodes needs none of them; their
//! types that a node's configuration names ([`HandshakeConfig`], [`AllowList`],
//! [`HandshakeError`], ...) are re-exported here. [`flags`] stays public because a
//! user reads a peer's capabilities in it ([`DistFlags`]).
//!
//! Everything here reads untrusted bytes: every length is checked before use, every
//! buffer is bounded, every network step has a timeout, and a bad peer only ever
//! closes its own connection.

pub mod call;
mod connection;
#[cfg(feature = "wire")]
pub mod control;
#[cfg(not(feature = "wire"))]
#[allow(dead_code, unused_imports)] // parts only the `wire` feature's users call
pub(crate) mod control;
pub mod cookie;
pub mod epmd;
pub mod erpc;
pub mod flags;
#[cfg(feature = "wire")]
pub mod framing;
#[cfg(not(feature = "wire"))]
#[allow(dead_code, unused_imports)] // parts only the `wire` feature's users call
pub(crate) mod framing;
#[cfg(test)]
mod fuzzing;
#[cfg(feature = "wire")]
pub mod handshake;
#[cfg(not(feature = "wire"))]
#[allow(dead_code, unused_imports)] // parts only the `wire` feature's users call
pub(crate) mod handshake;
pub mod host;
mod incoming;
pub(crate) mod limits;
pub mod node;
pub mod node_monitor;
pub mod node_name;
mod outgoing;
mod remote;
mod router;
pub mod rpc;
mod tls;
mod wire;

pub use call::{CallError, call};
pub use cookie::{Cookie, Cookies};
pub use erpc::{ErpcError, Exception};
pub use flags::DistFlags;
pub use framing::DEFAULT_BUSY_LIMIT;
pub use handshake::{AllowList, Handshake, HandshakeConfig, HandshakeError};
pub use incoming::SpawnReply;
pub use limits::ConnectionRate;
pub use node::{DistNode, EpmdMode, NodeConfig, NodeStartError, OutputQueue, start};
pub use node_monitor::{
    NodeEvent, NodeKind, NotAlive, connect_node, disconnect_node, monitor_node, monitor_nodes,
    nodes,
};
pub use node_name::NodeName;
pub use rpc::RpcError;
pub use tls::{TlsConfig, TlsError};
