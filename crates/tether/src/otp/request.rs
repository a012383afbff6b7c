//! The one request/reply primitive every call in Tether goes through (docs/semantics.md §4.3,
//! §1.7): gen_server's [`call`](super::gen_server::call) and `sys` requests, the
//! supervisors', registry's and pg's private calls ([`super::call`]), and the
//! term-level [`dist::call`](crate::dist::call()). [`await_reply`] (step 4 alone)
//! awaits a supervised task's result
//! ([`SupervisedTask::await_result`](super::task_supervisor::SupervisedTask::await_result)).
//! [`Task`](super::task::Task) keeps its own wait: like Elixir's `Task`, its alias
//! exists before the task is spawned and its monitor comes from the spawn, and
//! `yield`/`await_many` keep the alias alive across timeouts or wait on many.
//!
//! ## The protocol
//!
//! It is OTP 24+'s `gen:do_call/4`:
//!
//! 1. resolve the server (an unknown local or via name fails with `noproc` without
//!    sending; calling oneself fails with `calling_self`);
//! 2. remember the end of the mailbox (the *mark*), then
//!    `monitor_alias(server, ReplyDemonitor)`: one fresh reference that is both a
//!    monitor of the server and an alias of the caller;
//! 3. send the request the caller builds for its pid and that alias — a Rust value
//!    moved into a local mailbox, or a term (`{'$gen_call', {Pid, [alias | Ref]},
//!    Request}`, built with `otp::gen_call`) when the server is on another node;
//! 4. wait selectively, scanning only messages that arrived after the mark (nothing
//!    older can carry a fresh reference), for the reply sent to the alias — a
//!    [`CallReply`] value, or the term `{Tag, Reply}` whose tag carries the alias — or
//!    the DOWN of the monitor.
//!
//! The first reply deactivates the alias and removes the monitor in one step; a DOWN
//! does the same. On timeout the caller removes the monitor (which deactivates the
//! alias) and takes a reply that raced in, if any; any later reply is dropped by the
//! runtime at the caller, so it never shows up in the mailbox (docs/semantics.md §1.7 A6, C5).
//!
//! A DOWN maps to the one error type, [`CallError`]: `noproc` → [`CallError::NoProc`],
//! `noconnection` → [`CallError::NodeDown`] (the server's node), anything else →
//! [`CallError::Exit`].

use std::time::Duration;

use tether_term::{Node, Pid, Reference, Term};

use super::gen_call::alias_of;
use super::gen_server::{CallError, Timeout};
use crate::process::Target;
use crate::process::{
    AliasSender, NotSent, mailbox_mark, monitor_alias_send, receive_select_after,
};
use crate::{
    AliasMode, Dest, Down, ExitReason, Message, MonitorTarget, demonitor_flush, monitor_alias,
    self_pid, send_message,
};

/// A reply to a local request, sent to the caller's alias `tag`.
pub(crate) struct CallReply<R> {
    pub tag: Reference,
    pub value: R,
}

/// Sends `value` as the reply to the local request tagged `alias` (dropped by the
/// runtime if the caller gave up).
pub(crate) fn reply_local<R: Send + 'static>(alias: Reference, value: R) {
    let _ = crate::send(alias, CallReply { tag: alias, value });
}

/// [`reply_local`] through the reply address a local request carries.
pub(crate) fn reply_via<R: Send + 'static>(to: &AliasSender, value: R) {
    let tag = to.alias();
    to.send(Message::new(CallReply { tag, value }));
}

/// Who a request comes from, as its builder sees it.
pub(crate) enum Caller {
    /// A local server: reply through this (the call's alias, with the caller's record).
    Local(AliasSender),
    /// A server on another node: the caller's pid and the call's alias.
    Remote(Pid, Reference),
}

impl Caller {
    /// The calling process.
    pub(crate) fn pid(&self) -> Pid {
        match self {
            Caller::Local(a) => a.owner(),
            Caller::Remote(p, _) => *p,
        }
    }

    /// The call's alias (and monitor reference).
    pub(crate) fn alias(&self) -> Reference {
        match self {
            Caller::Local(a) => a.alias(),
            Caller::Remote(_, r) => *r,
        }
    }
}

