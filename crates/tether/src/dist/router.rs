//! The process layer's `RemoteSignals`, implemented over the connection table.
//!
//! Each signal becomes a control message routed by `NodeInner::route`. Messages,
//! links, monitors and `exit/2` connect on demand (as a BEAM does); unlink, demonitor
//! and the signals of a dying process (link exits, monitor DOWNs) never do: without a
//! connection the peer has already seen `noconnection`.

use std::sync::Arc;

use tether_term::{Atom, Node, Pid, Reference, Term};

use super::control::{Control, ProcRef};
use super::node::NodeInner;
use crate::process::route::RemoteSignals;
use crate::process::{ExitReason, Monitored};

/// The process layer's door to other nodes: installed into the runtime while the
/// node runs.
pub(crate) struct Router(pub Arc<NodeInner>);

impl RemoteSignals for Router {
    fn send(&self, from: Pid, to: Pid, msg: Term) {
        self.0.route(
            to.node,
            Control::Send {
                from: Some(from),
                to,
                msg,
            },
            true,
        )
    }

    fn send_named(&self, from: Pid, name: Atom, node: Node, msg: Term) {
        self.0.route(
            node,
            Control::RegSend {
                from,
                to: name,
                msg,
            },
            true,
        )
    }

    fn send_alias(&self, from: Pid, alias: Reference, msg: Term) {
        self.0
            .route(alias.node, Control::AliasSend { from, alias, msg }, true)
    }

    fn link(&self, from: Pid, to: Pid) {
        self.0.route(to.node, Control::Link { from, to }, true)
    }

    fn unlink(&self, from: Pid, to: Pid) {
        self.0.route(to.node, Control::Unlink { from, to }, false)
    }

    fn exit(&self, from: Pid, to: Pid, reason: ExitReason, link: bool) {
        let reason = reason.to_term();
        let n = &self.0;
        if link {
            n.route(to.node, Control::Exit { from, to, reason }, false)
        } else {
            n.route(to.node, Control::Exit2 { from, to, reason }, true)
        }
    }

    fn monitor(&self, from: Pid, target: &Monitored, reference: Reference) {
        let (node, to) = match target {
            Monitored::Pid(p) => (p.node, ProcRef::Pid(*p)),
            Monitored::Name(a, node) => (*node, ProcRef::Name(a.clone())),
        };
        self.0.route(
            node,
            Control::MonitorP {
                from,
                to,
                reference,
            },
            true,
        )
    }

    fn demonitor(&self, from: Pid, target: &Monitored, reference: Reference) {
        let (node, to) = match target {
            Monitored::Pid(p) => (p.node, ProcRef::Pid(*p)),
            Monitored::Name(a, node) => (*node, ProcRef::Name(a.clone())),
        };
        self.0.route(
            node,
            Control::DemonitorP {
                from,
                to,
                reference,
            },
            false,
        )
    }

    fn down(&self, from: Pid, watcher: Pid, reference: Reference, reason: ExitReason) {
        let ctrl = Control::MonitorPExit {
            from: ProcRef::Pid(from),
            to: watcher,
            reference,
            reason: reason.to_term(),
        };
        self.0.route(watcher.node, ctrl, false)
    }
}
