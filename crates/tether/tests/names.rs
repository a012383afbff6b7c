//! Behaviour tests for registered names and introspection: docs/semantics.md §3.1.
//!
//! Ported from the cases of docs/semantics.md §3.4 (`process_SUITE:bad_register`,
//! `process_SUITE:t_process_info`, and the S6 rule). The Registry and name-form
//! cases (§3.4 4–13) belong to the OTP behaviours and are tested there.

mod common;

use common::{eventually, run, wait_forever};
use tether::{Down, ExitReason, RegisterError, receive};

/// §3.4 case 1, `process_SUITE:bad_register`.
#[test]
fn bad_register() {
    run(async {
        let (dead, _) = tether::spawn_monitor(async {});
        let _: Down = receive().await;
        assert_eq!(
            tether::register("bad_reg_a", dead),
            Err(RegisterError::NotAlive(dead))
        );

        let p = tether::spawn(wait_forever());
        let q = tether::spawn(wait_forever());
        tether::register("bad_reg_b", p).unwrap();
        assert_eq!(
            tether::register("bad_reg_b", q),
            Err(RegisterError::NameTaken("bad_reg_b".into(), p))
        );
        assert_eq!(
            tether::register("bad_reg_c", p),
            Err(RegisterError::AlreadyNamed(p, "bad_reg_b".into()))
        );
        assert_eq!(
            tether::register("undefined", q),
            Err(RegisterError::Reserved("undefined".into()))
        );
        assert!(tether::unregister("bad_reg_never").is_err());
        tether::unregister("bad_reg_b").unwrap();
        assert!(tether::unregister("bad_reg_b").is_err());
        tether::register("bad_reg_c", p).unwrap();
        assert!(tether::registered().iter().any(|n| n == "bad_reg_c"));
        tether::exit(p, ExitReason::Kill);
        tether::exit(q, ExitReason::Kill);
    })
}

/// §3.4 case 2, `process_SUITE:t_process_info` (registered name before and after).
#[test]
fn t_process_info() {
    run(async {
        let me = tether::self_pid();
        assert_eq!(tether::process_info(me).unwrap().registered_name, None);
        tether::register("my_name_info", me).unwrap();
        let info = tether::process_info(me).unwrap();
        assert_eq!(info.registered_name, Some("my_name_info".into()));
        assert_eq!(info.status, tether::Status::Running);
        assert!(info.memory > 0);
        tether::unregister("my_name_info").unwrap();
    })
}

/// §3.4 case 3 (S6): the name is free by the time the DOWN arrives.
#[test]
fn name_freed_before_down() {
    run(async {
        for _ in 0..50 {
            let p = tether::spawn(wait_forever());
            tether::register("s6_name", p).unwrap();
            tether::monitor(p);
            tether::exit(p, ExitReason::Kill);
            let _: Down = receive().await;
            assert_eq!(tether::whereis("s6_name"), None);
            let me = tether::self_pid();
            tether::register("s6_name", me).unwrap();
            tether::unregister("s6_name").unwrap();
        }
    })
}

/// Sending by name reaches the registered process.
#[test]
fn send_by_name() {
    run(async {
        let parent = tether::self_pid();
        let p = tether::spawn(async move {
            let n: u32 = receive().await;
            tether::send(parent, n * 2).unwrap();
        });
        tether::register("doubler", p).unwrap();
        tether::send("doubler", 21u32).unwrap();
        assert_eq!(receive::<u32>().await, 42);
    })
}

/// Introspection: links, monitors and monitored_by are reported.
#[test]
fn process_info_relations() {
    run(async {
        let me = tether::self_pid();
        let p = tether::spawn_link(wait_forever());
        let r = tether::monitor(p);
        // Handled the monitor signal and parked again (its status is `Running`
        // between the two).
        eventually("p has handled our monitor signal", || async {
            tether::process_info(p)
                .is_some_and(|i| i.monitored_by == vec![me] && i.status == tether::Status::Waiting)
        })
        .await;
        let mine = tether::process_info(me).unwrap();
        assert_eq!(mine.links, vec![p]);
        assert_eq!(mine.monitors.len(), 1);
        assert_eq!(mine.monitors[0].0, r);
        let theirs = tether::process_info(p).unwrap();
        assert_eq!(theirs.links, vec![me]);
        assert_eq!(theirs.monitored_by, vec![me]);
        assert_eq!(theirs.status, tether::Status::Waiting);
        assert!(tether::processes().contains(&p));
        tether::unlink(p);
        tether::exit(p, ExitReason::Kill);
        let _: Down = receive().await;
        assert!(!tether::processes().contains(&p));
        assert!(tether::process_info(p).is_none());
    })
}

/// Shutting a runtime down ends its processes properly: each one's future is dropped
/// in place (its destructors run), and nothing of it survives into another runtime.
#[test]
fn runtime_shutdown_releases_processes() {
    struct Dropped(std::sync::mpsc::Sender<&'static str>);
    impl Drop for Dropped {
        fn drop(&mut self) {
            let _ = self.0.send("dropped");
        }
    }
    let (tx, rx) = std::sync::mpsc::channel();
    let rt = tether::Runtime::builder()
        .worker_threads(1)
        .build()
        .unwrap();
    rt.block_on(async move {
        let guard = Dropped(tx);
        let p = tether::spawn(async move {
            let _guard = guard;
            wait_forever().await
        });
        tether::register("owned_by_dropped_runtime", p).unwrap();
    });
    assert!(rx.try_recv().is_err(), "the process still runs");
    drop(rt);
    assert_eq!(
        rx.recv_timeout(std::time::Duration::from_secs(10)),
        Ok("dropped")
    );
    let other = tether::Runtime::builder()
        .worker_threads(1)
        .build()
        .unwrap();
    other.block_on(async {
        assert_eq!(tether::whereis("owned_by_dropped_runtime"), None);
    });
}
