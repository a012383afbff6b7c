//! Starting a server: the proc_lib start protocol (docs/semantics.md §4.1, §4.2).
//!
//! The starter checks the name, spawns the server (linked for `start_link`) with a
//! monitor, and waits for an *ack*. The new process registers its name **before**
//! `init` runs (a taken name acks `already_started` and exits `normal` without calling
//! `init`), runs `init`, and acks its outcome. On any failure it frees the name
//! *before* acking, so an immediate retry cannot see `already_started`.
//!
//! The starter waits for the ack or the monitor's DOWN (a process killed during
//! `init`) — scanning only messages newer than the spawn — until the start timeout;
//! then it unlinks, kills the process, waits for it to be gone and returns `Timeout`.
//! A failing `init` whose process exits abnormally (`Stop`, a panic) kills a
//! `start_link` caller that does not trap exits, exactly as in OTP; `Ignore` and
//! `Error` exit `normal` and are always safe.

use std::time::Duration;

use tether_term::{Atom, Pid, Reference};

use super::GenServer;
use super::Server;
use super::catch::catching;
use super::error::ServerStartError;
use super::result::{Init, Timeout};
use super::server_loop::Loop;
use crate::Via;
use crate::otp::server_ref::{NameError, StartName};
use crate::process::{mailbox_mark, receive_select_after};
use crate::{
    Down, Exit, ExitReason, Message, SpawnOpts, demonitor_flush, exit, exit_self, make_ref,
    receive_select_timeout, self_pid, unlink,
};

/// Options for starting a server (Erlang's start options; Elixir's `:name`,
/// `:timeout`, `:hibernate_after`).
///
/// ```
/// use std::time::Duration;
/// use tether::otp::gen_server::StartOpts;
/// let opts = StartOpts::new().name("kv").timeout(Duration::from_secs(1));
/// ```
#[derive(Clone, Debug, Default)]
pub struct StartOpts {
    name: Option<StartName>,
    timeout: Option<Duration>,
    hibernate_after: Option<Duration>,
}

impl StartOpts {
    /// No name, no start timeout (`infinity`), no automatic hibernation.
    ///
    /// ```
    /// # use tether::otp::gen_server::{self, CallResult, CastResult, GenServer, Init, ReplyTo, StartOpts};
    /// # struct Counter(i64);
    /// # impl GenServer for Counter {
    /// #     type Args = i64; type Call = i64; type Cast = i64; type Reply = i64; type Continue = ();
    /// #     async fn init(n: i64) -> Init<Self> { Init::ok(Counter(n)) }
    /// #     async fn handle_call(&mut self, add: i64, _: &ReplyTo<i64>) -> CallResult<Self> { self.0 += add; CallResult::reply(self.0) }
    /// #     async fn handle_cast(&mut self, add: i64) -> CastResult<Self> { self.0 += add; CastResult::noreply() }
    /// #     fn format_status(&self) -> String { format!("Counter({})", self.0) }
    /// # }
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let c = gen_server::start::<Counter>(1, StartOpts::new()).await.unwrap();
    /// assert_eq!(c.call(0).await.unwrap(), 1);
    /// # });
    /// ```
    pub fn new() -> StartOpts {
        StartOpts::default()
    }

    /// Registers the server under a local name (`{local, Name}`).
    ///
    /// ```
    /// # use tether::otp::gen_server::{self, CallResult, CastResult, GenServer, Init, ReplyTo, StartOpts};
    /// # struct Counter(i64);
    /// # impl GenServer for Counter {
    /// #     type Args = i64; type Call = i64; type Cast = i64; type Reply = i64; type Continue = ();
    /// #     async fn init(n: i64) -> Init<Self> { Init::ok(Counter(n)) }
    /// #     async fn handle_call(&mut self, add: i64, _: &ReplyTo<i64>) -> CallResult<Self> { self.0 += add; CallResult::reply(self.0) }
    /// #     async fn handle_cast(&mut self, add: i64) -> CastResult<Self> { self.0 += add; CastResult::noreply() }
    /// #     fn format_status(&self) -> String { format!("Counter({})", self.0) }
    /// # }
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let c = gen_server::start::<Counter>(0, StartOpts::new().name("hits")).await.unwrap();
    /// assert_eq!(tether::whereis("hits"), Some(c.pid()));
    /// // A second server cannot take the name.
    /// let again = gen_server::start::<Counter>(0, StartOpts::new().name("hits")).await;
    /// assert_eq!(again.unwrap_err(), gen_server::ServerStartError::AlreadyStarted(c.pid()));
    /// # });
    /// ```
    pub fn name(mut self, name: impl Into<Atom>) -> StartOpts {
        self.name = Some(StartName::Local(name.into()));
        self
    }

