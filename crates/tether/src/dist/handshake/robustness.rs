//! Hostile handshakes: both sides of the handshake ([`accept`] and [`connect`]) are
//! played against peers that send a real handshake's bytes mutated (bit flips,
//! insertions, deletions, truncations, tag and length bytes), then close. Every run
//! must end with a result or an error, never a panic or a hang.
//!
//! This is the stable-toolchain stand-in for the `handshake` cargo-fuzz target in
//! `fuzz/`. The seeds are the two byte streams of a real handshake between two of our
//! nodes, recorded on the wire. `TETHER_FUZZ_ITERS=N` sets the number of runs
//! (default 3 000).

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf, duplex};

use super::{AcceptAll, HandshakeConfig, HandshakeError, accept, connect};
use crate::dist::cookie::{Cookie, Cookies};
use crate::dist::fuzzing::{Rng, iterations, mutate};
use crate::dist::node_name::NodeName;

/// A stream that records what is written through it.
struct Tap<S> {
    inner: S,
    written: Arc<Mutex<Vec<u8>>>,
}

impl<S: AsyncRead + Unpin> AsyncRead for Tap<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Tap<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let n = std::task::ready!(Pin::new(&mut self.inner).poll_write(cx, buf))?;
        self.written.lock().unwrap().extend_from_slice(&buf[..n]);
        Poll::Ready(Ok(n))
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

fn cfg(name: &str) -> HandshakeConfig {
    let cookies = Arc::new(Cookies::new(Cookie::new("fuzz").unwrap()));
    let mut c = HandshakeConfig::new(NodeName::parse(name).unwrap(), 9, cookies);
    c.setup_timeout = Duration::from_secs(5);
    c
}

/// The bytes the initiator and the acceptor of a real handshake send.
async fn transcript() -> (Vec<u8>, Vec<u8>) {
    let (x, y) = duplex(1 << 16);
    let (from_initiator, from_acceptor) = (Arc::default(), Arc::default());
    let x = Tap {
        inner: x,
        written: Arc::clone(&from_initiator),
    };
    let y = Tap {
        inner: y,
        written: Arc::clone(&from_acceptor),
    };
    let (a, b) = (cfg("initiator@host"), cfg("acceptor@host"));
    let (c, d) = tokio::join!(
        connect(x, &a, &b.name, &AcceptAll),
        accept(y, &b, &AcceptAll)
    );
    assert!(c.is_ok() && d.is_ok(), "the seed handshake succeeds");
    let take = |v: Arc<Mutex<Vec<u8>>>| std::mem::take(&mut *v.lock().unwrap());
    (take(from_initiator), take(from_acceptor))
}

/// Plays `peer_bytes` (then a close) as the peer of one side; returns its result.
async fn play(we_accept: bool, peer_bytes: &[u8]) -> Result<(), HandshakeError> {
    let (ours, mut theirs) = duplex(1 << 16);
    theirs.write_all(peer_bytes).await.unwrap();
    theirs.shutdown().await.unwrap();
    // Drain what our side writes, so that it never blocks on a full pipe.
    let drain = tokio::spawn(async move {
        let mut sink = Vec::new();
        let _ = theirs.read_to_end(&mut sink).await;
    });
    let result = if we_accept {
        accept(ours, &cfg("acceptor@host"), &AcceptAll)
            .await
            .map(drop)
    } else {
        let peer = NodeName::parse("acceptor@host").unwrap();
        connect(ours, &cfg("initiator@host"), &peer, &AcceptAll)
            .await
            .map(drop)
    };
    drain.abort();
    result
}

#[tokio::test]
async fn a_replayed_handshake_is_parsed_to_the_digest_check() {
    let (from_initiator, from_acceptor) = transcript().await;
    // Every message parses; only the digest (over a fresh random challenge) fails.
    let replayed = play(true, &from_initiator).await;
    assert!(
        matches!(replayed, Err(HandshakeError::BadDigest { .. })),
        "{replayed:?}"
    );
    let replayed = play(false, &from_acceptor).await;
    assert!(
        matches!(replayed, Err(HandshakeError::BadDigest { .. })),
        "{replayed:?}"
    );
}

#[tokio::test]
async fn mutated_handshakes_end_in_an_error_never_a_panic() {
    let (from_initiator, from_acceptor) = transcript().await;
    // Tags and lengths the handshake reads: 'n' 'N' 's' 'r' 'a' 'c', version 5/6,
    // small and huge lengths.
    let interesting = [
        0, 1, 5, 6, 0xff, 0x7f, 0x80, b'n', b'N', b's', b'r', b'a', b'c',
    ];
    let mut rng = Rng(0x5eed_4a4d_5eed_4a4d);
    let mut kinds = std::collections::BTreeSet::new();
    for _ in 0..iterations(3_000) {
        let we_accept = rng.below(2) == 0;
        let seed = if we_accept {
            &from_initiator
        } else {
            &from_acceptor
        };
        let input = mutate(&mut rng, seed, &interesting);
        if let Err(e) = play(we_accept, &input).await {
            let shown = e.to_string();
            kinds.insert(shown.split(':').next().unwrap_or_default().to_owned());
        }
    }
    // The mutations reach past the first message: several kinds of refusal.
    assert!(kinds.len() >= 4, "only {kinds:?}");
}
