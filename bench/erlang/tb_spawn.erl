%% Spawn 1 M idle processes: ns per spawn, bytes per idle process (RSS growth less the
%% list of pids), peak RSS. Check: every process started and every one ended.
-module(tb_spawn).
-export([main/1]).

main(Quick) ->
    N = tb:size(Quick, 1000000, 100000),
    Started = counters:new(2, [write_concurrency]),
    Before = tb:rss(),
    T0 = tb:now_ns(),
    Pids = spawn_all(N, Started, []),
    SpawnNs = (tb:now_ns() - T0) / N,
    wait(Started, 1, N),
    timer:sleep(200),
    After = tb:rss(),
    ListBytes = N * 2 * erlang:system_info(wordsize),
    PerProc = max(0, After - Before - ListBytes) / N,
    Peak = tb:peak_rss(),
    [P ! stop || P <- Pids],
    wait(Started, 2, N),
    tb:report("ns_per_spawn", SpawnNs, "ns"),
    tb:report("bytes_per_process", PerProc, "B"),
    tb:report("peak_rss_mb", Peak / 1.0e6, "MB").

spawn_all(0, _, Acc) -> Acc;
spawn_all(K, C, Acc) ->
    P = spawn(fun() ->
                  counters:add(C, 1, 1),
                  receive stop -> counters:add(C, 2, 1) end
              end),
    spawn_all(K - 1, C, [P | Acc]).

wait(C, Ix, N) ->
    case counters:get(C, Ix) of
        N -> ok;
        _ -> timer:sleep(5), wait(C, Ix, N)
    end.
