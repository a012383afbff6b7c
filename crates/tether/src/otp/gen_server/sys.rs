//! System messages: inspecting and managing a running server, as Erlang's `sys`
//! module does (docs/semantics.md §4.10 H3).
//!
//! The server loop answers these between callbacks, whatever its state: while
//! suspended it handles nothing else; a pending `Next::Timeout` keeps running.
//!
//! ```
//! use tether::Runtime;
//! use tether::otp::gen_server::{self, sys, GenServer, Init, StartOpts};
//!
//! #[derive(Debug)]
//! struct Counter(u32);
//! impl GenServer for Counter {
//!     type Args = u32;
//!     type Call = ();
//!     type Cast = ();
//!     type Reply = ();
//!     type Continue = ();
//!     async fn init(n: u32) -> Init<Self> { Init::ok(Counter(n)) }
//!     fn format_status(&self) -> String { format!("{self:?}") }
//! }
//!
//! Runtime::new().unwrap().block_on(async {
//!     let s = gen_server::start::<Counter>(7, StartOpts::new()).await.unwrap();
//!     assert_eq!(sys::get_state(s).await.unwrap(), "Counter(7)");
//!     let new = sys::replace_state::<Counter>(s, |c| c.0 += 1).await.unwrap();
//!     assert_eq!(new, "Counter(8)");
//! });
//! ```

use std::any::Any;

use tether_term::Pid;

use super::GenServer;
use super::error::CallError;
use super::from::ReplyTo;
use super::result::Timeout;
use crate::Dest;
use crate::otp::request::{Caller, request as call_raw};
use crate::{ExitReason, Message};

/// A system message, as moved into a local server's mailbox.
pub(crate) struct SysMsg {
    pub reply_to: Option<ReplyTo<SysValue>>,
    pub request: SysRequest,
}

/// A state update run inside the server; `Err` if the state is not of the expected
/// type.
pub(crate) type Replace = Box<dyn FnOnce(&mut dyn Any) -> Result<(), ExitReason> + Send>;

pub(crate) enum SysRequest {
    GetState,
    GetStatus,
    Replace(Replace),
    Suspend,
    Resume,
    Terminate(ExitReason),
}

/// What the server answers to a system message.
pub(crate) enum SysValue {
    State(String),
    Status(SysStatus),
    Done,
    Failed(ExitReason),
}

/// A server's status (Erlang's `sys:get_status/1`, reduced to what Rust can show).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SysStatus {
    /// The server process.
    pub pid: Pid,
    /// The Rust type of the server.
    pub module: &'static str,
    /// Its state, as [`GenServer::format_status`] shows it.
    pub state: String,
    /// Whether it is suspended ([`suspend`]).
    pub suspended: bool,
    /// Whether it is hibernating.
    pub hibernating: bool,
}

async fn request(
    server: Dest,
    request: SysRequest,
    timeout: Timeout,
) -> Result<SysValue, CallError> {
    let build = move |caller| match caller {
        Caller::Remote(..) => None,
        Caller::Local(to) => {
            let reply_to = Some(ReplyTo::local(to));
            Some(Message::new(SysMsg { reply_to, request }))
        }
    };
    match call_raw(&server, timeout, build, |_| None).await? {
        SysValue::Failed(r) => Err(CallError::CallbackFailed(r)),
        v => Ok(v),
    }
}

/// The server's state as its [`GenServer::format_status`] shows it (Erlang's
/// `sys:get_state/1`; 5 s timeout). Meant for debugging and the observer.
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
/// use tether::otp::gen_server::sys;
/// let c = gen_server::start::<Counter>(3, StartOpts::new()).await.unwrap();
/// assert_eq!(sys::get_state(c).await.unwrap(), "Counter(3)");
/// # });
/// ```
pub async fn get_state(server: impl Into<Dest>) -> Result<String, CallError> {
    match request(server.into(), SysRequest::GetState, Timeout::DEFAULT).await? {
        SysValue::State(s) => Ok(s),
        _ => unreachable!("get_state answers with a state"),
    }
}

