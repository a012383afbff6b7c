//! The connection table: reaching remote pids, connecting on demand.
//!
//! Each peer the node knows of has one entry, in one of three states:
//!
//! ```text
//!             first signal / monitor_node / connect_node
//!   (none) ───────────────────────────────────────────▶ Connecting(attempt) ──┐ handshake ok
//!     ▲  ▲   incoming handshake accepted                                       ▼
//!     │  └──────────────────────────────────────────▶ Accepting ─────────▶ Up(conn)
//!     │            attempt failed: queued signals fail with noconnection        │
//!     └────────────────────────────────────────────────────────────────────────┘ connection lost
//! ```
//!
//! While an entry is `Connecting` or `Accepting`, signals for the peer wait in its
//! queue; the handshake's success flushes the queue into the new connection under
//! the table's write lock before any other sender can see it `Up`, so nothing
//! overtakes the queued signals (docs/semantics.md §1.1 S2). If the attempt fails, queued links
//! and monitors fire with `noconnection` and `monitor_node` watchers get `nodedown`.
//!
//! Simultaneous connects follow net_kernel's rule through [`Arbiter`], the table's
//! [`ConnectArbiter`]: an incoming attempt that wins turns our `Connecting` entry into
//! `Accepting` (keeping its queue), and our own dialing task, refused with `nok`,
//! sees that its attempt was superseded and leaves the entry alone.
//!
//! `router::Router`, the process layer's `RemoteSignals`, maps each signal to a
//! control message and routes it here.

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockWriteGuard};
use std::time::Duration;

use tether_term::Node;
use tokio::net::{TcpListener, TcpStream};

use super::tls::DistStream;
use tokio::sync::Notify;

use super::connection::{self, Conn};
use super::control::Control;
use super::epmd::{EpmdClient, EpmdError};
use super::handshake::{
    self, ConnectArbiter, Handshake, HandshakeError, IncomingDecision, PeerState,
};
use super::limits::Limit;
use super::node::{EpmdMode, NodeInner};
use super::node_name::{NodeName, NodeNameError};
use super::outgoing;
use crate::process::ExitReason;

pub(crate) enum State {
    Connecting(u64),
    Accepting,
    Up(Arc<Conn>),
}

pub(crate) struct Peer {
    pub state: State,
    pub queue: Vec<Control>,
}

/// Peers by node.
#[derive(Default)]
pub(crate) struct PeerTable {
    /// Keyed by node with the cheap keyed hasher: every send to a remote pid looks
    /// its connection up here.
    peers: RwLock<HashMap<Node, Peer, crate::process::RefHash>>,
    next_attempt: AtomicU64,
    /// Woken (`notify_waiters`) after every change of an entry's state, once the
    /// table's lock is released: [`NodeInner::connect_node`] waits for `Up` or for the
    /// entry to go, a dialing task that lost a simultaneous connect for its entry to be
    /// taken over. Waiters enable their `Notified` before reading the table.
    pub changed: Notify,
}

impl PeerTable {
    pub fn write(&self) -> RwLockWriteGuard<'_, HashMap<Node, Peer, crate::process::RefHash>> {
        self.peers.write().unwrap_or_else(|e| e.into_inner())
    }

    /// The live connection to `node`, if up.
    pub fn conn(&self, node: Node) -> Option<Arc<Conn>> {
        let r = self.peers.read().unwrap_or_else(|e| e.into_inner());
        match r.get(&node) {
            Some(Peer {
                state: State::Up(c),
                ..
            }) => Some(c.clone()),
            _ => None,
        }
    }

    /// Every live connection.
    pub fn conns(&self) -> Vec<Arc<Conn>> {
        let r = self.peers.read().unwrap_or_else(|e| e.into_inner());
        r.values()
            .filter_map(|p| match &p.state {
                State::Up(c) => Some(c.clone()),
                _ => None,
            })
            .collect()
    }

    /// Whether `node`'s entry is still our dialing `attempt`.
    fn is_attempt_current(&self, node: Node, attempt: u64) -> bool {
        let r = self.peers.read().unwrap_or_else(|e| e.into_inner());
        matches!(r.get(&node), Some(Peer { state: State::Connecting(a), .. }) if *a == attempt)
    }

    /// Waits until our dialing `attempt` to `node` is no longer the table's entry
    /// (an incoming connection took it over, or it ended), or until `until`.
    ///
    /// Every change of an entry's state is followed by `changed.notify_waiters()`;
    /// the waiter is registered (`enable`) before the state is checked, so a change
    /// between the check and the wait still wakes it.
    async fn wait_superseded(&self, node: Node, attempt: u64, until: tokio::time::Instant) {
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if !self.is_attempt_current(node, attempt) {
                return;
            }
            if tokio::time::timeout_at(until, changed).await.is_err() {
                return;
            }
        }
    }
}

