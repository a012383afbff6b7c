//! The GenStage message protocol: the two message families stages exchange, as Rust
//! values between local stages and as the terms Elixir's GenStage sends between nodes
//! (see "Message protocol overview" in the `GenStage` documentation on hexdocs).
//!
//! | Term | Rust value | Sent by |
//! |---|---|---|
//! | `{'$gen_producer', {ConsumerPid, Tag}, {subscribe, Current, Opts}}` | [`ToProducer`] with [`ProducerMsg::Subscribe`] | a consumer, to start a subscription |
//! | `{'$gen_producer', {ConsumerPid, Tag}, {ask, N}}` | [`ProducerMsg::Ask`] | a consumer, to ask for `N` more events |
//! | `{'$gen_producer', {ConsumerPid, Tag}, {cancel, Reason}}` | [`ProducerMsg::Cancel`] | a consumer, to end a subscription |
//! | `{'$gen_consumer', {ProducerPid, Tag}, [Event, ...]}` | [`ToConsumer`] with [`ConsumerMsg::Events`] | a producer, with events |
//! | `{'$gen_consumer', {ProducerPid, Tag}, {cancel, Reason}}` | [`ConsumerMsg::Cancel`] | a producer, to end (or confirm the end of) a subscription |
//!
//! `Current` is `nil` or `{Tag, Reason}`: a subscription to cancel first (a
//! resubscribe). `Tag` is the consumer's monitor reference of the producer; Tether
//! accepts only references as tags and logs (and drops) anything else.
//!
//! A local stage sends the Rust value in a portable [`Message`]: it moves to a local
//! receiver untouched and becomes the term above when it crosses to another node. A
//! receiver takes either form, so a Rust stage and an Elixir stage subscribe to each
//! other without knowing which is which.

use std::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;
use tether_term::{Pid, Reference, Term};

use super::opts::SubscribeOpts;
use crate::{Dest, ExitReason, Message, self_pid, send_message};

/// What a stage's events must be: values that move between local stages as they are
/// and cross to other nodes as terms through tether-term's serde bridge (so an
/// Elixir stage sees `{:add, 2}` for `Add(2)`, a map for a struct, and so on).
///
/// It is implemented for every `Serialize + DeserializeOwned + Send + 'static` type,
/// [`Term`] included.
///
/// ```
/// use tether::otp::gen_stage::Event;
/// fn is_event<E: Event>() {}
/// is_event::<i64>();
/// is_event::<String>();
/// is_event::<tether::Term>();
/// ```
pub trait Event: Serialize + DeserializeOwned + Send + 'static {}

impl<T: Serialize + DeserializeOwned + Send + 'static> Event for T {}

/// One side of a subscription, as the other side sees it: GenStage's `from`, the pair
/// `{pid, subscription_tag}`.
///
/// A consumer gets its producer's in [`GenStage::handle_subscribe`](super::GenStage::handle_subscribe),
/// [`handle_events`](super::GenStage::handle_events) and
/// [`handle_cancel`](super::GenStage::handle_cancel); it [`ask`](Subscription::ask)s
/// for events (with manual demand) and [`cancel`](Subscription::cancel)s through it.
/// A producer gets its consumers', and a [`Dispatcher`](super::Dispatcher) sends
/// events through them with [`send_events`](Subscription::send_events).
///
/// ```
/// use tether::{Runtime, Term};
/// use tether::otp::gen_stage::Subscription;
///
/// Runtime::new().unwrap().block_on(async {
///     // Ask "a producer" (this very process) for 10 events, as a manual consumer does:
///     let tag = tether::make_ref();
///     Subscription::new(tether::self_pid(), tag).ask(10);
///     let m: Term = tether::receive_any().await.to_term().unwrap();
///     assert_eq!(m, Term::tuple([
///         Term::atom("$gen_producer"),
///         Term::tuple([Term::Pid(tether::self_pid()), Term::Ref(tag)]),
///         Term::tuple([Term::atom("ask"), Term::Int(10)]),
///     ]));
/// });
/// ```
#[derive(Clone, PartialEq)]
pub struct Subscription {
    pub(crate) to: Dest,
    pub(crate) tag: Reference,
}

