//! A hash that agrees with exact equality: [`Term::hash_exact`].
//!
//! Hashing a term for a hash table keyed by `=:=` has one rule: terms that
//! [`Term::exact_eq`] calls equal must hash equally. Hashing the enum's fields as they
//! are stored breaks it, because the same Erlang value can be stored in more than one
//! way, and [`Term::cmp_exact`] sees through every one of them. So the hash walks a
//! term the way the exact order compares it, and feeds the hasher only what that
//! comparison looks at:
//!
//! - **Maps** are hashed pair by pair in the exact order of their keys (the order the
//!   comparison sorts them into), so the order the pairs were decoded or built in
//!   does not matter, at any depth.
//! - **Numbers**: an integer hashes its value, whether it is held as [`Term::Int`] or
//!   as a [`Term::BigInt`] that would fit one. Integers and floats are never exactly
//!   equal, so they hash under different tags. `-0.0` hashes as `0.0`, since OTP 25
//!   has `0.0 =:= -0.0` (OTP 27 changed that; Tether follows OTP 25 here, as the term
//!   order does). A NaN, which only Rust can make, hashes its bits.
//! - **Lists** are hashed element by element through any tail that is itself a list,
//!   so `[1 | [2]]` stored as an improper list hashes as `[1,2]`.
//! - **Bitstrings** hash their significant bits only, as they compare.
//! - **Pids, ports and references** hash their ids but not their node. Node identity
//!   is compared by name and creation, and the local node's name and creation change
//!   when distribution starts: a hash of them would move under a key already in a
//!   table. Ids alone never move; pids of two nodes with the same ids merely share a
//!   bucket.
//!
//! Unequal terms may hash equally; the property tests check the rule above on random
//! terms and on rebuilt copies of them (maps reordered, numbers and lists re-stored).

use std::hash::{Hash, Hasher};

use super::{bits_of, is_list, list_parts, sorted_pairs};
use crate::Term;

/// Tags, one per kind of term that can be exactly equal only to its own kind.
mod tag {
    pub(super) const INT: u8 = 0;
    pub(super) const FLOAT: u8 = 1;
    pub(super) const ATOM: u8 = 2;
    pub(super) const REF: u8 = 3;
    pub(super) const FUN: u8 = 4;
    pub(super) const EXPORT: u8 = 5;
    pub(super) const PORT: u8 = 6;
    pub(super) const PID: u8 = 7;
    pub(super) const TUPLE: u8 = 8;
    pub(super) const MAP: u8 = 9;
    pub(super) const LIST: u8 = 10;
    pub(super) const BITS: u8 = 11;
    /// Ends a list whose last tail is `[]`.
    pub(super) const PROPER_END: u8 = 0xfe;
    /// Ends a list whose last tail is not a list; the tail follows.
    pub(super) const IMPROPER_END: u8 = 0xff;
}

impl Term {
    /// Feeds the term to `state` so that exactly equal terms ([`Term::exact_eq`],
    /// Erlang's `=:=`) hash equally: the hash to go with `==` on terms, for keying a
    /// hash table by terms.
    ///
    /// Maps hash the same whatever the order of their pairs; `1` and `1.0` are
    /// different terms; `0.0` and `-0.0` are the same one (as in OTP 25). See
    /// [`order`](crate::order) for the equalities.
    ///
    /// ```
    /// use std::hash::{BuildHasher, Hasher, RandomState};
    /// use tether_term::Term;
    ///
    /// let state = RandomState::new();
    /// let hash = |t: &Term| {
    ///     let mut h = state.build_hasher();
    ///     t.hash_exact(&mut h);
    ///     h.finish()
    /// };
    /// let a = Term::Map(vec![(Term::atom("a"), Term::from(1)), (Term::atom("b"), Term::from(2))]);
    /// let b = Term::Map(vec![(Term::atom("b"), Term::from(2)), (Term::atom("a"), Term::from(1))]);
    /// assert_eq!(a, b);
    /// assert_eq!(hash(&a), hash(&b));
    /// assert_eq!(hash(&Term::from(0.0)), hash(&Term::from(-0.0)));
    /// ```
    pub fn hash_exact<H: Hasher>(&self, state: &mut H) {
        match self {
            Term::Int(i) => hash_int(*i, state),
            Term::BigInt(b) => match b.to_i64() {
                Some(i) => hash_int(i, state),
                None => {
                    state.write_u8(tag::INT);
                    state.write_u8(b.negative as u8);
                    b.trimmed().hash(state);
                }
            },
            Term::Float(f) => {
                state.write_u8(tag::FLOAT);
                // `-0.0 == 0.0`, so both take the bits of `0.0`.
                let f = if *f == 0.0 { 0.0 } else { *f };
                state.write_u64(f.to_bits());
            }
            Term::Atom(a) => {
                state.write_u8(tag::ATOM);
                a.hash(state);
            }
            Term::Ref(r) => {
                state.write_u8(tag::REF);
                let mut words = r.words();
                // High zero words do not count in the comparison.
                while let [rest @ .., 0] = words {
                    words = rest;
                }
                words.hash(state);
            }
            Term::Fun(f) => {
                state.write_u8(tag::FUN);
                f.module.hash(state);
                state.write_u32(f.index);
                state.write(&f.uniq);
                state.write_u8(f.arity);
                f.old_index.hash_exact(state);
                f.old_uniq.hash_exact(state);
                hash_seq(&f.free_vars, state);
                f.pid.hash_exact(state);
            }
            Term::Export(e) => {
                state.write_u8(tag::EXPORT);
                e.hash(state);
            }
            Term::Port(p) => {
                state.write_u8(tag::PORT);
                state.write_u64(p.id);
            }
            Term::Pid(p) => {
                state.write_u8(tag::PID);
                state.write_u32(p.serial);
                state.write_u32(p.id);
            }
            Term::Tuple(items) => {
                state.write_u8(tag::TUPLE);
                hash_seq(items, state);
            }
            Term::Map(pairs) => {
                state.write_u8(tag::MAP);
                state.write_usize(pairs.len());
                for (k, v) in sorted_pairs(pairs) {
                    k.hash_exact(state);
                    v.hash_exact(state);
                }
            }
            Term::List(_) | Term::ImproperList(..) => hash_list(self, state),
            Term::Binary(_) | Term::BitBinary { .. } => hash_bits(self, state),
        }
    }
}

