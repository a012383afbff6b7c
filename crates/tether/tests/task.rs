//! Behaviour tests for Task: docs/semantics.md §6.1 and §6.4.
//!
//! Ported from Elixir's `lib/elixir/test/elixir/task_test.exs` (cases listed in
//! docs/semantics.md §6.4). Each test names its source case. Timeouts are used as
//! behaviour (a task that sleeps far longer than the timeout), never as measurements.

mod common;

use std::time::Duration;

use common::{assert_no_messages, eventually, flush, run};
use tether::otp::gen_server::Timeout;
use tether::otp::task::{OnTimeout, Shutdown, StreamOpts, Task, TaskError};
use tether::{Down, Exit, ExitReason, Term, receive, receive_timeout};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A task body that takes `d` ms (its duration is the behaviour under test).
async fn sleep_then<T>(d: u64, v: T) -> T {
    tether::sleep(ms(d)).await;
    v
}

/// Whether `pid` has started and traps exits.
fn traps(pid: tether::Pid) -> bool {
    tether::process_info(pid).is_some_and(|i| i.trap_exit)
}

/// TK1: `Task.async` links the task to the caller and returns its result.
#[test]
fn async_await() {
    run(async {
        let t = Task::spawn_async(async { 42 });
        assert!(
            tether::process_info(tether::self_pid())
                .unwrap()
                .links
                .contains(&t.pid())
                || !tether::is_alive(t.pid())
        );
        assert_eq!(t.owner(), tether::self_pid());
        assert_eq!(t.await_(Timeout::DEFAULT).await, Ok(42));
        assert!(flush().await.is_empty());
    })
}

/// §6.4 case 1, `task_test.exs: "await/2" "demonitors and unalias on timeout"`: after
/// the timeout neither the late reply nor a DOWN appear in the mailbox.
#[test]
fn await_demonitors_and_unalias_on_timeout() {
    run(async {
        let t = Task::spawn_async(sleep_then(100, "late"));
        let pid = t.pid();
        assert_eq!(t.await_(ms(10)).await, Err(TaskError::Timeout));
        // wait for the task to end (it is linked: its normal exit is ignored)
        let mref = tether::monitor(pid);
        let d: Down = receive().await;
        assert_eq!((d.reference, d.reason), (mref, ExitReason::Normal));
        assert!(
            flush().await.is_empty(),
            "stray messages after an await timeout"
        );
    })
}

/// §6.4 case 2, `task_test.exs: "await/2" "exits on normal exit"`: a task that exits
/// `normal` without a result; the exiting flavour exits with
/// `{normal, {Task, await, [task, 5000]}}`.
#[test]
fn await_exits_on_normal_exit() {
    run(async {
        let t: Task<()> = Task::spawn_async(async { tether::exit_self(ExitReason::Normal) });
        assert_eq!(
            t.await_(Timeout::DEFAULT).await,
            Err(TaskError::Exit(ExitReason::Normal))
        );

        let (p, _) = tether::spawn_monitor(async {
            let t: Task<()> = Task::spawn_async(async { tether::exit_self(ExitReason::Normal) });
            t.await_or_exit(Timeout::DEFAULT).await
        });
        let d: Down = receive().await;
        let _ = p;
        let Term::Tuple(items) = d.reason.to_term() else {
            panic!("tuple expected")
        };
        assert_eq!(items[0], Term::atom("normal"));
        let Term::Tuple(mfa) = &items[1] else {
            panic!("mfa expected")
        };
        assert_eq!(mfa[0..2], [Term::atom("Elixir.Task"), Term::atom("await")]);
        assert!(matches!(&mfa[2], Term::List(a) if a[1] == Term::Int(5000)));
    })
}

/// TK2: a crashing task kills a non-trapping caller through the link; a trapping
/// caller gets the reason from `await_`.
#[test]
fn await_crash() {
    run(async {
        tether::trap_exit(true);
        let t: Task<()> = Task::spawn_async(async { panic!("task crashed") });
        let pid = t.pid();
        let r = t.await_(Timeout::DEFAULT).await;
        assert!(
            matches!(r, Err(TaskError::Exit(ExitReason::Panic(_)))),
            "{r:?}"
        );
        let e: Exit = receive().await;
        assert_eq!(e.from, pid);

        tether::trap_exit(false);
        let (_, _) = tether::spawn_monitor(async {
            let t: Task<()> =
                Task::spawn_async(async { tether::exit_self(ExitReason::from("boom")) });
            let _ = t.await_(Timeout::DEFAULT).await;
            // Outlives the link's exit signal: if it did not kill us, we would end
            // `normal` after 5 s and the assertion below would say so.
            tether::sleep(Duration::from_secs(5)).await;
        });
        let d: Down = receive().await;
        assert_eq!(d.reason, ExitReason::from("boom"));
    })
}

