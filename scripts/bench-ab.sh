#!/usr/bin/env bash
# A/B benchmark of two revisions of Tether in one interleaved run.
#
#   scripts/bench-ab.sh [-n ROUNDS] [-t "1 2"] [-q] [-r] [-b] REV_A REV_B WORKLOAD...
#
#   -n ROUNDS  samples per (workload, threads, revision); default 7
#   -t LIST    thread counts; default "1 2"
#   -q         pass --quick to the workers (small sizes)
#   -r         also run the `tokio` system from B's binary in the same interleaving,
#              as a noise reference (its code is not under test)
#   -b         build only: print the two binaries' paths and exit
#
# Makes a detached worktree of each revision under a temp dir (removed on exit),
# builds `tether-bench` in release in each with its own target dir ($AB_TARGET_A,
# $AB_TARGET_B; default ${TMPDIR:-/tmp}/tether-ab-A and ${TMPDIR:-/tmp}/tether-ab-B, kept and reused;
# the binary is kept there as tether-bench-REV and not rebuilt when present),
# then for every (workload, threads) runs `tether-bench --worker tether W T` from the
# A and B binaries alternately (A B [tokio] A B [tokio] ...), one process per sample.
# Prints the `uptime` load before and after, and a Markdown table per reported
# figure: median A, median B, (min–max), ratio B/A. Every figure is a cost, so a
# ratio above 1 means B is slower. Any worker failure (non-zero exit: the workers
# check their own results; timeout; no figures) aborts the run with its output.
set -euo pipefail

rounds=7 threads="1 2" quick= ref= build_only=
while getopts n:t:qrb opt; do
    case $opt in
        n) rounds=$OPTARG ;;
        t) threads=$OPTARG ;;
        q) quick=--quick ;;
        r) ref=1 ;;
        b) build_only=1 ;;
        *) sed -n '2,12p' "$0" >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
if [ $# -lt 2 ] || { [ $# -lt 3 ] && [ -z "$build_only" ]; }; then
    sed -n '2,12p' "$0" >&2; exit 2
fi
rev_a=$(git rev-parse --verify "$1^{commit}") rev_b=$(git rev-parse --verify "$2^{commit}")
shift 2
workloads=("$@")

tmp=$(mktemp -d /tmp/bench-ab.XXXXXX)
cleanup() {
    for s in A B; do git worktree remove --force "$tmp/$s" 2>/dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT

build() { # build SIDE REV TARGET_DIR: leaves the binary in TARGET_DIR/tether-bench-REV
    if [ ! -x "$3/tether-bench-$2" ]; then
        git worktree add --quiet --detach "$tmp/$1" "$2"
        echo "== building $1 = $2 in $3" >&2
        (cd "$tmp/$1" && CARGO_TARGET_DIR=$3 cargo build --quiet --release -p tether-bench)
        cp "$3/release/tether-bench" "$3/tether-bench-$2"
    fi
    cp "$3/tether-bench-$2" "$tmp/bench-$1"
    [ -z "$build_only" ] || echo "$1 $2 $3/tether-bench-$2"
}
build A "$rev_a" "${AB_TARGET_A:-${TMPDIR:-/tmp}/tether-ab-A}"
build B "$rev_b" "${AB_TARGET_B:-${TMPDIR:-/tmp}/tether-ab-B}"
[ -z "$build_only" ] || exit 0

samples=$tmp/samples # lines: SIDE WORKLOAD THREADS KEY VALUE UNIT
: >"$samples"
sample() { # sample SIDE BINARY SYSTEM WORKLOAD THREADS
    local out
    if ! out=$(timeout 600 "$2" --worker "$3" "$4" "$5" $quick 2>"$tmp/stderr"); then
        echo >&2; echo "FAILED: $1 --worker $3 $4 $5 $quick" >&2
        printf '%s\n' "$out" >&2; cat "$tmp/stderr" >&2
        exit 1
    fi
    if ! grep -qE '^[a-z_]+ [0-9.eE+-]+ ' <<<"$out"; then
        echo >&2; echo "FAILED: no figures from $1 --worker $3 $4 $5: $out" >&2; exit 1
    fi
    awk -v s="$1" -v w="$4" -v t="$5" 'NF >= 2 { print s, w, t, $1, $2, $3 }' <<<"$out" >>"$samples"
    printf ' %s:%s' "$1" "$(awk '{ printf "%s%s=%s", sep, $1, $2; sep = "," }' <<<"$out")" >&2
}

echo "A = $rev_a"
echo "B = $rev_b"
echo "rounds = $rounds, threads = $threads, sizes = ${quick:-full}"
echo "load before: $(uptime)"
for w in "${workloads[@]}"; do
    for t in $threads; do
        for ((r = 1; r <= rounds; r++)); do
            printf '%s t%s round %d/%d' "$w" "$t" "$r" "$rounds" >&2
            sample A "$tmp/bench-A" tether "$w" "$t"
            sample B "$tmp/bench-B" tether "$w" "$t"
            [ -n "$ref" ] && sample tokio "$tmp/bench-B" tokio "$w" "$t"
            echo >&2
        done
    done
done
echo "load after:  $(uptime)"

stat() { # stat SIDE WORKLOAD THREADS KEY -> "median min max"
    awk -v s="$1" -v w="$2" -v t="$3" -v k="$4" '$1 == s && $2 == w && $3 == t && $4 == k { print $5 }' \
        "$samples" | sort -g | awk '{ v[NR] = $1 } END {
            if (NR == 0) { print "- - -"; exit }
            m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
            print m, v[1], v[NR] }'
}
echo
echo "| workload | threads | figure | median A | median B | A (min–max) | B (min–max) | B/A |${ref:+ tokio (B) median (min–max) |}"
echo "|---|---|---|---|---|---|---|---|${ref:+---|}"
awk '$1 == "A" { print $2, $3, $4, $6 }' "$samples" | awk '!seen[$0]++' | while read -r w t k unit; do
    read -r ma mina maxa < <(stat A "$w" "$t" "$k")
    read -r mb minb maxb < <(stat B "$w" "$t" "$k")
    row=$(awk -v ma="$ma" -v mb="$mb" -v a1="$mina" -v a2="$maxa" -v b1="$minb" -v b2="$maxb" -v u="$unit" \
        'BEGIN { printf "%.4g %s | %.4g %s | %.4g–%.4g | %.4g–%.4g | %s", ma, u, mb, u, a1, a2, b1, b2,
                 (ma > 0 ? sprintf("%.3f", mb / ma) : "-") }')
    if [ -n "$ref" ]; then
        read -r mr minr maxr < <(stat tokio "$w" "$t" "$k")
        row+=$(awk -v m="$mr" -v lo="$minr" -v hi="$maxr" -v u="$unit" \
            'BEGIN { if (m == "-") printf " | -"; else printf " | %.4g %s (%.4g–%.4g)", m, u, lo, hi }')
    fi
    echo "| $w | $t | $k | $row |"
done
