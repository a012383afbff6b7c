//! Hostile input over real sockets: garbage handshakes against our acceptor and an
//! oversized frame on an established connection. Each closes only its own connection
//! (with a logged reason); the listener keeps accepting and other connections keep
//! working. (Malformed EPMD requests are in `interop_epmd.rs`.)

mod interop;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use interop::init_tracing;
use tether::dist::framing::{self, FrameError, FramingConfig};
use tether::dist::handshake::{self, AcceptAll};
use tether::dist::{Cookie, Cookies, HandshakeConfig, HandshakeError, NodeName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

const T: Duration = Duration::from_secs(10);

fn config(name: &str) -> HandshakeConfig {
    let cookies = Arc::new(Cookies::new(Cookie::new("bad_input").unwrap()));
    let mut c = HandshakeConfig::new(NodeName::parse(name).unwrap(), 3, cookies);
    c.setup_timeout = Duration::from_millis(500);
    c
}

type Results = mpsc::UnboundedReceiver<Result<handshake::Handshake<TcpStream>, HandshakeError>>;

async fn listener() -> (std::net::SocketAddr, Results) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let cfg = config("server@localhost");
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let Ok((s, _)) = l.accept().await else { return };
            let (cfg, tx) = (cfg.clone(), tx.clone());
            tokio::spawn(async move {
                let _ = tx.send(handshake::accept(s, &cfg, &AcceptAll).await);
            });
        }
    });
    (addr, rx)
}

async fn good_client(addr: std::net::SocketAddr) -> handshake::Handshake<TcpStream> {
    let s = TcpStream::connect(addr).await.unwrap();
    let peer = NodeName::parse("server@localhost").unwrap();
    handshake::connect(s, &config("client@localhost"), &peer, &AcceptAll)
        .await
        .expect("good client")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_handshakes_close_only_their_connection() {
    init_tracing();
    let (addr, mut results) = listener().await;
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("oversized packet length", vec![0xff, 0xff, b'N', 0, 0]),
        ("zero packet length", vec![0, 0]),
        ("unknown tag", vec![0, 3, b'X', 1, 2]),
        ("truncated send_name", vec![0, 5, b'N', 0, 0, 0, 0]),
        ("name length beyond packet", {
            let mut v = vec![0, 15, b'N'];
            v.extend_from_slice(&[0; 12]);
            v.extend_from_slice(&[0xff, 0xff]);
            v
        }),
        (
            "HTTP request",
            b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
        ),
        ("silence after a partial packet", vec![0, 40, b'N']),
    ];
    for (what, bytes) in cases {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(&bytes).await.unwrap();
        let mut buf = Vec::new();
        let read = tokio::time::timeout(T, s.read_to_end(&mut buf))
            .await
            .expect(what);
        assert!(
            read.is_err() || !buf.starts_with(b"\x00\x03sok"),
            "{what}: got {buf:?}"
        );
        let err = tokio::time::timeout(T, results.recv())
            .await
            .unwrap()
            .unwrap()
            .expect_err(what);
        eprintln!("{what}: {err}");
    }
    // The listener still serves a well-behaved peer.
    let hs = good_client(addr).await;
    assert_eq!(hs.peer.as_str(), "server@localhost");
    assert!(
        tokio::time::timeout(T, results.recv())
            .await
            .unwrap()
            .unwrap()
            .is_ok()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_frame_closes_that_connection_only() {
    init_tracing();
    let (addr, mut results) = listener().await;
    let cfg = FramingConfig {
        max_frame_len: 1 << 20,
        ..FramingConfig::default()
    };

    // Two connections; the first peer announces a 1 GiB frame.
    let mut bad_client = good_client(addr).await;
    let bad_server = results.recv().await.unwrap().unwrap();
    let good = good_client(addr).await;
    let good_server = results.recv().await.unwrap().unwrap();

    let (mut bad_reader, _bad_tx, _bad_writer) = framing::split(bad_server.stream, cfg.clone());
    bad_client
        .stream
        .write_all(&(1u32 << 30).to_be_bytes())
        .await
        .unwrap();
    let err = tokio::time::timeout(T, bad_reader.next_frame())
        .await
        .unwrap()
        .unwrap_err();
    assert!(
        matches!(err, FrameError::TooLarge { len, max } if len == 1 << 30 && max == 1 << 20),
        "{err}"
    );
    tracing::warn!(error = %err, "closing connection");
    drop(bad_reader);

    // The other connection still carries frames both ways.
    let (mut sr, stx, _sw) = framing::split(good_server.stream, cfg.clone());
    let (mut cr, ctx, _cw) = framing::split(good.stream, cfg);
    ctx.send(Bytes::from_static(&[112, 131, 106]))
        .await
        .unwrap();
    let f = tokio::time::timeout(T, sr.next_frame())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(f.as_ref(), &[112, 131, 106]);
    stx.send(Bytes::new()).await.unwrap();
    let tick = tokio::time::timeout(T, cr.next_frame())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(tick.is_empty());
}
