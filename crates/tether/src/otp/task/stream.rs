//! `Task.async_stream`: a bounded pool of tasks over an iterator (docs/semantics.md §6.1 TK9).
//!
//! The stream keeps at most `max_concurrency` tasks running, each linked to and
//! monitored by the process consuming the stream (a task crash takes that process
//! down unless it traps exits, and its death takes the tasks down). A task is finished
//! when its DOWN arrives; its result, sent to an alias before it exited, is then
//! already in the mailbox (same sender, in order), as is the link's `Exit` for a
//! trapping consumer, which is flushed so nothing stray is left behind.
//!
//! Each task has its own deadline, `timeout` after it started. When one passes:
//! [`OnTimeout::Exit`] kills every running task and exits the consumer with
//! `{timeout, {'Elixir.Task.Supervised', stream, [Timeout]}}`; [`OnTimeout::KillTask`]
//! kills that task only and yields `Err(timeout)` for its element.
//!
//! Dropping the stream early kills the tasks still running (unlinked first), removes
//! their monitors and deactivates their aliases: no late message reaches the mailbox.

use std::collections::{BTreeMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use tether_term::{Pid, Reference, Term};
use tokio::time::Instant;

use super::TaskReply;
use crate::otp::gen_server::Timeout;
use crate::{
    AliasMode, Down, Exit, ExitReason, Message, SpawnOpts, demonitor_flush, exit, exit_self,
    receive_select, receive_select_timeout, self_pid, try_self_pid, unalias, unlink,
};

type Job<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// What happens when a task of an [`AsyncStream`] runs out of time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum OnTimeout {
    /// Kill all tasks and exit the consuming process (Elixir's default `:exit`).
    #[default]
    Exit,
    /// Kill the late task and yield `Err(timeout)` for its element (`:kill_task`).
    KillTask,
}

/// Options of [`Task::async_stream`](super::Task::async_stream).
///
/// ```
/// use std::time::Duration;
/// use tether::otp::task::{OnTimeout, StreamOpts};
/// let opts = StreamOpts::new().max_concurrency(4).ordered(false)
///     .timeout(Duration::from_secs(1)).on_timeout(OnTimeout::KillTask);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct StreamOpts {
    max_concurrency: usize,
    ordered: bool,
    timeout: Timeout,
    on_timeout: OnTimeout,
}

impl Default for StreamOpts {
    fn default() -> Self {
        StreamOpts::new()
    }
}

impl StreamOpts {
    /// Elixir's defaults: as many tasks as cores, ordered, 5 s per task, exit on
    /// timeout.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::otp::task::{OnTimeout, StreamOpts, Task};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let doubled = Task::async_stream(vec![1, 2, 3], |n| async move { n * 2 }, StreamOpts::new());
    /// let out: Vec<i32> = doubled.collect().await.into_iter().map(Result::unwrap).collect();
    /// assert_eq!(out, [2, 4, 6]);
    /// # });
    /// ```
    pub fn new() -> StreamOpts {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        StreamOpts {
            max_concurrency: cores,
            ordered: true,
            timeout: Timeout::DEFAULT,
            on_timeout: OnTimeout::Exit,
        }
    }

    /// How many tasks may run at once.
    ///
    /// # Panics
    ///
    /// If `n` is 0.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::otp::task::{OnTimeout, StreamOpts, Task};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    /// use std::sync::Arc;
    /// let (now, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    /// let (n2, p2) = (now.clone(), peak.clone());
    /// let work = move |_: u32| {
    ///     let (now, peak) = (n2.clone(), p2.clone());
    ///     async move {
    ///         peak.fetch_max(now.fetch_add(1, SeqCst) + 1, SeqCst);
    ///         tether::sleep(Duration::from_millis(5)).await;
    ///         now.fetch_sub(1, SeqCst);
    ///     }
    /// };
    /// let stream = Task::async_stream(0..6, work, StreamOpts::new().max_concurrency(2));
    /// assert_eq!(stream.collect().await.len(), 6);
    /// assert!(peak.load(SeqCst) <= 2);
    /// # });
    /// ```
    pub fn max_concurrency(mut self, n: usize) -> StreamOpts {
        assert!(n > 0, "max_concurrency must be greater than 0");
        self.max_concurrency = n;
        self
    }

    /// Whether results come in input order (`true`, the default) or in completion
    /// order.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::otp::task::{OnTimeout, StreamOpts, Task};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let slow_first = |ms: u64| async move {
    ///     tether::sleep(Duration::from_millis(ms)).await;
    ///     ms
    /// };
    /// let opts = StreamOpts::new().max_concurrency(2).ordered(false);
    /// let out: Vec<u64> = Task::async_stream([60, 1], slow_first, opts)
    ///     .collect().await.into_iter().map(Result::unwrap).collect();
    /// assert_eq!(out, [1, 60]); // in completion order
    /// # });
    /// ```
    pub fn ordered(mut self, ordered: bool) -> StreamOpts {
        self.ordered = ordered;
        self
    }

