//! Demo services of `tether node`, also used by the interop tests.
//!
//! - `echo`: answers `{From, Msg}` by sending `Msg` to `From`.
//! - `kv`: a key-value server speaking the `gen_server` protocol: calls
//!   `{put, K, V}` → `ok`, `{get, K}` → `{ok, V}` | `error`, `{delete, K}` → `ok`;
//!   the cast `{put, K, V}`. Keys are any terms, compared with Erlang's `==`
//!   semantics of term order (`OrdTerm`).
//!   It registers itself globally as `{kv, NodeName}` (NodeName the node's atom) and
//!   joins the `pg` group `kv` in the default scope `pg`, which [`start`] runs.
//! - rpc functions `tether:ping/0` → `pong`, `erlang:node/0`, `erlang:whereis/1`,
//!   `global:whereis_name/1`, `global:registered_names/0`.
//!
//! [`start`] runs both servers under a small *keeper* process that traps exits and
//! restarts a server that dies (at most [`MAX_RESTARTS`] within [`RESTART_WINDOW`],
//! then the keeper gives up and exits). It stands in for a one-for-one Supervisor and
//! will be replaced by the real one.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use tether_term::order::OrdTerm;
use tether_term::{Atom, Term};

use super::gen_call::{self, GenMsg};
use super::node::DistNode;
use crate::otp::pg;
use crate::{Exit, ExitReason, Pid, SpawnOpts};

/// Restarts allowed within [`RESTART_WINDOW`] before the keeper gives up.
pub const MAX_RESTARTS: usize = 10;
/// The window for [`MAX_RESTARTS`].
pub const RESTART_WINDOW: Duration = Duration::from_secs(5);

/// Registers the demo rpc functions, starts the default `pg` scope if it is not
/// running, and starts `echo` and `kv` under a keeper. Returns the keeper's pid.
pub async fn start(node: &DistNode) -> Pid {
    let rpc = node.rpc();
    rpc.register_sync("tether", "ping", 0, |_| Ok(Term::atom("pong")));
    rpc.register_sync("erlang", "node", 0, |_| {
        Ok(Term::Atom(tether_term::Node::local().name()))
    });
    rpc.register_sync("erlang", "whereis", 1, |args| match &args[0] {
        Term::Atom(a) => Ok(crate::whereis(a.as_str())
            .map(Term::Pid)
            .unwrap_or(Term::atom("undefined"))),
        _ => Err(super::erpc::Exception::Error(Term::atom("badarg"))),
    });
    rpc.register_sync("global", "whereis_name", 1, |args| {
        Ok(super::global::whereis_name(&args[0])
            .map(Term::Pid)
            .unwrap_or(Term::atom("undefined")))
    });
    rpc.register_sync("global", "registered_names", 0, |_| {
        Ok(Term::list(super::global::registered_names()))
    });
    if crate::whereis(pg::DEFAULT_SCOPE).is_none() {
        let _ = pg::start(pg::DEFAULT_SCOPE).await;
    }
    crate::spawn(keeper())
}

/// The global name of a node's `kv` server: `{kv, NodeName}`.
pub fn kv_global_name(node: tether_term::Node) -> Term {
    Term::tuple([Term::atom("kv"), Term::Atom(node.name())])
}

type Service = fn() -> Pid;

fn start_echo() -> Pid {
    SpawnOpts::new().link().name("echo").spawn(echo()).pid
}

fn start_kv() -> Pid {
    SpawnOpts::new().link().name("kv").spawn(kv()).pid
}

async fn keeper() {
    crate::trap_exit(true);
    let services: [(&str, Service); 2] = [("echo", start_echo), ("kv", start_kv)];
    let mut pids: Vec<Pid> = services.iter().map(|(_, s)| s()).collect();
    let mut restarts: VecDeque<Instant> = VecDeque::new();
    loop {
        let exit: Exit = crate::receive().await;
        let Some(i) = pids.iter().position(|p| *p == exit.from) else {
            if exit.reason != ExitReason::Normal {
                crate::exit_self(exit.reason);
            }
            continue;
        };
        let now = Instant::now();
        restarts.push_back(now);
        while restarts
            .front()
            .is_some_and(|t| now.duration_since(*t) > RESTART_WINDOW)
        {
            restarts.pop_front();
        }
        if restarts.len() > MAX_RESTARTS {
            tracing::error!("demo services restarted too often; giving up");
            crate::exit_self(ExitReason::Shutdown);
        }
        tracing::warn!(service = services[i].0, reason = %exit.reason, "demo service died; restarting");
        pids[i] = services[i].1();
    }
}

async fn echo() {
    loop {
        let msg: Term = crate::receive().await;
        match msg.as_tuple() {
            Some([Term::Pid(from), m]) => {
                let _ = crate::send(*from, m.clone());
            }
            _ => tracing::debug!(%msg, "echo: not {{From, Msg}}"),
        }
    }
}

fn kv_apply(store: &mut BTreeMap<OrdTerm, Term>, req: &Term) -> Option<Term> {
    let ok = || Term::atom("ok");
    match req.as_tuple()? {
        [op, k, v] if op.is_atom("put") => {
            store.insert(OrdTerm(k.clone()), v.clone());
            Some(ok())
        }
        [op, k] if op.is_atom("get") => Some(match store.get(&OrdTerm(k.clone())) {
            Some(v) => Term::tuple([ok(), v.clone()]),
            None => Term::atom("error"),
        }),
        [op, k] if op.is_atom("delete") => {
            store.remove(&OrdTerm(k.clone()));
            Some(ok())
        }
        _ => None,
    }
}

async fn kv() {
    let me = crate::self_pid();
    // re_register: a restarted kv takes the name over even before the old owner's
    // DOWN has been processed.
    super::global::re_register_name(kv_global_name(tether_term::Node::local()), me).await;
    let _ = pg::join(pg::DEFAULT_SCOPE, Term::atom("kv"), &[me]).await;
    let mut store = BTreeMap::new();
    loop {
        let msg: Term = crate::receive().await;
        match gen_call::classify(msg) {
            GenMsg::Call(c) => {
                let reply = kv_apply(&mut store, &c.request)
                    .unwrap_or_else(|| Term::tuple([Term::atom("error"), Term::atom("badarg")]));
                gen_call::reply(&c, reply);
            }
            GenMsg::Cast(req) => {
                if kv_apply(&mut store, &req).is_none() {
                    tracing::debug!(%req, "kv: bad cast");
                }
            }
            GenMsg::Info(t) => tracing::debug!(msg = %t, "kv: ignored message"),
        }
    }
}

/// The name the demo services are registered under.
pub fn names() -> [Atom; 2] {
    [Atom::new("echo"), Atom::new("kv")]
}
