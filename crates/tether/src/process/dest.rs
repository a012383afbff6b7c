//! Naming a process: [`Dest`], and the registry contract [`Via`].
//!
//! One type says "a process, or where to find one" everywhere: [`send`](crate::send)
//! and [`send_after`](crate::send_after) take a `Dest`, and so do the behaviours'
//! calls, casts and stops ([`gen_server::call`](crate::otp::gen_server::call),
//! [`dist::call`](crate::dist::call), the supervisors' APIs). Erlang has two types here,
//! `dest()` for `!` and `server_ref()` for `gen_server`; they overlap except that only
//! `dest()` has aliases and only `server_ref()` has via names. Tether merges them and
//! keeps the process layer's name, `Dest`, because sending is the primitive every
//! call is built on, and because `gen_server::Server<S>` is already the name of a
//! typed server handle.
//!
//! A *via* name delegates registration to a registry (docs/semantics.md §3.2); in Rust
//! the registry-plus-name pair is one trait object, [`Via`], so every registry —
//! [`Registry::via`](crate::otp::registry::Registry::via),
//! `tether::kernel::global::Global`, or your own — names any process and any
//! behaviour.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use tether_term::{Atom, Node, Pid, Reference, Term};

use super::{Message, name};

/// A process registry that processes can be registered in and reached through:
/// Erlang's `{via, Module, Name}` (and `{global, Name}`).
///
/// A `Via` value is the *pair* of module and name: an implementation holds the name it
/// stands for (for example a `Registry` and a key), and the four methods are the
/// via-module contract of docs/semantics.md §3.2 applied to that name. `global` and the
/// Elixir-style `Registry` plug in here; an `Arc` of a `Via` is a `Via` too.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use tether::{Dest, Pid, Runtime, Via};
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
///     let r = Dest::Via(slot.clone());
///     assert_eq!(r.whereis(), Some(tether::self_pid()));
///     tether::send(r.clone(), 7u8).unwrap();
///     assert_eq!(tether::receive::<u8>().await, 7);
///     slot.unregister_name();
///     assert!(tether::send(r, 8u8).is_err()); // nobody under the name
/// });
/// ```
pub trait Via: Send + Sync + fmt::Debug + 'static {
    /// Registers `pid` under this name; `false` (Erlang's `no`) if it is taken.
    ///
    /// ```
    /// # use tether::otp::registry::{Keys, Registry, RegistryOptions};
    /// # use tether::{Message, Via};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// # let reg = Registry::<&str, ()>::start_link(RegistryOptions::new(Keys::Unique, "names")).await.unwrap();
    /// let name = reg.via("worker", ()).unwrap();
    /// assert!(name.register_name(tether::self_pid()));
    /// assert_eq!(name.whereis_name(), Some(tether::self_pid()));
    /// // Taken: another process cannot register under it.
    /// let (me, again) = (tether::self_pid(), name.clone());
    /// tether::spawn(async move { tether::send(me, again.register_name(tether::self_pid())).unwrap() });
    /// assert!(!tether::receive::<bool>().await);
    /// # });
    /// ```
    fn register_name(&self, pid: Pid) -> bool;

    /// [`Via::register_name`] for registries that must wait for others (`global`
    /// makes a cluster-wide round trip); behaviours register through this one. The
    /// default calls `register_name`.
    ///
    /// ```
    /// # use tether::otp::registry::{Keys, Registry, RegistryOptions};
    /// # use tether::{Message, Via};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// # let reg = Registry::<&str, ()>::start_link(RegistryOptions::new(Keys::Unique, "names")).await.unwrap();
    /// let name = reg.via("worker", ()).unwrap();
    /// assert!(name.register_name_async(tether::self_pid()).await);
    /// assert_eq!(name.whereis_name(), Some(tether::self_pid()));
    /// # });
    /// ```
    fn register_name_async(&self, pid: Pid) -> Pin<Box<dyn Future<Output = bool> + Send + '_>> {
        Box::pin(std::future::ready(self.register_name(pid)))
    }

    /// Removes the name.
    ///
    /// ```
    /// # use tether::otp::registry::{Keys, Registry, RegistryOptions};
    /// # use tether::{Message, Via};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// # let reg = Registry::<&str, ()>::start_link(RegistryOptions::new(Keys::Unique, "names")).await.unwrap();
    /// let name = reg.via("worker", ()).unwrap();
    /// name.register_name(tether::self_pid());
    /// name.unregister_name();
    /// assert_eq!(name.whereis_name(), None);
    /// # });
    /// ```
    fn unregister_name(&self);

    /// The live process registered under this name, if any.
    ///
    /// ```
    /// # use tether::otp::registry::{Keys, Registry, RegistryOptions};
    /// # use tether::{Message, Via};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// # let reg = Registry::<&str, ()>::start_link(RegistryOptions::new(Keys::Unique, "names")).await.unwrap();
    /// let name = reg.via("worker", ()).unwrap();
    /// assert_eq!(name.whereis_name(), None);
    /// name.register_name(tether::self_pid());
    /// assert_eq!(name.whereis_name(), Some(tether::self_pid()));
    /// # });
    /// ```
    fn whereis_name(&self) -> Option<Pid>;

    /// Sends `msg` to the process registered under this name and returns its pid, or
    /// hands the message back if the name is unknown (Erlang's `send/2` exits then).
    ///
    /// ```
    /// # use tether::otp::registry::{Keys, Registry, RegistryOptions};
    /// # use tether::{Message, Via};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// # let reg = Registry::<&str, ()>::start_link(RegistryOptions::new(Keys::Unique, "names")).await.unwrap();
    /// let name = reg.via("worker", ()).unwrap();
    /// assert!(name.send(Message::new("lost")).is_err()); // nobody registered
    /// name.register_name(tether::self_pid());
    /// assert_eq!(name.send(Message::new("hi")).unwrap(), tether::self_pid());
    /// assert_eq!(tether::receive::<&str>().await, "hi");
    /// # });
    /// ```
    fn send(&self, msg: Message) -> Result<Pid, Message> {
        match self.whereis_name() {
            Some(pid) => {
                let _ = super::send_message(pid, msg);
                Ok(pid)
            }
            None => Err(msg),
        }
    }

    /// The name as a term, for error reasons and logs (`{via, Module, Name}`).
    ///
    /// ```
    /// # use tether::otp::registry::{Keys, Registry, RegistryOptions};
    /// # use tether::{Message, Via};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// # let reg = Registry::<&str, ()>::start_link(RegistryOptions::new(Keys::Unique, "names")).await.unwrap();
    /// let name = reg.via("worker", ()).unwrap();
    /// let t = name.to_term();
    /// assert!(t.to_string().starts_with("{via,"));
    /// # });
    /// ```
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

