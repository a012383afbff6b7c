//! The management API (docs/semantics.md §5.8): each function is a call to the supervisor
//! process, which answers from its loop (`State::handle`).
//!
//! All calls wait without a timeout, as OTP's do (`gen_server:call(Sup, _,
//! infinity)`); a dead or unknown supervisor is [`SupervisorError::Call`].

use tether_term::Pid;

use super::server::{Child, State, start_child_process};
use super::{
    CALL_TIMEOUT, ChildCounts, ChildInfo, ChildPid, ChildSpec, ChildType, Restart, SupervisorError,
};
use crate::otp::call::{ReplyTo, call};
use crate::otp::gen_server::CallError;
use crate::{Dest, ExitReason};

type Reply<T> = ReplyTo<Result<T, SupervisorError>>;

/// A management request. Dynamic supervisors answer `WhichChildren` and
/// `CountChildren` too, so trees can be walked through either kind.
pub(crate) enum Request {
    WhichChildren(ReplyTo<Vec<ChildInfo>>),
    CountChildren(ReplyTo<ChildCounts>),
    StartChild(ChildSpec, Reply<Option<Pid>>),
    TerminateChild(String, Reply<()>),
    RestartChild(String, Reply<Option<Pid>>),
    DeleteChild(String, Reply<()>),
    GetChildspec(String, Reply<ChildSpec>),
    /// Stop as the parent's exit signal would: children in reverse order, then exit
    /// with the reason ([`stop`]).
    Stop(ExitReason),
}

pub(crate) fn counts<'a>(children: impl Iterator<Item = (&'a ChildPid, ChildType)>) -> ChildCounts {
    let mut c = ChildCounts::default();
    for (pid, t) in children {
        c.specs += 1;
        if matches!(pid, ChildPid::Pid(_)) {
            c.active += 1;
        }
        match t {
            ChildType::Worker => c.workers += 1,
            ChildType::Supervisor => c.supervisors += 1,
        }
    }
    c
}

impl State {
    pub(crate) async fn handle(&mut self, req: Request) {
        match req {
            Request::WhichChildren(r) => r.reply(
                self.children
                    .iter()
                    .rev()
                    .map(|c| ChildInfo {
                        id: Some(c.spec.id.clone()),
                        pid: c.pid,
                        child_type: c.spec.child_type,
                        restarts: c.restarts,
                    })
                    .collect(),
            ),
            Request::CountChildren(r) => r.reply(counts(
                self.children.iter().map(|c| (&c.pid, c.spec.child_type)),
            )),
            Request::Stop(reason) => {
                self.terminate_all().await;
                crate::exit_self(reason);
            }
            Request::GetChildspec(id, r) => r.reply(match self.index_of(&id) {
                Some(i) => Ok(self.children[i].spec.clone()),
                None => Err(SupervisorError::NotFound),
            }),
            Request::StartChild(spec, r) => {
                let result = self.start_new(spec).await;
                r.reply(result)
            }
            Request::TerminateChild(id, r) => {
                let result = match self.index_of(&id) {
                    None => Err(SupervisorError::NotFound),
                    Some(i) => {
                        if self.stop_child(i).await {
                            self.children.remove(i);
                        }
                        Ok(())
                    }
                };
                r.reply(result)
            }
            Request::RestartChild(id, r) => {
                let result = match self.index_of(&id) {
                    None => Err(SupervisorError::NotFound),
                    Some(i) => match self.children[i].pid {
                        ChildPid::Pid(_) => Err(SupervisorError::Running),
                        ChildPid::Restarting => Err(SupervisorError::Restarting),
                        ChildPid::Undefined => {
                            match start_child_process(&self.children[i].spec, &None).await {
                                Ok(pid) => {
                                    self.children[i].pid =
                                        pid.map_or(ChildPid::Undefined, ChildPid::Pid);
                                    Ok(pid)
                                }
                                Err(e) => Err(SupervisorError::StartFailed(e)),
                            }
                        }
                    },
                };
                r.reply(result)
            }
            Request::DeleteChild(id, r) => {
                let result = match self.index_of(&id) {
                    None => Err(SupervisorError::NotFound),
                    Some(i) => match self.children[i].pid {
                        ChildPid::Pid(_) => Err(SupervisorError::Running),
                        ChildPid::Restarting => Err(SupervisorError::Restarting),
                        ChildPid::Undefined => {
                            self.children.remove(i);
                            Ok(())
                        }
                    },
                };
                r.reply(result)
            }
        }
    }

