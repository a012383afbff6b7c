//! ConsumerSupervisor, ported from Elixir's GenStage 1.3.2
//! `test/consumer_supervisor_test.exs` (Apache 2.0): demand follows the children
//! (at most `max_demand` running per producer, more asked as `min_demand` finish),
//! temporary and transient children, restarts that fail and are tried again
//! (`:restarting` children), restart intensity, `start_child`, `which_children`,
//! `count_children`, `terminate_child`, shutdown of the children, subscriptions.
//! Each test names the case it comes from.
//!
//! Of the file's 44 cases, 33 are ported. Not applicable (11): "generates
//! child_spec/1", "start_link/3 with non-ok init", "... with bad child_spec", "sets
//! initial call to the same as a regular supervisor", "returns the callback module",
//! "supports old child spec", "supports new child spec as tuple", "... as atom",
//! "start_link/3 with new syntax" (a `ConsumerSupervisorSpec` is built in Rust: there
//! is no child-spec term, callback module, initial call or init to get wrong), and
//! "code_change/3 with non-ok init" and "... with ok init" (no hot code upgrade).
//!
//! Within the ported cases, what Rust's types rule out is left out: a start function
//! returns `Result<Option<Pid>, ExitReason>`, so there is no `{:ok, pid, info}`
//! (`:ok3`, started as a plain child here) and no wrong return value (`:unknown`:
//! where it made a restart fail, a start function that exits does here). Elixir's
//! throw / raise / exit in a start function are, in Rust, a panic with a non-string
//! payload, a `panic!` and an `exit_self`.
//!
//! Four tests are Tether's own:
//! `starts_a_child_per_event_and_asks_again_as_min_demand_children_finish`,
//! `temporary_children_are_not_restarted_and_transient_ones_are`,
//! `transient_children_crashing_beyond_max_restarts_stop_the_supervisor` and
//! `start_child_outside_demand_accounting`.

mod common;

use std::collections::HashSet;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{eventually, run};
use tether::otp::gen_server::ReplyTo;
use tether::otp::gen_server::StartOpts;
use tether::otp::gen_stage::Stage;
use tether::otp::gen_stage::{
    self, CallResult, CancelMode, ConsumerSupervisor, ConsumerSupervisorSpec, DemandMode, Emit,
    Event, GenStage, Init, NotFound, Restart, SubscribeError, SubscribeOpts, SupervisorCall,
    SupervisorReply,
};
use tether::otp::supervisor::{ChildCounts, ChildPid, ChildType, Shutdown};
use tether::{Down, Exit, ExitReason, Message, MonitorTarget, Pid, Term};

/// A child started for event `n`: tells the test `(n, its pid)`, then waits for a
/// `u8` (0: exit normally, 1: panic).
fn spec(test: Pid) -> ConsumerSupervisorSpec<i64> {
    ConsumerSupervisorSpec::task(move |n: i64| async move {
        tether::send(test, (n, tether::self_pid())).unwrap();
        if tether::receive::<u8>().await == 1 {
            panic!("child {n} fails");
        }
    })
}

async fn started() -> (i64, Pid) {
    tether::receive_timeout::<(i64, Pid)>(Duration::from_secs(10))
        .await
        .expect("a child starts")
}

async fn count(sup: &Stage<ConsumerSupervisor<i64>>) -> usize {
    match sup.call(SupervisorCall::CountChildren).await.unwrap() {
        SupervisorReply::Counts(c) => c.active,
        other => panic!("{other:?}"),
    }
}

/// A producer that emits what it is called with (the Elixir file's `Producer`
/// with `sync_queue`).
struct Queue<T = i64>(PhantomData<fn() -> T>);

impl<T: Event> GenStage for Queue<T> {
    type Args = ();
    type In = ();
    type Out = T;
    type Call = Vec<T>;
    type Cast = ();
    type Reply = ();
    async fn init(_: ()) -> Init<Self> {
        Init::producer(Queue(PhantomData))
    }
    async fn handle_demand(&mut self, _: u64) -> Emit<T> {
        Emit::none()
    }
    async fn handle_call(&mut self, events: Vec<T>, _: &ReplyTo<()>) -> CallResult<Self> {
        CallResult::Reply((), events)
    }
}

/// Events that make the start function fail or decline (Elixir's `:error`,
/// `:ignore`).
const ERROR: i64 = -1;
const IGNORE: i64 = -2;
/// Events from these up make children that sleep, trap exits and leave with
/// `{shutdown, oops}`, or trap exits and ignore them.
const SLEEPER: i64 = 1000;
const TRAPPER: i64 = 2000;
const STUBBORN: i64 = 3000;

/// What the start function tells the test besides started children.
#[derive(Debug, PartialEq)]
enum Declined {
    Error,
    Ignore,
}

/// [`spec`], plus `ERROR` / `IGNORE` events and the sleeping kinds of child.
fn codes(test: Pid) -> ConsumerSupervisorSpec<i64> {
    ConsumerSupervisorSpec::new(move |n: i64| match n {
        ERROR => {
            tether::send(test, Declined::Error).unwrap();
            Err(ExitReason::from("found"))
        }
        IGNORE => {
            tether::send(test, Declined::Ignore).unwrap();
            Ok(None)
        }
        n => Ok(Some(tether::spawn_link(async move {
            if n >= TRAPPER {
                tether::trap_exit(true);
            }
            tether::send(test, (n, tether::self_pid())).unwrap();
            if n >= STUBBORN {
                common::wait_forever().await
            } else if n >= TRAPPER {
                let _: Exit = tether::receive().await;
                tether::exit_self(shutdown_oops());
            } else if n >= SLEEPER {
                common::wait_forever().await
            } else if tether::receive::<u8>().await == 1 {
                panic!("child {n} fails");
            }
        }))),
    })
}

