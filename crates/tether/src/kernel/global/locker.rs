//! The locker: the process that, for each newly connected peer, takes the cluster-wide
//! `global` lock together with the peer's locker before names are exchanged.
//!
//! Each side's name server hands its locker the peer's locker pid
//! ([`LockerMsg::HisTheLocker`]). After a quiet period (0 ms right after a sync,
//! 200 ms with no known nodes, else `min(1000 + 100·|known|, 3000)` ms) and while no
//! `global` lock is held here, the locker picks a pending peer and tries to take the
//! lock `{global, lists:sort([MyLocker, HisLocker])}` on the *boss* (the greatest
//! known node) first, then on itself and the peer, then on every known node. On
//! success it tells the peer (`{lock_set, Self, true, Known, HisTag}` cast to the
//! peer's name server) and waits for the peer's own `lock_set true`; the peer,
//! receiving ours in its main loop, takes the same lock on its side and answers.
//! Both then report `lock_is_set` to their name server, which runs the name exchange,
//! and wait for the server's `cancel` (the exchange is done, or the peer went away)
//! to release the lock. A `lock_set false` (the peer could not lock) releases ours.
//!
//! The same requester id on both sides is what lets the two lockers hold the one
//! `global` resource together while everyone else (registrations, other joins) is
//! kept out.

use std::time::Duration;

use tether_term::{Node, Pid, Term};

use super::multi::{can_set_lock_locally, del_lock, delete_global_lock, set_lock_on_nodes};
use super::{GNS, node_atom, the_boss};
use crate::Message;

/// What the locker is told.
pub(crate) enum LockerMsg {
    /// The peer's locker, from its `init_connect`.
    HisTheLocker {
        locker: Pid,
        vsn: u32,
        his_tag: Term,
        my_tag: i64,
    },
    /// Stop working with `node` (tag `None`: no sync was in progress); run `then`
    /// (sending `new_nodes`) while still holding the lock, then release it.
    Cancel {
        node: Node,
        tag: Option<i64>,
        then: Option<Box<dyn FnOnce() + Send>>,
    },
    /// A peer's locker answered (forwarded by the name server).
    LockSet {
        pid: Pid,
        set: bool,
        tag: Option<Term>,
    },
    /// Nodes now known.
    AddToKnown(Vec<Node>),
    /// A node no longer known.
    RemoveFromKnown(Node),
}

#[derive(Clone)]
struct Him {
    node: Node,
    locker: Pid,
    my_tag: i64,
    his_tag: Term,
}

struct Locker {
    others: Vec<Him>,
    known: Vec<Node>,
    just_synced: bool,
}

/// The locker's body.
pub(crate) async fn run() {
    crate::trap_exit(true);
    let mut s = Locker {
        others: Vec::new(),
        known: Vec::new(),
        just_synced: false,
    };
    loop {
        let msg = match crate::receive_select_timeout(Duration::ZERO, |_| true).await {
            Some(m) => Some(m),
            None => {
                let t = if s.others.is_empty() {
                    None
                } else if s.just_synced {
                    Some(Duration::ZERO)
                } else if s.known.is_empty() {
                    Some(Duration::from_millis(200))
                } else {
                    Some(Duration::from_millis(
                        (1000 + 100 * s.known.len() as u64).min(3000),
                    ))
                };
                s.just_synced = false;
                match t {
                    None => Some(crate::receive_any().await),
                    Some(t) => crate::receive_select_timeout(t, |_| true).await,
                }
            }
        };
        match msg {
            Some(m) => s.message(m).await,
            None => {
                if !super::table::read(|t| t.is_locked(&Term::atom("global"))) {
                    s.select_node().await;
                }
            }
        }
    }
}

fn lock_id(a: Pid, b: Pid) -> Term {
    let (a, b) = (Term::Pid(a), Term::Pid(b));
    let pair = if a.cmp_exact(&b).is_le() {
        [a, b]
    } else {
        [b, a]
    };
    Term::tuple([Term::atom("global"), Term::list(pair)])
}

impl Locker {
    fn known_term(&self) -> Term {
        Term::list(self.known.iter().map(|n| node_atom(*n)))
    }

    fn find(&self, node: Node) -> Option<&Him> {
        self.others.iter().find(|h| h.node == node)
    }

    fn remove(&mut self, node: Node, tag: i64) {
        if let Some(i) = self
            .others
            .iter()
            .position(|h| h.node == node && h.my_tag == tag)
        {
            self.others.remove(i);
        }
    }

