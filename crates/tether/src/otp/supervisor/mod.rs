//! Supervisors: processes that start, watch and restart other processes
//! (Erlang's `supervisor`, Elixir's `Supervisor`; docs/semantics.md §5).
//!
//! A supervisor is an ordinary process that traps exits. It starts its children in
//! order from their [`ChildSpec`]s, each start function linking the child to it, and
//! then waits. When a child exits, the supervisor decides from the child's
//! [`Restart`] type and exit reason whether to restart it (§5.3), and restarts it —
//! alone or with its siblings, per the [`Strategy`] (§5.4) — unless more than
//! `max_restarts` restarts happened within `max_seconds`, in which case it stops all
//! its children and exits `shutdown` itself (§5.5), escalating to its own supervisor.
//!
//! ```
//! use tether::otp::supervisor::{ChildSpec, Strategy, Supervisor, which_children, ChildPid};
//! use tether::{ExitReason, Runtime};
//!
//! Runtime::new().unwrap().block_on(async {
//!     let sup = Supervisor::new(Strategy::OneForOne)
//!         .child(ChildSpec::process("worker", || async {
//!             let _ = tether::receive::<&str>().await;
//!             tether::exit_self(ExitReason::from("crash"));
//!         }))
//!         .start_link()
//!         .await
//!         .unwrap();
//!     let ChildPid::Pid(first) = which_children(sup).await.unwrap()[0].pid else { panic!() };
//!     tether::send(first, "crash now").unwrap();
//!     // The supervisor replaces the crashed worker.
//!     loop {
//!         let children = which_children(sup).await.unwrap();
//!         if matches!(children[0].pid, ChildPid::Pid(p) if p != first) { break }
//!         tether::sleep(std::time::Duration::from_millis(1)).await;
//!     }
//! });
//! ```
//!
//! The files of this module:
//!
//! | File | Idea |
//! |---|---|
//! | `spec.rs` | child specs, restart/shutdown/type values, spec validation |
//! | `intensity.rs` | the restart-intensity window, exactly as `add_restart/1` |
//! | `shutdown.rs` | the per-child shutdown protocol, sequential and parallel |
//! | `server.rs` | the supervisor process: init, its loop, exits of children |
//! | `restart.rs` | the strategies: what to stop and restart after a crash |
//! | `api.rs` | the management API, as calls to the supervisor process |
//! | `tree.rs` | walking a supervision tree from its root |
//! | `error.rs` | start and management errors |

pub(crate) mod api;
mod error;
mod intensity;
mod restart;
pub(crate) mod roots;
pub(crate) mod server;
mod shortcuts;
pub(crate) mod shutdown;
mod spec;
mod tree;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tether_term::{Atom, Pid};

pub use api::{
    count_children, delete_child, get_childspec, restart_child, start_child, stop, terminate_child,
    which_children,
};
pub use error::{SupervisorError, SupervisorStartError};
pub(crate) use intensity::Intensity;
pub(crate) use spec::ExtraArgs;
pub use spec::{
    ChildSpec, ChildType, DEFAULT_SHUTDOWN, Restart, Shutdown, SpecError, StartResult,
    check_childspecs,
};
pub use tree::{TreeNode, supervision_tree};

use super::server_ref::StartName;
use super::start::{self, Started};
use crate::ExitReason;
use crate::Via;

/// Which children are restarted when one must be (docs/semantics.md §5.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// Only the child that exited.
    OneForOne,
    /// All children: the others are stopped (in reverse order), then all restarted.
    OneForAll,
    /// The child and those started after it.
    RestForOne,
}

/// When significant children stop the supervisor (docs/semantics.md §5.9).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum AutoShutdown {
    /// Never (the default).
    #[default]
    Never,
    /// When any significant child ends by itself without being restarted.
    AnySignificant,
    /// When the last running significant child ends by itself.
    AllSignificant,
}

