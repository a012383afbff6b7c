//! Erlang's term order and its two equalities.
//!
//! Erlang orders all terms:
//!
//! ```text
//! number < atom < reference < fun < port < pid < tuple < map < nil < list < bitstring
//! ```
//!
//! Within a type: numbers by value (an integer and a float of the same value compare
//! equal under `==`); atoms by text; references by node, then id words from the most
//! significant; local funs before exports, funs by module, old index, old uniq and free
//! variables, exports by module, function and arity; ports by node then id; pids by
//! serial, id, then node; tuples by size, then element by element; maps by size, then
//! their keys in sorted order, then their values in key order; lists element by
//! element (a shorter prefix first, an improper tail compared as a term); bitstrings
//! bit by bit, a prefix first. A node compares by name, then by creation.
//!
//! There are two equalities, as in Erlang:
//!
//! - `==` ([`Term::eq_erlang`], [`Term::cmp_erlang`]): `1 == 1.0`.
//! - `=:=` ([`Term::exact_eq`], [`Term::cmp_exact`], and `PartialEq for Term`):
//!   `1 =/= 1.0`. The exact order puts every integer before every float of the same
//!   value; it is the order erts sorts map keys in, so map keys are always compared
//!   exactly, whichever equality compares the maps.
//!
//! [`Term::hash_exact`] is the hash that goes with `=:=`: exactly equal terms hash
//! equally, whatever order their maps' pairs are in (see its module, `order/hash.rs`).
//!
//! The implementations follow `erts_cmp_compound` in OTP's `erts/emulator/beam/utils.c`;
//! the test suite checks them against `lists:sort/1` run by a real `erl`.

mod hash;

use std::cmp::Ordering;

use crate::num::{Num, cmp_num, cmp_num_exact};
use crate::{Node, Term};

fn rank(t: &Term) -> u8 {
    match t {
        Term::Int(_) | Term::BigInt(_) | Term::Float(_) => 0,
        Term::Atom(_) => 1,
        Term::Ref(_) => 2,
        Term::Fun(_) => 3,
        Term::Export(_) => 4,
        Term::Port(_) => 5,
        Term::Pid(_) => 6,
        Term::Tuple(_) => 7,
        Term::Map(_) => 8,
        Term::List(v) if v.is_empty() => 9,
        Term::List(_) | Term::ImproperList(..) => 10,
        Term::Binary(_) | Term::BitBinary { .. } => 11,
    }
}

fn num(t: &Term) -> Num<'_> {
    match t {
        Term::Int(i) => Num::Int(*i),
        Term::BigInt(b) => Num::Big(b),
        Term::Float(f) => Num::Float(*f),
        _ => Num::Int(0),
    }
}

fn cmp_nodes(a: Node, b: Node, ac: u32, bc: u32) -> Ordering {
    if a == b {
        return Node::wire_creation(a, ac).cmp(&Node::wire_creation(b, bc));
    }
    // One name at a time: nesting two reads of the node table could meet a writer.
    a.name()
        .cmp(&b.name())
        .then_with(|| Node::wire_creation(a, ac).cmp(&Node::wire_creation(b, bc)))
}

/// A bitstring as (bytes, number of significant bits).
fn bits_of(t: &Term) -> (&[u8], usize) {
    match t {
        Term::Binary(b) => (b, b.len() * 8),
        Term::BitBinary { bytes, bits } => (
            bytes,
            (bytes.len().saturating_sub(1)) * 8 + (*bits as usize).min(8),
        ),
        _ => (&[], 0),
    }
}

fn cmp_bits(a: &Term, b: &Term) -> Ordering {
    let (ab, an) = bits_of(a);
    let (bb, bn) = bits_of(b);
    let min = an.min(bn);
    let full = min / 8;
    match ab[..full].cmp(&bb[..full]) {
        Ordering::Equal => {}
        o => return o,
    }
    let rem = min % 8;
    if rem > 0 {
        let mask = 0xffu8 << (8 - rem);
        match (ab[full] & mask).cmp(&(bb[full] & mask)) {
            Ordering::Equal => {}
            o => return o,
        }
    }
    an.cmp(&bn)
}

