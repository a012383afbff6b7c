//! Handshake state-machine tests over in-memory streams (both sides ours, or one side
//! scripted byte by byte).

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream, duplex};

use super::message::{self as msg, PacketLen, Status};
use super::*;
use crate::dist::cookie::Cookie;

fn cfg(name: &str, cookie: &str) -> HandshakeConfig {
    let cookies = Arc::new(Cookies::new(Cookie::new(cookie).unwrap()));
    let mut c = HandshakeConfig::new(NodeName::parse(name).unwrap(), 7, cookies);
    c.setup_timeout = Duration::from_secs(2);
    c
}

async fn pair(
    a: HandshakeConfig,
    b: HandshakeConfig,
) -> (
    Result<Handshake<DuplexStream>, HandshakeError>,
    Result<Handshake<DuplexStream>, HandshakeError>,
) {
    let (x, y) = duplex(4096);
    let peer = b.name.clone();
    tokio::join!(connect(x, &a, &peer, &AcceptAll), accept(y, &b, &AcceptAll))
}

#[tokio::test]
async fn both_sides_agree() {
    let (a, b) = pair(cfg("a@h", "c"), cfg("b@h", "c")).await;
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.peer.as_str(), "b@h");
    assert_eq!(b.peer.as_str(), "a@h");
    assert_eq!(a.flags, b.flags);
    assert_eq!((a.peer_creation, b.peer_creation), (7, 7));
    assert!(!a.is_hidden());
    let (a, _) = pair(cfg("a@h", "c").hidden(), cfg("b@h", "c")).await;
    assert!(a.unwrap().is_hidden());
}

#[tokio::test]
async fn cookie_mismatch_is_reported_on_both_sides() {
    let (a, b) = pair(cfg("a@h", "one"), cfg("b@h", "two")).await;
    assert!(matches!(b.unwrap_err(), HandshakeError::BadDigest { .. }));
    assert!(a.unwrap_err().is_cookie_mismatch());
}

#[tokio::test]
async fn allow_list_and_required_flags() {
    let mut b = cfg("b@h", "c");
    b.allow = Some(AllowList::new(["x@h"]));
    let (a, b) = pair(cfg("a@h", "c"), b).await;
    assert!(matches!(
        a.unwrap_err(),
        HandshakeError::Refused {
            status: Status::NotAllowed,
            ..
        }
    ));
    assert!(matches!(b.unwrap_err(), HandshakeError::NotAllowed { .. }));

    let mut a = cfg("a@h", "c");
    a.flags = DistFlags::MANDATORY_OTP25.without(DistFlags::MAP_TAG);
    let (a, b) = pair(a, cfg("b@h", "c")).await;
    assert!(matches!(
        a.unwrap_err(),
        HandshakeError::Refused {
            status: Status::NotAllowed,
            ..
        }
    ));
    match b.unwrap_err() {
        HandshakeError::MissingFlags { missing, .. } => assert_eq!(missing, DistFlags::MAP_TAG),
        e => panic!("{e}"),
    }

    // The digest bit alone stands for all OTP 25 mandatory flags.
    let mut a = cfg("a@h", "c");
    a.flags = DistFlags::MANDATORY_25_DIGEST;
    let (a, b) = pair(a, cfg("b@h", "c")).await;
    assert!(a.is_ok() && b.is_ok());

    let mut b = cfg("b@h", "c");
    b.required_flags = DistFlags::SPAWN;
    let mut a = cfg("a@h", "c");
    a.flags = DistFlags::DEFAULT.without(DistFlags::SPAWN);
    let (_, b) = pair(a, b).await;
    assert!(matches!(
        b.unwrap_err(),
        HandshakeError::MissingFlags { .. }
    ));
}

#[tokio::test]
async fn initiator_rejects_an_impostor() {
    let (x, y) = duplex(4096);
    let dialed = NodeName::parse("b@h").unwrap();
    let (ca, cb) = (cfg("a@h", "c"), cfg("b@other", "c"));
    let (a, _) = tokio::join!(
        connect(x, &ca, &dialed, &AcceptAll),
        accept(y, &cb, &AcceptAll)
    );
    assert!(matches!(a.unwrap_err(), HandshakeError::WrongPeer { .. }));
}

async fn send(s: &mut DuplexStream, body: &[u8]) {
    msg::write_packet(s, PacketLen::Two, body).await.unwrap();
}

