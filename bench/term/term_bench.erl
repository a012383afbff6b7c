%% The BEAM side of bench/term: times term_to_binary/1 and binary_to_term/1 on the
%% terms the Rust harness sends, so that both sides measure the same terms in one run.
%%
%% Protocol, one line each way, on stdin/stdout:
%%   load NAME HEX        -> ok            (HEX = term_to_binary bytes of the term)
%%   run NAME enc|dec N   -> NANOSECONDS   (time for N iterations)
%%   quit
-module(term_bench).
-export([main/0]).

main() ->
    loop(#{}).

loop(Terms) ->
    case io:get_line("") of
        eof -> halt(0);
        Line ->
            case string:lexemes(string:trim(Line), " ") of
                ["load", Name, Hex] ->
                    T = binary_to_term(binary:decode_hex(list_to_binary(Hex))),
                    io:format("ok~n"),
                    loop(Terms#{Name => {T, term_to_binary(T)}});
                ["run", Name, Op, N] ->
                    {T, B} = maps:get(Name, Terms),
                    Iters = list_to_integer(N),
                    garbage_collect(),
                    Start = erlang:monotonic_time(nanosecond),
                    _ = case Op of
                        "enc" -> enc(T, Iters);
                        "dec" -> dec(B, Iters)
                    end,
                    End = erlang:monotonic_time(nanosecond),
                    io:format("~b~n", [End - Start]),
                    loop(Terms);
                ["quit"] -> halt(0)
            end
    end.

%% The accumulator keeps the compiler from dropping the (pure) call.
enc(T, N) -> enc(T, N, 0).

enc(_, 0, Acc) -> Acc;
enc(T, N, Acc) ->
    B = term_to_binary(T),
    enc(T, N - 1, Acc + byte_size(B)).

%% binary_to_term/1 may fail, so the compiler keeps the call.
dec(_, 0) -> ok;
dec(B, N) ->
    _ = binary_to_term(B),
    dec(B, N - 1).
