//! `global`: cluster-wide process names and locks, in OTP 25's own protocol, so that
//! Tether and BEAM nodes share one name table.
//!
//! Every node runs a `global_name_server` (started with the node, hidden or not); on
//! each visible nodeup the name servers of the two nodes join (version 8 of the
//! protocol: `init_connect`, the lockers, `exchange`, `resolved`, `new_nodes`; see
//! [`server`](self) module docs in `server.rs`), so a BEAM peer's `global:sync()`
//! returns promptly and names registered on either side are seen on both.
//!
//! | OTP | Tether |
//! |---|---|
//! | `global:register_name(Name, Pid[, Resolve])` | [`register_name`], [`register_name_with`] |
//! | `global:re_register_name/2,3` | [`re_register_name`], [`re_register_name_with`] |
//! | `global:unregister_name/1` | [`unregister_name`] |
//! | `global:whereis_name/1`, `registered_names/0`, `send/2` | [`whereis_name`], [`registered_names`], [`send`] |
//! | `global:set_lock/1,2,3`, `del_lock/1,2`, `trans/2,3,4` | [`set_lock`], [`del_lock`], [`trans`] |
//! | `global:sync/0,1` | [`sync`], [`sync_nodes`] |
//! | `{global, Name}` as a server name | [`Global`] (a [`Via`], like any registry) |
//!
//! Names are any terms. Registration is synchronous across the cluster: it runs under
//! the cluster-wide `global` lock, so a name is registered on every node or none. A
//! name is released everywhere when its owner exits or the owner's node goes down.
//! When two partitions that registered the same name meet, the name's resolve method
//! decides ([`Resolve`]; the default kills the pid on the node whose name sorts
//! higher, as OTP's `random_exit_name`).
//!
//! Reads ([`whereis_name`], [`registered_names`]) look at the local table and never
//! wait; everything else must run inside a process.
//!
//! Not implemented: global groups (`global_group`: Tether behaves as a node without
//! groups), `register_name_external`'s link bookkeeping (accepted as a plain
//! register), `global:info/0`, high-level tracing, and protocol versions before 8
//! beyond what OTP 25 itself still accepts on the wire.

mod locker;
mod multi;
mod registrar;
mod resolve;
pub(crate) mod server;
mod sync;
pub(crate) mod table;

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use tether_term::{Node, Pid, Term};
use tokio::sync::oneshot;

use crate::Via;
use crate::kernel::NameTerm;
use crate::{Message, SpawnOpts};
use registrar::Job;

/// The registered name of the name server.
pub(crate) const GNS: &str = "global_name_server";

/// The runtime's registrar process, once global runs (a runtime service).
#[derive(Default)]
struct Registrar(std::sync::Mutex<Option<Pid>>);

fn registrar_slot() -> std::sync::Arc<Registrar> {
    crate::runtime::state::service::<Registrar>()
}

pub(crate) fn node_atom(n: Node) -> Term {
    Term::Atom(n.name())
}

/// A node named by an atom from a peer (`None` for a non-atom or a bad name).
pub(crate) fn node_of_term(t: &Term) -> Option<Node> {
    let a = t.as_atom()?;
    if !a.contains('@') {
        return None;
    }
    Node::intern(a).ok()
}

/// Atom order of node names (`node() < Node`).
pub(crate) fn node_lt(a: Node, b: Node) -> bool {
    a.name().as_str() < b.name().as_str()
}

/// The greatest node (`lists:max/1`), which every lock is taken on first.
pub(crate) fn the_boss(nodes: &[Node]) -> Option<Node> {
    nodes
        .iter()
        .copied()
        .max_by(|a, b| a.name().as_str().cmp(b.name().as_str()))
}

/// Starts the name server linked to the caller (the kernel supervisor); the server
/// starts its locker and registrar linked to itself, as OTP's `global_name_server`
/// does, and dies with either.
pub(crate) fn start_link() -> Pid {
    let parent = crate::self_pid();
    let pid = SpawnOpts::new()
        .link()
        .name(GNS)
        .spawn(async move {
            let locker = crate::spawn_link(locker::run());
            let registrar = crate::spawn_link(registrar::run());
            *registrar_slot().0.lock().unwrap_or_else(|e| e.into_inner()) = Some(registrar);
            server::run(parent, locker, registrar).await
        })
        .pid;
    if let Some(n) = crate::dist::node::inner() {
        n.rpc
            .register_sync("global", "resolve_it", 4, |a| match (&a[2], &a[3]) {
                (Term::Pid(p1), Term::Pid(p2)) => Ok(resolve::resolve_it(&a[0], &a[1], *p1, *p2)),
                _ => Err(crate::dist::Exception::Error(Term::atom("function_clause"))),
            });
    }
    pid
}

