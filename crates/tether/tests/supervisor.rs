//! Behaviour tests for `Supervisor`: docs/semantics.md §5.1–§5.9.
//!
//! Ported from the cases listed in docs/semantics.md §5.12, which come from OTP's
//! `lib/stdlib/test/supervisor_SUITE.erl` (2025) and Elixir's
//! `lib/elixir/test/elixir/supervisor_test.exs`. Each test names its source case.
//! Where Erlang checks `count_children` as `[Specs, Active, Supervisors, Workers]`,
//! the same four numbers are checked here.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::{run, wait_forever};
use tether::otp::supervisor::{
    AutoShutdown, ChildCounts, ChildInfo, ChildPid, ChildSpec, ChildType, Restart, Shutdown,
    SpecError, Strategy, Supervisor, SupervisorError, SupervisorStartError, count_children,
    delete_child, get_childspec, restart_child, start_child, supervision_tree, terminate_child,
    which_children,
};
use tether::{Down, Exit, ExitReason, Pid, Term, receive, receive_select};

#[derive(Debug)]
struct Die(ExitReason);

/// A worker that exits with the reason it is sent.
fn worker(id: &str) -> ChildSpec {
    ChildSpec::process(id, || async {
        let Die(r) = receive::<Die>().await;
        tether::exit_self(r)
    })
}

fn counts(specs: usize, active: usize, supervisors: usize, workers: usize) -> ChildCounts {
    ChildCounts {
        specs,
        active,
        supervisors,
        workers,
    }
}

async fn pid_of(sup: Pid, id: &str) -> Option<Pid> {
    which_children(sup)
        .await
        .unwrap()
        .into_iter()
        .find_map(|c| match c {
            ChildInfo {
                id: Some(i),
                pid: ChildPid::Pid(p),
                ..
            } if i == id => Some(p),
            _ => None,
        })
}

/// Makes child `id` exit with `reason` and waits until it is dead. The supervisor
/// has handled its exit before it answers any later call.
async fn terminate(sup: Pid, id: &str, reason: ExitReason) -> Pid {
    let pid = pid_of(sup, id).await.expect("child running");
    let mref = tether::monitor(pid);
    tether::send(pid, Die(reason)).unwrap();
    down(mref).await;
    pid
}

async fn kill(pid: Pid) {
    let mref = tether::monitor(pid);
    tether::exit(pid, ExitReason::Kill);
    down(mref).await;
}

async fn down(mref: tether::Reference) -> ExitReason {
    let m = receive_select(move |m| {
        m.downcast_ref::<Down>()
            .is_some_and(|d| d.reference == mref)
    });
    m.await.downcast::<Down>().unwrap().reason
}

async fn start(strategy: Strategy, children: Vec<ChildSpec>) -> Pid {
    Supervisor::new(strategy)
        .children(children)
        .start_link()
        .await
        .unwrap()
}

fn shutdown_info() -> ExitReason {
    ExitReason::from_term(Term::tuple([
        Term::atom("shutdown"),
        Term::atom("some_info"),
    ]))
}

async fn restart_case(restart: Restart, reasons: Vec<ExitReason>, expect: ChildCounts) {
    tether::trap_exit(true);
    let sup = start(Strategy::OneForOne, vec![worker("c").restart(restart)]).await;
    for r in &reasons {
        let old = terminate(sup, "c", r.clone()).await;
        assert_eq!(count_children(sup).await.unwrap(), expect, "after {r}");
        if expect.active == 1 {
            assert_ne!(pid_of(sup, "c").await, Some(old));
        } else {
            // Bring it back for the next reason, if its spec was kept.
            if expect.specs == 1 {
                restart_child(sup, "c").await.unwrap();
            } else {
                start_child(sup, worker("c").restart(restart))
                    .await
                    .unwrap();
            }
        }
    }
}

/// §5.12 case 1, `supervisor_SUITE:permanent_normal`.
#[test]
fn permanent_normal() {
    run(restart_case(
        Restart::Permanent,
        vec![ExitReason::Normal],
        counts(1, 1, 0, 1),
    ))
}

/// §5.12 case 1, `supervisor_SUITE:transient_normal`.
#[test]
fn transient_normal() {
    run(restart_case(
        Restart::Transient,
        vec![ExitReason::Normal],
        counts(1, 0, 0, 1),
    ))
}

/// §5.12 case 1, `supervisor_SUITE:temporary_normal`.
#[test]
fn temporary_normal() {
    run(restart_case(
        Restart::Temporary,
        vec![ExitReason::Normal],
        counts(0, 0, 0, 0),
    ))
}

