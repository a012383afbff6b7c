//! Handshake interop with real `erl` nodes: as initiator (then kept alive by ticks),
//! as acceptor, wrong cookies both ways, simultaneous connect, atom order.
//!
//! Not covered yet: answering `net_adm:ping` (needs the ETF codec to reply to the
//! `$gen_call` to net_kernel); this phase checks connectivity with `nodes()` and
//! `net_kernel:connect_node/1` instead.

mod interop;

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use interop::{Beam, BeamSpec, init_tracing, short_host, unique};
use tether::dist::epmd::{EpmdClient, EpmdHandle, EpmdServer, NodeInfo, Registration};
use tether::dist::framing::{self, FrameError, FramingConfig, header::InboundDecoder};
use tether::dist::handshake::{
    self, AcceptAll, ConnectArbiter, IncomingDecision, PeerState, decide_incoming,
};
use tether::dist::{Cookie, Cookies, DistFlags, HandshakeConfig, HandshakeError, NodeName};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, mpsc};

const T: Duration = Duration::from_secs(20);

fn config(name: &str, cookie: &str) -> HandshakeConfig {
    let cookies = Arc::new(Cookies::new(Cookie::new(cookie).unwrap()));
    HandshakeConfig::new(NodeName::parse(name).unwrap(), 0x1234_5678, cookies)
}

fn ticks(secs: u64) -> FramingConfig {
    FramingConfig {
        net_ticktime: Duration::from_secs(secs),
        ..FramingConfig::default()
    }
}

/// Keeps a connection up: reads and decodes every frame (atom-cache headers and
/// fragments included), ticks via the writer. Returns the number of messages decoded
/// when the connection ends.
fn run_connection(
    stream: TcpStream,
    cfg: FramingConfig,
) -> tokio::task::JoinHandle<(u64, FrameError)> {
    tokio::spawn(async move {
        let (mut reader, sender, writer) = framing::split(stream, cfg.clone());
        let mut decoder = InboundDecoder::new(cfg.max_frame_len as usize);
        let mut messages = 0;
        let err = loop {
            match reader.next_kind().await {
                Ok(Some(kind)) => match decoder.decode(kind) {
                    Ok(Some(_)) => messages += 1,
                    Ok(None) => {}
                    Err(e) => break e,
                },
                Ok(None) => break FrameError::Closed,
                Err(e) => break e,
            }
        };
        drop(sender);
        writer.abort();
        (messages, err)
    })
}

/// Our node: a listener registered in our own EPMD.
struct Ours {
    epmd: EpmdHandle,
    listener: Option<TcpListener>,
    _reg: Registration,
    name: String,
}

async fn our_node(prefix: &str) -> Ours {
    let epmd = EpmdServer::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
        .spawn();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let sname = unique(prefix);
    let port = listener.local_addr().unwrap().port();
    let reg = EpmdClient::new(epmd.local_addr())
        .register(&NodeInfo::new(&sname, port))
        .await
        .unwrap();
    Ours {
        epmd,
        listener: Some(listener),
        _reg: reg,
        name: format!("{sname}@{}", short_host()),
    }
}

type Accepted = mpsc::UnboundedReceiver<Result<handshake::Handshake<TcpStream>, HandshakeError>>;

/// Accepts connections forever, each handshake in its own task; results go to the channel.
fn accept_loop(
    listener: TcpListener,
    cfg: HandshakeConfig,
    arbiter: Arc<dyn ConnectArbiter>,
) -> Accepted {
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let (cfg, arbiter, tx) = (cfg.clone(), arbiter.clone(), tx.clone());
            tokio::spawn(async move {
                let _ = tx.send(handshake::accept(stream, &cfg, arbiter.as_ref()).await);
            });
        }
    });
    rx
}

async fn dial(ours: &Ours, peer_sname: &str) -> TcpStream {
    let info = EpmdClient::new(ours.epmd.local_addr())
        .port_please(peer_sname)
        .await
        .unwrap()
        .expect("peer registered");
    TcpStream::connect(("127.0.0.1", info.port)).await.unwrap()
}

const WAIT_FOR_US: &str = "W = fun W() -> case lists:member(Us, nodes()) of true -> ok; \
     false -> timer:sleep(50), W() end end";

