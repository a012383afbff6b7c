#!/bin/sh
# Records real EPMD traffic as seeds for the epmd_server and epmd_client fuzz targets:
# Debian's epmd (started here on a port of its own, so a running EPMD is left alone)
# behind a recording proxy (fuzz/epmd_proxy.py), and real erl nodes and the epmd
# command talking to it: `erl -sname` registering (ALIVE2_REQ / ALIVE2_X_RESP), a
# second node refused the same name, `net_adm:names/1` (NAMES_REQ),
# `erl_epmd:port_please/2` for a registered and an unknown name (PORT_PLEASE2_REQ /
# PORT2_RESP), `epmd -names`, `epmd -dump` (DUMP_REQ), `epmd -stop` (STOP_REQ) and
# `epmd -kill` (KILL_REQ). Writes fuzz/seeds/epmd_server/ (what the client sent on
# one connection) and fuzz/seeds/epmd_client/ (a selector byte, 0 register,
# 1 port_please, 2 names, then what epmd answered), each file named by content; the
# cmin-* files kept from fuzz runs stay. Needs erl (OTP 23+) and python3.
#
#   fuzz/record-epmd-seeds.sh [EPMD_PORT [PROXY_PORT]]
set -eu
cd "$(dirname "$0")/.."
epmd_port=${1:-4491}
proxy_port=${2:-4492}
tmp=$(mktemp -d)
epmd_pid=
proxy_pid=
node_pid=
cleanup() {
    for p in $node_pid $proxy_pid $epmd_pid; do kill "$p" 2>/dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT
epmd -port "$epmd_port" -relaxed_command_check &
epmd_pid=$!
python3 fuzz/epmd_proxy.py "$proxy_port" "$epmd_port" "$tmp" &
proxy_pid=$!
sleep 1
export ERL_EPMD_PORT="$proxy_port"
# Node x registers and stays up while the others ask about it.
erl -sname x -setcookie seeds -noshell -eval 'timer:sleep(15000), halt().' &
node_pid=$!
sleep 3
# The same name again: epmd refuses it (the node fails to start, as expected).
erl -sname x -setcookie seeds -noshell -eval 'halt().' >/dev/null 2>&1 || true
# erl's names call answers {error,address} here: it checks the port EPMD announces
# against the one it dialled (the proxy's); the bytes recorded are still epmd's.
erl -noshell -eval '
    io:format("names: ~p~n", [net_adm:names("localhost")]),
    io:format("x: ~p~n", [erl_epmd:port_please("x", "localhost")]),
    io:format("nobody: ~p~n", [erl_epmd:port_please("nobody", "localhost")]),
    halt().'
epmd -port "$proxy_port" -names
epmd -port "$proxy_port" -dump || true
epmd -port "$proxy_port" -stop x || true
kill "$node_pid" 2>/dev/null || true
wait "$node_pid" 2>/dev/null || true
node_pid=
sleep 1
epmd -port "$proxy_port" -kill || true
sleep 1
for t in epmd_server epmd_client; do
    mkdir -p "fuzz/seeds/$t"
    find "fuzz/seeds/$t" -type f -name '????????????????' -delete
    cp "$tmp/$t"/* "fuzz/seeds/$t/"
    echo "$t: $(find "fuzz/seeds/$t" -type f | wc -l) seeds"
done
