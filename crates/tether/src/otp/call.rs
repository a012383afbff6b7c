//! The request/reply protocol behaviours use for their APIs (gen_server's `call`).
//!
//! ```text
//!  caller                                   server
//!    │ mref = monitor_alias(server, ReplyDemonitor)
//!    │── Request { reply_to: mref, .. } ──────▶│
//!    │◀──────────── Reply { tag: mref, value } ─│   (sent to the alias)
//!    │   or DOWN(mref, reason)  ⇒ CallError::Exit(reason)
//!    │   or the timeout         ⇒ demonitor + flush, CallError::Timeout
//! ```
//!
//! The reference is both the monitor and a reply-once alias: a reply arriving after
//! a timeout is dropped by the alias instead of polluting the mailbox, and the
//! monitor makes a dead server an immediate error rather than a hang. This is
//! exactly what `gen:call/4` does since OTP 24.

use std::fmt;
use std::marker::PhantomData;
use std::time::Duration;

use tether_term::{Pid, Reference};

use super::ServerRef;
use crate::{AliasMode, Down, ExitReason, Message};

/// Why a call to a behaviour failed.
#[derive(Clone, Debug, PartialEq)]
pub enum CallError {
    /// No process has the name, or the pid is dead (`noproc`).
    Noproc,
    /// The server exited before replying, with this reason.
    Exit(ExitReason),
    /// No reply within the timeout.
    Timeout,
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::Noproc => f.write_str("no such process (noproc)"),
            CallError::Exit(r) => write!(f, "the server exited: {r}"),
            CallError::Timeout => f.write_str("the call timed out"),
        }
    }
}

impl std::error::Error for CallError {}

/// Where a server sends the reply to one request.
pub(crate) struct ReplyTo<T> {
    tag: Reference,
    _t: PhantomData<fn(T)>,
}

impl<T> fmt::Debug for ReplyTo<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ReplyTo({})", self.tag)
    }
}

/// The reply message.
struct Reply<T> {
    tag: Reference,
    value: T,
}

impl<T: Send + 'static> ReplyTo<T> {
    /// Sends the reply (dropped if the caller gave up).
    pub(crate) fn reply(self, value: T) {
        let _ = crate::send(
            self.tag,
            Reply {
                tag: self.tag,
                value,
            },
        );
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
    let pid = server.whereis().ok_or(CallError::Noproc)?;
    call_pid(pid, make, timeout).await
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
    let tag = crate::monitor_alias(pid, AliasMode::ReplyDemonitor);
    let _ = crate::send(
        pid,
        make(ReplyTo {
            tag,
            _t: PhantomData,
        }),
    );
    let matches = move |m: &Message| {
        m.downcast_ref::<Reply<T>>().is_some_and(|r| r.tag == tag)
            || m.downcast_ref::<Down>().is_some_and(|d| d.reference == tag)
    };
    let got = match timeout {
        None => Some(crate::receive_select(matches).await),
        Some(t) => crate::receive_select_timeout(t, matches).await,
    };
    let Some(m) = got else {
        crate::demonitor_flush(tag);
        crate::unalias(tag);
        // A reply may have slipped in between the timeout and the unalias.
        let late = move |m: &Message| m.downcast_ref::<Reply<T>>().is_some_and(|r| r.tag == tag);
        let _ = crate::receive_select_timeout(Duration::ZERO, late).await;
        return Err(CallError::Timeout);
    };
    match m.downcast::<Reply<T>>() {
        Ok(r) => Ok(r.value),
        Err(m) => match m.downcast::<Down>() {
            Ok(d) if d.reason == ExitReason::Noproc => Err(CallError::Noproc),
            Ok(d) => Err(CallError::Exit(d.reason)),
            Err(_) => unreachable!("matched a reply or a DOWN"),
        },
    }
}
