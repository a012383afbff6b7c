//! Signals that arrive from other nodes.
//!
//! The distribution layer decodes a control message and hands the signal to the
//! local process it targets through these functions; they push into the process's
//! inbox like any local sender would, so the rules of docs/semantics.md §1 (ordering, the
//! exit-signal table, trap_exit) apply unchanged. Each reports whether the target was
//! alive, so that the caller can answer for a dead one on the wire (`noproc`).
//!
//! [`spawn_for_remote`] starts a process whose parent lives on another node: the link
//! or monitor the parent asked for is in place before the process runs (docs/semantics.md
//! §1.4 L5), exactly as [`SpawnOpts`](super::SpawnOpts) does for a local parent.

use std::future::Future;

use tether_term::{Pid, Reference, Term};

use super::core::ProcessShared;
use super::route::push_local;
use super::signal::{DownSignal, MonitorSignal, Signal};
use super::table;
use super::{Down, ExitReason, Message, Monitored, life};

/// Delivers a message from another node to a local pid.
pub(crate) fn message(to: Pid, msg: Term) -> bool {
    push_local(to, Signal::Message(Message::new(msg))).is_ok()
}

/// Delivers a message sent to one of our aliases (dropped if the alias is inactive
/// or not ours).
pub(crate) fn alias_message(alias: Reference, msg: Term) {
    if let Some(owner) = super::alias::owner(&alias) {
        let _ = push_local(
            owner,
            Signal::AliasMessage {
                alias,
                message: Message::new(msg),
            },
        );
    }
}

/// Delivers any Rust value as a plain message (used for node events and spawn
/// replies the distribution layer produces itself).
pub(crate) fn value<T: Send + 'static>(to: Pid, v: T) -> bool {
    push_local(to, Signal::Message(Message::new(v))).is_ok()
}

/// The remote pid `from` linked to local `to`. `false` if `to` is not alive.
pub(crate) fn link(from: Pid, to: Pid) -> bool {
    push_local(to, Signal::Link { from }).is_ok()
}

/// The remote pid `from` removed its link to local `to`.
pub(crate) fn unlink(from: Pid, to: Pid) {
    let _ = push_local(to, Signal::Unlink { from });
}

/// An exit signal from a remote pid (`link`: because a linked process ended).
pub(crate) fn exit(from: Pid, to: Pid, reason: ExitReason, link: bool) {
    let _ = push_local(to, Signal::Exit { from, reason, link });
}

/// The remote pid `from` monitors local `to`. `false` if `to` is not alive.
pub(crate) fn monitor(from: Pid, to: Pid, reference: Reference, object: Monitored) -> bool {
    push_local(
        to,
        Signal::Monitor(Box::new(MonitorSignal {
            from,
            reference,
            object,
        })),
    )
    .is_ok()
}

/// A remote watcher dropped its monitor on local `to`.
pub(crate) fn demonitor(to: Pid, reference: Reference) {
    let _ = push_local(to, Signal::Demonitor { reference });
}

/// A monitor held by local `watcher` fired (delivered only if still active).
pub(crate) fn down(watcher: Pid, reference: Reference, object: Monitored, reason: ExitReason) {
    let _ = push_local(
        watcher,
        Signal::Down(Box::new(DownSignal {
            reference,
            object,
            reason,
        })),
    );
}

/// A `Down` message delivered as is, for monitors the distribution layer tracks
/// itself (the monitor of a remote spawn request).
pub(crate) fn down_message(watcher: Pid, down: Down) {
    let _ = push_local(watcher, Signal::Message(Message::new(down)));
}

/// Spawns a process for a parent on another node, linked to it and/or monitored by
/// it (`monitor`: the monitor's reference) before it first runs.
pub(crate) fn spawn_for_remote<F>(
    parent: Pid,
    link: bool,
    monitor: Option<Reference>,
    fut: F,
) -> Pid
where
    F: Future<Output = ()> + Send + 'static,
{
    let shared = table::insert(|pid| ProcessShared::new(pid, false, false));
    let pid = shared.pid;
    {
        let mut st = shared.state();
        if link {
            st.rel().links.insert(parent);
        }
        if let Some(r) = monitor {
            st.rel()
                .monitored_by
                .insert(r, (parent, Monitored::Pid(pid)));
        }
    }
    tokio::spawn(life::run(shared, fut));
    pid
}
