//! The distribution atom cache.
//!
//! With `DFLAG_DIST_HDR_ATOM_CACHE` negotiated, each message on a connection starts
//! with a header (`131, 68, ...`) that lists the atoms the message uses. Each entry
//! either defines a slot of the connection's cache (8 segments of 256 atoms, one cache
//! per connection and direction) or refers to a slot defined earlier. The terms after
//! the header then write `ATOM_CACHE_REF` (tag 82) with an index into *that list*,
//! not into the cache.
//!
//! So there are two tables:
//!
//! - [`AtomCache`], the connection's 2048 slots, which lives as long as the
//!   connection, and which [`AtomCache::read_header`] updates from each header;
//! - [`AtomCacheRefs`], one message's list, which `read_header` returns and which
//!   [`Decoder::with_atom_cache`](crate::Decoder::with_atom_cache) takes.
//!
//! Sending mirrors this, as erts does (`erts_encode_dist_ext` and
//! `erts_encode_ext_dist_header_finalize`):
//!
//! - the terms are encoded first, by
//!   [`encode_term_with_atom_refs`](crate::encode_term_with_atom_refs), into bytes that
//!   do not depend on the cache: each atom gets an index into the message's own
//!   [`OutgoingAtomRefs`] (at most 255 of them). Each atom also has a fixed slot of the
//!   cache, [`OutgoingAtomRefs::slot`], a hash of its text; one message uses a slot for
//!   one atom only, and an atom whose slot is taken by another atom of the message is
//!   written as text;
//! - the sender then writes the header's atom-cache section as if every atom were new
//!   ([`OutgoingAtomRefs::write_section`]): still independent of the cache, so it can
//!   be done on the sending thread, next to the terms;
//! - the section is finished last, by the sender's [`AtomCache`], in the order the
//!   messages go on the wire ([`AtomCache::write_header`]): an atom already in its slot
//!   shrinks to one byte, any other keeps its text and replaces the slot's atom. The
//!   receiver applies the headers in the same order, so both caches agree. This step
//!   only reads bytes and compares them with the cache; it allocates nothing for the
//!   atoms the receiver already has.

use super::EncodeBuf;
use super::error::{DecodeError, DecodeErrorKind as K};
use crate::Atom;

/// Most references one message can have (`NumberOfAtomCacheRefs` is one byte).
const MAX_REFS: usize = 255;

/// One message's atom-cache references: index `i` is the atom that
/// `ATOM_CACHE_REF i` stands for.
///
/// ```
/// use tether_term::{Atom, AtomCacheRefs, Decoder, Term};
/// let refs = AtomCacheRefs::from_atoms(vec![Atom::new("ok"), Atom::new("hello")]);
/// // {ok, hello} written with cache references, without a version byte.
/// let bytes = [104, 2, 82, 0, 82, 1];
/// let t = Decoder::new(&bytes).with_atom_cache(Some(&refs)).decode_term().unwrap();
/// assert_eq!(t, Term::tuple([Term::atom("ok"), Term::atom("hello")]));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AtomCacheRefs {
    atoms: Vec<Atom>,
}

impl AtomCacheRefs {
    /// An empty list.
    ///
    /// ```
    /// use tether_term::AtomCacheRefs;
    /// let refs = AtomCacheRefs::new();
    /// assert!(refs.is_empty());
    /// assert_eq!(refs.get(0), None);
    /// ```
    pub fn new() -> AtomCacheRefs {
        AtomCacheRefs::default()
    }

    /// A list of these atoms (at most 255 are reachable by a reference).
    ///
    /// ```
    /// use tether_term::{Atom, AtomCacheRefs};
    /// let refs = AtomCacheRefs::from_atoms(vec![Atom::new("a"), Atom::new("b")]);
    /// assert_eq!(refs.len(), 2);
    /// assert_eq!(refs.get(1), Some(&Atom::new("b")));
    /// ```
    pub fn from_atoms(atoms: Vec<Atom>) -> AtomCacheRefs {
        AtomCacheRefs { atoms }
    }

