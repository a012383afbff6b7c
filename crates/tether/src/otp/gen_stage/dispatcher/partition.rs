//! Each event to the one consumer of its partition.
//!
//! Each partition is in one of two states: it has unmet *demand* (events go straight
//! out, up to it), or it has a *queue* (events wait for its consumer's next ask). A
//! partition without a consumer has demand 0, so its events queue until one
//! subscribes. Infos due while some queues are non-empty wait in those queues, and
//! are delivered when the last of them reaches its consumer.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
use std::sync::Arc;

use tether_term::{Reference, Term};

use super::Dispatcher;
use crate::otp::gen_stage::opts::SubscribeOpts;
use crate::otp::gen_stage::wire::{Event, Subscription};
use crate::{ExitReason, Message, self_pid, send_message};

/// The hash of a [`PartitionDispatcher`]: the event (possibly changed) and its
/// partition's name, or `None` to discard it.
pub type PartitionHash<E> = Arc<dyn Fn(E) -> Option<(E, Term)> + Send + Sync>;

/// Sends each event to the consumer of its partition (`GenStage.PartitionDispatcher`).
///
/// Partitions are `0..n` ([`new`](PartitionDispatcher::new)) or any names
/// ([`with_names`](PartitionDispatcher::with_names), which needs a
/// [`hash`](PartitionDispatcher::hash)). Each consumer subscribes with
/// [`SubscribeOpts::partition`](super::super::SubscribeOpts::partition); one
/// consumer per partition. The default hash spreads events by a hash of their term
/// form (not `:erlang.phash2/2`, so not the partition Elixir would pick for the same
/// event — partitioning is local to the producer either way).
///
/// Demand cannot be attributed to a partition, so this dispatcher assumes events are
/// spread evenly: a partition that gets more than its share queues them until its
/// consumer asks again.
///
/// Where Elixir raises (and the producer crashes), Tether refuses: a subscription
/// without a partition, to an unknown one, or to a taken one is cancelled with
/// `{bad_opts, Message}`; an event hashed to an unknown partition is logged and
/// discarded. The hash is a Rust closure: it runs in the producer, so consumers on
/// other nodes are served like local ones.
///
/// ```
/// use tether::Term;
/// use tether::otp::gen_stage::PartitionDispatcher;
///
/// let by_parity = PartitionDispatcher::<i64>::with_names(["even", "odd"].map(Term::atom))
///     .hash(|n: i64| Some((n, Term::atom(if n % 2 == 0 { "even" } else { "odd" }))));
/// # let _ = by_parity;
/// let four = PartitionDispatcher::<String>::new(4);
/// # let _ = four;
/// ```
pub struct PartitionDispatcher<E> {
    parts: Vec<Partition<E>>,
    by_tag: HashMap<Reference, usize>,
    hash: Option<PartitionHash<E>>,
    /// Events the producer may still send (asked, not yet dispatched).
    waiting: u64,
    /// Demand asked upstream for consumers that have since cancelled.
    pending: u64,
    infos: HashMap<u64, (Message, usize)>,
    next_info: u64,
}

struct Partition<E> {
    name: Term,
    to: Option<Subscription>,
    state: State<E>,
}

enum State<E> {
    Demand(u64),
    Queue(VecDeque<Slot<E>>),
}

enum Slot<E> {
    Event(E),
    Info(u64),
}

impl<E> PartitionDispatcher<E> {
    /// Partitions `0..n`, with the default hash.
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
    /// let p = gen_stage::start::<Pusher>(|i| i.dispatcher(PartitionDispatcher::new(2)), StartOpts::new())
    ///     .await
    ///     .unwrap();
    /// // One consumer of both partitions sees every event once.
    /// let both = [0, 1].map(|n| (tether::Dest::from(p.pid()), SubscribeOpts::new().partition(n)));
    /// let mut events = gen_stage::stream::<i64>(both).unwrap();
    /// tether::sleep(Duration::from_millis(20)).await;
    /// p.cast(vec![1, 2, 3, 4]);
    /// let mut got = vec![];
    /// for _ in 0..4 { got.push(events.next().await.unwrap()); }
    /// got.sort();
    /// assert_eq!(got, [1, 2, 3, 4]);
    /// # });
    /// ```
    pub fn new(n: usize) -> Self {
        Self::build((0..n).map(|i| Term::from(i as u64)).collect())
    }

