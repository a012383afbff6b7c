//! Every event to every consumer, at the pace of the slowest one.

use std::collections::HashSet;
use std::marker::PhantomData;

use tether_term::{Pid, Term};

use super::Dispatcher;
use crate::otp::gen_stage::opts::{Selector, SubscribeOpts};
use crate::otp::gen_stage::wire::{Event, ProducerMsg, Subscription, send_to_producer};
use crate::{ExitReason, self_pid};

/// Sends every event to all consumers (`GenStage.BroadcastDispatcher`); events must
/// be `Clone`.
///
/// The producer is asked for the *smallest* outstanding demand among the consumers,
/// so the slowest consumer sets the pace (and one that never asks holds everyone).
/// A consumer may subscribe with a [`selector`](SubscribeOpts::selector): it then
/// gets only the events the selector accepts, and the ones it rejects count as
/// consumed (they are asked again on its behalf). A process may subscribe only once
/// (a second subscription is cancelled with `already_subscribed`, which does not stop
/// the consumer).
///
/// Selectors are Rust closures: an Elixir consumer that subscribes with a `:selector`
/// fun is cancelled with `{bad_opts, _}`, since Tether cannot run it.
///
/// Start the producer with [`DemandMode::Accumulate`](super::super::DemandMode) and
/// switch to forward once every consumer has subscribed, or the first consumers get
/// events the later ones never see.
///
/// ```
/// use tether::otp::gen_stage::BroadcastDispatcher;
/// let d: BroadcastDispatcher<i64> = BroadcastDispatcher::new();
/// # let _ = d;
/// ```
pub struct BroadcastDispatcher<E> {
    demands: Vec<Demand<E>>,
    waiting: i64,
    requested: i64,
    subscribed: HashSet<Pid>,
    _events: PhantomData<fn(E)>,
}

struct Demand<E> {
    counter: i64,
    to: Subscription,
    selector: Option<Selector<E>>,
}

impl<E> Default for BroadcastDispatcher<E> {
    fn default() -> Self {
        BroadcastDispatcher {
            demands: Vec::new(),
            waiting: 0,
            requested: 0,
            subscribed: HashSet::new(),
            _events: PhantomData,
        }
    }
}

impl<E> BroadcastDispatcher<E> {
    /// A broadcast dispatcher.
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
    pub fn new() -> Self {
        Self::default()
    }

    fn sync_demands(&mut self) -> u64 {
        let min = self
            .demands
            .iter()
            .map(|d| d.counter)
            .min()
            .unwrap_or(0)
            .max(0);
        if min != 0 {
            for d in &mut self.demands {
                d.counter -= min;
            }
        }
        self.waiting = self.waiting.saturating_add(min);
        let request = (self.waiting - self.requested).max(0);
        self.requested = self.requested.saturating_add(request);
        request as u64
    }
}

fn bad_opts(msg: &str) -> ExitReason {
    ExitReason::from_term(Term::tuple([Term::atom("bad_opts"), Term::from(msg)]))
}

impl<E: Event + Clone> Dispatcher<E> for BroadcastDispatcher<E> {
    fn subscribe(&mut self, opts: &SubscribeOpts, c: &Subscription) -> Result<u64, ExitReason> {
        let selector = match opts.selector_for::<E>() {
            Some(s) => s,
            None => {
                return Err(bad_opts(
                    "the :selector is not a function of the producer's events",
                ));
            }
        };
        if selector.is_none() && opts.get("selector").is_some() {
            return Err(bad_opts(
                "a :selector fun from another node cannot run on Tether",
            ));
        }
        let pid = c.pid().unwrap_or_else(self_pid);
        if !self.subscribed.insert(pid) {
            crate::runtime::logger::report_error!(
                "{pid} is already registered with {}. This subscription has been discarded.",
                self_pid()
            );
            return Err(ExitReason::from("already_subscribed"));
        }
        let waiting = self.waiting;
        for d in &mut self.demands {
            d.counter = d.counter.saturating_add(waiting);
        }
        self.waiting = 0;
        self.demands.push(Demand {
            counter: 0,
            to: c.clone(),
            selector,
        });
        Ok(0)
    }

    fn cancel(&mut self, c: &Subscription) -> u64 {
        if let Some(p) = c.pid() {
            self.subscribed.remove(&p);
        }
        self.demands.retain(|d| d.to.tag != c.tag);
        if self.demands.is_empty() {
            self.waiting = 0;
            return 0;
        }
        self.sync_demands()
    }

    fn ask(&mut self, n: u64, c: &Subscription) -> u64 {
        if let Some(d) = self.demands.iter_mut().find(|d| d.to.tag == c.tag) {
            d.counter = d.counter.saturating_add(n.min(i64::MAX as u64) as i64);
        }
        self.sync_demands()
    }

    fn dispatch(&mut self, mut events: Vec<E>) -> Vec<E> {
        if self.waiting <= 0 {
            return events;
        }
        let now_count = (self.waiting as usize).min(events.len());
        let later = events.split_off(now_count);
        self.waiting -= now_count as i64;
        self.requested -= now_count as i64;
        let now = events;
        for d in &self.demands {
            let (selected, discarded) = match &d.selector {
                None => (now.clone(), 0),
                Some(f) => {
                    let kept: Vec<E> = now.iter().filter(|e| f(e)).cloned().collect();
                    let discarded = now.len() - kept.len();
                    (kept, discarded)
                }
            };
            if discarded > 0 {
                // Rejected events count as consumed: ask again for them, on behalf of
                // the consumer, through this producer's own mailbox.
                let consumer = d.to.pid().unwrap_or_else(self_pid);
                send_to_producer(
                    self_pid(),
                    consumer,
                    d.to.tag,
                    ProducerMsg::Ask(discarded as u64),
                );
            }
            d.to.send_events(selected);
        }
        later
    }
}