impl Subscription {
    /// The subscription `tag` with the stage `to` (a pid, or a name such as
    /// `(name, node)` for a producer subscribed to by name).
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
    /// # /// Reports its subscription to the test process, and asks by hand.
    /// # struct Manual(tether::Pid);
    /// # impl GenStage for Manual {
    /// #     type Args = tether::Pid; type In = i64; type Out = (); type Call = (); type Cast = (); type Reply = ();
    /// #     async fn init(to: tether::Pid) -> Init<Self> { Init::consumer(Manual(to)) }
    /// #     async fn handle_subscribe(&mut self, role: Role, _: &SubscribeOpts, sub: &Subscription) -> Subscribed {
    /// #         if role == Role::Producer { tether::send(self.0, sub.clone()).unwrap(); return Subscribed::Manual; }
    /// #         Subscribed::Automatic
    /// #     }
    /// #     async fn handle_events(&mut self, events: Vec<i64>, _: &Subscription) -> Emit<()> {
    /// #         tether::send(self.0, events).unwrap();
    /// #         Emit::none()
    /// #     }
    /// # }
    /// let p = gen_stage::from_iter(0..100i64, DemandMode::Forward, StartOpts::new()).await.unwrap();
    /// let c = gen_stage::start::<Manual>(tether::self_pid(), StartOpts::new()).await.unwrap();
    /// let tag = gen_stage::sync_subscribe(c.pid(), p.pid(), SubscribeOpts::new()).await.unwrap();
    /// let sub: Subscription = tether::receive().await;
    /// assert!(sub == Subscription::new(p.pid(), tag));
    /// # });
    /// ```
    pub fn new(to: impl Into<Dest>, tag: Reference) -> Subscription {
        Subscription { to: to.into(), tag }
    }

    /// The other stage.
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
    /// # /// Reports its subscription to the test process, and asks by hand.
    /// # struct Manual(tether::Pid);
    /// # impl GenStage for Manual {
    /// #     type Args = tether::Pid; type In = i64; type Out = (); type Call = (); type Cast = (); type Reply = ();
    /// #     async fn init(to: tether::Pid) -> Init<Self> { Init::consumer(Manual(to)) }
    /// #     async fn handle_subscribe(&mut self, role: Role, _: &SubscribeOpts, sub: &Subscription) -> Subscribed {
    /// #         if role == Role::Producer { tether::send(self.0, sub.clone()).unwrap(); return Subscribed::Manual; }
    /// #         Subscribed::Automatic
    /// #     }
    /// #     async fn handle_events(&mut self, events: Vec<i64>, _: &Subscription) -> Emit<()> {
    /// #         tether::send(self.0, events).unwrap();
    /// #         Emit::none()
    /// #     }
    /// # }
    /// let p = gen_stage::from_iter(0..100i64, DemandMode::Forward, StartOpts::new()).await.unwrap();
    /// let c = gen_stage::start::<Manual>(tether::self_pid(), StartOpts::new()).await.unwrap();
    /// let tag = gen_stage::sync_subscribe(c.pid(), p.pid(), SubscribeOpts::new()).await.unwrap();
    /// let sub: Subscription = tether::receive().await;
    /// assert_eq!(sub.dest().whereis(), Some(p.pid()));
    /// # });
    /// ```
    pub fn dest(&self) -> &Dest {
        &self.to
    }