/// §5.12 case 2, `supervisor_SUITE:permanent_shutdown`.
#[test]
fn permanent_shutdown() {
    run(restart_case(
        Restart::Permanent,
        vec![ExitReason::Shutdown, shutdown_info()],
        counts(1, 1, 0, 1),
    ))
}

/// §5.12 case 2, `supervisor_SUITE:transient_shutdown`.
#[test]
fn transient_shutdown() {
    run(restart_case(
        Restart::Transient,
        vec![ExitReason::Shutdown, shutdown_info()],
        counts(1, 0, 0, 1),
    ))
}

/// §5.12 case 2, `supervisor_SUITE:temporary_shutdown`.
#[test]
fn temporary_shutdown() {
    run(restart_case(
        Restart::Temporary,
        vec![ExitReason::Shutdown, shutdown_info()],
        counts(0, 0, 0, 0),
    ))
}

/// §5.12 case 3, `supervisor_SUITE:permanent_abnormal`.
#[test]
fn permanent_abnormal() {
    run(restart_case(
        Restart::Permanent,
        vec!["abnormal".into()],
        counts(1, 1, 0, 1),
    ))
}

/// §5.12 case 3, `supervisor_SUITE:transient_abnormal`.
#[test]
fn transient_abnormal() {
    run(restart_case(
        Restart::Transient,
        vec!["abnormal".into()],
        counts(1, 1, 0, 1),
    ))
}

/// §5.12 case 3, `supervisor_SUITE:temporary_abnormal`.
#[test]
fn temporary_abnormal() {
    run(restart_case(
        Restart::Temporary,
        vec!["abnormal".into()],
        counts(0, 0, 0, 0),
    ))
}

/// §5.12 case 4, `supervisor_SUITE:one_for_one`: intensity 2 / 3600 s — two
/// crashes are survived, the third stops the supervisor with `shutdown`.
#[test]
fn one_for_one() {
    run(async {
        tether::trap_exit(true);
        let sup = Supervisor::new(Strategy::OneForOne)
            .max_restarts(2)
            .max_seconds(3600)
            .child(worker("child1"))
            .child(worker("child2"))
            .start_link()
            .await
            .unwrap();
        let mref = tether::monitor(sup);
        let c2 = pid_of(sup, "child2").await.unwrap();
        kill(pid_of(sup, "child1").await.unwrap()).await;
        kill(pid_of(sup, "child1").await.unwrap()).await;
        assert_eq!(count_children(sup).await.unwrap(), counts(2, 2, 0, 2));
        assert_eq!(
            pid_of(sup, "child2").await,
            Some(c2),
            "one_for_one leaves siblings alone"
        );
        kill(pid_of(sup, "child1").await.unwrap()).await;
        assert_eq!(down(mref).await, ExitReason::Shutdown);
        assert!(!tether::is_alive(c2));
    })
}

/// §5.12 case 5, `supervisor_SUITE:multiple_restarts`: intensity 1, period 1 —
/// crashes spaced 2.1 s apart never exceed the intensity.
#[test]
fn multiple_restarts() {
    run(async {
        tether::trap_exit(true);
        let sup = Supervisor::new(Strategy::OneForOne)
            .max_restarts(1)
            .max_seconds(1)
            .child(worker("c"))
            .start_link()
            .await
            .unwrap();
        for _ in 0..3 {
            kill(pid_of(sup, "c").await.unwrap()).await;
            assert_eq!(count_children(sup).await.unwrap(), counts(1, 1, 0, 1));
            // Time is the subject: the intensity window is real time (1 s), and the
            // crashes must fall in different windows.
            tether::sleep(Duration::from_millis(2100)).await;
        }
        assert!(tether::is_alive(sup));
    })
}

/// A worker whose first start succeeds and every later start fails.
fn fails_on_restart(id: &str) -> ChildSpec {
    let starts = Arc::new(AtomicUsize::new(0));
    ChildSpec::new(id, move || {
        let n = starts.fetch_add(1, Ordering::SeqCst);
        async move {
            if n == 0 {
                Ok(Some(tether::spawn_link(wait_forever())))
            } else {
                Err("nope".into())
            }
        }
    })
}

/// §5.12 case 6, `supervisor_SUITE:one_for_one_escalation`: a child whose restart
/// fails forever exhausts the intensity; the supervisor and its other child exit.
#[test]
fn one_for_one_escalation() {
    run(async {
        tether::trap_exit(true);
        let sup = start(
            Strategy::OneForOne,
            vec![fails_on_restart("child1"), worker("child2")],
        )
        .await;
        let mref = tether::monitor(sup);
        let c2 = pid_of(sup, "child2").await.unwrap();
        let c2_ref = tether::monitor(c2);
        tether::exit(pid_of(sup, "child1").await.unwrap(), "abnormal".into());
        assert_eq!(down(mref).await, ExitReason::Shutdown);
        assert_eq!(down(c2_ref).await, ExitReason::Shutdown);
    })
}

