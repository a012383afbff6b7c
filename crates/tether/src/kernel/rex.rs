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
//! Only functions in the node's [`Registry`](super::erpc::Registry) run; others
//! answer `{badrpc, notsup}`. Each call runs in a process of its own, so a slow
//! function does not hold up the next request. Failures are reported as `rpc`
//! reports them: `error` as `{badrpc, {'EXIT', {Reason, []}}}`, `exit` as
//! `{badrpc, {'EXIT', Reason}}`, and a `throw` as the thrown value.

use tether_term::{Atom, Pid, Term};

use crate::dist::erpc::{self, Exception};
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
