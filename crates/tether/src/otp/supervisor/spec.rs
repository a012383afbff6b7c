//! Child specifications (docs/semantics.md §5.2).
//!
//! A [`ChildSpec`] says how to start a child and what to do when it ends. The start
//! function is an async closure run **inside the supervisor process**, so that the
//! child it spawns with [`spawn_link`](crate::spawn_link) is linked to the
//! supervisor, exactly as an Erlang `{M, F, A}` start function links to its caller.
//! It returns a [`StartResult`]: Erlang's `{ok, Pid}` | `ignore` | `{error, R}`.
//!
//! Specs are cheap to clone (the start function is shared), because a supervisor
//! keeps each spec to restart the child from its *original* arguments.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tether_term::{Pid, Term};

use super::{AutoShutdown, Supervisor};
use crate::ExitReason;
use crate::otp::unwind::BoxFuture;

/// What a child's start function returns: `Ok(Some(pid))` is `{ok, Pid}`,
/// `Ok(None)` is `ignore`, `Err(reason)` is `{error, Reason}`.
pub type StartResult = Result<Option<Pid>, ExitReason>;

/// Extra arguments a dynamic supervisor passes to its children's start functions.
pub(crate) type ExtraArgs = Option<Arc<dyn Any + Send + Sync>>;

pub(crate) type StartFn = Arc<dyn Fn(&ExtraArgs) -> BoxFuture<StartResult> + Send + Sync>;

/// When a terminated child is restarted (docs/semantics.md §5.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Restart {
    /// Always restarted (the default).
    #[default]
    Permanent,
    /// Restarted only after an abnormal exit (not `normal`, `shutdown`, `{shutdown, _}`).
    Transient,
    /// Never restarted; its spec is removed when it ends.
    Temporary,
}

/// How a child is stopped (docs/semantics.md §5.6 O4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shutdown {
    /// `exit(child, kill)` at once.
    BrutalKill,
    /// `exit(child, shutdown)`, then `kill` after this long.
    Timeout(Duration),
    /// `exit(child, shutdown)` and wait as long as it takes (for supervisors).
    Infinity,
}

/// Whether a child is a worker or a supervisor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ChildType {
    /// A worker (the default; shutdown 5 s).
    #[default]
    Worker,
    /// A supervisor (shutdown `Infinity` by default).
    Supervisor,
}

/// A child specification (docs/semantics.md §5.2).
///
/// ```
/// use std::time::Duration;
/// use tether::otp::supervisor::{ChildSpec, ChildType, Restart, Shutdown};
///
/// let spec = ChildSpec::new("worker", || async {
///     Ok(Some(tether::spawn_link(std::future::pending::<()>())))
/// })
/// .restart(Restart::Transient)
/// .shutdown(Shutdown::Timeout(Duration::from_secs(1)));
/// assert_eq!(spec.id, "worker");
/// assert_eq!(spec.restart, Restart::Transient);
/// assert_eq!(spec.child_type, ChildType::Worker);
/// ```
#[derive(Clone)]
pub struct ChildSpec {
    /// The child's id, unique within a (static) supervisor.
    pub id: String,
    /// When to restart it. Default [`Restart::Permanent`].
    pub restart: Restart,
    /// How to stop it. Default 5 s for workers, `Infinity` for supervisors.
    pub shutdown: Shutdown,
    /// Worker or supervisor.
    pub child_type: ChildType,
    /// Whether its own termination can stop the supervisor (see [`AutoShutdown`]).
    pub significant: bool,
    pub(crate) start: StartFn,
    shutdown_set: bool,
}

impl fmt::Debug for ChildSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChildSpec")
            .field("id", &self.id)
            .field("restart", &self.restart)
            .field("shutdown", &self.shutdown)
            .field("child_type", &self.child_type)
            .field("significant", &self.significant)
            .finish_non_exhaustive()
    }
}

/// The default worker shutdown, 5 s.
pub const DEFAULT_SHUTDOWN: Duration = Duration::from_secs(5);

