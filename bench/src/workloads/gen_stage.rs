//! GenStage pipeline: a producer counts 0, 1, 2, … as far as it is asked, a
//! producer_consumer adds one to each event and a consumer counts and sums them;
//! both subscriptions use `max_demand` 1000 (`min_demand` 500, the default), so
//! events flow in batches of 500 with back-pressure all the way. Tether:
//! `tether::otp::gen_stage`; BEAM: Elixir's GenStage 1.3.2 (the copy vendored for the
//! interop tests, compiled with `elixirc` at bench time) driven from
//! `erlang/tb_gen_stage.erl`. The Rust peers have no demand-driven stages ("n/a").
//! Check: the consumer saw every event once (count N, sum N(N+1)/2).
//! One figure, ns per event through the three stages (events/s = 10⁹ ÷ it).

use std::time::Instant;

use tether::Pid;
use tether::otp::gen_server::StartOpts;
use tether::otp::gen_stage::{self, Emit, GenStage, Init, SubscribeOpts, Subscription};

use super::{Figures, Metric, Params, Workload};
use crate::rt;
use crate::system::System;

/// The GenStage pipeline workload.
pub const WORKLOAD: Workload = Workload {
    name: "gen_stage",
    title: "GenStage producer → producer_consumer → consumer, 10 M events, max_demand 1000",
    metrics: &[Metric {
        key: "ns_per_event",
        label: "GenStage pipeline, per event",
        unit: "ns",
    }],
    rust: &[(System::Tether, tether)],
    beam: true,
    elixir_libs: &["crates/tether-cli/tests/support/gen_stage/lib"],
    na_note: "GenStage is Tether's and Elixir's protocol; ractor, kameo, actix and tokio have no demand-driven stages",
};

fn events(p: &Params) -> u64 {
    p.size(10_000_000, 200_000)
}

/// The options of both subscriptions.
fn subscription() -> SubscribeOpts {
    SubscribeOpts::new().max_demand(1000)
}

/// Emits `next..end` as far as asked.
struct Numbers {
    next: i64,
    end: i64,
}

impl GenStage for Numbers {
    type Args = i64;
    type In = ();
    type Out = i64;
    type Call = ();
    type Cast = ();
    type Reply = ();

    async fn init(end: i64) -> Init<Self> {
        Init::producer(Numbers { next: 0, end })
    }

    async fn handle_demand(&mut self, demand: u64) -> Emit<i64> {
        let to = self.end.min(self.next + demand as i64);
        let events = (self.next..to).collect();
        self.next = to;
        Emit::events(events)
    }
}

/// Adds one to every event.
struct AddOne;

impl GenStage for AddOne {
    type Args = ();
    type In = i64;
    type Out = i64;
    type Call = ();
    type Cast = ();
    type Reply = ();

    async fn init(_: ()) -> Init<Self> {
        Init::producer_consumer(AddOne)
    }

    async fn handle_events(&mut self, mut events: Vec<i64>, _: &Subscription) -> Emit<i64> {
        for e in &mut events {
            *e += 1;
        }
        Emit::events(events)
    }
}

/// Counts and sums; tells `to` once it has seen `expected` events.
struct Sink {
    to: Pid,
    expected: u64,
    count: u64,
    sum: i64,
}

impl GenStage for Sink {
    type Args = (Pid, u64);
    type In = i64;
    type Out = ();
    type Call = ();
    type Cast = ();
    type Reply = ();

    async fn init((to, expected): (Pid, u64)) -> Init<Self> {
        Init::consumer(Sink {
            to,
            expected,
            count: 0,
            sum: 0,
        })
    }

    async fn handle_events(&mut self, events: Vec<i64>, _: &Subscription) -> Emit<()> {
        self.count += events.len() as u64;
        self.sum += events.iter().sum::<i64>();
        if self.count >= self.expected {
            tether::send(self.to, (self.count, self.sum)).expect("the driver is alive");
        }
        Emit::none()
    }
}

fn tether(p: &Params) -> Figures {
    let n = events(p);
    rt::tether(p.threads).block_on(async move {
        let start = StartOpts::new;
        let producer = gen_stage::start_link::<Numbers>(n as i64, start())
            .await
            .expect("producer");
        let middle = gen_stage::start_link::<AddOne>((), start())
            .await
            .expect("producer_consumer");
        let sink = gen_stage::start_link::<Sink>((tether::self_pid(), n), start())
            .await
            .expect("consumer");
        let t = Instant::now();
        gen_stage::sync_subscribe(sink.pid(), middle.pid(), subscription())
            .await
            .expect("subscribe the consumer");
        gen_stage::sync_subscribe(middle.pid(), producer.pid(), subscription())
            .await
            .expect("subscribe the producer_consumer");
        let (count, sum) = tether::receive::<(u64, i64)>().await;
        let elapsed = t.elapsed();
        let n = n as i64;
        assert_eq!(
            (count as i64, sum),
            (n, n * (n + 1) / 2),
            "every event once"
        );
        vec![("ns_per_event", elapsed.as_nanos() as f64 / count as f64)]
    })
}