    /// The atoms, in reference order (to reuse the list's memory).
    ///
    /// ```
    /// use tether_term::{Atom, AtomCacheRefs};
    /// let refs = AtomCacheRefs::from_atoms(vec![Atom::new("a")]);
    /// assert_eq!(refs.into_atoms(), [Atom::new("a")]);
    /// ```
    pub fn into_atoms(self) -> Vec<Atom> {
        self.atoms
    }

    /// The atom at index `i`.
    ///
    /// ```
    /// use tether_term::{Atom, AtomCacheRefs};
    /// let refs = AtomCacheRefs::from_atoms(vec![Atom::new("ok")]);
    /// assert_eq!(refs.get(0).map(Atom::as_str), Some("ok"));
    /// assert_eq!(refs.get(1), None);
    /// ```
    pub fn get(&self, i: u8) -> Option<&Atom> {
        self.atoms.get(i as usize)
    }

    /// How many references the message has.
    ///
    /// ```
    /// use tether_term::{Atom, AtomCacheRefs};
    /// assert_eq!(AtomCacheRefs::from_atoms(vec![Atom::new("x"); 3]).len(), 3);
    /// ```
    pub fn len(&self) -> usize {
        self.atoms.len()
    }

    /// Whether the message has no references.
    ///
    /// ```
    /// use tether_term::{Atom, AtomCacheRefs};
    /// assert!(AtomCacheRefs::new().is_empty());
    /// assert!(!AtomCacheRefs::from_atoms(vec![Atom::new("x")]).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.atoms.is_empty()
    }
}

/// The atoms one outgoing message refers to by `ATOM_CACHE_REF`, with their cache
/// slots, in reference order: what
/// [`encode_term_with_atom_refs`](crate::encode_term_with_atom_refs) collects and
/// [`AtomCache::write_header`] writes.
///
/// ```
/// use tether_term::{Atom, OutgoingAtomRefs};
/// let refs = OutgoingAtomRefs::new();
/// assert!(refs.is_empty());
/// assert!(OutgoingAtomRefs::slot(&Atom::new("ok")) < 2048);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutgoingAtomRefs {
    /// `(slot, atom)`; slots are distinct.
    entries: Vec<(u16, Atom)>,
}

impl OutgoingAtomRefs {
    /// An empty list.
    ///
    /// ```
    /// use tether_term::{Atom, OutgoingAtomRefs, Term};
    /// let mut refs = OutgoingAtomRefs::new();
    /// let mut buf = Vec::new();
    /// let t = Term::tuple([Term::atom("ok"), Term::atom("hello")]);
    /// tether_term::encode_term_with_atom_refs(&t, &mut buf, &mut refs).unwrap();
    /// assert_eq!(refs.len(), 2); // both atoms went out as references
    /// ```
    pub fn new() -> OutgoingAtomRefs {
        OutgoingAtomRefs::default()
    }

    /// The cache slot (`segment * 256 + internal index`, below 2048) of `atom`: a hash
    /// of its text, the same for every message and connection.
    ///
    /// ```
    /// use tether_term::{Atom, OutgoingAtomRefs};
    /// let s = OutgoingAtomRefs::slot(&Atom::new("ok"));
    /// assert!(s < 2048);
    /// assert_eq!(s, OutgoingAtomRefs::slot(&Atom::new("ok"))); // the same everywhere
    /// ```
    pub fn slot(atom: &Atom) -> u16 {
        const K: u64 = 0x9e37_79b9_7f4a_7c15;
        let mix = |h: u64, w: u64| (h ^ w).wrapping_mul(K).rotate_left(31);
        let mut h = atom.len() as u64;
        if let Some((_, b)) = atom.inline() {
            // Zero-padded fixed-size text: three words, no loop.
            let word = |i: usize| u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"));
            let last = u64::from_le_bytes([b[16], b[17], b[18], b[19], b[20], b[21], b[22], 0]);
            h = mix(mix(mix(h, word(0)), word(8)), last);
        } else {
            for chunk in atom.as_bytes().chunks(8) {
                let mut w = [0u8; 8];
                w[..chunk.len()].copy_from_slice(chunk);
                h = mix(h, u64::from_le_bytes(w));
            }
        }
        (h.wrapping_mul(K) >> 53) as u16
    }

