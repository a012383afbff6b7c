//! Consuming stages from the calling process, one event at a time (Elixir's
//! `GenStage.stream/2`).
//!
//! [`stream`] subscribes the *calling process* to the producers (it monitors each
//! and sends `{subscribe, nil, Opts}` itself, as a consumer would) and
//! [`StageStream::next`] receives their events selectively, so the process may keep
//! other messages in its mailbox. Demand follows the batching rule of every consumer:
//! `max_demand` first, then more whenever the events in flight fall to
//! `min_demand`. The stream ends when every subscription has ended (the producer
//! cancelled it, or went down); dropping it cancels the subscriptions left.
//!
//! [`StageStream`] is a [`futures_core::Stream`] (so `futures`' and `tokio-stream`'s
//! combinators apply), polled from the process that made it: the receive it waits
//! on is kept between polls, so a dropped poll loses no message.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;

use tether_term::{Reference, Term};

use super::batch;
use super::client::SubscribeError;
use super::opts::SubscribeOpts;
use super::wire::{ConsumerMsg, Event, Subscription, ToConsumer};
use crate::process::{ReceiveSelect, Target};
use crate::{Dest, Down, ExitReason, Message, MonitorTarget, demonitor_flush, monitor};

/// Events from one or more producers, consumed by the calling process; made by
/// [`stream`].
pub struct StageStream<E: Event> {
    subs: HashMap<Reference, (Subscription, u64, u64, u64)>,
    ready: VecDeque<E>,
    ended: Vec<(Subscription, ExitReason)>,
    /// The receive under way, kept across polls.
    waiting: Option<ReceiveSelect<Matcher>>,
}

/// Which messages a receive of the stream takes.
type Matcher = Box<dyn FnMut(&Message) -> bool + Send>;

// No field is ever pinned (the events sit in a `VecDeque`, the receive is `Unpin`).
impl<E: Event> Unpin for StageStream<E> {}

impl<E: Event> Stream for StageStream<E> {
    type Item = E;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<E>> {
        self.get_mut().poll_event(cx)
    }
}

/// Subscribes the calling process to each producer with its options and returns the
/// stream of their events (Elixir's `GenStage.stream/2`). A producer that cannot be
/// found ends its part of the stream at once (`noproc`). Options are validated as
/// for [`sync_subscribe`](super::sync_subscribe) before anything is sent: an invalid
/// one is an error naming the producer (where Elixir raises `ArgumentError`).
///
/// See the example of [`from_iter`](super::from_iter).
///
/// ```
/// use tether::Runtime;
/// use tether::otp::gen_stage::{self, SubscribeError, SubscribeOpts};
///
/// Runtime::new().unwrap().block_on(async {
///     let bad = gen_stage::stream::<i64>([("unknown".into(), SubscribeOpts::new().max_demand(0))]);
///     let Err(SubscribeError::BadOpts(message)) = bad else { panic!("accepted") };
///     assert_eq!(
///         message,
///         "invalid options for unknown producer \
///          (expected :max_demand to be equal to or greater than 1, got: 0)"
///     );
/// });
/// ```
///
/// # Panics
///
/// Outside a process.
pub fn stream<E: Event>(
    producers: impl IntoIterator<Item = (Dest, SubscribeOpts)>,
) -> Result<StageStream<E>, SubscribeError> {
    let mut checked = Vec::new();
    for (to, opts) in producers {
        match opts.validate() {
            Ok((max, min, _)) => checked.push((to, opts, max, min)),
            Err(e) => {
                return Err(SubscribeError::BadOpts(format!(
                    "invalid options for {to:?} producer ({e})"
                )));
            }
        }
    }
    let mut s = StageStream {
        subs: HashMap::new(),
        ready: VecDeque::new(),
        ended: Vec::new(),
        waiting: None,
    };
    for (to, opts, max, min) in checked {
        let (target, dest) = match to.target() {
            Target::Pid(p) => (MonitorTarget::Pid(p), Dest::Pid(p)),
            Target::RemoteName(n, node) => (
                MonitorTarget::Remote(n.clone(), node),
                Dest::Remote(n, node),
            ),
            Target::NoProc => {
                let sub = Subscription::new(to, crate::make_ref());
                s.ended.push((sub, ExitReason::Noproc));
                continue;
            }
        };
        let tag = monitor(target);
        let sub = Subscription { to: dest, tag };
        sub.subscribe(None, opts);
        sub.ask(max);
        s.subs.insert(tag, (sub, max, min, max));
    }
    Ok(s)
}