    /// The other stage's pid, when it is known (a producer subscribed to by a name on
    /// another node is known only by that name).
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
    /// # /// Reports its subscription to the test process, and asks by hand.
    /// # struct Manual(tether::Pid);
    /// # impl GenStage for Manual {
    /// #     type Args = tether::Pid; type In = i64; type Out = (); type Call = (); type Cast = (); type Reply = ();
    /// #     async fn init(to: tether::Pid) -> Init<Self> { Init::consumer(Manual(to)) }
    /// #     async fn handle_subscribe(&mut self, role: Role, _: &SubscribeOpts, sub: &Subscription) -> Subscribed {
    /// #         if role == Role::Producer { tether::send(self.0, sub.clone()).unwrap(); return Subscribed::Manual; }
    /// #         Subscribed::Automatic
    /// #     }
    /// #     async fn handle_events(&mut self, events: Vec<i64>, _: &Subscription) -> Emit<()> {
    /// #         tether::send(self.0, events).unwrap();
    /// #         Emit::none()
    /// #     }
    /// # }
    /// let p = gen_stage::from_iter(0..100i64, DemandMode::Forward, StartOpts::new()).await.unwrap();
    /// let c = gen_stage::start::<Manual>(tether::self_pid(), StartOpts::new()).await.unwrap();
    /// let tag = gen_stage::sync_subscribe(c.pid(), p.pid(), SubscribeOpts::new()).await.unwrap();
    /// let sub: Subscription = tether::receive().await;
    /// assert_eq!(sub.pid(), Some(p.pid()));
    /// # });
    /// ```
    pub fn pid(&self) -> Option<Pid> {
        match &self.to {
            Dest::Pid(p) => Some(*p),
            _ => None,
        }
    }

    /// The subscription tag (the consumer's monitor reference of the producer).
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
    /// # /// Reports its subscription to the test process, and asks by hand.
    /// # struct Manual(tether::Pid);
    /// # impl GenStage for Manual {
    /// #     type Args = tether::Pid; type In = i64; type Out = (); type Call = (); type Cast = (); type Reply = ();
    /// #     async fn init(to: tether::Pid) -> Init<Self> { Init::consumer(Manual(to)) }
    /// #     async fn handle_subscribe(&mut self, role: Role, _: &SubscribeOpts, sub: &Subscription) -> Subscribed {
    /// #         if role == Role::Producer { tether::send(self.0, sub.clone()).unwrap(); return Subscribed::Manual; }
    /// #         Subscribed::Automatic
    /// #     }
    /// #     async fn handle_events(&mut self, events: Vec<i64>, _: &Subscription) -> Emit<()> {
    /// #         tether::send(self.0, events).unwrap();
    /// #         Emit::none()
    /// #     }
    /// # }
    /// let p = gen_stage::from_iter(0..100i64, DemandMode::Forward, StartOpts::new()).await.unwrap();
    /// let c = gen_stage::start::<Manual>(tether::self_pid(), StartOpts::new()).await.unwrap();
    /// let tag = gen_stage::sync_subscribe(c.pid(), p.pid(), SubscribeOpts::new()).await.unwrap();
    /// let sub: Subscription = tether::receive().await;
    /// assert_eq!(sub.tag(), tag);
    /// # });
    /// ```
    pub fn tag(&self) -> Reference {
        self.tag
    }

