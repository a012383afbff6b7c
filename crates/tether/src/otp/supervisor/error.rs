//! Errors of supervisor starts and of the management API (docs/semantics.md §5.7, §5.8).

use std::fmt;
use std::sync::Arc;

use tether_term::{Pid, Term};

use super::SpecError;
use crate::ExitReason;
use crate::otp::CallError;

/// Why a supervisor (or dynamic supervisor) did not start.
///
/// One of Tether's three start errors, named by what failed to start:
/// [`NodeStartError`](crate::dist::NodeStartError),
/// [`SupervisorStartError`] and
/// [`ServerStartError`](crate::otp::gen_server::ServerStartError). It converts to the
/// failed supervisor's exit reason with `ExitReason::from` (or `.into()`).
#[derive(Clone, Debug, PartialEq)]
pub enum SupervisorStartError {
    /// The name is taken by this process (`{already_started, Pid}`).
    AlreadyStarted(Pid),
    /// The flags are invalid (`{supervisor_data, {invalid_period, 0}}`).
    InvalidPeriod(u64),
    /// A child spec is invalid (`{start_spec, Err}`).
    StartSpec(SpecError),
    /// A child failed to start; the children started before it were shut down
    /// (`{shutdown, {failed_to_start_child, Id, Reason}}`).
    FailedToStartChild {
        /// The child's id.
        id: String,
        /// Why its start failed.
        reason: ExitReason,
    },
    /// The init function returned an error or crashed, or the supervisor died
    /// while starting (`{error, Reason}`).
    Init(ExitReason),
}

impl SupervisorStartError {
    /// A name that could not be taken: `AlreadyStarted`, or `Init` with the reason.
    pub(crate) fn from_name(e: crate::otp::server_ref::NameError) -> SupervisorStartError {
        match e {
            crate::otp::server_ref::NameError::Taken(p) => SupervisorStartError::AlreadyStarted(p),
            e => SupervisorStartError::Init(e.reason()),
        }
    }
}

/// The reason the failed supervisor exited with, as a child start result reason (the
/// `Reason` of Erlang's `{error, Reason}`).
///
/// Every start error of a process converts to an exit reason this one way, `From` (see
/// also [`ServerStartError`](crate::otp::gen_server::ServerStartError)).
///
/// ```
/// use tether::ExitReason;
/// use tether::otp::supervisor::SupervisorStartError;
/// let e = SupervisorStartError::Init(ExitReason::from("boom"));
/// assert_eq!(ExitReason::from(&e), ExitReason::from("boom"));
/// let r: ExitReason = e.into();
/// assert_eq!(r, ExitReason::from("boom"));
/// ```
impl From<&SupervisorStartError> for ExitReason {
    fn from(e: &SupervisorStartError) -> ExitReason {
        let t = match e {
            SupervisorStartError::AlreadyStarted(p) => {
                Term::tuple([Term::atom("already_started"), Term::Pid(*p)])
            }
            SupervisorStartError::InvalidPeriod(p) => Term::tuple([
                Term::atom("supervisor_data"),
                Term::tuple([Term::atom("invalid_period"), Term::Int(*p as i64)]),
            ]),
            SupervisorStartError::StartSpec(e) => {
                Term::tuple([Term::atom("start_spec"), e.to_term()])
            }
            SupervisorStartError::FailedToStartChild { id, reason } => {
                let inner = Term::tuple([
                    Term::atom("failed_to_start_child"),
                    Term::atom(id),
                    reason.to_term(),
                ]);
                return ExitReason::ShutdownWith(Arc::new(inner));
            }
            SupervisorStartError::Init(r) => return r.clone(),
        };
        ExitReason::Term(Arc::new(t))
    }
}

impl From<SupervisorStartError> for ExitReason {
    fn from(e: SupervisorStartError) -> ExitReason {
        match e {
            SupervisorStartError::Init(r) => r,
            e => ExitReason::from(&e),
        }
    }
}

impl fmt::Display for SupervisorStartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SupervisorStartError::AlreadyStarted(p) => write!(f, "already started as {p}"),
            SupervisorStartError::InvalidPeriod(p) => write!(f, "invalid restart period {p} s"),
            SupervisorStartError::StartSpec(e) => write!(f, "invalid child spec: {e}"),
            SupervisorStartError::FailedToStartChild { id, reason } => {
                write!(f, "child {id:?} failed to start: {reason}")
            }
            SupervisorStartError::Init(r) => write!(f, "init failed: {r}"),
        }
    }
}

impl std::error::Error for SupervisorStartError {}

/// Why a management call (`start_child`, `terminate_child`, ...) failed.
#[derive(Clone, Debug, PartialEq)]
pub enum SupervisorError {
    /// No child with that id (or pid).
    NotFound,
    /// The child is running (`delete_child`, `restart_child`).
    Running,
    /// The child is being restarted after a failed restart (I4).
    Restarting,
    /// A child with that id exists but is not running (`start_child`).
    AlreadyPresent,
    /// A child with that id is running as this process (`start_child`).
    AlreadyStarted(Pid),
    /// The child's start function failed with this reason.
    StartFailed(ExitReason),
    /// The spec is invalid.
    InvalidSpec(SpecError),
    /// The dynamic supervisor has `max_children` children.
    MaxChildren,
    /// The request needs child ids, which a dynamic supervisor does not keep
    /// (Erlang's `{error, simple_one_for_one}`).
    NotSupported,
    /// The supervisor could not be reached or died during the call.
    Call(CallError),
}

impl From<CallError> for SupervisorError {
    fn from(e: CallError) -> SupervisorError {
        SupervisorError::Call(e)
    }
}

impl fmt::Display for SupervisorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SupervisorError::NotFound => f.write_str("no such child"),
            SupervisorError::Running => f.write_str("the child is running"),
            SupervisorError::Restarting => f.write_str("the child is restarting"),
            SupervisorError::AlreadyPresent => f.write_str("a child with that id is present"),
            SupervisorError::AlreadyStarted(p) => write!(f, "the child is already started as {p}"),
            SupervisorError::StartFailed(r) => write!(f, "the child failed to start: {r}"),
            SupervisorError::InvalidSpec(e) => write!(f, "invalid child spec: {e}"),
            SupervisorError::MaxChildren => f.write_str("max_children reached"),
            SupervisorError::NotSupported => f.write_str("not supported by a dynamic supervisor"),
            SupervisorError::Call(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for SupervisorError {}
