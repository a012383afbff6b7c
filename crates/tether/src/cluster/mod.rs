//! Clusters that form themselves: discovery strategies and the service that
//! connects to what they find.
//!
//! A node connects only when asked (the first signal to a node, `connect_node`,
//! `ping`). This layer does the asking, as libcluster does for Elixir: a
//! [`Strategy`] says which nodes it sees now, and the discovery service started
//! by [`start`] polls its strategies every [`ClusterOpts::poll_interval`],
//! connects to each node found that is not connected, and forgets the nodes that
//! are no longer found. Once connected, the node's own machinery takes over:
//! `global` and `pg` sync with the peer, ticks watch it (`net_ticktime`), and a
//! connection that dies is noticed by the next poll and retried.
//!
//! | strategy | finds | libcluster's |
//! |---|---|---|
//! | [`Epmd`] | a fixed list of `name@host` | `Cluster.Strategy.Epmd` |
//! | [`LocalEpmd`] | every node in this host's EPMD | `Cluster.Strategy.LocalEpmd` |
//! | [`DnsPoll`] | `basename@IP` per A record of a name (a headless service) | `Cluster.Strategy.DNSPoll`, `Kubernetes.DNS` |
//! | [`DnsSrv`] | `basename@target` per SRV record (a StatefulSet) | `Cluster.Strategy.Kubernetes.DNSSRV` |
//! | [`Gossip`] | the nodes heard on a UDP multicast group, same packets | `Cluster.Strategy.Gossip` |
//!
//! **Failures.** Discovery is polled, so every failure is temporary: a strategy
//! that errs or times out is logged and its previous answer kept (a DNS server
//! that hiccups does not make the cluster forget its members); a node that cannot
//! be connected is retried with an exponential backoff per node, from the first
//! delay of [`ClusterOpts::backoff`] doubling up to its cap, and the backoff is
//! cleared when it connects or is forgotten. Nodes forgotten stay
//! connected unless [`ClusterOpts::disconnect_gone`] says otherwise (libcluster's
//! DNS strategies disconnect them; a connection to a node that really stopped
//! ends by itself, through its socket or `net_ticktime`).
//!
//! **Supervision.** The service is one process under its own one-for-one
//! supervisor, an application root as any the program starts: it stops with the
//! runtime, and a crash restarts it with the same strategies (what it found is
//! kept in the [`Cluster`] handle, which survives restarts).
//!
//! ```no_run
//! use std::time::Duration;
//! use tether::cluster::{self, ClusterOpts, DnsPoll, Epmd};
//! use tether::dist::{self, NodeConfig};
//!
//! tether::Runtime::new().unwrap().block_on(async {
//!     dist::start(NodeConfig::new("app").long_names(true).cookie("secret")).await.unwrap();
//!     let cluster = cluster::start(
//!         vec![
//!             cluster::strategy(Epmd::new(["app@10.0.0.5"]).unwrap()),
//!             cluster::strategy(DnsPoll::new("app", "app-headless.default.svc.cluster.local")),
//!         ],
//!         ClusterOpts::new().poll_interval(Duration::from_secs(5)),
//!     )
//!     .await
//!     .unwrap();
//!     println!("found {:?}", cluster.found());
//! });
//! ```

mod dns;
mod gossip;
mod service;
mod strategy;

/// The DNS messages of discovery (feature `wire`; for the `dns_reply` fuzz target).
#[cfg(feature = "wire")]
#[doc(hidden)]
pub use dns::wire as dns_wire;
pub use dns::{DnsError, DnsPoll, DnsSrv, Resolver};
pub use gossip::{Gossip, GossipConfig};
pub use strategy::{Discovered, Epmd, LocalEpmd, Strategy, StrategyError};

use std::sync::Arc;
use std::time::Duration;

use tether_term::Pid;

use crate::dist::NodeName;
use crate::otp::supervisor::SupervisorStartError;
use crate::otp::supervisor::{ChildSpec, Shutdown, Strategy as Restart, Supervisor};

/// How the discovery service polls and retries.
///
/// ```
/// use std::time::Duration;
/// use tether::cluster::ClusterOpts;
/// let o = ClusterOpts::new()
///     .poll_interval(Duration::from_secs(2))
///     .backoff(Duration::from_millis(500), Duration::from_secs(30));
/// # let _ = o;
/// ```
#[derive(Debug, Clone)]
pub struct ClusterOpts {
    pub(crate) poll_interval: Duration,
    pub(crate) strategy_timeout: Duration,
    pub(crate) backoff_min: Duration,
    pub(crate) backoff_max: Duration,
    pub(crate) disconnect_gone: bool,
}