/// How a name conflict is settled when partitions meet (OTP's predefined methods).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Resolve {
    /// Keep the pid on the node that sorts lower, kill the other (`random_exit_name`).
    #[default]
    RandomExit,
    /// Keep that one, send the other `{global_name_conflict, Name}`
    /// (`random_notify_name`).
    RandomNotify,
    /// Unregister the name; each pid gets `{global_name_conflict, Name, OtherPid}`
    /// (`notify_all_name`).
    NotifyAll,
}

impl Resolve {
    /// The method as it travels: `fun global:random_exit_name/3` and so on.
    ///
    /// ```
    /// use tether::kernel::global::Resolve;
    /// assert_eq!(Resolve::default(), Resolve::RandomExit);
    /// assert_eq!(Resolve::NotifyAll.to_term().to_string(), "fun global:notify_all_name/3");
    /// ```
    pub fn to_term(self) -> Term {
        let f = match self {
            Resolve::RandomExit => "random_exit_name",
            Resolve::RandomNotify => "random_notify_name",
            Resolve::NotifyAll => "notify_all_name",
        };
        Term::export("global", f, 3)
    }
}

fn registrar() -> Option<Pid> {
    *registrar_slot().0.lock().unwrap_or_else(|e| e.into_inner())
}

async fn job<T>(make: impl FnOnce(oneshot::Sender<T>) -> Job) -> Option<T> {
    let (tx, rx) = oneshot::channel();
    crate::send(registrar()?, make(tx)).ok()?;
    rx.await.ok()
}

/// `global:register_name(Name, Pid)`: `true` (`yes`) if the name was free everywhere
/// and `pid` had no global name; registered on every connected node.
///
/// Without a running node there is no name server and this returns `false`.
///
/// ```
/// # use tether::dist::{self, EpmdMode, NodeConfig};
/// # use tether::kernel::global;
/// # use tether::Term;
/// # tether::Runtime::new().unwrap().block_on(async {
/// # let cfg = NodeConfig::new("doc_gl_register@127.0.0.1").cookie("doc")
/// #     .listen("127.0.0.1".parse().unwrap()).epmd(EpmdMode::None);
/// # let node = dist::start(cfg).await.unwrap();
/// let me = tether::self_pid();
/// assert!(global::register_name("leader", me).await);
/// assert_eq!(global::whereis_name("leader"), Some(me));
/// // Taken: a second registration under the name fails.
/// let other = tether::spawn(std::future::pending());
/// assert!(!global::register_name("leader", other).await);
/// # node.stop().await;
/// # });
/// ```
pub async fn register_name(name: impl NameTerm, pid: Pid) -> bool {
    register_name_with(name, pid, Resolve::default()).await
}

/// [`register_name`] with a resolve method.
///
/// ```
/// # use tether::dist::{self, EpmdMode, NodeConfig};
/// # use tether::kernel::global;
/// # use tether::Term;
/// # tether::Runtime::new().unwrap().block_on(async {
/// # let cfg = NodeConfig::new("doc_gl_register_with@127.0.0.1").cookie("doc")
/// #     .listen("127.0.0.1".parse().unwrap()).epmd(EpmdMode::None);
/// # let node = dist::start(cfg).await.unwrap();
/// let me = tether::self_pid();
/// use tether::kernel::global::Resolve;
/// assert!(global::register_name_with("db", me, Resolve::NotifyAll).await);
/// assert_eq!(global::whereis_name("db"), Some(me));
/// # node.stop().await;
/// # });
/// ```
pub async fn register_name_with(name: impl NameTerm, pid: Pid, resolve: Resolve) -> bool {
    let (name, method) = (name.name_term(), resolve.to_term());
    job(|reply| Job::Register {
        name,
        pid,
        method,
        reply,
    })
    .await
    .unwrap_or(false)
}

