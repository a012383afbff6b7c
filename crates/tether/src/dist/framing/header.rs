//! Distribution headers (atom cache) and fragment reassembly, without ETF.
//!
//! ```text
//! normal     131 68 N:8 [Flags:(N/2+1) bytes] Refs… | control [payload]
//! first frag 131 69 SeqId:64 FragId:64 N:8 [Flags] Refs… | control [payload part]
//! next frag  131 70 SeqId:64 FragId:64 | payload part
//! ```
//!
//! Flags hold one nibble per ref (even refs in the low nibble): bit 3 = new cache
//! entry, bits 0–2 = segment. The nibble after the last ref has `LongAtoms` in bit 0
//! (2-byte atom lengths). A new entry is `Internal:8 Len:8|16 Text` and stores the atom
//! in the per-connection cache at `segment * 256 + internal`; an old one is
//! `Internal:8` and reads it. With `N = 0` there are no flags at all.
//!
//! [`InboundDecoder`] is the one parser of these headers. It reads the frame's prefix
//! (the tags, the sequence and fragment ids) itself and hands the atom-cache section
//! to the connection's [`AtomCache`], whose
//! [`read_header_into`](AtomCache::read_header_into) is the one reader of sections,
//! beside [`write_header`](AtomCache::write_header), its mirror on the sending side
//! (see [`tether_term::AtomCache`]). The fuzz target `dist_frames` (`fuzz/`) and the
//! seeded random-input test in `framing/robustness.rs` feed it frame sequences.
//!
//! It turns frames into [`Message`]s: the atoms the message's `ATOM_CACHE_REF`s index
//! (in header order) plus the control/payload bytes, which the ETF decoder reads
//! later. Fragments of one sequence are joined as their ids count down to 1;
//! sequences may interleave. Everything is bounded: atom text (255 characters, valid
//! UTF-8), references to unset cache entries are errors, a message may not exceed the
//! frame limit once joined, the messages being joined may not hold more than that
//! limit together (so a peer that opens many sequences cannot make the connection
//! hold [`MAX_IN_FLIGHT`] times the limit), and at most [`MAX_IN_FLIGHT`] fragmented
//! sequences may be open at once.

use std::collections::HashMap;

use bytes::{Bytes, BytesMut};
use tether_term::{Atom, AtomCache, AtomCacheRefs};

use super::{FrameError, FrameKind, Malformed};

/// Most fragmented messages being reassembled at once on one connection.
pub const MAX_IN_FLIGHT: usize = 1024;

/// A message ready for term decoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Atoms referenced by `ATOM_CACHE_REF` (tag 82) index `i` in the terms.
    pub atom_refs: Vec<Atom>,
    /// Control term, then the optional payload term.
    pub body: Bytes,
    /// `true` for pass-through frames, whose terms each start with the 131 version
    /// byte; `false` after a distribution header, whose terms have none.
    pub versioned: bool,
}

struct Partial {
    next_id: u64,
    atom_refs: Vec<Atom>,
    body: BytesMut,
}

/// Per-connection state for incoming frames: the atom cache and open fragment
/// sequences.
pub struct InboundDecoder {
    /// The peer's atom cache, as its headers define it.
    cache: AtomCache,
    /// A list to fill with the next message's references ([`InboundDecoder::recycle`]).
    spare: Vec<Atom>,
    partial: HashMap<u64, Partial>,
    /// Bytes held in `partial`, all sequences together.
    held: usize,
    max_message_len: usize,
}

fn err(m: Malformed) -> FrameError {
    FrameError::Malformed(m)
}

struct Cur<'a>(&'a [u8], usize);

impl<'a> Cur<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], FrameError> {
        let s = self
            .0
            .get(self.1..self.1 + n)
            .ok_or_else(|| err(Malformed::HeaderTruncated))?;
        self.1 += n;
        Ok(s)
    }
    fn u64(&mut self) -> Result<u64, FrameError> {
        Ok(u64::from_be_bytes(
            self.take(8)?.try_into().expect("8 bytes"),
        ))
    }
}

impl InboundDecoder {
    /// A decoder whose joined messages may be at most `max_message_len` bytes.
    pub fn new(max_message_len: usize) -> InboundDecoder {
        InboundDecoder {
            cache: AtomCache::new(),
            spare: Vec::new(),
            partial: HashMap::new(),
            held: 0,
            max_message_len,
        }
    }