    fn update_known(&mut self, msg: LockerMsg) {
        match msg {
            LockerMsg::AddToKnown(nodes) => {
                let mut k = nodes;
                k.append(&mut self.known);
                self.known = k;
            }
            LockerMsg::RemoveFromKnown(n) => {
                if let Some(i) = self.known.iter().position(|k| *k == n) {
                    self.known.remove(i);
                }
            }
            _ => {}
        }
    }

    /// Takes in pending `add_to_known` / `remove_from_known` (OTP's
    /// `update_locker_known/1`).
    async fn drain_known(&mut self) {
        while let Some(m) = crate::receive_select_timeout(Duration::ZERO, |m: &Message| {
            matches!(
                m.downcast_ref::<LockerMsg>(),
                Some(LockerMsg::AddToKnown(_) | LockerMsg::RemoveFromKnown(_))
            )
        })
        .await
        {
            if let Ok(m) = m.downcast::<LockerMsg>() {
                self.update_known(m);
            }
        }
    }

    fn boss(&self) -> Node {
        let mut all = self.known.clone();
        all.push(Node::local());
        the_boss(&all).unwrap_or_else(Node::local)
    }

    async fn message(&mut self, m: Message) {
        if m.is::<Term>() {
            match as_lock_set(&m) {
                Some((pid, true, tag)) => self.peer_locked(pid, tag).await,
                Some(_) => {}
                None => {
                    crate::runtime::logger::report_warn!(msg = ?m, "global locker: unexpected message dropped")
                }
            }
            return;
        }
        let Ok(msg) = m.downcast::<LockerMsg>() else {
            return;
        };
        match msg {
            LockerMsg::HisTheLocker {
                locker,
                vsn,
                his_tag,
                my_tag,
            } => {
                let _ = vsn; // OTP 25 peers all speak version 8 to the locker
                self.others.insert(
                    0,
                    Him {
                        node: locker.node,
                        locker,
                        my_tag,
                        his_tag,
                    },
                );
            }
            LockerMsg::Cancel {
                node,
                tag: Some(tag),
                ..
            } => self.remove(node, tag),
            LockerMsg::Cancel { .. } => {}
            LockerMsg::LockSet { set: false, .. } => {}
            LockerMsg::LockSet {
                pid,
                set: true,
                tag,
            } => self.peer_locked(pid, tag).await,
            other => self.update_known(other),
        }
    }

    /// The peer locked first and asks us to join (the passive side).
    async fn peer_locked(&mut self, pid: Pid, tag: Option<Term>) {
        let node = pid.node;
        let Some(him) = self.find(node).cloned() else {
            // Not (or no longer) syncing with that node: refuse, straight to its locker.
            let refuse = Term::tuple([
                Term::atom("lock_set"),
                Term::Pid(crate::self_pid()),
                Term::atom("false"),
                self.known_term(),
            ]);
            let _ = crate::send(pid, refuse);
            return;
        };
        if let Some(t) = &tag
            && *t != Term::from(him.my_tag)
        {
            return;
        }
        let id = lock_id(crate::self_pid(), pid);
        let locked = self.lock_nodes_safely(&id, &[]).await;
        self.send_lock_set(locked, pid, &him.his_tag);
        if locked {
            let mut known2 = vec![Node::local()];
            known2.extend(self.known.iter().copied());
            let _ = crate::send(
                GNS,
                super::server::GnsMsg::LockIsSet {
                    node,
                    tag: him.my_tag,
                    lock_id: id.clone(),
                },
            );
            self.wait_cancel(node, him.my_tag, &id, &known2).await;
            self.just_synced = true;
            self.remove(node, him.my_tag);
        }
    }

    fn send_lock_set(&self, set: bool, to_locker: Pid, his_tag: &Term) {
        let msg = Term::tuple([
            Term::atom("lock_set"),
            Term::Pid(crate::self_pid()),
            Term::atom(if set { "true" } else { "false" }),
            self.known_term(),
            his_tag.clone(),
        ]);
        let cast = Term::tuple([Term::atom("$gen_cast"), msg]);
        let _ = crate::send((GNS, to_locker.node), cast);
    }