impl NodeInner {
    /// Sends `ctrl` to `node`, connecting first if `connect` and no connection exists.
    pub(crate) fn route(self: &Arc<Self>, node: Node, ctrl: Control, connect: bool) {
        if let Some(c) = self.table.conn(node) {
            return outgoing::deliver(self, &c, ctrl);
        }
        // Not a connected node as we key them: another runtime's own slot (a pid
        // handed over in memory) names the node the connections are keyed by. Only
        // this miss pays for the node table.
        let node = node.canonical();
        if let Some(c) = self.table.conn(node) {
            return outgoing::deliver(self, &c, ctrl);
        }
        let mut w = self.table.write();
        match w.get_mut(&node) {
            Some(Peer {
                state: State::Up(c),
                ..
            }) => {
                let c = c.clone();
                drop(w);
                outgoing::deliver(self, &c, ctrl);
            }
            Some(p) => p.queue.push(ctrl),
            None if connect && !node.is_local() => {
                let attempt = self.table.next_attempt.fetch_add(1, Ordering::Relaxed);
                w.insert(
                    node,
                    Peer {
                        state: State::Connecting(attempt),
                        queue: vec![ctrl],
                    },
                );
                drop(w);
                tokio::spawn(connect_task(self.clone(), node, attempt));
            }
            None => {
                drop(w);
                outgoing::fail(node, ctrl);
            }
        }
    }

    /// Starts connecting to `node` unless connected or connecting.
    pub(crate) fn ensure_connecting(self: &Arc<Self>, node: Node) {
        let node = node.canonical();
        if node.is_local() || self.table.conn(node).is_some() {
            return;
        }
        let mut w = self.table.write();
        if w.contains_key(&node) {
            return;
        }
        let attempt = self.table.next_attempt.fetch_add(1, Ordering::Relaxed);
        w.insert(
            node,
            Peer {
                state: State::Connecting(attempt),
                queue: Vec::new(),
            },
        );
        drop(w);
        tokio::spawn(connect_task(self.clone(), node, attempt));
    }