/// §5.12 case 7, `supervisor_SUITE:one_for_all`: a crash restarts every child.
#[test]
fn one_for_all() {
    run(async {
        tether::trap_exit(true);
        let sup = start(
            Strategy::OneForAll,
            vec![worker("child1"), worker("child2")],
        )
        .await;
        let c2 = pid_of(sup, "child2").await.unwrap();
        let c2_ref = tether::monitor(c2);
        terminate(sup, "child1", "abnormal".into()).await;
        assert_eq!(down(c2_ref).await, ExitReason::Shutdown);
        assert_eq!(count_children(sup).await.unwrap(), counts(2, 2, 0, 2));
        assert_ne!(pid_of(sup, "child2").await, Some(c2));
    })
}

/// §5.12 case 7, `supervisor_SUITE:one_for_all_other_child_fails_restart`: the
/// sibling cannot restart, the retries exhaust the intensity.
#[test]
fn one_for_all_other_child_fails_restart() {
    run(async {
        tether::trap_exit(true);
        let sup = start(
            Strategy::OneForAll,
            vec![worker("child1"), fails_on_restart("child2")],
        )
        .await;
        let mref = tether::monitor(sup);
        terminate(sup, "child1", "abnormal".into()).await;
        assert_eq!(down(mref).await, ExitReason::Shutdown);
    })
}

/// §5.12 case 7, `supervisor_SUITE:rest_for_one`: children after the crashed one
/// are restarted, the ones before are not.
#[test]
fn rest_for_one() {
    run(async {
        tether::trap_exit(true);
        let sup = start(
            Strategy::RestForOne,
            vec![worker("child1"), worker("child2"), worker("child3")],
        )
        .await;
        let c1 = pid_of(sup, "child1").await.unwrap();
        let c3 = pid_of(sup, "child3").await.unwrap();
        let c3_ref = tether::monitor(c3);
        let c2 = terminate(sup, "child2", "abnormal".into()).await;
        assert_eq!(down(c3_ref).await, ExitReason::Shutdown);
        assert_eq!(pid_of(sup, "child1").await, Some(c1));
        assert_ne!(pid_of(sup, "child2").await, Some(c2));
        assert_ne!(pid_of(sup, "child3").await, Some(c3));
        assert_eq!(count_children(sup).await.unwrap(), counts(3, 3, 0, 3));
    })
}

/// §5.12 case 7, `supervisor_SUITE:rest_for_one_other_child_fails_restart`.
#[test]
fn rest_for_one_other_child_fails_restart() {
    run(async {
        tether::trap_exit(true);
        let sup = start(
            Strategy::RestForOne,
            vec![worker("child1"), fails_on_restart("child2")],
        )
        .await;
        let mref = tether::monitor(sup);
        terminate(sup, "child1", "abnormal".into()).await;
        assert_eq!(down(mref).await, ExitReason::Shutdown);
    })
}

/// §5.12 case 8, `supervisor_SUITE:temporary_bystander`: a temporary sibling caught
/// in a one_for_all / rest_for_one sweep is stopped, dropped, and not restarted;
/// it does not burn intensity.
#[test]
fn temporary_bystander() {
    run(async {
        tether::trap_exit(true);
        for strategy in [Strategy::OneForAll, Strategy::RestForOne] {
            let sup = Supervisor::new(strategy)
                .max_restarts(1)
                .child(worker("child1"))
                .child(worker("child2").restart(Restart::Temporary))
                .start_link()
                .await
                .unwrap();
            terminate(sup, "child1", "abnormal".into()).await;
            assert_eq!(
                count_children(sup).await.unwrap(),
                counts(1, 1, 0, 1),
                "{strategy:?}"
            );
            // One restart used of one allowed: the supervisor is still up.
            assert!(tether::is_alive(sup));
        }
    })
}

/// §5.12 case 9, `supervisor_SUITE:sup_start_fail`: init crashes.
#[test]
fn sup_start_fail() {
    run(async {
        tether::trap_exit(true);
        let r = Supervisor::start_link_init(|| async { panic!("init crashed") }).await;
        assert!(
            matches!(r, Err(SupervisorStartError::Init(ExitReason::Panic(_)))),
            "{r:?}"
        );
    })
}

