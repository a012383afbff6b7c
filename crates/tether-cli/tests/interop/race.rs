//! A simultaneous connect that really is simultaneous, and whose winner can be seen.
//!
//! Two nodes that dial each other at the same moment each receive the other's
//! `send_name` while their own attempt is pending. The rule (OTP's `net_kernel`,
//! `dist_util`; Tether's `dist::handshake::arbiter`): the node whose name is greater
//! in atom order answers `nok` and keeps its own attempt; the smaller node answers
//! `ok_simultaneous` and drops its own. Exactly one connection survives: the greater
//! node's outgoing one.
//!
//! Left to chance, the two attempts often do not overlap (one completes before the
//! other starts), and then the first one simply wins. So each attempt here goes
//! through a [`Gate`]: a TCP relay that holds the initiator's `send_name` until it is
//! released and then reports the acceptor's status answer. The peer gets its own
//! EPMD, where our node is registered behind a gate; the peer is registered in our
//! EPMD behind another gate. With both attempts held, [`race`] releases the smaller
//! node's attempt first (the greater node, its own attempt pending, must answer `nok`),
//! then the greater node's (the smaller node, its own attempt still pending, must
//! answer `ok_simultaneous`), and checks that only the greater node's connection
//! stays open.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tether::Node;
use tether::dist::epmd::{EpmdClient, EpmdHandle, EpmdServer, NodeInfo, Registration};
use tether::dist::{self, NodeName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

use super::eventually::eventually;
use super::node::{T, epmd_port, node};

/// A relay in front of a node's listener that holds the first connection's
/// `send_name` until [`Gate::release`].
pub struct Gate {
    port: u16,
    held: Option<oneshot::Receiver<()>>,
    release: Option<oneshot::Sender<()>>,
    status: Option<oneshot::Receiver<String>>,
    closed: Arc<AtomicBool>,
}

/// Reads one handshake packet (2-byte length, then the body), header included.
async fn packet(s: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut len = [0u8; 2];
    s.read_exact(&mut len).await?;
    let mut p = vec![0u8; u16::from_be_bytes(len) as usize + 2];
    p[..2].copy_from_slice(&len);
    s.read_exact(&mut p[2..]).await?;
    Ok(p)
}

impl Gate {
    /// A gate on a free loopback port, relaying to `target`.
    pub async fn open(target: SocketAddr) -> Gate {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (held_tx, held) = oneshot::channel();
        let (release, release_rx) = oneshot::channel::<()>();
        let (status_tx, status) = oneshot::channel();
        let closed = Arc::new(AtomicBool::new(false));
        let done = closed.clone();
        tokio::spawn(async move {
            let relay = async {
                let (mut initiator, _) = listener.accept().await?;
                let send_name = packet(&mut initiator).await?;
                let _ = held_tx.send(());
                if release_rx.await.is_err() {
                    return Ok(());
                }
                let mut acceptor = TcpStream::connect(target).await?;
                acceptor.write_all(&send_name).await?;
                let answer = packet(&mut acceptor).await?;
                // 's' and the status text
                let _ = status_tx.send(String::from_utf8_lossy(&answer[3..]).into_owned());
                initiator.write_all(&answer).await?;
                tokio::io::copy_bidirectional(&mut initiator, &mut acceptor).await?;
                Ok::<(), std::io::Error>(())
            };
            let _ = relay.await;
            done.store(true, Ordering::SeqCst);
        });
        Gate {
            port,
            held: Some(held),
            release: Some(release),
            status: Some(status),
            closed,
        }
    }

    /// The gate's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Waits until an attempt has arrived and its `send_name` is held here.
    pub async fn held(&mut self, who: &str) {
        let held = self.held.take().expect("held() once");
        tokio::time::timeout(T, held)
            .await
            .unwrap_or_else(|_| panic!("{who}'s attempt never reached its gate"))
            .unwrap_or_else(|_| panic!("{who}'s attempt closed before sending its name"));
    }

    /// Lets the held `send_name` through to the acceptor.
    pub fn release(&mut self) {
        let _ = self.release.take().expect("release() once").send(());
    }

    /// The acceptor's status answer to the released attempt (`ok`, `nok`, …).
    pub async fn status(&mut self, who: &str) -> String {
        let status = self.status.take().expect("status() once");
        tokio::time::timeout(T, status)
            .await
            .unwrap_or_else(|_| panic!("no status answer to {who}'s attempt"))
            .unwrap_or_else(|_| panic!("{who}'s attempt closed before a status answer"))
    }

    /// Whether the relayed connection has ended.
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }
}

