//! GenStage: stages that exchange events with back-pressure, speaking the protocol of
//! Elixir's `GenStage` (hexdocs: `GenStage`, `GenStage.Dispatcher`), so a Tether
//! stage and an Elixir stage subscribe to each other across nodes in either
//! direction.
//!
//! A stage is a type implementing [`GenStage`]; [`Init`] says whether it is a
//! producer, a producer_consumer or a consumer. Consumers *subscribe* to producers
//! and *ask* for events; a producer only emits what was asked
//! ([`GenStage::handle_demand`]), so a slow consumer slows the whole pipeline down
//! instead of drowning in messages.
//!
//! ```
//! use tether::Runtime;
//! use tether::otp::gen_server::StartOpts;
//! use tether::otp::gen_stage::{self, Emit, GenStage, Init, SubscribeOpts, Subscription};
//!
//! /// Counts up from a number, as far as it is asked.
//! struct Counter(i64);
//! impl GenStage for Counter {
//!     type Args = i64;
//!     type In = ();
//!     type Out = i64;
//!     type Call = ();
//!     type Cast = ();
//!     type Reply = ();
//!     async fn init(from: i64) -> Init<Self> { Init::producer(Counter(from)) }
//!     async fn handle_demand(&mut self, demand: u64) -> Emit<i64> {
//!         let events: Vec<i64> = (self.0..self.0 + demand as i64).collect();
//!         self.0 += demand as i64;
//!         Emit::events(events)
//!     }
//! }
//!
//! /// Sends what it gets to a test process.
//! struct Printer(tether::Pid);
//! impl GenStage for Printer {
//!     type Args = tether::Pid;
//!     type In = i64;
//!     type Out = ();
//!     type Call = ();
//!     type Cast = ();
//!     type Reply = ();
//!     async fn init(to: tether::Pid) -> Init<Self> { Init::consumer(Printer(to)) }
//!     async fn handle_events(&mut self, events: Vec<i64>, _: &Subscription) -> Emit<()> {
//!         tether::send(self.0, events).unwrap();
//!         Emit::none()
//!     }
//! }
//!
//! Runtime::new().unwrap().block_on(async {
//!     let producer = gen_stage::start_link::<Counter>(0, StartOpts::new()).await.unwrap();
//!     let consumer = gen_stage::start_link::<Printer>(tether::self_pid(), StartOpts::new()).await.unwrap();
//!     let opts = SubscribeOpts::new().max_demand(10).min_demand(5);
//!     gen_stage::sync_subscribe(consumer.pid(), producer.pid(), opts).await.unwrap();
//!     // Batches of max_demand - min_demand events:
//!     assert_eq!(tether::receive::<Vec<i64>>().await, vec![0, 1, 2, 3, 4]);
//!     assert_eq!(tether::receive::<Vec<i64>>().await, vec![5, 6, 7, 8, 9]);
//! });
//! ```
//!
//! ## Design
//!
//! A stage *is* a GenServer (as in Elixir): [`start_link`] runs a private
//! GenServer whose state holds the user's stage and the protocol's bookkeeping, so
//! names, `sys`, calls from other nodes, `terminate` and panics behave exactly as
//! for a [`GenServer`](crate::GenServer). The files:
//!
//! | File | Holds |
//! |---|---|
//! | `wire.rs` | the `$gen_producer` / `$gen_consumer` messages, as Rust values and as terms; [`Subscription`] |
//! | `control.rs` | the control calls and casts (`$subscribe`, `$demand`, `$info`, `$estimate_buffered_count`) |
//! | `server.rs` | the GenServer that runs a stage: message routing, control requests |
//! | `producer.rs` | the producer side: subscribers, demand, buffer, accumulate mode, dispatch |
//! | `consumer.rs` | the consumer side: subscriptions, batching, cancel modes, the producer_consumer queue |
//! | `buffer.rs`, `batch.rs` | the buffer (with infos) and the batching rule |
//! | `dispatcher/` | the [`Dispatcher`] trait and the three dispatchers |
//! | `client.rs` | the API: start, subscribe, ask, cancel, demand mode, infos, calls |
//! | `consumer_supervisor/` | [`ConsumerSupervisor`]: a child process per event, transient children restarted (a failed restart kept as *restarting* and retried), `which_children`, `count_children`, `terminate_child`, `start_child` and the supervisor's shutdown protocol |
//! | `from_iter.rs`, `stream.rs` | Rust-native edges: a producer from an iterator or an async stream ([`from_iter`], [`from_stream`]), stages consumed by the calling process ([`stream`], a [`futures_core::Stream`]) |
//!
//! Between local stages the protocol messages are Rust values moved into the
//! mailbox (events are not copied or encoded); a message that crosses to another
//! node becomes the term Elixir's GenStage sends, and a term that arrives is read
//! back into the stage's event type with tether-term's serde bridge ([`Event`]).
//!
//! ## Demand and batching (GenStage's rules)
//!
//! - A consumer in automatic mode asks `max_demand` (default 1000) on subscribing.
//!   Events arrive in batches of at most `max_demand - min_demand` (`min_demand`
//!   defaults to half of max); after each batch's `handle_events`, when the events
//!   in flight fall to `min_demand` or below, it asks for enough to get back to
//!   `max_demand`. Events beyond the demand are logged as "in excess".
//! - A producer serves demand from its buffer first, then calls `handle_demand` for
//!   the rest. Events emitted without demand are buffered (default 10 000 for a
//!   producer, unbounded for a producer_consumer); a full buffer discards (the
//!   oldest with [`BufferKeep::Last`], the newest with [`BufferKeep::First`]) and
//!   logs "has discarded N events from buffer" unless
//!   [`GenStage::format_discarded`] says not to.
//! - A producer_consumer handles incoming events only while it has downstream
//!   demand, so back-pressure propagates upstream.
//! - Cancellation follows the subscription's [`CancelMode`]: a consumer stops with
//!   the cancel's very reason (`permanent`, or `transient` for an abnormal reason),
//!   after `handle_cancel`.
//!
//! ## Remote stages and Elixir
//!
//! Elixir code subscribes a Tether consumer with
//! `GenStage.sync_subscribe({name, node}, to: producer)`, and a Tether consumer
//! subscribes to an Elixir producer with [`sync_subscribe`]`(consumer, (name, node),
//! opts)`. Events cross as terms, so [`Event`] types are serde types. Closures never
//! cross: broadcast selectors ([`SubscribeOpts::selector`]) and partition hashes
//! ([`PartitionDispatcher::hash`]) work within one node (a partition hash runs in the
//! producer, so remote consumers of a Tether partitioned producer are fine).
//! Malformed protocol messages are logged and dropped; unknown subscriptions are
//! answered with a `{cancel, unknown_subscription}`, duplicated ones with
//! `{cancel, duplicated_subscription}`, as GenStage does.
//!
//! A stage's own calls cross nodes as GenStage's do (a stage is a `gen_server`, so
//! `GenStage.call/3` is a plain `$gen_call`): [`call_term`] calls any stage with a
//! term request and returns the reply term (an Elixir stage, or one with no Rust type
//! here); [`call`] and [`cast`] reach a Tether stage on another node when its type
//! gives the term forms ([`GenStage::encode_call`], [`GenStage::decode_reply`],
//! [`GenStage::encode_cast`] on the caller's side; [`GenStage::decode_call`],
//! [`GenStage::encode_reply`], [`GenStage::decode_cast`] on the stage's), for
//! example with tether-term's serde bridge
//! ([`encode_term`](crate::otp::gen_server::encode_term) /
//! [`decode_term`](crate::otp::gen_server::decode_term)).
//!
//! ## Rust-native edges
//!
//! [`from_iter`] and [`from_stream`] start a producer that pulls an iterator or a
//! [`futures_core::Stream`] only as far as it is asked ([`IterArgs`] starts one
//! unlinked, or stopping once its consumers cancel, as `on_cancel: :stop`).
//! [`stream`] consumes producers from the calling process; the [`StageStream`] it
//! returns is a [`futures_core::Stream`], so any stream combinator applies. Unlike
//! Elixir's `GenStage.stream/2` it never exits its caller: it ends, and
//! [`StageStream::ended`] says why each subscription ended.
//!
//! ## Differences from Elixir's GenStage
//!
//! - A partition error (an event whose partition does not exist) is logged and the
//!   event dropped, where Elixir raises in the producer; the default partition hash
//!   is not `:erlang.phash2/2` (give one with [`PartitionDispatcher::hash`] to route
//!   as an Elixir producer would).
//! - Elixir selector and hash functions cannot run in Rust: a remote subscription
//!   with a `selector` is refused with `bad_opts`.
//! - `format_status` is Tether's own (`sys`).

