//! Control messages to frames and back.
//!
//! **Sending.** With `DIST_HDR_ATOM_CACHE` negotiated a message is a distribution
//! header (`131, 68`, the atom-cache section) followed by the control and payload
//! terms without version bytes, their atoms (node names of pids and references
//! included) written as `ATOM_CACHE_REF`s into the message's [`OutgoingAtomRefs`]
//! (docs/distribution.md §3.2). The terms do not depend on the connection's cache; the
//! section does. So the section is written here as if every atom were new, at the end
//! of the frame, and the connection's writer moves it into place and shortens it from
//! the cache, in wire order (see [`OutFrame`]). The list of atoms is a per-thread
//! buffer, reused: encoding a message allocates only its bytes. Without the atom cache a message is a
//! pass-through frame (`112, 131 ctrl, 131 payload`).
//!
//! A message larger than [`FRAGMENT_SIZE`] is sent in fragments when the peer
//! accepts them (`FRAGMENTS`): the first (`131, 69`) carries the sequence id, the
//! count of fragments, the atom-cache section and the start of the bytes; the others
//! (`131, 70`) carry the rest, ids counting down to 1. The message is encoded once,
//! whole, and queued as one [`OutFrame::fragmented`]; the connection's writer cuts
//! the fragments as it writes them, and other senders' messages go between them as
//! in erts (the receiver applies a header when the first fragment arrives, in wire
//! order like any other). Fragments without the atom cache have a section with no
//! references.
//!
//! **Receiving.** [`decode`] reads a reassembled [`header::Message`]: the control term
//! (resolving atom-cache references) and the optional payload, under the node's
//! [`DecodeLimits`], then [`Control::decode`] checks its shape.

use std::sync::atomic::{AtomicU64, Ordering};

use bytes::{BufMut, Bytes, BytesMut};
use tether_term::{
    AtomCacheRefs, DecodeLimits, Decoder, EncodeError, OutgoingAtomRefs, Term, encode_term_to,
    encode_term_with_atom_refs, encode_to,
};

use super::control::{BadControl, Control, op};
use super::flags::DistFlags;
use super::framing::{FRAGMENT_SIZE, OutFrame, header};

/// Frame prefix before the atom-cache section: `131, 68` with the atom cache, else the
/// header of a lone fragment (`131, 69`, sequence id, fragment id 1).
const HEADER_PREFIX: usize = 2;
const FRAGMENT_PREFIX: usize = 18;

/// The first allocation for a frame: a message signal to a remote pid with a small
/// payload fits (a 1 KiB binary grows it once, by the ETF encoder's reservation).
const INITIAL_CAPACITY: usize = 128;

/// How the terms after the frame prefix are written: with atom-cache references into
/// the message's list, or with atoms as text.
struct Terms<'r>(Option<&'r mut OutgoingAtomRefs>);

impl Terms<'_> {
    fn put(&mut self, term: &Term, buf: &mut BytesMut) -> Result<(), EncodeError> {
        match &mut self.0 {
            Some(refs) => encode_term_with_atom_refs(term, buf, refs),
            None => encode_term_to(term, buf),
        }
    }
}

