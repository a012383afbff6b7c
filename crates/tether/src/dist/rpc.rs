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
///
/// ```
/// # use std::time::Duration;
/// # use tether::dist::{self, erpc, EpmdMode, NodeConfig};
/// # use tether::Term;
/// # let cfg = |name: &str| NodeConfig::new(format!("{name}@127.0.0.1")).cookie("doc")
/// #     .listen("127.0.0.1".parse().unwrap()).epmd(EpmdMode::None);
/// // Node B, in a runtime of its own, serves `math:add/2`.
/// # let b_rt = tether::Runtime::new().unwrap();
/// # let cfg_b = cfg("doc_rpc_b");
/// # let b = b_rt.block_on(async move { dist::start(cfg_b).await.unwrap() });
/// b.rpc().register_sync("math", "add", 2, |args| match (args[0].as_i64(), args[1].as_i64()) {
///     (Some(x), Some(y)) => Ok(Term::from(x + y)),
///     _ => Err(dist::Exception::Error(Term::atom("badarith"))),
/// });
/// # let b_addr = std::net::SocketAddr::from(([127, 0, 0, 1], b.port()));
/// tether::Runtime::new().unwrap().block_on(async move {
/// # let a = dist::start(cfg("doc_rpc_a").peer_address("doc_rpc_b@127.0.0.1", b_addr)).await.unwrap();
/// let b_node = tether::Node::intern("doc_rpc_b@127.0.0.1").unwrap();
/// use tether::dist::rpc;
/// let r = rpc::call(b_node, "math", "add", vec![Term::from(1), Term::from(1)], Duration::from_secs(5)).await;
/// assert_eq!(r.unwrap(), Term::from(2));
/// # a.stop().await;
/// });
/// # drop(b_rt);
/// ```
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
