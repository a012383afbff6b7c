//! Tether ↔ Elixir 1.14: `Node.ping`, `GenServer.call`/`cast` into Tether's `kv`,
//! Elixir structs and charlists arriving as Rust types through serde, `:rpc.call`.

mod interop;

use interop::node::{COOKIE, T, epmd_port, me, node, run};
use interop::{Beam, BeamSpec, unique};
use serde::Deserialize;
use tether::Term;

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
            tether_term::from_term::<User>(user).unwrap(),
            User {
                name: "ann".into(),
                age: 7,
                tags: vec!["a".into(), "b".into()]
            }
        );
        let chars: Term = tether::receive_timeout(T).await.expect("the charlist");
        assert_eq!(
            tether_term::from_term::<String>(chars).unwrap(),
            "a charlist"
        );
    });
}
