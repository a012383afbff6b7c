//! Property tests: codec round trips, text round trips, and the laws of term order.

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
}
