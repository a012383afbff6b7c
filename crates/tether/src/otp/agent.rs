//! Agent: a process that holds a state, changed only by functions it runs itself
//! (Elixir's `Agent`, docs/semantics.md §6.3).
//!
//! An agent is a [`GenServer`] whose calls and casts are
//! closures: [`Agent::get`], [`Agent::update`] and [`Agent::get_and_update`] send a
//! function to the agent and wait (5 s by default) for it to run there; [`Agent::cast`]
//! does not wait. Errors are the GenServer's [`CallError`]s: a function that panics
//! crashes the agent, and the caller gets the panic as [`CallError::Exit`].
//!
//! ```
//! use tether::Runtime;
//! use tether::otp::agent::Agent;
//! use tether::otp::gen_server::StartOpts;
//!
//! Runtime::new().unwrap().block_on(async {
//!     let counter = Agent::start_link(|| 0u64, StartOpts::new()).await.unwrap();
//!     counter.update(|n| *n += 1).await.unwrap();
//!     assert_eq!(counter.get(|n| *n).await.unwrap(), 1);
//!     let old = counter.get_and_update(|n| std::mem::replace(n, 10)).await.unwrap();
//!     assert_eq!(old, 1);
//!     counter.cast(|n| *n *= 2);
//!     assert_eq!(counter.get(|n| *n).await.unwrap(), 20);
//! });
//! ```

use std::any::Any;
use std::fmt;
use std::marker::PhantomData;

use tether_term::Pid;

use super::gen_server::{
    self, CallError, CallResult, CastResult, GenServer, Init, ReplyTo, Server, ServerStartError,
    StartOpts, Timeout,
};
use crate::Dest;
use crate::ExitReason;

type Reply = Box<dyn Any + Send>;
type CallFn<S> = Box<dyn FnOnce(&mut S) -> Reply + Send>;
type CastFn<S> = Box<dyn FnOnce(&mut S) + Send>;

/// The GenServer behind an agent.
struct AgentServer<S>(S);

impl<S: Send + 'static> GenServer for AgentServer<S> {
    type Args = Box<dyn FnOnce() -> S + Send>;
    type Call = CallFn<S>;
    type Cast = CastFn<S>;
    type Reply = Reply;
    type Continue = ();

    async fn init(start: Self::Args) -> Init<Self> {
        Init::ok(AgentServer(start()))
    }

    async fn handle_call(&mut self, f: CallFn<S>, _: &ReplyTo<Reply>) -> CallResult<Self> {
        CallResult::reply(f(&mut self.0))
    }

    async fn handle_cast(&mut self, f: CastFn<S>) -> CastResult<Self> {
        f(&mut self.0);
        CastResult::noreply()
    }

    fn format_status(&self) -> String {
        format!("Agent<{}>", std::any::type_name::<S>())
    }
}

/// A handle to an agent holding a state of type `S`. It is `Copy`, like a pid.
pub struct Agent<S> {
    pid: Pid,
    _state: PhantomData<fn() -> S>,
}

impl<S> Clone for Agent<S> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S> Copy for Agent<S> {}

impl<S> PartialEq for Agent<S> {
    fn eq(&self, other: &Self) -> bool {
        self.pid == other.pid
    }
}

impl<S> fmt::Debug for Agent<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Agent<{}>({:?})", std::any::type_name::<S>(), self.pid)
    }
}

