//! `global_name_server`: the process that speaks `global`'s protocol (version 8, as
//! OTP 25) with the name servers of the other visible nodes and owns the tables.
//!
//! ## Joining a peer (per visible nodeup)
//!
//! ```text
//!  us                                             peer
//!  ── cast {init_connect, {8, MyTag}, node(), {locker, _, _, MyLocker}} ──▶
//!  ◀── cast init_connect (his)          (each side starts a resolver for the other)
//!  ── {init_connect_ack, node(), HisTag, MyTag} ─▶   (both: the tags must match)
//!       lockers take {global, [LockerA, LockerB]}   (see `locker`)
//!  ── cast {exchange, node(), Names, [], HisTag} ─▶  (both, once the lock is set)
//!       resolver compares → {exchange_ops, ...} to our server
//!  ── cast {resolved, node(), Resolved, Known, unused, [], HisTag} ─▶
//!       both apply their ops plus the peer's resolved ops, tell waiting `sync`
//!       callers, connect to the peer's known nodes (`in_sync` to each), and while
//!       still holding the lock send {new_nodes, node(), Ops, [], NewNodes, Extra}
//!       to every node known before, then release the lock.
//! ```
//!
//! Every message carries the receiver's tag for that connection; a stale tag cancels
//! the attempt (`cancel_connect`) and the join restarts, exactly as OTP does.
//!
//! ## Calls from other name servers (multi-calls)
//!
//! `{register, Name, Pid, Method}`, `{unregister, Name}`, `{set_lock, Id}`,
//! `{del_lock, Id}`, `get_known`, `get_synced`, `get_protocol_version`,
//! `get_names_ext`, `{register_ext, ...}` (treated as `register`). A registration is
//! kept only while its caller holds the `global` lock here, so a name is inserted
//! everywhere under the cluster lock or nowhere.
//!
//! ## Down and partitions
//!
//! Names and locks are released when the owner's monitor fires (the process died, or
//! its node went down: `noconnection`). On a lost visible connection the server tells
//! every other known node (`{lost_connection, node(), XCreation, OpId, Node}`); on
//! hearing one it asks the node it should no longer see to disconnect
//! (`{remove_connection, node()}`), which is how OTP 25's
//! `prevent_overlapping_partitions` keeps partitions fully connected.
//!
//! Anything malformed from a peer is logged and dropped; the tables are only
//! changed by well-formed messages.

use std::collections::{HashMap, HashSet};

use tether_term::{Node, Pid, Reference, Term};
use tokio::sync::oneshot;

use super::locker::LockerMsg;
use super::resolve::{self, Op, Resolve};
use super::table::{self, CanLock, NameEntry};
use super::{GNS, node_atom, node_of_term, sync};
use crate::dist::{NodeEvent, NodeKind};
use crate::otp::gen_call::{self, GenCall, GenMsg};
use crate::{Down, Exit, ExitReason, Message};

/// Protocol version spoken.
pub(crate) const VSN: u32 = 8;

/// Local requests (typed, never from the wire).
pub(crate) enum GnsMsg {
    /// From the locker: the `global` lock is held with `node`.
    LockIsSet { node: Node, tag: i64, lock_id: Term },
    /// From a resolver.
    ExchangeOps {
        node: Node,
        tag: i64,
        ops: Vec<Op>,
        resolved: Vec<Op>,
    },
    /// The known nodes (for the registrar).
    GetKnown(oneshot::Sender<Vec<Node>>),
    /// `global:sync/1`: reply once these nodes are synced (or down).
    Sync {
        nodes: Vec<Node>,
        reply: oneshot::Sender<()>,
    },
}

#[derive(Default)]
struct PeerSync {
    my_tag: Option<i64>,
    his_tag: Option<Term>,
    prot_vsn: Option<u32>,
    wait_lock: Option<WaitLock>,
    save_ops: Option<SaveOps>,
    pre_connect: Option<(u32, Term, Term)>,
    lock_id: Option<Term>,
}

enum WaitLock {
    LockIsSet,
    Exchange(Vec<(Term, Pid, Term)>),
}

enum SaveOps {
    Ops(Vec<Op>),
    Resolved {
        his_known: Term,
        his_resolved: Vec<Op>,
    },
}

#[derive(Clone, Copy, PartialEq)]
enum NodeDown {
    RemoveConnection,
    Disconnected,
}

