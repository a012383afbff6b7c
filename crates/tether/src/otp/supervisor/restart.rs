//! The restart strategies (docs/semantics.md §5.4) under the intensity limit (§5.5).
//!
//! Every restart *attempt* — the first after a crash and each retry after a failed
//! start — first records itself with [`Intensity::add_restart`](super::Intensity).
//! Over the limit, the supervisor stops all children and exits `shutdown`.
//!
//! * `OneForOne`: start the child again.
//! * `OneForAll`: stop every other child (reverse order; temporary ones are dropped,
//!   never restarted), then start all children in order.
//! * `RestForOne`: the same for the children after the crashed one.
//!
//! If a start fails, that child is marked `Restarting`, the ones after it stay not
//! started, and the supervisor sends itself `TryAgain(id)`: the retry re-runs the
//! strategy for that child (so `RestForOne` resumes from the child that failed).

use super::server::{State, TryAgain, start_child_process};
use super::{ChildPid, Restart, Strategy};
use crate::ExitReason;

impl State {
    /// Restarts child `i` (whose process is gone) per the strategy.
    pub(crate) async fn restart(&mut self, i: usize) {
        if !self.intensity.add_restart() {
            let id = &self.children[i].spec.id;
            crate::runtime::logger::report_error!(child = %id, "supervisor report: reached_max_restart_intensity");
            if self.children[i].spec.restart == Restart::Temporary {
                self.children.remove(i);
            } else {
                self.children[i].pid = ChildPid::Undefined;
            }
            self.terminate_all().await;
            crate::exit_self(ExitReason::Shutdown);
        }
        self.children[i].pid = ChildPid::Undefined;
        self.children[i].restarts = self.children[i].restarts.saturating_add(1);
        crate::runtime::stats::restarted();
        tracing::info!(
            supervisor = %crate::self_pid(),
            child = %self.children[i].spec.id,
            restarts = self.children[i].restarts,
            "supervisor report: restarting child"
        );
        match self.strategy {
            Strategy::OneForOne => {
                self.start_range(i, i + 1).await;
            }
            Strategy::OneForAll => {
                let id = self.children[i].spec.id.clone();
                self.terminate_all().await;
                let Some(_) = self.index_of(&id) else { return };
                self.start_range(0, self.children.len()).await;
            }
            Strategy::RestForOne => {
                self.terminate_from(i + 1).await;
                self.start_range(i, self.children.len()).await;
            }
        }
    }

    /// Starts children `from..to` in order; on a failure marks that child
    /// `Restarting`, schedules the retry and stops.
    async fn start_range(&mut self, from: usize, to: usize) {
        let mut i = from;
        while i < to.min(self.children.len()) {
            let c = &self.children[i];
            match start_child_process(&c.spec, &None).await {
                Ok(Some(pid)) => self.children[i].pid = ChildPid::Pid(pid),
                Ok(None) if c.spec.restart == Restart::Temporary => {
                    self.children.remove(i);
                    continue;
                }
                Ok(None) => self.children[i].pid = ChildPid::Undefined,
                Err(reason) => {
                    let id = c.spec.id.clone();
                    crate::runtime::logger::report_error!(child = %id, reason = %reason, "supervisor report: start_error");
                    self.children[i].pid = ChildPid::Restarting;
                    let _ = crate::send(crate::self_pid(), TryAgain(id));
                    return;
                }
            }
            i += 1;
        }
    }
}
