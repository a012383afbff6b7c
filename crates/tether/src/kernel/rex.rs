//! `rex`: the rpc server, for callers that do not use spawn requests.
//!
//! Three forms reach it (docs/distribution.md §6.3):
//!
//! | request | reply |
//! |---|---|
//! | `$gen_call` `{call, M, F, A, GroupLeader}` (also `block_call`) | `Result` or `{badrpc, Reason}`, through `gen:reply` |
//! | `{From, {call, M, F, A, GroupLeader}}` (`ei_rpc` style) | `{rex, Result}` to `From` |
//! | `{From, features_request}` | `{features_reply, node(), [erpc]}` to `From` |
//! | `$gen_cast` `{cast, M, F, A, GroupLeader}` | none |
//!
//! Only functions in the node's [`Registry`](crate::dist::erpc::Registry) run; others
//! answer `{badrpc, notsup}`. Every node's registry starts with the read-only
//! functions of [`register_builtins`] (`erlang:node/0`, `erlang:whereis/1`,
//! `global:whereis_name/1`, ...), so BEAM tools and Elixir users can look at any
//! Tether node, not only at `tether node`. Each call runs in a process of its own, so a slow
//! function does not hold up the next request. Failures are reported as `rpc`
//! reports them: `error` as `{badrpc, {'EXIT', {Reason, []}}}`, `exit` as
//! `{badrpc, {'EXIT', Reason}}`, and a `throw` as the thrown value.

use tether_term::{Atom, Pid, Term};

use crate::dist::erpc::{self, Exception};
use crate::dist::node_monitor::{self, NodeKind};
use crate::otp::gen_call::{self, GenMsg};

fn parse_call(req: &Term) -> Option<(Atom, Atom, Vec<Term>)> {
    match req.as_tuple()? {
        [kind, Term::Atom(m), Term::Atom(f), a, _gl]
            if kind.is_atom("call") || kind.is_atom("block_call") || kind.is_atom("cast") =>
        {
            Some((m.clone(), f.clone(), a.as_list()?.to_vec()))
        }
        _ => None,
    }
}

fn badrpc(reason: Term) -> Term {
    Term::tuple([Term::atom("badrpc"), reason])
}

async fn run(m: Atom, f: Atom, args: Vec<Term>) -> Term {
    let exit = |r: Term| badrpc(Term::tuple([Term::atom("EXIT"), r]));
    match erpc::apply(&m, &f, args).await {
        None => badrpc(Term::atom("notsup")),
        Some(Ok(v)) => v,
        Some(Err(Exception::Throw(v))) => v,
        Some(Err(Exception::Exit(r))) => exit(r),
        Some(Err(Exception::Error(r))) => exit(Term::tuple([r, Term::nil()])),
    }
}

/// Starts the `rex` process, linked to the caller (the kernel supervisor).
pub(crate) fn start_link() -> tether_term::Pid {
    crate::SpawnOpts::new()
        .link()
        .name("rex")
        .spawn(async {
            loop {
                let msg: Term = crate::receive().await;
                match gen_call::classify(msg) {
                    GenMsg::Call(c) => match parse_call(&c.request) {
                        Some((m, f, a)) => {
                            crate::spawn(async move {
                                let result = run(m, f, a).await;
                                gen_call::reply(&c, result);
                            });
                        }
                        None => gen_call::reply(&c, badrpc(Term::atom("unknown_call"))),
                    },
                    GenMsg::Cast(req) => {
                        if let Some((m, f, a)) = parse_call(&req) {
                            crate::spawn(async move {
                                run(m, f, a).await;
                            });
                        }
                    }
                    GenMsg::Info(t) => info(t),
                }
            }
        })
        .pid
}

fn info(t: Term) {
    let Some([Term::Pid(from), req]) = t.as_tuple() else {
        return tracing::debug!(msg = %t, "rex: ignored message");
    };
    let from: Pid = *from;
    if req.is_atom("features_request") {
        let me = Term::Atom(tether_term::Node::local().name());
        let reply = Term::tuple([
            Term::atom("features_reply"),
            me,
            Term::list([Term::atom("erpc")]),
        ]);
        let _ = crate::send(from, reply);
    } else if let Some((m, f, a)) = parse_call(req) {
        crate::spawn(async move {
            let result = run(m, f, a).await;
            let _ = crate::send(from, Term::tuple([Term::atom("rex"), result]));
        });
    }
}

