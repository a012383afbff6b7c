//! The supervisor process: init, the receive loop, and what happens when a child exits.
//!
//! State is a list of children in **start order** (O1–O3): each holds its spec and
//! its [`ChildPid`]. The loop takes one message at a time:
//!
//! * `Exit` from the parent (the process that called `start_link`): stop all
//!   children in reverse order and exit with the same reason (gen_server's rule);
//! * `Exit` from a child: apply the restart decision of §5.3, then the strategy
//!   (`restart.rs`) under the intensity limit;
//! * `Exit` from anyone else: ignored, as OTP does;
//! * a management [`Request`] (`api.rs`);
//! * `TryAgain(id)`: the retry of a failed restart, sent to itself so that the
//!   supervisor answers calls between attempts (I4).

use std::sync::Arc;

use tether_term::{Pid, Term};

use super::api::Request;
use super::shutdown::{Stopping, shutdown_one};
use super::{
    AutoShutdown, ChildPid, ChildSpec, ExtraArgs, Intensity, Restart, StartResult, Strategy,
    Supervisor, SupervisorStartError, check_childspecs,
};
use crate::otp::start::Ack;
use crate::otp::unwind::CatchUnwind;
use crate::{Exit, ExitReason};

/// A child under a static supervisor.
pub(crate) struct Child {
    pub spec: ChildSpec,
    pub pid: ChildPid,
    /// Times this child was restarted after an exit (for the observer).
    pub restarts: u32,
}

/// The retry of a failed restart (Erlang's `try_again_restart` cast).
pub(crate) struct TryAgain(pub String);

pub(crate) struct State {
    pub parent: Pid,
    pub strategy: Strategy,
    pub auto_shutdown: AutoShutdown,
    pub intensity: Intensity,
    pub children: Vec<Child>,
}

/// Runs a child's start function in the calling (supervisor) process; `Err` if it
/// unwound (panicked or called `exit_self`), with that reason.
pub(crate) async fn run_start(
    spec: &ChildSpec,
    extra: &ExtraArgs,
) -> Result<StartResult, ExitReason> {
    CatchUnwind((spec.start)(extra)).await
}

/// [`run_start`] as a static supervisor sees it: an unwind is a failed start with
/// reason `{'EXIT', Reason}`, Erlang's `catch` (I1).
pub(crate) async fn start_child_process(spec: &ChildSpec, extra: &ExtraArgs) -> StartResult {
    match run_start(spec, extra).await {
        Ok(r) => r,
        Err(reason) => Err(ExitReason::Term(Arc::new(Term::tuple([
            Term::atom("EXIT"),
            reason.to_term(),
        ])))),
    }
}

/// The whole life of a static supervisor.
pub(crate) async fn run(sup: Supervisor, parent: Pid, ack: Ack<Option<SupervisorStartError>>) {
    let _root = super::roots::enter(super::roots::Kind::Supervisor, parent);
    crate::process::info::set_initial_call(crate::InitialCall {
        module: "supervisor",
        function: "init",
        arity: 1,
    });
    let sup = match &sup.init {
        None => sup,
        Some(init) => match CatchUnwind(init()).await {
            Ok(Ok(Some(s))) => {
                if let Some(n) = &s.name
                    && let Err(e) = n.register(crate::self_pid()).await
                {
                    ack.fail(Some(SupervisorStartError::from_name(e)));
                    return;
                }
                s
            }
            Ok(Ok(None)) => return ack.fail(None),
            Ok(Err(reason)) | Err(reason) => {
                ack.fail(Some(SupervisorStartError::Init(reason.clone())));
                crate::exit_self(reason);
            }
        },
    };
    if sup.max_seconds == 0 {
        let e = SupervisorStartError::InvalidPeriod(0);
        let reason = ExitReason::from(&e);
        ack.fail(Some(e));
        crate::exit_self(reason);
    }
    if let Err(e) = check_childspecs(&sup.children, sup.auto_shutdown) {
        let e = SupervisorStartError::StartSpec(e);
        let reason = ExitReason::from(&e);
        ack.fail(Some(e));
        crate::exit_self(reason);
    }
    let mut st = State {
        parent,
        strategy: sup.strategy,
        auto_shutdown: sup.auto_shutdown,
        intensity: Intensity::new(
            sup.max_restarts,
            std::time::Duration::from_secs(sup.max_seconds),
        ),
        children: Vec::with_capacity(sup.children.len()),
    };
    for spec in sup.children {
        match start_child_process(&spec, &None).await {
            Ok(Some(pid)) => st.children.push(Child {
                spec,
                pid: ChildPid::Pid(pid),
                restarts: 0,
            }),
            Ok(None) if spec.restart == Restart::Temporary => {}
            Ok(None) => st.children.push(Child {
                spec,
                pid: ChildPid::Undefined,
                restarts: 0,
            }),
            Err(reason) => {
                crate::runtime::logger::report_error!(child = %spec.id, reason = %reason, "supervisor report: start_error");
                st.terminate_all().await;
                let e = SupervisorStartError::FailedToStartChild {
                    id: spec.id,
                    reason,
                };
                let reason = ExitReason::from(&e);
                ack.fail(Some(e));
                crate::exit_self(reason);
            }
        }
    }
    ack.ok();
    st.serve().await
}

