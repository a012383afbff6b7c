//! The [`Term`] type: any Erlang value.
//!
//! `Term` is a plain enum, one variant per kind of Erlang value, so that code talking
//! to Erlang can build and match terms directly. A few choices shape it:
//!
//! - Integers that fit in 64 bits are [`Term::Int`]; larger ones are [`Term::BigInt`].
//!   The decoder keeps that invariant, and the constructors ([`Term::from`] for the
//!   integer types, [`Term::big`]) do too, so that one value has one representation.
//! - Binaries are [`bytes::Bytes`]: decoding from a `Bytes` buffer slices it without
//!   copying, and cloning a term never copies binary data.
//! - `[]` is `Term::List(vec![])`; a list with a non-list tail is
//!   [`Term::ImproperList`]. Strings are what Erlang makes them: a binary (Elixir
//!   strings) or a list of integers (charlists).
//! - A map is a `Vec` of pairs, in the order they were decoded or built. Any term can be
//!   a key. [`Term::map`] sorts small maps the way `term_to_binary` writes them, so a
//!   map built in Rust encodes to the same bytes as the same map in Erlang.
//! - Funs and exports are kept as values that re-encode byte for byte.
//!
//! `==` on terms (`PartialEq`) is Erlang's *exact* equality `=:=`: `1 != 1.0`, and two
//! maps with the same pairs are equal whatever their order. For Erlang's arithmetic
//! equality `==` use [`Term::eq_erlang`]; for term order see [`Term::cmp_erlang`].

use bytes::Bytes;

use crate::{Atom, BigInt, Pid, Port, Reference};

/// Any Erlang value.
///
/// ```
/// use tether_term::{Atom, Term};
/// let t = Term::Tuple(vec![Term::Atom(Atom::new("ok")), Term::Int(42)]);
/// assert!(matches!(t, Term::Tuple(ref v) if v.len() == 2));
/// assert_eq!(t, Term::tuple([Term::atom("ok"), Term::from(42)]));
/// assert_eq!(t.to_string(), "{ok,42}");
/// ```
#[derive(Clone, Debug)]
#[repr(u8)]
pub enum Term {
    /// An atom.
    Atom(Atom),
    /// An integer that fits in 64 bits.
    Int(i64),
    /// An integer of any size: sign and magnitude as little-endian bytes.
    BigInt(BigInt),
    /// A float.
    Float(f64),
    /// A binary (whole bytes).
    Binary(Bytes),
    /// A bitstring whose last byte holds `bits` (1..=7) significant bits.
    BitBinary {
        /// Significant bits in the last byte (1..=7).
        bits: u8,
        /// The bytes.
        bytes: Bytes,
    },
    /// A pid.
    Pid(Pid),
    /// A port.
    Port(Port),
    /// A reference.
    Ref(Reference),
    /// A tuple.
    Tuple(Vec<Term>),
    /// A proper list (`[]` is the empty one).
    List(Vec<Term>),
    /// An improper list: the elements and the non-list tail.
    ImproperList(Vec<Term>, Box<Term>),
    /// A map: its pairs, in the order they were decoded or built.
    Map(Vec<(Term, Term)>),
    /// A fun (`NEW_FUN_EXT`), kept so that it re-encodes byte for byte.
    Fun(Box<Fun>),
    /// An external fun `fun M:F/A`.
    Export(Box<Export>),
}

/// A local fun as sent over the wire (`NEW_FUN_EXT`).
///
/// Tether cannot run Erlang code; it keeps funs so that it can hold and send them back.
#[derive(Clone, Debug, PartialEq)]
pub struct Fun {
    /// Arity.
    pub arity: u8,
    /// MD5 of the module's code.
    pub uniq: [u8; 16],
    /// Index in the module's fun table.
    pub index: u32,
    /// Defining module.
    pub module: Atom,
    /// Old index (a term, usually a small integer).
    pub old_index: Term,
    /// Old uniq (a term, usually a small integer).
    pub old_uniq: Term,
    /// The process that created the fun.
    pub pid: Term,
    /// Captured free variables.
    pub free_vars: Vec<Term>,
}

