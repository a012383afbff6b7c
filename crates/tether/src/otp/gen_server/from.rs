//! [`ReplyTo`]: who is waiting for a call's reply (Erlang's opaque `From`), and the
//! messages that carry calls, casts and replies between local processes.
//!
//! A local call is a [`LocalCall`] value moved into the server's mailbox; its reply is
//! a `CallReply` (`otp::request`) sent to the caller's *alias*, tagged with that alias (the call's
//! monitor reference). A call from another node arrives as the term
//! `{'$gen_call', {Pid, Tag}, Request}`; its reply is the term `{Tag, Reply}`, sent as
//! `gen:reply/2` sends it: to the alias inside `Tag` when there is one, else to `Pid`.

use std::fmt;
use std::sync::Arc;

use tether_term::{Pid, Term};

use crate::Dest;
use crate::otp::request::{alias_of, reply_via};
use crate::process::AliasSender;

/// A call in flight, as moved into a local server's mailbox.
pub(crate) struct LocalCall<Q, R> {
    pub from: ReplyTo<R>,
    pub request: Q,
}

/// A cast, as moved into a local server's mailbox.
pub(crate) struct LocalCast<C>(pub C);

#[derive(Clone)]
enum Tag {
    /// A local caller waiting on this alias for a `CallReply`.
    Local(AliasSender),
    /// A caller that sent a `$gen_call` term: reply `{Tag, Reply}` as a term.
    Wire(Arc<Term>),
}

/// The caller of a [`handle_call`](super::GenServer::handle_call): Erlang's `From`.
///
/// It is opaque: keep it (clone it) and [`reply`](ReplyTo::reply) later to answer a
/// call after returning [`CallResult::noreply`](super::CallResult::noreply), from any
/// process, at any time (docs/semantics.md §4.7). A reply to a caller that has given up is
/// dropped by the runtime (the caller's alias is no longer active), so a late reply
/// never pollutes its mailbox.
///
/// See the deferred-reply example on [`GenServer::handle_call`](super::GenServer::handle_call).
pub struct ReplyTo<R> {
    caller: Pid,
    tag: Tag,
    encode: fn(&R) -> Option<Term>,
}

impl<R> Clone for ReplyTo<R> {
    fn clone(&self) -> Self {
        ReplyTo {
            caller: self.caller,
            tag: self.tag.clone(),
            encode: self.encode,
        }
    }
}

impl<R> fmt::Debug for ReplyTo<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.tag {
            Tag::Local(r) => write!(f, "ReplyTo({:?}, {:?})", self.caller, r.alias()),
            Tag::Wire(t) => write!(f, "ReplyTo({:?}, {t:?})", self.caller),
        }
    }
}

impl<R: Send + 'static> ReplyTo<R> {
    pub(crate) fn local(to: AliasSender, encode: fn(&R) -> Option<Term>) -> Self {
        ReplyTo {
            caller: to.owner(),
            tag: Tag::Local(to),
            encode,
        }
    }

    pub(crate) fn wire(caller: Pid, tag: Term, encode: fn(&R) -> Option<Term>) -> Self {
        ReplyTo {
            caller,
            tag: Tag::Wire(Arc::new(tag)),
            encode,
        }
    }

    /// The calling process.
    pub fn caller(&self) -> Pid {
        self.caller
    }

    /// Sends `value` as the reply (Erlang's `gen_server:reply/2`). Never fails; a
    /// reply nobody waits for any more is dropped.
    ///
    /// A caller from another node gets the term the server's
    /// [`encode_reply`](super::GenServer::encode_reply) makes; if that gives `None` the
    /// reply cannot travel, and is logged and dropped.
    pub fn reply(&self, value: R) {
        match &self.tag {
            Tag::Local(to) => reply_via(to, value),
            Tag::Wire(tag) => match (self.encode)(&value) {
                Some(reply) => reply_term(self.caller, tag, reply),
                None => tracing::warn!(
                    caller = %self.caller,
                    "a reply of type {} has no term encoding (GenServer::encode_reply); dropped",
                    std::any::type_name::<R>()
                ),
            },
        }
    }
}

/// Replies `{Tag, Reply}` to a `$gen_call` from `caller` as `gen:reply/2` does: to
/// the alias in a tag `[alias | A]` or `[[alias | A] | _]` (OTP 24+ callers), else to
/// the caller's pid (a plain reference, `{Ref, Node}` of `multi_call`, ...). Every
/// server that answers wire calls replies through this (GenServers and the `dist`
/// services alike).
pub(crate) fn reply_term(caller: Pid, tag: &Term, reply: Term) {
    let dest = match alias_of(tag) {
        Some(a) => Dest::Alias(a),
        None => Dest::Pid(caller),
    };
    let _ = crate::send(dest, Term::tuple([tag.clone(), reply]));
}