/// The elements and the tail of a list term (`None` tail = `[]`).
fn list_parts(t: &Term) -> (&[Term], Option<&Term>) {
    match t {
        Term::List(v) => (v, None),
        Term::ImproperList(v, tail) => (v, Some(tail)),
        _ => (&[], None),
    }
}

fn cmp_lists(a: &Term, b: &Term, exact: bool) -> Ordering {
    let (mut ae, mut at) = list_parts(a);
    let (mut be, mut bt) = list_parts(b);
    loop {
        for (x, y) in ae.iter().zip(be) {
            match cmp(x, y, exact) {
                Ordering::Equal => {}
                o => return o,
            }
        }
        let common = ae.len().min(be.len());
        let (ar, br) = (&ae[common..], &be[common..]);
        match (ar.is_empty(), br.is_empty()) {
            (true, true) => {
                return match (at, bt) {
                    (None, None) => Ordering::Equal,
                    (None, Some(t)) => cmp(&Term::nil(), t, exact),
                    (Some(t), None) => cmp(t, &Term::nil(), exact),
                    (Some(x), Some(y)) => {
                        // Tails may themselves be lists (in a non-normalized term).
                        let (xl, yl) = (is_list(x), is_list(y));
                        if xl && yl {
                            let (xe, xt) = list_parts(x);
                            let (ye, yt) = list_parts(y);
                            (ae, at, be, bt) = (xe, xt, ye, yt);
                            continue;
                        }
                        cmp(x, y, exact)
                    }
                };
            }
            (true, false) => {
                // `a` is exhausted: its tail against the rest of `b` (a non-empty list).
                return match at {
                    None => Ordering::Less,
                    Some(t) if is_list(t) => {
                        let (te, tt) = list_parts(t);
                        (ae, at, be, bt) = (te, tt, br, bt);
                        continue;
                    }
                    Some(t) => rank(t).cmp(&10),
                };
            }
            (false, true) => {
                return match bt {
                    None => Ordering::Greater,
                    Some(t) if is_list(t) => {
                        let (te, tt) = list_parts(t);
                        (ae, at, be, bt) = (ar, at, te, tt);
                        continue;
                    }
                    Some(t) => 10.cmp(&rank(t)),
                };
            }
            (false, false) => unreachable!("zip stops at the shorter list"),
        }
    }
}

fn is_list(t: &Term) -> bool {
    matches!(t, Term::List(_) | Term::ImproperList(..))
}

fn sorted_pairs(m: &[(Term, Term)]) -> Vec<&(Term, Term)> {
    let mut v: Vec<&(Term, Term)> = m.iter().collect();
    if !v.is_sorted_by(|x, y| x.0.cmp_exact(&y.0) != Ordering::Greater) {
        v.sort_by(|x, y| x.0.cmp_exact(&y.0));
    }
    v
}

fn cmp_maps(a: &[(Term, Term)], b: &[(Term, Term)], exact: bool) -> Ordering {
    match a.len().cmp(&b.len()) {
        Ordering::Equal => {}
        o => return o,
    }
    let sa = sorted_pairs(a);
    let sb = sorted_pairs(b);
    for (x, y) in sa.iter().zip(&sb) {
        match cmp(&x.0, &y.0, true) {
            Ordering::Equal => {}
            o => return o,
        }
    }
    for (x, y) in sa.iter().zip(&sb) {
        match cmp(&x.1, &y.1, exact) {
            Ordering::Equal => {}
            o => return o,
        }
    }
    Ordering::Equal
}

fn cmp_seq(a: &[Term], b: &[Term], exact: bool) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        match cmp(x, y, exact) {
            Ordering::Equal => {}
            o => return o,
        }
    }
    a.len().cmp(&b.len())
}

