#!/bin/sh
# Runs each fuzz target in fuzz/ for a bounded time, 6 x SECONDS (default 60) in all.
# The seven parser targets share 4 x SECONDS (4 x SECONDS / 7 each): the ETF decoder
# and the Erlang-syntax parser (tether-term); the receiving side of a distribution
# connection (tether: frames, the distribution-header parser, control messages) and
# both sides of the distribution handshake; both sides of EPMD (`epmd_server`: one
# client connection to the server's per-connection code; `epmd_client`: the client's
# reading of a reply; seeded from erl and epmd traffic recorded by
# fuzz/record-epmd-seeds.sh); and the DNS reply parser of cluster discovery
# (`dns_reply`, seeded by fuzz/make-dns-seeds.py). The kernel services (`global`,
# `global_locker`, `pg`, `gen_stage`, `rex`, `net_kernel`: seeded from the recorded
# BEAM traffic in fuzz/seeds/, see fuzz/record-seeds.sh) share 2 x SECONDS,
# SECONDS/3 each.
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
# The runtime's default logger writes a warning per refused input (a failed handshake,
# a dropped message): errors only, or the log outgrows the run.
export RUST_LOG="${RUST_LOG:-error}"
if ! command -v cargo-fuzz >/dev/null 2>&1 || ! rustup toolchain list | grep -q nightly; then
    echo "cargo-fuzz or nightly missing: running the stable random-input tests instead"
    TETHER_FUZZ_ITERS=1000000 cargo test -p tether-term --release --test robustness random_and_mutated
    TETHER_FUZZ_ITERS=1000000 cargo test -p tether --release --lib framing::robustness
    TETHER_FUZZ_ITERS=200000 cargo test -p tether --release --lib handshake::robustness
    # EPMD (over loopback TCP, both sides) and the DNS reply parser: the stand-ins of
    # epmd_server, epmd_client and dns_reply.
    TETHER_FUZZ_ITERS=20000 cargo test -p tether --release --lib epmd::robustness
    TETHER_FUZZ_ITERS=1000000 cargo test -p tether --release --lib cluster::dns::wire
    TETHER_FUZZ_ITERS=50000 cargo test -p tether --release --test kernel_inputs
    exit 0
fi
# The generated seeds (fuzz/make-seeds.py; decode's and parse's are also committed in
# fuzz/seeds/) start each writable corpus.
python3 fuzz/make-seeds.py fuzz/corpus
# Recorded real traffic (fuzz/seeds/<target>/, read only) seeds the targets that have
# some: erl's handshake and frames (crates/tether-cli/tests/record_fuzz_seeds.rs),
# the kernel services' messages (fuzz/record-seeds.sh), and erl's and epmd's EPMD
# traffic (fuzz/record-epmd-seeds.sh); the DNS replies are generated
# (fuzz/make-dns-seeds.py).
seeds() { if [ -d "fuzz/seeds/$1" ]; then echo "fuzz/seeds/$1"; fi; }
# The parsers: seven targets in four targets' time.
for target in decode parse dist_frames handshake epmd_server epmd_client dns_reply; do
    mkdir -p "fuzz/corpus/$target"
    # shellcheck disable=SC2046 # no seeds dir: no argument
    cargo +nightly fuzz run --fuzz-dir fuzz "$target" "fuzz/corpus/$target" $(seeds "$target") -- \
        -max_total_time="$(( (4 * secs + 6) / 7 ))" -max_len=4096 -rss_limit_mb=2048 -print_final_stats=1
done
# The kernel services: a writable corpus, and the recorded seeds (read only).
for target in global global_locker pg gen_stage rex net_kernel; do
    mkdir -p "fuzz/corpus/$target"
    cargo +nightly fuzz run --fuzz-dir fuzz "$target" "fuzz/corpus/$target" "fuzz/seeds/$target" -- \
        -max_total_time="$(( (secs + 2) / 3 ))" -max_len=4096 -rss_limit_mb=2048 -print_final_stats=1
done
