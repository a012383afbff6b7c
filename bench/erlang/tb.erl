%% Helpers shared by the tb_* workloads: output lines, timing, /proc memory.
-module(tb).
-export([report/3, now_ns/0, rss/0, peak_rss/0, size/3]).

%% One `KEY VALUE UNIT` line, as the harness expects.
report(Key, Value, Unit) ->
    io:format("~s ~.3f ~s~n", [Key, float(Value), Unit]).

now_ns() -> erlang:monotonic_time(nanosecond).

size(true, _Full, Quick) -> Quick;
size(false, Full, _Quick) -> Full.

status_kb(Field) ->
    {ok, Bin} = file:read_file("/proc/self/status"),
    [Line] = [L || L <- binary:split(Bin, <<"\n">>, [global]),
                   binary:longest_common_prefix([L, Field]) =:= byte_size(Field)],
    [_, Kb | _] = binary:split(Line, [<<" ">>, <<"\t">>], [global, trim_all]),
    binary_to_integer(Kb).

%% Resident set size now / at peak, in bytes.
rss() -> status_kb(<<"VmRSS:">>) * 1024.
peak_rss() -> status_kb(<<"VmHWM:">>) * 1024.