pub(crate) fn cmp(a: &Term, b: &Term, exact: bool) -> Ordering {
    let (ra, rb) = (rank(a), rank(b));
    if ra != rb {
        return ra.cmp(&rb);
    }
    match (a, b) {
        (Term::Atom(x), Term::Atom(y)) => x.cmp(y),
        (Term::Int(x), Term::Int(y)) => x.cmp(y),
        (Term::Int(_) | Term::BigInt(_) | Term::Float(_), _) => {
            if exact {
                cmp_num_exact(num(a), num(b))
            } else {
                cmp_num(num(a), num(b))
            }
        }
        (Term::Ref(x), Term::Ref(y)) => cmp_nodes(x.node, y.node, x.creation, y.creation)
            .then_with(|| {
                let (mut xw, mut yw) = (x.words(), y.words());
                // Extra high words that are zero do not count.
                while xw.len() > yw.len() {
                    if xw[xw.len() - 1] != 0 {
                        return Ordering::Greater;
                    }
                    xw = &xw[..xw.len() - 1];
                }
                while yw.len() > xw.len() {
                    if yw[yw.len() - 1] != 0 {
                        return Ordering::Less;
                    }
                    yw = &yw[..yw.len() - 1];
                }
                xw.iter().rev().cmp(yw.iter().rev())
            }),
        (Term::Fun(x), Term::Fun(y)) => x
            .module
            .cmp(&y.module)
            .then_with(|| cmp(&x.old_index, &y.old_index, exact))
            .then_with(|| cmp(&x.old_uniq, &y.old_uniq, exact))
            .then_with(|| x.free_vars.len().cmp(&y.free_vars.len()))
            .then_with(|| cmp_seq(&x.free_vars, &y.free_vars, exact))
            .then_with(|| {
                if exact {
                    // Not part of Erlang's order, but needed for a total one.
                    (x.index, x.uniq, x.arity)
                        .cmp(&(y.index, y.uniq, y.arity))
                        .then_with(|| cmp(&x.pid, &y.pid, true))
                } else {
                    Ordering::Equal
                }
            }),
        (Term::Export(x), Term::Export(y)) => x
            .module
            .cmp(&y.module)
            .then_with(|| x.function.cmp(&y.function))
            .then_with(|| x.arity.cmp(&y.arity)),
        (Term::Port(x), Term::Port(y)) => {
            cmp_nodes(x.node, y.node, x.creation, y.creation).then_with(|| x.id.cmp(&y.id))
        }
        (Term::Pid(x), Term::Pid(y)) => (x.serial, x.id)
            .cmp(&(y.serial, y.id))
            .then_with(|| cmp_nodes(x.node, y.node, x.creation, y.creation)),
        (Term::Tuple(x), Term::Tuple(y)) => {
            x.len().cmp(&y.len()).then_with(|| cmp_seq(x, y, exact))
        }
        (Term::Map(x), Term::Map(y)) => cmp_maps(x, y, exact),
        (Term::List(_) | Term::ImproperList(..), _) => cmp_lists(a, b, exact),
        (Term::Binary(x), Term::Binary(y)) => x.as_ref().cmp(y.as_ref()),
        (Term::Binary(_) | Term::BitBinary { .. }, _) => cmp_bits(a, b),
        _ => Ordering::Equal,
    }
}

impl Term {
    /// Compares in Erlang's term order, as `<` and `==` do (`1 == 1.0`).
    ///
    /// ```
    /// use std::cmp::Ordering;
    /// use tether_term::Term;
    /// let p = |s: &str| s.parse::<Term>().unwrap();
    /// assert_eq!(p("1").cmp_erlang(&p("1.0")), Ordering::Equal);
    /// assert_eq!(p("99999").cmp_erlang(&p("abc")), Ordering::Less); // number < atom
    /// assert_eq!(p("{b}").cmp_erlang(&p("{a,a}")), Ordering::Less); // by size first
    /// assert_eq!(p("[]").cmp_erlang(&p("[0]")), Ordering::Less);
    /// ```
    pub fn cmp_erlang(&self, other: &Term) -> Ordering {
        cmp(self, other, false)
    }

