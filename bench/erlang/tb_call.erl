%% gen_server:call round trip against a counter that replies with its running total.
%% Check: every reply is the running total.
-module(tb_call).
-behaviour(gen_server).
-export([main/1, init/1, handle_call/3, handle_cast/2]).

main(Quick) ->
    Calls = tb:size(Quick, 500000, 50000),
    {ok, S} = gen_server:start(?MODULE, 0, []),
    Warm = Calls div 10,
    loop(S, 1, Warm),
    T0 = tb:now_ns(),
    loop(S, Warm + 1, Warm + Calls),
    tb:report("ns_per_call", (tb:now_ns() - T0) / Calls, "ns").

loop(_, I, Last) when I > Last -> ok;
loop(S, I, Last) ->
    I = gen_server:call(S, 1),
    loop(S, I + 1, Last).

init(N) -> {ok, N}.
handle_call(K, _From, N) -> {reply, N + K, N + K}.
handle_cast(_, N) -> {noreply, N}.
