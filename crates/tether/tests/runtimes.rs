//! Runtimes are separate worlds: state belongs to the runtime, not to the OS process.
//!
//! Two runtimes in one OS process share no processes, names, timers or registries,
//! so a crate's tests can each build their own runtime and run side by side. Each
//! runtime is a node of its own: a pid of one is a remote pid to the other.

mod common;

use std::time::Duration;

use tether::otp::registry::{Keys, RegistryOptions};
use tether::{Pid, Registry, Runtime, Term};

fn runtime() -> Runtime {
    Runtime::builder().worker_threads(2).build().unwrap()
}

/// A process registered as `name` that answers `(from, n)` with `(name, n + 1)`.
fn named_adder(name: &'static str) -> Pid {
    let pid = tether::spawn(async move {
        loop {
            let (from, n): (Pid, u32) = tether::receive().await;
            tether::send(from, (name, n + 1)).unwrap();
        }
    });
    tether::register("adder", pid).unwrap();
    pid
}

#[test]
fn the_same_name_is_registered_in_two_runtimes_without_cross_talk() {
    let (a, b) = (runtime(), runtime());
    let pa = a.block_on(async { named_adder("a") });
    let pb = b.block_on(async { named_adder("b") });
    assert_ne!(pa, pb, "pids of two runtimes are different pids");

    for (rt, me, other, tag) in [(&a, pa, pb, "a"), (&b, pb, pa, "b")] {
        rt.block_on(async move {
            assert_eq!(tether::whereis("adder"), Some(me));
            assert!(tether::is_alive(me));
            // The other runtime's process is not a process of this one...
            assert!(!other.node.is_local());
            assert!(!tether::is_alive(other));
            assert!(tether::process_info(other).is_none());
            // ...and a send by name reaches this runtime's own process only.
            tether::send("adder", (tether::self_pid(), 41u32)).unwrap();
            let (from, n): (&str, u32) = tether::receive().await;
            assert_eq!((from, n), (tag, 42));
        });
    }
}

#[test]
fn a_pid_of_another_runtime_is_remote() {
    let (a, b) = (runtime(), runtime());
    let pa = a.block_on(async { named_adder("a") });
    b.block_on(async move {
        // Neither runtime is distributed: a send to the other's pid goes nowhere
        // (as to a pid of a node we are not connected to), and a link to it fires
        // at once with `noconnection`.
        let msg = Term::tuple([Term::Pid(tether::self_pid()), Term::from(1)]);
        tether::send(pa, msg).unwrap();
        let nothing = tether::receive_timeout::<(&str, u32)>(Duration::from_millis(50)).await;
        assert_eq!(nothing, None);
        tether::trap_exit(true);
        tether::link(pa).unwrap();
        let exit: tether::Exit = tether::receive().await;
        assert_eq!(exit.from, pa);
        assert_eq!(exit.reason, tether::ExitReason::Noconnection);
    });
    // The adder of `a` never heard of any of it and still answers at home.
    a.block_on(async move {
        tether::send(pa, (tether::self_pid(), 1u32)).unwrap();
        assert_eq!(tether::receive::<(&str, u32)>().await, ("a", 2));
    });
}

#[test]
fn timers_and_process_counts_are_per_runtime() {
    let (a, b) = (runtime(), runtime());
    let timer = a.block_on(async {
        let mut last = None;
        for _ in 0..100 {
            last = Some(tether::spawn(common::wait_forever()));
        }
        tether::send_after(Duration::from_secs(60), last.unwrap(), "later")
    });
    b.block_on(async move {
        // None of a's hundred processes: only `block_on` roots and their watchers
        // (an earlier call's may still be exiting).
        assert!(tether::process_count() < 10, "{}", tether::process_count());
        assert_eq!(tether::read_timer(timer), None, "a's timer is not b's");
        assert_eq!(tether::cancel_timer(timer), None);
    });
    a.block_on(async move {
        assert!(tether::process_count() >= 100);
        assert!(tether::read_timer(timer).is_some());
    });
}

#[test]
fn registries_of_the_same_name_in_two_runtimes_are_separate() {
    let (a, b) = (runtime(), runtime());
    for (rt, value) in [(&a, 1u32), (&b, 2u32)] {
        rt.block_on(async move {
            // An owner that outlives this `block_on`: it starts the registry (linked
            // to it) and registers itself under "key".
            let parent = tether::self_pid();
            tether::spawn(async move {
                let opts = RegistryOptions::new(Keys::Unique, "runtimes_registry");
                let reg: Registry<String, u32> = Registry::start_link(opts).await.unwrap();
                reg.register("key".to_string(), value).unwrap();
                tether::send(parent, "ready").unwrap();
                common::wait_forever().await
            });
            assert_eq!(tether::receive::<&str>().await, "ready");
        });
    }
    for (rt, value) in [(&a, 1u32), (&b, 2u32)] {
        rt.block_on(async move {
            let reg = Registry::<String, u32>::named("runtimes_registry").unwrap();
            let found: Vec<u32> = reg
                .lookup(&"key".to_string())
                .into_iter()
                .map(|(_, v)| v)
                .collect();
            assert_eq!(found, vec![value]);
        });
    }
}

/// Tests of one binary run on several threads at once, each with its own runtime:
/// the same names, in parallel, never meet.
#[test]
fn runtimes_on_parallel_threads_do_not_meet() {
    let threads: Vec<_> = (0..4u32)
        .map(|i| {
            std::thread::spawn(move || {
                let rt = Runtime::builder().worker_threads(1).build().unwrap();
                rt.block_on(async move {
                    for round in 0..50u32 {
                        let me = tether::self_pid();
                        tether::register("parallel", me).unwrap();
                        tether::send("parallel", (i, round)).unwrap();
                        assert_eq!(tether::receive::<(u32, u32)>().await, (i, round));
                        tether::unregister("parallel").unwrap();
                    }
                });
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

/// `Runtime::run` returns when the top supervisor gives up, with its reason, after
/// stopping the rest of the runtime; as a program's result, that is a failure.
#[test]
fn run_returns_when_the_top_supervisor_gives_up() {
    use tether::ExitReason;
    use tether::otp::supervisor::{ChildSpec, Strategy, Supervisor};
    let stopped = runtime().run(async {
        Supervisor::new(Strategy::OneForOne)
            .max_restarts(0)
            .child(ChildSpec::process("crasher", || async {
                tether::sleep(Duration::from_millis(1)).await;
                tether::exit_self(ExitReason::from("boom"));
            }))
            .start_link()
            .await
    });
    assert_eq!(stopped, tether::Stopped::TopExited(ExitReason::Shutdown));
    let code = std::process::Termination::report(stopped);
    assert_eq!(code, std::process::ExitCode::FAILURE);
}

/// A start that fails is `StartFailed` with its reason.
#[test]
fn run_reports_a_failed_start() {
    let stopped = runtime().run(async { Err::<Pid, _>(tether::ExitReason::from("no config")) });
    assert_eq!(
        stopped,
        tether::Stopped::StartFailed(tether::ExitReason::from("no config"))
    );
}