/// §5.12 case 9, `supervisor_SUITE:sup_start_error_return`: init returns an error.
#[test]
fn sup_start_error_return() {
    run(async {
        tether::trap_exit(true);
        let r = Supervisor::start_link_init(|| async { Err("bad_return".into()) }).await;
        assert_eq!(r, Err(SupervisorStartError::Init("bad_return".into())));
    })
}

/// §5.12 case 9, `supervisor_SUITE:sup_start_ignore_init`.
#[test]
fn sup_start_ignore_init() {
    run(async {
        let r = Supervisor::start_link_init(|| async { Ok(None) }).await;
        assert_eq!(r, Ok(None));
    })
}

/// §5.12 case 9, `supervisor_SUITE:sup_start_ignore_child`: an ignoring child keeps
/// its spec with pid undefined; `which_children` lists the newest first (O3).
#[test]
fn sup_start_ignore_child() {
    run(async {
        let ignore = |id: &str| ChildSpec::new(id, || async { Ok(None) });
        let sup = start(Strategy::OneForOne, vec![ignore("child1")]).await;
        assert_eq!(start_child(sup, ignore("child2")).await, Ok(None));
        let p3 = start_child(sup, worker("child3")).await.unwrap().unwrap();
        let p4 = start_child(sup, worker("child4")).await.unwrap().unwrap();
        let children: Vec<_> = which_children(sup)
            .await
            .unwrap()
            .into_iter()
            .map(|c| (c.id.unwrap(), c.pid))
            .collect();
        assert_eq!(
            children,
            vec![
                ("child4".into(), ChildPid::Pid(p4)),
                ("child3".into(), ChildPid::Pid(p3)),
                ("child2".into(), ChildPid::Undefined),
                ("child1".into(), ChildPid::Undefined),
            ]
        );
        assert_eq!(count_children(sup).await.unwrap(), counts(4, 2, 0, 4));
    })
}

/// §5.12 case 9, `supervisor_SUITE:sup_start_ignore_temporary_child`: a temporary
/// child that ignores is not kept.
#[test]
fn sup_start_ignore_temporary_child() {
    run(async {
        let ignore =
            |id: &str| ChildSpec::new(id, || async { Ok(None) }).restart(Restart::Temporary);
        let sup = start(Strategy::OneForOne, vec![ignore("child1")]).await;
        assert_eq!(start_child(sup, ignore("child2")).await, Ok(None));
        assert_eq!(which_children(sup).await.unwrap(), vec![]);
        assert_eq!(count_children(sup).await.unwrap(), counts(0, 0, 0, 0));
    })
}

/// §5.12 case 9, `supervisor_SUITE:sup_start_child_returns_error`: the error is
/// returned and the spec discarded.
#[test]
fn sup_start_child_returns_error() {
    run(async {
        let sup = start(Strategy::OneForOne, vec![]).await;
        let bad = ChildSpec::new("child1", || async { Err("error".into()) });
        assert_eq!(
            start_child(sup, bad).await,
            Err(SupervisorError::StartFailed("error".into()))
        );
        assert_eq!(count_children(sup).await.unwrap(), counts(0, 0, 0, 0));
    })
}

/// §5.12 case 9, `supervisor_SUITE:sup_start_restart_child_returns_error`: a manual
/// restart that fails returns the error and keeps the spec (no retry loop, I5).
#[test]
fn sup_start_restart_child_returns_error() {
    run(async {
        let sup = start(Strategy::OneForOne, vec![fails_on_restart("child1")]).await;
        terminate_child(sup, "child1").await.unwrap();
        assert_eq!(
            restart_child(sup, "child1").await,
            Err(SupervisorError::StartFailed("nope".into()))
        );
        let c = which_children(sup).await.unwrap();
        assert_eq!(c[0].pid, ChildPid::Undefined);
    })
}

/// §5.7 I1: a child that fails at init aborts the start; the children started
/// before it are stopped; the error names the child.
#[test]
fn sup_start_failed_to_start_child() {
    run(async {
        tether::trap_exit(true);
        let parent = tether::self_pid();
        let first = ChildSpec::new("first", move || async move {
            let pid = tether::spawn_link(wait_forever());
            tether::send(parent, pid).unwrap();
            Ok(Some(pid))
        });
        let bad = ChildSpec::new("bad", || async { Err("no_way".into()) });
        let r = Supervisor::new(Strategy::OneForOne)
            .child(first)
            .child(bad)
            .start_link()
            .await;
        assert_eq!(
            r,
            Err(SupervisorStartError::FailedToStartChild {
                id: "bad".into(),
                reason: "no_way".into()
            })
        );
        let first_pid: Pid = receive().await;
        assert!(!tether::is_alive(first_pid));
        // A start function that panics fails with {'EXIT', Reason}.
        let crash = ChildSpec::new("crash", || async { panic!("in start") });
        let r = Supervisor::new(Strategy::OneForOne)
            .child(crash)
            .start_link()
            .await;
        let Err(SupervisorStartError::FailedToStartChild { reason, .. }) = r else {
            panic!("{r:?}")
        };
        assert!(matches!(reason.to_term(), Term::Tuple(t) if t[0].is_atom("EXIT")));
    })
}