impl<S: Send + 'static> Agent<S> {
    /// Starts an agent linked to the caller; `start` runs inside the agent and makes
    /// the initial state (Elixir's `Agent.start_link/2`). `opts` may name the agent and
    /// bound the time `start` may take. A panic in `start` fails the start like a
    /// failing GenServer `init`.
    ///
    /// ```
    /// # use tether::otp::{agent::Agent, gen_server::StartOpts};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let stack = Agent::start_link(Vec::<u32>::new, StartOpts::new()).await.unwrap();
    /// stack.update(|v| v.push(7)).await.unwrap();
    /// assert_eq!(stack.get(|v| v.clone()).await.unwrap(), vec![7]);
    /// # });
    /// ```
    pub async fn start_link(
        start: impl FnOnce() -> S + Send + 'static,
        opts: StartOpts,
    ) -> Result<Agent<S>, ServerStartError> {
        let s = gen_server::start_link::<AgentServer<S>>(Box::new(start), opts).await?;
        Ok(Agent::from_pid(s.pid()))
    }

    /// Starts an agent without a link (Elixir's `Agent.start/2`).
    ///
    /// ```
    /// # use tether::otp::{agent::Agent, gen_server::StartOpts};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let agent = Agent::start(|| String::from("idle"), StartOpts::new()).await.unwrap();
    /// assert_eq!(agent.get(|s| s.clone()).await.unwrap(), "idle");
    /// assert!(tether::process_info(agent.pid()).is_some());
    /// # });
    /// ```
    pub async fn start(
        start: impl FnOnce() -> S + Send + 'static,
        opts: StartOpts,
    ) -> Result<Agent<S>, ServerStartError> {
        let s = gen_server::start::<AgentServer<S>>(Box::new(start), opts).await?;
        Ok(Agent::from_pid(s.pid()))
    }

    /// A handle for `pid`, trusted to be an agent over `S`.
    ///
    /// ```
    /// # use tether::otp::{agent::Agent, gen_server::StartOpts};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let agent = Agent::start(|| 5, StartOpts::new()).await.unwrap();
    /// let same = Agent::<i32>::from_pid(agent.pid());
    /// assert_eq!(same, agent);
    /// assert_eq!(same.get(|n| *n).await.unwrap(), 5);
    /// # });
    /// ```
    pub fn from_pid(pid: Pid) -> Agent<S> {
        Agent {
            pid,
            _state: PhantomData,
        }
    }

    /// The agent registered under `name`, if any.
    ///
    /// ```
    /// use tether::Runtime;
    /// use tether::otp::agent::Agent;
    /// use tether::otp::gen_server::StartOpts;
    /// Runtime::new().unwrap().block_on(async {
    ///     Agent::start(|| vec![1, 2], StartOpts::new().name("numbers")).await.unwrap();
    ///     let numbers = Agent::<Vec<i32>>::whereis("numbers").unwrap();
    ///     assert_eq!(numbers.get(|v| v.len()).await.unwrap(), 2);
    /// });
    /// ```
    pub fn whereis(name: impl Into<Dest>) -> Option<Agent<S>> {
        name.into().whereis().map(Agent::from_pid)
    }

    /// The agent's pid.
    ///
    /// ```
    /// # use tether::otp::{agent::Agent, gen_server::StartOpts};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let agent = Agent::start(|| (), StartOpts::new().name("cfg")).await.unwrap();
    /// assert_eq!(tether::whereis("cfg"), Some(agent.pid()));
    /// # });
    /// ```
    pub fn pid(&self) -> Pid {
        self.pid
    }

    fn server(&self) -> Server<AgentServer<S>> {
        Server::from_pid(self.pid)
    }

    async fn run<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut S) -> R + Send + 'static,
        timeout: Timeout,
    ) -> Result<R, CallError> {
        let call: CallFn<S> = Box::new(move |s| Box::new(f(s)));
        let reply = self.server().call_timeout(call, timeout).await?;
        Ok(*reply
            .downcast::<R>()
            .unwrap_or_else(|_| unreachable!("the agent ran our function")))
    }

    /// Runs `f` on the state inside the agent and returns its result (5 s timeout).
    ///
    /// ```
    /// # use tether::otp::{agent::Agent, gen_server::StartOpts};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let names = Agent::start(|| vec!["ada".to_string(), "joe".to_string()], StartOpts::new())
    ///     .await
    ///     .unwrap();
    /// assert_eq!(names.get(|v| v.len()).await.unwrap(), 2);
    /// assert_eq!(names.get(|v| v[1].to_uppercase()).await.unwrap(), "JOE");
    /// # });
    /// ```
    pub async fn get<R: Send + 'static>(
        &self,
        f: impl FnOnce(&S) -> R + Send + 'static,
    ) -> Result<R, CallError> {
        self.run(move |s| f(s), Timeout::DEFAULT).await
    }

    /// [`Agent::get`] with a timeout.
    ///
    /// ```
    /// # use tether::otp::{agent::Agent, gen_server::StartOpts};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// use std::time::Duration;
    /// let agent = Agent::start(|| 41, StartOpts::new()).await.unwrap();
    /// let n = agent.get_timeout(|n| n + 1, Duration::from_millis(500)).await.unwrap();
    /// assert_eq!(n, 42);
    /// # });
    /// ```
    pub async fn get_timeout<R: Send + 'static>(
        &self,
        f: impl FnOnce(&S) -> R + Send + 'static,
        timeout: impl Into<Timeout>,
    ) -> Result<R, CallError> {
        self.run(move |s| f(s), timeout.into()).await
    }

    /// Changes the state with `f` inside the agent and waits until it is done (5 s
    /// timeout).
    ///
    /// ```
    /// # use tether::otp::{agent::Agent, gen_server::StartOpts};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let total = Agent::start(|| 0, StartOpts::new()).await.unwrap();
    /// for n in 1..=4 {
    ///     total.update(move |t| *t += n).await.unwrap();
    /// }
    /// assert_eq!(total.get(|t| *t).await.unwrap(), 10);
    /// # });
    /// ```
    pub async fn update(&self, f: impl FnOnce(&mut S) + Send + 'static) -> Result<(), CallError> {
        self.run(f, Timeout::DEFAULT).await
    }

    /// [`Agent::update`] with a timeout.
    ///
    /// ```
    /// # use tether::otp::{agent::Agent, gen_server::StartOpts};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// use std::time::Duration;
    /// let agent = Agent::start(String::new, StartOpts::new()).await.unwrap();
    /// agent.update_timeout(|s| s.push_str("hi"), Duration::from_secs(1)).await.unwrap();
    /// assert_eq!(agent.get(|s| s.clone()).await.unwrap(), "hi");
    /// # });
    /// ```
    pub async fn update_timeout(
        &self,
        f: impl FnOnce(&mut S) + Send + 'static,
        timeout: impl Into<Timeout>,
    ) -> Result<(), CallError> {
        self.run(f, timeout.into()).await
    }

    /// Changes the state with `f` and returns what `f` returns (Elixir's
    /// `get_and_update/3`, whose `{reply, new_state}` is the return value and the
    /// mutation here). 5 s timeout.
    ///
    /// ```
    /// # use tether::otp::{agent::Agent, gen_server::StartOpts};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let queue = Agent::start(|| vec![1, 2, 3], StartOpts::new()).await.unwrap();
    /// // Pop under one call: nobody sees the state between the read and the write.
    /// assert_eq!(queue.get_and_update(|q| q.pop()).await.unwrap(), Some(3));
    /// assert_eq!(queue.get(|q| q.len()).await.unwrap(), 2);
    /// # });
    /// ```
    pub async fn get_and_update<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut S) -> R + Send + 'static,
    ) -> Result<R, CallError> {
        self.run(f, Timeout::DEFAULT).await
    }

    /// [`Agent::get_and_update`] with a timeout.
    ///
    /// ```
    /// # use tether::otp::{agent::Agent, gen_server::StartOpts};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// use std::time::Duration;
    /// let ids = Agent::start(|| 100u64, StartOpts::new()).await.unwrap();
    /// let next = |n: &mut u64| { *n += 1; *n };
    /// assert_eq!(ids.get_and_update_timeout(next, Duration::from_secs(1)).await.unwrap(), 101);
    /// # });
    /// ```
    pub async fn get_and_update_timeout<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut S) -> R + Send + 'static,
        timeout: impl Into<Timeout>,
    ) -> Result<R, CallError> {
        self.run(f, timeout.into()).await
    }

    /// Changes the state with `f` without waiting; never fails.
    ///
    /// ```
    /// # use tether::otp::{agent::Agent, gen_server::StartOpts};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let hits = Agent::start(|| 0, StartOpts::new()).await.unwrap();
    /// hits.cast(|n| *n += 1);
    /// hits.cast(|n| *n += 1);
    /// // Casts from one process arrive in order, before this later call.
    /// assert_eq!(hits.get(|n| *n).await.unwrap(), 2);
    /// # });
    /// ```
    pub fn cast(&self, f: impl FnOnce(&mut S) + Send + 'static) {
        self.server().cast(Box::new(f))
    }

    /// Stops the agent with `reason` and waits for it to exit (see
    /// [`gen_server::stop`]; Elixir's default is `normal` and no timeout).
    ///
    /// ```
    /// # use tether::otp::{agent::Agent, gen_server::StartOpts};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// use tether::{ExitReason, otp::gen_server::Timeout};
    /// let agent = Agent::start(|| 0, StartOpts::new()).await.unwrap();
    /// agent.stop(ExitReason::Normal, Timeout::Infinity).await.unwrap();
    /// assert!(tether::process_info(agent.pid()).is_none());
    /// # });
    /// ```
    pub async fn stop(
        &self,
        reason: ExitReason,
        timeout: impl Into<Timeout>,
    ) -> Result<(), CallError> {
        gen_server::stop(self.pid, reason, timeout).await
    }
}