/// Encodes `ctrl` into the frame of one message for a connection with `flags`.
///
/// It costs one allocation and no copy: the frame prefix, the control term, the
/// payload and the atom-cache section are written into one buffer (see
/// [`write_control`] for the control term). A message over [`FRAGMENT_SIZE`] becomes
/// an [`OutFrame::fragmented`], which the connection's writer cuts into fragments as
/// it sends them.
pub fn encode(ctrl: &Control, flags: DistFlags, seq: &AtomicU64) -> Result<OutFrame, EncodeError> {
    let cache = flags.contains(DistFlags::DIST_HDR_ATOM_CACHE);
    let fragments = flags.contains(DistFlags::FRAGMENTS);
    let mut buf = BytesMut::with_capacity(INITIAL_CAPACITY);
    if !cache && !fragments {
        buf.put_u8(112);
        if let Some(p) = write_control(ctrl, flags, true, &mut Terms(None), &mut buf)? {
            encode_to(p, &mut buf)?;
        }
        return Ok(OutFrame::raw(buf.freeze()));
    }
    let prefix = if cache {
        HEADER_PREFIX
    } else {
        FRAGMENT_PREFIX
    };
    buf.put_bytes(0, prefix);
    let section = REFS.with_borrow_mut(|refs| -> Result<usize, EncodeError> {
        refs.clear();
        let mut terms = Terms(cache.then_some(&mut *refs));
        if let Some(p) = write_control(ctrl, flags, false, &mut terms, &mut buf)? {
            terms.put(p, &mut buf)?;
        }
        let section = buf.len();
        refs.write_section(&mut buf);
        Ok(section)
    })?;
    let body_len = section - prefix;
    if body_len > FRAGMENT_SIZE && fragments {
        let id = seq.fetch_add(1, Ordering::Relaxed);
        return Ok(OutFrame::fragmented(buf.freeze(), prefix, section, id));
    }
    let mut h = &mut buf[..prefix];
    if cache {
        h.put_slice(&[131, 68]);
    } else {
        // Fragments without the atom cache: a single fragment is a whole message.
        h.put_slice(&[131, 69]);
        h.put_u64(seq.fetch_add(1, Ordering::Relaxed));
        h.put_u64(1);
    }
    Ok(OutFrame::with_atom_cache(buf.freeze(), prefix, section))
}

thread_local! {
    /// The atoms of the message being encoded on this thread (kept for its memory).
    static REFS: std::cell::RefCell<OutgoingAtomRefs> =
        std::cell::RefCell::new(OutgoingAtomRefs::new());
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
    terms: &mut Terms<'_>,
    buf: &mut BytesMut,
) -> Result<Option<&'c Term>, EncodeError> {
    const SMALL_TUPLE: u8 = 104;
    const SMALL_INTEGER: u8 = 97;
    /// `''`, the unused cookie of SEND and REG_SEND.
    static EMPTY: std::sync::LazyLock<Term> =
        std::sync::LazyLock::new(|| Term::Atom(tether_term::Atom::new("")));
    if versioned {
        buf.put_u8(131);
    }
    let empty = &*EMPTY;
    match ctrl {
        Control::Send {
            from: Some(from),
            to,
            msg,
        } if flags.contains(DistFlags::SEND_SENDER) => {
            buf.put_slice(&[SMALL_TUPLE, 3, SMALL_INTEGER, op::SEND_SENDER]);
            terms.put(&Term::Pid(*from), buf)?;
            terms.put(&Term::Pid(*to), buf)?;
            Ok(Some(msg))
        }
        Control::Send { to, msg, .. } => {
            buf.put_slice(&[SMALL_TUPLE, 3, SMALL_INTEGER, op::SEND]);
            terms.put(empty, buf)?;
            terms.put(&Term::Pid(*to), buf)?;
            Ok(Some(msg))
        }
        Control::RegSend { from, to, msg } => {
            buf.put_slice(&[SMALL_TUPLE, 4, SMALL_INTEGER, op::REG_SEND]);
            terms.put(&Term::Pid(*from), buf)?;
            terms.put(empty, buf)?;
            terms.put(&Term::Atom(to.clone()), buf)?;
            Ok(Some(msg))
        }
        Control::AliasSend { from, alias, msg } => {
            buf.put_slice(&[SMALL_TUPLE, 3, SMALL_INTEGER, op::ALIAS_SEND]);
            terms.put(&Term::Pid(*from), buf)?;
            terms.put(&Term::Ref(*alias), buf)?;
            Ok(Some(msg))
        }
        _ => {
            let (c, payload) = ctrl.encode_parts(flags);
            terms.put(&c, buf)?;
            Ok(payload)
        }
    }
}

/// Decodes one complete message into a control message. The message's reference
/// list is left in it, for [`header::InboundDecoder::recycle`].
pub fn decode(msg: &mut header::Message, limits: DecodeLimits) -> Result<Control, BadControl> {
    let refs = AtomCacheRefs::from_atoms(std::mem::take(&mut msg.atom_refs));
    let r = decode_with(&msg.body, msg.versioned, &refs, limits);
    msg.atom_refs = refs.into_atoms();
    r
}

