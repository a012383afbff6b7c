//! Behaviour tests for `DynamicSupervisor` (docs/semantics.md §5.10) and
//! `Task.Supervisor` (§6.2).
//!
//! Ported from the cases listed in docs/semantics.md §5.12 case 15, which come from
//! Elixir's `lib/elixir/test/elixir/dynamic_supervisor_test.exs` (main, 2026), and
//! from `task/supervisor_test.exs`. Each test names its source case.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::{run, wait_forever};
use tether::otp::dynamic_supervisor::{
    DynamicSupervisor, count_children, start_child, terminate_child, which_children,
};
use tether::otp::supervisor::{
    ChildCounts, ChildPid, ChildSpec, Restart, Shutdown, StartResult, SupervisorError,
};
use tether::otp::task_supervisor::{self, TaskError};
use tether::{Down, Exit, ExitReason, Pid, receive, receive_select, receive_timeout};

async fn down(mref: tether::Reference) -> ExitReason {
    let m = receive_select(move |m| {
        m.downcast_ref::<Down>()
            .is_some_and(|d| d.reference == mref)
    });
    m.await.downcast::<Down>().unwrap().reason
}

fn returning(r: fn() -> StartResult) -> ChildSpec {
    ChildSpec::new("c", move || async move { r() })
}

/// Elixir `dynamic_supervisor_test.exs: "with different returns"`.
#[test]
fn with_different_returns() {
    run(async {
        let sup = DynamicSupervisor::new().start_link().await.unwrap();
        let ok = ChildSpec::process("c", wait_forever);
        assert!(matches!(start_child(sup, ok).await, Ok(Some(_))));
        // `ignore` returns Ok(None) (Elixir `:ignore`) and stores nothing.
        assert_eq!(start_child(sup, returning(|| Ok(None))).await, Ok(None));
        // `{:error, e}` is returned unwrapped.
        assert_eq!(
            start_child(sup, returning(|| Err("found".into()))).await,
            Err(SupervisorError::StartFailed("found".into()))
        );
        let c = count_children(sup).await.unwrap();
        assert_eq!(
            c,
            ChildCounts {
                specs: 1,
                active: 1,
                supervisors: 0,
                workers: 1
            }
        );
    })
}

/// Elixir `dynamic_supervisor_test.exs: "with throw/error/exit"`.
#[test]
fn with_throw_error_exit() {
    run(async {
        let sup = DynamicSupervisor::new().start_link().await.unwrap();
        let raising = ChildSpec::new("c", || async { panic!("oops") });
        let r = start_child(sup, raising).await;
        assert!(
            matches!(r, Err(SupervisorError::StartFailed(ExitReason::Panic(_)))),
            "{r:?}"
        );
        let exiting = ChildSpec::new("c", || async { tether::exit_self("bye".into()) });
        assert_eq!(
            start_child(sup, exiting).await,
            Err(SupervisorError::StartFailed("bye".into()))
        );
        assert!(tether::is_alive(sup));
    })
}

/// Elixir `dynamic_supervisor_test.exs: "with max_children"`.
#[test]
fn with_max_children() {
    run(async {
        let sup = DynamicSupervisor::new()
            .max_children(1)
            .start_link()
            .await
            .unwrap();
        let spec = ChildSpec::process("c", wait_forever);
        let pid = start_child(sup, spec.clone()).await.unwrap().unwrap();
        assert_eq!(
            start_child(sup, spec.clone()).await,
            Err(SupervisorError::MaxChildren)
        );
        terminate_child(sup, pid).await.unwrap();
        assert!(start_child(sup, spec).await.unwrap().is_some());
    })
}

