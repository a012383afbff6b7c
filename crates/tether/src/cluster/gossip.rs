//! [`Gossip`]: nodes announce themselves on a UDP multicast group, in the packet
//! format of libcluster's `Cluster.Strategy.Gossip`, so Tether nodes and Elixir
//! nodes running that strategy find each other.
//!
//! Every node sends a heartbeat to the group at random intervals (uniform up to
//! [`GossipConfig::heartbeat_interval`], 5 s as libcluster) and listens on the
//! group's port. A heartbeat is
//!
//! ```text
//! "heartbeat::" ++ term_to_binary(#{node => 'name@host'})
//! ```
//!
//! or, with a shared secret, `IV(16) ++ AES-256-CBC(key = SHA-256(secret), IV,
//! PKCS#7-padded heartbeat)`: nodes without the secret neither read it nor are read
//! (a secret also keeps apart clusters that share a multicast group). A packet that
//! does not decrypt, parse or name a node is ignored.
//!
//! libcluster connects to a node when it hears of it and never forgets it; here
//! [`discover`](super::Strategy::discover) lists the nodes heard within
//! [`GossipConfig::forget_after`], so the discovery service forgets a node that fell
//! silent, as it does for the polled strategies.

use std::collections::HashMap;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aes::cipher::block_padding::Pkcs7;
use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use sha2::{Digest, Sha256};
use tether_term::Term;
use tokio::net::UdpSocket;

use super::strategy::{Discovered, Strategy};
use crate::dist::{DistNode, NodeName};

const PRELUDE: &[u8] = b"heartbeat::";
/// The largest packet read (a heartbeat is well under 300 bytes).
const MAX_PACKET: usize = 2048;

/// Where and how [`Gossip`] announces and listens; the defaults are libcluster's.
///
/// ```
/// use std::time::Duration;
/// use tether::cluster::GossipConfig;
/// let c = GossipConfig::new()
///     .port(45892)
///     .multicast_addr([230, 1, 1, 251].into())
///     .secret("shared secret")
///     .heartbeat_interval(Duration::from_secs(1));
/// # let _ = c;
/// ```
#[derive(Clone)]
pub struct GossipConfig {
    port: u16,
    if_addr: Ipv4Addr,
    multicast_addr: Ipv4Addr,
    multicast_ttl: u32,
    secret: Option<String>,
    heartbeat_interval: Duration,
    forget_after: Duration,
}

impl std::fmt::Debug for GossipConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GossipConfig")
            .field("port", &self.port)
            .field("if_addr", &self.if_addr)
            .field("multicast_addr", &self.multicast_addr)
            .field("multicast_ttl", &self.multicast_ttl)
            .field("secret", &self.secret.as_ref().map(|_| "<hidden>"))
            .finish_non_exhaustive()
    }
}

impl Default for GossipConfig {
    fn default() -> Self {
        GossipConfig {
            port: 45892,
            if_addr: Ipv4Addr::UNSPECIFIED,
            multicast_addr: Ipv4Addr::new(230, 1, 1, 251),
            multicast_ttl: 1,
            secret: None,
            heartbeat_interval: Duration::from_secs(5),
            forget_after: Duration::from_secs(30),
        }
    }
}

impl GossipConfig {
    /// libcluster's defaults: port 45892, group 230.1.1.251, TTL 1 (the local
    /// network), all interfaces, no secret; heartbeats up to every 5 s; a node not
    /// heard for 30 s is forgotten.
    ///
    /// ```
    /// # use tether::cluster::{Gossip, GossipConfig};
    /// let shown = format!("{:?}", GossipConfig::new());
    /// assert!(shown.contains("port: 45892") && shown.contains("multicast_addr: 230.1.1.251"));
    /// ```
    pub fn new() -> GossipConfig {
        GossipConfig::default()
    }

    /// The UDP port of the group.
    ///
    /// ```
    /// # use tether::cluster::{Gossip, GossipConfig};
    /// assert!(format!("{:?}", GossipConfig::new().port(50000)).contains("port: 50000"));
    /// ```
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// The interface address to bind (libcluster's `if_addr`).
    ///
    /// ```
    /// # use tether::cluster::{Gossip, GossipConfig};
    /// let c = GossipConfig::new().if_addr("10.0.0.5".parse().unwrap());
    /// assert!(format!("{c:?}").contains("if_addr: 10.0.0.5"));
    /// ```
    pub fn if_addr(mut self, addr: Ipv4Addr) -> Self {
        self.if_addr = addr;
        self
    }