    /// Partitions with the given names; set a [`hash`](PartitionDispatcher::hash)
    /// unless the names are `0..n`.
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
    /// use tether::Term;
    /// fn parity(n: i64) -> Option<(i64, Term)> {
    ///     Some((n, Term::atom(if n % 2 == 0 { "even" } else { "odd" })))
    /// }
    /// let configure = |i: Init<Pusher>| {
    ///     let names = [Term::atom("even"), Term::atom("odd")];
    ///     i.dispatcher(PartitionDispatcher::with_names(names).hash(parity))
    /// };
    /// let p = gen_stage::start::<Pusher>(configure, StartOpts::new()).await.unwrap();
    /// let evens = SubscribeOpts::new().partition(Term::atom("even"));
    /// let mut events = gen_stage::stream::<i64>([(p.pid().into(), evens)]).unwrap();
    /// tether::sleep(Duration::from_millis(20)).await;
    /// p.cast(vec![1, 2, 3, 4]);
    /// assert_eq!(events.next().await, Some(2));
    /// assert_eq!(events.next().await, Some(4));
    /// # });
    /// ```
    pub fn with_names(names: impl IntoIterator<Item = Term>) -> Self {
        Self::build(names.into_iter().collect())
    }

    /// The partition of each event (GenStage's `:hash`).
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
    /// use tether::Term;
    /// // Partition by sign; drop zeros (a hash that gives `None` discards the event).
    /// fn sign(n: i64) -> Option<(i64, Term)> {
    ///     (n != 0).then(|| (n, Term::from(if n > 0 { 0 } else { 1 })))
    /// }
    /// let p = gen_stage::start::<Pusher>(|i| i.dispatcher(PartitionDispatcher::new(2).hash(sign)), StartOpts::new())
    ///     .await
    ///     .unwrap();
    /// let negatives = SubscribeOpts::new().partition(1);
    /// let mut events = gen_stage::stream::<i64>([(p.pid().into(), negatives)]).unwrap();
    /// tether::sleep(Duration::from_millis(20)).await;
    /// p.cast(vec![5, 0, -3, 7, -1]);
    /// assert_eq!(events.next().await, Some(-3));
    /// assert_eq!(events.next().await, Some(-1));
    /// # });
    /// ```
    pub fn hash(mut self, f: impl Fn(E) -> Option<(E, Term)> + Send + Sync + 'static) -> Self {
        self.hash = Some(Arc::new(f));
        self
    }

    fn build(names: Vec<Term>) -> Self {
        PartitionDispatcher {
            parts: names
                .into_iter()
                .map(|name| Partition {
                    name,
                    to: None,
                    state: State::Demand(0),
                })
                .collect(),
            by_tag: HashMap::new(),
            hash: None,
            waiting: 0,
            pending: 0,
            infos: HashMap::new(),
            next_info: 0,
        }
    }

    fn index_of(&self, name: &Term) -> Option<usize> {
        if let Term::Int(i) = name
            && let Some(p) = self.parts.get(*i as usize)
            && p.name == *name
        {
            return Some(*i as usize);
        }
        self.parts.iter().position(|p| p.name == *name)
    }

    /// One partition's share of an info has gone out.
    fn info_done(&mut self, id: u64) {
        if let Some((_, left)) = self.infos.get_mut(&id) {
            *left -= 1;
            if *left == 0
                && let Some((m, _)) = self.infos.remove(&id)
            {
                let _ = send_message(self_pid(), m);
            }
        }
    }
}

fn bad_opts(msg: String) -> ExitReason {
    ExitReason::from_term(Term::tuple([Term::atom("bad_opts"), Term::from(msg)]))
}

fn default_partition<E: Event>(e: &E, n: usize) -> Term {
    let t = tether_term::to_term(e).unwrap_or_else(|_| Term::nil());
    let bytes = tether_term::encode(&t).unwrap_or_default();
    let h = BuildHasherDefault::<DefaultHasher>::default().hash_one(bytes);
    Term::from(h % n.max(1) as u64)
}

impl<E: Event> Dispatcher<E> for PartitionDispatcher<E> {
    fn subscribe(&mut self, opts: &SubscribeOpts, c: &Subscription) -> Result<u64, ExitReason> {
        let Some(name) = opts.get("partition") else {
            return Err(bad_opts(
                "the :partition option is required when subscribing to a producer with partition dispatcher".into(),
            ));
        };
        let Some(i) = self.index_of(name) else {
            let names: Vec<String> = self.parts.iter().map(|p| p.name.to_string()).collect();
            return Err(bad_opts(format!(
                ":partition must be one of [{}], got: {name}",
                names.join(", ")
            )));
        };
        if let Some(taken) = &self.parts[i].to {
            return Err(bad_opts(format!(
                "the partition {name} is already taken by {:?}",
                taken.to
            )));
        }
        self.parts[i].to = Some(c.clone());
        self.by_tag.insert(c.tag, i);
        Ok(0)
    }