/// Sends a request to `server` and waits up to `timeout` for its reply.
///
/// `build` makes the request message for the [`Caller`]: a Rust value for a local
/// server, a term for a remote one; `None` means the request has no term form
/// ([`CallError::NotPortable`]). A local reply is a [`CallReply<R>`]; a term reply
/// `{Tag, Reply}` is turned into an `R` by `decode` (`None`: [`CallError::BadReply`]).
///
/// A local server is reached through [`monitor_alias_send`]: steps 2 and 3 in one,
/// with one lookup of the server. A server found dead fails at once with `noproc`,
/// which is what the `noproc` DOWN would have said.
pub(crate) async fn request<R: Send + 'static>(
    server: &Dest,
    timeout: Timeout,
    build: impl FnOnce(Caller) -> Option<Message>,
    decode: fn(&Term) -> Option<R>,
) -> Result<R, CallError> {
    let me = self_pid();
    let (dest, target, node) = match server.target() {
        Target::NoProc => return Err(CallError::NoProc),
        Target::Pid(p) if p == me => return Err(CallError::CallingSelf),
        Target::Pid(p) if p.node.is_local() => {
            let build = |to| build(Caller::Local(to));
            return match monitor_alias_send(p, AliasMode::ReplyDemonitor, build) {
                Ok((mref, mark)) => await_reply(mark, mref, p.node, timeout, decode).await,
                Err(NotSent::NoProc) => Err(CallError::NoProc),
                Err(NotSent::NoMessage) => Err(CallError::NotPortable),
            };
        }
        Target::Pid(p) => (Dest::Pid(p), MonitorTarget::Pid(p), p.node),
        Target::RemoteName(n, node) => (
            Dest::Remote(n.clone(), node),
            MonitorTarget::Remote(n, node),
            node,
        ),
    };
    let mark = mailbox_mark();
    let mref = monitor_alias(target, AliasMode::ReplyDemonitor);
    let Some(msg) = build(Caller::Remote(me, mref)) else {
        demonitor_flush(mref);
        return Err(CallError::NotPortable);
    };
    // A failed send (no such process) is reported by the monitor's DOWN.
    let _ = send_message(dest, msg);
    await_reply(mark, mref, node, timeout, decode).await
}

/// Step 4 alone: waits up to `timeout` for the reply tagged `mref` or the DOWN of
/// `mref`, which must be a `monitor_alias(_, ReplyDemonitor)` of a server on `node`;
/// only messages from mailbox position `mark` on are scanned (`0`: all). On timeout
/// the monitor and alias are removed. For protocols that send the request their own
/// way (a supervised task gets the alias when it starts).
pub(crate) async fn await_reply<R: Send + 'static>(
    mark: usize,
    mref: Reference,
    node: Node,
    timeout: Timeout,
    decode: fn(&Term) -> Option<R>,
) -> Result<R, CallError> {
    let answer = move |m: &Message| is_reply::<R>(m, mref) || is_down(m, mref);
    if let Some(m) = receive_select_after(mark, timeout.duration(), answer).await {
        return outcome(m, mref, node, decode);
    }
    // Timed out: deactivate the alias (no reply can arrive from now on), then take a
    // reply that raced in before that.
    demonitor_flush(mref);
    let reply = move |m: &Message| is_reply::<R>(m, mref);
    match receive_select_after(mark, Some(Duration::ZERO), reply).await {
        Some(m) => outcome(m, mref, node, decode),
        None => Err(CallError::Timeout),
    }
}

/// The error for a DOWN (of a server on `node`) received instead of a reply.
pub(crate) fn down_error(reason: ExitReason, node: Node) -> CallError {
    match reason {
        ExitReason::Noproc => CallError::NoProc,
        ExitReason::Noconnection => CallError::NodeDown(node),
        r => CallError::Exit(r),
    }
}

fn is_reply<R: 'static>(m: &Message, mref: Reference) -> bool {
    if let Some(r) = m.downcast_ref::<CallReply<R>>() {
        return r.tag == mref;
    }
    match m.downcast_ref::<Term>() {
        Some(Term::Tuple(items)) if items.len() == 2 => alias_of(&items[0]) == Some(mref),
        _ => false,
    }
}

fn is_down(m: &Message, mref: Reference) -> bool {
    m.downcast_ref::<Down>()
        .is_some_and(|d| d.reference == mref)
}

fn outcome<R: 'static>(
    m: Message,
    mref: Reference,
    node: Node,
    decode: fn(&Term) -> Option<R>,
) -> Result<R, CallError> {
    let m = match m.downcast::<CallReply<R>>() {
        Ok(r) => return Ok(r.value),
        Err(m) => m,
    };
    let m = match m.downcast::<Down>() {
        Ok(d) => return Err(down_error(d.reason, node)),
        Err(m) => m,
    };
    match m.downcast::<Term>() {
        Ok(Term::Tuple(mut items)) if items.len() == 2 => {
            // A reply through the alias already removed the monitor; one a server
            // sent to the pid instead (older or hand-written servers) did not.
            demonitor_flush(mref);
            let reply = items.pop().unwrap_or_else(Term::nil);
            decode(&reply).ok_or(CallError::BadReply(reply))
        }
        _ => unreachable!("only replies and DOWNs are matched"),
    }
}
