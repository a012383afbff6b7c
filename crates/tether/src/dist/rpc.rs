//! An `rpc` client: calls a function on another node through its `rex` server.
//!
//! [`call`] is `rpc:call/5` as every OTP version serves it: a `$gen_call`
//! `{call, M, F, A, user}` to `{rex, Node}` (docs/distribution.md §6.3, form 2), answered
//! with the result or `{badrpc, Reason}`. It needs nothing of the peer but `rex`
//! (a Tether node has one too). For exact exception classes use
//! [`erpc::call`](super::erpc::call).

use std::fmt;
use std::time::Duration;

use tether_term::{Node, Term};

use super::call::{CallError, call as gen_call};

/// Why an [`call`] failed.
#[derive(Clone, Debug, PartialEq)]
pub enum RpcError {
    /// The remote side answered `{badrpc, Reason}`.
    BadRpc(Term),
    /// No answer in time.
    Timeout,
    /// The node is down or unreachable.
    NodeDown(Node),
    /// The node has no `rex`.
    NoRex,
}

impl fmt::Display for RpcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RpcError::BadRpc(r) => write!(f, "{{badrpc,{r}}}"),
            RpcError::Timeout => f.write_str("{badrpc,timeout}"),
            RpcError::NodeDown(_) => f.write_str("{badrpc,nodedown}"),
            RpcError::NoRex => f.write_str("{badrpc,noproc}"),
        }
    }
}

impl std::error::Error for RpcError {}

/// `rpc:call(Node, Module, Function, Args, Timeout)`.
///
/// # Panics
///
/// Outside a process.
pub async fn call(
    node: Node,
    module: &str,
    function: &str,
    args: Vec<Term>,
    timeout: Duration,
) -> Result<Term, RpcError> {
    let req = Term::tuple([
        Term::atom("call"),
        Term::atom(module),
        Term::atom(function),
        Term::list(args),
        Term::atom("user"),
    ]);
    match gen_call(("rex", node), req, timeout).await {
        Ok(t) => match t.as_tuple() {
            Some([tag, r]) if tag.is_atom("badrpc") => Err(RpcError::BadRpc(r.clone())),
            _ => Ok(t),
        },
        Err(CallError::Timeout) => Err(RpcError::Timeout),
        Err(CallError::NodeDown(n)) => Err(RpcError::NodeDown(n)),
        Err(CallError::NoProc) => Err(RpcError::NoRex),
        Err(e) => Err(RpcError::BadRpc(Term::tuple([
            Term::atom("EXIT"),
            e.reason().to_term(),
        ]))),
    }
}