    /// Registers the server through a registry (`{via, Module, Name}`): a
    /// [`Registry::via`](crate::otp::registry::Registry::via) name,
    /// `tether::kernel::global::Global` (`{global, Name}`), or any other [`Via`].
    ///
    /// ```
    /// # use tether::otp::gen_server::{self, CallResult, CastResult, GenServer, Init, ReplyTo, StartOpts};
    /// # struct Counter(i64);
    /// # impl GenServer for Counter {
    /// #     type Args = i64; type Call = i64; type Cast = i64; type Reply = i64; type Continue = ();
    /// #     async fn init(n: i64) -> Init<Self> { Init::ok(Counter(n)) }
    /// #     async fn handle_call(&mut self, add: i64, _: &ReplyTo<i64>) -> CallResult<Self> { self.0 += add; CallResult::reply(self.0) }
    /// #     async fn handle_cast(&mut self, add: i64) -> CastResult<Self> { self.0 += add; CastResult::noreply() }
    /// #     fn format_status(&self) -> String { format!("Counter({})", self.0) }
    /// # }
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// use tether::otp::registry::{Keys, Registry, RegistryOptions};
    /// let reg = Registry::<String, ()>::start_link(RegistryOptions::new(Keys::Unique, "reg"))
    ///     .await
    ///     .unwrap();
    /// let name = reg.via("counter".to_string(), ()).unwrap();
    /// let c = gen_server::start::<Counter>(5, StartOpts::new().via(name.clone())).await.unwrap();
    /// let found = gen_server::Server::<Counter>::whereis(name).unwrap();
    /// assert_eq!(found, c);
    /// assert_eq!(found.call(1).await.unwrap(), 6);
    /// # });
    /// ```
    pub fn via(mut self, via: impl Via) -> StartOpts {
        self.name = Some(StartName::via(via));
        self
    }

    /// Gives up if `init` has not returned within `timeout`: the process is killed and
    /// the start returns [`ServerStartError::Timeout`] (`{timeout, T}`; default: wait
    /// forever).
    ///
    /// ```
    /// # use tether::otp::gen_server::{self, CallResult, CastResult, GenServer, Init, ReplyTo, StartOpts};
    /// # struct Counter(i64);
    /// # impl GenServer for Counter {
    /// #     type Args = i64; type Call = i64; type Cast = i64; type Reply = i64; type Continue = ();
    /// #     async fn init(n: i64) -> Init<Self> { Init::ok(Counter(n)) }
    /// #     async fn handle_call(&mut self, add: i64, _: &ReplyTo<i64>) -> CallResult<Self> { self.0 += add; CallResult::reply(self.0) }
    /// #     async fn handle_cast(&mut self, add: i64) -> CastResult<Self> { self.0 += add; CastResult::noreply() }
    /// #     fn format_status(&self) -> String { format!("Counter({})", self.0) }
    /// # }
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// use std::time::Duration;
    /// struct Slow;
    /// impl GenServer for Slow {
    ///     type Args = (); type Call = (); type Cast = (); type Reply = (); type Continue = ();
    ///     async fn init(_: ()) -> Init<Self> {
    ///         tether::sleep(Duration::from_secs(10)).await;
    ///         Init::ok(Slow)
    ///     }
    /// }
    /// let opts = StartOpts::new().timeout(Duration::from_millis(50));
    /// let r = gen_server::start::<Slow>((), opts).await;
    /// assert_eq!(r.unwrap_err(), gen_server::ServerStartError::Timeout);
    /// # });
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> StartOpts {
        self.timeout = Some(timeout);
        self
    }

