#!/usr/bin/env bash
# The test command of README.md: installs what the tests need, then runs them all.
#
#   bash scripts/test.sh
#
# The interop tests start real Erlang/OTP and Elixir nodes. When `erl` or `elixir` is
# missing this installs Debian's erlang-nox and elixir packages (needs root, as on CI
# machines); the tests never skip silently.
set -euo pipefail
cd "$(dirname "$0")/.."

need_install=0
command -v erl >/dev/null 2>&1 || need_install=1
command -v elixir >/dev/null 2>&1 || need_install=1
if [ "$need_install" = 1 ]; then
    echo "== installing erlang-nox and elixir (Debian packages)"
    if [ "$(id -u)" != 0 ]; then
        echo "error: erl/elixir missing and not root; install erlang-nox and elixir" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq || true
    apt-get install -y -qq erlang-nox elixir >/dev/null
fi
# The partition test puts nodes in network namespaces: it needs iproute2 (and root).
if ! command -v ip >/dev/null 2>&1; then
    echo "== installing iproute2 (Debian package)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq iproute2 >/dev/null || { apt-get update -qq && apt-get install -y -qq iproute2 >/dev/null; }
fi
echo "== $(erl -noshell -eval 'io:format("OTP ~s", [erlang:system_info(otp_release)]), halt().') / $(elixir --version | tail -1)"

# Erlang's etop, for the test that watches a Tether node with it, is in Debian's
# erlang-observer, which depends on wxWidgets and a desktop's worth of libraries that
# etop's text mode does not use: fetch that one .deb and unpack it under target/.
if ! erl -noshell -eval 'halt(case code:which(etop) of non_existing -> 1; _ -> 0 end).' \
    && ! ls -d target/erlang-observer/usr/lib/erlang/lib/observer-*/ebin >/dev/null 2>&1; then
    echo "== fetching Debian's erlang-observer package for etop (unpacked under target/, not installed)"
    mkdir -p target/erlang-observer
    (cd target/erlang-observer && { apt-get download erlang-observer >/dev/null 2>&1 \
        || { apt-get update -qq && apt-get download erlang-observer >/dev/null; }; } \
        && dpkg-deb -x erlang-observer_*.deb .)
fi

echo "== cargo test (unit, behaviour, interop and doc tests)"
cargo test --workspace --all-targets
cargo test --workspace --doc
