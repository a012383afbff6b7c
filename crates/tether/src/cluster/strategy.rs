//! The [`Strategy`] trait, and the strategies that use EPMD: [`Epmd`] (a fixed list,
//! libcluster's `Cluster.Strategy.Epmd`) and [`LocalEpmd`] (every node registered
//! with this host's EPMD, `Cluster.Strategy.LocalEpmd`).

use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;

use super::dns::DnsError;
use crate::dist::epmd::{EpmdClient, EpmdError};
use crate::dist::node_name::NodeNameError;
use crate::dist::{DistNode, NodeName};

/// What [`Strategy::discover`] returns: the nodes it sees now, or why it could not
/// look.
///
/// ```
/// use tether::cluster::Discovered;
/// let nothing: Discovered<'static> = Box::pin(async { Ok(Vec::new()) });
/// # let _ = nothing;
/// ```
pub type Discovered<'a> =
    Pin<Box<dyn Future<Output = Result<Vec<NodeName>, StrategyError>> + Send + 'a>>;

/// A way to find the nodes of a cluster.
///
/// The discovery service calls [`discover`](Strategy::discover) at each poll and
/// takes the answer as the whole current set (it connects to the new nodes and
/// forgets the ones no longer listed). An error means "cannot tell now": the
/// service logs it and keeps the strategy's previous answer until the next poll.
///
/// ```
/// use tether::cluster::{Discovered, Strategy};
/// use tether::dist::NodeName;
///
/// /// The nodes named in an environment variable, comma-separated.
/// #[derive(Debug)]
/// struct FromEnv(&'static str);
///
/// impl Strategy for FromEnv {
///     fn discover(&self) -> Discovered<'_> {
///         Box::pin(async move {
///             let list = std::env::var(self.0).unwrap_or_default();
///             Ok(list.split(',').filter_map(|n| NodeName::parse(n.trim()).ok()).collect())
///         })
///     }
/// }
/// # let _ = FromEnv("PEERS").describe();
/// ```
pub trait Strategy: Send + Sync + fmt::Debug + 'static {
    /// The nodes this strategy sees now (the own node may be among them).
    ///
    /// ```
    /// # use tether::cluster::*;
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let list = Epmd::new(["a@host1", "b@host2"]).unwrap();
    /// let found = list.discover().await.unwrap();
    /// assert_eq!(found.len(), 2);
    /// assert_eq!(found[0].as_str(), "a@host1");
    /// # });
    /// ```
    fn discover(&self) -> Discovered<'_>;

    /// A short description for logs (by default the `Debug` form).
    ///
    /// ```
    /// # use tether::cluster::*;
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// assert_eq!(LocalEpmd::new().describe(), "local-epmd");
    /// # });
    /// ```
    fn describe(&self) -> String {
        format!("{self:?}")
    }
}

/// Why a strategy could not tell which nodes there are.
///
/// ```
/// use tether::cluster::StrategyError;
/// let e = StrategyError::Other("no peers file".into());
/// assert_eq!(e.to_string(), "no peers file");
/// ```
#[derive(Debug)]
pub enum StrategyError {
    /// An EPMD request failed.
    Epmd(EpmdError),
    /// A DNS query failed.
    Dns(DnsError),
    /// Anything else (for strategies written outside Tether).
    Other(String),
}

impl fmt::Display for StrategyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StrategyError::Epmd(e) => write!(f, "{e}"),
            StrategyError::Dns(e) => write!(f, "{e}"),
            StrategyError::Other(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for StrategyError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StrategyError::Epmd(e) => Some(e),
            StrategyError::Dns(e) => Some(e),
            StrategyError::Other(_) => None,
        }
    }
}

impl From<EpmdError> for StrategyError {
    fn from(e: EpmdError) -> StrategyError {
        StrategyError::Epmd(e)
    }
}