/// §5.12 case 10, `supervisor_SUITE:sup_flags` and `child_specs`: every validation
/// error the Rust types can express.
#[test]
fn sup_flags_and_child_specs() {
    run(async {
        tether::trap_exit(true);
        let r = Supervisor::new(Strategy::OneForOne)
            .max_seconds(0)
            .start_link()
            .await;
        assert_eq!(r, Err(SupervisorStartError::InvalidPeriod(0)));
        let r = start_err(vec![worker("a"), worker("a")]).await;
        assert_eq!(
            r,
            SupervisorStartError::StartSpec(SpecError::DuplicateChildName("a".into()))
        );
        let r = start_err(vec![
            worker("a").significant(true).restart(Restart::Transient),
        ])
        .await;
        assert_eq!(
            r,
            SupervisorStartError::StartSpec(SpecError::SignificantWithoutAutoShutdown("a".into()))
        );
        let r = Supervisor::new(Strategy::OneForOne)
            .auto_shutdown(AutoShutdown::AnySignificant)
            .child(worker("a").significant(true))
            .start_link()
            .await;
        assert_eq!(
            r,
            Err(SupervisorStartError::StartSpec(
                SpecError::SignificantPermanent("a".into())
            ))
        );
        // At start_child the same errors come back unwrapped.
        let sup = start(Strategy::OneForOne, vec![]).await;
        assert_eq!(
            start_child(
                sup,
                worker("b").significant(true).restart(Restart::Temporary)
            )
            .await,
            Err(SupervisorError::InvalidSpec(
                SpecError::SignificantWithoutAutoShutdown("b".into())
            ))
        );
        // Defaults filled in (`sup_start_map`).
        start_child(sup, worker("w")).await.unwrap();
        let spec = get_childspec(sup, "w").await.unwrap();
        assert_eq!(spec.restart, Restart::Permanent);
        assert_eq!(spec.shutdown, Shutdown::Timeout(Duration::from_secs(5)));
        assert_eq!(spec.child_type, ChildType::Worker);
        let s = ChildSpec::supervisor("s", Supervisor::new(Strategy::OneForOne));
        assert_eq!(
            (s.child_type, s.shutdown),
            (ChildType::Supervisor, Shutdown::Infinity)
        );
        assert!(matches!(
            get_childspec(sup, "x").await,
            Err(SupervisorError::NotFound)
        ));
    })
}

async fn start_err(children: Vec<ChildSpec>) -> SupervisorStartError {
    Supervisor::new(Strategy::OneForOne)
        .children(children)
        .start_link()
        .await
        .unwrap_err()
}

/// A child that traps exits and takes `delay` to stop after `shutdown`; it tells
/// `parent` its pid first.
fn slow_stopper(id: &str, parent: Pid, delay: Duration) -> ChildSpec {
    ChildSpec::process(id, move || async move {
        tether::trap_exit(true);
        tether::send(parent, tether::self_pid()).unwrap();
        let _: Exit = receive().await;
        // Slow to stop: the behaviour under test.
        tether::sleep(delay).await;
        tether::exit_self(ExitReason::Shutdown)
    })
}

async fn stop_case(shutdown: Shutdown, delay: Duration) -> ExitReason {
    tether::trap_exit(true);
    let me = tether::self_pid();
    let sup = start(
        Strategy::OneForOne,
        vec![slow_stopper("c", me, delay).shutdown(shutdown)],
    )
    .await;
    let child: Pid = receive().await;
    let child_ref = tether::monitor(child);
    let sup_ref = tether::monitor(sup);
    tether::exit(sup, ExitReason::Shutdown);
    let reason = down(child_ref).await;
    assert_eq!(down(sup_ref).await, ExitReason::Shutdown);
    reason
}

/// §5.12 case 11, `supervisor_SUITE:sup_stop_infinity`: the supervisor waits for
/// the child however long it takes.
#[test]
fn sup_stop_infinity() {
    run(async {
        assert_eq!(
            stop_case(Shutdown::Infinity, Duration::from_millis(300)).await,
            ExitReason::Shutdown
        );
    })
}