struct Gns {
    /// Synced nodes and their protocol version (0: not yet known).
    known: HashMap<Node, u32>,
    pending: HashMap<Node, u32>,
    removing: HashSet<Node>,
    synced: Vec<Node>,
    resolvers: HashMap<Node, (i64, Pid)>,
    syncers: Vec<Pid>,
    peers: HashMap<Node, PeerSync>,
    locker: Pid,
    /// The supervisor, the locker and the registrar: an exit signal from one ends us.
    linked: [Pid; 3],
    global_lock_down: bool,
    lost: HashMap<(Node, Node), (Term, i64)>,
    xcreation: Term,
    next_tag: i64,
    /// `connect_all` and `prevent_overlapping_partitions` (both on, as OTP's defaults).
    pop: bool,
}

/// The server's body; `locker` and `registrar` are already running, linked to it.
/// An exit signal from `parent` (its supervisor), the locker or the registrar ends it.
pub(crate) async fn run(parent: Pid, locker: Pid, registrar: Pid) {
    crate::trap_exit(true);
    if crate::dist::monitor_nodes(true, false).is_err() {
        tracing::debug!("global: not distributed; serving local names only");
    }
    // The tables belong to the runtime and outlive a crashed predecessor; its
    // monitors did not. The peers it had synced with, still connected, keep their
    // view of us unchanged: resume with them (the fresh locker learns of them too)
    // and sync only with nodes that are new to us.
    let (known, synced) = table::write(|t| {
        t.remonitor(crate::monitor);
        t.membership.clone()
    });
    let ext = (getrandom::u64().unwrap_or(1) >> 8) as i64 & !0xffff_ffff;
    let mut s = Gns {
        known: HashMap::new(),
        pending: HashMap::new(),
        removing: HashSet::new(),
        synced: Vec::new(),
        resolvers: HashMap::new(),
        syncers: Vec::new(),
        peers: HashMap::new(),
        locker,
        linked: [parent, locker, registrar],
        global_lock_down: false,
        lost: HashMap::new(),
        xcreation: Term::from(ext + Node::local_creation() as i64),
        next_tag: 1,
        pop: true,
    };
    let visible = crate::dist::nodes(NodeKind::Visible);
    s.known = known
        .into_iter()
        .filter(|(n, _)| visible.contains(n))
        .collect();
    s.synced = synced
        .into_iter()
        .filter(|n| s.known.contains_key(n))
        .collect();
    if !s.known.is_empty() {
        tracing::info!(
            known = s.known.len(),
            synced = s.synced.len(),
            "global: name server restarted; resuming with its peers"
        );
        let _ = crate::send(
            s.locker,
            LockerMsg::AddToKnown(s.known.keys().copied().collect()),
        );
    }
    s.save_membership();
    for n in visible {
        if !s.known.contains_key(&n) {
            s.handle_nodeup(n);
        }
    }
    loop {
        let m = crate::receive_any().await;
        s.handle(m).await;
    }
}

fn cast(node: Node, msg: Term) {
    let _ = crate::send((GNS, node), Term::tuple([Term::atom("$gen_cast"), msg]));
}

/// `gns_volatile_send`: only over an existing connection.
fn volatile_send(node: Node, msg: Term) {
    if crate::dist::nodes(NodeKind::Connected).contains(&node) {
        let _ = crate::send((GNS, node), msg);
    }
}

fn me() -> Term {
    node_atom(Node::local())
}

impl Gns {
    fn peer(&mut self, node: Node) -> &mut PeerSync {
        self.peers.entry(node).or_default()
    }

    fn my_tag(&self, node: Node) -> Option<i64> {
        self.peers.get(&node).and_then(|p| p.my_tag)
    }

    fn tag_is_mine(&self, node: Node, tag: &Term) -> bool {
        self.my_tag(node).is_some_and(|t| *tag == Term::from(t))
    }

    fn his_tag(&self, node: Node) -> Term {
        self.peers
            .get(&node)
            .and_then(|p| p.his_tag.clone())
            .unwrap_or(Term::atom("undefined"))
    }

    fn reset_node_state(&mut self, node: Node) {
        self.peers.remove(&node);
    }

