//! Producers from any iterator or async stream (Elixir's
//! `GenStage.from_enumerable/2`).
//!
//! The items are pulled only as far as consumers ask: `handle_demand(n)` takes at
//! most `n` items. When they run out, the producer queues an info behind the events
//! it still buffers ([`async_info`](super::async_info)) and stops with `normal` once
//! that info comes back, so consumers get every item first; their subscriptions then
//! end with `{down, normal}` (or `{cancel, normal}`), which stops `permanent` ones.
//!
//! A stream is awaited inside `handle_demand`, as Elixir's producer runs its
//! enumerable: while it waits for an item the producer handles no other message. An
//! iterator that blocks blocks the producer's thread: use iterators that compute or
//! read quickly, and a stream for anything that waits.
//!
//! By default the producer keeps running when its consumers cancel (a later one may
//! subscribe); [`IterArgs::stop_on_cancel`] stops it, with `normal`, once every
//! consumer that subscribed has cancelled (Elixir's `on_cancel: :stop`).

use std::pin::Pin;

use futures_core::Stream;
use tether_term::Pid;

use super::client::{Stage, start_link};
use super::result::{Cancel, Emit, Init, Role, Subscribed};
use super::wire::{Event, Subscription};
use super::{DemandMode, GenStage, SubscribeOpts, async_info};
use crate::otp::gen_server::{ServerStartError, StartOpts};
use crate::{ExitReason, Message, self_pid};

/// The producer [`from_iter`] and [`from_stream`] start; start it yourself with
/// [`IterArgs`] (e.g. unlinked, with [`start`](super::start)).
pub struct IterProducer<E: Event> {
    items: Option<Items<E>>,
    stop_on_cancel: bool,
    consumers: usize,
}

/// Where the items come from.
enum Items<E> {
    Iter(Box<dyn Iterator<Item = E> + Send>),
    Stream(Pin<Box<dyn Stream<Item = E> + Send>>),
}

impl<E> Items<E> {
    async fn next(&mut self) -> Option<E> {
        match self {
            Items::Iter(i) => i.next(),
            Items::Stream(s) => std::future::poll_fn(|cx| s.as_mut().poll_next(cx)).await,
        }
    }
}

/// The message the producer sends itself when the items are exhausted.
struct Exhausted(Pid);

/// The arguments of an [`IterProducer`]: the items, the demand mode and what to do
/// when consumers cancel.
///
/// ```
/// use tether::Runtime;
/// use tether::otp::gen_server::StartOpts;
/// use tether::otp::gen_stage::{self, DemandMode, IterArgs, IterProducer, SubscribeOpts};
///
/// Runtime::new().unwrap().block_on(async {
///     // Unlinked, and gone once its only consumer cancels.
///     let args = IterArgs::new(0..i64::MAX, DemandMode::Forward).stop_on_cancel(true);
///     let producer = gen_stage::start::<IterProducer<i64>>(args, StartOpts::new()).await.unwrap();
///     let mut events = gen_stage::stream::<i64>([(producer.pid().into(), SubscribeOpts::new())]).unwrap();
///     assert_eq!(events.next().await, Some(0));
///     drop(events); // cancels
///     let mref = tether::monitor(tether::MonitorTarget::Pid(producer.pid()));
///     let down: tether::Down = tether::receive().await;
///     assert_eq!(down.reference, mref);
/// });
/// ```
pub struct IterArgs<E> {
    items: Items<E>,
    demand: DemandMode,
    stop_on_cancel: bool,
}

impl<E: Event> IterArgs<E> {
    /// The items of an iterator, emitted in `demand` mode
    /// ([`DemandMode::Accumulate`] waits for [`set_demand`](super::set_demand)).
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
    /// let args = IterArgs::new(vec![3, 1, 2], DemandMode::Forward);
    /// let p = gen_stage::start::<IterProducer<i64>>(args, StartOpts::new()).await.unwrap();
    /// let mut events = gen_stage::stream::<i64>([(p.pid().into(), SubscribeOpts::new())]).unwrap();
    /// assert_eq!(events.next().await, Some(3));
    /// assert_eq!(events.next().await, Some(1));
    /// # });
    /// ```
    pub fn new<I>(items: I, demand: DemandMode) -> IterArgs<E>
    where
        I: IntoIterator<Item = E>,
        I::IntoIter: Send + 'static,
    {
        IterArgs {
            items: Items::Iter(Box::new(items.into_iter())),
            demand,
            stop_on_cancel: false,
        }
    }

    /// The items of an async stream (any [`futures_core::Stream`]).
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
    /// use std::pin::Pin;
    /// use std::task::{Context, Poll};
    /// /// Any `futures_core::Stream`: here one counting up from 10 to 12.
    /// struct Upward(i64);
    /// impl futures_core::Stream for Upward {
    ///     type Item = i64;
    ///     fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<i64>> {
    ///         self.0 += 1;
    ///         Poll::Ready((self.0 <= 12).then_some(self.0))
    ///     }
    /// }
    /// let p = gen_stage::start::<IterProducer<i64>>(IterArgs::stream(Upward(9), DemandMode::Forward), StartOpts::new())
    ///     .await
    ///     .unwrap();
    /// let mut events = gen_stage::stream::<i64>([(p.pid().into(), SubscribeOpts::new())]).unwrap();
    /// assert_eq!(events.next().await, Some(10));
    /// # });
    /// ```
    pub fn stream<S>(items: S, demand: DemandMode) -> IterArgs<E>
    where
        S: Stream<Item = E> + Send + 'static,
    {
        IterArgs {
            items: Items::Stream(Box::pin(items)),
            demand,
            stop_on_cancel: false,
        }
    }