    /// Consumer side: asks the producer for `demand` more events (GenStage's
    /// `ask/3`; nothing is sent for 0). Only for subscriptions in manual demand mode,
    /// and from the consumer's own process: dispatchers send the events to the
    /// process that asked.
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
    /// /// Asks for exactly 3 events, by hand, when it subscribes.
    /// struct Three(tether::Pid);
    /// impl GenStage for Three {
    ///     type Args = tether::Pid; type In = i64; type Out = (); type Call = (); type Cast = (); type Reply = ();
    ///     async fn init(to: tether::Pid) -> Init<Self> { Init::consumer(Three(to)) }
    ///     async fn handle_subscribe(&mut self, _: Role, _: &SubscribeOpts, sub: &Subscription) -> Subscribed {
    ///         sub.ask(3);
    ///         Subscribed::Manual
    ///     }
    ///     async fn handle_events(&mut self, events: Vec<i64>, _: &Subscription) -> Emit<()> {
    ///         tether::send(self.0, events).unwrap();
    ///         Emit::none()
    ///     }
    /// }
    /// let p = gen_stage::from_iter(0..100i64, DemandMode::Forward, StartOpts::new()).await.unwrap();
    /// let c = gen_stage::start::<Three>(tether::self_pid(), StartOpts::new()).await.unwrap();
    /// gen_stage::sync_subscribe(c.pid(), p.pid(), SubscribeOpts::new()).await.unwrap();
    /// assert_eq!(tether::receive::<Vec<i64>>().await, [0, 1, 2]);
    /// // Nothing more: no more demand.
    /// assert_eq!(tether::receive_timeout::<Vec<i64>>(Duration::from_millis(20)).await, None);
    /// # });
    /// ```
    pub fn ask(&self, demand: u64) {
        if demand > 0 {
            self.to_producer(ProducerMsg::Ask(demand));
        }
    }

    /// Consumer side: cancels the subscription with `reason` (GenStage's `cancel/3`).
    /// The producer confirms with a cancel of its own, which the consumer handles per
    /// the subscription's [`CancelMode`](super::CancelMode).
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
    /// /// Takes one batch, then cancels its subscription.
    /// struct OneBatch;
    /// impl GenStage for OneBatch {
    ///     type Args = (); type In = i64; type Out = (); type Call = (); type Cast = (); type Reply = ();
    ///     async fn init(_: ()) -> Init<Self> { Init::consumer(OneBatch) }
    ///     async fn handle_events(&mut self, _: Vec<i64>, sub: &Subscription) -> Emit<()> {
    ///         sub.cancel(ExitReason::Normal);
    ///         Emit::none()
    ///     }
    /// }
    /// let args = IterArgs::new(0..i64::MAX, DemandMode::Forward).stop_on_cancel(true);
    /// let p = gen_stage::start::<IterProducer<i64>>(args, StartOpts::new()).await.unwrap();
    /// let mref = tether::monitor(p.pid());
    /// let c = gen_stage::start::<OneBatch>((), StartOpts::new()).await.unwrap();
    /// let opts = SubscribeOpts::new().cancel(CancelMode::Temporary); // the consumer lives on
    /// gen_stage::sync_subscribe(c.pid(), p.pid(), opts).await.unwrap();
    /// // Its only consumer gone, the producer stops.
    /// let down: tether::Down = tether::receive().await;
    /// assert_eq!((down.reference, down.reason), (mref, ExitReason::Normal));
    /// assert!(tether::is_alive(c.pid()));
    /// # });
    /// ```
    pub fn cancel(&self, reason: ExitReason) {
        self.to_producer(ProducerMsg::Cancel(reason));
    }

    /// Producer side: sends `events` to the consumer (what a dispatcher does). An
    /// empty list is sent too (GenStage's broadcast dispatcher does that for a
    /// selector that filtered every event out).
    pub fn send_events<E: Event>(&self, events: Vec<E>) {
        self.to_consumer(ConsumerMsg::Events(events, 0));
    }

    pub(crate) fn to_producer(&self, msg: ProducerMsg) {
        let m = ToProducer {
            consumer: self_pid(),
            tag: self.tag,
            msg,
        };
        let _ = send_message(self.to.clone(), Message::portable(m, ToProducer::to_term));
    }

    /// Consumer side: the subscribe message (the consumer already monitors the
    /// producer and uses that monitor's reference as the tag).
    pub(crate) fn subscribe(&self, current: Option<(Reference, ExitReason)>, opts: SubscribeOpts) {
        self.to_producer(ProducerMsg::Subscribe { current, opts });
    }