fn shutdown_oops() -> ExitReason {
    ExitReason::from_term(Term::tuple([Term::atom("shutdown"), Term::atom("oops")]))
}

async fn counts<E: Event + Clone>(sup: &Stage<ConsumerSupervisor<E>>) -> ChildCounts {
    match sup.call(SupervisorCall::CountChildren).await.unwrap() {
        SupervisorReply::Counts(c) => c,
        other => panic!("{other:?}"),
    }
}

fn workers(n: usize) -> ChildCounts {
    ChildCounts {
        specs: 1,
        active: n,
        supervisors: 0,
        workers: n,
    }
}

/// The children's pids (`ChildPid::Restarting` for one being restarted), after
/// checking the rest of each entry: no id (`:undefined`), a worker.
async fn which_pids<E: Event + Clone>(sup: &Stage<ConsumerSupervisor<E>>) -> Vec<ChildPid> {
    match sup.call(SupervisorCall::WhichChildren).await.unwrap() {
        SupervisorReply::Children(c) => c
            .into_iter()
            .map(|info| {
                assert_eq!((&info.id, info.child_type), (&None, ChildType::Worker));
                info.pid
            })
            .collect(),
        other => panic!("{other:?}"),
    }
}

/// The running children's pids (panics on a restarting one).
async fn which(sup: &Stage<ConsumerSupervisor<i64>>) -> Vec<Pid> {
    which_pids(sup)
        .await
        .into_iter()
        .map(|p| match p {
            ChildPid::Pid(p) => p,
            other => panic!("{other:?}"),
        })
        .collect()
}

async fn start_child<E: Event + Clone>(
    sup: &Stage<ConsumerSupervisor<E>>,
    n: E,
) -> Result<Option<Pid>, ExitReason> {
    match sup.call(SupervisorCall::StartChild(n)).await.unwrap() {
        SupervisorReply::Started(r) => r,
        other => panic!("{other:?}"),
    }
}

async fn terminate_child<E: Event + Clone>(
    sup: &Stage<ConsumerSupervisor<E>>,
    pid: Pid,
) -> Result<(), NotFound> {
    match sup.call(SupervisorCall::TerminateChild(pid)).await.unwrap() {
        SupervisorReply::Terminated(r) => r,
        other => panic!("{other:?}"),
    }
}

/// The Elixir file's `assert_kill`: exits `pid` with `reason` and waits until it is
/// gone.
async fn assert_kill(pid: Pid, reason: ExitReason) {
    let mref = tether::monitor(MonitorTarget::Pid(pid));
    tether::exit(pid, reason);
    down(mref).await;
}

async fn down(mref: tether::Reference) -> ExitReason {
    let m = tether::receive_select_timeout(Duration::from_secs(10), move |m: &Message| {
        m.downcast_ref::<Down>()
            .is_some_and(|d| d.reference == mref)
    })
    .await
    .expect("a DOWN");
    m.downcast::<Down>().unwrap().reason
}

async fn declined() -> Declined {
    tether::receive_timeout::<Declined>(Duration::from_secs(10))
        .await
        .expect("the start function declines")
}

fn temporary(max: u64, min: u64) -> SubscribeOpts {
    SubscribeOpts::new()
        .max_demand(max)
        .min_demand(min)
        .cancel(CancelMode::Temporary)
}

#[test]
fn starts_a_child_per_event_and_asks_again_as_min_demand_children_finish() {
    // "consumer supervisor" demand: max_demand 3, min_demand 2.
    run(async {
        let t = tether::self_pid();
        let producer = gen_stage::from_iter(0..100i64, DemandMode::Forward, StartOpts::new())
            .await
            .unwrap();
        let sup = gen_stage::consumer_supervisor(
            spec(t).subscribe_to(producer.pid(), temporary(3, 2)),
            StartOpts::new(),
        )
        .await
        .unwrap();
        // Children report from their own processes, in any order.
        let mut first = vec![started().await, started().await, started().await];
        first.sort_by_key(|c| c.0);
        assert_eq!(first.iter().map(|c| c.0).collect::<Vec<_>>(), [0, 1, 2]);
        let mut running: Vec<Pid> = first.into_iter().map(|c| c.1).collect();
        assert_eq!(count(&sup).await, 3, "max_demand children, no more");
        // One finishes: fewer than min_demand done, nothing asked.
        tether::send(running.remove(0), 0u8).unwrap();
        eventually("the child is gone", || async { count(&sup).await == 2 }).await;
        assert_eq!(
            tether::receive_timeout::<(i64, Pid)>(common::QUIET).await,
            None
        );
        // A second one finishes: 2 done, 2 more asked and started.
        tether::send(running.remove(0), 0u8).unwrap();
        let mut next = [started().await.0, started().await.0];
        next.sort();
        assert_eq!(next, [3, 4]);
        assert_eq!(count(&sup).await, 3);
    });
}

#[test]
fn temporary_children_are_not_restarted_and_transient_ones_are() {
    run(async {
        let t = tether::self_pid();
        for restart in [Restart::Temporary, Restart::Transient] {
            let producer = gen_stage::from_iter(0..1i64, DemandMode::Forward, StartOpts::new())
                .await
                .unwrap();
            let _sup = gen_stage::consumer_supervisor(
                spec(t)
                    .restart(restart)
                    .subscribe_to(producer.pid(), temporary(10, 5)),
                StartOpts::new(),
            )
            .await
            .unwrap();
            let (n, child) = started().await;
            assert_eq!(n, 0);
            tether::send(child, 1u8).unwrap(); // the child fails
            let again = tether::receive_timeout::<(i64, Pid)>(Duration::from_secs(3)).await;
            match restart {
                Restart::Temporary => assert_eq!(again, None),
                Restart::Transient => {
                    let (n, pid) = again.expect("restarted with its event");
                    assert_eq!(n, 0);
                    assert_ne!(pid, child);
                    tether::send(pid, 0u8).unwrap();
                }
            }
        }
    });
}