    /// The reference index of `atom` in this message, adding it if there is room and
    /// its slot is free; `None` if it must be written as text.
    #[inline]
    pub(crate) fn index_of(&mut self, atom: &Atom) -> Option<u8> {
        if atom.len() > u16::MAX as usize {
            return None; // not encodable at all; the encoder reports it
        }
        let slot = Self::slot(atom);
        if let Some(i) = self.entries.iter().position(|(s, _)| *s == slot) {
            return (self.entries[i].1 == *atom).then_some(i as u8);
        }
        if self.entries.len() >= MAX_REFS {
            return None;
        }
        self.entries.push((slot, atom.clone()));
        Some((self.entries.len() - 1) as u8)
    }

    /// Forgets the references from index `len` on.
    pub(crate) fn truncate(&mut self, len: usize) {
        self.entries.truncate(len);
    }

    /// The atoms, in reference order.
    ///
    /// ```
    /// use tether_term::{Atom, OutgoingAtomRefs, Term};
    /// let mut refs = OutgoingAtomRefs::new();
    /// let mut buf = Vec::new();
    /// let t = Term::tuple([Term::atom("ok"), Term::atom("hello")]);
    /// tether_term::encode_term_with_atom_refs(&t, &mut buf, &mut refs).unwrap();
    /// let names: Vec<&str> = refs.atoms().map(Atom::as_str).collect();
    /// assert_eq!(names, ["ok", "hello"]);
    /// ```
    pub fn atoms(&self) -> impl ExactSizeIterator<Item = &Atom> {
        self.entries.iter().map(|(_, a)| a)
    }

    /// How many references the message has.
    ///
    /// ```
    /// use tether_term::{Atom, OutgoingAtomRefs, Term};
    /// let mut refs = OutgoingAtomRefs::new();
    /// let mut buf = Vec::new();
    /// let t = Term::tuple([Term::atom("ok"), Term::atom("hello")]);
    /// tether_term::encode_term_with_atom_refs(&t, &mut buf, &mut refs).unwrap();
    /// assert_eq!(refs.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the message has no references.
    ///
    /// ```
    /// use tether_term::{Atom, OutgoingAtomRefs, Term};
    /// let mut refs = OutgoingAtomRefs::new();
    /// let mut buf = Vec::new();
    /// let t = Term::tuple([Term::atom("ok"), Term::atom("hello")]);
    /// tether_term::encode_term_with_atom_refs(&t, &mut buf, &mut refs).unwrap();
    /// assert!(!refs.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Empties the list, keeping its memory.
    ///
    /// ```
    /// use tether_term::{Atom, OutgoingAtomRefs, Term};
    /// let mut refs = OutgoingAtomRefs::new();
    /// let mut buf = Vec::new();
    /// let t = Term::tuple([Term::atom("ok"), Term::atom("hello")]);
    /// tether_term::encode_term_with_atom_refs(&t, &mut buf, &mut refs).unwrap();
    /// refs.clear();
    /// assert!(refs.is_empty());
    /// ```
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// Writes the atom-cache section of a distribution header (from the
    /// `NumberOfAtomCacheRefs` byte on) that lists every reference as a new cache entry,
    /// with its text: what a receiver with an empty cache reads, and what
    /// [`AtomCache::write_header`] shortens for one that already has some of the atoms.
    ///
    /// ```
    /// use tether_term::{Atom, OutgoingAtomRefs, Term};
    /// let mut refs = OutgoingAtomRefs::new();
    /// let mut buf = Vec::new();
    /// let t = Term::tuple([Term::atom("ok"), Term::atom("hello")]);
    /// tether_term::encode_term_with_atom_refs(&t, &mut buf, &mut refs).unwrap();
    /// let mut section = Vec::new();
    /// refs.write_section(&mut section);
    /// // A receiver with an empty cache reads it back into the same atoms.
    /// let (read, used) = tether_term::AtomCache::new().read_header(&section).unwrap();
    /// assert_eq!(used, section.len());
    /// assert_eq!(read.into_atoms(), [Atom::new("ok"), Atom::new("hello")]);
    /// ```
    pub fn write_section<B: EncodeBuf>(&self, buf: &mut B) {
        let n = self.entries.len();
        buf.put_byte(n as u8);
        if n == 0 {
            return;
        }
        let long_atoms = self.entries.iter().any(|(_, a)| a.len() > 255);
        let mut flags = [0u8; MAX_REFS / 2 + 1];
        for (i, (slot, _)) in self.entries.iter().enumerate() {
            flags[i / 2] |= (8 | (*slot >> 8) as u8) << ((i % 2) * 4);
        }
        flags[n / 2] |= (long_atoms as u8) << ((n % 2) * 4);
        buf.put_slice(&flags[..n / 2 + 1]);
        for (slot, atom) in &self.entries {
            let text = atom.as_bytes();
            buf.put_byte(*slot as u8);
            if long_atoms {
                buf.put_slice(&(text.len() as u16).to_be_bytes());
            } else {
                buf.put_byte(text.len() as u8);
            }
            buf.put_slice(text);
        }
    }
}

