//! Task supervisors: a dynamic supervisor for one-off tasks (Elixir's
//! `Task.Supervisor`, docs/semantics.md §6.2).
//!
//! A task supervisor *is* a [`DynamicSupervisor`]; its children are `temporary`
//! with a 5 s shutdown (DS8). This module is deliberately small — fire-and-forget
//! [`start_child`], [`children`], [`terminate_child`], and minimal [`async_nolink`] /
//! [`async_link`] that hand back a [`SupervisedTask`] to await — so that the `Task`
//! type of the GenServer/Task layer can replace the await side later.
//!
//! The reply protocol avoids a race without any shared state: the task process is
//! started first but waits for a `Go` message; the caller monitors it (and links,
//! for `async_link`) and only then sends `Go` carrying the monitor reference. The
//! task sends `(reference, result)` back and exits `normal`, so the caller sees the
//! result and then a `DOWN` with reason `normal`, as in Elixir.
//!
//! ```
//! use std::time::Duration;
//! use tether::otp::task_supervisor;
//!
//! tether::Runtime::new().unwrap().block_on(async {
//!     let sup = task_supervisor::start_link().await.unwrap();
//!     let task = task_supervisor::async_nolink(sup, || async { 6 * 7 }).await.unwrap();
//!     assert_eq!(task.await_result(Duration::from_secs(5)).await, Ok(42));
//! });
//! ```

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::Mutex;
use std::time::Duration;

use tether_term::{Pid, Reference};

use super::dynamic_supervisor::{self, DynamicSupervisor};
use super::gen_server::{CallError, Timeout};
use super::request::{await_reply, reply_local};
use super::supervisor::{ChildSpec, Restart, SupervisorError, SupervisorStartError};
use crate::Dest;
use crate::{AliasMode, ExitReason};

/// Starts a task supervisor linked to the caller.
///
/// ```
/// # use std::time::Duration;
/// # use tether::otp::task_supervisor;
/// # tether::Runtime::new().unwrap().block_on(async {
/// let sup = task_supervisor::start_link().await.unwrap();
/// let t = task_supervisor::async_nolink(sup, || async { 2 + 2 }).await.unwrap();
/// assert_eq!(t.await_result(Duration::from_secs(1)).await, Ok(4));
/// # });
/// ```
pub async fn start_link() -> Result<Pid, SupervisorStartError> {
    DynamicSupervisor::new().start_link().await
}

/// Starts a task supervisor with the given settings (`max_children`, name, ...).
///
/// ```
/// # use std::time::Duration;
/// # use tether::otp::task_supervisor;
/// # tether::Runtime::new().unwrap().block_on(async {
/// use tether::otp::dynamic_supervisor::DynamicSupervisor;
/// use tether::otp::supervisor::SupervisorError;
/// let sup = task_supervisor::start_link_with(DynamicSupervisor::new().max_children(1).name("jobs"))
///     .await
///     .unwrap();
/// assert_eq!(tether::whereis("jobs"), Some(sup));
/// task_supervisor::start_child(sup, || std::future::pending::<()>()).await.unwrap();
/// let full = task_supervisor::start_child(sup, || async {}).await;
/// assert_eq!(full, Err(SupervisorError::MaxChildren));
/// # });
/// ```
pub async fn start_link_with(sup: DynamicSupervisor) -> Result<Pid, SupervisorStartError> {
    sup.start_link().await
}

fn task_spec<F, Fut>(f: F) -> ChildSpec
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let once = Mutex::new(Some(f));
    ChildSpec::new("task", move || {
        let f = once.lock().unwrap_or_else(|e| e.into_inner()).take();
        async move {
            match f {
                Some(f) => Ok(Some(crate::spawn_link(f()))),
                None => Err(ExitReason::from("badarg")), // temporary: never restarted
            }
        }
    })
    .restart(Restart::Temporary)
}

/// Starts `f` as a supervised, temporary task, not linked to the caller
/// (`Task.Supervisor.start_child/2`).
///
/// ```
/// use tether::otp::task_supervisor;
/// tether::Runtime::new().unwrap().block_on(async {
///     let sup = task_supervisor::start_link().await.unwrap();
///     let me = tether::self_pid();
///     task_supervisor::start_child(sup, move || async move {
///         tether::send(me, "done").unwrap();
///     }).await.unwrap();
///     assert_eq!(tether::receive::<&str>().await, "done");
/// });
/// ```
pub async fn start_child<F, Fut>(sup: impl Into<Dest>, f: F) -> Result<Pid, SupervisorError>
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    match dynamic_supervisor::start_child(sup, task_spec(f)).await? {
        Some(pid) => Ok(pid),
        None => unreachable!("a task never returns ignore"),
    }
}

/// The pids of the supervisor's running tasks (`Task.Supervisor.children/1`).
///
/// ```
/// # use std::time::Duration;
/// # use tether::otp::task_supervisor;
/// # tether::Runtime::new().unwrap().block_on(async {
/// let sup = task_supervisor::start_link().await.unwrap();
/// let t = task_supervisor::start_child(sup, || std::future::pending::<()>()).await.unwrap();
/// assert_eq!(task_supervisor::children(sup).await.unwrap(), [t]);
/// # });
/// ```
pub async fn children(sup: impl Into<Dest>) -> Result<Vec<Pid>, SupervisorError> {
    let all = dynamic_supervisor::which_children(sup).await?;
    Ok(all
        .into_iter()
        .filter_map(|c| match c.pid {
            super::supervisor::ChildPid::Pid(p) => Some(p),
            _ => None,
        })
        .collect())
}

