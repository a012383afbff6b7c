//! Task: run one computation in its own process and collect its result (Elixir's
//! `Task`, docs/semantics.md §6.1).
//!
//! [`Task::spawn_async`] is `Task.async`: the task process is **linked** to the caller
//! (if the task crashes, so does the caller, unless it traps exits; if the caller
//! dies, so does the task) and **monitored** by it. The task sends its result to an
//! alias of the caller and exits `normal`. Only the caller (the *owner*) may await it.
//!
//! ```
//! use tether::Runtime;
//! use tether::otp::task::Task;
//! use tether::otp::gen_server::Timeout;
//!
//! Runtime::new().unwrap().block_on(async {
//!     let t = Task::spawn_async(async { 6 * 7 });
//!     assert_eq!(t.await_(Timeout::DEFAULT).await, Ok(42));
//! });
//! ```
//!
//! ## Results and errors
//!
//! Elixir's `Task.await` *exits* the caller when the task fails or times out. In Rust
//! the natural shape is a `Result`, so:
//!
//! * [`Task::await_`] returns `Err(TaskError)`: [`TaskError::Timeout`] (the task keeps
//!   running, and its late result is dropped by the runtime) or [`TaskError::Exit`]
//!   (the task's exit reason). Note that a crashed task also sends its exit signal over
//!   the link, which kills a caller that does not trap exits — as in Elixir.
//! * [`Task::await_or_exit`] is the Elixir flavour: on failure the caller exits with
//!   `{Reason, {'Elixir.Task', await, [Task, Timeout]}}`.
//! * [`Task::yield_`], [`Task::shutdown`], [`Task::ignore`] return
//!   `Option<Result<T, ExitReason>>`: Elixir's `{:ok, v}` / `{:exit, reason}` / `nil`.

mod stream;

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::time::Duration;

use tether_term::{Node, Pid, Reference, Term};
use tokio::time::Instant;

pub use self::stream::{AsyncStream, OnTimeout, StreamOpts};
use super::gen_server::Timeout;
use crate::{
    AliasMode, Down, ExitReason, Message, Monitored, SpawnOpts, demonitor_flush, exit, exit_self,
    receive_select_timeout, self_pid, unalias, unlink,
};

/// The message a task sends to its owner's alias.
pub(crate) struct TaskReply<T> {
    pub alias: Reference,
    pub value: T,
}

/// A running task (Elixir's `%Task{}`); see the [module docs](self).
///
/// A task is awaited at most once: [`Task::await_`] and [`Task::shutdown`] consume it.
#[must_use = "a task should be awaited, shut down or ignored"]
pub struct Task<T> {
    pid: Pid,
    monitor: Reference,
    alias: Reference,
    owner: Pid,
    done: bool,
    _result: PhantomData<fn() -> T>,
}

impl<T> fmt::Debug for Task<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Task")
            .field("pid", &self.pid)
            .field("owner", &self.owner)
            .finish()
    }
}

/// Why [`Task::await_`] or [`Task::await_many`] failed.
#[derive(Clone, Debug, PartialEq)]
pub enum TaskError {
    /// No result within the timeout. The task keeps running; its result, if it comes,
    /// is dropped.
    Timeout,
    /// The task exited with this reason before sending a result (a task that exits
    /// `normal` without a result counts too).
    Exit(ExitReason),
    /// The task's node went down (`{nodedown, Node}`).
    NodeDown(Node),
}

impl TaskError {
    /// Whether this is [`TaskError::Timeout`].
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::otp::task::{self, Task, TaskError};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let slow = Task::spawn_async(async { tether::sleep(Duration::from_secs(5)).await });
    /// assert!(slow.await_(Duration::from_millis(10)).await.unwrap_err().is_timeout());
    /// # });
    /// ```
    pub fn is_timeout(&self) -> bool {
        matches!(self, TaskError::Timeout)
    }

    /// The `Reason` of Elixir's `{Reason, {Task, :await, [task, timeout]}}`.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::otp::task::{self, Task, TaskError};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// use tether::ExitReason;
    /// assert_eq!(TaskError::Timeout.reason(), ExitReason::from("timeout"));
    /// assert_eq!(TaskError::Exit(ExitReason::Kill).reason(), ExitReason::Kill);
    /// # });
    /// ```
    pub fn reason(&self) -> ExitReason {
        match self {
            TaskError::Timeout => ExitReason::from("timeout"),
            TaskError::Exit(r) => r.clone(),
            TaskError::NodeDown(n) => {
                ExitReason::from_term(Term::tuple([Term::atom("nodedown"), Term::Atom(n.name())]))
            }
        }
    }

