//! Shared helpers for the behaviour tests.
#![allow(dead_code)]

use std::future::Future;
use std::time::Duration;

use tether::{Message, Runtime};

/// Runs `f` as a process on a fresh two-thread runtime.
pub fn run<F>(f: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    Runtime::builder()
        .worker_threads(2)
        .build()
        .unwrap()
        .block_on(f)
}

/// A process that waits forever (until killed).
pub async fn wait_forever() {
    std::future::pending::<()>().await
}

/// The messages currently in the mailbox, taken out in order.
pub async fn flush() -> Vec<Message> {
    let mut out = Vec::new();
    while let Some(m) = tether::receive_select_timeout(Duration::ZERO, |_| true).await {
        out.push(m);
    }
    out
}

/// Long enough for signals between local processes to have been handled.
pub const SETTLE: Duration = Duration::from_millis(100);
