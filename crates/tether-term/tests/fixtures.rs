//! Test vectors made by a real Erlang/OTP 25 and Elixir 1.14.
//!
//! `scripts/term-fixtures.sh` wrote `fixtures/terms.bin` (for each of a few hundred
//! terms: `term_to_binary` with `{minor_version, 2}`, plain OTP 25 `term_to_binary`,
//! the compressed form, and `io_lib:format("~tw")`), `fixtures/order.bin` (Erlang's
//! `<`, `==` and `=:=` on every pair) and `fixtures/sorted.bin` (`lists:sort/1`).
//! These tests hold the codec, Display, the parser and the term order to them.

use std::cmp::Ordering;

use bytes::Bytes;
use tether_term::{Term, decode, decode_bytes, encode};

struct Fixture {
    name: String,
    v2: Vec<u8>,
    v1: Vec<u8>,
    compressed: Vec<u8>,
    text: String,
}

fn load() -> Vec<Fixture> {
    let data = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/terms.bin"
    ))
    .unwrap();
    assert_eq!(&data[..4], b"TTFX");
    let count = u32::from_be_bytes(data[4..8].try_into().unwrap()) as usize;
    let mut pos = 8;
    let mut field = || {
        let n = u32::from_be_bytes(data[pos..pos + 4].try_into().unwrap()) as usize;
        let f = data[pos + 4..pos + 4 + n].to_vec();
        pos += 4 + n;
        f
    };
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let name = String::from_utf8(field()).unwrap();
        let v2 = field();
        let v1 = field();
        let compressed = field();
        let text = String::from_utf8(field()).unwrap();
        out.push(Fixture {
            name,
            v2,
            v1,
            compressed,
            text,
        });
    }
    out
}

fn terms(fixtures: &[Fixture]) -> Vec<Term> {
    fixtures
        .iter()
        .map(|f| decode(&f.v2).unwrap_or_else(|e| panic!("{}: {e}", f.name)))
        .collect()
}

/// Whether the term holds anything whose text does not identify it fully.
fn has_opaque(t: &Term) -> bool {
    match t {
        Term::Pid(_) | Term::Port(_) | Term::Ref(_) | Term::Fun(_) => true,
        Term::Tuple(v) | Term::List(v) => v.iter().any(has_opaque),
        Term::ImproperList(v, tail) => v.iter().any(has_opaque) || has_opaque(tail),
        Term::Map(m) => m.iter().any(|(k, v)| has_opaque(k) || has_opaque(v)),
        _ => false,
    }
}

/// Whether the term holds a map of more than 32 keys: erts keeps those in hash order,
/// writes them in one order and prints them in the reverse, so only their content
/// (not their printed order) can be compared.
fn has_large_map(t: &Term) -> bool {
    match t {
        Term::Map(m) => m.len() > 32 || m.iter().any(|(k, v)| has_large_map(k) || has_large_map(v)),
        Term::Tuple(v) | Term::List(v) => v.iter().any(has_large_map),
        Term::ImproperList(v, tail) => v.iter().any(has_large_map) || has_large_map(tail),
        _ => false,
    }
}

fn has_binary(t: &Term) -> bool {
    match t {
        Term::Binary(_) | Term::BitBinary { .. } => true,
        Term::Tuple(v) | Term::List(v) => v.iter().any(has_binary),
        Term::ImproperList(v, tail) => v.iter().any(has_binary) || has_binary(tail),
        Term::Map(m) => m.iter().any(|(k, v)| has_binary(k) || has_binary(v)),
        _ => false,
    }
}

#[test]
fn enough_fixtures() {
    let f = load();
    assert!(f.len() >= 300, "only {} fixtures", f.len());
    for kind in [
        "ex struct",
        "ex charlist",
        "fun 1",
        "id 1",
        "map 5",
        "tuple 7",
        "bin 12",
        "list 15",
    ] {
        assert!(f.iter().any(|x| x.name == kind), "missing {kind}");
    }
}

#[test]
fn decode_then_encode_gives_the_same_bytes() {
    let fixtures = load();
    for f in &fixtures {
        let t = decode(&f.v2).unwrap_or_else(|e| panic!("{}: {e}", f.name));
        let again = encode(&t).unwrap();
        assert!(
            again == f.v2,
            "{}: re-encoding differs\n  erl:  {:?}\n  ours: {:?}",
            f.name,
            f.v2,
            again
        );
        let zero_copy = decode_bytes(&Bytes::from(f.v2.clone())).unwrap();
        assert_eq!(zero_copy, t, "{}", f.name);
    }
}

#[test]
fn legacy_and_compressed_forms_decode_to_the_same_term() {
    for f in &load() {
        let t = decode(&f.v2).unwrap();
        let legacy = decode(&f.v1).unwrap_or_else(|e| panic!("{} (OTP 25 default): {e}", f.name));
        assert_eq!(legacy, t, "{}", f.name);
        let z = decode(&f.compressed).unwrap_or_else(|e| panic!("{} (compressed): {e}", f.name));
        assert_eq!(z, t, "{}", f.name);
    }
}

