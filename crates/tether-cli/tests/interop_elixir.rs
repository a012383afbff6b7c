//! Tether ↔ Elixir 1.14: `Node.ping`, `GenServer.call`/`cast` into Tether's `kv`,
//! Elixir structs and charlists arriving as Rust types through serde, `:rpc.call`;
//! typed Tether GenServers answering requests they cannot decode.

mod interop;

use interop::node::{COOKIE, T, epmd_port, me, node, run};
use interop::{Beam, BeamSpec, unique};
use serde::{Deserialize, Serialize};
use tether::Term;
use tether::otp::gen_server::{self, CallResult, CastResult, GenServer, Init, ReplyTo, StartOpts};

#[derive(Deserialize, Debug, PartialEq)]
#[serde(rename = "Elixir.User")]
struct User {
    name: String,
    age: u32,
    tags: Vec<String>,
}

#[test]
fn elixir_pings_calls_casts_and_sends_structs() {
    run(async {
        let inbox = unique("inbox");
        tether::register(inbox.as_str(), tether::self_pid()).unwrap();
        let script = format!(
            r#"
defmodule User do
  defstruct [:name, :age, tags: []]
end
t = :{me}
IO.puts("ping=#{{Node.ping(t)}}")
IO.puts("put=#{{inspect(GenServer.call({{:kv, t}}, {{:put, :user, struct(User, name: "bob", age: 42, tags: ['x', 'y'])}}))}}")
{{:ok, u}} = GenServer.call({{:kv, t}}, {{:get, :user}})
IO.puts("get=#{{inspect(u)}} #{{u == struct(User, name: "bob", age: 42, tags: ['x', 'y'])}}")
GenServer.cast({{:kv, t}}, {{:put, :c, 'chars'}})
IO.puts("cast=#{{inspect(GenServer.call({{:kv, t}}, {{:get, :c}}))}}")
send({{:{inbox}, t}}, struct(User, name: "ann", age: 7, tags: ['a', "b"]))
send({{:{inbox}, t}}, 'a charlist')
IO.puts("hidden=#{{inspect(Node.list(:hidden))}} visible=#{{inspect(Node.list())}}")
res = try do
  GenServer.call({{:nosuch, t}}, :x, 2000)
catch
  :exit, {{r, _}} -> r
end
IO.puts("noproc=#{{inspect(res)}}")
IO.puts("rpc=#{{inspect(:rpc.call(t, :tether, :ping, []))}}")
IO.puts("done")
Process.sleep(:infinity)
"#,
            me = me(),
        );
        let spec = BeamSpec {
            sname: unique("ex"),
            cookie: COOKIE.into(),
            epmd_port: Some(epmd_port()),
            eval: script,
            elixir: true,
            args: vec![],
        };
        let mut ex = Beam::start(&spec);
        let lines = [
            ex.wait_line("ping=", T).await,
            ex.wait_line("put=", T).await,
            ex.wait_line("get=", T).await,
            ex.wait_line("cast=", T).await,
            ex.wait_line("hidden=", T).await,
            ex.wait_line("noproc=", T).await,
            ex.wait_line("rpc=", T).await,
        ];
        assert_eq!(lines[0], "ping=pong");
        assert_eq!(lines[1], "put=:ok");
        assert!(lines[2].ends_with("true"), "{}", lines[2]);
        assert_eq!(lines[3], "cast={:ok, 'chars'}");
        assert!(
            lines[4].contains(&node().name().to_string()) && lines[4].ends_with("visible=[]"),
            "{}",
            lines[4]
        );
        assert_eq!(lines[5], "noproc=:noproc");
        assert_eq!(lines[6], "rpc=:pong");
        let user: Term = tether::receive_timeout(T).await.expect("the struct");
        assert_eq!(
            tether::term::from_term::<User>(user).unwrap(),
            User {
                name: "ann".into(),
                age: 7,
                tags: vec!["a".into(), "b".into()]
            }
        );
        let chars: Term = tether::receive_timeout(T).await.expect("the charlist");
        assert_eq!(
            tether::term::from_term::<String>(chars).unwrap(),
            "a charlist"
        );
    });
}

/// The calls of [`Counter`]: `get` and `{add, N}` on the wire.
#[derive(Serialize, Deserialize)]
enum CounterCall {
    Get,
    Add(i64),
}