/// The server's status (Erlang's `sys:get_status/1`; 5 s timeout).
///
/// ```
/// use tether::Runtime;
/// use tether::otp::gen_server::{self, sys, StartOpts};
/// # use tether::otp::gen_server::{GenServer, Init};
/// # struct Idle;
/// # impl GenServer for Idle { type Args = (); type Call = (); type Cast = (); type Reply = (); type Continue = ();
/// #   async fn init(_: ()) -> Init<Self> { Init::ok(Idle) } }
/// Runtime::new().unwrap().block_on(async {
///     let s = gen_server::start::<Idle>((), StartOpts::new()).await.unwrap();
///     sys::suspend(s).await.unwrap();
///     assert!(sys::get_status(s).await.unwrap().suspended);
///     sys::resume(s).await.unwrap();
/// });
/// ```
pub async fn get_status(server: impl Into<Dest>) -> Result<SysStatus, CallError> {
    match request(server.into(), SysRequest::GetStatus, Timeout::DEFAULT).await? {
        SysValue::Status(s) => Ok(s),
        _ => unreachable!("get_status answers with a status"),
    }
}

/// Changes the state of a server of type `S` in place and returns the new state as
/// [`GenServer::format_status`] shows it (Erlang's `sys:replace_state/2`). Works while
/// the server is suspended.
///
/// If `f` panics the server keeps running and the call fails with
/// [`CallError::CallbackFailed`]; whatever `f` changed before panicking stays changed
/// (Rust cannot roll a `&mut` back). If the server is not an `S`, the call fails with
/// `CallbackFailed` too and nothing changes.
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
/// use tether::otp::gen_server::sys;
/// let c = gen_server::start::<Counter>(3, StartOpts::new()).await.unwrap();
/// let shown = sys::replace_state::<Counter>(c, |s| s.0 = 100).await.unwrap();
/// assert_eq!(shown, "Counter(100)");
/// assert_eq!(c.call(1).await.unwrap(), 101);
/// # });
/// ```
pub async fn replace_state<S: GenServer>(
    server: impl Into<Dest>,
    f: impl FnOnce(&mut S) + Send + 'static,
) -> Result<String, CallError> {
    let replace: Replace = Box::new(move |state: &mut dyn Any| match state.downcast_mut::<S>() {
        Some(s) => {
            f(s);
            Ok(())
        }
        None => Err(ExitReason::from("wrong_server_type")),
    });
    match request(
        server.into(),
        SysRequest::Replace(replace),
        Timeout::DEFAULT,
    )
    .await?
    {
        SysValue::State(s) => Ok(s),
        _ => unreachable!("replace_state answers with a state"),
    }
}

/// Suspends the server (Erlang's `sys:suspend/1`): until [`resume`], it answers only
/// system messages; calls, casts and other messages wait in its mailbox.
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
/// use tether::otp::gen_server::sys;
/// let c = gen_server::start::<Counter>(0, StartOpts::new()).await.unwrap();
/// sys::suspend(c).await.unwrap();
/// c.cast(1); // waits in the mailbox
/// assert!(c.call_timeout(0, Duration::from_millis(20)).await.unwrap_err().is_timeout());
/// sys::resume(c).await.unwrap();
/// assert_eq!(c.call(0).await.unwrap(), 1);
/// # });
/// ```
pub async fn suspend(server: impl Into<Dest>) -> Result<(), CallError> {
    request(server.into(), SysRequest::Suspend, Timeout::DEFAULT)
        .await
        .map(|_| ())
}

/// Resumes a suspended server (Erlang's `sys:resume/1`).
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
/// use tether::otp::gen_server::sys;
/// let c = gen_server::start::<Counter>(0, StartOpts::new()).await.unwrap();
/// sys::suspend(c).await.unwrap();
/// sys::resume(c).await.unwrap();
/// assert!(!sys::get_status(c).await.unwrap().suspended);
/// assert_eq!(c.call(2).await.unwrap(), 2);
/// # });
/// ```
pub async fn resume(server: impl Into<Dest>) -> Result<(), CallError> {
    request(server.into(), SysRequest::Resume, Timeout::DEFAULT)
        .await
        .map(|_| ())
}
