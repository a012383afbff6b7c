//! Starting a distributed node: name, cookie, listener, EPMD.
//!
//! [`NodeConfig`] says who the node is and how it is found; [`start`] makes the
//! running Tether runtime a node:
//!
//! 1. bind the distribution listener (an address and a port range; 0 = any port);
//! 2. register with EPMD as [`EpmdMode`] says, which gives the node's *creation*
//!    (its incarnation number, stamped into every pid and reference it sends);
//! 3. rename the local node (`Node::set_local`): pids already spawned take the name;
//! 4. install the distribution layer into the process layer (the `RemoteSignals`
//!    trait), so send, link, monitor and exit reach remote pids through the same API;
//! 5. start the kernel (`kernel_sup` and its services, see [`crate::kernel`]):
//!    `net_kernel` (answers `net_adm:ping`), `rex` (answers `rpc`),
//!    `global_name_server` (speaks `global`) and the `pg` scope; then accept
//!    connections.
//!
//! [`DistNode::stop`] undoes all of it.
//!
//! Each Tether runtime is at most one node (its state lives in the runtime, see
//! `runtime::state`); [`start`] fails if the runtime already is one. Two runtimes in
//! one OS process can be two nodes, which connect to each other over loopback as two
//! OS processes do.
//!
//! **Visible by default.** The node speaks `global` (see [`crate::kernel::global`]):
//! on each visible connection its `global_name_server` joins the peer's, so BEAM
//! peers' `global:sync/0` returns promptly (a visible node that does not speak
//! `global` stalls it for as long as it stays connected, docs/distribution.md §6.4) and
//! the two share one name table; `pg` scopes likewise discover each other.
//! [`NodeConfig::hidden`] opts out: BEAM peers then list the node in
//! `nodes(hidden)`, `global` and `pg` do not sync with it, and nothing else changes.
//!
//! **EPMD.** By default ([`EpmdMode::Embedded`]) the node uses the EPMD listening on
//! `127.0.0.1:ERL_EPMD_PORT` (4369 unless the variable says otherwise, as for `erl`;
//! on the listen address instead when the node listens on one address) or, when none
//! listens, serves EPMD itself in-process, so one command runs a node on a bare
//! machine. The embedded EPMD listens where the node listens (all interfaces by
//! default, as the `epmd` daemon does), so nodes on other hosts can look this one up.
//! Other nodes on the host may register with it; their registrations end with this
//! OS process, as with a real epmd that exits.

use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::ops::RangeInclusive;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use tether_term::{DecodeLimits, Node};
use tokio::net::TcpListener;

use super::cookie::{Cookie, Cookies};
use super::epmd::{self, EpmdClient, EpmdHandle, EpmdServer, NodeInfo};
use super::framing::FramingConfig;
use super::handshake::{AllowList, HandshakeConfig, PacketLen};
use super::limits::{ConnectionRate, LimitHits, RateLimiter};
use super::node_monitor::NodeMonitors;
use super::node_name::{NodeName, NodeNameError};
use super::remote::PeerTable;
use super::tls::{Tls, TlsConfig, TlsError};
use super::{erpc, host, remote, router};

/// How the node is found by others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EpmdMode {
    /// Use the EPMD on this host; start one in-process if none listens (default).
    Embedded,
    /// Use the EPMD on this host; fail if none listens.
    External,
    /// Do not register (the node only connects out, like a command-line client), but
    /// find peers through the EPMD on their host.
    Lookup,
    /// No EPMD: listen on the fixed port of [`NodeConfig::port`] and find peers
    /// through [`NodeConfig::peer_address`], else at that same port on their host
    /// (`-erl_epmd_port` semantics).
    None,
}