    async fn start_new(&mut self, spec: ChildSpec) -> Result<Option<Pid>, SupervisorError> {
        spec.check(self.auto_shutdown)
            .map_err(SupervisorError::InvalidSpec)?;
        if let Some(i) = self.index_of(&spec.id) {
            return Err(match self.children[i].pid {
                ChildPid::Pid(p) => SupervisorError::AlreadyStarted(p),
                _ => SupervisorError::AlreadyPresent,
            });
        }
        match start_child_process(&spec, &None).await {
            Ok(Some(pid)) => {
                self.children.push(Child {
                    spec,
                    pid: ChildPid::Pid(pid),
                    restarts: 0,
                });
                Ok(Some(pid))
            }
            Ok(None) => {
                if spec.restart != Restart::Temporary {
                    self.children.push(Child {
                        spec,
                        pid: ChildPid::Undefined,
                        restarts: 0,
                    });
                }
                Ok(None)
            }
            Err(e) => Err(SupervisorError::StartFailed(e)),
        }
    }
}

/// The children, most recently started first (O3): Erlang's `which_children/1`.
/// Works on dynamic supervisors too (ids are then `None`, order unspecified).
///
/// ```
/// # use tether::otp::supervisor::*;
/// # tether::Runtime::new().unwrap().block_on(async {
/// let sup = Supervisor::new(Strategy::OneForOne)
///     .child(ChildSpec::process("w", || std::future::pending::<()>()))
///     .start_link()
///     .await
///     .unwrap();
/// let kids = which_children(sup).await.unwrap();
/// assert_eq!(kids.len(), 1);
/// assert_eq!(kids[0].id.as_deref(), Some("w"));
/// assert_eq!(kids[0].child_type, ChildType::Worker);
/// assert!(matches!(kids[0].pid, ChildPid::Pid(_)));
/// # });
/// ```
pub async fn which_children(sup: impl Into<Dest>) -> Result<Vec<ChildInfo>, SupervisorError> {
    Ok(call(&sup.into(), Request::WhichChildren, CALL_TIMEOUT).await?)
}

/// Counts of specs, live children, supervisors and workers (`count_children/1`).
/// Works on dynamic supervisors too.
///
/// ```
/// # use tether::otp::supervisor::*;
/// # tether::Runtime::new().unwrap().block_on(async {
/// let sup = Supervisor::new(Strategy::OneForOne)
///     .child(ChildSpec::process("w", || std::future::pending::<()>()))
///     .start_link()
///     .await
///     .unwrap();
/// let counts = count_children(sup).await.unwrap();
/// assert_eq!((counts.specs, counts.active, counts.workers, counts.supervisors), (1, 1, 1, 0));
/// # });
/// ```
pub async fn count_children(sup: impl Into<Dest>) -> Result<ChildCounts, SupervisorError> {
    Ok(call(&sup.into(), Request::CountChildren, CALL_TIMEOUT).await?)
}

/// Adds a child at the end of the start order and starts it (`start_child/2`, I3).
///
/// `Ok(Some(pid))` when started, `Ok(None)` when its start returned `ignore` (the
/// spec is kept, unless temporary). Errors: [`AlreadyStarted`](SupervisorError::AlreadyStarted),
/// [`AlreadyPresent`](SupervisorError::AlreadyPresent), [`StartFailed`](SupervisorError::StartFailed)
/// (spec discarded), [`InvalidSpec`](SupervisorError::InvalidSpec).
///
/// ```
/// use tether::otp::supervisor::{start_child, ChildSpec, Strategy, Supervisor, SupervisorError};
/// tether::Runtime::new().unwrap().block_on(async {
///     let sup = Supervisor::new(Strategy::OneForOne).start_link().await.unwrap();
///     let spec = ChildSpec::process("w", || std::future::pending());
///     let pid = start_child(sup, spec.clone()).await.unwrap().unwrap();
///     assert_eq!(start_child(sup, spec).await, Err(SupervisorError::AlreadyStarted(pid)));
/// });
/// ```
pub async fn start_child(
    sup: impl Into<Dest>,
    spec: ChildSpec,
) -> Result<Option<Pid>, SupervisorError> {
    call(&sup.into(), |r| Request::StartChild(spec, r), CALL_TIMEOUT).await?
}

/// Stops a child with the shutdown protocol; it is not restarted and its spec is
/// kept (unless temporary). Stops a retry loop too (`terminate_child/2`).
///
/// ```
/// # use tether::otp::supervisor::*;
/// # tether::Runtime::new().unwrap().block_on(async {
/// let sup = Supervisor::new(Strategy::OneForOne)
///     .child(ChildSpec::process("w", || std::future::pending::<()>()))
///     .start_link()
///     .await
///     .unwrap();
/// terminate_child(sup, "w").await.unwrap();
/// let counts = count_children(sup).await.unwrap();
/// assert_eq!((counts.specs, counts.active), (1, 0)); // the spec stays
/// assert_eq!(terminate_child(sup, "x").await, Err(SupervisorError::NotFound));
/// # });
/// ```
pub async fn terminate_child(sup: impl Into<Dest>, id: &str) -> Result<(), SupervisorError> {
    let id = id.to_string();
    call(
        &sup.into(),
        |r| Request::TerminateChild(id, r),
        CALL_TIMEOUT,
    )
    .await?
}

