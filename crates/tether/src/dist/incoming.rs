//! Signals arriving from a peer: checks, bookkeeping, delivery into local processes.
//!
//! A peer may only speak for its own processes (a pid in a `From` field must belong
//! to it) and must address ours; a control message that breaks this closes the
//! connection. Everything else follows docs/distribution.md §4:
//!
//! - messages go to the pid, the registered name (unknown names drop silently, as
//!   REG_SEND does on the BEAM) or the alias;
//! - LINK creates an active link unless one exists, or answers `noproc` for a dead
//!   target; UNLINK_ID is acknowledged *first*, then removes an active link (an
//!   inactive one stays until our own unlink is acknowledged); UNLINK_ID_ACK removes
//!   our inactive entry with that id; a link exit acts only on an active link;
//! - MONITOR_P by pid or by name registers the monitor in the target, or answers
//!   `noproc` at once with the name echoed as `FromProc`; DEMONITOR_P removes it;
//!   MONITOR_P_EXIT becomes the DOWN of the local watcher's monitor;
//! - SPAWN_REQUEST goes to [`super::erpc`]; SPAWN_REPLY to the requesting process.

use std::sync::Arc;

use tether_term::{Pid, Term};

use super::connection::Conn;
use super::control::{BadControl, Control, ProcRef};
use super::node::NodeInner;
use super::{erpc, outgoing};
use crate::process::{ExitReason, Monitored, inject, whereis};

/// What a local process receives for a `SPAWN_REPLY` to its request.
#[derive(Debug, Clone, PartialEq)]
pub struct SpawnReply {
    /// The request id (also the monitor's reference, when a monitor was asked for).
    pub req_id: tether_term::Reference,
    /// 1: a link was set up; 2: a monitor was set up.
    pub flags: u32,
    /// The new pid, or an error atom.
    pub result: Term,
}

fn local(pid: &Pid) -> bool {
    pid.node.is_local()
}

/// Acts on one control message from `conn`'s peer. An error closes the connection.
pub(crate) fn dispatch(
    inner: &Arc<NodeInner>,
    conn: &Arc<Conn>,
    ctrl: Control,
) -> Result<(), BadControl> {
    if let Some(p) = ctrl.sender()
        && p.node != conn.peer
    {
        return Err(BadControl::ForeignSender(p));
    }
    match ctrl {
        Control::Send { to, msg, .. } => {
            if local(&to) {
                inject::message(to, msg);
            }
        }
        Control::RegSend { to, msg, .. } => {
            if let Some(pid) = crate::process::whereis_atom(&to) {
                inject::message(pid, msg);
            }
        }
        Control::AliasSend { alias, msg, .. } => {
            if alias.node.is_local() {
                inject::alias_message(alias, msg);
            }
        }
        Control::Link { from, to } => {
            let mut rel = conn.rel();
            if rel.links.contains_key(&(to, from)) {
                return Ok(());
            }
            if local(&to) && inject::link(from, to) {
                rel.links.insert((to, from), None);
            } else {
                drop(rel);
                let exit = Control::Exit {
                    from: to,
                    to: from,
                    reason: Term::atom("noproc"),
                };
                conn.send(&exit);
            }
        }
        Control::UnlinkId { id, from, to } => {
            let mut rel = conn.rel();
            conn.send(&Control::UnlinkIdAck {
                id,
                from: to,
                to: from,
            });
            if rel.links.get(&(to, from)) == Some(&None) {
                rel.links.remove(&(to, from));
                inject::unlink(from, to);
            }
        }
        Control::Unlink { from, to } => {
            let mut rel = conn.rel();
            if rel.links.remove(&(to, from)).is_some() {
                inject::unlink(from, to);
            }
        }
        Control::UnlinkIdAck { id, from, to } => {
            let mut rel = conn.rel();
            if rel.links.get(&(to, from)) == Some(&Some(id)) {
                rel.links.remove(&(to, from));
            }
        }
        Control::Exit { from, to, reason } => {
            let mut rel = conn.rel();
            if rel.links.get(&(to, from)) == Some(&None) {
                rel.links.remove(&(to, from));
                drop(rel);
                inject::exit(from, to, ExitReason::from_term(reason), true);
            }
        }
        Control::Exit2 { from, to, reason } => {
            if local(&to) {
                inject::exit(from, to, ExitReason::from_term(reason), false);
            }
        }
        Control::MonitorP {
            from,
            to,
            reference,
        } => {
            let (target, object) = match &to {
                ProcRef::Pid(p) => (Some(*p).filter(local), Monitored::Pid(*p)),
                ProcRef::Name(n) => (
                    whereis(n.as_str()),
                    Monitored::Name(n.clone(), tether_term::Node::local()),
                ),
            };
            let mut rel = conn.rel();
            match target {
                Some(t) if inject::monitor(from, t, reference, object) => {
                    rel.monitors_in.insert(reference, (t, from, to));
                }
                _ => {
                    drop(rel);
                    let down = Control::MonitorPExit {
                        from: to,
                        to: from,
                        reference,
                        reason: Term::atom("noproc"),
                    };
                    conn.send(&down);
                }
            }
        }
        Control::DemonitorP { reference, .. } => {
            let removed = conn.rel().monitors_in.remove(&reference);
            if let Some((target, _, _)) = removed {
                inject::demonitor(target, reference);
            }
        }
        Control::MonitorPExit {
            to,
            reference,
            reason,
            ..
        } => {
            let mut rel = conn.rel();
            let reason = ExitReason::from_term(reason);
            if let Some((watcher, object)) = rel.monitors_out.remove(&reference) {
                drop(rel);
                inject::down(watcher, reference, object, reason);
            } else if let Some(requester) = rel.spawn_monitors.remove(&reference) {
                drop(rel);
                outgoing::spawn_down(requester, reference, conn.peer, reason);
            } else if local(&to) {
                // Not ours (already demonitored): nothing to do.
            }
        }
        Control::SpawnRequest { .. } => erpc::serve_spawn_request(inner, conn, ctrl),
        Control::SpawnReply {
            req_id,
            to,
            flags,
            result,
        } => {
            if result.as_pid().is_none() || flags & 2 == 0 {
                conn.rel().spawn_monitors.remove(&req_id);
            }
            if let Some(p) = result.as_pid()
                && flags & 1 != 0
            {
                conn.rel().links.insert((to, p), None);
            }
            inject::value(
                to,
                SpawnReply {
                    req_id,
                    flags,
                    result,
                },
            );
        }
        Control::GroupLeader { .. } | Control::NodeLink => {}
    }
    Ok(())
}
