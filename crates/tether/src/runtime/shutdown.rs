//! Stopping a runtime as `init:stop/0` stops a node.
//!
//! OTP stops the applications in reverse start order, each by stopping its top
//! supervisor with `shutdown` (which stops its children in reverse start order, each
//! within its shutdown time), then the kernel application, and kills whatever is
//! left. A runtime does the same in three steps:
//!
//! 1. the root supervisors (those no supervisor started; see
//!    `otp::supervisor::roots`), newest first, each with `shutdown`, waiting for each;
//! 2. the node, if the runtime is distributed (its kernel in reverse start order, its
//!    connections closed so peers see `nodedown` at once, its EPMD registration
//!    withdrawn);
//! 3. every process left: `shutdown` to those that do not trap exits (so their links
//!    and monitors hear `shutdown`), `kill` to those that do (as `init` kills what is
//!    left), waiting for them to end.
//!
//! Step 1 takes at most [`SUPERVISION_GRACE`] in all and step 3 waits at most
//! [`LEFTOVER_GRACE`]: a child whose `Infinity` shutdown never comes, or a process
//! busy in blocking code, cannot hold the program forever; it is killed, or dropped
//! with its runtime. A runtime dropped while its thread panics (a failing test, say)
//! skips the orderly steps altogether.

use std::time::Duration;

use crate::process::{Down, ExitReason};

/// How long step 1 may take in all: a child with an `Infinity` shutdown that never
/// ends must not hold the program forever (what is left is killed in step 3).
pub(crate) const SUPERVISION_GRACE: Duration = Duration::from_secs(30);

/// How long step 3 waits for the processes left to end.
pub(crate) const LEFTOVER_GRACE: Duration = Duration::from_secs(5);

/// Runs the three steps; called in a process of the runtime being stopped.
pub(crate) async fn stop_all() {
    let roots = async {
        for sup in crate::otp::supervisor::roots::roots() {
            // An error means the supervisor is already gone (or went another way).
            let _ = crate::otp::supervisor::stop(sup, ExitReason::Shutdown).await;
        }
    };
    if tokio::time::timeout(SUPERVISION_GRACE, roots)
        .await
        .is_err()
    {
        crate::runtime::logger::report_warn!(
            "runtime stop: supervision trees still stopping after 30 s; the rest is killed"
        );
    }
    if let Some(node) = crate::dist::DistNode::get() {
        node.stop().await;
    }
    let me = crate::self_pid();
    let mut waiting = std::collections::HashSet::new();
    for (pid, traps) in crate::process::info::processes_trapping() {
        if pid == me {
            continue;
        }
        waiting.insert(crate::monitor(pid));
        let reason = if traps {
            ExitReason::Kill
        } else {
            ExitReason::Shutdown
        };
        crate::exit(pid, reason);
    }
    let deadline = tokio::time::Instant::now() + LEFTOVER_GRACE;
    while !waiting.is_empty() {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match crate::receive_timeout::<Down>(left).await {
            Some(down) => {
                waiting.remove(&down.reference);
            }
            None => {
                crate::runtime::logger::report_warn!(
                    processes = waiting.len(),
                    "runtime stop: processes still running after the grace period are dropped"
                );
                return;
            }
        }
    }
}
