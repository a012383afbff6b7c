#!/usr/bin/env escript
%% Erlang half of the fixture generator (see term-fixtures.sh).
%%
%% Writes, for a few hundred terms T (Erlang-made ones, seeded random ones, and the
%% Elixir-made ones read from the file given):
%%   terms.bin  "TTFX", Count:32, then per term five length-prefixed fields
%%              (Len:32, Bytes): name, term_to_binary(T, [{minor_version, 2}]),
%%              term_to_binary(T), term_to_binary(T, [compressed]),
%%              io_lib:format("~tw", [T]) as UTF-8
%%   order.bin  Count*Count bytes: for terms A (row) and B (column),
%%              (0 if A < B, 1 if A == B, 2 if A > B) + (4 if A =:= B)
%%   sorted.bin Count indices (32 bits each): lists:sort/1 of the terms
-mode(compile).

main([ElixirFile, OutDir]) ->
    {ok, EBin} = file:read_file(ElixirFile),
    ElixirTerms = binary_to_term(EBin),
    rand:seed(exsss, {20, 26, 4}),
    Random = [{"random " ++ integer_to_list(I), rand_term(3)} || I <- lists:seq(1, 200)],
    Named = erlang_terms() ++ Random ++ ElixirTerms,
    Terms = [T || {_, T} <- Named],
    Records = [record(Name, T) || {Name, T} <- Named],
    ok = file:write_file(filename:join(OutDir, "terms.bin"),
                         [<<"TTFX", (length(Named)):32>> | Records]),
    Order = [<<(cmp(A, B))>> || A <- Terms, B <- Terms],
    ok = file:write_file(filename:join(OutDir, "order.bin"), Order),
    Indexed = lists:zip(Terms, lists:seq(0, length(Terms) - 1)),
    Sorted = lists:sort(fun({A, _}, {B, _}) -> A =< B end, Indexed),
    ok = file:write_file(filename:join(OutDir, "sorted.bin"), [<<I:32>> || {_, I} <- Sorted]),
    io:format("wrote ~p terms to ~s~n", [length(Named), OutDir]).

field(B) -> [<<(byte_size(B)):32>>, B].

record(Name, T) ->
    Text = unicode:characters_to_binary(io_lib:format("~tw", [T])),
    [field(unicode:characters_to_binary(Name)),
     field(term_to_binary(T, [{minor_version, 2}])),
     field(term_to_binary(T)),
     field(term_to_binary(T, [compressed])),
     field(Text)].

cmp(A, B) ->
    C = if A < B -> 0; A == B -> 1; true -> 2 end,
    E = case A =:= B of true -> 4; false -> 0 end,
    C + E.

atom_ext(A) ->
    B = atom_to_binary(A, utf8),
    <<119, (byte_size(B)), B/binary>>.

pid(Node, Id, Serial, Creation) ->
    binary_to_term(<<131, 88, (atom_ext(Node))/binary, Id:32, Serial:32, Creation:32>>).

ref(Node, Creation, Words) ->
    Ws = << <<W:32>> || W <- Words >>,
    binary_to_term(<<131, 90, (length(Words)):16, (atom_ext(Node))/binary, Creation:32, Ws/binary>>).

port(Node, Id, Creation) when Id > 16#ffffffff ->
    binary_to_term(<<131, 120, (atom_ext(Node))/binary, Id:64, Creation:32>>);
port(Node, Id, Creation) ->
    binary_to_term(<<131, 89, (atom_ext(Node))/binary, Id:32, Creation:32>>).

