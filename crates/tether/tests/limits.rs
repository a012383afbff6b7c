//! One test per distribution limit (`SECURITY.md`, `dist::limits`): a raw peer on a
//! real socket exceeds the limit and is disconnected (or refused), the node counts the
//! hit in `tether_dist_limit_hits_total{limit="..."}`, and a Tether peer connected
//! before keeps its connection, untouched, and its ping still answered.
//!
//! The raw peer completes a real handshake (`dist::handshake::connect`, as a hidden
//! node) and then writes the offending bytes itself.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tether::dist::handshake::{self, AcceptAll};
use tether::dist::{
    self, ConnectionRate, Cookie, Cookies, DistNode, EpmdMode, HandshakeConfig, NodeConfig,
    NodeName,
};
use tether::{Node, Runtime, Term};
use tether_term::DecodeLimits;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

#[path = "common/eventually.rs"]
mod eventually;
#[path = "common/names.rs"]
mod names;

use names::{free_port, unique};

const COOKIE: &str = "limits_cookie";

/// Small limits, so that tests exceed them with small inputs.
fn limited(name: &str, epmd: u16) -> NodeConfig {
    NodeConfig::new(name)
        .cookie(COOKIE)
        .listen("127.0.0.1".parse().unwrap())
        .epmd(EpmdMode::Embedded)
        .epmd_port(epmd)
        .max_frame_len(4096)
        .decode_limits(DecodeLimits {
            max_depth: 16,
            max_size: 1024,
            max_decompressed: 2048,
        })
}

fn start(cfg: NodeConfig) -> (Runtime, DistNode) {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "tether=info".into()),
        )
        .with_test_writer()
        .try_init();
    let rt = Runtime::builder().worker_threads(2).build().unwrap();
    let node = rt.block_on(async move { dist::start(cfg).await.expect("start the node") });
    (rt, node)
}

async fn ping(node: Node) -> String {
    let req: Term = "{is_auth, x@y}".parse().unwrap();
    match dist::call(("net_kernel", node), req, Duration::from_secs(5)).await {
        Ok(t) => t.to_string(),
        Err(e) => format!("{e:?}"),
    }
}

/// The limited node and a Tether peer connected to it (pinged once).
struct Setup {
    rt: Runtime,
    node: DistNode,
    peer_rt: Runtime,
    _peer: DistNode,
    name: Node,
    /// When the node's connection to the peer was set up.
    peer_since: SystemTime,
}

fn setup(cfg: impl FnOnce(NodeConfig) -> NodeConfig) -> Setup {
    let epmd = free_port();
    let (rt, node) = start(cfg(limited(&unique("limited"), epmd)));
    let peer_cfg = NodeConfig::new(unique("peer"))
        .cookie(COOKIE)
        .listen("127.0.0.1".parse().unwrap())
        .epmd(EpmdMode::Embedded)
        .epmd_port(epmd);
    let (peer_rt, peer) = start(peer_cfg);
    let name = Node::intern(&node.name().to_string()).unwrap();
    assert_eq!(peer_rt.block_on(ping(name)), "yes");
    let peer_name = peer.name().clone();
    let peer_since = rt.block_on(async move {
        tether::introspect::connections()
            .into_iter()
            .find(|c| c.peer == peer_name)
            .expect("the peer is connected")
            .since
    });
    Setup {
        rt,
        node,
        peer_rt,
        _peer: peer,
        name,
        peer_since,
    }
}

/// A raw peer that has completed the handshake with `target` (listening on `port`),
/// connecting from the address `from`.
async fn raw_peer(target: NodeName, port: u16, from: &str) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(format!("{from}:0").parse().unwrap()).unwrap();
    let addr = format!("127.0.0.1:{port}").parse().unwrap();
    let stream = socket.connect(addr).await.unwrap();
    let cookies = Arc::new(Cookies::new(Cookie::new(COOKIE).unwrap()));
    let me = NodeName::parse(&format!("{}@{}", unique("raw"), target.host())).unwrap();
    let mut cfg = HandshakeConfig::new(me, 7, cookies);
    cfg.is_hidden = true;
    handshake::connect(stream, &cfg, &target, &AcceptAll)
        .await
        .expect("the raw peer's handshake")
        .stream
}

impl Setup {
    fn target(&self) -> (NodeName, u16) {
        (self.node.name().clone(), self.node.port())
    }

    /// How often the node counted a hit of `limit`.
    fn hits(&self, limit: &str) -> u64 {
        let text = self
            .rt
            .block_on(async { tether::metrics::render_prometheus() });
        let key = format!("limit=\"{limit}\"}} ");
        let line = text
            .lines()
            .find(|l| l.starts_with("tether_dist_limit_hits_total{") && l.contains(&key))
            .unwrap_or_else(|| panic!("no {limit} sample in:\n{text}"));
        line.rsplit(' ').next().unwrap().parse::<f64>().unwrap() as u64
    }

