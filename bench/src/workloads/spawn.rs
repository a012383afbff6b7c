//! Spawn 1 M idle processes: time per spawn, bytes per idle process (RSS growth, less
//! the benchmark's own vector of handles) and the worker's peak RSS.
//!
//! Each process bumps a shared counter once it runs and then waits for a message; the
//! memory is read once every process has started and the machine has settled. The
//! check: every process started, and every one ended when told to stop.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant};

use super::{Figures, Metric, Params, Workload};
use crate::system::System;
use crate::{mem, rt};

/// The spawn workload.
pub const WORKLOAD: Workload = Workload {
    name: "spawn",
    title: "spawn 1 M idle processes",
    metrics: &[
        Metric {
            key: "ns_per_spawn",
            label: "spawn 1M: time per spawn",
            unit: "ns",
        },
        Metric {
            key: "bytes_per_process",
            label: "spawn 1M: bytes per idle process",
            unit: "B",
        },
        Metric {
            key: "peak_rss_mb",
            label: "spawn 1M: peak RSS",
            unit: "MB",
        },
    ],
    rust: &[
        (System::Tether, tether),
        (System::Ractor, ractor),
        (System::Kameo, kameo),
        (System::Actix, actix),
        (System::Tokio, tokio),
    ],
    beam: true,
    elixir_libs: &[],
    na_note: "",
};

fn count(p: &Params) -> usize {
    p.size(1_000_000, 100_000)
}

/// Shared start/stop counters.
#[derive(Clone, Default)]
struct Counters {
    started: Arc<AtomicUsize>,
    ended: Arc<AtomicUsize>,
}

