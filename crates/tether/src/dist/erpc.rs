//! Remote calls without arbitrary code execution: the function [`Registry`], the
//! server side of `SPAWN_REQUEST` (how `erpc:call` and OTP 25's `rpc:call` reach us),
//! and an erpc client ([`call`]) for calling into BEAM nodes.
//!
//! **Serving.** Erlang's rpc runs any function a peer names; Tether runs only the
//! functions the application registered, by `{Module, Function, Arity}`. A peer's
//! `erpc:call(Node, M, F, A)` arrives as a spawn request for `erpc:execute_call/4`
//! with `[Ref, M, F, A]`: if `M:F/length(A)` is registered a process is spawned
//! (linked to and/or monitored by the caller, as its options ask, before it runs), the
//! `SPAWN_REPLY` goes out, and the process runs the function and exits with
//! `{Ref, return, Value}`, `{Ref, error, Reason, []}`, `{Ref, exit, Reason}` or
//! `{Ref, throw, Value}`, which the caller's monitor carries back
//! (docs/distribution.md §6.3). A spawn request for a registered `M:F/A` itself (plain
//! `spawn(Node, M, F, A)`) runs it the same way. Anything else is refused with the
//! error `notsup`: the caller sees `{erpc, notsup}` (and `rpc:call` then retries
//! through `rex`, which refuses with `{badrpc, notsup}`).
//!
//! **Calling.** [`call`] sends the same spawn request to a peer (with a monitor, the
//! modern path of §9 (e)) and maps the exit reason back to a result or an
//! [`ErpcError`]. The caller is its own group leader: io requests the remote function
//! makes are answered `ok` and logged.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tether_term::{Atom, Node, Pid, Term};

use super::connection::Conn;
use super::control::{Control, ProcRef};
use super::incoming::SpawnReply;
use super::node::{NodeInner, inner};
use crate::process::{Down, ExitReason, Message, inject};

/// How a registered function fails, as an Erlang exception class.
#[derive(Clone, Debug, PartialEq)]
pub enum Exception {
    /// `error(Reason)`.
    Error(Term),
    /// `exit(Reason)`.
    Exit(Term),
    /// `throw(Value)`.
    Throw(Term),
}

type BoxFut = Pin<Box<dyn Future<Output = Result<Term, Exception>> + Send>>;
type Func = Arc<dyn Fn(Vec<Term>) -> BoxFut + Send + Sync>;

/// The functions peers may call on this node, by module, function and arity.
///
/// ```no_run
/// # async fn demo(node: tether::dist::DistNode) {
/// use tether::Term;
/// node.rpc().register_sync("math", "add", 2, |args| match (args[0].as_i64(), args[1].as_i64()) {
///     (Some(a), Some(b)) => Ok(Term::from(a + b)),
///     _ => Err(tether::dist::Exception::Error(Term::atom("badarith"))),
/// });
/// # }
/// ```
#[derive(Default)]
pub struct Registry(RwLock<HashMap<(Atom, Atom, usize), Func>>);

impl Registry {
    /// Registers an async function; it runs as a process of its own.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::dist::{self, erpc, EpmdMode, NodeConfig};
    /// # use tether::Term;
    /// # let cfg = |name: &str| NodeConfig::new(format!("{name}@127.0.0.1")).cookie("doc")
    /// #     .listen("127.0.0.1".parse().unwrap()).epmd(EpmdMode::None);
    /// // Node B, in a runtime of its own, serves `math:add/2`.
    /// # let b_rt = tether::Runtime::new().unwrap();
    /// # let cfg_b = cfg("doc_reg_b");
    /// # let b = b_rt.block_on(async move { dist::start(cfg_b).await.unwrap() });
    /// b.rpc().register_sync("math", "add", 2, |args| match (args[0].as_i64(), args[1].as_i64()) {
    ///     (Some(x), Some(y)) => Ok(Term::from(x + y)),
    ///     _ => Err(dist::Exception::Error(Term::atom("badarith"))),
    /// });
    /// # let b_addr = std::net::SocketAddr::from(([127, 0, 0, 1], b.port()));
    /// tether::Runtime::new().unwrap().block_on(async move {
    /// # let a = dist::start(cfg("doc_reg_a").peer_address("doc_reg_b@127.0.0.1", b_addr)).await.unwrap();
    /// let b_node = tether::Node::intern("doc_reg_b@127.0.0.1").unwrap();
    /// // An async function: it runs as a process on B, and may wait.
    /// b.rpc().register("slow", "echo", 1, |args| async move {
    ///     tether::sleep(Duration::from_millis(5)).await;
    ///     Ok(args[0].clone())
    /// });
    /// let r = erpc::call(b_node, "slow", "echo", vec![Term::atom("hi")], Duration::from_secs(5)).await;
    /// assert_eq!(r.unwrap(), Term::atom("hi"));
    /// # a.stop().await;
    /// });
    /// # drop(b_rt);
    /// ```
    pub fn register<F, Fut>(&self, module: &str, function: &str, arity: usize, f: F)
    where
        F: Fn(Vec<Term>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Term, Exception>> + Send + 'static,
    {
        let func: Func = Arc::new(move |args| Box::pin(f(args)));
        let key = (Atom::new(module), Atom::new(function), arity);
        self.0
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, func);
    }

