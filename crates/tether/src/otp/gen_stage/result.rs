//! What the callbacks return: [`Init`] (with the stage's type and options),
//! [`Emit`], [`CallResult`], [`Subscribed`], and what they are told: [`Role`],
//! [`Cancel`].

use tether_term::Term;

use super::GenStage;
use super::dispatcher::{DemandDispatcher, Dispatcher};
use super::opts::{BufferKeep, DemandMode, SubscribeOpts};
use crate::{Dest, ExitReason};

/// The kind of a stage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Emits events on demand.
    Producer,
    /// Consumes events and emits events.
    ProducerConsumer,
    /// Consumes events.
    Consumer,
}

/// What [`GenStage::init`] returns: the stage's kind, its state and its options
/// (Elixir's `{:producer, state, opts}` and friends), or `ignore` / `stop`.
///
/// The options are builder methods; one that does not apply to the kind (a
/// `subscribe_to` on a producer, a `demand` mode on a consumer) fails the start
/// with `{bad_opts, Message}`, as GenStage does.
///
/// | Option | Producer | ProducerConsumer | Consumer |
/// |---|---|---|---|
/// | [`buffer_size`](Init::buffer_size), [`buffer_unbounded`](Init::buffer_unbounded) | 10 000 by default | unbounded by default | – |
/// | [`buffer_keep`](Init::buffer_keep) | `Last` by default | `Last` by default | – |
/// | [`dispatcher`](Init::dispatcher) | [`DemandDispatcher`] by default | [`DemandDispatcher`] by default | – |
/// | [`demand`](Init::demand) | `Forward` by default | – | – |
/// | [`subscribe_to`](Init::subscribe_to) | – | yes | yes |
///
/// ```
/// use tether::otp::gen_stage::{BufferKeep, DemandMode, Init, SubscribeOpts};
/// # struct P; struct C;
/// # impl tether::otp::gen_stage::GenStage for P { type Args = (); type In = (); type Out = i64;
/// #   type Call = (); type Cast = (); type Reply = ();
/// #   async fn init(_: ()) -> Init<Self> { Init::producer(P) } }
/// # impl tether::otp::gen_stage::GenStage for C { type Args = (); type In = i64; type Out = ();
/// #   type Call = (); type Cast = (); type Reply = ();
/// #   async fn init(_: ()) -> Init<Self> { Init::consumer(C) } }
/// let _p: Init<P> = Init::producer(P).buffer_size(5).buffer_keep(BufferKeep::First).demand(DemandMode::Accumulate);
/// let _c: Init<C> = Init::consumer(C).subscribe_to("numbers", SubscribeOpts::new().max_demand(10));
/// ```
pub struct Init<S: GenStage>(pub(crate) InitKind<S>);

pub(crate) enum InitKind<S: GenStage> {
    Stage {
        state: S,
        kind: Kind,
        opts: StageOpts<S::Out>,
    },
    Ignore,
    Stop(ExitReason),
}

pub(crate) struct StageOpts<E> {
    pub buffer_size: Option<Option<usize>>,
    pub buffer_keep: Option<BufferKeep>,
    pub dispatcher: Option<Box<dyn Dispatcher<E>>>,
    pub demand: Option<DemandMode>,
    pub subscribe_to: Vec<(Dest, SubscribeOpts)>,
}

impl<E> Default for StageOpts<E> {
    fn default() -> Self {
        StageOpts {
            buffer_size: None,
            buffer_keep: None,
            dispatcher: None,
            demand: None,
            subscribe_to: Vec::new(),
        }
    }
}

impl<E: super::Event> StageOpts<E> {
    /// GenStage's "unknown options" error for options the kind does not take.
    pub(crate) fn check(&self, kind: Kind) -> Result<(), String> {
        let mut bad = Vec::new();
        if kind == Kind::Consumer {
            if self.buffer_size.is_some() {
                bad.push("buffer_size");
            }
            if self.buffer_keep.is_some() {
                bad.push("buffer_keep");
            }
            if self.dispatcher.is_some() {
                bad.push("dispatcher");
            }
        }
        if kind != Kind::Producer && self.demand.is_some() {
            bad.push("demand");
        }
        if kind == Kind::Producer && !self.subscribe_to.is_empty() {
            bad.push("subscribe_to");
        }
        if bad.is_empty() {
            Ok(())
        } else {
            Err(format!("unknown options [{}]", bad.join(", ")))
        }
    }

