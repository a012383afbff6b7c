//! Atoms.
//!
//! An [`Atom`] is an immutable, cheaply clonable name. Atoms are *not* interned in a
//! global table: a peer that sends a million distinct atoms costs memory only while
//! those terms are alive, never forever (the BEAM's atom table is a classic way to
//! crash a node; Tether does not repeat it).
//!
//! # Representation
//!
//! Most atoms are short (`ok`, `error`, `'$gen_call'`, module names), so an atom of up
//! to [`INLINE_CAP`] bytes is stored inline, in the value itself: making one, as the
//! decoder does for every atom it reads, allocates nothing. Longer atoms share one
//! heap string through an [`Arc`], so cloning any atom is cheap.
//!
//! Atoms compare, hash and order by their UTF-8 text. Byte order of UTF-8 is code
//! point order, which is how Erlang orders atoms.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// Atoms of at most this many bytes are stored without allocating.
pub(crate) const INLINE_CAP: usize = 23;

/// An inline atom text, 8-byte aligned. The alignment matters for speed: it keeps
/// every field of [`Term`](crate::Term) at an aligned offset, so that moving terms
/// around copies whole aligned words (an unaligned layout made the compiler copy
/// terms in 16-byte chunks straddling earlier 8-byte stores, which defeats the
/// CPU's store forwarding and doubled the decoder's time on small terms).
#[derive(Clone, Copy)]
#[repr(C, align(8))]
struct Inline {
    len: u8,
    buf: [u8; INLINE_CAP],
}

/// Invariant: an inline buffer holds the text's bytes and zeros past `len`, and only
/// texts of up to [`INLINE_CAP`] bytes are inline (so equal atoms have equal reprs).
#[derive(Clone)]
enum Repr {
    Inline(Inline),
    Heap(Arc<str>),
}

/// An Erlang atom, such as `ok` or `'EXIT'`.
///
/// Atoms compare, hash and order by their text, as Erlang orders them.
///
/// ```
/// use tether_term::Atom;
/// let ok = Atom::new("ok");
/// assert_eq!(ok.as_str(), "ok");
/// assert_eq!(ok, Atom::from("ok"));
/// assert!(Atom::new("abc") < Atom::new("abd"));
/// ```
#[derive(Clone)]
pub struct Atom(Repr);

impl Atom {
    /// Makes an atom from its text.
    ///
    /// ```
    /// use tether_term::{Atom, Term};
    /// let ok = Atom::new("ok");
    /// assert_eq!(ok.as_str(), "ok");
    /// assert_eq!(Term::from(ok), Term::atom("ok"));
    /// ```
    pub fn new(text: &str) -> Atom {
        let bytes = text.as_bytes();
        if bytes.len() <= INLINE_CAP {
            let mut buf = [0u8; INLINE_CAP];
            buf[..bytes.len()].copy_from_slice(bytes);
            Atom(Repr::Inline(Inline {
                len: bytes.len() as u8,
                buf,
            }))
        } else {
            Atom(Repr::Heap(Arc::from(text)))
        }
    }

    /// Makes an atom from bytes that should be UTF-8 (as the decoder reads them);
    /// `None` if they are not. Short ASCII names, the common case, skip the general
    /// UTF-8 validation.
    #[inline]
    pub(crate) fn from_utf8(bytes: &[u8]) -> Option<Atom> {
        if bytes.len() <= INLINE_CAP {
            if bytes.iter().fold(0u8, |acc, b| acc | b) >= 0x80 {
                std::str::from_utf8(bytes).ok()?;
            }
            let mut buf = [0u8; INLINE_CAP];
            buf[..bytes.len()].copy_from_slice(bytes);
            Some(Atom(Repr::Inline(Inline {
                len: bytes.len() as u8,
                buf,
            })))
        } else {
            Some(Atom(Repr::Heap(Arc::from(
                std::str::from_utf8(bytes).ok()?,
            ))))
        }
    }

    /// The atom's text.
    ///
    /// ```
    /// use tether_term::Atom;
    /// assert_eq!(Atom::new("héllo").as_str(), "héllo");
    /// ```
    pub fn as_str(&self) -> &str {
        match &self.0 {
            // The inline buffer only ever holds a copy of a `str`'s bytes, so this
            // never fails; the fallback keeps the code free of `unsafe`.
            Repr::Inline(i) => std::str::from_utf8(&i.buf[..i.len as usize]).unwrap_or(""),
            Repr::Heap(s) => s,
        }
    }

    /// The atom's text as UTF-8 bytes.
    ///
    /// ```
    /// use tether_term::Atom;
    /// assert_eq!(Atom::new("ok").as_bytes(), b"ok");
    /// ```
    pub fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            Repr::Inline(i) => &i.buf[..i.len as usize],
            Repr::Heap(s) => s.as_bytes(),
        }
    }

    /// The inline buffer and length, for atoms stored inline (zeros past `len`).
    #[inline]
    pub(crate) fn inline(&self) -> Option<(usize, &[u8; INLINE_CAP])> {
        match &self.0 {
            Repr::Inline(i) => Some((i.len as usize, &i.buf)),
            Repr::Heap(_) => None,
        }
    }

    /// The length of the text in bytes.
    ///
    /// ```
    /// use tether_term::Atom;
    /// assert_eq!(Atom::new("ok").len(), 2);
    /// assert_eq!(Atom::new("é").len(), 2); // bytes, not characters
    /// ```
    pub fn len(&self) -> usize {
        self.as_bytes().len()
    }

    /// Whether this is the empty atom `''`.
    ///
    /// ```
    /// use tether_term::Atom;
    /// assert!(Atom::new("").is_empty());
    /// assert!(!Atom::new("a").is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.as_bytes().is_empty()
    }
}

