//! The runtime: a tokio multi-thread runtime under Tether's control, and the state
//! that belongs to it.
//!
//! A [`Runtime`] is one node's world: its processes, names, timers and, once
//! distributed, its connections and node services all live in its
//! [`RuntimeState`](state::RuntimeState), reached from code running on the runtime's
//! threads through a thread-local pointer (`context`). Two runtimes in one OS process
//! share nothing but the OS process: the same name can be registered in both, and a
//! pid of one is a remote pid to the other.

pub(crate) mod context;
pub(crate) mod logger;
mod run;
pub use run::{Stopped, stop_runtime};
mod shutdown;
pub(crate) mod state;
pub(crate) mod stats;

use std::future::Future;
use std::io;
use std::sync::Arc;

use tokio::sync::oneshot;

use crate::process::{ExitReason, SpawnOpts, life};

/// A Tether runtime: tokio worker threads (one per core by default) plus Tether's
/// process machinery.
///
/// ```
/// let rt = tether::Runtime::new().unwrap();
/// let answer = rt.block_on(async {
///     let me = tether::self_pid();
///     tether::spawn(async move { tether::send(me, 42u32).unwrap(); });
///     tether::receive::<u32>().await
/// });
/// assert_eq!(answer, 42);
/// ```
pub struct Runtime {
    // An `Option` only so that `Drop` can shut tokio down inside the runtime's context.
    inner: Option<tokio::runtime::Runtime>,
    state: Arc<state::RuntimeState>,
}

/// Configures a [`Runtime`].
///
/// ```
/// let rt = tether::Runtime::builder().worker_threads(1).build().unwrap();
/// assert_eq!(rt.block_on(async { 1 + 1 }), 2);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Builder {
    worker_threads: Option<usize>,
    thread_name: Option<String>,
    no_default_logger: bool,
    no_metrics: bool,
}

impl Builder {
    /// Number of worker threads (default: the number of cores).
    ///
    /// ```
    /// let rt = tether::Runtime::builder().worker_threads(2).build().unwrap();
    /// let n = rt.block_on(async {
    ///     let me = tether::self_pid();
    ///     for i in 0..4u32 {
    ///         tether::spawn(async move { tether::send(me, i).unwrap() });
    ///     }
    ///     let mut sum = 0;
    ///     for _ in 0..4 {
    ///         sum += tether::receive::<u32>().await;
    ///     }
    ///     sum
    /// });
    /// assert_eq!(n, 6);
    /// ```
    pub fn worker_threads(mut self, n: usize) -> Builder {
        self.worker_threads = Some(n.max(1));
        self
    }

    /// Name of the worker threads (default `tether-worker`).
    ///
    /// ```
    /// let rt = tether::Runtime::builder().thread_name("my-node").build().unwrap();
    /// let name = rt.block_on(async { std::thread::current().name().map(String::from) });
    /// assert_eq!(name.as_deref(), Some("my-node"));
    /// ```
    pub fn thread_name(mut self, name: impl Into<String>) -> Builder {
        self.thread_name = Some(name.into());
        self
    }

    /// Whether the runtime's warnings and crash reports go to stderr when the program
    /// has no `tracing` subscriber (default `true`), as the BEAM's logger prints them.
    /// Tether never installs a global subscriber: once the program installs one
    /// (before or after building the runtime), every event goes to it instead.
    /// `RUST_LOG` filters the stderr output (default `warn`).
    ///
    /// ```
    /// let rt = tether::Runtime::builder().default_logger(false).build().unwrap();
    /// # drop(rt);
    /// ```
    pub fn default_logger(mut self, on: bool) -> Builder {
        self.no_default_logger = !on;
        self
    }

    /// Whether the runtime counts its activity (default `true`): spawns, exits,
    /// messages sent and supervisor restarts, as [`introspect::system`] and the
    /// metrics report them. Each count is a store to a per-thread counter; off, it is
    /// a branch, and those counters stay at zero.
    ///
    /// [`introspect::system`]: crate::introspect::system
    ///
    /// ```
    /// let rt = tether::Runtime::builder().metrics(false).build().unwrap();
    /// # drop(rt);
    /// ```
    pub fn metrics(mut self, on: bool) -> Builder {
        self.no_metrics = !on;
        self
    }