/// An external fun `fun M:F/A` (`EXPORT_EXT`).
///
/// ```
/// use tether_term::{Export, Term};
/// let t = Term::export("lists", "map", 2);
/// assert_eq!(t.to_string(), "fun lists:map/2");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Export {
    /// Module.
    pub module: Atom,
    /// Function.
    pub function: Atom,
    /// Arity.
    pub arity: u8,
}

impl Term {
    /// An atom term.
    ///
    /// ```
    /// use tether_term::Term;
    /// let t = Term::atom("ok");
    /// assert!(t.is_atom("ok"));
    /// assert_eq!(t.to_string(), "ok");
    /// assert_eq!(Term::atom("Hello world").to_string(), "'Hello world'");
    /// ```
    pub fn atom(text: &str) -> Term {
        Term::Atom(Atom::new(text))
    }

    /// A tuple term.
    ///
    /// ```
    /// use tether_term::Term;
    /// let t = Term::tuple([Term::atom("ok"), Term::from(42)]);
    /// assert_eq!(t.to_string(), "{ok,42}");
    /// assert_eq!(t.as_tuple().unwrap().len(), 2);
    /// ```
    pub fn tuple(items: impl IntoIterator<Item = Term>) -> Term {
        Term::Tuple(items.into_iter().collect())
    }

    /// The empty list `[]`.
    ///
    /// ```
    /// use tether_term::Term;
    /// assert!(Term::nil().is_nil());
    /// assert_eq!(Term::nil(), Term::list([]));
    /// assert_eq!(Term::nil().to_string(), "[]");
    /// ```
    pub fn nil() -> Term {
        Term::List(Vec::new())
    }

    /// A proper list.
    ///
    /// ```
    /// use tether_term::Term;
    /// assert_eq!(Term::list([Term::from(1), Term::from(2)]).to_string(), "[1,2]");
    /// ```
    pub fn list(items: impl IntoIterator<Item = Term>) -> Term {
        Term::List(items.into_iter().collect())
    }

    /// A list with a tail: `[items... | tail]`.
    ///
    /// The result is normalized: a list tail is spliced in (`[1 | [2]]` is `[1,2]`),
    /// and no elements gives back the tail itself.
    ///
    /// ```
    /// use tether_term::Term;
    /// let t = Term::improper_list([Term::from(1), Term::from(2)], Term::from(3));
    /// assert_eq!(t.to_string(), "[1,2|3]");
    /// assert_eq!(Term::improper_list([Term::from(1)], Term::nil()), Term::list([Term::from(1)]));
    /// ```
    pub fn improper_list(items: impl IntoIterator<Item = Term>, tail: Term) -> Term {
        let mut items: Vec<Term> = items.into_iter().collect();
        match tail {
            Term::List(more) => {
                items.extend(more);
                Term::List(items)
            }
            Term::ImproperList(more, t) => {
                items.extend(more);
                if items.is_empty() {
                    *t
                } else {
                    Term::ImproperList(items, t)
                }
            }
            tail if items.is_empty() => tail,
            tail => Term::ImproperList(items, Box::new(tail)),
        }
    }

    /// A map from pairs.
    ///
    /// Later pairs replace earlier ones with an exactly equal key. The pairs are sorted
    /// in the order erts keeps small maps in (term order, with all integers before all
    /// floats), which is the order `term_to_binary` writes maps of up to 32 keys, so
    /// such a map built in Rust encodes to the same bytes as in Erlang. (erts writes
    /// larger maps in hash order; any order decodes to the same map.)
    ///
    /// ```
    /// use tether_term::Term;
    /// let m = Term::map([(Term::atom("b"), Term::from(2)), (Term::atom("a"), Term::from(1))]);
    /// assert_eq!(m.to_string(), "#{a => 1,b => 2}");
    /// ```
    pub fn map(pairs: impl IntoIterator<Item = (Term, Term)>) -> Term {
        let mut sorted: Vec<(Term, Term)> = pairs.into_iter().collect();
        // Stable, so that among equal keys the last given stays last.
        sorted.sort_by(|a, b| a.0.cmp_exact(&b.0));
        let mut out: Vec<(Term, Term)> = Vec::with_capacity(sorted.len());
        for pair in sorted {
            match out.last_mut() {
                Some(last) if last.0.exact_eq(&pair.0) => *last = pair,
                _ => out.push(pair),
            }
        }
        Term::Map(out)
    }

