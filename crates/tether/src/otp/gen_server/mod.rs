//! GenServer: a process that keeps a state and serves requests (Erlang's
//! `gen_server`, Elixir's `GenServer`).
//!
//! A server is a type implementing [`GenServer`]: the value *is* the server's state,
//! and the callbacks are `async` methods on it. [`start_link`] spawns the process,
//! runs [`GenServer::init`] there and returns once it has finished; then clients
//! [`call`] (request and wait for a reply) and [`cast`] (fire and forget), and any
//! other message sent to the process reaches [`GenServer::handle_info`].
//!
//! ```
//! use tether::Runtime;
//! use tether::otp::gen_server::{self, CallResult, CastResult, GenServer, Init, ReplyTo, StartOpts};
//!
//! /// A stack: `push` is a cast, `pop` a call.
//! struct Stack(Vec<String>);
//!
//! enum Call { Pop }
//! enum Cast { Push(String) }
//!
//! impl GenServer for Stack {
//!     type Args = Vec<String>;
//!     type Call = Call;
//!     type Cast = Cast;
//!     type Reply = Option<String>;
//!     type Continue = ();
//!
//!     async fn init(items: Vec<String>) -> Init<Self> {
//!         Init::ok(Stack(items))
//!     }
//!
//!     async fn handle_call(&mut self, req: Call, _from: &ReplyTo<Self::Reply>) -> CallResult<Self> {
//!         match req {
//!             Call::Pop => CallResult::reply(self.0.pop()),
//!         }
//!     }
//!
//!     async fn handle_cast(&mut self, req: Cast) -> CastResult<Self> {
//!         match req {
//!             Cast::Push(item) => self.0.push(item),
//!         }
//!         CastResult::noreply()
//!     }
//! }
//!
//! Runtime::new().unwrap().block_on(async {
//!     let stack = gen_server::start_link::<Stack>(vec!["hello".into()], StartOpts::new()).await.unwrap();
//!     assert_eq!(stack.call(Call::Pop).await.unwrap(), Some("hello".to_string()));
//!     stack.cast(Cast::Push("world".into()));
//!     assert_eq!(stack.call(Call::Pop).await.unwrap(), Some("world".to_string()));
//!     assert_eq!(stack.call(Call::Pop).await.unwrap(), None);
//! });
//! ```
//!
//! ## How it maps to OTP
//!
//! | OTP | Tether |
//! |---|---|
//! | `init(Args) -> {ok, S} \| {ok, S, T \| hibernate \| {continue, C}} \| ignore \| {stop, R} \| {error, R}` | [`GenServer::init`] → [`Init`] |
//! | `{reply, R, S[, X]}`, `{noreply, S[, X]}`, `{stop, R[, Reply], S}` | [`CallResult`], [`CastResult`], with [`Next`] for `X` |
//! | `From`, `gen_server:reply/2` | [`ReplyTo`], [`ReplyTo::reply`] |
//! | `timeout` message | [`TimeoutMsg`] in `handle_info` |
//! | `gen_server:call/3` exits `{Reason, {gen_server, call, _}}` | [`call`] returns `Err(CallError)` |
//! | `server_ref()`, `{via, M, N}` | [`Dest`](crate::Dest), [`Via`](crate::Via) |
//! | `sys:get_state/1`, `replace_state/2`, `suspend/1`, `resume/1` | [`sys`] |
//!
//! Messages are handled strictly in arrival order (no selective receive in the loop);
//! only [`Next::Continue`] runs before the next message.
//!
//! ## Terms from other nodes
//!
//! Erlang and Elixir nodes (and remote Tether nodes) reach a server with terms:
//! `{'$gen_call', {Pid, Tag}, Request}` and `{'$gen_cast', Request}` (docs/semantics.md
//! §4.3 C2, docs/distribution.md §6.2). The server turns them into its own types with
//! [`GenServer::decode_call`] and [`GenServer::decode_cast`], and answers with
//! `{Tag, Reply}` made by [`GenServer::encode_reply`], exactly as `gen:reply/2` does
//! (to the alias in the tag when there is one). The client-side hooks
//! [`GenServer::encode_call`], [`GenServer::encode_cast`] and
//! [`GenServer::decode_reply`] do the reverse when a Tether node calls a remote
//! server.
//!
//! A remote caller never waits for a reply that cannot come:
//!
//! | What arrives | What happens |
//! |---|---|
//! | a call that `decode_call` turns into a request | `handle_call` runs; its reply goes out through `encode_reply` |
//! | a call that `decode_call` cannot decode (`None`) | the caller gets `{error, {bad_request, Request}}` at once; a warning is logged (server pid, name, type and the request); the server keeps running |
//! | a reply that `encode_reply` cannot encode (`None`) | the caller gets `{error, bad_reply}`; a warning is logged |
//! | a cast that `decode_cast` cannot decode | it is dropped with a warning; the server keeps running |
//!
//! In Elixir, `GenServer.call({name, node}, :garbage)` thus returns
//! `{:error, {:bad_request, :garbage}}` (the `kv` demo of `tether node` answers
//! the same way). A Tether caller that gets such a reply from a server of another
//! version sees [`CallError::BadReply`] holding it. Local callers cannot send a request
//! of the wrong type: [`call`] is typed by the server.
//!
//! The default hooks decode and encode nothing, so a server whose types are not terms
//! (an [`Agent`](crate::otp::agent)'s closures, say) still answers every remote call,
//! with `bad_request`. A server whose requests and replies are
//! `Serialize + DeserializeOwned` serves remote callers with one line,
//! [`serde_wire!`](crate::serde_wire), and no conversion code: tether-term's serde
//! bridge writes `Add(2)` as `{add, 2}` and `Get` as `get`, as Elixir code would.
//!
//! ```
//! use serde::{Deserialize, Serialize};
//! use tether::{Runtime, Term};
//! use tether::otp::gen_server::{self, CallResult, GenServer, Init, ReplyTo, StartOpts};
//!
//! #[derive(Serialize, Deserialize)]
//! enum Call { Get, Add(i64) }   // `get` and `{add, N}` on the wire
//!
//! struct Counter(i64);
//!
//! impl GenServer for Counter {
//!     type Args = ();
//!     type Call = Call;
//!     type Cast = ();
//!     type Reply = i64;
//!     type Continue = ();
//!     async fn init((): ()) -> Init<Self> { Init::ok(Counter(0)) }
//!     async fn handle_call(&mut self, req: Call, _: &ReplyTo<i64>) -> CallResult<Self> {
//!         if let Call::Add(n) = req { self.0 += n }
//!         CallResult::reply(self.0)
//!     }
//!     tether::serde_wire!(); // Elixir: GenServer.call({:counter, node}, {:add, 2}) == 2
//! }
//!
//! Runtime::new().unwrap().block_on(async {
//!     let c = gen_server::start::<Counter>((), StartOpts::new().name("counter")).await.unwrap();
//!     assert_eq!(c.call(Call::Add(2)).await.unwrap(), 2);
//!     // A caller on another node sends `{'$gen_call', {Pid, Tag}, garbage}` and gets
//!     // `{Tag, {error, {bad_request, garbage}}}` (sent here from this process, with a
//!     // plain reference as the tag):
//!     let tag = tether::make_ref();
//!     let from = Term::tuple([Term::Pid(tether::self_pid()), Term::Ref(tag)]);
//!     tether::send(c.pid(), Term::tuple([Term::atom("$gen_call"), from, Term::atom("garbage")])).unwrap();
//!     let reply: Term = tether::receive().await;
//!     let expected: Term = "{error, {bad_request, garbage}}".parse().unwrap();
//!     assert_eq!(reply, Term::tuple([Term::Ref(tag), expected]));
//!     assert_eq!(c.call(Call::Get).await.unwrap(), 2); // still running
//! });
//! ```
//!
//! ## Calling a server: one path per kind of server
//!
//! | the server is | call it with | the wire mapping comes from |
//! |---|---|---|
//! | a GenServer type `S` of this program, on any node | [`Server<S>`](Server) (`Server::<S>::whereis`, `start_link` ...) | `S`'s own hooks: what the server reads with `decode_call` the client writes with `encode_call` |
//! | anything else: Elixir, Erlang, another program's Tether node | [`Client<Req, Reply>`](Client) | serde, from `Req` and `Reply` |
//!
//! The hooks come in pairs because a server type is often both ends of the wire:
//! `decode_call`/`encode_reply` are its server side, `encode_call`/`decode_reply`
//! the side of a `Server<S>` calling it on another node. With
//! [`serde_wire!`](crate::serde_wire) all six are written, and there is nothing to
//! choose. A client of a foreign server never implements [`GenServer`]: it uses
//! [`Client`].

