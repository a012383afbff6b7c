//! The decoder.
//!
//! One recursive function, [`Decoder::term`], reads a tag and the term after it. All
//! reads go through a few bounds-checked helpers that turn running out of input into
//! [`DecodeErrorKind::UnexpectedEnd`]; no index is ever unchecked, so malformed input
//! cannot panic. Before allocating for a collection the decoder checks that enough
//! bytes remain for its elements (each needs at least one), so a forged length cannot
//! make it reserve more memory than the input justifies.

use bytes::Bytes;

use super::error::{DecodeError, DecodeErrorKind as K};
use super::{AtomCacheRefs, VERSION, tag};
use crate::{Atom, BigInt, Export, Fun, Node, Pid, Port, Reference, Term};

/// Bounds on what the decoder accepts, to keep hostile input cheap.
///
/// ```
/// use tether_term::{DecodeLimits, Decoder, DecodeErrorKind};
/// let deep = [131, 108, 0, 0, 0, 1, 108, 0, 0, 0, 1, 106, 106, 106]; // [[[]]]
/// let limits = DecodeLimits { max_depth: 1, ..DecodeLimits::default() };
/// let err = Decoder::new(&deep).with_limits(limits).decode().unwrap_err();
/// assert_eq!(err.kind(), &DecodeErrorKind::DepthLimit);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeLimits {
    /// Deepest nesting of tuples, lists, maps and funs (default 512).
    pub max_depth: usize,
    /// Largest input, in bytes, that one decode call reads (default 256 MiB).
    pub max_size: usize,
    /// Largest uncompressed size a compressed term may declare (default 64 MiB).
    pub max_decompressed: usize,
}

impl Default for DecodeLimits {
    fn default() -> DecodeLimits {
        DecodeLimits {
            max_depth: 512,
            max_size: 256 << 20,
            max_decompressed: 64 << 20,
        }
    }
}

/// Reads terms from a buffer.
///
/// ```
/// use bytes::Bytes;
/// use tether_term::{Decoder, Term};
///
/// // Two terms without version bytes, as after a distribution header: 1 and 'ok'.
/// let buf = Bytes::from_static(&[97, 1, 119, 2, b'o', b'k']);
/// let mut d = Decoder::from_bytes(&buf);
/// assert_eq!(d.decode_term().unwrap(), Term::from(1));
/// assert_eq!(d.position(), 2);
/// assert_eq!(d.decode_term().unwrap(), Term::atom("ok"));
/// assert!(d.is_empty());
/// ```
pub struct Decoder<'a> {
    data: &'a [u8],
    pos: usize,
    owner: Option<&'a Bytes>,
    limits: DecodeLimits,
    atoms: Option<&'a AtomCacheRefs>,
    depth: usize,
}

/// Decodes one versioned term (`131, ...`) that must fill `data` exactly.
///
/// Binaries in the result are copied out of `data`; use [`decode_bytes`] to share them.
///
/// ```
/// use tether_term::{decode, Term};
/// let t = decode(&[131, 104, 2, 119, 2, b'o', b'k', 97, 42]).unwrap();
/// assert_eq!(t, Term::tuple([Term::atom("ok"), Term::from(42)]));
/// ```
#[inline]
pub fn decode(data: &[u8]) -> Result<Term, DecodeError> {
    Decoder::new(data).decode_exact()
}

/// Decodes one versioned term that must fill `data` exactly; binaries in the result
/// are zero-copy slices of `data`.
///
/// ```
/// use bytes::Bytes;
/// use tether_term::{decode_bytes, Term};
/// let buf = Bytes::from_static(&[131, 109, 0, 0, 0, 3, b'a', b'b', b'c']);
/// let t = decode_bytes(&buf).unwrap();
/// assert_eq!(t.as_binary().unwrap().as_ptr(), buf[6..].as_ptr()); // shared, not copied
/// ```
#[inline]
pub fn decode_bytes(data: &Bytes) -> Result<Term, DecodeError> {
    Decoder::from_bytes(data).decode_exact()
}