impl State {
    async fn serve(mut self) -> ! {
        // Receiving charges the cooperative budget, so a busy supervisor yields.
        loop {
            let m = crate::receive_any().await;
            let m = match m.downcast::<Exit>() {
                Ok(e) => {
                    self.child_exited(e).await;
                    continue;
                }
                Err(m) => m,
            };
            let m = match m.downcast::<Request>() {
                Ok(r) => {
                    self.handle(r).await;
                    continue;
                }
                Err(m) => m,
            };
            match m.downcast::<TryAgain>() {
                Ok(TryAgain(id)) => {
                    // A failing child can keep us busy forever: let others run
                    // between attempts (the retry goes through the mailbox so that
                    // calls are answered in between, I4).
                    tokio::task::yield_now().await;
                    let i = self.children.iter().position(|c| c.spec.id == id);
                    if let Some(i) = i
                        && self.children[i].pid == ChildPid::Restarting
                    {
                        self.restart(i).await;
                    }
                }
                Err(m) => {
                    crate::runtime::logger::report_warn!(message = ?m, "supervisor received unexpected message")
                }
            }
        }
    }

    pub(crate) fn index_of(&self, id: &str) -> Option<usize> {
        self.children.iter().position(|c| c.spec.id == id)
    }

    async fn child_exited(&mut self, e: Exit) {
        if e.from == self.parent {
            self.terminate_all().await;
            crate::exit_self(e.reason);
        }
        let Some(i) = self
            .children
            .iter()
            .position(|c| c.pid == ChildPid::Pid(e.from))
        else {
            return; // not a child (or an old incarnation of one)
        };
        let spec = &self.children[i].spec;
        let restart = match spec.restart {
            Restart::Permanent => true,
            Restart::Transient => !e.reason.is_clean(),
            Restart::Temporary => false,
        };
        if !e.reason.is_clean() || restart {
            crate::runtime::logger::report_error!(child = %spec.id, reason = %e.reason, "supervisor report: child_terminated");
        }
        if restart {
            self.children[i].pid = ChildPid::Undefined;
            return self.restart(i).await;
        }
        let significant = spec.significant;
        if spec.restart == Restart::Temporary {
            self.children.remove(i);
        } else {
            self.children[i].pid = ChildPid::Undefined;
        }
        if significant && self.auto_shutdown_due() {
            self.terminate_all().await;
            crate::exit_self(ExitReason::Shutdown);
        }
    }

    /// After a significant child ended by itself: whether to shut down (§5.9).
    fn auto_shutdown_due(&self) -> bool {
        match self.auto_shutdown {
            AutoShutdown::Never => false,
            AutoShutdown::AnySignificant => true,
            AutoShutdown::AllSignificant => !self
                .children
                .iter()
                .any(|c| c.spec.significant && matches!(c.pid, ChildPid::Pid(_))),
        }
    }

    /// Stops child `i` with the shutdown protocol; `true` if its spec must be
    /// dropped (temporary). Leaves the pid `Undefined`.
    pub(crate) async fn stop_child(&mut self, i: usize) -> bool {
        let c = &mut self.children[i];
        if let ChildPid::Pid(pid) = c.pid {
            let s = Stopping {
                pid,
                shutdown: c.spec.shutdown,
                restart: c.spec.restart,
            };
            shutdown_one(s).await;
        }
        let c = &mut self.children[i];
        c.pid = ChildPid::Undefined;
        c.spec.restart == Restart::Temporary
    }

    /// Stops children `from..` in reverse start order, dropping temporary ones (O2).
    pub(crate) async fn terminate_from(&mut self, from: usize) {
        for i in (from..self.children.len()).rev() {
            if self.stop_child(i).await {
                self.children.remove(i);
            }
        }
    }

    /// Stops every child in reverse start order.
    pub(crate) async fn terminate_all(&mut self) {
        self.terminate_from(0).await
    }
}
