%% Distribution benchmark: the BEAM side of `tether-bench dist` (bench/src/dist/).
%%
%% serve/0   registers `sink` and `echo` on this node (the peer that is measured against);
%%           the node halts when its stdin closes.
%% driver/0  reads commands from stdin, one per line, and runs them against a sink/echo
%%           on another node (a BEAM node for BEAM<->BEAM, the Tether node for BEAM->Tether):
%%             small NODE N   N messages {seq, I} one way        -> small VALUE msgs/s
%%             bin NODE N     N messages {seq, I, <<1 KiB>>}      -> bin VALUE msgs/s, bin_bw VALUE MB/s
%%             rtt NODE N     N round trips of {Self, {ping, I}}   -> rtt_p50 / rtt_p99 VALUE us
%%           each command's output ends with a line `end`; a failure prints `error REASON`.
%%
%% The sink protocol (the same on the Tether side):
%%   {expect, From, N}, then {seq, 1} .. {seq, N} (or {seq, I, Bin}), strictly in order;
%%   the sink answers From ! {done, Count, LastSeq} once N arrived in sequence, or
%%   From ! {bad, Last, Msg} on anything out of sequence. A broken path cannot report
%%   a figure: the driver only accepts {done, N, N}.
-module(dist_bench).
-export([serve/0, driver/0, small/2, bin/2, rtt/2]).

-define(TIMEOUT, 120000).

serve() ->
    register(sink, spawn(fun sink/0)),
    register(echo, spawn(fun echo/0)),
    spawn(fun watch_stdin/0),
    io:format("dist_bench serving~n").

%% The node ends with the bench process: its stdin closes then.
watch_stdin() ->
    case io:get_line("") of
        eof -> halt(0);
        {error, _} -> halt(0);
        _ -> watch_stdin()
    end.

sink() ->
    receive
        {expect, From, N} -> sink(From, N, 0);
        _ -> sink()
    end.

sink(From, N, N) ->
    From ! {done, N, N},
    sink();
sink(From, N, Last) ->
    Next = Last + 1,
    receive
        {seq, Next} -> sink(From, N, Next);
        {seq, Next, _} -> sink(From, N, Next);
        Other -> From ! {bad, Last, Other}, sink()
    end.

echo() ->
    receive
        {From, Msg} -> From ! Msg, echo();
        _ -> echo()
    end.

driver() ->
    io:format("dist_bench driver ready~n"),
    driver_loop().

driver_loop() ->
    case io:get_line("") of
        eof ->
            halt(0);
        {error, _} ->
            halt(1);
        Line ->
            case string:lexemes(string:trim(Line), " ") of
                [W, Node, N] ->
                    Fun = list_to_existing_atom(W),
                    try
                        ?MODULE:Fun(list_to_atom(Node), list_to_integer(N))
                    catch
                        C:E -> io:format("error ~p:~p~n", [C, E])
                    end;
                _ ->
                    io:format("error bad_command ~s~n", [string:trim(Line)])
            end,
            io:format("end~n"),
            driver_loop()
    end.

%% Waits for the sink's verdict on N messages.
await_done(N) ->
    receive
        {done, N, N} -> ok;
        {done, C, L} -> error({short_count, C, L});
        {bad, Last, Msg} -> error({out_of_sequence, Last, Msg})
    after ?TIMEOUT -> error(sink_timeout)
    end.

connect(Node) ->
    true = net_kernel:connect_node(Node).

small(Node, N) ->
    connect(Node),
    Sink = {sink, Node},
    Sink ! {expect, self(), N},
    T0 = erlang:monotonic_time(nanosecond),
    send_small(Sink, 1, N),
    await_done(N),
    S = secs(T0),
    io:format("small ~.1f msgs/s~n", [N / S]).

send_small(_, I, N) when I > N -> ok;
send_small(Sink, I, N) ->
    Sink ! {seq, I},
    send_small(Sink, I + 1, N).

bin(Node, N) ->
    connect(Node),
    Sink = {sink, Node},
    Bin = binary:copy(<<7>>, 1024),
    Sink ! {expect, self(), N},
    T0 = erlang:monotonic_time(nanosecond),
    send_bin(Sink, Bin, 1, N),
    await_done(N),
    S = secs(T0),
    io:format("bin ~.1f msgs/s~n", [N / S]),
    io:format("bin_bw ~.1f MB/s~n", [N * 1024 / S / 1.0e6]).

send_bin(_, _, I, N) when I > N -> ok;
send_bin(Sink, Bin, I, N) ->
    Sink ! {seq, I, Bin},
    send_bin(Sink, Bin, I + 1, N).

rtt(Node, N) ->
    connect(Node),
    Echo = {echo, Node},
    Times = lists:sort([one_rtt(Echo, I) || I <- lists:seq(1, N)]),
    io:format("rtt_p50 ~.2f us~n", [pct(Times, N, 0.50) / 1000]),
    io:format("rtt_p99 ~.2f us~n", [pct(Times, N, 0.99) / 1000]).

one_rtt(Echo, I) ->
    T0 = erlang:monotonic_time(nanosecond),
    Echo ! {self(), {ping, I}},
    receive
        {ping, I} -> erlang:monotonic_time(nanosecond) - T0
    after ?TIMEOUT -> error(echo_timeout)
    end.

%% Nearest-rank percentile of a sorted list of N samples.
pct(Sorted, N, P) ->
    lists:nth(max(1, min(N, ceil(P * N))), Sorted).

secs(T0) ->
    (erlang:monotonic_time(nanosecond) - T0) / 1.0e9.
