//! Erlang terms for Rust: the [`Term`] type, the External Term Format (ETF) codec,
//! Erlang's term order, Erlang syntax, and a serde bridge.
//!
//! This crate is the bottom layer of Tether and is usable on its own, to talk to
//! Erlang and Elixir over any channel that carries `term_to_binary` bytes.
//!
//! # A tour
//!
//! **Terms.** [`Term`] covers every Erlang value. Identities are small `Copy` values:
//! [`Pid`], [`Reference`], [`Port`], each naming its [`Node`] by an index into a
//! bounded process-wide table. [`Atom`]s are *not* interned globally, so remote atoms
//! cost memory only while they are alive.
//!
//! ```
//! use tether_term::Term;
//! let t = Term::tuple([Term::atom("ok"), Term::from("bin"), Term::from(42)]);
//! assert_eq!(t.to_string(), r#"{ok,<<"bin">>,42}"#);
//! ```
//!
//! **The codec** ([`encode`], [`decode`], [`Decoder`]) reads every tag an OTP node may
//! send, including legacy and compressed ones, bounded by [`DecodeLimits`], and never
//! panics; it writes the bytes `term_to_binary` writes (see [`codec`] for details).
//!
//! ```
//! use tether_term::{decode, encode, Term};
//! let t: Term = "{ok, [1,2,3], #{key => <<\"value\">>}}".parse().unwrap();
//! let bytes = encode(&t).unwrap();
//! assert_eq!(decode(&bytes).unwrap(), t);
//! ```
//!
//! For the distribution layer: [`Decoder::decode_term`] reads one version-less term
//! and leaves the cursor after it (terms follow each other after a distribution
//! header), [`AtomCache`]/[`AtomCacheRefs`] resolve atom-cache references,
//! [`encode_term_to`] appends a version-less term to a `Vec<u8>` or `BytesMut`, and
//! [`encode_term_with_atom_refs`] does the same with atom-cache references, for a
//! sender's [`AtomCache::write_header`].
//!
//! **Term order** ([`Term::cmp_erlang`], [`Term::cmp_exact`], [`OrdTerm`]) is Erlang's
//! total order, and `==` on terms is Erlang's `=:=`, with [`Term::hash_exact`] as the
//! hash that agrees with it; see [`order`].
//!
//! **Text.** `Display` writes Erlang syntax and `FromStr` reads it back ([`parse`]).
//!
//! **serde.** [`to_term`] and [`from_term`] convert Rust values to and from terms the
//! way Elixir code expects them:
//!
//! ```
//! use serde::{Deserialize, Serialize};
//! use tether_term::{from_term, to_term, Term};
//!
//! #[derive(Serialize, Deserialize, Debug, PartialEq)]
//! enum Req { Put(String, i64), Get(String) }
//!
//! let t = to_term(&Req::Put("k".into(), 7)).unwrap();
//! assert_eq!(t.to_string(), r#"{put,<<"k">>,7}"#);
//! assert_eq!(from_term::<Req>(t).unwrap(), Req::Put("k".into(), 7));
//! ```
//!
//! # serde mapping
//!
//! | Rust | term written by [`to_term`] | also accepted by [`from_term`] |
//! |---|---|---|
//! | `bool` | `true` / `false` | |
//! | integers (`i8`…`u128`) | integer (big when needed) | |
//! | `f32`, `f64` | float (must be finite) | an integer, for a float |
//! | `char` | integer (code point) | a one-character binary or charlist |
//! | `String`, `&str` | binary (UTF-8), as Elixir strings | a charlist; an atom |
//! | bytes (`serde_bytes`) | binary | a list of bytes |
//! | `Vec<T>`, sets, slices | proper list | a tuple; a binary, for `Vec<u8>` |
//! | `Option<T>` | `nil` or the value | `undefined` for `None` |
//! | `()` | `ok` | `nil` |
//! | `struct S;` (unit struct) | atom `s` (name converted, see below) | `ok`, `nil` |
//! | `struct S(T);` (newtype) | the `T` itself | |
//! | `struct S(A, B);`, `(A, B)` | tuple `{A, B}` | a list of the right length |
//! | `struct S { a, b }` | map `#{a => A, b => B}` with atom keys | binary keys; a keyword list |
//! | `#[serde(rename = "Elixir.M")] struct S { .. }` | `#{'__struct__' => 'Elixir.M', ..}` (an Elixir struct `%M{}`) | the `__struct__` key is checked if present |
//! | `HashMap`, `BTreeMap` | map (any key) | a keyword list `[{k, v}]` |
//! | `E::Unit` | atom `unit` | |
//! | `E::New(T)` | `{new, T}` | |
//! | `E::Tup(A, B)` | `{tup, A, B}` | |
//! | `E::Rec { a, b }` | `{rec, #{a => A, b => B}}` | |
//! | `Result<T, E>` | `{ok, T}` / `{error, E}` | |
//! | [`Term`], [`Pid`], [`Reference`], [`Port`], [`Atom`], [`BigInt`] | themselves, untouched | an atom from a string, for `Atom` |
//!
//! Names: struct fields are used as they are. Variant and unit-struct names in
//! `CamelCase` become `snake_case` atoms (`GetAll` → `get_all`); any other name
//! (`EXIT`, `$gen_call`, `Elixir.Foo`, `already_snake`) is used verbatim, so
//! `#[serde(rename = "...")]` gives full control. Deserializing accepts the converted
//! or the verbatim name. Maps of up to 32 keys are written in the order
//! `term_to_binary` would write them, so a struct encodes to the same bytes as the
//! same Elixir struct. Under other serializers (`serde_json`, ...), terms take their
//! natural form: atoms as strings (`true`/`false` as booleans, `nil` as null), pids
//! and references as their printed text.
//!
//! # Modules
//!
//! - [`codec`]: the External Term Format decoder, encoder, limits, errors, atom cache.
//! - [`order`]: Erlang's term order, `==` and `=:=`, the hash for `=:=`, and [`OrdTerm`].
//! - [`parse`]: reading Erlang term syntax (`Display` is its inverse).
//! - The rest is at the crate root: [`Term`] and its parts ([`Atom`], [`BigInt`],
//!   [`Fun`], [`Export`]), identities ([`Node`], [`Pid`], [`Reference`], [`Port`]),
//!   and the serde bridge ([`to_term`], [`from_term`], [`from_term_ref`]).
//!
//! # Testing against Erlang
//!
//! `tests/fixtures/` holds a few hundred terms made by a real OTP 25 and Elixir 1.14
//! (`scripts/term-fixtures.sh` regenerates them): their `term_to_binary` bytes in every
//! form, their `~w` text, and `erl`'s verdict on `<`, `==` and `=:=` for every pair.
//! The tests require byte-identical re-encoding, agreement of [`Term::cmp_erlang`]
//! with every pair and with `lists:sort/1`, and `Display`/parse agreement with `~w`.
//!
//! # Performance
//!
//! `bench/term` (its own workspace) times encode and decode against the `eetf` crate
//! and against the BEAM's own `term_to_binary/1`/`binary_to_term/1` in the same run.
//! Terms are 40 bytes; atoms of up to 23 bytes are stored inline (no allocation);
//! binaries decoded from `Bytes` are zero-copy slices.
//!
//! # Safety on the network
//!
//! Decoding untrusted bytes is bounded (depth, input size, decompressed size) and
//! never panics; this is fuzzed (see `FUZZING.md`). The crate has no `unsafe` code.

#![forbid(unsafe_code)]

mod atom;
pub mod codec;
mod display;
mod ident;
mod num;
pub mod order;
pub mod parse;
mod serde_term;
mod term;

pub use atom::Atom;
pub use codec::{
    AtomCache, AtomCacheRefs, DecodeError, DecodeErrorKind, DecodeLimits, Decoder, EncodeBuf,
    EncodeError, OutgoingAtomRefs, decode, decode_bytes, encode, encode_term_to,
    encode_term_with_atom_refs, encode_to,
};
pub use ident::{LocalNodeGuard, Node, NodeTableFull, Pid, Port, Reference};
pub use num::BigInt;
pub use order::OrdTerm;
pub use parse::ParseError;
pub use serde_term::{SerdeError, from_term, from_term_ref, to_term};
pub use term::{Export, Fun, Term};
