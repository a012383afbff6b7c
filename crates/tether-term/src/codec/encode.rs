//! The encoder.
//!
//! Writes straight into the caller's buffer; the only back-patching is the size field
//! of a fun, which is why the target is a [`EncodeBuf`] (a growable byte buffer with
//! random access) rather than any writer. On error the buffer is truncated back to
//! where the term started, so a failed encode appends nothing.
//!
//! [`encode_term_with_atom_refs`] writes atoms as `ATOM_CACHE_REF`s for a distribution
//! header. It is the same encoder: the buffer it writes through also answers "does
//! this atom have a reference?" (a hook of the sealed [`EncodeBuf`] trait that plain
//! buffers answer with a constant `None`, so the plain encoder pays nothing for it).

use bytes::BytesMut;

use super::atom_cache::OutgoingAtomRefs;
use super::error::EncodeError;
use super::{VERSION, tag};
use crate::{Atom, BigInt, Node, Term};

/// A buffer the encoder can append to: `Vec<u8>` or [`BytesMut`].
pub trait EncodeBuf: sealed::Sealed {
    /// Appends bytes.
    ///
    /// ```
    /// use tether_term::EncodeBuf;
    /// let mut buf = Vec::new();
    /// buf.put_slice(b"ab");
    /// assert_eq!(buf, b"ab");
    /// ```
    fn put_slice(&mut self, bytes: &[u8]);
    /// Appends one byte.
    ///
    /// ```
    /// use tether_term::EncodeBuf;
    /// let mut buf = Vec::new();
    /// buf.put_byte(131);
    /// assert_eq!(buf, [131]);
    /// ```
    fn put_byte(&mut self, b: u8);
    /// The current length.
    ///
    /// ```
    /// use tether_term::{EncodeBuf, Term};
    /// let mut buf = Vec::new();
    /// tether_term::encode_to(&Term::atom("ok"), &mut buf).unwrap();
    /// assert_eq!(buf.buf_len(), buf.len());
    /// ```
    fn buf_len(&self) -> usize;
    /// Overwrites 4 bytes at `at` (which the encoder wrote earlier).
    ///
    /// ```
    /// use tether_term::EncodeBuf;
    /// let mut buf = vec![0u8; 6];
    /// buf.patch_u32(1, 0x01020304);
    /// assert_eq!(buf, [0, 1, 2, 3, 4, 0]); // big-endian, as the wire
    /// ```
    fn patch_u32(&mut self, at: usize, v: u32);
    /// Shortens the buffer to `len`.
    ///
    /// ```
    /// use tether_term::EncodeBuf;
    /// let mut buf = b"abcdef".to_vec();
    /// buf.truncate_to(2);
    /// assert_eq!(buf, b"ab");
    /// ```
    fn truncate_to(&mut self, len: usize);
    /// Makes room for `n` more bytes.
    ///
    /// ```
    /// use tether_term::EncodeBuf;
    /// let mut buf: Vec<u8> = Vec::new();
    /// buf.reserve_bytes(64);
    /// assert!(buf.capacity() >= 64);
    /// ```
    fn reserve_bytes(&mut self, n: usize);
}

pub(crate) mod sealed {
    use crate::Atom;

    pub trait Sealed {
        /// The `ATOM_CACHE_REF` index to write for `atom` instead of its text, if any.
        #[inline(always)]
        fn atom_ref(&mut self, _atom: &Atom) -> Option<u8> {
            None
        }
        /// Overwrites `bytes.len()` bytes at `at` (which were written earlier).
        fn patch(&mut self, at: usize, bytes: &[u8]);
    }
    impl Sealed for Vec<u8> {
        fn patch(&mut self, at: usize, bytes: &[u8]) {
            self[at..at + bytes.len()].copy_from_slice(bytes)
        }
    }
    impl Sealed for bytes::BytesMut {
        fn patch(&mut self, at: usize, bytes: &[u8]) {
            self[at..at + bytes.len()].copy_from_slice(bytes)
        }
    }
}

