//! # Tether: Erlang/OTP's process model for Rust
//!
//! Tether gives Rust what Erlang/OTP gives the BEAM: millions of cheap isolated
//! processes that talk only by messages, links and monitors that turn crashes into
//! signals, the OTP behaviours, and distribution in Erlang's own protocol, so that a
//! Tether node joins a real Erlang or Elixir cluster as a peer.
//!
//! The crate is layered; each layer uses only the ones below it:
//!
//! | Module | What it is |
//! |---|---|
//! | [`cluster`] | discovery: strategies (EPMD hosts, local EPMD, DNS A and SRV) and the service that connects to the nodes they find |
//! | [`kernel`] | the node services under `kernel_sup`: `net_kernel`, `rex`, [`global`](kernel::global), [`pg`](kernel::pg) |
//! | [`dist`] | EPMD, the handshake, connections, control messages, node monitoring, rpc/erpc clients |
//! | [`otp`] | GenServer, Supervisor, DynamicSupervisor, Task, Agent, Registry, GenStage |
//! | [`process`] | processes: spawn, mailboxes, signals, links, monitors, names, timers, aliases |
//! | [`term`] | the tether-term crate, re-exported: [`Term`], the External Term Format, term order ([`OrdTerm`]), and the serde bridge ([`to_term`], [`from_term`], [`from_term_ref`]) |
//!
//! **State belongs to a runtime.** Everything a node holds (its processes, names,
//! timers, connections, `global`'s and `pg`'s tables) lives in its [`Runtime`], which
//! code running on the runtime's threads finds as tokio code finds its runtime. Two
//! runtimes in one OS process are two separate nodes: each can register the same
//! names, and once distributed they connect to each other over loopback as two OS
//! processes would. So tests can run a runtime each, side by side, or a whole
//! cluster in one process.
//!
//! ## A tour
//!
//! A [`Runtime`] runs processes on tokio. A process is an `async` block spawned with
//! [`spawn`]; inside it, [`self_pid`], [`receive`] and friends work like Erlang's BIFs:
//!
//! ```
//! use tether::{Exit, ExitReason, Runtime};
//!
//! #[derive(Debug)]
//! enum Msg { Ping(tether::Pid), Stop }
//!
//! Runtime::new().unwrap().block_on(async {
//!     let server = tether::spawn(async {
//!         loop {
//!             match tether::receive::<Msg>().await {
//!                 Msg::Ping(from) => tether::send(from, "pong").unwrap(),
//!                 Msg::Stop => tether::exit_self(ExitReason::from("stopped")),
//!             }
//!         }
//!     });
//!     tether::send(server, Msg::Ping(tether::self_pid())).unwrap();
//!     assert_eq!(tether::receive::<&str>().await, "pong");
//!
//!     // Failure is a signal: trap exits and hear about the server's end.
//!     tether::trap_exit(true);
//!     tether::link(server).unwrap();
//!     tether::send(server, Msg::Stop).unwrap();
//!     let exit: Exit = tether::receive().await;
//!     assert_eq!(exit.reason, ExitReason::from("stopped"));
//! });
//! ```
//!
//! What a user does first, in order:
//!
//! 1. **Start a runtime** ([`Runtime::new`], or [`Runtime::builder`] for threads and
//!    logging) and run the program's first process with [`Runtime::block_on`] (or
//!    [`Runtime::run`] for a service that runs until it is stopped).
//! 2. **Spawn processes and pass messages** ([`process`]): [`spawn`], [`send`];
//!    messages are moved, not copied, between local processes. [`receive`] takes the
//!    next message of a type, [`receive_select`] any message a closure accepts, with
//!    [`receive_timeout`] / [`receive_select_timeout`] for `after`. Name processes
//!    with [`register`] / [`whereis`]; time with [`send_after`] and [`cancel_timer`].
//! 3. **Make failure a signal**: [`link`], [`monitor`], [`trap_exit`], [`exit`]
//!    follow Erlang's rules exactly (see the table on [`ExitReason`] and
//!    docs/semantics.md §1.3). A panic is just an exit reason ([`ExitReason::Panic`]).
//! 4. **Serve requests** with a [`GenServer`] ([`otp::gen_server`]: `start_link`,
//!    `call`, `cast`); for a bare piece of state, an [`Agent`](otp::agent::Agent);
//!    for one-off concurrent work, a [`Task`](otp::task::Task).
//! 5. **Supervise** them: a [`Supervisor`] ([`otp::supervisor`], every strategy and
//!    Erlang's restart intensity) of [`ChildSpec`]s, a [`DynamicSupervisor`] for
//!    children started on demand, [`otp::task_supervisor`] for supervised tasks.
//! 6. **Find processes** by key with a [`Registry`] ([`otp::registry`]), in groups
//!    with [`kernel::pg`], cluster-wide by name with [`kernel::global`].
//! 7. **Stream work with back-pressure** with GenStage ([`otp::gen_stage`]):
//!    producers, consumers, dispatchers, and a consumer supervisor.
//! 8. **Join a cluster** ([`dist`]): [`dist::start`] with a [`dist::NodeConfig`]
//!    makes the runtime a node that BEAM nodes can `Node.ping`, call with
//!    `GenServer.call({name, node}, req)` and `:rpc.call` (docs/distribution.md);
//!    sends, links and monitors to remote pids use the same functions as local ones.
//!    [`cluster`] finds and connects the other nodes (EPMD hosts, DNS, gossip);
//!    [`dist::erpc`] and [`dist::rpc`] call functions on them.
//!    [`DistNode::stop`](dist::DistNode::stop) (or dropping the runtime) stops the node.
//! 9. **Look inside** a running node: [`process_info`], [`processes`], and
//!    [`introspect`] for the node as a whole, [`metrics`] for Prometheus
//!    (docs/observability.md); [`sys`](otp::gen_server::sys) for a server's state.
//! 10. **Test** processes like any async code: each test builds its own [`Runtime`]
//!     (runtimes are independent nodes, so tests run side by side), and waits for
//!     messages with [`receive_timeout`] rather than sleeping.
//!
//! Terms (Erlang values: what crosses to other nodes) are in [`term`]: [`Term`],
//! [`to_term`] / [`from_term`] for serde types, and the External Term Format.
//!
//! The guide (`docs/guide` in the repository, an mdBook) teaches the same from the
//! start, for Rust developers and for Erlang and Elixir teams, with a table from
//! Erlang/Elixir functions to this API; its Rust snippets run as this crate's doc tests.

