//! The API: start a stage, subscribe, ask, cancel, switch the demand mode, queue
//! infos, call, cast, stop.
//!
//! The control functions take any [`Dest`]: a local Tether stage gets Rust values
//! (options may hold closures, infos may be any value); a stage on another node,
//! Tether or Elixir, gets the terms GenStage's functions send (see `control.rs`).

use std::fmt;
use std::marker::PhantomData;
use std::time::Duration;

use tether_term::{Pid, Reference, Term};

use super::GenStage;
use super::control::{Control, ControlCall, ControlCast, ControlReply};
use super::opts::{DemandMode, SubscribeOpts};
use super::server::{StageServer, UserCall, UserCast};
use crate::otp::gen_call::{alias_tag, call_term as gen_call_term, cast_term};
use crate::otp::gen_server::{self, CallError, ReplyTo, ServerStartError, StartOpts, Timeout};
use crate::otp::request::{Caller, request};
use crate::process::Target;
use crate::{Dest, ExitReason, Message, send_message};

/// A running stage of type `S`: its pid, with typed [`call`](Stage::call) and
/// [`cast`](Stage::cast).
pub struct Stage<S> {
    pid: Pid,
    _s: PhantomData<fn() -> S>,
}

impl<S> Clone for Stage<S> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S> Copy for Stage<S> {}

impl<S> fmt::Debug for Stage<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Stage<{}>({})", std::any::type_name::<S>(), self.pid)
    }
}

impl<S: GenStage> Stage<S> {
    /// The stage at `pid` (not checked).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::otp::gen_server::StartOpts;
    /// # use tether::otp::gen_stage::{self, DemandMode, Emit, GenStage, Init, SubscribeOpts, Subscription};
    /// # /// Counts up from a number, as far as it is asked.
    /// # struct Counter(i64);
    /// # impl GenStage for Counter {
    /// #     type Args = i64; type In = (); type Out = i64; type Call = (); type Cast = (); type Reply = ();
    /// #     async fn init(from: i64) -> Init<Self> { Init::producer(Counter(from)) }
    /// #     async fn handle_demand(&mut self, demand: u64) -> Emit<i64> {
    /// #         let events: Vec<i64> = (self.0..self.0 + demand as i64).collect();
    /// #         self.0 += demand as i64;
    /// #         Emit::events(events)
    /// #     }
    /// # }
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// use tether::otp::gen_stage::Stage;
    /// let s = gen_stage::start::<Counter>(0, StartOpts::new()).await.unwrap();
    /// let same = Stage::<Counter>::from_pid(s.pid());
    /// assert_eq!(same.pid(), s.pid());
    /// # });
    /// ```
    pub fn from_pid(pid: Pid) -> Stage<S> {
        Stage {
            pid,
            _s: PhantomData,
        }
    }

    /// The stage's pid.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::otp::gen_server::StartOpts;
    /// # use tether::otp::gen_stage::{self, DemandMode, Emit, GenStage, Init, SubscribeOpts, Subscription};
    /// # /// Counts up from a number, as far as it is asked.
    /// # struct Counter(i64);
    /// # impl GenStage for Counter {
    /// #     type Args = i64; type In = (); type Out = i64; type Call = (); type Cast = (); type Reply = ();
    /// #     async fn init(from: i64) -> Init<Self> { Init::producer(Counter(from)) }
    /// #     async fn handle_demand(&mut self, demand: u64) -> Emit<i64> {
    /// #         let events: Vec<i64> = (self.0..self.0 + demand as i64).collect();
    /// #         self.0 += demand as i64;
    /// #         Emit::events(events)
    /// #     }
    /// # }
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let s = gen_stage::start::<Counter>(0, StartOpts::new().name("numbers")).await.unwrap();
    /// assert_eq!(tether::whereis("numbers"), Some(s.pid()));
    /// # });
    /// ```
    pub fn pid(&self) -> Pid {
        self.pid
    }

    /// Calls the stage (see [`call`]).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::otp::gen_server::StartOpts;
    /// # use tether::otp::gen_stage::{self, DemandMode, Emit, GenStage, Init, SubscribeOpts, Subscription};
    /// # /// Counts up from a number, as far as it is asked.
    /// # struct Counter(i64);
    /// # impl GenStage for Counter {
    /// #     type Args = i64; type In = (); type Out = i64; type Call = (); type Cast = (); type Reply = ();
    /// #     async fn init(from: i64) -> Init<Self> { Init::producer(Counter(from)) }
    /// #     async fn handle_demand(&mut self, demand: u64) -> Emit<i64> {
    /// #         let events: Vec<i64> = (self.0..self.0 + demand as i64).collect();
    /// #         self.0 += demand as i64;
    /// #         Emit::events(events)
    /// #     }
    /// # }
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// /// A producer that also answers calls and casts: `Call` returns its position,
    /// /// a cast moves it.
    /// struct Pos(i64);
    /// impl GenStage for Pos {
    ///     type Args = (); type In = (); type Out = i64; type Call = (); type Cast = i64; type Reply = i64;
    ///     async fn init(_: ()) -> Init<Self> { Init::producer(Pos(0)) }
    ///     async fn handle_demand(&mut self, _: u64) -> Emit<i64> { Emit::none() }
    ///     async fn handle_call(&mut self, _: (), _: &tether::otp::gen_server::ReplyTo<i64>) -> gen_stage::CallResult<Self> {
    ///         gen_stage::CallResult::reply(self.0)
    ///     }
    ///     async fn handle_cast(&mut self, to: i64) -> Emit<i64> {
    ///         self.0 = to;
    ///         Emit::none()
    ///     }
    /// }
    /// let s = gen_stage::start::<Pos>((), StartOpts::new()).await.unwrap();
    /// assert_eq!(s.call(()).await.unwrap(), 0);
    /// # });
    /// ```
    pub async fn call(&self, request: S::Call) -> Result<S::Reply, CallError> {
        call::<S>(self.pid, request, Timeout::DEFAULT).await
    }

