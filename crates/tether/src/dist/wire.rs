//! Control messages to frames and back.
//!
//! **Sending.** With `DIST_HDR_ATOM_CACHE` negotiated a message is a distribution
//! header with no cache references (`131, 68, 0`) followed by the control and payload
//! terms without version bytes (legal, and what OTP accepts from a node that never
//! populates its cache, DISTRIBUTION.md §3.2); otherwise it is a pass-through frame
//! (`112, 131 ctrl, 131 payload`). A message larger than [`FRAGMENT_SIZE`] is split
//! into fragments when the peer accepts them (`FRAGMENTS`): the first (`131, 69`)
//! carries the sequence id, the count of fragments, an empty atom-cache section and
//! the start of the bytes; the others (`131, 70`) carry the rest, ids counting down
//! to 1. All fragments of one message are queued together, so they reach the writer
//! in order.
//!
//! **Receiving.** [`decode`] reads a reassembled [`header::Message`]: the control term
//! (resolving atom-cache references) and the optional payload, under the node's
//! [`DecodeLimits`], then [`Control::decode`] checks its shape.

use std::sync::atomic::{AtomicU64, Ordering};

use bytes::{BufMut, Bytes, BytesMut};
use tether_term::{
    AtomCacheRefs, DecodeLimits, Decoder, EncodeError, Term, encode_term_to, encode_to,
};

use super::control::{BadControl, Control};
use super::flags::DistFlags;
use super::framing::header;

/// Largest fragment body we send (erts uses 64 KiB too).
pub const FRAGMENT_SIZE: usize = 64 << 10;

/// Encodes `ctrl` into one or more frame bodies for a connection with `flags`.
pub fn encode(
    ctrl: &Control,
    flags: DistFlags,
    seq: &AtomicU64,
) -> Result<Vec<Bytes>, EncodeError> {
    let (c, payload) = ctrl.encode_parts(flags);
    if !flags.contains(DistFlags::DIST_HDR_ATOM_CACHE) && !flags.contains(DistFlags::FRAGMENTS) {
        let mut buf = BytesMut::with_capacity(64);
        buf.put_u8(112);
        encode_to(&c, &mut buf)?;
        if let Some(p) = payload {
            encode_to(p, &mut buf)?;
        }
        return Ok(vec![buf.freeze()]);
    }
    let mut body = BytesMut::with_capacity(64);
    encode_term_to(&c, &mut body)?;
    if let Some(p) = payload {
        encode_term_to(p, &mut body)?;
    }
    if body.len() <= FRAGMENT_SIZE || !flags.contains(DistFlags::FRAGMENTS) {
        if flags.contains(DistFlags::DIST_HDR_ATOM_CACHE) {
            let mut f = BytesMut::with_capacity(3 + body.len());
            f.put_slice(&[131, 68, 0]);
            f.put_slice(&body);
            return Ok(vec![f.freeze()]);
        }
        // Fragments without the atom cache: a single fragment is a whole message.
        return Ok(vec![fragment(
            69,
            seq.fetch_add(1, Ordering::Relaxed),
            1,
            &body,
            true,
        )]);
    }
    let body = body.freeze();
    let count = body.len().div_ceil(FRAGMENT_SIZE) as u64;
    let id = seq.fetch_add(1, Ordering::Relaxed);
    let frames = body
        .chunks(FRAGMENT_SIZE)
        .enumerate()
        .map(|(i, part)| {
            let first = i == 0;
            fragment(
                if first { 69 } else { 70 },
                id,
                count - i as u64,
                part,
                first,
            )
        })
        .collect();
    Ok(frames)
}

fn fragment(tag: u8, seq: u64, id: u64, part: &[u8], first: bool) -> Bytes {
    let mut f = BytesMut::with_capacity(19 + part.len());
    f.put_slice(&[131, tag]);
    f.put_u64(seq);
    f.put_u64(id);
    if first {
        f.put_u8(0); // no atom-cache references
    }
    f.put_slice(part);
    f.freeze()
}

/// Decodes one complete message into a control message.
pub fn decode(msg: &header::Message, limits: DecodeLimits) -> Result<Control, BadControl> {
    let refs = AtomCacheRefs::from_atoms(msg.atom_refs.clone());
    let mut d = Decoder::from_bytes(&msg.body)
        .with_limits(limits)
        .with_atom_cache(Some(&refs));
    let read = |d: &mut Decoder<'_>| -> Result<Term, BadControl> {
        let r = if msg.versioned {
            d.decode()
        } else {
            d.decode_term()
        };
        r.map_err(|e| BadControl(format!("undecodable term: {e}")))
    };
    let ctrl = read(&mut d)?;
    let payload = if d.is_empty() {
        None
    } else {
        Some(read(&mut d)?)
    };
    if !d.is_empty() {
        return Err(BadControl(format!(
            "{} bytes after the payload",
            d.remaining().len()
        )));
    }
    Control::decode(ctrl, payload)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dist::framing::{classify, header::InboundDecoder};
    use tether_term::{Node, Pid};

    #[test]
    fn every_format_decodes_back() {
        let to = Pid::new(Node::intern("x@h").unwrap(), 1, 2, 3);
        let big = Term::binary(vec![7u8; 300_000]);
        for flags in [
            DistFlags::PASS_THROUGH,
            DistFlags::DEFAULT,
            DistFlags::PASS_THROUGH | DistFlags::FRAGMENTS,
        ] {
            for msg in [Term::atom("small"), big.clone()] {
                let c = Control::Send {
                    from: None,
                    to,
                    msg: msg.clone(),
                };
                let seq = AtomicU64::new(1);
                let frames = encode(&c, flags, &seq).unwrap();
                if flags.contains(DistFlags::FRAGMENTS) && msg == big {
                    assert_eq!(frames.len(), 5);
                }
                let mut inbound = InboundDecoder::new(1 << 20);
                let mut out = None;
                for f in frames {
                    out = inbound.decode(classify(f).unwrap()).unwrap();
                }
                let back = decode(&out.unwrap(), DecodeLimits::default()).unwrap();
                assert_eq!(back, c);
            }
        }
    }
}