/// `global:re_register_name(Name, Pid)`: registers even if the name is taken.
///
/// ```
/// # use tether::dist::{self, EpmdMode, NodeConfig};
/// # use tether::kernel::global;
/// # use tether::Term;
/// # tether::Runtime::new().unwrap().block_on(async {
/// # let cfg = NodeConfig::new("doc_gl_re_register@127.0.0.1").cookie("doc")
/// #     .listen("127.0.0.1".parse().unwrap()).epmd(EpmdMode::None);
/// # let node = dist::start(cfg).await.unwrap();
/// let me = tether::self_pid();
/// let old = tether::spawn(std::future::pending());
/// assert!(global::register_name("primary", old).await);
/// assert!(global::re_register_name("primary", me).await);
/// assert_eq!(global::whereis_name("primary"), Some(me));
/// # node.stop().await;
/// # });
/// ```
pub async fn re_register_name(name: impl NameTerm, pid: Pid) -> bool {
    re_register_name_with(name, pid, Resolve::default()).await
}

/// [`re_register_name`] with a resolve method.
///
/// ```
/// # use tether::dist::{self, EpmdMode, NodeConfig};
/// # use tether::kernel::global;
/// # use tether::Term;
/// # tether::Runtime::new().unwrap().block_on(async {
/// # let cfg = NodeConfig::new("doc_gl_re_register_with@127.0.0.1").cookie("doc")
/// #     .listen("127.0.0.1".parse().unwrap()).epmd(EpmdMode::None);
/// # let node = dist::start(cfg).await.unwrap();
/// let me = tether::self_pid();
/// use tether::kernel::global::Resolve;
/// assert!(global::re_register_name_with("svc", me, Resolve::RandomNotify).await);
/// assert_eq!(global::whereis_name("svc"), Some(me));
/// # node.stop().await;
/// # });
/// ```
pub async fn re_register_name_with(name: impl NameTerm, pid: Pid, resolve: Resolve) -> bool {
    let (name, method) = (name.name_term(), resolve.to_term());
    job(|reply| Job::ReRegister {
        name,
        pid,
        method,
        reply,
    })
    .await
    .unwrap_or(false)
}

/// `global:unregister_name(Name)`.
///
/// ```
/// # use tether::dist::{self, EpmdMode, NodeConfig};
/// # use tether::kernel::global;
/// # use tether::Term;
/// # tether::Runtime::new().unwrap().block_on(async {
/// # let cfg = NodeConfig::new("doc_gl_unregister@127.0.0.1").cookie("doc")
/// #     .listen("127.0.0.1".parse().unwrap()).epmd(EpmdMode::None);
/// # let node = dist::start(cfg).await.unwrap();
/// let me = tether::self_pid();
/// assert!(global::register_name("temp", me).await);
/// global::unregister_name("temp").await;
/// assert_eq!(global::whereis_name("temp"), None);
/// # node.stop().await;
/// # });
/// ```
pub async fn unregister_name(name: impl NameTerm) {
    let name = name.name_term();
    if whereis_name(&name).is_none() && table::read(|t| t.name(&name).is_none()) {
        return;
    }
    job(|reply| Job::Unregister { name, reply }).await;
}

/// `global:whereis_name(Name)`: a local read, never waits.
///
/// ```
/// # use tether::dist::{self, EpmdMode, NodeConfig};
/// # use tether::kernel::global;
/// # use tether::Term;
/// # tether::Runtime::new().unwrap().block_on(async {
/// # let cfg = NodeConfig::new("doc_gl_whereis@127.0.0.1").cookie("doc")
/// #     .listen("127.0.0.1".parse().unwrap()).epmd(EpmdMode::None);
/// # let node = dist::start(cfg).await.unwrap();
/// let me = tether::self_pid();
/// assert_eq!(global::whereis_name("cache"), None);
/// let cache = tether::spawn(std::future::pending());
/// global::register_name("cache", cache).await;
/// assert_eq!(global::whereis_name("cache"), Some(cache));
/// // Names are terms: a string is an atom, so Elixir's {:global, :cache} finds it too.
/// assert_eq!(global::whereis_name(Term::atom("cache")), Some(cache));
/// # node.stop().await;
/// # });
/// ```
pub fn whereis_name(name: impl NameTerm) -> Option<Pid> {
    let name = name.name_term();
    let pid = table::read(|t| t.name(&name).map(|e| e.pid))?;
    if pid.node.is_local() && !crate::is_alive(pid) {
        return None;
    }
    Some(pid)
}