    /// OTP's `lock_nodes_safely/3`: the boss first, then us (and `extra`), then every
    /// known node.
    async fn lock_nodes_safely(&mut self, id: &Term, extra: &[Node]) -> bool {
        let first = vec![self.boss()];
        if !(first == [Node::local()] || can_set_lock_locally(id)) {
            return false;
        }
        if !set_lock_on_nodes(id, &first).await {
            return false;
        }
        self.drain_known().await;
        let mut second = vec![Node::local()];
        second.extend(extra.iter().copied());
        second.retain(|n| !first.contains(n));
        if !set_lock_on_nodes(id, &second).await {
            del_lock(id, &first).await;
            return false;
        }
        let rest: Vec<Node> = self
            .known
            .iter()
            .copied()
            .filter(|n| !first.contains(n))
            .collect();
        if set_lock_on_nodes(id, &rest).await {
            return true;
        }
        let mut so_far = first;
        so_far.extend(second);
        del_lock(id, &so_far).await;
        false
    }

    /// Picks a pending peer and locks with it (the active side).
    async fn select_node(&mut self) {
        let known = self.known.clone();
        self.others.retain(|h| !known.contains(&h.node));
        if self.others.is_empty() {
            return;
        }
        // OTP prefers peers on this host; any choice is correct.
        let i = (getrandom::u64().unwrap_or(0) % self.others.len() as u64) as usize;
        let him = self.others[i].clone();
        let id = lock_id(crate::self_pid(), him.locker);
        if !self.lock_nodes_safely(&id, &[him.node]).await {
            return;
        }
        let mut known1 = vec![Node::local(), him.node];
        known1.extend(self.known.iter().copied());
        self.send_lock_set(true, him.locker, &him.his_tag);
        self.lock_is_set(him, &id, &known1).await;
    }

    /// Waits for the peer's answer to our `lock_set`.
    async fn lock_is_set(&mut self, him: Him, id: &Term, known1: &[Node]) {
        let node = him.node;
        let my_tag = him.my_tag;
        loop {
            let m = crate::receive_select(|m: &Message| match m.downcast_ref::<LockerMsg>() {
                Some(LockerMsg::Cancel {
                    node: n,
                    tag: Some(t),
                    ..
                }) => *n == node && *t == my_tag,
                _ => as_lock_set(m).is_some_and(|(p, _, _)| p.node == node),
            })
            .await;
            let msg = match as_lock_set(&m) {
                Some((pid, set, tag)) => LockerMsg::LockSet { pid, set, tag },
                None => match m.downcast::<LockerMsg>() {
                    Ok(msg) => msg,
                    Err(_) => return,
                },
            };
            match msg {
                LockerMsg::LockSet { tag: Some(t), .. } if t != Term::from(my_tag) => continue,
                LockerMsg::LockSet { set: true, .. } => {
                    let _ = crate::send(
                        GNS,
                        super::server::GnsMsg::LockIsSet {
                            node,
                            tag: my_tag,
                            lock_id: id.clone(),
                        },
                    );
                    self.wait_cancel(node, my_tag, id, known1).await;
                    self.just_synced = true;
                    self.others
                        .retain(|h| !(h.node == node && h.my_tag == my_tag));
                    return;
                }
                LockerMsg::LockSet { set: false, .. } => {
                    tracing::debug!(peer = %node, "global locker: the peer could not lock");
                    delete_global_lock(id, known1).await;
                    return;
                }
                LockerMsg::Cancel { then, .. } => {
                    if let Some(f) = then {
                        f();
                    }
                    delete_global_lock(id, known1).await;
                    self.remove(node, my_tag);
                    return;
                }
                _ => return,
            }
        }
    }

    /// Holds the lock until the name server cancels the sync with `node`.
    async fn wait_cancel(&mut self, node: Node, tag: i64, id: &Term, known: &[Node]) {
        let m = crate::receive_select(|m: &Message| {
            matches!(m.downcast_ref::<LockerMsg>(), Some(LockerMsg::Cancel { node: n, tag: Some(t), .. }) if *n == node && *t == tag)
        })
        .await;
        if let Ok(LockerMsg::Cancel { then: Some(f), .. }) = m.downcast::<LockerMsg>() {
            f();
        }
        delete_global_lock(id, known).await;
    }
}

/// A `lock_set` in either form: the typed one the name server forwards, or the
/// plain `{lock_set, Pid, Set, Known}` an older-protocol locker sends directly.
fn as_lock_set(m: &Message) -> Option<(Pid, bool, Option<Term>)> {
    if let Some(LockerMsg::LockSet { pid, set, tag }) = m.downcast_ref::<LockerMsg>() {
        return Some((*pid, *set, tag.clone()));
    }
    match m.downcast_ref::<Term>()?.as_tuple()? {
        [t, Term::Pid(p), Term::Atom(set), _known] if t.is_atom("lock_set") => {
            Some((*p, set.as_str() == "true", None))
        }
        _ => None,
    }
}
