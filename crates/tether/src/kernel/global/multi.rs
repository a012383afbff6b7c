//! `gen_server:multi_call` to the name servers of a set of nodes, and the lock
//! primitives built on it (`set_lock_on_nodes`, `del_lock`, `delete_global_lock`).
//!
//! A multi-call monitors `{global_name_server, Node}` on every node, sends
//! `{'$gen_call', {Self, {Tag, Node}}, Request}` to each, then collects, node by node,
//! the reply `{{Tag, Node}, Reply}` or the monitor's DOWN (a *bad node*, which is
//! not waited for). The caller's pid is the `From` the servers see, which matters:
//! a lock is held by the pid that asked for it, and a registration is accepted only
//! from a pid holding the `global` lock.

use std::time::Duration;

use tether_term::{Atom, Node, Term};

use super::table::{self, CanLock};
use super::{GNS, node_atom, the_boss};
use crate::otp::gen_call;
use crate::{Down, Message};

/// Calls `request` on the name server of every node in `nodes`; returns the replies
/// and the nodes that did not answer (down, or no name server).
pub(crate) async fn multi_call(nodes: &[Node], request: Term) -> (Vec<(Node, Term)>, Vec<Node>) {
    let me = crate::self_pid();
    let tag = crate::make_ref();
    let mut waiting = Vec::with_capacity(nodes.len());
    for &n in nodes {
        let mref = crate::monitor((Atom::new(GNS), n));
        let from_tag = Term::tuple([Term::Ref(tag), node_atom(n)]);
        let msg = gen_call::call_term(me, from_tag, request.clone());
        let _ = crate::send((GNS, n), msg);
        waiting.push((n, mref));
    }
    let mut replies = Vec::new();
    let mut bad = Vec::new();
    for (n, mref) in waiting {
        let want_tag = Term::tuple([Term::Ref(tag), node_atom(n)]);
        let m = crate::receive_select(|m: &Message| {
            if let Some(d) = m.downcast_ref::<Down>() {
                return d.reference == mref;
            }
            matches!(m.downcast_ref::<Term>().and_then(Term::as_tuple), Some([t, _]) if *t == want_tag)
        })
        .await;
        match m.downcast::<Term>() {
            Ok(Term::Tuple(mut items)) => {
                crate::demonitor_flush(mref);
                replies.push((n, items.pop().unwrap_or_else(Term::nil)));
            }
            _ => bad.push(n),
        }
    }
    (replies, bad)
}

/// OTP's `set_lock_on_nodes/2`: one attempt to take `id` (`{Resource, Requester}`)
/// on every node of `nodes`, undone where it succeeded if any node refused.
pub(crate) async fn set_lock_on_nodes(id: &Term, nodes: &[Node]) -> bool {
    if nodes.is_empty() {
        return true;
    }
    if nodes.len() > 1 && nodes.contains(&Node::local()) && !can_set_lock_locally(id) {
        return false;
    }
    let (replies, _bad) =
        multi_call(nodes, Term::tuple([Term::atom("set_lock"), id.clone()])).await;
    if replies.iter().all(|(_, r)| r.is_atom("true")) {
        return true;
    }
    if replies.len() > 1 {
        let granted: Vec<Node> = replies
            .iter()
            .filter(|(_, r)| r.is_atom("true"))
            .map(|(n, _)| *n)
            .collect();
        del_lock(id, &granted).await;
    }
    false
}

/// Whether `id` could be taken on this node now (`can_set_lock(Id) =/= false`).
pub(crate) fn can_set_lock_locally(id: &Term) -> bool {
    match id.as_tuple() {
        Some([res, req]) => table::read(|t| t.can_set_lock(res, req)) != CanLock::No,
        _ => false,
    }
}

/// `set_lock(Id, Nodes, Retries)`: retries with OTP's randomized back-off.
pub(crate) async fn set_lock(id: &Term, nodes: &[Node], retries: Option<u32>) -> bool {
    let mut times = 1u32;
    let mut left = retries;
    loop {
        if set_lock_on_nodes(id, nodes).await {
            return true;
        }
        match left {
            Some(0) => return false,
            Some(n) => left = Some(n - 1),
            None => {}
        }
        random_sleep(times).await;
        times += 1;
    }
}

/// `del_lock(Id, Nodes)`.
pub(crate) async fn del_lock(id: &Term, nodes: &[Node]) {
    if !nodes.is_empty() {
        multi_call(nodes, Term::tuple([Term::atom("del_lock"), id.clone()])).await;
    }
}

/// Releases a lock taken boss-first: everyone else, then the boss.
pub(crate) async fn delete_global_lock(id: &Term, nodes: &[Node]) {
    let boss = the_boss(nodes);
    let others: Vec<Node> = nodes.iter().copied().filter(|n| Some(*n) != boss).collect();
    del_lock(id, &others).await;
    if let Some(b) = boss {
        del_lock(id, &[b]).await;
    }
}

/// OTP's `random_sleep/1`: up to 125 ms · 2^times, capped at 8 s.
pub(crate) async fn random_sleep(times: u32) {
    let max_ms: u64 = if times > 5 {
        8000
    } else {
        (1u64 << times) * 1000 / 8
    };
    let ms = 1 + getrandom::u64().unwrap_or(7) % max_ms.max(1);
    crate::sleep(Duration::from_millis(ms)).await;
}