    /// Registers a plain function.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::dist::{self, erpc, EpmdMode, NodeConfig};
    /// # use tether::Term;
    /// # let cfg = |name: &str| NodeConfig::new(format!("{name}@127.0.0.1")).cookie("doc")
    /// #     .listen("127.0.0.1".parse().unwrap()).epmd(EpmdMode::None);
    /// // Node B, in a runtime of its own, serves `math:add/2`.
    /// # let b_rt = tether::Runtime::new().unwrap();
    /// # let cfg_b = cfg("doc_regs_b");
    /// # let b = b_rt.block_on(async move { dist::start(cfg_b).await.unwrap() });
    /// b.rpc().register_sync("math", "add", 2, |args| match (args[0].as_i64(), args[1].as_i64()) {
    ///     (Some(x), Some(y)) => Ok(Term::from(x + y)),
    ///     _ => Err(dist::Exception::Error(Term::atom("badarith"))),
    /// });
    /// # let b_addr = std::net::SocketAddr::from(([127, 0, 0, 1], b.port()));
    /// tether::Runtime::new().unwrap().block_on(async move {
    /// # let a = dist::start(cfg("doc_regs_a").peer_address("doc_regs_b@127.0.0.1", b_addr)).await.unwrap();
    /// let b_node = tether::Node::intern("doc_regs_b@127.0.0.1").unwrap();
    /// let sum = erpc::call(b_node, "math", "add", vec![Term::from(2), Term::from(3)], Duration::from_secs(5)).await;
    /// assert_eq!(sum.unwrap(), Term::from(5));
    /// # a.stop().await;
    /// });
    /// # drop(b_rt);
    /// ```
    pub fn register_sync<F>(&self, module: &str, function: &str, arity: usize, f: F)
    where
        F: Fn(Vec<Term>) -> Result<Term, Exception> + Send + Sync + 'static,
    {
        let f = Arc::new(f);
        self.register(module, function, arity, move |args| {
            let f = f.clone();
            async move { f(args) }
        });
    }

    /// Removes a function.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::dist::{self, erpc, EpmdMode, NodeConfig};
    /// # use tether::Term;
    /// # let cfg = |name: &str| NodeConfig::new(format!("{name}@127.0.0.1")).cookie("doc")
    /// #     .listen("127.0.0.1".parse().unwrap()).epmd(EpmdMode::None);
    /// // Node B, in a runtime of its own, serves `math:add/2`.
    /// # let b_rt = tether::Runtime::new().unwrap();
    /// # let cfg_b = cfg("doc_unreg_b");
    /// # let b = b_rt.block_on(async move { dist::start(cfg_b).await.unwrap() });
    /// b.rpc().register_sync("math", "add", 2, |args| match (args[0].as_i64(), args[1].as_i64()) {
    ///     (Some(x), Some(y)) => Ok(Term::from(x + y)),
    ///     _ => Err(dist::Exception::Error(Term::atom("badarith"))),
    /// });
    /// # let b_addr = std::net::SocketAddr::from(([127, 0, 0, 1], b.port()));
    /// tether::Runtime::new().unwrap().block_on(async move {
    /// # let a = dist::start(cfg("doc_unreg_a").peer_address("doc_unreg_b@127.0.0.1", b_addr)).await.unwrap();
    /// let b_node = tether::Node::intern("doc_unreg_b@127.0.0.1").unwrap();
    /// b.rpc().unregister("math", "add", 2);
    /// let r = erpc::call(b_node, "math", "add", vec![Term::from(2), Term::from(3)], Duration::from_secs(5)).await;
    /// assert!(matches!(r, Err(erpc::ErpcError::Spawn(_)))); // B refuses: not registered
    /// # a.stop().await;
    /// });
    /// # drop(b_rt);
    /// ```
    pub fn unregister(&self, module: &str, function: &str, arity: usize) {
        let key = (Atom::new(module), Atom::new(function), arity);
        self.0
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&key);
    }

    pub(crate) fn get(&self, module: &Atom, function: &Atom, arity: usize) -> Option<Func> {
        let key = (module.clone(), function.clone(), arity);
        self.0
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .cloned()
    }
}