/// A buffer whose atoms become references into one message's [`OutgoingAtomRefs`].
struct WithAtomRefs<'a, B> {
    buf: &'a mut B,
    refs: &'a mut OutgoingAtomRefs,
}

impl<B: EncodeBuf> sealed::Sealed for WithAtomRefs<'_, B> {
    #[inline]
    fn atom_ref(&mut self, atom: &Atom) -> Option<u8> {
        self.refs.index_of(atom)
    }
    fn patch(&mut self, at: usize, bytes: &[u8]) {
        self.buf.patch(at, bytes)
    }
}

impl<B: EncodeBuf> EncodeBuf for WithAtomRefs<'_, B> {
    #[inline]
    fn put_slice(&mut self, bytes: &[u8]) {
        self.buf.put_slice(bytes)
    }
    #[inline]
    fn put_byte(&mut self, b: u8) {
        self.buf.put_byte(b)
    }
    #[inline]
    fn buf_len(&self) -> usize {
        self.buf.buf_len()
    }
    fn patch_u32(&mut self, at: usize, v: u32) {
        self.buf.patch_u32(at, v)
    }
    fn truncate_to(&mut self, len: usize) {
        self.buf.truncate_to(len)
    }
    fn reserve_bytes(&mut self, n: usize) {
        self.buf.reserve_bytes(n)
    }
}

impl EncodeBuf for Vec<u8> {
    #[inline]
    fn put_slice(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes)
    }
    #[inline]
    fn put_byte(&mut self, b: u8) {
        self.push(b)
    }
    #[inline]
    fn buf_len(&self) -> usize {
        self.len()
    }
    fn patch_u32(&mut self, at: usize, v: u32) {
        self[at..at + 4].copy_from_slice(&v.to_be_bytes())
    }
    fn truncate_to(&mut self, len: usize) {
        self.truncate(len)
    }
    fn reserve_bytes(&mut self, n: usize) {
        self.reserve(n)
    }
}

impl EncodeBuf for BytesMut {
    #[inline]
    fn put_slice(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes)
    }
    #[inline]
    fn put_byte(&mut self, b: u8) {
        self.extend_from_slice(&[b])
    }
    #[inline]
    fn buf_len(&self) -> usize {
        self.len()
    }
    fn patch_u32(&mut self, at: usize, v: u32) {
        self[at..at + 4].copy_from_slice(&v.to_be_bytes())
    }
    fn truncate_to(&mut self, len: usize) {
        self.truncate(len)
    }
    fn reserve_bytes(&mut self, n: usize) {
        self.reserve(n)
    }
}

/// Encodes a term with its version byte, as `term_to_binary/1` does.
///
/// ```
/// use tether_term::{encode, Term};
/// let t = Term::tuple([Term::atom("ok"), Term::from(42)]);
/// assert_eq!(encode(&t).unwrap(), [131, 104, 2, 119, 2, b'o', b'k', 97, 42]);
/// ```
pub fn encode(term: &Term) -> Result<Vec<u8>, EncodeError> {
    // Sizing exactly first ([`encoded_len`]) costs more than it saves on the small
    // terms that dominate messaging. Instead, start from the size of the last term this
    // thread encoded (messages in a stream tend to look alike), within bounds; a
    // top-level binary is sized exactly, and big binaries reserve room as they go.
    let mut buf = Vec::with_capacity(capacity_hint(term));
    encode_to(term, &mut buf)?;
    LAST_LEN.with(|l| l.set(buf.len()));
    Ok(buf)
}

