//! `net_ticktime`: a peer that goes silent is declared dead.
//!
//! OTP's rule (kernel's `net_kernel` docs, "net_ticktime"): a connection whose peer
//! has sent nothing, not even a tick, for about `net_ticktime` is taken down, and
//! then every link across it gets `noconnection`, every monitor a `noconnection`
//! DOWN, and node monitors `nodedown`. The peer here is a raw socket that completes
//! the handshake (the `wire` feature's handshake module) and then neither reads nor
//! writes, as a host that dropped off the network. The test asserts the outcome,
//! not how long it took.

use std::sync::Arc;
use std::time::Duration;

use tether::dist::handshake::{self, AcceptAll};
use tether::dist::{self, Cookie, Cookies, EpmdMode, HandshakeConfig, NodeConfig, NodeEvent};
use tether::{Down, Exit, ExitReason, Node, Pid, Runtime};

#[path = "common/names.rs"]
mod names;

use names::{free_port, unique};

const COOKIE: &str = "tick_cookie";

#[test]
fn a_silent_peer_is_disconnected_and_everything_across_it_hears_noconnection() {
    let rt = Runtime::builder().worker_threads(2).build().unwrap();
    let cfg = NodeConfig::new(unique("ticker"))
        .cookie(COOKIE)
        .listen("127.0.0.1".parse().unwrap())
        .epmd(EpmdMode::Embedded)
        .epmd_port(free_port())
        .net_ticktime(Duration::from_secs(1));
    let node = rt.block_on(async move { dist::start(cfg).await.expect("start the node") });
    let ours = node.name().clone();
    let port = node.port();
    let host = ours.host().to_owned();

    rt.block_on(async move {
        // The raw peer: a handshake, then silence (the stream is kept, never read).
        let peer_name = format!("{}@{host}", unique("silent"));
        let cookies = Arc::new(Cookies::new(Cookie::new(COOKIE).unwrap()));
        let hs_cfg = HandshakeConfig::new(
            dist::NodeName::parse(&peer_name).unwrap(),
            0x0bad_cafe,
            cookies,
        );
        let stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .unwrap();
        let hs = handshake::connect(stream, &hs_cfg, &ours, &AcceptAll)
            .await
            .expect("handshake with the node");
        let silent = hs.stream; // held open until the end of the test
        let peer = Node::intern(&peer_name).unwrap();
        let remote = Pid::new(peer, 42, 0, 0x0bad_cafe);

        let (tx, rx) = tokio::sync::oneshot::channel();
        tether::spawn(async move {
            tether::trap_exit(true);
            dist::monitor_nodes(true, true).unwrap();
            dist::monitor_node(peer, true).unwrap();
            tether::link(remote).unwrap();
            let mref = tether::monitor(remote);
            let (mut exit, mut down, mut node_downs) = (None, None, 0);
            while exit.is_none() || down.is_none() || node_downs < 2 {
                let m = tether::receive_any().await;
                let m = match m.downcast::<Exit>() {
                    Ok(e) => {
                        exit = Some(e.reason);
                        continue;
                    }
                    Err(m) => m,
                };
                let m = match m.downcast::<Down>() {
                    Ok(d) => {
                        assert_eq!(d.reference, mref);
                        down = Some(d.reason);
                        continue;
                    }
                    Err(m) => m,
                };
                if let Ok(ev) = m.downcast::<NodeEvent>() {
                    if ev == NodeEvent::Down(peer) {
                        node_downs += 1; // one for monitor_node, one for monitor_nodes
                    }
                }
            }
            let _ = tx.send((exit, down, dist::nodes(dist::NodeKind::Connected)));
        });
        let (exit, down, connected) = tokio::time::timeout(Duration::from_secs(30), rx)
            .await
            .expect("the silent peer was never declared dead")
            .unwrap();
        assert_eq!(exit, Some(ExitReason::Noconnection));
        assert_eq!(down, Some(ExitReason::Noconnection));
        assert!(!connected.contains(&peer), "{connected:?}");
        drop(silent);
    });
}