    async fn handle(&mut self, m: Message) {
        let m = match m.downcast::<GnsMsg>() {
            Ok(g) => return self.internal(g),
            Err(m) => m,
        };
        let m = match m.downcast::<NodeEvent>() {
            Ok(NodeEvent::Up(n)) => return self.handle_nodeup(n),
            Ok(NodeEvent::Down(n)) => return self.handle_nodedown(n, NodeDown::Disconnected),
            Err(m) => m,
        };
        let m = match m.downcast::<Down>() {
            Ok(d) => return self.down(d.reference),
            Err(m) => m,
        };
        let m = match m.downcast::<Exit>() {
            Ok(e) => {
                if self.linked.contains(&e.from) {
                    if e.from != self.linked[0] {
                        crate::runtime::logger::report_error!(from = %e.from, reason = %e.reason, "global: the locker or registrar died");
                    }
                    crate::exit_self(e.reason);
                }
                self.syncers.retain(|p| *p != e.from);
                return;
            }
            Err(m) => m,
        };
        match m.downcast::<Term>() {
            Ok(t) => self.term(t),
            Err(m) => {
                crate::runtime::logger::report_warn!(msg = ?m, "global_name_server: unexpected message dropped")
            }
        }
    }

    fn internal(&mut self, g: GnsMsg) {
        match g {
            GnsMsg::LockIsSet { node, tag, lock_id } => {
                if self.my_tag(node) == Some(tag) {
                    self.lock_is_set(node, lock_id);
                } else {
                    self.cancel_locker(node, Some(tag), None);
                }
            }
            GnsMsg::ExchangeOps {
                node,
                tag,
                ops,
                resolved,
            } => self.exchange_ops(node, tag, ops, resolved),
            GnsMsg::GetKnown(tx) => {
                let _ = tx.send(self.known.keys().copied().collect());
            }
            GnsMsg::Sync { nodes, reply } => {
                let nodes: Vec<Node> = nodes
                    .into_iter()
                    .filter(|n| !n.is_local() && !self.synced.contains(n))
                    .collect();
                let pid = sync::start_syncer(nodes, reply);
                self.syncers.push(pid);
            }
        }
    }

    fn term(&mut self, t: Term) {
        match gen_call::classify(t) {
            GenMsg::Call(c) => self.call(c),
            GenMsg::Cast(m) => {
                if !self.cast(&m) {
                    crate::runtime::logger::report_warn!(msg = %m, "global_name_server: malformed or unexpected cast dropped");
                }
            }
            GenMsg::Info(m) => {
                if !self.info(&m) {
                    crate::runtime::logger::report_warn!(msg = %m, "global_name_server: malformed or unexpected message dropped");
                }
            }
        }
    }

    // ---- calls ------------------------------------------------------------------

    fn call(&mut self, c: GenCall) {
        let from = c.from.caller();
        let reply = match c.request.as_tuple() {
            Some([k, name, Term::Pid(pid), method]) if k.is_atom("register") => {
                self.ins_name(name.clone(), *pid, method.clone(), Some(from), None);
                Term::atom("yes")
            }
            Some([k, name, Term::Pid(pid), method, _reg_node]) if k.is_atom("register_ext") => {
                self.ins_name(name.clone(), *pid, method.clone(), Some(from), None);
                Term::atom("yes")
            }
            Some([k, name]) if k.is_atom("unregister") => {
                self.delete_name(name);
                Term::atom("ok")
            }
            Some([k, id]) if k.is_atom("set_lock") => match id.as_tuple() {
                Some([res, req]) => Term::atom(if self.handle_set_lock(res, req, from) {
                    "true"
                } else {
                    "false"
                }),
                _ => {
                    return crate::runtime::logger::report_warn!(request = %c.request, "global: malformed set_lock dropped");
                }
            },
            Some([k, id]) if k.is_atom("del_lock") => match id.as_tuple() {
                Some([res, req]) => {
                    self.handle_del_lock(res, req, from);
                    Term::atom("true")
                }
                _ => {
                    return crate::runtime::logger::report_warn!(request = %c.request, "global: malformed del_lock dropped");
                }
            },
            _ if c.request.is_atom("get_known") => self.known_list(),
            _ if c.request.is_atom("get_synced") => {
                Term::list(self.synced.iter().map(|n| node_atom(*n)))
            }
            _ if c.request.is_atom("get_protocol_version") => Term::from(VSN as i64),
            _ if c.request.is_atom("get_names_ext") => Term::nil(),
            _ => {
                // OTP logs and never answers.
                return crate::runtime::logger::report_warn!(request = %c.request, "global_name_server: unexpected call dropped");
            }
        };
        gen_call::reply(&c, reply);
    }

    fn known_list(&self) -> Term {
        Term::list(
            self.known
                .iter()
                .map(|(n, v)| Term::tuple([node_atom(*n), Term::from(*v as i64)])),
        )
    }

    // ---- casts ------------------------------------------------------------------