impl PartialEq for Atom {
    #[inline]
    fn eq(&self, other: &Atom) -> bool {
        match (&self.0, &other.0) {
            // Inline buffers are zero past `len`, so whole buffers compare.
            (Repr::Inline(x), Repr::Inline(y)) => x.len == y.len && x.buf == y.buf,
            _ => self.as_bytes() == other.as_bytes(),
        }
    }
}

impl Eq for Atom {}

impl PartialOrd for Atom {
    fn partial_cmp(&self, other: &Atom) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Atom {
    fn cmp(&self, other: &Atom) -> Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl Hash for Atom {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // Must hash exactly as `str` does, since `Atom: Borrow<str>`: its bytes, then
        // 0xff (what `str`'s `Hash` does on stable Rust, where a hasher cannot
        // change `write_str`), without checking the bytes as UTF-8 again.
        state.write(self.as_bytes());
        state.write_u8(0xff);
    }
}

impl From<&str> for Atom {
    fn from(text: &str) -> Atom {
        Atom::new(text)
    }
}

impl From<String> for Atom {
    fn from(text: String) -> Atom {
        if text.len() <= INLINE_CAP {
            Atom::new(&text)
        } else {
            Atom(Repr::Heap(Arc::from(text)))
        }
    }
}

impl PartialEq<str> for Atom {
    fn eq(&self, other: &str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialEq<&str> for Atom {
    fn eq(&self, other: &&str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl fmt::Debug for Atom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for Atom {
    /// Writes the atom as Erlang's `io_lib:write_atom/1` does, quoting it when needed
    /// (characters beyond Latin-1 are written as themselves, as `~tw` does).
    ///
    /// ```
    /// use tether_term::Atom;
    /// assert_eq!(Atom::new("ok").to_string(), "ok");
    /// assert_eq!(Atom::new("EXIT").to_string(), "'EXIT'");
    /// assert_eq!(Atom::new("it's").to_string(), "'it\\'s'");
    /// assert_eq!(Atom::new("after").to_string(), "'after'");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.as_str();
        if is_bare_atom(s) {
            f.write_str(s)
        } else {
            f.write_str("'")?;
            crate::display::write_escaped(f, s.chars(), '\'')?;
            f.write_str("'")
        }
    }
}

/// Whether Erlang's scanner reads `c` as a lowercase letter (ASCII or Latin-1).
pub(crate) fn is_lower(c: char) -> bool {
    c.is_ascii_lowercase() || (('\u{df}'..='\u{ff}').contains(&c) && c != '\u{f7}')
}

/// Whether Erlang's scanner reads `c` as an uppercase letter (ASCII or Latin-1).
pub(crate) fn is_upper(c: char) -> bool {
    c.is_ascii_uppercase() || (('\u{c0}'..='\u{de}').contains(&c) && c != '\u{d7}')
}

/// Whether `c` may continue an unquoted atom or a variable name.
pub(crate) fn is_name_char(c: char) -> bool {
    is_lower(c) || is_upper(c) || c.is_ascii_digit() || c == '_' || c == '@'
}

/// Whether the atom can be written without quotes.
pub(crate) fn is_bare_atom(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if is_lower(c))
        && chars.all(is_name_char)
        && !is_reserved_word(s)
}

fn is_reserved_word(s: &str) -> bool {
    matches!(
        s,
        "after"
            | "and"
            | "andalso"
            | "band"
            | "begin"
            | "bnot"
            | "bor"
            | "bsl"
            | "bsr"
            | "bxor"
            | "case"
            | "catch"
            | "cond"
            | "div"
            | "end"
            | "fun"
            | "if"
            | "let"
            | "maybe"
            | "not"
            | "of"
            | "or"
            | "orelse"
            | "receive"
            | "rem"
            | "try"
            | "when"
            | "xor"
    )
}

impl std::borrow::Borrow<str> for Atom {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Atom {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

#[cfg(test)]
mod hash_tests {
    use super::*;
    use std::collections::HashMap;
    use std::hash::{BuildHasher, RandomState};

    #[test]
    fn atoms_hash_as_their_text_does() {
        let s = RandomState::new();
        for text in [
            "",
            "ok",
            "sink",
            "a_name_of_exactly_23_by",
            "ünïcødé",
            &"long".repeat(20),
        ] {
            assert_eq!(s.hash_one(Atom::new(text)), s.hash_one(text), "{text:?}");
        }
        let mut m = HashMap::new();
        m.insert(Atom::new("sink"), 1);
        m.insert(Atom::new(&"x".repeat(40)), 2);
        assert_eq!(m.get("sink"), Some(&1));
        assert_eq!(m.get(&*"x".repeat(40)), Some(&2));
    }
}