impl Counters {
    async fn wait(c: &AtomicUsize, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(120);
        while c.load(Relaxed) < n {
            assert!(Instant::now() < deadline, "only {} of {n}", c.load(Relaxed));
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

/// Measures around `spawn_all` (which returns the handles) and `stop_all`.
struct Probe {
    n: usize,
    before: u64,
    t: Instant,
}

impl Probe {
    fn start(n: usize) -> Probe {
        Probe {
            n,
            before: mem::rss(),
            t: Instant::now(),
        }
    }

    fn spawned(&self) -> f64 {
        self.t.elapsed().as_nanos() as f64 / self.n as f64
    }

    fn figures(&self, spawn_ns: f64, handle_bytes: usize) -> Figures {
        let per = mem::per_process(self.before, mem::rss(), self.n, handle_bytes);
        vec![
            ("ns_per_spawn", spawn_ns),
            ("bytes_per_process", per),
            ("peak_rss_mb", mem::peak_rss() as f64 / 1e6),
        ]
    }
}

async fn settle(c: &Counters, n: usize) {
    Counters::wait(&c.started, n).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
}

fn tether(p: &Params) -> Figures {
    let n = count(p);
    rt::tether(p.threads).block_on(async move {
        let c = Counters::default();
        let mut pids = Vec::with_capacity(n);
        let probe = Probe::start(n);
        for _ in 0..n {
            let c = c.clone();
            pids.push(tether::spawn(async move {
                c.started.fetch_add(1, Relaxed);
                let _ = tether::receive::<()>().await;
                c.ended.fetch_add(1, Relaxed);
            }));
        }
        let ns = probe.spawned();
        settle(&c, n).await;
        let figures = probe.figures(ns, std::mem::size_of::<tether::Pid>());
        for p in &pids {
            tether::send(*p, ()).unwrap();
        }
        Counters::wait(&c.ended, n).await;
        figures
    })
}

fn tokio(p: &Params) -> Figures {
    let n = count(p);
    rt::block_on_tokio(p.threads, async move {
        let c = Counters::default();
        let mut txs = Vec::with_capacity(n);
        let probe = Probe::start(n);
        for _ in 0..n {
            let c = c.clone();
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<()>();
            tokio::spawn(async move {
                c.started.fetch_add(1, Relaxed);
                let _ = rx.recv().await;
                c.ended.fetch_add(1, Relaxed);
            });
            txs.push(tx);
        }
        let ns = probe.spawned();
        settle(&c, n).await;
        let figures = probe.figures(ns, std::mem::size_of_val(&txs[0]));
        drop(txs);
        Counters::wait(&c.ended, n).await;
        figures
    })
}

struct RactorIdle;

impl ractor::Actor for RactorIdle {
    type Msg = ();
    type State = Counters;
    type Arguments = Counters;

    async fn pre_start(
        &self,
        _: ractor::ActorRef<()>,
        c: Counters,
    ) -> Result<Counters, ractor::ActorProcessingErr> {
        c.started.fetch_add(1, Relaxed);
        Ok(c)
    }

    async fn post_stop(
        &self,
        _: ractor::ActorRef<()>,
        c: &mut Counters,
    ) -> Result<(), ractor::ActorProcessingErr> {
        c.ended.fetch_add(1, Relaxed);
        Ok(())
    }
}

fn ractor(p: &Params) -> Figures {
    let n = count(p);
    rt::block_on_tokio(p.threads, async move {
        let c = Counters::default();
        let mut refs = Vec::with_capacity(n);
        let probe = Probe::start(n);
        for _ in 0..n {
            let (a, _) = ractor::Actor::spawn(None, RactorIdle, c.clone())
                .await
                .expect("spawn");
            refs.push(a);
        }
        let ns = probe.spawned();
        settle(&c, n).await;
        let figures = probe.figures(ns, std::mem::size_of_val(&refs[0]));
        for a in &refs {
            a.stop(None);
        }
        Counters::wait(&c.ended, n).await;
        figures
    })
}

struct KameoIdle(Counters);

impl kameo::Actor for KameoIdle {
    type Args = Counters;
    type Error = kameo::error::Infallible;

    async fn on_start(c: Counters, _: kameo::actor::ActorRef<Self>) -> Result<Self, Self::Error> {
        c.started.fetch_add(1, Relaxed);
        Ok(KameoIdle(c))
    }

    async fn on_stop(
        &mut self,
        _: kameo::actor::WeakActorRef<Self>,
        _: kameo::error::ActorStopReason,
    ) -> Result<(), Self::Error> {
        self.0.ended.fetch_add(1, Relaxed);
        Ok(())
    }
}

fn kameo(p: &Params) -> Figures {
    use kameo::actor::Spawn;
    let n = count(p);
    rt::block_on_tokio(p.threads, async move {
        let c = Counters::default();
        let mut refs = Vec::with_capacity(n);
        let probe = Probe::start(n);
        for _ in 0..n {
            refs.push(KameoIdle::spawn(c.clone()));
        }
        let ns = probe.spawned();
        settle(&c, n).await;
        let figures = probe.figures(ns, std::mem::size_of_val(&refs[0]));
        for a in &refs {
            a.kill();
        }
        Counters::wait(&c.ended, n).await;
        figures
    })
}

struct ActixIdle(Counters);

impl actix::Actor for ActixIdle {
    type Context = actix::Context<Self>;

    fn started(&mut self, _: &mut Self::Context) {
        self.0.started.fetch_add(1, Relaxed);
    }

    fn stopped(&mut self, _: &mut Self::Context) {
        self.0.ended.fetch_add(1, Relaxed);
    }
}

fn actix(p: &Params) -> Figures {
    use actix::Actor;
    let n = count(p);
    rt::actix(async move {
        let c = Counters::default();
        let mut addrs = Vec::with_capacity(n);
        let probe = Probe::start(n);
        for _ in 0..n {
            addrs.push(ActixIdle(c.clone()).start());
        }
        let ns = probe.spawned();
        settle(&c, n).await;
        let figures = probe.figures(ns, std::mem::size_of_val(&addrs[0]));
        drop(addrs); // an actix actor stops when its last address is gone
        Counters::wait(&c.ended, n).await;
        figures
    })
}