    /// Returns false for a malformed or unknown cast.
    fn cast(&mut self, m: &Term) -> bool {
        let Some(items) = m.as_tuple() else {
            return false;
        };
        let Some((kind, args)) = items.split_first() else {
            return false;
        };
        let Some(kind) = kind.as_atom() else {
            return false;
        };
        match (kind, args) {
            ("init_connect", [vsn, node, init_msg]) => {
                let Some(node) = node_of_term(node) else {
                    return false;
                };
                let (his_vsn, his_tag) = match vsn.as_tuple() {
                    Some([Term::Int(v), tag, ..]) if *v >= 0 => (*v as u32, tag.clone()),
                    _ => {
                        tracing::info!(%vsn, %node, "global: illegal protocol version");
                        return true;
                    }
                };
                self.init_connect(his_vsn.min(VSN), node, init_msg.clone(), his_tag, his_vsn);
                true
            }
            ("exchange", [node, names, _ext, tag]) => {
                let Some(node) = node_of_term(node) else {
                    return false;
                };
                let Some(names) = resolve::names_from_term(names) else {
                    return false;
                };
                if self.tag_is_mine(node, tag) {
                    self.exchange(node, names);
                } else {
                    self.cancel_locker(node, tag.as_i64(), None);
                }
                true
            }
            ("resolved", [node, his_resolved, his_known, _unused, _ext, tag]) => {
                let Some(node) = node_of_term(node) else {
                    return false;
                };
                let Some(his_resolved) = resolve::ops_from_term(his_resolved) else {
                    return false;
                };
                if his_known.as_list().is_none() {
                    return false;
                }
                if !self.tag_is_mine(node, tag) {
                    self.cancel_locker(node, tag.as_i64(), None);
                    return true;
                }
                match self.peer(node).save_ops.take() {
                    Some(SaveOps::Ops(ops)) => {
                        self.resolved(node, ops, his_resolved, his_known.clone())
                    }
                    _ => {
                        self.peer(node).save_ops = Some(SaveOps::Resolved {
                            his_known: his_known.clone(),
                            his_resolved,
                        });
                    }
                }
                true
            }
            ("new_nodes", [node, ops, _ext, nodes, extra]) => {
                let Some(conn) = node_of_term(node) else {
                    return false;
                };
                let Some(ops) = resolve::ops_from_term(ops) else {
                    return false;
                };
                let Some(nodes) = node_vsn_list(nodes) else {
                    return false;
                };
                let added = self.add_to_known(&nodes);
                sync::sync_others(&added);
                self.do_ops(ops, conn, Some(extra));
                let _ = crate::send(self.locker, LockerMsg::AddToKnown(added));
                true
            }
            ("in_sync", [node, _is_known]) => {
                let Some(node) = node_of_term(node) else {
                    return false;
                };
                self.notify_syncers(node);
                if !self.synced.contains(&node) {
                    self.synced.push(node);
                    self.save_membership();
                }
                self.pending.remove(&node);
                let tag = self.my_tag(node);
                self.cancel_locker(node, tag, None);
                self.reset_node_state(node);
                true
            }
            ("async_del_name", [_, _]) | ("async_del_lock", [_, _]) => true,
            ("lock_set", [Term::Pid(pid), Term::Atom(set), _known, tag]) => {
                if self.tag_is_mine(pid.node, tag) {
                    let set = set.as_str() == "true";
                    let _ = crate::send(
                        self.locker,
                        LockerMsg::LockSet {
                            pid: *pid,
                            set,
                            tag: Some(tag.clone()),
                        },
                    );
                }
                true
            }
            ("lock_set", [Term::Pid(pid), Term::Atom(set), _known]) => {
                let set = set.as_str() == "true";
                let _ = crate::send(
                    self.locker,
                    LockerMsg::LockSet {
                        pid: *pid,
                        set,
                        tag: None,
                    },
                );
                true
            }
            _ => false,
        }
    }

    // ---- plain messages ---------------------------------------------------------

