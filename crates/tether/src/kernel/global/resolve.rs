//! Name exchange and conflict resolution.
//!
//! For every new peer the name server starts a *resolver*. Once both lockers hold the
//! `global` lock, the peer's name list `[{Name, Pid, Method}]` reaches the resolver,
//! which compares it with our table ([`exchange_names`]):
//!
//! - a name we do not have: insert it here (an *op*);
//! - the same name with the same pid: nothing;
//! - the same name with another pid: only the side whose node name sorts lower
//!   resolves (the other side skips it and gets the verdict back). It asks the node of
//!   *our* pid to run `global:resolve_it(Method, Name, HisPid, OurPid)` (locally when
//!   that is us, else by `rpc:call`), and, depending on the answer, keeps his pid
//!   (op for us), keeps ours (a *resolved* entry for him), or deletes the name on
//!   both sides (`none`, or anything unexpected).
//!
//! The three resolvers OTP predefines are understood when they arrive as
//! `fun global:NAME/3` ([`resolve_it`]); they are also what Tether registers with
//! ([`Resolve`](super::Resolve)). `random_exit_name` keeps the pid whose node sorts
//! lower and kills the other; `random_notify_name` keeps that one and sends the other
//! `{global_name_conflict, Name}`; `notify_all_name` unregisters the name and sends
//! each `{global_name_conflict, Name, OtherPid}`. A fun Tether cannot run (a local
//! Erlang fun) deletes the name, as a crashing resolver does in OTP.

use std::time::Duration;

use tether_term::{Node, Pid, Term};

use super::server::GnsMsg;
use super::{GNS, node_lt, table};
use crate::ExitReason;

/// One change to a name table, as the protocol sends it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Op {
    /// `{insert, {Name, Pid, Method}}`.
    Insert { name: Term, pid: Pid, method: Term },
    /// `{delete, Name}`.
    Delete(Term),
}

impl Op {
    pub fn to_term(&self) -> Term {
        match self {
            Op::Insert { name, pid, method } => Term::tuple([
                Term::atom("insert"),
                Term::tuple([name.clone(), Term::Pid(*pid), method.clone()]),
            ]),
            Op::Delete(name) => Term::tuple([Term::atom("delete"), name.clone()]),
        }
    }

    pub fn from_term(t: &Term) -> Option<Op> {
        match t.as_tuple()? {
            [k, v] if k.is_atom("insert") => match v.as_tuple()? {
                [name, Term::Pid(pid), method] => Some(Op::Insert {
                    name: name.clone(),
                    pid: *pid,
                    method: method.clone(),
                }),
                _ => None,
            },
            [k, name] if k.is_atom("delete") => Some(Op::Delete(name.clone())),
            _ => None,
        }
    }
}

/// Parses a list of ops; malformed entries are logged and skipped.
pub(crate) fn ops_from_term(t: &Term) -> Option<Vec<Op>> {
    let list = t.as_list()?;
    Some(
        list.iter()
            .filter_map(|o| {
                let op = Op::from_term(o);
                if op.is_none() {
                    crate::runtime::logger::report_warn!(op = %o, "global: malformed name op dropped");
                }
                op
            })
            .collect(),
    )
}

pub(crate) fn ops_to_term(ops: &[Op]) -> Term {
    Term::list(ops.iter().map(Op::to_term))
}

/// Parses a name list `[{Name, Pid, Method}]`; malformed entries are skipped.
pub(crate) fn names_from_term(t: &Term) -> Option<Vec<(Term, Pid, Term)>> {
    let list = t.as_list()?;
    Some(
        list.iter()
            .filter_map(|e| match e.as_tuple() {
                Some([n, Term::Pid(p), m]) => Some((n.clone(), *p, m.clone())),
                _ => {
                    crate::runtime::logger::report_warn!(entry = %e, "global: malformed name entry dropped");
                    None
                }
            })
            .collect(),
    )
}

pub(crate) fn names_to_term(names: &[(Term, Pid, Term)]) -> Term {
    Term::list(
        names
            .iter()
            .map(|(n, p, m)| Term::tuple([n.clone(), Term::Pid(*p), m.clone()])),
    )
}

/// What the resolver process receives.
pub(crate) struct Resolve {
    pub names: Vec<(Term, Pid, Term)>,
    pub node: Node,
}

/// The resolver for `node`, started at nodeup: waits for the peer's names, compares,
/// reports to the name server and ends.
pub(crate) async fn resolver(node: Node, tag: i64) {
    let m = crate::receive_select(|m: &crate::Message| {
        m.downcast_ref::<Resolve>().is_some_and(|r| r.node == node)
    })
    .await;
    let Ok(r) = m.downcast::<Resolve>() else {
        return;
    };
    let (ops, resolved) = exchange_names(r.names, node).await;
    let _ = crate::send(
        GNS,
        GnsMsg::ExchangeOps {
            node,
            tag,
            ops,
            resolved,
        },
    );
}