    /// The Tether peer's connection is the one it had (never dropped) and answers.
    fn peer_unaffected(&self) {
        assert_eq!(self.peer_rt.block_on(ping(self.name)), "yes");
        let peer_name = self._peer.name().clone();
        let since = self.rt.block_on(async move {
            tether::introspect::connections()
                .into_iter()
                .find(|c| c.peer == peer_name)
                .map(|c| c.since)
        });
        assert_eq!(
            since,
            Some(self.peer_since),
            "the peer's connection was replaced"
        );
    }
}

/// Reads until the node closes the connection; panics if it stays open.
async fn closed_by_node(stream: &mut TcpStream) {
    let mut buf = vec![0u8; 4096];
    let closed = tokio::time::timeout(eventually::PATIENCE, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => continue, // ticks, say
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "the node did not disconnect the peer");
}

fn framed(body: &[u8]) -> Vec<u8> {
    let mut v = (body.len() as u32).to_be_bytes().to_vec();
    v.extend_from_slice(body);
    v
}

/// A raw peer sends `bytes` after the handshake; it must be disconnected for
/// `limit`, counted once, and the Tether peer must not notice.
fn exceed(limit: &str, bytes: Vec<u8>) {
    exceed_with(limit, |c| c, bytes);
}

/// [`exceed`] on a node made by `cfg` from the limited configuration.
fn exceed_with(limit: &str, cfg: impl FnOnce(NodeConfig) -> NodeConfig, bytes: Vec<u8>) {
    let s = setup(cfg);
    assert_eq!(s.hits(limit), 0);
    let (target, port) = s.target();
    s.rt.block_on(async move {
        let mut raw = raw_peer(target, port, "127.0.0.1").await;
        // The node may close before reading all of it.
        let _ = raw.write_all(&bytes).await;
        closed_by_node(&mut raw).await;
    });
    let sample = format!("limit=\"{limit}\"}} 1\n");
    s.rt.block_on(async move {
        eventually::eventually("the hit is counted", || {
            let counted = tether::metrics::render_prometheus().contains(&sample);
            async move { counted }
        })
        .await
    });
    assert_eq!(s.hits(limit), 1);
    s.peer_unaffected();
}

#[test]
fn a_frame_over_the_limit_disconnects_only_its_peer() {
    // Only the length prefix: the node refuses before reading (or allocating) a body.
    exceed("frame_size", 100_000u32.to_be_bytes().to_vec());
}

#[test]
fn fragments_joining_over_the_limit_disconnect_only_their_peer() {
    // Two fragments of 3000 bytes each: each frame fits in 4096, the message does not.
    let frag = |tag: u8, id: u64, header: &[u8]| {
        let mut f = vec![131, tag];
        f.extend_from_slice(&9u64.to_be_bytes());
        f.extend_from_slice(&id.to_be_bytes());
        f.extend_from_slice(header);
        f.extend_from_slice(&[0; 3000]);
        framed(&f)
    };
    let mut bytes = frag(69, 2, &[0]); // no atom-cache refs
    bytes.extend(frag(70, 1, &[]));
    exceed("message_size", bytes);
}

#[test]
fn fragmented_messages_open_over_the_limit_disconnect_only_their_peer() {
    // 1025 first fragments of distinct sequences, each waiting for a second fragment
    // that never comes: one more than the 1024 a connection holds open
    // (`framing::header::MAX_IN_FLIGHT`). One body byte each, so that the bytes held
    // (1024) stay under the 4096-byte message limit and only the count is exceeded.
    let mut bytes = Vec::new();
    for seq in 1..=1025u64 {
        let mut f = vec![131, 69];
        f.extend_from_slice(&seq.to_be_bytes());
        f.extend_from_slice(&2u64.to_be_bytes());
        f.push(0); // no atom-cache refs
        f.push(106);
        bytes.extend(framed(&f));
    }
    exceed("fragments_in_flight", bytes);
}

#[test]
fn a_term_nested_too_deep_disconnects_only_its_peer() {
    let mut body = vec![112, 131];
    for _ in 0..40 {
        body.extend_from_slice(&[104, 1]); // {{{...}}}
    }
    body.push(106);
    exceed("depth", framed(&body));
}

#[test]
fn a_message_over_the_input_limit_disconnects_only_its_peer() {
    // A 2000-byte binary in a 2008-byte frame: under the frame limit, over max_size.
    let mut body = vec![112, 131, 109];
    body.extend_from_slice(&2000u32.to_be_bytes());
    body.extend_from_slice(&[7; 2000]);
    exceed("input_size", framed(&body));
}