/// `global:registered_names()`.
///
/// ```
/// # use tether::dist::{self, EpmdMode, NodeConfig};
/// # use tether::kernel::global;
/// # use tether::Term;
/// # tether::Runtime::new().unwrap().block_on(async {
/// # let cfg = NodeConfig::new("doc_gl_registered@127.0.0.1").cookie("doc")
/// #     .listen("127.0.0.1".parse().unwrap()).epmd(EpmdMode::None);
/// # let node = dist::start(cfg).await.unwrap();
/// let me = tether::self_pid();
/// global::register_name("a", me).await;
/// assert_eq!(global::registered_names(), [Term::atom("a")]);
/// # node.stop().await;
/// # });
/// ```
pub fn registered_names() -> Vec<Term> {
    table::read(|t| t.names())
}

/// `global:send(Name, Msg)`: the pid the message went to, or the message back if the
/// name is not registered (where Erlang exits with `{badarg, {Name, Msg}}`).
///
/// ```
/// # use tether::dist::{self, EpmdMode, NodeConfig};
/// # use tether::kernel::global;
/// # use tether::Term;
/// # tether::Runtime::new().unwrap().block_on(async {
/// # let cfg = NodeConfig::new("doc_gl_send@127.0.0.1").cookie("doc")
/// #     .listen("127.0.0.1".parse().unwrap()).epmd(EpmdMode::None);
/// # let node = dist::start(cfg).await.unwrap();
/// let me = tether::self_pid();
/// global::register_name("inbox", me).await;
/// assert_eq!(global::send("inbox", Term::atom("hello")), Ok(me));
/// assert_eq!(tether::receive::<Term>().await, Term::atom("hello"));
/// assert_eq!(global::send("nobody", Term::atom("lost")), Err(Term::atom("lost")));
/// # node.stop().await;
/// # });
/// ```
pub fn send(name: impl NameTerm, msg: Term) -> Result<Pid, Term> {
    match whereis_name(name) {
        Some(p) => {
            let _ = crate::send(p, msg);
            Ok(p)
        }
        None => Err(msg),
    }
}

/// A lock id: `{ResourceId, LockRequesterId}`. Holders that use the same requester id
/// share the lock; another requester id is kept out until every holder released it.
#[derive(Clone, Debug, PartialEq)]
pub struct LockId {
    /// The resource.
    pub resource: Term,
    /// Who asks (often the caller's pid).
    pub requester: Term,
}

impl LockId {
    /// `{Resource, Requester}`.
    ///
    /// ```
    /// use tether::{kernel::global::LockId, Term};
    /// let id = LockId::new(Term::atom("accounts"), Term::atom("batch_job"));
    /// assert_eq!(id.resource, Term::atom("accounts"));
    /// assert_eq!(id.requester, Term::atom("batch_job"));
    /// ```
    pub fn new(resource: impl Into<Term>, requester: impl Into<Term>) -> LockId {
        LockId {
            resource: resource.into(),
            requester: requester.into(),
        }
    }

    fn to_term(&self) -> Term {
        Term::tuple([self.resource.clone(), self.requester.clone()])
    }
}

fn default_nodes(nodes: Option<&[Node]>) -> Vec<Node> {
    match nodes {
        Some(n) => n.to_vec(),
        None => {
            let mut v = vec![Node::local()];
            v.extend(crate::dist::nodes(crate::dist::NodeKind::Visible));
            v
        }
    }
}