/// A connection's atom cache: 8 segments × 256 slots.
///
/// ```
/// use tether_term::AtomCache;
/// let mut cache = AtomCache::new();
/// // Header section: 1 ref; flags nibble 0b1000 (new entry, segment 0), then the
/// // LongAtoms nibble 0; entry: slot 5, length 2, "ok".
/// let header = [1, 0x08, 5, 2, b'o', b'k'];
/// let (refs, used) = cache.read_header(&header).unwrap();
/// assert_eq!(used, header.len());
/// assert_eq!(refs.get(0).unwrap().as_str(), "ok");
/// assert_eq!(cache.get(5).unwrap().as_str(), "ok");
/// // A later message may refer to slot 5 without repeating the text.
/// let (refs, _) = cache.read_header(&[1, 0x00, 5]).unwrap();
/// assert_eq!(refs.get(0).unwrap().as_str(), "ok");
/// ```
#[derive(Debug, Clone)]
pub struct AtomCache {
    slots: Vec<Option<Atom>>,
}

impl Default for AtomCache {
    fn default() -> AtomCache {
        AtomCache::new()
    }
}

impl AtomCache {
    /// Number of slots (8 segments of 256).
    pub const SIZE: usize = 2048;

    /// An empty cache.
    ///
    /// ```
    /// use tether_term::AtomCache;
    /// let cache = AtomCache::new();
    /// assert!(cache.get(0).is_none());
    /// ```
    pub fn new() -> AtomCache {
        AtomCache {
            slots: vec![None; Self::SIZE],
        }
    }

    /// The atom in slot `index` (`segment * 256 + internal index`).
    ///
    /// ```
    /// use tether_term::{Atom, AtomCache};
    /// let mut cache = AtomCache::new();
    /// cache.insert(300, Atom::new("ok"));
    /// assert_eq!(cache.get(300), Some(&Atom::new("ok")));
    /// assert_eq!(cache.get(301), None);
    /// ```
    pub fn get(&self, index: u16) -> Option<&Atom> {
        self.slots.get(index as usize).and_then(Option::as_ref)
    }

    /// Puts `atom` in slot `index`; indexes past [`AtomCache::SIZE`] are ignored.
    ///
    /// ```
    /// use tether_term::{Atom, AtomCache};
    /// let mut cache = AtomCache::new();
    /// cache.insert(5, Atom::new("a"));
    /// cache.insert(5, Atom::new("b")); // a slot holds one atom
    /// assert_eq!(cache.get(5), Some(&Atom::new("b")));
    /// cache.insert(AtomCache::SIZE as u16, Atom::new("x")); // out of range: ignored
    /// ```
    pub fn insert(&mut self, index: u16, atom: Atom) {
        if let Some(s) = self.slots.get_mut(index as usize) {
            *s = Some(atom);
        }
    }

    /// Empties every slot (a new connection starts empty).
    ///
    /// ```
    /// use tether_term::{Atom, AtomCache};
    /// let mut cache = AtomCache::new();
    /// cache.insert(1, Atom::new("a"));
    /// cache.clear();
    /// assert!(cache.get(1).is_none());
    /// ```
    pub fn clear(&mut self) {
        self.slots.iter_mut().for_each(|s| *s = None);
    }