/// Everything a node needs to start.
///
/// ```
/// use tether::dist::{EpmdMode, NodeConfig};
/// let cfg = NodeConfig::new("demo").cookie("secret").epmd(EpmdMode::External);
/// assert!(!cfg.is_hidden());
/// ```
#[derive(Clone)]
pub struct NodeConfig {
    pub(crate) name: String,
    pub(crate) long_names: bool,
    pub(crate) cookie: Option<String>,
    pub(crate) hidden: bool,
    pub(crate) listen: IpAddr,
    pub(crate) ports: RangeInclusive<u16>,
    pub(crate) epmd: EpmdMode,
    pub(crate) epmd_port: u16,
    pub(crate) peers: HashMap<String, SocketAddr>,
    pub(crate) net_ticktime: Duration,
    pub(crate) limits: DecodeLimits,
    pub(crate) allow: Option<AllowList>,
    pub(crate) max_frame_len: u32,
    pub(crate) tls: Option<TlsConfig>,
    pub(crate) max_pending_per_address: usize,
    pub(crate) busy_limit: usize,
    pub(crate) connection_rate: ConnectionRate,
}

impl NodeConfig {
    /// A node named `name`: `alive` (the host is added: the short host name, or the
    /// full one with [`NodeConfig::long_names`]) or a full `alive@host`.
    pub fn new(name: impl Into<String>) -> NodeConfig {
        NodeConfig {
            name: name.into(),
            long_names: false,
            cookie: None,
            hidden: false,
            listen: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            ports: 0..=0,
            epmd: EpmdMode::Embedded,
            epmd_port: epmd::epmd_port(),
            peers: HashMap::new(),
            net_ticktime: Duration::from_secs(60),
            limits: DecodeLimits::default(),
            allow: None,
            max_frame_len: 128 << 20,
            tls: None,
            max_pending_per_address: 8,
            busy_limit: super::framing::DEFAULT_BUSY_LIMIT,
            connection_rate: ConnectionRate::default(),
        }
    }

    /// Use long names (`-name`): the host part is the fully qualified host name.
    pub fn long_names(mut self, on: bool) -> Self {
        self.long_names = on;
        self
    }

    /// The node's cookie. Without one, `$HOME/.erlang.cookie` is read (as `erl`
    /// does; Tether never generates a cookie).
    pub fn cookie(mut self, cookie: impl Into<String>) -> Self {
        self.cookie = Some(cookie.into());
        self
    }

    /// Run as a visible node (`PUBLISHED`, the default).
    pub fn visible(mut self) -> Self {
        self.hidden = false;
        self
    }

    /// Run as a hidden node (`-hidden`).
    pub fn hidden(mut self) -> Self {
        self.hidden = true;
        self
    }

    /// Whether the node will be hidden.
    pub fn is_hidden(&self) -> bool {
        self.hidden
    }

    /// The address the distribution listener binds (default all interfaces, as
    /// `erl`; use `127.0.0.1` to keep the node on this host).
    pub fn listen(mut self, addr: IpAddr) -> Self {
        self.listen = addr;
        self
    }

    /// A fixed listen port.
    pub fn port(mut self, port: u16) -> Self {
        self.ports = port..=port;
        self
    }

    /// A listen port range (`inet_dist_listen_min/max`).
    pub fn port_range(mut self, ports: RangeInclusive<u16>) -> Self {
        self.ports = ports;
        self
    }

    /// How the node registers and finds peers.
    pub fn epmd(mut self, mode: EpmdMode) -> Self {
        self.epmd = mode;
        self
    }

    /// The EPMD port (default `ERL_EPMD_PORT`, else 4369).
    pub fn epmd_port(mut self, port: u16) -> Self {
        self.epmd_port = port;
        self
    }

    /// A fixed address for a peer (used before EPMD, and instead of it in
    /// [`EpmdMode::None`]).
    pub fn peer_address(mut self, node: &str, addr: SocketAddr) -> Self {
        self.peers.insert(node.to_owned(), addr);
        self
    }

    /// `net_ticktime` (default 60 s).
    pub fn net_ticktime(mut self, t: Duration) -> Self {
        self.net_ticktime = t;
        self
    }

    /// Bounds on terms decoded from peers (depth, size). A peer that exceeds them is
    /// disconnected.
    pub fn decode_limits(mut self, limits: DecodeLimits) -> Self {
        self.limits = limits;
        self
    }