/// Children that crash after starting count against the restart intensity too.
#[test]
fn transient_children_crashing_beyond_max_restarts_stop_the_supervisor() {
    run(async {
        tether::trap_exit(true);
        let t = tether::self_pid();
        let producer = gen_stage::from_iter(0..1i64, DemandMode::Forward, StartOpts::new())
            .await
            .unwrap();
        let sup = gen_stage::consumer_supervisor(
            spec(t)
                .restart(Restart::Transient)
                .max_restarts(2)
                .subscribe_to(producer.pid(), temporary(10, 5)),
            StartOpts::new(),
        )
        .await
        .unwrap();
        for _ in 0..3 {
            let (_, child) = started().await;
            tether::send(child, 1u8).unwrap();
        }
        let exit =
            tether::receive_select_timeout(Duration::from_secs(10), move |m: &tether::Message| {
                m.downcast_ref::<tether::Exit>()
                    .is_some_and(|e| e.from == sup.pid())
            })
            .await
            .expect("the supervisor stops");
        assert_eq!(
            exit.downcast::<tether::Exit>().unwrap().reason,
            ExitReason::Shutdown
        );
    });
}

#[test]
fn start_child_outside_demand_accounting() {
    run(async {
        let t = tether::self_pid();
        let sup = gen_stage::consumer_supervisor(spec(t), StartOpts::new())
            .await
            .unwrap();
        let reply = sup.call(SupervisorCall::StartChild(42)).await.unwrap();
        let SupervisorReply::Started(Ok(Some(pid))) = reply else {
            panic!("{reply:?}")
        };
        assert_eq!(started().await, (42, pid));
        assert_eq!(count(&sup).await, 1);
        tether::send(pid, 0u8).unwrap();
        eventually("the child is gone", || async { count(&sup).await == 0 }).await;
    });
}

#[test]
fn start_link_3_with_registered_process() {
    use tether::otp::gen_server::ServerStartError;
    run(async {
        let t = tether::self_pid();
        let opts = || StartOpts::new().name("gen_stage_consumer_supervisor");
        let sup = gen_stage::consumer_supervisor(codes(t), opts())
            .await
            .unwrap();
        assert_eq!(
            tether::whereis("gen_stage_consumer_supervisor"),
            Some(sup.pid())
        );
        let again = gen_stage::consumer_supervisor(codes(t), opts()).await;
        assert_eq!(
            again.err(),
            Some(ServerStartError::AlreadyStarted(sup.pid()))
        );
    });
}

#[test]
fn start_child_2() {
    run(async {
        let t = tether::self_pid();
        let sup = gen_stage::consumer_supervisor(codes(t), StartOpts::new())
            .await
            .unwrap();
        let child = start_child(&sup, 1).await.unwrap().expect("a child");
        assert_eq!(started().await, (1, child));
        assert_eq!(
            start_child(&sup, ERROR).await,
            Err(ExitReason::from("found"))
        );
        assert_eq!(start_child(&sup, IGNORE).await, Ok(None));
        assert_eq!(which(&sup).await, vec![child]);
    });
}

#[test]
fn temporary_child_is_not_restarted_regardless_of_reason() {
    run(async {
        let t = tether::self_pid();
        let sup = gen_stage::consumer_supervisor(codes(t), StartOpts::new())
            .await
            .unwrap();
        for reason in [ExitReason::Shutdown, ExitReason::from("whatever")] {
            let child = start_child(&sup, SLEEPER).await.unwrap().unwrap();
            started().await;
            assert_kill(child, reason).await;
            eventually("no children", || async { counts(&sup).await == workers(0) }).await;
        }
        assert_eq!(
            tether::receive_timeout::<(i64, Pid)>(common::QUIET).await,
            None
        );
    });
}

#[test]
fn transient_child_is_restarted_unless_normal_shutdown_or_shutdown_tuple() {
    run(async {
        let t = tether::self_pid();
        let sup =
            gen_stage::consumer_supervisor(codes(t).restart(Restart::Transient), StartOpts::new())
                .await
                .unwrap();
        let shutdown_signal =
            ExitReason::from_term(Term::tuple([Term::atom("shutdown"), Term::atom("signal")]));
        for reason in [ExitReason::Shutdown, shutdown_signal] {
            let child = start_child(&sup, SLEEPER).await.unwrap().unwrap();
            started().await;
            assert_kill(child, reason).await;
            eventually("no children", || async { counts(&sup).await == workers(0) }).await;
        }
        assert_eq!(
            tether::receive_timeout::<(i64, Pid)>(common::QUIET).await,
            None
        );
        let child = start_child(&sup, SLEEPER).await.unwrap().unwrap();
        started().await;
        assert_kill(child, ExitReason::from("whatever")).await;
        let (n, again) = started().await;
        assert_eq!(n, SLEEPER, "restarted with its event");
        assert_ne!(again, child);
        assert_eq!(counts(&sup).await, workers(1));
    });
}

/// Starts three children of `kinds` under a supervisor with `shutdown`, stops the
/// supervisor with `shutdown` and returns how each child ended.
async fn children_stopped_with(shutdown: Shutdown, kinds: [i64; 3]) -> Vec<ExitReason> {
    tether::trap_exit(true);
    let t = tether::self_pid();
    let sup = gen_stage::consumer_supervisor(
        codes(t).restart(Restart::Transient).shutdown(shutdown),
        StartOpts::new(),
    )
    .await
    .unwrap();
    let mut monitors = Vec::new();
    for kind in kinds {
        let child = start_child(&sup, kind).await.unwrap().unwrap();
        started().await;
        monitors.push(tether::monitor(MonitorTarget::Pid(child)));
    }
    assert_kill(sup.pid(), ExitReason::Shutdown).await;
    let mut reasons = Vec::new();
    for mref in monitors {
        reasons.push(down(mref).await);
    }
    reasons
}