    /// Finishes an atom-cache section for the wire: copies `section` (as
    /// [`OutgoingAtomRefs::write_section`] wrote it) to `out`, turning each new entry
    /// whose atom this cache already holds in its slot into a one-byte reference, and
    /// puts the other entries' atoms in their slots. This cache is the sender's; after
    /// the call it holds what the receiver's will hold once it has read the header, so
    /// headers must be finished in the order their messages go on the wire. Entries
    /// are applied one after the other, as the receiver reads them.
    ///
    /// Returns the number of bytes of `section` read; malformed input is an error
    /// (offsets relative to `section`), and `out` may then hold part of the section.
    ///
    /// ```
    /// use tether_term::{encode_term_with_atom_refs, AtomCache, OutgoingAtomRefs, Term};
    /// let (mut ours, mut theirs) = (AtomCache::new(), AtomCache::new());
    /// let mut refs = OutgoingAtomRefs::new();
    /// let mut terms = Vec::new();
    /// encode_term_with_atom_refs(&Term::atom("hello"), &mut terms, &mut refs).unwrap();
    /// let mut section = Vec::new();
    /// refs.write_section(&mut section);
    /// let (mut first, mut second) = (Vec::new(), Vec::new());
    /// ours.write_header(&section, &mut first).unwrap();
    /// ours.write_header(&section, &mut second).unwrap();
    /// assert_eq!(first, section);
    /// assert!(second.len() < first.len()); // the text went only once
    /// for header in [first, second] {
    ///     let (got, used) = theirs.read_header(&header).unwrap();
    ///     assert_eq!((got.get(0).unwrap().as_str(), used), ("hello", header.len()));
    /// }
    /// ```
    pub fn write_header<B: EncodeBuf>(
        &mut self,
        section: &[u8],
        out: &mut B,
    ) -> Result<usize, DecodeError> {
        let eof = || DecodeError::new(section.len(), K::UnexpectedEnd);
        let n = *section.first().ok_or_else(eof)? as usize;
        out.put_byte(n as u8);
        if n == 0 {
            return Ok(1);
        }
        let flag_len = n / 2 + 1;
        let flags_in = section.get(1..1 + flag_len).ok_or_else(eof)?;
        let nibble = |i: usize| (flags_in[i / 2] >> ((i % 2) * 4)) & 0x0f;
        let long_atoms = nibble(n) & 1 == 1;
        // The flags go before the entries but depend on them: reserve, then patch.
        let flags_at = out.buf_len();
        out.put_slice(&[0u8; MAX_REFS / 2 + 1][..flag_len]);
        let mut flags = [0u8; MAX_REFS / 2 + 1];
        flags[n / 2] = (long_atoms as u8) << ((n % 2) * 4);
        let mut pos = 1 + flag_len;
        for i in 0..n {
            let f = nibble(i);
            let low = *section.get(pos).ok_or_else(eof)?;
            let index = usize::from(f & 7) << 8 | usize::from(low);
            pos += 1;
            out.put_byte(low);
            let mut new = false;
            if f & 8 != 0 {
                let len_at = pos;
                let len = if long_atoms {
                    let b = section.get(pos..pos + 2).ok_or_else(eof)?;
                    pos += 2;
                    u16::from_be_bytes([b[0], b[1]]) as usize
                } else {
                    pos += 1;
                    *section.get(pos - 1).ok_or_else(eof)? as usize
                };
                let text = section.get(pos..pos + len).ok_or_else(eof)?;
                pos += len;
                let slot = &mut self.slots[index];
                if slot.as_ref().map(Atom::as_bytes) != Some(text) {
                    let atom = Atom::from_utf8(text)
                        .ok_or_else(|| DecodeError::new(len_at, K::InvalidAtom))?;
                    out.put_slice(&section[len_at..pos]);
                    *slot = Some(atom);
                    new = true;
                }
            }
            flags[i / 2] |= ((f & 7) | if new { 8 } else { 0 }) << ((i % 2) * 4);
        }
        out.patch(flags_at, &flags[..flag_len]);
        Ok(pos)
    }