/// A child's process as [`which_children`] reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChildPid {
    /// Running as this process.
    Pid(Pid),
    /// Its restart failed and is being retried (I4).
    Restarting,
    /// Not running (`undefined`): terminated, ignored, or ended without restart.
    Undefined,
}

/// One entry of [`which_children`]: Erlang's `{Id, Child, Type, Modules}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChildInfo {
    /// The child's id (`None` under a dynamic supervisor: `undefined`).
    pub id: Option<String>,
    /// Its process.
    pub pid: ChildPid,
    /// Worker or supervisor.
    pub child_type: ChildType,
    /// Times the supervisor restarted this child after it exited (not part of
    /// Erlang's `which_children`; the observer shows it).
    pub restarts: u32,
}

/// What [`count_children`] returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct ChildCounts {
    /// All child specs, running or not.
    pub specs: usize,
    /// Children with a live process.
    pub active: usize,
    /// Children of type supervisor.
    pub supervisors: usize,
    /// Children of type worker.
    pub workers: usize,
}

type InitFn =
    Arc<dyn Fn() -> super::unwind::BoxFuture<Result<Option<Supervisor>, ExitReason>> + Send + Sync>;

/// A supervisor to start: strategy, restart intensity, name and children.
///
/// Defaults are Elixir's (docs/semantics.md §5.1): at most 3 restarts in 5 seconds,
/// `auto_shutdown` never, no name.
///
/// ```
/// use tether::otp::supervisor::{ChildSpec, Strategy, Supervisor, count_children};
/// use tether::Runtime;
///
/// Runtime::new().unwrap().block_on(async {
///     let sup = Supervisor::new(Strategy::RestForOne)
///         .max_restarts(10)
///         .max_seconds(1)
///         .name("doc_sup")
///         .child(ChildSpec::process("a", || std::future::pending()))
///         .child(ChildSpec::process("b", || std::future::pending()))
///         .start_link()
///         .await
///         .unwrap();
///     assert_eq!(tether::whereis("doc_sup"), Some(sup));
///     assert_eq!(count_children("doc_sup").await.unwrap().active, 2);
/// });
/// ```
#[derive(Clone)]
pub struct Supervisor {
    pub(crate) strategy: Strategy,
    pub(crate) max_restarts: u32,
    pub(crate) max_seconds: u64,
    pub(crate) auto_shutdown: AutoShutdown,
    pub(crate) name: Option<StartName>,
    pub(crate) children: Vec<ChildSpec>,
    pub(crate) init: Option<InitFn>,
}

impl std::fmt::Debug for Supervisor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Supervisor")
            .field("strategy", &self.strategy)
            .field("max_restarts", &self.max_restarts)
            .field("max_seconds", &self.max_seconds)
            .field("auto_shutdown", &self.auto_shutdown)
            .field("children", &self.children)
            .finish_non_exhaustive()
    }
}

impl Supervisor {
    /// A supervisor with this strategy, Elixir's defaults and no children.
    ///
    /// ```
    /// # use tether::otp::supervisor::*;
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let sup = Supervisor::new(Strategy::OneForAll).start_link().await.unwrap();
    /// assert_eq!(count_children(sup).await.unwrap().specs, 0);
    /// # });
    /// ```
    pub fn new(strategy: Strategy) -> Supervisor {
        Supervisor {
            strategy,
            max_restarts: 3,
            max_seconds: 5,
            auto_shutdown: AutoShutdown::Never,
            name: None,
            children: Vec::new(),
            init: None,
        }
    }