/// Registers the read-only functions every node answers, whatever the application
/// registers beside them: the ones BEAM tools and Elixir users reach for first.
///
/// | function | answer |
/// |---|---|
/// | `erlang:node/0` | this node's name |
/// | `erlang:nodes/0`, `erlang:nodes/1` (`visible`, `hidden`, `connected`, `this`, or a list of them) | the connected nodes, as `erlang:nodes/1` |
/// | `erlang:whereis/1` | the pid registered under an atom, or `undefined` |
/// | `erlang:registered/0` | the locally registered names |
/// | `erlang:is_process_alive/1` | whether a pid of this node is alive |
/// | `global:whereis_name/1` | the pid of a global name, or `undefined` |
/// | `global:registered_names/0` | the global names |
/// | `erlang:processes/0`, `process_info/1,2`, `system_info/1`, `memory/0,1`, `statistics/1`, `observer_backend:etop_collect/1` | see `kernel::introspect` |
pub(crate) fn register_builtins(rpc: &erpc::Registry) {
    let badarg = || Exception::Error(Term::atom("badarg"));
    rpc.register_sync("erlang", "node", 0, |_| {
        Ok(Term::Atom(tether_term::Node::local().name()))
    });
    rpc.register_sync("erlang", "nodes", 0, |_| {
        Ok(nodes_term(&[Some(NodeKind::Visible)]))
    });
    rpc.register_sync("erlang", "nodes", 1, move |args| {
        let kinds: Vec<Term> = match &args[0] {
            Term::Atom(_) => vec![args[0].clone()],
            t => t.as_list().ok_or_else(badarg)?.to_vec(),
        };
        let kinds = kinds
            .iter()
            .map(|k| match k.as_atom() {
                Some("visible") => Ok(Some(NodeKind::Visible)),
                Some("hidden") => Ok(Some(NodeKind::Hidden)),
                Some("connected") => Ok(Some(NodeKind::Connected)),
                Some("this") => Ok(None),
                _ => Err(badarg()),
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(nodes_term(&kinds))
    });
    rpc.register_sync("erlang", "whereis", 1, move |args| match &args[0] {
        Term::Atom(a) => Ok(crate::whereis(a.as_str())
            .map(Term::Pid)
            .unwrap_or(Term::atom("undefined"))),
        _ => Err(badarg()),
    });
    rpc.register_sync("erlang", "registered", 0, |_| {
        Ok(Term::list(crate::registered().into_iter().map(Term::Atom)))
    });
    rpc.register_sync("erlang", "is_process_alive", 1, move |args| {
        match &args[0] {
            Term::Pid(p) if p.node.is_local() => Ok(Term::from(crate::is_alive(*p))),
            _ => Err(badarg()),
        }
    });
    rpc.register_sync("global", "whereis_name", 1, |args| {
        Ok(crate::kernel::global::whereis_name(&args[0])
            .map(Term::Pid)
            .unwrap_or(Term::atom("undefined")))
    });
    rpc.register_sync("global", "registered_names", 0, |_| {
        Ok(Term::list(crate::kernel::global::registered_names()))
    });
    super::introspect::register(rpc);
}

/// The nodes of `kinds` without repeats, in the order asked; `None` is `this`.
fn nodes_term(kinds: &[Option<NodeKind>]) -> Term {
    let mut nodes: Vec<tether_term::Node> = Vec::new();
    for kind in kinds {
        let found = match kind {
            Some(kind) => node_monitor::nodes(*kind),
            None => vec![tether_term::Node::local()],
        };
        for n in found {
            if !nodes.contains(&n) {
                nodes.push(n);
            }
        }
    }
    Term::list(nodes.into_iter().map(|n| Term::Atom(n.name())))
}
