//! The initiating side (`dist_util:handshake_we_started`).
//!
//! States: `SendName → RecvStatus [→ SendAliveAnswer] → RecvChallenge → SendReply →
//! RecvAck → Up`. Any unexpected message ends the attempt with an error; the caller
//! closes the stream.

use tokio::io::{AsyncRead, AsyncWrite};

use super::message::{self as msg, Status};
use super::{
    ConnectArbiter, Handshake, HandshakeConfig, HandshakeError, ProtocolError, gen_challenge,
};
use crate::dist::cookie::verify_digest;
use crate::dist::flags::DistFlags;
use crate::dist::node_name::NodeName;

/// Runs the handshake as initiator on a connected stream to `peer`.
///
/// `arbiter` answers the `alive` status (is our attempt still wanted?).
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use tether::dist::{handshake, Cookie, Cookies, HandshakeConfig, NodeName};
/// use tether::dist::epmd::EpmdClient;
/// let cookies = Arc::new(Cookies::new(Cookie::new("secret").unwrap()));
/// let cfg = HandshakeConfig::new(NodeName::parse("tether@localhost")?, 1, cookies);
/// let peer = NodeName::parse("beam@localhost")?;
/// let port = EpmdClient::local().port_please(peer.alive()).await?.ok_or("not registered")?.port;
/// let stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
/// let hs = handshake::connect(stream, &cfg, &peer, &handshake::AcceptAll).await?;
/// println!("connected to {} with {:?}", hs.peer, hs.flags);
/// # Ok(()) }
/// ```
pub async fn connect<S>(
    stream: S,
    cfg: &HandshakeConfig,
    peer: &NodeName,
    arbiter: &dyn ConnectArbiter,
) -> Result<Handshake<S>, HandshakeError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let result = tokio::time::timeout(cfg.setup_timeout, run(stream, cfg, peer, arbiter)).await;
    let result = result.unwrap_or(Err(HandshakeError::Timeout));
    if let Err(e) = &result {
        tracing::info!(peer = %peer, error = %e, "outgoing distribution handshake failed");
    }
    result
}

async fn run<S>(
    mut s: S,
    cfg: &HandshakeConfig,
    peer: &NodeName,
    arbiter: &dyn ConnectArbiter,
) -> Result<Handshake<S>, HandshakeError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    if !cfg.allows(peer) {
        return Err(HandshakeError::NotAllowed {
            peer: peer.to_string(),
        });
    }
    let framing = cfg.packet_len;
    let ours = cfg.advertised_flags();
    msg::write_packet(
        &mut s,
        framing,
        &msg::encode_send_name(ours, cfg.creation, cfg.name.as_str()),
    )
    .await?;

    let status = msg::decode_status(&msg::read_packet(&mut s, framing, "status").await?)?;
    match status {
        Status::Ok | Status::OkSimultaneous => {}
        Status::Alive => {
            let go_on = arbiter.still_pending(peer);
            let answer: &[u8] = if go_on { b"strue" } else { b"sfalse" };
            msg::write_packet(&mut s, framing, answer).await?;
            if !go_on {
                return Err(HandshakeError::AlreadyConnected {
                    peer: peer.to_string(),
                });
            }
        }
        Status::Named(..) => {
            return Err(ProtocolError::UnsolicitedNamed.into());
        }
        status @ (Status::Nok | Status::NotAllowed) => {
            return Err(HandshakeError::Refused {
                peer: peer.to_string(),
                status,
            });
        }
    }

    let ch = msg::decode_challenge(&msg::read_packet(&mut s, framing, "challenge").await?)?;
    if ch.name != peer.as_str().as_bytes() {
        return Err(HandshakeError::WrongPeer {
            expected: peer.to_string(),
            got: String::from_utf8_lossy(&ch.name).into_owned(),
        });
    }
    if !ch.flags.contains(DistFlags::HANDSHAKE_23)
        && !ch.flags.contains(DistFlags::MANDATORY_25_DIGEST)
    {
        return Err(ProtocolError::NoHandshake23.into());
    }
    let peer_flags = ch.flags.expand_digest();
    let missing = peer_flags.missing(cfg.mandatory_flags());
    if !missing.is_empty() {
        return Err(HandshakeError::MissingFlags {
            peer: peer.to_string(),
            missing,
        });
    }

    let cookie = cfg.cookies.for_node(peer.as_str());
    let our_challenge = gen_challenge()?;
    msg::write_packet(
        &mut s,
        framing,
        &msg::encode_reply(our_challenge, &cookie.digest(ch.challenge)),
    )
    .await?;

    let ack = match msg::read_packet(&mut s, framing, "challenge ack").await {
        Err(HandshakeError::Closed { .. }) => {
            return Err(HandshakeError::CookieRejected {
                peer: peer.to_string(),
            });
        }
        other => other?,
    };
    if !verify_digest(&cookie, our_challenge, msg::decode_ack(&ack)?) {
        return Err(HandshakeError::BadDigest {
            peer: peer.to_string(),
        });
    }
    Ok(Handshake {
        stream: s,
        peer: peer.clone(),
        peer_flags,
        flags: DistFlags::negotiate(ours, peer_flags),
        peer_creation: ch.creation,
        initiated: true,
        replaces_existing: false,
    })
}
