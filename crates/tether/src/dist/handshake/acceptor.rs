//! The accepting side (`dist_util:handshake_other_started`).
//!
//! States: `RecvName → Checks → Status [→ RecvAliveAnswer] → SendChallenge
//! [→ RecvComplement] → RecvReply → SendAck → Up`.
//!
//! Checks, in OTP's order: NAME_ME (refused), name syntax, allow-list (`not_allowed`),
//! mandatory flags (`not_allowed`, low 32 bits only for an old `'n'` until the
//! complement arrives, then all of them), then the [`ConnectArbiter`] decides the
//! status. If the handshake fails after the arbiter accepted the peer, the arbiter is
//! told ([`ConnectArbiter::incoming_failed`]).

use tokio::io::{AsyncRead, AsyncWrite};

use super::message::{self as msg, PacketLen, Status};
use super::{
    ConnectArbiter, Handshake, HandshakeConfig, HandshakeError, IncomingDecision, ProtocolError,
    gen_challenge,
};
use crate::dist::cookie::verify_digest;
use crate::dist::flags::DistFlags;
use crate::dist::node_name::NodeName;

/// Runs the handshake as acceptor on a freshly accepted stream.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use tether::dist::{handshake, Cookie, Cookies, HandshakeConfig, NodeName};
/// let cookies = Arc::new(Cookies::new(Cookie::new("secret").unwrap()));
/// let cfg = HandshakeConfig::new(NodeName::parse("tether@localhost")?, 1, cookies);
/// let listener = tokio::net::TcpListener::bind("0.0.0.0:0").await?;
/// loop {
///     let (stream, _) = listener.accept().await?;
///     match handshake::accept(stream, &cfg, &handshake::AcceptAll).await {
///         Ok(hs) => println!("{} connected", hs.peer),
///         Err(e) => eprintln!("refused: {e}"),
///     }
/// }
/// # }
/// ```
pub async fn accept<S>(
    stream: S,
    cfg: &HandshakeConfig,
    arbiter: &dyn ConnectArbiter,
) -> Result<Handshake<S>, HandshakeError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut accepted: Option<NodeName> = None;
    let result =
        tokio::time::timeout(cfg.setup_timeout, run(stream, cfg, arbiter, &mut accepted)).await;
    let result = result.unwrap_or(Err(HandshakeError::Timeout));
    if let Err(e) = &result {
        if let Some(peer) = &accepted {
            arbiter.incoming_failed(peer);
        }
        crate::runtime::logger::report_warn!(error = %e, "incoming distribution handshake failed");
    }
    result
}

async fn refuse<S: AsyncWrite + Unpin>(
    s: &mut S,
    framing: PacketLen,
    err: HandshakeError,
) -> HandshakeError {
    // Best effort: the peer may already be gone.
    let _ = msg::write_packet(s, framing, &msg::encode_status(&Status::NotAllowed)).await;
    err
}

async fn run<S>(
    mut s: S,
    cfg: &HandshakeConfig,
    arbiter: &dyn ConnectArbiter,
    accepted: &mut Option<NodeName>,
) -> Result<Handshake<S>, HandshakeError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let framing = cfg.packet_len;
    let name_msg = msg::decode_send_name(&msg::read_packet(&mut s, framing, "send_name").await?)?;
    if name_msg.flags.contains(DistFlags::NAME_ME) {
        return Err(refuse(&mut s, framing, HandshakeError::DynamicName).await);
    }
    let peer = NodeName::from_bytes(&name_msg.name)?;
    if !cfg.allows(&peer) {
        return Err(refuse(
            &mut s,
            framing,
            HandshakeError::NotAllowed {
                peer: peer.to_string(),
            },
        )
        .await);
    }
    let mut peer_flags = name_msg.flags.expand_digest();
    let check_mask = if name_msg.creation.is_some() {
        !0
    } else {
        u64::from(u32::MAX)
    };
    let missing = peer_flags.missing(cfg.mandatory_flags() & DistFlags::from_bits(check_mask));
    if !missing.is_empty() {
        return Err(refuse(
            &mut s,
            framing,
            HandshakeError::MissingFlags {
                peer: peer.to_string(),
                missing,
            },
        )
        .await);
    }

    let decision = arbiter.incoming(&cfg.name, &peer);
    let mut replaces_existing = false;
    match decision {
        IncomingDecision::Accept
        | IncomingDecision::AcceptSimultaneous
        | IncomingDecision::Alive => {
            *accepted = Some(peer.clone());
        }
        IncomingDecision::Refuse => {
            let _ = msg::write_packet(&mut s, framing, &msg::encode_status(&Status::Nok)).await;
            return Err(HandshakeError::LostRace {
                peer: peer.to_string(),
            });
        }
        IncomingDecision::AlreadyPending => {
            return Err(HandshakeError::AlreadyConnected {
                peer: peer.to_string(),
            });
        }
    }
    let status = match decision {
        IncomingDecision::AcceptSimultaneous => Status::OkSimultaneous,
        IncomingDecision::Alive => Status::Alive,
        _ => Status::Ok,
    };
    msg::write_packet(&mut s, framing, &msg::encode_status(&status)).await?;
    if status == Status::Alive {
        match msg::read_packet(&mut s, framing, "alive answer")
            .await?
            .as_slice()
        {
            b"strue" => replaces_existing = true,
            b"sfalse" => {
                return Err(HandshakeError::AlreadyConnected {
                    peer: peer.to_string(),
                });
            }
            _ => {
                return Err(ProtocolError::BadAliveAnswer.into());
            }
        }
    }

    let ours = cfg.advertised_flags();
    let challenge = gen_challenge()?;
    let ch = msg::encode_challenge(ours, challenge, cfg.creation, cfg.name.as_str());
    msg::write_packet(&mut s, framing, &ch).await?;

    let peer_creation = match name_msg.creation {
        Some(c) => c,
        None => {
            let c = msg::read_packet(&mut s, framing, "complement").await?;
            let (high, creation) = msg::decode_complement(&c)?;
            peer_flags = (peer_flags | DistFlags::from_bits(u64::from(high) << 32)).expand_digest();
            let missing = peer_flags.missing(cfg.mandatory_flags());
            if !missing.is_empty() {
                return Err(HandshakeError::MissingFlags {
                    peer: peer.to_string(),
                    missing,
                });
            }
            creation
        }
    };

    let reply = msg::read_packet(&mut s, framing, "challenge reply").await?;
    let (peer_challenge, digest) = msg::decode_reply(&reply)?;
    let cookie = cfg.cookies.for_node(peer.as_str());
    if !verify_digest(&cookie, challenge, digest) {
        // Like OTP: log and close without telling the peer why.
        return Err(HandshakeError::BadDigest {
            peer: peer.to_string(),
        });
    }
    msg::write_packet(
        &mut s,
        framing,
        &msg::encode_ack(&cookie.digest(peer_challenge)),
    )
    .await?;
    Ok(Handshake {
        stream: s,
        peer,
        peer_flags,
        flags: DistFlags::negotiate(ours, peer_flags),
        peer_creation,
        initiated: false,
        replaces_existing,
    })
}
