//! Property tests: codec round trips, text round trips, the laws of term order, and
//! the agreement of `Term::hash_exact` with exact equality.

use std::hash::{DefaultHasher, Hasher};

use bytes::Bytes;
use proptest::prelude::*;
use tether_term::{BigInt, Node, Pid, Port, Reference, Term, decode, decode_bytes, encode};

fn node() -> impl Strategy<Value = Node> {
    prop_oneof![
        Just(Node::local()),
        prop::sample::select(vec!["beam@host", "abc@host", "ü@höst", "z@z"])
            .prop_map(|n| Node::intern(n).unwrap()),
    ]
}

fn atom_text() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "ok", "error", "", "EXIT", "nil", "true", "it's", "a b", "after"
        ])
        .prop_map(String::from),
        "[a-z][a-zA-Z0-9_@]{0,12}",
        "[ -~üé日\\n]{0,10}",
    ]
}

/// Leaves; `creations` allows identities with a creation other than 0.
fn leaf(creations: bool) -> impl Strategy<Value = Term> {
    let creation = if creations {
        prop_oneof![Just(0u32), any::<u32>()].boxed()
    } else {
        Just(0u32).boxed()
    };
    prop_oneof![
        any::<i64>().prop_map(Term::Int),
        (0i64..300).prop_map(Term::Int),
        (any::<bool>(), prop::collection::vec(any::<u8>(), 0..40))
            .prop_map(|(n, m)| Term::big(BigInt::new(n, m))),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Term::Float),
        prop::sample::select(vec![0.0, -0.0, 1.0, 0.1, 1e300, 5e-324]).prop_map(Term::Float),
        atom_text().prop_map(|a| Term::atom(&a)),
        prop::collection::vec(any::<u8>(), 0..40).prop_map(|b| Term::Binary(Bytes::from(b))),
        "[ -~]{0,20}".prop_map(|s| Term::from(s.as_str())),
        (prop::collection::vec(any::<u8>(), 1..6), 1u8..8).prop_map(|(b, bits)| Term::BitBinary {
            bytes: Bytes::from(b),
            bits
        }),
        (node(), any::<u32>(), any::<u32>(), creation.clone())
            .prop_map(|(n, id, s, c)| Term::Pid(Pid::new(n, id, s, c))),
        (node(), any::<u64>(), creation.clone())
            .prop_map(|(n, id, c)| Term::Port(Port::new(n, id, c))),
        (node(), creation, prop::collection::vec(any::<u32>(), 1..=5))
            .prop_map(|(n, c, w)| Term::Ref(Reference::new(n, c, &w))),
        ("[a-z]{1,8}", "[a-z]{1,8}", any::<u8>()).prop_map(|(m, f, a)| Term::export(&m, &f, a)),
        Just(Term::nil()),
    ]
}

fn term(creations: bool) -> impl Strategy<Value = Term> {
    leaf(creations).prop_recursive(4, 64, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Term::Tuple),
            prop::collection::vec(inner.clone(), 0..8).prop_map(Term::List),
            (prop::collection::vec(inner.clone(), 1..5), leaf(creations))
                .prop_map(|(v, t)| Term::improper_list(v, t)),
            prop::collection::vec((inner.clone(), inner.clone()), 0..6).prop_map(Term::map),
            prop::collection::vec(0i64..256, 0..20)
                .prop_map(|v| Term::List(v.into_iter().map(Term::Int).collect())),
        ]
    })
}

/// Terms from a few values, so that two of them are often exactly equal; maps are
/// built from pairs in the order given, and `0.0`/`-0.0`, `1`/`1.0` and an integer
/// held as a `BigInt` are all among the leaves.
fn small_term() -> impl Strategy<Value = Term> {
    let leaf = prop::sample::select(vec![
        Term::Int(0),
        Term::Int(1),
        Term::BigInt(BigInt::from_i128(1)),
        Term::Float(0.0),
        Term::Float(-0.0),
        Term::Float(1.0),
        Term::atom("a"),
        Term::nil(),
    ]);
    leaf.prop_recursive(3, 24, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Term::Tuple),
            prop::collection::vec(inner.clone(), 0..3).prop_map(Term::List),
            (inner.clone(), inner.clone())
                .prop_map(|(x, t)| Term::ImproperList(vec![x], Box::new(t))),
            prop::collection::vec((inner.clone(), inner.clone()), 0..3).prop_map(|pairs| {
                match Term::map(pairs.clone()) {
                    // The pairs in the order given, unless a key repeats.
                    Term::Map(sorted) if sorted.len() == pairs.len() => Term::Map(pairs),
                    m => m,
                }
            }),
        ]
    })
}

/// The same value stored another way, at every depth: maps' pairs rotated by `k` (and
/// then reversed for some `k`), integers held as `BigInt`s, `0.0` as `-0.0`, and lists
/// split into a head and a list tail.
fn rebuilt(t: &Term, k: usize) -> Term {
    let all = |v: &[Term]| v.iter().map(|x| rebuilt(x, k)).collect::<Vec<_>>();
    match t {
        Term::Int(i) => Term::BigInt(BigInt::from_i128(i128::from(*i))),
        Term::Float(f) if *f == 0.0 => Term::Float(-*f),
        Term::Tuple(v) => Term::Tuple(all(v)),
        Term::List(v) if v.len() >= 2 => {
            Term::ImproperList(all(&v[..1]), Box::new(Term::List(all(&v[1..]))))
        }
        Term::List(v) => Term::List(all(v)),
        Term::ImproperList(v, tail) => Term::ImproperList(all(v), Box::new(rebuilt(tail, k))),
        Term::Map(pairs) => {
            let mut p: Vec<(Term, Term)> = pairs
                .iter()
                .map(|(a, b)| (rebuilt(a, k), rebuilt(b, k)))
                .collect();
            let n = p.len().max(1);
            p.rotate_left(k % n);
            if k / n % 2 == 1 {
                p.reverse();
            }
            Term::Map(p)
        }
        other => other.clone(),
    }
}

