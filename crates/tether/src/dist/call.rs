//! The `gen` call protocol, client side: [`call`] sends `$gen_call` to a server on
//! any node and waits for its reply.
//!
//! Exactly what `gen:call/4` does (DISTRIBUTION.md §6.2): monitor the server with an
//! alias that is dropped on the reply or on DOWN (`AliasMode::ReplyDemonitor`), send
//! `{'$gen_call', {Self, [alias | Mref]}, Request}`, then wait for
//! `{[alias | Mref], Reply}` or the monitor's DOWN. A server that does not exist
//! (unregistered name, dead pid) answers `noproc` through the monitor at once; a node
//! that cannot be reached or goes away gives `noconnection`, reported as
//! [`CallError::NodeDown`]. On timeout the monitor and alias are removed, so a late
//! reply is dropped rather than left in the mailbox.

use std::fmt;
use std::time::Duration;

use tether_term::{Atom, Node, Pid, Term};

use crate::process::{AliasMode, Dest, Down, ExitReason, Message, MonitorTarget, Monitored};

/// Where a call goes.
#[derive(Clone, Debug, PartialEq)]
pub enum Server {
    /// A process.
    Pid(Pid),
    /// A name registered on this node.
    Local(Atom),
    /// A name on a node (`{Name, Node}`).
    Remote(Atom, Node),
}

impl From<Pid> for Server {
    fn from(p: Pid) -> Server {
        Server::Pid(p)
    }
}

impl From<&str> for Server {
    fn from(n: &str) -> Server {
        Server::Local(Atom::new(n))
    }
}

impl From<(&str, Node)> for Server {
    fn from((n, node): (&str, Node)) -> Server {
        Server::Remote(Atom::new(n), node)
    }
}

impl From<(Atom, Node)> for Server {
    fn from((n, node): (Atom, Node)) -> Server {
        Server::Remote(n, node)
    }
}

/// Why a call failed.
#[derive(Clone, Debug, PartialEq)]
pub enum CallError {
    /// No reply in time (`timeout`).
    Timeout,
    /// The server does not exist (`noproc`).
    NoProc,
    /// The server's node is down or unreachable (`{nodedown, Node}`).
    NodeDown(Node),
    /// The server exited with this reason before replying.
    Exit(ExitReason),
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::Timeout => f.write_str("timeout"),
            CallError::NoProc => f.write_str("noproc"),
            CallError::NodeDown(n) => write!(f, "{{nodedown,{n}}}"),
            CallError::Exit(r) => write!(f, "the server exited: {r}"),
        }
    }
}

impl std::error::Error for CallError {}

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
    server: impl Into<Server>,
    request: Term,
    timeout: Duration,
) -> Result<Term, CallError> {
    let server = server.into();
    let (target, dest, node) = match &server {
        Server::Pid(p) => (MonitorTarget::Pid(*p), Dest::Pid(*p), p.node),
        Server::Local(n) => (
            MonitorTarget::Name(n.clone()),
            Dest::Name(n.clone()),
            Node::local(),
        ),
        Server::Remote(n, node) => (
            MonitorTarget::from((n.clone(), *node)),
            Dest::Remote(n.clone(), *node),
            *node,
        ),
    };
    let mref = crate::monitor_alias(target, AliasMode::ReplyDemonitor);
    let tag = Term::improper_list([Term::atom("alias")], Term::Ref(mref));
    let me = crate::self_pid();
    let msg = Term::tuple([
        Term::atom("$gen_call"),
        Term::tuple([Term::Pid(me), tag.clone()]),
        request,
    ]);
    if crate::send_message(dest, Message::new(msg)).is_err() {
        crate::demonitor_flush(mref);
        return Err(CallError::NoProc);
    }
    let got = crate::receive_select_timeout(timeout, |m: &Message| {
        if let Some(d) = m.downcast_ref::<Down>() {
            return d.reference == mref;
        }
        match m.downcast_ref::<Term>().and_then(Term::as_tuple) {
            Some([t, _]) => *t == tag,
            _ => false,
        }
    })
    .await;
    let Some(m) = got else {
        crate::demonitor_flush(mref);
        return Err(CallError::Timeout);
    };
    match m.downcast::<Down>() {
        Ok(down) => Err(match down.reason {
            ExitReason::Noproc => CallError::NoProc,
            ExitReason::Noconnection => CallError::NodeDown(match down.object {
                Monitored::Pid(p) => p.node,
                Monitored::Name(_, n) => n,
            }),
            r => CallError::Exit(r),
        }),
        Err(m) => {
            // A reply through the alias already dropped alias and monitor; one sent to
            // the pid (older servers) did not.
            let _ = node;
            crate::demonitor_flush(mref);
            crate::unalias(mref);
            let t = m
                .downcast::<Term>()
                .unwrap_or_else(|_| unreachable!("matched a term"));
            match t {
                Term::Tuple(mut items) => Ok(items.pop().expect("two elements")),
                _ => unreachable!("matched a pair"),
            }
        }
    }
}
