//! Codec errors.

use std::fmt;

/// Decoding failed: where, and why.
///
/// ```
/// use tether_term::{decode, DecodeErrorKind};
/// let err = decode(&[131, 104, 2, 97, 1]).unwrap_err(); // a 2-tuple with one element
/// assert_eq!(err.offset(), 5);
/// assert_eq!(err.kind(), &DecodeErrorKind::UnexpectedEnd);
/// assert!(err.to_string().contains("offset 5"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    offset: usize,
    kind: DecodeErrorKind,
}

/// Why decoding failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// The input ended inside a term.
    UnexpectedEnd,
    /// The first byte was not the version byte 131.
    BadVersion(u8),
    /// A tag no version of the format defines.
    UnknownTag(u8),
    /// A tag that is defined but not accepted here: `FUN_EXT` (removed in OTP 23),
    /// `LOCAL_EXT` (node-local), a distribution header, or compression not at the top.
    UnsupportedTag(u8),
    /// A term of another kind where an atom is required (a node name, a module).
    ExpectedAtom(u8),
    /// An atom whose text is not valid UTF-8.
    InvalidAtom,
    /// An atom longer than 255 characters (Erlang's limit).
    AtomTooLong,
    /// An atom-cache reference, but no atom cache was given.
    NoAtomCache,
    /// An atom-cache reference to an index the cache does not hold.
    UnknownAtomCacheRef(u16),
    /// A float that is not finite, or a `FLOAT_EXT` string that is not a number.
    InvalidFloat,
    /// A `BIT_BINARY_EXT` bit count outside 1..=8 (or non-zero for an empty one).
    InvalidBitCount(u8),
    /// A reference with no id words or more than 5.
    InvalidRefLength(u16),
    /// An integer out of range where a small one is required (an export's arity).
    InvalidInteger,
    /// A map with two exactly equal keys.
    DuplicateMapKey,
    /// Terms nested deeper than [`DecodeLimits::max_depth`](crate::DecodeLimits).
    DepthLimit,
    /// Input larger than [`DecodeLimits::max_size`](crate::DecodeLimits).
    SizeLimit,
    /// A compressed term whose uncompressed size exceeds
    /// [`DecodeLimits::max_decompressed`](crate::DecodeLimits).
    DecompressedSizeLimit,
    /// Compressed data that does not inflate, or inflates to another size than stated.
    BadCompression,
    /// The process-wide node table is full.
    NodeTableFull,
    /// Bytes were left after the term (from [`decode`](crate::decode)).
    TrailingBytes,
}

impl DecodeError {
    pub(crate) fn new(offset: usize, kind: DecodeErrorKind) -> DecodeError {
        DecodeError { offset, kind }
    }

    /// The byte offset in the input where the problem was found (for errors inside a
    /// compressed term: the offset in the uncompressed data).
    ///
    /// ```
    /// let err = tether_term::decode(&[131, 104, 2, 97, 1]).unwrap_err(); // a 2-tuple with 1 element
    /// assert_eq!(err.offset(), 5);
    /// ```
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// What was wrong.
    ///
    /// ```
    /// use tether_term::DecodeErrorKind;
    /// let err = tether_term::decode(&[130, 97, 1]).unwrap_err();
    /// assert_eq!(err.kind(), &DecodeErrorKind::BadVersion(130));
    /// ```
    pub fn kind(&self) -> &DecodeErrorKind {
        &self.kind
    }

    /// Whether the input simply ended too early (more bytes might make it valid).
    ///
    /// ```
    /// let bytes = tether_term::encode(&"hello".into()).unwrap();
    /// let err = tether_term::decode(&bytes[..bytes.len() - 1]).unwrap_err();
    /// assert!(err.is_unexpected_end()); // more bytes might make it valid
    /// ```
    pub fn is_unexpected_end(&self) -> bool {
        self.kind == DecodeErrorKind::UnexpectedEnd
    }

    /// Whether a [`DecodeLimits`](crate::DecodeLimits) bound was hit.
    ///
    /// ```
    /// use tether_term::{DecodeLimits, Decoder, Term};
    /// let deep = (0..100).fold(Term::nil(), |t, _| Term::list([t]));
    /// let bytes = tether_term::encode(&deep).unwrap();
    /// let limits = DecodeLimits { max_depth: 10, ..DecodeLimits::default() };
    /// let err = Decoder::new(&bytes).with_limits(limits).decode().unwrap_err();
    /// assert!(err.is_limit());
    /// ```
    pub fn is_limit(&self) -> bool {
        matches!(
            self.kind,
            DecodeErrorKind::DepthLimit
                | DecodeErrorKind::SizeLimit
                | DecodeErrorKind::DecompressedSizeLimit
        )
    }
}

impl fmt::Display for DecodeErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use DecodeErrorKind::*;
        match self {
            UnexpectedEnd => f.write_str("unexpected end of input"),
            BadVersion(b) => write!(f, "bad version byte {b} (expected 131)"),
            UnknownTag(t) => write!(f, "unknown tag {t}"),
            UnsupportedTag(t) => write!(f, "tag {t} is not accepted here"),
            ExpectedAtom(t) => write!(f, "expected an atom, found tag {t}"),
            InvalidAtom => f.write_str("atom text is not valid UTF-8"),
            AtomTooLong => f.write_str("atom longer than 255 characters"),
            NoAtomCache => f.write_str("atom cache reference without an atom cache"),
            UnknownAtomCacheRef(i) => write!(f, "atom cache reference {i} is not in the cache"),
            InvalidFloat => f.write_str("invalid float"),
            InvalidBitCount(b) => write!(f, "invalid bit count {b} in a bitstring"),
            InvalidRefLength(n) => write!(f, "reference with {n} id words (1 to 5 allowed)"),
            InvalidInteger => f.write_str("integer out of range"),
            DuplicateMapKey => f.write_str("map with a duplicate key"),
            DepthLimit => f.write_str("nesting depth limit exceeded"),
            SizeLimit => f.write_str("input size limit exceeded"),
            DecompressedSizeLimit => f.write_str("decompressed size limit exceeded"),
            BadCompression => f.write_str("corrupt compressed term"),
            NodeTableFull => f.write_str("node name table is full"),
            TrailingBytes => f.write_str("trailing bytes after the term"),
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ETF decode error at offset {}: {}",
            self.offset, self.kind
        )
    }
}

impl std::error::Error for DecodeError {}

/// A term that the External Term Format cannot carry.
///
/// ```
/// use tether_term::{encode, EncodeError, Term};
/// assert_eq!(encode(&Term::Float(f64::NAN)), Err(EncodeError::NonFiniteFloat));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EncodeError {
    /// NaN or an infinity: Erlang floats are finite.
    NonFiniteFloat,
    /// An atom of more than 65535 bytes.
    AtomTooLong,
    /// A bitstring whose `bits` is not 1..=7, or which has no bytes.
    InvalidBitCount(u8),
    /// A collection or binary with more than `u32::MAX` elements or bytes, or a
    /// reference with more than 65535 words.
    TooLarge,
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::NonFiniteFloat => f.write_str("cannot encode a non-finite float"),
            EncodeError::AtomTooLong => f.write_str("atom longer than 65535 bytes"),
            EncodeError::InvalidBitCount(b) => write!(f, "invalid bit count {b} in a bitstring"),
            EncodeError::TooLarge => f.write_str("term too large for the external format"),
        }
    }
}

impl std::error::Error for EncodeError {}
