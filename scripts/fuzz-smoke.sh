#!/bin/sh
# Runs each tether-term fuzz target for a bounded time (default 60 s each).
#
#   scripts/fuzz-smoke.sh [SECONDS]
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`) and a nightly toolchain
# (`rustup toolchain install nightly`). Without them it falls back to the stable
# bounded random-input test, which CI always runs as part of `cargo test`.
set -eu
cd "$(dirname "$0")/.."
secs=${1:-60}
if ! command -v cargo-fuzz >/dev/null 2>&1 || ! rustup toolchain list | grep -q nightly; then
    echo "cargo-fuzz or nightly missing: running the stable random-input test instead"
    TETHER_FUZZ_ITERS=1000000 cargo test -p tether-term --release --test robustness random_and_mutated
    exit 0
fi
# Seed the decode corpus with the Erlang-made fixtures, one file per term.
python3 - <<'PY'
import os, struct
data = open("crates/tether-term/tests/fixtures/terms.bin", "rb").read()
pos, i = 8, 0
os.makedirs("fuzz/corpus/decode", exist_ok=True)
while pos < len(data):
    fields = []
    for _ in range(5):
        n = struct.unpack(">I", data[pos:pos + 4])[0]
        fields.append(data[pos + 4:pos + 4 + n])
        pos += 4 + n
    for j, f in enumerate(fields[1:4]):
        if len(f) < 4096:
            open(f"fuzz/corpus/decode/fixture-{i}-{j}", "wb").write(f)
    if len(fields[4]) < 4096:
        os.makedirs("fuzz/corpus/parse", exist_ok=True)
        open(f"fuzz/corpus/parse/fixture-{i}", "wb").write(fields[4])
    i += 1
PY
for target in decode parse; do
    cargo +nightly fuzz run --fuzz-dir fuzz "$target" "fuzz/corpus/$target" -- \
        -max_total_time="$secs" -max_len=4096 -rss_limit_mb=2048 -print_final_stats=1
done
