#!/bin/sh
# Records real BEAM traffic as seeds for the kernel-service fuzz targets: the messages
# a BEAM node's global (its lock protocol also apart, for global_locker), pg, GenStage
# (Elixir's GenStage 1.3.2, the copy the interop tests use), rpc (to rex) and net_adm
# (to net_kernel) send to a peer node, into
# fuzz/seeds/{global,global_locker,pg,gen_stage,rex,net_kernel}/. Needs erl
# (OTP 25+, for :peer) and elixir; uses the EPMD on this host (erl starts one if none
# listens, and leaves it running, as any `erl -sname` does).
#
#   fuzz/record-seeds.sh
set -eu
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/ebin" "$tmp/seeds"
elixirc -o "$tmp/ebin" crates/tether-cli/tests/support/gen_stage/lib >/dev/null
elixir --sname "seeds_a_$$" --cookie seeds fuzz/record_seeds.exs "$tmp/seeds" "$tmp/ebin"
for t in global global_locker pg gen_stage rex net_kernel; do
    # Replace the recorded seeds (16 hex digits); keep the inputs kept from long fuzz
    # runs (cmin-*).
    mkdir -p "fuzz/seeds/$t"
    find "fuzz/seeds/$t" -type f -name '????????????????' -delete
    # Keep distinct messages only, named by content.
    for f in "$tmp/seeds/$t"/*; do
        cp "$f" "fuzz/seeds/$t/$(sha1sum "$f" | cut -c1-16)"
    done
    echo "$t: $(ls "fuzz/seeds/$t" | wc -l) seeds"
done