/// Runs a registered function by name in the calling process: `None` if it is not
/// registered.
pub(crate) async fn apply(
    module: &Atom,
    function: &Atom,
    args: Vec<Term>,
) -> Option<Result<Term, Exception>> {
    let f = inner()?.rpc.get(module, function, args.len())?;
    Some(f(args).await)
}

fn has_opt(opts: &Term, name: &str) -> bool {
    opts.as_list()
        .is_some_and(|l| l.iter().any(|o| o.is_atom(name)))
}

/// Answers a `SPAWN_REQUEST` from `conn`'s peer (see the module docs).
pub(crate) fn serve_spawn_request(inner: &Arc<NodeInner>, conn: &Arc<Conn>, ctrl: Control) {
    let Control::SpawnRequest {
        req_id,
        from,
        module,
        function,
        arity,
        opts,
        args,
        ..
    } = ctrl
    else {
        return;
    };
    let refuse = |why: &str| {
        tracing::info!(peer = %conn.name, %module, %function, arity, "refused spawn request: {why}");
        conn.send(&Control::SpawnReply {
            req_id,
            to: from,
            flags: 0,
            result: Term::atom("notsup"),
        });
    };
    let Some(arg_list) = args.as_list().map(<[Term]>::to_vec) else {
        return refuse("the argument list is not a proper list");
    };
    let is_execute_call =
        module.as_str() == "erpc" && function.as_str() == "execute_call" && arity == 4;
    let (func, call_args, result_ref) = if is_execute_call {
        let [rref, Term::Atom(m), Term::Atom(f), a] = arg_list.as_slice() else {
            return refuse("malformed erpc:execute_call/4 arguments");
        };
        let Some(a) = a.as_list() else {
            return refuse("the call's arguments are not a list");
        };
        match inner.rpc.get(m, f, a.len()) {
            Some(func) => (func, a.to_vec(), Some(rref.clone())),
            None => return refuse(&format!("{m}:{f}/{} is not registered", a.len())),
        }
    } else {
        match inner.rpc.get(&module, &function, arg_list.len()) {
            Some(func) if arg_list.len() == arity as usize => (func, arg_list, None),
            _ => return refuse("not registered"),
        }
    };
    let link = has_opt(&opts, "link");
    let monitor = has_opt(&opts, "monitor");
    let (gate_tx, gate_rx) = tokio::sync::oneshot::channel::<()>();
    let pid = inject::spawn_for_remote(from, link, monitor.then_some(req_id), async move {
        let _ = gate_rx.await;
        let outcome = func(call_args).await;
        let Some(r) = result_ref else {
            if let Err(e) = outcome {
                let reason = match e {
                    Exception::Error(t) | Exception::Exit(t) => t,
                    Exception::Throw(t) => Term::tuple([Term::atom("nocatch"), t]),
                };
                crate::exit_self(ExitReason::from_term(reason));
            }
            return;
        };
        let reason = match outcome {
            Ok(v) => Term::tuple([r, Term::atom("return"), v]),
            Err(Exception::Error(e)) => Term::tuple([r, Term::atom("error"), e, Term::nil()]),
            Err(Exception::Exit(e)) => Term::tuple([r, Term::atom("exit"), e]),
            Err(Exception::Throw(t)) => Term::tuple([r, Term::atom("throw"), t]),
        };
        crate::exit_self(ExitReason::Term(Arc::new(reason)));
    });
    {
        let mut rel = conn.rel();
        if link {
            rel.links.insert((pid, from), None);
        }
        if monitor {
            rel.monitors_in
                .insert(req_id, (pid, from, ProcRef::Pid(pid)));
        }
    }
    let flags = u32::from(link) | (u32::from(monitor) << 1);
    conn.send(&Control::SpawnReply {
        req_id,
        to: from,
        flags,
        result: Term::Pid(pid),
    });
    let _ = gate_tx.send(());
}