    /// Casts to the stage (see [`cast`]).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::otp::gen_server::StartOpts;
    /// # use tether::otp::gen_stage::{self, DemandMode, Emit, GenStage, Init, SubscribeOpts, Subscription};
    /// # /// Counts up from a number, as far as it is asked.
    /// # struct Counter(i64);
    /// # impl GenStage for Counter {
    /// #     type Args = i64; type In = (); type Out = i64; type Call = (); type Cast = (); type Reply = ();
    /// #     async fn init(from: i64) -> Init<Self> { Init::producer(Counter(from)) }
    /// #     async fn handle_demand(&mut self, demand: u64) -> Emit<i64> {
    /// #         let events: Vec<i64> = (self.0..self.0 + demand as i64).collect();
    /// #         self.0 += demand as i64;
    /// #         Emit::events(events)
    /// #     }
    /// # }
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// /// A producer that also answers calls and casts: `Call` returns its position,
    /// /// a cast moves it.
    /// struct Pos(i64);
    /// impl GenStage for Pos {
    ///     type Args = (); type In = (); type Out = i64; type Call = (); type Cast = i64; type Reply = i64;
    ///     async fn init(_: ()) -> Init<Self> { Init::producer(Pos(0)) }
    ///     async fn handle_demand(&mut self, _: u64) -> Emit<i64> { Emit::none() }
    ///     async fn handle_call(&mut self, _: (), _: &tether::otp::gen_server::ReplyTo<i64>) -> gen_stage::CallResult<Self> {
    ///         gen_stage::CallResult::reply(self.0)
    ///     }
    ///     async fn handle_cast(&mut self, to: i64) -> Emit<i64> {
    ///         self.0 = to;
    ///         Emit::none()
    ///     }
    /// }
    /// let s = gen_stage::start::<Pos>((), StartOpts::new()).await.unwrap();
    /// s.cast(3);
    /// assert_eq!(s.call(()).await.unwrap(), 3);
    /// # });
    /// ```
    pub fn cast(&self, request: S::Cast) {
        cast::<S>(self.pid, request)
    }

    /// Stops the stage (see [`stop`]).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::otp::gen_server::StartOpts;
    /// # use tether::otp::gen_stage::{self, DemandMode, Emit, GenStage, Init, SubscribeOpts, Subscription};
    /// # /// Counts up from a number, as far as it is asked.
    /// # struct Counter(i64);
    /// # impl GenStage for Counter {
    /// #     type Args = i64; type In = (); type Out = i64; type Call = (); type Cast = (); type Reply = ();
    /// #     async fn init(from: i64) -> Init<Self> { Init::producer(Counter(from)) }
    /// #     async fn handle_demand(&mut self, demand: u64) -> Emit<i64> {
    /// #         let events: Vec<i64> = (self.0..self.0 + demand as i64).collect();
    /// #         self.0 += demand as i64;
    /// #         Emit::events(events)
    /// #     }
    /// # }
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// use tether::ExitReason;
    /// let s = gen_stage::start::<Counter>(0, StartOpts::new()).await.unwrap();
    /// s.stop(ExitReason::Shutdown).await.unwrap();
    /// assert!(!tether::is_alive(s.pid()));
    /// # });
    /// ```
    pub async fn stop(&self, reason: ExitReason) -> Result<(), CallError> {
        stop(self.pid, reason).await
    }
}

/// Starts a stage linked to the caller; returns once `init` has run (GenStage's
/// `start_link/3`). Options are a GenServer's ([`StartOpts`]: name, timeout).
///
/// ```
/// # use std::time::Duration;
/// # use tether::otp::gen_server::StartOpts;
/// # use tether::otp::gen_stage::{self, DemandMode, Emit, GenStage, Init, SubscribeOpts, Subscription};
/// # /// Counts up from a number, as far as it is asked.
/// # struct Counter(i64);
/// # impl GenStage for Counter {
/// #     type Args = i64; type In = (); type Out = i64; type Call = (); type Cast = (); type Reply = ();
/// #     async fn init(from: i64) -> Init<Self> { Init::producer(Counter(from)) }
/// #     async fn handle_demand(&mut self, demand: u64) -> Emit<i64> {
/// #         let events: Vec<i64> = (self.0..self.0 + demand as i64).collect();
/// #         self.0 += demand as i64;
/// #         Emit::events(events)
/// #     }
/// # }
/// # tether::Runtime::new().unwrap().block_on(async {
/// let producer = gen_stage::start_link::<Counter>(10, StartOpts::new()).await.unwrap();
/// let mut events = gen_stage::stream::<i64>([(producer.pid().into(), SubscribeOpts::new().max_demand(2))]).unwrap();
/// assert_eq!(events.next().await, Some(10));
/// assert_eq!(events.next().await, Some(11));
/// # });
/// ```
pub async fn start_link<S: GenStage>(
    args: S::Args,
    opts: StartOpts,
) -> Result<Stage<S>, ServerStartError> {
    let s = gen_server::start_link::<StageServer<S>>(args, opts).await?;
    Ok(Stage::from_pid(s.pid()))
}