/// `global:set_lock(Id, Nodes, Retries)`: takes the lock on `nodes` (default: this
/// node and every visible one) for the calling process, retrying with back-off
/// (`retries` `None` = forever). Released by [`del_lock`] or when the caller exits.
///
/// ```
/// # use tether::dist::{self, EpmdMode, NodeConfig};
/// # use tether::kernel::global;
/// # use tether::Term;
/// # tether::Runtime::new().unwrap().block_on(async {
/// # let cfg = NodeConfig::new("doc_gl_set_lock@127.0.0.1").cookie("doc")
/// #     .listen("127.0.0.1".parse().unwrap()).epmd(EpmdMode::None);
/// # let node = dist::start(cfg).await.unwrap();
/// let me = tether::self_pid();
/// use tether::kernel::global::LockId;
/// let id = LockId::new(Term::atom("table"), Term::Pid(me));
/// assert!(global::set_lock(&id, None, Some(0)).await);
/// // Another requester is kept out while we hold it.
/// let other = tether::spawn(async move {
///     let theirs = LockId::new(Term::atom("table"), Term::atom("other"));
///     let got = global::set_lock(&theirs, None, Some(0)).await;
///     tether::send(me, got).unwrap();
/// });
/// # let _ = other;
/// assert!(!tether::receive::<bool>().await);
/// global::del_lock(&id, None).await;
/// # node.stop().await;
/// # });
/// ```
pub async fn set_lock(id: &LockId, nodes: Option<&[Node]>, retries: Option<u32>) -> bool {
    let nodes = default_nodes(nodes);
    multi::set_lock(&id.to_term(), &nodes, retries).await
}

/// `global:del_lock(Id, Nodes)`.
///
/// ```
/// # use tether::dist::{self, EpmdMode, NodeConfig};
/// # use tether::kernel::global;
/// # use tether::Term;
/// # tether::Runtime::new().unwrap().block_on(async {
/// # let cfg = NodeConfig::new("doc_gl_del_lock@127.0.0.1").cookie("doc")
/// #     .listen("127.0.0.1".parse().unwrap()).epmd(EpmdMode::None);
/// # let node = dist::start(cfg).await.unwrap();
/// let me = tether::self_pid();
/// use tether::kernel::global::LockId;
/// let id = LockId::new(Term::atom("res"), Term::Pid(me));
/// assert!(global::set_lock(&id, None, Some(0)).await);
/// global::del_lock(&id, None).await;
/// // Free again for anyone.
/// let theirs = LockId::new(Term::atom("res"), Term::atom("someone_else"));
/// assert!(global::set_lock(&theirs, None, Some(0)).await);
/// # node.stop().await;
/// # });
/// ```
pub async fn del_lock(id: &LockId, nodes: Option<&[Node]>) {
    let nodes = default_nodes(nodes);
    multi::del_lock(&id.to_term(), &nodes).await;
}

/// `global:trans(Id, Fun, Nodes, Retries)`: runs `f` holding the lock; `None`
/// (`aborted`) if the lock could not be taken.
///
/// ```
/// # use tether::dist::{self, EpmdMode, NodeConfig};
/// # use tether::kernel::global;
/// # use tether::Term;
/// # tether::Runtime::new().unwrap().block_on(async {
/// # let cfg = NodeConfig::new("doc_gl_trans@127.0.0.1").cookie("doc")
/// #     .listen("127.0.0.1".parse().unwrap()).epmd(EpmdMode::None);
/// # let node = dist::start(cfg).await.unwrap();
/// let me = tether::self_pid();
/// use tether::kernel::global::LockId;
/// let id = LockId::new(Term::atom("counter"), Term::Pid(me));
/// let r = global::trans(&id, None, Some(0), || async { 40 + 2 }).await;
/// assert_eq!(r, Some(42));
/// # node.stop().await;
/// # });
/// ```
pub async fn trans<T, F, Fut>(
    id: &LockId,
    nodes: Option<&[Node]>,
    retries: Option<u32>,
    f: F,
) -> Option<T>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = T>,
{
    let nodes = default_nodes(nodes);
    let t = id.to_term();
    if !multi::set_lock(&t, &nodes, retries).await {
        return None;
    }
    let r = f().await;
    multi::del_lock(&t, &nodes).await;
    Some(r)
}

/// `global:sync()`: waits until every visible node has joined this node's name server.
///
/// ```
/// # use tether::dist::{self, EpmdMode, NodeConfig};
/// # use tether::kernel::global;
/// # use tether::Term;
/// # tether::Runtime::new().unwrap().block_on(async {
/// # let cfg = NodeConfig::new("doc_gl_sync@127.0.0.1").cookie("doc")
/// #     .listen("127.0.0.1".parse().unwrap()).epmd(EpmdMode::None);
/// # let node = dist::start(cfg).await.unwrap();
/// let me = tether::self_pid();
/// global::sync().await; // no other nodes: returns at once
/// assert!(global::register_name("ready", me).await);
/// # node.stop().await;
/// # });
/// ```
pub async fn sync() {
    sync_nodes(&crate::dist::nodes(crate::dist::NodeKind::Visible)).await
}

