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
    ///
    /// ```
    /// # use tether::otp::gen_server::{self, CallResult, CastResult, GenServer, Init, ReplyTo, StartOpts};
    /// # struct Counter(i64);
    /// # impl GenServer for Counter {
    /// #     type Args = i64; type Call = i64; type Cast = i64; type Reply = i64; type Continue = ();
    /// #     async fn init(n: i64) -> Init<Self> { Init::ok(Counter(n)) }
    /// #     async fn handle_call(&mut self, add: i64, _: &ReplyTo<i64>) -> CallResult<Self> { self.0 += add; CallResult::reply(self.0) }
    /// #     async fn handle_cast(&mut self, add: i64) -> CastResult<Self> { self.0 += add; CastResult::noreply() }
    /// #     fn format_status(&self) -> String { format!("Counter({})", self.0) }
    /// # }
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// use tether::otp::gen_server::Server;
    /// let c = gen_server::start::<Counter>(1, StartOpts::new()).await.unwrap();
    /// let same = Server::<Counter>::from_pid(c.pid());
    /// assert_eq!(same.call(1).await.unwrap(), 2);
    /// # });
    /// ```
    pub fn from_pid(pid: Pid) -> Server<S> {
        Server {
            pid,
            _server: PhantomData,
        }
    }

    /// A handle for the server registered under `name` (local or [`Via`](crate::Via)), if any.
    ///
    /// ```
    /// # use tether::otp::gen_server::{self, CallResult, CastResult, GenServer, Init, ReplyTo, StartOpts};
    /// # struct Counter(i64);
    /// # impl GenServer for Counter {
    /// #     type Args = i64; type Call = i64; type Cast = i64; type Reply = i64; type Continue = ();
    /// #     async fn init(n: i64) -> Init<Self> { Init::ok(Counter(n)) }
    /// #     async fn handle_call(&mut self, add: i64, _: &ReplyTo<i64>) -> CallResult<Self> { self.0 += add; CallResult::reply(self.0) }
    /// #     async fn handle_cast(&mut self, add: i64) -> CastResult<Self> { self.0 += add; CastResult::noreply() }
    /// #     fn format_status(&self) -> String { format!("Counter({})", self.0) }
    /// # }
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// use tether::otp::gen_server::Server;
    /// gen_server::start::<Counter>(7, StartOpts::new().name("seven")).await.unwrap();
    /// let c = Server::<Counter>::whereis("seven").unwrap();
    /// assert_eq!(c.call(0).await.unwrap(), 7);
    /// assert!(Server::<Counter>::whereis("eight").is_none());
    /// # });
    /// ```
    pub fn whereis(name: impl Into<Dest>) -> Option<Server<S>> {
        name.into().whereis().map(Server::from_pid)
    }

    /// The server's pid.
    ///
    /// ```
    /// # use tether::otp::gen_server::{self, CallResult, CastResult, GenServer, Init, ReplyTo, StartOpts};
    /// # struct Counter(i64);
    /// # impl GenServer for Counter {
    /// #     type Args = i64; type Call = i64; type Cast = i64; type Reply = i64; type Continue = ();
    /// #     async fn init(n: i64) -> Init<Self> { Init::ok(Counter(n)) }
    /// #     async fn handle_call(&mut self, add: i64, _: &ReplyTo<i64>) -> CallResult<Self> { self.0 += add; CallResult::reply(self.0) }
    /// #     async fn handle_cast(&mut self, add: i64) -> CastResult<Self> { self.0 += add; CastResult::noreply() }
    /// #     fn format_status(&self) -> String { format!("Counter({})", self.0) }
    /// # }
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let c = gen_server::start::<Counter>(0, StartOpts::new().name("ctr")).await.unwrap();
    /// assert_eq!(tether::whereis("ctr"), Some(c.pid()));
    /// # });
    /// ```
    pub fn pid(&self) -> Pid {
        self.pid
    }
}