    /// The distribution buffer busy limit, as `erl +zdbbl` (in bytes here; default
    /// 1 MiB, erts' default): when a connection has this many bytes queued for its
    /// peer, it is *busy*, and a process that sends to it is suspended at its next
    /// await until the queue has drained below half the limit or the connection is
    /// gone (docs/distribution.md §3.4). A fast sender to a slow or stopped peer thus
    /// cannot grow memory without bound.
    ///
    /// ```
    /// use tether::dist::NodeConfig;
    /// let cfg = NodeConfig::new("app").dist_buffer_busy_limit(4 << 20);
    /// # let _ = cfg;
    /// ```
    pub fn dist_buffer_busy_limit(mut self, bytes: usize) -> Self {
        self.busy_limit = bytes;
        self
    }

    /// Largest frame accepted from a peer (default 128 MiB).
    pub fn max_frame_len(mut self, len: u32) -> Self {
        self.max_frame_len = len;
        self
    }

    /// TLS distribution, as OTP's `inet_tls_dist` (see [`TlsConfig`] and the
    /// module docs of `dist::tls`): every connection, in and out, is TLS with
    /// certificates verified both ways against the CA; plain-TCP peers are refused.
    pub fn tls(mut self, tls: TlsConfig) -> Self {
        self.tls = Some(tls);
        self
    }

    /// Most incoming connections from one IP address that may be in their setup
    /// (TLS and distribution handshakes) at once (default 8). One more is closed at
    /// once with a warning, so a peer that opens connections and sends nothing cannot
    /// hold the node's setup capacity; established connections do not count.
    pub fn max_pending_handshakes_per_address(mut self, n: usize) -> Self {
        self.max_pending_per_address = n.max(1);
        self
    }

    /// How many new incoming connections one IP address may open: a burst, then a
    /// steady rate (default [`ConnectionRate::default`]: 32 at once, then 8 a
    /// second). A connection over the rate is closed as soon as it is accepted, with
    /// a warning and a count in `tether_dist_limit_hits_total{limit="connection_rate"}`;
    /// other addresses and established connections are not affected.
    ///
    /// ```
    /// use tether::dist::{ConnectionRate, NodeConfig};
    /// let cfg = NodeConfig::new("demo").connection_rate_per_address(ConnectionRate::new(4, 1.0));
    /// # let _ = cfg;
    /// ```
    pub fn connection_rate_per_address(mut self, rate: ConnectionRate) -> Self {
        self.connection_rate = rate;
        self
    }

    /// Only these peers may connect (`net_kernel:allow/1`).
    pub fn allow(mut self, allow: AllowList) -> Self {
        self.allow = Some(allow);
        self
    }
}

impl fmt::Debug for NodeConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NodeConfig")
            .field("name", &self.name)
            .field("hidden", &self.hidden)
            .field("listen", &self.listen)
            .field("ports", &self.ports)
            .field("epmd", &self.epmd)
            .field("epmd_port", &self.epmd_port)
            .finish_non_exhaustive()
    }
}

/// Why a node could not start: the error of [`start`](crate::dist::start()).
///
/// One of Tether's three start errors, named by what failed to start:
/// [`NodeStartError`] (a distributed node),
/// [`SupervisorStartError`](crate::otp::supervisor::SupervisorStartError) (a supervisor)
/// and [`ServerStartError`](crate::otp::gen_server::ServerStartError) (a gen_server).
///
/// ```
/// use tether::dist::NodeStartError;
/// use tether::dist::host::NameError;
/// let e = NodeStartError::BadName(NameError::Empty);
/// assert_eq!(e.to_string(), "bad node name: empty node name");
/// assert!(std::error::Error::source(&e).is_some());
/// ```
#[derive(Debug)]
pub enum NodeStartError {
    /// This runtime already is a node.
    AlreadyStarted,
    /// No full node name could be made from the configured name
    /// ([`host::full_name`]).
    BadName(host::NameError),
    /// The full node name is not a valid `name@host`.
    InvalidName(NodeNameError),
    /// The configured cookie is empty.
    EmptyCookie,
    /// No cookie was configured and none could be read from the cookie file
    /// ([`host::read_cookie_file`]).
    NoCookie(host::CookieFileError),
    /// The listener could not be bound.
    Listen(std::io::Error),
    /// EPMD refused or could not be reached.
    Epmd(epmd::EpmdError),
    /// The embedded EPMD could not start.
    EmbeddedEpmd(std::io::Error),
    /// The kernel services could not start.
    Kernel(crate::ExitReason),
    /// The TLS identity could not be loaded.
    Tls(TlsError),
}

