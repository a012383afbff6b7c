//! Naming a server: [`ServerRef`], the [`Via`] trait for pluggable registries, and
//! the typed handle [`Server`] (SEMANTICS §3.2).

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;

use tether_term::{Atom, Node, Pid, Term};

use super::GenServer;
use crate::{Message, whereis};

/// A process registry that servers can be started under and reached through:
/// Erlang's `{via, Module, Name}`.
///
/// A `Via` value is the *pair* of module and name: an implementation holds the name it
/// stands for (for example a `Registry` and a key), and the four methods are the
/// via-module contract of SEMANTICS §3.2 applied to that name. `global` and the
/// Elixir-style `Registry` plug in here.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use tether::{Pid, Runtime};
/// use tether::otp::gen_server::{ServerRef, Via};
///
/// /// A toy registry: one slot.
/// #[derive(Debug, Default)]
/// struct Slot(Mutex<Option<Pid>>);
///
/// impl Via for Slot {
///     fn register_name(&self, pid: Pid) -> bool {
///         let mut s = self.0.lock().unwrap();
///         if s.is_some_and(tether::is_alive) { return false; }
///         *s = Some(pid);
///         true
///     }
///     fn unregister_name(&self) { *self.0.lock().unwrap() = None; }
///     fn whereis_name(&self) -> Option<Pid> {
///         self.0.lock().unwrap().filter(|p| tether::is_alive(*p))
///     }
/// }
///
/// Runtime::new().unwrap().block_on(async {
///     let slot = Arc::new(Slot::default());
///     assert!(slot.register_name(tether::self_pid()));
///     let r = ServerRef::Via(slot.clone());
///     assert_eq!(r.whereis(), Some(tether::self_pid()));
/// });
/// ```
pub trait Via: Send + Sync + fmt::Debug + 'static {
    /// Registers `pid` under this name; `false` (Erlang's `no`) if it is taken.
    fn register_name(&self, pid: Pid) -> bool;

    /// [`Via::register_name`] for registries that must wait for others (`global`
    /// makes a cluster-wide round trip); servers register through this one. The
    /// default calls `register_name`.
    fn register_name_async(&self, pid: Pid) -> Pin<Box<dyn Future<Output = bool> + Send + '_>> {
        Box::pin(std::future::ready(self.register_name(pid)))
    }

    /// Removes the name.
    fn unregister_name(&self);

    /// The process registered under this name, if any.
    fn whereis_name(&self) -> Option<Pid>;

    /// Sends `msg` to the process registered under this name and returns its pid, or
    /// hands the message back if the name is unknown (Erlang's `send/2` exits then).
    fn send(&self, msg: Message) -> Result<Pid, Message> {
        match self.whereis_name() {
            Some(pid) => {
                let _ = crate::send_message(pid, msg);
                Ok(pid)
            }
            None => Err(msg),
        }
    }

    /// The name as a term, for error reasons and logs (`{via, Module, Name}`).
    fn to_term(&self) -> Term {
        Term::tuple([Term::atom("via"), Term::from(format!("{self:?}").as_str())])
    }
}

/// Any way of naming a server (Erlang's `ServerRef`): a pid, a local name,
/// `{Name, Node}`, or a [`Via`] name (`{global, _}` is a `Via` too).
///
/// ```
/// use tether::{Node, Term};
/// use tether::otp::gen_server::ServerRef;
/// let r: ServerRef = "kv".into();
/// assert_eq!(r.to_term(), Term::atom("kv"));
/// let r: ServerRef = ("kv", Node::local()).into();
/// assert!(matches!(r, ServerRef::Name(_))); // `{Name, node()}` is the local name
/// ```
#[derive(Clone)]
pub enum ServerRef {
    /// A process.
    Pid(Pid),
    /// A name registered on this node.
    Name(Atom),
    /// A name registered on another node.
    Remote(Atom, Node),
    /// A name in a registry.
    Via(Arc<dyn Via>),
}

/// Where a [`ServerRef`] leads right now.
pub(crate) enum Target {
    /// A pid (local or remote).
    Pid(Pid),
    /// A name on another node (resolved there).
    RemoteName(Atom, Node),
    /// Nobody: the name is not registered.
    NoProc,
}

impl ServerRef {
    /// A `Via` name.
    pub fn via(v: impl Via) -> ServerRef {
        ServerRef::Via(Arc::new(v))
    }

