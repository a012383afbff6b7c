%% Supervisor restart storm: a one_for_one supervisor (intensity 1 000 000 000 per
%% second) restarts a child that exits at once, until N restarts. Check: the count,
%% and that the supervisor is still alive.
-module(tb_restart).
-behaviour(supervisor).
-export([main/1, init/1, start_child/1]).

main(Quick) ->
    logger:set_primary_config(level, none),
    N = tb:size(Quick, 20000, 2000),
    Starts = counters:new(1, []),
    T0 = tb:now_ns(),
    {ok, Sup} = supervisor:start_link(?MODULE, Starts),
    wait(Starts, N + 1),
    Us = (tb:now_ns() - T0) / 1000 / N,
    true = is_process_alive(Sup),
    unlink(Sup),
    exit(Sup, kill),
    tb:report("us_per_restart", Us, "us").

init(Starts) ->
    {ok, {#{strategy => one_for_one, intensity => 1000000000, period => 1},
          [#{id => crasher, start => {?MODULE, start_child, [Starts]}}]}}.

start_child(Starts) ->
    counters:add(Starts, 1, 1),
    {ok, spawn_link(fun() -> exit(crash) end)}.

wait(C, N) ->
    case counters:get(C, 1) >= N of
        true -> ok;
        false -> timer:sleep(1), wait(C, N)
    end.
