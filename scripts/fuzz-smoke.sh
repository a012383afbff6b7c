#!/bin/sh
# Runs each fuzz target in fuzz/ for a bounded time (default 60 s each): the ETF
# decoder and the Erlang-syntax parser (tether-term), and the receiving side of a
# distribution connection (tether: frames, the distribution-header parser, control
# messages) and both sides of the distribution handshake; and what the kernel
# services accept from peers (`global`, `pg`, `gen_stage`: seeded from the recorded
# BEAM traffic in fuzz/seeds/, see fuzz/record-seeds.sh; these three share one
# target's time, SECONDS/3 each). EPMD requests and replies (over loopback) and the DNS
# reply parser of cluster discovery have stable random-input tests only (run longer
# here).
#
#   scripts/fuzz-smoke.sh [SECONDS]
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`) and a nightly toolchain
# (`rustup toolchain install nightly`). Without them it falls back to the stable
# bounded random-input tests, which CI always runs (with fewer inputs) as part of
# `cargo test`.
set -eu
cd "$(dirname "$0")/.."
secs=${1:-60}
if ! command -v cargo-fuzz >/dev/null 2>&1 || ! rustup toolchain list | grep -q nightly; then
    echo "cargo-fuzz or nightly missing: running the stable random-input tests instead"
    TETHER_FUZZ_ITERS=1000000 cargo test -p tether-term --release --test robustness random_and_mutated
    TETHER_FUZZ_ITERS=1000000 cargo test -p tether --release --lib framing::robustness
    TETHER_FUZZ_ITERS=200000 cargo test -p tether --release --lib handshake::robustness
    TETHER_FUZZ_ITERS=20000 cargo test -p tether --release --lib epmd::robustness
    TETHER_FUZZ_ITERS=1000000 cargo test -p tether --release --lib cluster::dns::wire
    TETHER_FUZZ_ITERS=50000 cargo test -p tether --release --test kernel_inputs
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

# Frame sequences for dist_frames (Length:16/big, Bytes each): a pass-through
# REG_SEND, the same message twice after distribution headers (the second header
# refers to the atoms the first defined), and the message in two fragments.
def atom(s):
    return bytes([119, len(s)]) + s
def pid(node):
    return bytes([88]) + node + struct.pack(">III", 1, 0, 3)
def frames(*fs):
    return b"".join(struct.pack(">H", len(f)) + f for f in fs)
ctrl = bytes([104, 4, 97, 6]) + pid(atom(b"a@b")) + atom(b"") + atom(b"echo")
plain = bytes([112, 131]) + ctrl + bytes([131]) + atom(b"hi")
# Two references: a@b (new, segment 0, slot 1) and echo (new, slot 2).
defining = bytes([2, 0x88, 0x00, 1, 3]) + b"a@b" + bytes([2, 4]) + b"echo"
using = bytes([2, 0x00, 0x00, 1, 2])
cached = bytes([104, 4, 97, 6]) + pid(bytes([82, 0])) + atom(b"") + bytes([82, 1, 82, 1])
seq = struct.pack(">Q", 7)
first = bytes([131, 69]) + seq + struct.pack(">Q", 2) + defining + cached[:9]
rest = bytes([131, 70]) + seq + struct.pack(">Q", 1) + cached[9:]
os.makedirs("fuzz/corpus/dist_frames", exist_ok=True)
for name, data in [
    ("pass-through", frames(plain)),
    ("headers", frames(bytes([131, 68]) + defining + cached, bytes([131, 68]) + using + cached)),
    ("fragments", frames(first, rest)),
]:
    open(f"fuzz/corpus/dist_frames/seed-{name}", "wb").write(data)
# A send_name (version 6) for the acceptor side of the handshake target.
name = b"seed@host"
send_name = bytes([ord("N")]) + struct.pack(">QIH", 0x3_0100_0d9f_fdf4, 9, len(name)) + name
os.makedirs("fuzz/corpus/handshake", exist_ok=True)
open("fuzz/corpus/handshake/seed-send-name", "wb").write(b"\x00" + struct.pack(">H", len(send_name)) + send_name)
PY
# Recorded real traffic (fuzz/seeds/<target>/, read only) seeds the targets that have
# some: erl's handshake and frames (crates/tether-cli/tests/record_fuzz_seeds.rs), and
# the kernel services' messages (fuzz/record-seeds.sh).
seeds() { if [ -d "fuzz/seeds/$1" ]; then echo "fuzz/seeds/$1"; fi; }
for target in decode parse dist_frames handshake; do
    mkdir -p "fuzz/corpus/$target"
    # shellcheck disable=SC2046 # no seeds dir: no argument
    cargo +nightly fuzz run --fuzz-dir fuzz "$target" "fuzz/corpus/$target" $(seeds "$target") -- \
        -max_total_time="$secs" -max_len=4096 -rss_limit_mb=2048 -print_final_stats=1
done
# The kernel services: a writable corpus, and the recorded seeds (read only).
for target in global pg gen_stage; do
    mkdir -p "fuzz/corpus/$target"
    cargo +nightly fuzz run --fuzz-dir fuzz "$target" "fuzz/corpus/$target" "fuzz/seeds/$target" -- \
        -max_total_time="$(( (secs + 2) / 3 ))" -max_len=4096 -rss_limit_mb=2048 -print_final_stats=1
done