/// Why an [`call`] failed.
#[derive(Clone, Debug, PartialEq)]
pub enum ErpcError {
    /// The function raised `error(Reason)`; with its stack trace.
    Error(Term, Term),
    /// The function exited.
    Exit(Term),
    /// The function threw.
    Throw(Term),
    /// The node refused or could not spawn the call (`{erpc, Reason}`, e.g. `notsup`).
    Spawn(Term),
    /// The connection was lost or could not be made (`{erpc, noconnection}`).
    NoConnection,
    /// No result in time.
    Timeout,
    /// This node is not distributed.
    NotAlive,
}

impl fmt::Display for ErpcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErpcError::Error(r, _) => write!(f, "error: {r}"),
            ErpcError::Exit(r) => write!(f, "exit: {r}"),
            ErpcError::Throw(t) => write!(f, "throw: {t}"),
            ErpcError::Spawn(r) => write!(f, "{{erpc,{r}}}"),
            ErpcError::NoConnection => f.write_str("{erpc,noconnection}"),
            ErpcError::Timeout => f.write_str("{erpc,timeout}"),
            ErpcError::NotAlive => f.write_str("notalive"),
        }
    }
}

impl std::error::Error for ErpcError {}

/// `erpc:call(Node, Module, Function, Args, Timeout)`.
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
/// # let cfg_b = cfg("doc_call_b");
/// # let b = b_rt.block_on(async move { dist::start(cfg_b).await.unwrap() });
/// b.rpc().register_sync("math", "add", 2, |args| match (args[0].as_i64(), args[1].as_i64()) {
///     (Some(x), Some(y)) => Ok(Term::from(x + y)),
///     _ => Err(dist::Exception::Error(Term::atom("badarith"))),
/// });
/// # let b_addr = std::net::SocketAddr::from(([127, 0, 0, 1], b.port()));
/// tether::Runtime::new().unwrap().block_on(async move {
/// # let a = dist::start(cfg("doc_call_a").peer_address("doc_call_b@127.0.0.1", b_addr)).await.unwrap();
/// let b_node = tether::Node::intern("doc_call_b@127.0.0.1").unwrap();
/// let ok = erpc::call(b_node, "math", "add", vec![Term::from(40), Term::from(2)], Duration::from_secs(5)).await;
/// assert_eq!(ok.unwrap(), Term::from(42));
/// // The function's own error comes back as the exception it raised.
/// let bad = erpc::call(b_node, "math", "add", vec![Term::atom("x"), Term::from(1)], Duration::from_secs(5)).await;
/// assert!(matches!(bad, Err(erpc::ErpcError::Error(r, _)) if r == Term::atom("badarith")));
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
) -> Result<Term, ErpcError> {
    let inner = inner().ok_or(ErpcError::NotAlive)?;
    let me = crate::self_pid();
    let req_id = crate::make_ref();
    let res = Term::Ref(crate::make_ref());
    let request = Control::SpawnRequest {
        req_id,
        from: me,
        group_leader: me,
        module: Atom::new("erpc"),
        function: Atom::new("execute_call"),
        arity: 4,
        opts: Term::list([Term::atom("monitor")]),
        args: Term::list([
            res.clone(),
            Term::atom(module),
            Term::atom(function),
            Term::list(args),
        ]),
    };
    inner.route(node, request, true);
    let deadline = tokio::time::Instant::now() + timeout;
    let mut spawned: Option<Pid> = None;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let got = crate::receive_select_timeout(left, |m: &Message| {
            m.downcast_ref::<SpawnReply>()
                .is_some_and(|r| r.req_id == req_id)
                || m.downcast_ref::<Down>()
                    .is_some_and(|d| d.reference == req_id)
                || m.downcast_ref::<Term>().is_some_and(is_io_request)
        })
        .await;
        let Some(m) = got else {
            if let Some(p) = spawned {
                crate::exit(p, ExitReason::Kill);
            }
            if let Some(c) = inner.table.conn(node) {
                c.rel().spawn_monitors.remove(&req_id);
            }
            return Err(ErpcError::Timeout);
        };
        let m = match m.downcast::<SpawnReply>() {
            Ok(r) => match r.result.as_pid() {
                Some(p) => {
                    spawned = Some(p);
                    continue;
                }
                None => return Err(ErpcError::Spawn(r.result)),
            },
            Err(m) => m,
        };
        let m = match m.downcast::<Down>() {
            Ok(d) => return outcome(d.reason, &res),
            Err(m) => m,
        };
        if let Ok(t) = m.downcast::<Term>() {
            answer_io_request(&t);
        }
    }
}

