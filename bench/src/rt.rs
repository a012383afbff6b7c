//! Runtimes for each Rust system, built with the requested number of worker threads.
//!
//! Tether, ractor, kameo and raw tokio run on a tokio multi-thread runtime with
//! `worker_threads(THREADS)`. actix runs its `System` on one thread (an arbiter is one
//! thread and actix actors are `!Send`, pinned to their arbiter); spreading actors over
//! arbiters is a placement decision the workloads would have to make by hand, so the
//! actix figures are the same one-thread configuration under both thread counts.

use std::future::Future;

/// A Tether runtime with `threads` workers.
pub fn tether(threads: usize) -> tether::Runtime {
    tether_metrics(threads, true)
}

/// A Tether runtime with `threads` workers, its activity counters on or off.
pub fn tether_metrics(threads: usize, metrics: bool) -> tether::Runtime {
    tether::Runtime::builder()
        .worker_threads(threads)
        .metrics(metrics)
        .build()
        .expect("tether runtime")
}

/// A tokio multi-thread runtime with `threads` workers.
pub fn tokio(threads: usize) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// Runs `f` on a tokio runtime with `threads` workers, inside a spawned task (so that
/// it is scheduled like the actors it talks to, not on the blocking main thread).
pub fn block_on_tokio<F>(threads: usize, f: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let rt = tokio(threads);
    rt.block_on(async move { tokio::spawn(f).await.expect("benchmark task") })
}

/// Runs `f` inside an actix `System` (one thread, see the module docs).
pub fn actix<F: Future>(f: F) -> F::Output {
    let sys = actix::System::new();
    let out = sys.block_on(f);
    actix::System::current().stop();
    out
}
