//! How behaviours name a server: [`ServerRef`] and the via-name contract [`Via`].
//!
//! OTP behaviours accept a pid, a local name, `{Name, Node}`, `{global, Term}` or
//! `{via, Module, Term}` (docs/semantics.md §3.2). A *via* name delegates registration to a
//! module with four functions; in Rust the module-plus-term pair is one trait object,
//! [`Via`], so every registry — [`Registry::via`](crate::otp::registry::Registry::via),
//! `tether::kernel::global::Global`, or your own — names any behaviour: a `GenServer`
//! ([`StartOpts::via`](crate::otp::gen_server::StartOpts::via)), a
//! [`Supervisor`](crate::otp::supervisor::Supervisor::via) or a
//! [`DynamicSupervisor`](crate::otp::dynamic_supervisor::DynamicSupervisor::via).
//!
//! Every behaviour registers its name the same way ([`StartName`]): from inside the
//! new process, before its init runs, through [`Via::register_name_async`] (so a
//! registry that needs a cluster round trip, like `global`, does not block a thread),
//! and releases it if init fails.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use tether_term::{Atom, Node, Pid, Term};

use crate::{ExitReason, Message, whereis};

/// A process registry that servers can be started under and reached through:
/// Erlang's `{via, Module, Name}`.
///
/// A `Via` value is the *pair* of module and name: an implementation holds the name it
/// stands for (for example a `Registry` and a key), and the four methods are the
/// via-module contract of docs/semantics.md §3.2 applied to that name. `global` and the
/// Elixir-style `Registry` plug in here; an `Arc` of a `Via` is a `Via` too.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use tether::{Pid, Runtime};
/// use tether::otp::{ServerRef, Via};
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
    /// makes a cluster-wide round trip); behaviours register through this one. The
    /// default calls `register_name`.
    fn register_name_async(&self, pid: Pid) -> Pin<Box<dyn Future<Output = bool> + Send + '_>> {
        Box::pin(std::future::ready(self.register_name(pid)))
    }

    /// Removes the name.
    fn unregister_name(&self);

    /// The live process registered under this name, if any.
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

impl<T: Via + ?Sized> Via for Arc<T> {
    fn register_name(&self, pid: Pid) -> bool {
        (**self).register_name(pid)
    }
    fn register_name_async(&self, pid: Pid) -> Pin<Box<dyn Future<Output = bool> + Send + '_>> {
        (**self).register_name_async(pid)
    }
    fn unregister_name(&self) {
        (**self).unregister_name()
    }
    fn whereis_name(&self) -> Option<Pid> {
        (**self).whereis_name()
    }
    fn send(&self, msg: Message) -> Result<Pid, Message> {
        (**self).send(msg)
    }
    fn to_term(&self) -> Term {
        (**self).to_term()
    }
}

/// Any way of naming a server (Erlang's `ServerRef`): a pid, a local name,
/// `{Name, Node}`, or a [`Via`] name (`{global, _}` is a `Via` too).
///
/// ```
/// use tether::{Node, Term};
/// use tether::otp::ServerRef;
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

impl From<&Pid> for ServerRef {
    fn from(p: &Pid) -> ServerRef {
        ServerRef::Pid(*p)
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

/// The name a behaviour registers under when it starts (Erlang's `ServerName`).
#[derive(Clone, Debug)]
pub(crate) enum StartName {
    Local(Atom),
    Via(Arc<dyn Via>),
}

/// Why a starting process could not take its name.
#[derive(Clone, Debug)]
pub(crate) enum NameError {
    /// The name is held by this live process (`{already_started, Pid}`).
    Taken(Pid),
    /// The registry refused the name without saying who holds it (a `global` race).
    Refused,
    /// Not a name that can be registered (a local-name error other than a clash).
    BadName(Atom),
}

impl NameError {
    /// The exit reason for failures that are not `already_started`.
    pub(crate) fn reason(&self) -> ExitReason {
        match self {
            NameError::Taken(_) | NameError::Refused => ExitReason::from("already_registered"),
            NameError::BadName(_) => ExitReason::from("badarg"),
        }
    }
}

impl StartName {
    /// A via name.
    pub(crate) fn via(v: impl Via) -> StartName {
        StartName::Via(Arc::new(v))
    }

    /// The live holder of the name, if any.
    pub(crate) fn whereis(&self) -> Option<Pid> {
        match self {
            StartName::Local(n) => crate::whereis(n.as_str()),
            StartName::Via(v) => v.whereis_name(),
        }
    }

    /// Registers `pid` (the calling, starting process) under the name.
    pub(crate) async fn register(&self, pid: Pid) -> Result<(), NameError> {
        match self {
            StartName::Local(n) => match crate::register(n.clone(), pid) {
                Ok(()) => Ok(()),
                Err(crate::RegisterError::NameTaken(_, holder)) => Err(NameError::Taken(holder)),
                Err(_) => Err(NameError::BadName(n.clone())),
            },
            StartName::Via(v) => match v.register_name_async(pid).await {
                true => Ok(()),
                false => Err(v
                    .whereis_name()
                    .map_or(NameError::Refused, NameError::Taken)),
            },
        }
    }

    /// Releases the name after a failed start.
    pub(crate) fn unregister(&self) {
        match self {
            StartName::Local(n) => {
                let _ = crate::unregister(n.clone());
            }
            StartName::Via(v) => v.unregister_name(),
        }
    }
}