/// Starts a stage without a link (GenStage's `start/3`).
///
/// ```
/// use tether::Runtime;
/// use tether::otp::gen_server::StartOpts;
/// use tether::otp::gen_stage::{self, GenStage, Init};
///
/// struct Nothing;
/// impl GenStage for Nothing {
///     type Args = (); type In = (); type Out = ();
///     type Call = (); type Cast = (); type Reply = ();
///     async fn init(_: ()) -> Init<Self> { Init::ignore() }
/// }
///
/// Runtime::new().unwrap().block_on(async {
///     let r = gen_stage::start::<Nothing>((), StartOpts::new()).await;
///     assert!(r.unwrap_err().is_ignore());
/// });
/// ```
pub async fn start<S: GenStage>(
    args: S::Args,
    opts: StartOpts,
) -> Result<Stage<S>, ServerStartError> {
    let s = gen_server::start::<StageServer<S>>(args, opts).await?;
    Ok(Stage::from_pid(s.pid()))
}

/// Calls a stage of type `S` (GenStage's `call/3`); its `handle_call` runs and may
/// emit events, which are dispatched before the reply.
///
/// A local stage gets the request as a Rust value. A stage on another node gets the
/// `$gen_call` term made by [`GenStage::encode_call`] and its reply is read with
/// [`GenStage::decode_reply`] (without them: [`CallError::NotPortable`]); for a stage
/// with no Rust type, such as an Elixir stage, use [`call_term`].
///
/// ```
/// # use std::time::Duration;
/// # use tether::otp::gen_server::StartOpts;
/// # use tether::otp::gen_stage::{self, DemandMode, Emit, GenStage, Init, SubscribeOpts, Subscription};
/// # /// Counts up from a number, as far as it is asked.
/// # struct Counter(i64);
/// # impl GenStage for Counter {
/// #     type Args = i64; type In = (); type Out = i64; type Call = (); type Cast = (); type Reply = ();
/// #     async fn init(from: i64) -> Init<Self> { Init::producer(Counter(from)) }
/// #     async fn handle_demand(&mut self, demand: u64) -> Emit<i64> {
/// #         let events: Vec<i64> = (self.0..self.0 + demand as i64).collect();
/// #         self.0 += demand as i64;
/// #         Emit::events(events)
/// #     }
/// # }
/// # tether::Runtime::new().unwrap().block_on(async {
/// /// A producer that also answers calls and casts: `Call` returns its position,
/// /// a cast moves it.
/// struct Pos(i64);
/// impl GenStage for Pos {
///     type Args = (); type In = (); type Out = i64; type Call = (); type Cast = i64; type Reply = i64;
///     async fn init(_: ()) -> Init<Self> { Init::producer(Pos(0)) }
///     async fn handle_demand(&mut self, _: u64) -> Emit<i64> { Emit::none() }
///     async fn handle_call(&mut self, _: (), _: &tether::otp::gen_server::ReplyTo<i64>) -> gen_stage::CallResult<Self> {
///         gen_stage::CallResult::reply(self.0)
///     }
///     async fn handle_cast(&mut self, to: i64) -> Emit<i64> {
///         self.0 = to;
///         Emit::none()
///     }
/// }
/// let s = gen_stage::start::<Pos>((), StartOpts::new()).await.unwrap();
/// assert_eq!(gen_stage::call::<Pos>(s.pid(), (), Duration::from_secs(5)).await.unwrap(), 0);
/// # });
/// ```
pub async fn call<S: GenStage>(
    stage: impl Into<Dest>,
    req: S::Call,
    timeout: impl Into<Timeout>,
) -> Result<S::Reply, CallError> {
    let build = move |caller: Caller| match caller {
        Caller::Local(to) => Some(Message::new(UserCall::<S> {
            from: ReplyTo::local(to),
            request: req,
        })),
        Caller::Remote(me, alias) => {
            let t = S::encode_call(&req)?;
            Some(Message::new(gen_call_term(me, alias_tag(alias), t)))
        }
    };
    request(&stage.into(), timeout.into(), build, S::decode_reply).await
}

/// Calls any stage, on any node, with a term request and returns its reply term: what
/// Elixir's `GenStage.call(stage, request, timeout)` does, for a stage that has no
/// Rust type here (an Elixir stage, a Tether stage of another program).
///
/// The stage's `handle_call` runs as for any call: the events it emits are
/// dispatched before the reply. Errors are those of every call: a stage that does
/// not exist gives [`CallError::NoProc`], an unreachable node
/// [`CallError::NodeDown`], a stage that exits while handling the call
/// [`CallError::Exit`]. A local Tether stage answers if its type decodes the request
/// ([`GenStage::decode_call`]) and encodes the reply ([`GenStage::encode_reply`]).
///
/// ```no_run
/// # async fn demo(elixir: tether::Node) -> Result<(), tether::otp::gen_server::CallError> {
/// use tether::Term;
/// use tether::otp::gen_server::Timeout;
/// use tether::otp::gen_stage;
///
/// // Elixir: a producer registered as :queue whose
/// //   handle_call({:queue, events}, _from, s) replies :ok and emits the events.
/// let events = Term::list([Term::Int(1), Term::Int(2)]);
/// let request = Term::tuple([Term::atom("queue"), events]);
/// let reply = gen_stage::call_term(("queue", elixir), request, Timeout::DEFAULT).await?;
/// assert_eq!(reply, Term::atom("ok"));
/// # Ok(()) }
/// ```
pub async fn call_term(
    stage: impl Into<Dest>,
    request_term: Term,
    timeout: impl Into<Timeout>,
) -> Result<Term, CallError> {
    let build = move |caller: Caller| {
        let tag = alias_tag(caller.alias());
        Some(Message::new(gen_call_term(caller.pid(), tag, request_term)))
    };
    request(&stage.into(), timeout.into(), build, |t| Some(t.clone())).await
}