/// The exit reason of a process whose node could not start: the kernel's own
/// reason, or `{node_start_failed, Description}` (a binary) for the other causes.
///
/// ```
/// use tether::ExitReason;
/// use tether::dist::NodeStartError;
/// let r = ExitReason::from(NodeStartError::EmptyCookie);
/// assert_eq!(r.to_term().to_string(), r#"{node_start_failed,<<"no cookie: the given cookie is empty">>}"#);
/// ```
impl From<NodeStartError> for crate::ExitReason {
    fn from(e: NodeStartError) -> crate::ExitReason {
        match e {
            NodeStartError::Kernel(r) => r,
            e => crate::ExitReason::from_term(tether_term::Term::tuple([
                tether_term::Term::atom("node_start_failed"),
                tether_term::Term::from(e.to_string().as_str()),
            ])),
        }
    }
}

impl fmt::Display for NodeStartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NodeStartError::AlreadyStarted => f.write_str("this runtime already runs a node"),
            NodeStartError::BadName(e) => write!(f, "bad node name: {e}"),
            NodeStartError::InvalidName(e) => write!(f, "bad node name: {e}"),
            NodeStartError::EmptyCookie => f.write_str("no cookie: the given cookie is empty"),
            NodeStartError::NoCookie(e) => write!(f, "no cookie: {e}"),
            NodeStartError::Listen(e) => write!(f, "cannot listen for distribution: {e}"),
            NodeStartError::Epmd(e) => write!(f, "{e}"),
            NodeStartError::EmbeddedEpmd(e) => write!(f, "cannot start the embedded epmd: {e}"),
            NodeStartError::Kernel(r) => write!(f, "the kernel services did not start: {r}"),
            NodeStartError::Tls(e) => write!(f, "TLS: {e}"),
        }
    }
}

impl std::error::Error for NodeStartError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            NodeStartError::BadName(e) => Some(e),
            NodeStartError::InvalidName(e) => Some(e),
            NodeStartError::NoCookie(e) => Some(e),
            NodeStartError::Listen(e) | NodeStartError::EmbeddedEpmd(e) => Some(e),
            NodeStartError::Epmd(e) => Some(e),
            NodeStartError::Tls(e) => Some(e),
            NodeStartError::AlreadyStarted
            | NodeStartError::EmptyCookie
            | NodeStartError::Kernel(_) => None,
        }
    }
}

/// The running node's shared state.
pub(crate) struct NodeInner {
    pub name: NodeName,
    /// TLS distribution, when configured.
    pub tls: Option<Tls>,
    pub handshake: HandshakeConfig,
    pub framing: FramingConfig,
    pub limits: DecodeLimits,
    pub cookies: Arc<Cookies>,
    pub epmd_addr: SocketAddr,
    pub epmd_mode: EpmdMode,
    pub port: u16,
    pub peers_static: HashMap<String, SocketAddr>,
    pub table: PeerTable,
    pub monitors: NodeMonitors,
    pub rpc: erpc::Registry,
    pub next_unlink_id: AtomicU64,
    pub embedded_epmd: Mutex<Option<EpmdHandle>>,
    /// The node's own tasks (accepting, holding the EPMD registration), ended by
    /// [`DistNode::stop`].
    pub tasks: Mutex<Vec<tokio::task::AbortHandle>>,
    /// The kernel's keeper (the kernel supervisor's parent).
    pub kernel: Mutex<Option<tether_term::Pid>>,
    /// How often peers hit each limit (`dist::limits`).
    pub limit_hits: LimitHits,
    /// Most connections in setup at once from one IP address.
    pub max_pending_per_address: usize,
    /// New connections per IP address.
    pub connection_rate: RateLimiter,
}