    /// The exit reason Elixir's caller would exit with:
    /// `{Reason, {'Elixir.Task', Function, Args}}`.
    ///
    /// ```
    /// use tether::Term;
    /// use tether::otp::task::TaskError;
    /// let r = TaskError::Timeout.exit_reason("await", vec![Term::Int(5000)]);
    /// assert!(matches!(r.to_term(), Term::Tuple(t) if t[0] == Term::atom("timeout")));
    /// ```
    pub fn exit_reason(&self, function: &str, args: Vec<Term>) -> ExitReason {
        let mfa = Term::tuple([
            Term::atom("Elixir.Task"),
            Term::atom(function),
            Term::List(args),
        ]);
        ExitReason::from_term(Term::tuple([self.reason().to_term(), mfa]))
    }
}

impl fmt::Display for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaskError::Timeout => write!(f, "the task did not finish in time"),
            TaskError::Exit(r) => write!(f, "the task exited: {r}"),
            TaskError::NodeDown(n) => write!(f, "the task's node {n} is down"),
        }
    }
}

impl std::error::Error for TaskError {}

/// How [`Task::shutdown`] stops a task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shutdown {
    /// Send exit `shutdown`, wait this long, then kill.
    Timeout(Duration),
    /// Kill at once (`:brutal_kill`).
    BrutalKill,
}

impl Default for Shutdown {
    /// `Timeout(5 s)`, Elixir's default.
    fn default() -> Self {
        Shutdown::Timeout(Duration::from_secs(5))
    }
}

fn node_of(d: &Down) -> Node {
    match &d.object {
        Monitored::Pid(p) => p.node,
        Monitored::Name(_, n) => *n,
    }
}

