//! Dynamic supervisors: children started on demand (Elixir's `DynamicSupervisor`,
//! docs/semantics.md §5.10).
//!
//! A dynamic supervisor starts with no children; [`start_child`] adds one from a full
//! [`ChildSpec`] (its id is ignored, duplicates are fine). Strategy is always
//! one-for-one and the restart intensity rule is the supervisor's (§5.5). Children
//! live in a map keyed by pid, so finding the child of an `'EXIT'` is O(1) however
//! many there are; a child whose restart failed stays under its *old* pid, marked
//! restarting, until the retry (`TryAgain(old_pid)`, Elixir's `{:"$gen_restart", pid}`)
//! succeeds or the intensity runs out.
//!
//! Differences from [`Supervisor`](crate::otp::supervisor::Supervisor), as in Elixir:
//! a start that returns `ignore` gives `Ok(None)` and stores nothing; start errors
//! come back unwrapped; `max_children` caps the children (restarting ones count);
//! `extra_arguments` are handed to every start function (also on restart); and
//! shutdown stops all children **concurrently** (DS6).
//!
//! ```
//! use tether::otp::dynamic_supervisor::{self, DynamicSupervisor};
//! use tether::otp::supervisor::ChildSpec;
//!
//! tether::Runtime::new().unwrap().block_on(async {
//!     let sup = DynamicSupervisor::new().max_children(2).start_link().await.unwrap();
//!     let spec = ChildSpec::process("worker", || std::future::pending());
//!     let a = dynamic_supervisor::start_child(sup, spec.clone()).await.unwrap().unwrap();
//!     dynamic_supervisor::start_child(sup, spec.clone()).await.unwrap();
//!     assert!(dynamic_supervisor::start_child(sup, spec).await.is_err()); // max_children
//!     dynamic_supervisor::terminate_child(sup, a).await.unwrap();
//!     assert_eq!(dynamic_supervisor::count_children(sup).await.unwrap().active, 1);
//! });
//! ```

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tether_term::{Atom, Pid};

use super::call::{ReplyTo, call};
use super::server_ref::StartName;
use super::start::{self, Ack, Started};
use super::supervisor::api::{Request, counts};
use super::supervisor::server::run_start;
use super::supervisor::shutdown::{Stopping, shutdown_many};
use super::supervisor::{
    CALL_TIMEOUT, ChildCounts, ChildInfo, ChildPid, ChildSpec, ExtraArgs, Intensity, Restart,
    StartResult, SupervisorError, SupervisorStartError,
};
use crate::Dest;
use crate::Via;
use crate::{Exit, ExitReason};

/// A dynamic supervisor to start. Defaults are Elixir's: 3 restarts in 5 seconds,
/// no `max_children`, no extra arguments.
#[derive(Clone, Default)]
pub struct DynamicSupervisor {
    max_restarts: Option<u32>,
    max_seconds: Option<u64>,
    max_children: Option<usize>,
    extra: ExtraArgs,
    name: Option<StartName>,
}

impl std::fmt::Debug for DynamicSupervisor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DynamicSupervisor")
            .field("max_restarts", &self.max_restarts)
            .field("max_seconds", &self.max_seconds)
            .field("max_children", &self.max_children)
            .finish_non_exhaustive()
    }
}

struct DynChild {
    spec: ChildSpec,
    restarting: bool,
    /// Times this child was restarted (carried over to its new pid).
    restarts: u32,
}

/// The retry of a failed restart of the child that had this pid.
struct RetryPid(Pid);

/// Requests only a dynamic supervisor answers.
enum DynRequest {
    TerminateChild(Pid, ReplyTo<Result<(), SupervisorError>>),
}

impl DynamicSupervisor {
    /// A dynamic supervisor with the default settings.
    ///
    /// ```
    /// # use tether::otp::dynamic_supervisor::{self, DynamicSupervisor};
    /// # use tether::otp::supervisor::ChildSpec;
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let sup = DynamicSupervisor::new().start_link().await.unwrap();
    /// assert_eq!(dynamic_supervisor::count_children(sup).await.unwrap().active, 0);
    /// # });
    /// ```
    pub fn new() -> DynamicSupervisor {
        DynamicSupervisor::default()
    }

