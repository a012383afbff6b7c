%% GenStage pipeline on the BEAM, with Elixir's GenStage (compiled by the harness
%% from the copy vendored for the interop tests): a producer counts 0, 1, 2, ... as
%% far as it is asked, a producer_consumer adds one to each event, a consumer counts
%% and sums; both subscriptions use max_demand 1000. This module is the callback
%% module of all three stages (the state says which). Check: count N, sum N(N+1)/2.
-module(tb_gen_stage).
-export([main/1, init/1, handle_demand/2, handle_events/3]).

main(Quick) ->
    N = case Quick of true -> 200000; false -> 10000000 end,
    {ok, P} = 'Elixir.GenStage':start_link(?MODULE, {producer, N}),
    {ok, PC} = 'Elixir.GenStage':start_link(?MODULE, add_one),
    {ok, C} = 'Elixir.GenStage':start_link(?MODULE, {consumer, self(), N}),
    T0 = erlang:monotonic_time(nanosecond),
    {ok, _} = 'Elixir.GenStage':sync_subscribe(C, [{to, PC}, {max_demand, 1000}]),
    {ok, _} = 'Elixir.GenStage':sync_subscribe(PC, [{to, P}, {max_demand, 1000}]),
    receive {done, Count, Sum} -> ok end,
    T1 = erlang:monotonic_time(nanosecond),
    {N, Expected} = {Count, N * (N + 1) div 2},
    Expected = Sum,
    io:format("ns_per_event ~p ns~n", [(T1 - T0) / N]).

init({producer, N}) -> {producer, {0, N}};
init(add_one) -> {producer_consumer, add_one};
init({consumer, To, N}) -> {consumer, {To, N, 0, 0}}.

handle_demand(Demand, {Next, End}) ->
    To = min(End, Next + Demand),
    {noreply, lists:seq(Next, To - 1), {To, End}}.

handle_events(Events, _From, add_one) ->
    {noreply, [E + 1 || E <- Events], add_one};
handle_events(Events, _From, {To, N, Count0, Sum0}) ->
    Count = Count0 + length(Events),
    Sum = Sum0 + lists:sum(Events),
    case Count >= N of
        true -> To ! {done, Count, Sum};
        false -> ok
    end,
    {noreply, [], {To, N, Count, Sum}}.
