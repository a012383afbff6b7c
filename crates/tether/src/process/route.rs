//! Delivering signals to local and remote processes.
//!
//! The process layer knows nothing of the network. A signal for a pid of another node
//! goes through [`RemoteSignals`], one narrow trait that the distribution layer
//! implements and installs into the runtime when the node starts. Until then (or for a node we cannot
//! reach) remote targets behave like a lost connection: links and monitors fire with
//! `noconnection`, messages are dropped.
//!
//! For a local target this module pushes into the inbox and, when the target is
//! already gone, answers on its behalf exactly as OTP does: a link gets a `noproc`
//! exit signal, a monitor a `noproc` DOWN, anything else is dropped.

use std::sync::Arc;

use tether_term::{Atom, Node, Pid, Reference, Term};

use super::core::MonitorOut;
use super::signal::{DownSignal, MonitorSignal, Signal};
use super::table;
use super::{ExitReason, Message, Monitored};
use crate::runtime::context;

/// What the distribution layer provides to the process layer.
///
/// Every method is a one-way signal; none blocks. `from` is the sending process.
pub(crate) trait RemoteSignals: Send + Sync + 'static {
    fn send(&self, from: Pid, to: Pid, msg: Term);
    fn send_named(&self, from: Pid, name: Atom, node: Node, msg: Term);
    fn send_alias(&self, from: Pid, alias: Reference, msg: Term);
    fn link(&self, from: Pid, to: Pid);
    fn unlink(&self, from: Pid, to: Pid);
    fn exit(&self, from: Pid, to: Pid, reason: ExitReason, link: bool);
    fn monitor(&self, from: Pid, target: &Monitored, reference: Reference);
    fn demonitor(&self, from: Pid, target: &Monitored, reference: Reference);
    fn down(&self, from: Pid, watcher: Pid, reference: Reference, reason: ExitReason);
}

/// Installs the distribution layer into this thread's runtime, or removes it (`None`,
/// when the node stops). Returns whether another one was installed before.
pub(crate) fn install_remote(r: Option<Arc<dyn RemoteSignals>>) -> bool {
    context::with(|rt| {
        let mut slot = rt.remote.write().unwrap_or_else(|e| e.into_inner());
        std::mem::replace(&mut *slot, r).is_some()
    })
}

fn remote() -> Option<Arc<dyn RemoteSignals>> {
    context::with(|rt| rt.remote())
}

/// A pid as this runtime keeps it in links and monitors: a pid of another node that
/// was handed over through memory rather than the wire takes the form the wire would
/// give it ([`Pid::canonical`]), so that the exit signals and DOWNs that come back
/// for it match.
#[inline]
pub(crate) fn foreign(pid: Pid) -> Pid {
    if pid.node.is_local() {
        pid
    } else {
        pid.canonical()
    }
}

/// The pid used as sender for signals sent from outside any process.
pub(crate) fn nobody() -> Pid {
    Pid::new(Node::local(), u32::MAX, u32::MAX, 0)
}

/// Pushes to a local process; gives the signal back if it is not alive.
pub(crate) fn push_local(to: Pid, signal: Signal) -> Result<(), Signal> {
    let mut signal = Some(signal);
    let pushed = table::with(to, |p| p.push(signal.take().expect("taken once")));
    match (pushed, signal) {
        (Some(r), _) => r,
        (None, Some(s)) => Err(s),
        (None, None) => unreachable!("the closure runs only when the process exists"),
    }
}

/// [`push_local`] without waking the target (see [`ProcessShared::push_lazy`]).
fn push_local_lazy(to: Pid, signal: Signal) -> Result<(), Signal> {
    let mut signal = Some(signal);
    let pushed = table::with(to, |p| p.push_lazy(signal.take().expect("taken once")));
    match (pushed, signal) {
        (Some(r), _) => r,
        (None, Some(s)) => Err(s),
        (None, None) => unreachable!("the closure runs only when the process exists"),
    }
}

/// Sends a message to a pid. Returns the message if it cannot cross to `to`'s node.
pub(crate) fn message(from: Pid, to: Pid, msg: Message) -> Result<(), Message> {
    crate::runtime::stats::message_sent();
    // One look at the runtime serves both questions: is `to` ours, and where is it.
    let remote = context::with(|rt| {
        if to.node == rt.node {
            if let Some(Ok(queued)) = rt.table.with(to, |p| p.push_message(Signal::Message(msg))) {
                super::budget::charge_send(queued);
            }
            return Ok(None);
        }
        msg.into_term().map(|term| rt.remote().map(|r| (r, term)))
    })?;
    if let Some((r, term)) = remote {
        r.send(from, to, term);
    }
    Ok(())
}

