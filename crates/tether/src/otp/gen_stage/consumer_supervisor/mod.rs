//! ConsumerSupervisor: a consumer that starts a child process per event (Elixir's
//! `ConsumerSupervisor`).
//!
//! It subscribes with manual demand: it asks `max_demand` events per producer, starts
//! one child for each event it gets, and asks again once `min_demand` children (of
//! that producer) have finished — exited, failed to start, declined to start, or
//! were terminated with `terminate_child`. So at most `max_demand` children run per
//! producer: the producer is slowed down to the pace the children work at. Children
//! keep running when their producer goes away.
//!
//! Children are `temporary` (never restarted) or `transient` (restarted with the same
//! event after an abnormal exit). There is no `permanent` (a child per event must
//! end some day). A child being restarted still counts against its producer's
//! demand. The supervisor's state is a map from each child's pid to its producer (none
//! for a child from [`SupervisorCall::StartChild`]), its event (transient children
//! only) and whether it is *restarting*:
//!
//! ```text
//!   running ──abnormal exit (transient)──▶ restart ──started──▶ running (new pid)
//!                                            │  ├──ignored────▶ gone (counts as done)
//!                                            │  └──failed─────▶ restarting (old pid)
//!                                            │                    │ RetryChild(old pid) to self
//!                                            ◀────────────────────┘ (Elixir's {:"$gen_restart", pid})
//!   every attempt counts against max_restarts in max_seconds; beyond that the child
//!   is dropped and the supervisor stops with `shutdown` (stopping the other children)
//! ```
//!
//! A restarting child stays under its old pid: `which_children` shows it as
//! [`ChildPid::Restarting`], `count_children` counts it in `workers` but not in
//! `active`, and `terminate_child(old pid)` drops it (the queued retry then finds
//! nothing to do) and counts it as done for the demand. Restart intensity is the
//! supervisor's own rule (docs/semantics.md §5.5, whole seconds of monotonic time).
//!
//! [`SupervisorCall`] has Elixir's `which_children`, `count_children`,
//! `terminate_child` and `start_child`. Children are stopped (by `terminate_child`, or
//! all of them when the supervisor stops) with the supervisor's shutdown protocol
//! (docs/semantics.md §5.6): monitor and unlink, then `kill`
//! ([`Shutdown::BrutalKill`](crate::otp::supervisor::Shutdown::BrutalKill)) or
//! `shutdown` and a `kill` once the
//! [`Shutdown::Timeout`](crate::otp::supervisor::Shutdown::Timeout) has passed.
//!
//! Start functions run in the supervisor's process (so children link to it); a panic
//! or an `exit_self` in one is caught and becomes a start error, as Elixir catches a
//! start function's raise, throw or exit.

mod spec;

use std::collections::HashMap;
use std::time::Duration;

use tether_term::{Pid, Reference};

pub use spec::{
    ChildStart, ConsumerSupervisorSpec, NotFound, Restart, SupervisorCall, SupervisorReply,
};

use super::client::{Stage, start_link as start_stage};
use super::result::{CallResult, Emit, Init, Role, Subscribed};
use super::wire::{Event, Subscription};
use super::{GenStage, SubscribeOpts};
use crate::otp::gen_server::catch::catching_sync;
use crate::otp::gen_server::{ReplyTo, ServerStartError, StartOpts};
use crate::otp::supervisor::shutdown::{Stopping, shutdown_many, shutdown_one};
use crate::otp::supervisor::{ChildCounts, ChildInfo, ChildPid, ChildType, Intensity};
use crate::runtime::logger::report_error;
use crate::{Exit, ExitReason, Message};

/// The consumer stage behind [`consumer_supervisor`]; call it with
/// [`SupervisorCall`].
pub struct ConsumerSupervisor<E> {
    spec: ConsumerSupervisorSpec<E>,
    children: HashMap<Pid, Child<E>>,
    producers: HashMap<Reference, Demand>,
    intensity: Intensity,
}

