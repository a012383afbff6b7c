//! Catching a callback's unwind (a panic, or [`exit_self`](crate::exit_self)) so the
//! server can run `terminate` before it exits (docs/semantics.md §4.6 E1, E3).
//!
//! No allocation: the future is pinned on the caller's stack and polled inside
//! `catch_unwind`. `AssertUnwindSafe` is sound in the OTP sense: after an unwind the
//! state is only handed to `terminate` and `format_status`, then dropped.

use std::future::{Future, poll_fn};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::pin;
use std::task::Poll;

use crate::ExitReason;
use crate::process::life::panic_reason;

/// Runs `fut`; an unwind inside it becomes `Err(reason)`.
pub(crate) async fn catching<F: Future>(fut: F) -> Result<F::Output, ExitReason> {
    let mut fut = pin!(fut);
    poll_fn(
        |cx| match catch_unwind(AssertUnwindSafe(|| fut.as_mut().poll(cx))) {
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(payload) => Poll::Ready(Err(panic_reason(payload))),
        },
    )
    .await
}

/// Runs `f`; an unwind inside it becomes `Err(reason)`.
pub(crate) fn catching_sync<R>(f: impl FnOnce() -> R) -> Result<R, ExitReason> {
    catch_unwind(AssertUnwindSafe(f)).map_err(panic_reason)
}