    pub(crate) fn take_dispatcher(&mut self) -> Box<dyn Dispatcher<E>> {
        self.dispatcher
            .take()
            .unwrap_or_else(|| Box::new(DemandDispatcher::new()))
    }
}

impl<S: GenStage> Init<S> {
    /// A producer.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::otp::gen_server::StartOpts;
    /// # use tether::otp::gen_stage::{self, *};
    /// # /// A producer that emits what it is cast; `init` is configured by its argument.
    /// # struct Pusher;
    /// # impl GenStage for Pusher {
    /// #     type Args = fn(Init<Pusher>) -> Init<Pusher>; type In = (); type Out = i64;
    /// #     type Call = (); type Cast = Vec<i64>; type Reply = ();
    /// #     async fn init(configure: Self::Args) -> Init<Self> { configure(Init::producer(Pusher)) }
    /// #     async fn handle_cast(&mut self, events: Vec<i64>) -> Emit<i64> { Emit::events(events) }
    /// #     async fn handle_demand(&mut self, _: u64) -> Emit<i64> { Emit::none() }
    /// # }
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let p = gen_stage::start::<Pusher>(|init| init, StartOpts::new()).await.unwrap();
    /// let mut events = gen_stage::stream::<i64>([(p.pid().into(), SubscribeOpts::new())]).unwrap();
    /// p.cast(vec![1, 2]);
    /// assert_eq!(events.next().await, Some(1));
    /// assert_eq!(events.next().await, Some(2));
    /// # });
    /// ```
    pub fn producer(state: S) -> Init<S> {
        Self::stage(state, Kind::Producer)
    }

    /// A producer_consumer.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::otp::gen_server::StartOpts;
    /// # use tether::otp::gen_stage::{self, *};
    /// # /// A producer that emits what it is cast; `init` is configured by its argument.
    /// # struct Pusher;
    /// # impl GenStage for Pusher {
    /// #     type Args = fn(Init<Pusher>) -> Init<Pusher>; type In = (); type Out = i64;
    /// #     type Call = (); type Cast = Vec<i64>; type Reply = ();
    /// #     async fn init(configure: Self::Args) -> Init<Self> { configure(Init::producer(Pusher)) }
    /// #     async fn handle_cast(&mut self, events: Vec<i64>) -> Emit<i64> { Emit::events(events) }
    /// #     async fn handle_demand(&mut self, _: u64) -> Emit<i64> { Emit::none() }
    /// # }
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// /// Doubles every event.
    /// struct Double;
    /// impl GenStage for Double {
    ///     type Args = (); type In = i64; type Out = i64; type Call = (); type Cast = (); type Reply = ();
    ///     async fn init(_: ()) -> Init<Self> { Init::producer_consumer(Double) }
    ///     async fn handle_events(&mut self, events: Vec<i64>, _: &Subscription) -> Emit<i64> {
    ///         Emit::events(events.into_iter().map(|n| n * 2).collect())
    ///     }
    /// }
    /// let p = gen_stage::start::<Pusher>(|init| init, StartOpts::new()).await.unwrap();
    /// let d = gen_stage::start::<Double>((), StartOpts::new()).await.unwrap();
    /// gen_stage::sync_subscribe(d.pid(), p.pid(), SubscribeOpts::new()).await.unwrap();
    /// let mut out = gen_stage::stream::<i64>([(d.pid().into(), SubscribeOpts::new())]).unwrap();
    /// p.cast(vec![21]);
    /// assert_eq!(out.next().await, Some(42));
    /// # });
    /// ```
    pub fn producer_consumer(state: S) -> Init<S> {
        Self::stage(state, Kind::ProducerConsumer)
    }