    /// Feeds one classified frame. Returns a message when one is complete; `None` for
    /// ticks and for fragments that do not finish a message.
    pub fn decode(&mut self, kind: FrameKind) -> Result<Option<Message>, FrameError> {
        match kind {
            FrameKind::Tick => Ok(None),
            FrameKind::PassThrough(body) => Ok(Some(Message {
                atom_refs: Vec::new(),
                body,
                versioned: true,
            })),
            FrameKind::DistHeader(frame) => {
                let mut c = Cur(&frame, 2);
                let atom_refs = self.atom_refs(&mut c)?;
                Ok(Some(Message {
                    atom_refs,
                    body: frame.slice(c.1..),
                    versioned: false,
                }))
            }
            FrameKind::FragmentStart(frame) => {
                let mut c = Cur(&frame, 2);
                let (seq, id) = (c.u64()?, c.u64()?);
                if id == 0 {
                    return Err(err(Malformed::FragmentIdZero));
                }
                let atom_refs = self.atom_refs(&mut c)?;
                let body = frame.slice(c.1..);
                if id == 1 {
                    return Ok(Some(Message {
                        atom_refs,
                        body,
                        versioned: false,
                    }));
                }
                if self.partial.contains_key(&seq) {
                    return Err(err(Malformed::FragmentRestarted(seq)));
                }
                if self.partial.len() >= MAX_IN_FLIGHT {
                    return Err(err(Malformed::TooManyFragmented));
                }
                self.check_len(self.held + body.len())?;
                self.held += body.len();
                let p = Partial {
                    next_id: id - 1,
                    atom_refs,
                    body: BytesMut::from(&body[..]),
                };
                self.partial.insert(seq, p);
                Ok(None)
            }
            FrameKind::FragmentCont(frame) => {
                let mut c = Cur(&frame, 2);
                let (seq, id) = (c.u64()?, c.u64()?);
                let max = self.max_message_len;
                let p = self
                    .partial
                    .get_mut(&seq)
                    .ok_or_else(|| err(Malformed::UnknownSequence(seq)))?;
                if id != p.next_id {
                    return Err(err(Malformed::FragmentOutOfOrder {
                        seq,
                        id,
                        expected: p.next_id,
                    }));
                }
                let part = &frame[c.1..];
                // This sequence's bytes are part of `held`: one check bounds both.
                if self.held + part.len() > max {
                    return Err(err(Malformed::MessageTooLarge { max }));
                }
                p.body.extend_from_slice(part);
                self.held += part.len();
                p.next_id -= 1;
                if p.next_id > 0 {
                    return Ok(None);
                }
                let p = self.partial.remove(&seq).expect("present");
                self.held -= p.body.len();
                Ok(Some(Message {
                    atom_refs: p.atom_refs,
                    body: p.body.freeze(),
                    versioned: false,
                }))
            }
        }
    }

    /// Hands back a message's reference list once the message is decoded, so that
    /// the next message's references reuse its memory instead of allocating.
    pub fn recycle(&mut self, mut atoms: Vec<Atom>) {
        if atoms.capacity() > self.spare.capacity() && atoms.capacity() <= 256 {
            atoms.clear();
            self.spare = atoms;
        }
    }

    fn check_len(&self, len: usize) -> Result<(), FrameError> {
        if len > self.max_message_len {
            return Err(err(Malformed::MessageTooLarge {
                max: self.max_message_len,
            }));
        }
        Ok(())
    }