    /// A binary term holding these bytes.
    ///
    /// ```
    /// use tether_term::Term;
    /// let t = Term::binary(vec![1u8, 2, 3]);
    /// assert_eq!(t.to_string(), "<<1,2,3>>");
    /// assert_eq!(t.as_binary().unwrap().as_ref(), &[1, 2, 3]);
    /// ```
    pub fn binary(bytes: impl Into<Bytes>) -> Term {
        Term::Binary(bytes.into())
    }

    /// A charlist: the string as a list of code points (Erlang's `"abc"`, Elixir's
    /// `~c"abc"`). For an Elixir string use `Term::from(&str)`, which makes a binary.
    ///
    /// ```
    /// use tether_term::Term;
    /// assert_eq!(Term::charlist("hi").to_string(), "[104,105]");
    /// ```
    pub fn charlist(text: &str) -> Term {
        Term::List(text.chars().map(|c| Term::Int(c as i64)).collect())
    }

    /// An integer of any size, normalized to [`Term::Int`] when it fits.
    ///
    /// ```
    /// use tether_term::{BigInt, Term};
    /// assert_eq!(Term::big(BigInt::from_i128(7)), Term::Int(7)); // normalized
    /// let huge = Term::big(BigInt::from_i128(1 << 100));
    /// assert_eq!(huge.to_string(), "1267650600228229401496703205376");
    /// ```
    pub fn big(value: BigInt) -> Term {
        match value.to_i64() {
            Some(i) => Term::Int(i),
            None => Term::BigInt(BigInt::new(value.negative, value.magnitude)),
        }
    }

    /// An external fun `fun module:function/arity`.
    ///
    /// ```
    /// use tether_term::Term;
    /// let f = Term::export("lists", "reverse", 1);
    /// assert_eq!(f.to_string(), "fun lists:reverse/1");
    /// ```
    pub fn export(module: &str, function: &str, arity: u8) -> Term {
        Term::Export(Box::new(Export {
            module: Atom::new(module),
            function: Atom::new(function),
            arity,
        }))
    }

    /// The atom's text, if this is an atom.
    ///
    /// ```
    /// use tether_term::Term;
    /// assert_eq!(Term::atom("ok").as_atom(), Some("ok"));
    /// assert_eq!(Term::from("ok").as_atom(), None); // a binary, not an atom
    /// ```
    pub fn as_atom(&self) -> Option<&str> {
        match self {
            Term::Atom(a) => Some(a.as_str()),
            _ => None,
        }
    }

    /// Whether this is the atom `name`.
    ///
    /// ```
    /// use tether_term::Term;
    /// let reply: Term = "ok".parse().unwrap();
    /// assert!(reply.is_atom("ok"));
    /// assert!(!reply.is_atom("error"));
    /// ```
    pub fn is_atom(&self, name: &str) -> bool {
        matches!(self, Term::Atom(a) if a == name)
    }

    /// Whether this is `[]`.
    ///
    /// ```
    /// use tether_term::Term;
    /// assert!("[]".parse::<Term>().unwrap().is_nil());
    /// assert!(!Term::list([Term::from(1)]).is_nil());
    /// ```
    pub fn is_nil(&self) -> bool {
        matches!(self, Term::List(v) if v.is_empty())
    }

