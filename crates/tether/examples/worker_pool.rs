//! A pool of workers that survives its workers' crashes.
//!
//! Run with `cargo run -p tether --example worker_pool`.
//!
//! The tree:
//!
//! ```text
//!   pool_sup (Supervisor, one_for_one, 100 restarts / 5 s)
//!     └── workers (DynamicSupervisor)        N workers, permanent
//!           ├── worker ─┐
//!           ├── worker  ├─ each joins the pg group `workers` when it starts
//!           └── ...    ─┘   (and leaves it automatically when it dies)
//! ```
//!
//! Jobs go round-robin to the current members of the `workers` group. Some jobs
//! make a worker crash; its supervisor starts a replacement, which joins the group,
//! and the pool keeps serving. The client monitors the worker it hands a job to, so
//! a job lost with a crashed worker is noticed at once instead of waited for.

use std::time::Duration;

use tether::kernel::pg;
use tether::otp::dynamic_supervisor::{self, DynamicSupervisor};
use tether::otp::supervisor::{ChildSpec, Strategy, Supervisor};
use tether::{ExitReason, Pid, Runtime, Term};

const WORKERS: usize = 4;
const JOBS: u64 = 40;

/// A job: square `n`, or crash if `n` is a multiple of 7.
struct Job {
    n: u64,
    reply_to: Pid,
}

struct Done {
    n: u64,
    result: u64,
    worker: Pid,
}

fn group() -> Term {
    Term::atom("workers")
}

/// A worker process: joins the group, then serves jobs until it crashes.
async fn worker() {
    pg::join(pg::DEFAULT_SCOPE, group(), &[tether::self_pid()])
        .await
        .expect("pg scope running");
    loop {
        let job: Job = tether::receive().await;
        if job.n % 7 == 0 {
            // A bug! The supervisor will replace us.
            tether::exit_self(ExitReason::from("unlucky_number"));
        }
        let done = Done {
            n: job.n,
            result: job.n * job.n,
            worker: tether::self_pid(),
        };
        let _ = tether::send(job.reply_to, done);
    }
}

async fn run_pool() {
    tether::trap_exit(true);
    let pool = Supervisor::new(Strategy::OneForOne)
        .max_restarts(100)
        .name("pool_sup")
        .child(ChildSpec::new("pg", || async {
            pg::start_link().await.map(Some).map_err(ExitReason::from)
        }))
        .child(
            ChildSpec::new("workers", || async {
                DynamicSupervisor::new()
                    .max_restarts(100)
                    .name("pool_workers")
                    .start_link()
                    .await
                    .map(Some)
                    .map_err(ExitReason::from)
            })
            .child_type(tether::otp::supervisor::ChildType::Supervisor),
        )
        .start_link()
        .await
        .expect("pool starts");
    for _ in 0..WORKERS {
        dynamic_supervisor::start_child("pool_workers", ChildSpec::process("worker", worker))
            .await
            .expect("worker starts");
    }
    println!("pool {pool} started with {WORKERS} workers");

    let me = tether::self_pid();
    let mut next = 0usize;
    for n in 1..=JOBS {
        // Jobs for unlucky numbers crash a worker: report it and go on.
        loop {
            let members = pg::get_members(pg::DEFAULT_SCOPE, group());
            if members.is_empty() {
                tether::sleep(Duration::from_millis(1)).await; // replacements are joining
                continue;
            }
            let w = members[next % members.len()];
            next += 1;
            let wref = tether::monitor(w);
            tether::send(w, Job { n, reply_to: me }).unwrap();
            let m = tether::receive_select(move |m| {
                m.downcast_ref::<Done>().is_some_and(|d| d.n == n)
                    || m.downcast_ref::<tether::Down>()
                        .is_some_and(|d| d.reference == wref)
            })
            .await;
            tether::demonitor_flush(wref);
            match m.downcast::<Done>() {
                Ok(d) => {
                    println!("{n:>3}^2 = {:>5}  (by {})", d.result, d.worker);
                    break;
                }
                Err(_) => {
                    println!("{n:>3}: worker {w} crashed; the pool replaces it");
                    break;
                }
            }
        }
    }
    let counts = dynamic_supervisor::count_children("pool_workers")
        .await
        .unwrap();
    println!("after {JOBS} jobs: {} workers alive", counts.active);
    let tree = tether::otp::supervisor::supervision_tree(pool)
        .await
        .unwrap();
    println!(
        "supervision tree: {} children under the root, {} workers",
        tree.children.len(),
        tree.children
            .iter()
            .map(|c| c.children.len())
            .sum::<usize>()
    );
}

fn main() {
    Runtime::new().expect("runtime").block_on(run_pool());
}