    fn info(&mut self, m: &Term) -> bool {
        let Some(items) = m.as_tuple() else {
            return false;
        };
        let Some((kind, args)) = items.split_first() else {
            return false;
        };
        let Some(kind) = kind.as_atom() else {
            return false;
        };
        match (kind, args) {
            ("init_connect_ack", [node, his_my_tag, his_his_tag]) => {
                let Some(node) = node_of_term(node) else {
                    return false;
                };
                let ok = self.tag_is_mine(node, his_my_tag) && self.his_tag(node) == *his_his_tag;
                if !ok {
                    send_cancel_connect_message(node, his_his_tag.clone());
                    let tag = self.my_tag(node);
                    self.restart_connect(node, tag);
                }
                true
            }
            ("cancel_connect", [node, tag]) => {
                let Some(node) = node_of_term(node) else {
                    return false;
                };
                if self.tag_is_mine(node, tag) {
                    let t = self.my_tag(node);
                    self.cancel_locker(node, t, None);
                    self.reset_node_state(node);
                    self.pending.remove(&node);
                    self.restart_connect(node, t);
                }
                true
            }
            ("lost_connection", [a, xcre, Term::Int(op_id), b]) => {
                let (Some(a), Some(b)) = (node_of_term(a), node_of_term(b)) else {
                    return false;
                };
                self.lost_connection(a, xcre.clone(), *op_id, b, m);
                true
            }
            ("remove_connection", [node]) => {
                let Some(node) = node_of_term(node) else {
                    return false;
                };
                if self.potentially_known(node) {
                    crate::runtime::logger::report_warn!(%node, "global: disconnecting in order to prevent overlapping partitions");
                    crate::dist::disconnect_node(node);
                    self.handle_nodedown(node, NodeDown::RemoveConnection);
                }
                true
            }
            ("whereis", [name, from]) => {
                // Older protocol: answer like gen_server:reply(From, where(Name)).
                if let Some([Term::Pid(p), tag]) = from.as_tuple() {
                    let r = super::whereis_name(name)
                        .map(Term::Pid)
                        .unwrap_or(Term::atom("undefined"));
                    gen_call::reply_term(*p, tag, r);
                    return true;
                }
                false
            }
            ("prepare_shutdown", [Term::Pid(from), r]) => {
                self.pop = false;
                let _ = crate::send(*from, Term::tuple([r.clone(), Term::atom("ok")]));
                true
            }
            _ => false,
        }
    }

    // ---- the join ---------------------------------------------------------------

    fn handle_nodeup(&mut self, node: Node) {
        if node.is_local() || self.known.contains_key(&node) || self.resolvers.contains_key(&node) {
            return;
        }
        if let Some((vsn, init_msg, his_tag)) = self.peer(node).pre_connect.take() {
            let again = Term::tuple([
                Term::atom("init_connect"),
                Term::tuple([Term::from(vsn as i64), his_tag]),
                node_atom(node),
                init_msg,
            ]);
            let _ = crate::send(
                crate::self_pid(),
                Term::tuple([Term::atom("$gen_cast"), again]),
            );
        }
        let tag = self.next_tag;
        self.next_tag += 1;
        self.peer(node).my_tag = Some(tag);
        let locker = Term::tuple([
            Term::atom("locker"),
            Term::atom("no_longer_a_pid"),
            Term::map([]),
            Term::Pid(self.locker),
        ]);
        let init = Term::tuple([
            Term::atom("init_connect"),
            Term::tuple([Term::from(VSN as i64), Term::from(tag)]),
            me(),
            locker,
        ]);
        tracing::debug!(peer = %node, tag, "global: init_connect");
        cast(node, init);
        let resolver = crate::spawn(resolve::resolver(node, tag));
        self.resolvers.insert(node, (tag, resolver));
    }

    fn init_connect(&mut self, vsn: u32, node: Node, init_msg: Term, his_tag: Term, his_vsn: u32) {
        if self.pending.contains_key(&node) {
            if his_vsn < 8 {
                crate::runtime::logger::report_error!(%node, his_vsn, "global: out of sync connection attempt from an old version; disconnecting");
                crate::dist::disconnect_node(node);
                return;
            }
            send_cancel_connect_message(node, his_tag.clone());
            let old = self.my_tag(node);
            self.restart_connect(node, old);
        }
        let p = self.peer(node);
        p.prot_vsn = Some(vsn);
        p.his_tag = Some(his_tag.clone());
        match self.resolvers.get(&node) {
            Some(&(my_tag, _)) => {
                let his_locker = match init_msg.as_tuple() {
                    Some([k, _, _, Term::Pid(l)]) if k.is_atom("locker") => *l,
                    _ => {
                        return crate::runtime::logger::report_warn!(%node, msg = %init_msg, "global: malformed init_connect dropped");
                    }
                };
                let _ = crate::send(
                    self.locker,
                    LockerMsg::HisTheLocker {
                        locker: his_locker,
                        vsn,
                        his_tag: his_tag.clone(),
                        my_tag,
                    },
                );
                if his_vsn >= 8 {
                    volatile_send(
                        node,
                        Term::tuple([
                            Term::atom("init_connect_ack"),
                            me(),
                            his_tag,
                            Term::from(my_tag),
                        ]),
                    );
                }
                self.pending.insert(node, his_vsn);
            }
            None => self.peer(node).pre_connect = Some((vsn, init_msg, his_tag)),
        }
    }