/// The runtime's node while it is distributed (a runtime service).
#[derive(Default)]
pub(crate) struct NodeSlot(RwLock<Option<Arc<NodeInner>>>);

/// The running node of this thread's runtime, if any (`None` outside a runtime).
pub(crate) fn inner() -> Option<Arc<NodeInner>> {
    crate::runtime::context::try_with(|rt| {
        rt.service::<NodeSlot>()
            .0
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    })
    .flatten()
}

/// A connection's outgoing queue ([`DistNode::output_queue`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputQueue {
    /// Bytes of whole frames queued for the peer and not yet written to the socket.
    pub queued_bytes: usize,
    /// Whether the connection is busy (`queued_bytes` reached the limit): processes
    /// that send to it are suspended.
    pub busy: bool,
    /// How many times the connection became busy.
    pub stalls: u64,
    /// The busy limit, in bytes.
    pub limit: usize,
    /// Bytes of large messages still to be sent in fragments. They do not make the
    /// connection busy for others; a process that queues one while this is at the
    /// limit is suspended until it has drained.
    pub streaming_bytes: usize,
}

/// A handle on the running node. Cheap to clone.
#[derive(Clone)]
pub struct DistNode(pub(crate) Arc<NodeInner>);

impl fmt::Debug for DistNode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DistNode({})", self.0.name)
    }
}

impl DistNode {
    /// The running node of this runtime (started with [`start`]), if any.
    pub fn get() -> Option<DistNode> {
        inner().map(DistNode)
    }

    /// The node's full name.
    pub fn name(&self) -> &NodeName {
        &self.0.name
    }

    /// The node's creation.
    pub fn creation(&self) -> u32 {
        self.0.handshake.creation
    }

    /// The distribution listener's port.
    pub fn port(&self) -> u16 {
        self.0.port
    }

    /// The EPMD address the node registered with.
    pub fn epmd_addr(&self) -> SocketAddr {
        self.0.epmd_addr
    }

    /// Whether this process serves the EPMD the node uses.
    pub fn serves_epmd(&self) -> bool {
        self.0
            .embedded_epmd
            .lock()
            .map(|e| e.is_some())
            .unwrap_or(false)
    }

    /// The cookies (set the node's own or per-peer ones, like `erlang:set_cookie/1,2`).
    pub fn cookies(&self) -> &Cookies {
        &self.0.cookies
    }

    /// Reads the node's TLS certificate, key and CA files again (for rotation): new
    /// connections use them, established ones keep their sessions. An error leaves
    /// the previous identity in use; [`TlsError::NotConfigured`] if the node does not
    /// run TLS.
    pub fn reload_tls(&self) -> Result<(), TlsError> {
        match &self.0.tls {
            Some(tls) => tls.reload(),
            None => Err(TlsError::NotConfigured),
        }
    }

    /// Whether the node runs TLS distribution.
    pub fn is_tls(&self) -> bool {
        self.0.tls.is_some()
    }

    /// The outgoing queue of the connection to `node`, if connected: bytes queued,
    /// whether it is busy, how often it was (see
    /// [`NodeConfig::dist_buffer_busy_limit`]).
    ///
    /// ```no_run
    /// use tether::dist::{self, NodeConfig};
    /// tether::Runtime::new().unwrap().block_on(async {
    ///     let node = dist::start(NodeConfig::new("q")).await.unwrap();
    ///     let peer = tether::Node::intern("other@localhost").unwrap();
    ///     if let Some(q) = node.output_queue(peer) {
    ///         println!("{} bytes queued, busy: {}, {} stalls", q.queued_bytes, q.busy, q.stalls);
    ///     }
    /// });
    /// ```
    pub fn output_queue(&self, node: Node) -> Option<OutputQueue> {
        let conn = self.0.table.conn(node.canonical())?;
        let (b, large) = conn.queues();
        Some(OutputQueue {
            queued_bytes: b.queued(),
            busy: b.is_busy(),
            stalls: b.stalls(),
            limit: b.limit(),
            streaming_bytes: large.queued(),
        })
    }

    /// The rpc/erpc function registry (see [`erpc::Registry`]).
    pub fn rpc(&self) -> &erpc::Registry {
        &self.0.rpc
    }