mod call;
pub(crate) mod catch;
mod client;
mod error;
pub(crate) mod from;
mod result;
mod serde_wire;
mod server;
mod server_loop;
mod start;
pub mod sys;

use std::future::Future;

use tether_term::Term;

pub use call::{call, cast, stop};
pub use client::Client;
pub use error::{CallError, ServerStartError};
pub use from::ReplyTo;
pub use result::{CallResult, CastResult, Init, Next, Timeout};
pub use serde_wire::{decode_term, encode_term};
pub use server::Server;
pub use start::{StartOpts, start, start_link, start_monitor};

use crate::{ExitReason, Message};

/// The message `handle_info` gets when a [`Next::Timeout`] expires (Erlang's
/// `timeout` atom).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeoutMsg;

/// The reason a server stops with when a callback it needs is not implemented
/// (Erlang's `undef`).
fn undef<S>(callback: &str) -> ExitReason {
    ExitReason::from_term(Term::tuple([
        Term::atom("undef"),
        Term::tuple([Term::atom(std::any::type_name::<S>()), Term::atom(callback)]),
    ]))
}

/// A generic server's callbacks. The implementing type is the server's state.
///
/// Only [`init`](GenServer::init) is required. The defaults follow Elixir's
/// `use GenServer` (docs/semantics.md §4.11): a call or cast the server does not implement, or
/// a continue it cannot handle, stops it with `{undef, {Type, Callback}}`; an unhandled
/// message is logged and dropped; `terminate` does nothing.
///
/// Callbacks are `async`: a server may await I/O inside them, but while it does it
/// handles no other message (that is the point of a server: one request at a time).
pub trait GenServer: Sized + Send + 'static {
    /// What [`start`] passes to [`init`](GenServer::init).
    type Args: Send + 'static;
    /// The requests [`call`] sends.
    type Call: Send + 'static;
    /// The requests [`cast`] sends.
    type Cast: Send + 'static;
    /// The replies to calls.
    type Reply: Send + 'static;
    /// The value of [`Next::Continue`] (use `()` if the server never continues).
    type Continue: Send + 'static;

    /// Builds the state, in the new process, before the starter returns
    /// (docs/semantics.md §4.2). A panic here fails the start with the panic as reason.
    ///
    /// ```
    /// # use tether::otp::gen_server::{self, CallResult, CastResult, GenServer, Init, ReplyTo, StartOpts};
    /// /// Refuses to start with an empty name.
    /// struct Greeter(String);
    /// impl GenServer for Greeter {
    ///     type Args = String; type Call = (); type Cast = (); type Reply = String; type Continue = ();
    ///     async fn init(name: String) -> Init<Self> {
    ///         if name.is_empty() {
    ///             return Init::Stop(tether::ExitReason::from("empty_name"));
    ///         }
    ///         Init::ok(Greeter(name))
    ///     }
    ///     async fn handle_call(&mut self, _: (), _: &ReplyTo<String>) -> CallResult<Self> {
    ///         CallResult::reply(format!("hello, {}", self.0))
    ///     }
    /// }
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let g = gen_server::start::<Greeter>("joe".into(), StartOpts::new()).await.unwrap();
    /// assert_eq!(g.call(()).await.unwrap(), "hello, joe");
    /// let err = gen_server::start::<Greeter>(String::new(), StartOpts::new()).await.unwrap_err();
    /// assert_eq!(err, gen_server::ServerStartError::Failed("empty_name".into()));
    /// # });
    /// ```
    fn init(args: Self::Args) -> impl Future<Output = Init<Self>> + Send;

    /// Handles a [`call`]. Return [`CallResult::reply`] to answer now, or keep a clone
    /// of `from` and return [`CallResult::noreply`] to answer later with
    /// [`ReplyTo::reply`], from this process or any other.
    ///
    /// ```
    /// use tether::Runtime;
    /// use tether::otp::gen_server::{self, CallResult, CastResult, GenServer, Init, ReplyTo, StartOpts};
    ///
    /// /// Answers `Wait` calls only when someone casts `Release`.
    /// #[derive(Default)]
    /// struct Gate(Vec<ReplyTo<&'static str>>);
    /// enum Call { Wait }
    /// enum Cast { Release }
    ///
    /// impl GenServer for Gate {
    ///     type Args = ();
    ///     type Call = Call;
    ///     type Cast = Cast;
    ///     type Reply = &'static str;
    ///     type Continue = ();
    ///     async fn init(_: ()) -> Init<Self> { Init::ok(Gate::default()) }
    ///     async fn handle_call(&mut self, _: Call, from: &ReplyTo<&'static str>) -> CallResult<Self> {
    ///         self.0.push(from.clone());
    ///         CallResult::noreply()
    ///     }
    ///     async fn handle_cast(&mut self, _: Cast) -> CastResult<Self> {
    ///         for from in self.0.drain(..) {
    ///             from.reply("open");
    ///         }
    ///         CastResult::noreply()
    ///     }
    /// }
    ///
    /// Runtime::new().unwrap().block_on(async {
    ///     let gate = gen_server::start::<Gate>((), StartOpts::new()).await.unwrap();
    ///     let me = tether::self_pid();
    ///     tether::spawn(async move {
    ///         let r = gate.call(Call::Wait).await.unwrap();
    ///         tether::send(me, r).unwrap();
    ///     });
    ///     tether::sleep(std::time::Duration::from_millis(20)).await;
    ///     gate.cast(Cast::Release);
    ///     assert_eq!(tether::receive::<&str>().await, "open");
    /// });
    /// ```
    fn handle_call(
        &mut self,
        request: Self::Call,
        from: &ReplyTo<Self::Reply>,
    ) -> impl Future<Output = CallResult<Self>> + Send {
        let _ = (request, from);
        async { CallResult::stop(undef::<Self>("handle_call")) }
    }

    /// Handles a [`cast`].
    ///
    /// ```
    /// # use tether::otp::gen_server::{self, CallResult, CastResult, GenServer, Init, ReplyTo, StartOpts};
    /// struct Log(Vec<String>);
    /// impl GenServer for Log {
    ///     type Args = (); type Call = (); type Cast = String; type Reply = Vec<String>; type Continue = ();
    ///     async fn init(_: ()) -> Init<Self> { Init::ok(Log(vec![])) }
    ///     async fn handle_cast(&mut self, line: String) -> CastResult<Self> {
    ///         self.0.push(line);
    ///         CastResult::noreply()
    ///     }
    ///     async fn handle_call(&mut self, _: (), _: &ReplyTo<Vec<String>>) -> CallResult<Self> {
    ///         CallResult::reply(self.0.clone())
    ///     }
    /// }
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let log = gen_server::start::<Log>((), StartOpts::new()).await.unwrap();
    /// log.cast("a".into());
    /// log.cast("b".into());
    /// assert_eq!(log.call(()).await.unwrap(), ["a", "b"]);
    /// # });
    /// ```
    fn handle_cast(
        &mut self,
        request: Self::Cast,
    ) -> impl Future<Output = CastResult<Self>> + Send {
        let _ = request;
        async { CastResult::stop(undef::<Self>("handle_cast")) }
    }

    /// Handles any other message: plain sends, monitors' `Down`s, `Exit`s when
    /// trapping exits (except from the parent), [`TimeoutMsg`].
    ///
    /// The default logs the message and drops it; the server keeps running.
    ///
    /// ```
    /// # use tether::otp::gen_server::{self, CallResult, CastResult, GenServer, Init, ReplyTo, StartOpts};
    /// use tether::Message;
    /// /// Counts the plain `u32`s sent to it.
    /// struct Tally(u32);
    /// impl GenServer for Tally {
    ///     type Args = (); type Call = (); type Cast = (); type Reply = u32; type Continue = ();
    ///     async fn init(_: ()) -> Init<Self> { Init::ok(Tally(0)) }
    ///     async fn handle_info(&mut self, msg: Message) -> CastResult<Self> {
    ///         if let Ok(n) = msg.downcast::<u32>() {
    ///             self.0 += n;
    ///         }
    ///         CastResult::noreply()
    ///     }
    ///     async fn handle_call(&mut self, _: (), _: &ReplyTo<u32>) -> CallResult<Self> {
    ///         CallResult::reply(self.0)
    ///     }
    /// }
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let t = gen_server::start::<Tally>((), StartOpts::new()).await.unwrap();
    /// tether::send(t.pid(), 2u32).unwrap();
    /// tether::send(t.pid(), 3u32).unwrap();
    /// assert_eq!(t.call(()).await.unwrap(), 5);
    /// # });
    /// ```
    fn handle_info(&mut self, message: Message) -> impl Future<Output = CastResult<Self>> + Send {
        crate::runtime::logger::report_warn!(
            server = %crate::self_pid(),
            "{} received an unexpected message {message:?}",
            std::any::type_name::<Self>()
        );
        async { CastResult::noreply() }
    }

    /// Continues after a callback returned [`Next::Continue`], before any message is
    /// read.
    ///
    /// ```
    /// # use tether::otp::gen_server::{self, CallResult, CastResult, GenServer, Init, ReplyTo, StartOpts};
    /// /// Starts fast, then loads its data before the first message.
    /// struct Cache(Vec<u32>);
    /// impl GenServer for Cache {
    ///     type Args = (); type Call = (); type Cast = (); type Reply = usize; type Continue = u32;
    ///     async fn init(_: ()) -> Init<Self> { Init::ok(Cache(vec![])).then_continue(3) }
    ///     async fn handle_continue(&mut self, n: u32) -> CastResult<Self> {
    ///         self.0 = (0..n).collect();
    ///         CastResult::noreply()
    ///     }
    ///     async fn handle_call(&mut self, _: (), _: &ReplyTo<usize>) -> CallResult<Self> {
    ///         CallResult::reply(self.0.len())
    ///     }
    /// }
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let c = gen_server::start::<Cache>((), StartOpts::new()).await.unwrap();
    /// assert_eq!(c.call(()).await.unwrap(), 3); // the continue ran before the call
    /// # });
    /// ```
    fn handle_continue(
        &mut self,
        continuation: Self::Continue,
    ) -> impl Future<Output = CastResult<Self>> + Send {
        let _ = continuation;
        async { CastResult::stop(undef::<Self>("handle_continue")) }
    }

    /// Runs when the server stops: a callback returned a stop, a callback panicked or
    /// exited, the parent's `Exit` arrived (trapping exits), or [`stop`] was called.
    /// It does *not* run when the process is killed or dies from an exit signal it
    /// does not trap (docs/semantics.md §4.6). The server then exits with `reason` (or with
    /// the reason of a panic inside `terminate`).
    ///
    /// ```
    /// # use tether::otp::gen_server::{self, CallResult, CastResult, GenServer, Init, ReplyTo, StartOpts};
    /// use tether::{ExitReason, Pid};
    /// /// Tells its owner why it stopped.
    /// struct Reporter(Pid);
    /// impl GenServer for Reporter {
    ///     type Args = Pid; type Call = (); type Cast = (); type Reply = (); type Continue = ();
    ///     async fn init(owner: Pid) -> Init<Self> { Init::ok(Reporter(owner)) }
    ///     async fn terminate(&mut self, reason: &ExitReason) {
    ///         tether::send(self.0, reason.clone()).unwrap();
    ///     }
    /// }
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let r = gen_server::start::<Reporter>(tether::self_pid(), StartOpts::new()).await.unwrap();
    /// r.stop(ExitReason::from("maintenance")).await.unwrap();
    /// assert_eq!(tether::receive::<ExitReason>().await, ExitReason::from("maintenance"));
    /// # });
    /// ```
    fn terminate(&mut self, reason: &ExitReason) -> impl Future<Output = ()> + Send {
        let _ = reason;
        async {}
    }

    /// The state as text, for [`sys::get_state`], [`sys::get_status`] and crash logs
    /// (Erlang's `format_status/1`: trim or redact here). A panic inside is caught.
    /// The default is the type's name.
    ///
    /// ```
    /// # use tether::otp::gen_server::{self, CallResult, CastResult, GenServer, Init, ReplyTo, StartOpts};
    /// use tether::otp::gen_server::sys;
    /// /// Keeps a password out of `sys::get_state` and crash logs.
    /// struct Login { user: String, password: String }
    /// impl GenServer for Login {
    ///     type Args = (); type Call = (); type Cast = (); type Reply = (); type Continue = ();
    ///     async fn init(_: ()) -> Init<Self> {
    ///         Init::ok(Login { user: "ada".into(), password: "s3cret".into() })
    ///     }
    ///     fn format_status(&self) -> String {
    ///         format!("Login {{ user: {}, password: <redacted> }}", self.user)
    ///     }
    /// }
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let l = gen_server::start::<Login>((), StartOpts::new()).await.unwrap();
    /// let shown = sys::get_state(l).await.unwrap();
    /// assert_eq!(shown, "Login { user: ada, password: <redacted> }");
    /// # });
    /// ```
    fn format_status(&self) -> String {
        std::any::type_name::<Self>().to_string()
    }

    /// Turns the `Request` of a `{'$gen_call', From, Request}` term into a call, for
    /// callers on other nodes. The default accepts none. A request this gives `None`
    /// for is answered `{error, {bad_request, Request}}` and logged (see
    /// [Terms from other nodes](self#terms-from-other-nodes));
    /// [`serde_wire!`](crate::serde_wire) writes this hook with serde.
    ///
    /// ```
    /// # use tether::otp::gen_server::{self, CallResult, CastResult, GenServer, Init, ReplyTo, StartOpts};
    /// # use tether::Term;
    /// /// A server whose wire format is written by hand: `{add, N}` and `get` in,
    /// /// integers out.
    /// struct Sum(i64);
    /// enum Req { Add(i64), Get }
    /// impl GenServer for Sum {
    ///     type Args = (); type Call = Req; type Cast = Req; type Reply = i64; type Continue = ();
    ///     async fn init(_: ()) -> Init<Self> { Init::ok(Sum(0)) }
    ///     fn decode_call(t: &Term) -> Option<Req> {
    ///         match t {
    ///             Term::Atom(a) if a.as_str() == "get" => Some(Req::Get),
    ///             Term::Tuple(v) if v.len() == 2 && v[0] == Term::atom("add") => v[1].as_i64().map(Req::Add),
    ///             _ => None,
    ///         }
    ///     }
    ///     fn decode_cast(t: &Term) -> Option<Req> { Self::decode_call(t) }
    ///     fn encode_reply(n: &i64) -> Option<Term> { Some(Term::from(*n)) }
    ///     fn encode_call(r: &Req) -> Option<Term> {
    ///         Some(match r {
    ///             Req::Add(n) => Term::tuple([Term::atom("add"), Term::from(*n)]),
    ///             Req::Get => Term::atom("get"),
    ///         })
    ///     }
    ///     fn encode_cast(r: &Req) -> Option<Term> { Self::encode_call(r) }
    ///     fn decode_reply(t: &Term) -> Option<i64> { t.as_i64() }
    /// }
    /// let add: Term = "{add, 2}".parse().unwrap();
    /// assert!(matches!(Sum::decode_call(&add), Some(Req::Add(2))));
    /// assert!(Sum::decode_call(&Term::atom("garbage")).is_none());
    /// ```
    fn decode_call(request: &Term) -> Option<Self::Call> {
        let _ = request;
        None
    }

    /// Turns the `Request` of a `{'$gen_cast', Request}` term into a cast. The default
    /// accepts none. A cast this gives `None` for is logged and dropped.
    ///
    /// ```
    /// # use tether::otp::gen_server::{self, CallResult, CastResult, GenServer, Init, ReplyTo, StartOpts};
    /// # use tether::Term;
    /// /// A server whose wire format is written by hand: `{add, N}` and `get` in,
    /// /// integers out.
    /// struct Sum(i64);
    /// enum Req { Add(i64), Get }
    /// impl GenServer for Sum {
    ///     type Args = (); type Call = Req; type Cast = Req; type Reply = i64; type Continue = ();
    ///     async fn init(_: ()) -> Init<Self> { Init::ok(Sum(0)) }
    ///     fn decode_call(t: &Term) -> Option<Req> {
    ///         match t {
    ///             Term::Atom(a) if a.as_str() == "get" => Some(Req::Get),
    ///             Term::Tuple(v) if v.len() == 2 && v[0] == Term::atom("add") => v[1].as_i64().map(Req::Add),
    ///             _ => None,
    ///         }
    ///     }
    ///     fn decode_cast(t: &Term) -> Option<Req> { Self::decode_call(t) }
    ///     fn encode_reply(n: &i64) -> Option<Term> { Some(Term::from(*n)) }
    ///     fn encode_call(r: &Req) -> Option<Term> {
    ///         Some(match r {
    ///             Req::Add(n) => Term::tuple([Term::atom("add"), Term::from(*n)]),
    ///             Req::Get => Term::atom("get"),
    ///         })
    ///     }
    ///     fn encode_cast(r: &Req) -> Option<Term> { Self::encode_call(r) }
    ///     fn decode_reply(t: &Term) -> Option<i64> { t.as_i64() }
    /// }
    /// assert!(matches!(Sum::decode_cast(&Term::atom("get")), Some(Req::Get)));
    /// assert!(Sum::decode_cast(&Term::from(1)).is_none());
    /// ```
    fn decode_cast(request: &Term) -> Option<Self::Cast> {
        let _ = request;
        None
    }

    /// Turns a reply into the term sent to a caller on another node. The default
    /// encodes none: such a caller gets `{error, bad_reply}` instead (and a warning is
    /// logged).
    ///
    /// ```
    /// # use tether::otp::gen_server::{self, CallResult, CastResult, GenServer, Init, ReplyTo, StartOpts};
    /// # use tether::Term;
    /// /// A server whose wire format is written by hand: `{add, N}` and `get` in,
    /// /// integers out.
    /// struct Sum(i64);
    /// enum Req { Add(i64), Get }
    /// impl GenServer for Sum {
    ///     type Args = (); type Call = Req; type Cast = Req; type Reply = i64; type Continue = ();
    ///     async fn init(_: ()) -> Init<Self> { Init::ok(Sum(0)) }
    ///     fn decode_call(t: &Term) -> Option<Req> {
    ///         match t {
    ///             Term::Atom(a) if a.as_str() == "get" => Some(Req::Get),
    ///             Term::Tuple(v) if v.len() == 2 && v[0] == Term::atom("add") => v[1].as_i64().map(Req::Add),
    ///             _ => None,
    ///         }
    ///     }
    ///     fn decode_cast(t: &Term) -> Option<Req> { Self::decode_call(t) }
    ///     fn encode_reply(n: &i64) -> Option<Term> { Some(Term::from(*n)) }
    ///     fn encode_call(r: &Req) -> Option<Term> {
    ///         Some(match r {
    ///             Req::Add(n) => Term::tuple([Term::atom("add"), Term::from(*n)]),
    ///             Req::Get => Term::atom("get"),
    ///         })
    ///     }
    ///     fn encode_cast(r: &Req) -> Option<Term> { Self::encode_call(r) }
    ///     fn decode_reply(t: &Term) -> Option<i64> { t.as_i64() }
    /// }
    /// assert_eq!(Sum::encode_reply(&42), Some(Term::from(42)));
    /// ```
    fn encode_reply(reply: &Self::Reply) -> Option<Term> {
        let _ = reply;
        None
    }

    /// Client side: the term to send for a call to a server on another node. The
    /// default encodes none ([`CallError::NotPortable`]).
    ///
    /// ```
    /// # use tether::otp::gen_server::{self, CallResult, CastResult, GenServer, Init, ReplyTo, StartOpts};
    /// # use tether::Term;
    /// /// A server whose wire format is written by hand: `{add, N}` and `get` in,
    /// /// integers out.
    /// struct Sum(i64);
    /// enum Req { Add(i64), Get }
    /// impl GenServer for Sum {
    ///     type Args = (); type Call = Req; type Cast = Req; type Reply = i64; type Continue = ();
    ///     async fn init(_: ()) -> Init<Self> { Init::ok(Sum(0)) }
    ///     fn decode_call(t: &Term) -> Option<Req> {
    ///         match t {
    ///             Term::Atom(a) if a.as_str() == "get" => Some(Req::Get),
    ///             Term::Tuple(v) if v.len() == 2 && v[0] == Term::atom("add") => v[1].as_i64().map(Req::Add),
    ///             _ => None,
    ///         }
    ///     }
    ///     fn decode_cast(t: &Term) -> Option<Req> { Self::decode_call(t) }
    ///     fn encode_reply(n: &i64) -> Option<Term> { Some(Term::from(*n)) }
    ///     fn encode_call(r: &Req) -> Option<Term> {
    ///         Some(match r {
    ///             Req::Add(n) => Term::tuple([Term::atom("add"), Term::from(*n)]),
    ///             Req::Get => Term::atom("get"),
    ///         })
    ///     }
    ///     fn encode_cast(r: &Req) -> Option<Term> { Self::encode_call(r) }
    ///     fn decode_reply(t: &Term) -> Option<i64> { t.as_i64() }
    /// }
    /// assert_eq!(Sum::encode_call(&Req::Add(1)).unwrap().to_string(), "{add,1}");
    /// ```
    fn encode_call(request: &Self::Call) -> Option<Term> {
        let _ = request;
        None
    }

    /// Client side: the term to send for a cast to a server on another node. The
    /// default encodes none (the cast is dropped).
    ///
    /// ```
    /// # use tether::otp::gen_server::{self, CallResult, CastResult, GenServer, Init, ReplyTo, StartOpts};
    /// # use tether::Term;
    /// /// A server whose wire format is written by hand: `{add, N}` and `get` in,
    /// /// integers out.
    /// struct Sum(i64);
    /// enum Req { Add(i64), Get }
    /// impl GenServer for Sum {
    ///     type Args = (); type Call = Req; type Cast = Req; type Reply = i64; type Continue = ();
    ///     async fn init(_: ()) -> Init<Self> { Init::ok(Sum(0)) }
    ///     fn decode_call(t: &Term) -> Option<Req> {
    ///         match t {
    ///             Term::Atom(a) if a.as_str() == "get" => Some(Req::Get),
    ///             Term::Tuple(v) if v.len() == 2 && v[0] == Term::atom("add") => v[1].as_i64().map(Req::Add),
    ///             _ => None,
    ///         }
    ///     }
    ///     fn decode_cast(t: &Term) -> Option<Req> { Self::decode_call(t) }
    ///     fn encode_reply(n: &i64) -> Option<Term> { Some(Term::from(*n)) }
    ///     fn encode_call(r: &Req) -> Option<Term> {
    ///         Some(match r {
    ///             Req::Add(n) => Term::tuple([Term::atom("add"), Term::from(*n)]),
    ///             Req::Get => Term::atom("get"),
    ///         })
    ///     }
    ///     fn encode_cast(r: &Req) -> Option<Term> { Self::encode_call(r) }
    ///     fn decode_reply(t: &Term) -> Option<i64> { t.as_i64() }
    /// }
    /// assert_eq!(Sum::encode_cast(&Req::Get), Some(Term::atom("get")));
    /// ```
    fn encode_cast(request: &Self::Cast) -> Option<Term> {
        let _ = request;
        None
    }

    /// Client side: the reply of a server on another node. The default decodes none
    /// ([`CallError::BadReply`]).
    ///
    /// ```
    /// # use tether::otp::gen_server::{self, CallResult, CastResult, GenServer, Init, ReplyTo, StartOpts};
    /// # use tether::Term;
    /// /// A server whose wire format is written by hand: `{add, N}` and `get` in,
    /// /// integers out.
    /// struct Sum(i64);
    /// enum Req { Add(i64), Get }
    /// impl GenServer for Sum {
    ///     type Args = (); type Call = Req; type Cast = Req; type Reply = i64; type Continue = ();
    ///     async fn init(_: ()) -> Init<Self> { Init::ok(Sum(0)) }
    ///     fn decode_call(t: &Term) -> Option<Req> {
    ///         match t {
    ///             Term::Atom(a) if a.as_str() == "get" => Some(Req::Get),
    ///             Term::Tuple(v) if v.len() == 2 && v[0] == Term::atom("add") => v[1].as_i64().map(Req::Add),
    ///             _ => None,
    ///         }
    ///     }
    ///     fn decode_cast(t: &Term) -> Option<Req> { Self::decode_call(t) }
    ///     fn encode_reply(n: &i64) -> Option<Term> { Some(Term::from(*n)) }
    ///     fn encode_call(r: &Req) -> Option<Term> {
    ///         Some(match r {
    ///             Req::Add(n) => Term::tuple([Term::atom("add"), Term::from(*n)]),
    ///             Req::Get => Term::atom("get"),
    ///         })
    ///     }
    ///     fn encode_cast(r: &Req) -> Option<Term> { Self::encode_call(r) }
    ///     fn decode_reply(t: &Term) -> Option<i64> { t.as_i64() }
    /// }
    /// assert_eq!(Sum::decode_reply(&Term::from(7)), Some(7));
    /// assert_eq!(Sum::decode_reply(&Term::atom("oops")), None);
    /// ```
    fn decode_reply(reply: &Term) -> Option<Self::Reply> {
        let _ = reply;
        None
    }
}
