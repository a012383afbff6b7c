//! What callbacks return: [`Init`], [`CallResult`], [`CastResult`], and the [`Next`]
//! step that may follow any of them (docs/semantics.md §4.2, §4.5).

use std::time::Duration;

use tether_term::Term;

use super::GenServer;
use crate::ExitReason;

/// How long to wait: a duration or forever (Erlang's `timeout()`, an integer or
/// `infinity`).
///
/// ```
/// use std::time::Duration;
/// use tether::otp::gen_server::Timeout;
/// assert_eq!(Timeout::DEFAULT, Timeout::After(Duration::from_secs(5)));
/// assert_eq!(Timeout::from(Duration::from_millis(10)).duration(), Some(Duration::from_millis(10)));
/// assert_eq!(Timeout::Infinity.duration(), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Timeout {
    /// Give up after this long.
    After(Duration),
    /// Wait forever (`infinity`).
    Infinity,
}

impl Timeout {
    /// The default for calls, `Agent` functions and `Task::await_`: 5 seconds
    /// (docs/semantics.md §9).
    pub const DEFAULT: Timeout = Timeout::After(Duration::from_secs(5));

    /// The duration, or `None` for `Infinity`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tether::otp::gen_server::Timeout;
    /// assert_eq!(Timeout::from(Duration::from_secs(2)).duration(), Some(Duration::from_secs(2)));
    /// assert_eq!(Timeout::DEFAULT.duration(), Some(Duration::from_secs(5)));
    /// assert_eq!(Timeout::Infinity.duration(), None);
    /// ```
    pub fn duration(self) -> Option<Duration> {
        match self {
            Timeout::After(d) => Some(d),
            Timeout::Infinity => None,
        }
    }

    /// The timeout as Erlang writes it: milliseconds, or the atom `infinity`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tether::{otp::gen_server::Timeout, Term};
    /// assert_eq!(Timeout::After(Duration::from_millis(1500)).to_term(), Term::Int(1500));
    /// assert_eq!(Timeout::Infinity.to_term(), Term::atom("infinity"));
    /// ```
    pub fn to_term(self) -> Term {
        match self {
            Timeout::After(d) => Term::Int(d.as_millis().min(i64::MAX as u128) as i64),
            Timeout::Infinity => Term::atom("infinity"),
        }
    }
}

impl From<Duration> for Timeout {
    fn from(d: Duration) -> Timeout {
        Timeout::After(d)
    }
}

/// What the server does after a callback (the optional last element of OTP's return
/// tuples: `timeout() | hibernate | {continue, C}`).
#[derive(Clone, Debug, PartialEq)]
pub enum Next<C> {
    /// Wait for the next message.
    Wait,
    /// Wait for the next message, but if none arrives within the duration, call
    /// `handle_info` with [`TimeoutMsg`](super::TimeoutMsg). Any message cancels it;
    /// system messages (`sys`) do not (docs/semantics.md §4.5 V3).
    Timeout(Duration),
    /// Hibernate: release spare buffers, then wait (V5).
    Hibernate,
    /// Run `handle_continue` with this value before reading any message (V4).
    Continue(C),
}

/// The result of [`GenServer::init`] (docs/semantics.md §4.2).
///
/// ```
/// use std::time::Duration;
/// use tether::otp::gen_server::{Init, Next};
/// # use tether::otp::gen_server::{GenServer};
/// # struct S;
/// # impl GenServer for S { type Args = (); type Call = (); type Cast = (); type Reply = (); type Continue = ();
/// #   async fn init(_: ()) -> Init<S> { Init::ok(S) } }
/// let i: Init<S> = Init::ok(S).timeout(Duration::from_secs(1));
/// assert!(matches!(i, Init::Ok(_, Next::Timeout(_))));
/// ```
pub enum Init<S: GenServer> {
    /// `{ok, State}` (with what to do next): the start returns the server.
    Ok(S, Next<S::Continue>),
    /// `ignore`: the start returns [`ServerStartError::Ignore`](super::ServerStartError::Ignore) and
    /// the process exits `normal`.
    Ignore,
    /// `{stop, Reason}`: the start fails with `Reason` and the process exits with it
    /// (which kills a linked starter that does not trap exits, as in OTP).
    Stop(ExitReason),
    /// `{error, Reason}` (OTP 26+): the start fails with `Reason`, but the process
    /// exits `normal`, so linked starters survive.
    Error(ExitReason),
}