    fn restart_connect(&mut self, node: Node, tag: Option<i64>) {
        self.cancel_locker(node, tag, None);
        self.reset_node_state(node);
        self.pending.remove(&node);
        if tag.is_some() {
            self.handle_nodeup(node);
        }
    }

    fn lock_is_set(&mut self, node: Node, lock_id: Term) {
        let names = resolve::names_to_term(&table::read(|t| t.all_names()));
        let his = self.his_tag(node);
        cast(
            node,
            Term::tuple([Term::atom("exchange"), me(), names, Term::nil(), his]),
        );
        let p = self.peer(node);
        p.lock_id = Some(lock_id);
        match p.wait_lock.take() {
            Some(WaitLock::Exchange(list)) => {
                p.wait_lock = Some(WaitLock::LockIsSet);
                self.exchange(node, list);
            }
            _ => p.wait_lock = Some(WaitLock::LockIsSet),
        }
    }

    fn exchange(&mut self, node: Node, names: Vec<(Term, Pid, Term)>) {
        match self.peer(node).wait_lock.take() {
            Some(WaitLock::LockIsSet) => {
                if let Some((_, r)) = self.resolvers.get(&node) {
                    let _ = crate::send(*r, Resolve { names, node });
                }
            }
            _ => self.peer(node).wait_lock = Some(WaitLock::Exchange(names)),
        }
    }

    fn exchange_ops(&mut self, node: Node, tag: i64, ops: Vec<Op>, resolved: Vec<Op>) {
        if self.my_tag(node) != Some(tag) {
            return self.cancel_locker(node, Some(tag), None);
        }
        let his = self.his_tag(node);
        let msg = Term::tuple([
            Term::atom("resolved"),
            me(),
            resolve::ops_to_term(&resolved),
            self.known_list(),
            Term::atom("unused"),
            Term::nil(),
            his,
        ]);
        cast(node, msg);
        match self.peer(node).save_ops.take() {
            Some(SaveOps::Resolved {
                his_known,
                his_resolved,
            }) => self.resolved(node, ops, his_resolved, his_known),
            _ => self.peer(node).save_ops = Some(SaveOps::Ops(ops)),
        }
    }

    /// Both sides' ops are in: apply, and finish the join.
    fn resolved(&mut self, node: Node, my_ops: Vec<Op>, his_resolved: Vec<Op>, his_known: Term) {
        let mut ops = my_ops;
        ops.extend(his_resolved);
        let his_known = node_vsn_list(&his_known).unwrap_or_default();
        let mut new_nodes = vec![(
            node,
            self.peers.get(&node).and_then(|p| p.prot_vsn).unwrap_or(0),
        )];
        new_nodes.extend(his_known.iter().copied());
        let his_known_nodes: Vec<Node> = his_known.iter().map(|(n, _)| *n).collect();
        sync::sync_others(&his_known_nodes);
        let vsn = self
            .peers
            .get(&node)
            .and_then(|p| p.prot_vsn)
            .unwrap_or(VSN);
        let lock = self
            .peers
            .get(&node)
            .and_then(|p| p.lock_id.clone())
            .unwrap_or(Term::atom("undefined"));
        let extra = Term::list([
            Term::tuple([Term::atom("vsn"), Term::from(vsn as i64)]),
            Term::tuple([Term::atom("lock"), lock]),
        ]);
        self.do_ops(ops.clone(), Node::local(), Some(&extra));
        self.notify_syncers(node);
        for &n in &his_known_nodes {
            let tag = self.my_tag(n);
            self.pending.remove(&n);
            self.cancel_locker(n, tag, None);
            self.reset_node_state(n);
        }
        let msg = Term::tuple([
            Term::atom("new_nodes"),
            me(),
            resolve::ops_to_term(&ops),
            Term::nil(),
            Term::list(
                new_nodes
                    .iter()
                    .map(|(n, v)| Term::tuple([node_atom(*n), Term::from(*v as i64)])),
            ),
            extra,
        ]);
        let old_known: Vec<Node> = self.known.keys().copied().collect();
        let then: Box<dyn FnOnce() + Send> = Box::new(move || {
            for n in old_known {
                cast(n, msg.clone());
            }
        });
        let tag = self.my_tag(node);
        self.pending.remove(&node);
        self.cancel_locker(node, tag, Some(then));
        self.reset_node_state(node);
        let added = self.add_to_known(&new_nodes);
        let _ = crate::send(self.locker, LockerMsg::AddToKnown(added));
        if !self.synced.contains(&node) {
            self.synced.push(node);
        }
        self.save_membership();
        tracing::info!(peer = %node, "global: synced");
    }

