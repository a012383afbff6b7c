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

/// The frame bodies of one message: almost always one, several for a fragmented one.
/// Iterating yields them in order.
#[derive(Debug)]
pub enum Frames {
    /// A whole message in one frame.
    One(Bytes),
    /// The fragments of one message, first to last.
    Fragments(Vec<Bytes>),
}

impl IntoIterator for Frames {
    type Item = Bytes;
    type IntoIter = std::iter::Chain<std::option::IntoIter<Bytes>, std::vec::IntoIter<Bytes>>;

    fn into_iter(self) -> Self::IntoIter {
        match self {
            Frames::One(b) => Some(b).into_iter().chain(Vec::new()),
            Frames::Fragments(v) => None.into_iter().chain(v),
        }
    }
}

/// Room reserved for the frame prefix before the control term: `131, 68, 0` with the
/// atom cache, else the 19-byte header of a lone fragment (`131, 69`, sequence id,
/// fragment id 1, no atom-cache references).
const ATOM_CACHE_PREFIX: usize = 3;
const FRAGMENT_PREFIX: usize = 19;

/// The first allocation for a frame: a message signal to a remote pid with a small
/// payload fits (a 1 KiB binary grows it once, by the ETF encoder's reservation).
const INITIAL_CAPACITY: usize = 128;

/// Encodes `ctrl` into the frame bodies of one message for a connection with `flags`.
///
/// The common case costs one allocation and no copy: the frame prefix, the control
/// term and the payload are written into one buffer (see [`write_control`] for the
/// control term). Only a message over [`FRAGMENT_SIZE`] is copied into fragments.
pub fn encode(ctrl: &Control, flags: DistFlags, seq: &AtomicU64) -> Result<Frames, EncodeError> {
    let cache = flags.contains(DistFlags::DIST_HDR_ATOM_CACHE);
    let fragments = flags.contains(DistFlags::FRAGMENTS);
    let mut buf = BytesMut::with_capacity(INITIAL_CAPACITY);
    if !cache && !fragments {
        buf.put_u8(112);
        if let Some(p) = write_control(ctrl, flags, true, &mut buf)? {
            encode_to(p, &mut buf)?;
        }
        return Ok(Frames::One(buf.freeze()));
    }
    let prefix = if cache {
        ATOM_CACHE_PREFIX
    } else {
        FRAGMENT_PREFIX
    };
    buf.put_bytes(0, prefix);
    if let Some(p) = write_control(ctrl, flags, false, &mut buf)? {
        encode_term_to(p, &mut buf)?;
    }
    let body_len = buf.len() - prefix;
    if body_len <= FRAGMENT_SIZE || !fragments {
        if cache {
            buf[..prefix].copy_from_slice(&[131, 68, 0]);
        } else {
            // Fragments without the atom cache: a single fragment is a whole message.
            let mut h = &mut buf[..prefix];
            h.put_slice(&[131, 69]);
            h.put_u64(seq.fetch_add(1, Ordering::Relaxed));
            h.put_u64(1);
            h.put_u8(0); // no atom-cache references
        }
        return Ok(Frames::One(buf.freeze()));
    }
    let body = buf.freeze().slice(prefix..);
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
    Ok(Frames::Fragments(frames))
}

/// Writes the control term of `ctrl` into `buf` (with the 131 version byte if
/// `versioned`) and returns the payload to write after it.
///
/// The message signals (SEND, SEND_SENDER, REG_SEND, ALIAS_SEND), the hot path, are
/// written field by field, without building a tuple `Term`; their bytes are the
/// same as [`Control::encode_parts`] gives (a test checks it). Other signals go
/// through `encode_parts`.
fn write_control<'c>(
    ctrl: &'c Control,
    flags: DistFlags,
    versioned: bool,
    buf: &mut BytesMut,
) -> Result<Option<&'c Term>, EncodeError> {
    const SMALL_TUPLE: u8 = 104;
    const SMALL_INTEGER: u8 = 97;
    const EMPTY_ATOM: [u8; 2] = [119, 0]; // SMALL_ATOM_UTF8, length 0: ''
    if versioned {
        buf.put_u8(131);
    }
    match ctrl {
        Control::Send {
            from: Some(from),
            to,
            msg,
        } if flags.contains(DistFlags::SEND_SENDER) => {
            buf.put_slice(&[SMALL_TUPLE, 3, SMALL_INTEGER, 22]);
            encode_term_to(&Term::Pid(*from), buf)?;
            encode_term_to(&Term::Pid(*to), buf)?;
            Ok(Some(msg))
        }
        Control::Send { to, msg, .. } => {
            buf.put_slice(&[SMALL_TUPLE, 3, SMALL_INTEGER, 2]);
            buf.put_slice(&EMPTY_ATOM);
            encode_term_to(&Term::Pid(*to), buf)?;
            Ok(Some(msg))
        }
        Control::RegSend { from, to, msg } => {
            buf.put_slice(&[SMALL_TUPLE, 4, SMALL_INTEGER, 6]);
            encode_term_to(&Term::Pid(*from), buf)?;
            buf.put_slice(&EMPTY_ATOM);
            encode_term_to(&Term::Atom(to.clone()), buf)?;
            Ok(Some(msg))
        }
        Control::AliasSend { from, alias, msg } => {
            buf.put_slice(&[SMALL_TUPLE, 3, SMALL_INTEGER, 33]);
            encode_term_to(&Term::Pid(*from), buf)?;
            encode_term_to(&Term::Ref(*alias), buf)?;
            Ok(Some(msg))
        }
        _ => {
            let (c, payload) = ctrl.encode_parts(flags);
            encode_term_to(&c, buf)?;
            Ok(payload)
        }
    }
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
    use tether_term::{Atom, Node, Pid, Reference};

    #[test]
    fn message_controls_encode_as_encode_parts_does() {
        let from = Pid::new(Node::intern("from_node@somewhere").unwrap(), 7, 0, 3);
        let to = Pid::new(Node::intern("x@h").unwrap(), 1, 2, 3);
        let alias = Reference::new(Node::intern("x@h").unwrap(), 3, &[1, 2, 3]);
        let msg = Term::tuple([Term::atom("seq"), Term::from(123_456)]);
        let ctrls = [
            Control::Send {
                from: Some(from),
                to,
                msg: msg.clone(),
            },
            Control::Send {
                from: None,
                to,
                msg: msg.clone(),
            },
            Control::RegSend {
                from,
                to: Atom::new("a_registered_name_longer_than_inline"),
                msg: msg.clone(),
            },
            Control::RegSend {
                from,
                to: Atom::new("sink"),
                msg: msg.clone(),
            },
            Control::AliasSend {
                from,
                alias,
                msg: msg.clone(),
            },
            Control::Link { from, to },
        ];
        let no_sender = DistFlags::DEFAULT & !DistFlags::SEND_SENDER;
        for flags in [DistFlags::DEFAULT, DistFlags::PASS_THROUGH, no_sender] {
            for versioned in [false, true] {
                for c in &ctrls {
                    let mut fast = BytesMut::new();
                    let p = write_control(c, flags, versioned, &mut fast).unwrap();
                    let (term, payload) = c.encode_parts(flags);
                    let mut reference = BytesMut::new();
                    if versioned {
                        encode_to(&term, &mut reference).unwrap();
                    } else {
                        encode_term_to(&term, &mut reference).unwrap();
                    }
                    assert_eq!(fast, reference, "{c:?} with {flags:?}");
                    assert_eq!(p, payload);
                }
            }
        }
    }

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
                let frames: Vec<Bytes> = encode(&c, flags, &seq).unwrap().into_iter().collect();
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