/// The result of [`GenServer::handle_call`] (docs/semantics.md §4.5 V1).
pub enum CallResult<S: GenServer> {
    /// `{reply, Reply, State[, Next]}`.
    Reply(S::Reply, Next<S::Continue>),
    /// `{noreply, State[, Next]}`: reply later (or never) through the
    /// [`ReplyTo`](super::ReplyTo).
    NoReply(Next<S::Continue>),
    /// `{stop, Reason, State}` or `{stop, Reason, Reply, State}`: run `terminate`, then
    /// send the reply if any, then exit with `Reason` (V6).
    Stop(ExitReason, Option<S::Reply>),
}

/// The result of [`GenServer::handle_cast`], [`GenServer::handle_info`] and
/// [`GenServer::handle_continue`].
pub enum CastResult<S: GenServer> {
    /// `{noreply, State[, Next]}`.
    NoReply(Next<S::Continue>),
    /// `{stop, Reason, State}`.
    Stop(ExitReason),
}

impl<S: GenServer> Init<S> {
    /// `{ok, State}`.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::otp::gen_server::{CallResult, CastResult, GenServer, Init, Next};
    /// # struct S;
    /// # impl GenServer for S { type Args = (); type Call = (); type Cast = (); type Reply = u32; type Continue = &'static str;
    /// #   async fn init(_: ()) -> Init<Self> { Init::ok(S) } }
    /// assert!(matches!(Init::ok(S), Init::Ok(S, Next::Wait)));
    /// ```
    pub fn ok(state: S) -> Init<S> {
        Init::Ok(state, Next::Wait)
    }

    /// `{ok, State, Timeout}`: `handle_info(TimeoutMsg)` unless a message arrives
    /// first. Has no effect on the other variants.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::otp::gen_server::{CallResult, CastResult, GenServer, Init, Next};
    /// # struct S;
    /// # impl GenServer for S { type Args = (); type Call = (); type Cast = (); type Reply = u32; type Continue = &'static str;
    /// #   async fn init(_: ()) -> Init<Self> { Init::ok(S) } }
    /// let init = Init::ok(S).timeout(Duration::from_secs(1));
    /// assert!(matches!(init, Init::Ok(S, Next::Timeout(d)) if d == Duration::from_secs(1)));
    /// // Only an `Ok` has a next step.
    /// assert!(matches!(Init::<S>::Ignore.timeout(Duration::from_secs(1)), Init::Ignore));
    /// ```
    pub fn timeout(self, after: Duration) -> Self {
        self.set_next(Next::Timeout(after))
    }

    /// `{ok, State, hibernate}`.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::otp::gen_server::{CallResult, CastResult, GenServer, Init, Next};
    /// # struct S;
    /// # impl GenServer for S { type Args = (); type Call = (); type Cast = (); type Reply = u32; type Continue = &'static str;
    /// #   async fn init(_: ()) -> Init<Self> { Init::ok(S) } }
    /// assert!(matches!(Init::ok(S).hibernate(), Init::Ok(S, Next::Hibernate)));
    /// ```
    pub fn hibernate(self) -> Self {
        self.set_next(Next::Hibernate)
    }

    /// `{ok, State, {continue, C}}`: `handle_continue(c)` runs before any message.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::otp::gen_server::{CallResult, CastResult, GenServer, Init, Next};
    /// # struct S;
    /// # impl GenServer for S { type Args = (); type Call = (); type Cast = (); type Reply = u32; type Continue = &'static str;
    /// #   async fn init(_: ()) -> Init<Self> { Init::ok(S) } }
    /// assert!(matches!(Init::ok(S).then_continue("load"), Init::Ok(S, Next::Continue("load"))));
    /// ```
    pub fn then_continue(self, c: S::Continue) -> Self {
        self.set_next(Next::Continue(c))
    }

    fn set_next(self, next: Next<S::Continue>) -> Self {
        match self {
            Init::Ok(s, _) => Init::Ok(s, next),
            other => other,
        }
    }
}

