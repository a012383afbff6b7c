//! ConsumerSupervisor, ported in part from Elixir's GenStage 1.3.2
//! `test/consumer_supervisor_test.exs` (Apache 2.0): demand follows the children
//! (at most `max_demand` running per producer, more asked as `min_demand` finish),
//! temporary and transient children, `start_child` outside demand accounting.
//! Each test names the behaviour of the Elixir file it checks.

mod common;

use std::time::Duration;

use common::{eventually, run};
use tether::otp::gen_server::StartOpts;
use tether::otp::gen_stage::Stage;
use tether::otp::gen_stage::{
    self, CancelMode, ConsumerSupervisor, ConsumerSupervisorSpec, DemandMode, Restart,
    SubscribeOpts, SupervisorCall, SupervisorReply,
};
use tether::{ExitReason, Pid};

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
        SupervisorReply::Count(n) => n,
        other => panic!("{other:?}"),
    }
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

#[test]
fn transient_children_beyond_max_restarts_stop_the_supervisor() {
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
