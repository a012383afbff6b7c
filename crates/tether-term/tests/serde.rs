//! The serde mapping, case by case, including terms written by Elixir itself.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use tether_term::{
    Atom, BigInt, Node, Pid, Reference, Term, decode, encode, from_term, from_term_ref, to_term,
};

fn t(s: &str) -> Term {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn both<T: Serialize + for<'de> Deserialize<'de> + PartialEq + std::fmt::Debug>(v: T, text: &str) {
    let term = to_term(&v).unwrap();
    assert_eq!(term, t(text), "to_term({v:?}) = {term}");
    // Through the wire too.
    let wire = decode(&encode(&term).unwrap()).unwrap();
    assert_eq!(from_term::<T>(wire).unwrap(), v);
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
enum Req {
    Put(String, i64),
    Get(String),
    Stop,
    GetAll {
        prefix: String,
        limit: Option<u32>,
    },
    #[serde(rename = "EXIT")]
    Exit(Pid, Term),
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Point(i32, i32);

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Meters(f64);

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Ping;

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Plain {
    id: u64,
    name: String,
    tags: Vec<String>,
    #[serde(with = "serde_bytes")]
    blob: Vec<u8>,
}

#[test]
fn scalars() {
    both(true, "true");
    both(false, "false");
    both(42u8, "42");
    both(-5i32, "-5");
    both(u64::MAX, "18446744073709551615");
    both(i128::MIN, "-170141183460469231731687303715884105728");
    both(1.5f64, "1.5");
    both('a', "97");
    both("héllo".to_string(), "<<\"h\\x{e9}llo\"/utf8>>");
    both((), "ok");
    both(None::<u8>, "nil");
    both(Some(3u8), "3");
    both(Ping, "ping");
    both(Meters(2.5), "2.5");
    both(Point(1, -2), "{1,-2}");
    both((1u8, "x".to_string(), true), "{1,<<\"x\">>,true}");
    both(vec![1u8, 2, 3], "[1,2,3]");
    assert!(to_term(&f64::NAN).is_err());
}

#[test]
fn enums_are_atoms_and_tagged_tuples() {
    both(Req::Put("k".into(), 1), "{put,<<\"k\">>,1}");
    both(Req::Get("k".into()), "{get,<<\"k\">>}");
    both(Req::Stop, "stop");
    both(
        Req::GetAll {
            prefix: "a".into(),
            limit: None,
        },
        "{get_all,#{prefix => <<\"a\">>,limit => nil}}",
    );
    let pid = Pid::new(Node::local(), 7, 0, 0);
    both(
        Req::Exit(pid, Term::atom("normal")),
        "{'EXIT',<0.7.0>,normal}",
    );
    both(Ok::<u8, String>(1), "{ok,1}");
    both(Err::<u8, String>("bad".into()), "{error,<<\"bad\">>}");
    // The variant name itself is accepted too.
    assert_eq!(from_term::<Req>(Term::atom("Stop")).unwrap(), Req::Stop);
    assert!(from_term::<Req>(Term::atom("nope")).is_err());
    assert!(from_term::<Req>(t("{get}")).is_err());
}

#[test]
fn structs_are_atom_keyed_maps() {
    both(
        Plain {
            id: 1,
            name: "n".into(),
            tags: vec!["a".into()],
            blob: vec![0, 1],
        },
        "#{id => 1, name => <<\"n\">>, tags => [<<\"a\">>], blob => <<0,1>>}",
    );
    // Binary keys, keyword lists, and extra keys are accepted.
    let p: Plain = from_term(t(
        "#{<<\"id\">> => 1, name => \"n\", tags => [], blob => <<>>, extra => x}",
    ))
    .unwrap();
    assert_eq!(p.name, "n");
    let p: Plain = from_term(t("[{id, 2}, {name, <<\"kw\">>}, {tags, []}, {blob, <<>>}]")).unwrap();
    assert_eq!(p.id, 2);
    assert!(from_term::<Plain>(t("#{id => 1}")).is_err());
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
#[serde(rename = "Elixir.Fixture.User")]
struct User {
    name: Option<String>,
    age: u32,
    tags: Vec<Term>,
}

fn fixture(name: &str) -> Vec<u8> {
    let data = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/terms.bin"
    ))
    .unwrap();
    let mut pos = 8;
    let mut field = || {
        let n = u32::from_be_bytes(data[pos..pos + 4].try_into().unwrap()) as usize;
        let f = data[pos + 4..pos + 4 + n].to_vec();
        pos += 4 + n;
        f
    };
    loop {
        let fields: Vec<Vec<u8>> = (0..5).map(|_| field()).collect();
        if fields[0] == name.as_bytes() {
            return fields[1].clone();
        }
    }
}

#[test]
fn elixir_structs_round_trip_byte_for_byte() {
    // %Fixture.User{name: "bob", age: 42}, as Elixir 1.14 encoded it.
    let bytes = fixture("ex struct");
    let user: User = from_term(decode(&bytes).unwrap()).unwrap();
    assert_eq!(
        user,
        User {
            name: Some("bob".into()),
            age: 42,
            tags: vec![]
        }
    );
    assert_eq!(
        encode(&to_term(&user).unwrap()).unwrap(),
        bytes,
        "same bytes as Elixir"
    );
    // A struct of another module is refused.
    #[derive(Deserialize, Debug)]
    #[serde(rename = "Elixir.Other")]
    #[allow(dead_code)]
    struct Other {
        age: u32,
    }
    assert!(from_term::<Other>(decode(&bytes).unwrap()).is_err());
}

#[test]
fn elixir_values_deserialize() {
    let charlist: String = from_term(decode(&fixture("ex charlist")).unwrap()).unwrap();
    assert_eq!(charlist, "hello");
    let unicode: String = from_term(decode(&fixture("ex charlist unicode")).unwrap()).unwrap();
    assert_eq!(unicode, "héllo ✓");
    let kw: BTreeMap<String, Term> = from_term(decode(&fixture("ex keyword")).unwrap()).unwrap();
    assert_eq!(kw["timeout"], Term::from(5000));
    let big: BigInt = from_term(decode(&fixture("ex big")).unwrap()).unwrap();
    assert_eq!(big.to_string(), "1180591620717411303424");
    let atom: Atom = from_term(decode(&fixture("ex unicode atom")).unwrap()).unwrap();
    assert_eq!(atom.as_str(), "ünïcode_atom");
    let (n, yes, no): (Option<u8>, bool, bool) =
        from_term(decode(&fixture("ex nil true false")).unwrap()).unwrap();
    assert_eq!((n, yes, no), (None, true, false));
    let map: HashMap<String, Term> =
        from_term(decode(&fixture("ex map string keys")).unwrap()).unwrap();
    assert_eq!(map["a"], Term::from(1));
    #[derive(Deserialize)]
    #[allow(dead_code)]
    enum Call {
        #[serde(rename = "$gen_call")]
        GenCall((Pid, Reference), Term),
    }
    let Call::GenCall((_, _), req) = from_term(decode(&fixture("ex gen_call")).unwrap()).unwrap();
    assert_eq!(req.to_string(), "{put,<<\"k\">>,#{v => 1}}");
}

#[test]
fn terms_and_identities_pass_through() {
    let pid = Pid::new(Node::intern("x@y").unwrap(), 1, 2, 3);
    let r = Reference::new(Node::local(), 0, &[1, 2, 3]);
    let v = (
        pid,
        r,
        Term::tuple([Term::atom("a"), Term::from(1)]),
        Atom::new("at"),
    );
    let term = to_term(&v).unwrap();
    assert_eq!(
        term,
        Term::tuple([Term::Pid(pid), Term::Ref(r), t("{a,1}"), Term::atom("at")])
    );
    let back: (Pid, Reference, Term, Atom) = from_term(term).unwrap();
    assert_eq!(back, v);
    assert!(from_term::<Pid>(Term::atom("x")).is_err());
    // Borrowing from the term.
    let bin = Term::from("zero copy");
    let s: &str = from_term_ref(&bin).unwrap();
    assert_eq!(s, "zero copy");
}

#[test]
fn other_serializers_get_natural_forms() {
    let term = t("{ok, nil, true, <<\"s\">>, [1, 2.5], #{k => v}, <0.5.0>}");
    let json = serde_json::to_string(&term).unwrap();
    assert_eq!(json, r#"["ok",null,true,"s",[1,2.5],{"k":"v"},"<0.5.0>"]"#);
    let back: Term = serde_json::from_str(r#"{"a": [1, "x", null, false]}"#).unwrap();
    assert_eq!(back, t("#{<<\"a\">> => [1, <<\"x\">>, nil, false]}"));
    let atom: Atom = serde_json::from_str("\"hello\"").unwrap();
    assert_eq!(atom.as_str(), "hello");
}
