%% Fan-in: 100 senders × 100 k messages to one receiver that counts and sums them.
%% Check: count and sum.
-module(tb_fanin).
-export([main/1]).

-define(SENDERS, 100).

main(Quick) ->
    Per = tb:size(Quick, 100000, 10000),
    Total = ?SENDERS * Per,
    Me = self(),
    Sink = spawn(fun() -> sink(Me, Total, 0, 0) end),
    T0 = tb:now_ns(),
    [spawn(fun() -> send(Sink, 0, Per) end) || _ <- lists:seq(1, ?SENDERS)],
    receive {Count, Sum} -> ok end,
    Ns = (tb:now_ns() - T0) / Count,
    Total = Count,
    Sum = ?SENDERS * (Per * (Per - 1) div 2),
    tb:report("ns_per_msg", Ns, "ns").

send(_, Per, Per) -> ok;
send(Sink, I, Per) -> Sink ! I, send(Sink, I + 1, Per).

sink(To, Total, Total, Sum) -> To ! {Total, Sum};
sink(To, Total, Count, Sum) ->
    receive V -> sink(To, Total, Count + 1, Sum + V) end.