    /// How long each task may run.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::otp::task::{OnTimeout, StreamOpts, Task};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let opts = StreamOpts::new()
    ///     .timeout(Duration::from_millis(20))
    ///     .on_timeout(OnTimeout::KillTask);
    /// let naps = |ms: u64| async move { tether::sleep(Duration::from_millis(ms)).await };
    /// let out = Task::async_stream([1, 1000], naps, opts).collect().await;
    /// assert!(out[0].is_ok());
    /// assert_eq!(out[1], Err(tether::ExitReason::from("timeout")));
    /// # });
    /// ```
    pub fn timeout(mut self, timeout: impl Into<Timeout>) -> StreamOpts {
        self.timeout = timeout.into();
        self
    }

    /// What a task running out of time does.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::otp::task::{OnTimeout, StreamOpts, Task};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let opts = StreamOpts::new().timeout(Duration::from_millis(10)).on_timeout(OnTimeout::KillTask);
    /// let out = Task::async_stream([()], |_| std::future::pending::<()>(), opts).collect().await;
    /// assert_eq!(out, [Err(tether::ExitReason::from("timeout"))]);
    /// # });
    /// ```
    pub fn on_timeout(mut self, on_timeout: OnTimeout) -> StreamOpts {
        self.on_timeout = on_timeout;
        self
    }
}

struct Running {
    index: usize,
    pid: Pid,
    monitor: Reference,
    alias: Reference,
    deadline: Option<Instant>,
    killed: bool,
}

/// The results of [`Task::async_stream`](super::Task::async_stream), pulled with
/// [`AsyncStream::next`]: `Ok(value)` per element, or `Err(reason)` when its task
/// exited (seen only by a consumer that traps exits, or with
/// [`OnTimeout::KillTask`]).
///
/// ```
/// use tether::Runtime;
/// use tether::otp::task::{StreamOpts, Task};
/// Runtime::new().unwrap().block_on(async {
///     let mut s = Task::async_stream(1..=5, |x: u32| async move { x * x }, StreamOpts::new().max_concurrency(2));
///     let mut out = Vec::new();
///     while let Some(r) = s.next().await {
///         out.push(r.unwrap());
///     }
///     assert_eq!(out, vec![1, 4, 9, 16, 25]);
/// });
/// ```
pub struct AsyncStream<T> {
    jobs: Box<dyn Iterator<Item = Job<T>> + Send>,
    opts: StreamOpts,
    owner: Option<Pid>,
    running: Vec<Running>,
    spawned: usize,
    emitted: usize,
    ordered_done: BTreeMap<usize, Result<T, ExitReason>>,
    unordered_done: VecDeque<Result<T, ExitReason>>,
}