thread_local! {
    static LAST_LEN: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// A cheap first guess at the encoded size: exact for a top-level binary, else the
/// last encoded size on this thread plus some slack, between 128 bytes and 4 KiB.
#[inline]
fn capacity_hint(term: &Term) -> usize {
    match term {
        Term::Binary(b) => 6 + b.len(),
        _ => LAST_LEN
            .with(|l| l.get() + l.get() / 8 + 16)
            .clamp(128, 4096),
    }
}

/// The number of bytes [`encode_term_to`] writes for `term` (add 1 for the version
/// byte), so that buffers can be sized once.
///
/// ```
/// use tether_term::{codec::encoded_len, encode, Term};
/// let t: Term = "{ok, [1,2,3], <<\"bin\">>, #{a => 1.5}}".parse().unwrap();
/// assert_eq!(encoded_len(&t) + 1, encode(&t).unwrap().len());
/// ```
pub fn encoded_len(term: &Term) -> usize {
    match term {
        Term::Atom(a) => atom_len(a),
        Term::Int(i) => int_len(*i),
        Term::Binary(b) => 5 + b.len(),
        Term::Tuple(items) => {
            (if items.len() < 256 { 2 } else { 5 }) + items.iter().map(encoded_len).sum::<usize>()
        }
        Term::List(items) => list_len(items),
        Term::Map(pairs) => {
            5 + pairs
                .iter()
                .map(|(k, v)| encoded_len(k) + encoded_len(v))
                .sum::<usize>()
        }
        Term::Float(_) => 9,
        other => rare_len(other),
    }
}

#[inline]
fn atom_len(a: &Atom) -> usize {
    if a.len() < 256 {
        2 + a.len()
    } else {
        3 + a.len()
    }
}

#[inline]
fn int_len(i: i64) -> usize {
    if (0..=255).contains(&i) {
        2
    } else if i32::try_from(i).is_ok() {
        5
    } else {
        3 + 8 - i.unsigned_abs().leading_zeros() as usize / 8
    }
}

fn list_len(items: &[Term]) -> usize {
    let is_byte = |t: &Term| matches!(t, Term::Int(i) if (0..=255).contains(i));
    if items.is_empty() {
        1
    } else if items.len() <= u16::MAX as usize && items.iter().all(is_byte) {
        3 + items.len()
    } else {
        6 + items.iter().map(encoded_len).sum::<usize>()
    }
}

#[cold]
#[inline(never)]
fn rare_len(term: &Term) -> usize {
    let node = |n: Node| n.with_name(atom_len);
    match term {
        Term::BigInt(b) => match b.to_i64() {
            Some(i) => int_len(i),
            None => {
                let n = b
                    .magnitude
                    .iter()
                    .rposition(|&d| d != 0)
                    .map_or(0, |p| p + 1);
                if n < 256 { 3 + n } else { 6 + n }
            }
        },
        Term::BitBinary { bytes, .. } => 6 + bytes.len(),
        Term::Pid(p) => 13 + node(p.node),
        Term::Port(p) => (if p.id <= u32::MAX as u64 { 9 } else { 13 }) + node(p.node),
        Term::Ref(r) => 7 + node(r.node) + 4 * r.words().len(),
        Term::ImproperList(items, tail) => match &**tail {
            // Non-canonical shapes are flattened by the encoder; an estimate will do.
            Term::List(_) | Term::ImproperList(..) => {
                6 + items.iter().map(encoded_len).sum::<usize>() + encoded_len(tail)
            }
            t if items.is_empty() => encoded_len(t),
            t => 5 + items.iter().map(encoded_len).sum::<usize>() + encoded_len(t),
        },
        Term::Fun(f) => {
            30 + atom_len(&f.module)
                + encoded_len(&f.old_index)
                + encoded_len(&f.old_uniq)
                + encoded_len(&f.pid)
                + f.free_vars.iter().map(encoded_len).sum::<usize>()
        }
        Term::Export(e) => 3 + atom_len(&e.module) + atom_len(&e.function),
        _ => encoded_len(term),
    }
}

/// Appends a term with its version byte to `buf`.
///
/// ```
/// use bytes::BytesMut;
/// use tether_term::{encode_to, Term};
/// let mut buf = BytesMut::new();
/// encode_to(&Term::nil(), &mut buf).unwrap();
/// assert_eq!(&buf[..], &[131, 106]);
/// ```
pub fn encode_to<B: EncodeBuf>(term: &Term, buf: &mut B) -> Result<(), EncodeError> {
    let start = buf.buf_len();
    buf.put_byte(VERSION);
    write_term(term, buf).inspect_err(|_| buf.truncate_to(start))
}

/// Appends a term *without* a version byte to `buf`, as terms follow a distribution
/// header.
///
/// ```
/// use tether_term::{encode_term_to, Term};
/// let mut buf = Vec::new();
/// encode_term_to(&Term::from(1), &mut buf).unwrap();
/// encode_term_to(&Term::atom("ok"), &mut buf).unwrap();
/// assert_eq!(buf, [97, 1, 119, 2, b'o', b'k']);
/// ```
pub fn encode_term_to<B: EncodeBuf>(term: &Term, buf: &mut B) -> Result<(), EncodeError> {
    let start = buf.buf_len();
    write_term(term, buf).inspect_err(|_| buf.truncate_to(start))
}

/// Appends a term without a version byte to `buf`, writing its atoms (node names of
/// pids, ports and references included) as `ATOM_CACHE_REF` indexes into `refs`,
/// which collects them for the message's distribution header (see
/// [`OutgoingAtomRefs::write_section`](crate::OutgoingAtomRefs::write_section)). Atoms `refs` cannot
/// take (it is full, or another atom of the message has the same cache slot) are
/// written as text.
///
/// Several terms of one message (control and payload) share one `refs`. On error
/// nothing is appended to `buf` and `refs` is as before.
///
/// ```
/// use tether_term::{encode_term_with_atom_refs, OutgoingAtomRefs, Term};
/// let mut refs = OutgoingAtomRefs::new();
/// let mut buf = Vec::new();
/// let t = Term::tuple([Term::atom("ok"), Term::atom("ok"), Term::from(1)]);
/// encode_term_with_atom_refs(&t, &mut buf, &mut refs).unwrap();
/// assert_eq!(buf, [104, 3, 82, 0, 82, 0, 97, 1]);
/// assert_eq!(refs.atoms().collect::<Vec<_>>(), ["ok"]);
/// ```
pub fn encode_term_with_atom_refs<B: EncodeBuf>(
    term: &Term,
    buf: &mut B,
    refs: &mut OutgoingAtomRefs,
) -> Result<(), EncodeError> {
    let start = buf.buf_len();
    let known = refs.len();
    let mut w = WithAtomRefs { buf, refs };
    write_term(term, &mut w).inspect_err(|_| {
        w.buf.truncate_to(start);
        w.refs.truncate(known);
    })
}

/// Bytes reserved past a binary, beside its own: a binary is often the last big thing
/// of a message, and the few bytes that follow it (more small terms, the atom-cache
/// section that the distribution layer appends) should not make the buffer grow again
/// and copy the binary.
const TRAILING_ROOM: usize = 128;

fn len32(n: usize) -> Result<u32, EncodeError> {
    u32::try_from(n).map_err(|_| EncodeError::TooLarge)
}

/// Writes an element of a container: leaves inline, the rest through [`write_term`]
/// (most elements are atoms and small integers, and a call per leaf adds up).
#[inline(always)]
fn write_elem<B: EncodeBuf>(term: &Term, buf: &mut B) -> Result<(), EncodeError> {
    match term {
        Term::Atom(a) => write_atom(a, buf),
        Term::Int(i) => {
            write_int(*i, buf);
            Ok(())
        }
        _ => write_term(term, buf),
    }
}

fn write_term<B: EncodeBuf>(term: &Term, buf: &mut B) -> Result<(), EncodeError> {
    match term {
        Term::Atom(a) => write_atom(a, buf)?,
        Term::Int(i) => write_int(*i, buf),
        Term::BigInt(b) => write_big(b, buf),
        Term::Float(f) => {
            if !f.is_finite() {
                return Err(EncodeError::NonFiniteFloat);
            }
            buf.put_byte(tag::NEW_FLOAT);
            buf.put_slice(&f.to_bits().to_be_bytes());
        }
        Term::Binary(b) => {
            buf.reserve_bytes(5 + b.len() + TRAILING_ROOM);
            buf.put_byte(tag::BINARY);
            buf.put_slice(&len32(b.len())?.to_be_bytes());
            buf.put_slice(b);
        }
        Term::BitBinary { bytes, bits } => {
            let Some((&last, init)) = bytes.split_last() else {
                return Err(EncodeError::InvalidBitCount(*bits));
            };
            if !(1..=7).contains(bits) {
                return Err(EncodeError::InvalidBitCount(*bits));
            }
            buf.put_byte(tag::BIT_BINARY);
            buf.put_slice(&len32(bytes.len())?.to_be_bytes());
            buf.put_byte(*bits);
            buf.put_slice(init);
            buf.put_byte(last & (0xffu8 << (8 - bits)));
        }
        Term::Pid(p) => {
            buf.put_byte(tag::NEW_PID);
            write_node(p.node, buf)?;
            buf.put_slice(&p.id.to_be_bytes());
            buf.put_slice(&p.serial.to_be_bytes());
            buf.put_slice(&p.node.wire_creation(p.creation).to_be_bytes());
        }
        Term::Port(p) => {
            if let Ok(id) = u32::try_from(p.id) {
                buf.put_byte(tag::NEW_PORT);
                write_node(p.node, buf)?;
                buf.put_slice(&id.to_be_bytes());
            } else {
                buf.put_byte(tag::V4_PORT);
                write_node(p.node, buf)?;
                buf.put_slice(&p.id.to_be_bytes());
            }
            buf.put_slice(&p.node.wire_creation(p.creation).to_be_bytes());
        }
        Term::Ref(r) => {
            buf.put_byte(tag::NEWER_REFERENCE);
            buf.put_slice(&(r.words().len() as u16).to_be_bytes());
            write_node(r.node, buf)?;
            buf.put_slice(&r.node.wire_creation(r.creation).to_be_bytes());
            for w in r.words() {
                buf.put_slice(&w.to_be_bytes());
            }
        }
        Term::Tuple(items) => {
            if items.len() < 256 {
                buf.put_slice(&[tag::SMALL_TUPLE, items.len() as u8]);
            } else {
                buf.put_byte(tag::LARGE_TUPLE);
                buf.put_slice(&len32(items.len())?.to_be_bytes());
            }
            for t in items {
                write_elem(t, buf)?;
            }
        }
        Term::List(items) => write_list(&[items], None, buf)?,
        Term::ImproperList(items, tail) => {
            // Flatten list tails so that the output is canonical.
            let mut parts: Vec<&[Term]> = vec![items];
            let mut tail: &Term = tail;
            loop {
                match tail {
                    Term::ImproperList(more, t) => {
                        parts.push(more);
                        tail = t;
                    }
                    Term::List(more) => {
                        parts.push(more);
                        break write_list(&parts, None, buf)?;
                    }
                    other => break write_list(&parts, Some(other), buf)?,
                }
            }
        }
        Term::Map(pairs) => {
            buf.put_byte(tag::MAP);
            buf.put_slice(&len32(pairs.len())?.to_be_bytes());
            for (k, v) in pairs {
                write_elem(k, buf)?;
                write_elem(v, buf)?;
            }
        }
        Term::Fun(f) => {
            buf.put_byte(tag::NEW_FUN);
            let size_at = buf.buf_len();
            buf.put_slice(&[0; 4]);
            buf.put_byte(f.arity);
            buf.put_slice(&f.uniq);
            buf.put_slice(&f.index.to_be_bytes());
            buf.put_slice(&len32(f.free_vars.len())?.to_be_bytes());
            write_atom(&f.module, buf)?;
            write_term(&f.old_index, buf)?;
            write_term(&f.old_uniq, buf)?;
            write_term(&f.pid, buf)?;
            for v in &f.free_vars {
                write_term(v, buf)?;
            }
            let size = len32(buf.buf_len() - size_at)?;
            buf.patch_u32(size_at, size);
        }
        Term::Export(e) => {
            buf.put_byte(tag::EXPORT);
            write_atom(&e.module, buf)?;
            write_atom(&e.function, buf)?;
            buf.put_slice(&[tag::SMALL_INTEGER, e.arity]);
        }
    }
    Ok(())
}

#[inline]
fn write_atom<B: EncodeBuf>(a: &Atom, buf: &mut B) -> Result<(), EncodeError> {
    if let Some(i) = buf.atom_ref(a) {
        buf.put_slice(&[tag::ATOM_CACHE_REF, i]);
        return Ok(());
    }
    if let Some((len, text)) = a.inline() {
        // Write a fixed-size block and trim it: cheaper than a variable-length copy.
        let mut block = [0u8; 2 + crate::atom::INLINE_CAP];
        block[0] = tag::SMALL_ATOM_UTF8;
        block[1] = len as u8;
        block[2..].copy_from_slice(text);
        let start = buf.buf_len();
        buf.put_slice(&block);
        buf.truncate_to(start + 2 + len);
        return Ok(());
    }
    let b = a.as_bytes();
    if b.len() < 256 {
        buf.put_slice(&[tag::SMALL_ATOM_UTF8, b.len() as u8]);
    } else if b.len() <= u16::MAX as usize {
        buf.put_byte(tag::ATOM_UTF8);
        buf.put_slice(&(b.len() as u16).to_be_bytes());
    } else {
        return Err(EncodeError::AtomTooLong);
    }
    buf.put_slice(b);
    Ok(())
}

fn write_node<B: EncodeBuf>(node: Node, buf: &mut B) -> Result<(), EncodeError> {
    node.with_name(|a| write_atom(a, buf))
}

#[inline]
fn write_int<B: EncodeBuf>(i: i64, buf: &mut B) {
    if (0..=255).contains(&i) {
        buf.put_slice(&[tag::SMALL_INTEGER, i as u8]);
    } else if let Ok(v) = i32::try_from(i) {
        buf.put_byte(tag::INTEGER);
        buf.put_slice(&v.to_be_bytes());
    } else {
        let mag = i.unsigned_abs().to_le_bytes();
        let n = 8 - mag.iter().rev().take_while(|&&b| b == 0).count();
        buf.put_slice(&[tag::SMALL_BIG, n as u8, (i < 0) as u8]);
        buf.put_slice(&mag[..n]);
    }
}

fn write_big<B: EncodeBuf>(b: &BigInt, buf: &mut B) {
    if let Some(i) = b.to_i64() {
        return write_int(i, buf);
    }
    let mut mag = &b.magnitude[..];
    while let [rest @ .., 0] = mag {
        mag = rest;
    }
    if mag.len() < 256 {
        buf.put_slice(&[tag::SMALL_BIG, mag.len() as u8]);
    } else {
        buf.put_byte(tag::LARGE_BIG);
        // A magnitude of 4 GiB cannot be held in memory on any supported target.
        buf.put_slice(&(mag.len() as u32).to_be_bytes());
    }
    buf.put_byte(b.negative as u8);
    buf.put_slice(mag);
}

/// Writes the concatenation of `parts` followed by `tail` (`None` = `[]`).
fn write_list<B: EncodeBuf>(
    parts: &[&[Term]],
    tail: Option<&Term>,
    buf: &mut B,
) -> Result<(), EncodeError> {
    let n: usize = parts.iter().map(|p| p.len()).sum();
    if n == 0 {
        return match tail {
            None => {
                buf.put_byte(tag::NIL);
                Ok(())
            }
            Some(t) => write_term(t, buf),
        };
    }
    let is_byte = |t: &Term| matches!(t, Term::Int(i) if (0..=255).contains(i));
    if tail.is_none() && n <= u16::MAX as usize && parts.iter().all(|p| p.iter().all(is_byte)) {
        buf.put_byte(tag::STRING);
        buf.put_slice(&(n as u16).to_be_bytes());
        for p in parts {
            for t in p.iter() {
                if let Term::Int(i) = t {
                    buf.put_byte(*i as u8);
                }
            }
        }
        return Ok(());
    }
    buf.put_byte(tag::LIST);
    buf.put_slice(&len32(n)?.to_be_bytes());
    for p in parts {
        for t in p.iter() {
            write_elem(t, buf)?;
        }
    }
    match tail {
        None => buf.put_byte(tag::NIL),
        Some(t) => write_term(t, buf)?,
    }
    Ok(())
}
