//! Tether's GenStage against the real one: Elixir's GenStage 1.3.2, compiled at test
//! time with `elixirc` from the copy in `tests/support/gen_stage/lib` (Apache 2.0,
//! see the README there) and loaded into an Elixir node.
//!
//! - an Elixir producer consumed by a Tether consumer, subscribed by Elixir code with
//!   `GenStage.sync_subscribe({:sink, tether_node}, to: producer)`: every event
//!   arrives, in order, in batches the demand allows;
//! - a Tether consumer in manual mode subscribed (from Rust) to an Elixir producer by
//!   `{name, node}`: ask 7, get 7, and the producer has made exactly 7; then the
//!   consumer cancels and both sides see it;
//! - a Tether producer consumed by an Elixir consumer: every event in order, no
//!   "events in excess" logged by Elixir's consumer; the Elixir side cancels and the
//!   Tether producer sees it;
//! - a mixed pipeline: Tether producer → Elixir producer_consumer → Tether
//!   producer_consumer → Tether consumer, every event through in order;
//! - a Tether process calling an Elixir stage's `handle_call` (`gen_stage::call_term`,
//!   as `GenStage.call/3`): term request and reply, the events the call emits reach a
//!   Tether consumer, a stage that exits in the call and a missing one are errors;
//! - the Elixir node going down: Tether consumers are cancelled with
//!   `{down, noconnection}`, and stop or not per their cancel mode; a Tether
//!   producer sees its Elixir consumer's subscription end the same way.
//!
//! Missing `elixir` or `elixirc` fails these tests (see `scripts/test.sh`).

mod interop;

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use interop::node::{COOKIE, T, epmd_port, me, run};
use interop::{Beam, BeamSpec, require, unique};
use tether::otp::gen_server::{CallError, StartOpts};
use tether::otp::gen_stage::{
    self, Cancel, CancelMode, Emit, GenStage, Init, Role, SubscribeOpts, Subscribed, Subscription,
};
use tether::{ExitReason, Node, Pid, Term};

/// Compiles the vendored GenStage once per test binary; returns the folder of the
/// `.beam` files.
fn gen_stage_beams() -> &'static PathBuf {
    static OUT: OnceLock<PathBuf> = OnceLock::new();
    OUT.get_or_init(|| {
        let elixirc = require("elixirc");
        let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/support/gen_stage/lib");
        let mut files = Vec::new();
        let mut dirs = vec![src];
        while let Some(d) = dirs.pop() {
            for e in std::fs::read_dir(&d).expect("the vendored gen_stage sources") {
                let p = e.unwrap().path();
                if p.is_dir() {
                    dirs.push(p);
                } else if p.extension().is_some_and(|x| x == "ex") {
                    files.push(p);
                }
            }
        }
        // Inside the target directory (`cargo clean` removes it), one folder per run.
        let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(unique("gen_stage_beams"));
        std::fs::create_dir_all(&out).unwrap();
        let status = std::process::Command::new(elixirc)
            .arg("-o")
            .arg(&out)
            .args(&files)
            .output()
            .expect("run elixirc");
        assert!(
            status.status.success(),
            "elixirc failed: {}",
            String::from_utf8_lossy(&status.stderr)
        );
        out
    })
}

/// Elixir modules every scenario's node defines: `Nums` counts up on demand (and
/// answers `:state` with the next number), `Sink` forwards batches to a collector.
const MODULES: &str = r#"
defmodule Nums do
  use GenStage
  def init(n), do: {:producer, n}
  def handle_demand(d, n), do: {:noreply, Enum.to_list(n..(n + d - 1)), n + d}
  def handle_call(:state, _from, n), do: {:reply, n, [], n}
end
defmodule Sink do
  use GenStage
  def init(collector), do: {:consumer, collector}
  def handle_events(events, _from, collector) do
    send(collector, {:events, events})
    {:noreply, [], collector}
  end
  def handle_cancel(reason, _from, collector) do
    IO.puts("sink cancelled #{inspect(reason)}")
    {:noreply, [], collector}
  end