    /// At most `n` restarts within `max_seconds` (default 3).
    ///
    /// ```
    /// # use tether::otp::dynamic_supervisor::{self, DynamicSupervisor};
    /// # use tether::otp::supervisor::ChildSpec;
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// use tether::{Down, ExitReason};
    /// tether::trap_exit(true);
    /// let sup = DynamicSupervisor::new().max_restarts(0).start_link().await.unwrap();
    /// let mref = tether::monitor(sup);
    /// let spec = ChildSpec::process("w", || std::future::pending::<()>());
    /// let w = dynamic_supervisor::start_child(sup, spec).await.unwrap().unwrap();
    /// tether::exit(w, ExitReason::Kill); // one crash is one restart too many
    /// let down: Down = tether::receive().await;
    /// assert_eq!((down.reference, down.reason), (mref, ExitReason::Shutdown));
    /// # });
    /// ```
    pub fn max_restarts(mut self, n: u32) -> DynamicSupervisor {
        self.max_restarts = Some(n);
        self
    }

    /// The restart window in whole seconds (default 5, must be > 0).
    ///
    /// ```
    /// # use tether::otp::dynamic_supervisor::{self, DynamicSupervisor};
    /// # use tether::otp::supervisor::ChildSpec;
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let sup = DynamicSupervisor::new().max_restarts(10).max_seconds(60).start_link().await.unwrap();
    /// assert!(tether::process_info(sup).is_some());
    /// # });
    /// ```
    pub fn max_seconds(mut self, secs: u64) -> DynamicSupervisor {
        self.max_seconds = Some(secs);
        self
    }

    /// At most `n` children, restarting ones included (default: no limit).
    ///
    /// ```
    /// # use tether::otp::dynamic_supervisor::{self, DynamicSupervisor};
    /// # use tether::otp::supervisor::ChildSpec;
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// use tether::otp::supervisor::SupervisorError;
    /// let sup = DynamicSupervisor::new().max_children(1).start_link().await.unwrap();
    /// let spec = ChildSpec::process("w", || std::future::pending::<()>());
    /// dynamic_supervisor::start_child(sup, spec.clone()).await.unwrap();
    /// let full = dynamic_supervisor::start_child(sup, spec).await;
    /// assert_eq!(full, Err(SupervisorError::MaxChildren));
    /// # });
    /// ```
    pub fn max_children(mut self, n: usize) -> DynamicSupervisor {
        self.max_children = Some(n);
        self
    }

    /// Extra arguments passed to the start functions of children built with
    /// [`ChildSpec::with_extra_args`], on every start and restart (DS4).
    ///
    /// ```
    /// # use tether::otp::dynamic_supervisor::{self, DynamicSupervisor};
    /// # use tether::otp::supervisor::ChildSpec;
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let me = tether::self_pid();
    /// let sup = DynamicSupervisor::new()
    ///     .extra_arguments(String::from("hello"))
    ///     .start_link()
    ///     .await
    ///     .unwrap();
    /// let spec = ChildSpec::with_extra_args("greeter", move |greeting: String| async move {
    ///     Ok(Some(tether::spawn_link(async move { tether::send(me, greeting).unwrap() })))
    /// });
    /// dynamic_supervisor::start_child(sup, spec.restart(tether::otp::supervisor::Restart::Temporary))
    ///     .await
    ///     .unwrap();
    /// assert_eq!(tether::receive::<String>().await, "hello");
    /// # });
    /// ```
    pub fn extra_arguments<E: Clone + Send + Sync + 'static>(mut self, e: E) -> DynamicSupervisor {
        self.extra = Some(Arc::new(e));
        self
    }

    /// Registers the supervisor under a local name.
    ///
    /// ```
    /// # use tether::otp::dynamic_supervisor::{self, DynamicSupervisor};
    /// # use tether::otp::supervisor::ChildSpec;
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let sup = DynamicSupervisor::new().name("conns").start_link().await.unwrap();
    /// assert_eq!(tether::whereis("conns"), Some(sup));
    /// let spec = ChildSpec::process("c", || std::future::pending::<()>());
    /// dynamic_supervisor::start_child("conns", spec).await.unwrap();
    /// # });
    /// ```
    pub fn name(mut self, name: impl Into<Atom>) -> DynamicSupervisor {
        self.name = Some(StartName::Local(name.into()));
        self
    }

    /// Registers the supervisor under a via name.
    ///
    /// ```
    /// # use tether::otp::dynamic_supervisor::{self, DynamicSupervisor};
    /// # use tether::otp::supervisor::ChildSpec;
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// use tether::otp::registry::{Keys, Registry, RegistryOptions};
    /// let reg = Registry::<String, ()>::start_link(RegistryOptions::new(Keys::Unique, "dyn_reg"))
    ///     .await
    ///     .unwrap();
    /// let name = reg.via("rooms".to_string(), ()).unwrap();
    /// let sup = DynamicSupervisor::new().via(name.clone()).start_link().await.unwrap();
    /// assert_eq!(reg.lookup(&"rooms".to_string()), vec![(sup, ())]);
    /// # });
    /// ```
    pub fn via(mut self, name: impl Via) -> DynamicSupervisor {
        self.name = Some(StartName::via(name));
        self
    }

    /// Starts the supervisor linked to the caller.
    ///
    /// ```
    /// # use tether::otp::dynamic_supervisor::{self, DynamicSupervisor};
    /// # use tether::otp::supervisor::ChildSpec;
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let sup = DynamicSupervisor::new().start_link().await.unwrap();
    /// assert!(tether::process_info(sup).unwrap().links.contains(&tether::self_pid()));
    /// # });
    /// ```
    pub async fn start_link(self) -> Result<Pid, SupervisorStartError> {
        let parent = crate::self_pid();
        let name = self.name.clone();
        match start::start_link(name, move |ack| run(self, parent, ack)).await {
            Started::Ok(pid) => Ok(pid),
            Started::Failed(e) => Err(e),
            Started::Name(e) => Err(SupervisorStartError::from_name(e)),
            Started::Died(r) => Err(SupervisorStartError::Init(r)),
        }
    }
}