    /// Reads the atom-cache part of a distribution header, starting at the
    /// `NumberOfAtomCacheRefs` byte (just after `131, 68`, or after the sequence and
    /// fragment ids of a first fragment), updates the cache with the new entries, and
    /// returns the message's references and the number of bytes read.
    ///
    /// Error offsets are relative to `data`. This allocates a new list for the
    /// references; [`AtomCache::read_header_into`] reuses one.
    ///
    /// ```
    /// use tether_term::AtomCache;
    /// let mut cache = AtomCache::new();
    /// // 1 ref; flags: new entry in segment 0; slot 7, length 2, "hi".
    /// let (refs, used) = cache.read_header(&[1, 0x08, 7, 2, b'h', b'i']).unwrap();
    /// assert_eq!((refs.get(0).unwrap().as_str(), used), ("hi", 6));
    /// assert_eq!(cache.get(7).unwrap().as_str(), "hi");
    /// assert!(cache.read_header(&[1, 0x08]).unwrap_err().is_unexpected_end());
    /// ```
    pub fn read_header(&mut self, data: &[u8]) -> Result<(AtomCacheRefs, usize), DecodeError> {
        let mut refs = AtomCacheRefs::new();
        let used = self.read_header_into(data, &mut refs)?;
        Ok((refs, used))
    }