/// The subscription tag of a `$gen_consumer` message, in any of its forms.
fn consumer_tag<E: Event>(m: &Message) -> Option<Reference> {
    if let Some(c) = m.downcast_ref::<ToConsumer<E>>() {
        return Some(c.tag);
    }
    let owned;
    let t = match m.downcast_ref::<Term>() {
        Some(t) => t,
        None if m.type_name().contains("ToConsumer") => {
            owned = m.to_term()?;
            &owned
        }
        None => return None,
    };
    match t.as_tuple()? {
        [k, from, _] if k.is_atom("$gen_consumer") => match from.as_tuple()? {
            [_, Term::Ref(r)] => Some(*r),
            _ => None,
        },
        _ => None,
    }
}

impl<E: Event> StageStream<E> {
    /// The next event, waiting for it; `None` once every subscription has ended.
    /// (The same as [`StreamExt::next`](https://docs.rs/futures/latest/futures/stream/trait.StreamExt.html#method.next)
    /// on the [`futures_core::Stream`] this type implements.)
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
    /// let p = gen_stage::from_iter(vec![1i64, 2], DemandMode::Forward, StartOpts::new()).await.unwrap();
    /// let mut events = gen_stage::stream::<i64>([(p.pid().into(), SubscribeOpts::new())]).unwrap();
    /// assert_eq!(events.next().await, Some(1));
    /// assert_eq!(events.next().await, Some(2));
    /// assert_eq!(events.next().await, None); // the producer is done
    /// # });
    /// ```
    pub async fn next(&mut self) -> Option<E> {
        std::future::poll_fn(|cx| self.poll_event(cx)).await
    }

    fn poll_event(&mut self, cx: &mut Context<'_>) -> Poll<Option<E>> {
        loop {
            if let Some(e) = self.ready.pop_front() {
                return Poll::Ready(Some(e));
            }
            if self.subs.is_empty() {
                self.waiting = None;
                return Poll::Ready(None);
            }
            let waiting = self.waiting.get_or_insert_with(|| {
                let tags: Vec<Reference> = self.subs.keys().copied().collect();
                crate::receive_select(Box::new(move |m: &Message| {
                    consumer_tag::<E>(m).is_some_and(|t| tags.contains(&t))
                        || m.downcast_ref::<Down>()
                            .is_some_and(|d| tags.contains(&d.reference))
                }))
            });
            let Poll::Ready(m) = Pin::new(waiting).poll(cx) else {
                return Poll::Pending;
            };
            self.waiting = None;
            self.handle(m);
        }
    }

    /// One of this stream's messages: events, a cancel or a producer's `Down`.
    fn handle(&mut self, m: Message) {
        let m = match m.downcast::<Down>() {
            Ok(d) => return self.end(d.reference, d.reason),
            Err(m) => m,
        };
        if let super::wire::Incoming::Consumer(c) = super::wire::classify::<E>(m) {
            match c.msg {
                ConsumerMsg::Events(events, undecoded) => self.received(c.tag, events, undecoded),
                ConsumerMsg::Cancel(reason) => self.end(c.tag, reason),
            }
        }
    }

    /// The subscriptions that have ended, with why.
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
    /// let p = gen_stage::from_iter(vec![1i64], DemandMode::Forward, StartOpts::new()).await.unwrap();
    /// let mut events = gen_stage::stream::<i64>([(p.pid().into(), SubscribeOpts::new())]).unwrap();
    /// assert!(events.ended().is_empty());
    /// while events.next().await.is_some() {}
    /// assert_eq!(events.ended().len(), 1);
    /// assert_eq!(events.ended()[0].0.pid(), Some(p.pid()));
    /// # });
    /// ```
    pub fn ended(&self) -> &[(Subscription, ExitReason)] {
        &self.ended
    }

    fn received(&mut self, tag: Reference, events: Vec<E>, undecoded: usize) {
        let Some((sub, pending, min, max)) = self.subs.get_mut(&tag) else {
            return;
        };
        let (batches, new_pending, _excess) =
            batch::split(events.len() + undecoded, *pending, *min, *max);
        *pending = new_pending;
        let ask: u64 = batches.iter().map(|b| b.ask).sum();
        sub.ask(ask);
        self.ready.extend(events);
    }

    fn end(&mut self, tag: Reference, reason: ExitReason) {
        if let Some((sub, ..)) = self.subs.remove(&tag) {
            demonitor_flush(tag);
            self.ended.push((sub, reason));
        }
    }
}

impl<E: Event> Drop for StageStream<E> {
    fn drop(&mut self) {
        if crate::try_self_pid().is_none() {
            return;
        }
        for (tag, (sub, ..)) in self.subs.drain() {
            demonitor_flush(tag);
            sub.cancel(ExitReason::Normal);
        }
    }
}
