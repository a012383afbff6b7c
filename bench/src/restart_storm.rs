//! Restart storm: a supervisor restarting a child that crashes as soon as it starts,
//! under an intensity limit too high to ever trip. Measures restarts per second.
//!
//! OTP's `supervisor` manages about 6,000 restarts/s on this workload (it rebuilds
//! its restart list on every restart); Tether's keeps the window as per-second
//! buckets, so each restart is O(1) apart from spawning the child.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tether::ExitReason;
use tether::otp::supervisor::{ChildSpec, Strategy, Supervisor};

/// How long the storm runs.
const STORM: Duration = Duration::from_secs(2);

/// Runs the workload: `(name, value, unit)` rows.
pub fn run() -> Vec<(String, f64, String)> {
    let rt = tether::Runtime::new().expect("runtime");
    let rate = rt.block_on(async {
        tether::trap_exit(true);
        let starts = Arc::new(AtomicU64::new(0));
        let counter = starts.clone();
        let crasher = ChildSpec::new("crasher", move || {
            counter.fetch_add(1, Ordering::Relaxed);
            async {
                Ok(Some(tether::spawn_link(async {
                    tether::exit_self(ExitReason::from("crash"))
                })))
            }
        });
        let t0 = Instant::now();
        let sup = Supervisor::new(Strategy::OneForOne)
            .max_restarts(u32::MAX)
            .max_seconds(1)
            .child(crasher)
            .start_link()
            .await
            .expect("supervisor starts");
        tether::sleep(STORM).await;
        let restarts = starts.load(Ordering::Relaxed) - 1;
        let elapsed = t0.elapsed();
        let mref = tether::monitor(sup);
        tether::exit(sup, ExitReason::Kill);
        let _ = tether::receive_select(move |m| {
            m.downcast_ref::<tether::Down>()
                .is_some_and(|d| d.reference == mref)
        })
        .await;
        restarts as f64 / elapsed.as_secs_f64()
    });
    vec![("restart_storm".to_string(), rate, "restarts/s".to_string())]
}