end
defmodule Collector do
  def loop(next, count, max_batch, goal, parent) do
    receive do
      {:events, events} ->
        in_order = events == Enum.to_list(next..(next + length(events) - 1))
        if not in_order, do: IO.puts("sink out of order at #{next}: #{inspect(events)}")
        count = count + length(events)
        max_batch = max(max_batch, length(events))
        if count >= goal and count - length(events) < goal do
          IO.puts("sink count=#{count} max_batch=#{max_batch}")
          send(parent, :reached)
        end
        loop(next + length(events), count, max_batch, goal, parent)
    end
  end
end
"#;

fn elixir(prefix: &str, script: &str) -> Beam {
    let beams = gen_stage_beams();
    let spec = BeamSpec {
        sname: unique(prefix),
        cookie: COOKIE.into(),
        epmd_port: Some(epmd_port()),
        eval: format!(
            "{MODULES}\nt = :{me}\n:pong = Node.ping(t)\n{script}\nProcess.sleep(:infinity)\n",
            me = me()
        ),
        elixir: true,
        args: vec!["-pa".into(), beams.display().to_string()],
    };
    Beam::start(&spec)
}

// ---- the Tether stages ------------------------------------------------------------------

/// What the Tether stages report to the test process.
#[derive(Debug, Clone, PartialEq)]
enum Report {
    Batch(Vec<i64>),
    Subscribed(Subscription),
    Cancelled(Cancel),
}

/// A consumer of integers that reports to a test process; manual demand if asked
/// (a cast of `n` asks for `n` more on its subscription).
struct Sink {
    to: Pid,
    manual: bool,
    sub: Option<Subscription>,
}

impl GenStage for Sink {
    type Args = (Pid, bool);
    type In = i64;
    type Out = ();
    type Call = ();
    type Cast = u64;
    type Reply = ();
    async fn init((to, manual): (Pid, bool)) -> Init<Self> {
        Init::consumer(Sink {
            to,
            manual,
            sub: None,
        })
    }
    async fn handle_cast(&mut self, n: u64) -> Emit<()> {
        if let Some(sub) = &self.sub {
            sub.ask(n);
        }
        Emit::none()
    }
    async fn handle_subscribe(
        &mut self,
        _: Role,
        _: &SubscribeOpts,
        from: &Subscription,
    ) -> Subscribed {
        self.sub = Some(from.clone());
        let _ = tether::send(self.to, Report::Subscribed(from.clone()));
        if self.manual {
            Subscribed::Manual
        } else {
            Subscribed::Automatic
        }
    }
    async fn handle_events(&mut self, events: Vec<i64>, _: &Subscription) -> Emit<()> {
        let _ = tether::send(self.to, Report::Batch(events));
        Emit::none()
    }
    async fn handle_cancel(&mut self, cancel: Cancel, _: &Subscription) -> Emit<()> {
        let _ = tether::send(self.to, Report::Cancelled(cancel));
        Emit::none()
    }
}

/// A producer of consecutive integers from 0, on demand; reports cancellations.
struct Numbers {
    next: i64,
    to: Pid,
}

impl GenStage for Numbers {
    type Args = Pid;
    type In = ();
    type Out = i64;
    type Call = ();
    type Cast = ();
    type Reply = ();
    async fn init(to: Pid) -> Init<Self> {
        Init::producer(Numbers { next: 0, to })
    }
    async fn handle_demand(&mut self, demand: u64) -> Emit<i64> {
        let events: Vec<i64> = (self.next..self.next + demand as i64).collect();
        self.next += demand as i64;
        Emit::events(events)
    }
    async fn handle_cancel(&mut self, cancel: Cancel, _: &Subscription) -> Emit<i64> {
        let _ = tether::send(self.to, Report::Cancelled(cancel));
        Emit::none()
    }
}