    /// Compares in exact order, as `=:=` does: a total order in which only exactly
    /// equal terms are equal (integers sort before floats of the same value).
    ///
    /// ```
    /// use std::cmp::Ordering;
    /// use tether_term::Term;
    /// assert_eq!(Term::from(1).cmp_exact(&Term::from(1.0)), Ordering::Less);
    /// assert_eq!(Term::from(2).cmp_exact(&Term::from(1.0)), Ordering::Less);
    /// ```
    pub fn cmp_exact(&self, other: &Term) -> Ordering {
        cmp(self, other, true)
    }

    /// Erlang's `==`: equal in term order (`1 == 1.0`).
    ///
    /// ```
    /// use tether_term::Term;
    /// assert!(Term::from(1).eq_erlang(&Term::from(1.0))); // 1 == 1.0
    /// assert_ne!(Term::from(1), Term::from(1.0)); // but not 1 =:= 1.0
    /// ```
    pub fn eq_erlang(&self, other: &Term) -> bool {
        self.cmp_erlang(other) == Ordering::Equal
    }

    /// Erlang's `=:=`: exactly equal (also what `PartialEq` does).
    ///
    /// ```
    /// use tether_term::Term;
    /// assert!(Term::from(1).eq_erlang(&Term::from(1.0)));
    /// assert!(!Term::from(1).exact_eq(&Term::from(1.0)));
    /// ```
    pub fn exact_eq(&self, other: &Term) -> bool {
        match (self, other) {
            (Term::Atom(x), Term::Atom(y)) => x == y,
            (Term::Int(x), Term::Int(y)) => x == y,
            (Term::Binary(x), Term::Binary(y)) => x == y,
            (Term::Tuple(x), Term::Tuple(y)) | (Term::List(x), Term::List(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|(a, b)| a.exact_eq(b))
            }
            (Term::Map(x), Term::Map(y))
                if x.len() == y.len() && x.iter().zip(y).all(|(a, b)| a.0.exact_eq(&b.0)) =>
            {
                x.iter().zip(y).all(|(a, b)| a.1.exact_eq(&b.1))
            }
            _ => self.cmp_exact(other) == Ordering::Equal,
        }
    }
}

/// A [`Term`] ordered by exact term order, for `BTreeMap` keys and sorting.
///
/// `Eq`/`Ord` are [`Term::exact_eq`]/[`Term::cmp_exact`], a total order that agrees
/// with Erlang's `lists:sort/1` except that it also orders `1` before `1.0`.
///
/// ```
/// use std::collections::BTreeSet;
/// use tether_term::{OrdTerm, Term};
/// let set: BTreeSet<OrdTerm> = ["b", "a", "{}", "1"].iter()
///     .map(|s| OrdTerm(s.parse().unwrap())).collect();
/// let sorted: Vec<String> = set.iter().map(|t| t.0.to_string()).collect();
/// assert_eq!(sorted, ["1", "a", "b", "{}"]);
/// ```
#[derive(Clone, Debug)]
pub struct OrdTerm(pub Term);

impl PartialEq for OrdTerm {
    fn eq(&self, other: &OrdTerm) -> bool {
        self.0.exact_eq(&other.0)
    }
}

impl Eq for OrdTerm {}

impl PartialOrd for OrdTerm {
    fn partial_cmp(&self, other: &OrdTerm) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for OrdTerm {
    fn cmp(&self, other: &OrdTerm) -> Ordering {
        self.0.cmp_exact(&other.0)
    }
}

impl From<Term> for OrdTerm {
    fn from(t: Term) -> OrdTerm {
        OrdTerm(t)
    }
}
