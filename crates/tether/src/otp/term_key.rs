//! [`TermKey`]: a [`Term`] usable as a hash-map key, compared with Erlang's `=:=`.
//!
//! Registries and process groups key their tables by arbitrary terms, and OTP
//! compares such keys with exact equality (`=:=`, Elixir's `===`; docs/semantics.md §3.3
//! RG6): `1` and `1.0` are *different* keys, while two maps with the same pairs are
//! the *same* key whatever order their pairs were decoded or built in.
//!
//! `Term` is not `Eq`/`Hash` (it holds floats), so `TermKey` wraps it and adds
//! nothing of its own: equality is [`Term::exact_eq`], from tether-term's exact term
//! order, and the hash is [`Term::hash_exact`], written next to that order to agree
//! with it (equal keys hash equally). There is no second comparison to drift out of
//! step with the first.
//!
//! Floats follow OTP 25, which the project targets: `0.0 =:= -0.0` is true there (OTP
//! 27 made it false), so `0.0` and `-0.0` are one key. A NaN, which only Rust can make,
//! is a key equal only to itself.

use std::hash::{Hash, Hasher};

use tether_term::Term;

/// A term compared with exact equality (`=:=`) and hashed to agree with it.
///
/// ```
/// use std::collections::HashMap;
/// use tether::{otp::TermKey, Term};
///
/// assert_ne!(TermKey(Term::Int(1)), TermKey(Term::Float(1.0)));
/// assert_eq!(TermKey(Term::atom("a")), TermKey::from("a"));
/// assert_eq!(TermKey(Term::Float(0.0)), TermKey(Term::Float(-0.0))); // as in OTP 25
///
/// // Maps are equal as sets of pairs, at any depth, whatever order the pairs came in.
/// let ab: Term = "#{a => 1, b => #{x => [], y => {}}}".parse().unwrap();
/// let ba = Term::Map(vec![
///     (Term::atom("b"), Term::Map(vec![
///         (Term::atom("y"), Term::tuple([])),
///         (Term::atom("x"), Term::nil()),
///     ])),
///     (Term::atom("a"), Term::from(1)),
/// ]);
/// let mut table = HashMap::new();
/// table.insert(TermKey(ab), "found");
/// assert_eq!(table.get(&TermKey(ba)), Some(&"found"));
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

impl PartialEq for TermKey {
    /// `=:=`: [`Term::exact_eq`].
    fn eq(&self, other: &TermKey) -> bool {
        self.0.exact_eq(&other.0)
    }
}

impl Eq for TermKey {}

impl Hash for TermKey {
    /// [`Term::hash_exact`], which agrees with `=:=`.
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.hash_exact(state)
    }
}

#[cfg(test)]
mod tests {
    use std::hash::{BuildHasher, RandomState};

    use tether_term::BigInt;

    use super::*;

    fn hash(k: &TermKey) -> u64 {
        // One fixed state, so that equal keys must give equal hashes.
        thread_local!(static STATE: RandomState = RandomState::new());
        STATE.with(|s| s.hash_one(k))
    }

    fn p(s: &str) -> Term {
        s.parse().unwrap()
    }

    fn map(pairs: &[(Term, Term)]) -> Term {
        Term::Map(pairs.to_vec())
    }

    /// Pairs of keys that are `=:=` in OTP 25 but built differently.
    fn equal_pairs() -> Vec<(Term, Term)> {
        let (a, b) = (Term::atom("a"), Term::atom("b"));
        let ab = map(&[(a.clone(), p("1")), (b.clone(), p("[2.5]"))]);
        let ba = map(&[(b.clone(), p("[2.5]")), (a.clone(), p("1"))]);
        let nest = |m: Term| {
            map(&[
                (p("{x}"), m.clone()),
                (m.clone(), p("[]")),
                (p("0"), p("-1")),
            ])
        };
        let nest_rev = |m: Term| {
            map(&[
                (p("0"), p("-1")),
                (m.clone(), p("[]")),
                (p("{x}"), m.clone()),
            ])
        };
        vec![
            (ab.clone(), ba.clone()),
            (
                Term::tuple([ab.clone(), a.clone()]),
                Term::tuple([ba.clone(), a.clone()]),
            ),
            (Term::list([ab.clone()]), Term::list([ba.clone()])),
            (
                Term::improper_list([ab.clone()], ab.clone()),
                Term::improper_list([ba.clone()], ba.clone()),
            ),
            (nest(ab.clone()), nest_rev(ba.clone())),
            (nest(nest(ab.clone())), nest_rev(nest_rev(ba.clone()))),
            // OTP 25: `0.0 =:= -0.0` is true (OTP 27 made it false).
            (Term::Float(0.0), Term::Float(-0.0)),
            (
                map(&[(p("0.0"), a.clone())]),
                map(&[(p("-0.0"), a.clone())]),
            ),
            // One value, two representations of an integer.
            (Term::Int(5), Term::BigInt(BigInt::new(false, vec![5]))),
            // A list whose tail is a list is that longer list.
            (
                Term::ImproperList(vec![p("1")], Box::new(p("[2]"))),
                p("[1,2]"),
            ),
            (Term::Float(f64::NAN), Term::Float(f64::NAN)),
        ]
    }

    /// Pairs of keys that are `=/=`.
    fn unequal_pairs() -> Vec<(Term, Term)> {
        vec![
            (p("1"), p("1.0")),
            (p("[1]"), p("[1.0]")),
            (p("{1}"), p("{1.0}")),
            (p("#{1 => a}"), p("#{1.0 => a}")),
            (p("#{a => 1}"), p("#{a => 1.0}")),
            (p("#{a => 1, b => 2}"), p("#{a => 2, b => 1}")),
            (p("[]"), p("{}")),
            (Term::Float(f64::NAN), p("1.0")),
        ]
    }

    #[test]
    fn equal_keys_are_equal_and_hash_equally() {
        for (x, y) in equal_pairs() {
            let (kx, ky) = (TermKey(x.clone()), TermKey(y.clone()));
            assert_eq!(kx, ky, "{x} =:= {y}");
            assert_eq!(ky, kx, "{y} =:= {x}");
            assert_eq!(hash(&kx), hash(&ky), "hash({x}) == hash({y})");
        }
    }

    #[test]
    fn unequal_keys_differ() {
        for (x, y) in unequal_pairs() {
            assert_ne!(TermKey(x.clone()), TermKey(y.clone()), "{x} =/= {y}");
        }
    }

    #[test]
    fn a_hash_map_finds_a_key_under_any_pair_order() {
        let mut m = std::collections::HashMap::new();
        for (i, (x, _)) in equal_pairs().into_iter().enumerate() {
            m.insert(TermKey(x), i);
        }
        for (i, (_, y)) in equal_pairs().into_iter().enumerate() {
            assert_eq!(m.get(&TermKey(y.clone())), Some(&i), "{y}");
        }
    }
}
