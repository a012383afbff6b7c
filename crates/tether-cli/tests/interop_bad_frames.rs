//! Hostile input on established connections to a running node: malformed frames, bad
//! control messages, undecodable, oversized and over-deep terms, spoofed senders and
//! broken fragments. Each closes only that one connection (the node logs the reason);
//! an `erl` peer connected throughout keeps being served, and new connections are
//! accepted.

mod interop;

use std::sync::Arc;

use bytes::Bytes;
use interop::node::{COOKIE, T, beam, eval, node, run};
use interop::unique;
use tether::dist::control::op;
use tether::dist::epmd::EpmdClient;
use tether::dist::framing::header::InboundDecoder;
use tether::dist::framing::{self, FramingConfig};
use tether::dist::handshake::{self, AcceptAll};
use tether::dist::{Cookie, Cookies, DistFlags, HandshakeConfig, NodeName};
use tether::term::{Decoder, encode};
use tether::{Node, Pid, Term};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A fake peer: a finished handshake with our node, as a raw stream.
async fn fake_peer() -> (TcpStream, Node) {
    let name = format!("{}@{}", unique("fake"), interop::short_host());
    let cookies = Arc::new(Cookies::new(Cookie::new(COOKIE).unwrap()));
    let mut cfg = HandshakeConfig::new(NodeName::parse(&name).unwrap(), 77, cookies).hidden();
    cfg.flags = DistFlags::PASS_THROUGH;
    let us = node();
    let port = EpmdClient::new(us.epmd_addr())
        .port_please(us.name().alive())
        .await
        .unwrap()
        .unwrap()
        .port;
    let stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let hs = handshake::connect(stream, &cfg, us.name(), &AcceptAll)
        .await
        .unwrap();
    (hs.stream, Node::intern(&name).unwrap())
}

fn frame(body: &[u8]) -> Vec<u8> {
    let mut f = (body.len() as u32).to_be_bytes().to_vec();
    f.extend_from_slice(body);
    f
}

fn pass_through(ctrl: &Term, payload: Option<&Term>) -> Vec<u8> {
    let mut b = vec![112];
    b.extend(encode(ctrl).unwrap());
    if let Some(p) = payload {
        b.extend(encode(p).unwrap());
    }
    frame(&b)
}

/// Reads until the node closes the connection (ticks are fine); panics if it stays open.
async fn expect_closed(mut s: TcpStream, what: &str) {
    let mut buf = [0u8; 4096];
    let closed = tokio::time::timeout(T, async {
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(
        closed.is_ok(),
        "the node kept the connection open after {what}"
    );
}

fn deep(n: usize) -> Vec<u8> {
    // [[[...[]...]]] as LIST_EXT of one element, n deep.
    let mut b = Vec::new();
    for _ in 0..n {
        b.extend_from_slice(&[108, 0, 0, 0, 1]);
    }
    b.extend(std::iter::repeat_n(106, n + 1));
    b
}

#[test]
fn each_bad_input_closes_only_its_connection() {
    run(async {
        let (_b, beam_node) = beam("bystander").await;
        assert_eq!(eval(beam_node, "ok.").await, Term::atom("ok"));
        let to = tether::whereis("echo").unwrap();
        let send_ctrl = Term::tuple([Term::from(op::SEND), Term::atom(""), Term::Pid(to)]);
        let mut depth_payload = vec![112];
        depth_payload.extend(encode(&send_ctrl).unwrap());
        depth_payload.push(131);
        depth_payload.extend(deep(600));
        let other = Pid::new(Node::intern("someone_else@nowhere").unwrap(), 1, 0, 1);
        let mut frag = vec![131, 70];
        frag.extend_from_slice(&9u64.to_be_bytes());
        frag.extend_from_slice(&1u64.to_be_bytes());
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("an unknown frame type", frame(&[7, 1, 2])),
            ("an undecodable term", frame(&[112, 131, 255])),
            (
                "a control message that is not a tuple",
                pass_through(&Term::atom("x"), None),
            ),
            (
                "an unknown opcode",
                pass_through(&Term::tuple([Term::from(99)]), None),
            ),
            (
                "a SEND without a pid",
                pass_through(
                    &Term::tuple([Term::from(op::SEND), Term::atom(""), Term::from(1)]),
                    Some(&Term::nil()),
                ),
            ),
            ("a SEND without its message", pass_through(&send_ctrl, None)),
            (
                "a frame over the size limit",
                vec![0xff, 0xff, 0xff, 0xff, 112],
            ),
            ("a term nested too deep", frame(&depth_payload)),
            (
                "a spoofed sender",
                pass_through(
                    &Term::tuple([Term::from(op::LINK), Term::Pid(other), Term::Pid(to)]),
                    None,
                ),
            ),
            ("a fragment of an unknown sequence", frame(&frag)),
        ];
        for (what, bytes) in cases {
            let (mut s, _) = fake_peer().await;
            s.write_all(&bytes).await.unwrap();
            expect_closed(s, what).await;
            // The BEAM peer is still served over its own connection.
            assert_eq!(
                eval(beam_node, "ok.").await,
                Term::atom("ok"),
                "after {what}"
            );
        }
        // A well-behaved fake peer is still accepted and served: REG_SEND to echo.
        let (s, fake) = fake_peer().await;
        let me = Pid::new(fake, 1, 0, 77);
        let ctrl = Term::tuple([
            Term::from(op::REG_SEND),
            Term::Pid(me),
            Term::atom(""),
            Term::atom("echo"),
        ]);
        let msg = Term::tuple([Term::Pid(me), Term::atom("still_here")]);
        let (mut reader, sender, _w) = framing::split(s, FramingConfig::default());
        let mut body = vec![112];
        body.extend(encode(&ctrl).unwrap());
        body.extend(encode(&msg).unwrap());
        sender.send(Bytes::from(body)).await.unwrap();
        let mut inbound = InboundDecoder::new(1 << 20);
        let got = tokio::time::timeout(T, async {
            loop {
                let kind = reader.next_kind().await.unwrap().unwrap();
                if let Some(m) = inbound.decode(kind).unwrap() {
                    let mut d = Decoder::from_bytes(&m.body);
                    let _ctrl = d.decode().unwrap();
                    return d.decode().unwrap();
                }
            }
        })
        .await
        .expect("an echo");
        assert_eq!(got, Term::atom("still_here"));
    });
}