    /// Connects to `node` and waits for the outcome (`net_kernel:connect_node/1`).
    pub(crate) async fn connect_node(self: &Arc<Self>, node: Node) -> bool {
        if node.is_local() {
            return true;
        }
        let deadline = tokio::time::Instant::now() + self.handshake.setup_timeout * 2;
        self.ensure_connecting(node);
        loop {
            let changed = self.table.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            {
                let r = self.table.peers.read().unwrap_or_else(|e| e.into_inner());
                match r.get(&node) {
                    Some(Peer {
                        state: State::Up(_),
                        ..
                    }) => return true,
                    None => return false,
                    _ => {}
                }
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err() {
                return self.table.conn(node).is_some();
            }
        }
    }

    /// Puts a finished handshake into the table as the peer's connection.
    pub(crate) fn install(self: &Arc<Self>, hs: Handshake<DistStream>) {
        let peer = hs.peer.clone();
        let (conn, start) = match connection::open(hs, self) {
            Ok(x) => x,
            Err(e) => {
                return crate::runtime::logger::report_warn!(%peer, error = %e, "cannot open connection");
            }
        };
        let old = {
            let mut w = self.table.write();
            let entry = w.entry(conn.peer).or_insert(Peer {
                state: State::Accepting,
                queue: Vec::new(),
            });
            let old = match std::mem::replace(&mut entry.state, State::Up(conn.clone())) {
                State::Up(c) => Some(c),
                _ => None,
            };
            for ctrl in std::mem::take(&mut entry.queue) {
                outgoing::deliver(self, &conn, ctrl);
            }
            old
        };
        if let Some(old) = old {
            old.stop();
            self.lost(&old);
        }
        tracing::info!(peer = %conn.name, flags = ?conn.flags, hidden = conn.hidden, "connection up");
        self.monitors.node_up(conn.peer, conn.hidden);
        self.table.changed.notify_waiters();
        start.start(self.clone());
    }

    /// A connection ended: drop it from the table and tell everyone who depended
    /// on it (see the module docs of `connection`).
    pub(crate) fn connection_lost(self: &Arc<Self>, conn: &Arc<Conn>) {
        {
            let mut w = self.table.write();
            if let Some(Peer {
                state: State::Up(c),
                ..
            }) = w.get(&conn.peer)
                && c.id == conn.id
            {
                let p = w.remove(&conn.peer).expect("present");
                drop(w);
                for ctrl in p.queue {
                    outgoing::fail(conn.peer, ctrl);
                }
            }
        }
        self.lost(conn);
        self.table.changed.notify_waiters();
    }

    fn lost(&self, conn: &Conn) {
        let rel = {
            let mut rel = conn.rel();
            if rel.closed {
                return;
            }
            rel.closed = true;
            std::mem::take(&mut *rel)
        };
        use crate::process::inject;
        for ((local, remote), state) in rel.links {
            if state.is_none() {
                inject::exit(remote, local, ExitReason::Noconnection, true);
            }
        }
        for (reference, (watcher, object)) in rel.monitors_out {
            inject::down(watcher, reference, object, ExitReason::Noconnection);
        }
        for (reference, (target, _, _)) in rel.monitors_in {
            inject::demonitor(target, reference);
        }
        for (reference, requester) in rel.spawn_monitors {
            outgoing::spawn_down(requester, reference, conn.peer, ExitReason::Noconnection);
        }
        self.monitors.node_down(conn.peer, conn.hidden);
    }

    /// Our dialing attempt failed.
    fn attempt_failed(&self, node: Node, attempt: u64, why: &ConnectError) {
        let mut w = self.table.write();
        if !matches!(w.get(&node), Some(Peer { state: State::Connecting(a), .. }) if *a == attempt)
        {
            return; // superseded by an incoming connection
        }
        let p = w.remove(&node).expect("present");
        drop(w);
        tracing::info!(peer = %node, reason = %why, "cannot connect");
        for ctrl in p.queue {
            outgoing::fail(node, ctrl);
        }
        self.monitors.connect_failed(node);
        self.table.changed.notify_waiters();
    }
}

async fn connect_task(inner: Arc<NodeInner>, node: Node, attempt: u64) {
    let name = match NodeName::parse(node.name().as_str()) {
        Ok(n) => n,
        Err(e) => return inner.attempt_failed(node, attempt, &ConnectError::BadName(e)),
    };
    match dial(&inner, &name).await {
        Ok(hs) => {
            if inner.table.is_attempt_current(node, attempt) || inner.table.conn(node).is_none() {
                inner.install(hs);
            }
        }
        Err(e) => {
            if e.is_simultaneous_connect() {
                // The peer's own attempt wins; wait for it to arrive and replace ours.
                let until = tokio::time::Instant::now() + inner.handshake.setup_timeout;
                inner.table.wait_superseded(node, attempt, until).await;
            }
            inner.attempt_failed(node, attempt, &e);
        }
    }
}

/// Why dialing a peer failed.
#[derive(Debug)]
pub(crate) enum ConnectError {
    /// The peer's node name is not a valid one.
    BadName(NodeNameError),
    /// The peer's host name did not resolve.
    Resolve { host: String, source: io::Error },
    /// The peer's host name resolved to no address.
    NoAddress { host: String },
    /// EPMD on the peer's host does not know the peer.
    NotRegistered { name: NodeName, host: String },
    /// EPMD on the peer's host could not be asked.
    Epmd { host: String, source: EpmdError },
    /// The TCP connection was not set up within the setup timeout.
    Timeout { addr: SocketAddr },
    /// The TCP connection failed.
    Tcp { addr: SocketAddr, source: io::Error },
    /// The TLS handshake failed (the peer is not TLS, or its certificate does not
    /// chain to the CA or does not name its host).
    Tls { addr: SocketAddr, source: io::Error },
    /// The handshake failed.
    Handshake(HandshakeError),
}

impl ConnectError {
    /// Whether the peer's own attempt won a simultaneous connect: our entry is about
    /// to be taken over by the incoming connection, not failed.
    pub fn is_simultaneous_connect(&self) -> bool {
        matches!(self, ConnectError::Handshake(e) if e.is_simultaneous_connect())
    }
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnectError::BadName(e) => write!(f, "bad node name: {e}"),
            ConnectError::Resolve { host, source } => {
                write!(f, "cannot resolve host {host}: {source}")
            }
            ConnectError::NoAddress { host } => write!(f, "host {host} has no address"),
            ConnectError::NotRegistered { name, host } => {
                write!(f, "{name} is not registered with epmd on {host}")
            }
            ConnectError::Epmd { host, source } => write!(f, "epmd on {host}: {source}"),
            ConnectError::Timeout { addr } => write!(f, "connecting to {addr} timed out"),
            ConnectError::Tcp { addr, source } => write!(f, "cannot connect to {addr}: {source}"),
            ConnectError::Tls { addr, source } => {
                write!(f, "TLS handshake with {addr} failed: {source}")
            }
            ConnectError::Handshake(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ConnectError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ConnectError::BadName(e) => Some(e),
            ConnectError::Resolve { source, .. }
            | ConnectError::Tcp { source, .. }
            | ConnectError::Tls { source, .. } => Some(source),
            ConnectError::Epmd { source, .. } => Some(source),
            ConnectError::Handshake(e) => Some(e),
            ConnectError::NoAddress { .. }
            | ConnectError::NotRegistered { .. }
            | ConnectError::Timeout { .. } => None,
        }
    }
}