/// We dial erl, complete the handshake, and keep the connection alive with ticks past
/// erl's 4 s net_ticktime; erl sees us in `nodes()` throughout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn initiator_connects_to_erl_and_stays_up() {
    init_tracing();
    let mut ours = our_node("tinit").await;
    ours.listener = None;
    let eval = format!(
        "Us = list_to_atom(\"{us}\"), io:format(\"UP~n\"), {WAIT_FOR_US}, W(), io:format(\"SEEN~n\"), \
         timer:sleep(9000), io:format(\"STILL ~p~n\", [lists:member(Us, nodes())]), timer:sleep(infinity).",
        us = ours.name
    );
    let mut spec = BeamSpec::erl(
        "binit",
        "cookie_i",
        Some(ours.epmd.local_addr().port()),
        &eval,
    );
    spec.args = vec!["-kernel".into(), "net_ticktime".into(), "4".into()];
    let mut beam = Beam::start(&spec);
    beam.wait_line("UP", T).await;

    let cfg = config(&ours.name, "cookie_i");
    let stream = dial(&ours, &spec.sname).await;
    let peer = NodeName::parse(&beam.node).unwrap();
    let hs = handshake::connect(stream, &cfg, &peer, &AcceptAll)
        .await
        .expect("handshake");
    assert_eq!(hs.peer, peer);
    assert!(hs.initiated && !hs.is_hidden());
    assert!(hs.flags.contains(
        DistFlags::MANDATORY_OTP25 | DistFlags::DIST_HDR_ATOM_CACHE | DistFlags::FRAGMENTS
    ));
    assert!(hs.peer_flags.contains(DistFlags::MANDATORY_25_DIGEST));
    assert_ne!(hs.peer_creation, 0);
    let conn = run_connection(hs.stream, ticks(4));

    beam.wait_line("SEEN", T).await;
    assert_eq!(beam.wait_line("STILL", T).await, "STILL true");
    assert!(!conn.is_finished(), "connection ended: {:?}", conn.await);
    beam.kill().await;
    let (messages, end) = conn.await.unwrap();
    assert!(
        messages > 0,
        "erl sent control messages (atom-cache headers) that we decoded"
    );
    assert!(
        matches!(end, FrameError::Closed | FrameError::Io(_)),
        "{end}"
    );
}

/// erl dials us (`net_kernel:connect_node/1` → true); with a wrong cookie erl gets
/// `false` and we get a clear error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acceptor_accepts_erl_and_refuses_wrong_cookie() {
    init_tracing();
    let mut ours = our_node("tacc").await;
    let cfg = config(&ours.name, "cookie_a");
    let mut accepted = accept_loop(ours.listener.take().unwrap(), cfg, Arc::new(AcceptAll));
    let eval = format!(
        "io:format(\"CONNECT ~p~n\", [net_kernel:connect_node(list_to_atom(\"{}\"))]), timer:sleep(infinity).",
        ours.name
    );
    let port = Some(ours.epmd.local_addr().port());

    let spec = BeamSpec::erl("bacc", "cookie_a", port, &eval);
    let mut beam = Beam::start(&spec);
    let hs = tokio::time::timeout(T, accepted.recv())
        .await
        .unwrap()
        .unwrap()
        .expect("accepted");
    assert_eq!(hs.peer.as_str(), beam.node);
    assert!(!hs.initiated);
    let conn = run_connection(hs.stream, ticks(60));
    assert_eq!(beam.wait_line("CONNECT", T).await, "CONNECT true");
    beam.kill().await;
    let _ = conn.await;

    let spec = BeamSpec::erl("bbad", "not_the_cookie", port, &eval);
    let mut beam = Beam::start(&spec);
    let err = tokio::time::timeout(T, accepted.recv())
        .await
        .unwrap()
        .unwrap()
        .expect_err("refused");
    assert!(err.is_cookie_mismatch(), "{err}");
    assert_eq!(beam.wait_line("CONNECT", T).await, "CONNECT false");
}

/// We dial erl with the wrong cookie: erl rejects our digest and closes; we report a
/// cookie mismatch, and erl logs the rejection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn initiator_with_wrong_cookie_is_rejected() {
    init_tracing();
    let mut ours = our_node("twrong").await;
    ours.listener = None;
    let spec = BeamSpec::erl(
        "bwrong",
        "right_cookie",
        Some(ours.epmd.local_addr().port()),
        "io:format(\"UP~n\"), timer:sleep(infinity).",
    );
    let mut beam = Beam::start(&spec);
    beam.wait_line("UP", T).await;
    let cfg = config(&ours.name, "wrong_cookie");
    let stream = dial(&ours, &spec.sname).await;
    let err = handshake::connect(
        stream,
        &cfg,
        &NodeName::parse(&beam.node).unwrap(),
        &AcceptAll,
    )
    .await
    .expect_err("must fail");
    assert!(
        matches!(err, HandshakeError::CookieRejected { .. }),
        "{err}"
    );
    beam.wait_line("rejected", T).await;

    // A per-node cookie override fixes it.
    cfg.cookies
        .set_for(&beam.node, Cookie::new("right_cookie").unwrap());
    let stream = dial(&ours, &spec.sname).await;
    handshake::connect(
        stream,
        &cfg,
        &NodeName::parse(&beam.node).unwrap(),
        &AcceptAll,
    )
    .await
    .expect("override");
}