fn decode_with(
    body: &Bytes,
    versioned: bool,
    refs: &AtomCacheRefs,
    limits: DecodeLimits,
) -> Result<Control, BadControl> {
    let mut d = Decoder::from_bytes(body)
        .with_limits(limits)
        .with_atom_cache(Some(refs));
    let read = |d: &mut Decoder<'_>| -> Result<Term, BadControl> {
        let r = if versioned {
            d.decode()
        } else {
            d.decode_term()
        };
        r.map_err(BadControl::Undecodable)
    };
    // The control tuple is taken apart as it is read, into this thread's buffer: no
    // tuple is built for it (the payload is a term like any other).
    CONTROL_ITEMS.with_borrow_mut(|items| {
        items.clear();
        let r = (|| {
            if let Some(other) = d
                .decode_tuple_elements(versioned, items)
                .map_err(BadControl::Undecodable)?
            {
                return Err(BadControl::NotATuple(other));
            }
            let payload = if d.is_empty() {
                None
            } else {
                Some(read(&mut d)?)
            };
            if !d.is_empty() {
                return Err(BadControl::TrailingBytes(d.remaining().len()));
            }
            Control::from_elements(items, payload)
        })();
        items.clear();
        if items.capacity() > 64 {
            // A peer's odd control tuple does not stay in this thread's memory.
            items.shrink_to(64);
        }
        r
    })
}