    /// Reads the atom-cache section at the cursor, updating the cache, and moves the
    /// cursor past it.
    fn atom_refs(&mut self, c: &mut Cur<'_>) -> Result<Vec<Atom>, FrameError> {
        let mut refs = AtomCacheRefs::from_atoms(std::mem::take(&mut self.spare));
        let section = &c.0[c.1..];
        let used = self
            .cache
            .read_header_into(section, &mut refs)
            .map_err(|e| err(Malformed::AtomCache(e)))?;
        c.1 += used;
        Ok(refs.into_atoms())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(v: Vec<u8>) -> Bytes {
        Bytes::from(v)
    }

    #[test]
    fn header_with_new_and_cached_atoms() {
        let mut d = InboundDecoder::new(1 << 20);
        // 2 refs: ref0 new in segment 1 (nibble 0b1001), ref1 new in segment 0 (0b1000);
        // flags byte 0 = 0x89, byte 1 = LongAtoms 0.
        let mut f = vec![
            131, 68, 2, 0x89, 0x00, 5, 3, b'f', b'o', b'o', 7, 2, b'o', b'k',
        ];
        f.extend_from_slice(&[104, 0]);
        let m = d.decode(FrameKind::DistHeader(frame(f))).unwrap().unwrap();
        assert_eq!(m.atom_refs, vec![Atom::new("foo"), Atom::new("ok")]);
        assert_eq!(m.body.as_ref(), &[104, 0]);
        // Now refer to both as cached entries: nibbles 0b0001, 0b0000.
        let m = d
            .decode(FrameKind::DistHeader(frame(vec![
                131, 68, 2, 0x01, 0x00, 5, 7,
            ])))
            .unwrap()
            .unwrap();
        assert_eq!(m.atom_refs, vec![Atom::new("foo"), Atom::new("ok")]);
        // Unset entry and truncations are errors.
        assert!(
            d.decode(FrameKind::DistHeader(frame(vec![131, 68, 1, 0x00, 9])))
                .is_err()
        );
        assert!(
            d.decode(FrameKind::DistHeader(frame(vec![
                131, 68, 1, 0x08, 9, 5, b'a'
            ])))
            .is_err()
        );
        let empty = d
            .decode(FrameKind::DistHeader(frame(vec![131, 68, 0, 104, 0])))
            .unwrap()
            .unwrap();
        assert!(empty.atom_refs.is_empty() && empty.body.as_ref() == [104, 0]);
    }

    fn frag(tag: u8, seq: u64, id: u64, rest: &[u8]) -> Bytes {
        let mut v = vec![131, tag];
        v.extend_from_slice(&seq.to_be_bytes());
        v.extend_from_slice(&id.to_be_bytes());
        v.extend_from_slice(rest);
        Bytes::from(v)
    }

    #[test]
    fn open_sequences_together_are_held_to_the_message_limit() {
        let mut d = InboundDecoder::new(10);
        // Two sequences of 4 bytes each so far: 8 held.
        for seq in [1, 2] {
            let start = frag(69, seq, 3, &[0, 1, 2, 3, 4]);
            assert!(d.decode(FrameKind::FragmentStart(start)).unwrap().is_none());
        }
        // A third whose first fragment would make 12: refused, though alone it fits.
        let third = d.decode(FrameKind::FragmentStart(frag(69, 3, 2, &[0, 1, 2, 3, 4])));
        assert!(matches!(
            third,
            Err(FrameError::Malformed(Malformed::MessageTooLarge {
                max: 10
            }))
        ));
        // A joined message frees what it held.
        let mut d = InboundDecoder::new(10);
        for round in 0..5u64 {
            let start = frag(69, round, 2, &[0, 1, 2, 3, 4]);
            assert!(d.decode(FrameKind::FragmentStart(start)).unwrap().is_none());
            let m = d
                .decode(FrameKind::FragmentCont(frag(70, round, 1, &[5, 6, 7])))
                .unwrap()
                .unwrap();
            assert_eq!(m.body.as_ref(), &[1, 2, 3, 4, 5, 6, 7]);
        }
        assert_eq!(d.held, 0);
    }

    #[test]
    fn fragments_interleave_and_join() {
        let mut d = InboundDecoder::new(100);
        assert!(
            d.decode(FrameKind::FragmentStart(frag(69, 1, 3, &[0, b'a'])))
                .unwrap()
                .is_none()
        );
        assert!(
            d.decode(FrameKind::FragmentStart(frag(69, 2, 2, &[0, b'x'])))
                .unwrap()
                .is_none()
        );
        assert!(
            d.decode(FrameKind::FragmentCont(frag(70, 1, 2, b"b")))
                .unwrap()
                .is_none()
        );
        let m2 = d
            .decode(FrameKind::FragmentCont(frag(70, 2, 1, b"y")))
            .unwrap()
            .unwrap();
        assert_eq!(m2.body.as_ref(), b"xy");
        let m1 = d
            .decode(FrameKind::FragmentCont(frag(70, 1, 1, b"c")))
            .unwrap()
            .unwrap();
        assert_eq!(m1.body.as_ref(), b"abc");
        // Out of order, unknown sequence, oversize.
        assert!(
            d.decode(FrameKind::FragmentCont(frag(70, 9, 1, b"c")))
                .is_err()
        );
        d.decode(FrameKind::FragmentStart(frag(69, 3, 3, &[0])))
            .unwrap();
        assert!(
            d.decode(FrameKind::FragmentCont(frag(70, 3, 1, b"c")))
                .is_err()
        );
        d.decode(FrameKind::FragmentStart(frag(69, 4, 2, &[0])))
            .unwrap();
        assert!(
            d.decode(FrameKind::FragmentCont(frag(70, 4, 1, &[0; 101])))
                .is_err()
        );
    }
}