    /// The multicast group.
    ///
    /// ```
    /// # use tether::cluster::{Gossip, GossipConfig};
    /// let c = GossipConfig::new().multicast_addr("239.0.0.7".parse().unwrap());
    /// assert!(format!("{c:?}").contains("multicast_addr: 239.0.0.7"));
    /// ```
    pub fn multicast_addr(mut self, addr: Ipv4Addr) -> Self {
        self.multicast_addr = addr;
        self
    }

    /// The packets' TTL (1 keeps them on the local network).
    ///
    /// ```
    /// # use tether::cluster::{Gossip, GossipConfig};
    /// assert!(format!("{:?}", GossipConfig::new().multicast_ttl(4)).contains("multicast_ttl: 4"));
    /// ```
    pub fn multicast_ttl(mut self, ttl: u32) -> Self {
        self.multicast_ttl = ttl;
        self
    }

    /// Encrypt heartbeats with this shared secret (and read only encrypted ones).
    ///
    /// ```
    /// # use tether::cluster::{Gossip, GossipConfig};
    /// let c = GossipConfig::new().secret("s3cret");
    /// let shown = format!("{c:?}");
    /// assert!(shown.contains("<hidden>") && !shown.contains("s3cret")); // never printed
    /// ```
    pub fn secret(mut self, secret: impl Into<String>) -> Self {
        self.secret = Some(secret.into());
        self
    }

    /// The longest pause between two heartbeats (each pause is random up to it).
    pub fn heartbeat_interval(mut self, every: Duration) -> Self {
        self.heartbeat_interval = every.max(Duration::from_millis(10));
        self
    }

    /// How long a node stays found after its last heartbeat.
    pub fn forget_after(mut self, after: Duration) -> Self {
        self.forget_after = after;
        self
    }
}

/// libcluster's multicast gossip (see the module docs).
///
/// Start it in a distributed node's runtime; it announces that node. Dropping it
/// stops the heartbeats and the listening.
///
/// ```no_run
/// use tether::cluster::{self, ClusterOpts, Gossip, GossipConfig};
/// use tether::dist::{self, NodeConfig};
/// tether::Runtime::new().unwrap().block_on(async {
///     dist::start(NodeConfig::new("app").cookie("c")).await.unwrap();
///     let gossip = Gossip::start(GossipConfig::new().secret("s3cret")).await.unwrap();
///     cluster::start(vec![cluster::strategy(gossip)], ClusterOpts::new()).await.unwrap();
/// });
/// ```
pub struct Gossip {
    heard: Arc<Mutex<HashMap<NodeName, Instant>>>,
    forget_after: Duration,
    group: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for Gossip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "gossip:{}", self.group)
    }
}

impl Drop for Gossip {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Gossip {
    /// Joins the group and starts announcing this runtime's node.
    ///
    /// # Errors
    ///
    /// If the runtime is not a distributed node, or the socket cannot be set up
    /// (the port, the group).
    ///
    /// ```
    /// # use tether::cluster::{Gossip, GossipConfig};
    /// tether::Runtime::new().unwrap().block_on(async {
    ///     // Not a distributed node: there is nothing to announce.
    ///     assert!(Gossip::start(GossipConfig::new()).await.is_err());
    /// });
    /// ```
    pub async fn start(config: GossipConfig) -> io::Result<Gossip> {
        let me = DistNode::get()
            .ok_or_else(|| io::Error::other("gossip needs a distributed node (dist::start)"))?
            .name()
            .clone();
        let socket = bind(&config)?;
        let heard = Arc::new(Mutex::new(HashMap::new()));
        let group = SocketAddr::from((config.multicast_addr, config.port));
        let key = config.secret.as_deref().map(key_of);
        let beat = heartbeat(&me)?;
        let task = tokio::spawn(run(
            socket,
            group,
            me,
            key,
            config.clone(),
            beat,
            heard.clone(),
        ));
        Ok(Gossip {
            heard,
            forget_after: config.forget_after,
            group,
            task,
        })
    }
}

impl Strategy for Gossip {
    fn discover(&self) -> Discovered<'_> {
        Box::pin(async move {
            let mut heard = self.heard.lock().unwrap_or_else(|e| e.into_inner());
            heard.retain(|_, at| at.elapsed() <= self.forget_after);
            Ok(heard.keys().cloned().collect())
        })
    }
}

fn bind(config: &GossipConfig) -> io::Result<UdpSocket> {
    use socket2::{Domain, Protocol, Socket, Type};
    let s = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))?;
    // Every node on a host listens on the same port, as libcluster's `reuseaddr`.
    s.set_reuse_address(true)?;
    s.bind(&SocketAddr::from((config.if_addr, config.port)).into())?;
    s.join_multicast_v4(&config.multicast_addr, &Ipv4Addr::UNSPECIFIED)?;
    s.set_multicast_ttl_v4(config.multicast_ttl)?;
    s.set_multicast_loop_v4(true)?;
    s.set_broadcast(true)?;
    s.set_nonblocking(true)?;
    UdpSocket::from_std(s.into())
}