/// Compares the peer's names with ours: `(ops for us, ops for him)`.
pub(crate) async fn exchange_names(his: Vec<(Term, Pid, Term)>, node: Node) -> (Vec<Op>, Vec<Op>) {
    let mut ops = Vec::new();
    let mut res = Vec::new();
    for (name, pid, method) in his {
        let ours = table::read(|t| t.name(&name).cloned());
        match ours {
            None => ops.push(Op::Insert { name, pid, method }),
            Some(e) if e.pid == pid => {}
            Some(e) if node_lt(Node::local(), node) => {
                let (pid2, method2) = (e.pid, e.method);
                let verdict = resolve_on(pid2.node, &method2, &name, pid, pid2).await;
                match verdict {
                    Verdict::Keep(p) if p == pid => ops.push(Op::Insert { name, pid, method }),
                    Verdict::Keep(p) if p == pid2 => res.push(Op::Insert {
                        name,
                        pid: pid2,
                        method: method2,
                    }),
                    Verdict::BadRpc(why) => {
                        tracing::info!(%why, %name, "global: badrpc while resolving a conflicting name");
                        ops.push(Op::Insert { name, pid, method });
                    }
                    other => {
                        if let Verdict::Other(t) = &other {
                            tracing::info!(method = %method2, %name, result = %t, "global: resolve method gave neither pid");
                        }
                        ops.push(Op::Delete(name.clone()));
                        res.push(Op::Delete(name));
                    }
                }
            }
            Some(_) => {}
        }
    }
    (ops, res)
}

enum Verdict {
    Keep(Pid),
    None,
    BadRpc(Term),
    Other(Term),
}

/// `rpc:call(Node2, global, resolve_it, [Method, Name, Pid, Pid2])`.
async fn resolve_on(node2: Node, method: &Term, name: &Term, pid: Pid, pid2: Pid) -> Verdict {
    let t = if node2.is_local() {
        resolve_it(method, name, pid, pid2)
    } else {
        let args = vec![
            method.clone(),
            name.clone(),
            Term::Pid(pid),
            Term::Pid(pid2),
        ];
        match crate::dist::rpc::call(node2, "global", "resolve_it", args, Duration::from_secs(60))
            .await
        {
            Ok(t) => t,
            Err(crate::dist::RpcError::BadRpc(why)) => return Verdict::BadRpc(why),
            Err(e) => return Verdict::BadRpc(Term::from(e.to_string().as_str())),
        }
    };
    match t {
        Term::Pid(p) => Verdict::Keep(p),
        t if t.is_atom("none") => Verdict::None,
        t => Verdict::Other(t),
    }
}

/// `{Min, Max}` by node name (OTP's `minmax/2`).
fn minmax(p1: Pid, p2: Pid) -> (Pid, Pid) {
    if node_lt(p1.node, p2.node) {
        (p1, p2)
    } else {
        (p2, p1)
    }
}

/// `global:resolve_it/4`: runs one of the predefined resolve methods; what it
/// returns is what OTP's `catch Method(Name, Pid1, Pid2)` would.
pub(crate) fn resolve_it(method: &Term, name: &Term, pid1: Pid, pid2: Pid) -> Term {
    let which = match method {
        Term::Export(e) if e.module.as_str() == "global" && e.arity == 3 => {
            e.function.as_str().to_owned()
        }
        other => {
            tracing::info!(method = %other, "global: cannot run this resolve method; the name is dropped");
            return Term::tuple([
                Term::atom("EXIT"),
                Term::tuple([Term::atom("undef"), other.clone()]),
            ]);
        }
    };
    let (min, max) = minmax(pid1, pid2);
    match which.as_str() {
        "random_exit_name" => {
            tracing::info!(%name, pid = %max, "global: name conflict, terminating");
            crate::exit(max, ExitReason::Kill);
            Term::Pid(min)
        }
        "random_notify_name" => {
            let _ = crate::send(
                max,
                Term::tuple([Term::atom("global_name_conflict"), name.clone()]),
            );
            Term::Pid(min)
        }
        "notify_all_name" => {
            let conflict = |other: Pid| {
                Term::tuple([
                    Term::atom("global_name_conflict"),
                    name.clone(),
                    Term::Pid(other),
                ])
            };
            let _ = crate::send(pid1, conflict(pid2));
            let _ = crate::send(pid2, conflict(pid1));
            Term::atom("none")
        }
        other => Term::tuple([
            Term::atom("EXIT"),
            Term::tuple([Term::atom("undef"), Term::atom(other)]),
        ]),
    }
}