impl Default for ClusterOpts {
    fn default() -> ClusterOpts {
        ClusterOpts {
            poll_interval: Duration::from_secs(5),
            strategy_timeout: Duration::from_secs(10),
            backoff_min: Duration::from_secs(1),
            backoff_max: Duration::from_secs(60),
            disconnect_gone: false,
        }
    }
}

impl ClusterOpts {
    /// Poll every 5 s (libcluster's default `polling_interval`), give a strategy
    /// 10 s to answer, back off failed connections from 1 s up to 60 s, and keep
    /// forgotten nodes connected.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::cluster::{self, ClusterOpts, Epmd};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let list = Epmd::new(["a@host1"]).unwrap();
    /// let c = cluster::start([cluster::strategy(list)], ClusterOpts::new()).await.unwrap();
    /// assert!(c.found().is_empty()); // not a node yet: the service waits
    /// c.stop().await;
    /// # });
    /// ```
    pub fn new() -> ClusterOpts {
        ClusterOpts::default()
    }

    /// How often the strategies are asked.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::cluster::{self, ClusterOpts, Epmd};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let opts = ClusterOpts::new().poll_interval(Duration::from_secs(1));
    /// assert!(format!("{opts:?}").contains("poll_interval: 1s"));
    /// # });
    /// ```
    pub fn poll_interval(mut self, every: Duration) -> Self {
        self.poll_interval = every;
        self
    }

    /// How long one strategy may take to answer before its answer is skipped.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::cluster::{self, ClusterOpts, Epmd};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let opts = ClusterOpts::new().strategy_timeout(Duration::from_secs(3));
    /// assert!(format!("{opts:?}").contains("3s"));
    /// # });
    /// ```
    pub fn strategy_timeout(mut self, timeout: Duration) -> Self {
        self.strategy_timeout = timeout;
        self
    }

    /// The first delay after a failed connection and the cap of its doubling.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::cluster::{self, ClusterOpts, Epmd};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let opts = ClusterOpts::new().backoff(Duration::from_millis(200), Duration::from_secs(10));
    /// let c = cluster::start([cluster::strategy(Epmd::new(["a@h"]).unwrap())], opts).await.unwrap();
    /// c.stop().await;
    /// # });
    /// ```
    pub fn backoff(mut self, min: Duration, max: Duration) -> Self {
        self.backoff_min = min;
        self.backoff_max = max.max(min);
        self
    }

    /// Disconnect nodes that the strategies no longer find (libcluster's DNS
    /// strategies do).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::cluster::{self, ClusterOpts, Epmd};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// let opts = ClusterOpts::new().disconnect_gone(true);
    /// assert!(format!("{opts:?}").contains("disconnect_gone: true"));
    /// # });
    /// ```
    pub fn disconnect_gone(mut self, on: bool) -> Self {
        self.disconnect_gone = on;
        self
    }
}

/// Wraps a strategy for [`start`].
///
/// ```
/// use tether::cluster::{self, LocalEpmd};
/// let s = cluster::strategy(LocalEpmd::new());
/// assert_eq!(s.describe(), "local-epmd");
/// ```
pub fn strategy(s: impl Strategy) -> Arc<dyn Strategy> {
    Arc::new(s)
}

/// A running discovery service: what [`start`] returns.
///
/// ```
/// use tether::cluster::{self, ClusterOpts, Epmd};
/// tether::Runtime::new().unwrap().block_on(async {
///     let list = Epmd::new(["a@host1", "b@host2"]).unwrap();
///     let cluster = cluster::start([cluster::strategy(list)], ClusterOpts::new()).await.unwrap();
///     // Not a node yet: the service waits, and has found nothing.
///     assert!(cluster.found().is_empty());
///     cluster.stop().await;
/// });
/// ```
#[derive(Clone)]
pub struct Cluster {
    sup: Pid,
    shared: Arc<service::Shared>,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("sup", &self.sup)
            .field("found", &self.found())
            .finish()
    }
}

impl Cluster {
    /// The service's supervisor.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::cluster::{self, ClusterOpts, Epmd};
    /// # use tether::dist::{self, EpmdMode, NodeConfig};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// # let cfg = NodeConfig::new("doc_cluster_pid@127.0.0.1").cookie("doc")
    /// #     .listen("127.0.0.1".parse().unwrap()).epmd(EpmdMode::None);
    /// # let node = dist::start(cfg).await.unwrap();
    /// let peers = Epmd::new(["peer1@127.0.0.1", "peer2@127.0.0.1"]).unwrap();
    /// let opts = ClusterOpts::new().poll_interval(Duration::from_millis(50));
    /// let c = cluster::start([cluster::strategy(peers)], opts).await.unwrap();
    /// assert!(tether::process_info(c.pid()).is_some());
    /// c.clone().stop().await;
    /// assert!(tether::process_info(c.pid()).is_none());
    /// # node.stop().await;
    /// # });
    /// ```
    pub fn pid(&self) -> Pid {
        self.sup
    }