/// Sends a message to `{name, node}` on another node.
pub(crate) fn named_remote(from: Pid, name: Atom, node: Node, msg: Message) -> Result<(), Message> {
    crate::runtime::stats::message_sent();
    let term = msg.into_term()?;
    if let Some(r) = remote() {
        r.send_named(from, name, node, term);
    }
    Ok(())
}

/// Sends a message through an alias.
pub(crate) fn alias(from: Pid, alias: Reference, msg: Message) -> Result<(), Message> {
    crate::runtime::stats::message_sent();
    if alias.node.is_local() {
        if let Some(owner) = super::alias::owner(&alias) {
            let _ = push_local(
                owner,
                Signal::AliasMessage {
                    alias,
                    message: msg,
                },
            );
        }
        return Ok(());
    }
    let term = msg.into_term()?;
    if let Some(r) = remote() {
        r.send_alias(from, alias, term);
    }
    Ok(())
}

/// Sends a link request. Returns `false` if the local target is already dead.
pub(crate) fn link(from: Pid, to: Pid) -> bool {
    if to.node.is_local() {
        return push_local(to, Signal::Link { from }).is_ok();
    }
    match remote() {
        Some(r) => r.link(from, to),
        None => {
            let _ = push_local(
                from,
                Signal::Exit {
                    from: to,
                    reason: ExitReason::Noconnection,
                    link: true,
                },
            );
        }
    }
    true
}

pub(crate) fn unlink(from: Pid, to: Pid) {
    if to.node.is_local() {
        let _ = push_local(to, Signal::Unlink { from });
    } else if let Some(r) = remote() {
        r.unlink(from, to);
    }
}

pub(crate) fn exit(from: Pid, to: Pid, reason: ExitReason, link: bool) {
    if to.node.is_local() {
        let _ = push_local(to, Signal::Exit { from, reason, link });
    } else if let Some(r) = remote() {
        r.exit(from, to, reason, link);
    }
}

/// Sends a monitor request; if the local target is gone, queues a `noproc` DOWN
/// for `from` instead. Keeps a live local target's record in `out`.
pub(crate) fn monitor(from: Pid, out: &mut MonitorOut, reference: Reference) {
    let object = out.object.clone();
    match out.target {
        Some(to) if to.node.is_local() => {
            let signal = Signal::Monitor(Box::new(MonitorSignal {
                from,
                reference,
                object: object.clone(),
            }));
            let pushed = table::get(to).filter(|p| p.push_lazy(signal).is_ok());
            if pushed.is_none() {
                let down = Signal::Down(Box::new(DownSignal {
                    reference,
                    object,
                    reason: ExitReason::Noproc,
                }));
                let _ = push_local(from, down);
            }
            out.process = pushed;
        }
        None if matches!(&object, Monitored::Name(_, n) if n.is_local()) => {
            let down = Signal::Down(Box::new(DownSignal {
                reference,
                object,
                reason: ExitReason::Noproc,
            }));
            let _ = push_local(from, down);
        }
        _ => match remote() {
            Some(r) => r.monitor(from, &object, reference),
            None => {
                let down = Signal::Down(Box::new(DownSignal {
                    reference,
                    object,
                    reason: ExitReason::Noconnection,
                }));
                let _ = push_local(from, down);
            }
        },
    }
}

pub(crate) fn demonitor(from: Pid, out: &MonitorOut, reference: Reference) {
    match (&out.process, out.target) {
        (Some(p), _) => {
            let _ = p.push_lazy(Signal::Demonitor { reference });
        }
        (None, Some(to)) if to.node.is_local() => {
            let _ = push_local_lazy(to, Signal::Demonitor { reference });
        }
        _ => {
            if let Some(r) = remote() {
                r.demonitor(from, &out.object, reference);
            }
        }
    }
}

pub(crate) fn down(
    from: Pid,
    watcher: Pid,
    reference: Reference,
    object: Monitored,
    reason: ExitReason,
) {
    if watcher.node.is_local() {
        let _ = push_local(
            watcher,
            Signal::Down(Box::new(DownSignal {
                reference,
                object,
                reason,
            })),
        );
    } else if let Some(r) = remote() {
        r.down(from, watcher, reference, reason);
    }
}