#[test]
fn terminates_children_with_brutal_kill() {
    run(async {
        let reasons = children_stopped_with(Shutdown::BrutalKill, [SLEEPER; 3]).await;
        assert_eq!(reasons, vec![ExitReason::Killed; 3]);
    });
}

#[test]
fn terminates_children_with_infinity_shutdown() {
    run(async {
        let reasons = children_stopped_with(Shutdown::Infinity, [SLEEPER; 3]).await;
        assert_eq!(reasons, vec![ExitReason::Shutdown; 3]);
    });
}

#[test]
fn terminates_children_with_infinity_shutdown_and_abnormal_reason() {
    run(async {
        let reasons = children_stopped_with(Shutdown::Infinity, [TRAPPER; 3]).await;
        assert_eq!(reasons, vec![shutdown_oops(); 3]);
    });
}

#[test]
fn terminates_children_with_integer_shutdown() {
    run(async {
        let s = Shutdown::Timeout(Duration::from_secs(1));
        let reasons = children_stopped_with(s, [SLEEPER; 3]).await;
        assert_eq!(reasons, vec![ExitReason::Shutdown; 3]);
    });
}

#[test]
fn terminates_children_with_integer_shutdown_and_abnormal_reason() {
    run(async {
        let s = Shutdown::Timeout(Duration::from_secs(1));
        let reasons = children_stopped_with(s, [TRAPPER; 3]).await;
        assert_eq!(reasons, vec![shutdown_oops(); 3]);
    });
}

#[test]
fn terminates_children_with_expired_integer_shutdown() {
    run(async {
        let s = Shutdown::Timeout(Duration::from_millis(1));
        let reasons = children_stopped_with(s, [SLEEPER, STUBBORN, SLEEPER]).await;
        assert_eq!(
            reasons,
            [
                ExitReason::Shutdown,
                ExitReason::Killed,
                ExitReason::Shutdown
            ]
        );
    });
}

/// "terminates child with brutal kill" and "terminates child with integer
/// shutdown" (`terminate_child/2`).
#[test]
fn terminates_child_with_brutal_kill_or_integer_shutdown() {
    run(async {
        let t = tether::self_pid();
        for (shutdown, reason) in [
            (Shutdown::BrutalKill, ExitReason::Killed),
            (
                Shutdown::Timeout(Duration::from_secs(1)),
                ExitReason::Shutdown,
            ),
        ] {
            let sup = gen_stage::consumer_supervisor(
                codes(t).restart(Restart::Transient).shutdown(shutdown),
                StartOpts::new(),
            )
            .await
            .unwrap();
            let child = start_child(&sup, SLEEPER).await.unwrap().unwrap();
            started().await;
            let mref = tether::monitor(MonitorTarget::Pid(child));
            assert_eq!(terminate_child(&sup, child).await, Ok(()));
            assert_eq!(down(mref).await, reason);
            assert_eq!(terminate_child(&sup, child).await, Err(NotFound));
            assert_eq!(counts(&sup).await, workers(0));
        }
    });
}

// ---- describe "sync_subscribe" ---------------------------------------------------------

#[test]
fn sync_subscribe_returns_ok_with_reference() {
    run(async {
        let t = tether::self_pid();
        let sup = gen_stage::consumer_supervisor(codes(t), StartOpts::new())
            .await
            .unwrap();
        let producer = gen_stage::start_link::<Queue>((), StartOpts::new())
            .await
            .unwrap();
        let r = gen_stage::sync_subscribe(sup.pid(), producer.pid(), SubscribeOpts::new()).await;
        assert!(r.is_ok(), "{r:?}");
    });
}

#[test]
fn sync_subscribe_returns_errors_on_bad_options() {
    run(async {
        let t = tether::self_pid();
        let sup = gen_stage::consumer_supervisor(codes(t), StartOpts::new())
            .await
            .unwrap();
        let r =
            gen_stage::sync_subscribe(sup.pid(), "whatever", SubscribeOpts::new().max_demand(0))
                .await;
        assert_eq!(
            r,
            Err(SubscribeError::BadOpts(
                "expected :max_demand to be equal to or greater than 1, got: 0".into()
            ))
        );
        let r =
            gen_stage::sync_subscribe(sup.pid(), "whatever", SubscribeOpts::new().min_demand(2000))
                .await;
        assert_eq!(
            r,
            Err(SubscribeError::BadOpts(
                "expected :min_demand to be equal to or less than 999, got: 2000".into()
            ))
        );
    });
}

/// "supervisor exits when there is no named producer and subscription is
/// permanent" and "... when producer is dead ...".
#[test]
fn sync_subscribe_supervisor_exits_when_the_producer_is_missing_and_subscription_is_permanent() {
    run(async {
        tether::trap_exit(true);
        let t = tether::self_pid();
        let dead = gen_stage::start_link::<Queue>((), StartOpts::new())
            .await
            .unwrap();
        dead.stop(ExitReason::Normal).await.unwrap();
        for to in [tether::Dest::from("unknown"), dead.pid().into()] {
            let sup = gen_stage::consumer_supervisor(codes(t), StartOpts::new())
                .await
                .unwrap();
            gen_stage::sync_subscribe(sup.pid(), to, SubscribeOpts::new())
                .await
                .unwrap();
            let pid = sup.pid();
            let exit =
                tether::receive_select_timeout(Duration::from_secs(10), move |m: &Message| {
                    m.downcast_ref::<Exit>().is_some_and(|e| e.from == pid)
                })
                .await
                .expect("the supervisor exits");
            assert_eq!(exit.downcast::<Exit>().unwrap().reason, ExitReason::Noproc);
        }
    });
}