struct State {
    parent: Pid,
    intensity: Intensity,
    max_children: Option<usize>,
    extra: ExtraArgs,
    children: HashMap<Pid, DynChild>,
}

async fn run(ds: DynamicSupervisor, parent: Pid, ack: Ack<SupervisorStartError>) {
    crate::process::info::set_initial_call(crate::InitialCall {
        module: "dynamic_supervisor",
        function: "init",
        arity: 1,
    });
    let _root =
        crate::otp::supervisor::roots::enter(crate::otp::supervisor::roots::Kind::Dynamic, parent);
    let period = ds.max_seconds.unwrap_or(5);
    if period == 0 {
        let e = SupervisorStartError::InvalidPeriod(0);
        let reason = ExitReason::from(&e);
        ack.fail(e);
        crate::exit_self(reason);
    }
    let mut st = State {
        parent,
        intensity: Intensity::new(ds.max_restarts.unwrap_or(3), Duration::from_secs(period)),
        max_children: ds.max_children,
        extra: ds.extra,
        children: HashMap::new(),
    };
    ack.ok();
    // Receiving charges the cooperative budget, so a busy supervisor yields.
    loop {
        let m = crate::receive_any().await;
        let m = match m.downcast::<Exit>() {
            Ok(e) => {
                st.exited(e).await;
                continue;
            }
            Err(m) => m,
        };
        let m = match m.downcast::<Request>() {
            Ok(r) => {
                st.handle(r).await;
                continue;
            }
            Err(m) => m,
        };
        let m = match m.downcast::<DynRequest>() {
            Ok(DynRequest::TerminateChild(pid, r)) => {
                let result = st.terminate(pid).await;
                r.reply(result);
                continue;
            }
            Err(m) => m,
        };
        match m.downcast::<RetryPid>() {
            Ok(RetryPid(old)) => {
                tokio::task::yield_now().await;
                if st.children.get(&old).is_some_and(|c| c.restarting) {
                    st.restart(old).await;
                }
            }
            Err(m) => {
                crate::runtime::logger::report_warn!(message = ?m, "dynamic supervisor received unexpected message")
            }
        }
    }
}

impl State {
    async fn stop_all(&mut self) {
        let all = self
            .children
            .drain()
            .filter(|(_, c)| !c.restarting)
            .map(|(pid, c)| Stopping {
                pid,
                shutdown: c.spec.shutdown,
                restart: c.spec.restart,
            })
            .collect();
        shutdown_many(all).await;
    }

    async fn exited(&mut self, e: Exit) {
        if e.from == self.parent {
            self.stop_all().await;
            crate::exit_self(e.reason);
        }
        let Some(child) = self.children.get(&e.from) else {
            return;
        };
        if child.restarting {
            return;
        }
        let restart = match child.spec.restart {
            Restart::Permanent => true,
            Restart::Transient => !e.reason.is_clean(),
            Restart::Temporary => false,
        };
        if !e.reason.is_clean() || restart {
            crate::runtime::logger::report_error!(child = %e.from, reason = %e.reason, "supervisor report: child_terminated");
        }
        if restart {
            self.restart(e.from).await;
        } else {
            self.children.remove(&e.from);
        }
    }

