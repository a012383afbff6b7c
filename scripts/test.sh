#!/usr/bin/env bash
# Runs the whole test suite, interop tests included. Installs Erlang/OTP and Elixir
# (Debian packages erlang-nox and elixir) when `erl` or `elixir` is missing: the
# interop tests fail, never skip, without them.
set -euo pipefail
if ! command -v erl >/dev/null || ! command -v elixir >/dev/null; then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y erlang-nox elixir
fi
cargo test --workspace "$@"