impl<S: GenServer> CallResult<S> {
    /// `{reply, Reply, State}`.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::otp::gen_server::{CallResult, CastResult, GenServer, Init, Next};
    /// # struct S;
    /// # impl GenServer for S { type Args = (); type Call = (); type Cast = (); type Reply = u32; type Continue = &'static str;
    /// #   async fn init(_: ()) -> Init<Self> { Init::ok(S) } }
    /// assert!(matches!(CallResult::<S>::reply(7), CallResult::Reply(7, Next::Wait)));
    /// ```
    pub fn reply(reply: S::Reply) -> CallResult<S> {
        CallResult::Reply(reply, Next::Wait)
    }

    /// `{noreply, State}`.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::otp::gen_server::{CallResult, CastResult, GenServer, Init, Next};
    /// # struct S;
    /// # impl GenServer for S { type Args = (); type Call = (); type Cast = (); type Reply = u32; type Continue = &'static str;
    /// #   async fn init(_: ()) -> Init<Self> { Init::ok(S) } }
    /// assert!(matches!(CallResult::<S>::noreply(), CallResult::NoReply(Next::Wait)));
    /// ```
    pub fn noreply() -> CallResult<S> {
        CallResult::NoReply(Next::Wait)
    }

    /// `{stop, Reason, State}`: the caller gets `Reason` as its error unless someone
    /// replies first.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::otp::gen_server::{CallResult, CastResult, GenServer, Init, Next};
    /// # struct S;
    /// # impl GenServer for S { type Args = (); type Call = (); type Cast = (); type Reply = u32; type Continue = &'static str;
    /// #   async fn init(_: ()) -> Init<Self> { Init::ok(S) } }
    /// use tether::ExitReason;
    /// let r = CallResult::<S>::stop(ExitReason::from("bye"));
    /// assert!(matches!(r, CallResult::Stop(reason, None) if reason == ExitReason::from("bye")));
    /// ```
    pub fn stop(reason: ExitReason) -> CallResult<S> {
        CallResult::Stop(reason, None)
    }

    /// `{stop, Reason, Reply, State}`.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::otp::gen_server::{CallResult, CastResult, GenServer, Init, Next};
    /// # struct S;
    /// # impl GenServer for S { type Args = (); type Call = (); type Cast = (); type Reply = u32; type Continue = &'static str;
    /// #   async fn init(_: ()) -> Init<Self> { Init::ok(S) } }
    /// use tether::ExitReason;
    /// let r = CallResult::<S>::stop_reply(ExitReason::Normal, 0);
    /// assert!(matches!(r, CallResult::Stop(ExitReason::Normal, Some(0))));
    /// ```
    pub fn stop_reply(reason: ExitReason, reply: S::Reply) -> CallResult<S> {
        CallResult::Stop(reason, Some(reply))
    }

    /// Adds a timeout to a reply or noreply (see [`Next::Timeout`]).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::otp::gen_server::{CallResult, CastResult, GenServer, Init, Next};
    /// # struct S;
    /// # impl GenServer for S { type Args = (); type Call = (); type Cast = (); type Reply = u32; type Continue = &'static str;
    /// #   async fn init(_: ()) -> Init<Self> { Init::ok(S) } }
    /// let r = CallResult::<S>::reply(1).timeout(Duration::from_millis(10));
    /// assert!(matches!(r, CallResult::Reply(1, Next::Timeout(_))));
    /// ```
    pub fn timeout(self, after: Duration) -> Self {
        self.with_next(Next::Timeout(after))
    }

    /// Hibernates after a reply or noreply.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::otp::gen_server::{CallResult, CastResult, GenServer, Init, Next};
    /// # struct S;
    /// # impl GenServer for S { type Args = (); type Call = (); type Cast = (); type Reply = u32; type Continue = &'static str;
    /// #   async fn init(_: ()) -> Init<Self> { Init::ok(S) } }
    /// assert!(matches!(CallResult::<S>::noreply().hibernate(), CallResult::NoReply(Next::Hibernate)));
    /// ```
    pub fn hibernate(self) -> Self {
        self.with_next(Next::Hibernate)
    }

