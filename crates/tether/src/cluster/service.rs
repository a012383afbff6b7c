//! The discovery service: one process that polls the strategies and connects.
//!
//! ```text
//!   every poll_interval:
//!     strategies ──discover()──▶ found = ∪ answers − this node
//!        (asked side by side, each within strategy_timeout, and the steps
//!        below run again as each answer comes; an error or a timeout keeps
//!        that strategy's previous answer)
//!     known − found  ─▶ forgotten (backoff dropped; disconnected if asked)
//!     found − nodes() ─▶ an attempt each, unless one is in flight or backing off
//!   attempts run as their own processes (connect_node waits for the handshake);
//!   their outcome comes back as a message: success clears the node's backoff,
//!   failure doubles it (backoff_min, 2×, 4× … up to backoff_max).
//! ```
//!
//! A connected node that goes down is simply not in `nodes()` at the next poll
//! and is attempted again at once (its backoff was cleared when it connected).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tether_term::{Node, Pid};
use tokio::time::Instant;

use super::ClusterOpts;
use super::strategy::Strategy;
use crate::dist::{self, DistNode, NodeKind, NodeName};

/// What the service shares with its [`Cluster`](super::Cluster) handle; it outlives
/// restarts of the service.
#[derive(Default)]
pub(crate) struct Shared {
    pub found: Mutex<BTreeMap<String, NodeName>>,
}

/// The outcome of one connection attempt.
struct Attempted {
    node: String,
    connected: bool,
}

/// A node's failed attempts: the delay before the next one doubles with each
/// failure, from `min` up to `max`.
#[derive(Debug)]
struct Backoff {
    delay: Duration,
    next: Instant,
}

impl Backoff {
    /// After the first failure, at `now`.
    fn first(now: Instant, min: Duration) -> Backoff {
        Backoff {
            delay: min,
            next: now + min,
        }
    }

    /// After one more failure, at `now`.
    fn again(&mut self, now: Instant, max: Duration) {
        self.delay = (self.delay * 2).min(max);
        self.next = now + self.delay;
    }
}

pub(crate) async fn run(
    strategies: Arc<[Arc<dyn Strategy>]>,
    opts: ClusterOpts,
    shared: Arc<Shared>,
) {
    let mut st = State {
        me: crate::self_pid(),
        answers: vec![Vec::new(); strategies.len()],
        failing: vec![false; strategies.len()],
        backoff: HashMap::new(),
        in_flight: HashSet::new(),
    };
    let mut not_a_node_logged = false;
    loop {
        let Some(local) = DistNode::get() else {
            if !not_a_node_logged {
                crate::runtime::logger::report_warn!(
                    "cluster discovery: this runtime is not a node yet; waiting"
                );
                not_a_node_logged = true;
            }
            collect(&mut st, &opts, opts.poll_interval).await;
            continue;
        };
        not_a_node_logged = false;
        let own = local.name().as_str().to_owned();
        // The strategies are asked side by side, and each answer is acted on as it
        // comes: a slow strategy delays no other.
        let mut asking = tokio::task::JoinSet::new();
        for (i, s) in strategies.iter().enumerate() {
            let (s, limit) = (s.clone(), opts.strategy_timeout);
            asking.spawn(async move { (i, tokio::time::timeout(limit, s.discover()).await) });
        }
        while let Some(done) = asking.join_next().await {
            let Ok((i, answer)) = done else {
                crate::runtime::logger::report_error!(
                    "a discovery strategy panicked; keeping its last answer"
                );
                continue;
            };
            let s = &strategies[i];
            let error = match answer {
                Ok(Ok(nodes)) => {
                    if std::mem::take(&mut st.failing[i]) {
                        tracing::info!(strategy = %s.describe(), "discovery answers again");
                    }
                    st.answers[i] = nodes;
                    st.reconcile(&own, &shared, &opts);
                    continue;
                }
                Ok(Err(e)) => e.to_string(),
                Err(_) => format!("no answer within {:?}", opts.strategy_timeout),
            };
            // Logged once as a warning while it lasts; every retry at debug level.
            if std::mem::replace(&mut st.failing[i], true) {
                tracing::debug!(strategy = %s.describe(), %error, "discovery still failing");
            } else {
                crate::runtime::logger::report_warn!(strategy = %s.describe(), %error, "discovery failed; keeping its last answer and retrying at each poll");
            }
        }
        collect(&mut st, &opts, opts.poll_interval).await;
    }
}

