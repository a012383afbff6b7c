//! Behaviour tests for Agent: docs/semantics.md §6.3 and §6.4.
//!
//! Ported from Elixir's `lib/elixir/test/elixir/agent_test.exs` (cases listed in
//! docs/semantics.md §6.4). Each test names its source case.

mod common;

use std::time::Duration;

use common::run;
use tether::otp::agent::Agent;
use tether::otp::gen_server::{CallError, ServerStartError, StartOpts, Timeout};
use tether::{Down, ExitReason};

/// §6.4 case 11, `agent_test.exs: "start_link/2 workflow with unregistered name and
/// anonymous functions"`.
#[test]
fn start_link_workflow_with_unregistered_name_and_anonymous_functions() {
    run(async {
        let pid = Agent::start_link(Vec::<i32>::new, StartOpts::new())
            .await
            .unwrap();
        let info = tether::process_info(pid.pid()).unwrap();
        assert!(info.links.contains(&tether::self_pid()));
        assert_eq!(info.registered_name, None);
        pid.cast(|v| v.push(1));
        assert_eq!(pid.get(|v| v.clone()).await.unwrap(), vec![1]);
        assert_eq!(pid.get_and_update(|v| v.pop()).await.unwrap(), Some(1));
        assert_eq!(pid.update(|v| v.push(2)).await, Ok(()));
        assert_eq!(pid.get(|v| v.clone()).await.unwrap(), vec![2]);
        assert_eq!(
            pid.stop(ExitReason::Normal, Timeout::Infinity).await,
            Ok(())
        );
        assert!(!tether::is_alive(pid.pid()));
    })
}

/// `agent_test.exs: "start/2 workflow with registered name"`.
#[test]
fn start_workflow_with_registered_name() {
    run(async {
        let a = Agent::start(|| 41, StartOpts::new().name("agent_named"))
            .await
            .unwrap();
        let info = tether::process_info(a.pid()).unwrap();
        assert!(!info.links.contains(&tether::self_pid()));
        let named = Agent::<i32>::whereis("agent_named").unwrap();
        named.update(|n| *n += 1).await.unwrap();
        assert_eq!(a.get(|n| *n).await.unwrap(), 42);
        let again = Agent::start(|| 0, StartOpts::new().name("agent_named")).await;
        assert_eq!(again, Err(ServerStartError::AlreadyStarted(a.pid())));
        a.stop(ExitReason::Normal, Timeout::Infinity).await.unwrap();
        assert!(Agent::<i32>::whereis("agent_named").is_none());
    })
}

/// §6.3 AG4: a start function that raises makes the start fail; `:timeout` applies
/// to the start function (`agent_test.exs: "start_link/2 with timeout"` and
/// `"start/2 with failing function"`).
#[test]
fn start_failures() {
    run(async {
        let r = Agent::<i32>::start(|| panic!("oops"), StartOpts::new()).await;
        assert!(
            matches!(r, Err(ServerStartError::Failed(ExitReason::Panic(ref m))) if &**m == "oops"),
            "{r:?}"
        );
        // A start function slower than the start timeout.
        let slow = || {
            std::thread::sleep(Duration::from_millis(300));
            0
        };
        let r = Agent::start(slow, StartOpts::new().timeout(Duration::from_millis(50))).await;
        assert_eq!(r, Err(ServerStartError::Timeout));
    })
}

/// §6.3 AG2: calls time out like GenServer calls; a function that panics crashes the
/// agent and the caller gets the exit reason.
#[test]
fn call_failures() {
    run(async {
        let (a, _) = {
            let a = Agent::start(|| 0u32, StartOpts::new()).await.unwrap();
            (a, tether::monitor(a.pid()))
        };
        // A function slower than the call timeout.
        let r = a
            .get_timeout(
                |_| std::thread::sleep(Duration::from_millis(100)),
                Duration::from_millis(10),
            )
            .await;
        assert_eq!(r, Err(CallError::Timeout));
        let r = a.update(|_| panic!("bad update")).await;
        assert!(
            matches!(r, Err(CallError::Exit(ExitReason::Panic(_)))),
            "{r:?}"
        );
        let d: Down = tether::receive().await;
        assert!(matches!(d.reason, ExitReason::Panic(_)));
        assert_eq!(a.get(|n| *n).await, Err(CallError::NoProc));
        a.cast(|n| *n += 1); // casts never fail
    })
}