/// "supervisor does not exit when there is no named producer and subscription is
/// temporary" and "... when producer is dead ...".
#[test]
fn sync_subscribe_supervisor_does_not_exit_when_the_producer_is_missing_and_subscription_is_temporary()
 {
    run(async {
        let t = tether::self_pid();
        let dead = gen_stage::start_link::<Queue>((), StartOpts::new())
            .await
            .unwrap();
        dead.stop(ExitReason::Normal).await.unwrap();
        let sup = gen_stage::consumer_supervisor(codes(t), StartOpts::new())
            .await
            .unwrap();
        for to in [tether::Dest::from("unknown"), dead.pid().into()] {
            let opts = SubscribeOpts::new().cancel(CancelMode::Temporary);
            gen_stage::sync_subscribe(sup.pid(), to, opts)
                .await
                .unwrap();
        }
        assert_eq!(counts(&sup).await, workers(0), "alive");
    });
}

// ---- describe "supervisor consuming start args" ----------------------------------------

async fn queue_and_supervisor(
    spec: ConsumerSupervisorSpec<i64>,
    max: u64,
    min: u64,
) -> (Stage<Queue>, Stage<ConsumerSupervisor<i64>>) {
    let producer = gen_stage::start_link::<Queue>((), StartOpts::new())
        .await
        .unwrap();
    let sup = gen_stage::consumer_supervisor(spec, StartOpts::new())
        .await
        .unwrap();
    gen_stage::sync_subscribe(sup.pid(), producer.pid(), temporary(max, min))
        .await
        .unwrap();
    (producer, sup)
}

/// "start child" (supervisor consuming start args).
#[test]
fn start_child_from_events() {
    run(async {
        let t = tether::self_pid();
        let (producer, sup) = queue_and_supervisor(codes(t), 1000, 500).await;
        producer.call(vec![1]).await.unwrap();
        let (_, first) = started().await;
        assert_eq!(which(&sup).await, vec![first]);
        producer.call(vec![2]).await.unwrap();
        started().await;
        assert_eq!(counts(&sup).await, workers(2));
        producer.call(vec![ERROR]).await.unwrap();
        assert_eq!(declined().await, Declined::Error);
        assert_eq!(which(&sup).await.len(), 2);
        assert_eq!(counts(&sup).await, workers(2));
        producer.call(vec![IGNORE]).await.unwrap();
        assert_eq!(declined().await, Declined::Ignore);
        assert_eq!(which(&sup).await.len(), 2);
        assert_eq!(counts(&sup).await, workers(2));
    });
}

#[test]
fn start_child_with_stream() {
    run(async {
        let t = tether::self_pid();
        let producer = gen_stage::from_iter([1i64, 2, 3], DemandMode::Forward, StartOpts::new())
            .await
            .unwrap();
        let sup = gen_stage::consumer_supervisor(codes(t), StartOpts::new())
            .await
            .unwrap();
        gen_stage::sync_subscribe(sup.pid(), producer.pid(), temporary(1000, 500))
            .await
            .unwrap();
        let mut got = vec![started().await.0, started().await.0, started().await.0];
        got.sort();
        assert_eq!(got, [1, 2, 3]);
    });
}

#[test]
fn start_child_limited_by_max_demand() {
    run(async {
        let t = tether::self_pid();
        let (producer, sup) = queue_and_supervisor(codes(t), 1, 0).await;
        producer
            .call(vec![SLEEPER, ERROR, IGNORE, SLEEPER, SLEEPER, SLEEPER])
            .await
            .unwrap();
        let (_, child1) = started().await;
        assert_eq!(which(&sup).await, vec![child1]);
        assert_eq!(counts(&sup).await, workers(1));
        assert_eq!(
            tether::receive_timeout::<Declined>(Duration::ZERO).await,
            None
        );
        assert_kill(child1, ExitReason::Shutdown).await;
        assert_eq!(declined().await, Declined::Error);
        assert_eq!(declined().await, Declined::Ignore);
        let (_, child2) = started().await;
        assert_eq!(which(&sup).await, vec![child2]);
        assert_eq!(counts(&sup).await, workers(1));
        assert_eq!(
            tether::receive_timeout::<(i64, Pid)>(Duration::ZERO).await,
            None
        );
        assert_eq!(terminate_child(&sup, child2).await, Ok(()));
        let (_, child3) = started().await;
        assert_eq!(which(&sup).await, vec![child3]);
        assert_eq!(counts(&sup).await, workers(1));
        assert_eq!(
            tether::receive_timeout::<(i64, Pid)>(common::QUIET).await,
            None
        );
    });
}

#[test]
fn children_remain_after_producer_down() {
    run(async {
        tether::trap_exit(true);
        let t = tether::self_pid();
        let (producer, sup) = queue_and_supervisor(codes(t), 2, 0).await;
        producer.call(vec![SLEEPER, SLEEPER]).await.unwrap();
        let (_, child1) = started().await;
        let (_, child2) = started().await;
        assert_eq!(counts(&sup).await, workers(2));
        assert_kill(producer.pid(), ExitReason::Shutdown).await;
        assert_eq!(counts(&sup).await, workers(2));
        assert_kill(child1, ExitReason::Shutdown).await;
        eventually("one child left", || async {
            which(&sup).await == vec![child2]
        })
        .await;
        assert_eq!(terminate_child(&sup, child2).await, Ok(()));
        assert_eq!(counts(&sup).await, workers(0));
        assert_eq!(which(&sup).await, vec![]);
    });
}