    /// Hibernates the server whenever it has been idle this long (`hibernate_after`).
    ///
    /// ```
    /// # use tether::otp::gen_server::{self, CallResult, CastResult, GenServer, Init, ReplyTo, StartOpts};
    /// # struct Counter(i64);
    /// # impl GenServer for Counter {
    /// #     type Args = i64; type Call = i64; type Cast = i64; type Reply = i64; type Continue = ();
    /// #     async fn init(n: i64) -> Init<Self> { Init::ok(Counter(n)) }
    /// #     async fn handle_call(&mut self, add: i64, _: &ReplyTo<i64>) -> CallResult<Self> { self.0 += add; CallResult::reply(self.0) }
    /// #     async fn handle_cast(&mut self, add: i64) -> CastResult<Self> { self.0 += add; CastResult::noreply() }
    /// #     fn format_status(&self) -> String { format!("Counter({})", self.0) }
    /// # }
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// use std::time::Duration;
    /// let opts = StartOpts::new().hibernate_after(Duration::from_millis(100));
    /// let c = gen_server::start::<Counter>(0, opts).await.unwrap();
    /// // Hibernation frees memory between messages; the state stays.
    /// assert_eq!(c.call(3).await.unwrap(), 3);
    /// # });
    /// ```
    pub fn hibernate_after(mut self, idle: Duration) -> StartOpts {
        self.hibernate_after = Some(idle);
        self
    }
}

/// The new process's answer to its starter.
struct StartAck {
    tag: Reference,
    result: Result<(), ServerStartError>,
}

/// Starts a server without linking it to the caller (Erlang's `gen_server:start/3,4`).
/// Returns once `init` has finished.
///
/// ```
/// use tether::Runtime;
/// use tether::otp::gen_server::{self, GenServer, Init, ServerStartError, StartOpts};
///
/// struct Picky;
/// impl GenServer for Picky {
///     type Args = bool;
///     type Call = ();
///     type Cast = ();
///     type Reply = ();
///     type Continue = ();
///     async fn init(ok: bool) -> Init<Self> {
///         if ok { Init::ok(Picky) } else { Init::Ignore }
///     }
/// }
///
/// Runtime::new().unwrap().block_on(async {
///     assert!(gen_server::start::<Picky>(true, StartOpts::new()).await.is_ok());
///     assert_eq!(gen_server::start::<Picky>(false, StartOpts::new()).await, Err(ServerStartError::Ignore));
/// });
/// ```
pub async fn start<S: GenServer>(
    args: S::Args,
    opts: StartOpts,
) -> Result<Server<S>, ServerStartError> {
    let (pid, _) = start_inner::<S>(args, opts, false, false).await?;
    Ok(Server::from_pid(pid))
}

/// Starts a server linked to the caller (Erlang's `gen_server:start_link/3,4`): the
/// caller becomes its parent, and if the server traps exits an `Exit` from the parent
/// makes it terminate with the parent's reason.
///
/// ```
/// # use tether::otp::gen_server::{self, CallResult, CastResult, GenServer, Init, ReplyTo, StartOpts};
/// # struct Counter(i64);
/// # impl GenServer for Counter {
/// #     type Args = i64; type Call = i64; type Cast = i64; type Reply = i64; type Continue = ();
/// #     async fn init(n: i64) -> Init<Self> { Init::ok(Counter(n)) }
/// #     async fn handle_call(&mut self, add: i64, _: &ReplyTo<i64>) -> CallResult<Self> { self.0 += add; CallResult::reply(self.0) }
/// #     async fn handle_cast(&mut self, add: i64) -> CastResult<Self> { self.0 += add; CastResult::noreply() }
/// #     fn format_status(&self) -> String { format!("Counter({})", self.0) }
/// # }
/// # tether::Runtime::new().unwrap().block_on(async {
/// let c = gen_server::start_link::<Counter>(10, StartOpts::new()).await.unwrap();
/// assert_eq!(c.call(-1).await.unwrap(), 9);
/// // Linked: the caller is the server's parent.
/// assert!(tether::process_info(c.pid()).unwrap().links.contains(&tether::self_pid()));
/// # });
/// ```
pub async fn start_link<S: GenServer>(
    args: S::Args,
    opts: StartOpts,
) -> Result<Server<S>, ServerStartError> {
    let (pid, _) = start_inner::<S>(args, opts, true, false).await?;
    Ok(Server::from_pid(pid))
}

