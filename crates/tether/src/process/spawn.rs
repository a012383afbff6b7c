//! Spawning processes (docs/semantics.md §1.8).

use std::future::Future;

use tether_term::{Atom, Pid, Reference};

use super::core::{Held, MonitorOut, ProcessShared};
use super::table;
use super::{Monitored, alias, current, life, name};

/// Options for spawning a process (Erlang's `spawn_opt`).
///
/// ```
/// use tether::{Down, SpawnOpts, Runtime};
/// Runtime::new().unwrap().block_on(async {
///     let spawned = SpawnOpts::new().monitor().trap_exit().spawn(async {});
///     let down: Down = tether::receive().await;
///     assert_eq!(Some(down.reference), spawned.monitor);
/// });
/// ```
#[derive(Clone, Debug, Default)]
pub struct SpawnOpts {
    link: bool,
    monitor: bool,
    trap_exit: bool,
    dirty: bool,
    name: Option<Atom>,
}

/// What [`SpawnOpts::spawn`] returns.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spawned {
    /// The new process.
    pub pid: Pid,
    /// The monitor, if one was asked for.
    pub monitor: Option<Reference>,
}

impl SpawnOpts {
    /// Default options: not linked, not monitored, not trapping exits.
    ///
    /// ```
    /// # use tether::SpawnOpts;
    /// # use std::time::Duration;
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let s = SpawnOpts::new().spawn(async {});
    /// assert_eq!(s.monitor, None);
    /// # });
    /// ```
    pub fn new() -> SpawnOpts {
        SpawnOpts::default()
    }

    /// Link the new process to the caller, atomically (no window where it can die
    /// unlinked).
    ///
    /// ```
    /// # use tether::SpawnOpts;
    /// # use std::time::Duration;
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let s = SpawnOpts::new().link().spawn(std::future::pending());
    /// assert!(tether::process_info(s.pid).unwrap().links.contains(&tether::self_pid()));
    /// # });
    /// ```
    pub fn link(mut self) -> SpawnOpts {
        self.link = true;
        self
    }

    /// Monitor the new process from the caller, atomically.
    ///
    /// ```
    /// # use tether::SpawnOpts;
    /// # use std::time::Duration;
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// use tether::Down;
    /// let s = SpawnOpts::new().monitor().spawn(async {});
    /// let down: Down = tether::receive().await;
    /// assert_eq!(Some(down.reference), s.monitor);
    /// # });
    /// ```
    pub fn monitor(mut self) -> SpawnOpts {
        self.monitor = true;
        self
    }

    /// Start with `trap_exit` set.
    ///
    /// ```
    /// # use tether::SpawnOpts;
    /// # use std::time::Duration;
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let s = SpawnOpts::new().trap_exit().spawn(std::future::pending());
    /// assert!(tether::process_info(s.pid).unwrap().trap_exit);
    /// # });
    /// ```
    pub fn trap_exit(mut self) -> SpawnOpts {
        self.trap_exit = true;
        self
    }

    /// Run on tokio's blocking pool: a "dirty" process may call blocking functions
    /// (file I/O, CPU-heavy work, blocking C libraries) without stalling others. It is
    /// still a full process: mailbox, links, kill at its next `.await`.
    ///
    /// ```
    /// # use tether::SpawnOpts;
    /// # use std::time::Duration;
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let me = tether::self_pid();
    /// let s = SpawnOpts::new().dirty().spawn(async move {
    ///     std::thread::sleep(Duration::from_millis(5)); // blocking is fine here
    ///     tether::send(me, "done").unwrap();
    /// });
    /// assert_eq!(tether::receive::<&str>().await, "done");
    /// # let _ = s;
    /// # });
    /// ```
    pub fn dirty(mut self) -> SpawnOpts {
        self.dirty = true;
        self
    }

    /// Register the new process under `name` before it runs. Spawning panics if the
    /// name is taken; check with [`whereis`](crate::whereis) or register yourself
    /// when the name may be contested.
    ///
    /// ```
    /// # use tether::SpawnOpts;
    /// # use std::time::Duration;
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let s = SpawnOpts::new().name("ticker").spawn(std::future::pending());
    /// assert_eq!(tether::whereis("ticker"), Some(s.pid));
    /// # });
    /// ```
    pub fn name(mut self, name: impl Into<Atom>) -> SpawnOpts {
        self.name = Some(name.into());
        self
    }