/// The service's own state.
struct State {
    me: Pid,
    /// Each strategy's last good answer.
    answers: Vec<Vec<NodeName>>,
    /// Whether each strategy's last poll failed (its failure is logged once).
    failing: Vec<bool>,
    backoff: HashMap<String, Backoff>,
    in_flight: HashSet<String>,
}

impl State {
    /// Forgets the nodes no longer found, and attempts the ones found but not
    /// connected (unless an attempt is in flight or backing off).
    fn reconcile(&mut self, own: &str, shared: &Shared, opts: &ClusterOpts) {
        let found: BTreeMap<String, NodeName> = self
            .answers
            .iter()
            .flatten()
            .filter(|n| n.as_str() != own)
            .map(|n| (n.as_str().to_owned(), n.clone()))
            .collect();
        let gone: Vec<String> = {
            let mut known = shared.found.lock().unwrap_or_else(|e| e.into_inner());
            let gone = known
                .keys()
                .filter(|k| !found.contains_key(*k))
                .cloned()
                .collect();
            *known = found.clone();
            gone
        };
        for name in gone {
            self.backoff.remove(&name);
            tracing::info!(node = %name, "cluster discovery: node gone, forgotten");
            if opts.disconnect_gone {
                if let Ok(n) = Node::intern(&name) {
                    dist::disconnect_node(n);
                }
            }
        }
        let connected: HashSet<String> = dist::nodes(NodeKind::Connected)
            .iter()
            .map(|n| n.name().as_str().to_owned())
            .collect();
        let now = Instant::now();
        for name in found.keys() {
            if connected.contains(name)
                || self.in_flight.contains(name)
                || self.backoff.get(name).is_some_and(|b| b.next > now)
            {
                continue;
            }
            let Ok(node) = Node::intern(name) else {
                continue;
            };
            self.in_flight.insert(name.clone());
            let (name, me) = (name.clone(), self.me);
            crate::spawn(async move {
                let connected = dist::connect_node(node).await;
                let _ = crate::send(
                    me,
                    Attempted {
                        node: name,
                        connected,
                    },
                );
            });
        }
    }
}

/// Takes attempt outcomes until `wait` has passed.
async fn collect(st: &mut State, opts: &ClusterOpts, wait: Duration) {
    let deadline = Instant::now() + wait;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let Some(a) = crate::receive_timeout::<Attempted>(left).await else {
            return;
        };
        st.in_flight.remove(&a.node);
        if a.connected {
            if st.backoff.remove(&a.node).is_some() {
                tracing::info!(node = %a.node, "cluster discovery: connected after retries");
            } else {
                tracing::debug!(node = %a.node, "cluster discovery: connected");
            }
            continue;
        }
        let now = Instant::now();
        match st.backoff.get_mut(&a.node) {
            Some(b) => {
                b.again(now, opts.backoff_max);
                tracing::debug!(node = %a.node, retry_in = ?b.delay, "cluster discovery: still cannot connect");
            }
            None => {
                let b = Backoff::first(now, opts.backoff_min);
                tracing::info!(node = %a.node, retry_in = ?b.delay, "cluster discovery: cannot connect; backing off");
                st.backoff.insert(a.node, b);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_min_and_stops_at_max() {
        let now = Instant::now();
        let (min, max) = (Duration::from_millis(100), Duration::from_millis(700));
        let mut b = Backoff::first(now, min);
        let mut delays = vec![b.delay];
        for _ in 0..5 {
            b.again(now, max);
            delays.push(b.delay);
        }
        let ms: Vec<u128> = delays.iter().map(Duration::as_millis).collect();
        assert_eq!(ms, [100, 200, 400, 700, 700, 700]);
        assert_eq!(b.next, now + max);
    }
}
