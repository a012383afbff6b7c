//! The default dispatcher: each batch to the consumer with the most demand.

use super::Dispatcher;
use crate::ExitReason;
use crate::otp::gen_stage::opts::SubscribeOpts;
use crate::otp::gen_stage::wire::{Event, Subscription};

/// Sends events to the consumer with the highest outstanding demand
/// (`GenStage.DemandDispatcher`), the default.
///
/// It expects every consumer to ask with the same `max_demand`: it learns the first
/// ask's size (or takes [`max_demand`](DemandDispatcher::max_demand)) and logs a
/// warning for a larger ask. Demand a consumer leaves behind when it cancels is
/// remembered and served first to the next asks, so events are not produced twice.
///
/// ```
/// use tether::otp::gen_stage::DemandDispatcher;
/// let d = DemandDispatcher::new().max_demand(100);
/// # let _ = d;
/// ```
#[derive(Default)]
pub struct DemandDispatcher {
    /// Outstanding demands, highest first (equal ones in arrival order).
    demands: Vec<(u64, Subscription)>,
    /// Demand already asked upstream that no consumer holds any more.
    pending: u64,
    max: Option<u64>,
    shuffle: bool,
}

impl DemandDispatcher {
    /// The default dispatcher.
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
    /// let p = gen_stage::start::<Pusher>(|i| i.dispatcher(DemandDispatcher::new()), StartOpts::new())
    ///     .await
    ///     .unwrap();
    /// let mut events = gen_stage::stream::<i64>([(p.pid().into(), SubscribeOpts::new().max_demand(5))]).unwrap();
    /// p.cast(vec![1, 2, 3, 4]);
    /// let mut got = vec![];
    /// for _ in 0..4 { got.push(events.next().await.unwrap()); }
    /// got.sort();
    /// assert_eq!(got, [1, 2, 3, 4]);
    /// # });
    /// ```
    pub fn new() -> DemandDispatcher {
        DemandDispatcher::default()
    }

    /// The ask size consumers are expected to use (default: the first ask's).
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
    /// let p = gen_stage::start::<Pusher>(|i| i.dispatcher(DemandDispatcher::new().max_demand(5)), StartOpts::new())
    ///     .await
    ///     .unwrap();
    /// let mut events = gen_stage::stream::<i64>([(p.pid().into(), SubscribeOpts::new().max_demand(5))]).unwrap();
    /// p.cast(vec![1, 2, 3, 4]);
    /// let mut got = vec![];
    /// for _ in 0..4 { got.push(events.next().await.unwrap()); }
    /// got.sort();
    /// assert_eq!(got, [1, 2, 3, 4]);
    /// # });
    /// ```
    pub fn max_demand(mut self, n: u64) -> DemandDispatcher {
        self.max = Some(n);
        self
    }

    /// Shuffles the consumers once, before the first dispatch, so that consumers that
    /// subscribed first are not always served first
    /// (`shuffle_demands_on_first_dispatch`).
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
    /// let d = |i: Init<Pusher>| i.dispatcher(DemandDispatcher::new().shuffle_demands_on_first_dispatch(true));
    /// let p = gen_stage::start::<Pusher>(d, StartOpts::new()).await.unwrap();
    /// let mut events = gen_stage::stream::<i64>([(p.pid().into(), SubscribeOpts::new().max_demand(5))]).unwrap();
    /// p.cast(vec![1, 2, 3, 4]);
    /// let mut got = vec![];
    /// for _ in 0..4 { got.push(events.next().await.unwrap()); }
    /// got.sort();
    /// assert_eq!(got, [1, 2, 3, 4]);
    /// # });
    /// ```
    pub fn shuffle_demands_on_first_dispatch(mut self, yes: bool) -> DemandDispatcher {
        self.shuffle = yes;
        self
    }

    fn pop(&mut self, c: &Subscription) -> u64 {
        match self.demands.iter().position(|(_, s)| s.tag == c.tag) {
            Some(i) => self.demands.remove(i).0,
            None => 0,
        }
    }

    fn insert(&mut self, n: u64, c: Subscription) {
        let i = self
            .demands
            .iter()
            .position(|(d, _)| n > *d)
            .unwrap_or(self.demands.len());
        self.demands.insert(i, (n, c));
    }

    fn shuffle_now(&mut self) {
        use std::hash::{BuildHasher, RandomState};
        let seed = RandomState::new().hash_one(self.demands.len());
        let n = self.demands.len();
        for i in (1..n).rev() {
            let j = (seed.rotate_left(i as u32) as usize) % (i + 1);
            self.demands.swap(i, j);
        }
    }
}

impl<E: Event> Dispatcher<E> for DemandDispatcher {
    fn subscribe(&mut self, _: &SubscribeOpts, c: &Subscription) -> Result<u64, ExitReason> {
        self.demands.push((0, c.clone()));
        Ok(0)
    }

    fn cancel(&mut self, c: &Subscription) -> u64 {
        self.pending = self.pending.saturating_add(self.pop(c));
        0
    }

    fn ask(&mut self, n: u64, c: &Subscription) -> u64 {
        let max = *self.max.get_or_insert(n);
        if n > max {
            crate::runtime::logger::report_warn!(
                producer = %crate::self_pid(),
                "GenStage producer DemandDispatcher expects a maximum demand of {max}. \
                 Using different maximum demands will overload greedy consumers. \
                 Got demand for {n} events from {:?}",
                c.to
            );
        }
        let current = self.pop(c);
        self.insert(current.saturating_add(n), c.clone());
        let already_sent = self.pending.min(n);
        self.pending -= already_sent;
        n - already_sent
    }

    fn dispatch(&mut self, mut events: Vec<E>) -> Vec<E> {
        if self.shuffle {
            self.shuffle = false;
            self.shuffle_now();
        }
        while !events.is_empty() {
            match self.demands.first() {
                Some((d, _)) if *d > 0 => {}
                _ => break,
            }
            let (d, c) = self.demands.remove(0);
            let take = (d as usize).min(events.len());
            let rest = events.split_off(take);
            c.send_events(std::mem::replace(&mut events, rest));
            self.insert(d - take as u64, c);
        }
        self.pending = self.pending.saturating_sub(events.len() as u64);
        events
    }
}
