//! Signals leaving this node: the bookkeeping each one needs, and what happens to
//! those that cannot leave.
//!
//! [`deliver`] records the state a signal creates or ends on its connection before it
//! queues the frame, both under the connection's relation lock, so the tables and the
//! wire agree:
//!
//! | signal | bookkeeping (docs/distribution.md §4.3 for links) |
//! |---|---|
//! | LINK | entry `(local, remote)` active, pending unlink id cleared |
//! | unlink | only if active: inactive with a fresh id → `UNLINK_ID`; or removed → `UNLINK` when the peer lacks `UNLINK_ID` |
//! | link exit | entry removed; not sent if the entry was inactive (we unlinked) |
//! | MONITOR_P | remembered as ours (for `noconnection` and the DOWN's object) |
//! | DEMONITOR_P | forgotten; not sent if unknown |
//! | MONITOR_P_EXIT | the peer's monitor forgotten; `FromProc` is the name it monitored by |
//! | SPAWN_REQUEST with `monitor` | remembered (its DOWN is delivered as a plain message) |
//!
//! Signals to an identifier of an older incarnation of the peer are answered locally
//! as OTP does: a link gets `noproc`, a monitor a `noproc` DOWN, a message is dropped.
//!
//! [`fail`] answers for signals that cannot reach their node at all: links exit and
//! monitors fire with `noconnection`; everything else is dropped.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use tether_term::{Atom, Node, Pid, Reference};

use super::connection::Conn;
use super::control::{Control, ProcRef};
use super::flags::DistFlags;
use super::node::NodeInner;
use crate::process::{Down, ExitReason, Monitored, inject};

fn object(to: &ProcRef, node: Node) -> Monitored {
    match to {
        ProcRef::Pid(p) => Monitored::Pid(*p),
        ProcRef::Name(a) => Monitored::Name(a.clone(), node),
    }
}

/// Sends `ctrl` over `conn`, keeping the connection's link and monitor tables.
pub(crate) fn deliver(inner: &Arc<NodeInner>, conn: &Conn, ctrl: Control) {
    match &ctrl {
        Control::Send { to, .. } if !conn.is_current(to) => {}
        Control::Send { .. } | Control::RegSend { .. } | Control::AliasSend { .. } => {
            conn.send(&ctrl)
        }
        Control::Link { from, to } => {
            if !conn.is_current(to) {
                return inject::exit(*to, *from, ExitReason::Noproc, true);
            }
            let mut rel = conn.rel();
            if rel.closed {
                drop(rel);
                return inject::exit(*to, *from, ExitReason::Noconnection, true);
            }
            rel.links.insert((*from, *to), None);
            conn.send(&ctrl);
        }
        Control::Unlink { from, to } => {
            let mut rel = conn.rel();
            if rel.links.get(&(*from, *to)) != Some(&None) {
                return;
            }
            if conn.flags.contains(DistFlags::UNLINK_ID) {
                let id = inner.next_unlink_id.fetch_add(1, Ordering::Relaxed);
                rel.links.insert((*from, *to), Some(id));
                conn.send(&Control::UnlinkId {
                    id,
                    from: *from,
                    to: *to,
                });
            } else {
                rel.links.remove(&(*from, *to));
                conn.send(&ctrl);
            }
        }
        Control::Exit { from, to, .. } => {
            let mut rel = conn.rel();
            if let Some(Some(_)) = rel.links.remove(&(*from, *to)) {
                return; // we had unlinked: the link no longer carries exits
            }
            conn.send(&ctrl);
        }
        Control::MonitorP {
            from,
            to,
            reference,
        } => {
            if let ProcRef::Pid(p) = to
                && !conn.is_current(p)
            {
                return inject::down(*from, *reference, object(to, conn.peer), ExitReason::Noproc);
            }
            let mut rel = conn.rel();
            if rel.closed {
                drop(rel);
                return inject::down(
                    *from,
                    *reference,
                    object(to, conn.peer),
                    ExitReason::Noconnection,
                );
            }
            rel.monitors_out
                .insert(*reference, (*from, object(to, conn.peer)));
            conn.send(&ctrl);
        }
        Control::DemonitorP { reference, .. } => {
            let mut rel = conn.rel();
            if rel.monitors_out.remove(reference).is_some() {
                conn.send(&ctrl);
            }
        }
        Control::MonitorPExit {
            to,
            reference,
            reason,
            ..
        } => {
            let mut rel = conn.rel();
            let Some((target, _, as_named)) = rel.monitors_in.remove(reference) else {
                return; // demonitored meanwhile, or never ours
            };
            let out = Control::MonitorPExit {
                from: match as_named {
                    ProcRef::Name(n) => ProcRef::Name(n),
                    ProcRef::Pid(_) => ProcRef::Pid(target),
                },
                to: *to,
                reference: *reference,
                reason: reason.clone(),
            };
            conn.send(&out);
        }
        Control::SpawnRequest {
            req_id, from, opts, ..
        } => {
            let mut rel = conn.rel();
            if rel.closed {
                drop(rel);
                return spawn_down(*from, *req_id, conn.peer, ExitReason::Noconnection);
            }
            if opts
                .as_list()
                .is_some_and(|l| l.iter().any(|o| o.is_atom("monitor")))
            {
                rel.spawn_monitors.insert(*req_id, *from);
            }
            conn.send(&ctrl);
        }
        _ => conn.send(&ctrl),
    }
}

/// Answers locally for a signal that cannot reach `node`.
pub(crate) fn fail(node: Node, ctrl: Control) {
    match ctrl {
        Control::Link { from, to } => inject::exit(to, from, ExitReason::Noconnection, true),
        Control::MonitorP {
            from,
            to,
            reference,
        } => inject::down(from, reference, object(&to, node), ExitReason::Noconnection),
        Control::SpawnRequest { req_id, from, .. } => {
            spawn_down(from, req_id, node, ExitReason::Noconnection)
        }
        _ => {}
    }
}

/// Delivers the DOWN of one of our spawn requests' monitors.
pub(crate) fn spawn_down(requester: Pid, reference: Reference, node: Node, reason: ExitReason) {
    let object = Monitored::Name(Atom::new("spawn_request"), node);
    inject::down_message(
        requester,
        Down {
            reference,
            object,
            reason,
        },
    );
}
