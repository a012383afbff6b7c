//! ConsumerSupervisor: a consumer that starts a child process per event (Elixir's
//! `ConsumerSupervisor`).
//!
//! It subscribes with manual demand: it asks `max_demand` events per producer, starts
//! one child for each event it gets, and asks again once `min_demand` children (of
//! that producer) have finished — exited, failed to start, or declined to start. So at
//! most `max_demand` children run per producer: the producer is slowed down to the
//! pace the children work at. Children keep running when their producer goes away.
//!
//! Children are `temporary` (never restarted) or `transient` (restarted with the same
//! event after an abnormal exit, within `max_restarts` in `max_seconds`; beyond that
//! the supervisor stops with `shutdown`). A restarting child still counts against the
//! demand. There is no `permanent` (a child per event must end some day).
//!
//! [`SupervisorCall`] has Elixir's `which_children`, `count_children`,
//! `terminate_child` and `start_child`. Children are stopped (by `terminate_child`, or
//! all of them when the supervisor stops) with the supervisor's shutdown protocol
//! (docs/semantics.md §5.6): monitor and unlink, then `kill` ([`Shutdown::BrutalKill`])
//! or `shutdown` and a `kill` once the [`Shutdown::Timeout`] has passed. A child
//! terminated by `terminate_child` counts as finished for the demand.
//!
//! One difference from Elixir: a transient child whose restart fails is not kept as
//! `:restarting` to be tried again later; the failure is logged and its event counts
//! as done.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tether_term::{Pid, Reference};

use super::client::{Stage, start_link as start_stage};
use super::result::{CallResult, Emit, Init, Role, Subscribed};
use super::wire::{Event, Subscription};
use super::{GenStage, SubscribeOpts};
use crate::otp::gen_server::{ReplyTo, ServerStartError, StartOpts};
use crate::otp::supervisor::shutdown::{Stopping, shutdown_many, shutdown_one};
use crate::otp::supervisor::{self, ChildCounts, Shutdown};
use crate::{Dest, Exit, ExitReason, Message};

/// How a child is started for an event: it returns the child's pid (linked to the
/// caller, which is the supervisor), `Ok(None)` to start nothing (`:ignore`), or an
/// error (logged; the event counts as done).
pub type ChildStart<E> = Arc<dyn Fn(E) -> Result<Option<Pid>, ExitReason> + Send + Sync>;

/// Whether a child that exits abnormally is started again.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Restart {
    /// Never restarted (the default).
    #[default]
    Temporary,
    /// Restarted with its event after an abnormal exit.
    Transient,
}

impl Restart {
    fn as_supervisor(self) -> supervisor::Restart {
        match self {
            Restart::Temporary => supervisor::Restart::Temporary,
            Restart::Transient => supervisor::Restart::Transient,
        }
    }
}

/// What a [`ConsumerSupervisor`] runs: the child template, the restart options and
/// the producers to subscribe to.
///
/// ```
/// use tether::Runtime;
/// use tether::otp::gen_server::StartOpts;
/// use tether::otp::gen_stage::{self, CancelMode, ConsumerSupervisorSpec, DemandMode, SubscribeOpts};
///
/// Runtime::new().unwrap().block_on(async {
///     let me = tether::self_pid();
///     let producer = gen_stage::from_iter(1..=3i64, DemandMode::Forward, StartOpts::new()).await.unwrap();
///     // One process per event: each sends its event back, doubled.
///     let spec = ConsumerSupervisorSpec::task(move |n: i64| async move {
///         tether::send(me, n * 2).unwrap();
///     })
///     // Temporary: the supervisor outlives the producer, which stops when the
///     // iterator is done (a permanent subscription would stop the supervisor and
///     // its children with it).
///     .subscribe_to(producer.pid(), SubscribeOpts::new().max_demand(2).cancel(CancelMode::Temporary));
///     gen_stage::consumer_supervisor(spec, StartOpts::new()).await.unwrap();
///     let mut got = vec![];
///     for _ in 0..3 { got.push(tether::receive::<i64>().await); }
///     got.sort();
///     assert_eq!(got, [2, 4, 6]);
/// });
/// ```
pub struct ConsumerSupervisorSpec<E> {
    start: ChildStart<E>,
    restart: Restart,
    shutdown: Shutdown,
    max_restarts: usize,
    max_seconds: u64,
    subscribe_to: Vec<(Dest, SubscribeOpts)>,
}

