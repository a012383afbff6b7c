//! Waiting for a condition instead of sleeping for a guessed time.
//!
//! Shared by the behaviour tests (`tests/common`) and the interop suites
//! (`tests/interop`, which includes this file with `#[path]`).
//!
//! A test that needs something to have happened (a signal handled, a name gone, a
//! peer in sync) polls for exactly that with [`eventually`]: it returns as soon as
//! the condition holds, and fails naming the condition if it does not hold within
//! [`PATIENCE`]. The deadline only matters when a test fails, so it is generous.
#![allow(dead_code)]

use std::future::Future;
use std::time::{Duration, Instant};

/// How long [`eventually`] waits before it declares the condition false.
pub const PATIENCE: Duration = Duration::from_secs(15);

/// The longest pause between two polls (the first pauses are shorter: 1, 2, 4 ms …).
const MAX_PAUSE: Duration = Duration::from_millis(50);

/// Polls `cond` until it returns true; panics naming `what` if it has not after
/// [`PATIENCE`].
pub async fn eventually<F, Fut>(what: &str, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    poll(what, None, || {
        let c = cond();
        async move { c.await.then_some(()) }
    })
    .await
}

/// Polls `f` until it returns `Some`, and returns that value; panics naming `what` if
/// it has not after [`PATIENCE`].
pub async fn eventually_some<T, F, Fut>(what: &str, f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    poll(what, None, f).await
}

/// [`eventually`] polling at a fixed interval, for a condition that polling itself
/// disturbs (e.g. a status query that restarts an idle timer shorter than `every`).
pub async fn eventually_every<F, Fut>(every: Duration, what: &str, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    poll(what, Some(every), || {
        let c = cond();
        async move { c.await.then_some(()) }
    })
    .await
}

async fn poll<T, F, Fut>(what: &str, every: Option<Duration>, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let start = Instant::now();
    let mut pause = every.unwrap_or(Duration::from_millis(1));
    loop {
        if let Some(v) = f().await {
            return v;
        }
        if start.elapsed() >= PATIENCE {
            panic!("never happened within {PATIENCE:?}: {what}");
        }
        tokio::time::sleep(pause).await;
        if every.is_none() {
            pause = (pause * 2).min(MAX_PAUSE);
        }
    }
}