/// Casts to a stage of type `S` (GenStage's `cast/2`). Never fails. A stage on
/// another node gets the `$gen_cast` term made by [`GenStage::encode_cast`] (none:
/// the cast is dropped).
///
/// ```
/// # use std::time::Duration;
/// # use tether::otp::gen_server::StartOpts;
/// # use tether::otp::gen_stage::{self, DemandMode, Emit, GenStage, Init, SubscribeOpts, Subscription};
/// # /// Counts up from a number, as far as it is asked.
/// # struct Counter(i64);
/// # impl GenStage for Counter {
/// #     type Args = i64; type In = (); type Out = i64; type Call = (); type Cast = (); type Reply = ();
/// #     async fn init(from: i64) -> Init<Self> { Init::producer(Counter(from)) }
/// #     async fn handle_demand(&mut self, demand: u64) -> Emit<i64> {
/// #         let events: Vec<i64> = (self.0..self.0 + demand as i64).collect();
/// #         self.0 += demand as i64;
/// #         Emit::events(events)
/// #     }
/// # }
/// # tether::Runtime::new().unwrap().block_on(async {
/// /// A producer that also answers calls and casts: `Call` returns its position,
/// /// a cast moves it.
/// struct Pos(i64);
/// impl GenStage for Pos {
///     type Args = (); type In = (); type Out = i64; type Call = (); type Cast = i64; type Reply = i64;
///     async fn init(_: ()) -> Init<Self> { Init::producer(Pos(0)) }
///     async fn handle_demand(&mut self, _: u64) -> Emit<i64> { Emit::none() }
///     async fn handle_call(&mut self, _: (), _: &tether::otp::gen_server::ReplyTo<i64>) -> gen_stage::CallResult<Self> {
///         gen_stage::CallResult::reply(self.0)
///     }
///     async fn handle_cast(&mut self, to: i64) -> Emit<i64> {
///         self.0 = to;
///         Emit::none()
///     }
/// }
/// let s = gen_stage::start::<Pos>((), StartOpts::new()).await.unwrap();
/// gen_stage::cast::<Pos>(s.pid(), 7);
/// assert_eq!(gen_stage::call::<Pos>(s.pid(), (), Duration::from_secs(5)).await.unwrap(), 7);
/// # });
/// ```
pub fn cast<S: GenStage>(stage: impl Into<Dest>, request: S::Cast) {
    let stage = stage.into();
    match stage.target() {
        Target::Pid(p) if p.node.is_local() => {
            let _ = send_message(p, Message::new(UserCast::<S>(request)));
        }
        Target::Pid(_) | Target::RemoteName(..) => {
            if let Some(t) = S::encode_cast(&request) {
                let _ = send_message(stage, Message::new(cast_term(t)));
            }
        }
        Target::NoProc => {}
    }
}

/// Stops a stage with `reason` and waits for it to exit (GenStage's `stop/3`).
///
/// ```
/// # use std::time::Duration;
/// # use tether::otp::gen_server::StartOpts;
/// # use tether::otp::gen_stage::{self, DemandMode, Emit, GenStage, Init, SubscribeOpts, Subscription};
/// # /// Counts up from a number, as far as it is asked.
/// # struct Counter(i64);
/// # impl GenStage for Counter {
/// #     type Args = i64; type In = (); type Out = i64; type Call = (); type Cast = (); type Reply = ();
/// #     async fn init(from: i64) -> Init<Self> { Init::producer(Counter(from)) }
/// #     async fn handle_demand(&mut self, demand: u64) -> Emit<i64> {
/// #         let events: Vec<i64> = (self.0..self.0 + demand as i64).collect();
/// #         self.0 += demand as i64;
/// #         Emit::events(events)
/// #     }
/// # }
/// # tether::Runtime::new().unwrap().block_on(async {
/// use tether::ExitReason;
/// let s = gen_stage::start::<Counter>(0, StartOpts::new()).await.unwrap();
/// gen_stage::stop(s.pid(), ExitReason::Normal).await.unwrap();
/// assert!(!tether::is_alive(s.pid()));
/// # });
/// ```
pub async fn stop(stage: impl Into<Dest>, reason: ExitReason) -> Result<(), CallError> {
    gen_server::stop(stage, reason, Timeout::Infinity).await
}

/// Why a subscription request failed.
#[derive(Debug, Clone, PartialEq)]
pub enum SubscribeError {
    /// The stage is a producer (`{error, not_a_consumer}`).
    NotAConsumer,
    /// An option is invalid (`{error, {bad_opts, Message}}`).
    BadOpts(String),
    /// Another error reply, from a stage on another node.
    Other(Term),
    /// The call itself failed (no such stage, timeout, the stage stopped...).
    Call(CallError),
}

impl SubscribeError {
    pub(crate) fn to_term(&self) -> Term {
        match self {
            SubscribeError::NotAConsumer => Term::atom("not_a_consumer"),
            SubscribeError::BadOpts(m) => {
                Term::tuple([Term::atom("bad_opts"), Term::from(m.as_str())])
            }
            SubscribeError::Other(t) => t.clone(),
            SubscribeError::Call(e) => e.reason().to_term(),
        }
    }