impl ChildSpec {
    /// A permanent worker started by `start`, which must spawn **and link** the child
    /// (e.g. with [`spawn_link`](crate::spawn_link)) and return its pid.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::otp::supervisor::*;
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// // The start function spawns and links the child and returns its pid.
    /// let spec = ChildSpec::new("echo", || async {
    ///     Ok(Some(tether::spawn_link(async {
    ///         loop {
    ///             let (from, text): (tether::Pid, String) = tether::receive().await;
    ///             tether::send(from, text).unwrap();
    ///         }
    ///     })))
    /// });
    /// let sup = Supervisor::new(Strategy::OneForOne).child(spec).start_link().await.unwrap();
    /// let ChildPid::Pid(echo) = which_children(sup).await.unwrap()[0].pid else { panic!() };
    /// tether::send(echo, (tether::self_pid(), "hi".to_string())).unwrap();
    /// assert_eq!(tether::receive::<String>().await, "hi");
    /// # });
    /// ```
    pub fn new<F, Fut>(id: impl Into<String>, start: F) -> ChildSpec
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = StartResult> + Send + 'static,
    {
        ChildSpec::from_start(
            id.into(),
            Arc::new(move |_: &ExtraArgs| Box::pin(start()) as _),
        )
    }

    /// A permanent worker whose start function takes the dynamic supervisor's extra
    /// arguments (Elixir's `extra_arguments`, prepended to the child's own). Under a
    /// supervisor without extra arguments of type `E`, the start fails with `badarg`.
    ///
    /// ```
    /// use tether::otp::supervisor::ChildSpec;
    /// let spec = ChildSpec::with_extra_args("w", |greeting: String| async move {
    ///     Ok(Some(tether::spawn_link(async move { println!("{greeting}") })))
    /// });
    /// # let _ = spec;
    /// ```
    pub fn with_extra_args<E, F, Fut>(id: impl Into<String>, start: F) -> ChildSpec
    where
        E: Clone + Send + Sync + 'static,
        F: Fn(E) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = StartResult> + Send + 'static,
    {
        let f = move |extra: &ExtraArgs| -> BoxFuture<StartResult> {
            match extra.as_ref().and_then(|e| e.downcast_ref::<E>()) {
                Some(e) => Box::pin(start(e.clone())),
                None => Box::pin(async { Err(ExitReason::from("badarg")) }),
            }
        };
        ChildSpec::from_start(id.into(), Arc::new(f))
    }

    /// A permanent worker that runs `body` as a linked process: the common case
    /// where the child is just an async function.
    ///
    /// ```
    /// use tether::otp::supervisor::ChildSpec;
    /// let spec = ChildSpec::process("ticker", || async {
    ///     loop { tether::sleep(std::time::Duration::from_secs(1)).await }
    /// });
    /// # let _ = spec;
    /// ```
    pub fn process<F, Fut>(id: impl Into<String>, body: F) -> ChildSpec
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let body = Arc::new(body);
        ChildSpec::new(id, move || {
            let body = body.clone();
            async move { Ok(Some(crate::spawn_link(body()))) }
        })
    }

    /// A child that is itself a supervisor (type `Supervisor`, shutdown `Infinity`).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::otp::supervisor::*;
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let inner = Supervisor::new(Strategy::OneForOne)
    ///     .child(ChildSpec::process("leaf", || std::future::pending::<()>()));
    /// let spec = ChildSpec::supervisor("inner", inner);
    /// assert_eq!(spec.child_type, ChildType::Supervisor);
    /// assert_eq!(spec.shutdown, Shutdown::Infinity);
    /// let top = Supervisor::new(Strategy::OneForOne).child(spec).start_link().await.unwrap();
    /// assert_eq!(count_children(top).await.unwrap().supervisors, 1);
    /// # });
    /// ```
    pub fn supervisor(id: impl Into<String>, sup: Supervisor) -> ChildSpec {
        ChildSpec::new(id, move || {
            let sup = sup.clone();
            async move { sup.start_link().await.map(Some).map_err(ExitReason::from) }
        })
        .child_type(ChildType::Supervisor)
    }

    pub(crate) fn from_start(id: String, start: StartFn) -> ChildSpec {
        ChildSpec {
            id,
            restart: Restart::Permanent,
            shutdown: Shutdown::Timeout(DEFAULT_SHUTDOWN),
            child_type: ChildType::Worker,
            significant: false,
            start,
            shutdown_set: false,
        }
    }

    /// Sets the restart type.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::otp::supervisor::*;
    /// let spec = ChildSpec::process("once", || async {}).restart(Restart::Temporary);
    /// assert_eq!(spec.restart, Restart::Temporary);
    /// ```
    pub fn restart(mut self, restart: Restart) -> ChildSpec {
        self.restart = restart;
        self
    }

    /// Sets how the child is stopped.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::otp::supervisor::*;
    /// let spec = ChildSpec::process("w", || async {}).shutdown(Shutdown::BrutalKill);
    /// assert_eq!(spec.shutdown, Shutdown::BrutalKill);
    /// assert_eq!(ChildSpec::process("w", || async {}).shutdown, Shutdown::Timeout(DEFAULT_SHUTDOWN));
    /// ```
    pub fn shutdown(mut self, shutdown: Shutdown) -> ChildSpec {
        self.shutdown = shutdown;
        self.shutdown_set = true;
        self
    }

    /// Sets the child type; a supervisor's default shutdown becomes `Infinity`.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::otp::supervisor::*;
    /// let spec = ChildSpec::process("sub", || async {}).child_type(ChildType::Supervisor);
    /// assert_eq!(spec.child_type, ChildType::Supervisor);
    /// assert_eq!(spec.shutdown, Shutdown::Infinity);
    /// ```
    pub fn child_type(mut self, child_type: ChildType) -> ChildSpec {
        self.child_type = child_type;
        if !self.shutdown_set {
            self.shutdown = match child_type {
                ChildType::Worker => Shutdown::Timeout(DEFAULT_SHUTDOWN),
                ChildType::Supervisor => Shutdown::Infinity,
            };
        }
        self
    }

    /// Marks the child significant (see [`AutoShutdown`]).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::otp::supervisor::*;
    /// let spec = ChildSpec::process("job", || async {}).restart(Restart::Transient).significant(true);
    /// assert!(spec.significant);
    /// ```
    pub fn significant(mut self, significant: bool) -> ChildSpec {
        self.significant = significant;
        self
    }

    /// Checks the spec against the supervisor's `auto_shutdown` (§5.2's
    /// `bad_combination` rules).
    pub(crate) fn check(&self, auto_shutdown: AutoShutdown) -> Result<(), SpecError> {
        if self.significant && self.restart == Restart::Permanent {
            return Err(SpecError::SignificantPermanent(self.id.clone()));
        }
        if self.significant && auto_shutdown == AutoShutdown::Never {
            return Err(SpecError::SignificantWithoutAutoShutdown(self.id.clone()));
        }
        Ok(())
    }
}

