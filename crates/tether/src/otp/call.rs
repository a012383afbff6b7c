//! The private calls of the behaviours that are not gen_servers — supervisors,
//! registry partitions, pg scopes — on top of the crate's one request primitive
//! (`otp::request`, which gen_server's `call` uses too).
//!
//! ```text
//!  caller                                   server
//!    │ mref = monitor_alias(server, ReplyDemonitor)
//!    │── Request { reply_to: mref, .. } ──────▶│
//!    │◀──────────── Reply { tag: mref, value } ─│   (sent to the alias)
//!    │   or DOWN(mref, reason)  ⇒ CallError::{NoProc, NodeDown, Exit}
//!    │   or the timeout         ⇒ demonitor + flush, CallError::Timeout
//! ```
//!
//! The server may be named any way a [`Dest`] can name it (pid, local name, via
//! name). These requests are Rust values with no term form, so a server on another
//! node answers [`CallError::NotPortable`]; errors are the one
//! [`CallError`](crate::otp::CallError) of every call, and the server answers through
//! the one reply handle, [`ReplyTo`] (GenServer's `From`).

use std::time::Duration;

use tether_term::Pid;

use super::gen_server::{CallError, Timeout};
use super::request::{Caller, request};
use crate::Dest;
use crate::Message;

/// Where a server sends the reply to one request: the one reply handle of the crate,
/// here always for a local caller.
pub(crate) use super::gen_server::ReplyTo;

/// Calls `server`: builds the request with `make`, sends it, and waits up to
/// `timeout` (`None` = infinity) for the reply.
pub(crate) async fn call<M, T>(
    server: &Dest,
    make: impl FnOnce(ReplyTo<T>) -> M,
    timeout: Option<Duration>,
) -> Result<T, CallError>
where
    M: Send + 'static,
    T: Send + 'static,
{
    let build = move |caller| match caller {
        Caller::Remote(..) => None,
        Caller::Local(to) => Some(Message::new(make(ReplyTo::local(to)))),
    };
    let timeout = timeout.map_or(Timeout::Infinity, Timeout::After);
    request(server, timeout, build, |_| None).await
}

/// [`call`] to a pid.
pub(crate) async fn call_pid<M, T>(
    pid: Pid,
    make: impl FnOnce(ReplyTo<T>) -> M,
    timeout: Option<Duration>,
) -> Result<T, CallError>
where
    M: Send + 'static,
    T: Send + 'static,
{
    call(&Dest::Pid(pid), make, timeout).await
}
