%% Ring of 10 k processes, 1 M hops; each node adds one and forwards, the last hands
%% the token back to the driver, which starts the next lap. Check: hop count.
-module(tb_ring).
-export([main/1]).

main(Quick) ->
    {N, Hops} = tb:size(Quick, {10000, 1000000}, {1000, 100000}),
    0 = Hops rem N,
    First = build(N, self()),
    T0 = tb:now_ns(),
    First ! 0,
    Hop = drive(First, Hops),
    Ns = (tb:now_ns() - T0) / Hop,
    Hops = Hop,
    tb:report("ns_per_hop", Ns, "ns").

build(0, Next) -> Next;
build(K, Next) -> build(K - 1, spawn(fun() -> hop(Next) end)).

hop(Next) ->
    receive H -> Next ! H + 1, hop(Next) end.

drive(First, Hops) ->
    receive
        H when H < Hops -> First ! H, drive(First, Hops);
        H -> H
    end.
