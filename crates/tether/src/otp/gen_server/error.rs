//! The errors of starting and calling servers: [`ServerStartError`] and [`CallError`].

use std::fmt;

use tether_term::{Atom, Node, Pid, Term};

use crate::ExitReason;

/// Why a call (or [`stop`](super::stop), or a `sys` request) failed.
///
/// This is the one error of every request/reply in Tether: gen_server calls, `sys`
/// requests, the supervisors', registry's and pg's calls
/// ([`SupervisorError::Call`](crate::otp::supervisor::SupervisorError::Call),
/// [`PgError::Call`](crate::kernel::pg::PgError::Call)) and the term-level
/// [`dist::call`](crate::dist::call()). It is also exported as
/// [`tether::otp::CallError`](crate::otp::CallError) and
/// [`tether::dist::CallError`](crate::dist::CallError).
///
/// Erlang's `gen_server:call` *exits* the caller with `{Reason, {gen_server, call,
/// Args}}`; Tether returns the `Reason` part as this enum. [`CallError::reason`] gives
/// it as an exit reason, and [`CallError::exit_reason`] the full OTP shape, for a
/// caller that wants to exit exactly as Erlang code would.
///
/// ```
/// use tether::ExitReason;
/// use tether::otp::gen_server::CallError;
/// assert!(CallError::NoProc.is_noproc());
/// assert_eq!(CallError::Timeout.reason(), ExitReason::from("timeout"));
/// assert_eq!(CallError::Exit(ExitReason::Shutdown).reason(), ExitReason::Shutdown);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum CallError {
    /// `noproc`: no process by that name, or the process was already dead.
    NoProc,
    /// `timeout`: no reply in time. The server is not told; its late reply is dropped.
    Timeout,
    /// `calling_self`: a server called itself (it would wait for itself forever).
    CallingSelf,
    /// The server exited with this reason before replying.
    Exit(ExitReason),
    /// `{nodedown, Node}`: the server's node is unreachable.
    NodeDown(Node),
    /// The request must cross to another node but has no term encoding
    /// ([`GenServer::encode_call`](super::GenServer::encode_call) gave `None`).
    NotPortable,
    /// A reply came from another node that [`GenServer::decode_reply`](super::GenServer::decode_reply)
    /// could not decode.
    BadReply(Term),
    /// A `sys` callback (`replace_state`) panicked; the server is unchanged and running
    /// (`{callback_failed, ...}`).
    CallbackFailed(ExitReason),
}

impl CallError {
    /// Whether this is [`CallError::NoProc`].
    ///
    /// ```
    /// use tether::otp::gen_server::CallError;
    /// assert!(CallError::NoProc.is_noproc());
    /// assert!(!CallError::Timeout.is_noproc());
    /// ```
    pub fn is_noproc(&self) -> bool {
        matches!(self, CallError::NoProc)
    }

    /// Whether this is [`CallError::Timeout`].
    ///
    /// ```
    /// use tether::otp::gen_server::CallError;
    /// assert!(CallError::Timeout.is_timeout());
    /// assert!(!CallError::NoProc.is_timeout());
    /// ```
    pub fn is_timeout(&self) -> bool {
        matches!(self, CallError::Timeout)
    }

    /// Whether this is [`CallError::CallingSelf`].
    ///
    /// ```
    /// use tether::otp::gen_server::CallError;
    /// assert!(CallError::CallingSelf.is_calling_self());
    /// assert_eq!(CallError::CallingSelf.reason(), tether::ExitReason::from("calling_self"));
    /// ```
    pub fn is_calling_self(&self) -> bool {
        matches!(self, CallError::CallingSelf)
    }

    /// Whether the server exited ([`CallError::Exit`]).
    ///
    /// ```
    /// use tether::{ExitReason, otp::gen_server::CallError};
    /// let err = CallError::Exit(ExitReason::from("boom"));
    /// assert!(err.is_exit());
    /// assert_eq!(err.reason(), ExitReason::from("boom"));
    /// ```
    pub fn is_exit(&self) -> bool {
        matches!(self, CallError::Exit(_))
    }