/// Starts a server monitored by the caller (Erlang's `gen_server:start_monitor/3,4`):
/// returns the server and the monitor's reference.
///
/// ```
/// # use tether::otp::gen_server::{self, CallResult, CastResult, GenServer, Init, ReplyTo, StartOpts};
/// # struct Counter(i64);
/// # impl GenServer for Counter {
/// #     type Args = i64; type Call = i64; type Cast = i64; type Reply = i64; type Continue = ();
/// #     async fn init(n: i64) -> Init<Self> { Init::ok(Counter(n)) }
/// #     async fn handle_call(&mut self, add: i64, _: &ReplyTo<i64>) -> CallResult<Self> { self.0 += add; CallResult::reply(self.0) }
/// #     async fn handle_cast(&mut self, add: i64) -> CastResult<Self> { self.0 += add; CastResult::noreply() }
/// #     fn format_status(&self) -> String { format!("Counter({})", self.0) }
/// # }
/// # tether::Runtime::new().unwrap().block_on(async {
/// use tether::{Down, ExitReason};
/// let (c, mref) = gen_server::start_monitor::<Counter>(0, StartOpts::new()).await.unwrap();
/// c.stop(ExitReason::from("done")).await.unwrap();
/// let down: Down = tether::receive().await;
/// assert_eq!(down.reference, mref);
/// assert_eq!(down.reason, ExitReason::from("done"));
/// # });
/// ```
pub async fn start_monitor<S: GenServer>(
    args: S::Args,
    opts: StartOpts,
) -> Result<(Server<S>, Reference), ServerStartError> {
    let (pid, mref) = start_inner::<S>(args, opts, false, true).await?;
    Ok((Server::from_pid(pid), mref))
}

async fn start_inner<S: GenServer>(
    args: S::Args,
    opts: StartOpts,
    link: bool,
    keep_monitor: bool,
) -> Result<(Pid, Reference), ServerStartError> {
    if let Some(holder) = opts.name.as_ref().and_then(StartName::whereis) {
        return Err(ServerStartError::AlreadyStarted(holder));
    }
    let me = self_pid();
    let tag = make_ref();
    let mark = mailbox_mark();
    let spawn = if link {
        SpawnOpts::new().link()
    } else {
        SpawnOpts::new()
    };
    let timeout = opts.timeout;
    let parent = link.then_some(me);
    let spawned = spawn
        .monitor()
        .spawn(enter::<S>(args, opts, me, tag, parent));
    let (pid, mref) = (
        spawned.pid,
        spawned.monitor.expect("spawned with a monitor"),
    );
    let answer = move |m: &Message| {
        m.downcast_ref::<StartAck>().is_some_and(|a| a.tag == tag)
            || m.downcast_ref::<Down>()
                .is_some_and(|d| d.reference == mref)
    };
    let Some(m) = receive_select_after(mark, timeout, answer).await else {
        // {timeout, T}: kill it, wait until it is gone (its name is free), and drop
        // the EXIT a trapping starter would get.
        unlink(pid);
        exit(pid, ExitReason::Kill);
        let down = move |m: &Message| {
            m.downcast_ref::<Down>()
                .is_some_and(|d| d.reference == mref)
        };
        receive_select_after(mark, None, down).await;
        let exit_msg = move |m: &Message| m.downcast_ref::<Exit>().is_some_and(|e| e.from == pid);
        receive_select_timeout(Duration::ZERO, exit_msg).await;
        return Err(ServerStartError::Timeout);
    };
    match m.downcast::<StartAck>() {
        Ok(ack) => {
            if ack.result.is_err() || !keep_monitor {
                demonitor_flush(mref);
            }
            ack.result.map(|()| (pid, mref))
        }
        Err(m) => {
            let down = m
                .downcast::<Down>()
                .unwrap_or_else(|_| unreachable!("matched"));
            Err(ServerStartError::Failed(down.reason))
        }
    }
}