async fn dial(
    inner: &Arc<NodeInner>,
    name: &NodeName,
) -> Result<Handshake<DistStream>, ConnectError> {
    let addr = resolve(inner, name).await?;
    let setup = inner.handshake.setup_timeout;
    let tcp = tokio::time::timeout(setup, TcpStream::connect(addr))
        .await
        .map_err(|_| ConnectError::Timeout { addr })?
        .map_err(|source| ConnectError::Tcp { addr, source })?;
    let stream = match &inner.tls {
        None => DistStream::Plain(tcp),
        Some(tls) => tokio::time::timeout(setup, tls.connect(tcp, name.host()))
            .await
            .map_err(|_| ConnectError::Timeout { addr })?
            .map_err(|source| ConnectError::Tls { addr, source })?,
    };
    handshake::connect(stream, &inner.handshake, name, &Arbiter(inner.clone()))
        .await
        .map_err(ConnectError::Handshake)
}

/// Where `name` listens: a configured address, else EPMD on its host (or, without
/// EPMD, our own port on its host).
async fn resolve(inner: &NodeInner, name: &NodeName) -> Result<SocketAddr, ConnectError> {
    if let Some(a) = inner.peers_static.get(name.as_str()) {
        return Ok(*a);
    }
    let host = name.host();
    let ip: IpAddr = match host.parse() {
        Ok(ip) => ip,
        Err(_) => {
            let mut addrs = tokio::net::lookup_host((host, 0))
                .await
                .map_err(|source| ConnectError::Resolve {
                    host: host.to_owned(),
                    source,
                })?
                .map(|a| a.ip())
                .collect::<Vec<_>>();
            addrs.sort_by_key(|ip| !ip.is_ipv4());
            *addrs.first().ok_or_else(|| ConnectError::NoAddress {
                host: host.to_owned(),
            })?
        }
    };
    if inner.epmd_mode == EpmdMode::None {
        return Ok(SocketAddr::new(ip, inner.port));
    }
    let epmd_ip = if ip.is_loopback() {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    } else {
        ip
    };
    let client = EpmdClient::new(SocketAddr::new(epmd_ip, inner.epmd_addr.port()));
    match client.port_please(name.alive()).await {
        Ok(Some(info)) => Ok(SocketAddr::new(ip, info.port)),
        Ok(None) => Err(ConnectError::NotRegistered {
            name: name.clone(),
            host: host.to_owned(),
        }),
        Err(source) => Err(ConnectError::Epmd {
            host: host.to_owned(),
            source,
        }),
    }
}

