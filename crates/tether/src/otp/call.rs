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
//! The server may be named any way a [`ServerRef`] can name it (pid, local name, via
//! name). These requests are Rust values with no term form, so a server on another
//! node answers [`CallError::NotPortable`]; errors are the one
//! [`CallError`](crate::otp::CallError) of every call.

use std::fmt;
use std::marker::PhantomData;
use std::time::Duration;

use tether_term::Pid;

use super::ServerRef;
use super::gen_server::{CallError, Timeout};
use super::request::{Caller, reply_via, request};
use crate::Message;
use crate::process::AliasSender;

/// Where a server sends the reply to one request.
pub(crate) struct ReplyTo<T> {
    to: AliasSender,
    _t: PhantomData<fn(T)>,
}

impl<T> fmt::Debug for ReplyTo<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ReplyTo({})", self.to.alias())
    }
}

impl<T: Send + 'static> ReplyTo<T> {
    /// Sends the reply (dropped if the caller gave up).
    pub(crate) fn reply(self, value: T) {
        reply_via(&self.to, value);
    }
}

/// Calls `server`: builds the request with `make`, sends it, and waits up to
/// `timeout` (`None` = infinity) for the reply.
pub(crate) async fn call<M, T>(
    server: &ServerRef,
    make: impl FnOnce(ReplyTo<T>) -> M,
    timeout: Option<Duration>,
) -> Result<T, CallError>
where
    M: Send + 'static,
    T: Send + 'static,
{
    let build = move |caller| match caller {
        Caller::Remote(..) => None,
        Caller::Local(to) => Some(Message::new(make(ReplyTo {
            to,
            _t: PhantomData,
        }))),
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
    call(&ServerRef::Pid(pid), make, timeout).await
}