    /// Restarts the child stored under `old` (its exited or restarting pid).
    async fn restart(&mut self, old: Pid) {
        if !self.intensity.add_restart() {
            crate::runtime::logger::report_error!(
                "supervisor report: reached_max_restart_intensity"
            );
            self.children.remove(&old);
            self.stop_all().await;
            crate::exit_self(ExitReason::Shutdown);
        }
        let child = self
            .children
            .remove(&old)
            .expect("restarting a known child");
        let restarts = child.restarts.saturating_add(1);
        crate::runtime::stats::restarted();
        tracing::info!(
            supervisor = %crate::self_pid(),
            child = %old,
            restarts,
            "supervisor report: restarting child"
        );
        match start(&child.spec, &self.extra).await {
            Ok(Some(pid)) => {
                self.children.insert(
                    pid,
                    DynChild {
                        spec: child.spec,
                        restarting: false,
                        restarts,
                    },
                );
            }
            Ok(None) => {}
            Err(reason) => {
                crate::runtime::logger::report_error!(child = %old, reason = %reason, "supervisor report: start_error");
                self.children.insert(
                    old,
                    DynChild {
                        spec: child.spec,
                        restarting: true,
                        restarts,
                    },
                );
                let _ = crate::send(crate::self_pid(), RetryPid(old));
            }
        }
    }

    async fn terminate(&mut self, pid: Pid) -> Result<(), SupervisorError> {
        let child = self
            .children
            .remove(&pid)
            .ok_or(SupervisorError::NotFound)?;
        if !child.restarting {
            let s = Stopping {
                pid,
                shutdown: child.spec.shutdown,
                restart: child.spec.restart,
            };
            shutdown_many(vec![s]).await;
        }
        Ok(())
    }

    async fn handle(&mut self, req: Request) {
        match req {
            Request::Stop(reason) => {
                self.stop_all().await;
                crate::exit_self(reason);
            }
            Request::WhichChildren(r) => r.reply(
                self.children
                    .iter()
                    .map(|(pid, c)| ChildInfo {
                        id: None,
                        pid: if c.restarting {
                            ChildPid::Restarting
                        } else {
                            ChildPid::Pid(*pid)
                        },
                        child_type: c.spec.child_type,
                        restarts: c.restarts,
                    })
                    .collect(),
            ),
            Request::CountChildren(r) => r.reply(self.counts()),
            Request::StartChild(spec, r) => {
                let result = if self.max_children.is_some_and(|m| self.children.len() >= m) {
                    Err(SupervisorError::MaxChildren)
                } else {
                    match start(&spec, &self.extra).await {
                        Ok(Some(pid)) => {
                            self.children.insert(
                                pid,
                                DynChild {
                                    spec,
                                    restarting: false,
                                    restarts: 0,
                                },
                            );
                            Ok(Some(pid))
                        }
                        Ok(None) => Ok(None),
                        Err(e) => Err(SupervisorError::StartFailed(e)),
                    }
                };
                r.reply(result)
            }
            Request::TerminateChild(_, r) | Request::DeleteChild(_, r) => {
                r.reply(Err(SupervisorError::NotSupported))
            }
            Request::RestartChild(_, r) => r.reply(Err(SupervisorError::NotSupported)),
            Request::GetChildspec(_, r) => r.reply(Err(SupervisorError::NotSupported)),
        }
    }

    fn counts(&self) -> ChildCounts {
        let pids: Vec<(ChildPid, _)> = self
            .children
            .iter()
            .map(|(p, c)| {
                (
                    if c.restarting {
                        ChildPid::Restarting
                    } else {
                        ChildPid::Pid(*p)
                    },
                    c.spec.child_type,
                )
            })
            .collect();
        counts(pids.iter().map(|(p, t)| (p, *t)))
    }
}

/// Runs a start function: an unwind is the start's error, unwrapped (DS2).
async fn start(spec: &ChildSpec, extra: &ExtraArgs) -> StartResult {
    run_start(spec, extra).await.unwrap_or_else(Err)
}

