//! The External Term Format: decoding and encoding.
//!
//! This is the binary format of Erlang's `term_to_binary/1` and of every message on a
//! distribution connection. The layouts are in OTP's `erts/doc/src/erl_ext_dist.xml`;
//! the table of tags Tether reads and writes is in `docs/distribution.md` §5.
//!
//! # Decoding
//!
//! [`Decoder`] reads terms from a buffer. It is lenient in what it accepts (every tag
//! an OTP 25 node may produce, the legacy ones, compressed terms, atom-cache
//! references) and strict in what it checks: every length is checked against the bytes
//! left before anything is allocated, nesting depth, input size and decompressed size
//! are bounded by [`DecodeLimits`], and any malformed input yields a [`DecodeError`]
//! that names the byte offset and the reason. It never panics.
//!
//! Decoding from a [`bytes::Bytes`] ([`Decoder::from_bytes`], [`decode_bytes`]) makes
//! every binary in the result a slice of the input: no copying, however large.
//!
//! A term that comes after a distribution header carries no version byte, and several
//! terms follow each other in one buffer; [`Decoder::decode_term`] reads one such term
//! and leaves the cursor after it. Atom-cache references (tag 82) are resolved through
//! an [`AtomCacheRefs`] table that the distribution layer builds from the header with
//! [`AtomCache::read_header_into`] (or [`AtomCache::read_header`]), the one reader of
//! atom-cache sections. Sending is the mirror image:
//! [`encode_term_with_atom_refs`] writes atoms as references and collects them in an
//! [`OutgoingAtomRefs`], and the sender's [`AtomCache`] turns that list into the
//! header with [`AtomCache::write_header`].
//!
//! # Encoding
//!
//! The encoder writes the forms an OTP node writes on the wire, so that
//! `encode(decode(b)) == b` for every `b` that `term_to_binary(T, [{minor_version, 2}])`
//! produced (the bytes of OTP 26's `term_to_binary/1` and of distribution messages;
//! OTP 25's `term_to_binary/1` differs only in writing atoms as the deprecated
//! `ATOM_EXT`). Integers take the smallest form, lists of small integers become
//! `STRING_EXT`, small tuples `SMALL_TUPLE_EXT`, ports `NEW_PORT_EXT` unless their id
//! needs 64 bits. Maps are written in the order of their pairs.
//!
//! Local pids, ports and references carry creation 0, meaning "this incarnation": the
//! encoder writes [`Node::local_creation`](crate::Node::local_creation) for them and
//! the decoder maps the local node's current creation back to 0.

mod atom_cache;
mod decode;
mod encode;
mod error;

pub use atom_cache::{AtomCache, AtomCacheRefs, OutgoingAtomRefs};
pub use decode::{DecodeLimits, Decoder, decode, decode_bytes};
pub use encode::{
    EncodeBuf, encode, encode_term_to, encode_term_with_atom_refs, encode_to, encoded_len,
};
pub use error::{DecodeError, DecodeErrorKind, EncodeError};

/// The version byte that starts a term.
pub const VERSION: u8 = 131;

pub(crate) mod tag {
    pub const COMPRESSED: u8 = 80;
    pub const DIST_HEADER: u8 = 68;
    pub const DIST_FRAG_HEADER: u8 = 69;
    pub const ATOM_CACHE_REF: u8 = 82;
    pub const SMALL_INTEGER: u8 = 97;
    pub const INTEGER: u8 = 98;
    pub const FLOAT: u8 = 99;
    pub const ATOM: u8 = 100;
    pub const REFERENCE: u8 = 101;
    pub const PORT: u8 = 102;
    pub const PID: u8 = 103;
    pub const SMALL_TUPLE: u8 = 104;
    pub const LARGE_TUPLE: u8 = 105;
    pub const NIL: u8 = 106;
    pub const STRING: u8 = 107;
    pub const LIST: u8 = 108;
    pub const BINARY: u8 = 109;
    pub const SMALL_BIG: u8 = 110;
    pub const LARGE_BIG: u8 = 111;
    pub const NEW_FUN: u8 = 112;
    pub const EXPORT: u8 = 113;
    pub const NEW_REFERENCE: u8 = 114;
    pub const SMALL_ATOM: u8 = 115;
    pub const MAP: u8 = 116;
    pub const FUN: u8 = 117;
    pub const ATOM_UTF8: u8 = 118;
    pub const SMALL_ATOM_UTF8: u8 = 119;
    pub const V4_PORT: u8 = 120;
    pub const LOCAL: u8 = 121;
    pub const NEW_FLOAT: u8 = 70;
    pub const BIT_BINARY: u8 = 77;
    pub const NEW_PID: u8 = 88;
    pub const NEW_PORT: u8 = 89;
    pub const NEWER_REFERENCE: u8 = 90;
}
