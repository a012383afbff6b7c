%% Skynet: 1 M leaves, fan-out 10. Check: the sum.
-module(tb_skynet).
-export([main/1]).

main(Quick) ->
    Leaves = tb:size(Quick, 1000000, 100000),
    Me = self(),
    T0 = tb:now_ns(),
    spawn(fun() -> sky(Me, 0, Leaves) end),
    receive Sum -> ok end,
    Ms = (tb:now_ns() - T0) / 1.0e6,
    Sum = Leaves * (Leaves - 1) div 2,
    tb:report("ms_total", Ms, "ms").

sky(Parent, Num, 1) -> Parent ! Num;
sky(Parent, Num, Size) ->
    Me = self(),
    Sub = Size div 10,
    [spawn(fun() -> sky(Me, Num + I * Sub, Sub) end) || I <- lists:seq(0, 9)],
    Parent ! collect(10, 0).

collect(0, Sum) -> Sum;
collect(K, Sum) -> receive V -> collect(K - 1, Sum + V) end.
