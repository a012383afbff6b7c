%% Ping-pong: the driver and one process bounce a counter 1 M times.
%% Check: every reply carries the value sent.
-module(tb_pingpong).
-export([main/1]).

main(Quick) ->
    Rounds = tb:size(Quick, 1000000, 100000),
    Me = self(),
    Ponger = spawn(fun() -> pong(Me) end),
    T0 = tb:now_ns(),
    ping(Ponger, Rounds - 1),
    tb:report("ns_per_roundtrip", (tb:now_ns() - T0) / Rounds, "ns").

ping(P, I) ->
    P ! I,
    receive I -> ok end,
    case I of
        0 -> ok;
        _ -> ping(P, I - 1)
    end.

pong(To) ->
    receive N -> To ! N, pong(To) end.