/// One child, under its current pid (or, while restarting, the pid it exited as).
struct Child<E> {
    /// The subscription whose demand it counts against; `None` for a child from
    /// `StartChild` (Elixir's `:dynamic`).
    producer: Option<Reference>,
    /// The event to restart it with (transient children only).
    event: Option<E>,
    /// Its restart failed; a [`RetryChild`] is on its way.
    restarting: bool,
    /// Restart attempts so far (reported by `which_children`).
    restarts: u32,
}

/// The demand bookkeeping of one producer.
struct Demand {
    sub: Subscription,
    /// Children started for this producer and not finished yet.
    running: u64,
    /// Children finished since the last ask.
    finished: u64,
    min: u64,
    max: u64,
}

/// The retry of a failed restart of the child stored under this pid (Elixir's
/// `{:"$gen_restart", pid}`), sent by the supervisor to itself.
#[derive(Debug)]
struct RetryChild(Pid);

impl<E: Event + Clone> ConsumerSupervisor<E> {
    fn stopping(&self, pid: Pid) -> Stopping {
        Stopping {
            pid,
            shutdown: self.spec.shutdown,
            restart: self.spec.restart.as_supervisor(),
        }
    }

    /// Runs the start function, catching a panic or `exit_self` in it.
    fn run_start(&self, e: E) -> Result<Option<Pid>, ExitReason> {
        catching_sync(|| (self.spec.start)(e)).and_then(|r| r)
    }

    /// Starts a child for `e` and stores it.
    fn start_child(
        &mut self,
        e: E,
        producer: Option<Reference>,
    ) -> Result<Option<Pid>, ExitReason> {
        let event = (self.spec.restart == Restart::Transient).then(|| e.clone());
        let r = self.run_start(e);
        if let Ok(Some(pid)) = r {
            let child = Child {
                producer,
                event,
                restarting: false,
                restarts: 0,
            };
            self.children.insert(pid, child);
        }
        r
    }

    /// Accounts `started` new children and `done` finished ones for a producer, and
    /// asks again once `min_demand` have finished.
    fn maybe_ask(&mut self, tag: Reference, started: u64, done: u64) {
        let Some(d) = self.producers.get_mut(&tag) else {
            return;
        };
        if d.running + started > d.max {
            report_error!(
                "ConsumerSupervisor has received {} events in excess from: {:?}",
                d.running + started - d.max,
                d.sub
            );
        }
        d.finished += done;
        if d.finished >= d.min {
            d.sub.ask(d.finished);
            d.finished = 0;
        }
        d.running = (d.running + started).saturating_sub(done);
    }

    /// Forgets the child stored under `pid`; it counts as done for its producer.
    fn delete_and_maybe_ask(&mut self, pid: Pid) {
        if let Some(Child {
            producer: Some(tag),
            ..
        }) = self.children.remove(&pid)
        {
            self.maybe_ask(tag, 0, 1);
        }
    }

    fn child_exited(&mut self, pid: Pid, reason: ExitReason) -> Emit<()> {
        let Some(child) = self.children.get(&pid) else {
            return Emit::none();
        };
        if child.restarting {
            return Emit::none();
        }
        if reason.is_clean() {
            self.delete_and_maybe_ask(pid);
            return Emit::none();
        }
        report_error!("ConsumerSupervisor child {pid} terminated with reason: {reason}");
        match self.spec.restart {
            Restart::Transient => self.restart(pid),
            Restart::Temporary => {
                self.delete_and_maybe_ask(pid);
                Emit::none()
            }
        }
    }

    /// Restarts the child stored under `old` (its exited or restarting pid); stops
    /// the supervisor once the restart intensity is exceeded.
    fn restart(&mut self, old: Pid) -> Emit<()> {
        if !self.intensity.add_restart() {
            report_error!(
                "ConsumerSupervisor reached max restart intensity restarting {old}; shutting down"
            );
            self.delete_and_maybe_ask(old);
            return Emit::stop(ExitReason::Shutdown);
        }
        let Some(event) = self.children.get(&old).and_then(|c| c.event.clone()) else {
            self.delete_and_maybe_ask(old);
            return Emit::none();
        };
        match self.run_start(event) {
            Ok(Some(pid)) => {
                let mut child = self.children.remove(&old).expect("a known child");
                child.restarting = false;
                child.restarts = child.restarts.saturating_add(1);
                self.children.insert(pid, child);
            }
            Ok(None) => self.delete_and_maybe_ask(old),
            Err(reason) => {
                report_error!(
                    "ConsumerSupervisor failed to restart child {old} with reason: {reason}; trying again"
                );
                let child = self.children.get_mut(&old).expect("a known child");
                child.restarting = true;
                child.restarts = child.restarts.saturating_add(1);
                let _ = crate::send(crate::self_pid(), RetryChild(old));
            }
        }
        Emit::none()
    }