    /// At most `n` restarts within `max_seconds` (Erlang's `intensity`). 0 means the
    /// first restart stops the supervisor.
    ///
    /// ```
    /// # use tether::otp::supervisor::*;
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// use tether::{Down, ExitReason};
    /// // No restarts allowed: the first crash stops the supervisor.
    /// let sup = Supervisor::new(Strategy::OneForOne)
    ///     .max_restarts(0)
    ///     .child(ChildSpec::process("w", || async { tether::receive::<()>().await }))
    ///     .start_link()
    ///     .await
    ///     .unwrap();
    /// tether::trap_exit(true);
    /// let mref = tether::monitor(sup);
    /// if let ChildPid::Pid(w) = which_children(sup).await.unwrap()[0].pid {
    ///     tether::exit(w, ExitReason::Kill);
    /// }
    /// let down: Down = tether::receive().await;
    /// assert_eq!(down.reference, mref);
    /// assert_eq!(down.reason, ExitReason::Shutdown);
    /// # });
    /// ```
    pub fn max_restarts(mut self, n: u32) -> Supervisor {
        self.max_restarts = n;
        self
    }

    /// The restart window in whole seconds (Erlang's `period`; must be > 0).
    ///
    /// ```
    /// # use tether::otp::supervisor::*;
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let sup = Supervisor::new(Strategy::OneForOne).max_restarts(5).max_seconds(30);
    /// let pid = sup.start_link().await.unwrap();
    /// assert!(tether::process_info(pid).is_some());
    /// # });
    /// ```
    pub fn max_seconds(mut self, secs: u64) -> Supervisor {
        self.max_seconds = secs;
        self
    }

    /// Sets `auto_shutdown`.
    ///
    /// ```
    /// # use tether::otp::supervisor::*;
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// use tether::Down;
    /// tether::trap_exit(true); // the supervisor's `shutdown` comes through the link
    /// // The supervisor ends when its significant child ends normally.
    /// let sup = Supervisor::new(Strategy::OneForOne)
    ///     .auto_shutdown(AutoShutdown::AnySignificant)
    ///     .child(
    ///         ChildSpec::process("job", || async { tether::receive::<()>().await })
    ///             .restart(Restart::Transient)
    ///             .significant(true),
    ///     )
    ///     .start_link()
    ///     .await
    ///     .unwrap();
    /// let mref = tether::monitor(sup);
    /// if let ChildPid::Pid(job) = which_children(sup).await.unwrap()[0].pid {
    ///     tether::send(job, ()).unwrap();
    /// }
    /// let down: Down = tether::receive().await;
    /// assert_eq!(down.reference, mref);
    /// # });
    /// ```
    pub fn auto_shutdown(mut self, a: AutoShutdown) -> Supervisor {
        self.auto_shutdown = a;
        self
    }

    /// Registers the supervisor under a local name (`{local, Name}`).
    ///
    /// ```
    /// # use tether::otp::supervisor::*;
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let sup = Supervisor::new(Strategy::OneForOne).name("app_sup").start_link().await.unwrap();
    /// assert_eq!(tether::whereis("app_sup"), Some(sup));
    /// # });
    /// ```
    pub fn name(mut self, name: impl Into<Atom>) -> Supervisor {
        self.name = Some(StartName::Local(name.into()));
        self
    }

    /// Registers the supervisor under a via name (`{via, Module, Name}`), such as
    /// [`Registry::via`](crate::otp::registry::Registry::via).
    ///
    /// ```
    /// # use tether::otp::supervisor::*;
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// use tether::otp::registry::{Keys, Registry, RegistryOptions};
    /// let reg = Registry::<String, ()>::start_link(RegistryOptions::new(Keys::Unique, "sups"))
    ///     .await
    ///     .unwrap();
    /// let name = reg.via("pool".to_string(), ()).unwrap();
    /// let sup = Supervisor::new(Strategy::OneForOne).via(name.clone()).start_link().await.unwrap();
    /// assert_eq!(reg.lookup(&"pool".to_string()), vec![(sup, ())]);
    /// # });
    /// ```
    pub fn via(mut self, name: impl Via) -> Supervisor {
        self.name = Some(StartName::via(name));
        self
    }

    /// Adds a child (children start in the order added).
    ///
    /// ```
    /// # use tether::otp::supervisor::*;
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let sup = Supervisor::new(Strategy::OneForOne)
    ///     .child(ChildSpec::process("a", || std::future::pending::<()>()))
    ///     .start_link()
    ///     .await
    ///     .unwrap();
    /// let kids = which_children(sup).await.unwrap();
    /// assert_eq!(kids[0].id.as_deref(), Some("a"));
    /// # });
    /// ```
    pub fn child(mut self, spec: ChildSpec) -> Supervisor {
        self.children.push(spec);
        self
    }

