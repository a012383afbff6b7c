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
    pub async fn start_link(
        start: impl FnOnce() -> S + Send + 'static,
        opts: StartOpts,
    ) -> Result<Agent<S>, ServerStartError> {
        let s = gen_server::start_link::<AgentServer<S>>(Box::new(start), opts).await?;
        Ok(Agent::from_pid(s.pid()))
    }

    /// Starts an agent without a link (Elixir's `Agent.start/2`).
    pub async fn start(
        start: impl FnOnce() -> S + Send + 'static,
        opts: StartOpts,
    ) -> Result<Agent<S>, ServerStartError> {
        let s = gen_server::start::<AgentServer<S>>(Box::new(start), opts).await?;
        Ok(Agent::from_pid(s.pid()))
    }

    /// A handle for `pid`, trusted to be an agent over `S`.
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
    pub async fn get<R: Send + 'static>(
        &self,
        f: impl FnOnce(&S) -> R + Send + 'static,
    ) -> Result<R, CallError> {
        self.run(move |s| f(s), Timeout::DEFAULT).await
    }

    /// [`Agent::get`] with a timeout.
    pub async fn get_timeout<R: Send + 'static>(
        &self,
        f: impl FnOnce(&S) -> R + Send + 'static,
        timeout: impl Into<Timeout>,
    ) -> Result<R, CallError> {
        self.run(move |s| f(s), timeout.into()).await
    }

    /// Changes the state with `f` inside the agent and waits until it is done (5 s
    /// timeout).
    pub async fn update(&self, f: impl FnOnce(&mut S) + Send + 'static) -> Result<(), CallError> {
        self.run(f, Timeout::DEFAULT).await
    }

    /// [`Agent::update`] with a timeout.
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
    pub async fn get_and_update<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut S) -> R + Send + 'static,
    ) -> Result<R, CallError> {
        self.run(f, Timeout::DEFAULT).await
    }

    /// [`Agent::get_and_update`] with a timeout.
    pub async fn get_and_update_timeout<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut S) -> R + Send + 'static,
        timeout: impl Into<Timeout>,
    ) -> Result<R, CallError> {
        self.run(f, timeout.into()).await
    }

    /// Changes the state with `f` without waiting; never fails.
    pub fn cast(&self, f: impl FnOnce(&mut S) + Send + 'static) {
        self.server().cast(Box::new(f))
    }

    /// Stops the agent with `reason` and waits for it to exit (see
    /// [`gen_server::stop`]; Elixir's default is `normal` and no timeout).
    pub async fn stop(
        &self,
        reason: ExitReason,
        timeout: impl Into<Timeout>,
    ) -> Result<(), CallError> {
        gen_server::stop(self.pid, reason, timeout).await
    }
}