    fn cancel(&mut self, c: &Subscription) -> u64 {
        let Some(i) = self.by_tag.remove(&c.tag) else {
            return 0;
        };
        self.parts[i].to = None;
        match std::mem::replace(&mut self.parts[i].state, State::Demand(0)) {
            State::Demand(d) => {
                self.pending = self.pending.saturating_add(d);
                0
            }
            State::Queue(q) => {
                // Its queued events are lost: ask for as many again.
                let mut n = 0;
                for slot in q {
                    match slot {
                        Slot::Event(_) => n += 1,
                        Slot::Info(id) => self.info_done(id),
                    }
                }
                self.waiting = self.waiting.saturating_add(n);
                n
            }
        }
    }

    fn ask(&mut self, n: u64, c: &Subscription) -> u64 {
        let Some(&i) = self.by_tag.get(&c.tag) else {
            return 0;
        };
        let state = std::mem::replace(&mut self.parts[i].state, State::Demand(0));
        self.parts[i].state = match state {
            State::Demand(d) => State::Demand(d.saturating_add(n)),
            State::Queue(mut q) => {
                let mut left = n;
                let mut batch = Vec::new();
                let mut done_infos = Vec::new();
                while left > 0 {
                    match q.pop_front() {
                        Some(Slot::Event(e)) => {
                            batch.push(e);
                            left -= 1;
                        }
                        Some(Slot::Info(id)) => {
                            if !batch.is_empty() {
                                c.send_events(std::mem::take(&mut batch));
                            }
                            done_infos.push(id);
                        }
                        None => break,
                    }
                }
                if !batch.is_empty() {
                    c.send_events(batch);
                }
                for id in done_infos {
                    self.info_done(id);
                }
                if q.is_empty() {
                    State::Demand(left)
                } else {
                    State::Queue(q)
                }
            }
        };
        let already_sent = self.pending.min(n);
        self.pending -= already_sent;
        let demand = n - already_sent;
        self.waiting = self.waiting.saturating_add(demand);
        demand
    }

    fn dispatch(&mut self, events: Vec<E>) -> Vec<E> {
        let n = self.parts.len();
        let mut per_part: Vec<Vec<E>> = (0..n).map(|_| Vec::new()).collect();
        let mut events = events.into_iter();
        while self.waiting > 0 {
            let Some(e) = events.next() else { break };
            let routed = match &self.hash {
                Some(h) => h(e),
                None => {
                    let p = default_partition(&e, n);
                    Some((e, p))
                }
            };
            let Some((e, name)) = routed else { continue };
            match self.index_of(&name) {
                Some(i) => {
                    per_part[i].push(e);
                    self.waiting -= 1;
                }
                None => crate::runtime::logger::report_error!(
                    producer = %self_pid(),
                    "unknown partition {name} computed for a GenStage event; the event has been discarded"
                ),
            }
        }
        let later: Vec<E> = events.collect();
        for (part, mut batch) in self.parts.iter_mut().zip(per_part) {
            if batch.is_empty() {
                continue;
            }
            match &mut part.state {
                State::Demand(d) => {
                    let now = (*d as usize).min(batch.len());
                    let rest = batch.split_off(now);
                    *d -= now as u64;
                    if !batch.is_empty()
                        && let Some(to) = &part.to
                    {
                        to.send_events(batch);
                    }
                    if !rest.is_empty() {
                        part.state = State::Queue(rest.into_iter().map(Slot::Event).collect());
                    }
                }
                State::Queue(q) => q.extend(batch.into_iter().map(Slot::Event)),
            }
        }
        later
    }

    fn info(&mut self, msg: Message) {
        let id = self.next_info;
        self.next_info += 1;
        let mut queued = 0;
        for p in &mut self.parts {
            if let State::Queue(q) = &mut p.state {
                q.push_back(Slot::Info(id));
                queued += 1;
            }
        }
        if queued == 0 {
            let _ = send_message(self_pid(), msg);
        } else {
            self.infos.insert(id, (msg, queued));
        }
    }
}
