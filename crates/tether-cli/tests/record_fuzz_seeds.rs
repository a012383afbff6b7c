//! Records what a real `erl` sends to a node, as seeds for the fuzz targets `handshake`
//! and `dist_frames` (`fuzz/seeds/<target>/`). Ignored by default; regenerate with
//!
//! ```sh
//! cargo test -p tether-cli --test record_fuzz_seeds -- --ignored
//! ```
//!
//! A fake node registers with this binary's EPMD and accepts one connection, recording
//! every byte it reads: `erl` dials it to send a few messages (atoms new and cached, a
//! pid, a binary, a map, a big integer, a string), and its `global` and `net_kernel`
//! add their own. The bytes `erl` sent during the handshake become the acceptor-side
//! `handshake` seed (selector byte 0, then those bytes); the frames after it (ticks
//! left out) become a `dist_frames` seed (`Length:16/big, Bytes` each). The test also
//! checks what it recorded: the handshake seed starts with a version-6 `send_name`, and
//! every frame is read by `InboundDecoder` and decoded as a control message.

mod interop;

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use interop::node::{COOKIE, beam, eval, node, run};
use interop::unique;
use tether::dist::epmd::{EpmdClient, NodeInfo};
use tether::dist::framing;
use tether::dist::framing::header::InboundDecoder;
use tether::dist::handshake::{self, AcceptAll};
use tether::dist::{Cookie, Cookies, HandshakeConfig, NodeName};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// A stream that keeps a copy of everything read from it.
struct Tee {
    inner: TcpStream,
    seen: Arc<Mutex<Vec<u8>>>,
}

impl AsyncRead for Tee {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let r = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = &r {
            this.seen
                .lock()
                .unwrap()
                .extend_from_slice(&buf.filled()[before..]);
        }
        r
    }
}

impl AsyncWrite for Tee {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[test]
#[ignore = "writes fuzz/seeds/{handshake,dist_frames}; run with --ignored to regenerate"]
fn record_erl_handshake_and_frames() {
    let (handshake_seed, frames) = run(async {
        let alive = unique("seedsink");
        let name = NodeName::parse(&format!("{alive}@{}", interop::short_host())).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let _registration = EpmdClient::new(node().epmd_addr())
            .register(&NodeInfo::new(&alive, port))
            .await
            .unwrap();
        let (beam_proc, beam_node) = beam("seedsrc").await;
        let target = format!("'{name}'");
        let sender = tether::spawn(async move {
            let code = format!(
                "S = fun(M) -> erlang:send({{sink, {target}}}, M) end, \
                 S(hello), S({{hello, self(), make_ref()}}), S({{hello, [1, 2, 3], <<\"bin\">>}}), \
                 S(#{{key => value, 1 => 1.5}}), S(123456789012345678901234567890), \
                 S(\"a string\"), S({{hello, again}}), ok."
            );
            assert!(eval(beam_node, &code).await.is_atom("ok"));
        });
        let (stream, _) = tokio::time::timeout(Duration::from_secs(15), listener.accept())
            .await
            .expect("erl dials the sink")
            .unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let tee = Tee {
            inner: stream,
            seen: seen.clone(),
        };
        let cookies = Arc::new(Cookies::new(Cookie::new(COOKIE).unwrap()));
        let cfg = HandshakeConfig::new(name, 5, cookies);
        let mut hs = handshake::accept(tee, &cfg, &AcceptAll)
            .await
            .expect("the handshake with erl");
        let handshake_bytes = std::mem::take(&mut *seen.lock().unwrap());
        // Frames until erl has been quiet for a second.
        let mut frames = Vec::new();
        loop {
            let mut len = [0u8; 4];
            let read = tokio::time::timeout(Duration::from_secs(1), hs.stream.read_exact(&mut len));
            let Ok(Ok(_)) = read.await else { break };
            let len = u32::from_be_bytes(len) as usize;
            let mut body = vec![0; len];
            hs.stream.read_exact(&mut body).await.unwrap();
            if len > 0 {
                frames.push(body);
            }
        }
        let _ = sender;
        drop(beam_proc);
        let mut seed = vec![0u8];
        seed.extend_from_slice(&handshake_bytes);
        (seed, frames)
    });
    // A version-6 send_name: 2-byte length, then 'N'.
    assert_eq!(handshake_seed[3], b'N', "{handshake_seed:?}");
    assert!(frames.len() >= 7, "only {} frames recorded", frames.len());
    // Every frame is read as the node reads it, and decodes to a control message.
    let mut decoder = InboundDecoder::new(1 << 20);
    let mut messages = 0;
    for f in &frames {
        let kind = framing::classify(bytes::Bytes::copy_from_slice(f)).unwrap();
        if let Some(m) = decoder.decode(kind).unwrap() {
            let refs = tether::term::AtomCacheRefs::from_atoms(m.atom_refs);
            let mut d = tether::term::Decoder::from_bytes(&m.body).with_atom_cache(Some(&refs));
            let ctrl = if m.versioned {
                d.decode()
            } else {
                d.decode_term()
            };
            ctrl.expect("the control term decodes");
            messages += 1;
        }
    }
    assert!(messages >= 7);
    let seeds = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds");
    std::fs::create_dir_all(seeds.join("handshake")).unwrap();
    std::fs::create_dir_all(seeds.join("dist_frames")).unwrap();
    std::fs::write(seeds.join("handshake/erl-initiator"), &handshake_seed).unwrap();
    let mut session = Vec::new();
    for f in frames.iter().filter(|f| f.len() < 4000) {
        session.extend_from_slice(&(f.len() as u16).to_be_bytes());
        session.extend_from_slice(f);
    }
    std::fs::write(seeds.join("dist_frames/erl-session"), &session).unwrap();
}
