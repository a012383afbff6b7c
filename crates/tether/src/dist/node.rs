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
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::dist::{self, EpmdMode, NodeConfig};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// # let local = |name: &str| NodeConfig::new(format!("{name}@127.0.0.1")).cookie("doc")
    /// #     .listen("127.0.0.1".parse().unwrap()).epmd(EpmdMode::None);
    /// let node = dist::start(local("doc_new")).await.unwrap();
    /// assert_eq!(node.name().as_str(), "doc_new@127.0.0.1");
    /// assert_eq!(tether::Node::local().name().as_str(), "doc_new@127.0.0.1");
    /// node.stop().await;
    /// # });
    /// ```
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
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::dist::{self, EpmdMode, NodeConfig};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// # let local = |name: &str| NodeConfig::new(format!("{name}@127.0.0.1")).cookie("doc")
    /// #     .listen("127.0.0.1".parse().unwrap()).epmd(EpmdMode::None);
    /// // A full name with a dotted host is a long name.
    /// let node = dist::start(local("doc_long").long_names(true)).await.unwrap();
    /// assert_eq!(node.name().as_str(), "doc_long@127.0.0.1");
    /// node.stop().await;
    /// # });
    /// ```
    pub fn long_names(mut self, on: bool) -> Self {
        self.long_names = on;
        self
    }

    /// The node's cookie. Without one, `$HOME/.erlang.cookie` is read (as `erl`
    /// does; Tether never generates a cookie).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::dist::{self, EpmdMode, NodeConfig};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// # let local = |name: &str| NodeConfig::new(format!("{name}@127.0.0.1")).cookie("doc")
    /// #     .listen("127.0.0.1".parse().unwrap()).epmd(EpmdMode::None);
    /// let node = dist::start(local("doc_cookie").cookie("s3cret")).await.unwrap();
    /// assert_eq!(node.cookies().default().expose(), "s3cret");
    /// node.stop().await;
    /// # });
    /// ```
    pub fn cookie(mut self, cookie: impl Into<String>) -> Self {
        self.cookie = Some(cookie.into());
        self
    }

    /// Run as a visible node (`PUBLISHED`, the default).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::dist::{self, EpmdMode, NodeConfig};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// # let local = |name: &str| NodeConfig::new(format!("{name}@127.0.0.1")).cookie("doc")
    /// #     .listen("127.0.0.1".parse().unwrap()).epmd(EpmdMode::None);
    /// let cfg = local("doc_visible").hidden().visible();
    /// assert!(!cfg.is_hidden());
    /// # });
    /// ```
    pub fn visible(mut self) -> Self {
        self.hidden = false;
        self
    }

    /// Run as a hidden node (`-hidden`).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::dist::{self, EpmdMode, NodeConfig};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// # let local = |name: &str| NodeConfig::new(format!("{name}@127.0.0.1")).cookie("doc")
    /// #     .listen("127.0.0.1".parse().unwrap()).epmd(EpmdMode::None);
    /// let cfg = local("doc_hidden").hidden();
    /// assert!(cfg.is_hidden());
    /// # });
    /// ```
    pub fn hidden(mut self) -> Self {
        self.hidden = true;
        self
    }

    /// Whether the node will be hidden.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::dist::{self, EpmdMode, NodeConfig};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// # let local = |name: &str| NodeConfig::new(format!("{name}@127.0.0.1")).cookie("doc")
    /// #     .listen("127.0.0.1".parse().unwrap()).epmd(EpmdMode::None);
    /// assert!(!local("doc_is_hidden").is_hidden()); // visible by default
    /// # });
    /// ```
    pub fn is_hidden(&self) -> bool {
        self.hidden
    }

    /// The address the distribution listener binds (default all interfaces, as
    /// `erl`; use `127.0.0.1` to keep the node on this host).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::dist::{self, EpmdMode, NodeConfig};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// # let local = |name: &str| NodeConfig::new(format!("{name}@127.0.0.1")).cookie("doc")
    /// #     .listen("127.0.0.1".parse().unwrap()).epmd(EpmdMode::None);
    /// let node = dist::start(local("doc_listen").listen("127.0.0.1".parse().unwrap())).await.unwrap();
    /// // The listener is on loopback only.
    /// assert!(std::net::TcpStream::connect(("127.0.0.1", node.port())).is_ok());
    /// node.stop().await;
    /// # });
    /// ```
    pub fn listen(mut self, addr: IpAddr) -> Self {
        self.listen = addr;
        self
    }

    /// A fixed listen port.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::dist::{self, EpmdMode, NodeConfig};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// # let local = |name: &str| NodeConfig::new(format!("{name}@127.0.0.1")).cookie("doc")
    /// #     .listen("127.0.0.1".parse().unwrap()).epmd(EpmdMode::None);
    /// let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    /// let node = dist::start(local("doc_port").port(free)).await.unwrap();
    /// assert_eq!(node.port(), free);
    /// node.stop().await;
    /// # });
    /// ```
    pub fn port(mut self, port: u16) -> Self {
        self.ports = port..=port;
        self
    }

    /// A listen port range (`inet_dist_listen_min/max`).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::dist::{self, EpmdMode, NodeConfig};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// # let local = |name: &str| NodeConfig::new(format!("{name}@127.0.0.1")).cookie("doc")
    /// #     .listen("127.0.0.1".parse().unwrap()).epmd(EpmdMode::None);
    /// let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    /// let node = dist::start(local("doc_range").port_range(free..=free)).await.unwrap();
    /// assert_eq!(node.port(), free);
    /// node.stop().await;
    /// # });
    /// ```
    pub fn port_range(mut self, ports: RangeInclusive<u16>) -> Self {
        self.ports = ports;
        self
    }

    /// How the node registers and finds peers.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::dist::{self, EpmdMode, NodeConfig};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// # let local = |name: &str| NodeConfig::new(format!("{name}@127.0.0.1")).cookie("doc")
    /// #     .listen("127.0.0.1".parse().unwrap()).epmd(EpmdMode::None);
    /// // No EPMD at all: peers are found by their configured addresses.
    /// let node = dist::start(local("doc_epmd").epmd(EpmdMode::None)).await.unwrap();
    /// assert!(!node.serves_epmd());
    /// node.stop().await;
    /// # });
    /// ```
    pub fn epmd(mut self, mode: EpmdMode) -> Self {
        self.epmd = mode;
        self
    }

    /// The EPMD port (default `ERL_EPMD_PORT`, else 4369).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::dist::{self, EpmdMode, NodeConfig};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// # let local = |name: &str| NodeConfig::new(format!("{name}@127.0.0.1")).cookie("doc")
    /// #     .listen("127.0.0.1".parse().unwrap()).epmd(EpmdMode::None);
    /// // With an external EPMD that does not run, the start fails with a clear error.
    /// let cfg = local("doc_epmd_port").epmd(EpmdMode::External).epmd_port(1);
    /// assert!(dist::start(cfg).await.is_err());
    /// # });
    /// ```
    pub fn epmd_port(mut self, port: u16) -> Self {
        self.epmd_port = port;
        self
    }

    /// A fixed address for a peer (used before EPMD, and instead of it in
    /// [`EpmdMode::None`]).
    ///
    /// ```
    /// use tether::dist::{self, EpmdMode, NodeConfig, NodeKind};
    /// let local = |name: &str| NodeConfig::new(format!("{name}@127.0.0.1")).cookie("doc")
    ///     .listen("127.0.0.1".parse().unwrap()).epmd(EpmdMode::None);
    /// // Node B, in a runtime of its own, listens on a port of its choosing.
    /// let b_rt = tether::Runtime::new().unwrap();
    /// let b = b_rt.block_on(async move { dist::start(local("doc_peer_b")).await.unwrap() });
    /// let b_addr = std::net::SocketAddr::from(([127, 0, 0, 1], b.port()));
    /// // Node A is told where B listens: no EPMD needed.
    /// tether::Runtime::new().unwrap().block_on(async move {
    ///     let a = dist::start(local("doc_peer_a").peer_address("doc_peer_b@127.0.0.1", b_addr))
    ///         .await
    ///         .unwrap();
    ///     let b_node = tether::Node::intern("doc_peer_b@127.0.0.1").unwrap();
    ///     assert!(dist::connect_node(b_node).await);
    ///     assert_eq!(dist::nodes(NodeKind::Visible), [b_node]);
    ///     a.stop().await;
    /// });
    /// # drop(b_rt);
    /// ```
    pub fn peer_address(mut self, node: &str, addr: SocketAddr) -> Self {
        self.peers.insert(node.to_owned(), addr);
        self
    }

    /// `net_ticktime` (default 60 s).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::dist::{self, EpmdMode, NodeConfig};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// # let local = |name: &str| NodeConfig::new(format!("{name}@127.0.0.1")).cookie("doc")
    /// #     .listen("127.0.0.1".parse().unwrap()).epmd(EpmdMode::None);
    /// let node = dist::start(local("doc_tick").net_ticktime(Duration::from_secs(20))).await.unwrap();
    /// assert!(dist::DistNode::get().is_some());
    /// node.stop().await;
    /// # });
    /// ```
    pub fn net_ticktime(mut self, t: Duration) -> Self {
        self.net_ticktime = t;
        self
    }

    /// Bounds on terms decoded from peers (depth, size). A peer that exceeds them is
    /// disconnected.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::dist::{self, EpmdMode, NodeConfig};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// # let local = |name: &str| NodeConfig::new(format!("{name}@127.0.0.1")).cookie("doc")
    /// #     .listen("127.0.0.1".parse().unwrap()).epmd(EpmdMode::None);
    /// use tether::term::DecodeLimits;
    /// let limits = DecodeLimits { max_depth: 64, ..DecodeLimits::default() };
    /// let node = dist::start(local("doc_limits").decode_limits(limits)).await.unwrap();
    /// node.stop().await;
    /// assert!(dist::DistNode::get().is_none());
    /// # });
    /// ```
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
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::dist::{self, EpmdMode, NodeConfig};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// # let local = |name: &str| NodeConfig::new(format!("{name}@127.0.0.1")).cookie("doc")
    /// #     .listen("127.0.0.1".parse().unwrap()).epmd(EpmdMode::None);
    /// let node = dist::start(local("doc_frame").max_frame_len(1 << 20)).await.unwrap();
    /// assert!(node.port() > 0);
    /// node.stop().await;
    /// # });
    /// ```
    pub fn max_frame_len(mut self, len: u32) -> Self {
        self.max_frame_len = len;
        self
    }

    /// TLS distribution, as OTP's `inet_tls_dist` (see [`TlsConfig`] and the
    /// module docs of `dist::tls`): every connection, in and out, is TLS with
    /// certificates verified both ways against the CA; plain-TCP peers are refused.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::dist::{self, EpmdMode, NodeConfig};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// # let local = |name: &str| NodeConfig::new(format!("{name}@127.0.0.1")).cookie("doc")
    /// #     .listen("127.0.0.1".parse().unwrap()).epmd(EpmdMode::None);
    /// use tether::dist::TlsConfig;
    /// // The files are read at start: missing ones are a clear error, not a plain-TCP node.
    /// let tls = TlsConfig::new("/nonexistent/node.pem", "/nonexistent/node.key", "/nonexistent/ca.pem");
    /// let err = dist::start(local("doc_tls").tls(tls)).await.unwrap_err();
    /// assert!(err.to_string().contains("/nonexistent/"));
    /// assert!(dist::DistNode::get().is_none());
    /// # });
    /// ```
    pub fn tls(mut self, tls: TlsConfig) -> Self {
        self.tls = Some(tls);
        self
    }

    /// Most incoming connections from one IP address that may be in their setup
    /// (TLS and distribution handshakes) at once (default 8). One more is closed at
    /// once with a warning, so a peer that opens connections and sends nothing cannot
    /// hold the node's setup capacity; established connections do not count.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::dist::{self, EpmdMode, NodeConfig};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// # let local = |name: &str| NodeConfig::new(format!("{name}@127.0.0.1")).cookie("doc")
    /// #     .listen("127.0.0.1".parse().unwrap()).epmd(EpmdMode::None);
    /// use std::io::Read;
    /// let node = dist::start(local("doc_pending").max_pending_handshakes_per_address(1)).await.unwrap();
    /// let port = node.port();
    /// let closed_at_once = tether::otp::task::Task::spawn_async(async move {
    ///     // One silent connection holds the only setup slot ...
    ///     let _first = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    ///     std::thread::sleep(Duration::from_millis(100));
    ///     // ... so a second one from the same address is closed on arrival.
    ///     let mut second = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    ///     second.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    ///     matches!(second.read(&mut [0u8; 1]), Ok(0))
    /// });
    /// assert_eq!(closed_at_once.await_(Duration::from_secs(5)).await, Ok(true));
    /// node.stop().await;
    /// # });
    /// ```
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
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::dist::{self, EpmdMode, NodeConfig};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// # let local = |name: &str| NodeConfig::new(format!("{name}@127.0.0.1")).cookie("doc")
    /// #     .listen("127.0.0.1".parse().unwrap()).epmd(EpmdMode::None);
    /// use tether::dist::AllowList;
    /// let b_rt = std::thread::spawn(|| {
    ///     let rt = tether::Runtime::new().unwrap();
    ///     let cfg = NodeConfig::new("doc_allow_b@127.0.0.1").cookie("doc")
    ///         .listen("127.0.0.1".parse().unwrap()).epmd(EpmdMode::None);
    ///     let b = rt.block_on(async move { dist::start(cfg).await.unwrap() });
    ///     (rt, b.port())
    /// }).join().unwrap();
    /// let b_addr = std::net::SocketAddr::from(([127, 0, 0, 1], b_rt.1));
    /// // A only talks to nodes named `trusted@...`: B is refused.
    /// let cfg = local("doc_allow_a").peer_address("doc_allow_b@127.0.0.1", b_addr)
    ///     .allow(AllowList::new(["trusted@"]));
    /// let a = dist::start(cfg).await.unwrap();
    /// let b = tether::Node::intern("doc_allow_b@127.0.0.1").unwrap();
    /// assert!(!dist::connect_node(b).await);
    /// a.stop().await;
    /// # std::thread::spawn(move || drop(b_rt)).join().unwrap();
    /// # });
    /// ```
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
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::dist::{self, EpmdMode, NodeConfig};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// # let local = |name: &str| NodeConfig::new(format!("{name}@127.0.0.1")).cookie("doc")
    /// #     .listen("127.0.0.1".parse().unwrap()).epmd(EpmdMode::None);
    /// assert!(dist::DistNode::get().is_none()); // not a node yet
    /// let node = dist::start(local("doc_get")).await.unwrap();
    /// assert_eq!(dist::DistNode::get().unwrap().name(), node.name());
    /// node.stop().await;
    /// # });
    /// ```
    pub fn get() -> Option<DistNode> {
        inner().map(DistNode)
    }

    /// The node's full name.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::dist::{self, EpmdMode, NodeConfig};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// # let local = |name: &str| NodeConfig::new(format!("{name}@127.0.0.1")).cookie("doc")
    /// #     .listen("127.0.0.1".parse().unwrap()).epmd(EpmdMode::None);
    /// let node = dist::start(local("doc_name")).await.unwrap();
    /// assert_eq!(node.name().to_string(), "doc_name@127.0.0.1");
    /// node.stop().await;
    /// # });
    /// ```
    pub fn name(&self) -> &NodeName {
        &self.0.name
    }

    /// The node's creation.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::dist::{self, EpmdMode, NodeConfig};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// # let local = |name: &str| NodeConfig::new(format!("{name}@127.0.0.1")).cookie("doc")
    /// #     .listen("127.0.0.1".parse().unwrap()).epmd(EpmdMode::None);
    /// let node = dist::start(local("doc_creation")).await.unwrap();
    /// assert_ne!(node.creation(), 0); // 0 means "not distributed"
    /// assert_eq!(tether::Node::local_creation(), node.creation());
    /// node.stop().await;
    /// # });
    /// ```
    pub fn creation(&self) -> u32 {
        self.0.handshake.creation
    }

    /// The distribution listener's port.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::dist::{self, EpmdMode, NodeConfig};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// # let local = |name: &str| NodeConfig::new(format!("{name}@127.0.0.1")).cookie("doc")
    /// #     .listen("127.0.0.1".parse().unwrap()).epmd(EpmdMode::None);
    /// let node = dist::start(local("doc_port_get")).await.unwrap();
    /// assert!(std::net::TcpStream::connect(("127.0.0.1", node.port())).is_ok());
    /// node.stop().await;
    /// # });
    /// ```
    pub fn port(&self) -> u16 {
        self.0.port
    }

    /// The EPMD address the node registered with.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::dist::{self, EpmdMode, NodeConfig};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// # let local = |name: &str| NodeConfig::new(format!("{name}@127.0.0.1")).cookie("doc")
    /// #     .listen("127.0.0.1".parse().unwrap()).epmd(EpmdMode::None);
    /// // An embedded EPMD on a port of its own (a free one, for this example).
    /// let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    /// let node = dist::start(local("doc_epmd_addr").epmd(EpmdMode::Embedded).epmd_port(free)).await.unwrap();
    /// assert_eq!(node.epmd_addr().port(), free);
    /// assert!(node.serves_epmd());
    /// node.stop().await;
    /// # });
    /// ```
    pub fn epmd_addr(&self) -> SocketAddr {
        self.0.epmd_addr
    }

    /// Whether this process serves the EPMD the node uses.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::dist::{self, EpmdMode, NodeConfig};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// # let local = |name: &str| NodeConfig::new(format!("{name}@127.0.0.1")).cookie("doc")
    /// #     .listen("127.0.0.1".parse().unwrap()).epmd(EpmdMode::None);
    /// let node = dist::start(local("doc_serves")).await.unwrap();
    /// assert!(!node.serves_epmd()); // EpmdMode::None
    /// node.stop().await;
    /// # });
    /// ```
    pub fn serves_epmd(&self) -> bool {
        self.0
            .embedded_epmd
            .lock()
            .map(|e| e.is_some())
            .unwrap_or(false)
    }

    /// The cookies (set the node's own or per-peer ones, like `erlang:set_cookie/1,2`).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::dist::{self, EpmdMode, NodeConfig};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// # let local = |name: &str| NodeConfig::new(format!("{name}@127.0.0.1")).cookie("doc")
    /// #     .listen("127.0.0.1".parse().unwrap()).epmd(EpmdMode::None);
    /// use tether::dist::Cookie;
    /// let node = dist::start(local("doc_cookies")).await.unwrap();
    /// node.cookies().set_for("other@127.0.0.1", Cookie::new("theirs").unwrap());
    /// assert_eq!(node.cookies().for_node("other@127.0.0.1").expose(), "theirs");
    /// assert_eq!(node.cookies().for_node("third@127.0.0.1").expose(), "doc");
    /// node.stop().await;
    /// # });
    /// ```
    pub fn cookies(&self) -> &Cookies {
        &self.0.cookies
    }

    /// Reads the node's TLS certificate, key and CA files again (for rotation): new
    /// connections use them, established ones keep their sessions. An error leaves
    /// the previous identity in use; [`TlsError::NotConfigured`] if the node does not
    /// run TLS.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::dist::{self, EpmdMode, NodeConfig};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// # let local = |name: &str| NodeConfig::new(format!("{name}@127.0.0.1")).cookie("doc")
    /// #     .listen("127.0.0.1".parse().unwrap()).epmd(EpmdMode::None);
    /// use tether::dist::TlsError;
    /// let node = dist::start(local("doc_reload")).await.unwrap();
    /// assert!(matches!(node.reload_tls(), Err(TlsError::NotConfigured)));
    /// node.stop().await;
    /// # });
    /// ```
    pub fn reload_tls(&self) -> Result<(), TlsError> {
        match &self.0.tls {
            Some(tls) => tls.reload(),
            None => Err(TlsError::NotConfigured),
        }
    }

    /// Whether the node runs TLS distribution.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::dist::{self, EpmdMode, NodeConfig};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// # let local = |name: &str| NodeConfig::new(format!("{name}@127.0.0.1")).cookie("doc")
    /// #     .listen("127.0.0.1".parse().unwrap()).epmd(EpmdMode::None);
    /// let node = dist::start(local("doc_is_tls")).await.unwrap();
    /// assert!(!node.is_tls());
    /// node.stop().await;
    /// # });
    /// ```
    pub fn is_tls(&self) -> bool {
        self.0.tls.is_some()
    }

    /// The outgoing queue of the connection to `node`, if connected: bytes queued,
    /// whether it is busy, how often it was (see
    /// [`NodeConfig::dist_buffer_busy_limit`]).
    ///
    /// ```
    /// use tether::dist::{self, EpmdMode, NodeConfig};
    /// tether::Runtime::new().unwrap().block_on(async {
    ///     let cfg = NodeConfig::new("doc_queue@127.0.0.1").cookie("doc").epmd(EpmdMode::None);
    ///     let node = dist::start(cfg.listen("127.0.0.1".parse().unwrap())).await.unwrap();
    ///     let peer = tether::Node::intern("other@localhost").unwrap();
    ///     assert!(node.output_queue(peer).is_none()); // not connected
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
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::dist::{self, erpc, EpmdMode, NodeConfig};
    /// # use tether::Term;
    /// # let cfg = |name: &str| NodeConfig::new(format!("{name}@127.0.0.1")).cookie("doc")
    /// #     .listen("127.0.0.1".parse().unwrap()).epmd(EpmdMode::None);
    /// // Node B, in a runtime of its own, serves `math:add/2`.
    /// # let b_rt = tether::Runtime::new().unwrap();
    /// # let cfg_b = cfg("doc_noderpc_b");
    /// # let b = b_rt.block_on(async move { dist::start(cfg_b).await.unwrap() });
    /// b.rpc().register_sync("math", "add", 2, |args| match (args[0].as_i64(), args[1].as_i64()) {
    ///     (Some(x), Some(y)) => Ok(Term::from(x + y)),
    ///     _ => Err(dist::Exception::Error(Term::atom("badarith"))),
    /// });
    /// # let b_addr = std::net::SocketAddr::from(([127, 0, 0, 1], b.port()));
    /// tether::Runtime::new().unwrap().block_on(async move {
    /// # let a = dist::start(cfg("doc_noderpc_a").peer_address("doc_noderpc_b@127.0.0.1", b_addr)).await.unwrap();
    /// let b_node = tether::Node::intern("doc_noderpc_b@127.0.0.1").unwrap();
    /// // B's registry (`b.rpc()`) now serves math:add/2 to its peers.
    /// let sum = erpc::call(b_node, "math", "add", vec![Term::from(1), Term::from(2)], Duration::from_secs(5)).await;
    /// assert_eq!(sum.unwrap(), Term::from(3));
    /// # a.stop().await;
    /// });
    /// # drop(b_rt);
    /// ```
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
    /// ```
    /// use tether::dist::{self, EpmdMode, NodeConfig};
    /// tether::Runtime::new().unwrap().block_on(async {
    ///     let cfg = NodeConfig::new("doc_stopping@127.0.0.1").cookie("doc").epmd(EpmdMode::None);
    ///     let node = dist::start(cfg.listen("127.0.0.1".parse().unwrap())).await.unwrap();
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
///
/// ```
/// # use std::time::Duration;
/// # use tether::dist::{self, EpmdMode, NodeConfig};
/// # tether::Runtime::new().unwrap().block_on(async {
/// # let local = |name: &str| NodeConfig::new(format!("{name}@127.0.0.1")).cookie("doc")
/// #     .listen("127.0.0.1".parse().unwrap()).epmd(EpmdMode::None);
/// use tether::dist::NodeStartError;
/// let node = dist::start(local("doc_start")).await.unwrap();
/// assert_eq!(tether::self_pid().node.name().as_str(), "doc_start@127.0.0.1");
/// // One node per runtime.
/// assert!(matches!(dist::start(local("doc_again")).await, Err(NodeStartError::AlreadyStarted)));
/// node.stop().await;
/// # });
/// ```
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
