//! Fuzz both sides of the distribution handshake. The first input byte picks the
//! side (even: we accept, odd: we connect); the rest is what the peer sends, then it
//! closes. The handshake must end with a result or an error, never a panic.
#![no_main]

use std::sync::Arc;
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use tether::dist::handshake::{self, AcceptAll};
use tether::dist::{Cookie, Cookies, HandshakeConfig, NodeName};
use tokio::io::{AsyncReadExt, AsyncWriteExt, duplex};

fn cfg(name: &str) -> HandshakeConfig {
    let cookies = Arc::new(Cookies::new(Cookie::new("fuzz").unwrap()));
    let mut c = HandshakeConfig::new(NodeName::parse(name).unwrap(), 9, cookies);
    c.setup_timeout = Duration::from_secs(5);
    c
}

fuzz_target!(|data: &[u8]| {
    let Some((&side, peer_bytes)) = data.split_first() else {
        return;
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (ours, mut theirs) = duplex(1 << 16);
        theirs.write_all(peer_bytes).await.unwrap();
        theirs.shutdown().await.unwrap();
        let drain = tokio::spawn(async move {
            let mut sink = Vec::new();
            let _ = theirs.read_to_end(&mut sink).await;
        });
        if side % 2 == 0 {
            let _ = handshake::accept(ours, &cfg("acceptor@host"), &AcceptAll).await;
        } else {
            let peer = NodeName::parse("acceptor@host").unwrap();
            let _ = handshake::connect(ours, &cfg("initiator@host"), &peer, &AcceptAll).await;
        }
        drain.abort();
    });
});