/// Stops a task (`Task.Supervisor.terminate_child/2`).
///
/// ```
/// # use std::time::Duration;
/// # use tether::otp::task_supervisor;
/// # tether::Runtime::new().unwrap().block_on(async {
/// let sup = task_supervisor::start_link().await.unwrap();
/// let t = task_supervisor::start_child(sup, || std::future::pending::<()>()).await.unwrap();
/// task_supervisor::terminate_child(sup, t).await.unwrap();
/// assert!(task_supervisor::children(sup).await.unwrap().is_empty());
/// # });
/// ```
pub async fn terminate_child(sup: impl Into<Dest>, pid: Pid) -> Result<(), SupervisorError> {
    dynamic_supervisor::terminate_child(sup, pid).await
}

/// Tells a started task the alias to send its result to.
struct Go {
    alias: Reference,
}

/// A task started with [`async_nolink`] or [`async_link`]: its pid and the monitor
/// the caller holds on it.
pub struct SupervisedTask<T> {
    /// The task process.
    pub pid: Pid,
    /// The caller's monitor on it (also the tag of its reply).
    pub reference: Reference,
    _t: PhantomData<fn() -> T>,
}

impl<T> fmt::Debug for SupervisedTask<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SupervisedTask")
            .field("pid", &self.pid)
            .finish_non_exhaustive()
    }
}

/// Why awaiting a task gave no result.
#[derive(Clone, Debug, PartialEq)]
pub enum TaskError {
    /// The task exited with this reason before replying.
    Exit(ExitReason),
    /// No reply in time (the task keeps running).
    Timeout,
}

impl fmt::Display for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaskError::Exit(r) => write!(f, "the task exited: {r}"),
            TaskError::Timeout => f.write_str("the task did not reply in time"),
        }
    }
}

impl std::error::Error for TaskError {}

async fn start_task<T, F, Fut>(
    sup: impl Into<Dest>,
    f: F,
    link: bool,
) -> Result<SupervisedTask<T>, SupervisorError>
where
    T: Send + 'static,
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = T> + Send + 'static,
{
    let pid = start_child(sup, move || async move {
        let go: Go = crate::receive().await;
        let value = f().await;
        reply_local(go.alias, value);
    })
    .await?;
    // One reference, as for a call: the monitor, and the alias the result comes to.
    let reference = crate::monitor_alias(pid, AliasMode::ReplyDemonitor);
    if link {
        let _ = crate::link(pid);
    }
    let _ = crate::send(pid, Go { alias: reference });
    Ok(SupervisedTask {
        pid,
        reference,
        _t: PhantomData,
    })
}

/// Runs `f` as a supervised task **not linked** to the caller
/// (`Task.Supervisor.async_nolink/2`): its crash reaches the caller only as a DOWN.
///
/// ```
/// # use std::time::Duration;
/// # use tether::otp::task_supervisor;
/// # tether::Runtime::new().unwrap().block_on(async {
/// use tether::otp::task_supervisor::TaskError;
/// let sup = task_supervisor::start_link().await.unwrap();
/// // The task's crash does not reach the caller through a link; it is an error.
/// let t = task_supervisor::async_nolink(sup, || async { panic!("boom") as u32 }).await.unwrap();
/// assert!(matches!(t.await_result(Duration::from_secs(1)).await, Err(TaskError::Exit(_))));
/// # });
/// ```
pub async fn async_nolink<T, F, Fut>(
    sup: impl Into<Dest>,
    f: F,
) -> Result<SupervisedTask<T>, SupervisorError>
where
    T: Send + 'static,
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = T> + Send + 'static,
{
    start_task(sup, f, false).await
}

/// Runs `f` as a supervised task **linked** to the caller (`Task.Supervisor.async/2`).
///
/// ```
/// # use std::time::Duration;
/// # use tether::otp::task_supervisor;
/// # tether::Runtime::new().unwrap().block_on(async {
/// let sup = task_supervisor::start_link().await.unwrap();
/// let t = task_supervisor::async_link(sup, || async { "linked" }).await.unwrap();
/// assert_eq!(t.await_result(Duration::from_secs(1)).await, Ok("linked"));
/// # });
/// ```
pub async fn async_link<T, F, Fut>(
    sup: impl Into<Dest>,
    f: F,
) -> Result<SupervisedTask<T>, SupervisorError>
where
    T: Send + 'static,
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = T> + Send + 'static,
{
    start_task(sup, f, true).await
}

impl<T: Send + 'static> SupervisedTask<T> {
    /// Waits up to `timeout` for the task's result, as a call waits for its reply
    /// (the crate's one request primitive): on success, or on timeout, the monitor
    /// is removed and its DOWN flushed, and a result arriving later is dropped.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::otp::task_supervisor;
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let sup = task_supervisor::start_link().await.unwrap();
    /// let t = task_supervisor::async_nolink(sup, || async {
    ///     tether::sleep(Duration::from_secs(5)).await;
    /// })
    /// .await
    /// .unwrap();
    /// let r = t.await_result(Duration::from_millis(10)).await;
    /// assert_eq!(r, Err(task_supervisor::TaskError::Timeout));
    /// # });
    /// ```
    pub async fn await_result(self, timeout: Duration) -> Result<T, TaskError> {
        let r = self.reference;
        match await_reply(0, r, self.pid.node, Timeout::After(timeout), |_| None).await {
            Ok(v) => Ok(v),
            Err(CallError::Timeout) => Err(TaskError::Timeout),
            // The DOWN's reason, as it came.
            Err(CallError::NodeDown(_)) => Err(TaskError::Exit(ExitReason::Noconnection)),
            Err(e) => Err(TaskError::Exit(e.reason())),
        }
    }
}