async fn recv(s: &mut DuplexStream) -> Vec<u8> {
    msg::read_packet(s, PacketLen::Two, "test").await.unwrap()
}

/// An OTP 23/24-style initiator: old 'n' send_name, then 'c' with high flags + creation.
#[tokio::test]
async fn acceptor_takes_old_send_name_with_complement() {
    let (mut x, y) = duplex(4096);
    let b = cfg("b@h", "c");
    let acceptor = tokio::spawn(async move { accept(y, &b, &AcceptAll).await });
    let flags = DistFlags::DEFAULT | DistFlags::PUBLISHED;
    let mut n = vec![b'n', 0, 5];
    n.extend_from_slice(&(flags.bits() as u32).to_be_bytes());
    n.extend_from_slice(b"old@h");
    send(&mut x, &n).await;
    assert_eq!(recv(&mut x).await, b"sok");
    let ch = msg::decode_challenge(&recv(&mut x).await).unwrap();
    let mut c = vec![b'c'];
    c.extend_from_slice(&((flags.bits() >> 32) as u32).to_be_bytes());
    c.extend_from_slice(&99u32.to_be_bytes());
    send(&mut x, &c).await;
    let cookie = Cookie::new("c").unwrap();
    send(&mut x, &msg::encode_reply(5, &cookie.digest(ch.challenge))).await;
    let ack = recv(&mut x).await;
    assert_eq!(&ack[1..], &cookie.digest(5));
    let hs = acceptor.await.unwrap().unwrap();
    assert_eq!(hs.peer_creation, 99);
    assert!(
        hs.flags.contains(DistFlags::SPAWN),
        "high flags from the complement"
    );
}

#[tokio::test]
async fn acceptor_refuses_name_me_and_garbage_names() {
    for (flags, name) in [
        (DistFlags::DEFAULT | DistFlags::NAME_ME, "h"),
        (DistFlags::DEFAULT, "nohost"),
    ] {
        let (mut x, y) = duplex(4096);
        let b = cfg("b@h", "c");
        let acceptor = tokio::spawn(async move { accept(y, &b, &AcceptAll).await });
        send(&mut x, &msg::encode_send_name(flags, 1, name)).await;
        let err = acceptor.await.unwrap().unwrap_err();
        assert!(
            matches!(
                err,
                HandshakeError::DynamicName | HandshakeError::BadName(_)
            ),
            "{err}"
        );
    }
}

struct Fixed(IncomingDecision, bool);

impl ConnectArbiter for Fixed {
    fn incoming(&self, _: &NodeName, _: &NodeName) -> IncomingDecision {
        self.0
    }
    fn still_pending(&self, _: &NodeName) -> bool {
        self.1
    }
}

#[tokio::test]
async fn alive_and_nok_statuses() {
    for (decision, pending) in [
        (IncomingDecision::Alive, true),
        (IncomingDecision::Alive, false),
        (IncomingDecision::Refuse, true),
    ] {
        let (x, y) = duplex(4096);
        let (a, b) = (cfg("a@h", "c"), cfg("b@h", "c"));
        let arb = Fixed(decision, pending);
        let peer = b.name.clone();
        let (ra, rb) = tokio::join!(connect(x, &a, &peer, &arb), accept(y, &b, &arb));
        match (decision, pending) {
            (IncomingDecision::Alive, true) => assert!(rb.unwrap().replaces_existing && ra.is_ok()),
            (IncomingDecision::Alive, false) => {
                assert!(matches!(
                    ra.unwrap_err(),
                    HandshakeError::AlreadyConnected { .. }
                ));
                assert!(rb.is_err());
            }
            _ => {
                assert!(ra.unwrap_err().is_simultaneous_connect());
                assert!(rb.unwrap_err().is_simultaneous_connect());
            }
        }
    }
}

#[tokio::test]
async fn silent_peer_times_out() {
    let (mut x, y) = duplex(4096);
    let mut b = cfg("b@h", "c");
    b.setup_timeout = Duration::from_millis(100);
    x.write_all(&[0, 10, b'N']).await.unwrap(); // promises 10 bytes, sends 1
    assert!(matches!(
        accept(y, &b, &AcceptAll).await.unwrap_err(),
        HandshakeError::Timeout
    ));
    let mut rest = Vec::new();
    let _ = x.read_to_end(&mut rest).await;
}