#[test]
fn a_compressed_term_declaring_too_much_disconnects_only_its_peer() {
    // COMPRESSED (80) declaring 1 MiB: refused before inflating anything.
    let mut body = vec![112, 131, 80];
    body.extend_from_slice(&(1u32 << 20).to_be_bytes());
    body.extend_from_slice(&[0x78, 0x9c, 1, 2, 3]);
    exceed("decompressed_size", framed(&body));
}

#[test]
fn connections_in_setup_over_the_limit_are_refused_from_that_address_only() {
    let s = setup(|c| c.max_pending_handshakes_per_address(2));
    let port = s.node.port();
    s.rt.block_on(async move {
        let connect = || TcpStream::connect(("127.0.0.1", port));
        let (first, _second) = (connect().await.unwrap(), connect().await.unwrap());
        let mut third = connect().await.unwrap();
        // The third is closed at once; the first is still open (waiting for a
        // handshake that never comes).
        closed_by_node(&mut third).await;
        let mut buf = [0u8; 1];
        assert_eq!(
            first.try_read(&mut buf).map_err(|e| e.kind()),
            Err(std::io::ErrorKind::WouldBlock)
        );
    });
    assert_eq!(s.hits("pending_handshakes"), 1);
    s.peer_unaffected();
}

#[test]
fn an_address_opening_connections_too_fast_is_refused_and_others_are_not() {
    let s = setup(|c| c.connection_rate_per_address(ConnectionRate::new(3, 0.001)));
    let port = s.node.port();
    s.rt.block_on(async move {
        // From 127.0.0.2: three connections are admitted, the fourth is closed.
        let from = |ip: &'static str| async move {
            let socket = TcpSocket::new_v4().unwrap();
            socket.bind(format!("{ip}:0").parse().unwrap()).unwrap();
            let addr = format!("127.0.0.1:{port}").parse().unwrap();
            socket.connect(addr).await.unwrap()
        };
        let mut admitted = Vec::new();
        for _ in 0..3 {
            admitted.push(from("127.0.0.2").await);
        }
        let mut fourth = from("127.0.0.2").await;
        closed_by_node(&mut fourth).await;
        let mut buf = [0u8; 1];
        for a in &admitted {
            assert_eq!(
                a.try_read(&mut buf).map_err(|e| e.kind()),
                Err(std::io::ErrorKind::WouldBlock),
                "an admitted connection was closed"
            );
        }
    });
    assert_eq!(s.hits("connection_rate"), 1);
    // Another address still completes a handshake (and is not counted).
    let (target, port) = s.target();
    s.rt.block_on(async move {
        let raw = raw_peer(target, port, "127.0.0.3").await;
        let mut buf = [0u8; 1];
        assert_eq!(
            raw.try_read(&mut buf).map_err(|e| e.kind()),
            Err(std::io::ErrorKind::WouldBlock)
        );
    });
    assert_eq!(s.hits("connection_rate"), 1);
    s.peer_unaffected();
}

/// The environment variable that makes [`a_peer_filling_the_node_table_is_disconnected_and_others_are_not`]
/// do its work (in the child process it starts).
const NODE_TABLE_CHILD: &str = "TETHER_LIMITS_NODE_TABLE_CHILD";

#[test]
fn a_peer_filling_the_node_table_is_disconnected_and_others_are_not() {
    // The node table is process-wide and never shrinks: once full, no other test in
    // this process could intern a node name. So the test runs in a process of its
    // own: this same test binary, started again for this one test.
    if std::env::var_os(NODE_TABLE_CHILD).is_none() {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "a_peer_filling_the_node_table_is_disconnected_and_others_are_not",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(NODE_TABLE_CHILD, "1")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "the child test failed:\n{text}");
        assert!(text.contains("1 passed"), "the child ran no test:\n{text}");
        return;
    }
    // A REG_SEND whose message is a list of pids of 70 000 distinct nodes, more than
    // the table holds (65 536, `Node::MAX`). The frame and size limits are raised so
    // that only the node table is exceeded.
    let mut msg = vec![131, 108];
    let n = Node::MAX as u32 + 4464;
    msg.extend_from_slice(&n.to_be_bytes());
    for i in 0..n {
        let name = format!("n{i}@h");
        msg.extend_from_slice(&[88, 119, name.len() as u8]);
        msg.extend_from_slice(name.as_bytes());
        msg.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1]);
    }
    msg.push(106);
    let mut body = vec![112, 131, 104, 4, 97, 6];
    body.extend_from_slice(&[88, 119, 3]);
    body.extend_from_slice(b"a@b");
    body.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1]);
    body.extend_from_slice(&[119, 0, 119, 4]);
    body.extend_from_slice(b"echo");
    body.extend(msg);
    let cfg = |c: NodeConfig| {
        c.max_frame_len(4 << 20)
            .decode_limits(DecodeLimits::default())
    };
    exceed_with("node_table", cfg, framed(&body));
}