    /// Like [`AtomCache::read_header`], but puts the references in `refs`, which it
    /// empties first, keeping its memory: what a connection's reader does for every
    /// message, so that reading a header allocates nothing once the list has grown.
    ///
    /// This is the one reader of atom-cache sections: Tether's distribution layer
    /// reads every header through it. On error, the entries read before the bad one
    /// are in the cache (the connection is closed anyway) and `refs` holds part of
    /// the list.
    ///
    /// ```
    /// use tether_term::{AtomCache, AtomCacheRefs};
    /// let (mut cache, mut refs) = (AtomCache::new(), AtomCacheRefs::new());
    /// // 1 ref, new in segment 0, slot 5: "ok"; then the terms (not read here).
    /// let frame_rest = [1, 0x08, 5, 2, b'o', b'k', 106];
    /// let used = cache.read_header_into(&frame_rest, &mut refs).unwrap();
    /// assert_eq!((used, refs.get(0).unwrap().as_str()), (6, "ok"));
    /// // A reference to an entry never defined is an error.
    /// assert!(cache.read_header_into(&[1, 0x00, 9], &mut refs).is_err());
    /// ```
    pub fn read_header_into(
        &mut self,
        data: &[u8],
        refs: &mut AtomCacheRefs,
    ) -> Result<usize, DecodeError> {
        let eof = || DecodeError::new(data.len(), K::UnexpectedEnd);
        refs.atoms.clear();
        let n = *data.first().ok_or_else(eof)? as usize;
        if n == 0 {
            return Ok(1);
        }
        let flag_len = n / 2 + 1;
        let flags = data.get(1..1 + flag_len).ok_or_else(eof)?;
        let nibble = |i: usize| (flags[i / 2] >> ((i % 2) * 4)) & 0x0f;
        let long_atoms = nibble(n) & 1 == 1;
        let mut pos = 1 + flag_len;
        refs.atoms.reserve(n);
        for i in 0..n {
            let f = nibble(i);
            let segment = (f & 0x07) as u16;
            let internal = *data.get(pos).ok_or_else(eof)? as u16;
            let index = segment * 256 + internal;
            let at = pos;
            pos += 1;
            if f & 0x08 != 0 {
                let len = if long_atoms {
                    let b = data.get(pos..pos + 2).ok_or_else(eof)?;
                    pos += 2;
                    u16::from_be_bytes([b[0], b[1]]) as usize
                } else {
                    let b = *data.get(pos).ok_or_else(eof)?;
                    pos += 1;
                    b as usize
                };
                let text = data.get(pos..pos + len).ok_or_else(eof)?;
                let text =
                    std::str::from_utf8(text).map_err(|_| DecodeError::new(pos, K::InvalidAtom))?;
                if text.chars().count() > 255 {
                    return Err(DecodeError::new(pos, K::AtomTooLong));
                }
                pos += len;
                let atom = Atom::new(text);
                self.insert(index, atom.clone());
                refs.atoms.push(atom);
            } else {
                let atom = self
                    .get(index)
                    .cloned()
                    .ok_or(DecodeError::new(at, K::UnknownAtomCacheRef(index)))?;
                refs.atoms.push(atom);
            }
        }
        Ok(pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Decoder, Node, Pid, Term, encode_term_with_atom_refs};

    /// Encodes `t` with references, writes the header with `ours`, reads it with
    /// `theirs` and decodes the term back; returns the header's length.
    fn trip(t: &Term, ours: &mut AtomCache, theirs: &mut AtomCache) -> usize {
        let mut refs = OutgoingAtomRefs::new();
        let mut body = Vec::new();
        encode_term_with_atom_refs(t, &mut body, &mut refs).unwrap();
        let mut section = Vec::new();
        refs.write_section(&mut section);
        let mut header = Vec::new();
        assert_eq!(
            ours.write_header(&section, &mut header).unwrap(),
            section.len()
        );
        let (got, used) = theirs.read_header(&header).unwrap();
        assert_eq!(used, header.len());
        let back = Decoder::new(&body)
            .with_atom_cache(Some(&got))
            .decode_term()
            .unwrap();
        assert_eq!(&back, t);
        header.len()
    }

    #[test]
    fn repeated_atoms_become_one_byte_references() {
        let (mut ours, mut theirs) = (AtomCache::new(), AtomCache::new());
        let pid = Pid::new(Node::intern("someone@somewhere.example").unwrap(), 1, 2, 3);
        let t = Term::tuple([Term::atom("seq"), Term::Pid(pid), Term::atom("seq")]);
        let first = trip(&t, &mut ours, &mut theirs);
        let second = trip(&t, &mut ours, &mut theirs);
        // Two refs: count, one flag byte + LongAtoms nibble, one byte each.
        assert_eq!(second, 1 + 2 + 2);
        assert_eq!(first, second + 2 + 3 + "someone@somewhere.example".len());
        // The terms themselves hold 2-byte references.
        let mut refs = OutgoingAtomRefs::new();
        let mut body = Vec::new();
        encode_term_with_atom_refs(&t, &mut body, &mut refs).unwrap();
        assert_eq!(&body[..4], &[104, 3, 82, 0]);
        assert_eq!(&body[4..7], &[88, 82, 1]);
        assert_eq!(refs.len(), 2);
    }

    #[test]
    fn many_distinct_long_and_colliding_atoms_stay_in_step() {
        let (mut ours, mut theirs) = (AtomCache::new(), AtomCache::new());
        let long = Term::atom(&"\u{fc}".repeat(200)); // 400 bytes: LongAtoms
        for round in 0..20 {
            // 300 atoms per message (more than 255 refs), 6000 distinct over the run:
            // slots collide within messages and are replaced across them.
            let atoms: Vec<Term> = (0..300)
                .map(|i| Term::atom(&format!("a{}", (round * 300 + i) % 6000 / (1 + round % 3))))
                .chain([long.clone(), Term::atom("ok")])
                .collect();
            trip(&Term::List(atoms), &mut ours, &mut theirs);
        }
        let mut refs = OutgoingAtomRefs::new();
        for i in 0..1000 {
            refs.index_of(&Atom::new(&format!("x{i}")));
        }
        assert_eq!(refs.len(), MAX_REFS);
        let slots: std::collections::HashSet<u16> = refs.entries.iter().map(|e| e.0).collect();
        assert_eq!(slots.len(), MAX_REFS);
    }

    #[test]
    fn a_failed_encode_leaves_refs_unchanged() {
        let mut refs = OutgoingAtomRefs::new();
        let mut body = Vec::new();
        encode_term_with_atom_refs(&Term::atom("kept"), &mut body, &mut refs).unwrap();
        let bad = Term::tuple([Term::atom("dropped"), Term::Float(f64::NAN)]);
        assert!(encode_term_with_atom_refs(&bad, &mut body, &mut refs).is_err());
        assert_eq!(refs.atoms().collect::<Vec<_>>(), ["kept"]);
        assert_eq!(body, [82, 0]);
    }
}
