#!/usr/bin/env bash
# The test command of README.md: installs what the tests need, then runs them all.
#
#   bash scripts/test.sh
#
# The interop tests start real Erlang/OTP and Elixir nodes, the observer's browser
# test (crates/tether-cli/tests/observer_browser.rs) a headless Chromium, and the
# cluster tests (crates/tether-cli/tests/netns_partition.rs) put nodes in network
# namespaces. When `erl`, `elixir`, `chromium`, `chromedriver` or `ip` is missing this
# installs Debian's erlang-nox, elixir, chromium, chromium-driver and iproute2 packages
# (needs root, as on CI machines); the tests never skip silently.
set -euo pipefail
cd "$(dirname "$0")/.."

# command → the Debian package that provides it
missing=()
for pair in erl:erlang-nox elixir:elixir chromium:chromium chromedriver:chromium-driver ip:iproute2; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair##*:}")
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "== installing ${missing[*]} (Debian packages)"
    if [ "$(id -u)" != 0 ]; then
        echo "error: ${missing[*]} missing and not root; install them with apt-get" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq || true
    apt-get install -y -qq "${missing[@]}" >/dev/null
fi
echo "== $(erl -noshell -eval 'io:format("OTP ~s", [erlang:system_info(otp_release)]), halt().') / $(elixir --version | tail -1) / $(chromium --version 2>/dev/null)"

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

# The Kubernetes manifests of deploy/k8s, against the Kubernetes API schemas
# (PyPI's kubernetes-validate bundles them; no cluster needed).
if ! python3 -m kubernetes_validate --version >/dev/null 2>&1; then
    echo "== installing kubernetes-validate (PyPI)"
    python3 -m pip install -q kubernetes-validate
fi
echo "== deploy/k8s manifests against the Kubernetes $(python3 -m kubernetes_validate --version) schemas"
python3 -m kubernetes_validate --strict --quiet deploy/k8s/*.yaml

# The guide (docs/guide, mdBook). mdBook is not a Debian package: install it with cargo
# when it is missing (default features off: no live-reload server, which `build` does not
# need). Its Rust snippets are doc tests of the tether crate (src/guide_doctests.rs), run
# with the other doc tests below; this builds the book's HTML into target/guide.
if ! command -v mdbook >/dev/null 2>&1; then
    echo "== installing mdbook 0.5.4 (cargo install --locked --no-default-features; a few minutes)"
    cargo install mdbook --version 0.5.4 --locked --no-default-features --quiet
fi
echo "== mdbook build docs/guide ($(mdbook --version))"
mdbook build docs/guide   # into target/guide (book.toml's build-dir)

echo "== cargo test (unit, behaviour, interop and doc tests)"
cargo test --workspace --all-targets
cargo test --workspace --doc