    /// Builds the runtime.
    ///
    /// ```
    /// let rt = tether::Runtime::builder().worker_threads(1).build().unwrap();
    /// assert_eq!(rt.block_on(async { 1 + 1 }), 2);
    /// ```
    pub fn build(self) -> io::Result<Runtime> {
        life::install_panic_hook();
        let state = Arc::new(state::RuntimeState::new().map_err(io::Error::other)?);
        state
            .service::<logger::Quiet>()
            .0
            .store(self.no_default_logger, std::sync::atomic::Ordering::Relaxed);
        state.stats.set_enabled(!self.no_metrics);
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.enable_all();
        let on_start = state.clone();
        b.on_thread_start(move || context::adopt_thread(on_start.clone()));
        b.on_thread_stop(context::release_thread);
        b.thread_name(self.thread_name.unwrap_or_else(|| "tether-worker".into()));
        if let Some(n) = self.worker_threads {
            b.worker_threads(n);
        }
        Ok(Runtime {
            inner: Some(b.build()?),
            state,
        })
    }
}

impl Runtime {
    /// A runtime with default settings.
    ///
    /// ```
    /// let rt = tether::Runtime::new().unwrap();
    /// let (me, all) = rt.block_on(async { (tether::self_pid(), tether::processes()) });
    /// assert!(all.contains(&me)); // `block_on` runs its future as a process
    /// ```
    pub fn new() -> io::Result<Runtime> {
        Builder::default().build()
    }

    /// A builder to configure a runtime.
    ///
    /// ```
    /// let rt = tether::Runtime::builder().worker_threads(1).metrics(false).build().unwrap();
    /// assert_eq!(rt.block_on(async { "up" }), "up");
    /// ```
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// Runs `fut` as a process (so it can receive, link, monitor ...) and waits for
    /// its result.
    ///
    /// # Panics
    ///
    /// If the process panics or is killed before finishing, with its exit reason.
    ///
    /// ```
    /// let rt = tether::Runtime::new().unwrap();
    /// // `fut` runs as a process: receive, link and monitor work inside it.
    /// let answer = rt.block_on(async {
    ///     let me = tether::self_pid();
    ///     tether::spawn(async move { tether::send(me, 42).unwrap() });
    ///     tether::receive::<i32>().await
    /// });
    /// assert_eq!(answer, 42);
    /// ```
    pub fn block_on<F>(&self, fut: F) -> F::Output
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let _guard = self.tokio().enter();
        let _context = context::enter(&self.state);
        let (tx, rx) = oneshot::channel();
        let (reason_tx, reason_rx) = oneshot::channel::<ExitReason>();
        let root = SpawnOpts::new().spawn(async move {
            let out = fut.await;
            let _ = tx.send(out);
        });
        // A watcher reports why the root ended if it ended without a result.
        SpawnOpts::new().spawn(async move {
            crate::monitor(root.pid);
            let down: crate::Down = crate::receive().await;
            let _ = reason_tx.send(down.reason);
        });
        self.tokio().block_on(async move {
            match rx.await {
                Ok(v) => v,
                Err(_) => {
                    let reason = reason_rx.await.unwrap_or(ExitReason::Killed);
                    panic!("the block_on process ended without a result: {reason}")
                }
            }
        })
    }

    /// Runs a node until it is told to stop, and stops it in order: the entry point
    /// of a program that is a node.
    ///
    /// `start` runs as a process and returns the application's top process (usually
    /// a supervisor it started linked); then `run` waits until that process exits
    /// ([`Stopped::TopExited`]), or SIGTERM or SIGINT arrives, or [`stop_runtime`] is
    /// called, or the node's kernel gives up ([`Stopped::Requested`]). It then stops
    /// the top process as its parent would, with `shutdown`, and the rest of the
    /// runtime as dropping it does. If `start` fails, it returns
    /// [`Stopped::StartFailed`].
    ///
    /// [`Stopped`] is a [`Termination`](std::process::Termination), so `main` can
    /// return it: exit code 0 for a requested stop, 1 for a failure.
    ///
    /// ```no_run
    /// // no_run: runs until SIGTERM or SIGINT.
    /// use tether::otp::supervisor::{ChildSpec, Strategy, Supervisor};
    /// use tether::{Runtime, Stopped};
    ///
    /// fn main() -> Stopped {
    ///     Runtime::new().unwrap().run(async {
    ///         Supervisor::new(Strategy::OneForOne)
    ///             .child(ChildSpec::process("ticker", || async {
    ///                 loop { tether::sleep(std::time::Duration::from_secs(1)).await }
    ///             }))
    ///             .start_link()
    ///             .await
    ///     })
    /// }
    /// ```
    pub fn run<F, E>(self, start: F) -> Stopped
    where
        F: Future<Output = Result<crate::Pid, E>> + Send + 'static,
        E: Into<ExitReason> + Send + 'static,
    {
        let stopped = self.block_on(async move {
            // The top process is linked to this one: its exit must reach us as a
            // message (its DOWN says why), not end us.
            crate::trap_exit(true);
            let stop = state::service::<run::StopRequest>();
            stop.reset();
            let top = match start.await {
                Ok(top) => top,
                Err(e) => return Stopped::StartFailed(e.into()),
            };
            let mref = crate::monitor(top);
            let down_of_top = move |m: &crate::Message| {
                m.downcast_ref::<crate::Down>()
                    .is_some_and(|d| d.reference == mref)
            };
            tokio::select! {
                m = crate::receive_select(down_of_top) => {
                    let down = m.downcast::<crate::Down>();
                    return Stopped::TopExited(down.map_or(ExitReason::Normal, |d| d.reason));
                }
                () = stop.wait() => {}
                () = run::os_signal() => {}
            };
            crate::exit(top, ExitReason::Shutdown);
            let _ = crate::receive_select(down_of_top).await;
            Stopped::Requested
        });
        drop(self);
        stopped
    }

    /// The underlying tokio handle, to spawn plain tasks or enter the runtime.
    ///
    /// ```
    /// let rt = tether::Runtime::new().unwrap();
    /// // A plain tokio task, not a process.
    /// let task = rt.handle().spawn(async { 2 * 21 });
    /// assert_eq!(rt.block_on(async { task.await.unwrap() }), 42);
    /// ```
    pub fn handle(&self) -> &tokio::runtime::Handle {
        self.tokio().handle()
    }

    fn tokio(&self) -> &tokio::runtime::Runtime {
        self.inner.as_ref().expect("present until dropped")
    }
}

