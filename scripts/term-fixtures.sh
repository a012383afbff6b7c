#!/bin/sh
# Regenerates the ETF test vectors in crates/tether-term/tests/fixtures/ from a real
# Erlang/OTP and Elixir (Debian: apt-get install erlang-nox elixir).
#
#   scripts/term-fixtures.sh
#
# The tests read the committed files, so `cargo test` never needs erl. Re-run this
# after changing the term lists in term-fixtures.exs / term-fixtures.escript and
# commit the result. Output is deterministic except for the parts that name this
# run's own pids, references, ports and funs.
set -eu
cd "$(dirname "$0")/.."
out=crates/tether-term/tests/fixtures
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
elixir scripts/term-fixtures.exs "$tmp/elixir.etf"
escript scripts/term-fixtures.escript "$tmp/elixir.etf" "$out"