/// §6.4 case 3, `task_test.exs: "yield/2" "returns nil on timeout"`, then a second
/// `yield` returns the result.
#[test]
fn yield_returns_nil_on_timeout() {
    run(async {
        let mut t = Task::spawn_async(async {
            let _ = tether::receive::<&str>().await;
            "done"
        });
        assert_eq!(t.yield_(Duration::ZERO).await, None);
        tether::send(t.pid(), "go").unwrap();
        assert_eq!(t.yield_(Timeout::DEFAULT).await, Some(Ok("done")));
        assert_eq!(t.yield_(Duration::ZERO).await, None);
    })
}

/// §6.4 case 4, `task_test.exs: "shutdown/2"` cases.
#[test]
fn shutdown() {
    run(async {
        // "returns nil on shutting down task"
        let t = Task::spawn_async(sleep_then(10_000, ()));
        assert_eq!(t.shutdown(Shutdown::default()).await, None);

        // "returns {:ok, result} when reply and abnormal :DOWN in message queue": the
        // reply wins over the DOWN (here a normal one: a Tether task that replied
        // cannot exit abnormally afterwards)
        let t = Task::spawn_async(async { "reply" });
        eventually("the reply and the DOWN are in the mailbox", || async {
            tether::mailbox_len() == 2
        })
        .await;
        assert_eq!(t.shutdown(Shutdown::default()).await, Some(Ok("reply")));

        // "returns exit on killing task after shutdown timeout": a trapping task that
        // ignores the shutdown
        let t = Task::spawn_async(async {
            tether::trap_exit(true);
            // Ignores the shutdown signal (trapped) and does not end by itself.
            tether::sleep(Duration::from_secs(10)).await;
        });
        let pid = t.pid();
        eventually("the task traps exits", || async { traps(pid) }).await;
        assert_eq!(
            t.shutdown(Shutdown::Timeout(ms(50))).await,
            Some(Err(ExitReason::Killed))
        );

        // "returns nil on killing task": brutal_kill of a trapping task
        let t = Task::spawn_async(async {
            tether::trap_exit(true);
            // Ignores the shutdown signal (trapped) and does not end by itself.
            tether::sleep(Duration::from_secs(10)).await;
        });
        let pid = t.pid();
        eventually("the task traps exits", || async { traps(pid) }).await;
        assert_eq!(t.shutdown(Shutdown::BrutalKill).await, None);

        // "returns {:exit, reason} when task exited earlier"
        tether::trap_exit(true);
        let t: Task<()> = Task::spawn_async(async { tether::exit_self(ExitReason::from("early")) });
        let pid = t.pid();
        eventually("the task has exited", || async { !tether::is_alive(pid) }).await;
        assert_eq!(
            t.shutdown(Shutdown::default()).await,
            Some(Err(ExitReason::from("early")))
        );
    })
}

/// §6.4 case 5, `task_test.exs: "ignore/1" "discards late replies"`.
#[test]
fn ignore_discards_late_replies() {
    run(async {
        let t = Task::spawn_async(sleep_then(50, "late"));
        let pid = t.pid();
        assert_eq!(t.ignore().await, None);
        assert!(
            !tether::process_info(tether::self_pid())
                .unwrap()
                .links
                .contains(&pid)
        );
        let mref = tether::monitor(pid);
        let d: Down = receive().await;
        assert_eq!((d.reference, d.reason), (mref, ExitReason::Normal));
        assert!(flush().await.is_empty());
        // an already finished task gives its result
        let t = Task::spawn_async(async { 1 });
        let pid = t.pid();
        // It replies before it exits.
        eventually("the task has finished", || async { !tether::is_alive(pid) }).await;
        assert_eq!(t.ignore().await, Some(Ok(1)));
    })
}

/// §6.4 case 6, `task_test.exs: "await_many/2" "returns replies in input order
/// ignoring response order"` and `"exits immediately when any task exits"`.
#[test]
fn await_many() {
    run(async {
        let tasks = vec![
            Task::spawn_async(sleep_then(60, 1)),
            Task::spawn_async(sleep_then(30, 2)),
            Task::spawn_async(sleep_then(0, 3)),
        ];
        assert_eq!(
            Task::await_many(tasks, Timeout::DEFAULT).await,
            Ok(vec![1, 2, 3])
        );

        tether::trap_exit(true);
        let tasks: Vec<Task<u32>> = vec![
            Task::spawn_async(sleep_then(10_000, 1)),
            Task::spawn_async(async { tether::exit_self(ExitReason::from("bad")) }),
        ];
        let slow = tasks[0].pid();
        let r = Task::await_many(tasks, Timeout::DEFAULT).await;
        assert_eq!(r, Err(TaskError::Exit(ExitReason::from("bad"))));
        // timeout: every pending task abandoned
        let tasks = vec![Task::spawn_async(sleep_then(10_000, 1))];
        assert_eq!(
            Task::await_many(tasks, ms(10)).await,
            Err(TaskError::Timeout)
        );
        tether::exit(slow, ExitReason::Kill);
    })
}