    /// Keeps the known and synced nodes in the runtime's tables, so that a restarted
    /// server resumes with the peers it had instead of syncing them again.
    fn save_membership(&self) {
        let (known, synced) = (self.known.clone(), self.synced.clone());
        table::write(|t| t.membership = (known, synced));
    }

    fn add_to_known(&mut self, nodes: &[(Node, u32)]) -> Vec<Node> {
        let mut added = Vec::new();
        for &(n, v) in nodes {
            if n.is_local() {
                continue;
            }
            if let std::collections::hash_map::Entry::Vacant(e) = self.known.entry(n) {
                e.insert(v);
                added.insert(0, n);
            } else if v > 0 {
                self.known.insert(n, v);
            }
        }
        added
    }

    fn notify_syncers(&mut self, node: Node) {
        self.syncers.retain(|p| crate::is_alive(*p));
        for p in &self.syncers {
            let _ = crate::send(*p, sync::Synced(vec![node]));
        }
    }

    fn cancel_locker(
        &mut self,
        node: Node,
        tag: Option<i64>,
        then: Option<Box<dyn FnOnce() + Send>>,
    ) {
        let _ = crate::send(self.locker, LockerMsg::Cancel { node, tag, then });
        self.send_cancel_connect(node, tag);
        if let Some(&(t, r)) = self.resolvers.get(&node)
            && Some(t) == tag
        {
            crate::exit(r, ExitReason::Kill);
            self.resolvers.remove(&node);
        }
    }

    fn send_cancel_connect(&self, node: Node, tag: Option<i64>) {
        match self.pending.get(&node) {
            Some(v) if *v >= 8 => {}
            _ => return,
        }
        if tag.is_none() || self.my_tag(node) != tag {
            return;
        }
        send_cancel_connect_message(node, self.his_tag(node));
    }

    // ---- down, partitions -------------------------------------------------------

    fn handle_nodedown(&mut self, node: Node, what: NodeDown) {
        if node.is_local() {
            return;
        }
        let tag = self.my_tag(node);
        self.cancel_locker(node, tag, None);
        let _ = crate::send(self.locker, LockerMsg::RemoveFromKnown(node));
        self.reset_node_state(node);
        match what {
            NodeDown::RemoveConnection => {
                self.removing.insert(node);
            }
            NodeDown::Disconnected => {
                if !self.removing.remove(&node) {
                    self.inform_connection_loss(node);
                }
            }
        }
        self.pending.remove(&node);
        self.known.remove(&node);
        self.synced.retain(|n| *n != node);
        self.save_membership();
        // Any resolver still waiting for this node is useless now.
        if let Some((_, r)) = self.resolvers.remove(&node) {
            crate::exit(r, ExitReason::Kill);
        }
    }

    fn potentially_known(&self, node: Node) -> bool {
        self.known.contains_key(&node) || self.pending.contains_key(&node)
    }

    fn multicast(&self, msg: &Term, ignore: Node, min_vsn: u32) {
        let targets = self.known.iter().chain(self.pending.iter());
        let mut sent = HashSet::new();
        for (n, v) in targets {
            if *n != ignore && *v >= min_vsn && sent.insert(*n) {
                volatile_send(*n, msg.clone());
            }
        }
    }

    fn inform_connection_loss(&mut self, node: Node) {
        if !self.pop {
            return;
        }
        let op_id = self.next_tag;
        self.next_tag += 1;
        let msg = Term::tuple([
            Term::atom("lost_connection"),
            me(),
            self.xcreation.clone(),
            Term::from(op_id),
            node_atom(node),
        ]);
        self.multicast(&msg, node, 7);
    }

    fn lost_connection(&mut self, a: Node, xcre: Term, op_id: i64, b: Node, msg: &Term) {
        if !self.pop {
            return;
        }
        if let Some((x, op)) = self.lost.get(&(a, b))
            && *x == xcre
            && op_id <= *op
        {
            return;
        }
        self.multicast(msg, a, 7);
        self.lost.insert((a, b), (xcre, op_id));
        let rm = if b.is_local() { a } else { b };
        if rm.is_local() || !self.potentially_known(rm) {
            return;
        }
        volatile_send(rm, Term::tuple([Term::atom("remove_connection"), me()]));
        crate::runtime::logger::report_warn!(node = %rm, "global: requested disconnect from node in order to prevent overlapping partitions");
        self.handle_nodedown(rm, NodeDown::RemoveConnection);
    }