    pub(crate) fn from_term(t: &Term) -> SubscribeError {
        if t.is_atom("not_a_consumer") {
            return SubscribeError::NotAConsumer;
        }
        if let Term::Tuple(items) = t
            && let [k, Term::Binary(msg)] = items.as_slice()
            && k.is_atom("bad_opts")
        {
            return SubscribeError::BadOpts(String::from_utf8_lossy(msg).into_owned());
        }
        SubscribeError::Other(t.clone())
    }
}

impl fmt::Display for SubscribeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SubscribeError::NotAConsumer => write!(f, "not a consumer"),
            SubscribeError::BadOpts(m) => write!(f, "bad options: {m}"),
            SubscribeError::Other(t) => write!(f, "{t}"),
            SubscribeError::Call(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for SubscribeError {}

async fn control_call(
    stage: Dest,
    req: Control,
    decode: fn(&Term) -> Option<ControlReply>,
    timeout: Duration,
) -> Result<ControlReply, CallError> {
    let build = move |caller: Caller| match caller {
        Caller::Local(to) => Some(Message::new(ControlCall {
            from: ReplyTo::local(to),
            request: req,
        })),
        Caller::Remote(me, alias) => {
            let t = req.to_term()?;
            Some(Message::new(gen_call_term(me, alias_tag(alias), t)))
        }
    };
    request(&stage, Timeout::After(timeout), build, decode).await
}

fn control_cast(stage: Dest, req: Control) {
    match stage.target() {
        Target::Pid(p) if p.node.is_local() => {
            let _ = send_message(p, Message::new(ControlCast(req)));
        }
        Target::Pid(_) | Target::RemoteName(..) => {
            if let Some(t) = req.to_term() {
                let _ = send_message(stage, Message::new(cast_term(t)));
            }
        }
        Target::NoProc => {}
    }
}

const DEFAULT: Duration = Duration::from_secs(5);

/// Subscribes the consumer `stage` to `producer` and returns the subscription tag
/// once the subscription request is *sent* (GenStage's `sync_subscribe/3`; the
/// producer confirms later, by sending events).
///
/// `stage` and `producer` may be on any node, Tether or Elixir. A producer that is
/// not alive stops a `permanent` or `transient` consumer with `noproc` (the tag is
/// returned all the same); a `temporary` one keeps running.
///
/// See the example in the [module docs](super).
///
/// ```
/// # use std::time::Duration;
/// # use tether::otp::gen_server::StartOpts;
/// # use tether::otp::gen_stage::{self, DemandMode, Emit, GenStage, Init, SubscribeOpts, Subscription};
/// # /// Counts up from a number, as far as it is asked.
/// # struct Counter(i64);
/// # impl GenStage for Counter {
/// #     type Args = i64; type In = (); type Out = i64; type Call = (); type Cast = (); type Reply = ();
/// #     async fn init(from: i64) -> Init<Self> { Init::producer(Counter(from)) }
/// #     async fn handle_demand(&mut self, demand: u64) -> Emit<i64> {
/// #         let events: Vec<i64> = (self.0..self.0 + demand as i64).collect();
/// #         self.0 += demand as i64;
/// #         Emit::events(events)
/// #     }
/// # }
/// # tether::Runtime::new().unwrap().block_on(async {
/// /// Sends each batch of events to a test process.
/// struct Sink(tether::Pid);
/// impl GenStage for Sink {
///     type Args = tether::Pid; type In = i64; type Out = (); type Call = (); type Cast = (); type Reply = ();
///     async fn init(to: tether::Pid) -> Init<Self> { Init::consumer(Sink(to)) }
///     async fn handle_events(&mut self, events: Vec<i64>, _: &Subscription) -> Emit<()> {
///         tether::send(self.0, events).unwrap();
///         Emit::none()
///     }
/// }
/// let producer = gen_stage::start_link::<Counter>(0, StartOpts::new()).await.unwrap();
/// let consumer = gen_stage::start_link::<Sink>(tether::self_pid(), StartOpts::new()).await.unwrap();
/// let opts = SubscribeOpts::new().max_demand(4).min_demand(2);
/// let tag = gen_stage::sync_subscribe(consumer.pid(), producer.pid(), opts).await.unwrap();
/// assert_eq!(tether::receive::<Vec<i64>>().await, [0, 1]);
/// # let _ = tag;
/// # });
/// ```
pub async fn sync_subscribe(
    stage: impl Into<Dest>,
    producer: impl Into<Dest>,
    opts: SubscribeOpts,
) -> Result<Reference, SubscribeError> {
    subscribe(stage.into(), None, producer.into(), opts).await
}

/// Cancels the subscription `tag` with `reason` and subscribes again, to `producer`
/// with `opts` (GenStage's `sync_resubscribe/5`).
///
/// ```
/// # use std::time::Duration;
/// # use tether::otp::gen_server::StartOpts;
/// # use tether::otp::gen_stage::{self, DemandMode, Emit, GenStage, Init, SubscribeOpts, Subscription};
/// # /// Counts up from a number, as far as it is asked.
/// # struct Counter(i64);
/// # impl GenStage for Counter {
/// #     type Args = i64; type In = (); type Out = i64; type Call = (); type Cast = (); type Reply = ();
/// #     async fn init(from: i64) -> Init<Self> { Init::producer(Counter(from)) }
/// #     async fn handle_demand(&mut self, demand: u64) -> Emit<i64> {
/// #         let events: Vec<i64> = (self.0..self.0 + demand as i64).collect();
/// #         self.0 += demand as i64;
/// #         Emit::events(events)
/// #     }
/// # }
/// # tether::Runtime::new().unwrap().block_on(async {
/// /// Sends each batch of events to a test process.
/// struct Sink(tether::Pid);
/// impl GenStage for Sink {
///     type Args = tether::Pid; type In = i64; type Out = (); type Call = (); type Cast = (); type Reply = ();
///     async fn init(to: tether::Pid) -> Init<Self> { Init::consumer(Sink(to)) }
///     async fn handle_events(&mut self, events: Vec<i64>, _: &Subscription) -> Emit<()> {
///         tether::send(self.0, events).unwrap();
///         Emit::none()
///     }
/// }
/// let producer = gen_stage::start_link::<Counter>(0, StartOpts::new()).await.unwrap();
/// let consumer = gen_stage::start_link::<Sink>(tether::self_pid(), StartOpts::new()).await.unwrap();
/// use tether::ExitReason;
/// let first = gen_stage::sync_subscribe(consumer.pid(), producer.pid(), SubscribeOpts::new().max_demand(2).cancel(gen_stage::CancelMode::Temporary)).await.unwrap();
/// assert_eq!(tether::receive::<Vec<i64>>().await, [0]);
/// let other = gen_stage::start_link::<Counter>(100, StartOpts::new()).await.unwrap();
/// gen_stage::sync_resubscribe(consumer.pid(), first, ExitReason::Normal, other.pid(), SubscribeOpts::new().max_demand(2))
///     .await
///     .unwrap();
/// // Events from the new producer arrive (possibly after a last batch of the old one).
/// loop {
///     let batch = tether::receive::<Vec<i64>>().await;
///     if batch[0] >= 100 { break; }
/// }
/// # });
/// ```
pub async fn sync_resubscribe(
    stage: impl Into<Dest>,
    tag: Reference,
    reason: ExitReason,
    producer: impl Into<Dest>,
    opts: SubscribeOpts,
) -> Result<Reference, SubscribeError> {
    subscribe(stage.into(), Some((tag, reason)), producer.into(), opts).await
}

async fn subscribe(
    stage: Dest,
    current: Option<(Reference, ExitReason)>,
    to: Dest,
    opts: SubscribeOpts,
) -> Result<Reference, SubscribeError> {
    let req = Control::Subscribe { current, to, opts };
    match control_call(stage, req, ControlReply::subscribed_from_term, DEFAULT).await {
        Ok(ControlReply::Subscribed(r)) => r,
        Ok(_) => Err(SubscribeError::Call(CallError::BadReply(Term::nil()))),
        Err(e) => Err(SubscribeError::Call(e)),
    }
}

/// Asks the consumer `stage` to subscribe to `producer`, without waiting
/// (GenStage's `async_subscribe/2`).
///
/// ```
/// # use std::time::Duration;
/// # use tether::otp::gen_server::StartOpts;
/// # use tether::otp::gen_stage::{self, DemandMode, Emit, GenStage, Init, SubscribeOpts, Subscription};
/// # /// Counts up from a number, as far as it is asked.
/// # struct Counter(i64);
/// # impl GenStage for Counter {
/// #     type Args = i64; type In = (); type Out = i64; type Call = (); type Cast = (); type Reply = ();
/// #     async fn init(from: i64) -> Init<Self> { Init::producer(Counter(from)) }
/// #     async fn handle_demand(&mut self, demand: u64) -> Emit<i64> {
/// #         let events: Vec<i64> = (self.0..self.0 + demand as i64).collect();
/// #         self.0 += demand as i64;
/// #         Emit::events(events)
/// #     }
/// # }
/// # tether::Runtime::new().unwrap().block_on(async {
/// /// Sends each batch of events to a test process.
/// struct Sink(tether::Pid);
/// impl GenStage for Sink {
///     type Args = tether::Pid; type In = i64; type Out = (); type Call = (); type Cast = (); type Reply = ();
///     async fn init(to: tether::Pid) -> Init<Self> { Init::consumer(Sink(to)) }
///     async fn handle_events(&mut self, events: Vec<i64>, _: &Subscription) -> Emit<()> {
///         tether::send(self.0, events).unwrap();
///         Emit::none()
///     }
/// }
/// let producer = gen_stage::start_link::<Counter>(0, StartOpts::new()).await.unwrap();
/// let consumer = gen_stage::start_link::<Sink>(tether::self_pid(), StartOpts::new()).await.unwrap();
/// gen_stage::async_subscribe(consumer.pid(), producer.pid(), SubscribeOpts::new().max_demand(2));
/// assert_eq!(tether::receive::<Vec<i64>>().await, [0]);
/// # });
/// ```
pub fn async_subscribe(stage: impl Into<Dest>, producer: impl Into<Dest>, opts: SubscribeOpts) {
    let to = producer.into();
    control_cast(
        stage.into(),
        Control::Subscribe {
            current: None,
            to,
            opts,
        },
    );
}

/// [`sync_resubscribe`] without waiting (GenStage's `async_resubscribe/4`).
///
/// ```
/// # use std::time::Duration;
/// # use tether::otp::gen_server::StartOpts;
/// # use tether::otp::gen_stage::{self, DemandMode, Emit, GenStage, Init, SubscribeOpts, Subscription};
/// # /// Counts up from a number, as far as it is asked.
/// # struct Counter(i64);
/// # impl GenStage for Counter {
/// #     type Args = i64; type In = (); type Out = i64; type Call = (); type Cast = (); type Reply = ();
/// #     async fn init(from: i64) -> Init<Self> { Init::producer(Counter(from)) }
/// #     async fn handle_demand(&mut self, demand: u64) -> Emit<i64> {
/// #         let events: Vec<i64> = (self.0..self.0 + demand as i64).collect();
/// #         self.0 += demand as i64;
/// #         Emit::events(events)
/// #     }
/// # }
/// # tether::Runtime::new().unwrap().block_on(async {
/// /// Sends each batch of events to a test process.
/// struct Sink(tether::Pid);
/// impl GenStage for Sink {
///     type Args = tether::Pid; type In = i64; type Out = (); type Call = (); type Cast = (); type Reply = ();
///     async fn init(to: tether::Pid) -> Init<Self> { Init::consumer(Sink(to)) }
///     async fn handle_events(&mut self, events: Vec<i64>, _: &Subscription) -> Emit<()> {
///         tether::send(self.0, events).unwrap();
///         Emit::none()
///     }
/// }
/// let producer = gen_stage::start_link::<Counter>(0, StartOpts::new()).await.unwrap();
/// let consumer = gen_stage::start_link::<Sink>(tether::self_pid(), StartOpts::new()).await.unwrap();
/// use tether::ExitReason;
/// let tag = gen_stage::sync_subscribe(consumer.pid(), producer.pid(), SubscribeOpts::new().max_demand(2).cancel(gen_stage::CancelMode::Temporary)).await.unwrap();
/// let other = gen_stage::start_link::<Counter>(100, StartOpts::new()).await.unwrap();
/// gen_stage::async_resubscribe(consumer.pid(), tag, ExitReason::Normal, other.pid(), SubscribeOpts::new().max_demand(2));
/// loop {
///     let batch = tether::receive::<Vec<i64>>().await;
///     if batch[0] >= 100 { break; }
/// }
/// # });
/// ```
pub fn async_resubscribe(
    stage: impl Into<Dest>,
    tag: Reference,
    reason: ExitReason,
    producer: impl Into<Dest>,
    opts: SubscribeOpts,
) {
    let to = producer.into();
    control_cast(
        stage.into(),
        Control::Subscribe {
            current: Some((tag, reason)),
            to,
            opts,
        },
    );
}

/// The producer's demand mode (GenStage's `demand/1`).
///
/// ```
/// # use std::time::Duration;
/// # use tether::otp::gen_server::StartOpts;
/// # use tether::otp::gen_stage::{self, DemandMode, Emit, GenStage, Init, SubscribeOpts, Subscription};
/// # /// Counts up from a number, as far as it is asked.
/// # struct Counter(i64);
/// # impl GenStage for Counter {
/// #     type Args = i64; type In = (); type Out = i64; type Call = (); type Cast = (); type Reply = ();
/// #     async fn init(from: i64) -> Init<Self> { Init::producer(Counter(from)) }
/// #     async fn handle_demand(&mut self, demand: u64) -> Emit<i64> {
/// #         let events: Vec<i64> = (self.0..self.0 + demand as i64).collect();
/// #         self.0 += demand as i64;
/// #         Emit::events(events)
/// #     }
/// # }
/// # tether::Runtime::new().unwrap().block_on(async {
/// let s = gen_stage::start::<Counter>(0, StartOpts::new()).await.unwrap();
/// assert_eq!(gen_stage::demand(s.pid()).await.unwrap(), DemandMode::Forward);
/// # });
/// ```
pub async fn demand(stage: impl Into<Dest>) -> Result<DemandMode, CallError> {
    match control_call(
        stage.into(),
        Control::Demand,
        ControlReply::demand_from_term,
        DEFAULT,
    )
    .await?
    {
        ControlReply::Demand(m) => Ok(m),
        _ => Err(CallError::BadReply(Term::nil())),
    }
}

/// Sets the producer's demand mode (GenStage's `demand/2`): `Accumulate` stores
/// demand, `Forward` replays it and goes on forwarding. Asynchronous.
///
/// ```
/// # use std::time::Duration;
/// # use tether::otp::gen_server::StartOpts;
/// # use tether::otp::gen_stage::{self, DemandMode, Emit, GenStage, Init, SubscribeOpts, Subscription};
/// # /// Counts up from a number, as far as it is asked.
/// # struct Counter(i64);
/// # impl GenStage for Counter {
/// #     type Args = i64; type In = (); type Out = i64; type Call = (); type Cast = (); type Reply = ();
/// #     async fn init(from: i64) -> Init<Self> { Init::producer(Counter(from)) }
/// #     async fn handle_demand(&mut self, demand: u64) -> Emit<i64> {
/// #         let events: Vec<i64> = (self.0..self.0 + demand as i64).collect();
/// #         self.0 += demand as i64;
/// #         Emit::events(events)
/// #     }
/// # }
/// # tether::Runtime::new().unwrap().block_on(async {
/// let s = gen_stage::start::<Counter>(0, StartOpts::new()).await.unwrap();
/// gen_stage::set_demand(s.pid(), DemandMode::Accumulate);
/// assert_eq!(gen_stage::demand(s.pid()).await.unwrap(), DemandMode::Accumulate);
/// // Demand is stored, not forwarded, until the mode goes back to Forward.
/// let mut events = gen_stage::stream::<i64>([(s.pid().into(), SubscribeOpts::new().max_demand(1))]).unwrap();
/// gen_stage::set_demand(s.pid(), DemandMode::Forward);
/// assert_eq!(events.next().await, Some(0));
/// # });
/// ```
pub fn set_demand(stage: impl Into<Dest>, mode: DemandMode) {
    control_cast(stage.into(), Control::SetDemand(mode));
}

/// How many events wait in the producer's buffer (GenStage's
/// `estimate_buffered_count/2`).
///
/// ```
/// # use std::time::Duration;
/// # use tether::otp::gen_server::StartOpts;
/// # use tether::otp::gen_stage::{self, DemandMode, Emit, GenStage, Init, SubscribeOpts, Subscription};
/// # /// Counts up from a number, as far as it is asked.
/// # struct Counter(i64);
/// # impl GenStage for Counter {
/// #     type Args = i64; type In = (); type Out = i64; type Call = (); type Cast = (); type Reply = ();
/// #     async fn init(from: i64) -> Init<Self> { Init::producer(Counter(from)) }
/// #     async fn handle_demand(&mut self, demand: u64) -> Emit<i64> {
/// #         let events: Vec<i64> = (self.0..self.0 + demand as i64).collect();
/// #         self.0 += demand as i64;
/// #         Emit::events(events)
/// #     }
/// # }
/// # tether::Runtime::new().unwrap().block_on(async {
/// let s = gen_stage::start::<Counter>(0, StartOpts::new()).await.unwrap();
/// assert_eq!(gen_stage::estimate_buffered_count(s.pid()).await.unwrap(), 0);
/// # });
/// ```
pub async fn estimate_buffered_count(stage: impl Into<Dest>) -> Result<usize, CallError> {
    match control_call(
        stage.into(),
        Control::EstimateBufferedCount,
        ControlReply::count_from_term,
        DEFAULT,
    )
    .await?
    {
        ControlReply::Count(n) => Ok(n),
        _ => Err(CallError::BadReply(Term::nil())),
    }
}

/// Queues `msg` for the stage's `handle_info`, behind the events buffered now, and
/// returns once it is queued (GenStage's `sync_info/3`). To a stage on another node,
/// `msg` must be a [`Term`].
///
/// ```
/// # use std::time::Duration;
/// # use tether::otp::gen_server::StartOpts;
/// # use tether::otp::gen_stage::{self, DemandMode, Emit, GenStage, Init, SubscribeOpts, Subscription};
/// # /// Counts up from a number, as far as it is asked.
/// # struct Counter(i64);
/// # impl GenStage for Counter {
/// #     type Args = i64; type In = (); type Out = i64; type Call = (); type Cast = (); type Reply = ();
/// #     async fn init(from: i64) -> Init<Self> { Init::producer(Counter(from)) }
/// #     async fn handle_demand(&mut self, demand: u64) -> Emit<i64> {
/// #         let events: Vec<i64> = (self.0..self.0 + demand as i64).collect();
/// #         self.0 += demand as i64;
/// #         Emit::events(events)
/// #     }
/// # }
/// # tether::Runtime::new().unwrap().block_on(async {
/// use tether::Message;
/// /// A consumer that reports its infos.
/// struct Info(tether::Pid);
/// impl GenStage for Info {
///     type Args = tether::Pid; type In = i64; type Out = (); type Call = (); type Cast = (); type Reply = ();
///     async fn init(to: tether::Pid) -> Init<Self> { Init::consumer(Info(to)) }
///     async fn handle_info(&mut self, m: Message) -> Emit<()> {
///         if let Ok(s) = m.downcast::<&str>() { tether::send(self.0, s).unwrap() }
///         Emit::none()
///     }
/// }
/// let c = gen_stage::start::<Info>(tether::self_pid(), StartOpts::new()).await.unwrap();
/// gen_stage::sync_info(c.pid(), "flushed").await.unwrap();
/// assert_eq!(tether::receive::<&str>().await, "flushed");
/// # });
/// ```
pub async fn sync_info<T: Send + 'static>(stage: impl Into<Dest>, msg: T) -> Result<(), CallError> {
    control_call(
        stage.into(),
        Control::Info(Message::new(msg)),
        ControlReply::ok_from_term,
        DEFAULT,
    )
    .await
    .map(|_| ())
}