/// Starts a stopped child again from its original spec (`restart_child/2`).
/// Errors: `Running`, `Restarting`, `NotFound`, `StartFailed` (spec kept).
///
/// ```
/// # use tether::otp::supervisor::*;
/// # tether::Runtime::new().unwrap().block_on(async {
/// let sup = Supervisor::new(Strategy::OneForOne)
///     .child(ChildSpec::process("w", || std::future::pending::<()>()))
///     .start_link()
///     .await
///     .unwrap();
/// assert_eq!(restart_child(sup, "w").await, Err(SupervisorError::Running));
/// terminate_child(sup, "w").await.unwrap();
/// let pid = restart_child(sup, "w").await.unwrap().unwrap();
/// assert!(tether::process_info(pid).is_some());
/// # });
/// ```
pub async fn restart_child(sup: impl Into<Dest>, id: &str) -> Result<Option<Pid>, SupervisorError> {
    let id = id.to_string();
    call(&sup.into(), |r| Request::RestartChild(id, r), CALL_TIMEOUT).await?
}

/// Removes a stopped child's spec (`delete_child/2`). Errors: `Running`,
/// `Restarting`, `NotFound`.
///
/// ```
/// # use tether::otp::supervisor::*;
/// # tether::Runtime::new().unwrap().block_on(async {
/// let sup = Supervisor::new(Strategy::OneForOne)
///     .child(ChildSpec::process("w", || std::future::pending::<()>()))
///     .start_link()
///     .await
///     .unwrap();
/// assert_eq!(delete_child(sup, "w").await, Err(SupervisorError::Running));
/// terminate_child(sup, "w").await.unwrap();
/// delete_child(sup, "w").await.unwrap();
/// assert_eq!(count_children(sup).await.unwrap().specs, 0);
/// # });
/// ```
pub async fn delete_child(sup: impl Into<Dest>, id: &str) -> Result<(), SupervisorError> {
    let id = id.to_string();
    call(&sup.into(), |r| Request::DeleteChild(id, r), CALL_TIMEOUT).await?
}

/// A child's spec (`get_childspec/2`).
///
/// ```
/// # use tether::otp::supervisor::*;
/// # tether::Runtime::new().unwrap().block_on(async {
/// let sup = Supervisor::new(Strategy::OneForOne)
///     .child(ChildSpec::process("w", || std::future::pending::<()>()))
///     .start_link()
///     .await
///     .unwrap();
/// let spec = get_childspec(sup, "w").await.unwrap();
/// assert_eq!(spec.id, "w");
/// assert_eq!(spec.restart, Restart::Permanent);
/// # });
/// ```
pub async fn get_childspec(sup: impl Into<Dest>, id: &str) -> Result<ChildSpec, SupervisorError> {
    let id = id.to_string();
    call(&sup.into(), |r| Request::GetChildspec(id, r), CALL_TIMEOUT).await?
}

/// Stops a supervisor, plain or dynamic, as its parent's exit would: it stops its
/// children in reverse start order, each within its shutdown time, and exits with
/// `reason`. Returns once it is gone (Elixir's `Supervisor.stop/2`; OTP's
/// `gen_server:stop/2` on a supervisor). It works whatever started the supervisor,
/// which is how a runtime that is dropped stops its supervision trees.
///
/// Errors: [`Call`](SupervisorError::Call) with `NoProc` if there is no such
/// supervisor on this node, or with `Exit(r)` if it ended with another reason `r`
/// meanwhile.
///
/// ```
/// use tether::otp::supervisor::{self, ChildSpec, Strategy, Supervisor};
/// use tether::{Down, ExitReason};
/// tether::Runtime::new().unwrap().block_on(async {
///     let sup = Supervisor::new(Strategy::OneForOne)
///         .child(ChildSpec::process("w", || std::future::pending()))
///         .start_link()
///         .await
///         .unwrap();
///     tether::unlink(sup);
///     let tether::otp::supervisor::ChildPid::Pid(w) = supervisor::which_children(sup).await.unwrap()[0].pid else { unreachable!() };
///     let watch = tether::monitor(w);
///     supervisor::stop(sup, ExitReason::Shutdown).await.unwrap();
///     let down: Down = tether::receive().await;
///     assert_eq!((down.reference, down.reason), (watch, ExitReason::Shutdown));
///     assert!(supervisor::stop(sup, ExitReason::Shutdown).await.is_err());
/// });
/// ```
pub async fn stop(sup: impl Into<Dest>, reason: ExitReason) -> Result<(), SupervisorError> {
    let Some(pid) = sup.into().whereis().filter(|p| p.node.is_local()) else {
        return Err(CallError::NoProc.into());
    };
    let mref = crate::monitor(pid);
    let _ = crate::send(pid, Request::Stop(reason.clone()));
    match super::shutdown::down_of(mref, None).await {
        Some(r) if r == reason => Ok(()),
        Some(ExitReason::Noproc) => Err(CallError::NoProc.into()),
        Some(r) => Err(CallError::Exit(r).into()),
        None => unreachable!("no timeout"),
    }
}