    /// Whether the server's node is down ([`CallError::NodeDown`]).
    ///
    /// ```
    /// use tether::{Node, otp::gen_server::CallError};
    /// let err = CallError::NodeDown(Node::intern("b@localhost").unwrap());
    /// assert!(err.is_nodedown());
    /// assert_eq!(err.reason().to_term().to_string(), "{nodedown,b@localhost}");
    /// ```
    pub fn is_nodedown(&self) -> bool {
        matches!(self, CallError::NodeDown(_))
    }

    /// The `Reason` of Erlang's `{Reason, {gen_server, call, _}}`.
    ///
    /// ```
    /// use tether::{ExitReason, otp::gen_server::CallError};
    /// assert_eq!(CallError::NoProc.reason(), ExitReason::Noproc);
    /// assert_eq!(CallError::Timeout.reason().to_term().to_string(), "timeout");
    /// ```
    pub fn reason(&self) -> ExitReason {
        match self {
            CallError::NoProc => ExitReason::Noproc,
            CallError::Timeout => ExitReason::from("timeout"),
            CallError::CallingSelf => ExitReason::from("calling_self"),
            CallError::Exit(r) => r.clone(),
            CallError::NodeDown(n) => {
                ExitReason::from_term(Term::tuple([Term::atom("nodedown"), Term::Atom(n.name())]))
            }
            CallError::NotPortable => ExitReason::from("not_portable"),
            CallError::BadReply(t) => {
                ExitReason::from_term(Term::tuple([Term::atom("bad_reply"), t.clone()]))
            }
            CallError::CallbackFailed(r) => ExitReason::from_term(Term::tuple([
                Term::atom("callback_failed"),
                Term::tuple([Term::atom("gen_server"), Term::atom("system_replace_state")]),
                r.to_term(),
            ])),
        }
    }

    /// The whole exit reason Erlang's caller would exit with:
    /// `{Reason, {gen_server, Function, Args}}`.
    ///
    /// ```
    /// use tether::{ExitReason, Term};
    /// use tether::otp::gen_server::{CallError, Timeout};
    /// let r = CallError::Timeout.exit_reason("call", vec![Term::atom("kv"), Timeout::DEFAULT.to_term()]);
    /// assert_eq!(r.to_term(), Term::tuple([
    ///     Term::atom("timeout"),
    ///     Term::tuple([Term::atom("gen_server"), Term::atom("call"),
    ///                  Term::List(vec![Term::atom("kv"), Term::Int(5000)])]),
    /// ]));
    /// ```
    pub fn exit_reason(&self, function: &str, args: Vec<Term>) -> ExitReason {
        let mfa = Term::tuple([
            Term::atom("gen_server"),
            Term::atom(function),
            Term::List(args),
        ]);
        ExitReason::Term(std::sync::Arc::new(Term::tuple([
            self.reason().to_term(),
            mfa,
        ])))
    }
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::NoProc => write!(f, "no such server (noproc)"),
            CallError::Timeout => write!(f, "the server did not reply in time"),
            CallError::CallingSelf => write!(f, "a server cannot call itself"),
            CallError::Exit(r) => write!(f, "the server exited: {r}"),
            CallError::NodeDown(n) => write!(f, "node {n} is down"),
            CallError::NotPortable => write!(f, "the request cannot be sent to another node"),
            CallError::BadReply(t) => write!(f, "undecodable reply {t:?}"),
            CallError::CallbackFailed(r) => write!(f, "the sys callback failed: {r}"),
        }
    }
}

impl std::error::Error for CallError {}

