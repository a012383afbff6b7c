//! Hostile input: the decoder and the parser never panic, and the limits hold.
//!
//! This is also the stable-toolchain stand-in for the cargo-fuzz targets in `fuzz/`:
//! `random_and_mutated_inputs_never_panic` throws a few hundred thousand random and
//! mutated inputs (seeded, so reproducible) at the decoder and the parser.

use bytes::Bytes;
use tether_term::{AtomCache, DecodeErrorKind as K, DecodeLimits, Decoder, Term, decode, encode};

/// A small deterministic PRNG (xorshift64*), so that runs are reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn seeds() -> Vec<Vec<u8>> {
    let data = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/terms.bin"
    ))
    .unwrap();
    let mut pos = 8;
    let mut out = Vec::new();
    while pos < data.len() {
        let n = u32::from_be_bytes(data[pos..pos + 4].try_into().unwrap()) as usize;
        out.push(data[pos + 4..pos + 4 + n].to_vec());
        pos += 4 + n;
    }
    // Keep the byte fields of the small records (names and texts are harmless too).
    out.retain(|s| s.len() < 4096);
    out
}

fn check_decode(input: &[u8]) {
    let limits = DecodeLimits {
        max_depth: 64,
        max_size: 1 << 20,
        max_decompressed: 1 << 20,
    };
    match Decoder::new(input).with_limits(limits).decode_exact() {
        Ok(t) => {
            // Whatever decodes must encode, and the encoding must decode to the same term.
            let again = encode(&t).expect("decoded terms are encodable");
            assert_eq!(decode(&again).unwrap(), t);
        }
        Err(e) => assert!(e.offset() <= input.len().max(1 << 20)),
    }
    let _ = Decoder::new(input).with_limits(limits).decode_term();
    let _ = AtomCache::new().read_header(input);
}

fn check_parse(input: &[u8]) {
    let text = String::from_utf8_lossy(input);
    if let Ok(t) = text.parse::<Term>() {
        let shown = t.to_string();
        let back: Term = shown.parse().unwrap_or_else(|e| panic!("{e}: {shown}"));
        assert_eq!(back, t);
    }
}

#[test]
fn random_and_mutated_inputs_never_panic() {
    let iterations: usize = std::env::var("TETHER_FUZZ_ITERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200_000);
    let seeds = seeds();
    let texts: Vec<Vec<u8>> = [
        "{ok, [1,2|3], #{a => <<\"bin\">>}, 'q', \"str\", <<1:3>>, 1.5e10, -16#ff, $a}",
        "[<0.1.2>, #Ref<0.1.2.3>, #Port<0.3>, fun lists:map/2]",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for i in 0..iterations {
        let mut input = match i % 4 {
            0 => (0..rng.below(64))
                .map(|_| rng.next() as u8)
                .collect::<Vec<u8>>(),
            1 => {
                let mut v = vec![131u8];
                v.extend((0..rng.below(48)).map(|_| rng.next() as u8));
                v
            }
            _ => seeds[rng.below(seeds.len())].clone(),
        };
        // Mutate: flip, insert, delete, or overwrite with interesting bytes.
        for _ in 0..rng.below(6) {
            if input.is_empty() {
                break;
            }
            let at = rng.below(input.len());
            match rng.below(5) {
                0 => input[at] ^= 1 << rng.below(8),
                1 => input.insert(at, rng.next() as u8),
                2 => {
                    input.remove(at);
                }
                3 => input[at] = [0, 0xff, 0x7f, 0x80, 131, 104, 108, 116, 80][rng.below(9)],
                _ => input.truncate(at),
            }
        }
        check_decode(&input);
        if i % 8 == 0 {
            let mut t = texts[rng.below(texts.len())].clone();
            for _ in 0..rng.below(4) {
                if t.is_empty() {
                    break;
                }
                let at = rng.below(t.len());
                t[at] = b"{}[]<>|,.'\"#$:/-09az\\ "[rng.below(22)];
            }
            check_parse(&t);
            check_parse(&input);
        }
    }
}

/// Runs `f` on a thread with a small stack, as a test thread or a tokio worker has.
fn on_small_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn depth_limit_stops_deep_nesting() {
    on_small_stack(|| {
        // 100 000 nested one-element lists.
        let mut deep = vec![131u8];
        for _ in 0..100_000 {
            deep.extend_from_slice(&[108, 0, 0, 0, 1]);
        }
        deep.push(106);
        deep.extend(std::iter::repeat_n(106, 100_000));
        assert_eq!(decode(&deep).unwrap_err().kind(), &K::DepthLimit);
        // The default limit itself is safe on a small stack, for every operation.
        let mut t = Term::nil();
        for _ in 0..DecodeLimits::default().max_depth - 1 {
            t = Term::Tuple(vec![t]);
        }
        let bytes = encode(&t).unwrap();
        let back = decode(&bytes).unwrap();
        assert!(back.cmp_erlang(&t).is_eq());
        let text = back.to_string();
        assert_eq!(text.parse::<Term>().unwrap(), t);
        assert!("[".repeat(100_000).parse::<Term>().is_err());
    });
}

#[test]
fn forged_lengths_do_not_allocate() {
    for bytes in [
        &[131, 108, 0xff, 0xff, 0xff, 0xff][..], // list of 4G elements
        &[131, 105, 0xff, 0xff, 0xff, 0xff],     // tuple of 4G elements
        &[131, 116, 0xff, 0xff, 0xff, 0xff],     // map of 4G pairs
        &[131, 109, 0xff, 0xff, 0xff, 0xff],     // 4 GB binary
        &[131, 111, 0xff, 0xff, 0xff, 0xff, 0],  // 4 GB bignum
        &[131, 112, 0, 0, 0, 0, 0],              // truncated fun
    ] {
        assert_eq!(
            decode(bytes).unwrap_err().kind(),
            &K::UnexpectedEnd,
            "{bytes:?}"
        );
    }
}

#[test]
fn decompression_bomb_is_refused() {
    // Declare the size honestly (over the limit), or lie about it (under the limit).
    let inner = vec![0u8; 8 << 20];
    let z = zlib_stored(&inner);
    let mut honest = vec![131, 80];
    honest.extend_from_slice(&(inner.len() as u32).to_be_bytes());
    honest.extend_from_slice(&z);
    let limits = DecodeLimits {
        max_decompressed: 1 << 20,
        ..DecodeLimits::default()
    };
    let err = Decoder::new(&honest)
        .with_limits(limits)
        .decode()
        .unwrap_err();
    assert_eq!(err.kind(), &K::DecompressedSizeLimit);
    let mut liar = vec![131, 80, 0, 0, 0, 10];
    liar.extend_from_slice(&z);
    assert_eq!(decode(&liar).unwrap_err().kind(), &K::BadCompression);
}

/// A valid zlib stream of stored (uncompressed) blocks: enough to exercise tag 80
/// without a deflater in the dev-dependencies.
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    let mut chunks = data.chunks(65535).peekable();
    if chunks.peek().is_none() {
        out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    }
    while let Some(c) = chunks.next() {
        out.push(chunks.peek().is_none() as u8);
        out.extend_from_slice(&(c.len() as u16).to_le_bytes());
        out.extend_from_slice(&(!(c.len() as u16)).to_le_bytes());
        out.extend_from_slice(c);
    }
    out.extend_from_slice(&adler32(data).to_be_bytes());
    out
}

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &d in data {
        a = (a + d as u32) % 65521;
        b = (b + a) % 65521;
    }
    (b << 16) | a
}