    /// Runs `handle_continue(c)` after a reply (the reply is sent first) or noreply.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::otp::gen_server::{CallResult, CastResult, GenServer, Init, Next};
    /// # struct S;
    /// # impl GenServer for S { type Args = (); type Call = (); type Cast = (); type Reply = u32; type Continue = &'static str;
    /// #   async fn init(_: ()) -> Init<Self> { Init::ok(S) } }
    /// let r = CallResult::<S>::reply(1).then_continue("flush");
    /// assert!(matches!(r, CallResult::Reply(1, Next::Continue("flush"))));
    /// ```
    pub fn then_continue(self, c: S::Continue) -> Self {
        self.with_next(Next::Continue(c))
    }

    fn with_next(self, next: Next<S::Continue>) -> Self {
        match self {
            CallResult::Reply(r, _) => CallResult::Reply(r, next),
            CallResult::NoReply(_) => CallResult::NoReply(next),
            stop => stop,
        }
    }
}

impl<S: GenServer> CastResult<S> {
    /// `{noreply, State}`.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::otp::gen_server::{CallResult, CastResult, GenServer, Init, Next};
    /// # struct S;
    /// # impl GenServer for S { type Args = (); type Call = (); type Cast = (); type Reply = u32; type Continue = &'static str;
    /// #   async fn init(_: ()) -> Init<Self> { Init::ok(S) } }
    /// assert!(matches!(CastResult::<S>::noreply(), CastResult::NoReply(Next::Wait)));
    /// ```
    pub fn noreply() -> CastResult<S> {
        CastResult::NoReply(Next::Wait)
    }

    /// `{stop, Reason, State}`.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::otp::gen_server::{CallResult, CastResult, GenServer, Init, Next};
    /// # struct S;
    /// # impl GenServer for S { type Args = (); type Call = (); type Cast = (); type Reply = u32; type Continue = &'static str;
    /// #   async fn init(_: ()) -> Init<Self> { Init::ok(S) } }
    /// use tether::ExitReason;
    /// assert!(matches!(CastResult::<S>::stop(ExitReason::Shutdown), CastResult::Stop(ExitReason::Shutdown)));
    /// ```
    pub fn stop(reason: ExitReason) -> CastResult<S> {
        CastResult::Stop(reason)
    }

    /// Adds a timeout (see [`Next::Timeout`]).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::otp::gen_server::{CallResult, CastResult, GenServer, Init, Next};
    /// # struct S;
    /// # impl GenServer for S { type Args = (); type Call = (); type Cast = (); type Reply = u32; type Continue = &'static str;
    /// #   async fn init(_: ()) -> Init<Self> { Init::ok(S) } }
    /// let r = CastResult::<S>::noreply().timeout(Duration::from_millis(10));
    /// assert!(matches!(r, CastResult::NoReply(Next::Timeout(_))));
    /// ```
    pub fn timeout(self, after: Duration) -> Self {
        self.set_next(Next::Timeout(after))
    }

    /// Hibernates after this step.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::otp::gen_server::{CallResult, CastResult, GenServer, Init, Next};
    /// # struct S;
    /// # impl GenServer for S { type Args = (); type Call = (); type Cast = (); type Reply = u32; type Continue = &'static str;
    /// #   async fn init(_: ()) -> Init<Self> { Init::ok(S) } }
    /// assert!(matches!(CastResult::<S>::noreply().hibernate(), CastResult::NoReply(Next::Hibernate)));
    /// ```
    pub fn hibernate(self) -> Self {
        self.set_next(Next::Hibernate)
    }

    /// Runs `handle_continue(c)` before the next message.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::otp::gen_server::{CallResult, CastResult, GenServer, Init, Next};
    /// # struct S;
    /// # impl GenServer for S { type Args = (); type Call = (); type Cast = (); type Reply = u32; type Continue = &'static str;
    /// #   async fn init(_: ()) -> Init<Self> { Init::ok(S) } }
    /// let r = CastResult::<S>::noreply().then_continue("next");
    /// assert!(matches!(r, CastResult::NoReply(Next::Continue("next"))));
    /// ```
    pub fn then_continue(self, c: S::Continue) -> Self {
        self.set_next(Next::Continue(c))
    }

    fn set_next(self, next: Next<S::Continue>) -> Self {
        match self {
            CastResult::NoReply(_) => CastResult::NoReply(next),
            stop => stop,
        }
    }
}
