//! Supervisor restart storm: a one-for-one supervisor restarts a child that crashes as
//! soon as it starts, under an intensity limit too high to trip, until the child has
//! been restarted N times. Reported as time per restart.
//! Check: the child was started exactly-or-more than N + 1 times and the supervisor is
//! still alive (the limit never tripped).
//!
//! BEAM: OTP `supervisor` (intensity 1 000 000 000 per 1 s). kameo: `supervise` with
//! `restart_limit(u32::MAX, 1 s)`; the child's `on_start` fails. ractor has no restart
//! policy, only supervision events: its supervisor actor respawns the linked child on
//! `ActorFailed` (the child's `post_start` fails) — the way ractor documents it.
//! actix's `Supervisor` restarts only actors that stop themselves (a panic takes the
//! arbiter down) and raw tokio has no supervision: both "n/a".
//!
//! Tether: enabled by `build.rs` once `tether::otp::supervisor` exists in this tree
//! (`cfg(tether_supervisor)`, merged from the otp-sup branch, whose
//! `bench/src/restart_storm.rs` measures the same storm for a fixed time).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use super::{Figures, Metric, Params, RunFn, Workload};
use crate::rt;
use crate::system::System;

#[cfg(tether_supervisor)]
const RUST: &[(System, RunFn)] = &[
    (System::Tether, tether),
    (System::Ractor, ractor),
    (System::Kameo, kameo),
];
#[cfg(not(tether_supervisor))]
const RUST: &[(System, RunFn)] = &[(System::Ractor, ractor), (System::Kameo, kameo)];

/// The restart-storm workload.
pub const WORKLOAD: Workload = Workload {
    name: "restart",
    title: "supervisor restart storm (child crashes at once)",
    metrics: &[Metric {
        key: "us_per_restart",
        label: "restart storm: per restart",
        unit: "µs",
    }],
    rust: RUST,
    beam: true,
    elixir_libs: &[],
    na_note: "actix: its Supervisor cannot restart a crashed (panicked) actor; tokio: no supervision",
};

fn restarts(p: &Params) -> u64 {
    p.size(20_000, 2_000)
}

/// Waits until `starts` reaches `n + 1` (the first start plus `n` restarts).
async fn storm(starts: &AtomicU64, n: u64) -> Figures {
    let t = Instant::now();
    let deadline = t + Duration::from_secs(120);
    while starts.load(Relaxed) < n + 1 {
        assert!(Instant::now() < deadline, "storm stalled");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let us = t.elapsed().as_secs_f64() * 1e6 / n as f64;
    vec![("us_per_restart", us)]
}

#[cfg(tether_supervisor)]
fn tether(p: &Params) -> Figures {
    use tether::otp::supervisor::{ChildSpec, Strategy, Supervisor};
    let n = restarts(p);
    rt::tether(p.threads).block_on(async move {
        tether::trap_exit(true);
        let starts = Arc::new(AtomicU64::new(0));
        let counter = starts.clone();
        let crasher = ChildSpec::new("crasher", move || {
            counter.fetch_add(1, Relaxed);
            async {
                Ok(Some(tether::spawn_link(async {
                    tether::exit_self(tether::ExitReason::from("crash"))
                })))
            }
        });
        let sup = Supervisor::new(Strategy::OneForOne)
            .max_restarts(u32::MAX)
            .max_seconds(1)
            .child(crasher)
            .start_link()
            .await
            .expect("supervisor starts");
        let figures = storm(&starts, n).await;
        assert!(tether::process_info(sup).is_some(), "supervisor alive");
        figures
    })
}

/// ractor: a supervisor actor that respawns its linked child whenever it fails.
struct RactorSup;

/// The crashing child: counts its start, then fails in `post_start`.
struct RactorCrasher;

impl ractor::Actor for RactorCrasher {
    type Msg = ();
    type State = ();
    type Arguments = Arc<AtomicU64>;

    async fn pre_start(
        &self,
        _: ractor::ActorRef<()>,
        starts: Arc<AtomicU64>,
    ) -> Result<(), ractor::ActorProcessingErr> {
        starts.fetch_add(1, Relaxed);
        Ok(())
    }

    async fn post_start(
        &self,
        _: ractor::ActorRef<()>,
        _: &mut (),
    ) -> Result<(), ractor::ActorProcessingErr> {
        Err("crash".into())
    }
}

impl ractor::Actor for RactorSup {
    type Msg = ();
    type State = Arc<AtomicU64>;
    type Arguments = Arc<AtomicU64>;

    async fn pre_start(
        &self,
        _: ractor::ActorRef<()>,
        starts: Arc<AtomicU64>,
    ) -> Result<Arc<AtomicU64>, ractor::ActorProcessingErr> {
        Ok(starts)
    }

    async fn post_start(
        &self,
        me: ractor::ActorRef<()>,
        starts: &mut Arc<AtomicU64>,
    ) -> Result<(), ractor::ActorProcessingErr> {
        ractor::Actor::spawn_linked(None, RactorCrasher, starts.clone(), me.get_cell()).await?;
        Ok(())
    }

    async fn handle_supervisor_evt(
        &self,
        me: ractor::ActorRef<()>,
        event: ractor::SupervisionEvent,
        starts: &mut Arc<AtomicU64>,
    ) -> Result<(), ractor::ActorProcessingErr> {
        if let ractor::SupervisionEvent::ActorFailed(..) = event {
            ractor::Actor::spawn_linked(None, RactorCrasher, starts.clone(), me.get_cell()).await?;
        }
        Ok(())
    }
}

fn ractor(p: &Params) -> Figures {
    let n = restarts(p);
    rt::block_on_tokio(p.threads, async move {
        let starts = Arc::new(AtomicU64::new(0));
        let (sup, _) = ractor::Actor::spawn(None, RactorSup, starts.clone())
            .await
            .expect("spawn");
        let figures = storm(&starts, n).await;
        assert!(
            sup.get_status() == ractor::ActorStatus::Running,
            "supervisor alive"
        );
        figures
    })
}

/// kameo: the supervisor spawns the child with `supervise`.
struct KameoSup;

impl kameo::Actor for KameoSup {
    type Args = Arc<AtomicU64>;
    type Error = kameo::error::Infallible;

    async fn on_start(
        starts: Arc<AtomicU64>,
        me: kameo::actor::ActorRef<Self>,
    ) -> Result<Self, Self::Error> {
        use kameo::actor::Spawn;
        KameoCrasher::supervise(&me, starts)
            .restart_policy(kameo::supervision::RestartPolicy::Permanent)
            .restart_limit(u32::MAX, Duration::from_secs(1))
            .spawn()
            .await;
        Ok(KameoSup)
    }
}

/// The crashing child: counts its start, then fails in `on_start`.
struct KameoCrasher;

impl kameo::Actor for KameoCrasher {
    type Args = Arc<AtomicU64>;
    type Error = String;

    async fn on_start(
        starts: Arc<AtomicU64>,
        _: kameo::actor::ActorRef<Self>,
    ) -> Result<Self, Self::Error> {
        starts.fetch_add(1, Relaxed);
        Err("crash".into())
    }
}

fn kameo(p: &Params) -> Figures {
    use kameo::actor::Spawn;
    let n = restarts(p);
    rt::block_on_tokio(p.threads, async move {
        let starts = Arc::new(AtomicU64::new(0));
        let sup = KameoSup::spawn(starts.clone());
        let figures = storm(&starts, n).await;
        assert!(sup.is_alive(), "supervisor alive");
        figures
    })
}
