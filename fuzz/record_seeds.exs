# Records the messages a BEAM node's `global`, `pg`, GenStage, `rpc` and `net_adm` send
# to another node, as seeds for the fuzz targets `global`, `global_locker`, `pg`,
# `gen_stage`, `rex` and `net_kernel` (fuzz/seeds/<target>/). Run by
# fuzz/record-seeds.sh; see crates/tether-term/FUZZING.md.
#
# This node (A) traces every send and keeps those addressed to a peer node B (started
# with :peer): global's name server messages (those of its lock protocol, set_lock,
# del_lock and lock_set, also for `global_locker`), pg's scope messages, GenStage's
# $gen_producer/$gen_consumer messages, rpc's requests to rex and net_adm's ping to
# net_kernel. Each becomes one file: a selector byte 0 ("send as is") and the message
# in the external term format.

[out_dir, gen_stage_ebin] = System.argv()
Code.prepend_path(gen_stage_ebin)

# Compiled from a string so that its object code can be loaded on B too.
[{SeedConsumer, consumer_beam}] =
  Code.compile_string("""
  defmodule SeedConsumer do
    use GenStage
    def init(producer), do: {:consumer, :ok, subscribe_to: [{producer, max_demand: 4}]}
    def handle_events(_events, _from, state), do: {:noreply, [], state}
  end
  """)

defmodule Recorder do
  def loop(b, dests, n) do
    receive do
      {:trace, _from, :send, msg, to} ->
        case target(b, dests, to, msg) do
          nil ->
            loop(b, dests, n)

          t ->
            targets = if t == "global" and lock?(msg), do: [t, "global_locker"], else: [t]

            for t <- targets do
              dir = Path.join(System.get_env("SEEDS_OUT"), t)
              File.mkdir_p!(dir)
              File.write!(Path.join(dir, "beam-#{n}"), <<0>> <> :erlang.term_to_binary(msg))
            end

            loop(b, dests, n + 1)
        end

      {:dests, d} ->
        loop(b, Map.merge(dests, d), n)

      {:done, from} ->
        send(from, {:recorded, n})
    end
  end

  defp target(b, _dests, {:global_name_server, b}, _), do: "global"
  defp target(b, _dests, {:pg, b}, _), do: "pg"
  defp target(b, _dests, {:rex, b}, _), do: "rex"
  defp target(b, _dests, {:net_kernel, b}, _), do: "net_kernel"
  defp target(_b, dests, to, msg) when is_pid(to), do: Map.get(dests, to) || stage(msg)
  defp target(_, _, _, _), do: nil

  defp stage(msg) when is_tuple(msg) and tuple_size(msg) == 3 do
    if elem(msg, 0) in [:"$gen_producer", :"$gen_consumer"], do: "gen_stage"
  end

  defp stage(_), do: nil

  # global's lock protocol: the set_lock and del_lock calls, the lockers' lock_set.
  defp lock?({:"$gen_call", _from, {op, _id}}) when op in [:set_lock, :del_lock], do: true
  defp lock?(msg) when is_tuple(msg) and tuple_size(msg) > 1,
    do: elem(msg, 0) in [:lock_set, :async_del_lock]
  defp lock?(_), do: false
end

System.put_env("SEEDS_OUT", out_dir)
{:ok, _} = :pg.start_link()
b_name = :"seeds_b_#{System.pid()}"
b = :"#{b_name}@#{node() |> Atom.to_string() |> String.split("@") |> List.last()}"
rec = spawn(fn -> Recorder.loop(b, %{}, 0) end)
:erlang.trace(:all, true, [:send, {:tracer, rec}])
:erlang.trace(rec, false, [:send])

{:ok, peer, ^b} =
  :peer.start(%{
    name: b_name,
    args:
      [~c"-setcookie", Atom.to_charlist(Node.get_cookie()), ~c"-pa", String.to_charlist(gen_stage_ebin)] ++
        Enum.flat_map([:elixir, :logger], &[~c"-pa", :code.lib_dir(&1, :ebin)])
  })

{:module, SeedConsumer} =
  :erpc.call(b, :code, :load_binary, [SeedConsumer, ~c"nofile", consumer_beam])
:ok = :global.sync()
{:ok, _} = :erpc.call(b, :pg, :start, [:pg])
send(rec, {:dests, %{:erpc.call(b, :erlang, :whereis, [:global_name_server]) => "global",
                     :erpc.call(b, :erlang, :whereis, [:pg]) => "pg",
                     :erpc.call(b, :erlang, :whereis, [:rex]) => "rex",
                     :erpc.call(b, :erlang, :whereis, [:net_kernel]) => "net_kernel"}})
Process.sleep(200)

# global: register, lock, re-register, unregister.
:yes = :global.register_name(:seed_name, self())
:ok = :global.trans({:seed_lock, self()}, fn -> :ok end)
:yes = :global.re_register_name(:seed_name, self())
:ok = :global.unregister_name(:seed_name)
# global's locks, taken and released on both nodes, then on B alone.
true = :global.set_lock({:seed_resource, self()}, [node(), b])
true = :global.del_lock({:seed_resource, self()}, [node(), b])
true = :global.set_lock({:seed_resource, self()}, [b], 0)
true = :global.del_lock({:seed_resource, self()}, [b])
# rpc's requests to rex: block_call, cast, multicall, and what call sends when it
# uses rex (erpc's spawn requests are the handshake's and dist_frames' domain).
_ = :rpc.block_call(b, :erlang, :node, [])
_ = :rpc.block_call(b, :erlang, :whereis, [:rex], 5000)
true = :rpc.cast(b, :erlang, :node, [])
_ = :rpc.multicall([b], :erlang, :nodes, [])
_ = :rpc.call(b, :erlang, :registered, [])
# The features request rpc sends a node to learn whether it runs erpc.
[:erpc] = :rpc.server_call(b, :rex, :features_reply, :features_request)
# net_kernel: net_adm's ping (an is_auth call).
:pong = :net_adm.ping(b)
# pg: join, join more, leave.
:ok = :pg.join(:seed_group, self())
:ok = :pg.join(:seed_group, [self(), self()])
:ok = :pg.join({:seed, :tuple_group}, self())
:ok = :pg.leave(:seed_group, self())
Process.sleep(200)

# GenStage both ways: A's consumer asks B's producer; B's consumer asks A's producer.
{:ok, b_producer} = :erpc.call(b, GenStage, :from_enumerable, [1..20, [link: false]])
{:ok, a_consumer} = GenStage.start(SeedConsumer, b_producer)
{:ok, a_producer} = GenStage.from_enumerable(Enum.to_list(1..20) ++ [:done, {:tuple, "bin"}], link: false)
{:ok, b_consumer} = :erpc.call(b, GenStage, :start, [SeedConsumer, a_producer])
# Both consumers stop when their finite producer cancels them.
_ = {a_consumer, b_consumer}
Process.sleep(700)

:peer.stop(peer)
send(rec, {:done, self()})
receive do
  {:recorded, n} -> IO.puts("recorded #{n} messages into #{out_dir}")
after
  5000 -> raise "the recorder did not finish"
end