    /// Whether the producer stops (`normal`) once all its consumers have cancelled
    /// (Elixir's `on_cancel: :stop`; default `false`, `:continue`).
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
    /// let args = IterArgs::new(0..i64::MAX, DemandMode::Forward).stop_on_cancel(true);
    /// let p = gen_stage::start::<IterProducer<i64>>(args, StartOpts::new()).await.unwrap();
    /// let mref = tether::monitor(p.pid());
    /// let mut events = gen_stage::stream::<i64>([(p.pid().into(), SubscribeOpts::new())]).unwrap();
    /// assert_eq!(events.next().await, Some(0));
    /// drop(events); // the only consumer cancels: the producer stops
    /// let down: tether::Down = tether::receive().await;
    /// assert_eq!((down.reference, down.reason), (mref, tether::ExitReason::Normal));
    /// # });
    /// ```
    pub fn stop_on_cancel(mut self, stop: bool) -> IterArgs<E> {
        self.stop_on_cancel = stop;
        self
    }
}

impl<E: Event> GenStage for IterProducer<E> {
    type Args = IterArgs<E>;
    type In = ();
    type Out = E;
    type Call = ();
    type Cast = ();
    type Reply = ();

    async fn init(args: IterArgs<E>) -> Init<Self> {
        Init::producer(IterProducer {
            items: Some(args.items),
            stop_on_cancel: args.stop_on_cancel,
            consumers: 0,
        })
        .demand(args.demand)
    }

    async fn handle_demand(&mut self, demand: u64) -> Emit<E> {
        let Some(items) = &mut self.items else {
            return Emit::none();
        };
        let mut events = Vec::new();
        while (events.len() as u64) < demand {
            match items.next().await {
                Some(e) => events.push(e),
                None => {
                    self.items = None;
                    async_info(self_pid(), Exhausted(self_pid()));
                    break;
                }
            }
        }
        Emit::events(events)
    }

    async fn handle_subscribe(
        &mut self,
        role: Role,
        _: &SubscribeOpts,
        _: &Subscription,
    ) -> Subscribed {
        if role == Role::Consumer {
            self.consumers += 1;
        }
        Subscribed::Automatic
    }

    async fn handle_cancel(&mut self, _: Cancel, _: &Subscription) -> Emit<E> {
        self.consumers = self.consumers.saturating_sub(1);
        if self.stop_on_cancel && self.consumers == 0 {
            Emit::stop(ExitReason::Normal)
        } else {
            Emit::none()
        }
    }

    async fn handle_info(&mut self, m: Message) -> Emit<E> {
        match m.downcast::<Exhausted>() {
            Ok(Exhausted(me)) if me == self_pid() => Emit::stop(ExitReason::Normal),
            _ => Emit::none(),
        }
    }
}

/// Starts a producer, linked to the caller, that emits the items of `items` as
/// consumers ask for them, then stops with `normal` (Elixir's
/// `GenStage.from_enumerable/2`). With [`DemandMode::Accumulate`] it waits for
/// [`set_demand`](super::set_demand) before emitting (subscribe every consumer
/// first).
///
/// ```
/// use tether::Runtime;
/// use tether::otp::gen_server::StartOpts;
/// use tether::otp::gen_stage::{self, DemandMode, SubscribeOpts};
///
/// Runtime::new().unwrap().block_on(async {
///     let producer = gen_stage::from_iter(1..=5i64, DemandMode::Forward, StartOpts::new()).await.unwrap();
///     let mut events = gen_stage::stream::<i64>([(producer.pid().into(), SubscribeOpts::new())]).unwrap();
///     let mut got = Vec::new();
///     while let Some(e) = events.next().await {
///         got.push(e);
///     }
///     assert_eq!(got, [1, 2, 3, 4, 5]);
/// });
/// ```
pub async fn from_iter<I>(
    items: I,
    demand: DemandMode,
    opts: StartOpts,
) -> Result<Stage<IterProducer<I::Item>>, ServerStartError>
where
    I: IntoIterator,
    I::IntoIter: Send + 'static,
    I::Item: Event,
{
    start_link::<IterProducer<I::Item>>(IterArgs::new(items, demand), opts).await
}

/// Starts a producer, linked to the caller, that emits the items of an async
/// `stream` as consumers ask for them, then stops with `normal`; as [`from_iter`]
/// but for any [`futures_core::Stream`].
///
/// ```
/// use std::pin::Pin;
/// use std::task::{Context, Poll};
/// use tether::Runtime;
/// use tether::otp::gen_server::StartOpts;
/// use tether::otp::gen_stage::{self, DemandMode, SubscribeOpts};
///
/// /// Counts down to 1, one item per poll.
/// struct Countdown(i64);
/// impl futures_core::Stream for Countdown {
///     type Item = i64;
///     fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<i64>> {
///         let n = self.0;
///         self.0 -= 1;
///         Poll::Ready((n > 0).then_some(n))
///     }
/// }
///
/// Runtime::new().unwrap().block_on(async {
///     let producer = gen_stage::from_stream(Countdown(3), DemandMode::Forward, StartOpts::new()).await.unwrap();
///     let mut events = gen_stage::stream::<i64>([(producer.pid().into(), SubscribeOpts::new())]).unwrap();
///     let mut got = Vec::new();
///     while let Some(e) = events.next().await {
///         got.push(e);
///     }
///     assert_eq!(got, [3, 2, 1]);
/// });
/// ```
pub async fn from_stream<S>(
    stream: S,
    demand: DemandMode,
    opts: StartOpts,
) -> Result<Stage<IterProducer<S::Item>>, ServerStartError>
where
    S: Stream + Send + 'static,
    S::Item: Event,
{
    start_link::<IterProducer<S::Item>>(IterArgs::stream(stream, demand), opts).await
}