pub mod cluster;
pub mod dist;
#[cfg(doctest)]
mod guide_doctests;
pub mod introspect;
pub mod kernel;
pub mod metrics;
#[cfg(feature = "observer")]
pub mod observer;
pub mod otp;
pub mod process;
mod runtime;

pub use otp::gen_server::{self, GenServer};
pub use otp::supervisor::{ChildSpec, Supervisor};
pub use otp::{dynamic_supervisor::DynamicSupervisor, registry::Registry};
pub use process::*;
pub use runtime::{Builder, Runtime, Stopped, stop_runtime};
/// The term crate, tether-term, whole: everything about terms that the top-level
/// re-exports leave out (the codec, the Erlang-syntax parser, term order), so that
/// a user of `tether` needs no second dependency.
///
/// ```
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Serialize, Deserialize, Debug, PartialEq)]
/// enum Request { Put(String, i64), Get(String) }
///
/// let term = tether::to_term(&Request::Put("a".into(), 1)).unwrap();
/// assert_eq!(term.to_string(), r#"{put,<<"a">>,1}"#);
/// assert_eq!(tether::from_term_ref::<Request>(&term).unwrap(), Request::Put("a".into(), 1));
/// let bytes = tether::term::encode(&term).unwrap();
/// assert_eq!(tether::term::decode(&bytes).unwrap(), term);
/// ```
pub use tether_term as term;
pub use tether_term::{Atom, Node, OrdTerm, Pid, Reference, SerdeError, Term};
pub use tether_term::{from_term, from_term_ref, to_term};
