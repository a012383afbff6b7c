//! The client side: [`call`], [`cast`], [`stop`] (docs/semantics.md §4.3, §4.4, §4.8).
//!
//! A call is OTP 24+'s `gen:do_call/4`, implemented once for all of Tether by the
//! crate's request primitive (`otp::request`, whose module docs describe the
//! protocol): [`call`] only builds the request — a [`LocalCall`] value for a local
//! server, the `$gen_call` term for a remote one — and decodes a term reply.

use tether_term::Term;

use super::GenServer;
use super::error::CallError;
use super::from::{LocalCall, LocalCast, ReplyTo};
use super::result::Timeout;
use super::sys::{SysMsg, SysRequest};
use crate::otp::gen_call::{alias_tag, call_term, cast_term};
use crate::otp::request::{self, Caller, down_error};
use crate::process::Target;
use crate::process::{mailbox_mark, receive_select_after};
use crate::{
    Dest, Down, ExitReason, Message, MonitorTarget, demonitor_flush, monitor, self_pid,
    send_message,
};

/// Calls `server` and waits up to `timeout` for the reply (Erlang's
/// `gen_server:call/3`).
///
/// `S` names the server's type (the request and reply types follow from it); use
/// [`Server::call`](super::Server::call) on a typed handle to avoid the turbofish.
///
/// ```
/// use tether::Runtime;
/// use tether::otp::gen_server::{self, CallResult, GenServer, Init, ReplyTo, StartOpts, Timeout};
///
/// struct Echo;
/// impl GenServer for Echo {
///     type Args = ();
///     type Call = String;
///     type Cast = ();
///     type Reply = String;
///     type Continue = ();
///     async fn init(_: ()) -> Init<Self> { Init::ok(Echo) }
///     async fn handle_call(&mut self, req: String, _: &ReplyTo<String>) -> CallResult<Self> {
///         CallResult::reply(req)
///     }
/// }
///
/// Runtime::new().unwrap().block_on(async {
///     gen_server::start::<Echo>((), StartOpts::new().name("echo")).await.unwrap();
///     let r = gen_server::call::<Echo>("echo", "hi".to_string(), Timeout::DEFAULT).await;
///     assert_eq!(r.unwrap(), "hi");
///     let r = gen_server::call::<Echo>("nobody", "hi".to_string(), Timeout::DEFAULT).await;
///     assert!(r.unwrap_err().is_noproc());
/// });
/// ```
pub async fn call<S: GenServer>(
    server: impl Into<Dest>,
    request: S::Call,
    timeout: impl Into<Timeout>,
) -> Result<S::Reply, CallError> {
    let build = move |caller: Caller| match caller {
        Caller::Remote(me, alias) => {
            let req = S::encode_call(&request)?;
            Some(Message::new(call_term(me, alias_tag(alias), req)))
        }
        Caller::Local(to) => {
            let from = ReplyTo::<S::Reply>::local(to);
            Some(Message::new(LocalCall { from, request }))
        }
    };
    request::request(&server.into(), timeout.into(), build, S::decode_reply).await
}

/// Sends a cast (Erlang's `gen_server:cast/2`): `handle_cast(request)` runs in the
/// server some time later. Never fails, never waits: a dead server, an unknown name
/// or an unreachable node are all ignored (docs/semantics.md §4.4 K1).
///
/// ```
/// use tether::Runtime;
/// use tether::otp::gen_server;
/// # use tether::otp::gen_server::{GenServer, Init};
/// # struct Sink;
/// # impl GenServer for Sink { type Args = (); type Call = (); type Cast = u32; type Reply = (); type Continue = ();
/// #   async fn init(_: ()) -> Init<Self> { Init::ok(Sink) } }
/// Runtime::new().unwrap().block_on(async {
///     gen_server::cast::<Sink>("not_registered", 1); // fine: casts never fail
/// });
/// ```
pub fn cast<S: GenServer>(server: impl Into<Dest>, request: S::Cast) {
    let remote_term = |req: &S::Cast| S::encode_cast(req).map(|t| Message::new(cast_term(t)));
    match server.into() {
        Dest::Via(v) => {
            let _ = v.send(Message::new(LocalCast(request)));
        }
        r => match r.target() {
            Target::Pid(p) if p.node.is_local() => {
                let _ = crate::send(p, LocalCast(request));
            }
            Target::Pid(p) => {
                if let Some(m) = remote_term(&request) {
                    let _ = send_message(p, m);
                }
            }
            Target::RemoteName(n, node) => {
                if let Some(m) = remote_term(&request) {
                    let _ = send_message(Dest::Remote(n, node), m);
                }
            }
            Target::NoProc => {}
        },
    }
}