/// Accepts incoming connections forever: from one IP address, new connections at
/// most at the configured rate and at most `max_pending_per_address` in setup at once
/// (`dist::limits`).
pub(crate) async fn accept_loop(inner: Arc<NodeInner>, listener: TcpListener) {
    let pending: Arc<Mutex<HashMap<IpAddr, usize>>> = Arc::default();
    let per_address = inner.max_pending_per_address;
    loop {
        let (stream, addr) = match listener.accept().await {
            Ok(x) => x,
            Err(e) => {
                crate::runtime::logger::report_warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        if !inner.connection_rate.admit(addr.ip()) {
            let detail = "closed an incoming connection: its address opens connections faster than the configured rate";
            inner.limit_hits.hit(Limit::ConnectionRate, &addr, detail);
            continue;
        }
        let Some(slot) = PendingSlot::take(&pending, addr.ip(), per_address) else {
            let detail = format!(
                "closed an incoming connection: {per_address} handshakes already in progress from its address"
            );
            inner
                .limit_hits
                .hit(Limit::PendingHandshakes, &addr, &detail);
            continue;
        };
        let inner = inner.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let stream = match &inner.tls {
                None => DistStream::Plain(stream),
                Some(tls) => {
                    let setup = inner.handshake.setup_timeout;
                    match tokio::time::timeout(setup, tls.accept(stream)).await {
                        Ok(Ok(s)) => s,
                        Ok(Err(e)) => {
                            return crate::runtime::logger::report_warn!(%addr, error = %e, "TLS distribution: refused a peer whose TLS handshake failed (a plain-TCP peer, or a certificate that does not chain to the CA)");
                        }
                        Err(_) => {
                            return crate::runtime::logger::report_warn!(%addr, "TLS distribution: a peer's TLS handshake timed out");
                        }
                    }
                }
            };
            let arbiter = Arbiter(inner.clone());
            match handshake::accept(stream, &inner.handshake, &arbiter).await {
                Ok(hs) => inner.install(hs),
                Err(e) => tracing::debug!(%addr, error = %e, "incoming connection refused"),
            }
        });
    }
}

/// One incoming connection in setup, counted against its address until dropped.
struct PendingSlot {
    pending: Arc<Mutex<HashMap<IpAddr, usize>>>,
    ip: IpAddr,
}

impl PendingSlot {
    fn take(pending: &Arc<Mutex<HashMap<IpAddr, usize>>>, ip: IpAddr, max: usize) -> Option<Self> {
        let mut map = pending.lock().unwrap_or_else(|e| e.into_inner());
        let n = map.entry(ip).or_insert(0);
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(PendingSlot {
            pending: pending.clone(),
            ip,
        })
    }
}

impl Drop for PendingSlot {
    fn drop(&mut self) {
        let mut map = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = map.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                map.remove(&self.ip);
            }
        }
    }
}

/// The table's side of simultaneous-connect resolution.
pub(crate) struct Arbiter(pub Arc<NodeInner>);

