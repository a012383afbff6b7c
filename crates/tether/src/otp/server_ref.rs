//! How behaviours name a server: [`ServerRef`] and the via-name contract [`ViaName`].
//!
//! OTP behaviours accept a pid, a local name, `{global, Term}` or `{via, Module,
//! Term}` (SEMANTICS §3.2). A *via* name delegates registration to a module with
//! four functions; in Rust the module-plus-term pair is one trait object,
//! [`ViaName`], so any registry (Tether's [`Registry`](crate::otp::registry::Registry),
//! later `global`) can name a behaviour.

use std::fmt;
use std::sync::Arc;

use tether_term::{Atom, Pid};

use crate::{Message, SendError};

/// A name registered through a registry module: Erlang's `{via, Module, Name}`.
///
/// The four methods are the via-module contract of SEMANTICS §3.2. Behaviours call
/// [`register_name`](ViaName::register_name) from inside the new process before it
/// initialises, and [`unregister_name`](ViaName::unregister_name) if it fails to.
pub trait ViaName: Send + Sync + fmt::Debug + 'static {
    /// Registers `pid` under this name: `Ok` (`yes`), or `Err(holder)` (`no`) when the
    /// name is taken by the live process `holder`.
    fn register_name(&self, pid: Pid) -> Result<(), Pid>;
    /// Removes the name (from the calling process).
    fn unregister_name(&self);
    /// The live process holding the name, if any.
    fn whereis_name(&self) -> Option<Pid>;
    /// Sends to the holder and returns its pid; fails if nobody holds the name
    /// (Erlang exits `badarg`).
    fn send(&self, msg: Message) -> Result<Pid, SendError<Message>>;
}

/// Which server a behaviour call goes to: a pid, a local name, or a via name.
///
/// ```
/// use tether::otp::ServerRef;
/// let by_name: ServerRef = "my_sup".into();
/// assert!(matches!(by_name, ServerRef::Name(_)));
/// ```
#[derive(Clone, Debug)]
pub enum ServerRef {
    /// A process.
    Pid(Pid),
    /// A locally registered name.
    Name(Atom),
    /// A via name (`{via, Module, Term}`).
    Via(Arc<dyn ViaName>),
}

impl ServerRef {
    /// The process the reference names right now, if any.
    pub fn whereis(&self) -> Option<Pid> {
        match self {
            ServerRef::Pid(p) => Some(*p),
            ServerRef::Name(n) => crate::whereis(n.as_str()),
            ServerRef::Via(v) => v.whereis_name(),
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

impl From<Arc<dyn ViaName>> for ServerRef {
    fn from(v: Arc<dyn ViaName>) -> ServerRef {
        ServerRef::Via(v)
    }
}

/// The name a behaviour registers under when it starts (Erlang's `ServerName`).
#[derive(Clone, Debug)]
pub(crate) enum StartName {
    Local(Atom),
    Via(Arc<dyn ViaName>),
}

impl StartName {
    /// Registers the calling process; `Err(holder)` if the name is taken.
    pub(crate) fn register_self(&self) -> Result<(), Pid> {
        let me = crate::self_pid();
        match self {
            StartName::Local(n) => match crate::register(n.clone(), me) {
                Ok(()) => Ok(()),
                Err(crate::RegisterError::NameTaken(_, holder)) => Err(holder),
                Err(e) => panic!("cannot register a starting process: {e}"),
            },
            StartName::Via(v) => v.register_name(me),
        }
    }

    /// Releases the name after a failed start.
    pub(crate) fn unregister_self(&self) {
        match self {
            StartName::Local(n) => {
                let _ = crate::unregister(n.clone());
            }
            StartName::Via(v) => v.unregister_name(),
        }
    }
}