    /// Spawns `fut` as a new process.
    ///
    /// # Panics
    ///
    /// If called outside a tokio runtime, or asked to link or monitor from outside a
    /// process, or if the name is taken.
    ///
    /// ```
    /// # use tether::SpawnOpts;
    /// # use std::time::Duration;
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let s = SpawnOpts::new().link().monitor().spawn(async {});
    /// assert!(s.monitor.is_some());
    /// assert_ne!(s.pid, tether::self_pid());
    /// # });
    /// ```
    #[track_caller]
    pub fn spawn<F>(self, fut: F) -> Spawned
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let parent = current::try_with(|p| p.pid);
        if (self.link || self.monitor) && parent.is_none() {
            panic!("spawning with link or monitor needs a calling process");
        }
        let mut monitor = None;
        let shared = table::insert(|pid| ProcessShared::new(pid, self.trap_exit, self.dirty));
        let pid = shared.pid;
        crate::runtime::stats::spawned();
        {
            let mut st = shared.state();
            if let Some(parent) = parent {
                if self.link {
                    st.rel().links.insert(parent);
                }
                if self.monitor {
                    let r = alias::make_ref();
                    st.rel()
                        .monitored_by
                        .insert(r, (parent, Monitored::Pid(pid)));
                    monitor = Some(r);
                }
            }
        }
        if let Some(parent) = parent {
            current::with(|p| {
                let mut st = p.state();
                if self.link {
                    st.rel().links.insert(pid);
                }
                if let Some(r) = monitor {
                    let out = MonitorOut {
                        target: Some(pid),
                        object: Monitored::Pid(pid),
                        process: Some(shared.clone()),
                    };
                    let held = Held {
                        monitor: Some(out),
                        alias: None,
                    };
                    st.rel().refs.insert(r, held);
                }
                debug_assert_eq!(p.pid, parent);
            });
        }
        if let Some(n) = self.name {
            if let Err(e) = name::register(n, pid) {
                panic!("cannot spawn a process under that name: {e}");
            }
        }
        let run = life::run(shared, fut);
        if self.dirty {
            let h = tokio::runtime::Handle::current();
            tokio::task::spawn_blocking(move || h.block_on(run));
        } else {
            tokio::spawn(run);
        }
        Spawned { pid, monitor }
    }
}

/// Spawns `fut` as a new process and returns its pid (Erlang's `spawn/1`).
///
/// A process that returns ends with reason `normal`; one that calls
/// [`exit_self`](crate::exit_self) ends with the reason given (Erlang's `exit/1`); one
/// that panics ends with [`ExitReason::Panic`](crate::ExitReason::Panic).
///
/// ```
/// use tether::Runtime;
/// Runtime::new().unwrap().block_on(async {
///     let parent = tether::self_pid();
///     let child = tether::spawn(async move {
///         tether::send(parent, tether::self_pid()).unwrap();
///     });
///     assert_eq!(tether::receive::<tether::Pid>().await, child);
/// });
/// ```
#[track_caller]
pub fn spawn<F>(fut: F) -> Pid
where
    F: Future<Output = ()> + Send + 'static,
{
    SpawnOpts::new().spawn(fut).pid
}

/// Spawns a process linked to the caller (Erlang's `spawn_link/1`).
///
/// ```
/// # use std::time::Duration;
/// # tether::Runtime::new().unwrap().block_on(async {
/// use tether::{Exit, ExitReason};
/// tether::trap_exit(true);
/// let p = tether::spawn_link(async { panic!("oops") });
/// let exit: Exit = tether::receive().await;
/// assert_eq!(exit.from, p);
/// assert!(matches!(exit.reason, ExitReason::Panic(_)));
/// # });
/// ```
#[track_caller]
pub fn spawn_link<F>(fut: F) -> Pid
where
    F: Future<Output = ()> + Send + 'static,
{
    SpawnOpts::new().link().spawn(fut).pid
}

/// Spawns a process monitored by the caller (Erlang's `spawn_monitor/1`).
///
/// ```
/// # use std::time::Duration;
/// # tether::Runtime::new().unwrap().block_on(async {
/// use tether::{Down, ExitReason};
/// let (p, r) = tether::spawn_monitor(async {});
/// let down: Down = tether::receive().await;
/// assert_eq!((down.reference, down.reason), (r, ExitReason::Normal));
/// # let _ = p;
/// # });
/// ```
#[track_caller]
pub fn spawn_monitor<F>(fut: F) -> (Pid, Reference)
where
    F: Future<Output = ()> + Send + 'static,
{
    let s = SpawnOpts::new().monitor().spawn(fut);
    (s.pid, s.monitor.expect("asked for a monitor"))
}

/// The calling process's pid (Erlang's `self()`).
///
/// # Panics
///
/// Outside a process.
///
/// ```
/// # use std::time::Duration;
/// # tether::Runtime::new().unwrap().block_on(async {
/// let me = tether::self_pid();
/// let child = tether::spawn(async move { tether::send(me, tether::self_pid()).unwrap() });
/// assert_eq!(tether::receive::<tether::Pid>().await, child);
/// # });
/// ```
#[track_caller]
pub fn self_pid() -> Pid {
    current::with(|p| p.pid)
}

/// The calling process's pid, or `None` outside a process.
///
/// ```
/// assert_eq!(tether::try_self_pid(), None); // not in a process
/// tether::Runtime::new().unwrap().block_on(async {
///     assert_eq!(tether::try_self_pid(), Some(tether::self_pid()));
/// });
/// ```
pub fn try_self_pid() -> Option<Pid> {
    current::try_with(|p| p.pid)
}

/// Whether `pid` is a live local process (Erlang's `is_process_alive/1`).
///
/// Signals the caller already sent to `pid` count: after `exit(pid, Kill)` this is
/// `false` at once (S7). Remote pids are never reported alive here.
///
/// ```
/// # use std::time::Duration;
/// # tether::Runtime::new().unwrap().block_on(async {
/// let p = tether::spawn(async {});
/// let q = tether::spawn(std::future::pending());
/// tether::sleep(Duration::from_millis(10)).await;
/// assert!(!tether::is_alive(p));
/// assert!(tether::is_alive(q));
/// # });
/// ```
pub fn is_alive(pid: Pid) -> bool {
    table::with(pid, |p| p.alive_after_pending()).unwrap_or(false)
}