/// `erlang:spawn(Node, Module, Function, Args)` through a spawn request: the new
/// process's pid. A Tether peer runs only registered functions; a BEAM peer runs
/// any. Link or monitor the pid afterwards as with any other.
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
/// # let cfg_b = cfg("doc_spawn_b");
/// # let b = b_rt.block_on(async move { dist::start(cfg_b).await.unwrap() });
/// b.rpc().register_sync("math", "add", 2, |args| match (args[0].as_i64(), args[1].as_i64()) {
///     (Some(x), Some(y)) => Ok(Term::from(x + y)),
///     _ => Err(dist::Exception::Error(Term::atom("badarith"))),
/// });
/// # let b_addr = std::net::SocketAddr::from(([127, 0, 0, 1], b.port()));
/// tether::Runtime::new().unwrap().block_on(async move {
/// # let a = dist::start(cfg("doc_spawn_a").peer_address("doc_spawn_b@127.0.0.1", b_addr)).await.unwrap();
/// let b_node = tether::Node::intern("doc_spawn_b@127.0.0.1").unwrap();
/// b.rpc().register("proc", "wait", 0, |_| async {
///     tether::sleep(Duration::from_secs(60)).await;
///     Ok(Term::atom("ok"))
/// });
/// let pid = erpc::spawn(b_node, "proc", "wait", vec![], Duration::from_secs(5)).await.unwrap();
/// assert_eq!(pid.node, b_node);
/// # a.stop().await;
/// });
/// # drop(b_rt);
/// ```
pub async fn spawn(
    node: Node,
    module: &str,
    function: &str,
    args: Vec<Term>,
    timeout: Duration,
) -> Result<Pid, ErpcError> {
    let inner = inner().ok_or(ErpcError::NotAlive)?;
    let me = crate::self_pid();
    let req_id = crate::make_ref();
    let request = Control::SpawnRequest {
        req_id,
        from: me,
        group_leader: me,
        module: Atom::new(module),
        function: Atom::new(function),
        arity: args.len() as u32,
        opts: Term::nil(),
        args: Term::list(args),
    };
    inner.route(node, request, true);
    let got = crate::receive_select_timeout(timeout, |m: &Message| {
        m.downcast_ref::<SpawnReply>()
            .is_some_and(|r| r.req_id == req_id)
            || m.downcast_ref::<Down>()
                .is_some_and(|d| d.reference == req_id)
    })
    .await
    .ok_or(ErpcError::Timeout)?;
    match got.downcast::<SpawnReply>() {
        Ok(r) => r.result.as_pid().ok_or(ErpcError::Spawn(r.result)),
        Err(_) => Err(ErpcError::NoConnection),
    }
}

fn outcome(reason: ExitReason, res: &Term) -> Result<Term, ErpcError> {
    if reason == ExitReason::Noconnection {
        return Err(ErpcError::NoConnection);
    }
    let t = reason.to_term();
    if let Some(items) = t.as_tuple()
        && items.first() == Some(res)
    {
        match items {
            [_, class, v] if class.is_atom("return") => return Ok(v.clone()),
            [_, class, v] if class.is_atom("throw") => return Err(ErpcError::Throw(v.clone())),
            [_, class, v] if class.is_atom("exit") => return Err(ErpcError::Exit(v.clone())),
            [_, class, v, stack] if class.is_atom("error") => {
                return Err(ErpcError::Error(v.clone(), stack.clone()));
            }
            [_, class, v] if class.is_atom("error") => {
                return Err(ErpcError::Error(v.clone(), Term::nil()));
            }
            _ => {}
        }
    }
    Err(ErpcError::Exit(t))
}

fn is_io_request(t: &Term) -> bool {
    matches!(t.as_tuple(), Some([tag, _, _, _]) if tag.is_atom("io_request"))
}

/// Answers an io request from a remote function whose group leader we are.
fn answer_io_request(t: &Term) {
    if let Some([_, Term::Pid(from), reply_as, req]) = t.as_tuple() {
        tracing::info!(request = %req, "io request from a remote call");
        let reply = Term::tuple([Term::atom("io_reply"), reply_as.clone(), Term::atom("ok")]);
        let _ = crate::send(*from, reply);
    }
}