    /// The nodes the strategies found at the last poll (this node excluded),
    /// sorted by name.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::cluster::{self, ClusterOpts, Epmd};
    /// # use tether::dist::{self, EpmdMode, NodeConfig};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// # let cfg = NodeConfig::new("doc_cluster_found@127.0.0.1").cookie("doc")
    /// #     .listen("127.0.0.1".parse().unwrap()).epmd(EpmdMode::None);
    /// # let node = dist::start(cfg).await.unwrap();
    /// let peers = Epmd::new(["peer1@127.0.0.1", "peer2@127.0.0.1"]).unwrap();
    /// let opts = ClusterOpts::new().poll_interval(Duration::from_millis(50));
    /// let c = cluster::start([cluster::strategy(peers)], opts).await.unwrap();
    /// // The peers do not run, but the strategy lists them: found, and retried.
    /// while c.found().is_empty() {
    ///     tether::sleep(Duration::from_millis(20)).await;
    /// }
    /// let names: Vec<String> = c.found().iter().map(|n| n.to_string()).collect();
    /// assert_eq!(names, ["peer1@127.0.0.1", "peer2@127.0.0.1"]);
    /// c.stop().await;
    /// # node.stop().await;
    /// # });
    /// ```
    pub fn found(&self) -> Vec<NodeName> {
        let found = self.shared.found.lock().unwrap_or_else(|e| e.into_inner());
        found.values().cloned().collect()
    }

    /// Stops the service (connections stay), from any process; returns once it is
    /// gone. Stopping a stopped service does nothing.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether::cluster::{self, ClusterOpts, Epmd};
    /// # use tether::dist::{self, EpmdMode, NodeConfig};
    /// # tether::Runtime::new().unwrap().block_on(async {
    /// # let cfg = NodeConfig::new("doc_cluster_stop@127.0.0.1").cookie("doc")
    /// #     .listen("127.0.0.1".parse().unwrap()).epmd(EpmdMode::None);
    /// # let node = dist::start(cfg).await.unwrap();
    /// let peers = Epmd::new(["peer1@127.0.0.1", "peer2@127.0.0.1"]).unwrap();
    /// let opts = ClusterOpts::new().poll_interval(Duration::from_millis(50));
    /// let c = cluster::start([cluster::strategy(peers)], opts).await.unwrap();
    /// let sup = c.pid();
    /// c.clone().stop().await;
    /// assert!(tether::process_info(sup).is_none());
    /// c.stop().await; // stopping again does nothing
    /// # node.stop().await;
    /// # });
    /// ```
    pub async fn stop(self) {
        let _ = crate::otp::supervisor::stop(self.sup, crate::ExitReason::Shutdown).await;
    }
}

/// Starts the discovery service with `strategies` (see the module docs). Call it
/// in a process of a runtime; it may run before the runtime is a node (it waits for
/// the node and logs that it waits).
///
/// ```no_run
/// // no_run: registers with, and polls, this host's EPMD.
/// use std::time::Duration;
/// use tether::cluster::{self, ClusterOpts, LocalEpmd};
/// # async fn demo() {
/// tether::dist::start(tether::dist::NodeConfig::new("app")).await.unwrap();
/// let opts = ClusterOpts::new().poll_interval(Duration::from_secs(1));
/// let cluster = cluster::start([cluster::strategy(LocalEpmd::new())], opts).await.unwrap();
/// # let _ = cluster;
/// # }
/// ```
///
/// # Errors
///
/// If the supervisor cannot start (it starts nothing that can fail today).
pub async fn start(
    strategies: impl IntoIterator<Item = Arc<dyn Strategy>>,
    opts: ClusterOpts,
) -> Result<Cluster, SupervisorStartError> {
    let strategies: Arc<[Arc<dyn Strategy>]> = strategies.into_iter().collect();
    let shared = Arc::new(service::Shared::default());
    for s in strategies.iter() {
        tracing::info!(strategy = %s.describe(), "cluster discovery");
    }
    let child = {
        let shared = shared.clone();
        ChildSpec::new("cluster_discovery", move || {
            let (strategies, opts, shared) = (strategies.clone(), opts.clone(), shared.clone());
            async move {
                Ok(Some(crate::spawn_link(service::run(
                    strategies, opts, shared,
                ))))
            }
        })
        .shutdown(Shutdown::BrutalKill)
    };
    let sup = Supervisor::new(Restart::OneForOne)
        .max_restarts(10)
        .max_seconds(60)
        .child(child)
        .start_link()
        .await?;
    crate::unlink(sup);
    Ok(Cluster { sup, shared })
}