/// §5.12 case 11, `supervisor_SUITE:sup_stop_timeout`: a child slower than its
/// shutdown timeout is killed.
#[test]
fn sup_stop_timeout() {
    run(async {
        let r = stop_case(
            Shutdown::Timeout(Duration::from_millis(50)),
            Duration::from_secs(60),
        )
        .await;
        assert_eq!(r, ExitReason::Killed);
        let r = stop_case(Shutdown::Timeout(Duration::from_secs(10)), Duration::ZERO).await;
        assert_eq!(r, ExitReason::Shutdown);
    })
}

/// §5.12 case 11, `supervisor_SUITE:sup_stop_brutal_kill`: killed at once even if
/// it traps exits.
#[test]
fn sup_stop_brutal_kill() {
    run(async {
        assert_eq!(
            stop_case(Shutdown::BrutalKill, Duration::from_secs(60)).await,
            ExitReason::Killed
        );
    })
}

/// §5.6 O5: a child that unlinked itself cannot hang the supervisor's shutdown.
#[test]
fn shutdown_of_unlinked_child() {
    run(async {
        tether::trap_exit(true);
        let sup = start(Strategy::OneForOne, vec![]).await;
        let spec = ChildSpec::new("c", || async {
            let me = tether::self_pid();
            let pid = tether::spawn_link(async move {
                tether::unlink(me);
                wait_forever().await
            });
            Ok(Some(pid))
        });
        let pid = start_child(sup, spec).await.unwrap().unwrap();
        terminate_child(sup, "c").await.unwrap();
        assert!(!tether::is_alive(pid));
    })
}

/// §5.12 case 12, `supervisor_SUITE:hanging_restart_loop`: while a child's restart
/// keeps failing the supervisor still answers; `terminate_child` ends the loop.
#[test]
fn hanging_restart_loop() {
    run(async {
        tether::trap_exit(true);
        let sup = Supervisor::new(Strategy::OneForOne)
            .max_restarts(u32::MAX)
            .child(fails_on_restart("child1"))
            .start_link()
            .await
            .unwrap();
        kill(pid_of(sup, "child1").await.unwrap()).await;
        let c = which_children(sup).await.unwrap();
        assert_eq!(c[0].pid, ChildPid::Restarting);
        assert_eq!(count_children(sup).await.unwrap(), counts(1, 0, 0, 1));
        assert_eq!(
            restart_child(sup, "child1").await,
            Err(SupervisorError::Restarting)
        );
        assert_eq!(
            delete_child(sup, "child1").await,
            Err(SupervisorError::Restarting)
        );
        assert_eq!(
            start_child(sup, worker("child1")).await,
            Err(SupervisorError::AlreadyPresent)
        );
        assert_eq!(terminate_child(sup, "child1").await, Ok(()));
        assert_eq!(
            which_children(sup).await.unwrap()[0].pid,
            ChildPid::Undefined
        );
        assert_eq!(delete_child(sup, "child1").await, Ok(()));
        assert!(tether::is_alive(sup));
    })
}

/// §5.12 case 13, `supervisor_SUITE:count_children` (with supervisor children).
#[test]
fn count_children_test() {
    run(async {
        let inner = Supervisor::new(Strategy::OneForOne);
        let sup = start(
            Strategy::OneForOne,
            vec![
                worker("w1"),
                worker("w2"),
                ChildSpec::supervisor("s1", inner),
            ],
        )
        .await;
        assert_eq!(count_children(sup).await.unwrap(), counts(3, 3, 1, 2));
        terminate_child(sup, "w1").await.unwrap();
        assert_eq!(count_children(sup).await.unwrap(), counts(3, 2, 1, 2));
        terminate_child(sup, "s1").await.unwrap();
        assert_eq!(count_children(sup).await.unwrap(), counts(3, 1, 1, 2));
    })
}

/// §5.12 case 13, `supervisor_SUITE:count_restarting_children`.
#[test]
fn count_restarting_children() {
    run(async {
        tether::trap_exit(true);
        let sup = Supervisor::new(Strategy::OneForOne)
            .max_restarts(u32::MAX)
            .child(fails_on_restart("a"))
            .child(fails_on_restart("b"))
            .child(worker("c"))
            .start_link()
            .await
            .unwrap();
        kill(pid_of(sup, "a").await.unwrap()).await;
        kill(pid_of(sup, "b").await.unwrap()).await;
        assert_eq!(count_children(sup).await.unwrap(), counts(3, 1, 0, 3));
        terminate_child(sup, "a").await.unwrap();
        terminate_child(sup, "b").await.unwrap();
    })
}