impl<'a> Decoder<'a> {
    /// A decoder over a byte slice; binaries are copied out of it.
    ///
    /// ```
    /// use tether_term::{Decoder, Term};
    /// let bytes = tether_term::encode(&Term::atom("ok")).unwrap();
    /// assert_eq!(Decoder::new(&bytes).decode().unwrap(), Term::atom("ok"));
    /// ```
    pub fn new(data: &'a [u8]) -> Decoder<'a> {
        Decoder {
            data,
            pos: 0,
            owner: None,
            limits: DecodeLimits::default(),
            atoms: None,
            depth: 0,
        }
    }

    /// A decoder over a `Bytes` buffer; binaries are slices of it (no copy).
    ///
    /// ```
    /// use bytes::Bytes;
    /// use tether_term::{Decoder, Term};
    /// let bytes = Bytes::from(tether_term::encode(&Term::binary(vec![7u8; 64])).unwrap());
    /// let t = Decoder::from_bytes(&bytes).decode().unwrap();
    /// assert_eq!(t.as_binary().unwrap().len(), 64); // a slice of `bytes`, not a copy
    /// ```
    pub fn from_bytes(data: &'a Bytes) -> Decoder<'a> {
        Decoder {
            owner: Some(data),
            ..Decoder::new(&data[..])
        }
    }

    /// Sets the limits (the default is [`DecodeLimits::default`]).
    ///
    /// ```
    /// use tether_term::{DecodeLimits, Decoder, Term};
    /// let bytes = tether_term::encode(&Term::binary(vec![0u8; 1000])).unwrap();
    /// let small = DecodeLimits { max_size: 100, ..DecodeLimits::default() };
    /// assert!(Decoder::new(&bytes).with_limits(small).decode().unwrap_err().is_limit());
    /// assert!(Decoder::new(&bytes).with_limits(DecodeLimits::default()).decode().is_ok());
    /// ```
    pub fn with_limits(mut self, limits: DecodeLimits) -> Decoder<'a> {
        self.limits = limits;
        self
    }

    /// Sets the table that resolves `ATOM_CACHE_REF` (tag 82) for this message.
    ///
    /// Without one, an atom-cache reference is an error ([`K::NoAtomCache`]).
    ///
    /// ```
    /// use tether_term::{Atom, AtomCacheRefs, Decoder, Term};
    /// let refs = AtomCacheRefs::from_atoms(vec![Atom::new("ok")]);
    /// let bytes = [82, 0]; // ATOM_CACHE_REF 0
    /// let t = Decoder::new(&bytes).with_atom_cache(Some(&refs)).decode_term().unwrap();
    /// assert_eq!(t, Term::atom("ok"));
    /// assert!(Decoder::new(&bytes).decode_term().is_err()); // no cache given
    /// ```
    pub fn with_atom_cache(mut self, atoms: Option<&'a AtomCacheRefs>) -> Decoder<'a> {
        self.atoms = atoms;
        self
    }

    /// The cursor: how many bytes have been read.
    ///
    /// ```
    /// use tether_term::{Decoder, Term};
    /// let mut bytes = tether_term::encode(&Term::from(1)).unwrap();
    /// let first = bytes.len();
    /// bytes.extend(tether_term::encode(&Term::from(2)).unwrap());
    /// let mut d = Decoder::new(&bytes);
    /// d.decode().unwrap();
    /// assert_eq!(d.position(), first);
    /// ```
    pub fn position(&self) -> usize {
        self.pos
    }

    /// The bytes not yet read.
    ///
    /// ```
    /// use tether_term::{Decoder, Term};
    /// let mut bytes = tether_term::encode(&Term::from(1)).unwrap();
    /// bytes.extend_from_slice(b"tail");
    /// let mut d = Decoder::new(&bytes);
    /// d.decode().unwrap();
    /// assert_eq!(d.remaining(), b"tail");
    /// ```
    pub fn remaining(&self) -> &'a [u8] {
        &self.data[self.pos.min(self.data.len())..]
    }

    /// Whether every byte has been read.
    ///
    /// ```
    /// use tether_term::{Decoder, Term};
    /// let mut bytes = tether_term::encode(&Term::from(1)).unwrap();
    /// bytes.extend(tether_term::encode(&Term::from(2)).unwrap());
    /// let mut d = Decoder::new(&bytes);
    /// let mut terms = vec![];
    /// while !d.is_empty() {
    ///     terms.push(d.decode().unwrap());
    /// }
    /// assert_eq!(terms, [Term::from(1), Term::from(2)]);
    /// ```
    pub fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }

    /// Reads a versioned term: the byte 131, then a term or a compressed term (tag 80).
    ///
    /// The cursor is left after the term; bytes may follow it.
    ///
    /// ```
    /// use tether_term::{Decoder, Term};
    /// let bytes = tether_term::encode(&Term::tuple([Term::atom("a"), Term::from(1)])).unwrap();
    /// let mut d = Decoder::new(&bytes);
    /// assert_eq!(d.decode().unwrap().to_string(), "{a,1}");
    /// assert!(d.is_empty());
    /// ```
    #[inline]
    pub fn decode(&mut self) -> Result<Term, DecodeError> {
        self.check_size()?;
        let v = self.u8()?;
        if v != VERSION {
            return Err(self.err_at(self.pos - 1, K::BadVersion(v)));
        }
        if self.peek()? == tag::COMPRESSED {
            self.pos += 1;
            return self.compressed();
        }
        self.term()
    }

    /// Reads a term without a version byte (as after a distribution header), leaving
    /// the cursor after it.
    ///
    /// ```
    /// use tether_term::{Decoder, Term};
    /// let bytes = tether_term::encode(&Term::from(5)).unwrap();
    /// // Skip the version byte, as after a distribution header.
    /// assert_eq!(Decoder::new(&bytes[1..]).decode_term().unwrap(), Term::from(5));
    /// ```
    pub fn decode_term(&mut self) -> Result<Term, DecodeError> {
        self.check_size()?;
        self.term()
    }

    /// Reads a versioned term and fails with [`K::TrailingBytes`] unless it ends the
    /// input.
    ///
    /// ```
    /// use tether_term::{Decoder, DecodeErrorKind, Term};
    /// let mut bytes = tether_term::encode(&Term::from(5)).unwrap();
    /// assert_eq!(Decoder::new(&bytes).decode_exact().unwrap(), Term::from(5));
    /// bytes.push(0);
    /// let err = Decoder::new(&bytes).decode_exact().unwrap_err();
    /// assert_eq!(err.kind(), &DecodeErrorKind::TrailingBytes);
    /// ```
    #[inline]
    pub fn decode_exact(&mut self) -> Result<Term, DecodeError> {
        let t = self.decode();
        if t.is_ok() && !self.is_empty() {
            return Err(self.err(K::TrailingBytes));
        }
        t
    }