async fn report() -> Report {
    tether::receive_timeout::<Report>(T)
        .await
        .expect("a report from the Tether stage")
}

/// Collects batches until `n` events have come; checks they are `0..n` in order and
/// that no batch was larger than `max_batch`.
async fn collect(n: usize, max_batch: usize) {
    let mut got = Vec::new();
    while got.len() < n {
        match report().await {
            Report::Batch(b) => {
                assert!(b.len() <= max_batch, "a batch of {} events", b.len());
                got.extend(b);
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    let expected: Vec<i64> = (0..got.len() as i64).collect();
    assert_eq!(got, expected, "every event, in order");
}

// ---- scenarios ------------------------------------------------------------------------------

#[test]
fn elixir_producer_tether_consumer_subscribed_by_elixir() {
    run(async {
        let name = unique("sink");
        let me = tether::self_pid();
        gen_stage::start_link::<Sink>((me, false), StartOpts::new().name(name.as_str()))
            .await
            .unwrap();
        let mut ex = elixir(
            "gsprod",
            &format!(
                r#"{{:ok, p}} = GenStage.start_link(Nums, 0)
res = GenStage.sync_subscribe({{:{name}, t}}, to: p, max_demand: 100, min_demand: 50)
IO.puts("subscribed=#{{inspect(res)}}")"#
            ),
        );
        let line = ex.wait_line("subscribed=", T).await;
        assert!(line.starts_with("subscribed={:ok, #Reference"), "{line}");
        assert!(matches!(report().await, Report::Subscribed(_)));
        // Batches of at most max_demand - min_demand.
        collect(3000, 50).await;
        assert!(
            !ex.seen.iter().any(|l| l.contains("in excess")),
            "{:?}",
            ex.seen
        );
    });
}

#[test]
fn tether_consumer_with_manual_demand_on_an_elixir_producer_and_cancel() {
    run(async {
        let name = unique("exnums");
        let mut ex = elixir(
            "gsmanual",
            &format!(
                r#"{{:ok, _}} = GenStage.start_link(Nums, 0, name: :{name})
IO.puts("ready")"#
            ),
        );
        ex.wait_line("ready", T).await;
        let ex_node = Node::intern(&ex.node).unwrap();
        let me = tether::self_pid();
        let sink = gen_stage::start_link::<Sink>((me, true), StartOpts::new())
            .await
            .unwrap();
        let opts = SubscribeOpts::new().cancel(CancelMode::Temporary);
        let tag = gen_stage::sync_subscribe(sink.pid(), (name.as_str(), ex_node), opts)
            .await
            .unwrap();
        let Report::Subscribed(sub) = report().await else {
            panic!("no subscription")
        };
        assert_eq!(sub.tag(), tag);
        // Ask 7 (from the consumer: a producer sends events to the process that
        // asks), get 7...
        sink.cast(7);
        let mut got = Vec::new();
        while got.len() < 7 {
            match report().await {
                Report::Batch(b) => got.extend(b),
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(got, (0..7).collect::<Vec<i64>>());
        // ...and no more: the producer has made exactly 7.
        let made = gen_stage::call_term((name.as_str(), ex_node), Term::atom("state"), T)
            .await
            .unwrap();
        assert_eq!(made, Term::Int(7));
        // The consumer cancels; Elixir's producer confirms, and the temporary
        // subscription ends without stopping the consumer.
        sub.cancel(ExitReason::from("enough"));
        assert_eq!(
            report().await,
            Report::Cancelled(Cancel::Cancel(ExitReason::from("enough")))
        );
        assert!(tether::is_alive(sink.pid()));
    });
}

#[test]
fn elixir_consumer_of_a_tether_producer_and_cancel() {
    run(async {
        let name = unique("numbers");
        let me = tether::self_pid();
        gen_stage::start_link::<Numbers>(me, StartOpts::new().name(name.as_str()))
            .await
            .unwrap();
        let mut ex = elixir(
            "gscons",
            &format!(
                r#"me = self()
collector = spawn(fn -> Collector.loop(0, 0, 0, 5000, me) end)
{{:ok, c}} = GenStage.start_link(Sink, collector)
{{:ok, ref}} = GenStage.sync_subscribe(c, to: {{:{name}, t}}, max_demand: 100, min_demand: 50, cancel: :temporary)
IO.puts("subscribed")
receive do
  :reached -> GenStage.cancel({{{{:{name}, t}}, ref}}, :done)
end"#
            ),
        );
        ex.wait_line("subscribed", T).await;
        let line = ex.wait_line("sink count=", Duration::from_secs(60)).await;
        assert!(line.starts_with("sink count=5"), "{line}");
        let max_batch: usize = line.rsplit('=').next().unwrap().parse().unwrap();
        assert!(max_batch <= 50, "{line}");
        // Elixir cancels: the Tether producer's handle_cancel sees it, and its
        // confirmation reaches Elixir's consumer.
        assert_eq!(
            report().await,
            Report::Cancelled(Cancel::Cancel(ExitReason::from("done")))
        );
        ex.wait_line("sink cancelled {:cancel, :done}", T).await;
        assert!(
            !ex.seen
                .iter()
                .any(|l| l.contains("out of order") || l.contains("in excess")),
            "{:?}",
            ex.seen
        );
    });
}

/// Emits every event it gets, plus one: the Tether half of the mixed pipeline.
struct PlusOne;

impl GenStage for PlusOne {
    type Args = ();
    type In = i64;
    type Out = i64;
    type Call = ();
    type Cast = ();
    type Reply = ();
    async fn init((): ()) -> Init<Self> {
        Init::producer_consumer(PlusOne)
    }
    async fn handle_events(&mut self, events: Vec<i64>, _: &Subscription) -> Emit<i64> {
        Emit::events(events.into_iter().map(|e| e + 1).collect())
    }
}

#[test]
fn mixed_pipeline_with_an_elixir_producer_consumer_between_tether_stages() {
    // Tether producer → Elixir producer_consumer (doubles each number) → Tether
    // producer_consumer (+1) → Tether consumer.
    run(async {
        let name = unique("numbers");
        let me = tether::self_pid();
        gen_stage::start_link::<Numbers>(me, StartOpts::new().name(name.as_str()))
            .await
            .unwrap();
        let mut ex = elixir(
            "gsmixed",
            &format!(
                r#"defmodule Twice do
  use GenStage
  def init(:ok), do: {{:producer_consumer, :ok}}
  def handle_events(events, _from, s), do: {{:noreply, Enum.map(events, &(&1 * 2)), s}}
end
{{:ok, tw}} = GenStage.start_link(Twice, :ok, name: :twice)
{{:ok, _}} = GenStage.sync_subscribe(tw, to: {{:{name}, t}}, max_demand: 40, min_demand: 20)
IO.puts("ready")"#
            ),
        );
        ex.wait_line("ready", T).await;
        let ex_node = Node::intern(&ex.node).unwrap();
        let plus = gen_stage::start_link::<PlusOne>((), StartOpts::new())
            .await
            .unwrap();
        let sink = gen_stage::start_link::<Sink>((me, false), StartOpts::new())
            .await
            .unwrap();
        gen_stage::sync_subscribe(sink.pid(), plus.pid(), SubscribeOpts::new().max_demand(30))
            .await
            .unwrap();
        gen_stage::sync_subscribe(
            plus.pid(),
            ("twice", ex_node),
            SubscribeOpts::new().max_demand(30),
        )
        .await
        .unwrap();
        assert!(matches!(report().await, Report::Subscribed(_)));
        let mut got = Vec::new();
        while got.len() < 1000 {
            match report().await {
                Report::Batch(b) => got.extend(b),
                other => panic!("unexpected {other:?}"),
            }
        }
        let expected: Vec<i64> = (0..got.len() as i64).map(|n| 2 * n + 1).collect();
        assert_eq!(
            got, expected,
            "every event, in order, through both languages"
        );
    });
}

/// `GenStage.call/3` from Rust: an Elixir producer's `handle_call` replies with a
/// term and emits events, which a Tether consumer subscribed to it gets; a call the
/// stage exits in fails with its reason, a call to no stage with `noproc`.
#[test]
fn tether_calls_an_elixir_stage_handle_call() {
    run(async {
        let name = unique("exqueue");
        let mut ex = elixir(
            "gscall",
            &format!(
                r#"defmodule Queue do
  use GenStage
  def init(:ok), do: {{:producer, 0}}
  def handle_demand(_, n), do: {{:noreply, [], n}}
  def handle_call({{:queue, events}}, _from, n),
    do: {{:reply, {{:queued, n + length(events)}}, events, n + length(events)}}
  def handle_call(:crash, _from, _n), do: exit(:crashed)
end
{{:ok, _}} = GenStage.start(Queue, :ok, name: :{name})
IO.puts("ready")"#
            ),
        );
        ex.wait_line("ready", T).await;
        let ex_node = Node::intern(&ex.node).unwrap();
        let queue = (name.as_str(), ex_node);
        let me = tether::self_pid();
        let sink = gen_stage::start_link::<Sink>((me, false), StartOpts::new())
            .await
            .unwrap();
        let opts = SubscribeOpts::new()
            .max_demand(10)
            .cancel(CancelMode::Temporary);
        gen_stage::sync_subscribe(sink.pid(), queue, opts)
            .await
            .unwrap();
        assert!(matches!(report().await, Report::Subscribed(_)));
        let queued = |n: i64| Term::tuple([Term::atom("queued"), Term::Int(n)]);
        let call = |events: std::ops::Range<i64>| {
            let events = Term::list(events.map(Term::Int));
            let request = Term::tuple([Term::atom("queue"), events]);
            gen_stage::call_term(queue, request, T)
        };
        assert_eq!(call(0..3).await, Ok(queued(3)));
        assert_eq!(call(3..20).await, Ok(queued(20)));
        // Every event the calls emitted, in order, in batches of max - min.
        collect(20, 5).await;
        // A call the stage exits in, and a call to no stage.
        let crash = gen_stage::call_term(queue, Term::atom("crash"), T).await;
        assert_eq!(crash, Err(CallError::Exit(ExitReason::from("crashed"))));
        assert_eq!(
            report().await,
            Report::Cancelled(Cancel::Down(ExitReason::from("crashed")))
        );
        let nobody = gen_stage::call_term(("nobody", ex_node), Term::atom("x"), T).await;
        assert_eq!(nobody, Err(CallError::NoProc));
        assert!(tether::is_alive(sink.pid()));
    });
}

#[test]
fn elixir_node_down_cancels_with_noconnection_per_cancel_mode() {
    // A Tether consumer of an Elixir producer whose node goes away: a temporary
    // subscription is cancelled with {down, noconnection} and the consumer lives on; a
    // permanent one stops the consumer with noconnection.
    run(async {
        tether::trap_exit(true);
        let name = unique("exnums");
        let mut ex = elixir(
            "gsdown",
            &format!(
                r#"{{:ok, _}} = GenStage.start_link(Nums, 0, name: :{name})
IO.puts("ready")"#
            ),
        );
        ex.wait_line("ready", T).await;
        let ex_node = Node::intern(&ex.node).unwrap();
        let me = tether::self_pid();
        let temporary = gen_stage::start_link::<Sink>((me, true), StartOpts::new())
            .await
            .unwrap();
        let permanent = gen_stage::start_link::<Sink>((me, true), StartOpts::new())
            .await
            .unwrap();
        for (stage, mode) in [
            (temporary, CancelMode::Temporary),
            (permanent, CancelMode::Permanent),
        ] {
            gen_stage::sync_subscribe(
                stage.pid(),
                (name.as_str(), ex_node),
                SubscribeOpts::new().cancel(mode),
            )
            .await
            .unwrap();
            assert!(matches!(report().await, Report::Subscribed(_)));
        }
        ex.kill().await;
        let down = Report::Cancelled(Cancel::Down(ExitReason::Noconnection));
        assert_eq!(report().await, down);
        assert_eq!(report().await, down);
        let exit = tether::receive_select_timeout(T, move |m: &tether::Message| {
            m.downcast_ref::<tether::Exit>()
                .is_some_and(|e| e.from == permanent.pid())
        })
        .await
        .expect("the permanent consumer stops");
        assert_eq!(
            exit.downcast::<tether::Exit>().unwrap().reason,
            ExitReason::Noconnection
        );
        assert!(tether::is_alive(temporary.pid()));
    });
}

#[test]
fn elixir_consumer_node_down_cancels_its_subscription_to_a_tether_producer() {
    // The producer side of nodedown: the Tether producer's handle_cancel gets
    // {down, noconnection} for the consumer on the node that went away.
    run(async {
        let name = unique("numbers");
        let me = tether::self_pid();
        let producer = gen_stage::start_link::<Numbers>(me, StartOpts::new().name(name.as_str()))
            .await
            .unwrap();
        let mut ex = elixir(
            "gsconsdown",
            &format!(
                r#"collector = spawn(fn -> Collector.loop(0, 0, 0, 100, self()) end)
{{:ok, c}} = GenStage.start_link(Sink, collector)
{{:ok, _}} = GenStage.sync_subscribe(c, to: {{:{name}, t}}, max_demand: 10)"#
            ),
        );
        ex.wait_line("sink count=", T).await;
        ex.kill().await;
        assert_eq!(
            report().await,
            Report::Cancelled(Cancel::Down(ExitReason::Noconnection))
        );
        assert!(tether::is_alive(producer.pid()));
    });
}

/// The demo stages of `tether node` as Elixir uses them: an Elixir consumer of
/// `numbers` gets 0, 1, 2, ... in order; `sink` consumes an Elixir producer and
/// answers `:stats` with `{Count, Sum}` of what it got.
#[test]
fn elixir_uses_the_demo_numbers_and_sink_stages() {
    run(async {
        let mut ex = elixir(
            "gsdemo",
            r#"{:ok, c} = GenStage.start_link(Sink, self())
{:ok, _} = GenStage.sync_subscribe(c, to: {:numbers, t}, max_demand: 10, min_demand: 5)
first = receive do {:events, e} -> e end
IO.puts("numbers=#{inspect(first)}")
IO.puts("stats_before=#{inspect(GenServer.call({:sink, t}, :stats))}")
{:ok, p} = GenStage.start_link(Nums, 1)
{:ok, _} = GenStage.sync_subscribe({:sink, t}, to: p, max_demand: 100)
wait = fn wait ->
  {count, sum} = GenServer.call({:sink, t}, :stats)
  if count >= 1000, do: {count, sum}, else: (Process.sleep(10); wait.(wait))
end
{count, sum} = wait.(wait)
IO.puts("stats=#{count},#{sum}")"#,
        );
        assert_eq!(ex.wait_line("numbers=", T).await, "numbers=[0, 1, 2, 3, 4]");
        assert_eq!(
            ex.wait_line("stats_before=", T).await,
            "stats_before={0, 0}"
        );
        let line = ex.wait_line("stats=", T).await;
        let (count, sum) = line["stats=".len()..].split_once(',').unwrap();
        let (count, sum): (i64, i64) = (count.parse().unwrap(), sum.parse().unwrap());
        assert!(count >= 1000, "{line}");
        // The first `count` of 1, 2, 3, ...: every event once, none lost.
        assert_eq!(sum, count * (count + 1) / 2, "{line}");
    });
}