/// §5.12 case 13, `supervisor_SUITE:which_children` and `order_of_children`:
/// started in list order, listed newest first, restarts keep positions.
#[test]
fn which_children_and_order_of_children() {
    run(async {
        tether::trap_exit(true);
        let me = tether::self_pid();
        // The start function runs in the supervisor, so its sends show the order.
        let tell = |id: &'static str| {
            ChildSpec::new(id, move || async move {
                tether::send(me, id).unwrap();
                Ok(Some(tether::spawn_link(async {
                    let Die(r) = receive::<Die>().await;
                    tether::exit_self(r)
                })))
            })
        };
        let sup = start(Strategy::RestForOne, vec![tell("a"), tell("b"), tell("c")]).await;
        let started = [receive::<&str>().await, receive().await, receive().await];
        assert_eq!(started, ["a", "b", "c"]);
        let ids = |c: Vec<ChildInfo>| c.into_iter().map(|c| c.id.unwrap()).collect::<Vec<_>>();
        assert_eq!(ids(which_children(sup).await.unwrap()), ["c", "b", "a"]);
        terminate(sup, "b", "abnormal".into()).await;
        // rest_for_one restarts b then c, in order.
        assert_eq!([receive::<&str>().await, receive().await], ["b", "c"]);
        assert_eq!(ids(which_children(sup).await.unwrap()), ["c", "b", "a"]);
    })
}

/// §5.12 case 14, Elixir `supervisor_test.exs: "child life cycle"`.
#[test]
fn child_life_cycle() {
    run(async {
        // A counter whose state comes from its original args on every (re)start.
        let spec = ChildSpec::process("counter", || async {
            let mut n = 0u32;
            loop {
                let from: Pid = receive().await;
                n += 1;
                tether::send(from, n).unwrap();
            }
        });
        let sup = start(Strategy::OneForOne, vec![]).await;
        let pid = start_child(sup, spec).await.unwrap().unwrap();
        tether::send(pid, tether::self_pid()).unwrap();
        tether::send(pid, tether::self_pid()).unwrap();
        assert_eq!([receive::<u32>().await, receive().await], [1, 2]);
        assert_eq!(
            delete_child(sup, "counter").await,
            Err(SupervisorError::Running)
        );
        assert_eq!(terminate_child(sup, "counter").await, Ok(()));
        let pid = restart_child(sup, "counter").await.unwrap().unwrap();
        tether::send(pid, tether::self_pid()).unwrap();
        assert_eq!(receive::<u32>().await, 1);
        assert_eq!(terminate_child(sup, "counter").await, Ok(()));
        assert_eq!(delete_child(sup, "counter").await, Ok(()));
        assert_eq!(
            delete_child(sup, "counter").await,
            Err(SupervisorError::NotFound)
        );
        assert_eq!(
            terminate_child(sup, "counter").await,
            Err(SupervisorError::NotFound)
        );
        assert_eq!(
            restart_child(sup, "counter").await,
            Err(SupervisorError::NotFound)
        );
    })
}

/// §5.9, `supervisor_SUITE:significant_temporary`: a significant temporary child
/// ending stops an `any_significant` supervisor.
#[test]
fn significant_temporary() {
    run(async {
        tether::trap_exit(true);
        let sup = Supervisor::new(Strategy::OneForOne)
            .auto_shutdown(AutoShutdown::AnySignificant)
            .child(worker("sig").restart(Restart::Temporary).significant(true))
            .child(worker("other"))
            .start_link()
            .await
            .unwrap();
        let mref = tether::monitor(sup);
        let other = pid_of(sup, "other").await.unwrap();
        terminate(sup, "sig", ExitReason::Normal).await;
        assert_eq!(down(mref).await, ExitReason::Shutdown);
        assert!(!tether::is_alive(other));
    })
}

/// §5.9, `supervisor_SUITE:significant_transient`: `all_significant` waits for the
/// last significant child; an abnormal exit is a restart, not a shutdown.
#[test]
fn significant_transient() {
    run(async {
        tether::trap_exit(true);
        let sig = |id: &str| worker(id).restart(Restart::Transient).significant(true);
        let sup = Supervisor::new(Strategy::OneForOne)
            .auto_shutdown(AutoShutdown::AllSignificant)
            .child(sig("s1"))
            .child(sig("s2"))
            .start_link()
            .await
            .unwrap();
        let mref = tether::monitor(sup);
        terminate(sup, "s1", "crash".into()).await; // restarted
        assert_eq!(count_children(sup).await.unwrap().active, 2);
        terminate(sup, "s1", ExitReason::Normal).await;
        assert!(tether::is_alive(sup));
        terminate(sup, "s2", ExitReason::Shutdown).await;
        assert_eq!(down(mref).await, ExitReason::Shutdown);
    })
}

