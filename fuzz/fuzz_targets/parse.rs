//! Fuzz the Erlang-syntax parser: any text must parse or fail cleanly, and whatever
//! parses must print and parse back to an equal term.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tether_term::Term;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(t) = text.parse::<Term>() {
        let shown = t.to_string();
        let back: Term = shown.parse().expect("Display output parses");
        assert!(back == t, "display/parse changed the term: {shown}");
        let _ = tether_term::encode(&t);
    }
});