    /// A monitor fired: the owner of names or locks is gone.
    fn down(&mut self, mref: Reference) {
        let locks = table::read(|t| t.locks_by_ref(&mref));
        for (res, pid) in locks {
            self.remove_lock(&res, pid, true);
        }
        let name = table::read(|t| t.name_by_ref(&mref));
        if let Some(name) = name {
            self.delete_name(&name);
        }
    }

    // ---- names and locks --------------------------------------------------------

    /// `ins_name` / `insert_global_name`: `from` is the calling pid for a registration
    /// multi-call, `conn` the node a name list came from.
    fn ins_name(
        &mut self,
        name: Term,
        pid: Pid,
        method: Term,
        from: Option<Pid>,
        conn: Option<(Node, &Term)>,
    ) {
        self.delete_name(&name);
        let mref = crate::monitor(pid);
        table::write(|t| t.insert_name(name.clone(), NameEntry { pid, method, mref }));
        if !self.lock_still_set(from, conn) {
            self.delete_name(&name);
        }
    }

    fn lock_still_set(&self, from: Option<Pid>, conn: Option<(Node, &Term)>) -> bool {
        table::read(|t| match t.lock(&Term::atom("global")) {
            Some(l) => match (from, conn) {
                (Some(p), _) => l.holders.iter().any(|(h, _)| *h == p),
                (None, Some((_, extra))) => {
                    let lock = extra.as_list().and_then(|l| {
                        l.iter().find_map(|e| match e.as_tuple() {
                            Some([k, v]) if k.is_atom("lock") => Some(v.clone()),
                            _ => None,
                        })
                    });
                    match lock.as_ref().and_then(Term::as_tuple) {
                        Some([g, id]) if g.is_atom("global") => l.requester.exact_eq(id),
                        _ => false,
                    }
                }
                (None, None) => false,
            },
            None => !self.global_lock_down,
        })
    }

    fn delete_name(&mut self, name: &Term) {
        let e = table::write(|t| t.remove_name(name));
        if let Some(e) = e {
            crate::demonitor_flush(e.mref);
        }
    }

    fn do_ops(&mut self, ops: Vec<Op>, conn: Node, extra: Option<&Term>) {
        let empty = Term::nil();
        let extra = extra.unwrap_or(&empty);
        let mut deletes = Vec::new();
        for op in ops {
            match op {
                Op::Insert { name, pid, method } => {
                    self.ins_name(name, pid, method, None, Some((conn, extra)))
                }
                Op::Delete(name) => deletes.push(name),
            }
        }
        for n in deletes {
            self.delete_name(&n);
        }
    }

    fn handle_set_lock(&mut self, res: &Term, req: &Term, pid: Pid) -> bool {
        let can = table::read(|t| t.can_set_lock(res, req));
        match can {
            CanLock::No => false,
            CanLock::Yes(holders) => {
                if !holders.iter().any(|(p, _)| *p == pid) {
                    let mref = crate::monitor(pid);
                    table::write(|t| t.add_holder(res.clone(), req.clone(), pid, mref));
                }
                true
            }
        }
    }

    fn handle_del_lock(&mut self, res: &Term, req: &Term, pid: Pid) {
        let same = table::read(|t| t.lock(res).is_some_and(|l| l.requester.exact_eq(req)));
        if same {
            self.remove_lock(res, pid, false);
        }
    }

    fn remove_lock(&mut self, res: &Term, pid: Pid, down: bool) {
        let (mref, gone) = table::write(|t| t.remove_holder(res, pid));
        if let Some(r) = mref {
            crate::demonitor_flush(r);
        }
        if gone && res.is_atom("global") {
            self.global_lock_down = down;
        }
    }
}

fn send_cancel_connect_message(node: Node, his_tag: Term) {
    volatile_send(
        node,
        Term::tuple([Term::atom("cancel_connect"), me(), his_tag]),
    );
}

/// `[Node | {Node, Vsn}]` → `[(Node, Vsn)]` (0: version unknown).
fn node_vsn_list(t: &Term) -> Option<Vec<(Node, u32)>> {
    let list = t.as_list()?;
    let mut out = Vec::with_capacity(list.len());
    for e in list {
        match e {
            Term::Atom(_) => out.push((node_of_term(e)?, 0)),
            Term::Tuple(items) => match items.as_slice() {
                [n, Term::Int(v)] if *v >= 0 => {
                    out.push((node_of_term(n)?, (*v).min(u32::MAX as i64) as u32))
                }
                _ => return None,
            },
            _ => return None,
        }
    }
    Some(out)
}
