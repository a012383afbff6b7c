//! Runs the `chat_room` example (`crates/tether/examples/chat_room.rs`) with a real
//! Elixir node as the other member: the room and its Rust member `ferris` run on this
//! test's Tether node; an Elixir 1.14 node joins with `GenServer.call`, hears ferris
//! welcome it, talks, and is then killed, which the room sees as a member that left
//! (its monitor fires with `noconnection`).

mod interop;

#[path = "../../tether/examples/chat_room.rs"]
mod chat_room;

use std::time::Duration;

use chat_room::{Reply, Request};
use interop::node::{COOKIE, T, epmd_port, me, run};
use interop::{Beam, BeamSpec, unique};

/// The room's history, once it has `n` lines (or the test fails after 15 s).
async fn history_of_len(n: usize) -> Vec<String> {
    let deadline = std::time::Instant::now() + T;
    loop {
        let Reply::History(lines) = chat_room::ask(Request::History).await else {
            panic!("history is answered with a history")
        };
        if lines.len() >= n {
            return lines;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the room's history stayed at {lines:?}"
        );
        tether::sleep(Duration::from_millis(10)).await;
    }
}

#[test]
fn a_tether_member_and_an_elixir_member_share_the_room() {
    run(async {
        chat_room::start_room().await;
        chat_room::spawn_ferris().await;
        let script = format!(
            r#"
room = {{:chat_room, :{me}}}
IO.puts("join=#{{inspect(GenServer.call(room, {{:join, "elixir"}}))}}")
IO.puts("again=#{{inspect(GenServer.call(room, {{:join, "elixir"}}))}}")
receive do
  {{:said, "ferris", text}} -> IO.puts("heard ferris: #{{text}}")
after 10_000 -> IO.puts("heard nothing from ferris")
end
IO.puts("say=#{{inspect(GenServer.call(room, {{:say, "hello from Elixir"}}))}}")
receive do
  {{:said, "ferris", "you said: " <> text}} -> IO.puts("ferris answered: #{{text}}")
after 10_000 -> IO.puts("no answer from ferris")
end
IO.puts("members=#{{inspect(GenServer.call(room, :members))}}")
IO.puts("bad=#{{inspect(GenServer.call(room, {{:shout, 42}}))}}")
taken = spawn(fn -> IO.puts("taken=#{{inspect(GenServer.call(room, {{:join, "ferris"}}))}}") end)
ref = Process.monitor(taken)
receive do {{:DOWN, ^ref, _, _, _}} -> :ok end
IO.puts("done")
Process.sleep(:infinity)
"#,
            me = me(),
        );
        let spec = BeamSpec {
            sname: unique("chat_ex"),
            cookie: COOKIE.into(),
            epmd_port: Some(epmd_port()),
            eval: script,
            elixir: true,
            args: vec![],
        };
        let mut ex = Beam::start(&spec);
        assert_eq!(ex.wait_line("join=", T).await, "join=:ok");
        assert_eq!(
            ex.wait_line("again=", T).await,
            "again={:error, :already_joined}"
        );
        assert_eq!(
            ex.wait_line("heard", T).await,
            "heard ferris: welcome, elixir!"
        );
        assert_eq!(ex.wait_line("say=", T).await, "say=:ok");
        assert_eq!(
            ex.wait_line("ferris answered", T).await,
            "ferris answered: hello from Elixir"
        );
        assert_eq!(
            ex.wait_line("members=", T).await,
            r#"members={:members, ["elixir", "ferris"]}"#
        );
        assert_eq!(
            ex.wait_line("bad=", T).await,
            "bad={:error, {:bad_request, {:shout, 42}}}"
        );
        assert_eq!(
            ex.wait_line("taken=", T).await,
            "taken={:error, :name_taken}"
        );
        ex.wait_line("done", T).await;

        // The Elixir node goes away: the room's monitor of its member fires.
        ex.kill().await;
        let history = history_of_len(6).await;
        assert_eq!(
            history,
            [
                "ferris joined",
                "elixir joined",
                "ferris: welcome, elixir!",
                "elixir: hello from Elixir",
                "ferris: you said: hello from Elixir",
                "elixir left",
            ],
        );
        assert_eq!(
            chat_room::ask(Request::Members).await,
            Reply::Members(vec!["ferris".into()])
        );
    });
}
