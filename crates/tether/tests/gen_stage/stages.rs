//! The test stages of gen_stage's `test/gen_stage_test.exs`, in Rust: `Counter`,
//! `DemandProducer`, `NothingProducer`, `Doubler`, `Postponer`, `Discarder`,
//! `Sleeper`, `Forwarder` and `DiscardedBufferLogger`, with what they report to the
//! test process as [`Seen`] values.
#![allow(dead_code)]

use std::time::Duration;

use tether::otp::gen_server::{ReplyTo, StartOpts};
use tether::otp::gen_stage::{
    self, CallResult, Cancel, Emit, GenStage, Init, Role, Stage, SubscribeOpts, Subscribed,
    Subscription,
};
use tether::{ExitReason, Message, Pid, Term};

/// How a test builds a stage's `Init` (kind, state, options).
pub type Setup<S> = Box<dyn FnOnce() -> Init<S> + Send>;

/// Starts a stage of type `S`, linked to the test process.
pub async fn start<S>(setup: impl FnOnce() -> Init<S> + Send + 'static) -> Stage<S>
where
    S: GenStage<Args = Setup<S>>,
{
    gen_stage::start_link::<S>(Box::new(setup), StartOpts::new())
        .await
        .expect("the stage starts")
}

/// Starts a stage of type `S` without a link.
pub async fn start_unlinked<S>(setup: impl FnOnce() -> Init<S> + Send + 'static) -> Stage<S>
where
    S: GenStage<Args = Setup<S>>,
{
    gen_stage::start::<S>(Box::new(setup), StartOpts::new())
        .await
        .expect("the stage starts")
}

/// What the stages tell the test process.
#[derive(Clone, Debug, PartialEq)]
pub enum Seen {
    Consumed(Vec<Term>),
    ProducerConsumed(Vec<Term>),
    Postponed(Vec<Term>),
    Discarded(Vec<Term>),
    Sleep(Vec<Term>),
    Demand(u64),
    ConsumerSubscribed(Subscription),
    ProducerSubscribed(Subscription),
    ProducerConsumerSubscribed(Role, Subscription),
    ConsumerCancelled(Subscription, Cancel),
    ProducerCancelled(Subscription, Cancel),
    ProducerConsumerCancelled(Subscription, Cancel),
    Terminated(ExitReason),
    Info(Term),
}

fn tell(to: Pid, s: Seen) {
    let _ = tether::send(to, s);
}

pub fn ints(r: std::ops::Range<i64>) -> Vec<Term> {
    r.map(Term::Int).collect()
}

pub fn doubled(r: std::ops::Range<i64>) -> Vec<Term> {
    r.flat_map(|i| [Term::Int(i), Term::Int(i)]).collect()
}

pub fn atoms(names: &str) -> Vec<Term> {
    names.split(' ').map(Term::atom).collect()
}

/// The subscription option naming the demand mode a test stage's `handle_subscribe`
/// returns (`consumer_demand: :manual` and friends in the Elixir tests).
fn mode(opts: &SubscribeOpts, key: &str) -> Subscribed {
    match opts.get(key) {
        Some(t) if t.is_atom("manual") => Subscribed::Manual,
        Some(t) if t.is_atom("automatic") || t.is_atom("nil") => Subscribed::Automatic,
        None => Subscribed::Automatic,
        Some(other) => Subscribed::Stop(ExitReason::from_term(Term::tuple([
            Term::atom("bad_return_value"),
            other.clone(),
        ]))),
    }
}

/// An info message a test queues into a stage.
#[derive(Debug)]
pub struct Queue(pub Vec<Term>);

// ---- Counter ----------------------------------------------------------------------

/// A producer that counts up in batches; events can also be queued by call, cast or
/// message. Reporting to a pid disables counting.
pub enum Counter {
    Count(i64),
    Reports(Pid),
}

pub enum CounterCall {
    Queue(Vec<Term>),
    EarlyReplyQueue(Vec<Term>),
    Stop,
}

impl GenStage for Counter {
    type Args = Setup<Self>;
    type In = Term;
    type Out = Term;
    type Call = CounterCall;
    type Cast = Vec<Term>;
    type Reply = Term;

    async fn init(setup: Setup<Self>) -> Init<Self> {
        setup()
    }

    async fn handle_call(&mut self, req: CounterCall, from: &ReplyTo<Term>) -> CallResult<Self> {
        let state = match self {
            Counter::Count(n) => Term::Int(*n),
            Counter::Reports(p) => Term::Pid(*p),
        };
        match req {
            CounterCall::Stop => CallResult::Stop(ExitReason::Shutdown, Some(Term::atom("ok"))),
            CounterCall::EarlyReplyQueue(events) => {
                from.reply(state);
                CallResult::NoReply(events)
            }
            CounterCall::Queue(events) => CallResult::Reply(state, events),
        }
    }

    async fn handle_cast(&mut self, events: Vec<Term>) -> Emit<Term> {
        Emit::events(events)
    }

    async fn handle_info(&mut self, m: Message) -> Emit<Term> {
        match m.downcast::<Queue>() {
            Ok(Queue(events)) => Emit::events(events),
            Err(m) => {
                if let Counter::Reports(p) = self {
                    let t = m.to_term().unwrap_or_else(|| Term::atom(m.type_name()));
                    tell(*p, Seen::Info(t));
                }
                Emit::none()
            }
        }
    }

    async fn handle_subscribe(
        &mut self,
        _: Role,
        opts: &SubscribeOpts,
        from: &Subscription,
    ) -> Subscribed {
        if let Counter::Reports(p) = self {
            tell(*p, Seen::ProducerSubscribed(from.clone()));
        }
        mode(opts, "producer_demand")
    }

    async fn handle_cancel(&mut self, cancel: Cancel, from: &Subscription) -> Emit<Term> {
        if let Counter::Reports(p) = self {
            tell(*p, Seen::ProducerCancelled(from.clone(), cancel));
        }
        Emit::none()
    }

    async fn handle_demand(&mut self, demand: u64) -> Emit<Term> {
        match self {
            Counter::Reports(_) => Emit::none(),
            Counter::Count(n) => {
                let events = ints(*n..*n + demand as i64);
                *n += demand as i64;
                Emit::events(events)
            }
        }
    }

    async fn handle_events(&mut self, _: Vec<Term>, _: &Subscription) -> Emit<Term> {
        Emit::none()
    }
}

// ---- DemandProducer, NothingProducer ----------------------------------------------

/// A producer that emits each demand it gets, as an event.
pub struct DemandProducer;

impl GenStage for DemandProducer {
    type Args = Setup<Self>;
    type In = ();
    type Out = Term;
    type Call = ();
    type Cast = ();
    type Reply = ();
    async fn init(setup: Setup<Self>) -> Init<Self> {
        setup()
    }
    async fn handle_demand(&mut self, demand: u64) -> Emit<Term> {
        Emit::events(vec![Term::from(demand)])
    }
}

/// A producer that emits nothing and reports each demand.
pub struct NothingProducer(pub Pid);

impl GenStage for NothingProducer {
    type Args = Setup<Self>;
    type In = ();
    type Out = Term;
    type Call = ();
    type Cast = ();
    type Reply = ();
    async fn init(setup: Setup<Self>) -> Init<Self> {
        setup()
    }
    async fn handle_demand(&mut self, demand: u64) -> Emit<Term> {
        tell(self.0, Seen::Demand(demand));
        Emit::none()
    }
}

// ---- producer_consumers -------------------------------------------------------------

/// Emits every event twice.
pub struct Doubler(pub Pid);

impl GenStage for Doubler {
    type Args = Setup<Self>;
    type In = Term;
    type Out = Term;
    type Call = ();
    type Cast = ();
    type Reply = ();
    async fn init(setup: Setup<Self>) -> Init<Self> {
        setup()
    }
    async fn handle_subscribe(
        &mut self,
        role: Role,
        opts: &SubscribeOpts,
        from: &Subscription,
    ) -> Subscribed {
        tell(self.0, Seen::ProducerConsumerSubscribed(role, from.clone()));
        mode(opts, "producer_consumer_demand")
    }
    async fn handle_cancel(&mut self, cancel: Cancel, from: &Subscription) -> Emit<Term> {
        tell(
            self.0,
            Seen::ProducerConsumerCancelled(from.clone(), cancel),
        );
        Emit::none()
    }
    async fn handle_events(&mut self, events: Vec<Term>, _: &Subscription) -> Emit<Term> {
        tell(self.0, Seen::ProducerConsumed(events.clone()));
        Emit::events(events.into_iter().flat_map(|e| [e.clone(), e]).collect())
    }
    async fn handle_info(&mut self, m: Message) -> Emit<Term> {
        let t = m.to_term().unwrap_or_else(|| Term::atom(m.type_name()));
        tell(self.0, Seen::Info(t));
        Emit::none()
    }
}

/// Emits nothing from `handle_events`; sends the events to itself and emits them
/// from `handle_info`.
pub struct Postponer(pub Pid);

struct Postponed(Vec<Term>);

impl GenStage for Postponer {
    type Args = Setup<Self>;
    type In = Term;
    type Out = Term;
    type Call = ();
    type Cast = ();
    type Reply = ();
    async fn init(setup: Setup<Self>) -> Init<Self> {
        setup()
    }
    async fn handle_events(&mut self, events: Vec<Term>, _: &Subscription) -> Emit<Term> {
        tether::send(tether::self_pid(), Postponed(events)).unwrap();
        Emit::none()
    }
    async fn handle_info(&mut self, m: Message) -> Emit<Term> {
        match m.downcast::<Postponed>() {
            Ok(Postponed(events)) => {
                tell(self.0, Seen::Postponed(events.clone()));
                Emit::events(events)
            }
            Err(_) => Emit::none(),
        }
    }
}

/// Reports and discards all events.
pub struct Discarder(pub Pid);

impl GenStage for Discarder {
    type Args = Setup<Self>;
    type In = Term;
    type Out = Term;
    type Call = ();
    type Cast = ();
    type Reply = ();
    async fn init(setup: Setup<Self>) -> Init<Self> {
        setup()
    }
    async fn handle_events(&mut self, events: Vec<Term>, _: &Subscription) -> Emit<Term> {
        tell(self.0, Seen::Discarded(events));
        Emit::none()
    }
}

// ---- consumers ----------------------------------------------------------------------

/// Reports its first batch, then sleeps forever.
pub struct Sleeper(pub Pid);

impl GenStage for Sleeper {
    type Args = Setup<Self>;
    type In = Term;
    type Out = ();
    type Call = ();
    type Cast = ();
    type Reply = ();
    async fn init(setup: Setup<Self>) -> Init<Self> {
        setup()
    }
    async fn handle_events(&mut self, events: Vec<Term>, _: &Subscription) -> Emit<()> {
        tell(self.0, Seen::Sleep(events));
        std::future::pending::<()>().await;
        Emit::none()
    }
}

/// Forwards everything it sees to the test process.
pub struct Forwarder(pub Pid);

/// `Forwarder.ask/3`: asks on a manual subscription from inside the consumer.
pub struct Ask(pub Subscription, pub u64);

impl GenStage for Forwarder {
    type Args = Setup<Self>;
    type In = Term;
    type Out = Term;
    type Call = Ask;
    type Cast = ();
    type Reply = ();
    async fn init(setup: Setup<Self>) -> Init<Self> {
        setup()
    }
    async fn handle_call(&mut self, Ask(sub, n): Ask, _: &ReplyTo<()>) -> CallResult<Self> {
        sub.ask(n);
        CallResult::reply(())
    }
    async fn handle_subscribe(
        &mut self,
        _: Role,
        opts: &SubscribeOpts,
        from: &Subscription,
    ) -> Subscribed {
        tell(self.0, Seen::ConsumerSubscribed(from.clone()));
        mode(opts, "consumer_demand")
    }
    async fn handle_info(&mut self, m: Message) -> Emit<Term> {
        let t = m.to_term().unwrap_or_else(|| Term::atom(m.type_name()));
        tell(self.0, Seen::Info(t));
        Emit::none()
    }
    async fn handle_events(&mut self, events: Vec<Term>, _: &Subscription) -> Emit<Term> {
        tell(self.0, Seen::Consumed(events));
        Emit::none()
    }
    async fn handle_cancel(&mut self, cancel: Cancel, from: &Subscription) -> Emit<Term> {
        tell(self.0, Seen::ConsumerCancelled(from.clone(), cancel));
        Emit::none()
    }
    async fn terminate(&mut self, reason: &ExitReason) {
        tell(self.0, Seen::Terminated(reason.clone()));
    }
}

/// A producer whose `format_discarded` reports the count and says whether to log.
pub struct DiscardedBufferLogger {
    pub to: Pid,
    pub log_discarded: bool,
}

impl GenStage for DiscardedBufferLogger {
    type Args = Setup<Self>;
    type In = ();
    type Out = Term;
    type Call = Vec<Term>;
    type Cast = ();
    type Reply = ();
    async fn init(setup: Setup<Self>) -> Init<Self> {
        setup()
    }
    async fn handle_call(&mut self, events: Vec<Term>, _: &ReplyTo<()>) -> CallResult<Self> {
        CallResult::Reply((), events)
    }
    async fn handle_demand(&mut self, _: u64) -> Emit<Term> {
        Emit::none()
    }
    fn format_discarded(&self, discarded: usize) -> bool {
        tell(self.to, Seen::Info(Term::from(discarded as u64)));
        self.log_discarded
    }
}

// ---- receiving --------------------------------------------------------------------------

/// How long `assert_receive` waits.
pub const WAIT: Duration = Duration::from_secs(10);

/// Elixir's `assert_receive`: waits for `expected` (skipping other messages, which
/// stay in the mailbox).
pub async fn assert_receive(expected: Seen) {
    let e = expected.clone();
    let got = tether::receive_select_timeout(WAIT, move |m: &Message| {
        m.downcast_ref::<Seen>() == Some(&e)
    })
    .await;
    if got.is_none() {
        let mut seen = Vec::new();
        while let Some(m) = tether::receive_select_timeout(Duration::ZERO, |_| true).await {
            match m.downcast::<Seen>() {
                Ok(s) => seen.push(format!("{s:?}")),
                Err(m) => seen.push(format!("{m:?}")),
            }
        }
        seen.truncate(10);
        panic!("expected {expected:?}; mailbox (first 10): {seen:#?}");
    }
}

/// Waits for a `Seen` that `f` accepts, and returns it.
pub async fn receive_seen(what: &str, f: fn(&Seen) -> bool) -> Seen {
    let m = tether::receive_select_timeout(WAIT, move |m: &Message| {
        m.downcast_ref::<Seen>().is_some_and(&f)
    })
    .await
    .unwrap_or_else(|| panic!("expected {what}"));
    m.downcast::<Seen>().unwrap()
}

/// Elixir's `refute_received`: `unexpected` is not in the mailbox now.
pub async fn refute_received(unexpected: Seen) {
    let u = unexpected.clone();
    let got = tether::receive_select_timeout(Duration::ZERO, move |m: &Message| {
        m.downcast_ref::<Seen>() == Some(&u)
    })
    .await;
    assert!(got.is_none(), "did not expect {unexpected:?}");
}

/// Waits for a message whose term form is `expected` (a protocol message a stage
/// sent to the test process, which pretends to be a stage).
pub async fn assert_receive_term(expected: Term) {
    let e = expected.clone();
    let got = tether::receive_select_timeout(WAIT, move |m: &Message| {
        m.downcast_ref::<Seen>().is_none() && m.to_term().as_ref() == Some(&e)
    })
    .await;
    assert!(got.is_some(), "expected the term {expected}");
}
