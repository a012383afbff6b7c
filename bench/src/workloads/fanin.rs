//! Fan-in: 100 senders each send 100 k messages to one receiver, which counts and sums
//! them. Reported as time per message (lower is better, like every figure).
//! Check: the receiver got exactly senders × per messages with the right sum.
//!
//! The receiver is a process/actor in every system; on the Rust frameworks the senders
//! are plain tasks calling the framework's send (the sending path is the same).

use std::time::Instant;

use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

use super::{Figures, Metric, Params, Workload};
use crate::rt;
use crate::system::System;

/// The fan-in workload.
pub const WORKLOAD: Workload = Workload {
    name: "fanin",
    title: "fan-in, 100 senders × 100 k messages",
    metrics: &[Metric {
        key: "ns_per_msg",
        label: "fan-in 100 × 100k: per message",
        unit: "ns",
    }],
    rust: &[
        (System::Tether, tether),
        (System::TetherMetricsOff, tether_metrics_off),
        (System::Ractor, ractor),
        (System::Kameo, kameo),
        (System::Actix, actix),
        (System::Tokio, tokio),
    ],
    beam: true,
    na_note: "",
};

const SENDERS: u64 = 100;

fn per(p: &Params) -> u64 {
    p.size(100_000, 10_000)
}

/// The receiver's tally: `(count, sum)`.
#[derive(Default)]
struct Tally {
    count: u64,
    sum: u64,
    total: u64,
    done: Option<UnboundedSender<(u64, u64)>>,
}

impl Tally {
    fn new(total: u64, done: UnboundedSender<(u64, u64)>) -> Tally {
        Tally {
            total,
            done: Some(done),
            ..Tally::default()
        }
    }

    /// Counts `v`; reports to the driver after the last message.
    fn add(&mut self, v: u64) {
        self.count += 1;
        self.sum += v;
        if self.count == self.total {
            let _ = self.done.take().unwrap().send((self.count, self.sum));
        }
    }
}

fn finish(t: Instant, per: u64, (count, sum): (u64, u64)) -> Figures {
    let ns = t.elapsed().as_nanos() as f64 / count as f64;
    assert_eq!(count, SENDERS * per, "message count");
    assert_eq!(sum, SENDERS * (per * (per - 1) / 2), "message sum");
    vec![("ns_per_msg", ns)]
}

fn tether(p: &Params) -> Figures {
    run_tether(p, true)
}

fn tether_metrics_off(p: &Params) -> Figures {
    run_tether(p, false)
}

fn run_tether(p: &Params, metrics: bool) -> Figures {
    let per = per(p);
    rt::tether_metrics(p.threads, metrics).block_on(async move {
        let me = tether::self_pid();
        let total = SENDERS * per;
        let sink = tether::spawn(async move {
            let (mut count, mut sum) = (0u64, 0u64);
            while count < total {
                sum += tether::receive::<u64>().await;
                count += 1;
            }
            tether::send(me, (count, sum)).unwrap();
        });
        let t = Instant::now();
        for _ in 0..SENDERS {
            tether::spawn(async move {
                for i in 0..per {
                    tether::send(sink, i).unwrap();
                }
            });
        }
        let got: (u64, u64) = tether::receive().await;
        finish(t, per, got)
    })
}

fn tokio(p: &Params) -> Figures {
    let per = per(p);
    rt::block_on_tokio(p.threads, async move {
        let (done_tx, mut done_rx) = unbounded_channel();
        let (tx, mut rx) = unbounded_channel::<u64>();
        let mut tally = Tally::new(SENDERS * per, done_tx);
        tokio::spawn(async move {
            while let Some(v) = rx.recv().await {
                tally.add(v);
            }
        });
        let t = Instant::now();
        for _ in 0..SENDERS {
            let tx = tx.clone();
            tokio::spawn(async move {
                for i in 0..per {
                    tx.send(i).unwrap();
                }
            });
        }
        finish(t, per, done_rx.recv().await.unwrap())
    })
}

struct RactorSink;

impl ractor::Actor for RactorSink {
    type Msg = u64;
    type State = Tally;
    type Arguments = Tally;

    async fn pre_start(
        &self,
        _: ractor::ActorRef<u64>,
        t: Tally,
    ) -> Result<Tally, ractor::ActorProcessingErr> {
        Ok(t)
    }

    async fn handle(
        &self,
        _: ractor::ActorRef<u64>,
        v: u64,
        t: &mut Tally,
    ) -> Result<(), ractor::ActorProcessingErr> {
        t.add(v);
        Ok(())
    }
}

fn ractor(p: &Params) -> Figures {
    let per = per(p);
    rt::block_on_tokio(p.threads, async move {
        let (done_tx, mut done_rx) = unbounded_channel();
        let (sink, _) = ractor::Actor::spawn(None, RactorSink, Tally::new(SENDERS * per, done_tx))
            .await
            .expect("spawn");
        let t = Instant::now();
        for _ in 0..SENDERS {
            let sink = sink.clone();
            tokio::spawn(async move {
                for i in 0..per {
                    sink.send_message(i).unwrap();
                }
            });
        }
        finish(t, per, done_rx.recv().await.unwrap())
    })
}

struct KameoSink(Tally);

impl kameo::Actor for KameoSink {
    type Args = Self;
    type Error = kameo::error::Infallible;

    async fn on_start(s: Self, _: kameo::actor::ActorRef<Self>) -> Result<Self, Self::Error> {
        Ok(s)
    }
}

impl kameo::message::Message<u64> for KameoSink {
    type Reply = ();

    async fn handle(&mut self, v: u64, _: &mut kameo::message::Context<Self, ()>) {
        self.0.add(v);
    }
}

fn kameo(p: &Params) -> Figures {
    use kameo::actor::Spawn;
    let per = per(p);
    rt::block_on_tokio(p.threads, async move {
        let (done_tx, mut done_rx) = unbounded_channel();
        let sink = KameoSink::spawn_with_mailbox(
            KameoSink(Tally::new(SENDERS * per, done_tx)),
            kameo::mailbox::unbounded(),
        );
        let t = Instant::now();
        for _ in 0..SENDERS {
            let sink = sink.clone();
            tokio::spawn(async move {
                for i in 0..per {
                    sink.tell(i).try_send().unwrap();
                }
            });
        }
        finish(t, per, done_rx.recv().await.unwrap())
    })
}

struct Val(u64);

impl actix::Message for Val {
    type Result = ();
}

struct ActixSink(Tally);

impl actix::Actor for ActixSink {
    type Context = actix::Context<Self>;
}

impl actix::Handler<Val> for ActixSink {
    type Result = ();

    fn handle(&mut self, Val(v): Val, _: &mut Self::Context) {
        self.0.add(v);
    }
}

fn actix(p: &Params) -> Figures {
    use actix::Actor;
    let per = per(p);
    rt::actix(async move {
        let (done_tx, mut done_rx) = unbounded_channel();
        let sink = ActixSink(Tally::new(SENDERS * per, done_tx)).start();
        let t = Instant::now();
        for _ in 0..SENDERS {
            let sink = sink.clone();
            actix::spawn(async move {
                for i in 0..per {
                    sink.do_send(Val(i));
                }
            });
        }
        finish(t, per, done_rx.recv().await.unwrap())
    })
}
