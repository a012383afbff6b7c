//! [`TermKey`]: a [`Term`] usable as a hash-map key, compared with Erlang's `=:=`.
//!
//! `Term` is not `Eq`/`Hash` (it holds floats). Registries and process groups key
//! their tables by arbitrary terms, and OTP compares such keys with exact equality
//! (`=:=`, Elixir's `===`): `1` and `1.0` are *different* keys (SEMANTICS §3.3 RG6).
//! `TermKey` gives exactly that: floats compare and hash by their bits, every other
//! variant structurally.

use std::hash::{Hash, Hasher};

use tether_term::Term;

/// A term compared with exact equality (`=:=`), hashable.
///
/// ```
/// use tether::{otp::TermKey, Term};
/// assert_ne!(TermKey(Term::Int(1)), TermKey(Term::Float(1.0)));
/// assert_eq!(TermKey(Term::atom("a")), TermKey::from(Term::atom("a")));
/// ```
#[derive(Clone, Debug)]
pub struct TermKey(pub Term);

impl From<Term> for TermKey {
    fn from(t: Term) -> TermKey {
        TermKey(t)
    }
}

impl From<&str> for TermKey {
    /// An atom key.
    fn from(a: &str) -> TermKey {
        TermKey(Term::atom(a))
    }
}

fn exact_eq(a: &Term, b: &Term) -> bool {
    use Term::*;
    match (a, b) {
        (Float(x), Float(y)) => x.to_bits() == y.to_bits(),
        (Tuple(x), Tuple(y)) | (List(x), List(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| exact_eq(a, b))
        }
        (ImproperList(x, xt), ImproperList(y, yt)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| exact_eq(a, b)) && exact_eq(xt, yt)
        }
        (Map(x), Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((k1, v1), (k2, v2))| exact_eq(k1, k2) && exact_eq(v1, v2))
        }
        _ => a == b,
    }
}

fn hash_term<H: Hasher>(t: &Term, h: &mut H) {
    std::mem::discriminant(t).hash(h);
    match t {
        Term::Atom(a) => a.hash(h),
        Term::Int(i) => i.hash(h),
        Term::BigInt(b) => b.hash(h),
        Term::Float(f) => f.to_bits().hash(h),
        Term::Binary(b) => b.hash(h),
        Term::BitBinary { bytes, bits } => {
            bytes.hash(h);
            bits.hash(h);
        }
        Term::Pid(p) => p.hash(h),
        Term::Port(p) => p.hash(h),
        Term::Ref(r) => r.hash(h),
        Term::Tuple(items) | Term::List(items) => {
            items.len().hash(h);
            items.iter().for_each(|i| hash_term(i, h));
        }
        Term::ImproperList(items, tail) => {
            items.iter().for_each(|i| hash_term(i, h));
            hash_term(tail, h);
        }
        Term::Map(kvs) => {
            for (k, v) in kvs {
                hash_term(k, h);
                hash_term(v, h);
            }
        }
        Term::Fun(f) => {
            f.module.hash(h);
            f.index.hash(h);
            f.uniq.hash(h);
        }
        Term::Export(e) => {
            e.module.hash(h);
            e.function.hash(h);
            e.arity.hash(h);
        }
    }
}

impl PartialEq for TermKey {
    fn eq(&self, other: &TermKey) -> bool {
        exact_eq(&self.0, &other.0)
    }
}

impl Eq for TermKey {}

impl Hash for TermKey {
    fn hash<H: Hasher>(&self, h: &mut H) {
        hash_term(&self.0, h)
    }
}