mod batch;
mod buffer;
mod client;
mod consumer;
mod consumer_supervisor;
mod control;
mod dispatcher;
mod from_iter;
mod opts;
mod producer;
mod result;
mod server;
mod stream;
mod wire;

use std::future::Future;

use tether_term::Term;

pub use client::{
    Stage, SubscribeError, async_info, async_resubscribe, async_subscribe, call, call_term, cast,
    demand, estimate_buffered_count, set_demand, start, start_link, stop, sync_info,
    sync_resubscribe, sync_subscribe,
};
pub use consumer_supervisor::{
    ChildStart, ConsumerSupervisor, ConsumerSupervisorSpec, NotFound, Restart, SupervisorCall,
    SupervisorReply, consumer_supervisor,
};
pub use dispatcher::{
    BroadcastDispatcher, DemandDispatcher, Dispatcher, PartitionDispatcher, PartitionHash,
};
pub use from_iter::{IterArgs, IterProducer, from_iter, from_stream};
pub use opts::{BufferKeep, CancelMode, DemandMode, SubscribeOpts};
pub use result::{CallResult, Cancel, Emit, Init, Kind, Role, Subscribed};
pub use stream::{StageStream, stream};
pub use wire::{Event, Subscription};

use crate::otp::gen_server::ReplyTo;
use crate::{ExitReason, Message};