/// §5.9, `supervisor_SUITE:significant_bystander`: termination by the supervisor
/// itself (`terminate_child`, sweeps) does not trigger auto shutdown.
#[test]
fn significant_bystander() {
    run(async {
        tether::trap_exit(true);
        let sup = Supervisor::new(Strategy::OneForAll)
            .auto_shutdown(AutoShutdown::AnySignificant)
            .child(worker("perm"))
            .child(worker("sig").restart(Restart::Transient).significant(true))
            .start_link()
            .await
            .unwrap();
        terminate(sup, "perm", "crash".into()).await; // sweep stops sig with shutdown
        assert_eq!(count_children(sup).await.unwrap().active, 2);
        terminate_child(sup, "sig").await.unwrap();
        assert!(tether::is_alive(sup));
        assert_eq!(count_children(sup).await.unwrap().active, 1);
    })
}

/// §5.9, `supervisor_SUITE:significant_escalation`: a significant supervisor child
/// that auto-shuts-down cascades upward.
#[test]
fn significant_escalation() {
    run(async {
        tether::trap_exit(true);
        let inner = Supervisor::new(Strategy::OneForOne)
            .auto_shutdown(AutoShutdown::AnySignificant)
            .child(worker("leaf").restart(Restart::Transient).significant(true));
        let outer = Supervisor::new(Strategy::OneForOne)
            .auto_shutdown(AutoShutdown::AnySignificant)
            .child(
                ChildSpec::supervisor("inner", inner)
                    .restart(Restart::Transient)
                    .significant(true),
            )
            .start_link()
            .await
            .unwrap();
        let mref = tether::monitor(outer);
        let inner_pid = pid_of(outer, "inner").await.unwrap();
        terminate(inner_pid, "leaf", ExitReason::Normal).await;
        assert_eq!(down(mref).await, ExitReason::Shutdown);
    })
}

/// Supervisors of supervisors: a tree is walkable from its root, and a crash deep
/// down is handled by the nearest supervisor.
#[test]
fn supervision_tree_of_supervisors() {
    run(async {
        let inner = Supervisor::new(Strategy::OneForOne).child(worker("leaf"));
        let root = start(
            Strategy::OneForOne,
            vec![ChildSpec::supervisor("inner", inner), worker("w")],
        )
        .await;
        let tree = supervision_tree(root).await.unwrap();
        assert_eq!(tree.children.len(), 2);
        assert_eq!(tree.children[1].id.as_deref(), Some("inner"));
        assert_eq!(tree.children[1].child_type, ChildType::Supervisor);
        assert_eq!(tree.children[1].children[0].id.as_deref(), Some("leaf"));
        let ChildPid::Pid(inner_pid) = tree.children[1].pid else {
            panic!()
        };
        terminate(inner_pid, "leaf", "crash".into()).await;
        assert_eq!(pid_of(root, "inner").await, Some(inner_pid));
        assert_eq!(count_children(inner_pid).await.unwrap().active, 1);
    })
}

/// §3.4 case 4 (supervisor names), after `gen_server_SUITE:start`: a second start
/// under the same local name returns `AlreadyStarted(pid)`.
#[test]
fn start_with_local_name_already_started() {
    run(async {
        let sup = Supervisor::new(Strategy::OneForOne)
            .name("sup_name_test")
            .start_link()
            .await
            .unwrap();
        assert_eq!(tether::whereis("sup_name_test"), Some(sup));
        let again = Supervisor::new(Strategy::OneForOne)
            .name("sup_name_test")
            .start_link()
            .await;
        assert_eq!(again, Err(SupervisorStartError::AlreadyStarted(sup)));
        assert_eq!(
            count_children("sup_name_test").await.unwrap(),
            counts(0, 0, 0, 0)
        );
        // An unknown name is a call error, not a hang.
        assert_eq!(
            count_children("no_such_sup").await,
            Err(SupervisorError::Call(tether::otp::CallError::NoProc))
        );
    })
}

/// The parent's exit stops the supervisor and its children (gen_server's rule).
#[test]
fn parent_exit_stops_supervisor() {
    run(async {
        let me = tether::self_pid();
        let parent = tether::spawn(async move {
            let sup = Supervisor::new(Strategy::OneForOne)
                .child(worker("w"))
                .start_link()
                .await
                .unwrap();
            tether::send(me, sup).unwrap();
            wait_forever().await
        });
        let sup: Pid = receive().await;
        let child = pid_of(sup, "w").await.unwrap();
        let (sref, cref) = (tether::monitor(sup), tether::monitor(child));
        tether::exit(parent, "bye".into());
        assert_eq!(down(cref).await, ExitReason::Shutdown);
        assert_eq!(down(sref).await, ExitReason::from("bye"));
    })
}