    /// Adds children.
    ///
    /// ```
    /// # use tether::otp::supervisor::*;
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let specs = ["a", "b", "c"].map(|id| ChildSpec::process(id, || std::future::pending::<()>()));
    /// let sup = Supervisor::new(Strategy::RestForOne).children(specs).start_link().await.unwrap();
    /// assert_eq!(count_children(sup).await.unwrap().active, 3);
    /// # });
    /// ```
    pub fn children(mut self, specs: impl IntoIterator<Item = ChildSpec>) -> Supervisor {
        self.children.extend(specs);
        self
    }

    /// Starts the supervisor linked to the caller and returns once every child has
    /// started (O1).
    ///
    /// If a child fails to start, the children already started are shut down in
    /// reverse order, the supervisor exits with
    /// `{shutdown, {failed_to_start_child, Id, Reason}}` and this returns
    /// [`SupervisorStartError::FailedToStartChild`]. As in Erlang, that exit reaches the caller
    /// through the link: a caller that does not trap exits dies of it.
    ///
    /// # Panics
    ///
    /// Outside a process.
    ///
    /// ```
    /// # use tether::otp::supervisor::*;
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let sup = Supervisor::new(Strategy::OneForOne)
    ///     .child(ChildSpec::process("w", || std::future::pending::<()>()))
    ///     .start_link()
    ///     .await
    ///     .unwrap();
    /// // Every child runs when start_link returns.
    /// assert_eq!(count_children(sup).await.unwrap().active, 1);
    /// assert!(tether::process_info(sup).unwrap().links.contains(&tether::self_pid()));
    /// # });
    /// ```
    pub async fn start_link(self) -> Result<Pid, SupervisorStartError> {
        match self.start_inner().await? {
            Some(pid) => Ok(pid),
            None => unreachable!("only an init function can return ignore"),
        }
    }

    /// Starts a supervisor whose flags and children come from `init`, run inside the
    /// new process (Erlang's `Mod:init/1`): `Ok(Some(sup))` to go on, `Ok(None)` for
    /// `ignore` (then this returns `Ok(None)` and the process exits `normal`),
    /// `Err(reason)` to fail with [`SupervisorStartError::Init`]. A name set on the returned
    /// supervisor is registered after `init`.
    ///
    /// ```
    /// use tether::otp::supervisor::Supervisor;
    /// tether::Runtime::new().unwrap().block_on(async {
    ///     let r = Supervisor::start_link_init(|| async { Ok(None) }).await;
    ///     assert_eq!(r, Ok(None));
    /// });
    /// ```
    pub async fn start_link_init<F, Fut>(init: F) -> Result<Option<Pid>, SupervisorStartError>
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Option<Supervisor>, ExitReason>> + Send + 'static,
    {
        let mut sup = Supervisor::new(Strategy::OneForOne);
        sup.init = Some(Arc::new(move || Box::pin(init())));
        sup.start_inner().await
    }

    async fn start_inner(self) -> Result<Option<Pid>, SupervisorStartError> {
        let parent = crate::self_pid();
        let name = if self.init.is_some() {
            None
        } else {
            self.name.clone()
        };
        let started = start::start_link(name, move |ack| server::run(self, parent, ack)).await;
        match started {
            Started::Ok(pid) => Ok(Some(pid)),
            Started::Failed(None) => Ok(None),
            Started::Failed(Some(e)) => Err(e),
            Started::Name(e) => Err(SupervisorStartError::from_name(e)),
            Started::Died(r) => Err(SupervisorStartError::Init(r)),
        }
    }
}

/// How long management calls wait: forever, as OTP's (`infinity`).
pub(crate) const CALL_TIMEOUT: Option<Duration> = None;