async fn run(
    socket: UdpSocket,
    group: SocketAddr,
    me: NodeName,
    key: Option<[u8; 32]>,
    config: GossipConfig,
    beat: Vec<u8>,
    heard: Arc<Mutex<HashMap<NodeName, Instant>>>,
) {
    let mut buf = vec![0u8; MAX_PACKET];
    let mut next = tokio::time::Instant::now();
    loop {
        tokio::select! {
            r = socket.recv_from(&mut buf) => match r {
                Ok((n, _from)) => {
                    if let Some(node) = parse(&buf[..n], key.as_ref())
                        && node != me
                    {
                        let mut h = heard.lock().unwrap_or_else(|e| e.into_inner());
                        if h.insert(node.clone(), Instant::now()).is_none() {
                            tracing::debug!(%node, "gossip: heard a new node");
                        }
                    }
                }
                Err(e) => {
                    tracing::debug!(error = %e, "gossip: receive failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            _ = tokio::time::sleep_until(next) => {
                // A fresh IV per packet, as libcluster does.
                let packet = match &key {
                    Some(k) => encrypt(k, &beat),
                    None => beat.clone(),
                };
                if let Err(e) = socket.send_to(&packet, group).await {
                    tracing::debug!(error = %e, %group, "gossip: heartbeat not sent");
                }
                next = tokio::time::Instant::now() + random_up_to(config.heartbeat_interval);
            }
        }
    }
}

fn random_up_to(max: Duration) -> Duration {
    let r = getrandom::u64().unwrap_or(0);
    Duration::from_millis(1 + r % (max.as_millis().max(1) as u64))
}

fn key_of(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// The plaintext heartbeat of `node`.
fn heartbeat(node: &NodeName) -> io::Result<Vec<u8>> {
    let term = Term::map([(Term::atom("node"), Term::atom(node.as_str()))]);
    let mut out = PRELUDE.to_vec();
    out.extend(tether_term::encode(&term).map_err(io::Error::other)?);
    Ok(out)
}

fn encrypt(key: &[u8; 32], plaintext: &[u8]) -> Vec<u8> {
    let mut iv = [0u8; 16];
    // Without randomness the IV is zeros: still decryptable, only less private.
    let _ = getrandom::fill(&mut iv);
    let ct = cbc::Encryptor::<aes::Aes256>::new(key.into(), &iv.into())
        .encrypt_padded_vec_mut::<Pkcs7>(plaintext);
    let mut out = iv.to_vec();
    out.extend(ct);
    out
}

/// The node a packet announces, if it is a well-formed heartbeat.
fn parse(packet: &[u8], key: Option<&[u8; 32]>) -> Option<NodeName> {
    let plain;
    let body = match key {
        None => packet,
        Some(k) => {
            let (iv, ct) = packet.split_at_checked(16)?;
            if ct.is_empty() || ct.len() % 16 != 0 {
                return None;
            }
            let iv: [u8; 16] = iv.try_into().ok()?;
            plain = cbc::Decryptor::<aes::Aes256>::new(k.into(), &iv.into())
                .decrypt_padded_vec_mut::<Pkcs7>(ct)
                .ok()?;
            &plain
        }
    };
    let rest = body.strip_prefix(PRELUDE)?;
    let term = tether_term::decode(rest).ok()?;
    let node = term.map_get(&Term::atom("node"))?.as_atom()?;
    NodeName::parse(node).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heartbeats_round_trip_in_clear_and_encrypted() {
        let me = NodeName::parse("app@10.0.0.5").unwrap();
        let beat = heartbeat(&me).unwrap();
        assert!(beat.starts_with(b"heartbeat::\x83t"), "a map in ETF");
        assert_eq!(parse(&beat, None), Some(me.clone()));
        let key = key_of("s3cret");
        let packet = encrypt(&key, &beat);
        assert_eq!(packet.len() % 16, 0);
        assert_eq!(parse(&packet, Some(&key)), Some(me.clone()));
        // Another secret, a clear packet to an encrypting node, garbage: ignored.
        assert_eq!(parse(&packet, Some(&key_of("other"))), None);
        assert_eq!(parse(&beat, Some(&key)), None);
        assert_eq!(parse(&packet, None), None);
        assert_eq!(parse(b"heartbeat::\x83", None), None);
        assert_eq!(parse(&[0u8; 48], Some(&key)), None);
    }
}