    /// The integer, if this is an integer that fits in an `i64`.
    ///
    /// ```
    /// use tether_term::Term;
    /// assert_eq!(Term::from(-5).as_i64(), Some(-5));
    /// assert_eq!(Term::from(1.5).as_i64(), None);
    /// assert_eq!(Term::from(u64::MAX).as_i64(), None); // a bignum
    /// ```
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Term::Int(i) => Some(*i),
            Term::BigInt(b) => b.to_i64(),
            _ => None,
        }
    }

    /// The float, if this is a float.
    ///
    /// ```
    /// use tether_term::Term;
    /// assert_eq!(Term::from(2.5).as_f64(), Some(2.5));
    /// assert_eq!(Term::from(2).as_f64(), None);
    /// ```
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Term::Float(f) => Some(*f),
            _ => None,
        }
    }

    /// The bytes, if this is a binary.
    ///
    /// ```
    /// use tether_term::Term;
    /// let t: Term = "<<1, 2>>".parse().unwrap();
    /// assert_eq!(t.as_binary().map(|b| b.to_vec()), Some(vec![1, 2]));
    /// assert!(Term::atom("a").as_binary().is_none());
    /// ```
    pub fn as_binary(&self) -> Option<&Bytes> {
        match self {
            Term::Binary(b) => Some(b),
            _ => None,
        }
    }

    /// The text, if this is a binary holding valid UTF-8 (an Elixir string).
    ///
    /// ```
    /// use tether_term::Term;
    /// assert_eq!(Term::from("héllo").as_str(), Some("héllo"));
    /// ```
    pub fn as_str(&self) -> Option<&str> {
        self.as_binary().and_then(|b| std::str::from_utf8(b).ok())
    }

    /// The elements, if this is a tuple.
    ///
    /// ```
    /// use tether_term::Term;
    /// let t: Term = "{ok, 1}".parse().unwrap();
    /// let [tag, value] = t.as_tuple().unwrap() else { panic!() };
    /// assert!(tag.is_atom("ok"));
    /// assert_eq!(value.as_i64(), Some(1));
    /// ```
    pub fn as_tuple(&self) -> Option<&[Term]> {
        match self {
            Term::Tuple(v) => Some(v),
            _ => None,
        }
    }

    /// The elements, if this is a proper list.
    ///
    /// ```
    /// use tether_term::Term;
    /// let t: Term = "[1, 2, 3]".parse().unwrap();
    /// let sum: i64 = t.as_list().unwrap().iter().filter_map(Term::as_i64).sum();
    /// assert_eq!(sum, 6);
    /// assert!("[1 | 2]".parse::<Term>().unwrap().as_list().is_none()); // improper
    /// ```
    pub fn as_list(&self) -> Option<&[Term]> {
        match self {
            Term::List(v) => Some(v),
            _ => None,
        }
    }

    /// The pairs, if this is a map.
    ///
    /// ```
    /// use tether_term::Term;
    /// let m: Term = "#{a => 1, b => 2}".parse().unwrap();
    /// let pairs = m.as_map().unwrap();
    /// assert_eq!(pairs.len(), 2);
    /// assert_eq!(pairs[0], (Term::atom("a"), Term::from(1)));
    /// ```
    pub fn as_map(&self) -> Option<&[(Term, Term)]> {
        match self {
            Term::Map(v) => Some(v),
            _ => None,
        }
    }

    /// The value under `key` (compared with `=:=`), if this is a map holding it.
    ///
    /// ```
    /// use tether_term::Term;
    /// let m: Term = "#{name => <<\"bob\">>}".parse().unwrap();
    /// assert_eq!(m.map_get(&Term::atom("name")).and_then(Term::as_str), Some("bob"));
    /// ```
    pub fn map_get(&self, key: &Term) -> Option<&Term> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.exact_eq(key))
            .map(|(_, v)| v)
    }

    /// The pid, if this is a pid.
    ///
    /// ```
    /// use tether_term::{Node, Pid, Term};
    /// let pid = Pid::new(Node::intern("a@host").unwrap(), 7, 0, 1);
    /// assert_eq!(Term::Pid(pid).as_pid(), Some(pid));
    /// assert_eq!(Term::atom("a").as_pid(), None);
    /// ```
    pub fn as_pid(&self) -> Option<Pid> {
        match self {
            Term::Pid(p) => Some(*p),
            _ => None,
        }
    }

    /// The reference, if this is a reference.
    ///
    /// ```
    /// use tether_term::{Node, Reference, Term};
    /// let r = Reference::new(Node::intern("a@host").unwrap(), 1, &[1, 2, 3]);
    /// assert_eq!(Term::Ref(r.clone()).as_ref(), Some(&r));
    /// assert_eq!(Term::from(1).as_ref(), None);
    /// ```
    pub fn as_ref(&self) -> Option<&Reference> {
        match self {
            Term::Ref(r) => Some(r),
            _ => None,
        }
    }

    /// The string, if this is a charlist (a proper list of Unicode code points).
    ///
    /// ```
    /// use tether_term::Term;
    /// assert_eq!(Term::charlist("abc").as_charlist().as_deref(), Some("abc"));
    /// assert_eq!(Term::nil().as_charlist().as_deref(), Some(""));
    /// ```
    pub fn as_charlist(&self) -> Option<String> {
        self.as_list()?
            .iter()
            .map(|t| match t {
                Term::Int(i) => u32::try_from(*i).ok().and_then(char::from_u32),
                _ => None,
            })
            .collect()
    }
}