    /// Reads a term (with the version byte if `versioned`, as [`Decoder::decode`]; else
    /// as [`Decoder::decode_term`]) and, when it is a tuple, appends its elements to
    /// `out` instead of building the tuple: `Ok(None)`. Any other term is returned
    /// whole, `Ok(Some(term))`, and `out` is left as it was.
    ///
    /// For readers that take a tuple apart at once (a distribution control message,
    /// a `{Tag, Value}` envelope): with a buffer they reuse, the tuple costs no
    /// allocation. Limits, the atom cache and errors are as for a whole term.
    ///
    /// ```
    /// use tether_term::{Decoder, Term};
    /// let bytes = tether_term::encode(&Term::tuple([Term::from(6), Term::atom("sink")])).unwrap();
    /// let mut items = Vec::new();
    /// assert_eq!(Decoder::new(&bytes).decode_tuple_elements(true, &mut items).unwrap(), None);
    /// assert_eq!(items, [Term::from(6), Term::atom("sink")]);
    ///
    /// let other = tether_term::encode(&Term::atom("ok")).unwrap();
    /// let mut items = Vec::new();
    /// let t = Decoder::new(&other).decode_tuple_elements(true, &mut items).unwrap();
    /// assert_eq!(t, Some(Term::atom("ok")));
    /// assert!(items.is_empty());
    /// ```
    pub fn decode_tuple_elements(
        &mut self,
        versioned: bool,
        out: &mut Vec<Term>,
    ) -> Result<Option<Term>, DecodeError> {
        self.check_size()?;
        if versioned {
            let v = self.u8()?;
            if v != VERSION {
                return Err(self.err_at(self.pos - 1, K::BadVersion(v)));
            }
        }
        let n = match self.peek()? {
            tag::SMALL_TUPLE => {
                self.pos += 1;
                self.u8()? as usize
            }
            tag::LARGE_TUPLE => {
                self.pos += 1;
                self.u32()? as usize
            }
            _ => {
                let t = if versioned && self.peek()? == tag::COMPRESSED {
                    self.pos += 1;
                    self.compressed()?
                } else {
                    self.term()?
                };
                return Ok(match t {
                    Term::Tuple(items) => {
                        out.extend(items);
                        None
                    }
                    other => Some(other),
                });
            }
        };
        let n = self.count(n, 1)?;
        self.enter()?;
        let start = out.len();
        out.reserve(n);
        for _ in 0..n {
            if let Err(e) = self.elem_into(out) {
                out.truncate(start);
                return Err(e);
            }
        }
        self.depth -= 1;
        Ok(None)
    }

    fn check_size(&self) -> Result<(), DecodeError> {
        if self.data.len().saturating_sub(self.pos) > self.limits.max_size {
            return Err(self.err(K::SizeLimit));
        }
        Ok(())
    }

    // ---- primitive reads ----------------------------------------------------------

    #[inline]
    fn err(&self, kind: K) -> DecodeError {
        DecodeError::new(self.pos, kind)
    }

    #[inline]
    fn err_at(&self, at: usize, kind: K) -> DecodeError {
        DecodeError::new(at, kind)
    }

    #[inline]
    fn eof(&self) -> DecodeError {
        DecodeError::new(self.data.len(), K::UnexpectedEnd)
    }

    #[inline]
    fn peek(&self) -> Result<u8, DecodeError> {
        self.data.get(self.pos).copied().ok_or_else(|| self.eof())
    }

    #[inline]
    fn u8(&mut self) -> Result<u8, DecodeError> {
        let b = self.peek()?;
        self.pos += 1;
        Ok(b)
    }

