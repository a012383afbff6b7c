//! A Tether program shows its crash reports and warnings on stderr with no set-up, as
//! a BEAM node does, unless it has its own `tracing` subscriber or turns the default
//! logger off.
//!
//! Each case runs in a child process (this test binary again, running only `child`),
//! since a global subscriber can be set once per process.

use std::process::Command;

use tether::otp::supervisor::{self, ChildPid, ChildSpec, Strategy, Supervisor};

const VAR: &str = "TETHER_LOGGER_CASE";

/// Runs `case` in a child process and returns its stdout and stderr.
fn run(case: &str) -> (String, String) {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child", "--nocapture", "--test-threads=1"])
        .env(VAR, case)
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    assert!(out.status.success(), "child failed: {out:?}");
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (text(&out.stdout), text(&out.stderr))
}

/// A supervised process that crashes once: the supervisor reports it and restarts it.
fn crash_once(builder: tether::Builder) {
    let rt = builder.worker_threads(1).build().unwrap();
    rt.block_on(async {
        let sup = Supervisor::new(Strategy::OneForOne)
            .child(ChildSpec::process("crasher", std::future::pending))
            .start_link()
            .await
            .unwrap();
        let [child] = &supervisor::which_children(sup).await.unwrap()[..] else {
            panic!("one child")
        };
        let ChildPid::Pid(first) = child.pid else {
            panic!("{child:?}")
        };
        tether::exit(first, tether::ExitReason::from("boom"));
        // Wait for the restart: the report was made before it.
        loop {
            let children = supervisor::which_children(sup).await.unwrap();
            if matches!(children[0].pid, ChildPid::Pid(p) if p != first) {
                break;
            }
            tokio::task::yield_now().await;
        }
    });
}

#[test]
fn child() {
    match std::env::var(VAR).as_deref() {
        Ok("default") => crash_once(tether::Runtime::builder()),
        Ok("off") => crash_once(tether::Runtime::builder().default_logger(false)),
        Ok("own") => {
            // The application's subscriber, installed first, gets the events; it
            // writes to stdout, so stderr stays empty of them.
            tracing_subscriber::fmt()
                .with_writer(std::io::stdout)
                .init();
            crash_once(tether::Runtime::builder());
        }
        Ok("own_after") => {
            // Installed after the runtime was built: it still can be, and gets them.
            let builder = tether::Runtime::builder();
            let rt = builder.clone().build().unwrap();
            tracing_subscriber::fmt()
                .with_writer(std::io::stdout)
                .init();
            drop(rt);
            crash_once(builder);
        }
        _ => {}
    }
}

#[test]
fn reports_show_on_stderr_by_default() {
    let (_, err) = run("default");
    assert!(err.contains("child_terminated"), "stderr: {err}");
    assert!(err.contains("boom"), "stderr: {err}");
}

#[test]
fn an_application_subscriber_or_opting_out_keeps_them_off_stderr() {
    for case in ["off", "own", "own_after"] {
        let (out, err) = run(case);
        assert!(!err.contains("child_terminated"), "{case}: stderr: {err}");
        // The application's own subscriber got the report.
        assert_eq!(
            out.contains("child_terminated"),
            case != "off",
            "{case}: stdout: {out}"
        );
    }
}