    /// A consumer.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::otp::gen_server::StartOpts;
    /// # use tether::otp::gen_stage::{self, *};
    /// # /// A producer that emits what it is cast; `init` is configured by its argument.
    /// # struct Pusher;
    /// # impl GenStage for Pusher {
    /// #     type Args = fn(Init<Pusher>) -> Init<Pusher>; type In = (); type Out = i64;
    /// #     type Call = (); type Cast = Vec<i64>; type Reply = ();
    /// #     async fn init(configure: Self::Args) -> Init<Self> { configure(Init::producer(Pusher)) }
    /// #     async fn handle_cast(&mut self, events: Vec<i64>) -> Emit<i64> { Emit::events(events) }
    /// #     async fn handle_demand(&mut self, _: u64) -> Emit<i64> { Emit::none() }
    /// # }
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// /// Sums what it consumes and reports the total.
    /// struct Sum(i64, tether::Pid);
    /// impl GenStage for Sum {
    ///     type Args = tether::Pid; type In = i64; type Out = (); type Call = (); type Cast = (); type Reply = ();
    ///     async fn init(to: tether::Pid) -> Init<Self> { Init::consumer(Sum(0, to)) }
    ///     async fn handle_events(&mut self, events: Vec<i64>, _: &Subscription) -> Emit<()> {
    ///         self.0 += events.iter().sum::<i64>();
    ///         tether::send(self.1, self.0).unwrap();
    ///         Emit::none()
    ///     }
    /// }
    /// let p = gen_stage::start::<Pusher>(|init| init, StartOpts::new()).await.unwrap();
    /// let c = gen_stage::start::<Sum>(tether::self_pid(), StartOpts::new()).await.unwrap();
    /// gen_stage::sync_subscribe(c.pid(), p.pid(), SubscribeOpts::new()).await.unwrap();
    /// p.cast(vec![1, 2, 3]);
    /// assert_eq!(tether::receive::<i64>().await, 6);
    /// # });
    /// ```
    pub fn consumer(state: S) -> Init<S> {
        Self::stage(state, Kind::Consumer)
    }

    /// Do not start; the starter gets `ignore`.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::otp::gen_server::StartOpts;
    /// # use tether::otp::gen_stage::{self, *};
    /// # /// A producer that emits what it is cast; `init` is configured by its argument.
    /// # struct Pusher;
    /// # impl GenStage for Pusher {
    /// #     type Args = fn(Init<Pusher>) -> Init<Pusher>; type In = (); type Out = i64;
    /// #     type Call = (); type Cast = Vec<i64>; type Reply = ();
    /// #     async fn init(configure: Self::Args) -> Init<Self> { configure(Init::producer(Pusher)) }
    /// #     async fn handle_cast(&mut self, events: Vec<i64>) -> Emit<i64> { Emit::events(events) }
    /// #     async fn handle_demand(&mut self, _: u64) -> Emit<i64> { Emit::none() }
    /// # }
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let r = gen_stage::start::<Pusher>(|_| Init::ignore(), StartOpts::new()).await;
    /// assert!(r.unwrap_err().is_ignore());
    /// # });
    /// ```
    pub fn ignore() -> Init<S> {
        Init(InitKind::Ignore)
    }

    /// Fail the start with `reason`.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::otp::gen_server::StartOpts;
    /// # use tether::otp::gen_stage::{self, *};
    /// # /// A producer that emits what it is cast; `init` is configured by its argument.
    /// # struct Pusher;
    /// # impl GenStage for Pusher {
    /// #     type Args = fn(Init<Pusher>) -> Init<Pusher>; type In = (); type Out = i64;
    /// #     type Call = (); type Cast = Vec<i64>; type Reply = ();
    /// #     async fn init(configure: Self::Args) -> Init<Self> { configure(Init::producer(Pusher)) }
    /// #     async fn handle_cast(&mut self, events: Vec<i64>) -> Emit<i64> { Emit::events(events) }
    /// #     async fn handle_demand(&mut self, _: u64) -> Emit<i64> { Emit::none() }
    /// # }
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// use tether::{ExitReason, otp::gen_server::ServerStartError};
    /// let r = gen_stage::start::<Pusher>(|_| Init::stop(ExitReason::from("no_config")), StartOpts::new()).await;
    /// assert_eq!(r.unwrap_err(), ServerStartError::Failed(ExitReason::from("no_config")));
    /// # });
    /// ```
    pub fn stop(reason: ExitReason) -> Init<S> {
        Init(InitKind::Stop(reason))
    }