/// Starts a child under the dynamic supervisor (docs/semantics.md §5.10 DS1–DS3).
///
/// `Ok(Some(pid))` when started; `Ok(None)` when its start returned `ignore`
/// (nothing stored); [`SupervisorError::StartFailed`] with the start's reason
/// (a panic or `exit_self` in the start function included);
/// [`SupervisorError::MaxChildren`].
///
/// ```
/// # use tether::otp::dynamic_supervisor::{self, DynamicSupervisor};
/// # use tether::otp::supervisor::ChildSpec;
/// # tether::Runtime::new().unwrap().block_on(async {
/// let sup = DynamicSupervisor::new().start_link().await.unwrap();
/// let spec = ChildSpec::process("conn", || std::future::pending::<()>());
/// // Ids do not matter here: start as many children from one spec as needed.
/// let a = dynamic_supervisor::start_child(sup, spec.clone()).await.unwrap().unwrap();
/// let b = dynamic_supervisor::start_child(sup, spec).await.unwrap().unwrap();
/// assert_ne!(a, b);
/// assert_eq!(dynamic_supervisor::count_children(sup).await.unwrap().active, 2);
/// # });
/// ```
pub async fn start_child(
    sup: impl Into<Dest>,
    spec: ChildSpec,
) -> Result<Option<Pid>, SupervisorError> {
    call(&sup.into(), |r| Request::StartChild(spec, r), CALL_TIMEOUT).await?
}

/// Stops the child `pid` with the shutdown protocol; [`SupervisorError::NotFound`]
/// if it is not a child (DS5).
///
/// ```
/// # use tether::otp::dynamic_supervisor::{self, DynamicSupervisor};
/// # use tether::otp::supervisor::ChildSpec;
/// # tether::Runtime::new().unwrap().block_on(async {
/// use tether::otp::supervisor::SupervisorError;
/// let sup = DynamicSupervisor::new().start_link().await.unwrap();
/// let spec = ChildSpec::process("conn", || std::future::pending::<()>());
/// let c = dynamic_supervisor::start_child(sup, spec).await.unwrap().unwrap();
/// dynamic_supervisor::terminate_child(sup, c).await.unwrap();
/// assert!(tether::process_info(c).is_none());
/// assert_eq!(dynamic_supervisor::terminate_child(sup, c).await, Err(SupervisorError::NotFound));
/// # });
/// ```
pub async fn terminate_child(sup: impl Into<Dest>, pid: Pid) -> Result<(), SupervisorError> {
    call(
        &sup.into(),
        |r| DynRequest::TerminateChild(pid, r),
        CALL_TIMEOUT,
    )
    .await?
}

/// The children, in no particular order; ids are `None` (DS5).
///
/// ```
/// # use tether::otp::dynamic_supervisor::{self, DynamicSupervisor};
/// # use tether::otp::supervisor::ChildSpec;
/// # tether::Runtime::new().unwrap().block_on(async {
/// use tether::otp::supervisor::ChildPid;
/// let sup = DynamicSupervisor::new().start_link().await.unwrap();
/// let spec = ChildSpec::process("conn", || std::future::pending::<()>());
/// let c = dynamic_supervisor::start_child(sup, spec).await.unwrap().unwrap();
/// let kids = dynamic_supervisor::which_children(sup).await.unwrap();
/// assert_eq!(kids.len(), 1);
/// assert_eq!((kids[0].id.clone(), kids[0].pid), (None, ChildPid::Pid(c)));
/// # });
/// ```
pub async fn which_children(sup: impl Into<Dest>) -> Result<Vec<ChildInfo>, SupervisorError> {
    super::supervisor::which_children(sup).await
}

/// Counts of children (`specs` includes restarting ones, `active` does not).
///
/// ```
/// # use tether::otp::dynamic_supervisor::{self, DynamicSupervisor};
/// # use tether::otp::supervisor::ChildSpec;
/// # tether::Runtime::new().unwrap().block_on(async {
/// let sup = DynamicSupervisor::new().start_link().await.unwrap();
/// let spec = ChildSpec::process("conn", || std::future::pending::<()>());
/// for _ in 0..3 {
///     dynamic_supervisor::start_child(sup, spec.clone()).await.unwrap();
/// }
/// let n = dynamic_supervisor::count_children(sup).await.unwrap();
/// assert_eq!((n.specs, n.active, n.workers), (3, 3, 3));
/// # });
/// ```
pub async fn count_children(sup: impl Into<Dest>) -> Result<ChildCounts, SupervisorError> {
    super::supervisor::count_children(sup).await
}