/// [`sync_info`] without waiting (GenStage's `async_info/2`).
///
/// ```
/// # use std::time::Duration;
/// # use tether::otp::gen_server::StartOpts;
/// # use tether::otp::gen_stage::{self, DemandMode, Emit, GenStage, Init, SubscribeOpts, Subscription};
/// # /// Counts up from a number, as far as it is asked.
/// # struct Counter(i64);
/// # impl GenStage for Counter {
/// #     type Args = i64; type In = (); type Out = i64; type Call = (); type Cast = (); type Reply = ();
/// #     async fn init(from: i64) -> Init<Self> { Init::producer(Counter(from)) }
/// #     async fn handle_demand(&mut self, demand: u64) -> Emit<i64> {
/// #         let events: Vec<i64> = (self.0..self.0 + demand as i64).collect();
/// #         self.0 += demand as i64;
/// #         Emit::events(events)
/// #     }
/// # }
/// # tether::Runtime::new().unwrap().block_on(async {
/// use tether::Message;
/// struct Info(tether::Pid);
/// impl GenStage for Info {
///     type Args = tether::Pid; type In = i64; type Out = (); type Call = (); type Cast = (); type Reply = ();
///     async fn init(to: tether::Pid) -> Init<Self> { Init::consumer(Info(to)) }
///     async fn handle_info(&mut self, m: Message) -> Emit<()> {
///         if let Ok(n) = m.downcast::<u8>() { tether::send(self.0, n).unwrap() }
///         Emit::none()
///     }
/// }
/// let c = gen_stage::start::<Info>(tether::self_pid(), StartOpts::new()).await.unwrap();
/// gen_stage::async_info(c.pid(), 9u8);
/// assert_eq!(tether::receive::<u8>().await, 9);
/// # });
/// ```
pub fn async_info<T: Send + 'static>(stage: impl Into<Dest>, msg: T) {
    control_cast(stage.into(), Control::Info(Message::new(msg)));
}