    fn stage(state: S, kind: Kind) -> Init<S> {
        Init(InitKind::Stage {
            state,
            kind,
            opts: StageOpts::default(),
        })
    }

    fn with(mut self, f: impl FnOnce(&mut StageOpts<S::Out>)) -> Init<S> {
        if let InitKind::Stage { opts, .. } = &mut self.0 {
            f(opts);
        }
        self
    }

    /// At most `n` events wait in the buffer for demand.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::otp::gen_server::StartOpts;
    /// # use tether::otp::gen_stage::{self, *};
    /// # /// A producer that emits what it is cast; `init` is configured by its argument.
    /// # struct Pusher;
    /// # impl GenStage for Pusher {
    /// #     type Args = fn(Init<Pusher>) -> Init<Pusher>; type In = (); type Out = i64;
    /// #     type Call = (); type Cast = Vec<i64>; type Reply = ();
    /// #     async fn init(configure: Self::Args) -> Init<Self> { configure(Init::producer(Pusher)) }
    /// #     async fn handle_cast(&mut self, events: Vec<i64>) -> Emit<i64> { Emit::events(events) }
    /// #     async fn handle_demand(&mut self, _: u64) -> Emit<i64> { Emit::none() }
    /// # }
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// // No consumer yet: events wait in the buffer, at most 2 of them.
    /// let p = gen_stage::start::<Pusher>(|init| init.buffer_size(2), StartOpts::new()).await.unwrap();
    /// p.cast(vec![1, 2, 3, 4]);
    /// assert_eq!(gen_stage::estimate_buffered_count(p.pid()).await.unwrap(), 2);
    /// # });
    /// ```
    pub fn buffer_size(self, n: usize) -> Init<S> {
        self.with(|o| o.buffer_size = Some(Some(n)))
    }

    /// No limit on the buffer (GenStage's `buffer_size: :infinity`).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::otp::gen_server::StartOpts;
    /// # use tether::otp::gen_stage::{self, *};
    /// # /// A producer that emits what it is cast; `init` is configured by its argument.
    /// # struct Pusher;
    /// # impl GenStage for Pusher {
    /// #     type Args = fn(Init<Pusher>) -> Init<Pusher>; type In = (); type Out = i64;
    /// #     type Call = (); type Cast = Vec<i64>; type Reply = ();
    /// #     async fn init(configure: Self::Args) -> Init<Self> { configure(Init::producer(Pusher)) }
    /// #     async fn handle_cast(&mut self, events: Vec<i64>) -> Emit<i64> { Emit::events(events) }
    /// #     async fn handle_demand(&mut self, _: u64) -> Emit<i64> { Emit::none() }
    /// # }
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let p = gen_stage::start::<Pusher>(|init| init.buffer_unbounded(), StartOpts::new()).await.unwrap();
    /// p.cast((0..20_000).collect()); // more than the default 10 000
    /// assert_eq!(gen_stage::estimate_buffered_count(p.pid()).await.unwrap(), 20_000);
    /// # });
    /// ```
    pub fn buffer_unbounded(self) -> Init<S> {
        self.with(|o| o.buffer_size = Some(None))
    }