/// A worker whose first start succeeds and every later start fails.
fn fails_on_restart() -> ChildSpec {
    let starts = Arc::new(AtomicUsize::new(0));
    ChildSpec::new("c", move || {
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

/// Elixir `dynamic_supervisor_test.exs: "restarting on init children counted in max_children"`.
#[test]
fn restarting_on_init_children_counted_in_max_children() {
    run(async {
        tether::trap_exit(true);
        let sup = DynamicSupervisor::new()
            .max_children(1)
            .max_restarts(u32::MAX)
            .start_link()
            .await
            .unwrap();
        let pid = start_child(sup, fails_on_restart()).await.unwrap().unwrap();
        let mref = tether::monitor(pid);
        tether::exit(pid, ExitReason::Kill);
        down(mref).await;
        let c = which_children(sup).await.unwrap();
        assert_eq!(c[0].pid, ChildPid::Restarting);
        assert_eq!(count_children(sup).await.unwrap().active, 0);
        let spec = ChildSpec::process("c", wait_forever);
        assert_eq!(
            start_child(sup, spec).await,
            Err(SupervisorError::MaxChildren)
        );
        // terminate_child by the old pid ends the retry loop.
        assert_eq!(terminate_child(sup, pid).await, Ok(()));
        assert_eq!(count_children(sup).await.unwrap().specs, 0);
    })
}

/// Elixir `dynamic_supervisor_test.exs: "child triggers maximum intensity when trying again"`.
#[test]
fn child_triggers_maximum_intensity_when_trying_again() {
    run(async {
        tether::trap_exit(true);
        let sup = DynamicSupervisor::new()
            .max_restarts(10)
            .start_link()
            .await
            .unwrap();
        let sup_ref = tether::monitor(sup);
        let pid = start_child(sup, fails_on_restart()).await.unwrap().unwrap();
        tether::exit(pid, ExitReason::Kill);
        assert_eq!(down(sup_ref).await, ExitReason::Shutdown);
    })
}

/// Elixir `dynamic_supervisor_test.exs: "terminates children with expired integer shutdown"`.
#[test]
fn terminates_children_with_expired_integer_shutdown() {
    run(async {
        tether::trap_exit(true);
        let sup = DynamicSupervisor::new().start_link().await.unwrap();
        let stubborn = ChildSpec::process("c", || async {
            tether::trap_exit(true);
            wait_forever().await
        })
        .shutdown(Shutdown::Timeout(Duration::from_millis(50)));
        let brutal = ChildSpec::process("c", wait_forever).shutdown(Shutdown::BrutalKill);
        let p1 = start_child(sup, stubborn).await.unwrap().unwrap();
        let p2 = start_child(sup, brutal).await.unwrap().unwrap();
        let (r1, r2, rs) = (
            tether::monitor(p1),
            tether::monitor(p2),
            tether::monitor(sup),
        );
        tether::exit(sup, ExitReason::Shutdown);
        assert_eq!(down(r1).await, ExitReason::Killed);
        assert_eq!(down(r2).await, ExitReason::Killed);
        assert_eq!(down(rs).await, ExitReason::Shutdown);
    })
}

/// Elixir `dynamic_supervisor_test.exs: "restarting a child with extra_arguments
/// successfully restarts child"`: the extra arguments are passed again on restart.
#[test]
fn restarting_a_child_with_extra_arguments_successfully_restarts_child() {
    run(async {
        let me = tether::self_pid();
        let sup = DynamicSupervisor::new()
            .extra_arguments(me)
            .start_link()
            .await
            .unwrap();
        let spec = ChildSpec::with_extra_args("c", |report_to: Pid| async move {
            let pid = tether::spawn_link(async move {
                tether::send(report_to, ("started", tether::self_pid())).unwrap();
                wait_forever().await
            });
            Ok(Some(pid))
        });
        start_child(sup, spec).await.unwrap();
        let (_, first): (&str, Pid) = receive().await;
        tether::exit(first, ExitReason::Kill);
        let (_, second): (&str, Pid) = receive().await;
        assert_ne!(first, second);
        // Without extra arguments of the right type the start fails with badarg.
        let plain = DynamicSupervisor::new().start_link().await.unwrap();
        let spec = ChildSpec::with_extra_args("c", |_: Pid| async { Ok(None) });
        assert_eq!(
            start_child(plain, spec).await,
            Err(SupervisorError::StartFailed("badarg".into()))
        );
    })
}

/// §5.10 DS6: shutdown stops all children concurrently. Each child, on `shutdown`,
/// reports and waits to be released; the test releases them only once every child
/// has reported — which a one-at-a-time shutdown could never reach.
#[test]
fn shutdown_is_concurrent() {
    run(async {
        tether::trap_exit(true);
        let me = tether::self_pid();
        let sup = DynamicSupervisor::new().start_link().await.unwrap();
        let spec = ChildSpec::process("c", move || async move {
            tether::trap_exit(true);
            // Traps from now on: the supervisor's shutdown will be a message.
            tether::send(me, ("ready", tether::self_pid())).unwrap();
            let _: Exit = receive().await;
            tether::send(me, ("stopping", tether::self_pid())).unwrap();
            let () = receive().await;
            tether::exit_self(ExitReason::Shutdown)
        })
        .shutdown(Shutdown::Infinity);
        for _ in 0..5 {
            start_child(sup, spec.clone()).await.unwrap();
        }
        for _ in 0..5 {
            let (what, _): (&str, Pid) = receive().await;
            assert_eq!(what, "ready");
        }
        let sup_ref = tether::monitor(sup);
        tether::exit(sup, ExitReason::Shutdown);
        let mut stopping = Vec::new();
        for _ in 0..5 {
            let (_, p): (&str, Pid) = receive_timeout(Duration::from_secs(10))
                .await
                .expect("all children told at once");
            stopping.push(p);
        }
        for p in stopping {
            tether::send(p, ()).unwrap();
        }
        assert_eq!(down(sup_ref).await, ExitReason::Shutdown);
    })
}

/// §5.10 DS5: `terminate_child` by pid; unknown pid ⇒ `NotFound`; ids are `None`;
/// restart types behave as in a supervisor.
#[test]
fn terminate_child_and_restart_types() {
    run(async {
        let sup = DynamicSupervisor::new().start_link().await.unwrap();
        let perm = start_child(sup, ChildSpec::process("c", wait_forever))
            .await
            .unwrap()
            .unwrap();
        let temp = ChildSpec::process("c", wait_forever).restart(Restart::Temporary);
        let temp = start_child(sup, temp).await.unwrap().unwrap();
        assert!(
            which_children(sup)
                .await
                .unwrap()
                .iter()
                .all(|c| c.id.is_none())
        );
        let mref = tether::monitor(temp);
        tether::exit(temp, ExitReason::Kill);
        down(mref).await;
        assert_eq!(count_children(sup).await.unwrap().specs, 1);
        let mref = tether::monitor(perm);
        tether::exit(perm, ExitReason::Kill);
        down(mref).await;
        let c = which_children(sup).await.unwrap();
        assert_eq!(c.len(), 1);
        let ChildPid::Pid(new) = c[0].pid else {
            panic!()
        };
        assert_ne!(new, perm);
        assert_eq!(
            terminate_child(sup, perm).await,
            Err(SupervisorError::NotFound)
        );
        assert_eq!(terminate_child(sup, new).await, Ok(()));
        assert_eq!(count_children(sup).await.unwrap().specs, 0);
    })
}

/// §6.2, `task/supervisor_test.exs: "start_child/2"` and `"children/1"`.
#[test]
fn task_supervisor_start_child_and_children() {
    run(async {
        let sup = task_supervisor::start_link().await.unwrap();
        let me = tether::self_pid();
        let pid = task_supervisor::start_child(sup, move || async move {
            tether::send(me, "started").unwrap();
            wait_forever().await
        })
        .await
        .unwrap();
        assert_eq!(receive::<&str>().await, "started");
        assert_eq!(task_supervisor::children(sup).await.unwrap(), vec![pid]);
        task_supervisor::terminate_child(sup, pid).await.unwrap();
        assert_eq!(task_supervisor::children(sup).await.unwrap(), vec![]);
        // Tasks are temporary: a crashed one is not restarted.
        let pid = task_supervisor::start_child(sup, || async { panic!("task crash") })
            .await
            .unwrap();
        let mref = tether::monitor(pid);
        down(mref).await;
        assert_eq!(task_supervisor::children(sup).await.unwrap(), vec![]);
    })
}

/// §6.2, `task/supervisor_test.exs: "async_nolink/3"`: result then DOWN `normal`;
/// a crash reaches the caller only as a DOWN.
#[test]
fn task_supervisor_async_nolink() {
    run(async {
        let sup = task_supervisor::start_link().await.unwrap();
        let t = task_supervisor::async_nolink(sup, || async { "result" })
            .await
            .unwrap();
        assert_eq!(t.await_result(Duration::from_secs(5)).await, Ok("result"));
        let t = task_supervisor::async_nolink(sup, || async {
            if true {
                tether::exit_self("boom".into());
            }
            0u8
        })
        .await
        .unwrap();
        assert_eq!(
            t.await_result(Duration::from_secs(5)).await,
            Err(TaskError::Exit("boom".into()))
        );
        let t = task_supervisor::async_nolink(sup, || async {
            wait_forever().await;
        })
        .await
        .unwrap();
        let pid = t.pid;
        assert_eq!(
            t.await_result(Duration::from_millis(10)).await,
            Err(TaskError::Timeout)
        );
        task_supervisor::terminate_child(sup, pid).await.unwrap();
    })
}

/// Awaiting a supervised task is a call: after a timeout neither its late result nor
/// its DOWN reaches the caller's mailbox (the monitor and reply alias are gone).
#[test]
fn task_supervisor_late_result_dropped() {
    run(async {
        let sup = task_supervisor::start_link().await.unwrap();
        let t = task_supervisor::async_nolink(sup, || async {
            // Answers late: after the caller's 5 ms timeout.
            let _ = tether::receive_timeout::<()>(Duration::from_millis(50)).await;
            7u32
        })
        .await
        .unwrap();
        let pid = t.pid;
        assert_eq!(
            t.await_result(Duration::from_millis(5)).await,
            Err(TaskError::Timeout)
        );
        // The task sends its result before it exits, so by S2 a late result that got
        // through would be in the mailbox before our own monitor's DOWN.
        let mref = tether::monitor(pid);
        let d: Down = receive().await;
        assert_eq!(d.reference, mref);
        // `noproc` if it had already ended: then its result was sent even earlier.
        assert!(
            matches!(d.reason, ExitReason::Normal | ExitReason::Noproc),
            "{:?}",
            d.reason
        );
        let late = tether::receive_select_timeout(Duration::ZERO, |_| true).await;
        assert!(late.is_none(), "late message in the mailbox");
    })
}

/// §6.2 `Task.Supervisor.async/2`: the task is linked to the caller.
#[test]
fn task_supervisor_async_link() {
    run(async {
        tether::trap_exit(true);
        let sup = task_supervisor::start_link().await.unwrap();
        let t = task_supervisor::async_link(sup, || async { 1 + 1 })
            .await
            .unwrap();
        let pid = t.pid;
        assert_eq!(t.await_result(Duration::from_secs(5)).await, Ok(2));
        let e: Exit = receive().await;
        assert_eq!(
            e,
            Exit {
                from: pid,
                reason: ExitReason::Normal
            }
        );
    })
}
