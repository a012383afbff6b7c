//! How [`Term`] and the identity types cross serde untouched.
//!
//! serde has no way to hand a concrete type to a serializer, so `Term::serialize`
//! calls `serialize_newtype_struct` with a private name. Tether's own serializer
//! recognises the name, raises a thread-local flag and serializes the payload; the
//! payload sees the flag, parks a clone of the term in a thread-local slot and writes
//! a unit, and the serializer takes the term from the slot. Any other serializer never
//! raises the flag, so the payload writes the term's natural form instead.
//!
//! Deserializing is the mirror image: `Term::deserialize` asks for a newtype struct of
//! the private name; Tether's deserializer parks its term in the slot and calls
//! `visit_unit`, which takes it. With another deserializer the visitor builds a term
//! from whatever the data holds.

use std::cell::{Cell, RefCell};
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

use crate::{Atom, BigInt, Pid, Port, Reference, Term};

/// The private newtype name that marks a term crossing serde.
pub(crate) const TERM_NAME: &str = "$tether_term::Term";

thread_local! {
    static CAPTURE: Cell<bool> = const { Cell::new(false) };
    static SLOT: RefCell<Option<Term>> = const { RefCell::new(None) };
}

/// Serializes `value` (a [`Payload`]) so that it parks its term; returns the term.
pub(crate) fn capture<T: Serialize + ?Sized, S: Serializer>(value: &T, s: S) -> Option<Term> {
    CAPTURE.with(|c| c.set(true));
    let _ = value.serialize(s);
    CAPTURE.with(|c| c.set(false));
    SLOT.with(|slot| slot.borrow_mut().take())
}

/// Parks a term for the visitor that [`Term::deserialize`] is about to be given.
pub(crate) fn park(term: Term) {
    SLOT.with(|slot| *slot.borrow_mut() = Some(term));
}

struct Payload<'a>(&'a Term);

impl Serialize for Payload<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if CAPTURE.with(|c| c.replace(false)) {
            SLOT.with(|slot| *slot.borrow_mut() = Some(self.0.clone()));
            return s.serialize_unit();
        }
        natural(self.0, s)
    }
}

/// The natural form of a term for serializers other than Tether's.
fn natural<S: Serializer>(t: &Term, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Term::Atom(a) => match a.as_str() {
            "true" => s.serialize_bool(true),
            "false" => s.serialize_bool(false),
            "nil" => s.serialize_unit(),
            other => s.serialize_str(other),
        },
        Term::Int(i) => s.serialize_i64(*i),
        Term::BigInt(b) => match b.to_i128() {
            Some(i) => s.serialize_i128(i),
            None => s.serialize_str(&b.to_string()),
        },
        Term::Float(f) => s.serialize_f64(*f),
        Term::Binary(b) => match std::str::from_utf8(b) {
            Ok(text) => s.serialize_str(text),
            Err(_) => s.serialize_bytes(b),
        },
        Term::BitBinary { bytes, .. } => s.serialize_bytes(bytes),
        Term::Pid(_) | Term::Port(_) | Term::Ref(_) | Term::Fun(_) | Term::Export(_) => {
            s.collect_str(&t)
        }
        Term::Tuple(items) | Term::List(items) => {
            let mut seq = s.serialize_seq(Some(items.len()))?;
            for i in items {
                seq.serialize_element(&Payload(i))?;
            }
            seq.end()
        }
        Term::ImproperList(items, tail) => {
            let mut seq = s.serialize_seq(Some(items.len() + 1))?;
            for i in items {
                seq.serialize_element(&Payload(i))?;
            }
            seq.serialize_element(&Payload(tail))?;
            seq.end()
        }
        Term::Map(pairs) => {
            let mut map = s.serialize_map(Some(pairs.len()))?;
            for (k, v) in pairs {
                map.serialize_entry(&Payload(k), &Payload(v))?;
            }
            map.end()
        }
    }
}