/// The reason a stage stops with when a callback it needs is missing.
fn undef<S>(callback: &str) -> ExitReason {
    ExitReason::from_term(Term::tuple([
        Term::atom("undef"),
        Term::tuple([Term::atom(std::any::type_name::<S>()), Term::atom(callback)]),
    ]))
}

/// A stage's callbacks (Elixir's `GenStage` behaviour). The implementing type is the
/// stage's state.
///
/// Only [`init`](GenStage::init) is required; a producer implements
/// [`handle_demand`](GenStage::handle_demand), a consumer or producer_consumer
/// [`handle_events`](GenStage::handle_events). A stage that does not produce sets
/// `Out = ()`, one that does not consume `In = ()`.
pub trait GenStage: Sized + Send + 'static {
    /// What [`start_link`] passes to [`init`](GenStage::init).
    type Args: Send + 'static;
    /// The events this stage consumes.
    type In: Event;
    /// The events this stage emits.
    type Out: Event;
    /// The requests [`call`] sends.
    type Call: Send + 'static;
    /// The requests [`cast`] sends.
    type Cast: Send + 'static;
    /// The replies to calls.
    type Reply: Send + 'static;

    /// Builds the stage in its process: its kind, state and options.
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
    /// /// A producer of the letters of a word.
    /// struct Letters(Vec<char>);
    /// impl GenStage for Letters {
    ///     type Args = String; type In = (); type Out = char; type Call = (); type Cast = (); type Reply = ();
    ///     async fn init(word: String) -> Init<Self> {
    ///         if word.is_empty() {
    ///             return Init::stop(tether::ExitReason::from("empty"));
    ///         }
    ///         Init::producer(Letters(word.chars().rev().collect()))
    ///     }
    ///     async fn handle_demand(&mut self, demand: u64) -> Emit<char> {
    ///         let n = (demand as usize).min(self.0.len());
    ///         let at = self.0.len() - n;
    ///         Emit::events(self.0.split_off(at).into_iter().rev().collect())
    ///     }
    /// }
    /// let p = gen_stage::start::<Letters>("hey".into(), StartOpts::new()).await.unwrap();
    /// let mut letters = gen_stage::stream::<char>([(p.pid().into(), SubscribeOpts::new())]).unwrap();
    /// assert_eq!(letters.next().await, Some('h'));
    /// assert!(gen_stage::start::<Letters>(String::new(), StartOpts::new()).await.is_err());
    /// # });
    /// ```
    fn init(args: Self::Args) -> impl Future<Output = Init<Self>> + Send;

    /// Producers: consumers asked for `demand` more events (beyond what the buffer
    /// held). Emit any number: extra events are buffered, and fewer is fine (emit
    /// the rest later, from any callback).
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
    /// /// Emits exactly as many events as asked, and reports each demand.
    /// struct Asked(tether::Pid);
    /// impl GenStage for Asked {
    ///     type Args = tether::Pid; type In = (); type Out = u64; type Call = (); type Cast = (); type Reply = ();
    ///     async fn init(to: tether::Pid) -> Init<Self> { Init::producer(Asked(to)) }
    ///     async fn handle_demand(&mut self, demand: u64) -> Emit<u64> {
    ///         tether::send(self.0, demand).unwrap();
    ///         Emit::events((0..demand).collect())
    ///     }
    /// }
    /// let p = gen_stage::start::<Asked>(tether::self_pid(), StartOpts::new()).await.unwrap();
    /// let mut events = gen_stage::stream::<u64>([(p.pid().into(), SubscribeOpts::new().max_demand(8))]).unwrap();
    /// assert_eq!(tether::receive::<u64>().await, 8); // the consumer's max_demand
    /// assert_eq!(events.next().await, Some(0));
    /// # });
    /// ```
    fn handle_demand(&mut self, demand: u64) -> impl Future<Output = Emit<Self::Out>> + Send {
        let _ = demand;
        async { Emit::stop(undef::<Self>("handle_demand")) }
    }

    /// Consumers and producer_consumers: a batch of events from the subscription
    /// `from`. A consumer must emit nothing (events are logged and dropped).
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
    /// /// Keeps the largest event seen and reports it.
    /// struct Max(i64, tether::Pid);
    /// impl GenStage for Max {
    ///     type Args = tether::Pid; type In = i64; type Out = (); type Call = (); type Cast = (); type Reply = ();
    ///     async fn init(to: tether::Pid) -> Init<Self> { Init::consumer(Max(i64::MIN, to)) }
    ///     async fn handle_events(&mut self, events: Vec<i64>, _: &Subscription) -> Emit<()> {
    ///         self.0 = events.into_iter().fold(self.0, i64::max);
    ///         tether::send(self.1, self.0).unwrap();
    ///         Emit::none()
    ///     }
    /// }
    /// let p = gen_stage::start::<Pusher>(|i| i, StartOpts::new()).await.unwrap();
    /// let c = gen_stage::start::<Max>(tether::self_pid(), StartOpts::new()).await.unwrap();
    /// gen_stage::sync_subscribe(c.pid(), p.pid(), SubscribeOpts::new()).await.unwrap();
    /// p.cast(vec![3, 9, 4]);
    /// assert_eq!(tether::receive::<i64>().await, 9);
    /// # });
    /// ```
    fn handle_events(
        &mut self,
        events: Vec<Self::In>,
        from: &Subscription,
    ) -> impl Future<Output = Emit<Self::Out>> + Send {
        let _ = (events, from);
        async { Emit::stop(undef::<Self>("handle_events")) }
    }

    /// A subscription starts: `role` is [`Role::Producer`] when this stage
    /// subscribed to a producer, [`Role::Consumer`] when a consumer subscribed to
    /// it. A consumer may return [`Subscribed::Manual`] and then ask with
    /// [`Subscription::ask`]. The default is automatic.
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
    /// /// A producer that tells who subscribes.
    /// struct Door(tether::Pid);
    /// impl GenStage for Door {
    ///     type Args = tether::Pid; type In = (); type Out = i64; type Call = (); type Cast = (); type Reply = ();
    ///     async fn init(to: tether::Pid) -> Init<Self> { Init::producer(Door(to)) }
    ///     async fn handle_demand(&mut self, _: u64) -> Emit<i64> { Emit::none() }
    ///     async fn handle_subscribe(&mut self, role: Role, _: &SubscribeOpts, sub: &Subscription) -> Subscribed {
    ///         tether::send(self.0, (role, sub.pid())).unwrap();
    ///         Subscribed::Automatic
    ///     }
    /// }
    /// let p = gen_stage::start::<Door>(tether::self_pid(), StartOpts::new()).await.unwrap();
    /// let _events = gen_stage::stream::<i64>([(p.pid().into(), SubscribeOpts::new())]).unwrap();
    /// let (role, who) = tether::receive::<(Role, Option<tether::Pid>)>().await;
    /// assert_eq!((role, who), (Role::Consumer, Some(tether::self_pid())));
    /// # });
    /// ```
    fn handle_subscribe(
        &mut self,
        role: Role,
        opts: &SubscribeOpts,
        from: &Subscription,
    ) -> impl Future<Output = Subscribed> + Send {
        let _ = (role, opts, from);
        async { Subscribed::Automatic }
    }

    /// A subscription ended (either side). The consumer then stops or not per the
    /// subscription's [`CancelMode`].
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
    /// /// A producer that tells why a consumer left.
    /// struct Door(tether::Pid);
    /// impl GenStage for Door {
    ///     type Args = tether::Pid; type In = (); type Out = i64; type Call = (); type Cast = (); type Reply = ();
    ///     async fn init(to: tether::Pid) -> Init<Self> { Init::producer(Door(to)) }
    ///     async fn handle_demand(&mut self, _: u64) -> Emit<i64> { Emit::none() }
    ///     async fn handle_cancel(&mut self, cancel: Cancel, _: &Subscription) -> Emit<i64> {
    ///         tether::send(self.0, cancel.to_term().to_string()).unwrap();
    ///         Emit::none()
    ///     }
    /// }
    /// let p = gen_stage::start::<Door>(tether::self_pid(), StartOpts::new()).await.unwrap();
    /// let me = tether::self_pid();
    /// tether::spawn(async move {
    ///     let _events = gen_stage::stream::<i64>([(p.pid().into(), SubscribeOpts::new())]).unwrap();
    ///     tether::send(me, String::from("subscribed")).unwrap();
    ///     tether::exit_self(tether::ExitReason::from("bye"));
    /// });
    /// assert_eq!(tether::receive::<String>().await, "subscribed");
    /// // The stream, dropped as its process ends, cancels its subscription.
    /// assert_eq!(tether::receive::<String>().await, "{cancel,normal}");
    /// # });
    /// ```
    fn handle_cancel(
        &mut self,
        cancel: Cancel,
        from: &Subscription,
    ) -> impl Future<Output = Emit<Self::Out>> + Send {
        let _ = (cancel, from);
        async { Emit::none() }
    }

    /// A [`call`]. Events emitted go out before the reply.
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
    /// /// A producer that answers "how many did you emit?".
    /// struct Counted(u64);
    /// impl GenStage for Counted {
    ///     type Args = (); type In = (); type Out = u64; type Call = (); type Cast = (); type Reply = u64;
    ///     async fn init(_: ()) -> Init<Self> { Init::producer(Counted(0)) }
    ///     async fn handle_demand(&mut self, demand: u64) -> Emit<u64> {
    ///         self.0 += demand;
    ///         Emit::events((0..demand).collect())
    ///     }
    ///     async fn handle_call(&mut self, _: (), _: &tether::otp::gen_server::ReplyTo<u64>) -> CallResult<Self> {
    ///         CallResult::reply(self.0)
    ///     }
    /// }
    /// let p = gen_stage::start::<Counted>((), StartOpts::new()).await.unwrap();
    /// assert_eq!(p.call(()).await.unwrap(), 0);
    /// let mut events = gen_stage::stream::<u64>([(p.pid().into(), SubscribeOpts::new().max_demand(4))]).unwrap();
    /// events.next().await;
    /// assert!(p.call(()).await.unwrap() >= 4); // at least the first batch of 4
    /// # });
    /// ```
    fn handle_call(
        &mut self,
        request: Self::Call,
        from: &ReplyTo<Self::Reply>,
    ) -> impl Future<Output = CallResult<Self>> + Send {
        let _ = (request, from);
        async { CallResult::Stop(undef::<Self>("handle_call"), None) }
    }

    /// A [`cast`].
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
    /// // `Pusher` (hidden above) emits what it is cast:
    /// // async fn handle_cast(&mut self, events: Vec<i64>) -> Emit<i64> { Emit::events(events) }
    /// let p = gen_stage::start::<Pusher>(|i| i, StartOpts::new()).await.unwrap();
    /// let mut events = gen_stage::stream::<i64>([(p.pid().into(), SubscribeOpts::new())]).unwrap();
    /// p.cast(vec![4, 2]);
    /// assert_eq!(events.next().await, Some(4));
    /// # });
    /// ```
    fn handle_cast(&mut self, request: Self::Cast) -> impl Future<Output = Emit<Self::Out>> + Send {
        let _ = request;
        async { Emit::stop(undef::<Self>("handle_cast")) }
    }

    /// Any other message (monitors' `Down`s, plain sends, infos queued with
    /// [`sync_info`] / [`async_info`]). The default logs and drops it.
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
    /// use tether::Message;
    /// /// A producer that emits the numbers sent to it as plain messages.
    /// struct Relay;
    /// impl GenStage for Relay {
    ///     type Args = (); type In = (); type Out = i64; type Call = (); type Cast = (); type Reply = ();
    ///     async fn init(_: ()) -> Init<Self> { Init::producer(Relay) }
    ///     async fn handle_demand(&mut self, _: u64) -> Emit<i64> { Emit::none() }
    ///     async fn handle_info(&mut self, m: Message) -> Emit<i64> {
    ///         match m.downcast::<i64>() {
    ///             Ok(n) => Emit::events(vec![n]),
    ///             Err(_) => Emit::none(),
    ///         }
    ///     }
    /// }
    /// let p = gen_stage::start::<Relay>((), StartOpts::new()).await.unwrap();
    /// let mut events = gen_stage::stream::<i64>([(p.pid().into(), SubscribeOpts::new())]).unwrap();
    /// tether::send(p.pid(), 11i64).unwrap();
    /// assert_eq!(events.next().await, Some(11));
    /// # });
    /// ```
    fn handle_info(&mut self, message: Message) -> impl Future<Output = Emit<Self::Out>> + Send {
        crate::runtime::logger::report_warn!(
            stage = %crate::self_pid(),
            "{} received an unexpected message {message:?}",
            std::any::type_name::<Self>()
        );
        async { Emit::none() }
    }

    /// The stage stops (as [`GenServer::terminate`](crate::GenServer::terminate)).
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
    /// use tether::ExitReason;
    /// struct Last(tether::Pid);
    /// impl GenStage for Last {
    ///     type Args = tether::Pid; type In = (); type Out = i64; type Call = (); type Cast = (); type Reply = ();
    ///     async fn init(to: tether::Pid) -> Init<Self> { Init::producer(Last(to)) }
    ///     async fn handle_demand(&mut self, _: u64) -> Emit<i64> { Emit::none() }
    ///     async fn terminate(&mut self, reason: &ExitReason) {
    ///         tether::send(self.0, reason.clone()).unwrap();
    ///     }
    /// }
    /// let p = gen_stage::start::<Last>(tether::self_pid(), StartOpts::new()).await.unwrap();
    /// p.stop(ExitReason::from("done")).await.unwrap();
    /// assert_eq!(tether::receive::<ExitReason>().await, ExitReason::from("done"));
    /// # });
    /// ```
    fn terminate(&mut self, reason: &ExitReason) -> impl Future<Output = ()> + Send {
        let _ = reason;
        async {}
    }

    /// A full buffer discarded `discarded` events: return `false` to not log it
    /// (GenStage's `format_discarded/2`; you may log your own line here).
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
    /// /// Counts discarded events itself instead of logging them.
    /// struct Quiet(tether::Pid);
    /// impl GenStage for Quiet {
    ///     type Args = tether::Pid; type In = (); type Out = i64; type Call = (); type Cast = Vec<i64>; type Reply = ();
    ///     async fn init(to: tether::Pid) -> Init<Self> { Init::producer(Quiet(to)).buffer_size(1) }
    ///     async fn handle_cast(&mut self, events: Vec<i64>) -> Emit<i64> { Emit::events(events) }
    ///     fn format_discarded(&self, discarded: usize) -> bool {
    ///         tether::send(self.0, discarded).unwrap();
    ///         false
    ///     }
    /// }
    /// let p = gen_stage::start::<Quiet>(tether::self_pid(), StartOpts::new()).await.unwrap();
    /// p.cast(vec![1, 2, 3]); // no consumer: the 1-event buffer drops 2
    /// assert_eq!(tether::receive::<usize>().await, 2);
    /// # });
    /// ```
    fn format_discarded(&self, discarded: usize) -> bool {
        let _ = discarded;
        true
    }

    /// Turns the request of a `$gen_call` from another node into a call (default:
    /// none; GenStage's control calls are understood regardless).
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
    /// # use tether::Term;
    /// /// A producer that other nodes can call with `position` and cast `{move, N}`.
    /// struct Pos(i64);
    /// enum Req { Position }
    /// impl GenStage for Pos {
    ///     type Args = (); type In = (); type Out = i64; type Call = Req; type Cast = i64; type Reply = i64;
    ///     async fn init(_: ()) -> Init<Self> { Init::producer(Pos(0)) }
    ///     async fn handle_demand(&mut self, _: u64) -> Emit<i64> { Emit::none() }
    ///     fn decode_call(t: &Term) -> Option<Req> { t.is_atom("position").then_some(Req::Position) }
    ///     fn decode_cast(t: &Term) -> Option<i64> {
    ///         match t.as_tuple()? { [tag, n] if tag.is_atom("move") => n.as_i64(), _ => None }
    ///     }
    ///     fn encode_reply(n: &i64) -> Option<Term> { Some(Term::from(*n)) }
    /// }
    /// assert!(matches!(Pos::decode_call(&Term::atom("position")), Some(Req::Position)));
    /// assert!(Pos::decode_call(&Term::atom("other")).is_none());
    /// # });
    /// ```
    fn decode_call(request: &Term) -> Option<Self::Call> {
        let _ = request;
        None
    }

    /// Turns the request of a `$gen_cast` from another node into a cast (default:
    /// none).
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
    /// # use tether::Term;
    /// /// A producer that other nodes can call with `position` and cast `{move, N}`.
    /// struct Pos(i64);
    /// enum Req { Position }
    /// impl GenStage for Pos {
    ///     type Args = (); type In = (); type Out = i64; type Call = Req; type Cast = i64; type Reply = i64;
    ///     async fn init(_: ()) -> Init<Self> { Init::producer(Pos(0)) }
    ///     async fn handle_demand(&mut self, _: u64) -> Emit<i64> { Emit::none() }
    ///     fn decode_call(t: &Term) -> Option<Req> { t.is_atom("position").then_some(Req::Position) }
    ///     fn decode_cast(t: &Term) -> Option<i64> {
    ///         match t.as_tuple()? { [tag, n] if tag.is_atom("move") => n.as_i64(), _ => None }
    ///     }
    ///     fn encode_reply(n: &i64) -> Option<Term> { Some(Term::from(*n)) }
    /// }
    /// assert_eq!(Pos::decode_cast(&"{move, 3}".parse().unwrap()), Some(3));
    /// assert_eq!(Pos::decode_cast(&Term::atom("move")), None);
    /// # });
    /// ```
    fn decode_cast(request: &Term) -> Option<Self::Cast> {
        let _ = request;
        None
    }

    /// Turns a reply into a term for a caller on another node (default: none).
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
    /// # use tether::Term;
    /// /// A producer that other nodes can call with `position` and cast `{move, N}`.
    /// struct Pos(i64);
    /// enum Req { Position }
    /// impl GenStage for Pos {
    ///     type Args = (); type In = (); type Out = i64; type Call = Req; type Cast = i64; type Reply = i64;
    ///     async fn init(_: ()) -> Init<Self> { Init::producer(Pos(0)) }
    ///     async fn handle_demand(&mut self, _: u64) -> Emit<i64> { Emit::none() }
    ///     fn decode_call(t: &Term) -> Option<Req> { t.is_atom("position").then_some(Req::Position) }
    ///     fn decode_cast(t: &Term) -> Option<i64> {
    ///         match t.as_tuple()? { [tag, n] if tag.is_atom("move") => n.as_i64(), _ => None }
    ///     }
    ///     fn encode_reply(n: &i64) -> Option<Term> { Some(Term::from(*n)) }
    /// }
    /// assert_eq!(Pos::encode_reply(&5), Some(Term::from(5)));
    /// # });
    /// ```
    fn encode_reply(reply: &Self::Reply) -> Option<Term> {
        let _ = reply;
        None
    }

    /// The caller's side of [`decode_call`](GenStage::decode_call): turns a request
    /// into the term [`call`] sends to a stage of this type on another node (default:
    /// none, and such a call fails with
    /// [`CallError::NotPortable`](crate::otp::gen_server::CallError::NotPortable)).
    fn encode_call(request: &Self::Call) -> Option<Term> {
        let _ = request;
        None
    }

    /// The caller's side of [`encode_reply`](GenStage::encode_reply): reads the reply
    /// term of a stage of this type on another node (default: none, and the call
    /// fails with [`CallError::BadReply`](crate::otp::gen_server::CallError::BadReply)).
    fn decode_reply(reply: &Term) -> Option<Self::Reply> {
        let _ = reply;
        None
    }

    /// The caller's side of [`decode_cast`](GenStage::decode_cast): turns a request
    /// into the term [`cast`] sends to a stage of this type on another node (default:
    /// none, and the cast is dropped).
    fn encode_cast(request: &Self::Cast) -> Option<Term> {
        let _ = request;
        None
    }
}