impl PartialEq for Term {
    /// Erlang's exact equality `=:=`.
    fn eq(&self, other: &Term) -> bool {
        self.exact_eq(other)
    }
}

impl From<Atom> for Term {
    fn from(a: Atom) -> Term {
        Term::Atom(a)
    }
}

macro_rules! from_small_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Term {
            fn from(i: $t) -> Term {
                Term::Int(i as i64)
            }
        }
    )*};
}
from_small_int!(i8, i16, i32, i64, u8, u16, u32);

impl From<u64> for Term {
    fn from(i: u64) -> Term {
        match i64::try_from(i) {
            Ok(v) => Term::Int(v),
            Err(_) => Term::BigInt(BigInt::new(false, i.to_le_bytes().to_vec())),
        }
    }
}

impl From<i128> for Term {
    fn from(i: i128) -> Term {
        match i64::try_from(i) {
            Ok(v) => Term::Int(v),
            Err(_) => Term::BigInt(BigInt::from_i128(i)),
        }
    }
}

impl From<u128> for Term {
    fn from(i: u128) -> Term {
        match i64::try_from(i) {
            Ok(v) => Term::Int(v),
            Err(_) => Term::BigInt(BigInt::new(false, i.to_le_bytes().to_vec())),
        }
    }
}

impl From<BigInt> for Term {
    fn from(b: BigInt) -> Term {
        Term::big(b)
    }
}

impl From<f64> for Term {
    fn from(f: f64) -> Term {
        Term::Float(f)
    }
}

impl From<bool> for Term {
    /// `true` or `false`, which are atoms in Erlang.
    fn from(b: bool) -> Term {
        Term::atom(if b { "true" } else { "false" })
    }
}

impl From<Pid> for Term {
    fn from(p: Pid) -> Term {
        Term::Pid(p)
    }
}

impl From<Reference> for Term {
    fn from(r: Reference) -> Term {
        Term::Ref(r)
    }
}

impl From<Port> for Term {
    fn from(p: Port) -> Term {
        Term::Port(p)
    }
}

impl From<&str> for Term {
    /// A string becomes a binary, as Elixir strings are.
    fn from(s: &str) -> Term {
        Term::Binary(Bytes::copy_from_slice(s.as_bytes()))
    }
}

impl From<String> for Term {
    /// A string becomes a binary, as Elixir strings are.
    fn from(s: String) -> Term {
        Term::Binary(Bytes::from(s.into_bytes()))
    }
}

impl From<Bytes> for Term {
    fn from(b: Bytes) -> Term {
        Term::Binary(b)
    }
}

impl From<Vec<Term>> for Term {
    /// A proper list.
    fn from(v: Vec<Term>) -> Term {
        Term::List(v)
    }
}

impl FromIterator<Term> for Term {
    /// A proper list.
    fn from_iter<I: IntoIterator<Item = Term>>(iter: I) -> Term {
        Term::List(iter.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        // Terms are moved a lot; keep them small (see the note on atom layout).
        assert_eq!(std::mem::size_of::<Term>(), 40);
        assert_eq!(std::mem::size_of::<Atom>(), 32);
    }
}