erlang_terms() ->
    Big = fun(N) -> 1 bsl N end,
    Closure = fun(X) -> X + 1 end,
    Y = 42,
    Closure2 = fun(X) -> {X, Y, self()} end,
    Ints = [0, 1, 255, 256, -1, -255, -256, 2147483647, 2147483648, -2147483648,
            -2147483649, 16#7fffffffffffffff, 16#8000000000000000, -16#8000000000000000,
            -16#8000000000000001, 16#ffffffffffffffff, 16#10000000000000000,
            Big(70), -Big(70), Big(2039), Big(2040), -Big(2047), Big(4000),
            9007199254740992, 9007199254740993],
    Floats = [0.0, -0.0, 1.0, -1.0, 0.1, 1/3, 1.0e20, 1.0e-10, 123456789.0, 1.0e15, 1.0e16,
              5.0e-324, 2.2250738585072014e-308, 1.7976931348623157e308, -1.5e300, 3.14,
              9007199254740992.0, 9007199254740994.0, 1000.0, 100.0, 0.001, 0.0001, 1.0e-5,
              2.5, 255.0, 256.0],
    Atoms = ['', ok, error, 'EXIT', 'hello world', 'it\'s', '$gen_call', 'Elixir.Foo.Bar',
             nonode@nohost, 'after', true, false, nil, undefined, 'ünïcode',
             list_to_atom([16#65E5, 16#672C]), list_to_atom(lists:duplicate(255, $a)),
             list_to_atom(lists:duplicate(255, 16#1F600)), 'a\nb', 'tab\there', '\\',
             'with"quote', aBc, a1_b@c],
    Bins = [<<>>, <<"bin">>, <<"hello world">>, <<1, 2, 3>>, <<0>>, <<255>>,
            <<"ünïcode"/utf8>>, <<"line\nbreak">>, <<"quote\"and\\backslash">>,
            binary:copy(<<"x">>, 1024), list_to_binary(lists:seq(0, 255)),
            <<1:1>>, <<1:3>>, <<255, 3:2>>, <<1, 2, 3, 4:7>>, <<0:1>>],
    Lists = [[], "abc", "", [1, 2, 3], [256], [-1], [1.0], [a, b, c], "hello\nworld",
             lists:seq(1, 300), lists:duplicate(65535, 1), lists:duplicate(65536, 1),
             [1 | 2], [1, 2 | 3], [a | b], [[] | []], [[1] | [2]], [{} | <<>>], [[[[]]]],
             [1, [2, [3, [4]]]], [$a | "bc"], "ünïcode", [16#1F600, 16#65E5]],
    Tuples = [{}, {a}, {ok, 42, atom}, {ok, <<"bin">>}, list_to_tuple(lists:seq(1, 255)),
              list_to_tuple(lists:seq(1, 256)), list_to_tuple(lists:seq(1, 300)),
              {{{{}}}}, {1, {2, {3, {4}}}}, {[], [[]], {}}],
    Maps = [#{}, #{a => 1}, #{b => 2, a => 1}, #{1 => a, 1.0 => b}, #{{x, 1} => [1 | 2]},
            #{{connection_id, 'beam@host'} => 17}, #{#{a => 1} => #{b => 2}},
            #{[1, 2] => <<"x">>, <<"x">> => [1, 2], 3 => 4.0, atom => {t}},
            maps:from_list([{I, I * I} || I <- lists:seq(1, 32)]),
            maps:from_list([{I, I * I} || I <- lists:seq(1, 33)]),
            maps:from_list([{integer_to_binary(I), I} || I <- lists:seq(1, 100)]),
            #{a => #{b => #{c => #{d => []}}}},
            #{-1 => a, 1 => b, Big(70) => c, -Big(70) => d, 2.5 => e, -5.0 => f},
            #{"str" => 1, 'atom' => 2, <<"bin">> => 3, {t} => 4, [] => 5, 1 => 6, 1.5 => 7}],
    Ids = [self(), pid('beam@host', 1, 0, 1), pid('beam@host', 2, 0, 1),
           pid('beam@host', 1, 1, 1), pid('beam@host', 1, 0, 2), pid('abc@host', 5, 0, 7),
           pid('zzz@host', 0, 0, 0), pid(nonode@nohost, 99, 3, 5), pid('ü@host', 16#ffffffff, 16#ffffffff, 16#ffffffff),
           make_ref(), make_ref(), ref('beam@host', 1, [1, 2, 3]), ref('beam@host', 1, [1]),
           ref('beam@host', 1, [1, 0, 0]), ref('beam@host', 1, [5, 4, 3, 2, 1]),
           ref('beam@host', 2, [1, 2, 3]), ref('abc@host', 3, [9, 9, 9, 9]),
           hd(erlang:ports()), port('beam@host', 7, 1), port('beam@host', 16#100000000, 1),
           port('abc@host', 1, 1)],
    Funs = [Closure, Closure2, fun lists:map/2, fun erlang:abs/1, fun 'Elixir.Enum':map/2,
            fun lists:seq/2, {Closure, fun lists:sort/1}],
    Named = fun(Prefix, L) ->
                [{Prefix ++ " " ++ integer_to_list(I), T} || {I, T} <- lists:zip(lists:seq(1, length(L)), L)]
            end,
    Named("int", Ints) ++ Named("float", Floats) ++ Named("atom", Atoms) ++
        Named("bin", Bins) ++ Named("list", Lists) ++ Named("tuple", Tuples) ++
        Named("map", Maps) ++ Named("id", Ids) ++ Named("fun", Funs) ++
        [{"mixed", [{ok, 1}, #{k => [1, 2 | 3]}, <<"x">>, 1.5, self(), "str", -Big(80)]}].

pick(L) -> lists:nth(rand:uniform(length(L)), L).

leaf() ->
    case rand:uniform(14) of
        1 -> rand:uniform(256) - 1;
        2 -> rand:uniform(1 bsl 40) - (1 bsl 39);
        3 -> (rand:uniform(1 bsl 30) bsl rand:uniform(100)) * pick([1, -1]);
        4 -> (rand:uniform() - 0.5) * math:pow(10, rand:uniform(40) - 20);
        5 -> pick([ok, error, a, b, 'B', 'hello world', '', nil, true, 'ü']);
        6 -> list_to_binary([rand:uniform(256) - 1 || _ <- lists:seq(1, rand:uniform(8) - 1)]);
        7 -> pick([<<"abc">>, <<"x">>, <<>>, <<"ab">>]);
        8 -> <<(rand:uniform(256) - 1), (rand:uniform(128) - 1):7>>;
        9 -> [rand:uniform(128) - 1 || _ <- lists:seq(1, rand:uniform(5) - 1)];
        10 -> [];
        11 -> pick([self(), pid('beam@host', rand:uniform(100), 0, 1)]);
        12 -> pick([ref('beam@host', 1, [rand:uniform(1000)]), ref('abc@host', 2, [1, rand:uniform(9)])]);
        13 -> rand:uniform(10) * 1.0;
        14 -> rand:uniform(10)
    end.

rand_term(0) -> leaf();
rand_term(D) ->
    case rand:uniform(9) of
        1 -> list_to_tuple([rand_term(D - 1) || _ <- lists:seq(1, rand:uniform(4) - 1)]);
        2 -> [rand_term(D - 1) || _ <- lists:seq(1, rand:uniform(4) - 1)];
        3 -> maps:from_list([{rand_term(D - 1), rand_term(D - 1)} || _ <- lists:seq(1, rand:uniform(4) - 1)]);
        4 -> [rand_term(D - 1) | leaf()];
        _ -> leaf()
    end.