/// `global:sync(Nodes)`.
///
/// ```
/// # use tether::dist::{self, EpmdMode, NodeConfig};
/// # use tether::kernel::global;
/// # use tether::Term;
/// # tether::Runtime::new().unwrap().block_on(async {
/// # let cfg = NodeConfig::new("doc_gl_sync_nodes@127.0.0.1").cookie("doc")
/// #     .listen("127.0.0.1".parse().unwrap()).epmd(EpmdMode::None);
/// # let node = dist::start(cfg).await.unwrap();
/// let me = tether::self_pid();
/// global::sync_nodes(&[]).await;
/// assert!(global::registered_names().is_empty());
/// # node.stop().await;
/// # });
/// ```
pub async fn sync_nodes(nodes: &[Node]) {
    let (tx, rx) = oneshot::channel();
    let msg = server::GnsMsg::Sync {
        nodes: nodes.to_vec(),
        reply: tx,
    };
    if crate::send(GNS, msg).is_ok() {
        let _ = rx.await;
    }
}

/// `{global, Name}` as a gen_server name: start a server under a global name, call or
/// cast it from any node.
///
/// ```no_run
/// # async fn demo() {
/// use tether::kernel::global::Global;
/// use tether::Dest;
/// use tether::otp::gen_server::StartOpts;
/// // Elixir: GenServer.call({:global, :counter}, req)
/// let opts = StartOpts::new().via(Global::new("counter"));
/// let r = Dest::via(Global::new("counter"));
/// assert_eq!(Global::new("counter").0, tether::Term::atom("counter"));
/// # let _ = (opts, r);
/// # }
/// ```
#[derive(Clone, PartialEq)]
pub struct Global(pub Term);

impl Global {
    /// The global name `name`: a string is an atom, as Erlang and Elixir name things
    /// (`Global::new("counter")` is Elixir's `{:global, :counter}`); see [`NameTerm`].
    ///
    /// ```
    /// use tether::{kernel::global::Global, Term};
    /// assert_eq!(Global::new("counter").0, Term::atom("counter"));
    /// assert_eq!(format!("{:?}", Global::new("counter")), "{global, counter}");
    /// ```
    pub fn new(name: impl NameTerm) -> Global {
        Global(name.name_term())
    }
}

impl fmt::Debug for Global {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{global, {}}}", self.0)
    }
}

impl Via for Global {
    /// Blocks the calling thread until the cluster answers; servers started with
    /// `StartOpts::via` use [`Via::register_name_async`] instead.
    fn register_name(&self, pid: Pid) -> bool {
        let (tx, rx) = oneshot::channel();
        let Some(r) = registrar() else { return false };
        let job = Job::Register {
            name: self.0.clone(),
            pid,
            method: Resolve::default().to_term(),
            reply: tx,
        };
        if crate::send(r, job).is_err() {
            return false;
        }
        match tokio::runtime::Handle::try_current() {
            Ok(h) => tokio::task::block_in_place(|| h.block_on(rx)).unwrap_or(false),
            Err(_) => rx.blocking_recv().unwrap_or(false),
        }
    }

    fn register_name_async(&self, pid: Pid) -> Pin<Box<dyn Future<Output = bool> + Send + '_>> {
        Box::pin(register_name(self.0.clone(), pid))
    }

    fn unregister_name(&self) {
        let (tx, _rx) = oneshot::channel();
        if let Some(r) = registrar() {
            let _ = crate::send(
                r,
                Job::Unregister {
                    name: self.0.clone(),
                    reply: tx,
                },
            );
        }
    }

    fn whereis_name(&self) -> Option<Pid> {
        whereis_name(&self.0)
    }

    fn send(&self, msg: Message) -> Result<Pid, Message> {
        match whereis_name(&self.0) {
            Some(p) => {
                let _ = crate::send_message(p, msg);
                Ok(p)
            }
            None => Err(msg),
        }
    }

    fn to_term(&self) -> Term {
        Term::tuple([Term::atom("global"), self.0.clone()])
    }
}