/// The side expected to win.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Winner {
    /// This binary's Tether node.
    Us,
    /// The peer.
    Peer,
}

/// The peer's view of the world: its own EPMD, in which our node is registered
/// behind a gate.
pub struct Arena {
    epmd: EpmdHandle,
    /// Our node's gate: the peer's attempt goes through it.
    pub to_us: Gate,
    _us: Registration,
}

impl Arena {
    /// A fresh EPMD for the peer, with our node registered in it behind a gate.
    pub async fn new() -> Arena {
        let epmd = EpmdServer::bind("127.0.0.1:0".parse().unwrap())
            .await
            .unwrap()
            .spawn();
        let to_us = Gate::open(SocketAddr::from(([127, 0, 0, 1], node().port()))).await;
        let us = EpmdClient::new(epmd.local_addr())
            .register(&NodeInfo::new(node().name().alive(), to_us.port()))
            .await
            .unwrap();
        Arena {
            epmd,
            to_us,
            _us: us,
        }
    }

    /// The EPMD port the peer must use.
    pub fn epmd_port(&self) -> u16 {
        self.epmd.local_addr().port()
    }

    /// Once the peer `sname` has registered with [`Arena::epmd_port`]: a gate in front
    /// of it, registered under its name in our node's EPMD (so that is where our node
    /// dials it). Keep the registration for as long as the connection is needed.
    pub async fn gate_peer(&self, sname: &str) -> (Gate, Registration) {
        let info = EpmdClient::new(self.epmd.local_addr())
            .port_please(sname)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{sname} is not registered with its EPMD"));
        let gate = Gate::open(SocketAddr::from(([127, 0, 0, 1], info.port))).await;
        let ours = SocketAddr::from(([127, 0, 0, 1], epmd_port()));
        let reg = EpmdClient::new(ours)
            .register(&NodeInfo::new(sname, gate.port()))
            .await
            .unwrap();
        (gate, reg)
    }
}

/// Runs the simultaneous connect between our node and `peer`: our attempt
/// (`dist::connect_node`) first, held at `to_peer`; then `go` makes the peer dial us,
/// held at `arena.to_us`. Asserts the statuses and which connection survives.
pub async fn race(
    peer: Node,
    winner: Winner,
    arena: &mut Arena,
    to_peer: &mut Gate,
    go: impl FnOnce(),
) {
    let ours = NodeName::parse(node().name().as_str()).unwrap();
    let theirs = NodeName::parse(peer.name().as_str()).unwrap();
    assert_eq!(
        ours > theirs,
        winner == Winner::Us,
        "test setup: {ours} vs {theirs} does not make {winner:?} the greater name"
    );
    #[derive(Debug)]
    struct Connected(bool);
    let me = tether::self_pid();
    tether::spawn(async move {
        let ok = dist::connect_node(peer).await;
        tether::send(me, Connected(ok)).unwrap();
    });
    to_peer.held("our node").await;
    go();
    arena.to_us.held("the peer").await;

    // Both attempts are pending now.
    let (smaller, greater, smaller_name, greater_name) = match winner {
        Winner::Us => (&mut arena.to_us, to_peer, "the peer", "our node"),
        Winner::Peer => (to_peer, &mut arena.to_us, "our node", "the peer"),
    };
    smaller.release();
    assert_eq!(
        smaller.status(smaller_name).await,
        "nok",
        "{greater_name} (the greater name, its own attempt pending) must refuse {smaller_name}'s attempt"
    );
    greater.release();
    assert_eq!(
        greater.status(greater_name).await,
        "ok_simultaneous",
        "{smaller_name} (the smaller name, its own attempt pending) must yield to {greater_name}'s attempt"
    );
    let Connected(ok) = tether::receive_timeout(T * 2)
        .await
        .expect("connect_node returned");
    assert!(ok, "connect_node({peer})");
    eventually(&format!("{smaller_name}'s refused attempt is closed"), {
        let smaller = &*smaller;
        move || async move { smaller.is_closed() }
    })
    .await;
    assert!(
        !greater.is_closed(),
        "{greater_name}'s own connection is the one that stays up"
    );
}
