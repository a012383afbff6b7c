//! What a [`ConsumerSupervisor`](super::ConsumerSupervisor) is built from (its spec)
//! and the calls it answers.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tether_term::Pid;

use super::super::SubscribeOpts;
use super::super::wire::Event;
use crate::otp::supervisor::{self, ChildCounts, ChildInfo, ChildType, Shutdown};
use crate::{Dest, ExitReason};

/// How a child is started for an event: it returns the child's pid (linked to the
/// caller, which is the supervisor), `Ok(None)` to start nothing (`:ignore`), or an
/// error. A panic or an [`exit_self`](crate::exit_self) inside it is an error too
/// (Elixir's `ConsumerSupervisor` catches a start function's raise, throw or exit),
/// so a start function never takes the supervisor down.
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
    pub(super) fn as_supervisor(self) -> supervisor::Restart {
        match self {
            Restart::Temporary => supervisor::Restart::Temporary,
            Restart::Transient => supervisor::Restart::Transient,
        }
    }
}

/// What a [`ConsumerSupervisor`](super::ConsumerSupervisor) runs: the child template,
/// the restart options and the producers to subscribe to.
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
    pub(super) start: ChildStart<E>,
    pub(super) restart: Restart,
    pub(super) shutdown: Shutdown,
    pub(super) child_type: ChildType,
    pub(super) max_restarts: u32,
    pub(super) max_seconds: u64,
    pub(super) subscribe_to: Vec<(Dest, SubscribeOpts)>,
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
            child_type: ChildType::Worker,
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

    /// Whether the children are workers (the default) or supervisors, as
    /// `which_children` and `count_children` report them.
    pub fn child_type(mut self, t: ChildType) -> Self {
        self.child_type = t;
        self
    }

    /// At most `n` restarts (default 3) ...
    pub fn max_restarts(mut self, n: u32) -> Self {
        self.max_restarts = n;
        self
    }

    /// ... in `secs` seconds (default 5). As in OTP the window is counted in whole
    /// seconds of monotonic time, so `0` means "within the same second".
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

/// The calls a [`ConsumerSupervisor`](super::ConsumerSupervisor) answers (Elixir's
/// `ConsumerSupervisor` functions).
///
/// ```
/// use tether::Runtime;
/// use tether::otp::gen_server::StartOpts;
/// use tether::otp::gen_stage::{self, ConsumerSupervisorSpec, SupervisorCall, SupervisorReply};
/// use tether::otp::supervisor::ChildPid;
///
/// Runtime::new().unwrap().block_on(async {
///     let spec = ConsumerSupervisorSpec::task(|_: i64| std::future::pending::<()>());
///     let sup = gen_stage::consumer_supervisor(spec, StartOpts::new()).await.unwrap();
///     let Ok(SupervisorReply::Started(Ok(Some(child)))) = sup.call(SupervisorCall::StartChild(1)).await else { panic!() };
///     let Ok(SupervisorReply::Children(children)) = sup.call(SupervisorCall::WhichChildren).await else { panic!() };
///     assert_eq!(children.len(), 1);
///     assert_eq!(children[0].pid, ChildPid::Pid(child));
///     assert_eq!(children[0].id, None); // Elixir's `:undefined`
///     let Ok(SupervisorReply::Counts(counts)) = sup.call(SupervisorCall::CountChildren).await else { panic!() };
///     assert_eq!((counts.specs, counts.active, counts.workers), (1, 1, 1));
///     assert_eq!(sup.call(SupervisorCall::TerminateChild(child)).await.unwrap(), SupervisorReply::Terminated(Ok(())));
///     assert!(!tether::is_alive(child));
/// });
/// ```
#[derive(Debug)]
pub enum SupervisorCall<E> {
    /// The children (`which_children/1`): one [`ChildInfo`] each, with no id
    /// (`:undefined`) and [`ChildPid::Restarting`](supervisor::ChildPid::Restarting)
    /// for a child whose restart failed and is being retried.
    WhichChildren,
    /// Counts of the children (`count_children/1`): `specs` is always 1 (the one
    /// template); `workers` (or `supervisors`, per
    /// [`child_type`](ConsumerSupervisorSpec::child_type)) counts every child,
    /// restarting ones included; `active` leaves those out.
    CountChildren,
    /// Stops a child with the shutdown protocol (`terminate_child/2`); a restarting
    /// child is dropped and its retry cancelled.
    TerminateChild(Pid),
    /// Starts a child for `E` outside of demand accounting
    /// (`ConsumerSupervisor.start_child/2`); replies its pid, if any.
    StartChild(E),
}

/// The replies of [`SupervisorCall`].
#[derive(Debug, PartialEq)]
pub enum SupervisorReply {
    /// The children.
    Children(Vec<ChildInfo>),
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