#[test]
fn ask_for_more_events_when_count_reaches_min_demand_high() {
    run(async {
        let t = tether::self_pid();
        let (producer, sup) = queue_and_supervisor(codes(t), 3, 2).await;
        producer
            .call(vec![SLEEPER, SLEEPER, SLEEPER])
            .await
            .unwrap();
        let (_, child1) = started().await;
        let (_, child2) = started().await;
        started().await;
        assert_eq!(counts(&sup).await, workers(3));
        assert_kill(child1, ExitReason::Shutdown).await;
        assert_kill(child2, ExitReason::Shutdown).await;
        eventually("one child left", || async {
            counts(&sup).await == workers(1)
        })
        .await;
        producer.call(vec![SLEEPER]).await.unwrap();
        started().await;
        producer.call(vec![SLEEPER]).await.unwrap();
        started().await;
        assert_eq!(counts(&sup).await, workers(3));
        // No demand left: this one waits in the producer's buffer.
        producer.call(vec![SLEEPER]).await.unwrap();
        assert_eq!(
            tether::receive_timeout::<(i64, Pid)>(common::QUIET).await,
            None
        );
    });
}

/// Sent by the raw producer of the "(low)" case if it is asked a second time.
#[derive(Debug)]
struct AskedAgain;

#[test]
fn ask_for_more_events_when_count_reaches_min_demand_low() {
    // The producer answers the first ask (3) with two events and reports any later
    // ask: with min_demand 0 and no child finished there must be none.
    run(async {
        let t = tether::self_pid();
        let is_gen_producer = |m: &Message| {
            m.to_term().is_some_and(
                |t| matches!(t.as_tuple(), Some([k, _, _]) if k.is_atom("$gen_producer")),
            )
        };
        let producer = tether::spawn(async move {
            let _subscribe = tether::receive_select(is_gen_producer).await;
            let ask = tether::receive_select(is_gen_producer)
                .await
                .to_term()
                .unwrap();
            let from = ask.as_tuple().unwrap()[1].clone();
            assert_eq!(
                ask.as_tuple().unwrap()[2],
                Term::tuple([Term::atom("ask"), Term::Int(3)])
            );
            let Some([Term::Pid(pid), _]) = from.as_tuple() else {
                panic!("{from}")
            };
            let events = Term::list([Term::Int(SLEEPER), Term::Int(SLEEPER)]);
            tether::send(
                *pid,
                Term::tuple([Term::atom("$gen_consumer"), from.clone(), events]),
            )
            .unwrap();
            let _again = tether::receive_select(is_gen_producer).await;
            tether::send(t, AskedAgain).unwrap();
        });
        let sup = gen_stage::consumer_supervisor(codes(t), StartOpts::new())
            .await
            .unwrap();
        gen_stage::sync_subscribe(sup.pid(), producer, temporary(3, 0))
            .await
            .unwrap();
        started().await;
        started().await;
        assert_eq!(
            tether::receive_timeout::<(i64, Pid)>(common::QUIET).await,
            None
        );
        assert!(
            tether::receive_timeout::<AskedAgain>(Duration::ZERO)
                .await
                .is_none()
        );
        tether::exit(producer, ExitReason::Kill);
    });
}

// ---- restarts: start functions that fail, `:restarting` children, intensity ------------

/// The events of the Elixir file's module-level `start_link/1,2` and of its
/// `Consumer.start_child/2`, as one start function ([`template`]) reads them.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
enum Ev {
    /// `:ok2`: a child that sleeps.
    Ok,
    /// `:error`: `{:error, :found}`.
    Error,
    /// `:ignore`.
    Ignore,
    /// `{:non_local, :error}`: the start function panics.
    Panic,
    /// `{:non_local, :throw}`: it panics with a non-string payload.
    Throw,
    /// `{:non_local, :exit}`: it calls `exit_self(oops)`.
    Exit,
    /// `{:restart, value}`: the first start is `:ok2`, any later one (a restart) is
    /// `value`.
    Restart(Box<Ev>),
    /// `:try_again`: starts and fails by turns, starting with a start.
    TryAgain,
}

/// What the start function tells the test.
#[derive(Debug, PartialEq)]
enum Note {
    Started(Pid),
    Error,
    Ignore,
    NonLocal(Ev),
    TryAgain(bool),
}

/// What the start function remembers between calls (the Elixir start functions
/// keep it in the supervisor's process dictionary) and how often a restart of
/// `Restart(Error)` failed.
#[derive(Default)]
struct Memory {
    seen: Mutex<HashSet<Ev>>,
    try_again: AtomicBool,
    failed_restarts: AtomicUsize,
}

fn template(test: Pid, memory: Arc<Memory>) -> ConsumerSupervisorSpec<Ev> {
    ConsumerSupervisorSpec::new(move |ev: Ev| start_ev(ev, test, &memory))
}

fn start_ev(ev: Ev, test: Pid, memory: &Memory) -> Result<Option<Pid>, ExitReason> {
    let note = |n: Note| tether::send(test, n).unwrap();
    match ev {
        Ev::Ok => {
            let pid = tether::spawn_link(common::wait_forever());
            note(Note::Started(pid));
            Ok(Some(pid))
        }
        Ev::Error => {
            note(Note::Error);
            Err(ExitReason::from("found"))
        }
        Ev::Ignore => {
            note(Note::Ignore);
            Ok(None)
        }
        Ev::Panic => {
            note(Note::NonLocal(Ev::Panic));
            panic!("oops")
        }
        Ev::Throw => {
            note(Note::NonLocal(Ev::Throw));
            std::panic::panic_any(42u8)
        }
        Ev::Exit => {
            note(Note::NonLocal(Ev::Exit));
            tether::exit_self(ExitReason::from("oops"))
        }
        Ev::Restart(value) => {
            let first = memory
                .seen
                .lock()
                .unwrap()
                .insert(Ev::Restart(value.clone()));
            match *value {
                _ if first => start_ev(Ev::Ok, test, memory),
                // Quietly: the retries of a failing restart come fast.
                Ev::Error => {
                    memory.failed_restarts.fetch_add(1, Ordering::SeqCst);
                    Err(ExitReason::from("found"))
                }
                value => start_ev(value, test, memory),
            }
        }
        Ev::TryAgain => {
            let start = !memory.try_again.fetch_xor(true, Ordering::SeqCst);
            note(Note::TryAgain(start));
            if start {
                start_ev(Ev::Ok, test, &Memory::default())
            } else {
                Err(ExitReason::from("try_again"))
            }
        }
    }
}

