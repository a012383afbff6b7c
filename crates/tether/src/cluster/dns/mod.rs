//! Discovery through DNS: [`DnsPoll`] (A records, libcluster's
//! `Cluster.Strategy.DNSPoll` and `Cluster.Strategy.Kubernetes.DNS`) and [`DnsSrv`]
//! (SRV records, `Cluster.Strategy.Kubernetes.DNSSRV`).
//!
//! A Kubernetes headless service answers an A query with one address per ready
//! pod, so every pod runs a node `basename@IP` (long names); a StatefulSet's
//! service answers an SRV query with one target per pod,
//! `pod-N.service.namespace.svc.cluster.local`, and the nodes are
//! `basename@target`.
//!
//! Queries go over UDP to one [`Resolver`]: the first `nameserver` of
//! `/etc/resolv.conf` by default, or any address (tests point it at a server they
//! run). The client is small on purpose (one question, A and SRV answers, no
//! caching, no TCP fallback): discovery asks the same question every few seconds,
//! and a reply that is late, truncated or malformed is logged by the discovery
//! service and asked again at the next poll.

#[cfg(feature = "wire")]
#[doc(hidden)]
pub mod wire;
#[cfg(not(feature = "wire"))]
mod wire;

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use tokio::net::UdpSocket;

use super::strategy::{Discovered, Strategy, StrategyError};
use crate::dist::NodeName;
use wire::{Record, TYPE_A, TYPE_SRV, WireError};

/// Why a DNS query failed.
///
/// ```
/// use tether::cluster::DnsError;
/// assert_eq!(DnsError::Timeout.to_string(), "no DNS reply in time");
/// ```
#[derive(Debug)]
pub enum DnsError {
    /// The socket failed.
    Io(std::io::Error),
    /// No reply came within the resolver's timeout.
    Timeout,
    /// The reply could not be used (malformed, truncated, an error code), or the
    /// query name is invalid.
    Reply(String),
}