impl Serialize for Term {
    /// Passes through [`to_term`](crate::to_term) untouched; other serializers get
    /// the natural form (see the [crate docs](crate#serde-mapping)).
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_newtype_struct(TERM_NAME, &Payload(self))
    }
}

struct TermVisitor;

impl<'de> Visitor<'de> for TermVisitor {
    type Value = Term;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Term, D::Error> {
        d.deserialize_any(TermVisitor)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Term, E> {
        Ok(SLOT
            .with(|slot| slot.borrow_mut().take())
            .unwrap_or_else(|| Term::atom("nil")))
    }
    fn visit_none<E: de::Error>(self) -> Result<Term, E> {
        Ok(Term::atom("nil"))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Term, D::Error> {
        Term::deserialize(d)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Term, E> {
        Ok(Term::from(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Term, E> {
        Ok(Term::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Term, E> {
        Ok(Term::from(v))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Term, E> {
        Ok(Term::from(v))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Term, E> {
        Ok(Term::from(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Term, E> {
        Ok(Term::Float(v))
    }
    fn visit_char<E: de::Error>(self, v: char) -> Result<Term, E> {
        Ok(Term::Int(v as i64))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Term, E> {
        Ok(Term::from(v))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Term, E> {
        Ok(Term::from(v))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Term, E> {
        Ok(Term::binary(bytes::Bytes::copy_from_slice(v)))
    }
    fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Term, E> {
        Ok(Term::binary(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Term, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(t) = seq.next_element::<Term>()? {
            items.push(t);
        }
        Ok(Term::List(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Term, A::Error> {
        let mut pairs = Vec::new();
        while let Some((k, v)) = map.next_entry::<Term, Term>()? {
            pairs.push((k, v));
        }
        Ok(Term::map(pairs))
    }
}

impl<'de> Deserialize<'de> for Term {
    /// Passes through [`from_term`](crate::from_term) untouched; from other
    /// deserializers, builds a term from the data (strings become binaries,
    /// sequences lists, maps maps).
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Term, D::Error> {
        d.deserialize_newtype_struct(TERM_NAME, TermVisitor)
    }
}

macro_rules! via_term {
    ($ty:ty, $variant:ident, $what:literal) => {
        impl Serialize for $ty {
            /// Passes through [`to_term`](crate::to_term) as itself; other serializers
            /// get its printed form.
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                Term::$variant(self.clone()).serialize(s)
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<$ty, D::Error> {
                match Term::deserialize(d)? {
                    Term::$variant(v) => Ok(v),
                    other => Err(de::Error::custom(format_args!(
                        "expected {}, found {other}",
                        $what
                    ))),
                }
            }
        }
    };
}

via_term!(Pid, Pid, "a pid");
via_term!(Reference, Ref, "a reference");
via_term!(Port, Port, "a port");

impl Serialize for BigInt {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Term::big(self.clone()).serialize(s)
    }
}

impl<'de> Deserialize<'de> for BigInt {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<BigInt, D::Error> {
        match Term::deserialize(d)? {
            Term::Int(i) => Ok(BigInt::from_i128(i as i128)),
            Term::BigInt(b) => Ok(b),
            other => Err(de::Error::custom(format_args!(
                "expected an integer, found {other}"
            ))),
        }
    }
}

impl Serialize for Atom {
    /// An atom term through [`to_term`](crate::to_term); a string elsewhere (but
    /// `true`/`false` as booleans and `nil` as unit, as Elixir's Jason does).
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Term::Atom(self.clone()).serialize(s)
    }
}

struct AtomVisitor;

impl Visitor<'_> for AtomVisitor {
    type Value = Atom;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an atom or a string")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Atom, E> {
        Ok(Atom::new(v))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Atom, E> {
        Ok(Atom::new(if v { "true" } else { "false" }))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Atom, E> {
        Ok(Atom::new("nil"))
    }
}

impl<'de> Deserialize<'de> for Atom {
    /// From an atom (or, leniently, a string).
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Atom, D::Error> {
        d.deserialize_any(AtomVisitor)
    }
}
