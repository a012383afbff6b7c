//! Hostile EPMD traffic over loopback, both ways: the server gets real requests
//! mutated (bit flips, insertions, deletions, truncations, tag and length bytes), one
//! connection each, and must close the bad ones and keep serving (a registration made
//! before stays); the client gets real replies mutated from a scripted server and
//! must answer with a result or an error, never a panic.
//!
//! The stable-toolchain stand-in for fuzzing EPMD; `TETHER_FUZZ_ITERS=N` sets the
//! number of requests and replies (default 300 each: every one is a TCP connection).

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use super::client::EpmdClient;
use super::proto::{self, NodeInfo};
use super::server::EpmdServer;
use crate::dist::fuzzing::{Rng, iterations, mutate};

/// Bytes the EPMD protocol reads as tags and lengths.
const INTERESTING: [u8; 14] = [
    0, 1, 2, 0xff, 0x7f, 0x80, b'x', b'z', b'n', b'd', b'k', b's', b'w', b'v',
];

const T: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutated_requests_close_their_connection_and_the_server_keeps_serving() {
    let server = EpmdServer::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let addr = server.local_addr();
    let _handle = server.spawn();
    let client = EpmdClient::new(addr);
    let _registered = client
        .register(&NodeInfo::new("keeper", 4242))
        .await
        .unwrap();
    let seeds = [
        proto::encode_alive2_req(&NodeInfo::new("fuzzed", 5555)).unwrap(),
        proto::encode_port_please2_req("keeper").unwrap(),
        proto::frame_request(&[proto::NAMES_REQ]).unwrap(),
        proto::frame_request(&[proto::DUMP_REQ]).unwrap(),
    ];
    let mut rng = Rng(0xe94d_5eed);
    for _ in 0..iterations(300) {
        let seed = &seeds[rng.below(seeds.len())];
        let input = mutate(&mut rng, seed, &INTERESTING);
        let mut s = TcpStream::connect(addr).await.unwrap();
        // The server may close before reading it all: write errors are fine.
        let _ = s.write_all(&input).await;
        let _ = s.shutdown().await;
        let mut sink = Vec::new();
        let read = tokio::time::timeout(T, s.read_to_end(&mut sink)).await;
        assert!(
            read.is_ok(),
            "the server left a connection open on {input:?}"
        );
    }
    let keeper = client.port_please("keeper").await.unwrap().unwrap();
    assert_eq!(keeper.port, 4242);
    let names = client.names().await.unwrap();
    assert!(names.contains(&("keeper".to_string(), 4242)), "{names:?}");
}

/// A scripted EPMD: reads each request whole, answers with the next reply it is
/// given, and closes.
async fn scripted_server() -> (SocketAddr, mpsc::UnboundedSender<Vec<u8>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, mut rx) = mpsc::unbounded_channel::<Vec<u8>>();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let Some(reply) = rx.recv().await else { return };
            let Ok(len) = s.read_u16().await else {
                continue;
            };
            let mut body = vec![0; usize::from(len)];
            if s.read_exact(&mut body).await.is_err() {
                continue;
            }
            let _ = s.write_all(&reply).await;
            let _ = s.shutdown().await;
        }
    });
    (addr, tx)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutated_replies_are_errors_or_results_for_the_client() {
    let (addr, replies) = scripted_server().await;
    let client = EpmdClient::new(addr).with_timeout(T);
    let port2 = proto::encode_port2_resp(&NodeInfo::new("peer", 1234)).unwrap();
    let mut names = 4369u32.to_be_bytes().to_vec();
    names.extend_from_slice(proto::names_line("peer", 1234).as_bytes());
    let alive_x = vec![proto::ALIVE2_X_RESP, 0, 0, 0, 0, 7];
    let alive = vec![proto::ALIVE2_RESP, 0, 0, 7];
    // The seeds as they are: the client reads each back.
    replies.send(port2.clone()).unwrap();
    assert_eq!(
        client.port_please("peer").await.unwrap().unwrap().port,
        1234
    );
    replies.send(names.clone()).unwrap();
    assert_eq!(client.names().await.unwrap(), [("peer".to_string(), 1234)]);
    replies.send(alive_x.clone()).unwrap();
    let info = NodeInfo::new("me", 1);
    assert_eq!(client.register(&info).await.unwrap().creation(), 7);

    let mut rng = Rng(0x00c1_1e47);
    let (mut ok, mut err) = (0, 0);
    for _ in 0..iterations(300) {
        let which = rng.below(4);
        let seed = [&port2, &names, &alive_x, &alive][which];
        replies.send(mutate(&mut rng, seed, &INTERESTING)).unwrap();
        let result = match which {
            0 => client.port_please("peer").await.map(drop),
            1 => client.names().await.map(drop),
            _ => client.register(&info).await.map(drop),
        };
        match result {
            Ok(()) => ok += 1,
            Err(e) => {
                let _ = e.to_string();
                err += 1;
            }
        }
    }
    // Some mutations keep a reply readable (a changed port), most do not.
    assert!(ok > 0 && err > 0, "{ok} results, {err} errors");
}