async fn note() -> Note {
    tether::receive_timeout::<Note>(Duration::from_secs(10))
        .await
        .expect("a note from the start function")
}

async fn started_child() -> Pid {
    match note().await {
        Note::Started(pid) => pid,
        other => panic!("{other:?}"),
    }
}

/// A supervisor of transient [`template`] children (Elixir's
/// `worker(__MODULE__, [], restart: :transient)`), with `max_restarts`.
async fn transient(
    max_restarts: u32,
    max_seconds: u64,
) -> (Stage<ConsumerSupervisor<Ev>>, Arc<Memory>) {
    let memory = Arc::new(Memory::default());
    let spec = template(tether::self_pid(), memory.clone())
        .restart(Restart::Transient)
        .max_restarts(max_restarts)
        .max_seconds(max_seconds);
    let sup = gen_stage::consumer_supervisor(spec, StartOpts::new())
        .await
        .unwrap();
    (sup, memory)
}

fn restart(value: Ev) -> Ev {
    Ev::Restart(Box::new(value))
}

/// Waits for the supervisor's exit signal (the test traps exits).
async fn exit_of(pid: Pid) -> ExitReason {
    let m = tether::receive_select_timeout(Duration::from_secs(10), move |m: &Message| {
        m.downcast_ref::<Exit>().is_some_and(|e| e.from == pid)
    })
    .await
    .expect("the supervisor exits");
    m.downcast::<Exit>().unwrap().reason
}

fn restarting(workers: usize, active: usize) -> ChildCounts {
    ChildCounts {
        specs: 1,
        active,
        supervisors: 0,
        workers,
    }
}

#[test]
fn start_child_2_with_throw_error_exit() {
    run(async {
        let (sup, _) = transient(3, 5).await;
        assert_eq!(
            start_child(&sup, Ev::Throw).await,
            Err(ExitReason::Panic("panic with a non-string payload".into()))
        );
        assert_eq!(
            start_child(&sup, Ev::Panic).await,
            Err(ExitReason::Panic("oops".into()))
        );
        assert_eq!(
            start_child(&sup, Ev::Exit).await,
            Err(ExitReason::from("oops"))
        );
        for kind in [Ev::Throw, Ev::Panic, Ev::Exit] {
            assert_eq!(note().await, Note::NonLocal(kind));
        }
        // The supervisor is fine and has no child.
        assert_eq!(counts(&sup).await, restarting(0, 0));
    });
}

/// "start child with throw/error/exit" (supervisor consuming start args).
#[test]
fn start_child_from_events_with_throw_error_exit() {
    run(async {
        let memory = Arc::new(Memory::default());
        let producer = gen_stage::start_link::<Queue<Ev>>((), StartOpts::new())
            .await
            .unwrap();
        let sup = gen_stage::consumer_supervisor(
            template(tether::self_pid(), memory).max_restarts(0),
            StartOpts::new(),
        )
        .await
        .unwrap();
        gen_stage::sync_subscribe(sup.pid(), producer.pid(), temporary(1000, 500))
            .await
            .unwrap();
        for kind in [Ev::Throw, Ev::Panic, Ev::Exit] {
            producer.call(vec![kind.clone()]).await.unwrap();
            assert_eq!(note().await, Note::NonLocal(kind));
            assert_eq!(which_pids(&sup).await, vec![]);
        }
        // Still consuming: the failed starts were counted as done.
        producer.call(vec![Ev::Ok]).await.unwrap();
        let child = started_child().await;
        assert_eq!(which_pids(&sup).await, vec![ChildPid::Pid(child)]);
    });
}

#[test]
fn child_is_restarted_with_different_values() {
    run(async {
        let (sup, _) = transient(100_000, 5).await;
        let child1 = start_child(&sup, restart(Ev::Ok)).await.unwrap().unwrap();
        assert_eq!(which_pids(&sup).await, vec![ChildPid::Pid(child1)]);
        assert_kill(child1, ExitReason::Kill).await;
        // Restarted as `Ok`: a new child in its place.
        started_child().await;
        started_child().await;
        assert_eq!(counts(&sup).await, workers(1));

        // `:ok3` has no Rust form: a second child restarted as `Ok` again.
        let child2 = start_child(&sup, restart(Ev::Ok)).await.unwrap().unwrap();
        started_child().await;
        let pids = which_pids(&sup).await;
        assert_eq!(pids.len(), 2);
        assert!(pids.contains(&ChildPid::Pid(child2)), "{pids:?}");
        assert_kill(child2, ExitReason::Kill).await;
        started_child().await;
        assert_eq!(counts(&sup).await, workers(2));

        // Restarted as `Ignore`: dropped.
        let child3 = start_child(&sup, restart(Ev::Ignore))
            .await
            .unwrap()
            .unwrap();
        started_child().await;
        assert_eq!(which_pids(&sup).await.len(), 3);
        assert_kill(child3, ExitReason::Kill).await;
        assert_eq!(note().await, Note::Ignore);
        assert_eq!(counts(&sup).await, workers(2));

        // Restarted as `Error`: kept as restarting, under its old pid.
        let child4 = start_child(&sup, restart(Ev::Error))
            .await
            .unwrap()
            .unwrap();
        started_child().await;
        assert_eq!(which_pids(&sup).await.len(), 3);
        assert_kill(child4, ExitReason::Kill).await;
        eventually("child4 restarting", || async {
            counts(&sup).await == restarting(3, 2)
        })
        .await;

        // `:unknown` has no Rust form; a start function that exits on restart
        // fails the same way.
        let child5 = start_child(&sup, restart(Ev::Exit)).await.unwrap().unwrap();
        started_child().await;
        let mut pids = which_pids(&sup).await;
        pids.sort_by_key(|p| *p == ChildPid::Restarting);
        assert_eq!(pids.len(), 4);
        assert!(pids[..3].iter().all(|p| matches!(p, ChildPid::Pid(_))));
        assert_eq!(pids[3], ChildPid::Restarting);
        assert_kill(child5, ExitReason::Kill).await;
        eventually("child5 restarting", || async {
            counts(&sup).await == restarting(4, 2)
        })
        .await;
        let pids = which_pids(&sup).await;
        let restarting_pids = pids.iter().filter(|p| **p == ChildPid::Restarting);
        assert_eq!(restarting_pids.count(), 2);
    });
}