/// A process, or where to find one: what [`send`](crate::send) sends to and what
/// calls, casts and the supervisor APIs are addressed to (Erlang's `dest()` and
/// `server_ref()` in one type).
///
/// It is a pid, a local name, `{Name, Node}`, an alias, or a [`Via`] name (`{global, _}`
/// is a `Via` too). Functions take `impl Into<Dest>`, so a pid, a `&str` or [`Atom`],
/// a `(name, node)` pair, a [`Reference`] (an alias) or an `Arc<dyn Via>` can be passed
/// as is. An alias only receives messages: a call, cast or stop addressed to one finds
/// no server (`noproc`).
///
/// ```
/// use tether::{Dest, Node, Runtime, Term};
/// let r: Dest = "kv".into();
/// assert_eq!(r.to_term(), Term::atom("kv"));
/// let r: Dest = ("kv", Node::local()).into();
/// assert!(matches!(r, Dest::Name(_))); // `{Name, node()}` is the local name
///
/// Runtime::new().unwrap().block_on(async {
///     tether::register("me", tether::self_pid()).unwrap();
///     tether::send("me", 1u8).unwrap(); // by name
///     tether::send(("me", Node::local()), 2u8).unwrap(); // by {name, node}
///     tether::send(tether::self_pid(), 3u8).unwrap(); // by pid
///     for i in 1..=3u8 {
///         assert_eq!(tether::receive::<u8>().await, i);
///     }
///     assert_eq!(Dest::from("me").whereis(), Some(tether::self_pid()));
/// });
/// ```
#[derive(Clone)]
pub enum Dest {
    /// A process, local or remote.
    Pid(Pid),
    /// A name registered on this node.
    Name(Atom),
    /// A name registered on a node (another one, when made with `From`).
    Remote(Atom, Node),
    /// A process alias (send only).
    Alias(Reference),
    /// A name in a registry.
    Via(Arc<dyn Via>),
}

/// Where a [`Dest`] leads right now, for calls.
pub(crate) enum Target {
    /// A pid (local or remote).
    Pid(Pid),
    /// A name on another node (resolved there).
    RemoteName(Atom, Node),
    /// Nobody: the name is not registered (or the destination is an alias).
    NoProc,
}