thread_local! {
    /// The elements of the control tuple being decoded on this thread (kept for its
    /// memory).
    static CONTROL_ITEMS: std::cell::RefCell<Vec<Term>> = const { std::cell::RefCell::new(Vec::new()) };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dist::framing::{FrameKind, classify, header::InboundDecoder};
    use tether_term::{Atom, AtomCache, Node, Pid, Reference};

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
            for (versioned, cached) in [(false, false), (true, false), (false, true)] {
                for c in &ctrls {
                    let mut fast = BytesMut::new();
                    let mut fast_refs = OutgoingAtomRefs::new();
                    let mut terms = Terms(cached.then_some(&mut fast_refs));
                    let p = write_control(c, flags, versioned, &mut terms, &mut fast).unwrap();
                    let (term, payload) = c.encode_parts(flags);
                    let mut reference = BytesMut::new();
                    let mut refs = OutgoingAtomRefs::new();
                    if versioned {
                        encode_to(&term, &mut reference).unwrap();
                    } else if cached {
                        encode_term_with_atom_refs(&term, &mut reference, &mut refs).unwrap();
                    } else {
                        encode_term_to(&term, &mut reference).unwrap();
                    }
                    assert_eq!(fast, reference, "{c:?} with {flags:?}");
                    assert_eq!(fast_refs, refs);
                    assert_eq!(p, payload);
                }
            }
        }
    }

    /// The frames as the writer puts them on the wire, through `cache`.
    fn wire(frame: OutFrame, cache: &mut Option<AtomCache>) -> Vec<Bytes> {
        frame.wire_frames(cache)
    }

    #[test]
    fn every_format_decodes_back() {
        let to = Pid::new(Node::intern("x@h").unwrap(), 1, 2, 3);
        let big = Term::binary(vec![7u8; 300_000]);
        for flags in [
            DistFlags::PASS_THROUGH,
            DistFlags::DEFAULT,
            DistFlags::DEFAULT & !DistFlags::FRAGMENTS,
            DistFlags::PASS_THROUGH | DistFlags::FRAGMENTS,
        ] {
            // One connection: the caches on both sides live across the messages.
            let mut cache = None;
            let mut inbound = InboundDecoder::new(1 << 20);
            for msg in [Term::atom("small"), big.clone(), Term::atom("small")] {
                let c = Control::Send {
                    from: None,
                    to,
                    msg: msg.clone(),
                };
                let seq = AtomicU64::new(1);
                let frames = wire(encode(&c, flags, &seq).unwrap(), &mut cache);
                if flags.contains(DistFlags::FRAGMENTS) && msg == big {
                    assert_eq!(frames.len(), 5);
                }
                let mut out = None;
                for f in frames {
                    out = inbound.decode(classify(f).unwrap()).unwrap();
                }
                let back = decode(&mut out.unwrap(), DecodeLimits::default()).unwrap();
                assert_eq!(back, c);
            }
        }
    }

    #[test]
    fn undecodable_terms_and_trailing_bytes_are_bad_control() {
        let message = |body: Vec<u8>| header::Message {
            atom_refs: Vec::new(),
            body: Bytes::from(body),
            versioned: true,
        };
        let r = decode(&mut message(vec![131, 255]), DecodeLimits::default());
        assert!(matches!(r, Err(BadControl::Undecodable(_))), "{r:?}");
        let mut body = tether_term::encode(&Term::tuple([Term::from(op::NODE_LINK)])).unwrap();
        for _ in 0..2 {
            body.extend(tether_term::encode(&Term::nil()).unwrap());
        }
        let r = decode(&mut message(body), DecodeLimits::default());
        assert_eq!(r, Err(BadControl::TrailingBytes(2)));
    }

    /// The control tuple is read element by element into a reused buffer: a control
    /// that is not a tuple and a tuple cut short fail as whole-term decoding did, and
    /// a failed decode leaves nothing behind for the next one. (A compressed control
    /// takes the whole-term path: tether-term's tests.)
    #[test]
    fn control_tuples_read_in_place_keep_every_case() {
        let message = |body: Vec<u8>| header::Message {
            atom_refs: Vec::new(),
            body: Bytes::from(body),
            versioned: true,
        };
        let limits = DecodeLimits::default();
        let atom = tether_term::encode(&Term::atom("x")).unwrap();
        let r = decode(&mut message(atom), limits);
        assert_eq!(r, Err(BadControl::NotATuple(Term::atom("x"))));

        let to = Pid::new(Node::intern("x@h").unwrap(), 1, 2, 3);
        let link = Term::tuple([Term::from(op::LINK), Term::Pid(to), Term::Pid(to)]);
        let mut cut = tether_term::encode(&link).unwrap();
        cut.truncate(cut.len() - 3);
        let r = decode(&mut message(cut), limits);
        assert!(matches!(r, Err(BadControl::Undecodable(_))), "{r:?}");

        // {6, From, '', Name}: REG_SEND, with its payload.
        let reg = Term::tuple([
            Term::from(op::REG_SEND),
            Term::Pid(to),
            Term::atom(""),
            Term::atom("sink"),
        ]);
        let mut body = tether_term::encode(&reg).unwrap();
        body.extend(tether_term::encode(&Term::atom("hello")).unwrap());
        let back = decode(&mut message(body), limits).unwrap();
        assert_eq!(
            back,
            Control::RegSend {
                from: to,
                to: Atom::new("sink"),
                msg: Term::atom("hello"),
            }
        );
        // After the failures above, an ordinary message decodes whole.
        let ok = tether_term::encode(&Term::tuple([Term::from(op::NODE_LINK)])).unwrap();
        assert_eq!(decode(&mut message(ok), limits), Ok(Control::NodeLink));
    }

    #[test]
    fn the_second_message_refers_to_cached_atoms() {
        let from = Pid::new(Node::intern("sender_node@some.host").unwrap(), 7, 0, 3);
        let to = Pid::new(Node::intern("receiver_node@other.host").unwrap(), 1, 2, 3);
        let c = Control::Send {
            from: Some(from),
            to,
            msg: Term::tuple([Term::atom("seq"), Term::from(1)]),
        };
        let seq = AtomicU64::new(1);
        let mut cache = None;
        let mut inbound = InboundDecoder::new(1 << 20);
        let mut sizes = Vec::new();
        for _ in 0..3 {
            let [f] = &wire(encode(&c, DistFlags::DEFAULT, &seq).unwrap(), &mut cache)[..] else {
                panic!("one frame");
            };
            sizes.push(f.len());
            let kind = classify(f.clone()).unwrap();
            let FrameKind::DistHeader(_) = &kind else {
                panic!("{kind:?}")
            };
            let mut m = inbound.decode(kind).unwrap().unwrap();
            // The two node names and `seq` are references in the terms.
            assert_eq!(m.atom_refs.len(), 3);
            assert_eq!(decode(&mut m, DecodeLimits::default()).unwrap(), c);
            // No atom text after the header: every atom is an ATOM_CACHE_REF.
            assert!(!f.windows(3).any(|w| w == b"seq") || sizes.len() == 1);
        }
        let texts = "sender_node@some.host".len() + "receiver_node@other.host".len() + 3;
        // New entries carry a length byte and the text; old ones only the slot byte.
        assert_eq!(sizes[0], sizes[1] + 3 + texts);
        assert_eq!(sizes[1], sizes[2]);
        // Without the cache the same message is longer.
        let plain = encode(&c, DistFlags::PASS_THROUGH, &seq).unwrap();
        let plain = wire(plain, &mut None)[0].len();
        assert!(sizes[1] < plain, "{sizes:?} vs {plain}");
    }

    #[test]
    fn a_fragmented_message_carries_the_cache_section_in_its_first_fragment() {
        let to = Pid::new(Node::intern("x@h").unwrap(), 1, 2, 3);
        let atoms: Vec<Term> = (0..20_000)
            .map(|i| Term::atom(&format!("atom_{}", i % 500)))
            .collect();
        let c = Control::Send {
            from: None,
            to,
            msg: Term::List(atoms),
        };
        let seq = AtomicU64::new(1);
        let (mut cache, mut inbound) = (None, InboundDecoder::new(1 << 24));
        for round in 0..2 {
            let frames = wire(encode(&c, DistFlags::DEFAULT, &seq).unwrap(), &mut cache);
            assert!(frames.len() > 1, "fragmented");
            let (first, rest) = frames.split_first().unwrap();
            assert_eq!(&first[..2], &[131, 69]);
            // 255 references: the most a header holds.
            assert_eq!(first[18], 255);
            let mut out = None;
            for f in [first.clone()].into_iter().chain(rest.iter().cloned()) {
                assert!(out.is_none());
                out = inbound.decode(classify(f).unwrap()).unwrap();
            }
            let mut m = out.unwrap();
            assert_eq!(m.atom_refs.len(), 255);
            assert_eq!(
                decode(&mut m, DecodeLimits::default()).unwrap(),
                c,
                "round {round}"
            );
        }
    }
}