/// Stops a server and waits for it to exit (Erlang's `gen_server:stop/3`): the server
/// runs `terminate(reason)` and exits with `reason`.
///
/// `Ok(())` if it exited with `reason`; [`CallError::Exit`] with the other reason if it
/// exited otherwise (for example `terminate` panicked); `NoProc` if it was not
/// running; `Timeout` if it did not stop in time (it is not killed); `CallingSelf`
/// from inside the server. Erlang's default is `normal` and `Timeout::Infinity`.
///
/// ```
/// use tether::{ExitReason, Runtime};
/// use tether::otp::gen_server::{self, Timeout};
/// # use tether::otp::gen_server::{GenServer, Init, StartOpts};
/// # struct Idle;
/// # impl GenServer for Idle { type Args = (); type Call = (); type Cast = (); type Reply = (); type Continue = ();
/// #   async fn init(_: ()) -> Init<Self> { Init::ok(Idle) } }
/// Runtime::new().unwrap().block_on(async {
///     let s = gen_server::start::<Idle>((), StartOpts::new()).await.unwrap();
///     assert_eq!(gen_server::stop(s, ExitReason::Normal, Timeout::Infinity).await, Ok(()));
///     let again = gen_server::stop(s, ExitReason::Normal, Timeout::Infinity).await;
///     assert!(again.unwrap_err().is_noproc());
/// });
/// ```
pub async fn stop(
    server: impl Into<Dest>,
    reason: ExitReason,
    timeout: impl Into<Timeout>,
) -> Result<(), CallError> {
    let me = self_pid();
    let (dest, target, node) = match server.into().target() {
        Target::NoProc => return Err(CallError::NoProc),
        Target::Pid(p) if p == me => return Err(CallError::CallingSelf),
        Target::Pid(p) => (Dest::Pid(p), MonitorTarget::Pid(p), p.node),
        Target::RemoteName(n, node) => (
            Dest::Remote(n.clone(), node),
            MonitorTarget::Remote(n, node),
            node,
        ),
    };
    let mark = mailbox_mark();
    let mref = monitor(target);
    let msg = if node.is_local() {
        Message::new(SysMsg {
            reply_to: None,
            request: SysRequest::Terminate(reason.clone()),
        })
    } else {
        // sys:terminate as a system message term: {system, {Pid, Tag}, {terminate, R}}.
        let req = Term::tuple([Term::atom("terminate"), reason.to_term()]);
        let from = Term::tuple([Term::Pid(me), Term::Ref(mref)]);
        Message::new(Term::tuple([Term::atom("system"), from, req]))
    };
    let _ = send_message(dest, msg);
    let is_down = move |m: &Message| {
        m.downcast_ref::<Down>()
            .is_some_and(|d| d.reference == mref)
    };
    match receive_select_after(mark, timeout.into().duration(), is_down).await {
        Some(m) => {
            let down = m
                .downcast::<Down>()
                .unwrap_or_else(|_| unreachable!("matched"));
            match down.reason {
                r if r == reason => Ok(()),
                r => Err(down_error(r, node)),
            }
        }
        None => {
            demonitor_flush(mref);
            Err(CallError::Timeout)
        }
    }
}