#[test]
fn child_is_restarted_when_trying_again() {
    run(async {
        let (sup, _) = transient(2, 5).await;
        let child = start_child(&sup, Ev::TryAgain).await.unwrap().unwrap();
        assert_eq!(note().await, Note::TryAgain(true));
        assert_eq!(started_child().await, child);
        assert_kill(child, ExitReason::Kill).await;
        // The restart fails, the retry (sent to itself) starts it.
        assert_eq!(note().await, Note::TryAgain(false));
        assert_eq!(note().await, Note::TryAgain(true));
        let again = started_child().await;
        assert_ne!(again, child);
        assert_eq!(counts(&sup).await, workers(1));
        assert_eq!(which_pids(&sup).await, vec![ChildPid::Pid(again)]);
    });
}

/// "child triggers maximum restarts", "child triggers maximum seconds" and "child
/// triggers maximum intensity when trying again": a restart that fails is tried
/// again until the intensity (`max_restarts` attempts within `max_seconds`) is
/// exceeded; then the supervisor stops with `shutdown`.
fn child_triggers_maximum(max_restarts: u32, max_seconds: u64) {
    run(async move {
        tether::trap_exit(true);
        let (sup, memory) = transient(max_restarts, max_seconds).await;
        let child = start_child(&sup, restart(Ev::Error))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(started_child().await, child);
        assert_kill(child, ExitReason::Kill).await;
        assert_eq!(exit_of(sup.pid()).await, ExitReason::Shutdown);
        let failed = memory.failed_restarts.load(Ordering::SeqCst);
        // Every attempt failed and the one beyond the limit was not made; with
        // `max_seconds` 0 the window is one second, so a second boundary may allow
        // more.
        if max_seconds == 0 {
            assert!(failed >= max_restarts as usize, "{failed}");
        } else {
            assert_eq!(failed, max_restarts as usize);
        }
    });
}

#[test]
fn child_triggers_maximum_restarts() {
    child_triggers_maximum(1, 5);
}

#[test]
fn child_triggers_maximum_seconds() {
    child_triggers_maximum(3, 0);
}

#[test]
fn child_triggers_maximum_intensity_when_trying_again() {
    child_triggers_maximum(10, 5);
}

#[test]
fn terminates_restarting_child() {
    run(async {
        let (sup, memory) = transient(100_000, 5).await;
        let child = start_child(&sup, restart(Ev::Error))
            .await
            .unwrap()
            .unwrap();
        started_child().await;
        assert_kill(child, ExitReason::Kill).await;
        eventually("restarting", || async {
            which_pids(&sup).await == vec![ChildPid::Restarting]
        })
        .await;
        assert_eq!(terminate_child(&sup, child).await, Ok(()));
        assert_eq!(terminate_child(&sup, child).await, Err(NotFound));
        assert_eq!(counts(&sup).await, workers(0));
        // The retries stopped with it.
        let failed = memory.failed_restarts.load(Ordering::SeqCst);
        assert!(failed >= 1);
        tether::receive_timeout::<()>(common::QUIET).await;
        assert_eq!(memory.failed_restarts.load(Ordering::SeqCst), failed);
        assert_eq!(counts(&sup).await, workers(0));
    });
}

#[test]
fn restarting_children_counted_in_max_demand() {
    run(async {
        let memory = Arc::new(Memory::default());
        let producer = gen_stage::start_link::<Queue<Ev>>((), StartOpts::new())
            .await
            .unwrap();
        let spec = template(tether::self_pid(), memory)
            .restart(Restart::Transient)
            .max_restarts(100_000);
        let sup = gen_stage::consumer_supervisor(spec, StartOpts::new())
            .await
            .unwrap();
        gen_stage::sync_subscribe(sup.pid(), producer.pid(), temporary(1, 0))
            .await
            .unwrap();
        producer
            .call(vec![restart(Ev::Error), Ev::Ok, Ev::Ok, Ev::Ok])
            .await
            .unwrap();
        let child1 = started_child().await;
        assert_eq!(counts(&sup).await, workers(1));
        assert_eq!(which_pids(&sup).await, vec![ChildPid::Pid(child1)]);

        assert_kill(child1, ExitReason::Kill).await;
        eventually("restarting", || async {
            counts(&sup).await == restarting(1, 0)
        })
        .await;
        assert_eq!(which_pids(&sup).await, vec![ChildPid::Restarting]);
        // The restarting child holds the one event of demand.
        assert_eq!(tether::receive_timeout::<Note>(common::QUIET).await, None);

        assert_eq!(terminate_child(&sup, child1).await, Ok(()));
        let child2 = started_child().await;
        assert_eq!(counts(&sup).await, workers(1));
        assert_eq!(which_pids(&sup).await, vec![ChildPid::Pid(child2)]);

        // A transient child restarted: the same event, no new demand.
        assert_kill(child2, ExitReason::Kill).await;
        let child3 = started_child().await;
        assert_eq!(counts(&sup).await, workers(1));
        assert_eq!(which_pids(&sup).await, vec![ChildPid::Pid(child3)]);
        assert_eq!(tether::receive_timeout::<Note>(common::QUIET).await, None);
    });
}