    /// Which events a full buffer keeps.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::otp::gen_server::StartOpts;
    /// # use tether::otp::gen_stage::{self, *};
    /// # /// A producer that emits what it is cast; `init` is configured by its argument.
    /// # struct Pusher;
    /// # impl GenStage for Pusher {
    /// #     type Args = fn(Init<Pusher>) -> Init<Pusher>; type In = (); type Out = i64;
    /// #     type Call = (); type Cast = Vec<i64>; type Reply = ();
    /// #     async fn init(configure: Self::Args) -> Init<Self> { configure(Init::producer(Pusher)) }
    /// #     async fn handle_cast(&mut self, events: Vec<i64>) -> Emit<i64> { Emit::events(events) }
    /// #     async fn handle_demand(&mut self, _: u64) -> Emit<i64> { Emit::none() }
    /// # }
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let p = gen_stage::start::<Pusher>(|i| i.buffer_size(2).buffer_keep(BufferKeep::First), StartOpts::new())
    ///     .await
    ///     .unwrap();
    /// p.cast(vec![1, 2, 3, 4]);
    /// let mut events = gen_stage::stream::<i64>([(p.pid().into(), SubscribeOpts::new())]).unwrap();
    /// assert_eq!(events.next().await, Some(1)); // the first two were kept
    /// assert_eq!(events.next().await, Some(2));
    /// # });
    /// ```
    pub fn buffer_keep(self, keep: BufferKeep) -> Init<S> {
        self.with(|o| o.buffer_keep = Some(keep))
    }

    /// How events are shared among consumers.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::otp::gen_server::StartOpts;
    /// # use tether::otp::gen_stage::{self, *};
    /// # /// A producer that emits what it is cast; `init` is configured by its argument.
    /// # struct Pusher;
    /// # impl GenStage for Pusher {
    /// #     type Args = fn(Init<Pusher>) -> Init<Pusher>; type In = (); type Out = i64;
    /// #     type Call = (); type Cast = Vec<i64>; type Reply = ();
    /// #     async fn init(configure: Self::Args) -> Init<Self> { configure(Init::producer(Pusher)) }
    /// #     async fn handle_cast(&mut self, events: Vec<i64>) -> Emit<i64> { Emit::events(events) }
    /// #     async fn handle_demand(&mut self, _: u64) -> Emit<i64> { Emit::none() }
    /// # }
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// /// Sends what it consumes to a test process.
    /// struct Sink(tether::Pid);
    /// impl GenStage for Sink {
    ///     type Args = tether::Pid; type In = i64; type Out = (); type Call = (); type Cast = (); type Reply = ();
    ///     async fn init(to: tether::Pid) -> Init<Self> { Init::consumer(Sink(to)) }
    ///     async fn handle_events(&mut self, events: Vec<i64>, _: &Subscription) -> Emit<()> {
    ///         tether::send(self.0, events).unwrap();
    ///         Emit::none()
    ///     }
    /// }
    /// // Every consumer gets every event.
    /// let p = gen_stage::start::<Pusher>(|i| i.dispatcher(BroadcastDispatcher::new()), StartOpts::new())
    ///     .await
    ///     .unwrap();
    /// for _ in 0..2 {
    ///     let c = gen_stage::start::<Sink>(tether::self_pid(), StartOpts::new()).await.unwrap();
    ///     gen_stage::sync_subscribe(c.pid(), p.pid(), SubscribeOpts::new()).await.unwrap();
    /// }
    /// p.cast(vec![9]);
    /// assert_eq!(tether::receive::<Vec<i64>>().await, [9]);
    /// assert_eq!(tether::receive::<Vec<i64>>().await, [9]);
    /// # });
    /// ```
    pub fn dispatcher(self, d: impl Dispatcher<S::Out>) -> Init<S> {
        self.with(|o| o.dispatcher = Some(Box::new(d)))
    }