impl<E: Event> ConsumerSupervisorSpec<E> {
    /// Children started by `start` (which must link them to the caller, e.g. with
    /// [`spawn_link`](crate::spawn_link)).
    pub fn new(
        start: impl Fn(E) -> Result<Option<Pid>, ExitReason> + Send + Sync + 'static,
    ) -> Self {
        ConsumerSupervisorSpec {
            start: Arc::new(start),
            restart: Restart::Temporary,
            shutdown: Shutdown::Timeout(Duration::from_secs(5)),
            max_restarts: 3,
            max_seconds: 5,
            subscribe_to: Vec::new(),
        }
    }

    /// Children that each run `f(event)` as a linked process.
    pub fn task<F, Fut>(f: F) -> Self
    where
        F: Fn(E) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        Self::new(move |e| Ok(Some(crate::spawn_link(f(e)))))
    }

    /// The restart type of the children (default [`Restart::Temporary`]).
    pub fn restart(mut self, r: Restart) -> Self {
        self.restart = r;
        self
    }

    /// How children are stopped (default `Timeout(5 s)`, Elixir's default for
    /// workers).
    pub fn shutdown(mut self, s: Shutdown) -> Self {
        self.shutdown = s;
        self
    }

    /// At most `n` restarts (default 3) ...
    pub fn max_restarts(mut self, n: usize) -> Self {
        self.max_restarts = n;
        self
    }

    /// ... in `secs` seconds (default 5).
    pub fn max_seconds(mut self, secs: u64) -> Self {
        self.max_seconds = secs;
        self
    }

    /// A producer to subscribe to at start (may be given several times).
    pub fn subscribe_to(mut self, producer: impl Into<Dest>, opts: SubscribeOpts) -> Self {
        self.subscribe_to.push((producer.into(), opts));
        self
    }
}

/// The consumer stage behind [`consumer_supervisor`]; call it with
/// [`SupervisorCall`].
pub struct ConsumerSupervisor<E> {
    spec: ConsumerSupervisorSpec<E>,
    /// Child → its producer's subscription tag and, for transient children, the
    /// event to restart it with.
    children: HashMap<Pid, (Option<Reference>, Option<E>)>,
    /// Per producer: (subscription, children running, finished since the last ask,
    /// min, max).
    producers: HashMap<Reference, (Subscription, u64, u64, u64, u64)>,
    restarts: VecDeque<Instant>,
}

/// The calls a [`ConsumerSupervisor`] answers (Elixir's `ConsumerSupervisor`
/// functions).
///
/// ```
/// use tether::Runtime;
/// use tether::otp::gen_server::StartOpts;
/// use tether::otp::gen_stage::{self, ConsumerSupervisorSpec, SupervisorCall, SupervisorReply};
///
/// Runtime::new().unwrap().block_on(async {
///     let spec = ConsumerSupervisorSpec::task(|_: i64| std::future::pending::<()>());
///     let sup = gen_stage::consumer_supervisor(spec, StartOpts::new()).await.unwrap();
///     let Ok(SupervisorReply::Started(Ok(Some(child)))) = sup.call(SupervisorCall::StartChild(1)).await else { panic!() };
///     assert_eq!(sup.call(SupervisorCall::WhichChildren).await.unwrap(), SupervisorReply::Children(vec![child]));
///     let Ok(SupervisorReply::Counts(counts)) = sup.call(SupervisorCall::CountChildren).await else { panic!() };
///     assert_eq!((counts.specs, counts.active, counts.workers), (1, 1, 1));
///     assert_eq!(sup.call(SupervisorCall::TerminateChild(child)).await.unwrap(), SupervisorReply::Terminated(Ok(())));
///     assert!(!tether::is_alive(child));
/// });
/// ```
#[derive(Debug)]
pub enum SupervisorCall<E> {
    /// The children (`which_children/1`): their pids.
    WhichChildren,
    /// Counts of the children (`count_children/1`): one spec (the template); every
    /// child is a worker.
    CountChildren,
    /// Stops a child with the shutdown protocol (`terminate_child/2`).
    TerminateChild(Pid),
    /// Starts a child for `E` outside of demand accounting
    /// (`ConsumerSupervisor.start_child/2`); replies its pid, if any.
    StartChild(E),
}

