//! The first hour with Tether: a supervised `counter` GenServer on a named node,
//! registered globally so that Elixir finds it as `{:global, :counter}`.
//!
//! ```text
//! cargo run -p tether --example counter_node        # the node counter@HOST
//! iex --sname me                                   # same ~/.erlang.cookie
//! iex> Node.connect(:"counter@HOST")
//! iex> GenServer.call({:global, :counter}, {:add, 2})   # 2
//! iex> GenServer.call({:global, :counter}, :get)        # 2
//! iex> Process.exit(:global.whereis_name(:counter), :kill)
//! iex> GenServer.call({:global, :counter}, :get)        # 0: restarted by its supervisor
//! ```
//!
//! Warnings and crash reports show on stderr with no set-up (the default logger);
//! Ctrl-C or SIGTERM stops the node in order and exits 0. `COUNTER_NODE` names the
//! node (default `counter`); `ERL_EPMD_PORT` picks EPMD's port, as for `erl`.

use serde::{Deserialize, Serialize};
use tether::dist::{self, NodeConfig};
use tether::gen_server::{CallResult, CastResult, GenServer, Init, ReplyTo, StartOpts};
use tether::kernel::global::Global;
use tether::otp::supervisor::{ChildSpec, Strategy, Supervisor};
use tether::{ExitReason, Runtime, Stopped};

/// What Elixir sends: `{:add, n}` and `:get`.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Request {
    /// Adds to the count (call or cast).
    Add(i64),
    /// The count (call).
    Get,
}

/// The counter: its state is the count.
pub struct Counter(i64);

impl GenServer for Counter {
    type Args = i64;
    type Call = Request;
    type Cast = Request;
    type Reply = i64;
    type Continue = ();

    async fn init(start: i64) -> Init<Self> {
        Init::ok(Counter(start))
    }

    async fn handle_call(&mut self, req: Request, _: &ReplyTo<i64>) -> CallResult<Self> {
        if let Request::Add(n) = req {
            self.0 += n;
        }
        CallResult::reply(self.0)
    }

    async fn handle_cast(&mut self, req: Request) -> CastResult<Self> {
        if let Request::Add(n) = req {
            self.0 += n;
        }
        CastResult::noreply()
    }

    // Requests and replies go on the wire through serde: `Add(2)` is `{:add, 2}`.
    tether::serde_wire!();
}

/// Runs the node until it is stopped.
pub fn main() -> Stopped {
    let name = std::env::var("COUNTER_NODE").unwrap_or_else(|_| "counter".into());
    let runtime = Runtime::new().expect("a runtime");
    runtime.run(async move {
        let node = dist::start(NodeConfig::new(name)).await?;
        println!("node {} up", node.name());
        let counter = StartOpts::new().via(Global::new("counter"));
        let top = Supervisor::new(Strategy::OneForOne)
            .child(ChildSpec::gen_server::<Counter>(0, counter))
            .start_link()
            .await?;
        Ok::<_, ExitReason>(top)
    })
}