    /// Stops the node, as `net_kernel:stop/0` and `init:stop/0` do for its part:
    /// the kernel services shut down in reverse start order, every connection
    /// closes (peers see `nodedown` at once, and links and monitors across them
    /// fire with `noconnection`), the node leaves EPMD and stops accepting, and the
    /// runtime goes on as the undistributed `nonode@nohost`. A node can be started
    /// again afterwards, under the same name or another.
    ///
    /// Dropping the [`Runtime`](crate::Runtime) stops its node the same way.
    /// Returns once the kernel is down and the connections are told to close.
    ///
    /// ```no_run
    /// use tether::dist::{self, NodeConfig};
    /// tether::Runtime::new().unwrap().block_on(async {
    ///     let node = dist::start(NodeConfig::new("stopping")).await.unwrap();
    ///     node.stop().await;
    ///     assert!(dist::DistNode::get().is_none());
    ///     assert_eq!(tether::Node::local().name().as_str(), "nonode@nohost");
    /// });
    /// ```
    ///
    /// # Panics
    ///
    /// Outside a process of the node's runtime.
    pub async fn stop(&self) {
        let inner = &self.0;
        // Only the first caller stops it.
        {
            let slot = crate::runtime::state::service::<NodeSlot>();
            let mut slot = slot.0.write().unwrap_or_else(|e| e.into_inner());
            if !slot.as_ref().is_some_and(|n| Arc::ptr_eq(n, inner)) {
                return;
            }
            *slot = None;
        }
        let kernel = lock(&inner.kernel).take();
        // The kernel's keeper stops the node itself when the kernel gave up.
        if let Some(keeper) = kernel.filter(|k| Some(*k) != crate::try_self_pid()) {
            crate::kernel::stop(keeper).await;
        }
        undo_start(inner);
        for conn in inner.table.conns() {
            conn.stop();
        }
        tracing::info!(node = %inner.name, "node stopped");
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Undoes what `start` did to the runtime: its tasks, the distribution hook and the
/// local node's name.
fn undo_start(inner: &NodeInner) {
    for task in lock(&inner.tasks).drain(..) {
        task.abort();
    }
    crate::process::route::install_remote(None);
    let slot = crate::runtime::state::service::<NodeSlot>();
    let mut slot = slot.0.write().unwrap_or_else(|e| e.into_inner());
    if slot
        .as_ref()
        .is_some_and(|n| std::ptr::eq(Arc::as_ptr(n), inner))
    {
        *slot = None;
    }
    drop(slot);
    Node::set_local("nonode@nohost", 0);
}

/// Makes this Tether runtime a distributed node (see the module docs).
///
/// Must be called inside a Tether runtime.
pub async fn start(config: NodeConfig) -> Result<DistNode, NodeStartError> {
    if inner().is_some() {
        return Err(NodeStartError::AlreadyStarted);
    }
    let full = host::full_name(&config.name, config.long_names).map_err(NodeStartError::BadName)?;
    let name = NodeName::parse(&full).map_err(NodeStartError::InvalidName)?;
    let cookie = match &config.cookie {
        Some(c) => Cookie::new(c.clone()).ok_or(NodeStartError::EmptyCookie)?,
        None => host::read_cookie_file().map_err(NodeStartError::NoCookie)?,
    };
    let tls = match &config.tls {
        Some(files) => Some(Tls::load(files.clone()).map_err(NodeStartError::Tls)?),
        None => None,
    };
    let listener = bind(&config).await.map_err(NodeStartError::Listen)?;
    let port = listener
        .local_addr()
        .map_err(NodeStartError::Listen)?
        .port();
    // The EPMD this node registers with: on loopback, or on the one address the node
    // listens on. One served in-process listens where the node does (all interfaces
    // by default, as the `epmd` daemon), so that peers on other hosts can look the
    // node up, as they do for a BEAM node.
    let local_only = config.listen.is_unspecified() || config.listen.is_loopback();
    let epmd_addr = if local_only {
        SocketAddr::from((Ipv4Addr::LOCALHOST, config.epmd_port))
    } else {
        SocketAddr::new(config.listen, config.epmd_port)
    };
    let epmd_bind = SocketAddr::new(config.listen, config.epmd_port);
    let mut embedded = None;
    let mut tasks = Vec::new();
    let creation = match config.epmd.clone() {
        EpmdMode::None | EpmdMode::Lookup => loop {
            let c = getrandom::u32().unwrap_or(1);
            if c != 0 {
                break c;
            }
        },
        mode => {
            if mode == EpmdMode::Embedded {
                embedded = EpmdServer::ensure_running_at(epmd_addr, epmd_bind)
                    .await
                    .map_err(NodeStartError::EmbeddedEpmd)?;
                if embedded.is_some() {
                    tracing::info!(%epmd_addr, "no epmd was listening: serving epmd in-process");
                }
            }
            let client = EpmdClient::new(epmd_addr);
            let reg = client
                .register(&NodeInfo::new(name.alive(), port))
                .await
                .map_err(NodeStartError::Epmd)?;
            let creation = reg.creation();
            let who = name.clone();
            let holder = tokio::spawn(async move {
                let mut reg = reg;
                reg.closed().await;
                crate::runtime::logger::report_error!(node = %who, "the epmd registration was lost; peers cannot look this node up");
            });
            tasks.push(holder.abort_handle());
            creation
        }
    };
    let cookies = Arc::new(Cookies::new(cookie));
    let mut handshake = HandshakeConfig::new(name.clone(), creation, cookies.clone());
    handshake.is_hidden = config.hidden;
    handshake.allow = config.allow.clone();
    if tls.is_some() {
        // Inside TLS the handshake's packets have 4-byte lengths (inet_tls_dist).
        handshake.packet_len = PacketLen::Four;
    }
    let framing = FramingConfig {
        net_ticktime: config.net_ticktime,
        max_frame_len: config.max_frame_len,
        busy_limit: config.busy_limit,
        ..FramingConfig::default()
    };
    let inner = Arc::new(NodeInner {
        name: name.clone(),
        tls,
        handshake,
        framing,
        limits: config.limits,
        cookies,
        epmd_addr,
        epmd_mode: config.epmd.clone(),
        port,
        peers_static: config.peers.clone(),
        table: PeerTable::default(),
        monitors: NodeMonitors::default(),
        rpc: {
            let rpc = erpc::Registry::default();
            crate::kernel::rex::register_builtins(&rpc);
            rpc
        },
        next_unlink_id: AtomicU64::new(1),
        embedded_epmd: Mutex::new(embedded),
        tasks: Mutex::new(tasks),
        kernel: Mutex::new(None),
        limit_hits: LimitHits::default(),
        max_pending_per_address: config.max_pending_per_address,
        connection_rate: RateLimiter::new(config.connection_rate),
    });
    {
        let slot = crate::runtime::state::service::<NodeSlot>();
        let mut slot = slot.0.write().unwrap_or_else(|e| e.into_inner());
        if slot.is_some() {
            return Err(NodeStartError::AlreadyStarted);
        }
        *slot = Some(inner.clone());
    }
    Node::set_local(name.as_str(), creation);
    crate::process::route::install_remote(Some(Arc::new(router::Router(inner.clone()))));
    // The kernel runs before we accept: peers' init_connect must find global.
    match crate::kernel::start().await {
        Ok(sup) => *lock(&inner.kernel) = Some(sup),
        Err(reason) => {
            undo_start(&inner);
            return Err(NodeStartError::Kernel(reason));
        }
    }
    let acceptor = tokio::spawn(remote::accept_loop(inner.clone(), listener));
    lock(&inner.tasks).push(acceptor.abort_handle());
    tracing::info!(node = %name, port, creation, hidden = config.hidden, "node started");
    Ok(DistNode(inner))
}

async fn bind(config: &NodeConfig) -> std::io::Result<TcpListener> {
    let (lo, hi) = (*config.ports.start(), *config.ports.end());
    let mut last = None;
    for p in lo..=hi.max(lo) {
        match TcpListener::bind((config.listen, p)).await {
            Ok(l) => return Ok(l),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("empty port range")))
}