impl Drop for Runtime {
    /// Stops the runtime as `init:stop/0` stops a node: its root supervisors with
    /// `shutdown`, newest first (each stops its children in reverse start order,
    /// within their shutdown times); then the node, if distributed (kernel services
    /// in order, connections closed so peers see `nodedown` at once, EPMD left); then
    /// every process left, with `shutdown` (or `kill` if it traps exits), waiting up
    /// to 5 s for them. Then the worker threads stop; a process still running ends
    /// `killed` as its task is dropped.
    ///
    /// The supervision trees get 30 s in all, the processes left 5 s. Dropped inside an
    /// async context (where it cannot wait), or while its thread panics, a runtime
    /// skips the orderly steps.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use tether::gen_server::{GenServer, Init, StartOpts};
    /// use tether::otp::supervisor::{ChildSpec, Strategy, Supervisor};
    /// use tether::ExitReason;
    ///
    /// type Log = Arc<Mutex<Vec<(&'static str, ExitReason)>>>;
    /// struct Worker(&'static str, Log);
    /// impl GenServer for Worker {
    ///     type Args = (&'static str, Log);
    ///     type Call = ();
    ///     type Cast = ();
    ///     type Reply = ();
    ///     type Continue = ();
    ///     async fn init((id, log): (&'static str, Log)) -> Init<Self> {
    ///         tether::trap_exit(true); // so that `terminate` runs on shutdown
    ///         Init::ok(Worker(id, log))
    ///     }
    ///     async fn terminate(&mut self, reason: &ExitReason) {
    ///         self.1.lock().unwrap().push((self.0, reason.clone()));
    ///     }
    /// }
    ///
    /// let log = Log::default();
    /// let rt = tether::Runtime::new().unwrap();
    /// let (first, second) = (("first", log.clone()), ("second", log.clone()));
    /// rt.block_on(async move {
    ///     let sup = Supervisor::new(Strategy::OneForOne)
    ///         .child(ChildSpec::gen_server::<Worker>(first, StartOpts::new()).id("first"))
    ///         .child(ChildSpec::gen_server::<Worker>(second, StartOpts::new()).id("second"))
    ///         .start_link()
    ///         .await
    ///         .unwrap();
    ///     tether::unlink(sup); // it outlives this block: it is a root
    /// });
    /// drop(rt);
    /// let shutdown = ExitReason::Shutdown;
    /// assert_eq!(*log.lock().unwrap(), [("second", shutdown.clone()), ("first", shutdown)]);
    /// ```
    fn drop(&mut self) {
        let _context = context::enter(&self.state);
        if tokio::runtime::Handle::try_current().is_err() && !std::thread::panicking() {
            let stopped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                self.block_on(shutdown::stop_all())
            }));
            if stopped.is_err() {
                crate::runtime::logger::report_error!("the runtime did not stop cleanly");
            }
        }
        drop(self.inner.take());
    }
}