#[cfg(test)]
mod timing {
    use super::*;
    use crate::dist::framing::{classify, header::InboundDecoder};
    use tether_term::{AtomCache, Node, Pid};

    /// Per-message cost of encoding, writing (the writer's part: finishing the atom-cache
    /// section and copying) and decoding, with and without the atom cache:
    /// `cargo test --release -p tether --lib timing -- --ignored --nocapture`
    /// (`TIMING_BIN=1`: with a 1 KiB binary in each message).
    #[test]
    #[ignore = "timing, run by hand in release"]
    fn per_message_cost() {
        let from = Pid::new(Node::intern("bench_a@localhost").unwrap(), 7, 0, 3);
        let to = Pid::new(Node::intern("bench_b@localhost").unwrap(), 1, 2, 3);
        for flags in [DistFlags::PASS_THROUGH, DistFlags::DEFAULT] {
            let seq = AtomicU64::new(1);
            let mut cache: Option<AtomCache> = None;
            let mut out = BytesMut::with_capacity(1 << 20);
            let n = 1_000_000;
            let mut frames = Vec::with_capacity(n);
            let t = std::time::Instant::now();
            for i in 0..n {
                let c = Control::Send {
                    from: Some(from),
                    to,
                    msg: if std::env::var_os("TIMING_BIN").is_some() {
                        Term::tuple([
                            Term::atom("seq"),
                            Term::from(i as i64),
                            Term::binary(vec![1u8; 1024]),
                        ])
                    } else {
                        Term::tuple([Term::atom("seq"), Term::from(i as i64)])
                    },
                };
                frames.push(encode(&c, flags, &seq).unwrap());
            }
            let enc = t.elapsed();
            let t = std::time::Instant::now();
            let mut wire = Vec::with_capacity(n);
            for f in frames.drain(..) {
                out.clear();
                f.write_to(&mut cache, &mut out).unwrap();
                wire.push(bytes::Bytes::copy_from_slice(&out));
            }
            let wr = t.elapsed();
            let mut inbound = InboundDecoder::new(1 << 20);
            let t = std::time::Instant::now();
            for f in wire {
                let mut m = inbound.decode(classify(f).unwrap()).unwrap().unwrap();
                decode(&mut m, DecodeLimits::default()).unwrap();
                inbound.recycle(m.atom_refs);
            }
            let dec = t.elapsed();
            eprintln!(
                "{flags:?}: encode {:?}/msg, write {:?}/msg, decode {:?}/msg",
                enc / n as u32,
                wr / n as u32,
                dec / n as u32
            );
        }
    }
}