    /// The pid behind the reference, if it can be known locally (Elixir's
    /// `GenServer.whereis/1`): a pid is returned as is (even if dead), names are
    /// looked up, and a name on another node gives `None`.
    pub fn whereis(&self) -> Option<Pid> {
        match self.target() {
            Target::Pid(p) => Some(p),
            _ => None,
        }
    }

    pub(crate) fn target(&self) -> Target {
        let found = |p: Option<Pid>| p.map_or(Target::NoProc, Target::Pid);
        match self {
            ServerRef::Pid(p) => Target::Pid(*p),
            ServerRef::Name(n) => found(whereis(n.as_str())),
            ServerRef::Remote(n, node) => Target::RemoteName(n.clone(), *node),
            ServerRef::Via(v) => found(v.whereis_name()),
        }
    }

    /// The reference as Erlang writes it, for error reasons.
    pub fn to_term(&self) -> Term {
        match self {
            ServerRef::Pid(p) => Term::Pid(*p),
            ServerRef::Name(n) => Term::Atom(n.clone()),
            ServerRef::Remote(n, node) => {
                Term::tuple([Term::Atom(n.clone()), Term::Atom(node.name())])
            }
            ServerRef::Via(v) => v.to_term(),
        }
    }
}

impl fmt::Debug for ServerRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServerRef::Pid(p) => write!(f, "{p:?}"),
            ServerRef::Name(n) => write!(f, "{n}"),
            ServerRef::Remote(n, node) => write!(f, "{{{n}, {node}}}"),
            ServerRef::Via(v) => write!(f, "{{via, {v:?}}}"),
        }
    }
}

impl From<Pid> for ServerRef {
    fn from(p: Pid) -> ServerRef {
        ServerRef::Pid(p)
    }
}

impl From<&str> for ServerRef {
    fn from(n: &str) -> ServerRef {
        ServerRef::Name(Atom::new(n))
    }
}

impl From<Atom> for ServerRef {
    fn from(n: Atom) -> ServerRef {
        ServerRef::Name(n)
    }
}

impl From<(Atom, Node)> for ServerRef {
    /// `{Name, Node}`; with the local node it is just the local name (§3.2).
    fn from((n, node): (Atom, Node)) -> ServerRef {
        if node.is_local() {
            ServerRef::Name(n)
        } else {
            ServerRef::Remote(n, node)
        }
    }
}

impl From<(&str, Node)> for ServerRef {
    fn from((n, node): (&str, Node)) -> ServerRef {
        (Atom::new(n), node).into()
    }
}

impl From<Arc<dyn Via>> for ServerRef {
    fn from(v: Arc<dyn Via>) -> ServerRef {
        ServerRef::Via(v)
    }
}

impl<S> From<Server<S>> for ServerRef {
    fn from(s: Server<S>) -> ServerRef {
        ServerRef::Pid(s.pid)
    }
}

impl<S> From<&Server<S>> for ServerRef {
    fn from(s: &Server<S>) -> ServerRef {
        ServerRef::Pid(s.pid)
    }
}

/// A typed handle to a running `GenServer` of type `S`: a pid that knows the server's
/// request and reply types, so calls are checked at compile time.
///
/// [`start`](super::start) and friends return one; [`Server::from_pid`] and
/// [`Server::whereis`] make one from a pid or a name. It is `Copy`, like a pid.
pub struct Server<S> {
    pid: Pid,
    _server: PhantomData<fn() -> S>,
}

impl<S> Clone for Server<S> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S> Copy for Server<S> {}

impl<S> PartialEq for Server<S> {
    fn eq(&self, other: &Self) -> bool {
        self.pid == other.pid
    }
}

impl<S> Eq for Server<S> {}

impl<S> fmt::Debug for Server<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Server<{}>({:?})", std::any::type_name::<S>(), self.pid)
    }
}

impl<S: GenServer> Server<S> {
    /// A handle for `pid`, trusted to be a server of type `S` (if it is not, calls
    /// reach its `handle_info` and time out).
    pub fn from_pid(pid: Pid) -> Server<S> {
        Server {
            pid,
            _server: PhantomData,
        }
    }

    /// A handle for the server registered under `name` (local or [`Via`]), if any.
    pub fn whereis(name: impl Into<ServerRef>) -> Option<Server<S>> {
        name.into().whereis().map(Server::from_pid)
    }

    /// The server's pid.
    pub fn pid(&self) -> Pid {
        self.pid
    }
}