    async fn terminate_child(&mut self, pid: Pid) -> Result<(), NotFound> {
        let child = self.children.get(&pid).ok_or(NotFound)?;
        if !child.restarting {
            shutdown_one(self.stopping(pid)).await;
        }
        self.delete_and_maybe_ask(pid);
        Ok(())
    }

    fn which_children(&self) -> Vec<ChildInfo> {
        let info = |(pid, c): (&Pid, &Child<E>)| ChildInfo {
            id: None,
            pid: if c.restarting {
                ChildPid::Restarting
            } else {
                ChildPid::Pid(*pid)
            },
            child_type: self.spec.child_type,
            restarts: c.restarts,
        };
        self.children.iter().map(info).collect()
    }

    /// Elixir's counts: `specs` is always 1 (the template); `workers` or
    /// `supervisors` counts every child, `active` the ones not restarting.
    fn count_children(&self) -> ChildCounts {
        let all = self.children.len();
        let restarting = self.children.values().filter(|c| c.restarting).count();
        let (workers, supervisors) = match self.spec.child_type {
            ChildType::Worker => (all, 0),
            ChildType::Supervisor => (0, all),
        };
        ChildCounts {
            specs: 1,
            active: all - restarting,
            supervisors,
            workers,
        }
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
        let intensity = Intensity::new(spec.max_restarts, Duration::from_secs(spec.max_seconds));
        let mut init = Init::consumer(ConsumerSupervisor {
            spec,
            children: HashMap::new(),
            producers: HashMap::new(),
            intensity,
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
            let demand = Demand {
                sub: from.clone(),
                running: 0,
                finished: 0,
                min,
                max,
            };
            self.producers.insert(from.tag, demand);
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
            match self.start_child(e, Some(from.tag)) {
                Ok(Some(_)) => started += 1,
                Ok(None) => failed += 1,
                Err(reason) => {
                    report_error!(
                        "ConsumerSupervisor failed to start child from: {from:?} with reason: {reason}"
                    );
                    failed += 1;
                }
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
        CallResult::reply(match req {
            SupervisorCall::WhichChildren => SupervisorReply::Children(self.which_children()),
            SupervisorCall::CountChildren => SupervisorReply::Counts(self.count_children()),
            SupervisorCall::TerminateChild(pid) => {
                SupervisorReply::Terminated(self.terminate_child(pid).await)
            }
            SupervisorCall::StartChild(e) => SupervisorReply::Started(self.start_child(e, None)),
        })
    }

    async fn handle_info(&mut self, m: Message) -> Emit<()> {
        let m = match m.downcast::<Exit>() {
            Ok(Exit { from, reason }) => return self.child_exited(from, reason),
            Err(m) => m,
        };
        match m.downcast::<RetryChild>() {
            Ok(RetryChild(old)) => {
                // A retry loop must not keep the scheduler to itself.
                tokio::task::yield_now().await;
                match self.children.get(&old) {
                    Some(c) if c.restarting => self.restart(old),
                    // Terminated while the retry was queued.
                    _ => Emit::none(),
                }
            }
            Err(m) => {
                report_error!("ConsumerSupervisor received unexpected message: {m:?}");
                Emit::none()
            }
        }
    }

    async fn terminate(&mut self, _: &ExitReason) {
        let running: Vec<Stopping> = self
            .children
            .iter()
            .filter(|(_, c)| !c.restarting)
            .map(|(pid, _)| self.stopping(*pid))
            .collect();
        self.children.clear();
        shutdown_many(running).await;
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