impl<T: Send + 'static> Task<T> {
    /// Spawns `fut` as a task linked to and monitored by the caller (Elixir's
    /// `Task.async/1`).
    ///
    /// # Panics
    ///
    /// Outside a process.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::otp::task::{self, Task, TaskError};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let sum = Task::spawn_async(async { (1..=10).sum::<u32>() });
    /// let product = Task::spawn_async(async { (1..=5).product::<u32>() });
    /// assert_eq!(sum.await_(Duration::from_secs(1)).await, Ok(55));
    /// assert_eq!(product.await_(Duration::from_secs(1)).await, Ok(120));
    /// # });
    /// ```
    pub fn spawn_async<F>(fut: F) -> Task<T>
    where
        F: Future<Output = T> + Send + 'static,
    {
        let owner = self_pid();
        let alias = crate::alias(AliasMode::Reply);
        let spawned = SpawnOpts::new().link().monitor().spawn(async move {
            let value = fut.await;
            let _ = crate::send(alias, TaskReply { alias, value });
        });
        Task {
            pid: spawned.pid,
            monitor: spawned.monitor.expect("spawned with a monitor"),
            alias,
            owner,
            done: false,
            _result: PhantomData,
        }
    }

    /// Spawns `fut` as a fire-and-forget process, not linked (Elixir's `Task.start/1`).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::otp::task::{self, Task, TaskError};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let me = tether::self_pid();
    /// let pid = Task::<()>::start(async move { tether::send(me, "fired").unwrap() });
    /// assert_ne!(pid, me);
    /// assert_eq!(tether::receive::<&str>().await, "fired");
    /// # });
    /// ```
    pub fn start<F: Future<Output = ()> + Send + 'static>(fut: F) -> Pid {
        crate::spawn(fut)
    }

    /// Spawns `fut` as a fire-and-forget process linked to the caller (Elixir's
    /// `Task.start_link/1`).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::otp::task::{self, Task, TaskError};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let pid = Task::<()>::start_link(std::future::pending());
    /// assert!(tether::process_info(pid).unwrap().links.contains(&tether::self_pid()));
    /// # });
    /// ```
    pub fn start_link<F: Future<Output = ()> + Send + 'static>(fut: F) -> Pid {
        crate::spawn_link(fut)
    }

    /// The task's process.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::otp::task::{self, Task, TaskError};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let t = Task::spawn_async(async { tether::self_pid() });
    /// let pid = t.pid();
    /// assert_eq!(t.await_(Duration::from_secs(1)).await, Ok(pid));
    /// # });
    /// ```
    pub fn pid(&self) -> Pid {
        self.pid
    }

    /// The monitor reference (Elixir's `task.ref`).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::otp::task::{self, Task, TaskError};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let t = Task::spawn_async(async { 1 });
    /// let r = t.reference();
    /// assert!(r.is_local());
    /// assert_ne!(r, tether::make_ref());
    /// assert_eq!(t.await_(Duration::from_secs(1)).await, Ok(1));
    /// # });
    /// ```
    pub fn reference(&self) -> Reference {
        self.monitor
    }

    /// The process that spawned the task, the only one that may await it.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::otp::task::{self, Task, TaskError};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let t = Task::spawn_async(async {});
    /// assert_eq!(t.owner(), tether::self_pid());
    /// # });
    /// ```
    pub fn owner(&self) -> Pid {
        self.owner
    }

    #[track_caller]
    fn check_owner(&self, function: &str) {
        let me = self_pid();
        assert!(
            me == self.owner,
            "Task.{function}: task {:?} must be queried from the owner {:?} but was queried from {me:?}",
            self.pid,
            self.owner
        );
    }

    /// Elixir's `%Task{}` as a term, for exit reasons.
    fn to_term(&self) -> Term {
        Term::Map(vec![
            (Term::atom("__struct__"), Term::atom("Elixir.Task")),
            (Term::atom("owner"), Term::Pid(self.owner)),
            (Term::atom("pid"), Term::Pid(self.pid)),
            (Term::atom("ref"), Term::Ref(self.monitor)),
        ])
    }

    fn matcher(&self) -> impl FnMut(&Message) -> bool + Unpin + use<T> {
        let (alias, mref) = (self.alias, self.monitor);
        move |m: &Message| {
            m.downcast_ref::<TaskReply<T>>()
                .is_some_and(|r| r.alias == alias)
                || m.downcast_ref::<Down>()
                    .is_some_and(|d| d.reference == mref)
        }
    }

    /// Waits for the result, or the task's end, up to `timeout`; `None` on timeout.
    async fn wait(&mut self, timeout: Timeout) -> Option<Result<T, Down>> {
        let m = match timeout.duration() {
            Some(t) => receive_select_timeout(t, self.matcher()).await?,
            None => crate::receive_select(self.matcher()).await,
        };
        self.done = true;
        Some(match m.downcast::<TaskReply<T>>() {
            Ok(r) => {
                demonitor_flush(self.monitor);
                Ok(r.value)
            }
            Err(m) => {
                unalias(self.alias);
                Err(m
                    .downcast::<Down>()
                    .unwrap_or_else(|_| unreachable!("matched")))
            }
        })
    }

    /// Waits up to `timeout` for the result (Elixir's `Task.await/2`; see the
    /// [module docs](self) for the error shapes).
    ///
    /// On timeout the monitor is removed and the alias deactivated, so neither the
    /// late result nor a DOWN ever reaches the caller's mailbox.
    ///
    /// # Panics
    ///
    /// If called by a process other than the owner.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::otp::task::{self, Task, TaskError};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// use tether::ExitReason;
    /// let ok = Task::spawn_async(async { "done" });
    /// assert_eq!(ok.await_(Duration::from_secs(1)).await, Ok("done"));
    /// // A task that exits before answering is an error, not a hang.
    /// tether::trap_exit(true); // the task is linked: keep its exit from killing us
    /// let failing = Task::<u32>::spawn_async(async { tether::exit_self(ExitReason::from("bad")) });
    /// assert_eq!(failing.await_(Duration::from_secs(1)).await, Err(TaskError::Exit(ExitReason::from("bad"))));
    /// # });
    /// ```
    pub async fn await_(mut self, timeout: impl Into<Timeout>) -> Result<T, TaskError> {
        self.check_owner("await");
        match self.wait(timeout.into()).await {
            Some(Ok(v)) => Ok(v),
            Some(Err(d)) if d.reason == ExitReason::Noconnection => {
                Err(TaskError::NodeDown(node_of(&d)))
            }
            Some(Err(d)) => Err(TaskError::Exit(d.reason)),
            None => {
                unalias(self.alias);
                demonitor_flush(self.monitor);
                Err(TaskError::Timeout)
            }
        }
    }

    /// Elixir's exiting `Task.await/2`: returns the result, or exits the caller with
    /// `{Reason, {'Elixir.Task', await, [Task, Timeout]}}`.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::otp::task::{self, Task, TaskError};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let t = Task::spawn_async(async { 6 * 7 });
    /// assert_eq!(t.await_or_exit(Duration::from_secs(1)).await, 42);
    /// # });
    /// ```
    pub async fn await_or_exit(self, timeout: impl Into<Timeout>) -> T {
        let timeout = timeout.into();
        let task = self.to_term();
        match self.await_(timeout).await {
            Ok(v) => v,
            Err(e) => exit_self(e.exit_reason("await", vec![task, timeout.to_term()])),
        }
    }

    /// Waits up to `timeout` for the result, keeping the task on timeout so it can be
    /// yielded again (Elixir's `Task.yield/2`): `Some(Ok(v))`, `Some(Err(reason))` if
    /// the task exited, `None` on timeout. After it returned `Some`, the task is over
    /// and further calls return `None` at once.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::otp::task::{self, Task, TaskError};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let mut t = Task::spawn_async(async {
    ///     tether::sleep(Duration::from_millis(50)).await;
    ///     "late"
    /// });
    /// assert_eq!(t.yield_(Duration::from_millis(1)).await, None); // not yet; the task goes on
    /// assert_eq!(t.yield_(Duration::from_secs(1)).await, Some(Ok("late")));
    /// # });
    /// ```
    pub async fn yield_(&mut self, timeout: impl Into<Timeout>) -> Option<Result<T, ExitReason>> {
        self.check_owner("yield");
        if self.done {
            return None;
        }
        self.wait(timeout.into())
            .await
            .map(|r| r.map_err(|d| d.reason))
    }

    /// Stops the task (Elixir's `Task.shutdown/2`): unlinks it, sends exit `shutdown`
    /// (or kills it), and waits for it to end.
    ///
    /// A result that already arrived wins: `Some(Ok(v))`. If the task ended because of
    /// this shutdown, `None`. If it had exited earlier with another reason,
    /// `Some(Err(reason))`; if it did not stop within the timeout it is killed and the
    /// result is `Some(Err(Killed))`.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::otp::task::{self, Task, TaskError};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let t = Task::<()>::spawn_async(std::future::pending());
    /// let pid = t.pid();
    /// assert_eq!(t.shutdown(task::Shutdown::default()).await, None);
    /// assert!(tether::process_info(pid).is_none());
    /// # });
    /// ```
    pub async fn shutdown(mut self, how: Shutdown) -> Option<Result<T, ExitReason>> {
        self.check_owner("shutdown");
        if self.done {
            return None;
        }
        unlink(self.pid);
        let mref = self.monitor;
        let is_down = move |m: &Message| {
            m.downcast_ref::<Down>()
                .is_some_and(|d| d.reference == mref)
        };
        let (signal, wait) = match how {
            Shutdown::Timeout(t) => (ExitReason::Shutdown, Some(t)),
            Shutdown::BrutalKill => (ExitReason::Kill, None),
        };
        exit(self.pid, signal);
        let mut timed_out = false;
        let down = match wait {
            Some(t) => match receive_select_timeout(t, is_down).await {
                Some(m) => m,
                None => {
                    timed_out = true;
                    exit(self.pid, ExitReason::Kill);
                    crate::receive_select(is_down).await
                }
            },
            None => crate::receive_select(is_down).await,
        };
        let reason = down
            .downcast::<Down>()
            .unwrap_or_else(|_| unreachable!("matched"))
            .reason;
        self.done = true;
        let alias = self.alias;
        let is_reply = move |m: &Message| {
            m.downcast_ref::<TaskReply<T>>()
                .is_some_and(|r| r.alias == alias)
        };
        unalias(alias);
        if let Some(r) = receive_select_timeout(Duration::ZERO, is_reply).await {
            let r = r
                .downcast::<TaskReply<T>>()
                .unwrap_or_else(|_| unreachable!("matched"));
            return Some(Ok(r.value));
        }
        match (&reason, how, timed_out) {
            (ExitReason::Shutdown, Shutdown::Timeout(_), _) => None,
            (ExitReason::Killed, Shutdown::BrutalKill, _) => None,
            _ => Some(Err(reason)),
        }
    }

    /// Lets the task run on unsupervised (Elixir's `Task.ignore/1`): unlinks it and
    /// stops listening. Returns its outcome if it had already finished, else `None`;
    /// a later result is dropped.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::otp::task::{self, Task, TaskError};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let me = tether::self_pid();
    /// let t = Task::spawn_async(async move {
    ///     tether::sleep(Duration::from_millis(20)).await;
    ///     tether::send(me, "still ran").unwrap();
    /// });
    /// assert_eq!(t.ignore().await, None); // not finished yet
    /// assert_eq!(tether::receive::<&str>().await, "still ran");
    /// # });
    /// ```
    pub async fn ignore(mut self) -> Option<Result<T, ExitReason>> {
        self.check_owner("ignore");
        if self.done {
            return None;
        }
        unlink(self.pid);
        let r = self.wait(Timeout::After(Duration::ZERO)).await;
        if r.is_none() {
            unalias(self.alias);
            demonitor_flush(self.monitor);
        }
        r.map(|r| r.map_err(|d| d.reason))
    }

    /// Awaits several tasks (Elixir's `Task.await_many/2`): their results in input
    /// order. Fails as soon as one task exits without a result, or when `timeout`
    /// runs out; then every task still pending is abandoned (monitor removed, alias
    /// deactivated; the tasks keep running, linked to the caller).
    ///
    /// ```
    /// use std::time::Duration;
    /// use tether::Runtime;
    /// use tether::otp::{task::Task, gen_server::Timeout};
    /// Runtime::new().unwrap().block_on(async {
    ///     let tasks = (1..=3u64)
    ///         .map(|i| Task::spawn_async(async move {
    ///             tether::sleep(Duration::from_millis(30 / i)).await;
    ///             i
    ///         }))
    ///         .collect();
    ///     assert_eq!(Task::await_many(tasks, Timeout::DEFAULT).await, Ok(vec![1, 2, 3]));
    /// });
    /// ```
    pub async fn await_many(
        tasks: Vec<Task<T>>,
        timeout: impl Into<Timeout>,
    ) -> Result<Vec<T>, TaskError> {
        let deadline = timeout.into().duration().map(|t| Instant::now() + t);
        let mut index: HashMap<Reference, usize> = HashMap::new();
        for (i, t) in tasks.iter().enumerate() {
            t.check_owner("await_many");
            index.insert(t.alias, i);
            index.insert(t.monitor, i);
        }
        let mut results: Vec<Option<T>> = tasks.iter().map(|_| None).collect();
        let mut pending = tasks.len();
        let abandon = |tasks: &[Task<T>], results: &[Option<T>]| {
            for (t, r) in tasks.iter().zip(results) {
                if r.is_none() {
                    unalias(t.alias);
                    demonitor_flush(t.monitor);
                }
            }
        };
        while pending > 0 {
            let matches = |m: &Message| {
                m.downcast_ref::<TaskReply<T>>()
                    .is_some_and(|r| index.contains_key(&r.alias))
                    || m.downcast_ref::<Down>()
                        .is_some_and(|d| index.contains_key(&d.reference))
            };
            let got = match deadline {
                Some(d) => {
                    receive_select_timeout(d.saturating_duration_since(Instant::now()), matches)
                        .await
                }
                None => Some(crate::receive_select(matches).await),
            };
            let Some(m) = got else {
                abandon(&tasks, &results);
                return Err(TaskError::Timeout);
            };
            match m.downcast::<TaskReply<T>>() {
                Ok(r) => {
                    let i = index.remove(&r.alias).expect("matched");
                    index.remove(&tasks[i].monitor);
                    demonitor_flush(tasks[i].monitor);
                    results[i] = Some(r.value);
                    pending -= 1;
                }
                Err(m) => {
                    let d = m
                        .downcast::<Down>()
                        .unwrap_or_else(|_| unreachable!("matched"));
                    abandon(&tasks, &results);
                    return Err(match d.reason {
                        ExitReason::Noconnection => TaskError::NodeDown(node_of(&d)),
                        r => TaskError::Exit(r),
                    });
                }
            }
        }
        Ok(results
            .into_iter()
            .map(|r| r.expect("all results arrived"))
            .collect())
    }

    /// Runs `f` on every input in its own task, at most `opts.max_concurrency` at a
    /// time, and streams the results (Elixir's `Task.async_stream/3`); see
    /// [`AsyncStream`]. Nothing starts until the stream is first polled.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::otp::task::{self, Task, TaskError};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let opts = task::StreamOpts::new().max_concurrency(2);
    /// let squares = Task::async_stream(1..=4u64, |n| async move { n * n }, opts);
    /// let out: Vec<u64> = squares.collect().await.into_iter().map(Result::unwrap).collect();
    /// assert_eq!(out, [1, 4, 9, 16]);
    /// # });
    /// ```
    pub fn async_stream<I, F, Fut>(inputs: I, f: F, opts: StreamOpts) -> AsyncStream<T>
    where
        I: IntoIterator,
        I::IntoIter: Send + 'static,
        F: FnMut(I::Item) -> Fut + Send + 'static,
        Fut: Future<Output = T> + Send + 'static,
    {
        AsyncStream::new(inputs, f, opts)
    }
}