/// The new process: register, `init`, ack, then run the loop.
async fn enter<S: GenServer>(
    args: S::Args,
    opts: StartOpts,
    starter: Pid,
    tag: Reference,
    parent: Option<Pid>,
) {
    crate::process::info::set_initial_call(crate::InitialCall {
        module: std::any::type_name::<S>(),
        function: "init",
        arity: 1,
    });
    let ack = |result| {
        let _ = crate::send(starter, StartAck { tag, result });
    };
    if let Some(name) = &opts.name
        && let Err(e) = name.register(self_pid()).await
    {
        let reason = e.reason();
        let e = match e {
            NameError::Taken(holder) => ServerStartError::AlreadyStarted(holder),
            NameError::BadName(n) => ServerStartError::BadName(n),
            NameError::Refused => ServerStartError::Failed(reason),
        };
        return ack(Err(e)); // exits normal; init never runs
    }
    let failed = |r: ExitReason| {
        if let Some(name) = &opts.name {
            name.unregister();
        }
        ack(Err(ServerStartError::Failed(r)));
    };
    match catching(S::init(args)).await {
        Ok(Init::Ok(state, next)) => {
            ack(Ok(()));
            let reason = Loop::new(state, parent, opts.hibernate_after)
                .run(next)
                .await;
            if !reason.is_normal() {
                exit_self(reason);
            }
        }
        Ok(Init::Ignore) => {
            if let Some(name) = &opts.name {
                name.unregister();
            }
            ack(Err(ServerStartError::Ignore));
        }
        Ok(Init::Error(r)) => failed(r),
        Ok(Init::Stop(r)) | Err(r) => {
            failed(r.clone());
            if !r.is_normal() {
                exit_self(r);
            }
        }
    }
}

impl<S: GenServer> Server<S> {
    /// Calls the server with the default 5 s timeout (see [`call`](super::call)).
    ///
    /// ```
    /// # use tether::otp::gen_server::{self, CallResult, CastResult, GenServer, Init, ReplyTo, StartOpts};
    /// # struct Counter(i64);
    /// # impl GenServer for Counter {
    /// #     type Args = i64; type Call = i64; type Cast = i64; type Reply = i64; type Continue = ();
    /// #     async fn init(n: i64) -> Init<Self> { Init::ok(Counter(n)) }
    /// #     async fn handle_call(&mut self, add: i64, _: &ReplyTo<i64>) -> CallResult<Self> { self.0 += add; CallResult::reply(self.0) }
    /// #     async fn handle_cast(&mut self, add: i64) -> CastResult<Self> { self.0 += add; CastResult::noreply() }
    /// #     fn format_status(&self) -> String { format!("Counter({})", self.0) }
    /// # }
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let c = gen_server::start::<Counter>(0, StartOpts::new()).await.unwrap();
    /// assert_eq!(c.call(2).await.unwrap(), 2);
    /// assert_eq!(c.call(3).await.unwrap(), 5);
    /// # });
    /// ```
    pub async fn call(&self, request: S::Call) -> Result<S::Reply, super::CallError> {
        super::call::<S>(self.pid(), request, Timeout::DEFAULT).await
    }