impl<T: Send + 'static> AsyncStream<T> {
    pub(crate) fn new<I, F, Fut>(inputs: I, mut f: F, opts: StreamOpts) -> AsyncStream<T>
    where
        I: IntoIterator,
        I::IntoIter: Send + 'static,
        F: FnMut(I::Item) -> Fut + Send + 'static,
        Fut: Future<Output = T> + Send + 'static,
    {
        let jobs = inputs.into_iter().map(move |x| Box::pin(f(x)) as Job<T>);
        AsyncStream {
            jobs: Box::new(jobs),
            opts,
            owner: None,
            running: Vec::new(),
            spawned: 0,
            emitted: 0,
            ordered_done: BTreeMap::new(),
            unordered_done: VecDeque::new(),
        }
    }

    fn spawn_more(&mut self) {
        while self.running.len() < self.opts.max_concurrency {
            let Some(job) = self.jobs.next() else { return };
            let alias = crate::alias(AliasMode::Reply);
            let s = SpawnOpts::new().link().monitor().spawn(async move {
                let value = job.await;
                let _ = crate::send(alias, TaskReply { alias, value });
            });
            self.running.push(Running {
                index: self.spawned,
                pid: s.pid,
                monitor: s.monitor.expect("spawned with a monitor"),
                alias,
                deadline: self.opts.timeout.duration().map(|t| Instant::now() + t),
                killed: false,
            });
            self.spawned += 1;
        }
    }

    fn ready(&mut self) -> Option<Result<T, ExitReason>> {
        if self.opts.ordered {
            let r = self.ordered_done.remove(&self.emitted)?;
            self.emitted += 1;
            Some(r)
        } else {
            self.unordered_done.pop_front()
        }
    }

    /// The next result, or `None` when every input has been processed.
    ///
    /// # Panics
    ///
    /// If called from another process than the first one that polled the stream (the
    /// tasks are linked to that one).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::otp::task::{OnTimeout, StreamOpts, Task};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let mut lens = Task::async_stream(["a", "bcd"], |s| async move { s.len() }, StreamOpts::new());
    /// assert_eq!(lens.next().await, Some(Ok(1)));
    /// assert_eq!(lens.next().await, Some(Ok(3)));
    /// assert_eq!(lens.next().await, None);
    /// # });
    /// ```
    pub async fn next(&mut self) -> Option<Result<T, ExitReason>> {
        let me = self_pid();
        assert_eq!(
            *self.owner.get_or_insert(me),
            me,
            "an async stream is consumed by one process"
        );
        loop {
            self.spawn_more();
            if let Some(r) = self.ready() {
                return Some(r);
            }
            if self.running.is_empty() {
                return None;
            }
            self.wait_one().await;
        }
    }

    /// Collects every remaining result.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::otp::task::{OnTimeout, StreamOpts, Task};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let out = Task::async_stream(1..=3, |n| async move { n + 1 }, StreamOpts::new()).collect().await;
    /// assert_eq!(out, [Ok(2), Ok(3), Ok(4)]);
    /// # });
    /// ```
    pub async fn collect(mut self) -> Vec<Result<T, ExitReason>> {
        let mut out = Vec::new();
        while let Some(r) = self.next().await {
            out.push(r);
        }
        out
    }

    /// Waits until one running task ends (or times out) and records its result.
    async fn wait_one(&mut self) {
        let monitors: Vec<Reference> = self.running.iter().map(|r| r.monitor).collect();
        let is_down = move |m: &Message| {
            m.downcast_ref::<Down>()
                .is_some_and(|d| monitors.contains(&d.reference))
        };
        let deadline = self
            .running
            .iter()
            .filter(|r| !r.killed)
            .filter_map(|r| r.deadline)
            .min();
        let got = match deadline {
            Some(d) => {
                receive_select_timeout(d.saturating_duration_since(Instant::now()), is_down).await
            }
            None => Some(receive_select(is_down).await),
        };
        let Some(m) = got else {
            return self.timed_out().await;
        };
        let down = m
            .downcast::<Down>()
            .unwrap_or_else(|_| unreachable!("matched"));
        let i = self
            .running
            .iter()
            .position(|r| r.monitor == down.reference)
            .expect("matched");
        let task = self.running.swap_remove(i);
        let alias = task.alias;
        let is_reply = move |m: &Message| {
            m.downcast_ref::<TaskReply<T>>()
                .is_some_and(|r| r.alias == alias)
        };
        let result = match receive_select_timeout(Duration::ZERO, is_reply).await {
            Some(m) => Ok(m
                .downcast::<TaskReply<T>>()
                .unwrap_or_else(|_| unreachable!("matched"))
                .value),
            None if task.killed => Err(ExitReason::from("timeout")),
            None => Err(down.reason),
        };
        unalias(alias);
        // A trapping consumer also got the link's Exit, before the DOWN: drop it.
        let pid = task.pid;
        let is_exit = move |m: &Message| m.downcast_ref::<Exit>().is_some_and(|e| e.from == pid);
        receive_select_timeout(Duration::ZERO, is_exit).await;
        if self.opts.ordered {
            self.ordered_done.insert(task.index, result);
        } else {
            self.unordered_done.push_back(result);
        }
    }

    async fn timed_out(&mut self) {
        let now = Instant::now();
        match self.opts.on_timeout {
            OnTimeout::KillTask => {
                for r in self
                    .running
                    .iter_mut()
                    .filter(|r| !r.killed && r.deadline.is_some_and(|d| d <= now))
                {
                    unlink(r.pid);
                    exit(r.pid, ExitReason::Kill);
                    r.killed = true;
                }
            }
            OnTimeout::Exit => {
                self.kill_all();
                let ms = self.opts.timeout.to_term();
                let mfa = Term::tuple([
                    Term::atom("Elixir.Task.Supervised"),
                    Term::atom("stream"),
                    Term::List(vec![ms]),
                ]);
                exit_self(ExitReason::from_term(Term::tuple([
                    Term::atom("timeout"),
                    mfa,
                ])));
            }
        }
    }

    fn kill_all(&mut self) {
        for r in self.running.drain(..) {
            unlink(r.pid);
            exit(r.pid, ExitReason::Kill);
            demonitor_flush(r.monitor);
            unalias(r.alias);
        }
    }
}

impl<T> Drop for AsyncStream<T> {
    fn drop(&mut self) {
        if self.running.is_empty() || try_self_pid().is_none() {
            return;
        }
        for r in self.running.drain(..) {
            unlink(r.pid);
            exit(r.pid, ExitReason::Kill);
            demonitor_flush(r.monitor);
            unalias(r.alias);
        }
    }
}