    #[inline]
    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.data.len())
            .ok_or_else(|| self.eof())?;
        let s = &self.data[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    #[inline]
    fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let s = self.take(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    #[inline]
    fn u16(&mut self) -> Result<u16, DecodeError> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    #[inline]
    fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    #[inline]
    fn u64(&mut self) -> Result<u64, DecodeError> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    /// Reads a u32 count of items that need at least `min_bytes` each, failing early
    /// if the input cannot hold them.
    #[inline]
    fn count(&mut self, n: usize, min_bytes: usize) -> Result<usize, DecodeError> {
        let left = self.data.len() - self.pos;
        if n.saturating_mul(min_bytes) > left {
            return Err(self.eof());
        }
        Ok(n)
    }

    fn binary(&mut self, n: usize) -> Result<Bytes, DecodeError> {
        let start = self.pos;
        let s = self.take(n)?;
        Ok(match self.owner {
            Some(b) => b.slice(start..start + n),
            None => Bytes::copy_from_slice(s),
        })
    }

    // ---- terms --------------------------------------------------------------------

    fn enter(&mut self) -> Result<(), DecodeError> {
        if self.depth >= self.limits.max_depth {
            return Err(self.err(K::DepthLimit));
        }
        self.depth += 1;
        Ok(())
    }

    /// Reads one term. Containers recurse from here; everything else is in
    /// [`Decoder::leaf`], which keeps this frame small (the recursion depth is bounded
    /// by [`DecodeLimits::max_depth`], and small frames keep that bound safe on small
    /// stacks, even in unoptimized builds).
    fn term(&mut self) -> Result<Term, DecodeError> {
        let at = self.pos;
        let t = self.u8()?;
        match t {
            tag::SMALL_TUPLE => {
                let n = self.u8()? as usize;
                self.tuple(n)
            }
            tag::LARGE_TUPLE => {
                let n = self.u32()? as usize;
                self.tuple(n)
            }
            tag::LIST => self.list(),
            tag::MAP => self.map(at),
            tag::NEW_FUN => self.fun(),
            tag::EXPORT => self.export(),
            _ => self.leaf(t, at),
        }
    }

    #[inline(never)]
    fn leaf(&mut self, t: u8, at: usize) -> Result<Term, DecodeError> {
        Ok(match t {
            tag::SMALL_INTEGER => Term::Int(self.u8()? as i64),
            tag::INTEGER => Term::Int(self.u32()? as i32 as i64),
            tag::SMALL_ATOM_UTF8
            | tag::ATOM_UTF8
            | tag::ATOM
            | tag::SMALL_ATOM
            | tag::ATOM_CACHE_REF => Term::Atom(self.atom_body(t, at)?),
            tag::NIL => Term::List(Vec::new()),
            tag::STRING => {
                let n = self.u16()? as usize;
                let s = self.take(n)?;
                Term::List(s.iter().map(|&b| Term::Int(b as i64)).collect())
            }
            tag::BINARY => {
                let n = self.u32()? as usize;
                Term::Binary(self.binary(n)?)
            }
            tag::NEW_FLOAT => {
                let f = f64::from_bits(self.u64()?);
                if !f.is_finite() {
                    return Err(self.err_at(at, K::InvalidFloat));
                }
                Term::Float(f)
            }
            tag::SMALL_BIG => {
                let n = self.u8()? as usize;
                self.big(n)?
            }
            tag::LARGE_BIG => {
                let n = self.u32()? as usize;
                self.big(n)?
            }
            tag::FLOAT => self.old_float(at)?,
            tag::BIT_BINARY => self.bit_binary()?,
            tag::NEW_PID
            | tag::PID
            | tag::NEW_PORT
            | tag::V4_PORT
            | tag::PORT
            | tag::NEWER_REFERENCE
            | tag::NEW_REFERENCE
            | tag::REFERENCE => self.identity(t, at)?,
            tag::COMPRESSED | tag::FUN | tag::LOCAL | tag::DIST_HEADER | tag::DIST_FRAG_HEADER => {
                return Err(self.err_at(at, K::UnsupportedTag(t)));
            }
            other => return Err(self.err_at(at, K::UnknownTag(other))),
        })
    }

    /// Reads an element of a container: the common leaves (small integers, short
    /// UTF-8 atoms) inline, the rest through [`Decoder::term`].
    #[inline(always)]
    fn elem(&mut self) -> Result<Term, DecodeError> {
        match self.data.get(self.pos..self.pos + 2) {
            Some(&[tag::SMALL_INTEGER, v]) => {
                self.pos += 2;
                Ok(Term::Int(v as i64))
            }
            Some(&[tag::SMALL_ATOM_UTF8, n]) => {
                let at = self.pos;
                self.pos += 2;
                let s = self.take(n as usize)?;
                Atom::from_utf8(s)
                    .map(Term::Atom)
                    .ok_or_else(|| self.err_at(at, K::InvalidAtom))
            }
            _ => self.term(),
        }
    }

    /// Like [`Decoder::elem`], but pushes onto `v`: building a leaf straight into the
    /// vector avoids a temporary whose piecewise stores, reloaded whole by the move
    /// into the vector, stall the CPU's store forwarding (this was the main cost of
    /// decoding small tuples).
    #[inline(always)]
    fn elem_into(&mut self, v: &mut Vec<Term>) -> Result<(), DecodeError> {
        match self.data.get(self.pos..self.pos + 2) {
            Some(&[tag::SMALL_INTEGER, i]) => {
                self.pos += 2;
                v.push(Term::Int(i as i64));
            }
            Some(&[tag::SMALL_ATOM_UTF8, n]) => {
                let at = self.pos;
                self.pos += 2;
                let s = self.take(n as usize)?;
                match Atom::from_utf8(s) {
                    Some(a) => v.push(Term::Atom(a)),
                    None => return Err(self.err_at(at, K::InvalidAtom)),
                }
            }
            Some(&[tag::ATOM_CACHE_REF, i]) if self.atoms.and_then(|r| r.get(i)).is_some() => {
                self.pos += 2;
                if let Some(a) = self.atoms.and_then(|r| r.get(i)) {
                    v.push(Term::Atom(a.clone()));
                }
            }
            _ => {
                let t = self.term()?;
                v.push(t);
            }
        }
        Ok(())
    }

    fn tuple(&mut self, n: usize) -> Result<Term, DecodeError> {
        let n = self.count(n, 1)?;
        self.enter()?;
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            self.elem_into(&mut v)?;
        }
        self.depth -= 1;
        Ok(Term::Tuple(v))
    }

    fn list(&mut self) -> Result<Term, DecodeError> {
        let n = self.u32()? as usize;
        let n = self.count(n, 1)?;
        self.enter()?;
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            self.elem_into(&mut v)?;
        }
        let tail = self.term()?;
        self.depth -= 1;
        Ok(match tail {
            Term::List(more) if more.is_empty() => Term::List(v),
            tail => Term::improper_list(v, tail),
        })
    }

    #[inline(never)]
    fn map(&mut self, at: usize) -> Result<Term, DecodeError> {
        let n = self.u32()? as usize;
        let n = self.count(n, 2)?;
        self.enter()?;
        let mut v: Vec<(Term, Term)> = Vec::with_capacity(n);
        for _ in 0..n {
            let k = self.elem()?;
            let val = self.elem()?;
            v.push((k, val));
        }
        self.depth -= 1;
        if has_duplicate_key(&v) {
            return Err(self.err_at(at, K::DuplicateMapKey));
        }
        Ok(Term::Map(v))
    }

    #[inline(never)]
    fn big(&mut self, n: usize) -> Result<Term, DecodeError> {
        let sign = self.u8()?;
        let digits = self.take(n)?;
        let mut len = digits.len();
        while len > 0 && digits[len - 1] == 0 {
            len -= 1;
        }
        let digits = &digits[..len];
        let negative = sign != 0;
        if len <= 8 {
            let mut buf = [0u8; 8];
            buf[..len].copy_from_slice(digits);
            let mag = u64::from_le_bytes(buf);
            if !negative && mag <= i64::MAX as u64 {
                return Ok(Term::Int(mag as i64));
            }
            if negative && mag <= 1u64 << 63 {
                return Ok(Term::Int((mag as i64).wrapping_neg()));
            }
        }
        Ok(Term::BigInt(BigInt {
            negative,
            magnitude: digits.to_vec(),
        }))
    }

    #[inline(never)]
    fn old_float(&mut self, at: usize) -> Result<Term, DecodeError> {
        let s = self.take(31)?;
        let end = s.iter().position(|&b| b == 0).unwrap_or(s.len());
        let f = std::str::from_utf8(&s[..end])
            .ok()
            .and_then(|t| t.trim().parse::<f64>().ok())
            .filter(|f| f.is_finite())
            .ok_or_else(|| self.err_at(at, K::InvalidFloat))?;
        Ok(Term::Float(f))
    }

    #[inline(never)]
    fn bit_binary(&mut self) -> Result<Term, DecodeError> {
        let n = self.u32()? as usize;
        let bits = self.u8()?;
        if bits > 8 || (bits == 0) != (n == 0) {
            return Err(self.err_at(self.pos - 1, K::InvalidBitCount(bits)));
        }
        let bytes = self.binary(n)?;
        Ok(if bits == 8 || n == 0 {
            Term::Binary(bytes)
        } else {
            Term::BitBinary { bytes, bits }
        })
    }

    /// Pids, ports and references, in all their forms.
    #[inline(never)]
    fn identity(&mut self, t: u8, at: usize) -> Result<Term, DecodeError> {
        Ok(match t {
            tag::NEW_PID | tag::PID => {
                let node = self.atom()?;
                let id = self.u32()?;
                let serial = self.u32()?;
                let creation = if t == tag::NEW_PID {
                    self.u32()?
                } else {
                    self.u8()? as u32
                };
                let (node, creation) = self.node(&node, creation, at)?;
                Term::Pid(Pid {
                    node,
                    id,
                    serial,
                    creation,
                })
            }
            tag::NEW_PORT | tag::V4_PORT | tag::PORT => {
                let node = self.atom()?;
                let id = if t == tag::V4_PORT {
                    self.u64()?
                } else {
                    self.u32()? as u64
                };
                let creation = if t == tag::PORT {
                    self.u8()? as u32
                } else {
                    self.u32()?
                };
                let (node, creation) = self.node(&node, creation, at)?;
                Term::Port(Port { node, id, creation })
            }
            tag::NEWER_REFERENCE | tag::NEW_REFERENCE => {
                let len = self.u16()?;
                if len == 0 || len > 5 {
                    return Err(self.err_at(self.pos - 2, K::InvalidRefLength(len)));
                }
                let node = self.atom()?;
                let creation = if t == tag::NEWER_REFERENCE {
                    self.u32()?
                } else {
                    self.u8()? as u32
                };
                let mut words = [0u32; 5];
                for w in words.iter_mut().take(len as usize) {
                    *w = self.u32()?;
                }
                let (node, creation) = self.node(&node, creation, at)?;
                Term::Ref(Reference::new(node, creation, &words[..len as usize]))
            }
            _ => {
                let node = self.atom()?;
                let id = self.u32()?;
                let creation = self.u8()? as u32;
                let (node, creation) = self.node(&node, creation, at)?;
                Term::Ref(Reference::new(node, creation, &[id]))
            }
        })
    }

    #[inline(never)]
    fn export(&mut self) -> Result<Term, DecodeError> {
        let module = self.atom()?;
        let function = self.atom()?;
        let arity_at = self.pos;
        let arity = self.term()?.as_i64().and_then(|a| u8::try_from(a).ok());
        let arity = arity.ok_or_else(|| self.err_at(arity_at, K::InvalidInteger))?;
        Ok(Term::Export(Box::new(Export {
            module,
            function,
            arity,
        })))
    }

    #[inline(never)]
    fn fun(&mut self) -> Result<Term, DecodeError> {
        let _size = self.u32()?;
        let arity = self.u8()?;
        let uniq: [u8; 16] = self.array()?;
        let index = self.u32()?;
        let num_free = self.u32()? as usize;
        let module = self.atom()?;
        self.enter()?;
        let old_index = self.term()?;
        let old_uniq = self.term()?;
        let pid = self.term()?;
        let num_free = self.count(num_free, 1)?;
        let mut free_vars = Vec::with_capacity(num_free);
        for _ in 0..num_free {
            free_vars.push(self.term()?);
        }
        self.depth -= 1;
        Ok(Term::Fun(Box::new(Fun {
            arity,
            uniq,
            index,
            module,
            old_index,
            old_uniq,
            pid,
            free_vars,
        })))
    }

    #[inline(never)]
    fn compressed(&mut self) -> Result<Term, DecodeError> {
        let at = self.pos;
        let size = self.u32()? as usize;
        if size > self.limits.max_decompressed {
            return Err(self.err_at(at, K::DecompressedSizeLimit));
        }
        let rest = self.take(self.data.len() - self.pos)?;
        let inflated = miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(rest, size)
            .map_err(|_| self.err_at(at + 4, K::BadCompression))?;
        if inflated.len() != size {
            return Err(self.err_at(at + 4, K::BadCompression));
        }
        let buf = Bytes::from(inflated);
        let mut inner = Decoder {
            data: &buf[..],
            pos: 0,
            owner: Some(&buf),
            limits: self.limits,
            atoms: self.atoms,
            depth: self.depth,
        };
        let t = inner.term()?;
        if !inner.is_empty() {
            return Err(inner.err(K::TrailingBytes));
        }
        Ok(t)
    }

    /// Reads an atom in a place where only an atom may stand.
    fn atom(&mut self) -> Result<Atom, DecodeError> {
        let at = self.pos;
        let t = self.u8()?;
        match t {
            tag::SMALL_ATOM_UTF8
            | tag::ATOM_UTF8
            | tag::ATOM
            | tag::SMALL_ATOM
            | tag::ATOM_CACHE_REF => self.atom_body(t, at),
            other => Err(self.err_at(at, K::ExpectedAtom(other))),
        }
    }

    #[inline]
    fn atom_body(&mut self, t: u8, at: usize) -> Result<Atom, DecodeError> {
        match t {
            tag::SMALL_ATOM_UTF8 => {
                let n = self.u8()? as usize;
                let s = self.take(n)?;
                Atom::from_utf8(s).ok_or_else(|| self.err_at(at, K::InvalidAtom))
            }
            tag::ATOM_UTF8 => {
                let n = self.u16()? as usize;
                let s = self.take(n)?;
                let s = std::str::from_utf8(s).map_err(|_| self.err_at(at, K::InvalidAtom))?;
                if n > 255 && s.chars().count() > 255 {
                    return Err(self.err_at(at, K::AtomTooLong));
                }
                Ok(Atom::new(s))
            }
            tag::ATOM | tag::SMALL_ATOM => {
                let n = if t == tag::ATOM {
                    self.u16()? as usize
                } else {
                    self.u8()? as usize
                };
                if n > 255 {
                    return Err(self.err_at(at, K::AtomTooLong));
                }
                let s = self.take(n)?;
                Ok(match std::str::from_utf8(s) {
                    Ok(ascii) if s.is_ascii() => Atom::new(ascii),
                    _ => Atom::from(s.iter().map(|&b| b as char).collect::<String>()),
                })
            }
            _ => {
                let i = self.u8()?;
                let refs = self.atoms.ok_or_else(|| self.err_at(at, K::NoAtomCache))?;
                refs.get(i)
                    .cloned()
                    .ok_or_else(|| self.err_at(at, K::UnknownAtomCacheRef(i as u16)))
            }
        }
    }

    fn node(&self, name: &Atom, creation: u32, at: usize) -> Result<(Node, u32), DecodeError> {
        Node::resolve(name, creation).map_err(|_| self.err_at(at, K::NodeTableFull))
    }
}

/// Whether two keys of the map are exactly equal.
fn has_duplicate_key(pairs: &[(Term, Term)]) -> bool {
    if pairs.len() < 2 {
        return false;
    }
    if pairs.len() <= 12 {
        for (i, (k, _)) in pairs.iter().enumerate() {
            if pairs[i + 1..].iter().any(|(o, _)| k.exact_eq(o)) {
                return true;
            }
        }
        return false;
    }
    let mut keys: Vec<&Term> = pairs.iter().map(|(k, _)| k).collect();
    keys.sort_by(|a, b| a.cmp_exact(b));
    keys.windows(2).any(|w| w[0].exact_eq(w[1]))
}