impl ConnectArbiter for Arbiter {
    fn incoming(&self, local: &NodeName, peer: &NodeName) -> IncomingDecision {
        let Ok(node) = Node::intern(peer.as_str()) else {
            return IncomingDecision::AlreadyPending;
        };
        let mut w = self.0.table.write();
        let state = match w.get(&node).map(|p| &p.state) {
            None => PeerState::Idle,
            Some(State::Connecting(_)) => PeerState::Connecting,
            Some(State::Accepting) => PeerState::Accepting,
            Some(State::Up(_)) => PeerState::Up,
        };
        let d = handshake::decide_incoming(local, peer, state);
        if matches!(
            d,
            IncomingDecision::Accept | IncomingDecision::AcceptSimultaneous
        ) {
            w.entry(node)
                .or_insert(Peer {
                    state: State::Accepting,
                    queue: Vec::new(),
                })
                .state = State::Accepting;
            drop(w);
            // A dialing task that lost the race waits for this (`wait_superseded`).
            self.0.table.changed.notify_waiters();
        }
        d
    }

    fn incoming_failed(&self, peer: &NodeName) {
        let Ok(node) = Node::intern(peer.as_str()) else {
            return;
        };
        let mut w = self.0.table.write();
        if !matches!(
            w.get(&node),
            Some(Peer {
                state: State::Accepting,
                ..
            })
        ) {
            return;
        }
        let p = w.remove(&node).expect("present");
        drop(w);
        for ctrl in p.queue {
            outgoing::fail(node, ctrl);
        }
        self.0.monitors.connect_failed(node);
        self.0.table.changed.notify_waiters();
    }

    fn still_pending(&self, peer: &NodeName) -> bool {
        let Ok(node) = Node::intern(peer.as_str()) else {
            return false;
        };
        let r = self.0.table.peers.read().unwrap_or_else(|e| e.into_inner());
        matches!(
            r.get(&node),
            Some(Peer {
                state: State::Connecting(_),
                ..
            })
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::Instant;

    fn connecting(table: &PeerTable, node: Node, attempt: u64) {
        table.write().insert(
            node,
            Peer {
                state: State::Connecting(attempt),
                queue: Vec::new(),
            },
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_superseded_attempt_stops_waiting_when_the_table_changes() {
        let table = Arc::new(PeerTable::default());
        let node = Node::intern("superseded@h").unwrap();
        connecting(&table, node, 7);
        let t = table.clone();
        let accept = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            t.write().get_mut(&node).expect("present").state = State::Accepting;
            t.changed.notify_waiters();
        });
        let start = Instant::now();
        table
            .wait_superseded(node, 7, start + Duration::from_secs(60))
            .await;
        assert_eq!(start.elapsed(), Duration::from_secs(1));
        accept.await.unwrap();
        // Already superseded: no wait at all.
        table
            .wait_superseded(node, 7, start + Duration::from_secs(60))
            .await;
        assert_eq!(start.elapsed(), Duration::from_secs(1));
    }

    #[tokio::test(start_paused = true)]
    async fn a_current_attempt_waits_until_the_deadline() {
        let table = Arc::new(PeerTable::default());
        let node = Node::intern("still_dialing@h").unwrap();
        connecting(&table, node, 3);
        // A change elsewhere in the table wakes the waiter, which goes on waiting.
        let t = table.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            t.changed.notify_waiters();
        });
        let start = Instant::now();
        table
            .wait_superseded(node, 3, start + Duration::from_secs(5))
            .await;
        assert_eq!(start.elapsed(), Duration::from_secs(5));
        assert!(table.is_attempt_current(node, 3));
    }

    #[test]
    fn only_a_lost_race_is_a_simultaneous_connect() {
        let lost = ConnectError::Handshake(HandshakeError::LostRace { peer: "b@h".into() });
        assert!(lost.is_simultaneous_connect());
        let addr: SocketAddr = "127.0.0.1:4369".parse().unwrap();
        let others = [
            ConnectError::Handshake(HandshakeError::Timeout),
            ConnectError::Timeout { addr },
            ConnectError::NoAddress { host: "h".into() },
        ];
        for e in others {
            assert!(!e.is_simultaneous_connect(), "{e}");
        }
        let e = ConnectError::Tcp {
            addr,
            source: io::Error::from(io::ErrorKind::ConnectionRefused),
        };
        assert!(
            e.to_string()
                .starts_with("cannot connect to 127.0.0.1:4369")
        );
        assert!(std::error::Error::source(&e).is_some());
    }
}