/// TK9: `async_stream` ordered by default, with bounded concurrency.
#[test]
fn async_stream_ordered() {
    run(async {
        let s = Task::async_stream(
            vec![40u64, 0, 20, 10],
            |d| sleep_then(d, d),
            StreamOpts::new().max_concurrency(4),
        );
        let out: Vec<u64> = s.collect().await.into_iter().map(Result::unwrap).collect();
        assert_eq!(out, vec![40, 0, 20, 10]);
        assert!(flush().await.is_empty());
    })
}

/// §6.4 case 7, `task_test.exs: "async_stream/2" "streams an enumerable with
/// ordered: false"`: `max_concurrency: 1` gives input order, 4 completion order.
#[test]
fn async_stream_ordered_false() {
    run(async {
        let opts = StreamOpts::new().ordered(false);
        let s = Task::async_stream(
            vec![150u64, 0, 100, 50],
            |d| sleep_then(d, d),
            opts.max_concurrency(1),
        );
        let out: Vec<u64> = s.collect().await.into_iter().map(Result::unwrap).collect();
        assert_eq!(out, vec![150, 0, 100, 50]);
        let s = Task::async_stream(
            vec![450u64, 0, 300, 150],
            |d| sleep_then(d, d),
            opts.max_concurrency(4),
        );
        let out: Vec<u64> = s.collect().await.into_iter().map(Result::unwrap).collect();
        assert_eq!(out, vec![0, 150, 300, 450]);
    })
}

/// §6.4 case 8, `task_test.exs: "async_stream/2" "streams an enumerable with
/// ordered: false, on_timeout: :kill_task"` ⇒ `[ok: 1, ok: 1, exit: :timeout,
/// exit: :timeout]`.
#[test]
fn async_stream_on_timeout_kill_task() {
    run(async {
        let opts = StreamOpts::new()
            .ordered(false)
            .max_concurrency(4)
            .timeout(ms(200))
            .on_timeout(OnTimeout::KillTask);
        let s = Task::async_stream(vec![1u64, 10_000, 1, 10_000], |d| sleep_then(d, 1), opts);
        let out = s.collect().await;
        let timeout = Err(ExitReason::from("timeout"));
        assert_eq!(out, vec![Ok(1), Ok(1), timeout.clone(), timeout]);
        assert!(flush().await.is_empty());
    })
}

/// §6.4 case 9, `task_test.exs: "async_stream/2" "timeout"` ⇒ the caller exits
/// `{timeout, {Task.Supervised, stream, [0]}}`.
#[test]
fn async_stream_timeout() {
    run(async {
        tether::spawn_monitor(async {
            let mut s = Task::async_stream(
                vec![10_000u64],
                |d| sleep_then(d, d),
                StreamOpts::new().timeout(Duration::ZERO),
            );
            let _ = s.next().await;
        });
        let d: Down = receive().await;
        let want = Term::tuple([
            Term::atom("timeout"),
            Term::tuple([
                Term::atom("Elixir.Task.Supervised"),
                Term::atom("stream"),
                Term::List(vec![Term::Int(0)]),
            ]),
        ]);
        assert_eq!(d.reason.to_term(), want);
    })
}

/// TK9: halting a stream early shuts the outstanding tasks down and leaves no stray
/// messages; a crashing task yields `Err` for a trapping consumer.
#[test]
fn async_stream_halt_and_crash() {
    run(async {
        let mut s = Task::async_stream(
            vec![0u64, 10_000, 10_000],
            |d| sleep_then(d, d),
            StreamOpts::new().max_concurrency(3),
        );
        assert_eq!(s.next().await, Some(Ok(0)));
        drop(s);
        assert_no_messages("a stray message from the halted stream's tasks").await;

        tether::trap_exit(true);
        let f = |x: u32| async move {
            if x == 2 {
                tether::exit_self(ExitReason::from("two"));
            }
            x
        };
        let out = Task::async_stream(vec![1u32, 2, 3], f, StreamOpts::new())
            .collect()
            .await;
        assert_eq!(out, vec![Ok(1), Err(ExitReason::from("two")), Ok(3)]);
        assert!(receive_timeout::<Exit>(Duration::ZERO).await.is_none());
        assert!(flush().await.is_empty());
    })
}

/// TK1: only the owner may await a task.
#[test]
fn await_from_non_owner_panics() {
    run(async {
        let t = Task::spawn_async(async { 1 });
        let (_, mref) = tether::spawn_monitor(async move {
            let _ = t.await_(Timeout::DEFAULT).await;
        });
        // The task's own monitor may deliver its DOWN first: wait for ours.
        let d = tether::receive_select(move |m| {
            m.downcast_ref::<Down>()
                .is_some_and(|d| d.reference == mref)
        })
        .await
        .downcast::<Down>()
        .unwrap();
        assert!(
            matches!(d.reason, ExitReason::Panic(ref m) if m.contains("owner")),
            "{:?}",
            d.reason
        );
    })
}
