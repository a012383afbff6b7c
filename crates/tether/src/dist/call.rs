//! The `gen` call protocol, client side at the term level: [`call`] sends
//! `{'$gen_call', {Self, [alias | Mref]}, Request}` to a server on any node (a
//! `gen_server`, a GenServer, `net_kernel`, `rex`, anything that speaks `$gen_call`)
//! and returns its reply term.
//!
//! It is a thin wrapper over the crate's one request primitive (`otp::request`, the
//! one [`gen_server::call`](crate::otp::gen_server::call) uses), so it behaves exactly
//! as `gen:call/4` does (docs/distribution.md §6.2): a server that does not exist
//! (unregistered name, dead pid) gives [`CallError::NoProc`]; a node that cannot be
//! reached or goes away gives [`CallError::NodeDown`]; on timeout the monitor and
//! alias are removed, so a late reply is dropped rather than left in the mailbox.
//! Unlike `gen_server::call`, the request is always sent as the `$gen_call` term, to
//! local servers too.

use std::time::Duration;

use tether_term::Term;

use crate::Dest;
use crate::Message;
use crate::otp::gen_call::{alias_tag, call_term};
use crate::otp::gen_server::Timeout;
use crate::otp::request::{Caller, request};

pub use crate::otp::gen_server::CallError;

/// Calls a `gen_server` (or GenServer, or anything that speaks `$gen_call`).
///
/// ```no_run
/// # async fn demo(node: tether::Node) -> Result<(), tether::dist::CallError> {
/// use std::time::Duration;
/// use tether::Term;
/// let reply = tether::dist::call(("kv", node), "{get, k}".parse().unwrap(), Duration::from_secs(5)).await?;
/// # Ok(()) }
/// ```
///
/// # Panics
///
/// Outside a process.
pub async fn call(
    server: impl Into<Dest>,
    request_term: Term,
    timeout: Duration,
) -> Result<Term, CallError> {
    let build = move |caller: Caller| {
        let tag = alias_tag(caller.alias());
        Some(Message::new(call_term(caller.pid(), tag, request_term)))
    };
    request(&server.into(), Timeout::After(timeout), build, |t| {
        Some(t.clone())
    })
    .await
}