    pub(crate) fn to_consumer<E: Event>(&self, msg: ConsumerMsg<E>) {
        let m = ToConsumer {
            producer: self_pid(),
            tag: self.tag,
            msg,
        };
        let _ = send_message(self.to.clone(), Message::portable(m, ToConsumer::to_term));
    }
}

impl fmt::Debug for Subscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{{:?}, {:?}}}", self.to, self.tag)
    }
}

/// A message to a producer: `{'$gen_producer', {Consumer, Tag}, Msg}`.
pub(crate) struct ToProducer {
    pub consumer: Pid,
    pub tag: Reference,
    pub msg: ProducerMsg,
}

pub(crate) enum ProducerMsg {
    Subscribe {
        current: Option<(Reference, ExitReason)>,
        opts: SubscribeOpts,
    },
    Ask(u64),
    Cancel(ExitReason),
}

/// A message to a consumer: `{'$gen_consumer', {Producer, Tag}, Msg}`.
pub(crate) struct ToConsumer<E> {
    pub producer: Pid,
    pub tag: Reference,
    pub msg: ConsumerMsg<E>,
}

pub(crate) enum ConsumerMsg<E> {
    /// The events, and how many more came that did not decode (they still count
    /// against the demand).
    Events(Vec<E>, usize),
    Cancel(ExitReason),
}

/// Sends `msg` to the producer `to` as if `consumer` had sent it.
pub(crate) fn send_to_producer(to: Pid, consumer: Pid, tag: Reference, msg: ProducerMsg) {
    let m = ToProducer { consumer, tag, msg };
    let _ = send_message(to, Message::portable(m, ToProducer::to_term));
}

fn from_term(pid: Pid, tag: Reference) -> Term {
    Term::tuple([Term::Pid(pid), Term::Ref(tag)])
}

fn cancel_term(reason: &ExitReason) -> Term {
    Term::tuple([Term::atom("cancel"), reason.to_term()])
}

impl ToProducer {
    pub(crate) fn to_term(&self) -> Term {
        let body = match &self.msg {
            ProducerMsg::Subscribe { current, opts } => Term::tuple([
                Term::atom("subscribe"),
                match current {
                    None => Term::atom("nil"),
                    Some((tag, reason)) => Term::tuple([Term::Ref(*tag), reason.to_term()]),
                },
                opts.to_term(),
            ]),
            ProducerMsg::Ask(n) => Term::tuple([Term::atom("ask"), Term::from(*n)]),
            ProducerMsg::Cancel(r) => cancel_term(r),
        };
        Term::tuple([
            Term::atom("$gen_producer"),
            from_term(self.consumer, self.tag),
            body,
        ])
    }
}

impl<E: Event> ToConsumer<E> {
    pub(crate) fn to_term(&self) -> Term {
        let body = match &self.msg {
            ConsumerMsg::Events(events, _) => {
                Term::List(events.iter().map(event_to_term).collect())
            }
            ConsumerMsg::Cancel(r) => cancel_term(r),
        };
        Term::tuple([
            Term::atom("$gen_consumer"),
            from_term(self.producer, self.tag),
            body,
        ])
    }
}

fn event_to_term<E: Event>(e: &E) -> Term {
    tether_term::to_term(e).unwrap_or_else(|err| {
        crate::runtime::logger::report_error!(
            "GenStage event of type {} has no term form ({err}); sent as undefined",
            std::any::type_name::<E>()
        );
        Term::atom("undefined")
    })
}

/// What a stage makes of a message that may be a protocol message.
pub(crate) enum Incoming<E> {
    Producer(ToProducer),
    Consumer(ToConsumer<E>),
    /// A `$gen_producer` / `$gen_consumer` term that does not follow the protocol
    /// (logged by the caller, then dropped).
    Malformed(Term),
    /// Not a protocol message.
    Other(Message),
}

