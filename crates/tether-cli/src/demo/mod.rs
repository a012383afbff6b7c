//! The demo services of `tether node`, also used by the interop tests: an example of
//! services that Erlang and Elixir nodes use.
//!
//! - `echo`: a plain process that answers `{From, Msg}` by sending `Msg` to `From`.
//! - `kv`: a key-value [`GenServer`](tether::GenServer) that BEAM nodes call with
//!   `gen_server:call/2,3` and `gen_server:cast/2`: see [`kv`] for how a remotely
//!   callable server decodes its requests and encodes its replies. It registers
//!   globally as `{kv, NodeName}` and joins the `pg` group `kv` in the default scope
//!   `pg`, which [`start`] runs.
//! - GenStage stages ([`stages`]): the producer `numbers` (0, 1, 2, ... on demand)
//!   and the consumer `sink` (`:stats` → `{Count, Sum}`).
//! - the rpc function `tether:ping/0` → `pong` (beside the read-only functions every
//!   node answers, such as `erlang:whereis/1` and `global:whereis_name/1`).
//!
//! [`start`] runs `echo` and `kv` under a one-for-one [`Supervisor`] registered as
//! [`SUPERVISOR`], which restarts either under its name when it dies (up to
//! [`MAX_RESTARTS`] restarts within [`MAX_SECONDS`]).

pub mod kv;
pub mod stages;

pub use kv::global_name as kv_global_name;

use tether::dist::DistNode;
use tether::gen_server::{self, StartOpts};
use tether::kernel::pg;
use tether::otp::gen_stage;
use tether::otp::supervisor::Strategy;
use tether::{Atom, ChildSpec, ExitReason, Pid, SpawnOpts, Supervisor, Term};

/// The name of the supervisor of the demo services.
pub const SUPERVISOR: &str = "tether_demo_sup";
/// Restarts the supervisor allows within [`MAX_SECONDS`] before it gives up.
pub const MAX_RESTARTS: u32 = 100;
/// The window of [`MAX_RESTARTS`], in seconds.
pub const MAX_SECONDS: u64 = 5;

/// Registers the demo rpc functions, starts the default `pg` scope if it is not
/// running, and starts `echo` and `kv` under the demo supervisor. Returns the
/// supervisor's pid.
///
/// The supervisor is not linked to the caller: it outlives it.
///
/// # Panics
///
/// Outside a process, or if the services cannot start (say, because their names
/// are taken).
pub async fn start(node: &DistNode) -> Pid {
    register_rpc(node);
    if tether::whereis(pg::DEFAULT_SCOPE).is_none() {
        let _ = pg::start(pg::DEFAULT_SCOPE).await;
    }
    let sup = Supervisor::new(Strategy::OneForOne)
        .name(SUPERVISOR)
        .max_restarts(MAX_RESTARTS)
        .max_seconds(MAX_SECONDS)
        .child(ChildSpec::new("echo", || async {
            Ok(Some(SpawnOpts::new().link().name("echo").spawn(echo()).pid))
        }))
        .child(ChildSpec::new("numbers", || async {
            let started =
                gen_stage::start_link::<stages::Numbers>((), StartOpts::new().name("numbers"))
                    .await;
            started.map(|s| Some(s.pid())).map_err(ExitReason::from)
        }))
        .child(ChildSpec::new("sink", || async {
            let started =
                gen_stage::start_link::<stages::Sink>((), StartOpts::new().name("sink")).await;
            started.map(|s| Some(s.pid())).map_err(ExitReason::from)
        }))
        .child(ChildSpec::new("kv", || async {
            match gen_server::start_link::<kv::Kv>((), StartOpts::new().name("kv")).await {
                Ok(kv) => Ok(Some(kv.pid())),
                Err(e) => Err(e.into()),
            }
        }))
        .start_link()
        .await
        .expect("the demo services start");
    tether::unlink(sup);
    sup
}

fn register_rpc(node: &DistNode) {
    node.rpc()
        .register_sync("tether", "ping", 0, |_| Ok(Term::atom("pong")));
}

/// `echo`: answers `{From, Msg}` by sending `Msg` to `From`.
async fn echo() {
    loop {
        let msg: Term = tether::receive().await;
        match msg.as_tuple() {
            Some([Term::Pid(from), m]) => {
                let _ = tether::send(*from, m.clone());
            }
            _ => tracing::debug!(%msg, "echo: not {{From, Msg}}"),
        }
    }
}

/// The names the demo services are registered under.
pub fn names() -> [Atom; 4] {
    [
        Atom::new("echo"),
        Atom::new("kv"),
        Atom::new("numbers"),
        Atom::new("sink"),
    ]
}