/// A stream that keeps a copy of everything read from it (a handshake's worth).
struct Sniff {
    inner: TcpStream,
    read: Vec<u8>,
}

impl Sniff {
    /// The status text of the first packet read (`ok`, `ok_simultaneous`, …).
    fn status(&self) -> String {
        let len = u16::from_be_bytes([self.read[0], self.read[1]]) as usize;
        assert_eq!(self.read[2], b's', "a status packet first");
        String::from_utf8_lossy(&self.read[3..2 + len]).into_owned()
    }
}

impl AsyncRead for Sniff {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = r {
            let new = buf.filled()[before..].to_vec();
            self.read.extend_from_slice(&new);
        }
        r
    }
}

impl AsyncWrite for Sniff {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// A node's connection table for the simultaneous-connect test.
#[derive(Default)]
struct Table {
    peers: Mutex<HashMap<String, PeerState>>,
    decision: Mutex<Option<IncomingDecision>>,
    decided: Notify,
}

impl ConnectArbiter for Table {
    fn incoming(&self, local: &NodeName, peer: &NodeName) -> IncomingDecision {
        let mut peers = self.peers.lock().unwrap();
        let state = peers.get(peer.as_str()).copied().unwrap_or(PeerState::Idle);
        let d = decide_incoming(local, peer, state);
        if matches!(
            d,
            IncomingDecision::Accept | IncomingDecision::AcceptSimultaneous
        ) {
            peers.insert(peer.to_string(), PeerState::Accepting);
        }
        *self.decision.lock().unwrap() = Some(d);
        self.decided.notify_one();
        d
    }
}

/// Both sides dial at once. erl's attempt arrives while ours is pending; the node whose
/// name is greater in atom order keeps its own attempt. Run with our name greater
/// ("zz…" > "sim…": we answer `nok` and our connection is the one that comes up) and
/// smaller ("aa…": we answer `ok_simultaneous`, drop ours, and erl's comes up). The
/// expected winner is checked against erl's own atom comparison first.
async fn simultaneous(prefix: &str, we_win: bool) {
    init_tracing();
    let mut ours = our_node(prefix).await;
    let cfg = config(&ours.name, "cookie_s");
    let table = Arc::new(Table::default());
    let mut accepted = accept_loop(ours.listener.take().unwrap(), cfg.clone(), table.clone());
    let dir = std::env::temp_dir().join(unique("tether_sim"));
    std::fs::create_dir_all(&dir).unwrap();
    let marker = dir.join("go");
    let eval = format!(
        "Us = list_to_atom(\"{us}\"), io:format(\"GREATER ~p~n\", [Us > node()]), io:format(\"UP~n\"), \
         G = fun G() -> case filelib:is_file(\"{m}\") of true -> ok; false -> timer:sleep(10), G() end end, G(), \
         io:format(\"CONNECT ~p~n\", [net_kernel:connect_node(Us)]), {WAIT_FOR_US}, W(), \
         io:format(\"SEEN~n\"), timer:sleep(infinity).",
        us = ours.name,
        m = marker.display()
    );
    let spec = BeamSpec::erl(
        "sim",
        "cookie_s",
        Some(ours.epmd.local_addr().port()),
        &eval,
    );
    let mut beam = Beam::start(&spec);
    let greater = beam.wait_line("GREATER", T).await;
    beam.wait_line("UP", T).await;
    let peer = NodeName::parse(&beam.node).unwrap();
    let local = NodeName::parse(&ours.name).unwrap();
    assert_eq!(
        greater == "GREATER true",
        we_win,
        "test setup: in Erlang's atom order, {local} vs {peer}"
    );
    assert_eq!(local > peer, we_win, "our atom order agrees with Erlang's");

    // Our attempt is pending (TCP up, send_name held back) when erl's arrives.
    table
        .peers
        .lock()
        .unwrap()
        .insert(peer.to_string(), PeerState::Connecting);
    let outgoing = dial(&ours, &spec.sname).await;
    std::fs::write(&marker, b"go").unwrap();
    tokio::time::timeout(T, table.decided.notified())
        .await
        .expect("erl's attempt arrived");
    let decision = table.decision.lock().unwrap().unwrap();

    let conn = if we_win {
        // We answered `nok`: erl's attempt loses.
        assert_eq!(decision, IncomingDecision::Refuse);
        let refused = tokio::time::timeout(T, accepted.recv())
            .await
            .unwrap()
            .unwrap()
            .expect_err("nok");
        assert!(refused.is_simultaneous_connect(), "{refused}");
        // Our attempt goes on; erl, whose own attempt is still pending (after `nok`
        // it waits to be superseded), yields.
        let outgoing = Sniff {
            inner: outgoing,
            read: Vec::new(),
        };
        let hs = handshake::connect(outgoing, &cfg, &peer, table.as_ref())
            .await
            .expect("our attempt wins");
        assert!(hs.initiated);
        assert_eq!(hs.stream.status(), "ok_simultaneous", "erl's answer to us");
        run_connection(hs.stream.inner, ticks(60))
    } else {
        // We answered `ok_simultaneous`: erl's attempt goes on, ours is dropped.
        assert_eq!(decision, IncomingDecision::AcceptSimultaneous);
        drop(outgoing); // the node cancels its own attempt
        let hs = tokio::time::timeout(T, accepted.recv())
            .await
            .unwrap()
            .unwrap()
            .expect("erl's attempt wins");
        assert!(!hs.initiated);
        run_connection(hs.stream, ticks(60))
    };
    assert_eq!(beam.wait_line("CONNECT", T).await, "CONNECT true");
    beam.wait_line("SEEN", T).await;
    assert!(!conn.is_finished());
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simultaneous_connect_we_win() {
    simultaneous("zzsim", true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simultaneous_connect_erl_wins() {
    simultaneous("aasim", false).await;
}

/// Our node-name order is Erlang's atom order (checked against `lists:sort/1`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn atom_order_matches_erlang() {
    let names = [
        "tether@h", "beam@h", "Z@h", "beam1@h", "b@h", "é@h", "ü@h", "a_b@h", "a@hh", "a@h",
        "日本@h",
    ];
    let list = names
        .iter()
        .map(|n| format!("'{n}'"))
        .collect::<Vec<_>>()
        .join(",");
    let eval = format!(
        "io:setopts([{{encoding, unicode}}]), L = lists:sort([{list}]), io:format(\"SORTED ~ts~n\", [lists:join(\" \", [atom_to_list(A) || A <- L])]), halt()."
    );
    // No distribution needed: a plain, unnamed erl.
    let out = tokio::process::Command::new(interop::require("erl"))
        .args(["-noshell", "+pc", "unicode", "-eval", &eval])
        .env("LANG", "C.UTF-8")
        .env("LC_ALL", "C.UTF-8")
        .output()
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.starts_with("SORTED "))
        .unwrap_or_else(|| panic!("{text}"));
    let erl: Vec<&str> = line["SORTED ".len()..].split(' ').collect();
    let mut ours: Vec<NodeName> = names.iter().map(|n| NodeName::parse(n).unwrap()).collect();
    ours.sort();
    let ours: Vec<&str> = ours.iter().map(NodeName::as_str).collect();
    assert_eq!(ours, erl);
}

/// An Elixir node connects to us with `Node.connect/1` through our EPMD.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn elixir_node_connects_to_us() {
    init_tracing();
    let mut ours = our_node("telx").await;
    let cfg = config(&ours.name, "cookie_x");
    let mut accepted = accept_loop(ours.listener.take().unwrap(), cfg, Arc::new(AcceptAll));
    let script = format!(
        "n = :\"{}\"; IO.puts(\"CONNECT #{{Node.connect(n)}}\"); Process.sleep(:infinity)",
        ours.name
    );
    let mut spec = BeamSpec::erl(
        "elx",
        "cookie_x",
        Some(ours.epmd.local_addr().port()),
        &script,
    );
    spec.elixir = true;
    let mut beam = Beam::start(&spec);
    let hs = tokio::time::timeout(T, accepted.recv())
        .await
        .unwrap()
        .unwrap()
        .expect("accepted");
    assert_eq!(hs.peer.as_str(), beam.node);
    let conn = run_connection(hs.stream, ticks(60));
    assert_eq!(beam.wait_line("CONNECT", T).await, "CONNECT true");
    assert!(!conn.is_finished());
}