/// Sorts a message: a local protocol value (of the right event type), a protocol
/// term, or anything else. A local `ToConsumer` of another event type is read
/// through its term form.
pub(crate) fn classify<E: Event>(m: Message) -> Incoming<E> {
    let m = match m.downcast::<ToProducer>() {
        Ok(p) => return Incoming::Producer(p),
        Err(m) => m,
    };
    let m = match m.downcast::<ToConsumer<E>>() {
        Ok(c) => return Incoming::Consumer(c),
        Err(m) => m,
    };
    let term = match m.downcast_ref::<Term>() {
        Some(t) => std::borrow::Cow::Borrowed(t),
        None if m.type_name().contains("ToConsumer") => match m.to_term() {
            Some(t) => std::borrow::Cow::Owned(t),
            None => return Incoming::Other(m),
        },
        None => return Incoming::Other(m),
    };
    let Term::Tuple(items) = term.as_ref() else {
        return Incoming::Other(m);
    };
    let [kind, from, body] = items.as_slice() else {
        return Incoming::Other(m);
    };
    let producer = kind.is_atom("$gen_producer");
    if !producer && !kind.is_atom("$gen_consumer") {
        return Incoming::Other(m);
    }
    let parsed = parse_from(from).and_then(|(pid, tag)| {
        if producer {
            parse_producer_body(body).map(|msg| {
                Incoming::Producer(ToProducer {
                    consumer: pid,
                    tag,
                    msg,
                })
            })
        } else {
            parse_consumer_body(body).map(|msg| {
                Incoming::Consumer(ToConsumer {
                    producer: pid,
                    tag,
                    msg,
                })
            })
        }
    });
    parsed.unwrap_or_else(|| Incoming::Malformed(term.into_owned()))
}

fn parse_from(t: &Term) -> Option<(Pid, Reference)> {
    match t {
        Term::Tuple(items) => match items.as_slice() {
            [Term::Pid(p), Term::Ref(r)] => Some((*p, *r)),
            _ => None,
        },
        _ => None,
    }
}

fn parse_producer_body(t: &Term) -> Option<ProducerMsg> {
    let Term::Tuple(items) = t else { return None };
    match items.as_slice() {
        [k, current, opts] if k.is_atom("subscribe") => {
            let current = match current {
                c if c.is_atom("nil") => None,
                Term::Tuple(c) => match c.as_slice() {
                    [Term::Ref(r), reason] => Some((*r, ExitReason::from_term(reason.clone()))),
                    _ => return None,
                },
                _ => return None,
            };
            Some(ProducerMsg::Subscribe {
                current,
                opts: SubscribeOpts::from_wire(opts)?,
            })
        }
        [k, n] if k.is_atom("ask") => match n {
            Term::Int(n) if *n >= 0 => Some(ProducerMsg::Ask(*n as u64)),
            _ => None,
        },
        [k, reason] if k.is_atom("cancel") => {
            Some(ProducerMsg::Cancel(ExitReason::from_term(reason.clone())))
        }
        _ => None,
    }
}

fn parse_consumer_body<E: Event>(t: &Term) -> Option<ConsumerMsg<E>> {
    match t {
        Term::List(items) => {
            let mut events = Vec::with_capacity(items.len());
            let mut dropped = 0;
            for item in items {
                match tether_term::from_term_ref::<E>(item) {
                    Ok(e) => events.push(e),
                    Err(err) => {
                        dropped += 1;
                        crate::runtime::logger::report_error!(
                        stage = %self_pid(),
                        event = %item,
                        "GenStage consumer received an event that is not a {} ({err}); dropped",
                        std::any::type_name::<E>()
                        )
                    }
                }
            }
            Some(ConsumerMsg::Events(events, dropped))
        }
        Term::Tuple(items) => match items.as_slice() {
            [k, reason] if k.is_atom("cancel") => {
                Some(ConsumerMsg::Cancel(ExitReason::from_term(reason.clone())))
            }
            _ => None,
        },
        _ => None,
    }
}