/// A fixed list of nodes (libcluster's `Cluster.Strategy.Epmd` and its `hosts`):
/// each is connected to, and reconnected to whenever it is down.
///
/// ```
/// use tether::cluster::Epmd;
/// let s = Epmd::new(["a@host1", "b@host2"]).unwrap();
/// assert_eq!(s.nodes().len(), 2);
/// assert!(Epmd::new(["no-at-sign"]).is_err());
/// ```
#[derive(Debug, Clone)]
pub struct Epmd {
    nodes: Vec<NodeName>,
}

impl Epmd {
    /// The nodes, each a full `name@host`.
    ///
    /// ```
    /// # use tether::cluster::*;
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let list = Epmd::new(["a@host1", "b@host2"]).unwrap();
    /// assert_eq!(list.nodes().len(), 2);
    /// assert!(Epmd::new(["a@host1", "not a node"]).is_err());
    /// # });
    /// ```
    pub fn new<I, S>(nodes: I) -> Result<Epmd, NodeNameError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let nodes = nodes
            .into_iter()
            .map(|n| NodeName::parse(n.as_ref()))
            .collect::<Result<_, _>>()?;
        Ok(Epmd { nodes })
    }

    /// The listed nodes.
    ///
    /// ```
    /// # use tether::cluster::*;
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let list = Epmd::new(["a@host1"]).unwrap();
    /// assert_eq!(list.nodes()[0].to_string(), "a@host1");
    /// # });
    /// ```
    pub fn nodes(&self) -> &[NodeName] {
        &self.nodes
    }
}

impl Strategy for Epmd {
    fn discover(&self) -> Discovered<'_> {
        let nodes = self.nodes.clone();
        Box::pin(async move { Ok(nodes) })
    }

    fn describe(&self) -> String {
        let list: Vec<&str> = self.nodes.iter().map(NodeName::as_str).collect();
        format!("epmd:{}", list.join(","))
    }
}

/// Every node registered with this host's EPMD (libcluster's
/// `Cluster.Strategy.LocalEpmd`): the names of EPMD's NAMES reply, each
/// `name@host` with this node's own host part.
///
/// ```
/// use tether::cluster::LocalEpmd;
/// let s = LocalEpmd::new().epmd("127.0.0.1:4369".parse().unwrap());
/// # let _ = s;
/// ```
#[derive(Debug, Clone, Default)]
pub struct LocalEpmd {
    epmd: Option<SocketAddr>,
}

impl LocalEpmd {
    /// The EPMD this node registered with (or, outside a node, the local one).
    ///
    /// ```
    /// # use tether::cluster::*;
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// // Ask an EPMD that does not run: discovery fails, with the reason.
    /// let s = LocalEpmd::new().epmd("127.0.0.1:1".parse().unwrap());
    /// assert!(s.discover().await.is_err());
    /// # });
    /// ```
    pub fn new() -> LocalEpmd {
        LocalEpmd::default()
    }

    /// Asks the EPMD at `addr` instead.
    ///
    /// ```
    /// # use tether::cluster::*;
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let s = LocalEpmd::new().epmd("127.0.0.1:1".parse().unwrap());
    /// assert_eq!(s.describe(), "local-epmd:127.0.0.1:1");
    /// assert!(s.discover().await.is_err()); // nothing listens there
    /// # });
    /// ```
    pub fn epmd(mut self, addr: SocketAddr) -> LocalEpmd {
        self.epmd = Some(addr);
        self
    }
}

impl Strategy for LocalEpmd {
    fn discover(&self) -> Discovered<'_> {
        Box::pin(async move {
            let node = DistNode::get();
            let Some(node) = node else {
                return Err(StrategyError::Other(
                    "this runtime is not a node: no host to name peers on".into(),
                ));
            };
            let client = EpmdClient::new(self.epmd.unwrap_or_else(|| node.epmd_addr()));
            let host = node.name().host().to_owned();
            let names = client.names().await?;
            Ok(names
                .into_iter()
                .filter_map(|(name, _port)| NodeName::parse(&format!("{name}@{host}")).ok())
                .collect())
        })
    }

    fn describe(&self) -> String {
        match self.epmd {
            Some(a) => format!("local-epmd:{a}"),
            None => "local-epmd".into(),
        }
    }
}
