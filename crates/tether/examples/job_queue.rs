//! A job queue: a GenStage producer holds the jobs, a ConsumerSupervisor runs each
//! job in a process of its own, at most `MAX_RUNNING` at a time.
//!
//! Run with `cargo run -p tether --example job_queue`.
//!
//! ```text
//!   clients ──cast Push(job)──▶ queue (producer) ──demand/events──▶ workers (ConsumerSupervisor)
//!                               buffers jobs until                    one process per job,
//!                               workers ask for them                  restarted if it crashes
//! ```
//!
//! The queue emits a job as soon as it is pushed; the producer's buffer keeps the jobs
//! that nobody has asked for yet. The ConsumerSupervisor asks for `MAX_RUNNING` jobs,
//! starts a process per job, and asks for more only as processes finish, so no more
//! than `MAX_RUNNING` jobs ever run at once however many are queued. Children are
//! `transient`: a job whose process crashes is started again with the same job (one
//! job here fails on its first attempt, as a flaky network call would).

use std::collections::HashSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tether::otp::gen_server::StartOpts;
use tether::otp::gen_stage::{
    self, ConsumerSupervisorSpec, Emit, GenStage, Init, Restart, SubscribeOpts,
};
use tether::{Pid, Runtime};

/// Jobs pushed in all.
pub const JOBS: u32 = 20;
/// The most jobs that run at once (the workers' `max_demand`).
pub const MAX_RUNNING: usize = 3;
/// The job that crashes on its first attempt.
pub const FLAKY_JOB: u32 = 7;

/// A job: resize image `id` (simulated by a short sleep).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Job {
    /// The job's number.
    pub id: u32,
}

/// Jobs running now, and the most seen at once.
static RUNNING: AtomicUsize = AtomicUsize::new(0);
static MAX_SEEN: AtomicUsize = AtomicUsize::new(0);
/// Attempts made, for every job (the flaky one is tried twice).
static ATTEMPTS: AtomicUsize = AtomicUsize::new(0);
/// Jobs whose first attempt already crashed.
static CRASHED_ONCE: Mutex<Option<HashSet<u32>>> = Mutex::new(None);

/// The queue: a producer whose events are the jobs pushed to it.
struct Queue;

/// What clients send to the queue.
enum Push {
    Job(Job),
}

impl GenStage for Queue {
    type Args = ();
    type In = ();
    type Out = Job;
    type Call = ();
    type Cast = Push;
    type Reply = ();

    async fn init((): ()) -> Init<Self> {
        Init::producer(Queue)
    }

    async fn handle_demand(&mut self, _demand: u64) -> Emit<Job> {
        // Jobs are emitted when pushed; what was pushed before anyone asked waits in
        // the producer's buffer and goes out with the demand.
        Emit::none()
    }

    async fn handle_cast(&mut self, Push::Job(job): Push) -> Emit<Job> {
        Emit::events(vec![job])
    }
}

/// One job, in its own process: sleeps as if it worked, reports to `report_to`.
async fn run_job(job: Job, report_to: Pid) {
    ATTEMPTS.fetch_add(1, Ordering::SeqCst);
    let now = RUNNING.fetch_add(1, Ordering::SeqCst) + 1;
    MAX_SEEN.fetch_max(now, Ordering::SeqCst);
    tether::sleep(Duration::from_millis(10 + u64::from(job.id % 4) * 5)).await;
    RUNNING.fetch_sub(1, Ordering::SeqCst);
    if job.id == FLAKY_JOB {
        let first = CRASHED_ONCE
            .lock()
            .unwrap()
            .get_or_insert_with(HashSet::new)
            .insert(job.id);
        if first {
            panic!("job {} failed (the network timed out)", job.id);
        }
    }
    println!("worker {:?} finished job {:>2}", tether::self_pid(), job.id);
    tether::send(report_to, job).unwrap();
}

/// What the run showed, for `main` to print and the example's test to check.
#[derive(Debug)]
pub struct Summary {
    /// The ids of the jobs finished, in the order they finished.
    pub finished: Vec<u32>,
    /// Attempts made (the jobs, and the flaky job's retry).
    pub attempts: usize,
    /// The most jobs that ran at once.
    pub max_running: usize,
}

/// Starts the queue and its workers, pushes [`JOBS`] jobs, and waits for them all.
pub fn run() -> Summary {
    Runtime::new().expect("runtime").block_on(async {
        let me = tether::self_pid();
        let queue = gen_stage::start_link::<Queue>((), StartOpts::new().name("job_queue"))
            .await
            .expect("queue");
        let workers = ConsumerSupervisorSpec::task(move |job: Job| run_job(job, me))
            .restart(Restart::Transient)
            .subscribe_to(
                queue.pid(),
                SubscribeOpts::new()
                    .max_demand(MAX_RUNNING as u64)
                    .min_demand(1),
            );
        gen_stage::consumer_supervisor(workers, StartOpts::new())
            .await
            .expect("workers");

        // Clients push jobs by the queue's name, from several processes.
        for client in 0..4 {
            tether::spawn(async move {
                for id in (client..JOBS).step_by(4) {
                    gen_stage::cast::<Queue>("job_queue", Push::Job(Job { id }));
                }
            });
        }
        let mut finished = Vec::new();
        while finished.len() < JOBS as usize {
            let job: Job = tether::receive_timeout(Duration::from_secs(30))
                .await
                .expect("every job finishes");
            finished.push(job.id);
        }
        Summary {
            finished,
            attempts: ATTEMPTS.load(Ordering::SeqCst),
            max_running: MAX_SEEN.load(Ordering::SeqCst),
        }
    })
}

#[allow(dead_code)] // the example's test includes this file and calls `run`
fn main() {
    let s = run();
    println!(
        "\n{} jobs finished in {} attempts (job {FLAKY_JOB} crashed once and was restarted); \
         at most {} ran at once (limit {MAX_RUNNING}).",
        s.finished.len(),
        s.attempts,
        s.max_running
    );
}