fn hash_int<H: Hasher>(i: i64, state: &mut H) {
    state.write_u8(tag::INT);
    state.write_i64(i);
}

fn hash_seq<H: Hasher>(items: &[Term], state: &mut H) {
    state.write_usize(items.len());
    items.iter().for_each(|t| t.hash_exact(state));
}

/// The elements through every list tail, then how the list ends.
fn hash_list<H: Hasher>(list: &Term, state: &mut H) {
    state.write_u8(tag::LIST);
    let (mut items, mut tail) = list_parts(list);
    loop {
        items.iter().for_each(|t| t.hash_exact(state));
        match tail {
            Some(t) if is_list(t) => (items, tail) = list_parts(t),
            Some(t) => {
                state.write_u8(tag::IMPROPER_END);
                return t.hash_exact(state);
            }
            None => return state.write_u8(tag::PROPER_END),
        }
    }
}

/// The number of significant bits, the whole bytes, and the bits of a last partial
/// byte (the rest of that byte is masked off, as the comparison ignores it).
fn hash_bits<H: Hasher>(t: &Term, state: &mut H) {
    state.write_u8(tag::BITS);
    let (bytes, bits) = bits_of(t);
    let bits = bits.min(bytes.len() * 8);
    state.write_usize(bits);
    state.write(&bytes[..bits / 8]);
    let rem = bits % 8;
    if rem > 0 {
        state.write_u8(bytes[bits / 8] & (0xffu8 << (8 - rem)));
    }
}

#[cfg(test)]
mod tests {
    use std::hash::{BuildHasher, RandomState};

    use bytes::Bytes;

    use crate::{BigInt, Term};

    fn hash(t: &Term) -> u64 {
        thread_local!(static STATE: RandomState = RandomState::new());
        STATE.with(|s| {
            let mut h = s.build_hasher();
            t.hash_exact(&mut h);
            std::hash::Hasher::finish(&h)
        })
    }

    fn check_equal(a: &Term, b: &Term) {
        assert!(a.exact_eq(b), "{a:?} =:= {b:?}");
        assert_eq!(hash(a), hash(b), "hash {a:?} == hash {b:?}");
    }

    #[test]
    fn one_value_stored_two_ways_hashes_once() {
        check_equal(
            &Term::Int(-7),
            &Term::BigInt(BigInt::new(true, vec![7, 0, 0])),
        );
        check_equal(&Term::Float(0.0), &Term::Float(-0.0));
        check_equal(
            &Term::ImproperList(vec![Term::Int(1)], Box::new(Term::list([Term::Int(2)]))),
            &Term::list([Term::Int(1), Term::Int(2)]),
        );
        check_equal(
            &Term::BitBinary {
                bytes: Bytes::from_static(&[0xa5, 0b1010_0000]),
                bits: 3,
            },
            &Term::BitBinary {
                bytes: Bytes::from_static(&[0xa5, 0b1011_1111]),
                bits: 3,
            },
        );
        let m = |pairs: &[(i64, i64)]| {
            Term::Map(
                pairs
                    .iter()
                    .map(|&(k, v)| (Term::Int(k), Term::Int(v)))
                    .collect(),
            )
        };
        check_equal(
            &m(&[(1, 10), (2, 20), (3, 30)]),
            &m(&[(3, 30), (1, 10), (2, 20)]),
        );
    }

    #[test]
    fn integers_and_floats_differ() {
        assert!(!Term::Int(1).exact_eq(&Term::Float(1.0)));
        assert!(!Term::Int(0).exact_eq(&Term::Float(0.0)));
    }

    #[test]
    fn nan_is_equal_only_to_itself() {
        let nan = Term::Float(f64::NAN);
        check_equal(&nan, &nan.clone());
        for other in [0.0, 1.0, -1.0, f64::INFINITY, f64::NEG_INFINITY] {
            assert!(!nan.exact_eq(&Term::Float(other)), "NaN =/= {other}");
        }
        let neg_nan = Term::Float(-f64::NAN);
        assert!(!nan.exact_eq(&neg_nan));
        assert!(neg_nan.cmp_exact(&Term::Float(f64::NEG_INFINITY)).is_lt());
        assert!(nan.cmp_exact(&Term::Float(f64::INFINITY)).is_gt());
    }
}
