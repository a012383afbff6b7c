//! [`ReplyTo`]: who is waiting for a call's reply (Erlang's opaque `From`) — the one
//! reply handle of Tether — and the messages that carry calls and casts between local
//! processes.
//!
//! Every request/reply in the crate answers through a `ReplyTo`: GenServer calls,
//! `sys` requests, the private calls of supervisors, registry partitions and pg scopes
//! (`otp::call`), and the raw-term `dist` services (`otp::gen_call::GenCall`). A reply
//! goes one of two ways:
//!
//! - to a **local** caller: the caller's request (a [`LocalCall`] value moved into the
//!   server's mailbox) carries the call's alias; the reply is a `CallReply`
//!   (`otp::request`) sent to that alias;
//! - to a caller that sent the **term** `{'$gen_call', {Pid, Tag}, Request}` (another
//!   node, or a local process speaking terms): the reply is encoded into a term and
//!   sent as `{Tag, Reply}` the way `gen:reply/2` sends it (`otp::gen_call`). A reply
//!   that has no term form is answered `{error, bad_reply}`, so such a caller never
//!   waits for a reply that cannot come.

use std::fmt;
use std::sync::Arc;

use tether_term::{Pid, Term};

use crate::otp::gen_call::{bad_reply, reply_term};
use crate::otp::request::reply_via;
use crate::process::AliasSender;

/// A call in flight, as moved into a local server's mailbox.
pub(crate) struct LocalCall<Q, R> {
    pub from: ReplyTo<R>,
    pub request: Q,
}

/// A cast, as moved into a local server's mailbox.
pub(crate) struct LocalCast<C>(pub C);

enum Tag<R> {
    /// A local caller waiting on this alias for a `CallReply`.
    Local(AliasSender),
    /// A caller that sent a `$gen_call` term: reply `{Tag, encode(Reply)}`.
    Wire {
        tag: Arc<Term>,
        encode: fn(&R) -> Option<Term>,
    },
}

impl<R> Clone for Tag<R> {
    fn clone(&self) -> Self {
        match self {
            Tag::Local(to) => Tag::Local(to.clone()),
            Tag::Wire { tag, encode } => Tag::Wire {
                tag: tag.clone(),
                encode: *encode,
            },
        }
    }
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
    tag: Tag<R>,
}

impl<R> Clone for ReplyTo<R> {
    fn clone(&self) -> Self {
        ReplyTo {
            caller: self.caller,
            tag: self.tag.clone(),
        }
    }
}

impl<R> fmt::Debug for ReplyTo<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.tag {
            Tag::Local(r) => write!(f, "ReplyTo({:?}, {:?})", self.caller, r.alias()),
            Tag::Wire { tag, .. } => write!(f, "ReplyTo({:?}, {tag:?})", self.caller),
        }
    }
}

/// The encoding of a reply that is a term already.
fn same_term(t: &Term) -> Option<Term> {
    Some(t.clone())
}