/// Why a server did not start (docs/semantics.md §4.2; the `{error, _}` and `ignore` results
/// of `gen_server:start`).
///
/// One of Tether's three start errors, named by what failed to start:
/// [`NodeStartError`](crate::dist::NodeStartError),
/// [`SupervisorStartError`](crate::otp::supervisor::SupervisorStartError) and
/// [`ServerStartError`]. It converts to an exit reason with `ExitReason::from` (or
/// `.into()`).
///
/// ```
/// use tether::ExitReason;
/// use tether::otp::gen_server::ServerStartError;
/// assert!(ServerStartError::Ignore.is_ignore());
/// let e = ServerStartError::Failed(ExitReason::from("boom"));
/// assert_eq!(ExitReason::from(e), ExitReason::from("boom"));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum ServerStartError {
    /// `init` returned [`Init::Ignore`](super::Init::Ignore) (OTP's `ignore`, not an
    /// error there; supervisors skip such a child).
    Ignore,
    /// `{already_started, Pid}`: the name is taken by `Pid`; `init` never ran.
    AlreadyStarted(Pid),
    /// `timeout`: `init` did not finish within the start timeout; the process was
    /// killed.
    Timeout,
    /// `init` returned `Stop(R)` or `Error(R)`, or panicked or exited with `R`.
    Failed(ExitReason),
    /// The name cannot be registered (reserved, such as `undefined`).
    BadName(Atom),
}

impl ServerStartError {
    /// Whether this is [`ServerStartError::Ignore`].
    ///
    /// ```
    /// use tether::otp::gen_server::ServerStartError;
    /// assert!(ServerStartError::Ignore.is_ignore());
    /// assert!(!ServerStartError::Timeout.is_ignore());
    /// ```
    pub fn is_ignore(&self) -> bool {
        matches!(self, ServerStartError::Ignore)
    }

    /// Whether this is [`ServerStartError::AlreadyStarted`].
    ///
    /// ```
    /// use tether::otp::gen_server::ServerStartError;
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let err = ServerStartError::AlreadyStarted(tether::self_pid());
    /// assert!(err.is_already_started());
    /// # });
    /// ```
    pub fn is_already_started(&self) -> bool {
        matches!(self, ServerStartError::AlreadyStarted(_))
    }

    /// Whether this is [`ServerStartError::Timeout`].
    ///
    /// ```
    /// use tether::otp::gen_server::ServerStartError;
    /// assert!(ServerStartError::Timeout.is_timeout());
    /// assert!(!ServerStartError::Ignore.is_timeout());
    /// ```
    pub fn is_timeout(&self) -> bool {
        matches!(self, ServerStartError::Timeout)
    }
}

/// The `Reason` of Erlang's `{error, Reason}`; for `ignore`, which is no error,
/// `normal`, the reason the process that returned it exits with.
///
/// Every start error of a process converts to an exit reason this one way, `From` (see
/// also [`SupervisorStartError`](crate::otp::supervisor::SupervisorStartError)).
///
/// ```
/// use tether::ExitReason;
/// use tether::otp::gen_server::ServerStartError;
/// assert_eq!(ExitReason::from(ServerStartError::Timeout), ExitReason::from("timeout"));
/// assert_eq!(ExitReason::from(&ServerStartError::Ignore), ExitReason::Normal);
/// ```
impl From<&ServerStartError> for ExitReason {
    fn from(e: &ServerStartError) -> ExitReason {
        match e {
            ServerStartError::Ignore => ExitReason::Normal,
            ServerStartError::AlreadyStarted(p) => {
                ExitReason::from_term(Term::tuple([Term::atom("already_started"), Term::Pid(*p)]))
            }
            ServerStartError::Timeout => ExitReason::from("timeout"),
            ServerStartError::Failed(r) => r.clone(),
            ServerStartError::BadName(n) => {
                ExitReason::from_term(Term::tuple([Term::atom("badarg"), Term::Atom(n.clone())]))
            }
        }
    }
}

impl From<ServerStartError> for ExitReason {
    fn from(e: ServerStartError) -> ExitReason {
        match e {
            ServerStartError::Failed(r) => r,
            e => ExitReason::from(&e),
        }
    }
}

impl fmt::Display for ServerStartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServerStartError::Ignore => write!(f, "init returned ignore"),
            ServerStartError::AlreadyStarted(p) => write!(f, "already started as {p}"),
            ServerStartError::Timeout => write!(f, "init did not finish in time"),
            ServerStartError::Failed(r) => write!(f, "init failed: {r}"),
            ServerStartError::BadName(n) => write!(f, "invalid name {n}"),
        }
    }
}

impl std::error::Error for ServerStartError {}
