//! The typed handle [`Server`]: a pid that knows its server's request and reply
//! types. How servers are *named* ([`Dest`], [`Via`](crate::Via)) is the
//! process layer's, shared by `send` and every behaviour.

use std::fmt;
use std::marker::PhantomData;

use tether_term::Pid;

use super::GenServer;
use crate::Dest;

impl<S> From<Server<S>> for Dest {
    fn from(s: Server<S>) -> Dest {
        Dest::Pid(s.pid)
    }
}

impl<S> From<&Server<S>> for Dest {
    fn from(s: &Server<S>) -> Dest {
        Dest::Pid(s.pid)
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

    /// A handle for the server registered under `name` (local or [`Via`](crate::Via)), if any.
    pub fn whereis(name: impl Into<Dest>) -> Option<Server<S>> {
        name.into().whereis().map(Server::from_pid)
    }

    /// The server's pid.
    pub fn pid(&self) -> Pid {
        self.pid
    }
}