    /// The producer's demand mode at start.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::otp::gen_server::StartOpts;
    /// # use tether::otp::gen_stage::{self, *};
    /// # /// A producer that emits what it is cast; `init` is configured by its argument.
    /// # struct Pusher;
    /// # impl GenStage for Pusher {
    /// #     type Args = fn(Init<Pusher>) -> Init<Pusher>; type In = (); type Out = i64;
    /// #     type Call = (); type Cast = Vec<i64>; type Reply = ();
    /// #     async fn init(configure: Self::Args) -> Init<Self> { configure(Init::producer(Pusher)) }
    /// #     async fn handle_cast(&mut self, events: Vec<i64>) -> Emit<i64> { Emit::events(events) }
    /// #     async fn handle_demand(&mut self, _: u64) -> Emit<i64> { Emit::none() }
    /// # }
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let p = gen_stage::start::<Pusher>(|i| i.demand(DemandMode::Accumulate), StartOpts::new()).await.unwrap();
    /// assert_eq!(gen_stage::demand(p.pid()).await.unwrap(), DemandMode::Accumulate);
    /// # });
    /// ```
    pub fn demand(self, mode: DemandMode) -> Init<S> {
        self.with(|o| o.demand = Some(mode))
    }

    /// Subscribes to `producer` during init (may be given several times).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::otp::gen_server::StartOpts;
    /// # use tether::otp::gen_stage::{self, *};
    /// # /// A producer that emits what it is cast; `init` is configured by its argument.
    /// # struct Pusher;
    /// # impl GenStage for Pusher {
    /// #     type Args = fn(Init<Pusher>) -> Init<Pusher>; type In = (); type Out = i64;
    /// #     type Call = (); type Cast = Vec<i64>; type Reply = ();
    /// #     async fn init(configure: Self::Args) -> Init<Self> { configure(Init::producer(Pusher)) }
    /// #     async fn handle_cast(&mut self, events: Vec<i64>) -> Emit<i64> { Emit::events(events) }
    /// #     async fn handle_demand(&mut self, _: u64) -> Emit<i64> { Emit::none() }
    /// # }
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// /// Subscribes itself, in `init`, to the producer named `source`.
    /// struct Echo(tether::Pid);
    /// impl GenStage for Echo {
    ///     type Args = tether::Pid; type In = i64; type Out = (); type Call = (); type Cast = (); type Reply = ();
    ///     async fn init(to: tether::Pid) -> Init<Self> {
    ///         Init::consumer(Echo(to)).subscribe_to("source", SubscribeOpts::new())
    ///     }
    ///     async fn handle_events(&mut self, events: Vec<i64>, _: &Subscription) -> Emit<()> {
    ///         tether::send(self.0, events).unwrap();
    ///         Emit::none()
    ///     }
    /// }
    /// let p = gen_stage::start::<Pusher>(|i| i, StartOpts::new().name("source")).await.unwrap();
    /// gen_stage::start::<Echo>(tether::self_pid(), StartOpts::new()).await.unwrap();
    /// tether::sleep(Duration::from_millis(20)).await;
    /// p.cast(vec![5]);
    /// assert_eq!(tether::receive::<Vec<i64>>().await, [5]);
    /// # });
    /// ```
    pub fn subscribe_to(self, producer: impl Into<Dest>, opts: SubscribeOpts) -> Init<S> {
        let producer = producer.into();
        self.with(|o| o.subscribe_to.push((producer, opts)))
    }
}

/// What a callback that may emit events returns: Elixir's `{:noreply, events, state}`
/// or `{:stop, reason, state}`.
///
/// ```
/// use tether::ExitReason;
/// use tether::otp::gen_stage::Emit;
/// let e: Emit<i64> = Emit::events(vec![1, 2, 3]);
/// assert!(matches!(e, Emit::Events(v) if v.len() == 3));
/// let _: Emit<i64> = Emit::none();
/// let _: Emit<i64> = Emit::stop(ExitReason::Normal);
/// ```
#[derive(Debug)]
pub enum Emit<E> {
    /// Go on, emitting these events (a consumer must emit none).
    Events(Vec<E>),
    /// Stop with this reason.
    Stop(ExitReason),
}

impl<E> Emit<E> {
    /// Go on, emitting `events`.
    ///
    /// ```
    /// # use tether::ExitReason;
    /// # use tether::otp::gen_stage::Emit;
    /// assert!(matches!(Emit::events(vec![1, 2]), Emit::Events(v) if v == [1, 2]));
    /// ```
    pub fn events(events: Vec<E>) -> Emit<E> {
        Emit::Events(events)
    }