/// `t` and every term inside it.
fn parts(t: &Term, out: &mut Vec<Term>) {
    out.push(t.clone());
    match t {
        Term::Tuple(v) | Term::List(v) => v.iter().for_each(|x| parts(x, out)),
        Term::ImproperList(v, tail) => {
            v.iter().for_each(|x| parts(x, out));
            parts(tail, out);
        }
        Term::Map(pairs) => pairs.iter().for_each(|(a, b)| {
            parts(a, out);
            parts(b, out);
        }),
        _ => {}
    }
}

fn hash_exact(t: &Term) -> u64 {
    let mut h = DefaultHasher::new();
    t.hash_exact(&mut h);
    h.finish()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn encode_decode_round_trip(t in term(true)) {
        let bytes = encode(&t).unwrap();
        prop_assert_eq!(tether_term::codec::encoded_len(&t) + 1, bytes.len());
        let back = decode(&bytes).unwrap();
        prop_assert_eq!(&back, &t);
        prop_assert_eq!(encode(&back).unwrap(), bytes.clone());
        let shared = decode_bytes(&Bytes::from(bytes)).unwrap();
        prop_assert_eq!(shared, t);
    }

    #[test]
    fn display_parse_round_trip(t in term(false)) {
        let text = t.to_string();
        let back: Term = text.parse().map_err(|e| TestCaseError::fail(format!("{e}: {text}")))?;
        prop_assert_eq!(back, t, "{}", text);
    }

    #[test]
    fn order_is_antisymmetric_and_consistent(a in term(true), b in term(true)) {
        prop_assert_eq!(a.cmp_erlang(&b), b.cmp_erlang(&a).reverse());
        prop_assert_eq!(a.cmp_exact(&b), b.cmp_exact(&a).reverse());
        prop_assert_eq!(a.cmp_exact(&b).is_eq(), a.exact_eq(&b));
        // Exactly equal terms are equal; Erlang-unequal terms are not exactly equal.
        if a.exact_eq(&b) { prop_assert!(a.eq_erlang(&b)); }
        if !a.eq_erlang(&b) { prop_assert!(!a.exact_eq(&b)); }
        prop_assert!(a.exact_eq(&a.clone()));
    }

    #[test]
    fn order_is_transitive(mut v in prop::collection::vec(term(true), 3..12)) {
        v.sort_by(|a, b| a.cmp_erlang(b));
        for i in 0..v.len() {
            for j in i + 1..v.len() {
                prop_assert!(v[i].cmp_erlang(&v[j]).is_le(), "{} > {}", v[i], v[j]);
            }
        }
        v.sort_by(|a, b| a.cmp_exact(b));
        for i in 0..v.len() {
            for j in i + 1..v.len() {
                prop_assert!(v[i].cmp_exact(&v[j]).is_le(), "{} > {}", v[i], v[j]);
            }
        }
    }

    #[test]
    fn int_float_order_matches_value(i in any::<i64>(), f in any::<f64>().prop_filter("finite", |f| f.is_finite())) {
        // Exact comparison through i128/f64 where both are exact.
        let t_i = Term::Int(i);
        let t_f = Term::Float(f);
        let want = if (f.trunc() as i128) < i as i128 || ((f.trunc() as i128) == i as i128 && f < f.trunc()) {
            std::cmp::Ordering::Greater
        } else if (f.trunc() as i128) == i as i128 && f == f.trunc() {
            std::cmp::Ordering::Equal
        } else {
            std::cmp::Ordering::Less
        };
        if f.abs() < 1e30 {
            prop_assert_eq!(t_i.cmp_erlang(&t_f), want);
        }
    }

    #[test]
    fn a_term_stored_another_way_is_exactly_equal_and_hashes_the_same(
        t in term(true),
        k in 0usize..8,
    ) {
        let r = rebuilt(&t, k);
        prop_assert!(t.exact_eq(&r), "{:?} =:= {:?}", t, r);
        prop_assert!(r.exact_eq(&t));
        prop_assert_eq!(hash_exact(&t), hash_exact(&r), "{:?} / {:?}", t, r);
    }

    #[test]
    fn exactly_equal_terms_hash_the_same(v in prop::collection::vec(small_term(), 1..6), k in 0usize..8) {
        // Every pair among the terms, their parts, and rebuilt copies of them.
        let mut all = Vec::new();
        for t in &v {
            parts(t, &mut all);
            parts(&rebuilt(t, k), &mut all);
        }
        for x in &all {
            for y in &all {
                if x.exact_eq(y) {
                    prop_assert_eq!(hash_exact(x), hash_exact(y), "{:?} =:= {:?}", x, y);
                }
            }
        }
    }
}