/// `Decoder::decode_tuple_elements` on every erl-made encoding (compressed ones
/// included) agrees with whole-term decoding: a tuple's elements, anything else whole.
#[test]
fn tuple_elements_read_in_place_match_whole_decoding() {
    let mut tuples = 0;
    for f in &load() {
        let t = decode(&f.v2).unwrap();
        for bytes in [&f.v2, &f.v1, &f.compressed] {
            let mut items = vec![Term::atom("kept")];
            let mut d = tether_term::Decoder::new(bytes);
            let rest = d.decode_tuple_elements(true, &mut items).unwrap();
            assert!(d.is_empty(), "{}", f.name);
            match (&t, rest) {
                (Term::Tuple(want), None) => {
                    assert_eq!(items[0], Term::atom("kept"), "{}", f.name);
                    assert_eq!(&items[1..], &want[..], "{}", f.name);
                    tuples += 1;
                }
                (_, Some(whole)) => {
                    assert_eq!(whole, t, "{}", f.name);
                    assert_eq!(items, [Term::atom("kept")], "{}", f.name);
                }
                (_, None) => panic!("{}: not a tuple, but read as one", f.name),
            }
        }
    }
    assert!(tuples > 30, "only {tuples} tuple encodings");
}

#[test]
fn display_matches_erlang_w() {
    let mut compared = 0;
    for f in &load() {
        let t = decode(&f.v2).unwrap();
        if has_opaque(&t) || has_binary(&t) || has_large_map(&t) {
            continue;
        }
        assert_eq!(t.to_string(), f.text, "{}", f.name);
        compared += 1;
    }
    assert!(compared > 150, "only {compared} compared");
}

#[test]
fn parser_reads_erlang_w_output() {
    let mut compared = 0;
    for f in &load() {
        let t = decode(&f.v2).unwrap();
        if has_opaque(&t) {
            continue;
        }
        let parsed: Term = f
            .text
            .parse()
            .unwrap_or_else(|e| panic!("{}: {e}\n{}", f.name, f.text));
        assert_eq!(parsed, t, "{}", f.name);
        compared += 1;
    }
    assert!(compared > 250, "only {compared} compared");
}

#[test]
fn display_then_parse_round_trips() {
    for f in &load() {
        let t = decode(&f.v2).unwrap();
        if has_opaque(&t) {
            continue;
        }
        let text = t.to_string();
        let back: Term = text
            .parse()
            .unwrap_or_else(|e| panic!("{}: {e}\n{text}", f.name));
        assert_eq!(back, t, "{}: {text}", f.name);
    }
}

fn code(o: Ordering) -> u8 {
    match o {
        Ordering::Less => 0,
        Ordering::Equal => 1,
        Ordering::Greater => 2,
    }
}

#[test]
fn term_order_agrees_with_erlang_on_every_pair() {
    let fixtures = load();
    let terms = terms(&fixtures);
    let n = terms.len();
    let order = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/order.bin"
    ))
    .unwrap();
    assert_eq!(order.len(), n * n);
    let mut bad = Vec::new();
    for i in 0..n {
        for j in 0..n {
            let want = order[i * n + j];
            let got = code(terms[i].cmp_erlang(&terms[j]))
                + if terms[i].exact_eq(&terms[j]) { 4 } else { 0 };
            if want != got && bad.len() < 10 {
                bad.push(format!(
                    "{} vs {}: erl {want}, ours {got}",
                    fixtures[i].name, fixtures[j].name
                ));
            }
        }
    }
    assert!(bad.is_empty(), "{bad:#?}");
}

#[test]
fn sort_agrees_with_lists_sort() {
    let fixtures = load();
    let terms = terms(&fixtures);
    let sorted = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/sorted.bin"
    ))
    .unwrap();
    let erl: Vec<usize> = sorted
        .chunks(4)
        .map(|c| u32::from_be_bytes(c.try_into().unwrap()) as usize)
        .collect();
    let mut ours: Vec<usize> = (0..terms.len()).collect();
    ours.sort_by(|&a, &b| terms[a].cmp_erlang(&terms[b])); // stable, like lists:sort
    assert_eq!(ours, erl);
}

/// Rebuilds every map of up to 32 keys with `Term::map` from reversed pairs.
fn rebuild_maps(t: &Term) -> Term {
    match t {
        Term::Tuple(v) => Term::Tuple(v.iter().map(rebuild_maps).collect()),
        Term::List(v) => Term::List(v.iter().map(rebuild_maps).collect()),
        Term::ImproperList(v, tail) => Term::ImproperList(
            v.iter().map(rebuild_maps).collect(),
            Box::new(rebuild_maps(tail)),
        ),
        Term::Map(m) if m.len() <= 32 => Term::map(
            m.iter()
                .rev()
                .map(|(k, v)| (rebuild_maps(k), rebuild_maps(v))),
        ),
        Term::Map(m) => Term::Map(
            m.iter()
                .map(|(k, v)| (rebuild_maps(k), rebuild_maps(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[test]
fn maps_built_in_rust_encode_as_erlang_does() {
    let mut maps = 0;
    for f in &load() {
        let t = decode(&f.v2).unwrap();
        if !f.text.contains("#{") {
            continue;
        }
        maps += 1;
        assert!(encode(&rebuild_maps(&t)).unwrap() == f.v2, "{}", f.name);
    }
    assert!(maps > 20, "only {maps} maps");
}