/// The replies of [`SupervisorCall`].
#[derive(Debug, PartialEq)]
pub enum SupervisorReply {
    /// The children's pids.
    Children(Vec<Pid>),
    /// The counts.
    Counts(ChildCounts),
    /// `Ok` once the child is gone; `Err` (`{error, not_found}`) if it is not a
    /// child.
    Terminated(Result<(), NotFound>),
    /// The started child.
    Started(Result<Option<Pid>, ExitReason>),
}

/// `TerminateChild` of a process that is not a child (`{error, not_found}`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotFound;

impl<E: Event + Clone> ConsumerSupervisor<E> {
    fn stopping(&self, pid: Pid) -> Stopping {
        Stopping {
            pid,
            shutdown: self.spec.shutdown,
            restart: self.spec.restart.as_supervisor(),
        }
    }

    async fn terminate_child(&mut self, pid: Pid) -> Result<(), NotFound> {
        let (producer, _) = self.children.remove(&pid).ok_or(NotFound)?;
        shutdown_one(self.stopping(pid)).await;
        if let Some(tag) = producer {
            self.maybe_ask(tag, 0, 1);
        }
        Ok(())
    }

    fn start_one(&mut self, e: E, producer: Option<Reference>) -> Result<Option<Pid>, ExitReason> {
        let keep = (self.spec.restart == Restart::Transient).then(|| e.clone());
        let r = (self.spec.start)(e);
        match &r {
            Ok(Some(pid)) => {
                self.children.insert(*pid, (producer, keep));
            }
            Ok(None) => {}
            Err(reason) => crate::runtime::logger::report_error!(
                "ConsumerSupervisor failed to start child from: {producer:?} with reason: {reason}"
            ),
        }
        r
    }

    /// Accounts `started` new children and `done` finished ones for a producer, and
    /// asks again once `min_demand` have finished.
    fn maybe_ask(&mut self, tag: Reference, started: u64, done: u64) {
        if let Some((sub, count, pending, min, max)) = self.producers.get_mut(&tag) {
            if *count + started > *max {
                crate::runtime::logger::report_error!(
                    "ConsumerSupervisor has received {} events in excess from: {sub:?}",
                    *count + started - *max
                );
            }
            *pending += done;
            if *pending >= *min {
                sub.ask(*pending);
                *pending = 0;
            }
            *count = (*count + started).saturating_sub(done);
        }
    }

    fn child_exited(&mut self, pid: Pid, reason: ExitReason) -> Emit<()> {
        let Some((producer, event)) = self.children.remove(&pid) else {
            return Emit::none();
        };
        let restart = self.spec.restart == Restart::Transient && !reason.is_clean();
        if !reason.is_clean() {
            crate::runtime::logger::report_error!(
                "ConsumerSupervisor child {pid} terminated with reason: {reason}"
            );
        }
        if let (true, Some(e)) = (restart, event) {
            let now = Instant::now();
            let window = Duration::from_secs(self.spec.max_seconds);
            self.restarts.push_back(now);
            while self
                .restarts
                .front()
                .is_some_and(|t| now.duration_since(*t) > window)
            {
                self.restarts.pop_front();
            }
            if self.restarts.len() > self.spec.max_restarts {
                crate::runtime::logger::report_error!(
                    "ConsumerSupervisor reached max restart intensity; shutting down"
                );
                return Emit::stop(ExitReason::Shutdown);
            }
            if let Ok(Some(_)) = self.start_one(e, producer) {
                return Emit::none();
            }
        }
        if let Some(tag) = producer {
            self.maybe_ask(tag, 0, 1);
        }
        Emit::none()
    }
}

