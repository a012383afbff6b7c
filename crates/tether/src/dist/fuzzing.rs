//! What the stable-toolchain robustness tests share: a small deterministic PRNG and a
//! byte mutator, the stand-ins for libFuzzer's in `fuzz/`.

/// xorshift64*: reproducible runs from a fixed seed.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// One to five byte-level mutations of `input`: bit flips, insertions, deletions,
/// truncation, and bytes from `interesting` (tags and lengths that mean something to
/// the parser under test).
pub(crate) fn mutate(rng: &mut Rng, input: &[u8], interesting: &[u8]) -> Vec<u8> {
    let mut v = input.to_vec();
    for _ in 0..1 + rng.below(5) {
        if v.is_empty() {
            break;
        }
        let at = rng.below(v.len());
        match rng.below(5) {
            0 => v[at] ^= 1 << rng.below(8),
            1 => v.insert(at, rng.next() as u8),
            2 => {
                v.remove(at);
            }
            3 => v[at] = interesting[rng.below(interesting.len())],
            _ => v.truncate(at),
        }
    }
    v
}

/// How many inputs a robustness test runs: `TETHER_FUZZ_ITERS`, or `default`.
pub(crate) fn iterations(default: usize) -> usize {
    std::env::var("TETHER_FUZZ_ITERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}