/// A child spec (or list of specs) that a supervisor rejects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SpecError {
    /// Two specs with the same id (`{duplicate_child_name, Id}`).
    DuplicateChildName(String),
    /// `significant` with a permanent child (`{bad_combination, ...}`).
    SignificantPermanent(String),
    /// `significant` under `auto_shutdown: never` (`{bad_combination, ...}`).
    SignificantWithoutAutoShutdown(String),
}

impl SpecError {
    /// The Erlang term of the error.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::otp::supervisor::*;
    /// let e = SpecError::DuplicateChildName("w".into());
    /// assert_eq!(e.to_term().to_string(), "{duplicate_child_name,w}");
    /// ```
    pub fn to_term(&self) -> Term {
        match self {
            SpecError::DuplicateChildName(id) => {
                Term::tuple([Term::atom("duplicate_child_name"), Term::atom(id)])
            }
            SpecError::SignificantPermanent(id) | SpecError::SignificantWithoutAutoShutdown(id) => {
                Term::tuple([Term::atom("bad_combination"), Term::atom(id)])
            }
        }
    }
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpecError::DuplicateChildName(id) => write!(f, "duplicate child id {id:?}"),
            SpecError::SignificantPermanent(id) => {
                write!(f, "child {id:?} is significant and permanent")
            }
            SpecError::SignificantWithoutAutoShutdown(id) => {
                write!(f, "child {id:?} is significant but auto_shutdown is never")
            }
        }
    }
}

impl std::error::Error for SpecError {}

/// Checks a list of specs: each valid, ids unique (Erlang's `check_childspecs/2`).
///
/// ```
/// use tether::otp::supervisor::{check_childspecs, AutoShutdown, ChildSpec, SpecError};
/// let a = ChildSpec::process("a", || async {});
/// assert_eq!(check_childspecs(&[a.clone()], AutoShutdown::Never), Ok(()));
/// assert_eq!(
///     check_childspecs(&[a.clone(), a], AutoShutdown::Never),
///     Err(SpecError::DuplicateChildName("a".into()))
/// );
/// ```
pub fn check_childspecs(specs: &[ChildSpec], auto_shutdown: AutoShutdown) -> Result<(), SpecError> {
    let mut seen = std::collections::HashSet::new();
    for s in specs {
        s.check(auto_shutdown)?;
        if !seen.insert(s.id.as_str()) {
            return Err(SpecError::DuplicateChildName(s.id.clone()));
        }
    }
    Ok(())
}