    /// Go on, emitting nothing.
    ///
    /// ```
    /// # use tether::ExitReason;
    /// # use tether::otp::gen_stage::Emit;
    /// assert!(matches!(Emit::<i64>::none(), Emit::Events(v) if v.is_empty()));
    /// ```
    pub fn none() -> Emit<E> {
        Emit::Events(Vec::new())
    }

    /// Stop with `reason`.
    ///
    /// ```
    /// # use tether::ExitReason;
    /// # use tether::otp::gen_stage::Emit;
    /// assert!(matches!(Emit::<i64>::stop(ExitReason::Normal), Emit::Stop(ExitReason::Normal)));
    /// ```
    pub fn stop(reason: ExitReason) -> Emit<E> {
        Emit::Stop(reason)
    }
}

/// What [`GenStage::handle_call`] returns. Events are dispatched *before* the reply
/// is sent.
pub enum CallResult<S: GenStage> {
    /// Reply now, emitting events.
    Reply(S::Reply, Vec<S::Out>),
    /// Do not reply now (reply later through the [`ReplyTo`](crate::otp::gen_server::ReplyTo)),
    /// emitting events.
    NoReply(Vec<S::Out>),
    /// Stop, with a reply sent after `terminate`, or none.
    Stop(ExitReason, Option<S::Reply>),
}

impl<S: GenStage> CallResult<S> {
    /// Reply, emitting nothing.
    ///
    /// ```
    /// # use tether::otp::gen_stage::*;
    /// # struct S;
    /// # impl GenStage for S { type Args = (); type In = (); type Out = i64; type Call = (); type Cast = (); type Reply = u8;
    /// #   async fn init(_: ()) -> Init<Self> { Init::producer(S) } }
    /// assert!(matches!(CallResult::<S>::reply(1), CallResult::Reply(1, v) if v.is_empty()));
    /// ```
    pub fn reply(reply: S::Reply) -> CallResult<S> {
        CallResult::Reply(reply, Vec::new())
    }
}

/// Which side the other stage of a new subscription is, in
/// [`GenStage::handle_subscribe`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// This stage subscribed to a producer.
    Producer,
    /// A consumer subscribed to this stage.
    Consumer,
}

/// What [`GenStage::handle_subscribe`] returns.
#[derive(Debug)]
pub enum Subscribed {
    /// The stage asks for events itself, by `max_demand` / `min_demand` (always, on
    /// the producer side).
    Automatic,
    /// A consumer asks with [`Subscription::ask`](super::Subscription::ask) itself.
    Manual,
    /// Stop the stage.
    Stop(ExitReason),
}

/// Why a subscription ended, in [`GenStage::handle_cancel`].
#[derive(Clone, Debug, PartialEq)]
pub enum Cancel {
    /// Cancelled through the protocol (`GenStage.cancel/3`, or by the producer):
    /// `{cancel, Reason}`.
    Cancel(ExitReason),
    /// The other stage died: `{down, Reason}`.
    Down(ExitReason),
}

impl Cancel {
    /// The reason.
    ///
    /// ```
    /// use tether::{ExitReason, otp::gen_stage::Cancel};
    /// assert_eq!(Cancel::Down(ExitReason::Kill).reason(), &ExitReason::Kill);
    /// ```
    pub fn reason(&self) -> &ExitReason {
        match self {
            Cancel::Cancel(r) | Cancel::Down(r) => r,
        }
    }

    /// As Elixir shows it: `{cancel, Reason}` or `{down, Reason}`.
    ///
    /// ```
    /// use tether::{ExitReason, otp::gen_stage::Cancel};
    /// assert_eq!(Cancel::Cancel(ExitReason::Normal).to_term().to_string(), "{cancel,normal}");
    /// ```
    pub fn to_term(&self) -> Term {
        match self {
            Cancel::Cancel(r) => Term::tuple([Term::atom("cancel"), r.to_term()]),
            Cancel::Down(r) => Term::tuple([Term::atom("down"), r.to_term()]),
        }
    }
}
