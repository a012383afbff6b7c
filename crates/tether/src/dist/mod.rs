//! Distribution: Erlang's wire protocol, so a Tether node is a peer in an Erlang or
//! Elixir cluster.
//!
//! This module holds the network-facing foundations, which need no process layer:
//!
//! | module | what |
//! |---|---|
//! | [`epmd`] | the port mapper: client (register, look up, list) and an async server |
//! | [`handshake`] | the version 6 handshake as initiator and acceptor |
//! | [`framing`] | the connected phase: 4-byte frames, ticks, batched writes, atom-cache headers and fragments |
//! | [`flags`] | the `DFLAG_*` capability flags and what Tether advertises |
//! | [`cookie`] | cookies, per-node overrides and the challenge digest |
//! | [`node_name`] | validated `name@host` names and Erlang's atom order |
//!
//! A connection's life: register with EPMD ([`epmd::EpmdClient::register`]) to get a
//! creation; dial a peer found with [`epmd::EpmdClient::port_please`] and run
//! [`handshake::connect`], or accept and run [`handshake::accept`]; then
//! [`framing::split`] the stream into a frame reader and a ticking writer task.
//!
//! Everything here reads untrusted bytes: every length is checked before use, every
//! buffer is bounded, every network step has a timeout, and a bad peer only ever
//! closes its own connection.

pub mod cookie;
pub mod epmd;
pub mod flags;
pub mod framing;
pub mod handshake;
pub mod node_name;

pub use cookie::{Cookie, Cookies};
pub use flags::DistFlags;
pub use handshake::{AllowList, Handshake, HandshakeConfig, HandshakeError};
pub use node_name::NodeName;
