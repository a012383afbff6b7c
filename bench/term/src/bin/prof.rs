//! A fixed-iteration driver for profiling under callgrind:
//! `valgrind --tool=callgrind target/release/prof small|bin|map enc|dec|eenc|edec`.
use std::hint::black_box;

use bytes::Bytes;
use tether_term::{Term, decode_bytes, encode};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let term: Term = match args[1].as_str() {
        "small" => "{ok, 42, atom}".parse().unwrap(),
        "bin" => Term::binary(vec![7u8; 1024]),
        "map" => "#{users => [#{id => 1, name => <<\"user 1\">>, tags => [admin, ops], meta => #{score => 1.5, active => true, visits => 1001}}, #{id => 2, name => <<\"user 2\">>, tags => [admin, ops], meta => #{score => 3.0, active => false, visits => 1002}}], total => 2}".parse().unwrap(),
        text => text.parse().unwrap(),
    };
    let etf = encode(&term).unwrap();
    let shared = Bytes::from(etf.clone());
    let eterm = eetf::Term::decode(&etf[..]).unwrap();
    let iters: u64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(100_000);
    for _ in 0..iters {
        match args[2].as_str() {
            "enc" => drop(black_box(encode(black_box(&term)).unwrap())),
            "dec" => drop(black_box(decode_bytes(black_box(&shared)).unwrap())),
            "eenc" => {
                let mut v = Vec::new();
                eterm.encode(&mut v).unwrap();
                drop(black_box(v));
            }
            _ => drop(black_box(eetf::Term::decode(black_box(&etf[..])).unwrap())),
        }
    }
}
