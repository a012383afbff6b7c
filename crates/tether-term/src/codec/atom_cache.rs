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

use super::error::{DecodeError, DecodeErrorKind as K};
use crate::Atom;

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
    pub fn new() -> AtomCacheRefs {
        AtomCacheRefs::default()
    }

    /// A list of these atoms (at most 255 are reachable by a reference).
    pub fn from_atoms(atoms: Vec<Atom>) -> AtomCacheRefs {
        AtomCacheRefs { atoms }
    }

    /// The atom at index `i`.
    pub fn get(&self, i: u8) -> Option<&Atom> {
        self.atoms.get(i as usize)
    }

    /// How many references the message has.
    pub fn len(&self) -> usize {
        self.atoms.len()
    }

    /// Whether the message has no references.
    pub fn is_empty(&self) -> bool {
        self.atoms.is_empty()
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
    pub fn new() -> AtomCache {
        AtomCache {
            slots: vec![None; Self::SIZE],
        }
    }

    /// The atom in slot `index` (`segment * 256 + internal index`).
    pub fn get(&self, index: u16) -> Option<&Atom> {
        self.slots.get(index as usize).and_then(Option::as_ref)
    }

    /// Puts `atom` in slot `index`; indexes past [`AtomCache::SIZE`] are ignored.
    pub fn insert(&mut self, index: u16, atom: Atom) {
        if let Some(s) = self.slots.get_mut(index as usize) {
            *s = Some(atom);
        }
    }

    /// Empties every slot (a new connection starts empty).
    pub fn clear(&mut self) {
        self.slots.iter_mut().for_each(|s| *s = None);
    }

    /// Reads the atom-cache part of a distribution header, starting at the
    /// `NumberOfAtomCacheRefs` byte (just after `131, 68`, or after the sequence and
    /// fragment ids of a first fragment), updates the cache with the new entries, and
    /// returns the message's references and the number of bytes read.
    ///
    /// Error offsets are relative to `data`.
    pub fn read_header(&mut self, data: &[u8]) -> Result<(AtomCacheRefs, usize), DecodeError> {
        let eof = || DecodeError::new(data.len(), K::UnexpectedEnd);
        let n = *data.first().ok_or_else(eof)? as usize;
        if n == 0 {
            return Ok((AtomCacheRefs::new(), 1));
        }
        let flag_len = n / 2 + 1;
        let flags = data.get(1..1 + flag_len).ok_or_else(eof)?;
        let nibble = |i: usize| (flags[i / 2] >> ((i % 2) * 4)) & 0x0f;
        let long_atoms = nibble(n) & 1 == 1;
        let mut pos = 1 + flag_len;
        let mut atoms = Vec::with_capacity(n);
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
                atoms.push(atom);
            } else {
                let atom = self
                    .get(index)
                    .cloned()
                    .ok_or(DecodeError::new(at, K::UnknownAtomCacheRef(index)))?;
                atoms.push(atom);
            }
        }
        Ok((AtomCacheRefs { atoms }, pos))
    }
}
