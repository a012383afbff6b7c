//! The [`Term`] type: any Erlang value.

use bytes::Bytes;

use crate::{Atom, Pid, Port, Reference};

/// Any Erlang value.
///
/// ```
/// use tether_term::{Atom, Term};
/// let t = Term::Tuple(vec![Term::Atom(Atom::new("ok")), Term::Int(42)]);
/// assert!(matches!(t, Term::Tuple(ref v) if v.len() == 2));
/// ```
#[derive(Clone, Debug, PartialEq)]
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
        /// The bytes.
        bytes: Bytes,
        /// Significant bits in the last byte (1..=7).
        bits: u8,
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
    /// A map, in the order its keys sort.
    Map(Vec<(Term, Term)>),
    /// A fun (`NEW_FUN_EXT`), kept so that it re-encodes byte for byte.
    Fun(Box<Fun>),
    /// An external fun `fun M:F/A`.
    Export(Box<Export>),
}

/// An integer of any size.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BigInt {
    /// True when negative.
    pub negative: bool,
    /// Magnitude, little-endian, without trailing zero bytes.
    pub magnitude: Vec<u8>,
}

/// A local fun as sent over the wire (`NEW_FUN_EXT`).
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
#[derive(Clone, Debug, PartialEq)]
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
    pub fn atom(text: &str) -> Term {
        Term::Atom(Atom::new(text))
    }

    /// A tuple term.
    pub fn tuple(items: impl IntoIterator<Item = Term>) -> Term {
        Term::Tuple(items.into_iter().collect())
    }

    /// The empty list `[]`.
    pub fn nil() -> Term {
        Term::List(Vec::new())
    }

    /// The atom's text, if this is an atom.
    pub fn as_atom(&self) -> Option<&str> {
        match self {
            Term::Atom(a) => Some(a.as_str()),
            _ => None,
        }
    }

    /// Whether this is the atom `name`.
    pub fn is_atom(&self, name: &str) -> bool {
        self.as_atom() == Some(name)
    }
}

impl From<Atom> for Term {
    fn from(a: Atom) -> Term {
        Term::Atom(a)
    }
}

impl From<i64> for Term {
    fn from(i: i64) -> Term {
        Term::Int(i)
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

impl From<&str> for Term {
    /// A string becomes a binary, as Elixir strings are.
    fn from(s: &str) -> Term {
        Term::Binary(Bytes::copy_from_slice(s.as_bytes()))
    }
}