impl<E: Event + Clone> GenStage for ConsumerSupervisor<E> {
    type Args = ConsumerSupervisorSpec<E>;
    type In = E;
    type Out = ();
    type Call = SupervisorCall<E>;
    type Cast = ();
    type Reply = SupervisorReply;

    async fn init(mut spec: ConsumerSupervisorSpec<E>) -> Init<Self> {
        crate::trap_exit(true);
        let subscribe_to = std::mem::take(&mut spec.subscribe_to);
        let mut init = Init::consumer(ConsumerSupervisor {
            spec,
            children: HashMap::new(),
            producers: HashMap::new(),
            restarts: VecDeque::new(),
        });
        for (to, opts) in subscribe_to {
            init = init.subscribe_to(to, opts);
        }
        init
    }

    async fn handle_subscribe(
        &mut self,
        role: Role,
        opts: &SubscribeOpts,
        from: &Subscription,
    ) -> Subscribed {
        if role == Role::Producer {
            let (max, min, _) = opts.validate().unwrap_or((1000, 500, Default::default()));
            from.ask(max);
            self.producers
                .insert(from.tag, (from.clone(), 0, 0, min, max));
        }
        Subscribed::Manual
    }

    async fn handle_cancel(&mut self, _: super::Cancel, from: &Subscription) -> Emit<()> {
        self.producers.remove(&from.tag);
        Emit::none()
    }

    async fn handle_events(&mut self, events: Vec<E>, from: &Subscription) -> Emit<()> {
        let (mut started, mut failed) = (0, 0);
        for e in events {
            match self.start_one(e, Some(from.tag)) {
                Ok(Some(_)) => started += 1,
                _ => failed += 1,
            }
        }
        self.maybe_ask(from.tag, started + failed, failed);
        Emit::none()
    }

    async fn handle_call(
        &mut self,
        req: SupervisorCall<E>,
        _: &ReplyTo<SupervisorReply>,
    ) -> CallResult<Self> {
        match req {
            SupervisorCall::WhichChildren => CallResult::reply(SupervisorReply::Children(
                self.children.keys().copied().collect(),
            )),
            SupervisorCall::CountChildren => {
                let n = self.children.len();
                CallResult::reply(SupervisorReply::Counts(ChildCounts {
                    specs: 1,
                    active: n,
                    supervisors: 0,
                    workers: n,
                }))
            }
            SupervisorCall::TerminateChild(pid) => {
                CallResult::reply(SupervisorReply::Terminated(self.terminate_child(pid).await))
            }
            SupervisorCall::StartChild(e) => {
                CallResult::reply(SupervisorReply::Started(self.start_one(e, None)))
            }
        }
    }

    async fn handle_info(&mut self, m: Message) -> Emit<()> {
        match m.downcast::<Exit>() {
            Ok(Exit { from, reason }) => self.child_exited(from, reason),
            Err(m) => {
                crate::runtime::logger::report_error!(
                    "ConsumerSupervisor received unexpected message: {m:?}"
                );
                Emit::none()
            }
        }
    }

    async fn terminate(&mut self, _: &ExitReason) {
        let children: Vec<Stopping> = self.children.keys().map(|p| self.stopping(*p)).collect();
        self.children.clear();
        shutdown_many(children).await;
    }
}

/// Starts a [`ConsumerSupervisor`] linked to the caller (Elixir's
/// `ConsumerSupervisor.start_link/2`). See [`ConsumerSupervisorSpec`] for an example.
pub async fn consumer_supervisor<E: Event + Clone>(
    spec: ConsumerSupervisorSpec<E>,
    opts: StartOpts,
) -> Result<Stage<ConsumerSupervisor<E>>, ServerStartError> {
    start_stage::<ConsumerSupervisor<E>>(spec, opts).await
}