impl Dest {
    /// A `Via` name.
    ///
    /// ```
    /// # use tether::otp::registry::{Keys, Registry, RegistryOptions};
    /// # use tether::{Message, Via};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// # let reg = Registry::<&str, ()>::start_link(RegistryOptions::new(Keys::Unique, "names")).await.unwrap();
    /// let name = reg.via("worker", ()).unwrap();
    /// use tether::Dest;
    /// name.register_name(tether::self_pid());
    /// let dest = Dest::via(name.clone());
    /// assert_eq!(dest.whereis(), Some(tether::self_pid()));
    /// tether::send(dest, 5u8).unwrap();
    /// assert_eq!(tether::receive::<u8>().await, 5);
    /// # });
    /// ```
    pub fn via(v: impl Via) -> Dest {
        Dest::Via(Arc::new(v))
    }

    /// The pid behind the destination, if it can be known locally (Elixir's
    /// `GenServer.whereis/1`): a pid is returned as is (even if dead), names are
    /// looked up, and a name on another node or an alias gives `None`.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// use tether::Dest;
    /// let me = tether::self_pid();
    /// tether::register("me", me).unwrap();
    /// assert_eq!(Dest::from("me").whereis(), Some(me));
    /// assert_eq!(Dest::from(me).whereis(), Some(me));
    /// assert_eq!(Dest::from("nobody").whereis(), None);
    /// # });
    /// ```
    pub fn whereis(&self) -> Option<Pid> {
        match self.target() {
            Target::Pid(p) => Some(p),
            _ => None,
        }
    }

    pub(crate) fn target(&self) -> Target {
        let found = |p: Option<Pid>| p.map_or(Target::NoProc, Target::Pid);
        match self {
            Dest::Pid(p) => Target::Pid(*p),
            Dest::Remote(n, node) if !node.is_local() => Target::RemoteName(n.clone(), *node),
            Dest::Name(n) | Dest::Remote(n, _) => found(name::whereis(n.as_str())),
            Dest::Alias(_) => Target::NoProc,
            Dest::Via(v) => found(v.whereis_name()),
        }
    }

    /// The destination as Erlang writes it, for error reasons.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// use tether::{Dest, Node};
    /// assert_eq!(Dest::from("logger").to_term().to_string(), "logger");
    /// let remote = Dest::from(("kv", Node::intern("b@host").unwrap()));
    /// assert_eq!(remote.to_term().to_string(), "{kv,b@host}");
    /// # });
    /// ```
    pub fn to_term(&self) -> Term {
        match self {
            Dest::Pid(p) => Term::Pid(*p),
            Dest::Name(n) => Term::Atom(n.clone()),
            Dest::Remote(n, node) => Term::tuple([Term::Atom(n.clone()), Term::Atom(node.name())]),
            Dest::Alias(r) => Term::Ref(*r),
            Dest::Via(v) => v.to_term(),
        }
    }
}

impl PartialEq for Dest {
    /// Via names are equal when they are the same registry entry object.
    fn eq(&self, other: &Dest) -> bool {
        match (self, other) {
            (Dest::Pid(a), Dest::Pid(b)) => a == b,
            (Dest::Name(a), Dest::Name(b)) => a == b,
            (Dest::Remote(a, m), Dest::Remote(b, n)) => a == b && m == n,
            (Dest::Alias(a), Dest::Alias(b)) => a == b,
            (Dest::Via(a), Dest::Via(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

impl fmt::Debug for Dest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Dest::Pid(p) => write!(f, "{p:?}"),
            Dest::Name(n) => write!(f, "{n}"),
            Dest::Remote(n, node) => write!(f, "{{{n}, {node}}}"),
            Dest::Alias(r) => write!(f, "{r:?}"),
            Dest::Via(v) => write!(f, "{{via, {v:?}}}"),
        }
    }
}

impl From<Pid> for Dest {
    fn from(p: Pid) -> Dest {
        Dest::Pid(p)
    }
}

impl From<&Pid> for Dest {
    fn from(p: &Pid) -> Dest {
        Dest::Pid(*p)
    }
}

impl From<&str> for Dest {
    fn from(n: &str) -> Dest {
        Dest::Name(Atom::new(n))
    }
}

impl From<Atom> for Dest {
    fn from(n: Atom) -> Dest {
        Dest::Name(n)
    }
}

impl From<(Atom, Node)> for Dest {
    /// `{Name, Node}`; with the local node it is just the local name (§3.2).
    fn from((n, node): (Atom, Node)) -> Dest {
        if node.is_local() {
            Dest::Name(n)
        } else {
            Dest::Remote(n, node)
        }
    }
}

impl From<(&str, Node)> for Dest {
    fn from((n, node): (&str, Node)) -> Dest {
        (Atom::new(n), node).into()
    }
}

impl From<Reference> for Dest {
    fn from(r: Reference) -> Dest {
        Dest::Alias(r)
    }
}

impl From<Arc<dyn Via>> for Dest {
    fn from(v: Arc<dyn Via>) -> Dest {
        Dest::Via(v)
    }
}
