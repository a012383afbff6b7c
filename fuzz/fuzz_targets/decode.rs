//! Fuzz the ETF decoder: arbitrary bytes must decode or fail cleanly, never panic;
//! whatever decodes must re-encode, and the re-encoding must decode to the same term.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tether_term::{Atom, AtomCache, AtomCacheRefs, DecodeLimits, Decoder, decode, encode};

fuzz_target!(|data: &[u8]| {
    let limits = DecodeLimits {
        max_depth: 128,
        max_size: 1 << 20,
        max_decompressed: 1 << 20,
    };
    if let Ok(t) = Decoder::new(data).with_limits(limits).decode_exact() {
        let bytes = encode(&t).expect("a decoded term encodes");
        let back = decode(&bytes).expect("an encoded term decodes");
        assert!(back == t, "round trip changed the term");
        assert!(t.cmp_erlang(&back).is_eq());
        let _ = t.to_string();
    }
    // Terms after a distribution header: no version byte, atom-cache references.
    let refs = AtomCacheRefs::from_atoms(vec![Atom::new("a"), Atom::new("b")]);
    let mut d = Decoder::new(data)
        .with_limits(limits)
        .with_atom_cache(Some(&refs));
    while !d.is_empty() {
        if d.decode_term().is_err() {
            break;
        }
    }
    let mut cache = AtomCache::new();
    let _ = cache.read_header(data);
});