    /// Calls the server with a timeout (see [`call`](super::call)).
    ///
    /// ```
    /// # use tether::otp::gen_server::{self, CallResult, CastResult, GenServer, Init, ReplyTo, StartOpts};
    /// # struct Counter(i64);
    /// # impl GenServer for Counter {
    /// #     type Args = i64; type Call = i64; type Cast = i64; type Reply = i64; type Continue = ();
    /// #     async fn init(n: i64) -> Init<Self> { Init::ok(Counter(n)) }
    /// #     async fn handle_call(&mut self, add: i64, _: &ReplyTo<i64>) -> CallResult<Self> { self.0 += add; CallResult::reply(self.0) }
    /// #     async fn handle_cast(&mut self, add: i64) -> CastResult<Self> { self.0 += add; CastResult::noreply() }
    /// #     fn format_status(&self) -> String { format!("Counter({})", self.0) }
    /// # }
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// use std::time::Duration;
    /// let c = gen_server::start::<Counter>(0, StartOpts::new()).await.unwrap();
    /// assert_eq!(c.call_timeout(4, Duration::from_millis(200)).await.unwrap(), 4);
    /// gen_server::sys::suspend(c).await.unwrap(); // a suspended server answers no calls
    /// let late = c.call_timeout(1, Duration::from_millis(20)).await;
    /// assert!(late.unwrap_err().is_timeout());
    /// # });
    /// ```
    pub async fn call_timeout(
        &self,
        request: S::Call,
        timeout: impl Into<Timeout>,
    ) -> Result<S::Reply, super::CallError> {
        super::call::<S>(self.pid(), request, timeout).await
    }

    /// Casts to the server (see [`cast`](super::cast)).
    ///
    /// ```
    /// # use tether::otp::gen_server::{self, CallResult, CastResult, GenServer, Init, ReplyTo, StartOpts};
    /// # struct Counter(i64);
    /// # impl GenServer for Counter {
    /// #     type Args = i64; type Call = i64; type Cast = i64; type Reply = i64; type Continue = ();
    /// #     async fn init(n: i64) -> Init<Self> { Init::ok(Counter(n)) }
    /// #     async fn handle_call(&mut self, add: i64, _: &ReplyTo<i64>) -> CallResult<Self> { self.0 += add; CallResult::reply(self.0) }
    /// #     async fn handle_cast(&mut self, add: i64) -> CastResult<Self> { self.0 += add; CastResult::noreply() }
    /// #     fn format_status(&self) -> String { format!("Counter({})", self.0) }
    /// # }
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let c = gen_server::start::<Counter>(0, StartOpts::new()).await.unwrap();
    /// c.cast(5);
    /// assert_eq!(c.call(0).await.unwrap(), 5);
    /// # });
    /// ```
    pub fn cast(&self, request: S::Cast) {
        super::cast::<S>(self.pid(), request)
    }

    /// Stops the server with `reason` and waits for it to exit (see
    /// [`stop`](super::stop); no timeout).
    ///
    /// ```
    /// # use tether::otp::gen_server::{self, CallResult, CastResult, GenServer, Init, ReplyTo, StartOpts};
    /// # struct Counter(i64);
    /// # impl GenServer for Counter {
    /// #     type Args = i64; type Call = i64; type Cast = i64; type Reply = i64; type Continue = ();
    /// #     async fn init(n: i64) -> Init<Self> { Init::ok(Counter(n)) }
    /// #     async fn handle_call(&mut self, add: i64, _: &ReplyTo<i64>) -> CallResult<Self> { self.0 += add; CallResult::reply(self.0) }
    /// #     async fn handle_cast(&mut self, add: i64) -> CastResult<Self> { self.0 += add; CastResult::noreply() }
    /// #     fn format_status(&self) -> String { format!("Counter({})", self.0) }
    /// # }
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// use tether::ExitReason;
    /// let c = gen_server::start::<Counter>(0, StartOpts::new()).await.unwrap();
    /// c.stop(ExitReason::Normal).await.unwrap();
    /// assert!(c.call(1).await.unwrap_err().is_noproc());
    /// # });
    /// ```
    pub async fn stop(&self, reason: ExitReason) -> Result<(), super::CallError> {
        super::stop(self.pid(), reason, Timeout::Infinity).await
    }
}