impl fmt::Display for DnsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DnsError::Io(e) => write!(f, "DNS i/o error: {e}"),
            DnsError::Timeout => f.write_str("no DNS reply in time"),
            DnsError::Reply(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for DnsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DnsError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<WireError> for DnsError {
    fn from(e: WireError) -> DnsError {
        DnsError::Reply(e.to_string())
    }
}

/// The DNS server discovery asks.
///
/// ```
/// use std::time::Duration;
/// use tether::cluster::Resolver;
/// let r = Resolver::new("127.0.0.1:5353".parse().unwrap()).timeout(Duration::from_secs(1));
/// assert_eq!(r.server().port(), 5353);
/// ```
#[derive(Debug, Clone)]
pub struct Resolver {
    server: SocketAddr,
    timeout: Duration,
}

impl Resolver {
    /// A resolver that asks `server`, with a 5 s timeout.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::cluster::*;
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// // A DNS server that never answers: a bound UDP socket nobody reads.
    /// let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// let resolver = Resolver::new(silent.local_addr().unwrap()).timeout(Duration::from_millis(50));
    /// assert_eq!(resolver.server(), silent.local_addr().unwrap());
    /// assert!(matches!(resolver.lookup_a("app.local").await, Err(DnsError::Timeout)));
    /// # });
    /// ```
    pub fn new(server: SocketAddr) -> Resolver {
        Resolver {
            server,
            timeout: Duration::from_secs(5),
        }
    }

    /// The first `nameserver` of `/etc/resolv.conf`, port 53 (`127.0.0.1` if there
    /// is none, as the C library does).
    ///
    /// ```
    /// # use tether::cluster::Resolver;
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let system = Resolver::system();
    /// assert_eq!(system.server().port(), 53);
    /// # });
    /// ```
    pub fn system() -> Resolver {
        let conf = std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
        let ip = conf
            .lines()
            .filter_map(|l| l.trim().strip_prefix("nameserver"))
            .filter_map(|ip| ip.trim().parse::<IpAddr>().ok())
            .next()
            .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
        Resolver::new(SocketAddr::new(ip, 53))
    }

    /// How long a query waits for its reply.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::cluster::*;
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// // A DNS server that never answers: a bound UDP socket nobody reads.
    /// let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// let resolver = Resolver::new(silent.local_addr().unwrap()).timeout(Duration::from_millis(50));
    /// let started = std::time::Instant::now();
    /// assert!(matches!(resolver.lookup_srv("_x._tcp.local").await, Err(DnsError::Timeout)));
    /// assert!(started.elapsed() < Duration::from_secs(5)); // gave up after the timeout, not 5 s
    /// # });
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Resolver {
        self.timeout = timeout;
        self
    }

    /// The server's address.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::cluster::*;
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// // A DNS server that never answers: a bound UDP socket nobody reads.
    /// let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// let resolver = Resolver::new(silent.local_addr().unwrap()).timeout(Duration::from_millis(50));
    /// assert_eq!(resolver.server().ip().to_string(), "127.0.0.1");
    /// # });
    /// ```
    pub fn server(&self) -> SocketAddr {
        self.server
    }

    async fn query(&self, name: &str, qtype: u16) -> Result<Vec<Record>, DnsError> {
        let id = getrandom::u32().unwrap_or(0x5eed) as u16;
        let query = wire::encode_query(id, name, qtype)?;
        let local: SocketAddr = if self.server.is_ipv4() {
            (Ipv4Addr::UNSPECIFIED, 0).into()
        } else {
            (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
        };
        let sock = UdpSocket::bind(local).await.map_err(DnsError::Io)?;
        sock.connect(self.server).await.map_err(DnsError::Io)?;
        sock.send(&query).await.map_err(DnsError::Io)?;
        let mut buf = vec![0u8; 4096];
        let wait = async {
            loop {
                let n = sock.recv(&mut buf).await.map_err(DnsError::Io)?;
                // A stray datagram (an old reply) is not ours: keep waiting.
                if wire::reply_id(&buf[..n]) == Some(id) {
                    return wire::parse_reply(&buf[..n], qtype).map_err(DnsError::from);
                }
            }
        };
        tokio::time::timeout(self.timeout, wait)
            .await
            .map_err(|_| DnsError::Timeout)?
    }

    /// The IPv4 addresses of `name` (its A records).
    ///
    /// ```no_run
    /// // no_run: asks the system's DNS server.
    /// # async fn demo() -> Result<(), tether::cluster::DnsError> {
    /// let ips = tether::cluster::Resolver::system().lookup_a("app.default.svc.cluster.local").await?;
    /// # let _ = ips; Ok(()) }
    /// ```
    pub async fn lookup_a(&self, name: &str) -> Result<Vec<Ipv4Addr>, DnsError> {
        let records = self.query(name, TYPE_A).await?;
        Ok(records
            .into_iter()
            .filter_map(|r| match r {
                Record::A(ip) => Some(ip),
                Record::Srv { .. } => None,
            })
            .collect())
    }

    /// The targets of `name`'s SRV records, as `(host, port)`.
    ///
    /// ```no_run
    /// // no_run: asks the system's DNS server.
    /// # async fn demo() -> Result<(), tether::cluster::DnsError> {
    /// let targets = tether::cluster::Resolver::system()
    ///     .lookup_srv("_erlang._tcp.app.default.svc.cluster.local")
    ///     .await?;
    /// # let _ = targets; Ok(()) }
    /// ```
    pub async fn lookup_srv(&self, name: &str) -> Result<Vec<(String, u16)>, DnsError> {
        let records = self.query(name, TYPE_SRV).await?;
        Ok(records
            .into_iter()
            .filter_map(|r| match r {
                Record::Srv { target, port, .. } => Some((target, port)),
                Record::A(_) => None,
            })
            .collect())
    }
}

/// `basename@IP` for each A record of a name (libcluster's DNSPoll; a Kubernetes
/// headless service). The nodes run with long names, their host part an IP.
///
/// ```
/// use tether::cluster::{DnsPoll, Resolver};
/// let s = DnsPoll::new("app", "app-headless.default.svc.cluster.local")
///     .resolver(Resolver::new("127.0.0.1:5353".parse().unwrap()));
/// assert_eq!(s.query(), "app-headless.default.svc.cluster.local");
/// ```
#[derive(Debug, Clone)]
pub struct DnsPoll {
    basename: String,
    query: String,
    resolver: Resolver,
}

impl DnsPoll {
    /// Nodes `basename@IP` for the A records of `query`, asked of
    /// [`Resolver::system`].
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::cluster::*;
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// // A DNS server that never answers: a bound UDP socket nobody reads.
    /// let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// let resolver = Resolver::new(silent.local_addr().unwrap()).timeout(Duration::from_millis(50));
    /// let s = DnsPoll::new("app", "app.svc.local").resolver(resolver);
    /// assert_eq!(s.describe(), "dns:app@app.svc.local");
    /// assert!(matches!(s.discover().await, Err(StrategyError::Dns(DnsError::Timeout))));
    /// # });
    /// ```
    pub fn new(basename: impl Into<String>, query: impl Into<String>) -> DnsPoll {
        DnsPoll {
            basename: basename.into(),
            query: query.into(),
            resolver: Resolver::system(),
        }
    }

    /// Asks this resolver instead.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::cluster::*;
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// // A DNS server that never answers: a bound UDP socket nobody reads.
    /// let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// let resolver = Resolver::new(silent.local_addr().unwrap()).timeout(Duration::from_millis(50));
    /// let s = DnsPoll::new("app", "app.svc.local").resolver(resolver);
    /// // The strategy asks the given server, which does not answer.
    /// assert!(s.discover().await.is_err());
    /// # });
    /// ```
    pub fn resolver(mut self, resolver: Resolver) -> DnsPoll {
        self.resolver = resolver;
        self
    }

    /// The name asked.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::cluster::*;
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// // A DNS server that never answers: a bound UDP socket nobody reads.
    /// let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// let resolver = Resolver::new(silent.local_addr().unwrap()).timeout(Duration::from_millis(50));
    /// assert_eq!(DnsPoll::new("app", "app.svc.local").resolver(resolver).query(), "app.svc.local");
    /// # });
    /// ```
    pub fn query(&self) -> &str {
        &self.query
    }
}

impl Strategy for DnsPoll {
    fn discover(&self) -> Discovered<'_> {
        Box::pin(async move {
            let ips = self.resolver.lookup_a(&self.query).await?;
            Ok(names(
                &self.basename,
                ips.into_iter().map(|ip| ip.to_string()),
            ))
        })
    }

    fn describe(&self) -> String {
        format!("dns:{}@{}", self.basename, self.query)
    }
}

/// `basename@target` for each SRV record of a name (libcluster's
/// `Kubernetes.DNSSRV`; a StatefulSet's service, e.g.
/// `_erlang._tcp.app.default.svc.cluster.local`).
///
/// ```
/// use tether::cluster::DnsSrv;
/// let s = DnsSrv::new("app", "_erlang._tcp.app.default.svc.cluster.local");
/// assert_eq!(s.query(), "_erlang._tcp.app.default.svc.cluster.local");
/// ```
#[derive(Debug, Clone)]
pub struct DnsSrv {
    basename: String,
    query: String,
    resolver: Resolver,
}

impl DnsSrv {
    /// Nodes `basename@target` for the SRV records of `query`, asked of
    /// [`Resolver::system`].
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::cluster::*;
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// // A DNS server that never answers: a bound UDP socket nobody reads.
    /// let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// let resolver = Resolver::new(silent.local_addr().unwrap()).timeout(Duration::from_millis(50));
    /// let s = DnsSrv::new("app", "_erlang._tcp.app.local").resolver(resolver);
    /// assert_eq!(s.describe(), "dns-srv:app@_erlang._tcp.app.local");
    /// assert!(matches!(s.discover().await, Err(StrategyError::Dns(DnsError::Timeout))));
    /// # });
    /// ```
    pub fn new(basename: impl Into<String>, query: impl Into<String>) -> DnsSrv {
        DnsSrv {
            basename: basename.into(),
            query: query.into(),
            resolver: Resolver::system(),
        }
    }

    /// Asks this resolver instead.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::cluster::*;
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// // A DNS server that never answers: a bound UDP socket nobody reads.
    /// let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// let resolver = Resolver::new(silent.local_addr().unwrap()).timeout(Duration::from_millis(50));
    /// let s = DnsSrv::new("app", "_erlang._tcp.app.local").resolver(resolver);
    /// assert!(s.discover().await.is_err());
    /// # });
    /// ```
    pub fn resolver(mut self, resolver: Resolver) -> DnsSrv {
        self.resolver = resolver;
        self
    }

    /// The name asked.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::cluster::*;
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// // A DNS server that never answers: a bound UDP socket nobody reads.
    /// let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// let resolver = Resolver::new(silent.local_addr().unwrap()).timeout(Duration::from_millis(50));
    /// let s = DnsSrv::new("app", "_erlang._tcp.app.local").resolver(resolver);
    /// assert_eq!(s.query(), "_erlang._tcp.app.local");
    /// # });
    /// ```
    pub fn query(&self) -> &str {
        &self.query
    }
}

impl Strategy for DnsSrv {
    fn discover(&self) -> Discovered<'_> {
        Box::pin(async move {
            let targets = self.resolver.lookup_srv(&self.query).await?;
            Ok(names(&self.basename, targets.into_iter().map(|(t, _)| t)))
        })
    }

    fn describe(&self) -> String {
        format!("dns-srv:{}@{}", self.basename, self.query)
    }
}

/// `basename@host` for each host that makes a valid node name; others are logged.
fn names(basename: &str, hosts: impl Iterator<Item = String>) -> Vec<NodeName> {
    hosts
        .filter_map(|h| {
            let full = format!("{basename}@{h}");
            NodeName::parse(&full)
                .inspect_err(
                    |e| crate::runtime::logger::report_warn!(name = %full, error = %e, "DNS gave an unusable node name"),
                )
                .ok()
        })
        .collect()
}

impl From<DnsError> for StrategyError {
    fn from(e: DnsError) -> StrategyError {
        StrategyError::Dns(e)
    }
}