#[test]
fn compressed_binary_is_sliced_from_the_inflated_buffer() {
    // term_to_binary(<<0:8/unit:8 ...>>, [compressed]) shape, built by hand.
    let mut inner = vec![109, 0, 0, 0, 100];
    inner.extend(std::iter::repeat_n(0u8, 100));
    let z = zlib_stored(&inner);
    let mut bytes = vec![131, 80];
    bytes.extend_from_slice(&(inner.len() as u32).to_be_bytes());
    bytes.extend_from_slice(&z);
    let t = Decoder::from_bytes(&Bytes::from(bytes)).decode().unwrap();
    assert_eq!(t.as_binary().unwrap().len(), 100);
}

#[test]
fn errors_name_the_offset_and_kind() {
    let cases: &[(&[u8], usize, K)] = &[
        (&[], 0, K::UnexpectedEnd),
        (&[130, 97, 1], 0, K::BadVersion(130)),
        (&[131, 200], 1, K::UnknownTag(200)),
        (&[131, 117], 1, K::UnsupportedTag(117)),
        (&[131, 121], 1, K::UnsupportedTag(121)),
        (&[131, 104, 1, 82, 0], 3, K::NoAtomCache),
        (&[131, 119, 1, 0xff], 1, K::InvalidAtom),
        (&[131, 70, 0x7f, 0xf0, 0, 0, 0, 0, 0, 0], 1, K::InvalidFloat),
        (&[131, 77, 0, 0, 0, 1, 9, 0], 6, K::InvalidBitCount(9)),
        (&[131, 90, 0, 6], 2, K::InvalidRefLength(6)),
        (&[131, 88, 97, 1], 2, K::ExpectedAtom(97)),
        (
            &[131, 116, 0, 0, 0, 2, 97, 1, 97, 1, 97, 1, 97, 2],
            1,
            K::DuplicateMapKey,
        ),
        (&[131, 97, 1, 0], 3, K::TrailingBytes),
        (
            &[131, 113, 119, 1, b'm', 119, 1, b'f', 98, 0, 0, 1, 0],
            8,
            K::InvalidInteger,
        ),
    ];
    for (bytes, offset, kind) in cases {
        let e = decode(bytes).unwrap_err();
        assert_eq!((e.offset(), e.kind()), (*offset, kind), "{bytes:?}");
    }
    let long = {
        let mut v = vec![131, 118, 1, 0];
        v.extend(std::iter::repeat_n(b'a', 256));
        v
    };
    assert_eq!(decode(&long).unwrap_err().kind(), &K::AtomTooLong);
    let limits = DecodeLimits {
        max_size: 4,
        ..DecodeLimits::default()
    };
    assert_eq!(
        Decoder::new(&[131, 97, 1, 0, 0])
            .with_limits(limits)
            .decode()
            .unwrap_err()
            .kind(),
        &K::SizeLimit
    );
}