/// The casts of [`Counter`]: `reset` on the wire.
#[derive(Serialize, Deserialize)]
enum CounterCast {
    Reset,
}

/// A typed GenServer whose requests and replies are serde types, served to other nodes
/// by `serde_wire!`.
struct Counter(i64);

impl GenServer for Counter {
    type Args = ();
    type Call = CounterCall;
    type Cast = CounterCast;
    type Reply = i64;
    type Continue = ();
    async fn init((): ()) -> Init<Self> {
        Init::ok(Counter(0))
    }
    async fn handle_call(&mut self, req: CounterCall, _: &ReplyTo<i64>) -> CallResult<Self> {
        if let CounterCall::Add(n) = req {
            self.0 += n;
        }
        CallResult::reply(self.0)
    }
    async fn handle_cast(&mut self, CounterCast::Reset: CounterCast) -> CastResult<Self> {
        self.0 = 0;
        CastResult::noreply()
    }
    // The wire hooks, through serde: no conversion code.
    tether::serde_wire!();
}

/// A typed GenServer with no term forms at all (the default hooks).
struct LocalOnly;

impl GenServer for LocalOnly {
    type Args = ();
    type Call = ();
    type Cast = ();
    type Reply = ();
    type Continue = ();
    async fn init((): ()) -> Init<Self> {
        Init::ok(LocalOnly)
    }
    async fn handle_call(&mut self, (): (), _: &ReplyTo<()>) -> CallResult<Self> {
        CallResult::reply(())
    }
}

/// A remote caller never waits for a reply that cannot come: a call a typed server
/// cannot decode is answered `{error, {bad_request, Request}}` at once — whether the
/// server decodes with serde, has no term forms at all, or is the `kv` demo — and a
/// cast it cannot decode is dropped (and logged) with the server still running.
#[test]
fn elixir_gets_bad_request_from_typed_servers() {
    run(async {
        let counter = unique("counter");
        let local = unique("local_only");
        gen_server::start::<Counter>((), StartOpts::new().name(counter.as_str()))
            .await
            .unwrap();
        gen_server::start::<LocalOnly>((), StartOpts::new().name(local.as_str()))
            .await
            .unwrap();
        // Each call gives up after 3 s, far less than the test's wait for a line: a
        // timeout shows as `{:exit, :timeout}` rather than a missing line.
        let script = format!(
            r#"
t = :{me}
call = fn s, r ->
  try do
    GenServer.call({{s, t}}, r, 3000)
  catch
    :exit, {{reason, _}} -> {{:exit, reason}}
  end
end
IO.puts("add=#{{inspect(call.(:{counter}, {{:add, 2}}))}}")
IO.puts("garbage=#{{inspect(call.(:{counter}, :garbage))}}")
GenServer.cast({{:{counter}, t}}, {{:add, 40}})
IO.puts("after_cast=#{{inspect(call.(:{counter}, {{:add, 1}}))}}")
GenServer.cast({{:{counter}, t}}, :reset)
IO.puts("reset=#{{inspect(call.(:{counter}, :get))}}")
IO.puts("local=#{{inspect(call.(:{local}, :anything))}}")
IO.puts("kv=#{{inspect(call.(:kv, {{:bogus, 1}}))}}")
IO.puts("done")
Process.sleep(:infinity)
"#,
            me = me(),
        );
        let spec = BeamSpec {
            sname: unique("ex"),
            cookie: COOKIE.into(),
            epmd_port: Some(epmd_port()),
            eval: script,
            elixir: true,
            args: vec![],
        };
        let mut ex = Beam::start(&spec);
        assert_eq!(ex.wait_line("add=", T).await, "add=2");
        assert_eq!(
            ex.wait_line("garbage=", T).await,
            "garbage={:error, {:bad_request, :garbage}}"
        );
        // The cast {add, 40} is no CounterCast: dropped, and the server lives on.
        assert_eq!(ex.wait_line("after_cast=", T).await, "after_cast=3");
        assert_eq!(ex.wait_line("reset=", T).await, "reset=0");
        assert_eq!(
            ex.wait_line("local=", T).await,
            "local={:error, {:bad_request, :anything}}"
        );
        assert_eq!(
            ex.wait_line("kv=", T).await,
            "kv={:error, {:bad_request, {:bogus, 1}}}"
        );
    });
}