impl<R: Send + 'static> ReplyTo<R> {
    /// A local caller, reached through `to` (the call's alias). Its replies are Rust
    /// values, never encoded.
    pub(crate) fn local(to: AliasSender) -> Self {
        ReplyTo {
            caller: to.owner(),
            tag: Tag::Local(to),
        }
    }

    /// The sender of a `$gen_call` term, answered with `{Tag, encode(Reply)}`.
    pub(crate) fn wire(caller: Pid, tag: Term, encode: fn(&R) -> Option<Term>) -> Self {
        ReplyTo {
            caller,
            tag: Tag::Wire {
                tag: Arc::new(tag),
                encode,
            },
        }
    }

    /// The same caller, answered with replies of another type `R2`: a behaviour
    /// built on a GenServer (GenStage) hands its user a `ReplyTo` of the user's reply
    /// type. A term caller's replies go through `encode`; a local caller must be
    /// waiting for `R2` replies.
    pub(crate) fn retype<R2: Send + 'static>(
        &self,
        encode: fn(&R2) -> Option<Term>,
    ) -> ReplyTo<R2> {
        ReplyTo {
            caller: self.caller,
            tag: match &self.tag {
                Tag::Local(to) => Tag::Local(to.clone()),
                Tag::Wire { tag, .. } => Tag::Wire {
                    tag: tag.clone(),
                    encode,
                },
            },
        }
    }

    /// The calling process.
    ///
    /// ```
    /// # use tether::otp::gen_server::{self, CallResult, GenServer, Init, ReplyTo, StartOpts};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// /// Answers every call with the caller's pid.
    /// struct WhoAmI;
    /// impl GenServer for WhoAmI {
    ///     type Args = (); type Call = (); type Cast = (); type Reply = tether::Pid; type Continue = ();
    ///     async fn init(_: ()) -> Init<Self> { Init::ok(WhoAmI) }
    ///     async fn handle_call(&mut self, _: (), from: &ReplyTo<tether::Pid>) -> CallResult<Self> {
    ///         CallResult::reply(from.caller())
    ///     }
    /// }
    /// let s = gen_server::start::<WhoAmI>((), StartOpts::new()).await.unwrap();
    /// assert_eq!(s.call(()).await.unwrap(), tether::self_pid());
    /// # });
    /// ```
    pub fn caller(&self) -> Pid {
        self.caller
    }

    /// Sends `value` as the reply (Erlang's `gen_server:reply/2`). Never fails; a
    /// reply nobody waits for any more is dropped.
    ///
    /// A caller from another node gets the term the server's
    /// [`encode_reply`](super::GenServer::encode_reply) makes; if that gives `None`
    /// the reply cannot travel: the caller gets `{error, bad_reply}` instead, and the
    /// failure is logged.
    ///
    /// ```
    /// # use tether::otp::gen_server::{self, CallResult, GenServer, Init, ReplyTo, StartOpts};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// /// Replies from a spawned process, after the callback has returned.
    /// struct Later;
    /// impl GenServer for Later {
    ///     type Args = (); type Call = u32; type Cast = (); type Reply = u32; type Continue = ();
    ///     async fn init(_: ()) -> Init<Self> { Init::ok(Later) }
    ///     async fn handle_call(&mut self, n: u32, from: &ReplyTo<u32>) -> CallResult<Self> {
    ///         let from = from.clone();
    ///         tether::spawn(async move { from.reply(n * 2) });
    ///         CallResult::noreply()
    ///     }
    /// }
    /// let s = gen_server::start::<Later>((), StartOpts::new()).await.unwrap();
    /// assert_eq!(s.call(21).await.unwrap(), 42);
    /// # });
    /// ```
    pub fn reply(&self, value: R) {
        match &self.tag {
            Tag::Local(to) => reply_via(to, value),
            Tag::Wire { tag, encode } => match encode(&value) {
                Some(reply) => reply_term(self.caller, tag, reply),
                None => {
                    crate::runtime::logger::report_warn!(
                        caller = %self.caller,
                        "a reply of type {} has no term encoding (GenServer::encode_reply); \
                         answered {{error, bad_reply}}",
                        std::any::type_name::<R>()
                    );
                    reply_term(self.caller, tag, bad_reply());
                }
            },
        }
    }
}

impl ReplyTo<Term> {
    /// The sender of a `$gen_call` term whose replies are terms already (the raw-term
    /// `dist` services).
    pub(crate) fn wire_term(caller: Pid, tag: Term) -> Self {
        ReplyTo::wire(caller, tag, same_term)
    }

    /// [`reply`](ReplyTo::reply) without encoding: the term is sent as it is.
    pub(crate) fn reply_term(&self, value: Term) {
        match &self.tag {
            Tag::Local(to) => reply_via(to, value),
            Tag::Wire { tag, .. } => reply_term(self.caller, tag, value),
        }
    }
}
