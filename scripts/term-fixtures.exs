# Elixir half of the fixture generator (see term-fixtures.sh): writes a list of
# {name, term} pairs made by Elixir code, as Elixir puts them on the wire.
defmodule Fixture.User do
  defstruct name: nil, age: 0, tags: []
end

defmodule Fixture.Error do
  defexception message: "boom"
end

defmodule Fixture.Main do
  import Bitwise

  def run(out) do
    terms = [
      {"ex struct", %Fixture.User{name: "bob", age: 42}},
      {"ex struct nested", %Fixture.User{name: "ann", age: 7, tags: [:a, %Fixture.User{}]}},
      {"ex exception", %Fixture.Error{}},
      {"ex uri", URI.parse("https://example.com:8080/path?q=1#frag")},
      {"ex date", ~D[2024-02-29]},
      {"ex datetime", ~U[2024-01-02 03:04:05.123456Z]},
      {"ex mapset", MapSet.new([1, 2, 3])},
      {"ex range", 1..10//2},
      {"ex charlist", ~c"hello"},
      {"ex charlist unicode", ~c"héllo ✓"},
      {"ex string unicode", "héllo wörld ✓"},
      {"ex unicode atom", :"ünïcode_atom"},
      {"ex atom emoji", :"🚀rocket"},
      {"ex atom cjk", :"日本語"},
      {"ex keyword", [timeout: 5000, name: :foo, opts: [a: 1]]},
      {"ex nil true false", {nil, true, false}},
      {"ex big", 1 <<< 70},
      {"ex negative big", -(1 <<< 100)},
      {"ex capture", &Enum.map/2},
      {"ex closure", fn x -> x + 1 end},
      {"ex module atom", Fixture.User},
      {"ex gen_call", {:"$gen_call", {self(), make_ref()}, {:put, "k", %{v: 1}}}},
      {"ex large map", Map.new(1..40, fn i -> {:"key#{i}", i} end)},
      {"ex huge map", Map.new(1..300, fn i -> {i, "v#{i}"} end)},
      {"ex map string keys", %{"a" => 1, "b" => [1, 2]}},
      {"ex tuple keys", %{{:connection_id, :node@host} => 17}},
      {"ex float", 3.14159},
      {"ex bitstring", <<1::size(3)>>},
      {"ex ok tuple", {:ok, "value"}},
      {"ex error tuple", {:error, :enoent}},
      {"ex empty struct list", [%Fixture.User{}, %Fixture.User{age: 1}]}
    ]

    File.write!(out, :erlang.term_to_binary(terms))
  end
end

[out] = System.argv()
Fixture.Main.run(out)
